//! Status commands: for each end of each tunnel that a cloud gateway terminates, the cloud's
//! own command that says whether the tunnel is up (and, for BGP, the session state and the
//! routes received).
//!
//! Each probe is built from the arguments of the step that made the thing it asks about (the
//! same names, the same captured IDs), so it cannot ask about something the plan did not make.

use super::{t, Arg, Part, Program, Step};
use crate::check::Resolved;
use crate::plan::{Gateway, Routing};
use serde::Serialize;

/// What a probe's output holds, and so how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Reads {
    /// `aws ec2 describe-vpn-connections` telemetry of one tunnel: `STATUS<tab>MESSAGE<tab>ROUTES`;
    /// up is `UP`.
    AwsTelemetry,
    /// `az network vpn-connection show`: the `connectionStatus`; up is `Connected`.
    AzureConnection,
    /// `az network vnet-gateway list-bgp-peer-status` for one peer: `STATE<tab>ROUTES`; up is
    /// `Connected`.
    AzureBgp,
    /// `gcloud compute vpn-tunnels describe`: `STATUS<tab>DETAIL`; up is `ESTABLISHED`.
    GcpTunnel,
    /// `gcloud compute routers get-status`, JSON: the BGP peer named `peer` in
    /// `result.bgpPeerStatus`; up is `state` `Established`, routes in `numLearnedRoutes`.
    GcpBgp { peer: String },
}

impl Reads {
    /// The word that means up.
    pub fn up(&self) -> &'static str {
        match self {
            Reads::AwsTelemetry => "UP",
            Reads::AzureConnection | Reads::AzureBgp => "Connected",
            Reads::GcpTunnel => "ESTABLISHED",
            Reads::GcpBgp { .. } => "Established",
        }
    }

    /// Whether the probe is about the BGP session (rather than IKE/IPsec).
    pub fn is_bgp(&self) -> bool {
        matches!(self, Reads::AzureBgp | Reads::GcpBgp { .. })
    }
}

/// One status command for one end of one tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub link: String,
    pub tunnel: String,
    /// The site whose cloud answers (index in `Resolved::sites`).
    pub site: usize,
    pub program: Program,
    pub args: Vec<Arg>,
    pub reads: Reads,
}

impl Probe {
    /// Outputs of earlier steps the probe reads.
    pub fn inputs(&self) -> impl Iterator<Item = &str> {
        self.args.iter().flat_map(|a| &a.0).filter_map(|p| match p {
            Part::Output(n) => Some(n.as_str()),
            Part::Text(_) | Part::Param { .. } | Part::Secret(_) | Part::FileOf(_) => None,
        })
    }
}

fn flag<'a>(s: &'a Step, name: &str) -> Option<&'a Arg> {
    let i = s.args.iter().position(|a| matches!(a.0.as_slice(), [Part::Text(x)] if x == name))?;
    s.args.get(i + 1)
}

