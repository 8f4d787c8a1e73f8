//! Libreswan, strongSwan and VyOS configuration and install scripts for appliance sites (issue 4).
//!
//! One host per appliance site. Every tunnel of every link that ends on the site becomes one
//! route-based tunnel on the host: an XFRM interface (`ipsec<n>` on Linux, `vti<n>` on VyOS) with
//! the tunnel's inside /30, traffic selectors 0.0.0.0/0 on both sides, and either static routes to
//! the peer's address spaces or a BGP session to the peer's inside address.
//!
//! Values only known at run time (the peer's public IP, the host's own elastic IP) are written as
//! `${VAR}` (see [`super::vars`]) and filled in by the install script from `outputs.env`;
//! pre-shared keys never appear in an artifact: the install script writes them at install time
//! from the host's own `secrets.env` beside it ([`secrets_files`]), which holds only the keys of
//! that host's tunnels.
//!
//! Paths: `<site>/libreswan/…`, `<site>/strongswan/…`, `<site>/vyos/install.sh`.

mod libreswan;
mod linux;
mod strongswan;
mod vyos;

use super::vars::{self, Addr};
use super::{Artifact, RenderOptions};
use crate::check::{Profile, RLink, RSite, RTunnel, Resolved};
use crate::kb::crypto::Endpoint;
use crate::plan::{Gateway, Routing, Software};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// The appliance artifacts of the plan.
pub fn artifacts(r: &Resolved, opts: &RenderOptions) -> Vec<Artifact> {
    let mut out = Vec::new();
    for si in 0..r.sites.len() {
        let Some(host) = Host::new(r, si) else { continue };
        out.extend((host.device().artifacts)(&host, opts));
    }
    out
}

