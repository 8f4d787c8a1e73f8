//! Shared by the apply tests: a throwaway folder with a plan, its keys and the stand-in CLIs
//! (tests/standins/standin.py) on PATH, and the `tunnelsmith` binary run against them.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tunnelsmith::check::analyze;
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::find;
use tunnelsmith::secrets::Secrets;

pub const BIN: &str = env!("CARGO_BIN_EXE_tunnelsmith");

/// Real-tool suites: skipped under `TUNNELSMITH_SKIP_TOOLS=1`, required under
/// `TUNNELSMITH_REQUIRE_TOOLS=1` (as `make test-apply` sets), skipped with a note otherwise.
pub fn require<T>(what: &str, found: Option<T>) -> Option<T> {
    if std::env::var("TUNNELSMITH_SKIP_TOOLS").as_deref() == Ok("1") {
        eprintln!("skipped: {what}: real-tool suites run in `make test-apply`");
        return None;
    }
    match found {
        Some(t) => Some(t),
        None if std::env::var("TUNNELSMITH_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("{what} is missing; run `make bootstrap-cloud` (scripts/install-cloud-tools.sh)")
        }
        None => {
            eprintln!("skipped: {what} is missing; run `make bootstrap-cloud`");
            None
        }
    }
}

pub fn tools_dir() -> PathBuf {
    if let Ok(t) = std::env::var("TUNNELSMITH_TOOLS") {
        return PathBuf::from(t);
    }
    let cache = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache"));
    cache.join("tunnelsmith/cloud-tools")
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A Python that can import jmespath (the stand-ins apply `--query` with it, as the real CLIs
/// do): Debian's first (python3-jmespath, installed with the lab's tools; Debian builds its
/// Python with PGO and LTO: a stand-in call takes ~15% less CPU than with the AWS CLI's
/// virtualenv Python, and a test makes thousands), then the AWS CLI's virtualenv.
pub fn python() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("/usr/bin/python3"), tools_dir().join("aws/bin/python3")];
    candidates.extend(which("python3"));
    candidates.into_iter().find(|p| {
        p.is_file()
            && Command::new(p).args(["-c", "import jmespath"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

/// Write `exe`: an executable that runs `MODULE.main()` from `lib` with `python`. The module is
/// imported, not run as a script, so Python compiles it once per lab and loads the bytecode on
/// every later call (a stand-in run as a script is compiled on each of the thousands of calls a
/// test makes: twice the CPU). The module reads its program name from `sys.argv[0]` (`exe`).
pub fn python_shim(python: &Path, lib: &Path, module: &str, exe: &Path) {
    let lib = lib.display().to_string();
    std::fs::write(
        exe,
        format!(
            "#!{}\nimport sys\nsys.dont_write_bytecode = False\nsys.path.insert(0, {lib:?})\nimport {module}\n{module}.main()\n",
            python.display()
        ),
    )
    .unwrap();
    chmod(exe, 0o755);
}

pub fn standins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standins")
}

/// Deterministic test keys.
pub fn keys(plan: &Plan) -> Secrets {
    let r = analyze(plan).resolved;
    let mut n = 3u8;
    Secrets::generate(&r, &mut |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_mul(31).wrapping_add(11);
            *x = n;
        }
    })
}

/// A plan, its keys and a bin folder of stand-ins, in a fresh temporary folder.
pub struct Lab {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub plan: PathBuf,
    pub keys: Secrets,
    /// Extra environment for every run.
    pub env: Vec<(String, String)>,
    /// PATH after the bin folder (the system's, unless a test narrows it).
    pub path_rest: String,
}

impl Lab {
    /// `programs` get stand-ins (e.g. `["az", "gcloud"]`); the plan is preset `preset`.
    pub fn new(tag: &str, preset: &str, programs: &[&str], python: &Path) -> Lab {
        let dir = std::env::temp_dir().join(format!("tunnelsmith-apply-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("plan")).unwrap();
        let plan = find(preset).unwrap_or_else(|| panic!("preset {preset}")).plan();
        let keys = keys(&plan);
        let plan_path = dir.join("plan/tunnelsmith-plan.json");
        std::fs::write(&plan_path, plan.to_json_pretty()).unwrap();
        std::fs::write(dir.join("plan/secrets.env"), keys.to_env()).unwrap();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let lib = dir.join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::copy(standins_dir().join("standin.py"), lib.join("standin.py")).unwrap();
        for p in programs {
            python_shim(python, &lib, "standin", &bin.join(p));
        }
        Lab {
            dir: dir.clone(),
            bin,
            plan: plan_path,
            keys,
            env: vec![
                ("STANDIN_DIR".into(), dir.join("world").display().to_string()),
                ("STANDIN_OPTIONS".into(), standins_dir().join("options.json").display().to_string()),
                ("TUNNELSMITH_TIME_SCALE".into(), "0.01".into()),
                ("NO_COLOR".into(), "1".into()),
            ],
            path_rest: std::env::var("PATH").unwrap_or_default(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("plan/tunnelsmith-plan.state")
    }

    pub fn command(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .arg(&self.plan)
            .env("PATH", format!("{}:{}", self.bin.display(), self.path_rest))
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    /// Start `tunnelsmith ARGS PLAN` in the background, its output discarded.
    pub fn spawn(&self, args: &[&str], extra: &[(&str, &str)]) -> std::process::Child {
        self.command(args, extra).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
    }

    /// Run `tunnelsmith ARGS PLAN` to the end.
    pub fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let o = self.command(args, extra).output().unwrap();
        Run::from(o)
    }

    /// The stand-ins' world (empty before the first call).
    pub fn world(&self) -> Value {
        std::fs::read_to_string(self.dir.join("world/world.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    }

    /// How many times each resource was created.
    pub fn creations(&self) -> BTreeMap<String, u64> {
        let w = self.world();
        w.get("created")
            .and_then(|c| c.as_object())
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default()
    }

    /// What exists in the stand-in clouds: Azure and Google Cloud keys, AWS IDs not deleted.
    pub fn live(&self) -> Vec<String> {
        let w = self.world();
        let mut out = Vec::new();
        for cloud in ["az", "gcloud"] {
            if let Some(m) = w.get(cloud).and_then(|c| c.as_object()) {
                out.extend(m.keys().map(|k| format!("{cloud} {k}")));
            }
        }
        if let Some(m) = w.get("aws").and_then(|c| c.as_object()) {
            for (k, v) in m {
                if v.get("State").and_then(|s| s.as_str()) != Some("deleted") {
                    out.push(format!("aws {k}"));
                }
            }
        }
        out
    }

    /// Every call the stand-ins saw.
    pub fn calls(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("world/calls.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// `state.json` (null when there is none yet).
    pub fn state(&self) -> Value {
        std::fs::read_to_string(self.state_dir().join("state.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state_dir().join("apply.log")).unwrap_or_default()
    }

    /// Start over: no world, no state.
    pub fn reset(&self) {
        let _ = std::fs::remove_dir_all(self.dir.join("world"));
        let _ = std::fs::remove_dir_all(self.state_dir());
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn chmod(f: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(f, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Step ids of a preset, in plan order.
pub fn step_ids(preset: &str) -> Vec<String> {
    let r = analyze(&find(preset).unwrap().plan()).resolved;
    tunnelsmith::steps::steps(&r).into_iter().map(|s| s.id).collect()
}

/// The ids of the preset's waits (steps that poll until a state), which tolerate a failed look.
pub fn wait_ids(preset: &str) -> Vec<String> {
    let r = analyze(&find(preset).unwrap().plan()).resolved;
    tunnelsmith::steps::steps(&r).into_iter().filter(|s| s.wait.is_some()).map(|s| s.id).collect()
}

impl Lab {
    /// Edit the plan file (as JSON) in place.
    pub fn edit(&self, f: impl FnOnce(&mut Value)) {
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&self.plan).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&self.plan, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    /// The plan file's text.
    pub fn plan_text(&self) -> String {
        std::fs::read_to_string(&self.plan).unwrap()
    }

    /// Replace the plan file.
    pub fn set_plan(&self, text: &str) {
        std::fs::write(&self.plan, text).unwrap();
    }

    /// The secrets file.
    pub fn secrets_path(&self) -> PathBuf {
        self.dir.join("plan/secrets.env")
    }

    /// The stand-ins' timeline of tunnels up and down (one JSON object per change).
    pub fn timeline(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("world/timeline.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Copy the world, the state, the plan and its keys aside under `name`.
    pub fn save_as(&self, name: &str) {
        let to = self.dir.join(format!("saved-{name}"));
        let _ = std::fs::remove_dir_all(&to);
        copy_dir(&self.dir.join("world"), &to.join("world"));
        copy_dir(&self.dir.join("plan"), &to.join("plan"));
    }

    /// Put back what `save_as(name)` copied.
    pub fn restore(&self, name: &str) {
        let from = self.dir.join(format!("saved-{name}"));
        let _ = std::fs::remove_dir_all(self.dir.join("world"));
        let _ = std::fs::remove_dir_all(self.dir.join("plan"));
        copy_dir(&from.join("world"), &self.dir.join("world"));
        copy_dir(&from.join("plan"), &self.dir.join("plan"));
    }

    /// What the clouds hold, independent of generated IDs: per resource its cloud, kind and
    /// name (AWS: the `Name` tag), with the attributes a plan change alters (tunnel options,
    /// IPsec policies, local gateway addresses and ASNs, Cloud Router ASN, interfaces and peers,
    /// firewall ranges). Two worlds built from the same plan compare equal.
    pub fn inventory(&self) -> std::collections::BTreeSet<String> {
        let w = self.world();
        let mut out = std::collections::BTreeSet::new();
        let tag = |r: &Value| {
            r["Tags"].as_array().and_then(|t| t.iter().find(|x| x["Key"] == "Name")).map(|x| x["Value"].to_string())
        };
        if let Some(m) = w["aws"].as_object() {
            for r in m.values().filter(|r| r["State"] != "deleted") {
                let typ = r["_type"].as_str().unwrap_or("");
                let mut line = format!("aws {typ} {}", tag(r).unwrap_or_default());
                match typ {
                    "vpn" => {
                        let opts: Vec<Value> = r["Options"]["TunnelOptions"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|t| {
                                let mut t = t.clone();
                                t.as_object_mut().unwrap().remove("OutsideIpAddress");
                                t.as_object_mut().unwrap().remove("PreSharedKey");
                                t
                            })
                            .collect();
                        line.push_str(&format!(" {}", Value::from(opts)));
                    }
                    "cgw" => line.push_str(&format!(" asn={}", r["BgpAsn"])),
                    "rtb" | "tgw-rtb" => {
                        let mut routes: Vec<String> = r["Routes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x["DestinationCidrBlock"].to_string())
                            .collect();
                        routes.sort();
                        line.push_str(&format!(" routes={routes:?}"));
                    }
                    _ => {}
                }
                out.insert(line);
            }
        }
        if let Some(m) = w["az"].as_object() {
            for (k, r) in m {
                let mut line = format!("az {k}");
                for f in ["ipsecPolicies", "localNetworkAddressSpace", "bgpSettings"] {
                    if !r[f].is_null() && !k.contains("/vnet-gateway/") {
                        line.push_str(&format!(" {f}={}", r[f]));
                    }
                }
                out.insert(line);
            }
        }
        if let Some(m) = w["gcloud"].as_object() {
            for (k, r) in m {
                let mut line = format!("gcloud {k}");
                if k.starts_with("routers/") {
                    let mut names: Vec<String> = r["bgpPeers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| format!("{}:{}:{}", p["name"], p["peerIpAddress"], p["peerAsn"]))
                        .chain(
                            r["interfaces"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|i| format!("{}:{}", i["name"], i["ipRange"])),
                        )
                        .collect();
                    names.sort();
                    line.push_str(&format!(" asn={} {names:?}", r["bgp"]["asn"]));
                }
                if k.starts_with("firewall-rules/") {
                    line.push_str(&format!(" {}", r["source-ranges"]));
                }
                if k.starts_with("external-vpn-gateways/") {
                    line.push_str(&format!(" {}", r["redundancyType"]));
                }
                out.insert(line);
            }
        }
        out
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    if !from.exists() {
        return;
    }
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if e.file_name() != "lock" {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
