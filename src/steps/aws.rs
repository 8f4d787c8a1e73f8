//! AWS: VPC and subnets when new, the virtual private or transit gateway, one customer
//! gateway per peer address, VPN connections with `TunnelOptions`, routes; or, for an appliance on
//! EC2, its security group, network interface, elastic IP and routes.

use super::{
    cat, links_of, out, param, public_address, secret, spaces, t, var, via_file, Arg, Builder, Program, ResourceKind,
};
use crate::check::{RLink, Resolved};
use crate::kb::asn;
use crate::kb::dialects::{self, Dialect};
use crate::plan::{Gateway, IkeVersion, Network, Routing};
use std::borrow::Cow;
use std::collections::BTreeSet;

const AWS: Program = Program::Aws;

/// The site's context: names and the arguments every call repeats.
struct Ctx<'r> {
    s: super::SiteCtx<'r>,
    /// The region parameter (made once, cloned).
    region: Arg,
}

impl<'r> std::ops::Deref for Ctx<'r> {
    type Target = super::SiteCtx<'r>;
    fn deref(&self) -> &Self::Target {
        &self.s
    }
}

impl Ctx<'_> {
    /// `ec2 <command>` with the region.
    fn ec2(&self, command: &'static str) -> Vec<Arg> {
        let mut a = Vec::with_capacity(24);
        a.extend([t("ec2"), t(command), t("--region"), self.region.clone()]);
        a
    }

    /// `--tag-specifications` naming the resource and carrying the plan tag teardown looks for.
    fn tags(&self, resource_type: &str, name: &str) -> Vec<Arg> {
        vec![
            t("--tag-specifications"),
            t(text!(
                "ResourceType={resource_type},Tags=[{{Key=Name,Value={name}}},{{Key=tunnelsmith-plan,Value={}}}]",
                self.r.plan_name
            )),
        ]
    }

    /// A delete command: `ec2 <command> --region R <flag> $OUTPUT`.
    fn delete(&self, command: &'static str, flag: &'static str, output: &str) -> Vec<Arg> {
        let mut a = vec![t("aws")];
        a.extend(self.ec2(command));
        a.extend([t(flag), out(output)]);
        a
    }
}

fn query(q: impl Into<Cow<'static, str>>) -> Vec<Arg> {
    vec![t("--query"), t(q), t("--output"), t("text")]
}

pub(crate) fn site(b: &mut Builder, r: &Resolved, i: usize) {
    let s = &r.sites[i];
    let base = super::SiteCtx::new(r, i);
    let region = param(text!("{}_REGION", base.v), s.region.clone());
    let c = Ctx { s: base, region };
    network(b, &c);
    match &s.gateway {
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => managed(b, &c),
        Gateway::Appliance { .. } => appliance(b, &c),
        Gateway::AzureVpnGateway { .. } | Gateway::GcpHaVpn { .. } | Gateway::GcpClassicVpn { .. } => {}
    }
}

