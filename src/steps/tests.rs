use super::*;
use crate::check::resolve;
use crate::presets::{find, PRESETS};

fn preset(id: &str) -> (Resolved, Vec<Step>) {
    let r = resolve(&find(id).expect("preset").plan());
    let s = steps(&r);
    (r, s)
}

fn step<'a>(s: &'a [Step], id: &str) -> &'a Step {
    s.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn step_ids_are_unique_dependencies_exist_and_every_input_has_a_producer() {
    for p in PRESETS {
        let r = resolve(&p.plan());
        let s = steps(&r);
        for (i, a) in s.iter().enumerate() {
            assert!(s[i + 1..].iter().all(|b| b.id != a.id), "{}: duplicate step {}", p.id, a.id);
            for d in &a.after {
                assert!(s.iter().any(|b| &b.id == d), "{}: {} waits for unknown {d}", p.id, a.id);
            }
            for n in a.inputs() {
                assert!(
                    s.iter().any(|b| b.capture.as_ref().is_some_and(|c| c.name == n)),
                    "{}: {n} has no producer",
                    p.id
                );
            }
            if let Some(res) = &a.creates {
                assert!(!res.delete.is_empty(), "{}: {} creates {} without a delete", p.id, a.id, res.kind);
            }
        }
    }
}

#[test]
fn run_order_starts_the_azure_gateway_first_and_never_waits_before_the_other_clouds() {
    let (r, s) = preset("002-aws-vgw-to-azure-static");
    let names: Vec<String> = order(&r, &s).iter().map(|sc| format!("{}.{}", r.sites[sc.site].name, sc.part)).collect();
    assert_eq!(names, ["azure.1", "aws.1", "azure.2"]);
    let (r, s) = preset("004-aws-azure-gcp-bgp");
    let scripts = order(&r, &s);
    let names: Vec<String> = scripts.iter().map(|sc| format!("{}.{}", r.sites[sc.site].name, sc.part)).collect();
    assert_eq!(names, ["azure.1", "gcp.1", "aws.1", "azure.2", "gcp.2"]);
    // The long poll is in the second Azure part, after AWS and Google Cloud had their turn.
    let wait = s.iter().position(|x| x.id == "azure/gateway-ready").unwrap();
    assert!(scripts[3].steps.contains(&wait));
    // Every step runs exactly once, after everything it depends on.
    let flat: Vec<usize> = scripts.iter().flat_map(|sc| sc.steps.iter().copied()).collect();
    assert_eq!(flat.len(), s.len());
    for (pos, &i) in flat.iter().enumerate() {
        for d in &s[i].after {
            let j = s.iter().position(|x| &x.id == d).unwrap();
            assert!(flat[..pos].contains(&j), "{} runs before {d}", s[i].id);
        }
    }
}

