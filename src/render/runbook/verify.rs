//! Sections 5 and 6: verification per site with the exact commands and what "up" looks like, an
//! end-to-end test between two addresses of the plan, and troubleshooting written for this plan.

use super::doc::{Doc, Plain};
use super::{id, lit, shell, shell_words, Ctx};
use crate::check::RLink;
use crate::plan::{Gateway, Platform, Routing, Software};
use crate::render::appliance::{device, join, Clamp, Host};
use crate::steps::{self, Arg, Program, ResourceKind};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

fn aws(c: &Ctx, i: usize, sub: &'static str, rest: Vec<Arg>) -> String {
    let mut a = vec![lit("ec2"), lit(sub), lit("--region"), lit(c.param(i, "REGION").unwrap_or_default())];
    a.extend(rest);
    shell(Program::Aws, &a)
}

fn words(ws: &[&'static str]) -> Vec<Arg> {
    ws.iter().map(|w| lit(*w)).collect()
}

/// The names (for AWS: the recorded ID variables) of what site `i` creates of `kind`.
fn created<'c>(c: &'c Ctx, i: usize, kind: ResourceKind) -> Vec<&'c str> {
    c.created(i).into_iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).collect()
}

/// A host address to test from or to at site `i`: `.10` of a workload subnet (or `.4` in a small
/// one), in a subnet the appliance's routes apply to; `None` when the site has no address space.
pub(super) fn test_address(c: &Ctx, i: usize) -> Option<(Ipv4Addr, String)> {
    let s = &c.r.sites[i];
    let appliance: Option<Ipv4Addr> = match &s.gateway {
        Gateway::Appliance { private_ip, .. } => private_ip.parse().ok(),
        Gateway::AwsVgw { .. }
        | Gateway::AwsTgw { .. }
        | Gateway::AzureVpnGateway { .. }
        | Gateway::GcpHaVpn { .. }
        | Gateway::GcpClassicVpn { .. } => None,
    };
    let workload = s.subnets.iter().filter(|x| x.name != "GatewaySubnet");
    // No VM can live in GatewaySubnet: a site without a workload subnet (a warning) is tested at
    // an address of its space outside it, where the subnet the warning asks for will be.
    let gateway_subnet: Vec<Ipv4Net> = s.subnets.iter().filter(|x| x.name == "GatewaySubnet").map(|x| x.cidr).collect();
    let pick = workload
        .clone()
        .find(|x| appliance.is_none_or(|a| !x.cidr.contains(&a)))
        .or_else(|| workload.clone().next())
        .map(|x| (x.cidr, text!("subnet `{}` ({})", Plain(&x.name), x.cidr)))
        .or_else(|| {
            s.address_spaces.first().map(|n| {
                if gateway_subnet.is_empty() {
                    (*n, text!("{n}"))
                } else {
                    (
                        *n,
                        text!(
                            "{n}, outside `GatewaySubnet`: add a workload subnet there and a VM at this address first"
                        ),
                    )
                }
            })
        });
    let (net, label): (Ipv4Net, String) = pick?;
    let base = u32::from(net.network());
    let last = u32::from(net.broadcast());
    let first = if base + 10 < last { base + 10 } else { (base + 4).min(last.saturating_sub(1)) };
    // Not the appliance itself (its own traffic leaves from the tunnel's inside address), and
    // not inside GatewaySubnet.
    let host = (first..last).find(|&h| {
        let a = Ipv4Addr::from(h);
        appliance != Some(a) && !gateway_subnet.iter().any(|g| g.contains(&a))
    })?;
    Some((Ipv4Addr::from(host), label))
}

