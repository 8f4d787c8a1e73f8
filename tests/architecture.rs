//! docs/ARCHITECTURE.md's module table is a layer order: "each depends only on those above it".
//! This reads the table and every module's source (outside its tests) and holds the code to it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The modules of the table "## Modules (`src/`)", in its order (the `bin/` rows left out).
fn layers() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let table = doc.split("## Modules (`src/`)").nth(1).expect("the modules section");
    table
        .lines()
        .skip_while(|l| !l.starts_with("| module |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .filter(|m| !m.contains('/'))
        .map(str::to_string)
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules `crate::…` names in the code of `module`, leaving out tests and comments.
fn uses(module: &str) -> Vec<(String, String)> {
    let src = root().join("src");
    let mut files = Vec::new();
    if src.join(module).is_dir() {
        sources(&src.join(module), &mut files);
    }
    if src.join(format!("{module}.rs")).is_file() {
        files.push(src.join(format!("{module}.rs")));
    }
    assert!(!files.is_empty(), "ARCHITECTURE.md names a module `{module}` that src/ does not have");
    let mut out = Vec::new();
    for f in files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Test modules close the files here; what follows `#[cfg(test)]` is test code.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
            for part in line.split("crate::").skip(1) {
                let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if name != module && !name.is_empty() && !name.chars().next().unwrap().is_ascii_uppercase() {
                    out.push((name, format!("{}: {}", f.strip_prefix(root()).unwrap().display(), line.trim())));
                }
            }
        }
    }
    out
}

#[test]
fn each_module_depends_only_on_those_above_it() {
    let order = layers();
    assert!(order.len() >= 12 && order[0] == "plan", "the table was not read: {order:?}");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (i, m) in order.iter().enumerate() {
        for (dep, at) in uses(m) {
            checked += 1;
            match order.iter().position(|x| *x == dep) {
                Some(j) if j < i => {}
                Some(_) => wrong.push(format!("`{m}` uses `{dep}`, listed below it ({at})")),
                None if dep == "VERSION" => {}
                None => wrong.push(format!("`{m}` uses `{dep}`, which the table does not list ({at})")),
            }
        }
    }
    assert!(checked > 50, "only {checked} uses found: the scan is broken");
    assert!(wrong.is_empty(), "docs/ARCHITECTURE.md's layer order is not the code's:\n{}", wrong.join("\n"));
}
