//! Every `set` command Tunnelsmith generates for VyOS exists in the VyOS configuration grammar of
//! its version: the interface definitions of vyos-1x (`sagitta` = 1.4, `current` = 1.5 and
//! rolling), read from `../shared/vyos-defs/` beside the repository (never copied into it).
//!
//! A path is valid when each word names a child of the node before it, every tag node is followed
//! by a name its constraint accepts, a leaf node by exactly one value its constraint accepts (none
//! when the leaf is valueless), and nothing follows a leaf. Constraints are VyOS's: a value passes
//! when any of the node's regexes (anchored) or validators accepts it.
//!
//! VyOS 1.3 (equuleus) has no XML for its site-to-site VPN (it lived in the legacy Perl package),
//! so 1.3 output is checked by the renderer's unit tests against ike-facts §6.2, and here only
//! shown to be rejected by the 1.4 grammar (the two syntaxes really differ).

use regex::Regex;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use tunnelsmith::check::resolve;
use tunnelsmith::plan::{Crypto, Encryption, Gateway, Plan, Routing};
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::{render, RenderOptions};

mod shared;

// ---- the grammar ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Tag,
    Leaf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    Regex(String),
    Validator(String, String),
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    valueless: bool,
    constraints: Vec<Check>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn new(kind: Kind) -> Node {
        Node { kind, valueless: false, constraints: Vec::new(), children: BTreeMap::new() }
    }
}

/// A version's grammar: the node tree of the definition files shipped in vyos-defs, and the
/// top-level files vyos-1x has (TOPLEVEL_FILES) whose XML was not shipped.
struct Grammar {
    name: &'static str,
    root: Node,
    unshipped: Vec<String>,
}

fn defs_dir() -> PathBuf {
    shared::shared_root().join("vyos-defs")
}

