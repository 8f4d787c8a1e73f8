//! The install scripts survive package lists older than the archive (issue 17).
//!
//! A fresh machine's apt lists can name a package version whose file is already gone from the
//! mirror: `apt-get install` / `apt-get download` then fail with 404 until `apt-get update` has run.
//! These tests run the real install scripts with a fake `apt-get` (and `dpkg-query`, `dpkg`,
//! `apt-cache`, `id`) first on `PATH` that behaves exactly so, and check that every script
//! recovers by updating once and trying again, and that a package that cannot be had at all stops
//! the script with a message naming it. Nothing here touches the machine's packages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fake tools. State lives in `$FAKE_APT_STATE`: `updated` once `apt-get update` ran,
/// `installed` (one package a line), `calls` (every apt-get call, one a line).
/// `FAKE_APT_MODE=stale`: install and download answer 404 until `update` ran;
/// `FAKE_APT_MODE=gone`: they answer 404 whatever happens (the package left the archive).
const APT_GET: &str = r#"#!/usr/bin/env bash
set -u
s="$FAKE_APT_STATE"
echo "$*" >>"$s/calls"
sub=""
pkgs=()
for a in "$@"; do
  case "$a" in
    -*|*=*) ;;
    update|install|download) [[ -z "$sub" ]] && sub="$a" || pkgs+=("$a") ;;
    *) pkgs+=("$a") ;;
  esac
done
case "$sub" in
  update) touch "$s/updated"; echo "Reading package lists... Done"; exit 0 ;;
  install|download)
    if [[ "$FAKE_APT_MODE" == gone || ! -e "$s/updated" ]]; then
      for p in "${pkgs[@]}"; do
        echo "E: Failed to fetch http://deb.example/debian-security/pool/main/${p}_1.0+deb12u4_amd64.deb  404  Not Found" >&2
      done
      exit 100
    fi
    for p in "${pkgs[@]}"; do
      if [[ "$sub" == install ]]; then echo "$p" >>"$s/installed"; else : >"${p}_1.1_amd64.deb"; fi
    done
    exit 0 ;;
esac
echo "fake apt-get: unexpected call: $*" >&2
exit 2
"#;

const DPKG_QUERY: &str = r#"#!/usr/bin/env bash
p="${!#}"
if grep -qx "$p" "$FAKE_APT_STATE/installed" 2>/dev/null; then echo -n "install ok installed"; exit 0; fi
echo "dpkg-query: no packages found matching $p" >&2
exit 1
"#;

/// `dpkg -x DEB DIR`: makes the files the appliance script looks for after unpacking.
const DPKG: &str = r#"#!/usr/bin/env bash
[[ "$1" == -x ]] || { echo "fake dpkg: unexpected call: $*" >&2; exit 2; }
mkdir -p "$3/usr/lib/ipsec/plugins" "$3/usr/sbin"
echo "$(basename "$2")" >>"$3/unpacked"
"#;

const APT_CACHE: &str = r#"#!/usr/bin/env bash
# The stale lists do have a candidate: that is the trap.
echo "  Installed: (none)"
echo "  Candidate: 1.0+deb12u4"
"#;

const ID: &str = r#"#!/usr/bin/env bash
[[ "$1" == -u ]] && { echo 0; exit 0; }
exec /usr/bin/id "$@"
"#;

/// What install-appliance-tools.sh installs from Debian, less libreswan.
const APPLIANCE_PACKAGES_BUT_LIBRESWAN: &[&str] = &[
    "nftables",
    "iproute2",
    "iputils-ping",
    "shellcheck",
    "libgmp10",
    "libcap2",
    "libssl3",
    "libip4tc2",
    "libpam0g",
    "libsystemd0",
];

struct Fake {
    dir: PathBuf,
}

