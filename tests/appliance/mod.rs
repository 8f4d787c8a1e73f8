//! Shared harness of the appliance daemon tests: tools, generated bundles, network namespaces
//! and daemons that are cleaned up even when a test fails, and bounded waits.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tunnelsmith::check::{resolve, Resolved};
use tunnelsmith::plan::Plan;
use tunnelsmith::render::{render, RenderOptions};
use tunnelsmith::secrets::Secrets;

/// Whether a missing tool fails the test (`make test-appliance`) or skips it.
pub fn require_tools() -> bool {
    std::env::var("TUNNELSMITH_REQUIRE_TOOLS").as_deref() == Ok("1")
}

/// Whether the real-tool suites are left to their own make target (`make test-native` sets it).
pub fn skip_tools(test: &str) -> bool {
    let skip = std::env::var("TUNNELSMITH_SKIP_TOOLS").as_deref() == Ok("1");
    if skip {
        eprintln!("skipped: {test}: real-tool suites run in `make test-appliance`");
    }
    skip
}

/// `true` when every tool is there; otherwise fails (when required) or prints why it skips.
pub fn tools(test: &str, needed: &[(&str, &str)]) -> bool {
    if skip_tools(test) {
        return false;
    }
    let missing: Vec<String> = needed
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(path, what)| format!("{what} ({path})"))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test}: {} not installed; run `make bootstrap-appliance` (scripts/install-appliance-tools.sh, as root)",
        missing.join(", ")
    );
    if require_tools() {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

/// Root is needed for namespaces; the same rule as a missing tool.
pub fn root(test: &str) -> bool {
    if skip_tools(test) {
        return false;
    }
    if is_root() {
        return true;
    }
    let msg = format!("{test}: needs root (network namespaces)");
    if require_tools() {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

pub const IPSEC: &str = "/usr/sbin/ipsec";
pub const PLUTO: &str = "/usr/libexec/ipsec/pluto";
pub const CERTUTIL: &str = "/usr/bin/certutil";
pub const NFT: &str = "/usr/sbin/nft";
pub const PING: &str = "/usr/bin/ping";

pub fn strongswan_root() -> PathBuf {
    PathBuf::from(std::env::var("STRONGSWAN_ROOT").unwrap_or_else(|_| "/opt/tunnelsmith-tools/strongswan".into()))
}

pub fn charon() -> PathBuf {
    strongswan_root().join("usr/lib/ipsec/charon")
}

pub fn swanctl() -> PathBuf {
    strongswan_root().join("usr/sbin/swanctl")
}

pub fn libipsec_plugin() -> PathBuf {
    strongswan_root().join("usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so")
}

/// Run a command; its output, whatever the exit status.
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Run and require success.
pub fn ok(cmd: &mut Command) -> String {
    let o = run(cmd);
    assert!(o.status.success(), "{cmd:?} failed ({}):\n{}", o.status, text(&o));
    text(&o)
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A short name unique in this machine for this run: `<prefix><pid % 10000>x<n>` (interface
/// names are limited to 15 characters).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}x{}", std::process::id() % 10_000, COUNTER.fetch_add(1, Ordering::SeqCst))
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tunnelsmith-{}", unique(label)));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("TUNNELSMITH_KEEP_TEMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Deterministic "random" bytes for the keys.
pub fn secrets_for(r: &Resolved, seed: u8) -> Secrets {
    let mut n = seed;
    Secrets::generate(r, &mut |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_mul(31).wrapping_add(17);
            *x = n;
        }
    })
}

/// A generated bundle on disk: every artifact, `secrets.env` and `outputs.env`.
pub struct Bundle {
    pub dir: TempDir,
    pub resolved: Resolved,
    pub secrets: Secrets,
}

impl Bundle {
    /// Render `plan` into a fresh folder. `outputs.env` holds `outputs`, and a TEST-NET address
    /// for every other name an install script asks for.
    pub fn write(plan: &Plan, outputs: &[(&str, &str)], seed: u8) -> Bundle {
        let resolved = resolve(plan);
        let dir = TempDir::new("b");
        let mut values: BTreeMap<String, String> =
            outputs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for a in render(&resolved, &RenderOptions::default()) {
            let f = dir.0.join(&a.path);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, &a.text).unwrap();
            // Every other address an install script needs: a distinct TEST-NET-2 address.
            for name in a.text.lines().filter_map(|l| l.strip_prefix("need_ip ")?.split_whitespace().next()) {
                let n = values.len();
                values.entry(name.to_string()).or_insert_with(|| format!("198.51.100.{}", 100 + n));
            }
        }
        let secrets = secrets_for(&resolved, seed);
        std::fs::write(dir.0.join("secrets.env"), secrets.to_env()).unwrap();
        // Each host's own keys beside its install script, as the bundle and `generate` write them.
        for (path, names) in tunnelsmith::render::appliance::secrets_files(&resolved) {
            std::fs::write(dir.0.join(path), secrets.subset(&names).to_env()).unwrap();
        }
        let out: String = values.iter().map(|(k, v)| format!("{k}='{v}'\n")).collect();
        std::fs::write(dir.0.join("outputs.env"), out).unwrap();
        Bundle { dir, resolved, secrets }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.0.join(rel)
    }

    /// Files under `rel` with a name ending in `suffix`, sorted.
    pub fn files(&self, rel: &str, suffix: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.path(rel))
            .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(suffix)).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Run `<site>/<sw>/install.sh --files-only` into a fresh root; the root's path.
    pub fn install_files(&self, script: &str, root: &Path) -> String {
        ok(Command::new("bash").arg(self.path(script)).arg("--files-only").env("DESTDIR", root))
    }
}

/// Network namespaces (and the veth pairs in them), deleted on drop.
#[derive(Default)]
pub struct Netns {
    pub names: Vec<String>,
}

impl Netns {
    pub fn add(&mut self) -> String {
        let name = unique("tsn");
        ok(Command::new("ip").args(["netns", "add", &name]));
        self.names.push(name.clone());
        ok(Command::new("ip").args(["-n", &name, "link", "set", "lo", "up"]));
        name
    }

    /// A veth pair between `a` and `b` with the given `addr/len` on each end, up.
    pub fn link(&self, a: &str, a_addrs: &[&str], b: &str, b_addrs: &[&str]) -> (String, String) {
        let (va, vb) = (unique("va"), unique("vb"));
        ok(Command::new("ip").args(["link", "add", &va, "type", "veth", "peer", "name", &vb]));
        for (ns, dev, addrs) in [(a, &va, a_addrs), (b, &vb, b_addrs)] {
            ok(Command::new("ip").args(["link", "set", dev, "netns", ns]));
            for addr in addrs {
                ok(Command::new("ip").args(["-n", ns, "addr", "add", addr, "dev", dev]));
            }
            ok(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]));
        }
        (va, vb)
    }

    pub fn exec(&self, ns: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
    }
}

