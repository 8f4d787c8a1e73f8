//! Issue 19: pairings outside the seed scenarios that `check` used to pass and the clouds would
//! not build (or would build without the redundancy promised), each read against the cloud's own
//! documentation. Every test here failed on the code before the pairing table.

use tunnelsmith::check::{analyze, Resolved};
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::{render, Artifact, RenderOptions};
use tunnelsmith::steps::{steps, Step};

fn resolve(json: &str) -> Resolved {
    let a = analyze(&Plan::from_json(json).expect("plan parses"));
    let errors: Vec<_> = a.findings.iter().filter(|f| f.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    a.resolved
}

fn lines(all: &[Step]) -> Vec<String> {
    all.iter().map(|s| format!("{}: {}", s.id, s.display())).collect()
}

fn file<'a>(arts: &'a [Artifact], path: &str) -> &'a str {
    &arts.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("no {path}")).text
}

const AZURE_AZURE: &str = r#"{"version": 1, "name": "v2v", "sites": [
  {"name": "east", "platform": "azure", "region": "eastus", "address_spaces": ["10.1.0.0/16"],
   "subnets": [{"name": "workload", "cidr": "10.1.1.0/24"}, {"name": "GatewaySubnet", "cidr": "10.1.255.0/27"}],
   "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": true}},
  {"name": "west", "platform": "azure", "region": "westeurope", "address_spaces": ["10.2.0.0/16"],
   "subnets": [{"name": "workload", "cidr": "10.2.1.0/24"}, {"name": "GatewaySubnet", "cidr": "10.2.255.0/27"}],
   "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": true}}],
  "links": [{"a": "east", "b": "west", "routing": "bgp"}]}"#;

/// Item 1: Azure ↔ Azure with BGP is a VNet-to-VNet connection on the gateways' default BGP
/// addresses (Azure never opens BGP from an APIPA address, so two APIPA ends never start).
#[test]
fn azure_to_azure_is_vnet_to_vnet_on_default_bgp_addresses() {
    let r = resolve(AZURE_AZURE);
    assert!(r.links[0].tunnels.iter().all(|t| t.inside.is_none()), "no APIPA /30s: {:?}", r.links[0].tunnels);
    let all = steps(&r);
    let text = lines(&all).join("\n");
    assert!(!text.contains("local-gateway create"), "no local network gateway between two Azure gateways:\n{text}");
    assert!(!text.contains("customBgpIpAddresses"), "no custom APIPA:\n{text}");
    for (me, other) in [("east", "WEST"), ("west", "EAST")] {
        let conn: Vec<&Step> = all.iter().filter(|s| s.id.starts_with(&format!("{me}/conn-east-west"))).collect();
        assert_eq!(conn.len(), 1, "one VNet-to-VNet connection from {me}: {:?}", lines(&all));
        let d = conn[0].display();
        assert!(d.contains(&format!("--vnet-gateway2 ${{{other}_GW_ID}}")), "{d}");
        assert!(d.contains("--enable-bgp") && d.contains("--shared-key @<file> ${PSK_EAST_WEST_T1}"), "{d}");
        let id = all.iter().find(|s| s.id == format!("{me}/gateway-id")).expect("gateway ID read");
        assert_eq!(id.capture.as_ref().unwrap().name, format!("{}_GW_ID", me.to_uppercase()));
    }
    // Both sides' tunnels share one key (one key per VNet-to-VNet connection pair).
    assert!(r.links[0].tunnels.iter().all(|t| t.psk_name == "PSK_EAST_WEST_T1"));
}

const GCP_GCP: &str = r#"{"version": 1, "name": "ha2ha", "sites": [
  {"name": "east", "platform": "gcp", "region": "us-east1", "address_spaces": ["10.1.0.0/16"],
   "subnets": [{"name": "vms", "cidr": "10.1.1.0/24"}], "gateway": {"kind": "gcp_ha_vpn"}},
  {"name": "west", "platform": "gcp", "region": "europe-west1", "address_spaces": ["10.2.0.0/16"],
   "subnets": [{"name": "apps", "cidr": "10.2.1.0/24"}], "gateway": {"kind": "gcp_ha_vpn"}}],
  "links": [{"a": "east", "b": "west", "routing": "bgp"}]}"#;

