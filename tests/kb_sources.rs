//! Every source key the knowledge base cites is defined: in the team's platform reference
//! (`../shared/reference/ike-facts.md`, §10) or in `docs/kb-sources.md`.

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

#[test]
fn every_cited_source_key_is_defined() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut code = String::new();
    read_tree(&root.join("src/kb"), &mut code);
    read_tree(&root.join("src/check"), &mut code);
    // The interop lab's behaviour tables and the platform rules it emulates.
    read_tree(&root.join("tests/lab"), &mut code);
    let cited = keys_in(&code);
    assert!(cited.len() > 30, "expected the kb to cite its sources, found {cited:?}");

    let docs = std::fs::read_to_string(root.join("docs/kb-sources.md")).unwrap();
    let mut defined = defined_in(&docs);
    let reference = root.join("../shared/reference/ike-facts.md");
    match std::fs::read_to_string(&reference) {
        Ok(text) => defined.extend(defined_in(&text)),
        Err(_) => {
            // CI and developers always have shared/ beside the checkout; say so if not.
            panic!("{} is missing: the knowledge base's sources are defined there", reference.display());
        }
    }
    let undefined: Vec<&String> = cited.iter().filter(|k| !defined.contains(*k)).collect();
    assert!(undefined.is_empty(), "source keys cited but defined nowhere: {undefined:?}");
}