/// The file's text with every `#include <include/…>` replaced by that file, recursively.
fn expand(base: &Path, file: &Path, depth: u32) -> String {
    assert!(depth < 20, "include loop at {}", file.display());
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("#include <") {
            let inc = rest.trim_end_matches('>');
            out.push_str(&expand(base, &base.join(inc), depth + 1));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    // Only the outer file keeps its XML declaration.
    if depth > 0 {
        out = out.replace("<?xml version=\"1.0\"?>", "");
    }
    out
}

fn element_kind(name: &str) -> Option<Kind> {
    match name {
        "node" => Some(Kind::Node),
        "tagNode" => Some(Kind::Tag),
        "leafNode" => Some(Kind::Leaf),
        _ => None,
    }
}

fn merge(into: &mut BTreeMap<String, Node>, el: roxmltree::Node) {
    let Some(kind) = element_kind(el.tag_name().name()) else { return };
    let name = el.attribute("name").expect("node without a name").to_string();
    let node = into.entry(name).or_insert_with(|| Node::new(kind));
    assert_eq!(node.kind, kind, "node defined as two kinds");
    for part in el.children().filter(|c| c.is_element()) {
        match part.tag_name().name() {
            "properties" => {
                for p in part.children().filter(|c| c.is_element()) {
                    match p.tag_name().name() {
                        "valueless" => node.valueless = true,
                        "constraint" => {
                            for c in p.children().filter(|c| c.is_element()) {
                                let check = match c.tag_name().name() {
                                    "regex" => Check::Regex(c.text().unwrap_or_default().to_string()),
                                    "validator" => Check::Validator(
                                        c.attribute("name").unwrap_or_default().to_string(),
                                        c.attribute("argument").unwrap_or_default().to_string(),
                                    ),
                                    _ => continue,
                                };
                                if !node.constraints.contains(&check) {
                                    node.constraints.push(check);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            "children" => {
                for c in part.children().filter(|c| c.is_element()) {
                    merge(&mut node.children, c);
                }
            }
            _ => {}
        }
    }
}

fn load(name: &'static str) -> Option<Grammar> {
    let dir = defs_dir().join(name);
    if !dir.is_dir() {
        return None;
    }
    let mut root = Node::new(Kind::Node);
    let mut shipped = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = file.strip_suffix(".xml.in") {
            shipped.push(stem.to_string());
            let text = expand(&dir, &path, 0);
            let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            for el in doc.root_element().children().filter(|c| c.is_element()) {
                merge(&mut root.children, el);
            }
        }
    }
    assert!(!shipped.is_empty(), "no interface definitions in {}", dir.display());
    let unshipped = std::fs::read_to_string(dir.join("TOPLEVEL_FILES"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !shipped.iter().any(|s| s == l))
        .map(String::from)
        .collect();
    Some(Grammar { name, root, unshipped })
}

/// Both grammars, or none (with a skip line) in a lone clone; a `vyos-defs` that is there but
/// lacks one of them is an error.
fn grammars() -> Vec<Grammar> {
    if shared::shared_path("vyos-defs", "the VyOS grammar check of the generated set commands").is_none() {
        return Vec::new();
    }
    let found: Vec<Grammar> = ["sagitta", "current"].into_iter().filter_map(load).collect();
    assert_eq!(found.len(), 2, "{} lacks the sagitta or current definitions", defs_dir().display());
    found
}

// ---- validators ----------------------------------------------------------------------------------

fn validate(check: &Check, value: &str) -> bool {
    match check {
        Check::Regex(re) => {
            Regex::new(&format!("^(?:{re})$")).unwrap_or_else(|e| panic!("regex {re}: {e}")).is_match(value)
        }
        Check::Validator(name, arg) => match name.as_str() {
            "numeric" => {
                let Ok(n) = value.parse::<u64>() else { return false };
                if let Some(range) = arg.strip_prefix("--range ") {
                    let (lo, hi) = range.split_once('-').expect("range");
                    (lo.parse::<u64>().unwrap()..=hi.parse::<u64>().unwrap()).contains(&n)
                } else {
                    assert!(arg.is_empty() || arg == "--non-negative" || arg == "--positive", "numeric {arg}");
                    arg != "--positive" || n > 0
                }
            }
            "ipv4-address" => value.parse::<Ipv4Addr>().is_ok(),
            "ipv6-address" => value.parse::<Ipv6Addr>().is_ok(),
            "ip-address" => value.parse::<Ipv4Addr>().is_ok() || value.parse::<Ipv6Addr>().is_ok(),
            "ipv4-prefix" => prefix::<Ipv4Addr>(value, 32),
            "ipv6-prefix" => prefix::<Ipv6Addr>(value, 128),
            "ip-prefix" => prefix::<Ipv4Addr>(value, 32) || prefix::<Ipv6Addr>(value, 128),
            "ipv4-host" | "ip-host" => {
                value.split_once('/').is_some_and(|(a, _)| a.parse::<Ipv4Addr>().is_ok())
                    && prefix::<Ipv4Addr>(value, 32)
            }
            // Host names: dot-separated labels, the last one not all digits (RFC 1123).
            "fqdn" => {
                let label = Regex::new("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$").unwrap();
                value.split('.').all(|l| label.is_match(l))
                    && !value.rsplit('.').next().unwrap_or_default().chars().all(|c| c.is_ascii_digit())
            }
            other => panic!("validator {other} is not implemented by this test; add it before relying on it"),
        },
    }
}

/// `addr/len` with the host bits zero.
fn prefix<A: std::str::FromStr + Into<std::net::IpAddr>>(value: &str, max: u8) -> bool {
    let Some((a, l)) = value.split_once('/') else { return false };
    let (Ok(a), Ok(l)) = (a.parse::<A>(), l.parse::<u8>()) else { return false };
    l <= max && ipnet::IpNet::new(a.into(), l).is_ok()
}

fn accepts(node: &Node, value: &str) -> bool {
    node.constraints.is_empty() || node.constraints.iter().any(|c| validate(c, value))
}

/// Whether the path's top-level file (`protocols_static`, or one named by a single word such as
/// `policy`) was not shipped: then only its top-level node is known.
fn unshipped(g: &Grammar, words: &[String]) -> bool {
    let first = words.first().map(String::as_str).unwrap_or("");
    let two = format!("{first}_{}", words.get(1).map(String::as_str).unwrap_or(""));
    g.unshipped.contains(&two) || g.unshipped.iter().any(|u| u == first)
}

/// Why a `set` path is not in the grammar, if it is not.
fn check_path(g: &Grammar, words: &[String]) -> Result<(), String> {
    if unshipped(g, words) {
        return Ok(()); // counted separately: only the top-level node is known
    }
    let mut node = &g.root;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let Some(child) = node.children.get(w) else {
            return Err(format!("'{w}' is not a child of '{}'", words[..i].join(" ")));
        };
        i += 1;
        match child.kind {
            Kind::Node => {}
            Kind::Tag => {
                let Some(v) = words.get(i) else { return Err(format!("tag node '{w}' needs a name")) };
                if !accepts(child, v) {
                    return Err(format!("'{v}' is not a valid name for '{w}' ({:?})", child.constraints));
                }
                i += 1;
            }
            Kind::Leaf => {
                let rest = &words[i..];
                return match (child.valueless, rest) {
                    (true, []) => Ok(()),
                    (true, _) => Err(format!("'{w}' is valueless but got {rest:?}")),
                    (false, []) => Err(format!("'{w}' needs a value")),
                    (false, [v]) if accepts(child, v) => Ok(()),
                    (false, [v]) => Err(format!("'{v}' is not a valid value of '{w}' ({:?})", child.constraints)),
                    (false, _) => Err(format!("'{w}' takes one value, got {rest:?}")),
                };
            }
        }
        node = child;
    }
    Ok(())
}

// ---- the generated commands ----------------------------------------------------------------------

/// Run-time values as the install script would have them.
fn runtime_value(name: &str) -> String {
    if name == "wan_if" {
        "eth0".into()
    } else if name.starts_with("PSK_") {
        "Zq8.k_3Pw0vX2nRt5LmA9bYc7dEf1gHj".into()
    } else {
        assert!(name.ends_with("_IP") || name.contains("_IP_"), "unexpected run-time value {name}");
        "203.0.113.77".into()
    }
}

/// Shell words of a line, with `$NAME` / `${NAME}` filled in and quotes removed.
fn words(line: &str) -> Vec<String> {
    let var = Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").unwrap();
    let line = var.replace_all(line, |c: &regex::Captures| runtime_value(&c[1])).to_string();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => {
                cur.push(c);
                started = true
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes in {line}");
    if started {
        out.push(cur);
    }
    out
}

/// The `set` paths of a generated VyOS script.
fn set_paths(script: &str) -> Vec<Vec<String>> {
    script.lines().filter_map(|l| l.strip_prefix("set ")).map(words).collect()
}

fn plan_of(id: &str) -> Plan {
    PRESETS.iter().find(|p| p.id.starts_with(id)).unwrap().plan()
}

fn set_vyos(plan: &mut Plan, site: usize, v: &str) {
    if let Gateway::Appliance { version, .. } = &mut plan.sites[site].gateway {
        *version = v.into();
    }
}

/// VyOS plans: the seed 000 preset and variants that exercise the other paths.
fn vyos_plans() -> Vec<(String, Plan)> {
    let mut out = vec![("000".to_string(), plan_of("000"))];
    let mut v15 = plan_of("000");
    set_vyos(&mut v15, 0, "1.5");
    out.push(("000 on VyOS 1.5".into(), v15));
    // GCM in both phases, no PFS.
    let mut gcm = plan_of("000");
    gcm.links[0].crypto = Crypto {
        phase1_encryption: Some(Encryption::Aes256Gcm16),
        phase2_encryption: Some(Encryption::Aes128Gcm16),
        pfs_group: Some(0),
        ..Crypto::default()
    };
    out.push(("000 with AES-GCM and no PFS".into(), gcm));
    // VyOS to an AWS VGW over BGP: two tunnels, neighbours, system-as.
    let mut bgp = plan_of("003");
    bgp.sites[0].gateway = Gateway::Appliance {
        software: tunnelsmith::plan::Software::Vyos,
        version: "1.4".into(),
        public_ip: String::new(),
        private_ip: "10.50.0.10".into(),
        asn: Some(65010),
    };
    bgp.links[0].routing = Routing::Bgp;
    out.push(("VyOS 1.4 to AWS over BGP".into(), bgp));
    // Two tunnels to active-active Azure over BGP: both sessions from one address (issue 19;
    // 1.3 has no grammar here).
    for v in ["1.4", "1.5"] {
        let mut aa = plan_of("000");
        set_vyos(&mut aa, 0, v);
        if let Gateway::AzureVpnGateway { active_active, .. } = &mut aa.sites[1].gateway {
            *active_active = true;
        }
        aa.links[0].routing = Routing::Bgp;
        out.push((format!("VyOS {v} to active-active Azure over BGP"), aa));
    }
    out
}

fn vyos_scripts(plan: &Plan) -> Vec<(String, String, String)> {
    let r = resolve(plan);
    render(&r, &RenderOptions::default())
        .into_iter()
        .filter(|a| a.path.ends_with("/vyos/install.sh"))
        .map(|a| {
            let site = a.path.split('/').next().unwrap().to_string();
            let version = r
                .sites
                .iter()
                .find(|s| s.name == site)
                .and_then(|s| match &s.gateway {
                    Gateway::Appliance { version, .. } => Some(version.clone()),
                    _ => None,
                })
                .unwrap();
            (a.path, version, a.text)
        })
        .collect()
}

fn grammar_for<'g>(gs: &'g [Grammar], version: &str) -> &'g Grammar {
    let name = if version == "1.4" { "sagitta" } else { "current" };
    gs.iter().find(|g| g.name == name).unwrap()
}

#[test]
fn every_generated_set_path_is_in_the_grammar_of_its_version() {
    let gs = grammars();
    if gs.len() < 2 {
        return;
    }
    let mut checked = 0;
    let mut top_only = Vec::new();
    let mut failures = Vec::new();
    for (label, plan) in vyos_plans() {
        let scripts = vyos_scripts(&plan);
        assert!(!scripts.is_empty(), "{label}: no VyOS script generated");
        for (path, version, text) in scripts {
            let g = grammar_for(&gs, &version);
            let paths = set_paths(&text);
            assert!(paths.len() > 20, "{label}: only {} set commands in {path}", paths.len());
            for p in paths {
                match check_path(g, &p) {
                    Ok(()) => {
                        if unshipped(g, &p) {
                            top_only.push(p.join(" "));
                        } else {
                            checked += 1;
                        }
                    }
                    Err(e) => failures.push(format!("{label} ({}, {}): set {}\n    {e}", g.name, path, p.join(" "))),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} paths are not in the grammar:\n{}", failures.len(), failures.join("\n"));
    // Static routes and the loopback address: vyos-defs ships no protocols_static.xml.in and no
    // interfaces_loopback.xml.in, only their top-level names. Nor policy.xml.in: the outbound
    // filter's prefix lists are checked against the nodes of vyos-1x
    // interface-definitions/policy.xml.in (tag `prefix-list` named [A-Za-z0-9_-], `description`,
    // tag `rule` 1-65535 with `action` permit|deny and `prefix` ipv4net).
    let policy = Regex::new(
        r"^policy prefix-list [A-Za-z0-9_-]+ (description .+|rule [1-9][0-9]{0,4} (action (permit|deny)|prefix \d{1,3}(\.\d{1,3}){3}/\d{1,2}))$",
    )
    .unwrap();
    assert!(
        top_only.iter().all(|p| p.starts_with("protocols static route ")
            || p.starts_with("interfaces loopback lo address ")
            || policy.is_match(p)),
        "{top_only:?}"
    );
    println!(
        "{checked} set paths checked against the grammar; {} static route and prefix-list paths checked to the top level (prefix lists to policy.xml.in's nodes)",
        top_only.len()
    );
}

#[test]
fn the_grammar_rejects_what_vyos_rejects() {
    let gs = grammars();
    if gs.is_empty() {
        return;
    }
    let g = grammar_for(&gs, "1.4");
    let bad = [
        // 1.3 syntax and names with dots are not 1.4 paths.
        "vpn ipsec ipsec-interfaces interface eth0",
        "vpn ipsec site-to-site peer 192.0.2.1 connection-type initiate",
        "vpn ipsec site-to-site peer x authentication pre-shared-secret k",
        "vpn ipsec esp-group E pfs dh-group99",
        "vpn ipsec ike-group I proposal 1 dh-group 13",
        "vpn ipsec ike-group I dead-peer-detection interval 1",
        "vpn ipsec options disable-route-autoinstall yes",
        "interfaces vti tun0 address 169.254.10.1/30",
        "interfaces vti vti1 ip adjust-mss",
        "interfaces vti vti1 ip adjust-mss 100",
        "vpn ipsec site-to-site peer x remote-address 203.0.113.300",
        "vpn ipsec site-to-site peer x remote-address 'two words'",
        "protocols bgp neighbor 169.254.10.1 address-family ipv4-unicast extra",
        "protocols bgp 65000 neighbor 169.254.10.1 remote-as 64512",
    ];
    for line in bad {
        assert!(check_path(g, &words(line)).is_err(), "accepted: {line}");
    }
    let good = [
        "vpn ipsec site-to-site peer aws-azure-t1 remote-address 203.0.113.5",
        "interfaces vti vti1 ip adjust-mss 1350",
        "protocols bgp system-as 65000",
    ];
    for line in good {
        assert_eq!(check_path(g, &words(line)), Ok(()), "{line}");
    }
}

#[test]
fn vyos_13_output_is_not_14_syntax() {
    let gs = grammars();
    if gs.is_empty() {
        return;
    }
    let mut plan = plan_of("000");
    set_vyos(&mut plan, 0, "1.3");
    let (_, version, text) = vyos_scripts(&plan).remove(0);
    assert_eq!(version, "1.3");
    let g = grammar_for(&gs, "1.4");
    let rejected: Vec<String> =
        set_paths(&text).into_iter().filter(|p| check_path(g, p).is_err()).map(|p| p.join(" ")).collect();
    for want in ["vpn ipsec ipsec-interfaces", "authentication pre-shared-secret", "ikev2-reauth no"] {
        assert!(rejected.iter().any(|p| p.contains(want)), "{want} not among the 1.3-only paths: {rejected:#?}");
    }
}