/// VPC, subnets, internet gateway and route table; or the existing VPC's main route table.
fn network(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let vpc = c.out("VPC_ID");
    let rt = c.out("ROUTE_TABLE_ID");
    match &s.network {
        Network::Existing { id, .. } => {
            let mut a = c.ec2("describe-route-tables");
            a.extend([
                t("--filters"),
                cat(vec![t("Name=vpc-id,Values="), param(text!("{}_VPC_ID", c.v), id.clone())]),
                t("Name=association.main,Values=true"),
            ]);
            a.extend(query("RouteTables[0].RouteTableId"));
            b.add(c.site, c.id("route-table"), text!("Find the main route table of {id}"), AWS, a)
                .capture(&rt, "main route table of the existing VPC");
        }
        Network::New => {
            let name = text!("{}-vpc", c.prefix);
            let first = s.address_spaces.first().map(|n| n.to_string()).unwrap_or_default();
            let mut a = c.ec2("create-vpc");
            a.extend([t("--cidr-block"), param(text!("{}_VPC_CIDR", c.v), first.clone())]);
            a.extend(c.tags("vpc", &name));
            a.extend(query("Vpc.VpcId"));
            b.add(c.site, c.id("vpc"), text!("Create the VPC {name} ({first})"), AWS, a)
                .capture(&vpc, "VPC ID")
                .creates(ResourceKind::AwsVpc, &vpc, c.delete("delete-vpc", "--vpc-id", &vpc));
            for (k, extra) in s.address_spaces.iter().enumerate().skip(1) {
                let mut a = c.ec2("associate-vpc-cidr-block");
                a.extend([t("--vpc-id"), out(&vpc), t("--cidr-block"), t(extra.to_string())]);
                a.extend(query("CidrBlockAssociation.AssociationId"));
                b.add(c.site, c.id(format_args!("vpc-cidr-{k}")), text!("Add {extra} to the VPC"), AWS, a)
                    .capture(c.out(format_args!("VPC_CIDR_{k}_ASSOCIATION")), "CIDR association");
            }
            let zones = zones(b, c);
            for (k, sub) in s.subnets.iter().enumerate() {
                let sub_id = c.out(format_args!("SUBNET_{}_ID", k + 1));
                let name = text!("{}-{}", c.prefix, sub.name);
                let mut a = c.ec2("create-subnet");
                a.extend([t("--vpc-id"), out(&vpc), t("--cidr-block"), t(sub.cidr.to_string())]);
                if let Some(zone) = zones.get(k % zones.len().max(1)) {
                    a.extend([t("--availability-zone"), out(zone)]);
                }
                a.extend(c.tags("subnet", &name));
                a.extend(query("Subnet.SubnetId"));
                let step = b.add(
                    c.site,
                    c.id(format_args!("subnet-{}", k + 1)),
                    text!("Create subnet {} ({})", sub.name, sub.cidr),
                    AWS,
                    a,
                );
                step.capture(&sub_id, text!("subnet {}", sub.name)).creates(
                    ResourceKind::AwsSubnet,
                    &sub_id,
                    c.delete("delete-subnet", "--subnet-id", &sub_id),
                );
                if !zones.is_empty() {
                    step.after(c.id("zones"));
                }
                // A CIDR beyond the first must be associated before its subnets.
                for (x, extra) in s.address_spaces.iter().enumerate().skip(1) {
                    if extra.contains(&sub.cidr.network()) {
                        step.after(c.id(format_args!("vpc-cidr-{x}")));
                    }
                }
            }
            let igw = c.out("IGW_ID");
            let mut a = c.ec2("create-internet-gateway");
            a.extend(c.tags("internet-gateway", &text!("{}-igw", c.prefix)));
            a.extend(query("InternetGateway.InternetGatewayId"));
            b.add(c.site, c.id("igw"), "Create the internet gateway", AWS, a)
                .capture(&igw, "internet gateway")
                .creates(
                    ResourceKind::AwsInternetGateway,
                    &igw,
                    c.delete("delete-internet-gateway", "--internet-gateway-id", &igw),
                );
            let mut a = c.ec2("attach-internet-gateway");
            a.extend([t("--internet-gateway-id"), out(&igw), t("--vpc-id"), out(&vpc)]);
            let mut del = c.delete("detach-internet-gateway", "--internet-gateway-id", &igw);
            del.extend([t("--vpc-id"), out(&vpc)]);
            b.add(c.site, c.id("igw-attach"), "Attach the internet gateway to the VPC", AWS, a).creates(
                ResourceKind::AwsInternetGatewayAttachment,
                &igw,
                del,
            );
            let mut a = c.ec2("create-route-table");
            a.extend([t("--vpc-id"), out(&vpc)]);
            a.extend(c.tags("route-table", &text!("{}-rt", c.prefix)));
            a.extend(query("RouteTable.RouteTableId"));
            b.add(c.site, c.id("route-table"), "Create the route table", AWS, a).capture(&rt, "route table").creates(
                ResourceKind::AwsRouteTable,
                &rt,
                c.delete("delete-route-table", "--route-table-id", &rt),
            );
            let mut a = c.ec2("create-route");
            a.extend([
                t("--route-table-id"),
                out(&rt),
                t("--destination-cidr-block"),
                t("0.0.0.0/0"),
                t("--gateway-id"),
                out(&igw),
            ]);
            a.extend(query("Return"));
            b.add(c.site, c.id("route-default"), "Route 0.0.0.0/0 to the internet gateway", AWS, a)
                .after(c.id("igw-attach"));
            for k in 0..s.subnets.len() {
                let sub_id = c.out(format_args!("SUBNET_{}_ID", k + 1));
                let assoc = c.out(format_args!("SUBNET_{}_RT_ASSOCIATION", k + 1));
                let mut a = c.ec2("associate-route-table");
                a.extend([t("--route-table-id"), out(&rt), t("--subnet-id"), out(&sub_id)]);
                a.extend(query("AssociationId"));
                b.add(
                    c.site,
                    c.id(format_args!("subnet-{}-rt", k + 1)),
                    text!("Use the route table in subnet {}", s.subnets[k].name),
                    AWS,
                    a,
                )
                .capture(&assoc, "route table association")
                .creates(
                    ResourceKind::AwsRouteTableAssociation,
                    &assoc,
                    c.delete("disassociate-route-table", "--association-id", &assoc),
                );
            }
        }
    }
}

