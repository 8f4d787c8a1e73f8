//! The pairing matrix: every pairing the plan model accepts, as `check` and the pairing table
//! (`kb::pairing`) decide it, written to `docs/pairing-matrix.md`.
//!
//! Each cell is a two-site plan built here and run through `analyze`, so the document says what
//! the code does, not what someone remembered: "refused" cells carry the error `check` raises
//! (code, why, what to do instead), "generated" cells the pairing table's row (what each end
//! creates, the tunnels, inside addresses, who initiates, sources). The test fails when the
//! committed document differs from what the code produces; `UPDATE_MATRIX=1 cargo test --test
//! pairing_matrix` rewrites it. It also fails when the table and `check` disagree, and renders
//! every accepted cell (steps whose inputs all have producers, every artifact).

#[path = "lab/proofs.rs"]
mod proofs;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;
use tunnelsmith::check::{analyze, Analysis};
use tunnelsmith::kb::crypto::versions_of;
use tunnelsmith::kb::pairing::{row_for, verdict, Class, Initiator, Inside, Layout, Outcome, Verdict};
use tunnelsmith::plan::*;
use tunnelsmith::render::{render, RenderOptions};
use tunnelsmith::steps::steps;

/// What one end of a cell is.
#[derive(Clone, Copy, Debug)]
enum End {
    Class(Class),
    Appliance { software: Software, version: &'static str, host: Platform },
}

impl End {
    fn label(self) -> String {
        match self {
            End::Class(c) => c.label().to_string(),
            End::Appliance { software, version, host } => {
                format!("{} {version} on {}", software.label(), host.appliance_host())
            }
        }
    }
}

/// The representative appliance of the class table: strongSwan 6 on premises.
const APPLIANCE: End = End::Appliance { software: Software::Strongswan, version: "6", host: Platform::Onprem };

fn site(name: &str, n: u8, end: End) -> Site {
    let space = format!("10.{n}.0.0/16");
    let workload = Subnet { name: "workload".into(), cidr: format!("10.{n}.1.0/24") };
    let (platform, region, gateway, mut subnets) = match end {
        End::Class(Class::AwsVgw) => (Platform::Aws, "us-east-1", Gateway::AwsVgw { asn: None }, vec![workload]),
        End::Class(Class::AwsTgw) => (Platform::Aws, "us-east-1", Gateway::AwsTgw { asn: None }, vec![workload]),
        End::Class(
            c @ (Class::AzureActiveStandby | Class::AzureActiveActive | Class::AzurePolicyBased | Class::AzureBasic),
        ) => (
            Platform::Azure,
            "westeurope",
            Gateway::AzureVpnGateway {
                sku: if matches!(c, Class::AzurePolicyBased | Class::AzureBasic) { "Basic" } else { "VpnGw1AZ" }.into(),
                active_active: c == Class::AzureActiveActive,
                vpn_type: if c == Class::AzurePolicyBased {
                    AzureVpnType::PolicyBased
                } else {
                    AzureVpnType::RouteBased
                },
                asn: None,
            },
            vec![workload, Subnet { name: "GatewaySubnet".into(), cidr: format!("10.{n}.255.0/27") }],
        ),
        End::Class(Class::GcpHaVpn) => (Platform::Gcp, "europe-west1", Gateway::GcpHaVpn { asn: None }, vec![workload]),
        End::Class(Class::GcpClassicVpn) => (Platform::Gcp, "europe-west1", Gateway::GcpClassicVpn {}, vec![workload]),
        End::Class(Class::Appliance) => return site(name, n, APPLIANCE),
        End::Appliance { software, version, host } => {
            let region = match host {
                Platform::Aws => "us-east-1",
                Platform::Azure => "westeurope",
                Platform::Gcp => "europe-west1",
                Platform::Onprem => "dc1",
            };
            let (public_ip, private_ip) = match host {
                Platform::Onprem => (format!("203.0.113.{n}"), String::new()),
                _ => (String::new(), format!("10.{n}.1.4")),
            };
            let g = Gateway::Appliance { software, version: version.into(), public_ip, private_ip, asn: None };
            (host, region, g, vec![workload])
        }
    };
    if platform == Platform::Onprem {
        subnets.clear();
    }
    Site {
        name: name.into(),
        platform,
        region: region.into(),
        address_spaces: vec![space],
        subnets,
        network: Network::New,
        gateway,
    }
}

fn plan(a: End, b: End, routing: Routing, tunnels: Option<u8>) -> Plan {
    Plan {
        version: 1,
        name: "matrix".into(),
        description: String::new(),
        sites: vec![site("east", 1, a), site("west", 2, b)],
        links: vec![Link {
            a: "east".into(),
            b: "west".into(),
            routing,
            tunnels,
            crypto: Crypto::default(),
            inside: vec![],
        }],
        topology: Default::default(),
    }
}

/// Error codes a two-site plan built here may raise because of its pairing (anything else is a
/// bug in this file's plans, and fails the test).
const PAIRING_CODES: &[&str] = &[
    "E_LINK_INCOMPATIBLE",
    "E_ROUTING_UNSUPPORTED",
    "E_AZURE_AWS_BGP",
    "E_AZURE_APIPA_ACTIVE_STANDBY",
    "E_IKE_NO_COMMON",
    "E_AZURE_IKEV1_SCRIPTS",
    "E_CRYPTO_NO_COMMON",
    "E_TUNNELS_COUNT",
];

/// Warnings that say a pairing's tunnels do not give the redundancy they seem to (shown by code
/// in the redundancy column; "warns" there is `W_TUNNELS_REDUCED`, fewer tunnels than it forms).
const REDUNDANCY_WARNINGS: &[&str] = &["W_AWS_STATIC_NO_FAILOVER"];

/// The cell's errors, checked to be pairing errors.
fn errors(a: &Analysis, what: &str) -> Vec<(String, String, String, String)> {
    let errs: Vec<_> = a.findings.iter().filter(|f| f.is_error()).collect();
    for f in &errs {
        assert!(PAIRING_CODES.contains(&f.code), "{what}: unexpected {} at {}: {}", f.code, f.path, f.message);
    }
    errs.iter().map(|f| (f.code.to_string(), f.message.clone(), f.fix.clone(), f.source.clone())).collect()
}

/// Every accepted cell renders: steps whose captured inputs all have a producer, every artifact.
fn renders(a: &Analysis, what: &str) {
    let all = steps(&a.resolved);
    let captured: BTreeSet<&str> = all.iter().filter_map(|s| s.capture.as_ref().map(|c| c.name.as_str())).collect();
    let ids: BTreeSet<&str> = all.iter().map(|s| s.id.as_str()).collect();
    for s in &all {
        for i in s.inputs() {
            assert!(captured.contains(i), "{what}: {} reads {i}, which no step captures", s.id);
        }
        for d in &s.after {
            assert!(ids.contains(d.as_str()), "{what}: {} runs after {d}, which does not exist", s.id);
        }
    }
    let arts = render(&a.resolved, &RenderOptions::default());
    assert!(!arts.is_empty(), "{what}: nothing rendered");
}

fn initiator(i: Initiator, a: &str, b: &str) -> String {
    match i {
        Initiator::Both => "both".into(),
        Initiator::End(0) => a.into(),
        Initiator::End(_) => b.into(),
        Initiator::NotApplicable => "—".into(),
    }
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A class cell's key (BGP or not), the same whichever end is first.
type CellKey = (Class, Class, bool);

fn key(a: Class, b: Class, routing: Routing) -> CellKey {
    let (a, b) = if Class::ALL.iter().position(|c| *c == a) <= Class::ALL.iter().position(|c| *c == b) {
        (a, b)
    } else {
        (b, a)
    };
    (a, b, routing == Routing::Bgp)
}

/// The lab tests that prove each class cell (`proofs::PROOFS`): every link of each test's plan,
/// by the classes of its two gateways and its routing. Each test named there must be a test of
/// tests/lab.rs that is not ignored.
fn lab_proofs() -> BTreeMap<CellKey, Vec<&'static str>> {
    let mut out: BTreeMap<CellKey, Vec<&'static str>> = BTreeMap::new();
    for (test, plan, a) in proof_plans() {
        for l in &a.resolved.links {
            let class =
                |i: usize| Class::of(&plan.sites.iter().find(|s| s.name == a.resolved.sites[i].name).unwrap().gateway);
            let tests = out.entry(key(class(l.a), class(l.b), l.routing)).or_default();
            if !tests.contains(&test) {
                tests.push(test);
            }
        }
    }
    out
}

/// Which lab tests run each appliance software and version (with the hosts their plans put it
/// on), in the order of `Software::ALL` and the knowledge base's versions, as a list; the
/// versions no lab plan holds are listed as such.
fn appliance_proofs() -> String {
    let mut by: BTreeMap<String, (BTreeSet<&'static str>, Vec<&'static str>)> = BTreeMap::new();
    for (test, plan, a) in proof_plans() {
        for s in &plan.sites {
            let Gateway::Appliance { software, version, .. } = &s.gateway else { continue };
            // Only appliances with a tunnel in the plan run in the lab.
            if !a.resolved.links.iter().any(|l| [l.a, l.b].iter().any(|&i| a.resolved.sites[i].name == s.name)) {
                continue;
            }
            let e = by.entry(format!("{} {version}", software.label())).or_default();
            e.0.insert(s.platform.appliance_host());
            if !e.1.contains(&test) {
                e.1.push(test);
            }
        }
    }
    let mut s = String::new();
    for software in Software::ALL {
        for v in versions_of(software) {
            let name = format!("{} {}", software.label(), v.version);
            let run_by = proofs::RUN_BY.iter().find(|(v, _)| *v == name).map(|(_, d)| d);
            let how = match run_by {
                _ if software == Software::Vyos => {
                    "emulated from its generated `set` commands, as VyOS cannot run in the lab".to_string()
                }
                // Said by the lab test from the daemon's log (tests/lab.rs, `passes`).
                Some(d) => {
                    format!("its generated configuration run by {d}, the version Debian 12 ships: no {name} daemon ran")
                }
                None => "its generated configuration run".to_string(),
            };
            let unrun = proofs::UNRUN.iter().find(|(v, _)| *v == name).map(|(_, why)| why);
            assert!(
                !(by.contains_key(&name) && unrun.is_some()),
                "{name} is in a lab plan, but tests/lab/proofs.rs says it cannot run"
            );
            assert!(
                run_by.is_none() || by.contains_key(&name),
                "tests/lab/proofs.rs: {name} is run by, but in no plan"
            );
            let _ = match by.get(&name) {
                Some((hosts, tests)) => writeln!(
                    s,
                    "- {name} ({how}; hosts: {}): {}",
                    hosts.iter().copied().collect::<Vec<_>>().join(", "),
                    tests.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                ),
                None => match unrun {
                    Some(why) => writeln!(s, "- {name}: in no lab plan: {why}"),
                    None => writeln!(s, "- {name}: in no lab plan yet"),
                },
            };
        }
    }
    s
}

/// The plan of every lab test named in `proofs::PROOFS`, analyzed. Each test named there must be
/// a test of tests/lab.rs that is not ignored, and its plan must have no errors.
fn proof_plans() -> Vec<(&'static str, Plan, Analysis)> {
    let lab = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab.rs")).unwrap();
    let mut out = Vec::new();
    for (test, of) in proofs::PROOFS {
        let at = lab.find(&format!("fn {test}() {{")).unwrap_or_else(|| panic!("tests/lab.rs has no test {test}"));
        let attrs = lab[..at].rsplit("\n\n").next().unwrap_or("");
        assert!(
            attrs.contains("#[test]") && !attrs.contains("#[ignore"),
            "{test} is named as a proof in tests/lab/proofs.rs but is not a running test of tests/lab.rs"
        );
        let plan = match of {
            proofs::PlanOf::Preset(id) => tunnelsmith::presets::PRESETS
                .iter()
                .find(|p| p.id.starts_with(id))
                .unwrap_or_else(|| panic!("preset {id}"))
                .plan(),
            proofs::PlanOf::Fixture(f) => {
                let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans").join(f);
                Plan::from_json(&std::fs::read_to_string(&p).unwrap()).unwrap_or_else(|e| panic!("{f}: {e:?}"))
            }
        };
        let a = analyze(&plan);
        assert!(!a.findings.iter().any(|f| f.is_error()), "{test}: its plan has errors");
        out.push((*test, plan, a));
    }
    out
}

/// One class cell: (verdict text, how or why, tunnels, sources, proof).
fn class_cell(ca: Class, cb: Class, routing: Routing, proofs: &BTreeMap<CellKey, Vec<&str>>) -> [String; 5] {
    let what = format!("{ca:?} × {cb:?} {routing:?}");
    let (a, b) = (End::Class(ca), End::Class(cb));
    let full = analyze(&plan(a, b, routing, None));
    let errs = errors(&full, &what);
    let v = verdict(ca, cb, routing);
    // The table and check agree.
    match (&v, errs.first()) {
        (Verdict::Refuse(r, _), first) => {
            let first = first.unwrap_or_else(|| panic!("{what}: the table refuses ({}) but check passes", r.code));
            assert_eq!(first.0, r.code, "{what}: check raises {} where the table says {}", first.0, r.code);
        }
        (Verdict::Connect(c, _), _) => {
            let n = c.tunnels([outside(ca), outside(cb)]).len();
            assert_eq!(full.resolved.links[0].tunnels.len(), n, "{what}: tunnels");
        }
    }
    if let Some((_, msg, fix, src)) = errs.first() {
        let codes: Vec<String> =
            errs.iter().map(|e| format!("`{}`", e.0)).collect::<BTreeSet<_>>().into_iter().collect();
        return [
            format!("**refused** ({})", codes.join(", ")),
            esc(&format!("{msg}. Instead: {fix}.")),
            redundancy(a, b, routing, &what).unwrap_or_else(|| "—".into()),
            esc(src),
            "refused by `check` (this test)".into(),
        ];
    }
    renders(&full, &what);
    let Verdict::Connect(c, src) = v else { unreachable!() };
    let (na, nb) = ("east", "west");
    let l = &full.resolved.links[0];
    let inside = match (c.inside, l.tunnels.first().and_then(|t| t.inside)) {
        (Inside::GatewayDefault, _) => "none: the gateways' own BGP addresses".to_string(),
        (Inside::Selectors, _) => {
            "none: a policy-based gateway has no tunnel interface; its traffic selectors (the two sites' address spaces) decide what enters the tunnel".to_string()
        }
        (Inside::Allocated, Some(net)) => {
            let t = &l.tunnels[0];
            let first = if t.ends[0].inside_ip == net.hosts().next() { na } else { nb };
            format!("/30 per tunnel from 169.254.0.0/16 (first: {net}), first host: {first}")
        }
        (Inside::Allocated, None) => "—".to_string(),
    };
    let layout = match c.layout {
        Layout::Aws(_) => "AWS: 2 per VPN connection, one connection per peer address",
        Layout::Ha(_) => "HA VPN interface i to peer address i",
        Layout::Mesh => "every address to every address",
    };
    let mut how = format!(
        "{na}: {}; {nb}: {}. Tunnels: {layout}. Inside: {inside}. IKE starts: {}",
        c.object[0].label(),
        c.object[1].label(),
        initiator(c.ike, na, nb)
    );
    if routing == Routing::Bgp {
        let _ = write!(how, "; BGP starts: {}", initiator(c.bgp, na, nb));
        for e in 0..2 {
            if c.one_bgp_source[e] {
                let _ = write!(how, "; {} speaks BGP from one address on every tunnel", if e == 0 { na } else { nb });
            }
        }
    }
    let _ = write!(how, ". Fixed once made: {}.", c.immutable);
    [
        "**generated** as documented".into(),
        esc(&how),
        redundancy(a, b, routing, &what).unwrap_or_default(),
        esc(src.keys),
        match proofs.get(&key(ca, cb, routing)) {
            Some(tests) => format!("lab: {}", tests.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")),
            None => NO_PROOF.into(),
        },
    ]
}

/// What a generated cell says when no lab test holds its pairing (the matrix test then fails:
/// every pairing `check` accepts is proven).
const NO_PROOF: &str = "**no lab test holds this pairing**";

fn outside(c: Class) -> u8 {
    match c {
        Class::AwsVgw | Class::AwsTgw | Class::AzureActiveActive | Class::GcpHaVpn => 2,
        _ => 1,
    }
}

/// Tunnel counts from 1 to the most the pair forms, each accepted or refused by `check`.
fn redundancy(a: End, b: End, routing: Routing, what: &str) -> Option<String> {
    let full = analyze(&plan(a, b, routing, None));
    let max = match &full.resolved.links.first() {
        Some(l) if !l.tunnels.is_empty() => l.tunnels.len(),
        _ => return None,
    };
    let mut parts = Vec::new();
    for n in 1..=max {
        let x = analyze(&plan(a, b, routing, Some(n as u8)));
        let errs = errors(&x, what);
        let codes: BTreeSet<&str> = errs.iter().map(|e| e.0.as_str()).collect();
        let warned = x.findings.iter().any(|f| f.code == "W_TUNNELS_REDUCED");
        // Other warnings about what the pairing's redundancy is worth, by code.
        let notes: BTreeSet<&str> =
            x.findings.iter().filter(|f| REDUNDANCY_WARNINGS.contains(&f.code)).map(|f| f.code).collect();
        let notes: String = notes.into_iter().map(|c| format!(", `{c}`")).collect();
        parts.push(match (codes.is_empty(), warned) {
            (true, false) => format!("{n}: ok{notes}"),
            (true, true) => format!("{n}: ok, warns{notes}"),
            (false, _) => format!("{n}: `{}`", codes.into_iter().collect::<Vec<_>>().join("`, `")),
        });
    }
    Some(parts.join("; "))
}

/// A short verdict for the variant tables: ✓ or the error codes.
fn short(a: End, b: End, routing: Routing) -> String {
    let what = format!("{} × {} {routing:?}", a.label(), b.label());
    let x = analyze(&plan(a, b, routing, None));
    let errs = errors(&x, &what);
    if errs.is_empty() {
        renders(&x, &what);
        "✓".into()
    } else {
        errs.iter().map(|e| format!("`{}`", e.0)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(" ")
    }
}

fn variants() -> Vec<End> {
    let mut v = Vec::new();
    for software in Software::ALL {
        for version in versions_of(software) {
            for host in Platform::ALL {
                v.push(End::Appliance { software, version: version.version, host });
            }
        }
    }
    v
}

fn matrix() -> String {
    let mut s = String::from(
        "# Pairing matrix\n\n\
         Generated by `tests/pairing_matrix.rs` from the pairing table (`src/kb/pairing.rs`) and `tunnelsmith check`: \
         every cell is a two-site plan run through the checks, so this page says what the code does. Do not edit it: \
         `UPDATE_MATRIX=1 cargo test --test pairing_matrix` rewrites it, and the test fails when it differs from the code.\n\n\
         Each cell is either **refused** (the error `check` raises, why, and what to do instead) or **generated** as the \
         cited documentation describes (what each end creates for the other, the tunnels, where the inside addresses \
         come from, who starts IKE and BGP, what cannot change once made). Redundancy lists every tunnel count from one \
         to the most the pair forms, as `check` answers it (\"warns\": fewer tunnels than the pair forms; a warning \
         code: those tunnels do not fail over as they seem to, and the warning says why and what to do). Source keys are defined in `shared/reference/ike-facts.md` \
         and `docs/kb-sources.md`. Generated cells are proven by the interop lab (issue 20): the proof names the lab \
         tests (`tests/lab.rs`) whose plans hold that pairing and pass there (the table `tests/lab/proofs.rs`); the \
         test that writes this page fails when a generated cell has none.\n\n\
         The ends of each cell are called `east` (first column) and `west` (second).\n\n\
         ## Gateway classes\n\n\
         The appliance here is strongSwan 6 on premises; the next sections cover every appliance, version and host.\n\n\
         | east | west | routing | verdict | how, or why not and what instead | redundancy (tunnels) | sources | proof |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut refused: Vec<String> = Vec::new();
    let proofs = lab_proofs();
    for (i, &a) in Class::ALL.iter().enumerate() {
        for &b in &Class::ALL[i..] {
            for routing in [Routing::Static, Routing::Bgp] {
                let cell = class_cell(a, b, routing, &proofs);
                let _ = writeln!(s, "| {} | {} | {} | {} |", a.label(), b.label(), routing.label(), cell.join(" | "));
                if cell[0].starts_with("**refused**") {
                    refused.push(format!(
                        "- {} × {}, {}: {} {}",
                        a.label(),
                        b.label(),
                        routing.label(),
                        cell[0],
                        cell[1]
                    ));
                }
            }
        }
    }
    // Every row of the table was used (the loop above visits every cell).
    for r in tunnelsmith::kb::pairing::PAIRINGS {
        assert!(row_for(r.a, r.b, r.routing.unwrap_or(Routing::Static)).is_some());
        if let Outcome::Connect(_) = r.outcome {
            assert!(!r.src.keys.is_empty());
        }
    }

    let _ = write!(
        s,
        "\n## Appliances: every software, version and host against every gateway class\n\n\
         Cells: static / BGP; ✓ means generated (the class table's row for `appliance` says how, with its sources \
         and the lab tests that prove the pairing), otherwise the error codes `check` raises. The host decides the cloud \
         steps around the appliance (security group, NSG and route table, or firewall rules and routes), the version its \
         configuration syntax and the crypto it accepts.\n\n\
         The lab tests (`tests/lab.rs`, table `tests/lab/proofs.rs`) whose plans hold each appliance software and \
         version:\n\n{}\n",
        appliance_proofs()
    );
    let classes: Vec<Class> = Class::ALL.iter().copied().filter(|c| *c != Class::Appliance).collect();
    let _ = writeln!(
        s,
        "| appliance | {} | strongSwan 6 on premises |",
        classes.iter().map(|c| c.label()).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---|{}---|", "---|".repeat(classes.len()));
    for v in variants() {
        let mut row = vec![v.label()];
        for c in classes.iter().map(|c| End::Class(*c)).chain([APPLIANCE]) {
            row.push(format!("{} / {}", short(v, c, Routing::Static), short(v, c, Routing::Bgp)));
        }
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }

    s.push_str(
        "\n## Appliance versions against each other (both on premises)\n\n\
         Cells: static / BGP. One tunnel (one address each end); the hosts change only the cloud steps around them.\n\n",
    );
    let versions: Vec<End> =
        variants().into_iter().filter(|v| matches!(v, End::Appliance { host: Platform::Onprem, .. })).collect();
    let _ = writeln!(
        s,
        "| east \\ west | {} |",
        versions.iter().map(|v| v.label().replace(" on on-premises host", "")).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---|{}", "---|".repeat(versions.len()));
    for a in &versions {
        let mut row = vec![a.label().replace(" on on-premises host", "")];
        for b in &versions {
            row.push(format!("{} / {}", short(*a, *b, Routing::Static), short(*a, *b, Routing::Bgp)));
        }
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }

    s.push_str("\n## Refused pairings\n\nEvery class pairing `check` refuses, and why:\n\n");
    for r in refused {
        s.push_str(&r);
        s.push('\n');
    }
    s
}

#[test]
fn pairing_matrix_document_is_what_the_code_does() {
    let text = matrix();
    let unproven: Vec<&str> = text.lines().filter(|l| l.contains(NO_PROOF)).collect();
    assert!(
        unproven.is_empty(),
        "{} generated pairing(s) with no lab test: add the pairing to a lab plan (tests/fixtures/plans/, \
         tests/lab/proofs.rs) or make `check` refuse it:\n{}",
        unproven.len(),
        unproven.join("\n")
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pairing-matrix.md");
    if std::env::var_os("UPDATE_MATRIX").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        let line = committed.lines().zip(text.lines()).position(|(x, y)| x != y).map(|n| n + 1);
        panic!(
            "docs/pairing-matrix.md differs from what the code produces (first at line {line:?}); \
             run `UPDATE_MATRIX=1 cargo test --test pairing_matrix` and read the diff"
        );
    }
}