/// Everything the bundle says about one appliance software beside the plan's values: its files
/// and what the runbook tells the engineer to run on it. Each software's render module holds its
/// row (`libreswan::DEVICE`, …); [`device`] is the one registration.
pub(crate) struct Device {
    /// The host's files.
    pub artifacts: fn(&Host<'_>, &RenderOptions) -> Vec<Artifact>,
    /// The folder of the host's files, `<site>/<dir>/`.
    pub dir: &'static str,
    /// The prefix of its tunnel interfaces (`ipsec` → `ipsec1`, `ipsec2`, …).
    pub ifname: &'static str,
    /// Where, and as whom, the install script is run, and the program that runs it.
    pub install_where: &'static str,
    pub install_runner: &'static str,
    /// How the install script applies the configuration when it copies no file to the host.
    pub configures_without_files: &'static str,
    /// The command that lists the tunnels and, given the tunnel names, what it shows when they are up.
    pub status: &'static str,
    pub status_up: fn(&str) -> String,
    /// The command that shows the BGP sessions, and who starts them toward a gateway that waits.
    pub bgp_summary: &'static str,
    pub bgp_starter: &'static str,
    /// The command that reloads the tunnels without reinstalling, and what it does (`None`: the
    /// install script is the reload).
    pub reload: Option<(&'static str, &'static str)>,
    /// Where the configured proposals are, in words starting with the software's name.
    pub crypto_where: &'static str,
    /// What stays on the host after a teardown.
    pub kept_config: fn(&Host<'_>) -> String,
    /// How the host clamps the TCP MSS.
    pub mss_clamp: Clamp,
    /// Whether the install script turns IPv4 forwarding on with a sysctl file (a router forwards
    /// already).
    pub forwarding_sysctl: bool,
    /// Why a key can be seen on the host while the install script runs, if it can.
    pub key_visible: Option<&'static str>,
    /// How its IKEv2 end declares the peer dead.
    pub ikev2_dead_peer: DeadPeer,
}

/// How an IKEv2 end declares its peer dead (IKEv2 itself has no DPD timeout).
#[derive(Clone, Copy)]
pub(crate) enum DeadPeer {
    /// When its retransmissions of the liveness check run out, in words.
    Retransmissions(&'static str),
    /// After the link's DPD timeout, set with this option.
    Timeout(&'static str),
}

/// How an appliance clamps the TCP MSS on its tunnel interfaces.
pub(crate) enum Clamp {
    /// With the host's `firewall.nft`, loaded at boot by its unit.
    Nft,
    /// As the sentence says, the same for every host of the software.
    Said(&'static str),
}

/// The [`Device`] of `software`: the one place a new appliance software is registered.
pub(crate) fn device(software: Software) -> &'static Device {
    match software {
        Software::Libreswan => &libreswan::DEVICE,
        Software::Strongswan => &strongswan::DEVICE,
        Software::Vyos => &vyos::DEVICE,
    }
}

/// Each appliance host's secrets file and the keys it holds: `(<site>/<software>/secrets.env,
/// names)`, the names being only those of the host's own tunnels (an appliance never receives
/// the keys of tunnels it does not terminate). The bundle and `tunnelsmith generate` write these
/// beside the install scripts, which read them; `apply` copies only this file to the host.
pub fn secrets_files(r: &Resolved) -> Vec<(String, Vec<String>)> {
    (0..r.sites.len())
        .filter_map(|si| Host::new(r, si))
        .map(|h| (h.path(h.dir(), vars::SECRETS_FILE), h.psk_names()))
        .collect()
}

/// An appliance site and the tunnels it terminates (a site without tunnels has nothing to
/// configure and is no host).
pub(crate) struct Host<'a> {
    pub r: &'a Resolved,
    pub site: &'a RSite,
    pub software: Software,
    /// As written in the plan (`4`, `1.4`, …).
    pub version: &'a str,
    pub endpoint: Endpoint,
    /// The site's private address (in a cloud) or its public one (on premises); `None` when the
    /// plan has neither (it then has errors).
    pub local_address: Option<Ipv4Addr>,
    /// The public address the host presents: its IKE identity.
    pub public: Addr,
    pub tunnels: Vec<HostTunnel<'a>>,
}

/// One tunnel as one host sees it.
pub(crate) struct HostTunnel<'a> {
    pub link: &'a RLink,
    pub tunnel: &'a RTunnel,
    pub profile: &'a Profile,
    /// This host's end of the link (0 = a, 1 = b).
    pub end: usize,
    pub peer: &'a RSite,
    /// 1-based number on the host: interface `ipsec<n>` / `vti<n>`, XFRM if_id `n`.
    pub n: usize,
    /// The peer's public address: where IKE goes, and its IKE identity.
    pub remote: Addr,
}

impl<'a> Host<'a> {
    /// The host for site `si`, if it is an appliance of a version this build knows.
    pub fn new(r: &'a Resolved, si: usize) -> Option<Host<'a>> {
        let site = &r.sites[si];
        let Gateway::Appliance { software, version, public_ip, private_ip, .. } = &site.gateway else {
            return None;
        };
        let endpoint = site.endpoint?;
        let local_address = private_ip.parse().ok().or_else(|| public_ip.parse().ok());
        let mut tunnels = Vec::new();
        for link in r.links.iter() {
            let end = if link.a == si {
                0
            } else if link.b == si {
                1
            } else {
                continue;
            };
            let Some(profile) = &link.profile else { continue };
            for tunnel in &link.tunnels {
                tunnels.push(HostTunnel {
                    link,
                    tunnel,
                    profile,
                    end,
                    peer: &r.sites[link.site(1 - end)],
                    n: tunnels.len() + 1,
                    remote: vars::outside_ip(r, link, tunnel, 1 - end),
                });
            }
        }
        // The host's own address as its peers see it (the same for every tunnel).
        let first = tunnels.first()?;
        let public = vars::outside_ip(r, first.link, first.tunnel, first.end);
        Some(Host { r, site, software: *software, version, endpoint, local_address, public, tunnels })
    }

    /// Every run-time value the host's files need, each once, in a stable order.
    pub fn runtime_vars(&self) -> Vec<&Addr> {
        let mut v: Vec<&Addr> = Vec::new();
        for a in std::iter::once(&self.public).chain(self.tunnels.iter().map(|t| &t.remote)) {
            if a.var().is_some() && !v.contains(&a) {
                v.push(a);
            }
        }
        v
    }

    /// The peers' public addresses, each once: the only sources IKE and ESP are accepted from.
    pub fn peer_addresses(&self) -> Vec<&Addr> {
        let mut v: Vec<&Addr> = Vec::new();
        for t in &self.tunnels {
            if !v.contains(&&t.remote) {
                v.push(&t.remote);
            }
        }
        v
    }

    /// The prefixes the host advertises over BGP: its site's own address spaces, and nothing it
    /// learned from a peer. Without this outbound filter a site re-advertises every cloud prefix
    /// it learned and becomes a transit path between its peers when a direct link fails. (The
    /// plan has no transit option yet: every appliance filters.)
    pub fn advertised(&self) -> &[Ipv4Net] {
        &self.site.address_spaces
    }

    /// The name of the prefix list that holds [`Host::advertised`] (FRR and VyOS).
    pub fn export_list(&self) -> String {
        format!("TS-OWN-{}", self.plan())
    }

    /// Whether any tunnel carries BGP.
    pub fn bgp(&self) -> bool {
        self.tunnels.iter().any(|t| t.link.routing == Routing::Bgp)
    }

    /// The folder of the host's files: `libreswan`, `strongswan` or `vyos`.
    pub fn dir(&self) -> &'static str {
        self.device().dir
    }

    /// What the bundle says about the host's software.
    pub fn device(&self) -> &'static Device {
        device(self.software)
    }

    /// The names of the keys of this host's tunnels, in tunnel order.
    pub fn psk_names(&self) -> Vec<String> {
        self.tunnels.iter().map(|t| t.tunnel.psk_name.clone()).collect()
    }

    /// `<site>/<dir>/<file>`.
    pub fn path(&self, dir: &str, file: &str) -> String {
        format!("{}/{dir}/{file}", token(&self.site.name))
    }

    /// The plan name as it appears in file, table and unit names.
    pub fn plan(&self) -> String {
        token(&self.r.plan_name)
    }

    /// Where the host-side helper files live on the appliance.
    pub fn etc_dir(&self) -> String {
        format!("/etc/tunnelsmith/{}", self.plan())
    }

    /// The software and version, e.g. `Libreswan 4`.
    pub fn label(&self) -> String {
        format!("{} {}", self.software.label(), self.version)
    }

    /// One line per tunnel for the headers: `aws-azure-t1  to azure (Azure VPN gateway), ipsec1 169.254.21.2/30, static 10.2.0.0/24`.
    pub fn tunnel_summary(&self, prefix: &str, ifname: &str) -> String {
        let mut s = String::new();
        for t in &self.tunnels {
            let routing = match t.link.routing {
                Routing::Static => format!("static routes to {}", join(&t.peer.address_spaces)),
                Routing::Bgp => format!("BGP with AS {}", t.peer.asn.map(|a| a.to_string()).unwrap_or_default()),
            };
            s.push_str(&format!(
                "{prefix}  {}: to {} ({}) over {ifname}{}{}, {routing}\n",
                t.tunnel.id,
                t.peer.name,
                t.peer.gateway.kind().label(),
                t.n,
                t.local_inside().map(|c| format!(" {c}")).unwrap_or_default(),
            ));
        }
        s
    }
}

impl HostTunnel<'_> {
    /// The host end's phase 1 lifetime (seconds).
    pub fn p1_life(&self) -> u32 {
        self.profile.p1_lifetime[self.end]
    }