/// Daemons this test started, killed (by their own process) on drop.
#[derive(Default)]
pub struct Daemons {
    pub children: Vec<Child>,
}

impl Daemons {
    pub fn spawn(&mut self, mut cmd: Command, log: &Path) {
        let f = std::fs::File::create(log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        self.children.push(child);
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Poll `f` every 200 ms until it returns `Some`, at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The `key=value` lines of a conn file.
pub fn conn_values(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

// ---- strongSwan in a namespace ------------------------------------------------------------------

/// charon's strongswan.conf for a test host: the plugins a Debian install loads for a PSK tunnel,
/// with kernel-libipsec (ESP in userspace over a TUN device) instead of the kernel's XFRM.
/// kernel-libipsec routes the remote traffic selector (0.0.0.0/0) into its TUN device, in routing
/// table 220, with a `throw` route for the peer so that IKE and ESP still reach it.
pub fn strongswan_conf(dir: &Path) -> PathBuf {
    strongswan_conf_with(dir, "")
}

/// [`strongswan_conf`] with more `charon` settings (e.g. `install_routes = no`).
pub fn strongswan_conf_with(dir: &Path, charon: &str) -> PathBuf {
    let conf = dir.join("strongswan.conf");
    std::fs::write(
        &conf,
        format!(
            "charon {{\n  {charon}\n  load = random nonce openssl kdf hmac sha1 sha2 aes gcm pem pkcs1 x509 \
             kernel-libipsec kernel-netlink socket-default vici\n  \
             plugins {{\n    vici {{\n      socket = unix://{dir}/charon.vici\n    }}\n  }}\n  \
             filelog {{\n    log {{\n      path = {dir}/charon.log\n      default = 1\n      ike = 2\n      \
             flush_line = yes\n    }}\n  }}\n}}\n\
             swanctl {{\n  load = pem pkcs1 x509 openssl random nonce\n}}\n",
            dir = dir.display()
        ),
    )
    .unwrap();
    conf
}

/// A shell line that runs `program` with the private strongSwan root overlaid on /usr/lib and a
/// private /run (charon's pid file), in a new mount namespace.
fn in_strongswan_root(program: &Path, args: &str) -> String {
    let root = strongswan_root();
    format!(
        "mount -t overlay overlay -o lowerdir={root}/usr/lib:/usr/lib /usr/lib && mount -t tmpfs tmpfs /run && exec {} {args}",
        program.display(),
        root = root.display(),
    )
}

/// Start charon in namespace `ns`, configured from `dir` (see [`strongswan_conf`]).
pub fn start_charon(nets: &Netns, daemons: &mut Daemons, ns: &str, dir: &Path) {
    start_charon_with(nets, daemons, ns, dir, "")
}

/// [`start_charon`] with more `charon` settings (see [`strongswan_conf_with`]).
pub fn start_charon_with(nets: &Netns, daemons: &mut Daemons, ns: &str, dir: &Path, settings: &str) {
    let conf = strongswan_conf_with(dir, settings);
    let mut cmd = nets.exec(ns);
    cmd.args(["unshare", "--mount", "sh", "-c", &in_strongswan_root(&charon(), "")]).env("STRONGSWAN_CONF", &conf);
    daemons.spawn(cmd, &dir.join("charon.out"));
    let sock = dir.join("charon.vici");
    wait_for(Duration::from_secs(10), || sock.exists().then_some(()))
        .unwrap_or_else(|| panic!("charon did not open its vici socket:\n{}", read(&dir.join("charon.out"))));
}

/// Run swanctl against the charon configured from `dir`.
pub fn swanctl_cmd(nets: &Netns, ns: &str, dir: &Path, args: &str) -> Output {
    let uri = format!("--uri unix://{}/charon.vici", dir.display());
    let mut cmd = nets.exec(ns);
    cmd.args(["unshare", "--mount", "sh", "-c", &in_strongswan_root(&swanctl(), &format!("{args} {uri}"))])
        .env("STRONGSWAN_CONF", dir.join("strongswan.conf"));
    run(&mut cmd)
}

// ---- Libreswan in a namespace -------------------------------------------------------------------

/// Start pluto for one generated end in namespace `ns`; its control socket.
pub fn start_pluto(nets: &Netns, daemons: &mut Daemons, ns: &str, dir: &Path, root: &Path) -> String {
    let ipsec_d = root.join("etc/ipsec.d");
    // The namespace kernel has no XFRM interfaces (pluto refuses the conn when it cannot make
    // ipsecN), so only for this negotiation the conn runs without `ipsec-interface=`; the file
    // as generated is what the addconn test checks. The updown script is the installed one.
    for f in std::fs::read_dir(&ipsec_d).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "conf") {
            let t = read(&f);
            assert!(t.contains("    ipsec-interface="), "{}", f.display());
            let t: String = t
                .lines()
                .filter(|l| !l.trim_start().starts_with("ipsec-interface="))
                .map(|l| format!("{l}\n"))
                .collect();
            let t = t.replace("leftupdown=/etc/", &format!("leftupdown={}/etc/", root.display()));
            std::fs::write(&f, t).unwrap();
        }
    }
    let conf = dir.join("ipsec.conf");
    std::fs::write(
        &conf,
        format!("config setup\n    logfile={}/pluto.log\n\ninclude {}/*.conf\n", dir.display(), ipsec_d.display()),
    )
    .unwrap();
    let secrets = dir.join("ipsec.secrets");
    std::fs::write(&secrets, format!("include {}/*.secrets\n", ipsec_d.display())).unwrap();
    let nss = dir.join("nss");
    std::fs::create_dir_all(&nss).unwrap();
    ok(Command::new(CERTUTIL).args(["-N", "--empty-password", "-d"]).arg(format!("sql:{}", nss.display())));
    let run_dir = dir.join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    let mut cmd = nets.exec(ns);
    cmd.arg(PLUTO)
        .arg("--nofork")
        .arg("--config")
        .arg(&conf)
        .arg("--rundir")
        .arg(&run_dir)
        .arg("--nssdir")
        .arg(&nss)
        .arg("--secretsfile")
        .arg(&secrets);
    daemons.spawn(cmd, &dir.join("pluto.out"));
    let ctl = run_dir.join("pluto.ctl");
    wait_for(Duration::from_secs(10), || ctl.exists().then_some(()))
        .unwrap_or_else(|| panic!("pluto did not start:\n{}", read(&dir.join("pluto.out"))));
    ok(nets.exec(ns).arg(IPSEC).args(["addconn", "--autoall", "--config"]).arg(&conf).arg("--ctlsocket").arg(&ctl));
    ctl.display().to_string()
}