/// Item 2: HA VPN ↔ HA VPN names the other gateway (`--peer-gcp-gateway`); Google refuses an
/// external VPN gateway holding its own addresses.
#[test]
fn gcp_ha_to_ha_names_the_peer_gateway() {
    let r = resolve(GCP_GCP);
    let all = steps(&r);
    let text = lines(&all).join("\n");
    assert!(!text.contains("external-vpn-gateways create"), "{text}");
    for (me, peer) in [("east", "west"), ("west", "east")] {
        // The peer's URI (which carries its region) comes from the peer's own script.
        let uri = all.iter().find(|s| s.id == format!("{peer}/gateway-uri")).expect("URI read");
        assert!(
            uri.display().contains("vpn-gateways describe ha2ha-")
                && uri.display().ends_with("--format value(selfLink)")
        );
        let up = peer.to_uppercase();
        for i in 0..2 {
            let s = all.iter().find(|s| s.id == format!("{me}/tunnel-east-west-t{}", i + 1)).expect("tunnel step");
            let d = s.display();
            assert!(d.contains(&format!("--interface {i} --peer-gcp-gateway ${{{up}_VPN_GW_URI}}")), "{d}");
            assert!(!d.contains("--peer-gcp-gateway-region"), "gcloud takes it only without --peer-gcp-gateway: {d}");
            assert!(s.after.contains(&format!("{peer}/gateway-uri")), "{me}'s tunnel waits for {peer}'s gateway");
        }
    }
    // Tunnel names differ per side (both sides live in one project and may share a region).
    let names: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|s| s.id.contains("/tunnel-"))
        .map(|s| {
            // The name follows `vpn-tunnels create` (GA or `beta` track alike).
            let i = s.args.iter().position(|a| a.display() == "create").unwrap();
            s.args[i + 1].display()
        })
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    // The BGP peers mirror each other on each tunnel's /30.
    let t = &r.links[0].tunnels[0];
    let (a, b) = (t.ends[0].inside_ip.unwrap(), t.ends[1].inside_ip.unwrap());
    let peer_of = |me: &str| all.iter().find(|s| s.id == format!("{me}/bgp-east-west-t1")).unwrap().display();
    assert!(peer_of("east").contains(&format!("--peer-ip-address {b}")));
    assert!(peer_of("west").contains(&format!("--peer-ip-address {a}")));
}

fn azure_appliance(software: &str, version: &str) -> String {
    format!(
        r#"{{"version": 1, "name": "aabgp", "sites": [
  {{"name": "azure", "platform": "azure", "region": "westeurope", "address_spaces": ["10.1.0.0/16"],
   "subnets": [{{"name": "workload", "cidr": "10.1.1.0/24"}}, {{"name": "GatewaySubnet", "cidr": "10.1.255.0/27"}}],
   "gateway": {{"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": true}}}},
  {{"name": "dc", "platform": "onprem", "region": "dc1", "address_spaces": ["10.9.0.0/16"],
   "gateway": {{"kind": "appliance", "software": "{software}", "version": "{version}", "public_ip": "203.0.113.9"}}}}],
  "links": [{{"a": "azure", "b": "dc", "routing": "bgp"}}]}}"#
    )
}