    /// The host end's phase 2 lifetime (seconds).
    pub fn p2_life(&self) -> u32 {
        self.profile.p2_lifetime[self.end]
    }

    /// DPD: (interval, timeout) in seconds for the host end.
    pub fn dpd(&self) -> (u32, u32) {
        let interval = self.profile.dpd_interval;
        (interval, self.profile.dpd_timeout[self.end].unwrap_or(interval * 3))
    }

    /// This end's inside address with the /30 length, e.g. `169.254.21.2/30`.
    pub fn local_inside(&self) -> Option<String> {
        let net = self.tunnel.inside?;
        Some(format!("{}/{}", self.tunnel.ends[self.end].inside_ip?, net.prefix_len()))
    }

    /// The peer's inside address (its BGP neighbour address).
    pub fn peer_inside(&self) -> Option<Ipv4Addr> {
        self.tunnel.ends[1 - self.end].inside_ip
    }

    /// Where this tunnel's BGP session must come from when that is not the tunnel's own inside
    /// address: the pairing (`kb::pairing`, `one_bgp_source`) says the peer expects every
    /// session from the one address its single peer object names, the host's inside address on
    /// the link's first tunnel (an active-active Azure gateway's local network gateway holds one
    /// BGP peer address, and both instances expect the session from it). `None` for the first
    /// tunnel and for every other pairing.
    pub fn bgp_source(&self) -> Option<Ipv4Addr> {
        let one = self.link.routing == Routing::Bgp && self.link.pairing.is_some_and(|c| c.one_bgp_source[self.end]);
        let first = self.link.tunnels.first()?.ends[self.end].inside_ip?;
        (one && Some(first) != self.tunnel.ends[self.end].inside_ip).then_some(first)
    }

