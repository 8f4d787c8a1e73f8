//! Azure: resource group, VNet and subnets when new, Standard static public IPs, the
//! route-based gateway (`--no-wait`, then a poll), custom APIPA BGP addresses, one local network
//! gateway per remote tunnel endpoint, connections with their keys, BGP and the IPsec/IKE policy
//! the link resolved to; or, for an appliance on an Azure VM, its NSG, public IP, NIC with IP
//! forwarding and the routes through it.

use super::{
    cat, links_of, object, out, param, public_address, secret, spaces, t, ts, var, via_file, Arg, Builder, Guard,
    Program, ResourceKind,
};
use crate::check::{RLink, RTunnel, Resolved};
use crate::kb::crypto::Endpoint;
use crate::kb::dialects::{self, Dialect};
use crate::kb::pairing::PeerObject;
use crate::plan::{Gateway, Network, Routing};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

const AZ: Program = Program::Az;

/// Room for the arguments of most commands, so that building one seldom grows its list.
const ARGS: usize = 24;

/// The site's context: names, and the arguments every call repeats (made once, cloned).
struct Ctx<'r> {
    s: super::SiteCtx<'r>,
    rg: Arg,
    location: Arg,
    vnet: Arg,
    gw: Arg,
    tag: Arg,
}

impl<'r> std::ops::Deref for Ctx<'r> {
    type Target = super::SiteCtx<'r>;
    fn deref(&self) -> &Self::Target {
        &self.s
    }
}

impl Ctx<'_> {
    /// `network public-ip create` for a Standard static address (what new gateways and
    /// appliances need), printing the address.
    fn public_ip(&self, name: &Arg) -> Vec<Arg> {
        let mut a = self.net(&["public-ip", "create"]);
        a.extend([
            t("--name"),
            name.clone(),
            t("--location"),
            self.location(),
            t("--sku"),
            t("Standard"),
            t("--allocation-method"),
            t("Static"),
        ]);
        a.extend(self.tags());
        a.extend(query("publicIp.ipAddress"));
        a
    }

    fn new(r: &Resolved, site: usize) -> Ctx<'_> {
        let s = &r.sites[site];
        let base = super::SiteCtx::new(r, site);
        let (v, prefix) = (base.v.clone(), base.prefix.clone());
        let rg = match &s.network {
            Network::Existing { resource_group, .. } if !resource_group.is_empty() => resource_group.clone(),
            Network::New | Network::Existing { .. } => text!("{prefix}-rg"),
        };
        let vnet = match &s.network {
            Network::Existing { id, .. } => id.clone(),
            Network::New => text!("{prefix}-vnet"),
        };
        Ctx {
            s: base,
            rg: param(text!("{v}_RG"), rg),
            location: param(text!("{v}_LOCATION"), s.region.clone()),
            vnet: param(text!("{v}_VNET"), vnet),
            gw: param(text!("{v}_GW"), text!("{prefix}-gw")),
            tag: t(text!("tunnelsmith-plan={}", r.plan_name)),
        }
    }

    fn rg(&self) -> Arg {
        self.rg.clone()
    }

    fn location(&self) -> Arg {
        self.location.clone()
    }

    fn vnet(&self) -> Arg {
        self.vnet.clone()
    }

    fn gw(&self) -> Arg {
        self.gw.clone()
    }

    /// `az network <what...> --resource-group RG`
    fn net(&self, what: &[&'static str]) -> Vec<Arg> {
        let mut a = Vec::with_capacity(ARGS);
        a.push(t("network"));
        a.extend(what.iter().map(|w| t(*w)));
        a.extend([t("--resource-group"), self.rg()]);
        a
    }

    fn tags(&self) -> [Arg; 2] {
        [t("--tags"), self.tag.clone()]
    }

    /// `az network <what...> delete -g RG -n NAME`
    fn delete(&self, what: &[&'static str], name: Arg) -> Vec<Arg> {
        let mut a = vec![t("az"), t("network")];
        a.extend(ts(what));
        a.extend([t("delete"), t("--resource-group"), self.rg(), t("--name"), name]);
        a
    }
}

/// `--query Q --output tsv`: what an az step prints (update.rs's in-place updates too).
pub(super) fn query(q: impl Into<Cow<'static, str>>) -> Vec<Arg> {
    vec![t("--query"), t(q), t("--output"), t("tsv")]
}

pub(crate) fn site(b: &mut Builder, r: &Resolved, i: usize) {
    let s = &r.sites[i];
    let c = Ctx::new(r, i);
    network(b, &c);
    match &s.gateway {
        Gateway::AzureVpnGateway { .. } => gateway(b, &c),
        Gateway::Appliance { .. } => appliance(b, &c),
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } | Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn { .. } => {}
    }
}

