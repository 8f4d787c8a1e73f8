use super::*;
use crate::check::{analyze, resolve};
use crate::plan::*;
use crate::presets::{find, PRESETS};

fn plan_004() -> Plan {
    find("004-aws-azure-gcp-bgp").unwrap().plan()
}

/// Builds seed 004 from blank with the editor's operations, as the wizard journey does.
fn build_004() -> Plan {
    let mut e = Editor::new(blank());
    e.edit(|p| {
        p.name = "multicloud".into();
        p.description = "AWS, Azure and Google Cloud, BGP full mesh".into();
    });
    e.add_site(Platform::Aws);
    e.add_site(Platform::Azure);
    e.add_site(Platform::Gcp);
    e.edit(|p| {
        let s = &mut p.sites;
        s[0].address_spaces = vec!["172.16.0.0/16".into()];
        s[0].subnets[0].cidr = "172.16.1.0/24".into();
        set_gateway_asn(&mut s[0].gateway, Some(65002));
        s[1].address_spaces = vec!["192.168.0.0/16".into()];
        s[1].subnets[0].cidr = "192.168.0.0/24".into();
        s[1].subnets[1].cidr = "192.168.1.0/27".into();
        set_gateway_asn(&mut s[1].gateway, Some(65001));
        s[2].region = "us-east1".into();
        s[2].address_spaces = vec!["10.0.1.0/24".into()];
        s[2].subnets[0].cidr = "10.0.1.0/24".into();
        set_gateway_asn(&mut s[2].gateway, Some(65003));
    });
    // Links come as aws-azure, aws-gcp, azure-gcp; the seed has gcp-azure second.
    e.swap_link_ends(2);
    e.move_link(2, 1);
    e.into_plan()
}

#[test]
fn seed_004_can_be_built_from_blank() {
    let built = build_004();
    assert_eq!(built, plan_004());
    assert_eq!(analyze(&built).errors(), 0);
}