/// How many availability zones a transit gateway site's new subnets are spread over.
const TGW_ZONES: usize = 2;

/// A transit gateway reaches only the availability zones where its VPC attachment has a subnet
/// ([AWS-TGW-ATT]): a new VPC behind one gets its subnets spread over the region's first two
/// zones (every region has at least two), named at run time, and the attachment takes the
/// first subnet of each. The captured zone names, one per zone used; none for other sites.
fn zones(b: &mut Builder, c: &Ctx) -> Vec<String> {
    let s = &c.r.sites[c.site];
    if !matches!(s.gateway, Gateway::AwsTgw { .. }) || s.subnets.is_empty() {
        return Vec::new();
    }
    let used = s.subnets.len().min(TGW_ZONES);
    let names: Vec<String> = (1..=used).map(|k| c.out(format_args!("AZ_{k}"))).collect();
    for (k, name) in names.iter().enumerate() {
        let mut a = c.ec2("describe-availability-zones");
        a.extend([t("--filters"), t("Name=zone-type,Values=availability-zone"), t("Name=state,Values=available")]);
        a.extend(query(text!("sort_by(AvailabilityZones, &ZoneName)[{k}].ZoneName")));
        let id = if k == 0 { c.id("zones") } else { c.id(format_args!("zones-{}", k + 1)) };
        b.add(c.site, id, text!("Find availability zone {} of the region", k + 1), AWS, a)
            .capture(name, text!("availability zone {}", k + 1));
    }
    names
}

/// The VPC ID as an argument: the captured one, or the existing one from the plan.
fn vpc_arg(c: &Ctx) -> Arg {
    match &c.r.sites[c.site].network {
        Network::Existing { id, .. } => param(text!("{}_VPC_ID", c.v), id.clone()),
        Network::New => out(c.out("VPC_ID")),
    }
}