fn network(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    if s.network != Network::New {
        return;
    }
    let rg = text!("{}-rg", c.prefix);
    // `az group create` adopts a group that exists; the teardown must not delete the user's
    // group with their other resources in it. Whether it existed is recorded once, first.
    let existed = text!("{}_RG_EXISTED", c.v);
    let mut a = ts(&["group", "exists", "--name"]);
    a.push(c.rg());
    b.add(c.site, c.id("group-existed"), text!("Record whether the resource group {rg} exists already"), AZ, a)
        .capture(&existed, "whether the resource group existed before (then the teardown leaves it)")
        .once();
    let mut a = ts(&["group", "create", "--name"]);
    a.extend([c.rg(), t("--location"), c.location()]);
    a.extend(c.tags());
    a.extend(query("properties.provisioningState"));
    b.add(c.site, c.id("group"), text!("Create the resource group {rg}"), AZ, a)
        .after(c.id("group-existed"))
        .creates(
            ResourceKind::AzureResourceGroup,
            rg,
            vec![t("az"), t("group"), t("delete"), t("--name"), c.rg(), t("--yes")],
        )
        .only_if(Guard::NotExisting { output: existed });
    let mut a = c.net(&["vnet", "create"]);
    a.extend([t("--name"), c.vnet(), t("--location"), c.location(), t("--address-prefixes")]);
    a.extend(spaces(s).into_iter().map(t));
    a.extend(c.tags());
    a.extend(query("newVNet.provisioningState"));
    b.add(c.site, c.id("vnet"), text!("Create the VNet {}-vnet ({})", c.prefix, spaces(s).join(", ")), AZ, a)
        .after(c.id("group"))
        .creates(ResourceKind::AzureVnet, text!("{}-vnet", c.prefix), c.delete(&["vnet"], c.vnet()));
    for (k, sub) in s.subnets.iter().enumerate() {
        let mut a = c.net(&["vnet", "subnet", "create"]);
        a.extend([
            t("--vnet-name"),
            c.vnet(),
            t("--name"),
            t(sub.name.clone()),
            t("--address-prefixes"),
            t(sub.cidr.to_string()),
        ]);
        a.extend(query("provisioningState"));
        b.add(
            c.site,
            c.id(format_args!("subnet-{}", k + 1)),
            text!("Create subnet {} ({})", sub.name, sub.cidr),
            AZ,
            a,
        )
        .after(c.id("vnet"));
    }
}

/// The step that creates the GatewaySubnet (the gateway needs it), if this plan creates it.
fn gateway_subnet_step(c: &Ctx) -> Option<String> {
    let s = &c.r.sites[c.site];
    if s.network != Network::New {
        return None;
    }
    s.subnets.iter().position(|sub| sub.name == "GatewaySubnet").map(|k| c.id(format_args!("subnet-{}", k + 1)))
}

