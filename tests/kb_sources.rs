//! Every source key the knowledge base cites is explained in `docs/kb-sources.md`, and the keys
//! that page says come from the team's platform reference (`../shared/reference/ike-facts.md`)
//! are in it (checked where `../shared` is present; always under `CI=true`).

mod shared;

use std::collections::BTreeSet;
use std::path::Path;

fn keys_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices('[') {
        let rest = &text[i + 1..];
        if let Some(end) = rest.find(']') {
            let k = &rest[..end];
            if k.len() >= 4
                && k.contains('-')
                && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            {
                out.insert(k.to_string());
            }
        }
    }
    out
}

/// Keys defined by a `| KEY | source |` table row.
fn defined_in(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .flat_map(|k| k.split(" / ").map(str::trim).map(String::from).collect::<Vec<_>>())
        .filter(|k| k.len() >= 2 && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'))
        .collect()
}

fn read_tree(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            read_tree(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
}

/// The keys of one `## ` section of a Markdown page (its table rows).
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text.find(heading).unwrap_or_else(|| panic!("no section {heading:?}"));
    let rest = &text[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

fn docs() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/kb-sources.md")).unwrap()
}

#[test]
fn every_cited_source_key_is_explained_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut code = String::new();
    read_tree(&root.join("src/kb"), &mut code);
    read_tree(&root.join("src/check"), &mut code);
    // The interop lab's behaviour tables and the platform rules it emulates.
    read_tree(&root.join("tests/lab"), &mut code);
    let cited = keys_in(&code);
    assert!(cited.len() > 30, "expected the kb to cite its sources, found {cited:?}");
    let defined = defined_in(&docs());
    let undefined: Vec<&String> = cited.iter().filter(|k| !defined.contains(*k)).collect();
    assert!(undefined.is_empty(), "source keys cited but not explained in docs/kb-sources.md: {undefined:?}");
}

#[test]
fn the_keys_said_to_come_from_the_reference_are_in_it() {
    let Some(reference) = shared::shared_path("reference/ike-facts.md", "kb source keys against the team's reference")
    else {
        return;
    };
    let reference = defined_in(&std::fs::read_to_string(reference).unwrap());
    let docs = docs();
    let ours = defined_in(section(&docs, "## Keys from the team's platform reference"));
    assert!(ours.len() > 30, "{ours:?}");
    let missing: Vec<&String> = ours.iter().filter(|k| !reference.contains(*k)).collect();
    assert!(missing.is_empty(), "docs/kb-sources.md says these come from ike-facts.md, which lacks them: {missing:?}");
    // And the page's own keys are not the reference's under another description.
    let added = defined_in(section(&docs, "## Keys added here"));
    let both: Vec<&String> = added.iter().filter(|k| reference.contains(*k)).collect();
    assert!(both.is_empty(), "keys in the reference belong in the first table: {both:?}");
}