#[test]
fn seed_004_azure_uses_custom_apipa_and_aws_tunnels_carry_the_resolved_profile() {
    let (_, s) = preset("004-aws-azure-gcp-bgp");
    let apipa = step(&s, "azure/gateway-apipa").display();
    assert!(
        apipa.contains("bgpSettings.bgpPeeringAddresses[0].customBgpIpAddresses=[\"169.254.21.2\",\"169.254.21.6\"")
            && apipa.contains("bgpPeeringAddresses[1].customBgpIpAddresses=[\"169.254.22.2\",\"169.254.22.6\""),
        "{apipa}"
    );
    let conn = step(&s, "azure/conn-set-aws-azure-t1").display();
    assert!(
        conn.contains("\"customBgpIpAddress\":\"169.254.21.2\"") && conn.contains("${AZURE_GW_IPCONFIG_1}"),
        "{conn}"
    );
    let policy = step(&s, "azure/policy-aws-azure-t1").display();
    assert!(policy.contains("--sa-lifetime 3600") && policy.contains("--dh-group ECP384"), "{policy}");
    let lng = step(&s, "azure/lng-aws-azure-t1").display();
    assert!(
        lng.contains("--asn 65002 --bgp-peering-address 169.254.21.1") && lng.contains("${AWS_IP_AWS_AZURE_T1}"),
        "{lng}"
    );
    let vpn = step(&s, "aws/vpn-aws-azure-1").display();
    assert!(
        vpn.contains("\"StaticRoutesOnly\":false")
            && vpn.contains("169.254.21.0/30")
            && vpn.contains("169.254.21.4/30"),
        "{vpn}"
    );
    assert!(vpn.contains("${PSK_AWS_AZURE_T1}") && vpn.contains("\"Phase2LifetimeSeconds\":3600"), "{vpn}");
    let ext = step(&s, "gcp/peer-aws").display();
    assert!(
        ext.contains("0=${AWS_IP_AWS_GCP_T1},1=${AWS_IP_AWS_GCP_T2},2=${AWS_IP_AWS_GCP_T3},3=${AWS_IP_AWS_GCP_T4}"),
        "{ext}"
    );
    let bgp = step(&s, "gcp/bgp-gcp-azure-t1").display();
    assert!(bgp.contains("--peer-ip-address 169.254.21.10") && bgp.contains("--peer-asn 65001"), "{bgp}");
    assert!(s.iter().any(|x| x.id == "aws/propagation"), "BGP routes propagate into the VPC route table");
}

#[test]
fn seed_002_static_routes_and_no_bgp() {
    let (_, s) = preset("002-aws-vgw-to-azure-static");
    let lng = step(&s, "azure/lng-azure-aws-t1").display();
    assert!(lng.contains("--local-address-prefixes 10.2.0.0/16") && !lng.contains("--asn"), "{lng}");
    assert!(step(&s, "aws/vpn-route-azure-aws-1-10.1.0.0/16").display().contains("create-vpn-connection-route"));
    assert!(step(&s, "aws/route-10.1.0.0/16").after.contains(&"aws/gateway-ready".to_string()));
    assert!(!s.iter().any(|x| x.id.contains("apipa") || x.id == "aws/propagation"));
    let gw = step(&s, "azure/gateway").display();
    assert!(gw.ends_with("--no-wait") && !gw.contains("--asn"), "{gw}");
}

#[test]
fn every_created_resource_is_of_a_kind_its_own_cli_makes() {
    // steps::KINDS says which CLI makes each kind; a step on one cloud naming another cloud's
    // kind would be priced and torn down as that other cloud's resource.
    let mut seen = std::collections::BTreeSet::new();
    for p in PRESETS {
        for st in steps(&resolve(&p.plan())) {
            if let Some(res) = &st.creates {
                assert_eq!(res.kind.program(), st.program, "{}: {} creates a {:?}", p.id, st.id, res.kind);
                seen.insert(res.kind);
            }
        }
    }
    assert!(seen.len() >= 20, "the presets create only {} kinds: {seen:?}", seen.len());
}

#[test]
fn every_resource_carries_the_plan_name() {
    for p in PRESETS {
        let r = resolve(&p.plan());
        // Attachments and associations link two tagged resources and have no tags of their own.
        let relation = |k: ResourceKind| {
            matches!(
                k,
                ResourceKind::AwsInternetGatewayAttachment
                    | ResourceKind::AwsRouteTableAssociation
                    | ResourceKind::AwsVirtualPrivateGatewayAttachment
                    | ResourceKind::AwsElasticIpAssociation
                    | ResourceKind::AwsTransitGatewayVpcAttachment
            )
        };
        for st in steps(&r).iter().filter(|x| x.creates.as_ref().is_some_and(|c| !relation(c.kind))) {
            let line = st.display();
            assert!(line.contains(&r.plan_name), "{}: {} does not name or tag the plan: {line}", p.id, st.id);
        }
    }
}

