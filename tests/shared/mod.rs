//! Files from `../shared/` beside the checkout (the team's reference, the VyOS grammar): never
//! copied into the repository, so a lone clone does not have them.
//!
//! `shared_path(rel, what)` gives the path when it exists. When it does not: under `CI=true` the
//! test fails (CI always has `../shared`, so a missing one is a broken run, not a skip); anywhere
//! else the test says in one line that it was skipped and why, and passes.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

pub fn shared_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

pub fn shared_path(rel: &str, what: &str) -> Option<PathBuf> {
    let p = shared_root().join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!("{} is missing ({what}; `shared/` beside the checkout)", p.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}: CI always has it");
    }
    // Once per file and test binary, straight to the process's stderr: libtest captures only the
    // print macros, and this line must be seen in a passing run.
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    if !SAID.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string()) {
        return None;
    }
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {what}: {} not found (a lone clone has no ../shared; CI runs this)",
        p.display()
    );
    None
}