pub(super) fn verify(c: &Ctx, d: &mut Doc) {
    d.h(2, "verify", "Verify");
    let bgp = c.r.links.iter().any(|l| l.routing == Routing::Bgp);
    d.p(text!(
        "Run these from this folder once every phase{} has run. Tunnels come up within a minute or two{}. Commands \
         that name a recorded ID need the values in your shell first:",
        if c.hosts.is_empty() { "" } else { " and every appliance install script" },
        if bgp { ", BGP sessions shortly after" } else { "" }
    ));
    d.code("source outputs.env");
    for i in 0..c.r.sites.len() {
        let s = &c.r.sites[i];
        match &s.gateway {
            Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => verify_aws(c, d, i),
            Gateway::AzureVpnGateway { .. } => verify_azure(c, d, i),
            Gateway::GcpHaVpn { .. } => verify_gcp(c, d, i),
            Gateway::Appliance { .. } => {
                if let Some(h) = c.host(i) {
                    verify_host(c, d, i, h);
                }
            }
            Gateway::GcpClassicVpn {} => {}
        }
    }
    end_to_end(c, d);
}

fn verify_aws(c: &Ctx, d: &mut Doc, i: usize) {
    let s = &c.r.sites[i];
    let conns = created(c, i, ResourceKind::AwsVpnConnection);
    if conns.is_empty() {
        return;
    }
    d.h(3, &text!("verify-{}", Plain(&s.name)), &text!("{} ({})", Plain(&s.name), s.gateway.kind().label()));
    let tunnels: usize = c.r.links.iter().filter(|l| l.a == i || l.b == i).map(|l| l.tunnels.len()).sum();
    let bgp = c.r.links.iter().any(|l| (l.a == i || l.b == i) && l.routing == Routing::Bgp);
    let mut rest = vec![lit("--vpn-connection-ids")];
    rest.extend(conns.iter().map(|n| id(n)));
    rest.extend(words(&[
        "--query",
        "VpnConnections[].VgwTelemetry[].[OutsideIpAddress,Status,StatusMessage]",
        "--output",
        "table",
    ]));
    d.code(aws(c, i, "describe-vpn-connections", rest));
    d.p(text!(
        "**Up:** {} rows, one per tunnel, each `UP`{}. A row that stays `DOWN` is a tunnel the peer does not \
         bring up: see Troubleshooting.",
        conns.len() * 2,
        if bgp { "; the message reads `N BGP ROUTES` with N at least 1" } else { "" }
    ));
    if tunnels < conns.len() * 2 {
        d.note(text!(
            "This plan configures {tunnels} of the {} tunnels AWS builds: the others stay `DOWN`.",
            conns.len() * 2
        ));
    }
    let rt = text!("{}_ROUTE_TABLE_ID", steps::var(&s.name));
    let mut rest = vec![lit("--route-table-ids"), id(&rt)];
    rest.extend(words(&[
        "--query",
        "RouteTables[0].Routes[].[DestinationCidrBlock,Origin,State]",
        "--output",
        "table",
    ]));
    d.code(aws(c, i, "describe-route-tables", rest));
    let peers: Vec<String> =
        steps::links_of(c.r, i).flat_map(|(_, _, p)| p.address_spaces.iter().map(|n| n.to_string())).collect();
    d.p(text!(
        "**Up:** {} listed as `active`{}.",
        peers.join(", "),
        if bgp && !matches!(s.gateway, Gateway::AwsTgw { .. }) {
            ", those learned over BGP with origin `EnableVgwRoutePropagation`"
        } else {
            ""
        }
    ));
}