/// Item 3: an appliance with two tunnels to an active-active Azure gateway opens both BGP
/// sessions from the one address Azure's local network gateway names.
#[test]
fn appliance_to_active_active_azure_speaks_bgp_from_the_one_known_address() {
    for (software, version) in
        [("libreswan", "5"), ("libreswan", "4"), ("strongswan", "6"), ("vyos", "1.3"), ("vyos", "1.4")]
    {
        let r = resolve(&azure_appliance(software, version));
        let l = &r.links[0];
        assert_eq!(l.tunnels.len(), 2);
        let known = l.tunnels[0].ends[1].inside_ip.unwrap();
        let azure2 = l.tunnels[1].ends[0].inside_ip.unwrap();
        let all = steps(&r);
        let lng: Vec<String> = all.iter().filter(|s| s.id.contains("/lng-")).map(|s| s.display()).collect();
        assert_eq!(lng.len(), 1);
        assert!(lng[0].contains(&format!("--bgp-peering-address {known}")), "{}", lng[0]);
        let arts = render(&r, &RenderOptions::default());
        if software == "vyos" {
            let s = file(&arts, "dc/vyos/install.sh");
            for want in [
                format!("interfaces loopback lo address {known}/32"),
                format!("neighbor {azure2} update-source {known}"),
                format!("neighbor {azure2} disable-connected-check"),
            ] {
                assert!(s.contains(&want), "{software} {version}: no `{want}`");
            }
            assert!(!s.contains(&format!("update-source {}", l.tunnels[1].ends[1].inside_ip.unwrap())));
        } else {
            let frr = file(&arts, &format!("dc/{software}/frr.conf"));
            assert!(frr.contains(&format!(" neighbor {azure2} update-source {known}\n")), "{frr}");
            assert!(frr.contains(&format!(" neighbor {azure2} disable-connected-check\n")), "{frr}");
            let first = l.tunnels[0].ends[0].inside_ip.unwrap();
            assert!(
                !frr.contains(&format!("neighbor {first} update-source")),
                "the first tunnel's own address is the known one"
            );
            let up = file(&arts, &format!("dc/{software}/net-up.sh"));
            assert!(up.contains(&format!("ip addr replace {known}/32 dev lo\n")), "{up}");
            assert!(up.contains(&format!("ip route replace {azure2}/32 dev ipsec2 src {known}\n")), "{up}");
        }
    }
}

