//! Golden files: every artifact of every preset, committed under `tests/golden/<preset>/` and
//! reviewed like code. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them.
//! Every artifact carries the plan's share link; no file of a bundle but `secrets.env` holds a
//! pre-shared key.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tunnelsmith::check::resolve;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::{render, RenderOptions};
use tunnelsmith::secrets::Secrets;

/// The address the goldens' share links point at.
const BASE: &str = "https://tunnelsmith.example/";

/// What the goldens are rendered with: the plan's share link, as the CLI and the web app stamp it.
fn options(plan: &tunnelsmith::plan::Plan) -> RenderOptions {
    RenderOptions { share_link: Some(tunnelsmith::share::link(BASE, plan)), traffic: None }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn files_under(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, base, out);
        } else {
            out.insert(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn artifacts_match_their_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for p in PRESETS {
        let plan = p.plan();
        let r = resolve(&plan);
        let arts = render(&r, &options(&plan));
        let dir = golden_dir().join(p.id);
        let mut expected = BTreeSet::new();
        files_under(&dir, &dir, &mut expected);
        let produced: BTreeSet<String> = arts.iter().map(|a| a.path.clone()).collect();
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            for a in &arts {
                let f = dir.join(&a.path);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(&f, &a.text).unwrap();
            }
            continue;
        }
        for missing in expected.difference(&produced) {
            failures.push(format!("{}: {missing} is in tests/golden but no longer generated", p.id));
        }
        for a in &arts {
            if !a.text.contains(&tunnelsmith::share::link(BASE, &plan)) {
                failures.push(format!("{}: {} does not carry the plan's share link", p.id, a.path));
            }
            match std::fs::read_to_string(dir.join(&a.path)) {
                Err(_) => failures.push(format!("{}: {} has no golden file", p.id, a.path)),
                Ok(g) if g != a.text => {
                    let line = g.lines().zip(a.text.lines()).position(|(x, y)| x != y).map(|n| n + 1);
                    failures.push(format!("{}: {} differs from its golden file (first at line {line:?})", p.id, a.path))
                }
                Ok(_) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(review the change, then UPDATE_GOLDEN=1 cargo test --test golden)",
        failures.join("\n")
    );
}

#[test]
fn only_secrets_files_of_a_bundle_made_with_keys_hold_them_and_output_is_deterministic() {
    for p in PRESETS {
        let plan = p.plan();
        let r = resolve(&plan);
        let mut n = 7u8;
        let secrets = Secrets::generate(&r, &mut |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_mul(31).wrapping_add(17);
                *x = n;
            }
        });
        let keys: Vec<&str> = secrets.values().collect();
        assert!(!keys.is_empty() && keys.iter().all(|k| k.len() >= 16), "{}: keys were made", p.id);
        let a = render(&r, &options(&plan));
        let b = render(&r, &options(&plan));
        assert_eq!(a, b, "{}: rendering is not deterministic", p.id);
        // Render never sees a key; what can leak one is the bundle that is given them.
        let files = tunnelsmith::bundle::files(&a, &plan, Some(&secrets));
        let mut in_secrets_env: BTreeSet<&str> = BTreeSet::new();
        for f in &files {
            let held: Vec<&&str> = keys.iter().filter(|k| f.text.contains(**k)).collect();
            if f.path.rsplit('/').next() == Some(tunnelsmith::bundle::SECRETS_FILE) {
                assert_eq!(f.mode, 0o600, "{}: {} is not private", p.id, f.path);
                if f.path == tunnelsmith::bundle::SECRETS_FILE {
                    in_secrets_env.extend(held.into_iter().copied());
                }
                continue;
            }
            assert!(held.is_empty(), "{}: {} contains a pre-shared key", p.id, f.path);
            assert!(
                !f.text.contains("<placeholder>") && !f.text.contains("REPLACE_ME"),
                "{}: {} has a placeholder",
                p.id,
                f.path
            );
        }
        // Tunnels may share a key (an Azure connection's two tunnels): every distinct one.
        assert_eq!(in_secrets_env, keys.iter().copied().collect(), "{}: secrets.env holds every key", p.id);
    }
}