fn verify_azure(c: &Ctx, d: &mut Doc, i: usize) {
    let s = &c.r.sites[i];
    let (Some(rg), Some(gw)) = (c.param(i, "RG"), c.param(i, "GW")) else { return };
    d.h(3, &text!("verify-{}", Plain(&s.name)), &text!("{} (Azure VPN gateway)", Plain(&s.name)));
    let conns = created(c, i, ResourceKind::AzureVpnConnection);
    let lines: Vec<String> = conns
        .iter()
        .map(|n| {
            shell_words(
                Program::Az,
                &[
                    "network",
                    "vpn-connection",
                    "show",
                    "--resource-group",
                    &rg,
                    "--name",
                    n,
                    "--query",
                    "connectionStatus",
                    "--output",
                    "tsv",
                ],
            )
        })
        .collect();
    d.code(lines.join("\n"));
    d.p(if conns.len() == 1 {
        "**Up:** `Connected`.".to_string()
    } else {
        text!("**Up:** `Connected`, once for each of the {} connections.", conns.len())
    });
    let mut rows = Vec::new();
    for (l, e, peer) in steps::links_of(c.r, i) {
        if l.routing != Routing::Bgp {
            continue;
        }
        for t in &l.tunnels {
            if let Some(ip) = t.ends[1 - e].inside_ip {
                rows.push(vec![
                    ip.to_string(),
                    peer.asn.map(|a| a.to_string()).unwrap_or_default(),
                    text!("`{}`", t.id),
                    text!("instance {}", t.ends[e].outside + 1),
                ]);
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let common = ["--resource-group", rg.as_str(), "--name", gw.as_str(), "--output", "table"];
    let peers = [&["network", "vnet-gateway", "list-bgp-peer-status"][..], &common].concat();
    let learned = [&["network", "vnet-gateway", "list-learned-routes"][..], &common].concat();
    d.p("With BGP, the peers are the reliable check (a connection can show another state while its tunnel works):");
    d.code(text!("{}\n{}", shell_words(Program::Az, &peers), shell_words(Program::Az, &learned)));
    d.p("**Up:** each of these neighbours `Connected`, with routes received:");
    d.table(&["neighbour", "AS", "tunnel", "on gateway"], rows);
    if matches!(s.gateway, Gateway::AzureVpnGateway { active_active: true, .. }) {
        d.note(
            "Each instance also lists the neighbours of the other instance as `Connecting`, and itself as \
                `Unknown`: that is normal, a peer's address reaches one instance only. The learned routes list \
                the peers' address spaces.",
        );
    }
}

fn verify_gcp(c: &Ctx, d: &mut Doc, i: usize) {
    let s = &c.r.sites[i];
    let (Some(region), Some(router)) = (c.param(i, "REGION"), c.param(i, "ROUTER")) else { return };
    d.h(3, &text!("verify-{}", Plain(&s.name)), &text!("{} (Google Cloud HA VPN)", Plain(&s.name)));
    let tunnels = created(c, i, ResourceKind::GcpVpnTunnel);
    let lines: Vec<String> = tunnels
        .iter()
        .map(|t| {
            shell_words(
                Program::Gcloud,
                &[
                    "compute",
                    "vpn-tunnels",
                    "describe",
                    t,
                    "--region",
                    &region,
                    "--format",
                    "value(status,detailedStatus)",
                ],
            )
        })
        .collect();
    d.code(lines.join("\n"));
    d.p(text!(
        "**Up:** `ESTABLISHED` and `Tunnel is up and running.`, for each of the {}.",
        super::count(tunnels.len(), "tunnel")
    ));
    let status = |fields: &str| {
        shell_words(
            Program::Gcloud,
            &[
                "compute",
                "routers",
                "get-status",
                &router,
                "--region",
                &region,
                "--format",
                &text!("flattened({fields})"),
            ],
        )
    };
    d.code(text!(
        "{}\n{}",
        status("result.bgpPeerStatus[].name,result.bgpPeerStatus[].state,result.bgpPeerStatus[].numLearnedRoutes"),
        status("result.bestRoutesForRouter[].destRange,result.bestRoutesForRouter[].nextHopIp")
    ));
    let peers: Vec<String> =
        steps::links_of(c.r, i).flat_map(|(_, _, p)| p.address_spaces.iter().map(|n| n.to_string())).collect();
    d.p(text!(
        "**Up:** every BGP peer ({}) in state `Established` with at least one learned route, and the best routes \
         include {}.",
        tunnels.iter().map(|t| text!("`{t}-bgp`")).collect::<Vec<_>>().join(", "),
        peers.join(", ")
    ));
}

fn verify_host(c: &Ctx, d: &mut Doc, i: usize, h: &Host) {
    let s = &c.r.sites[i];
    d.h(3, &text!("verify-{}", Plain(&s.name)), &text!("{} ({} host)", Plain(&s.name), h.label()));
    let names: Vec<String> = h.tunnels.iter().map(|t| text!("`{}`", t.tunnel.id)).collect();
    let device = h.device();
    let (cmd, up) = (device.status, (device.status_up)(&names.join(", ")));
    let bgp = h.bgp().then_some(device.bgp_summary);
    d.code(match bgp {
        Some(b) => text!("{cmd}\n{b}"),
        None => cmd.to_string(),
    });
    let mut up = text!("**Up:** {up}");
    if bgp.is_some() {
        let neighbours: Vec<String> =
            h.tunnels.iter().filter_map(|t| t.peer_inside()).map(|ip| ip.to_string()).collect();
        up.push_str(&text!("; BGP neighbours {} established, each with prefixes received", neighbours.join(", ")));
    }
    d.p(up + ".");
}

fn end_to_end(c: &Ctx, d: &mut Doc) {
    let mut pairs = Vec::new();
    for l in &c.r.links {
        if let (Some(a), Some(b)) = (test_address(c, l.a), test_address(c, l.b)) {
            pairs.push((l, a, b));
        }
    }
    if pairs.is_empty() {
        return;
    }
    d.h(3, "verify-end-to-end", "End to end");
    d.p("The real test is traffic between machines of two sites over their private addresses. Use a small test VM \
         at each address below (any VM in the same subnet does: change the address), allow ICMP from the other \
         site's address space in its security group, NSG or firewall, and run from the first one:");
    for (l, (from, from_net), (to, to_net)) in pairs {
        let (a, b) = (Plain(&c.r.sites[l.a].name), Plain(&c.r.sites[l.b].name));
        d.p(text!("Link `{}`: from {from} in {a}'s {from_net} to {to} in {b}'s {to_net}:", l.id));
        d.code(text!("ping -c 5 {to}\nmtr -r -c 10 {to}\nping -c 3 -M do -s {} {to}", l.mtu.saturating_sub(28)));
        d.p(text!(
            "**Up:** replies to the first ping within tens of milliseconds; `mtr` shows no loss and only a few hops \
             (the tunnel hides the internet path); the last ping, {} bytes with don't-fragment set, fits the \
             tunnel's MTU of {} and gets replies too.",
            l.mtu,
            l.mtu
        ));
    }
}

/// Symptoms by platform of a tunnel that does not negotiate, for the platforms the plan uses.
fn symptoms(c: &Ctx) -> Vec<String> {
    let has =
        |p: Platform| c.r.sites.iter().any(|s| s.platform == p && !matches!(s.gateway, Gateway::Appliance { .. }));
    let mut v = Vec::new();
    if has(Platform::Aws) {
        v.push("AWS: the tunnel's row stays `DOWN`.".to_string());
    }
    if has(Platform::Azure) {
        v.push("Azure: the connection stays `Connecting` or `NotConnected`.".into());
    }
    if has(Platform::Gcp) {
        v.push("Google Cloud: the tunnel's status stays `NEGOTIATION_FAILURE` or `FIRST_HANDSHAKE`, and `detailedStatus` names the problem.".into());
    }
    if !c.hosts.is_empty() {
        v.push(
            "Appliances: the IKE log (`journalctl` on the host, `show log` on VyOS) shows the failed exchange.".into(),
        );
    }
    v
}

pub(super) fn troubleshooting(c: &Ctx, d: &mut Doc) {
    d.h(2, "troubleshooting", "Troubleshooting");
    d.p("Start from what the checks above show. The usual causes, for this plan:");
    trouble_proposals(c, d);
    trouble_psk(c, d);
    trouble_mtu(c, d);
    trouble_firewall(c, d);
    trouble_forwarding(c, d);
    trouble_bgp(c, d);
    trouble_aws_tunnels(c, d);
}

/// A tunnel does not come up: the proposals differ. Each cloud end's own view of them, and where
/// the appliances keep theirs.
fn trouble_proposals(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    d.h(3, "trouble-proposals", "A tunnel does not come up: the proposals do not match");
    d.list(symptoms(c));
    d.p("Logs say `NO_PROPOSAL_CHOSEN` (or `no matching proposal`). Both ends must be configured with exactly the \
         proposal in the Crypto table of the overview; the scripts configure it on every end that takes one. \
         Compare with what each end actually has:");
    let mut cmds = Vec::new();
    for i in 0..r.sites.len() {
        match &r.sites[i].gateway {
            Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => {
                let conns = created(c, i, ResourceKind::AwsVpnConnection);
                if conns.is_empty() {
                    continue;
                }
                let mut rest = vec![lit("--vpn-connection-ids")];
                rest.extend(conns.iter().map(|n| id(n)));
                rest.extend(words(&[
                    "--query",
                    "VpnConnections[].Options.TunnelOptions[].[OutsideIpAddress,IkeVersions[0].Value,Phase1EncryptionAlgorithms[0].Value,Phase1IntegrityAlgorithms[0].Value,Phase1DHGroupNumbers[0].Value,Phase2DHGroupNumbers[0].Value]",
                    "--output",
                    "table",
                ]));
                cmds.push(aws(c, i, "describe-vpn-connections", rest));
            }
            Gateway::AzureVpnGateway { .. } => {
                let (Some(rg), Some(first)) =
                    (c.param(i, "RG"), created(c, i, ResourceKind::AzureVpnConnection).first().map(|s| s.to_string()))
                else {
                    continue;
                };
                if c.site_steps(i).any(|s| s.args.iter().any(|a| a.display() == "ipsec-policy")) {
                    cmds.push(shell_words(
                        Program::Az,
                        &[
                            "network",
                            "vpn-connection",
                            "ipsec-policy",
                            "list",
                            "--resource-group",
                            &rg,
                            "--connection-name",
                            &first,
                            "--output",
                            "table",
                        ],
                    ));
                }
            }
            Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn { .. } | Gateway::Appliance { .. } => {}
        }
    }
    d.code(cmds.join("\n"));
    let mut files = Vec::new();
    for x in Software::ALL {
        if c.hosts.iter().any(|h| h.software == x) {
            files.push(device(x).crypto_where);
        }
    }
    if !files.is_empty() {
        d.p(text!("On the appliances: {}.", files.join("; ")));
    }
    if r.sites.iter().any(|s| matches!(s.gateway, Gateway::GcpHaVpn { .. })) {
        d.p("Google Cloud's tunnels are pinned to the same single proposal as their peers (`--phase1-*` and \
             `--phase2-*` of `gcloud beta compute vpn-tunnels create`: the GA command of gcloud 528.0.0, the \
             version these scripts were checked with, does not have these flags yet; the beta command needs \
             gcloud's beta component, which the Debian and RPM packages include). One proposal keeps \
             the IKE messages small: an AWS tunnel toward Google Cloud must keep it, because AWS's default list \
             makes IKE messages that Google Cloud drops. `gcloud compute vpn-tunnels describe` shows what a \
             tunnel holds (`cipherSuite`).");
    }
}

/// A tunnel does not come up: the pre-shared keys differ.
fn trouble_psk(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    d.h(3, "trouble-psk", "A tunnel does not come up: the pre-shared keys differ");
    d.p(text!(
        "Logs say `AUTHENTICATION_FAILED`{}. Both ends of a tunnel read the same key, by name, from `secrets.env`. If `secrets.env` was generated again after \
         a phase ran, the ends hold different keys: put back the `secrets.env` the phases ran with{}, or tear down \
         and deploy again. The keys by tunnel are in the Tunnels table of the overview.",
        if r.sites.iter().any(|s| matches!(s.gateway, Gateway::GcpHaVpn { .. })) {
            "; Google Cloud's `detailedStatus` reports an authentication failure"
        } else {
            ""
        },
        if r.sites.iter().any(|s| matches!(s.gateway, Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. })) {
            " (AWS keeps the key it was given when the VPN connection was created)"
        } else {
            ""
        }
    ));
}

/// Big packets vanish: each link's MTU and MSS, how to test them, and who clamps already.
fn trouble_mtu(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    d.h(3, "trouble-mtu", "Small packets pass, big ones vanish: MTU and MSS");
    d.p("Ping works but SSH hangs during key exchange, HTTPS stalls, copies freeze: packets larger than the \
         tunnel's MTU are dropped without an error. For this plan:");
    let rows: Vec<Vec<String>> = r
        .links
        .iter()
        .map(|l| {
            vec![
                text!("`{}`", l.id),
                l.mtu.to_string(),
                l.mss.to_string(),
                text!(
                    "`ping -M do -s {}` passes, `-s {}` does not",
                    l.mtu.saturating_sub(28),
                    l.mtu.saturating_sub(27)
                ),
            ]
        })
        .collect();
    d.table(&["link", "tunnel MTU", "clamp TCP MSS to", "test"], rows);
    let mut fix =
        vec!["If big packets vanish instead of failing at the size above, clamp the TCP MSS to the value above where \
         traffic enters the tunnel, or set the MTU of the test machines' interfaces to the tunnel MTU."
            .to_string()];
    for h in c.hosts.iter().filter(|h| matches!(h.device().mss_clamp, Clamp::Nft)) {
        fix.push(text!(
            "{} already clamps it: `{}` (loaded at boot by `tunnelsmith-{}.service`) sets the MSS on its tunnel \
             interfaces.",
            Plain(&h.site.name),
            h.path(h.dir(), "firewall.nft"),
            h.plan()
        ));
    }
    for x in Software::ALL {
        if let Clamp::Said(how) = device(x).mss_clamp {
            if c.hosts.iter().any(|h| h.software == x) {
                fix.push(how.into());
            }
        }
    }
    d.list(fix);
}

/// Nothing arrives: what each site's security groups, NSGs or firewall rules let in.
fn trouble_firewall(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    d.h(3, "trouble-firewall", "Nothing arrives: security groups, NSGs and firewalls");
    let mut items = Vec::new();
    let mut codes = Vec::new();
    for i in 0..r.sites.len() {
        let s = &r.sites[i];
        let peers = peer_spaces(c, i);
        match (&s.gateway, s.platform) {
            (Gateway::Appliance { .. }, Platform::Aws) => {
                let sg = text!("{}_SG_ID", steps::var(&s.name));
                items.push(text!(
                    "{}: the appliance's security group (`{sg}`) lets UDP 500, UDP 4500 and ESP in from its peers only, \
                     and the VPC's own traffic that the appliance forwards; the instances you test from need inbound \
                     rules for {peers}.",
                    c.site(i)
                ));
                let mut rest = vec![lit("--group-ids"), id(&sg)];
                rest.extend(words(&["--query", "SecurityGroups[0].IpPermissions", "--output", "json"]));
                codes.push(aws(c, i, "describe-security-groups", rest));
            }
            (Gateway::Appliance { .. }, Platform::Azure) => {
                let (Some(rg), Some(nsg)) = (c.param(i, "RG"), c.param(i, "NSG")) else { continue };
                items.push(text!(
                    "{}: the appliance's NSG `{nsg}` lets UDP 500, UDP 4500 and ESP in from its peers only.",
                    c.site(i)
                ));
                codes.push(shell_words(
                    Program::Az,
                    &[
                        "network",
                        "nsg",
                        "rule",
                        "list",
                        "--resource-group",
                        &rg,
                        "--nsg-name",
                        &nsg,
                        "--output",
                        "table",
                    ],
                ));
            }
            (Gateway::Appliance { .. }, Platform::Gcp) => items.push(text!(
                "{}: the firewall rules {} let UDP 500, UDP 4500 and ESP in from the peers to VMs tagged \
                 `{}-appliance`: the appliance VM needs that tag.",
                c.site(i),
                created(c, i, ResourceKind::GcpFirewallRule)
                    .iter()
                    .filter(|n| n.contains("-ipsec-"))
                    .map(|n| text!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                steps::prefix(r, i)
            )),
            (Gateway::Appliance { .. }, Platform::Onprem) => items.push(text!(
                "{}: your edge firewall must let UDP 500, UDP 4500 and ESP (IP protocol 50) in from the peers; behind \
                 NAT, IKE moves to UDP 4500 by itself.",
                c.site(i)
            )),
            (Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. }, _) => items.push(text!(
                "{}: the VPN endpoints need no rule, but the instances you test from need inbound rules for {peers} in \
                 their security groups (AWS allows nothing inbound by default).",
                c.site(i)
            )),
            (Gateway::AzureVpnGateway { .. }, _) => items.push(text!(
                "{}: the default NSG rules already allow {peers}: address spaces reached through the VPN gateway are \
                 part of the `VirtualNetwork` service tag. A custom rule that denies it wins.",
                c.site(i)
            )),
            (Gateway::GcpHaVpn { .. }, _) => {
                if let Some(name) = created(c, i, ResourceKind::GcpFirewallRule).first() {
                    items.push(text!(
                        "{}: the firewall rule `{name}` lets TCP, UDP and ICMP in from {peers}.",
                        c.site(i)
                    ));
                }
            }
            _ => {}
        }
    }
    d.list(items);
    d.code(codes.join("\n"));
}

/// The tunnel is up but no traffic passes an appliance: forwarding on the instance and the host
/// (plans with appliances only).
fn trouble_forwarding(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    if !c.hosts.is_empty() {
        d.h(3, "trouble-forwarding", "The tunnel is up but no traffic passes the appliance");
        for h in &c.hosts {
            let Some(i) = r.sites.iter().position(|s| std::ptr::eq(s, h.site)) else { continue };
            let v = steps::var(&h.site.name);
            match h.site.platform {
                Platform::Aws => {
                    d.p(text!(
                        "{}: AWS drops packets an instance forwards unless its interface's source/destination check \
                         is off; the scripts turned it off on `{v}_ENI_ID`. Expect `False`, the instance's ID and \
                         `in-use`:",
                        c.site(i)
                    ));
                    let mut rest = vec![lit("--network-interface-ids"), id(&text!("{v}_ENI_ID"))];
                    rest.extend(words(&[
                        "--query",
                        "NetworkInterfaces[0].[SourceDestCheck,Attachment.InstanceId,Status]",
                        "--output",
                        "text",
                    ]));
                    d.code(aws(c, i, "describe-network-interfaces", rest));
                }
                Platform::Azure => {
                    if let (Some(rg), Some(nic)) = (c.param(i, "RG"), c.param(i, "NIC")) {
                        d.p(text!(
                            "{}: Azure drops forwarded packets unless IP forwarding is on for the NIC `{nic}`; expect \
                             `true` and the VM's ID:",
                            c.site(i)
                        ));
                        d.code(shell_words(
                            Program::Az,
                            &[
                                "network",
                                "nic",
                                "show",
                                "--resource-group",
                                &rg,
                                "--name",
                                &nic,
                                "--query",
                                "[enableIPForwarding, virtualMachine.id]",
                                "--output",
                                "tsv",
                            ],
                        ));
                    }
                }
                Platform::Gcp => d.p(text!(
                    "{}: Google Cloud drops forwarded packets unless the VM was created with `--can-ip-forward`.",
                    c.site(i)
                )),
                Platform::Onprem => {}
            }
            if h.device().forwarding_sysctl {
                d.p(text!(
                    "{}: the host must forward IPv4; the install script sets it in \
                     `/etc/sysctl.d/60-tunnelsmith-{}.conf`. On the host, expect `net.ipv4.ip_forward = 1`:",
                    c.site(i),
                    h.plan()
                ));
                d.code("sysctl net.ipv4.ip_forward");
            }
        }
    }
}

/// Tunnels up, BGP not established: who starts the sessions toward Azure, and each link's ASNs
/// and inside addresses (plans with BGP links only).
fn trouble_bgp(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    let bgp: Vec<&RLink> = r.links.iter().filter(|l| l.routing == Routing::Bgp).collect();
    if !bgp.is_empty() {
        d.h(3, "trouble-bgp", "Tunnels up, BGP not established");
        let mut starters = Vec::new();
        for l in &bgp {
            let (a, b) = (&r.sites[l.a], &r.sites[l.b]);
            let other = match (&a.gateway, &b.gateway) {
                (Gateway::AzureVpnGateway { .. }, g) | (g, Gateway::AzureVpnGateway { .. }) => g,
                _ => continue,
            };
            let who = match other {
                Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => {
                    "AWS starts its tunnels itself (startup action `start`)"
                }
                Gateway::GcpHaVpn { .. } => "Google Cloud's Cloud Router always starts",
                Gateway::Appliance { software, .. } => device(*software).bgp_starter,
                Gateway::AzureVpnGateway { .. } | Gateway::GcpClassicVpn { .. } => continue,
            };
            if !starters.contains(&who) {
                starters.push(who);
            }
        }
        let mut items = Vec::new();
        if !starters.is_empty() {
            items.push(text!(
                "Azure does not start BGP toward peers on APIPA (169.254.x.x) addresses: the other end must. In this \
                 plan it does: {}. If a session never leaves `Connecting` on both instances, the peer's tunnel is \
                 down or its BGP neighbour is not the address below.",
                starters.join("; ")
            ));
        }
        for l in &bgp {
            let (a, b) = (&r.sites[l.a], &r.sites[l.b]);
            let pairs: Vec<String> = l
                .tunnels
                .iter()
                .filter_map(|t| match (t.ends[0].inside_ip, t.ends[1].inside_ip) {
                    (Some(x), Some(y)) => Some(text!("{x} and {y}")),
                    _ => None,
                })
                .collect();
            items.push(text!(
                "`{}`: {} is AS {} and {} is AS {}; each side must name the other's AS and inside address exactly \
                 ({}).",
                l.id,
                Plain(&a.name),
                a.asn.map(|x| x.to_string()).unwrap_or_default(),
                Plain(&b.name),
                b.asn.map(|x| x.to_string()).unwrap_or_default(),
                pairs.join("; ")
            ));
        }
        items.push(
            "Hold timers differ between clouds (Azure 60/180 s, fixed); a session uses the lower hold time, so that \
             difference alone does not stop it."
                .into(),
        );
        items.push("The checks in Verify show each session's state and the routes it learned.".into());
        d.list(items);
    }
}

/// One AWS tunnel up, the other down: every AWS VPN connection's two tunnels (plans with an AWS
/// gateway only).
fn trouble_aws_tunnels(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    let mut rows = Vec::new();
    for l in &r.links {
        for e in 0..2 {
            let site = &r.sites[l.site(e)];
            if !matches!(site.gateway, Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. }) {
                continue;
            }
            let v = steps::var(&site.name);
            let mut conns: Vec<u8> = l.tunnels.iter().map(|t| t.ends[e].connection).collect();
            conns.dedup();
            for conn in conns {
                let ts: Vec<_> = l.tunnels.iter().filter(|t| t.ends[e].connection == conn).collect();
                rows.push(vec![
                    text!("`{v}_VPN_{}_{}`", steps::var(&l.id), conn + 1),
                    ts.iter()
                        .map(|t| {
                            text!(
                                "`{}` ({}, `{v}_IP_{}`)",
                                t.id,
                                t.inside.map(|n| n.to_string()).unwrap_or_default(),
                                steps::var(&t.id)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" and "),
                    text!("{} of 2", ts.len()),
                ]);
            }
        }
    }
    if !rows.is_empty() {
        d.h(3, "trouble-aws-tunnels", "One AWS tunnel up, the other down");
        d.p("Every AWS VPN connection has two tunnels with their own outside addresses, and AWS moves traffic to the \
             second one during its maintenance: a peer that configures only one loses the link then. This plan \
             configures these:");
        d.table(&["VPN connection", "tunnels (inside /30, outside address)", "configured"], rows);
        d.p("If one row of the AWS check stays `DOWN`, look at the peer end of that tunnel: its outside address must \
             be the one recorded for it, and its inside /30 the one above.");
    }
}

/// The address spaces of a site's peers, for messages.
fn peer_spaces(c: &Ctx, i: usize) -> String {
    let mut v: Vec<Ipv4Net> = Vec::new();
    for (_, _, p) in steps::links_of(c.r, i) {
        for n in &p.address_spaces {
            if !v.contains(n) {
                v.push(*n);
            }
        }
    }
    join(&v)
}