#[test]
fn new_sites_get_defaults_without_errors_and_a_full_mesh() {
    for platforms in [[Platform::Aws, Platform::Azure, Platform::Gcp], [Platform::Azure, Platform::Gcp, Platform::Aws]]
    {
        let mut e = Editor::new(blank());
        e.edit(|p| p.name = "demo".into());
        for p in platforms {
            e.add_site(p);
        }
        let a = analyze(e.plan());
        assert_eq!(a.errors(), 0, "{:#?}", a.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
        assert_eq!(e.plan().links.len(), 3);
        assert!(e.missing_pairs().is_empty());
        assert!(e.plan().links.iter().all(|l| l.routing == Routing::Bgp));
    }
    let mut e = Editor::new(blank());
    e.add_site(Platform::Aws);
    e.add_site(Platform::Aws);
    assert_eq!(e.plan().sites[1].name, "aws-2");
    assert_eq!(e.plan().sites[1].address_spaces, ["10.2.0.0/16"]);
}

#[test]
fn appliance_links_start_with_bgp_and_onprem_needs_its_public_ip() {
    let mut e = Editor::new(blank());
    e.edit(|p| p.name = "demo".into());
    e.add_site(Platform::Onprem);
    e.add_site(Platform::Aws);
    // Both ends speak BGP (the appliance with FRR): BGP, as the plan's other links would.
    assert_eq!(e.plan().links[0].routing, Routing::Bgp);
    e.add_site(Platform::Azure);
    assert!(e.plan().links.iter().all(|l| l.routing == Routing::Bgp), "{:?}", e.plan().links);
    let a = analyze(e.plan());
    assert!(a.findings.iter().any(|f| f.code == "E_APPLIANCE_PUBLIC_IP" && f.path == "sites[0].gateway.public_ip"));
    e.edit(|p| {
        if let Gateway::Appliance { public_ip, .. } = &mut p.sites[0].gateway {
            *public_ip = "198.18.7.1".into();
        }
    });
    assert_eq!(analyze(e.plan()).errors(), 0);
}

#[test]
fn renaming_keeps_links_attached_even_through_a_duplicate_name() {
    let mut e = Editor::new(plan_004());
    // Type "aws" over "azure", one key at a time: "azure" → "a" → "aw" → "aws" → "aws2".
    for name in ["a", "aw", "aws", "aws2"] {
        e.set_site_name(1, name);
    }
    let links: Vec<(&str, &str)> = e.plan().links.iter().map(|l| (l.a.as_str(), l.b.as_str())).collect();
    assert_eq!(links, [("aws", "aws2"), ("gcp", "aws2"), ("aws", "gcp")]);
}

#[test]
fn remove_and_move_sites_and_links() {
    let mut e = Editor::new(plan_004());
    e.move_site(2, 0);
    assert_eq!(e.plan().sites[0].name, "gcp");
    assert_eq!(e.plan().links.len(), 3);
    e.remove_site(1); // aws
    assert_eq!(e.plan().sites.len(), 2);
    assert_eq!(e.plan().links.len(), 1);
    assert_eq!((e.plan().links[0].a.as_str(), e.plan().links[0].b.as_str()), ("gcp", "azure"));
    e.remove_link(0);
    assert_eq!(e.missing_pairs(), [(0, 1)]);
    assert_eq!(e.add_link(0, 1), Some(0));
    assert_eq!(e.plan().links[0].routing, Routing::Bgp);
    assert!(!e.can_remove_site());
    let ids = e.site_ids().to_vec();
    e.move_site(0, 1);
    assert_eq!(e.site_ids(), [ids[1], ids[0]]);
}

#[test]
fn link_ends_can_be_set_to_unknown_names_and_back() {
    let mut e = Editor::new(plan_004());
    e.set_link_end(0, 1, "nowhere");
    assert!(analyze(e.plan()).findings.iter().any(|f| f.code == "E_LINK_SITE" && f.path == "links[0].b"));
    e.set_site_name(1, "az");
    assert_eq!(e.plan().links[0].b, "nowhere", "a link end that named no site does not follow a rename");
    e.set_link_end(0, 1, "az");
    e.set_site_name(1, "azure");
    assert_eq!(e.plan().links[0].b, "azure");
}

#[test]
fn platform_and_kind_changes_bring_their_defaults() {
    let mut e = Editor::new(plan_004());
    e.set_platform(0, Platform::Gcp);
    let s = &e.plan().sites[0];
    assert_eq!(s.gateway.kind(), GatewayKind::GcpHaVpn);
    assert_eq!(s.region, default_region(Platform::Gcp));
    e.set_gateway_kind(0, GatewayKind::Appliance);
    let Gateway::Appliance { software, version, private_ip, asn, .. } = &e.plan().sites[0].gateway else {
        panic!("{:?}", e.plan().sites[0].gateway)
    };
    assert_eq!(*software, Software::Strongswan);
    assert_eq!(version, "6");
    assert_eq!(private_ip, "172.16.1.10");
    assert_eq!(*asn, Some(65002), "the ASN is kept");
    e.set_software(0, Software::Vyos);
    assert!(matches!(&e.plan().sites[0].gateway, Gateway::Appliance { version, .. } if version == "1.5"));
    // An appliance stays an appliance when the platform changes.
    e.set_platform(0, Platform::Aws);
    assert_eq!(e.plan().sites[0].gateway.kind(), GatewayKind::Appliance);
    assert_eq!(kinds_for(Platform::Aws), [GatewayKind::AwsVgw, GatewayKind::AwsTgw, GatewayKind::Appliance]);
}

#[test]
fn inside_pins_and_tunnel_capacity() {
    let mut e = Editor::new(plan_004());
    assert_eq!(tunnel_capacity(e.plan(), 0), 4);
    assert_eq!(tunnel_capacity(e.plan(), 1), 2);
    e.edit(|p| p.links[0].tunnels = Some(2));
    assert_eq!(tunnel_capacity(e.plan(), 0), 4);
    e.set_inside(2, 1, "169.254.10.100/30");
    assert_eq!(e.plan().links[2].inside, [None, Some("169.254.10.100/30".to_string())]);
    let r = resolve(e.plan());
    assert_eq!(r.links[2].tunnels[1].inside.unwrap().to_string(), "169.254.10.100/30");
    e.set_inside(2, 1, "");
    assert!(e.plan().links[2].inside.is_empty());
}

#[test]
fn crypto_choices_are_limited_to_what_both_ends_accept() {
    let plan = find("002-aws-vgw-to-azure-static").unwrap().plan(); // azure ↔ aws
    let r = resolve(&plan);
    let c = crypto_choices(&plan, &r, 0).unwrap();
    assert_eq!(c.ike_in_use, IkeVersion::V2);
    let aes192 = c.phase1_encryption.iter().find(|x| x.value == Encryption::Aes192).unwrap();
    let why = aes192.unavailable.as_deref().unwrap();
    assert!(why.contains("aws (AWS Site-to-Site VPN) does not accept AES-192-CBC"), "{why}");
    assert!(c.phase1_encryption.iter().find(|x| x.value == Encryption::Aes256).unwrap().recommended);
    let dh21 = c.phase1_dh_group.iter().find(|x| x.value == 21).unwrap();
    assert!(dh21.unavailable.as_deref().unwrap().contains("azure"), "{dh21:?}");
    assert!(c.phase1_dh_group.iter().find(|x| x.value == 20).unwrap().available());
    let dh2 = c.phase1_dh_group.iter().find(|x| x.value == 2).unwrap();
    assert!(dh2.available() && dh2.weak.as_deref().unwrap().contains("1024-bit"), "{dh2:?}");
    assert!(c.phase1_integrity.iter().find(|x| x.value == Integrity::Sha1).unwrap().weak.is_some());
    // AWS requires PFS; Azure has a fixed phase 1 lifetime.
    assert!(c.pfs_group[0].unavailable.as_deref().unwrap().contains("aws"));
    assert!(c.phase1_lifetime[0].rule.contains("fixed 28800"));
    // Every available choice is accepted by the engine.
    for ch in c.phase1_dh_group.iter().filter(|x| x.available()) {
        let mut p = plan.clone();
        p.links[0].crypto.phase1_dh_group = Some(ch.value);
        assert!(!analyze(&p).findings.iter().any(|f| f.code == "E_CRYPTO_REJECTED"), "{}", ch.label);
    }
    for ch in c.phase1_dh_group.iter().filter(|x| !x.available()) {
        let mut p = plan.clone();
        p.links[0].crypto.phase1_dh_group = Some(ch.value);
        assert!(analyze(&p).findings.iter().any(|f| f.code == "E_CRYPTO_REJECTED"), "{}", ch.label);
    }
}

#[test]
fn ike_choices_explain_an_ikev1_only_end_and_gcm_disables_phase2_integrity() {
    let mut plan = find("001-libreswan-ec2-to-azure").unwrap().plan();
    if let Gateway::AzureVpnGateway { vpn_type, sku, .. } = &mut plan.sites[1].gateway {
        *vpn_type = AzureVpnType::PolicyBased;
        *sku = "Basic".into();
    }
    if let Gateway::Appliance { version, .. } = &mut plan.sites[0].gateway {
        *version = "5".into();
    }
    let r = resolve(&plan);
    assert!(crypto_choices(&plan, &r, 0).is_none(), "no common IKE version: no choices");

    let mut plan = find("004-aws-azure-gcp-bgp").unwrap().plan();
    plan.links[1].crypto.phase2_encryption = Some(Encryption::Aes256Gcm16);
    let r = resolve(&plan);
    let c = crypto_choices(&plan, &r, 1).unwrap();
    assert!(c.phase2_integrity.iter().all(|x| x.unavailable.as_deref().unwrap().contains("built in")));
    assert!(c.ike.iter().find(|x| x.value == IkeVersion::V1).unwrap().unavailable.is_none());
}

#[test]
fn custom_crypto_starts_from_the_profile_in_use() {
    for p in PRESETS {
        let mut e = Editor::new(p.plan());
        let before = resolve(e.plan());
        for li in 0..e.plan().links.len() {
            e.set_custom_crypto(li, &before);
        }
        let after = resolve(e.plan());
        for (x, y) in before.links.iter().zip(&after.links) {
            let (Some(px), Some(py)) = (&x.profile, &y.profile) else { continue };
            assert_eq!((px.ike, px.p1_dh, px.pfs, px.p2_integrity), (py.ike, py.p1_dh, py.pfs, py.p2_integrity));
            assert!(!py.recommended);
        }
        assert_eq!(analyze(e.plan()).errors(), analyze(&p.plan()).errors(), "{}", p.id);
        for li in 0..e.plan().links.len() {
            e.set_recommended_crypto(li);
        }
        assert_eq!(e.plan(), &p.plan());
    }
}

#[test]
fn field_labels_read_like_the_form() {
    let plan = plan_004();
    let l = |p: &str| field_label(&plan, p);
    assert_eq!(l("name"), "Plan name");
    assert_eq!(l("sites[1].address_spaces[0]"), "Site azure › address space 1");
    assert_eq!(l("sites[1].subnets[1].cidr"), "Site azure › subnet 2 › CIDR");
    assert_eq!(l("sites[0].gateway.asn"), "Site aws › ASN");
    assert_eq!(l("sites[0].network.id"), "Site aws › existing network");
    assert_eq!(l("links[2].inside[1]"), "Link aws ↔ gcp › tunnel 2 inside /30");
    assert_eq!(l("links[0]"), "Link aws ↔ azure");
    assert_eq!(l("secrets.PSK_AWS_AZURE_T1"), "Pre-shared key PSK_AWS_AZURE_T1");
    assert_eq!(l("sites[9].name"), "Site 10 › name");
    assert_eq!(l("weird"), "weird");
}

#[test]
fn routing_choices_explain_what_an_end_cannot_do() {
    let plan = plan_004();
    let c = routing_choices(&plan, 1); // gcp ↔ azure
    assert!(c[0].unavailable.as_deref().unwrap().contains("gcp: Google Cloud HA VPN routes only with BGP"));
    assert!(c[1].available() && c[1].recommended);
    let mut plan = find("002-aws-vgw-to-azure-static").unwrap().plan();
    if let Gateway::AzureVpnGateway { sku, .. } = &mut plan.sites[0].gateway {
        *sku = "Basic".into();
    }
    let c = routing_choices(&plan, 0);
    assert!(c[1].unavailable.as_deref().unwrap().contains("Basic gateway has no BGP"));
    assert!(c[0].available());
    assert!(routing_choices(&plan, 7).is_empty());
}

#[test]
fn whole_numbers() {
    assert_eq!(parse_whole("0", 0, 5), Ok(Some(0)));
    assert!(parse_whole("6", 0, 5).unwrap_err().contains("out of range"));
    assert!(parse_whole("-1", 0, 5).unwrap_err().contains("not a whole number"));
    assert!(parse_whole("99999999999999999999999", 0, 5).unwrap_err().contains("out of range"));
    let f = input_finding("sites[0].gateway.asn", "x");
    assert!(f.is_error() && f.code == E_INPUT);
}

/// Subnets follow a changed address space: sizes and offsets kept, a subnet already inside
/// or one that would collide stays, a space smaller than a subnet takes none.
#[test]
fn subnets_follow_their_address_space() {
    let mut site = site_defaults(Platform::Azure, &blank());
    site.subnets.push(Subnet { name: "db".into(), cidr: "10.1.7.128/25".into() });
    site.address_spaces[0] = "172.20.0.0/16".into();
    assert_eq!(
        subnets_into(&site, 0),
        [(0, "172.20.0.0/24".to_string()), (1, "172.20.255.0/27".to_string()), (2, "172.20.7.128/25".to_string())]
    );
    // One already moved by hand (and one typed over its place): the rest still follow.
    site.subnets[0].cidr = "172.20.7.0/24".into();
    assert_eq!(subnets_into(&site, 0), [(1, "172.20.255.0/27".to_string())]);
    // A bigger space: the offset inside a block of its size.
    site.address_spaces[0] = "172.16.0.0/12".into();
    site.subnets[0].cidr = "10.1.0.0/24".into();
    assert_eq!(subnets_into(&site, 0)[0], (0, "172.17.0.0/24".to_string()));
    // Not a CIDR yet, or too small for the subnets: nothing to offer.
    site.address_spaces[0] = "172.20.".into();
    assert!(subnets_into(&site, 0).is_empty());
    site.address_spaces[0] = "172.20.0.0/26".into();
    assert!(subnets_into(&site, 0).iter().all(|(k, _)| *k == 1), "only the /27 fits a /26");
}