    /// The prefixes a static link routes into this tunnel: the peer site's address spaces.
    pub fn static_prefixes(&self) -> &[Ipv4Net] {
        match self.link.routing {
            Routing::Static => &self.peer.address_spaces,
            Routing::Bgp => &[],
        }
    }

    /// Route metric: the first tunnel of a link is preferred, the others take over when it drops.
    pub fn metric(&self) -> usize {
        100 + self.tunnel.index
    }
}

/// Text that may reach a shell or a configuration file as a name: `[a-z0-9-]` only (names are
/// validated by the checks; this keeps a plan with errors harmless too).
pub(crate) fn token(s: &str) -> String {
    let t: String =
        s.chars().map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' { c } else { '-' }).collect();
    if t.is_empty() {
        "x".into()
    } else {
        t
    }
}

/// `a, b, c`.
pub(crate) fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    pub(crate) fn preset(id: &str) -> Resolved {
        crate::check::resolve(&PRESETS.iter().find(|p| p.id.starts_with(id)).unwrap().plan())
    }

    #[test]
    fn only_appliance_sites_are_hosts_and_tunnels_are_numbered_per_host() {
        let r = preset("003");
        assert!(Host::new(&r, 1).is_none(), "the AWS VGW site has no appliance");
        let h = Host::new(&r, 0).unwrap();
        assert_eq!(h.tunnels.len(), 2);
        assert_eq!(h.tunnels.iter().map(|t| t.n).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(h.local_address, Some(Ipv4Addr::new(10, 50, 0, 10)));
        assert_eq!(h.public.var(), Some("USWEST_PUBLIC_IP"));
        let vars: Vec<&str> = h.runtime_vars().iter().filter_map(|a| a.var()).collect();
        assert_eq!(vars, ["USWEST_PUBLIC_IP", "EUWEST_IP_USWEST_EUWEST_T1", "EUWEST_IP_USWEST_EUWEST_T2"]);
        assert_eq!(h.tunnels[0].static_prefixes(), &["10.60.0.0/16".parse::<Ipv4Net>().unwrap()]);
        assert_eq!(h.tunnels[0].local_inside().as_deref(), Some("169.254.10.2/30"));
    }

    #[test]
    fn names_are_reduced_to_safe_tokens() {
        assert_eq!(token("aws-1"), "aws-1");
        assert_eq!(token("a'b;$(x)"), "a-b---x-");
        assert_eq!(token(""), "x");
    }
}
