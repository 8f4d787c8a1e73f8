//! The topology SVG: well-formed, names every site and tunnel, deterministic, and stays
//! legible (no two labels or boxes on top of each other) up to 4 sites with 16 tunnels.

use tunnelsmith::check::resolve;
use tunnelsmith::plan::*;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::diagram::svg;

struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    what: String,
}

fn rects(doc: &roxmltree::Document) -> Vec<Rect> {
    doc.descendants()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|g| {
            let r = g.children().find(|c| c.has_tag_name("rect"))?;
            let f = |a: &str| r.attribute(a).unwrap().parse::<f64>().unwrap();
            Some(Rect {
                x: f("x"),
                y: f("y"),
                w: f("width"),
                h: f("height"),
                what: g.attribute("aria-label")?.to_string(),
            })
        })
        .collect()
}

fn check(plan: &Plan) {
    let r = resolve(plan);
    let text = svg(&r);
    assert_eq!(text, svg(&r), "the same plan gives the same picture");
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: not well-formed: {e}", plan.name));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    let all_text: String = doc.descendants().filter_map(|n| n.text()).collect::<Vec<_>>().join("\n");
    for s in &plan.sites {
        assert!(all_text.contains(&s.name), "{}: site {} not named", plan.name, s.name);
    }
    for l in &r.links {
        assert!(text.contains(&format!("aria-label=\"link {}\"", l.id)));
        for t in &l.tunnels {
            let short = t.id.rsplit('-').next().unwrap();
            let inside = t.inside.unwrap().to_string();
            assert!(all_text.contains(&format!("{short} {inside}")), "{}: tunnel {} not named", plan.name, t.id);
        }
    }
    // Legibility: boxes and link labels do not overlap each other.
    let rs = rects(&doc);
    for (i, a) in rs.iter().enumerate() {
        for b in &rs[i + 1..] {
            let overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert!(!overlap, "{}: {} overlaps {}", plan.name, a.what, b.what);
        }
    }
}

#[test]
fn every_preset_draws_a_well_formed_legible_diagram() {
    for p in PRESETS {
        check(&p.plan());
    }
}

#[test]
fn four_sites_and_sixteen_tunnels_stay_legible() {
    // The seed 004 mesh plus an on-premises VyOS: 4 sites, 6 links, 16 tunnels.
    let mut plan = PRESETS[4].plan();
    plan.sites.push(Site {
        name: "dc1".into(),
        platform: Platform::Onprem,
        region: "fra".into(),
        address_spaces: vec!["10.200.0.0/16".into()],
        subnets: vec![],
        network: Network::New,
        gateway: Gateway::Appliance {
            software: Software::Vyos,
            version: "1.4".into(),
            public_ip: "198.51.100.20".into(),
            private_ip: String::new(),
            asn: Some(65010),
        },
    });
    for other in ["aws", "azure", "gcp"] {
        plan.links.push(Link {
            a: "dc1".into(),
            b: other.into(),
            routing: Routing::Bgp,
            tunnels: None,
            crypto: Crypto::default(),
            inside: vec![],
        });
    }
    let r = resolve(&plan);
    let tunnels: usize = r.links.iter().map(|l| l.tunnels.len()).sum();
    assert_eq!((r.sites.len(), tunnels), (4, 16));
    check(&plan);
}