/// Virtual private gateway or transit gateway, customer gateways, VPN connections, routes.
fn managed(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let asn = s.asn.unwrap_or(asn::AWS_DEFAULT);
    let tgw = matches!(s.gateway, Gateway::AwsTgw { .. });
    let gw = c.out(if tgw { "TGW_ID" } else { "VGW_ID" });
    // The step after which routes may point at the gateway.
    let ready = if tgw {
        let mut a = c.ec2("create-transit-gateway");
        a.extend([
            t("--description"),
            t(text!("{} transit gateway", c.prefix)),
            t("--options"),
            t(text!("AmazonSideAsn={asn},VpnEcmpSupport=enable,DefaultRouteTableAssociation=enable,DefaultRouteTablePropagation=enable")),
        ]);
        a.extend(c.tags("transit-gateway", &text!("{}-tgw", c.prefix)));
        a.extend(query("TransitGateway.TransitGatewayId"));
        b.add(c.site, c.id("gateway"), text!("Create the transit gateway (Amazon-side ASN {asn})"), AWS, a)
            .capture(&gw, "transit gateway")
            .creates(
                ResourceKind::AwsTransitGateway,
                &gw,
                c.delete("delete-transit-gateway", "--transit-gateway-id", &gw),
            );
        let mut a = c.ec2("describe-transit-gateways");
        a.extend([t("--transit-gateway-ids"), out(&gw)]);
        a.extend(query("TransitGateways[0].State"));
        b.add(c.site, c.id("gateway-ready"), "Wait for the transit gateway to become available", AWS, a).wait(
            "available",
            &["failed", "deleted"],
            15,
            1800,
            300,
        );
        let att = c.out("TGW_VPC_ATTACHMENT_ID");
        // One subnet in each availability zone the subnets use (see `zones`).
        let subnets: Vec<Arg> = match &s.network {
            Network::New if !s.subnets.is_empty() => {
                (1..=s.subnets.len().min(TGW_ZONES)).map(|k| out(c.out(format_args!("SUBNET_{k}_ID")))).collect()
            }
            Network::New | Network::Existing { .. } => vec![t("")],
        };
        let mut a = c.ec2("create-transit-gateway-vpc-attachment");
        a.extend([t("--transit-gateway-id"), out(&gw), t("--vpc-id"), vpc_arg(c), t("--subnet-ids")]);
        a.extend(subnets);
        a.extend(c.tags("transit-gateway-attachment", &text!("{}-tgw-vpc", c.prefix)));
        a.extend(query("TransitGatewayVpcAttachment.TransitGatewayAttachmentId"));
        b.add(c.site, c.id("gateway-attach"), "Attach the VPC to the transit gateway", AWS, a)
            .capture(&att, "transit gateway VPC attachment")
            .after(c.id("gateway-ready"))
            .creates(
                ResourceKind::AwsTransitGatewayVpcAttachment,
                &att,
                c.delete("delete-transit-gateway-vpc-attachment", "--transit-gateway-attachment-id", &att),
            );
        // A route to the transit gateway made before the attachment is `available` fails with
        // InvalidTransitGatewayID.NotFound, and running it again does not recover.
        let mut a = c.ec2("describe-transit-gateway-vpc-attachments");
        a.extend([t("--transit-gateway-attachment-ids"), out(&att)]);
        a.extend(query("TransitGatewayVpcAttachments[0].State"));
        b.add(c.site, c.id("gateway-attach-ready"), "Wait for the VPC attachment to become available", AWS, a)
            .after(c.id("gateway-attach"))
            .wait("available", &["failed", "failing", "rejected", "deleted", "deleting"], 10, 900, 60);
        c.id("gateway-attach-ready")
    } else {
        let mut a = c.ec2("create-vpn-gateway");
        a.extend([t("--type"), t("ipsec.1"), t("--amazon-side-asn"), param(text!("{}_ASN", c.v), asn.to_string())]);
        a.extend(c.tags("vpn-gateway", &text!("{}-vgw", c.prefix)));
        a.extend(query("VpnGateway.VpnGatewayId"));
        b.add(c.site, c.id("gateway"), text!("Create the virtual private gateway (Amazon-side ASN {asn})"), AWS, a)
            .capture(&gw, "virtual private gateway")
            .creates(
                ResourceKind::AwsVirtualPrivateGateway,
                &gw,
                c.delete("delete-vpn-gateway", "--vpn-gateway-id", &gw),
            );
        let mut a = c.ec2("attach-vpn-gateway");
        a.extend([t("--vpn-gateway-id"), out(&gw), t("--vpc-id"), vpc_arg(c)]);
        a.extend(query("VpcAttachment.State"));
        let mut del = c.delete("detach-vpn-gateway", "--vpn-gateway-id", &gw);
        del.extend([t("--vpc-id"), vpc_arg(c)]);
        b.add(c.site, c.id("gateway-attach"), "Attach the virtual private gateway to the VPC", AWS, a).creates(
            ResourceKind::AwsVirtualPrivateGatewayAttachment,
            &gw,
            del,
        );
        let mut a = c.ec2("describe-vpn-gateways");
        a.extend([t("--vpn-gateway-ids"), out(&gw)]);
        a.extend(query("VpnGateways[0].VpcAttachments[0].State"));
        b.add(c.site, c.id("gateway-ready"), "Wait for the attachment to the VPC", AWS, a)
            .after(c.id("gateway-attach"))
            .wait("attached", &["detached"], 10, 900, 30);
        c.id("gateway-ready")
    };

    let mut propagate = false;
    let rt = c.out("ROUTE_TABLE_ID");
    for (l, e, peer) in links_of(c.r, c.site) {
        let Some(profile) = &l.profile else { continue };
        let connections: BTreeSet<u8> = l.tunnels.iter().map(|t| t.ends[e].connection).collect();
        let peer_v = var(&peer.name);
        let link_v = var(&l.id);
        for conn in connections {
            let tunnels: Vec<_> = l.tunnels.iter().filter(|t| t.ends[e].connection == conn).collect();
            let Some(first) = tunnels.first() else { continue };
            let Some(peer_ip) = public_address(c.r, l.site(1 - e), first, 1 - e) else { continue };
            let n = conn + 1;
            let cgw = c.out(format_args!("CGW_{peer_v}_{n}"));
            let peer_asn = peer.asn.unwrap_or(asn::APPLIANCE_DEFAULT);
            let mut a = c.ec2("create-customer-gateway");
            a.extend([t("--type"), t("ipsec.1"), t("--public-ip"), peer_ip, t("--bgp-asn"), t(peer_asn.to_string())]);
            a.extend(c.tags("customer-gateway", &text!("{}-cgw-{}-{n}", c.prefix, peer.name)));
            a.extend(query("CustomerGateway.CustomerGatewayId"));
            b.add(
                c.site,
                c.id(format_args!("cgw-{}-{n}", peer.name)),
                text!("Create customer gateway {n} for {} (ASN {peer_asn})", peer.name),
                AWS,
                a,
            )
            .capture(&cgw, text!("customer gateway for {} address {n}", peer.name))
            .creates(
                ResourceKind::AwsCustomerGateway,
                &cgw,
                c.delete("delete-customer-gateway", "--customer-gateway-id", &cgw),
            );

            let vpn = c.out(format_args!("VPN_{link_v}_{n}"));
            let mut a = c.ec2("create-vpn-connection");
            a.extend([t("--type"), t("ipsec.1"), t("--customer-gateway-id"), out(&cgw)]);
            a.extend([t(if tgw { "--transit-gateway-id" } else { "--vpn-gateway-id" }), out(&gw)]);
            a.extend([t("--options"), options(l, e, &tunnels, profile)]);
            a.extend(c.tags("vpn-connection", &text!("{}-{}-{n}", c.r.plan_name, l.id)));
            a.extend(query("VpnConnection.VpnConnectionId"));
            let step = b.add(
                c.site,
                c.id(format_args!("vpn-{}-{n}", l.id)),
                text!(
                    "Create VPN connection {n} to {} ({} tunnels, {} routing)",
                    peer.name,
                    tunnels.len(),
                    l.routing.label()
                ),
                AWS,
                a,
            );
            step.capture(&vpn, text!("VPN connection {n} of link {}", l.id))
                .creates(
                    ResourceKind::AwsVpnConnection,
                    &vpn,
                    c.delete("delete-vpn-connection", "--vpn-connection-id", &vpn),
                )
                .after(c.id("gateway-attach"));
            if tgw {
                step.after(ready.clone());
            }
            for tun in &tunnels {
                let Some(inside) = tun.inside else { continue };
                let mut a = c.ec2("describe-vpn-connections");
                a.extend([t("--vpn-connection-ids"), out(&vpn)]);
                a.extend(query(text!(
                    "VpnConnections[0].Options.TunnelOptions[?TunnelInsideCidr=='{inside}'].OutsideIpAddress | [0]"
                )));
                b.add(
                    c.site,
                    c.id(format_args!("ip-{}", tun.id)),
                    text!("Read the outside address of tunnel {} ({inside})", tun.id),
                    AWS,
                    a,
                )
                .capture(text!("{}_IP_{}", c.v, var(&tun.id)), text!("AWS outside address of tunnel {}", tun.id));
            }
            if l.routing == Routing::Static && !tgw {
                for p in spaces(peer) {
                    let mut a = c.ec2("create-vpn-connection-route");
                    a.extend([t("--vpn-connection-id"), out(&vpn), t("--destination-cidr-block"), t(p.clone())]);
                    b.add(
                        c.site,
                        c.id(format_args!("vpn-route-{}-{n}-{p}", l.id)),
                        text!("Route {p} ({}) into VPN connection {n}", peer.name),
                        AWS,
                        a,
                    );
                }
            }
            // A transit gateway route table holds one static route per destination, to one
            // attachment (the route names its attachment; a second is refused with
            // RouteAlreadyExists, and ECMP across VPN attachments needs BGP) [AWS-TGW-RT]: the
            // peer's prefixes go to the first VPN connection; the others (one per further peer
            // address) carry what the peer sends, not the return traffic.
            if tgw
                && l.routing == Routing::Static
                && Some(&conn) == l.tunnels.iter().map(|t| &t.ends[e].connection).min()
            {
                let att = c.out(format_args!("TGW_VPN_{link_v}_{n}"));
                let mut a = c.ec2("describe-transit-gateway-attachments");
                a.extend([
                    t("--filters"),
                    cat(vec![t("Name=resource-id,Values="), out(&vpn)]),
                    t("Name=resource-type,Values=vpn"),
                ]);
                a.extend(query("TransitGatewayAttachments[0].TransitGatewayAttachmentId"));
                b.add(
                    c.site,
                    c.id(format_args!("tgw-att-{}-{n}", l.id)),
                    text!("Find the transit gateway attachment of VPN connection {n}"),
                    AWS,
                    a,
                )
                .capture(&att, "transit gateway VPN attachment");
                let tgw_rt = c.out("TGW_ROUTE_TABLE_ID");
                for p in spaces(peer) {
                    let mut a = c.ec2("create-transit-gateway-route");
                    a.extend([
                        t("--transit-gateway-route-table-id"),
                        out(&tgw_rt),
                        t("--destination-cidr-block"),
                        t(p.clone()),
                        t("--transit-gateway-attachment-id"),
                        out(&att),
                    ]);
                    a.extend(query("Route.State"));
                    b.add(
                        c.site,
                        c.id(format_args!("tgw-route-{}-{n}-{p}", l.id)),
                        text!("Route {p} ({}) to VPN connection {n} in the transit gateway", peer.name),
                        AWS,
                        a,
                    )
                    .after(c.id("tgw-route-table"));
                }
            }
        }
        match l.routing {
            Routing::Bgp => propagate = true,
            Routing::Static => {}
        }
        // VPC routes to the peer's prefixes through the gateway (static; BGP propagates).
        if l.routing == Routing::Static || tgw {
            for p in spaces(peer) {
                let mut a = c.ec2("create-route");
                a.extend([t("--route-table-id"), out(&rt), t("--destination-cidr-block"), t(p.clone())]);
                a.extend([t(if tgw { "--transit-gateway-id" } else { "--gateway-id" }), out(&gw)]);
                a.extend(query("Return"));
                b.add(
                    c.site,
                    c.id(format_args!("route-{p}")),
                    text!("Route {p} ({}) through the gateway", peer.name),
                    AWS,
                    a,
                )
                .after(ready.clone());
            }
        }
    }
    if tgw && c.r.links.iter().any(|l| (l.a == c.site || l.b == c.site) && l.routing == Routing::Static) {
        let mut a = c.ec2("describe-transit-gateways");
        a.extend([t("--transit-gateway-ids"), out(&gw)]);
        a.extend(query("TransitGateways[0].Options.AssociationDefaultRouteTableId"));
        // Inserted late, ordered by `after`: the executor and the scripts follow dependencies.
        b.add(c.site, c.id("tgw-route-table"), "Find the transit gateway's route table", AWS, a)
            .capture(c.out("TGW_ROUTE_TABLE_ID"), "transit gateway route table")
            .after(c.id("gateway-ready"));
    }
    if propagate && !tgw {
        let mut a = c.ec2("enable-vgw-route-propagation");
        a.extend([t("--route-table-id"), out(&rt), t("--gateway-id"), out(&gw)]);
        b.add(c.site, c.id("propagation"), "Propagate the BGP routes into the route table", AWS, a).after(ready);
    }
}