impl Fake {
    fn new(tag: &str, installed: &[&str]) -> Fake {
        let dir = std::env::temp_dir().join(format!("tunnelsmith-fake-apt-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["bin", "state", "root"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for (name, body) in
            [("apt-get", APT_GET), ("dpkg-query", DPKG_QUERY), ("dpkg", DPKG), ("apt-cache", APT_CACHE), ("id", ID)]
        {
            let p = dir.join("bin").join(name);
            std::fs::write(&p, body).unwrap();
            make_executable(&p);
        }
        std::fs::write(dir.join("state/installed"), installed.iter().map(|p| format!("{p}\n")).collect::<String>())
            .unwrap();
        Fake { dir }
    }

    /// Runs `bash SCRIPT ARGS` from the repository root with the fakes first on PATH.
    fn run(&self, mode: &str, script: &str, extra_env: &[(&str, String)]) -> Output {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = format!("{}:{}", self.dir.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = Command::new("bash");
        cmd.arg(script).current_dir(root).env("PATH", path).env("FAKE_APT_STATE", self.dir.join("state"));
        cmd.env("FAKE_APT_MODE", mode).env("TMPDIR", self.dir.join("root"));
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().expect("bash runs")
    }

    /// Runs scripts/install-appliance-tools.sh with strongSwan unpacked under the fake's folder;
    /// the output and that folder.
    fn run_appliance_script(&self, mode: &str) -> (Output, PathBuf) {
        let ss_root = self.dir.join("root/strongswan");
        let out =
            self.run(mode, "scripts/install-appliance-tools.sh", &[("STRONGSWAN_ROOT", ss_root.display().to_string())]);
        (out, ss_root)
    }

    /// Runs a snippet that sources scripts/lib/apt.sh.
    fn run_lib(&self, mode: &str, snippet: &str) -> Output {
        let script = self.dir.join("snippet.sh");
        std::fs::write(&script, format!("set -euo pipefail\nAPT_TAG=test\nsource scripts/lib/apt.sh\n{snippet}\n"))
            .unwrap();
        self.run(mode, script.to_str().unwrap(), &[])
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("state/calls")).unwrap_or_default().lines().map(String::from).collect()
    }

    fn updates(&self) -> usize {
        self.calls().iter().filter(|c| c.split_whitespace().any(|w| w == "update")).count()
    }

    fn installed(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("state/installed")).unwrap().lines().map(String::from).collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(unix)]
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_appliance_tools_install_recovers_from_stale_package_lists() {
    // Everything but libreswan and the strongSwan download is "installed" already.
    let fake = Fake::new("appliance-stale", APPLIANCE_PACKAGES_BUT_LIBRESWAN);
    let (out, ss_root) = fake.run_appliance_script("stale");
    let log = text(&out);
    assert!(out.status.success(), "the script must recover after one apt-get update:\n{log}");
    assert_eq!(fake.updates(), 1, "apt-get update exactly once: {:?}", fake.calls());
    assert!(fake.installed().contains(&"libreswan".to_string()), "{log}");
    assert!(log.contains("skip: apt package nftables is installed"), "installed packages are skipped:\n{log}");
    // The install failed, the lists were updated, the install ran again; the download then
    // succeeded at once (the lists are fresh now), and the packages were unpacked.
    let calls = fake.calls();
    let first_install = calls.iter().position(|c| c.contains("install")).unwrap();
    let update = calls.iter().position(|c| c.contains("update")).unwrap();
    assert!(first_install < update, "{calls:?}");
    assert_eq!(calls.iter().filter(|c| c.contains("install")).count(), 2, "{calls:?}");
    assert_eq!(calls.iter().filter(|c| c.contains("download")).count(), 1, "{calls:?}");
    let unpacked = std::fs::read_to_string(ss_root.join("unpacked")).unwrap();
    assert!(unpacked.contains("strongswan-charon_1.1_amd64.deb"), "{unpacked}");
    assert!(std::fs::read_to_string(ss_root.join(".packages")).unwrap().contains("strongswan-swanctl"));
}

#[test]
fn a_download_that_404s_is_retried_after_an_update() {
    // The case that broke CI: every package installed, only the strongSwan download is stale.
    let mut all = vec!["libreswan"];
    all.extend_from_slice(APPLIANCE_PACKAGES_BUT_LIBRESWAN);
    let fake = Fake::new("download-stale", &all);
    let (out, _) = fake.run_appliance_script("stale");
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert_eq!(fake.updates(), 1, "{:?}", fake.calls());
    assert_eq!(fake.calls().iter().filter(|c| c.contains("download")).count(), 2, "{:?}", fake.calls());
    assert!(log.contains("404  Not Found"), "the first failure is shown:\n{log}");
    assert!(log.contains("apt-get update, then once more"), "the retry is said:\n{log}");
}

#[test]
fn a_package_gone_for_good_stops_the_script_naming_it() {
    let fake = Fake::new("gone", &[]);
    let (out, ss_root) = fake.run_appliance_script("gone");
    let log = text(&out);
    assert!(!out.status.success(), "a package that cannot be had must fail the script:\n{log}");
    assert_eq!(fake.updates(), 1, "one update, not a loop: {:?}", fake.calls());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().rfind(|l| l.contains("error:")).unwrap_or_default();
    assert!(last.contains("libreswan") && last.contains("even after apt-get update"), "{log}");
    assert!(!ss_root.join(".packages").exists(), "nothing may claim to be installed");
}

#[test]
fn the_helper_skips_installed_packages_and_returns_its_status_inside_if() {
    let fake = Fake::new("lib", &["brotli"]);
    // Installed: no apt-get call at all.
    let out = fake.run_lib("gone", "apt_install brotli");
    assert!(out.status.success(), "{}", text(&out));
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    // Used as a condition (as install-bench-tools.sh does for the optional hyperfine), a failure
    // is a return value, not an exit, and the message still names the package.
    let out = fake.run_lib("gone", "if apt_install hyperfine; then echo got-it; else echo fell-back; fi");
    let log = text(&out);
    assert!(out.status.success() && log.contains("fell-back"), "{log}");
    assert!(log.contains("error: apt-get install hyperfine failed"), "{log}");
    // A second failing package in the same run does not update again.
    let out = fake.run_lib("gone", "apt_install a || true; apt_install b || true");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fake.updates(), 2, "one update per script run (two runs so far): {:?}", fake.calls());
}

#[test]
fn every_install_script_uses_the_helper() {
    // apt-get install / download anywhere else would not retry after a stale 404.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = vec![root.join("Makefile"), root.join(".ci/run")];
    for dir in ["scripts", "mk"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    let mut offenders = Vec::new();
    let mut users = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or("");
            if code.contains("apt-get install") || code.contains("apt-get download") {
                offenders.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
        if text.contains("source") && text.contains("lib/apt.sh") {
            users += 1;
        }
    }
    assert!(offenders.is_empty(), "apt-get called outside scripts/lib/apt.sh:\n{}", offenders.join("\n"));
    assert!(users >= 4, "bootstrap and the three install-*-tools scripts source scripts/lib/apt.sh ({users})");
}