fn gateway(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let Gateway::AzureVpnGateway { sku, active_active, vpn_type, .. } = &s.gateway else { return };
    let instances: u8 = if *active_active { 2 } else { 1 };
    let bgp = links_of(c.r, c.site).any(|(l, _, _)| l.routing == Routing::Bgp);
    let mut pips = Vec::new();
    for n in 1..=instances {
        let name = text!("{}-gw-ip{n}", c.prefix);
        let pip = param(text!("{}_GW_PIP_{n}", c.v), name.clone());
        let a = c.public_ip(&pip);
        let step = b.add(
            c.site,
            c.id(format_args!("gw-ip-{n}")),
            text!("Create public IP {n} of the gateway (Standard, static)"),
            AZ,
            a,
        );
        step.capture(c.out(format_args!("GW_IP_{n}")), text!("public address of gateway instance {n}")).creates(
            ResourceKind::AzurePublicIp,
            name,
            c.delete(&["public-ip"], pip.clone()),
        );
        if s.network == Network::New {
            step.after(c.id("group"));
        }
        pips.push(pip);
    }
    let mut a = c.net(&["vnet-gateway", "create"]);
    a.extend([t("--name"), c.gw(), t("--location"), c.location(), t("--vnet"), c.vnet(), t("--public-ip-addresses")]);
    a.extend(pips);
    a.extend([t("--gateway-type"), t("Vpn")]);
    a.extend([
        t("--vpn-type"),
        t(match vpn_type {
            crate::plan::AzureVpnType::RouteBased => "RouteBased",
            crate::plan::AzureVpnType::PolicyBased => "PolicyBased",
        }),
    ]);
    a.extend([t("--sku"), param(text!("{}_GW_SKU", c.v), sku.clone())]);
    if bgp {
        if let Some(asn) = s.asn {
            a.extend([t("--asn"), param(text!("{}_ASN", c.v), asn.to_string())]);
        }
    }
    a.extend(c.tags());
    a.push(t("--no-wait"));
    let step = b.add(
        c.site,
        c.id("gateway"),
        text!(
            "Start creating the {} VPN gateway {}-gw ({sku}; about 45 minutes, the script does not wait here)",
            if *active_active { "active-active" } else { "active-standby" },
            c.prefix
        ),
        AZ,
        a,
    );
    step.creates(ResourceKind::AzureVpnGateway, text!("{}-gw", c.prefix), c.delete(&["vnet-gateway"], c.gw()));
    for n in 1..=instances {
        step.after(c.id(format_args!("gw-ip-{n}")));
    }
    if let Some(sub) = gateway_subnet_step(c) {
        step.after(sub);
    }
    let mut a = c.net(&["vnet-gateway", "show"]);
    a.extend([t("--name"), c.gw()]);
    a.extend(query("provisioningState"));
    b.add(c.site, c.id("gateway-ready"), "Wait for the VPN gateway (provisioning state Succeeded)", AZ, a)
        .after(c.id("gateway"))
        .wait("Succeeded", &["Failed", "Canceled"], 60, 5400, 2700);

    // Custom APIPA BGP addresses: each instance lists the Azure inside address of every BGP
    // tunnel it terminates (169.254.21.x on instance 1, 169.254.22.x on instance 2 toward AWS).
    let mut apipa: Vec<Vec<Ipv4Addr>> = vec![Vec::new(); usize::from(instances)];
    for (l, e, _) in links_of(c.r, c.site) {
        if l.routing != Routing::Bgp {
            continue;
        }
        for tun in &l.tunnels {
            if let Some(ip) = tun.ends[e].inside_ip {
                let k = usize::from(tun.ends[e].outside).min(apipa.len() - 1);
                if !apipa[k].contains(&ip) {
                    apipa[k].push(ip);
                }
            }
        }
    }
    let custom = apipa.iter().any(|v| !v.is_empty());
    if custom {
        for n in 1..=instances {
            let mut a = c.net(&["vnet-gateway", "show"]);
            a.extend([t("--name"), c.gw()]);
            a.extend(query(text!("bgpSettings.bgpPeeringAddresses[{}].ipconfigurationId", n - 1)));
            b.add(
                c.site,
                c.id(format_args!("gw-ipconfig-{n}")),
                text!("Read the IP configuration of instance {n}"),
                AZ,
                a,
            )
            .capture(c.out(format_args!("GW_IPCONFIG_{n}")), text!("gateway instance {n}'s IP configuration ID"))
            .after(c.id("gateway-ready"));
            if instances > 1 {
                // The peers were given public IP n for instance n's tunnels, and instance n gets
                // the APIPA addresses of those tunnels: stop if Azure paired them otherwise.
                let (yes, no) =
                    (text!("instance-{n}-holds-public-ip-{n}"), text!("instance-{n}-holds-another-address"));
                let mut a = c.net(&["vnet-gateway", "show"]);
                a.extend([t("--name"), c.gw(), t("--query")]);
                a.push(cat(vec![
                    t(text!("bgpSettings.bgpPeeringAddresses[{}].tunnelIpAddresses[0] == '", n - 1)),
                    out(c.out(format_args!("GW_IP_{n}"))),
                    t(text!("' && '{yes}' || '{no}'")),
                ]));
                a.extend([t("--output"), t("tsv")]);
                b.add(
                    c.site,
                    c.id(format_args!("gw-instance-{n}")),
                    text!("Check that gateway instance {n} holds public IP {n} (its tunnels and APIPA addresses were planned so)"),
                    AZ,
                    a,
                )
                .after(c.id("gateway-ready"))
                .wait(&yes, &[&no], 10, 60, 1);
            }
        }
        let mut a = c.net(&["vnet-gateway", "update"]);
        a.extend([t("--name"), c.gw()]);
        for (k, ips) in apipa.iter().enumerate() {
            let list: Vec<String> = ips.iter().map(|ip| text!("\"{ip}\"")).collect();
            a.extend([
                t("--set"),
                t(text!("bgpSettings.bgpPeeringAddresses[{k}].customBgpIpAddresses=[{}]", list.join(","))),
            ]);
        }
        a.extend(query("provisioningState"));
        b.add(
            c.site,
            c.id("gateway-apipa"),
            text!(
                "Set the custom APIPA BGP addresses ({})",
                apipa
                    .iter()
                    .enumerate()
                    .map(|(k, v)| text!(
                        "instance {}: {}",
                        k + 1,
                        v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            AZ,
            a,
        )
        .after(c.id("gateway-ready"));
        if instances > 1 {
            let step = b.last_mut_of(&c.id("gateway-apipa"));
            for n in 1..=instances {
                step.after(c.id(format_args!("gw-instance-{n}")));
            }
        }
    }

    let policy = s.endpoint == Some(Endpoint::AzureRouteBased);
    // VNet-to-VNet links name the other gateway by its resource ID.
    if links_of(c.r, c.site).any(|(l, e, _)| object(l, e) == Some(PeerObject::VnetToVnet)) {
        let mut a = c.net(&["vnet-gateway", "show"]);
        a.extend([t("--name"), c.gw()]);
        a.extend(query("id"));
        b.add(c.site, c.id("gateway-id"), "Read the VPN gateway's resource ID (for VNet-to-VNet connections)", AZ, a)
            .capture(c.out("GW_ID"), "the VPN gateway's resource ID")
            .after(c.id("gateway-ready"));
    }
    for (l, e, peer) in links_of(c.r, c.site) {
        let Some(profile) = &l.profile else { continue };
        if object(l, e) == Some(PeerObject::VnetToVnet) {
            let Some(first) = l.tunnels.first() else { continue };
            let name = text!("{}-{}-{}", c.r.plan_name, l.id, s.name);
            let conn = param(text!("{}_CONN_{}", c.v, var(&l.id)), name.clone());
            let other = out(text!("{}_GW_ID", var(&peer.name)));
            let target = (vec![t("--vnet-gateway2"), other], None);
            connection(b, c, l, e, first, &name, conn, target, profile, policy, &apipa);
            continue;
        }
        // One local network gateway and connection per remote tunnel endpoint.
        let mut seen = BTreeSet::new();
        for tun in &l.tunnels {
            let other = tun.ends[1 - e];
            if !seen.insert((other.connection, other.outside)) {
                continue;
            }
            let Some(peer_ip) = public_address(c.r, l.site(1 - e), tun, 1 - e) else { continue };
            let lng_name = text!("{}-{}-lng", c.r.plan_name, tun.id);
            let lng = param(text!("{}_LNG_{}", c.v, var(&tun.id)), lng_name.clone());
            let mut a = c.net(&["local-gateway", "create"]);
            a.extend([t("--name"), lng.clone(), t("--location"), c.location(), t("--gateway-ip-address"), peer_ip]);
            match (l.routing, peer.asn, other.inside_ip) {
                (Routing::Bgp, Some(asn), Some(ip)) => {
                    a.extend([t("--asn"), t(asn.to_string()), t("--bgp-peering-address"), t(ip.to_string())]);
                }
                _ => {
                    a.push(t("--local-address-prefixes"));
                    a.extend(spaces(peer).into_iter().map(t));
                }
            }
            a.extend(c.tags());
            a.extend(query("provisioningState"));
            let step = b.add(
                c.site,
                c.id(format_args!("lng-{}", tun.id)),
                text!("Create local network gateway {lng_name} for {}", peer.name),
                AZ,
                a,
            );
            step.creates(ResourceKind::AzureLocalNetworkGateway, lng_name, c.delete(&["local-gateway"], lng.clone()));
            if s.network == Network::New {
                step.after(c.id("group"));
            }
            let name = text!("{}-{}", c.r.plan_name, tun.id);
            let conn = param(text!("{}_CONN_{}", c.v, var(&tun.id)), name.clone());
            let target = (vec![t("--local-gateway2"), lng], Some(c.id(format_args!("lng-{}", tun.id))));
            connection(b, c, l, e, tun, &name, conn, target, profile, policy, &apipa);
        }
    }
}

#[allow(clippy::too_many_arguments)]
/// A connection from this gateway to `target` (`--local-gateway2 LNG` for a site-to-site
/// connection, `--vnet-gateway2 ID` for VNet-to-VNet), then its IPsec/IKE policy, DPD and custom
/// APIPA addresses. `target` is the arguments naming the other end and the step that makes it.
fn connection(
    b: &mut Builder,
    c: &Ctx,
    l: &RLink,
    e: usize,
    tun: &RTunnel,
    name: &str,
    conn: Arg,
    target: (Vec<Arg>, Option<String>),
    p: &crate::check::Profile,
    policy: bool,
    apipa: &[Vec<Ipv4Addr>],
) {
    let v2v = object(l, e) == Some(PeerObject::VnetToVnet);
    let mut a = c.net(&["vpn-connection", "create"]);
    a.extend([t("--name"), conn.clone(), t("--location"), c.location(), t("--vnet-gateway1"), c.gw()]);
    let (target, target_step) = target;
    a.extend(target);
    // From a private file (`@FILE`), never on the command line.
    a.extend([t("--shared-key"), via_file("@", secret(&tun.psk_name))]);
    if l.routing == Routing::Bgp {
        a.push(t("--enable-bgp"));
    }
    a.extend(c.tags());
    a.extend(query("resource.provisioningState"));
    let title = if v2v {
        text!("Create the VNet-to-VNet connection {name} (tunnels of {})", l.id)
    } else {
        text!("Create connection {name} (tunnel {})", tun.id)
    };
    let step = b.add(c.site, c.id(format_args!("conn-{}", tun.id)), title, AZ, a);
    step.after(c.id("gateway-ready"));
    if let Some(id) = target_step {
        step.after(id);
    }
    step.creates(ResourceKind::AzureVpnConnection, name.to_string(), c.delete(&["vpn-connection"], conn.clone()));
    let name = name.to_string();

    if policy {
        let d = Dialect::Azure;
        let v = |s: Option<&'static str>| t(s.unwrap_or("None"));
        // With GCM, Azure wants the same GCM name as IPsec integrity.
        let ipsec_integ = match p.p2_integrity {
            Some(i) => dialects::integrity(d, i),
            None => dialects::encryption(d, p.p2_encryption),
        };
        let mut a = c.net(&["vpn-connection", "ipsec-policy", "add"]);
        a.extend([
            t("--connection-name"),
            conn.clone(),
            t("--ike-encryption"),
            v(dialects::encryption(d, p.p1_encryption)),
            t("--ike-integrity"),
            v(dialects::integrity(d, p.p1_integrity)),
            t("--dh-group"),
            v(dialects::dh_group(d, p.p1_dh)),
            t("--ipsec-encryption"),
            v(dialects::encryption(d, p.p2_encryption)),
            t("--ipsec-integrity"),
            v(ipsec_integ),
            t("--pfs-group"),
            v(dialects::pfs_group(d, p.pfs)),
            t("--sa-lifetime"),
            t(p.p2_lifetime[e].to_string()),
            t("--sa-max-size"),
            t("102400000"),
        ]);
        a.extend(query("provisioningState"));
        b.add(
            c.site,
            c.id(format_args!("policy-{}", tun.id)),
            text!("Set the IPsec/IKE policy of {name} (phase 2 lifetime {} s)", p.p2_lifetime[e]),
            AZ,
            a,
        )
        .after(c.id(format_args!("conn-{}", tun.id)));
    }

    // DPD timeout and, for BGP, which custom APIPA address each instance uses on this connection.
    let mut sets: Vec<Arg> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    if let Some(dpd) = p.dpd_timeout[e] {
        sets.extend([t("--set"), t(text!("dpdTimeoutSeconds={dpd}"))]);
    }
    let mine = tun.ends[e].inside_ip;
    if let (Routing::Bgp, Some(ip)) = (l.routing, mine) {
        let k = usize::from(tun.ends[e].outside).min(apipa.len().saturating_sub(1));
        let pos = apipa.get(k).and_then(|v| v.iter().position(|x| *x == ip)).unwrap_or(0);
        let mut parts = vec![t("gatewayCustomBgpIpAddresses=[")];
        for (j, ips) in apipa.iter().enumerate() {
            let Some(addr) = (if j == k { Some(ip) } else { ips.get(pos).or(ips.first()).copied() }) else { continue };
            kept.push(addr.to_string());
            parts.push(t(text!("{}{{\"ipConfigurationId\":\"", if parts.len() > 1 { "," } else { "" })));
            parts.push(out(c.out(format_args!("GW_IPCONFIG_{}", j + 1))));
            parts.push(t(text!("\",\"customBgpIpAddress\":\"{addr}\"}}")));
        }
        parts.push(t("]"));
        sets.extend([t("--set"), cat(parts)]);
    }
    if !sets.is_empty() {
        let mut a = c.net(&["vpn-connection", "update"]);
        a.extend([t("--name"), conn.clone()]);
        a.extend(sets);
        a.extend(query("provisioningState"));
        let step = b.add(
            c.site,
            c.id(format_args!("conn-set-{}", tun.id)),
            text!(
                "Set DPD{} on {name}",
                if l.routing == Routing::Bgp { " and the custom APIPA BGP addresses" } else { "" }
            ),
            AZ,
            a,
        );
        step.after(c.id(format_args!("conn-{}", tun.id)));
        if l.routing == Routing::Bgp && mine.is_some() {
            step.after(c.id("gateway-apipa"));
        }
        // `--set` is generic: read the custom BGP addresses back, and stop if Azure did not keep them.
        if !kept.is_empty() {
            kept.sort();
            let mut a = c.net(&["vpn-connection", "show"]);
            a.extend([t("--name"), conn]);
            // Each address present (a filter on a missing list is null, which is false).
            let each: Vec<String> =
                kept.iter().map(|ip| text!("gatewayCustomBgpIpAddresses[?customBgpIpAddress=='{ip}']")).collect();
            a.extend(query(text!("{} && 'kept' || 'not-kept'", each.join(" && "))));
            b.add(
                c.site,
                c.id(format_args!("conn-check-{}", tun.id)),
                text!("Check that {name} kept its custom APIPA BGP addresses ({})", kept.join(", ")),
                AZ,
                a,
            )
            .after(c.id(format_args!("conn-set-{}", tun.id)))
            .wait("kept", &["not-kept"], 10, 60, 1);
        }
    }
}

/// An appliance on an Azure VM: NSG with IKE, NAT-T and ESP from the peers only, a Standard
/// static public IP, the NIC at the planned address with IP forwarding on, and a route table
/// sending the peers' prefixes to the appliance, on every subnet but the appliance's own (and on
/// the appliance's own when it is the only workload subnet).
fn appliance(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let Gateway::Appliance { private_ip, public_ip, .. } = &s.gateway else { return };
    let nsg_name = text!("{}-appliance-nsg", c.prefix);
    let nsg = param(text!("{}_NSG", c.v), nsg_name.clone());
    let mut a = c.net(&["nsg", "create"]);
    a.extend([t("--name"), nsg.clone(), t("--location"), c.location()]);
    a.extend(c.tags());
    a.extend(query("NewNSG.provisioningState"));
    let step = b.add(c.site, c.id("nsg"), text!("Create the appliance's NSG {nsg_name}"), AZ, a);
    step.creates(ResourceKind::AzureNetworkSecurityGroup, nsg_name, c.delete(&["nsg"], nsg.clone()));
    if s.network == Network::New {
        step.after(c.id("group"));
    }
    let mut priority = 100;
    let mut seen: Vec<Arg> = Vec::new();
    for (l, e, peer) in links_of(c.r, c.site) {
        for tun in &l.tunnels {
            let Some(ip) = public_address(c.r, l.site(1 - e), tun, 1 - e) else { continue };
            if seen.contains(&ip) {
                continue;
            }
            seen.push(ip.clone());
            for (proto, ports) in [("Udp", Some("500 4500")), ("Esp", None)] {
                let rule = text!("{}-{}-{}", peer.name, seen.len(), proto.to_ascii_lowercase());
                let mut a = c.net(&["nsg", "rule", "create"]);
                a.extend([
                    t("--nsg-name"),
                    nsg.clone(),
                    t("--name"),
                    t(rule.clone()),
                    t("--priority"),
                    t(priority.to_string()),
                    t("--direction"),
                    t("Inbound"),
                    t("--access"),
                    t("Allow"),
                    t("--protocol"),
                    t(proto),
                    t("--source-address-prefixes"),
                    cat(vec![ip.clone(), t("/32")]),
                ]);
                if let Some(ports) = ports {
                    a.push(t("--destination-port-ranges"));
                    a.extend(ports.split(' ').map(t));
                }
                a.extend(query("provisioningState"));
                b.add(
                    c.site,
                    c.id(format_args!("nsg-{rule}")),
                    text!(
                        "Allow {} from {}",
                        if ports.is_some() { "IKE and NAT-T (UDP 500, 4500)" } else { "ESP" },
                        peer.name
                    ),
                    AZ,
                    a,
                )
                .after(c.id("nsg"));
                priority += 10;
            }
        }
    }
    let nic = param(text!("{}_NIC", c.v), text!("{}-appliance-nic", c.prefix));
    let ip = param(text!("{}_APPLIANCE_IP", c.v), private_ip.clone());
    let pip_name = text!("{}-appliance-ip", c.prefix);
    let pip = param(text!("{}_APPLIANCE_PIP", c.v), pip_name.clone());
    if public_ip.is_empty() {
        let a = c.public_ip(&pip);
        let step = b.add(c.site, c.id("appliance-ip"), "Create the appliance's public IP (Standard, static)", AZ, a);
        step.capture(c.out("PUBLIC_IP"), "the appliance's public address").creates(
            ResourceKind::AzurePublicIp,
            pip_name,
            c.delete(&["public-ip"], pip.clone()),
        );
        if s.network == Network::New {
            step.after(c.id("group"));
        }
    }
    let subnet =
        s.subnets.iter().position(|sub| private_ip.parse::<Ipv4Addr>().map(|a| sub.cidr.contains(&a)).unwrap_or(false));
    let subnet_name = subnet.map(|k| s.subnets[k].name.clone()).unwrap_or_default();
    let mut a = c.net(&["nic", "create"]);
    a.extend([
        t("--name"),
        nic.clone(),
        t("--location"),
        c.location(),
        t("--vnet-name"),
        c.vnet(),
        t("--subnet"),
        t(subnet_name),
        t("--private-ip-address"),
        ip.clone(),
        t("--network-security-group"),
        nsg,
        t("--ip-forwarding"),
        t("true"),
    ]);
    if public_ip.is_empty() {
        a.extend([t("--public-ip-address"), pip]);
    }
    a.extend(c.tags());
    a.extend(query("NewNIC.provisioningState"));
    let step = b.add(
        c.site,
        c.id("nic"),
        text!("Create the appliance's NIC at {private_ip} with IP forwarding (attach it to the VM)"),
        AZ,
        a,
    );
    step.creates(ResourceKind::AzureNetworkInterface, text!("{}-appliance-nic", c.prefix), c.delete(&["nic"], nic))
        .after(c.id("nsg"));
    if public_ip.is_empty() {
        step.after(c.id("appliance-ip"));
    }
    if let (Network::New, Some(k)) = (&s.network, subnet) {
        step.after(c.id(format_args!("subnet-{}", k + 1)));
    }
    let rt_name = text!("{}-rt", c.prefix);
    let rt = param(text!("{}_ROUTE_TABLE", c.v), rt_name.clone());
    let mut a = c.net(&["route-table", "create"]);
    a.extend([t("--name"), rt.clone(), t("--location"), c.location()]);
    a.extend(c.tags());
    a.extend(query("provisioningState"));
    let step = b.add(c.site, c.id("route-table"), text!("Create the route table {rt_name}"), AZ, a);
    step.creates(ResourceKind::AzureRouteTable, rt_name, c.delete(&["route-table"], rt.clone()));
    if s.network == Network::New {
        step.after(c.id("group"));
    }
    let mut routed = BTreeSet::new();
    for (_, _, peer) in links_of(c.r, c.site) {
        for p in spaces(peer) {
            if !routed.insert(p.clone()) {
                continue;
            }
            let mut a = c.net(&["route-table", "route", "create"]);
            a.extend([
                t("--route-table-name"),
                rt.clone(),
                t("--name"),
                t(text!("to-{}-{}", peer.name, p.replace(['.', '/'], "-"))),
                t("--address-prefix"),
                t(p.clone()),
                t("--next-hop-type"),
                t("VirtualAppliance"),
                t("--next-hop-ip-address"),
                ip.clone(),
            ]);
            a.extend(query("provisioningState"));
            b.add(
                c.site,
                c.id(format_args!("route-{p}")),
                text!("Route {p} ({}) through the appliance", peer.name),
                AZ,
                a,
            )
            .after(c.id("route-table"));
        }
    }
    if s.network == Network::New {
        // Hosts in the appliance's own subnet use the route table too when there is no other
        // workload subnet (otherwise no host would send through the appliance). The appliance's
        // own traffic to the peers leaves through its tunnels, never through the table.
        let others = s.subnets.iter().enumerate().any(|(k, x)| Some(k) != subnet && x.name != "GatewaySubnet");
        for (k, sub) in s.subnets.iter().enumerate() {
            if (Some(k) == subnet && others) || sub.name == "GatewaySubnet" {
                continue;
            }
            let mut a = c.net(&["vnet", "subnet", "update"]);
            a.extend([t("--vnet-name"), c.vnet(), t("--name"), t(sub.name.clone()), t("--route-table"), rt.clone()]);
            a.extend(query("provisioningState"));
            b.add(
                c.site,
                c.id(format_args!("subnet-rt-{}", k + 1)),
                text!("Use the route table in subnet {}", sub.name),
                AZ,
                a,
            )
            .after(c.id("route-table"))
            .after(c.id(format_args!("subnet-{}", k + 1)));
        }
    }
}