/// The `--options` JSON of one VPN connection: static or BGP, and per tunnel its inside /30,
/// key and the one proposal the link resolved to (a single proposal also keeps the IKE
/// messages small enough for Google Cloud, which does not take fragmented IKE packets).
fn options(l: &RLink, e: usize, tunnels: &[&crate::check::RTunnel], p: &crate::check::Profile) -> Arg {
    let d = Dialect::Aws;
    let list = |v: Option<&str>| text!("[{{\"Value\":\"{}\"}}]", v.unwrap_or(""));
    let num = |v: Option<u8>| text!("[{{\"Value\":{}}}]", v.unwrap_or(0));
    let mut parts = vec![t(text!(
        "{{\"StaticRoutesOnly\":{},\"TunnelOptions\":[",
        if l.routing == Routing::Static { "true" } else { "false" }
    ))];
    for (k, tun) in tunnels.iter().enumerate() {
        let mut o = String::from(if k == 0 { "{" } else { ",{" });
        if let Some(inside) = tun.inside {
            o.push_str(&text!("\"TunnelInsideCidr\":\"{inside}\","));
        }
        o.push_str("\"PreSharedKey\":\"");
        parts.push(t(o));
        parts.push(secret(&tun.psk_name));
        let ike = match p.ike {
            IkeVersion::V1 => "ikev1",
            IkeVersion::V2 => "ikev2",
        };
        let mut o = text!("\",\"IKEVersions\":[{{\"Value\":\"{ike}\"}}]");
        o.push_str(&text!(
            ",\"Phase1EncryptionAlgorithms\":{},\"Phase2EncryptionAlgorithms\":{}",
            list(dialects::encryption(d, p.p1_encryption)),
            list(dialects::encryption(d, p.p2_encryption))
        ));
        o.push_str(&text!(",\"Phase1IntegrityAlgorithms\":{}", list(dialects::integrity(d, p.p1_integrity))));
        // With GCM the integrity is the cipher's own; AWS still wants an integrity value for
        // phase 2, so the phase 1 choice is used (it never takes effect).
        let p2_integ = p.p2_integrity.unwrap_or(p.p1_integrity);
        o.push_str(&text!(",\"Phase2IntegrityAlgorithms\":{}", list(dialects::integrity(d, p2_integ))));
        o.push_str(&text!(",\"Phase1DHGroupNumbers\":{}", num(Some(p.p1_dh))));
        if let Some(g) = p.pfs {
            o.push_str(&text!(",\"Phase2DHGroupNumbers\":{}", num(Some(g))));
        }
        o.push_str(&text!(
            ",\"Phase1LifetimeSeconds\":{},\"Phase2LifetimeSeconds\":{}",
            p.p1_lifetime[e],
            p.p2_lifetime[e]
        ));
        if let Some(dpd) = p.dpd_timeout[e] {
            o.push_str(&text!(",\"DPDTimeoutSeconds\":{dpd}"));
        }
        // AWS starts the tunnel itself with IKEv2 (Azure does not initiate BGP toward APIPA
        // peers); IKEv1 tunnels wait for the peer.
        if p.ike == IkeVersion::V2 {
            o.push_str(",\"StartupAction\":\"start\",\"DPDTimeoutAction\":\"restart\"");
        }
        o.push('}');
        parts.push(t(o));
    }
    parts.push(t("]}"));
    // The document holds the keys: it goes to the CLI as a private file (`file://`).
    via_file("file://", cat(parts))
}