/// Item 4: an appliance on an Azure VM in a VNet whose only workload subnet is its own: the route
/// table through the appliance is associated with that subnet (else no host ever uses it).
#[test]
fn azure_vm_appliance_alone_in_its_subnet_gets_the_route_table() {
    let r = resolve(
        r#"{"version": 1, "name": "vmlab", "sites": [
          {"name": "az", "platform": "azure", "region": "westeurope", "address_spaces": ["10.30.0.0/16"],
           "subnets": [{"name": "edge", "cidr": "10.30.1.0/24"}],
           "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "private_ip": "10.30.1.4"}},
          {"name": "dc", "platform": "onprem", "region": "dc1", "address_spaces": ["10.9.0.0/16"],
           "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "public_ip": "203.0.113.9"}}],
          "links": [{"a": "az", "b": "dc", "routing": "static"}]}"#,
    );
    let all = steps(&r);
    let assoc: Vec<String> = all.iter().filter(|s| s.id.starts_with("az/subnet-rt-")).map(|s| s.display()).collect();
    assert_eq!(assoc.len(), 1, "{:#?}", lines(&all));
    assert!(assoc[0].contains("--name edge --route-table vmlab-az-rt"), "{}", assoc[0]);
    // With another workload subnet, the appliance's own is left alone (seed behaviour kept).
    let r = resolve(
        r#"{"version": 1, "name": "vmlab", "sites": [
          {"name": "az", "platform": "azure", "region": "westeurope", "address_spaces": ["10.30.0.0/16"],
           "subnets": [{"name": "edge", "cidr": "10.30.1.0/24"}, {"name": "apps", "cidr": "10.30.2.0/24"}],
           "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "private_ip": "10.30.1.4"}},
          {"name": "dc", "platform": "onprem", "region": "dc1", "address_spaces": ["10.9.0.0/16"],
           "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "public_ip": "203.0.113.9"}}],
          "links": [{"a": "az", "b": "dc", "routing": "static"}]}"#,
    );
    let assoc: Vec<String> =
        steps(&r).iter().filter(|s| s.id.starts_with("az/subnet-rt-")).map(|s| s.display()).collect();
    assert_eq!(assoc.len(), 1);
    assert!(assoc[0].contains("--name apps "), "{}", assoc[0]);
}

/// Item 7: a site whose only subnet is GatewaySubnet is warned about, and the runbook never tests
/// an address inside GatewaySubnet.
#[test]
fn runbook_never_tests_inside_gateway_subnet() {
    let json = r#"{"version": 1, "name": "gwonly", "sites": [
      {"name": "azure", "platform": "azure", "region": "westeurope", "address_spaces": ["10.77.0.0/16"],
       "subnets": [{"name": "GatewaySubnet", "cidr": "10.77.0.0/27"}],
       "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ"}},
      {"name": "dc", "platform": "onprem", "region": "dc1", "address_spaces": ["10.9.0.0/16"],
       "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "public_ip": "203.0.113.9"}}],
      "links": [{"a": "azure", "b": "dc", "routing": "static"}]}"#;
    let a = analyze(&Plan::from_json(json).unwrap());
    assert!(a.findings.iter().any(|f| f.code == "W_AZURE_NO_WORKLOAD_SUBNET" && f.path == "sites[0].subnets"));
    let arts = render(&a.resolved, &RenderOptions::default());
    let md = file(&arts, "RUNBOOK.md");
    assert!(!md.contains("10.77.0.10"), "the runbook tests an address in GatewaySubnet");
    assert!(md.contains("10.77.0.32"), "the first address after GatewaySubnet");
    assert!(md.contains("add a workload subnet there"));
}

/// Items 10 and 11: seed 004's Azure script checks that instance n holds public IP n before it
/// pairs APIPA addresses with instances, and reads back each connection's custom BGP addresses.
#[test]
fn azure_scripts_check_instances_and_read_back_custom_bgp_addresses() {
    let r = tunnelsmith::check::resolve(&PRESETS[4].plan());
    let all = steps(&r);
    for n in 1..=2 {
        let s = all.iter().find(|s| s.id == format!("azure/gw-instance-{n}")).expect("instance check");
        let d = s.display();
        assert!(
            d.contains(&format!(
                "bgpSettings.bgpPeeringAddresses[{}].tunnelIpAddresses[0] == '${{AZURE_GW_IP_{n}}}'",
                n - 1
            )),
            "{d}"
        );
        let w = s.wait.as_ref().expect("a check that stops");
        assert_eq!(
            (w.until.as_str(), w.fail_on.as_slice()),
            (
                format!("instance-{n}-holds-public-ip-{n}").as_str(),
                &[format!("instance-{n}-holds-another-address")][..]
            )
        );
        let apipa = all.iter().find(|s| s.id == "azure/gateway-apipa").unwrap();
        assert!(apipa.after.contains(&format!("azure/gw-instance-{n}")));
    }
    let checks: Vec<&Step> = all.iter().filter(|s| s.id.starts_with("azure/conn-check-")).collect();
    let sets = all
        .iter()
        .filter(|s| s.id.starts_with("azure/conn-set-") && s.display().contains("gatewayCustomBgpIpAddresses"))
        .count();
    assert_eq!(checks.len(), sets, "every custom BGP set is read back");
    let first = all.iter().find(|s| s.id == "azure/conn-check-aws-azure-t1").expect("read back");
    assert!(
        first.display().contains(
            "gatewayCustomBgpIpAddresses[?customBgpIpAddress=='169.254.21.2'] && gatewayCustomBgpIpAddresses[?customBgpIpAddress=='169.254.22.2'] && 'kept' || 'not-kept'"
        ),
        "{}",
        first.display()
    );
    assert_eq!(first.wait.as_ref().unwrap().fail_on, ["not-kept"]);
}

/// Item 3, FRR's own parser: the generated `frr.conf` (with `update-source` and
/// `disable-connected-check`) passes `vtysh --dryrun`.
#[test]
fn frr_accepts_the_one_source_bgp_configuration() {
    let vtysh = ["/usr/bin/vtysh", "/usr/sbin/vtysh"].into_iter().map(std::path::Path::new).find(|p| p.exists());
    let Some(vtysh) = vtysh else {
        assert!(std::env::var_os("TUNNELSMITH_REQUIRE_TOOLS").is_none(), "vtysh (Debian package frr) is required");
        eprintln!("skipped: no vtysh (apt-get install frr)");
        return;
    };
    let r = resolve(&azure_appliance("strongswan", "6"));
    let arts = render(&r, &RenderOptions::default());
    let dir = std::env::temp_dir().join(format!("ts-frr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("frr.conf");
    std::fs::write(&conf, file(&arts, "dc/strongswan/frr.conf")).unwrap();
    let o = std::process::Command::new(vtysh).arg("--dryrun").arg("-f").arg(&conf).output().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(o.status.success(), "vtysh --dryrun rejected frr.conf:\n{out}");
}

const POLICY_APPLIANCE: &str = r#"{"version": 1, "name": "pol", "sites": [
  {"name": "pol", "platform": "azure", "region": "eastus", "address_spaces": ["10.66.0.0/16"],
   "subnets": [{"name": "workload", "cidr": "10.66.1.0/24"}, {"name": "GatewaySubnet", "cidr": "10.66.255.0/27"}],
   "gateway": {"kind": "azure_vpn_gateway", "sku": "Basic", "vpn_type": "policy_based"}},
  {"name": "dc", "platform": "onprem", "region": "dc1", "address_spaces": ["10.64.0.0/16"],
   "gateway": {"kind": "appliance", "software": "strongswan", "version": "5", "public_ip": "203.0.113.9"}}],
  "links": [{"a": "pol", "b": "dc", "routing": "static"}]}"#;

/// A policy-based Azure gateway has no tunnel interface [AZ-PBTS]: its link takes no inside /30
/// (the appliance's tunnel interface has no address, and the runbook lists none), and a pinned
/// one is refused. Before, a /30 from 169.254.10.0 was allocated and written into net-up.sh.
#[test]
fn policy_based_azure_takes_no_inside_addresses() {
    let r = resolve(POLICY_APPLIANCE);
    let t = &r.links[0].tunnels[0];
    assert_eq!((t.inside, t.ends[0].inside_ip, t.ends[1].inside_ip), (None, None, None));
    let arts = render(&r, &RenderOptions::default());
    let net_up = file(&arts, "dc/strongswan/net-up.sh");
    assert!(net_up.contains("xfrm ipsec1 1 \"\" "), "{net_up}");
    assert!(!net_up.contains("169.254."), "{net_up}");

    let mut plan = Plan::from_json(POLICY_APPLIANCE).unwrap();
    plan.links[0].inside = vec![Some("169.254.10.0/30".into())];
    let a = analyze(&plan);
    let f = a.findings.iter().find(|f| f.code == "E_INSIDE_EXTRA").expect("a pinned /30 is refused");
    assert!(f.message.contains("policy-based Azure gateway has no tunnel interface"), "{}", f.message);
}

/// Static routing from AWS to an active-active Azure gateway makes one VPN connection per Azure
/// instance; AWS fails over between the two tunnels of a connection, not between connections
/// (a transit gateway routes a prefix to one attachment; a virtual private gateway documents no
/// choice among identical static routes) [AWS-VPN-ROUTES] [AWS-TGW-RT] [AZ-AA]. `check` warns,
/// and only then: not with BGP, not with one connection, not toward an active-standby gateway.
#[test]
fn static_aws_to_active_active_azure_warns_that_aws_does_not_fail_over() {
    let warned = |aws: &str, active_active: bool, routing: &str, tunnels: &str| {
        let json = format!(
            r#"{{"version": 1, "name": "awsaz", "sites": [
  {{"name": "az", "platform": "azure", "region": "eastus", "address_spaces": ["10.1.0.0/16"],
   "subnets": [{{"name": "workload", "cidr": "10.1.1.0/24"}}, {{"name": "GatewaySubnet", "cidr": "10.1.255.0/27"}}],
   "gateway": {{"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": {active_active}}}}},
  {{"name": "aws", "platform": "aws", "region": "us-east-1", "address_spaces": ["10.2.0.0/16"],
   "subnets": [{{"name": "workload", "cidr": "10.2.1.0/24"}}], "gateway": {{"kind": "{aws}"}}}}],
  "links": [{{"a": "az", "b": "aws", "routing": "{routing}"{tunnels}}}]}}"#
        );
        let a = analyze(&Plan::from_json(&json).unwrap());
        assert!(!a.findings.iter().any(|f| f.is_error()), "{aws} {routing}: {:#?}", a.findings);
        a.findings.iter().find(|f| f.code == "W_AWS_STATIC_NO_FAILOVER").map(|f| (f.path.clone(), f.message.clone()))
    };
    let (path, msg) = warned("aws_tgw", true, "static", "").expect("transit gateway, static, active-active");
    assert_eq!(path, "links[0].routing");
    assert!(msg.contains("routes each of az's prefixes to one VPN attachment only"), "{msg}");
    let (_, msg) = warned("aws_vgw", true, "static", "").expect("virtual private gateway, static, active-active");
    assert!(msg.contains("AWS documents no failover between the VPN connections"), "{msg}");
    assert_eq!(warned("aws_vgw", true, "bgp", ""), None, "BGP withdraws a dead connection's routes");
    assert_eq!(warned("aws_vgw", false, "static", ""), None, "active-standby: one VPN connection");
    assert_eq!(warned("aws_tgw", true, "static", r#", "tunnels": 2"#), None, "one VPN connection");
}