#[test]
fn every_step_of_every_preset_can_be_checked_against_the_cloud() {
    for p in PRESETS {
        let (_, s) = preset(p.id);
        for st in &s {
            let check = st.check.as_ref().unwrap_or_else(|| panic!("{}: {} has no check", p.id, st.id));
            if let Check::Describe { args, .. } = check {
                // A check reads: it never creates, adds, updates or deletes.
                let words: Vec<String> = args.iter().map(Arg::display).collect();
                assert!(
                    !words.iter().any(|w| ["create", "add", "update", "delete"].contains(&w.as_str())
                        || w.starts_with("create-")
                        || w.starts_with("delete-")),
                    "{}: {} checks with {words:?}",
                    p.id,
                    st.id
                );
            }
            if st.wait.is_some() || st.args.iter().any(|a| a.display().starts_with("describe")) {
                assert_eq!(check, &Check::Rerun, "{}: {} only reads", p.id, st.id);
            }
        }
    }
}

fn check_line(s: &[Step], id: &str) -> String {
    match &step(s, id).check {
        Some(Check::Describe { args, contains }) => {
            let line = args.iter().map(Arg::display).collect::<Vec<_>>().join(" ");
            match contains {
                Some(c) => format!("{line} [contains {c}]"),
                None => line,
            }
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn seed_004_checks_name_the_same_resources_as_their_steps() {
    let (_, s) = preset("004-aws-azure-gcp-bgp");
    assert_eq!(
        check_line(&s, "aws/vpc"),
        "ec2 describe-vpcs --region us-east-1 --filters Name=tag:Name,Values=multicloud-aws-vpc \
         Name=tag:tunnelsmith-plan,Values=multicloud --query Vpcs[0].VpcId --output text"
    );
    assert!(check_line(&s, "aws/vpn-aws-azure-1").contains("Name=state,Values=pending,available,modifying "));
    assert_eq!(
        check_line(&s, "aws/subnet-1-rt"),
        "ec2 describe-route-tables --region us-east-1 --route-table-ids ${AWS_ROUTE_TABLE_ID} --query \
         RouteTables[0].Associations[?SubnetId=='${AWS_SUBNET_1_ID}'].RouteTableAssociationId | [0] --output text"
    );
    assert_eq!(
        check_line(&s, "azure/gw-ip-1"),
        "network public-ip show --resource-group multicloud-azure-rg --name multicloud-azure-gw-ip1 \
         --query ipAddress --output tsv"
    );
    assert_eq!(
        check_line(&s, "azure/subnet-2"),
        "network vnet subnet show --resource-group multicloud-azure-rg --vnet-name multicloud-azure-vnet \
         --name GatewaySubnet --query id --output tsv"
    );
    assert!(check_line(&s, "azure/policy-aws-azure-t1").starts_with("network vpn-connection ipsec-policy list"));
    assert_eq!(step(&s, "azure/gateway-apipa").check, Some(Check::Rerun));
    assert_eq!(
        check_line(&s, "gcp/if-gcp-azure-t1"),
        "compute routers describe multicloud-gcp-router --region us-east1 --format value(interfaces.name) \
         [contains multicloud-gcp-azure-t1-if]"
    );
    assert_eq!(check_line(&s, "gcp/network"), "compute networks describe multicloud-gcp-net --format value(name)");
}

#[test]
fn seed_004_status_probes_cover_every_cloud_end_of_every_tunnel() {
    let (r, s) = preset("004-aws-azure-gcp-bgp");
    let p = probes(&r, &s);
    let tunnels: usize = r.links.iter().map(|l| l.tunnels.len()).sum();
    // Every tunnel has two cloud ends; Azure and Google Cloud ends add a BGP probe each.
    let bgp_ends = r
        .links
        .iter()
        .flat_map(|l| l.tunnels.iter().map(move |_| [l.a, l.b]))
        .flatten()
        .filter(|&site| r.sites[site].platform != crate::plan::Platform::Aws)
        .count();
    assert_eq!(p.len(), 2 * tunnels + bgp_ends);
    let aws = p.iter().find(|x| x.tunnel == "aws-azure-t1" && x.reads == Reads::AwsTelemetry).unwrap();
    let line = aws.args.iter().map(Arg::display).collect::<Vec<_>>().join(" ");
    assert!(line.contains("--vpn-connection-ids ${AWS_VPN_AWS_AZURE_1}"), "{line}");
    assert!(line.contains("OutsideIpAddress=='${AWS_IP_AWS_AZURE_T1}'"), "{line}");
    let bgp = p.iter().find(|x| x.tunnel == "aws-azure-t1" && x.reads == Reads::AzureBgp).unwrap();
    assert!(bgp.args.iter().any(|a| a.display() == "169.254.21.1"), "Azure asks about the AWS inside address");
    let gcp = p.iter().find(|x| x.tunnel == "gcp-azure-t2" && matches!(x.reads, Reads::GcpBgp { .. })).unwrap();
    assert_eq!(gcp.reads, Reads::GcpBgp { peer: "multicloud-gcp-azure-t2-bgp".into() });
}

#[test]
fn displays_is_display_equals() {
    let a = Arg::from(vec![
        Part::Text("x=".into()),
        Part::Param { name: "P".into(), value: "v".into() },
        Part::Output("O".into()),
        Part::Secret("S".into()),
    ]);
    assert_eq!(a.display(), "x=v${O}${S}");
    for s in ["x=v${O}${S}", "", "x=v", "x=v${O}${S}!", "x=v${O}${", "x=v$O$S"] {
        assert_eq!(a.displays(s), a.display() == s, "{s}");
    }
    assert!(t("--name").displays("--name") && !t("--name").displays("--nam"));
    assert!(Arg::from(Vec::new()).displays(""));
}

/// A transit gateway site with three new subnets, linked statically to an appliance.
fn tgw_plan() -> (Resolved, Vec<Step>) {
    let plan = crate::plan::Plan::from_json(
        r#"{"version": 1, "name": "tgwlab", "sites": [
          {"name": "hub", "platform": "aws", "region": "eu-west-1", "address_spaces": ["10.10.0.0/16"],
           "subnets": [{"name": "a", "cidr": "10.10.1.0/24"}, {"name": "b", "cidr": "10.10.2.0/24"},
                       {"name": "c", "cidr": "10.10.3.0/24"}],
           "gateway": {"kind": "aws_tgw", "asn": 64600}},
          {"name": "dc", "platform": "onprem", "region": "fra-dc1", "address_spaces": ["10.20.0.0/16"],
           "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "public_ip": "198.51.100.7"}}],
          "links": [{"a": "hub", "b": "dc", "routing": "static"}]}"#,
    )
    .unwrap();
    let r = resolve(&plan);
    let s = steps(&r);
    (r, s)
}

#[test]
fn transit_gateway_subnets_have_zones_the_attachment_covers_each_and_routes_wait_for_it() {
    let (_, s) = tgw_plan();
    let shown = |st: &Step| st.args.iter().map(|a| a.display()).collect::<Vec<_>>().join(" ");
    // Each subnet in a zone named at run time, alternating over two zones.
    let zone_of = |k: usize| {
        let st = step(&s, &format!("hub/subnet-{k}"));
        let a = shown(st);
        let z = a.split("--availability-zone ").nth(1).unwrap_or_else(|| panic!("subnet {k} has no zone: {a}"));
        z.split(' ').next().unwrap().to_string()
    };
    assert_eq!([zone_of(1), zone_of(2), zone_of(3)], ["${HUB_AZ_1}", "${HUB_AZ_2}", "${HUB_AZ_1}"]);
    assert!(shown(step(&s, "hub/zones")).contains("sort_by(AvailabilityZones, &ZoneName)[0].ZoneName"));
    // The attachment holds one subnet in each zone used.
    let att = shown(step(&s, "hub/gateway-attach"));
    assert!(att.contains("--subnet-ids ${HUB_SUBNET_1_ID} ${HUB_SUBNET_2_ID} --"), "{att}");
    // Routes to the transit gateway wait until the attachment is available.
    let ready = step(&s, "hub/gateway-attach-ready");
    assert_eq!(ready.wait.as_ref().map(|w| w.until.as_str()), Some("available"));
    assert!(ready.after.iter().any(|d| d == "hub/gateway-attach"));
    let route = step(&s, "hub/route-10.20.0.0/16");
    assert!(shown(route).contains("--transit-gateway-id ${HUB_TGW_ID}"));
    assert!(route.after.iter().any(|d| d == "hub/gateway-attach-ready"), "{:?}", route.after);
}

#[test]
fn google_tunnels_are_pinned_to_the_resolved_proposal() {
    let (_, s) = preset("004-aws-azure-gcp-bgp");
    let st = step(&s, "gcp/tunnel-aws-gcp-t1");
    let line: Vec<String> = st.args.iter().map(Arg::display).collect();
    assert_eq!(line[..4], ["beta", "compute", "vpn-tunnels", "create"], "the flags are in gcloud's beta track");
    let shown = line.join(" ");
    for want in [
        "--phase1-encryption AES-CBC-256",
        "--phase1-integrity HMAC-SHA2-256-128",
        "--phase1-prf PRF-HMAC-SHA2-256",
        "--phase1-dh Group-20",
        "--phase2-encryption AES-CBC-256",
        "--phase2-integrity HMAC-SHA2-256-128",
        "--phase2-pfs Group-20",
    ] {
        assert!(shown.contains(want), "missing {want}: {shown}");
    }
    // The check and the status read the tunnel with the GA command.
    let Some(Check::Describe { args, .. }) = &st.check else { panic!("{:?}", st.check) };
    assert_eq!(args[0].display(), "compute");
}

/// A transit gateway routes each destination to one attachment: a static link to an active-active
/// Azure gateway (two VPN connections, one per instance) gets one route per peer prefix, not one
/// per connection, which AWS refuses with RouteAlreadyExists [AWS-TGW-RT] (seen in the interop lab).
#[test]
fn transit_gateway_static_routes_name_one_attachment_per_destination() {
    let plan = crate::plan::Plan::from_json(
        r#"{"version": 1, "name": "tgwaa", "sites": [
          {"name": "hub", "platform": "aws", "region": "eu-west-1", "address_spaces": ["10.60.0.0/16"],
           "subnets": [{"name": "a", "cidr": "10.60.1.0/24"}], "gateway": {"kind": "aws_tgw", "asn": 64620}},
          {"name": "aa", "platform": "azure", "region": "eastus", "address_spaces": ["10.62.0.0/16"],
           "subnets": [{"name": "w", "cidr": "10.62.1.0/24"}, {"name": "GatewaySubnet", "cidr": "10.62.255.0/27"}],
           "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": true}}],
          "links": [{"a": "hub", "b": "aa", "routing": "static"}]}"#,
    )
    .unwrap();
    let r = resolve(&plan);
    let s = steps(&r);
    let vpns = s.iter().filter(|st| st.args.get(1).is_some_and(|a| a.display() == "create-vpn-connection")).count();
    assert_eq!(vpns, 2, "one VPN connection per Azure instance");
    let routes: Vec<String> = s
        .iter()
        .filter(|st| st.args.get(1).is_some_and(|a| a.display() == "create-transit-gateway-route"))
        .map(|st| st.args.iter().map(|a| a.display()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(routes.len(), 1, "{routes:#?}");
    assert!(routes[0].contains("--destination-cidr-block 10.62.0.0/16"), "{}", routes[0]);
}