/// An appliance on EC2: security group (IKE, NAT-T and ESP from the peers only, and the VPC's
/// own traffic it forwards), a network interface at the planned private address with the
/// source/destination check off, an elastic IP, and routes to the peers through it.
fn appliance(b: &mut Builder, c: &Ctx) {
    let s = &c.r.sites[c.site];
    let Gateway::Appliance { private_ip, public_ip, software, version, .. } = &s.gateway else { return };
    let ip_param = param(text!("{}_APPLIANCE_IP", c.v), private_ip.clone());
    let sg = c.out("SG_ID");
    let eni = c.out("ENI_ID");
    let mut a = c.ec2("create-security-group");
    a.extend([
        t("--group-name"),
        t(text!("{}-ipsec", c.prefix)),
        t("--description"),
        t(text!("{} {}: IKE, NAT-T and ESP from its VPN peers", c.prefix, software.label())),
        t("--vpc-id"),
        vpc_arg(c),
    ]);
    a.extend(c.tags("security-group", &text!("{}-ipsec", c.prefix)));
    a.extend(query("GroupId"));
    b.add(c.site, c.id("sg"), "Create the appliance's security group", AWS, a)
        .capture(&sg, "appliance security group")
        .creates(ResourceKind::AwsSecurityGroup, &sg, c.delete("delete-security-group", "--group-id", &sg));

    // Rules: per peer address UDP 500, UDP 4500 and ESP; the VPC's own prefixes (traffic the
    // appliance forwards into the tunnels).
    let mut peers: Vec<(String, Arg)> = Vec::new();
    for (l, e, peer) in links_of(c.r, c.site) {
        for tun in &l.tunnels {
            if let Some(ip) = public_address(c.r, l.site(1 - e), tun, 1 - e) {
                if !peers.iter().any(|(_, a)| *a == ip) {
                    peers.push((peer.name.clone(), ip));
                }
            }
        }
    }
    for (k, (name, ip)) in peers.into_iter().enumerate() {
        // ESP has no ports; AWS ignores them for protocols other than TCP, UDP and ICMP, and
        // -1 states "all".
        let range = |proto: &str, port: i32| {
            let ports = text!(",\"FromPort\":{port},\"ToPort\":{port}");
            vec![
                t(text!("{{\"IpProtocol\":\"{proto}\"{ports},\"IpRanges\":[{{\"CidrIp\":\"")),
                ip.clone(),
                t(text!("/32\",\"Description\":\"{name}\"}}]}}")),
            ]
        };
        let mut perms = vec![t("[")];
        perms.extend(range("udp", 500));
        perms.push(t(","));
        perms.extend(range("udp", 4500));
        perms.push(t(","));
        perms.extend(range("50", -1));
        perms.push(t("]"));
        let mut a = c.ec2("authorize-security-group-ingress");
        a.extend([t("--group-id"), out(&sg), t("--ip-permissions"), cat(perms)]);
        a.extend(query("Return"));
        b.add(
            c.site,
            c.id(format_args!("sg-peer-{}", k + 1)),
            text!("Allow IKE (UDP 500), NAT-T (UDP 4500) and ESP from {name}"),
            AWS,
            a,
        );
    }
    let mut perms: Vec<String> = Vec::new();
    for p in spaces(s) {
        perms.push(text!("{{\"CidrIp\":\"{p}\",\"Description\":\"{} (forwarded)\"}}", s.name));
    }
    let mut a = c.ec2("authorize-security-group-ingress");
    a.extend([
        t("--group-id"),
        out(&sg),
        t("--ip-permissions"),
        t(text!("[{{\"IpProtocol\":\"-1\",\"IpRanges\":[{}]}}]", perms.join(","))),
    ]);
    a.extend(query("Return"));
    b.add(c.site, c.id("sg-vpc"), "Allow traffic from the VPC that the appliance forwards", AWS, a);

    // The network interface at the planned address.
    match &s.network {
        Network::New => {
            let subnet = s.subnets.iter().position(|sub| {
                private_ip.parse::<std::net::Ipv4Addr>().map(|ip| sub.cidr.contains(&ip)).unwrap_or(false)
            });
            let subnet_arg = match subnet {
                Some(k) => out(c.out(format_args!("SUBNET_{}_ID", k + 1))),
                None => t(""),
            };
            let mut a = c.ec2("create-network-interface");
            a.extend([
                t("--subnet-id"),
                subnet_arg,
                t("--private-ip-address"),
                ip_param.clone(),
                t("--groups"),
                out(&sg),
                t("--description"),
                t(text!("{} {} {}", c.prefix, software.label(), version)),
            ]);
            a.extend(c.tags("network-interface", &text!("{}-appliance", c.prefix)));
            a.extend(query("NetworkInterface.NetworkInterfaceId"));
            b.add(c.site, c.id("eni"), text!("Create the appliance's network interface at {private_ip}"), AWS, a)
                .capture(&eni, "appliance network interface")
                .creates(
                    ResourceKind::AwsNetworkInterface,
                    &eni,
                    c.delete("delete-network-interface", "--network-interface-id", &eni),
                );
        }
        Network::Existing { .. } => {
            let mut a = c.ec2("describe-network-interfaces");
            a.extend([
                t("--filters"),
                cat(vec![t("Name=addresses.private-ip-address,Values="), ip_param.clone()]),
                cat(vec![t("Name=vpc-id,Values="), vpc_arg(c)]),
            ]);
            a.extend(query("NetworkInterfaces[0].NetworkInterfaceId"));
            b.add(c.site, c.id("eni"), text!("Find the appliance's network interface at {private_ip}"), AWS, a)
                .capture(&eni, "appliance network interface");
            let mut a = c.ec2("modify-network-interface-attribute");
            a.extend([t("--network-interface-id"), out(&eni), t("--groups"), out(&sg)]);
            b.add(c.site, c.id("eni-sg"), "Put the appliance's interface in its security group", AWS, a);
        }
    }
    let mut a = c.ec2("modify-network-interface-attribute");
    a.extend([t("--network-interface-id"), out(&eni), t("--no-source-dest-check")]);
    b.add(c.site, c.id("eni-forward"), "Turn off the source/destination check (the appliance forwards)", AWS, a);

    // The elastic IP the peers connect to.
    if public_ip.is_empty() {
        let alloc = c.out("EIP_ALLOCATION_ID");
        let mut a = c.ec2("allocate-address");
        a.extend([t("--domain"), t("vpc")]);
        a.extend(c.tags("elastic-ip", &text!("{}-appliance", c.prefix)));
        a.extend(query("AllocationId"));
        b.add(c.site, c.id("eip"), "Allocate the appliance's elastic IP", AWS, a)
            .capture(&alloc, "elastic IP")
            .creates(ResourceKind::AwsElasticIp, &alloc, c.delete("release-address", "--allocation-id", &alloc));
        let mut a = c.ec2("describe-addresses");
        a.extend([t("--allocation-ids"), out(&alloc)]);
        a.extend(query("Addresses[0].PublicIp"));
        b.add(c.site, c.id("eip-address"), "Read the elastic IP address", AWS, a)
            .capture(c.out("PUBLIC_IP"), "the appliance's public address");
        let assoc = c.out("EIP_ASSOCIATION_ID");
        let mut a = c.ec2("associate-address");
        a.extend([t("--allocation-id"), out(&alloc), t("--network-interface-id"), out(&eni)]);
        a.extend(query("AssociationId"));
        b.add(c.site, c.id("eip-associate"), "Give the appliance's interface the elastic IP", AWS, a)
            .capture(&assoc, "elastic IP association")
            .creates(
                ResourceKind::AwsElasticIpAssociation,
                &assoc,
                c.delete("disassociate-address", "--association-id", &assoc),
            );
    }

    // Routes to every peer's prefixes through the appliance.
    let rt = c.out("ROUTE_TABLE_ID");
    let mut routed = BTreeSet::new();
    for (_, _, peer) in links_of(c.r, c.site) {
        for p in spaces(peer) {
            if !routed.insert(p.clone()) {
                continue;
            }
            let mut a = c.ec2("create-route");
            a.extend([
                t("--route-table-id"),
                out(&rt),
                t("--destination-cidr-block"),
                t(p.clone()),
                t("--network-interface-id"),
                out(&eni),
            ]);
            a.extend(query("Return"));
            b.add(
                c.site,
                c.id(format_args!("route-{p}")),
                text!("Route {p} ({}) through the appliance", peer.name),
                AWS,
                a,
            );
        }
    }
}
