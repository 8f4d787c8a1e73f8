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
fn no_artifact_contains_a_secret_and_output_is_deterministic() {
    for p in PRESETS {
        let r = resolve(&p.plan());
        let mut n = 7u8;
        let secrets = Secrets::generate(&r, &mut |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_mul(31).wrapping_add(17);
                *x = n;
            }
        });
        let a = render(&r, &RenderOptions::default());
        let b = render(&r, &RenderOptions::default());
        assert_eq!(a, b, "{}: rendering is not deterministic", p.id);
        for art in &a {
            for key in secrets.values() {
                assert!(!art.text.contains(key), "{}: {} contains a pre-shared key", p.id, art.path);
            }
            assert!(
                !art.text.contains("<placeholder>") && !art.text.contains("REPLACE_ME"),
                "{}: {} has a placeholder",
                p.id,
                art.path
            );
        }
    }
}