/// The status probes of the plan, link by link and tunnel by tunnel, in plan order.
pub fn probes(r: &Resolved, steps: &[Step]) -> Vec<Probe> {
    let find = |site: usize, what: &str| {
        let id = format!("{}/{what}", r.sites[site].name);
        steps.iter().find(|s| s.id == id)
    };
    let mut out = Vec::new();
    for l in &r.links {
        for tun in &l.tunnels {
            for e in 0..2 {
                let site = l.site(e);
                let mut push = |program, args: Option<Vec<Arg>>, reads| {
                    if let Some(args) = args {
                        out.push(Probe { link: l.id.clone(), tunnel: tun.id.clone(), site, program, args, reads });
                    }
                };
                match &r.sites[site].gateway {
                    Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => {
                        let args = find(site, &format!("ip-{}", tun.id)).and_then(|s| {
                            let ip = s.capture.as_ref()?.name.clone();
                            Some(vec![
                                t("ec2"),
                                t("describe-vpn-connections"),
                                t("--region"),
                                flag(s, "--region")?.clone(),
                                t("--vpn-connection-ids"),
                                flag(s, "--vpn-connection-ids")?.clone(),
                                t("--query"),
                                Arg::from(vec![
                                    Part::Text("VpnConnections[0].VgwTelemetry[?OutsideIpAddress=='".into()),
                                    Part::Output(ip),
                                    Part::Text("'].[Status,StatusMessage,AcceptedRouteCount] | [0]".into()),
                                ]),
                                t("--output"),
                                t("text"),
                            ])
                        });
                        push(Program::Aws, args, Reads::AwsTelemetry);
                    }
                    Gateway::AzureVpnGateway { .. } => {
                        // The connection toward this tunnel's remote endpoint (one per endpoint).
                        let other = tun.ends[1 - e];
                        // (A VNet-to-VNet link has one connection per side for all its tunnels.)
                        let v2v = super::object(l, e) == Some(crate::kb::pairing::PeerObject::VnetToVnet);
                        let first = l
                            .tunnels
                            .iter()
                            .find(|x| {
                                v2v || (x.ends[1 - e].connection, x.ends[1 - e].outside)
                                    == (other.connection, other.outside)
                            })
                            .unwrap_or(tun);
                        let conn = find(site, &format!("conn-{}", first.id));
                        let args = conn.and_then(|s| {
                            Some(vec![
                                t("network"),
                                t("vpn-connection"),
                                t("show"),
                                t("--resource-group"),
                                flag(s, "--resource-group")?.clone(),
                                t("--name"),
                                flag(s, "--name")?.clone(),
                                t("--query"),
                                t("connectionStatus"),
                                t("--output"),
                                t("tsv"),
                            ])
                        });
                        push(Program::Az, args, Reads::AzureConnection);
                        if l.routing == Routing::Bgp {
                            let peer = tun.ends[1 - e].inside_ip;
                            let args = find(site, "gateway").zip(peer).and_then(|(s, ip)| {
                                Some(vec![
                                    t("network"),
                                    t("vnet-gateway"),
                                    t("list-bgp-peer-status"),
                                    t("--resource-group"),
                                    flag(s, "--resource-group")?.clone(),
                                    t("--name"),
                                    flag(s, "--name")?.clone(),
                                    t("--peer"),
                                    t(ip.to_string()),
                                    t("--query"),
                                    t("value[0].[state,routesReceived]"),
                                    t("--output"),
                                    t("tsv"),
                                ])
                            });
                            push(Program::Az, args, Reads::AzureBgp);
                        }
                    }
                    Gateway::GcpHaVpn { .. } => {
                        let args = find(site, &format!("tunnel-{}", tun.id)).and_then(|s| {
                            Some(vec![
                                t("compute"),
                                t("vpn-tunnels"),
                                t("describe"),
                                // The name after `create` (the command may be `beta compute …`).
                                s.args
                                    .iter()
                                    .position(|a| a.displays("create"))
                                    .and_then(|i| s.args.get(i + 1))?
                                    .clone(),
                                t("--region"),
                                flag(s, "--region")?.clone(),
                                t("--format"),
                                t("value(status,detailedStatus)"),
                            ])
                        });
                        push(Program::Gcloud, args, Reads::GcpTunnel);
                        if let Some(s) = find(site, &format!("bgp-{}", tun.id)) {
                            let peer = flag(s, "--peer-name").map(|a| a.display()).unwrap_or_default();
                            let args = (|| {
                                Some(vec![
                                    t("compute"),
                                    t("routers"),
                                    t("get-status"),
                                    s.args.get(3)?.clone(),
                                    t("--region"),
                                    flag(s, "--region")?.clone(),
                                    t("--format"),
                                    t("json"),
                                ])
                            })();
                            push(Program::Gcloud, args, Reads::GcpBgp { peer });
                        }
                    }
                    Gateway::GcpClassicVpn { .. } | Gateway::Appliance { .. } => {}
                }
            }
        }
    }
    out
}
