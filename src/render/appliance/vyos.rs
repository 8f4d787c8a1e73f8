//! VyOS: the `set` commands of the site's tunnels, in a vbash script that fills in the run-time
//! values, commits and saves. VyOS 1.4 (sagitta) and later share one node tree; 1.3 (equuleus) is
//! generated in its own syntax (see ike-facts §6.2): peers named by address with the key under the
//! peer, `ipsec-interfaces`, `protocols bgp <asn>`, `interface-route` static routes, and values
//! for what 1.4 made valueless.

use super::{Clamp, DeadPeer, Device, Host, HostTunnel};
use crate::kb::crypto::Endpoint;
use crate::kb::dialects::{self, Dialect};
use crate::plan::{IkeVersion, Routing};
use crate::render::vars::{OUTPUTS_FILE, SECRETS_FILE};
use crate::render::{stamp, Artifact, RenderOptions};
use std::collections::BTreeSet;

pub(crate) const DEVICE: Device = Device {
    artifacts,
    dir: "vyos",
    ifname: "vti",
    install_where: "On the router, as the `vyos` user, in the copied folder, run:",
    install_runner: "vbash",
    configures_without_files:
        "The script sets the configuration with VyOS `set` commands, commits and saves it: there are no files to copy.",
    status: "show vpn ipsec sa",
    status_up: |names| text!("each peer ({names}) in state `up`; run it in the VyOS shell, as the install script does"),
    bgp_summary: "show ip bgp summary",
    bgp_starter: "VyOS starts its BGP sessions",
    reload: None,
    crypto_where: "VyOS: `show vpn ipsec` in configuration mode, its `ike-group` and `esp-group`",
    kept_config: |_| "its `vpn ipsec`, `interfaces vti` and `protocols` settings".to_string(),
    mss_clamp: Clamp::Said("The VyOS hosts already clamp it with `ip adjust-mss` on each `vti` interface."),
    forwarding_sysctl: false,
    key_visible: Some(
        "VyOS takes a key only as the value of its `set` command (`vpn ipsec authentication psk`), so while \
         the install script runs, the router's process list shows it: run it where no other user is logged in.",
    ),
    // VyOS runs strongSwan and documents `timeout` as IKEv1-only [VY-XML].
    ikev2_dead_peer: DeadPeer::Retransmissions(
        "its IKEv2 retransmissions run out (VyOS runs strongSwan: 5 retries, about 165 s; VyOS documents `timeout` as IKEv1 only)",
    ),
};

pub(crate) fn artifacts(h: &Host, opts: &RenderOptions) -> Vec<Artifact> {
    vec![Artifact {
        path: h.path(h.dir(), "install.sh"),
        media_type: "text/x-shellscript",
        text: script(h, opts),
        executable: true,
    }]
}

/// `vti<n>`.
fn vti(n: usize) -> String {
    format!("vti{n}")
}

/// A value as the script writes it: run-time values as `"${NAME}"`, others bare.
fn val(v: &impl ToString) -> String {
    let v = v.to_string();
    if v.contains('$') {
        format!("\"{v}\"")
    } else {
        v
    }
}

/// The `set` commands, one per line, without the leading `set `.
pub(crate) fn commands(h: &Host) -> Vec<String> {
    let v13 = h.endpoint == Endpoint::Vyos13;
    let mut c: Vec<String> = Vec::new();
    if v13 {
        c.push("vpn ipsec ipsec-interfaces interface \"$wan_if\"".into());
    } else {
        c.push("vpn ipsec interface \"$wan_if\"".into());
    }
    // Route-based: routes come from the static routes and BGP below, never from the IPsec daemon.
    c.push("vpn ipsec options disable-route-autoinstall".into());

    let mut groups = BTreeSet::new();
    for t in &h.tunnels {
        if groups.insert(t.link.id.clone()) {
            groups_of(t, v13, &mut c);
        }
    }
    for t in &h.tunnels {
        peer(h, t, v13, &mut c);
    }
    for t in &h.tunnels {
        let vti = vti(t.n);
        if let Some(inside) = t.local_inside() {
            c.push(format!("interfaces vti {vti} address {inside}"));
        }
        c.push(format!("interfaces vti {vti} description '{} to {}'", t.tunnel.id, t.peer.name));
        c.push(format!("interfaces vti {vti} mtu {}", t.link.mtu));
        c.push(format!("interfaces vti {vti} ip adjust-mss {}", t.link.mss));
        for net in t.static_prefixes() {
            // The first tunnel of a link is preferred; the others take over when its SA drops.
            let distance = 1 + t.tunnel.index;
            if v13 {
                c.push(format!("protocols static interface-route {net} next-hop-interface {vti} distance {distance}"));
            } else {
                c.push(format!("protocols static route {net} interface {vti} distance {distance}"));
            }
        }
    }
    if h.bgp() {
        let asn = h.site.asn.unwrap_or_default();
        let bgp = if v13 { format!("protocols bgp {asn}") } else { "protocols bgp".to_string() };
        if !v13 {
            c.push(format!("{bgp} system-as {asn}"));
        }
        if let Some(id) = h.local_address {
            c.push(format!("{bgp} parameters router-id {id}"));
        }
        for net in &h.site.address_spaces {
            c.push(format!("{bgp} address-family ipv4-unicast network {net}"));
        }
        export_list(h, &mut c);
        for t in h.tunnels.iter().filter(|t| t.link.routing == Routing::Bgp) {
            let Some(peer) = t.peer_inside() else { continue };
            let n = format!("{bgp} neighbor {peer}");
            c.push(format!("{n} remote-as {}", t.peer.asn.unwrap_or_default()));
            c.push(format!("{n} description '{} via {}'", t.tunnel.id, vti(t.n)));
            c.push(format!("{n} address-family ipv4-unicast prefix-list export {}", h.export_list()));
            c.push(format!("{n} timers holdtime 30"));
            c.push(format!("{n} timers keepalive 10"));
            if let Some(src) = t.bgp_source() {
                // The peer knows this host by one address on every tunnel: on the loopback,
                // with a host route through this tunnel.
                let lo = format!("interfaces loopback lo address {src}/32");
                if !c.contains(&lo) {
                    c.push(lo);
                }
                c.push(format!("{n} update-source {src}"));
                c.push(format!("{n} disable-connected-check"));
                if v13 {
                    c.push(format!("protocols static interface-route {peer}/32 next-hop-interface {}", vti(t.n)));
                } else {
                    c.push(format!("protocols static route {peer}/32 interface {}", vti(t.n)));
                }
            }
        }
    }
    c
}

/// The outbound filter: `policy prefix-list` of the site's own address spaces (the same path in
/// 1.3 and 1.4+, vyos-1x `interface-definitions/policy.xml.in`), exported to every neighbour.
fn export_list(h: &Host, c: &mut Vec<String>) {
    let list = format!("policy prefix-list {}", h.export_list());
    c.push(format!("{list} description 'Tunnelsmith: only the prefixes of {}'", h.site.name));
    for (i, net) in h.advertised().iter().enumerate() {
        let rule = format!("{list} rule {}", 10 * (i + 1));
        c.push(format!("{rule} action permit"));
        c.push(format!("{rule} prefix {net}"));
    }
}

/// `IKE-<link>` and `ESP-<link>`, from the link's resolved profile.
fn groups_of(t: &HostTunnel, v13: bool, c: &mut Vec<String>) {
    let p = t.profile;
    let (interval, timeout) = t.dpd();
    let ike = format!("vpn ipsec ike-group IKE-{}", t.link.id);
    c.push(format!("{ike} key-exchange {}", if p.ike == IkeVersion::V2 { "ikev2" } else { "ikev1" }));
    if v13 && p.ike == IkeVersion::V2 {
        c.push(format!("{ike} ikev2-reauth no"));
    }
    c.push(format!("{ike} lifetime {}", t.p1_life()));
    c.push(format!(
        "{ike} proposal 1 encryption {}",
        dialects::encryption(Dialect::Vyos, p.p1_encryption).unwrap_or("?")
    ));
    c.push(format!("{ike} proposal 1 hash {}", dialects::integrity(Dialect::Vyos, p.p1_integrity).unwrap_or("?")));
    if p.p1_encryption.is_aead() && !v13 {
        c.push(format!("{ike} proposal 1 prf {}", dialects::strongswan_prf(p.p1_integrity)));
    }
    c.push(format!("{ike} proposal 1 dh-group {}", dialects::dh_group(Dialect::Vyos, p.p1_dh).unwrap_or("?")));
    c.push(format!("{ike} dead-peer-detection action restart"));
    c.push(format!("{ike} dead-peer-detection interval {interval}"));
    c.push(format!("{ike} dead-peer-detection timeout {timeout}"));
    c.push(format!("{ike} close-action {}", if v13 { "restart" } else { "start" }));

    let esp = format!("vpn ipsec esp-group ESP-{}", t.link.id);
    if v13 {
        c.push(format!("{esp} compression disable"));
    }
    c.push(format!("{esp} lifetime {}", t.p2_life()));
    c.push(format!("{esp} mode tunnel"));
    c.push(format!("{esp} pfs {}", dialects::pfs_group(Dialect::Vyos, p.pfs).unwrap_or("?")));
    c.push(format!(
        "{esp} proposal 1 encryption {}",
        dialects::encryption(Dialect::Vyos, p.p2_encryption).unwrap_or("?")
    ));
    // VyOS always writes a hash into the proposal; with AES-GCM the cipher's own integrity applies.
    let hash = p.p2_integrity.unwrap_or(p.p1_integrity);
    c.push(format!("{esp} proposal 1 hash {}", dialects::integrity(Dialect::Vyos, hash).unwrap_or("?")));
}

fn peer(h: &Host, t: &HostTunnel, v13: bool, c: &mut Vec<String>) {
    let local_id = val(&h.public);
    let remote = val(&t.remote);
    let psk = format!("\"${{{}}}\"", t.tunnel.psk_name);
    let peer = if v13 {
        format!("vpn ipsec site-to-site peer {remote}")
    } else {
        format!("vpn ipsec site-to-site peer {}", t.tunnel.id)
    };
    if v13 {
        c.push(format!("{peer} authentication id {local_id}"));
        c.push(format!("{peer} authentication mode pre-shared-secret"));
        c.push(format!("{peer} authentication pre-shared-secret {psk}"));
        c.push(format!("{peer} authentication remote-id {remote}"));
    } else {
        let auth = format!("vpn ipsec authentication psk {}", t.tunnel.id);
        c.push(format!("{auth} id {local_id}"));
        c.push(format!("{auth} id {remote}"));
        c.push(format!("{auth} secret {psk}"));
        c.push(format!("{peer} authentication local-id {local_id}"));
        c.push(format!("{peer} authentication mode pre-shared-secret"));
        c.push(format!("{peer} authentication remote-id {remote}"));
    }
    c.push(format!("{peer} connection-type initiate"));
    c.push(format!(
        "{peer} description '{} ({}), tunnel {} of {}'",
        t.peer.name,
        t.peer.gateway.kind().label(),
        t.tunnel.index + 1,
        t.link.tunnels.len()
    ));
    c.push(format!("{peer} ike-group IKE-{}", t.link.id));
    c.push(format!("{peer} default-esp-group ESP-{}", t.link.id));
    c.push(format!("{peer} local-address {}", h.local_address.map(|a| a.to_string()).unwrap_or_else(|| "any".into())));
    if !v13 {
        c.push(format!("{peer} remote-address {remote}"));
    }
    c.push(format!("{peer} vti bind {}", vti(t.n)));
    c.push(format!("{peer} vti esp-group ESP-{}", t.link.id));
}

fn script(h: &Host, opts: &RenderOptions) -> String {
    // SC2121: the `set` lines are VyOS configuration commands, not the shell's own `set`.
    let mut s = String::from("#!/bin/vbash\n# shellcheck shell=bash disable=SC2121\n");
    s.push_str(&stamp("#", &format!("Configure {} on {} for its tunnels", h.label(), h.site.name), h.r, opts));
    s.push_str(&format!(
        "#\n# {site} runs {label} and terminates:\n{summary}#\n\
         # Copy the bundle's {dir}/ folder and {OUTPUTS_FILE} to the router (paths kept) and run, as the\n\
         # vyos user:\n\
         #   vbash ./{dir}/vyos/install.sh\n\
         # It reads this host's pre-shared keys from the {SECRETS_FILE} beside it (only the keys of the\n\
         # tunnels above; never copy the bundle's whole {SECRETS_FILE} to the router) and the addresses\n\
         # the cloud scripts captured from {OUTPUTS_FILE} at the top of the bundle (TUNNELSMITH_SECRETS\n\
         # and TUNNELSMITH_OUTPUTS override the paths), then sets the commands below, commits and\n\
         # saves. The tunnels bind to the interface of the default route. VyOS has no input firewall\n\
         # unless you configured one: if you did, let UDP 500 and 4500 and ESP in from the peers.\n\
         # Running it again is safe.\n",
        site = h.site.name,
        label = h.label(),
        summary = h.tunnel_summary("#", "vti"),
        dir = super::token(&h.site.name),
    ));
    s.push_str(&format!(
        r#"
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
secrets_file="${{TUNNELSMITH_SECRETS:-$here/{SECRETS_FILE}}}"
outputs_file="${{TUNNELSMITH_OUTPUTS:-$here/../../{OUTPUTS_FILE}}}"

say() {{ printf '[tunnelsmith] %s\n' "$*"; }}
die() {{
  printf '[tunnelsmith] error: %s\n' "$*" >&2
  exit 1
}}
"#
    ));
    s.push_str(&super::linux::runtime_values(h, "a VyOS configuration value"));
    s.push_str(
        r#"
wan_if="$(ip -4 route show default | awk '{print $5; exit}')"
[[ -n "$wan_if" ]] || die "no default route: cannot tell which interface faces the peers"

# The configuration commands below replace the shell's own `set`.
# shellcheck source=/dev/null
source /opt/vyatta/etc/functions/script-template
configure
"#,
    );
    for cmd in commands(h) {
        s.push_str(&format!("set {cmd}\n"));
    }
    s.push_str(
        r#"commit || die "commit failed: nothing was saved; the messages above name the command VyOS refused"
save
say "status (run it again to watch the tunnels come up):"
run show vpn ipsec sa
"#,
    );
    if h.bgp() {
        s.push_str("run show ip bgp summary\n");
    }
    s.push_str("exit\n");
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::preset;
    use super::*;
    use crate::plan::Gateway;

    #[test]
    fn vyos_14_toward_azure() {
        let r = preset("000");
        let h = Host::new(&r, 0).unwrap();
        let c = commands(&h);
        for want in [
            "vpn ipsec interface \"$wan_if\"",
            "vpn ipsec ike-group IKE-aws-azure proposal 1 dh-group 20",
            "vpn ipsec esp-group ESP-aws-azure pfs dh-group20",
            "vpn ipsec esp-group ESP-aws-azure lifetime 3600",
            "vpn ipsec authentication psk aws-azure-t1 secret \"${PSK_AWS_AZURE_T1}\"",
            "vpn ipsec site-to-site peer aws-azure-t1 remote-address \"${AZURE_GW_IP_1}\"",
            "vpn ipsec site-to-site peer aws-azure-t1 local-address 10.1.0.212",
            "vpn ipsec site-to-site peer aws-azure-t1 vti bind vti1",
            "interfaces vti vti1 ip adjust-mss 1350",
            "protocols static route 10.2.0.0/24 interface vti1 distance 1",
        ] {
            assert!(c.iter().any(|l| l == want), "missing {want} in {c:#?}");
        }
        assert!(c.iter().all(|l| !l.contains("peer ${") && !l.contains("ipsec-interfaces")), "1.4 peers have no dots");
    }

    #[test]
    fn bgp_neighbours_are_sent_only_the_sites_own_prefixes() {
        let mut plan = crate::presets::PRESETS[0].plan();
        plan.links[0].routing = crate::plan::Routing::Bgp;
        plan.sites[0].address_spaces.push("10.9.0.0/16".parse().unwrap());
        let r = crate::check::resolve(&plan);
        let h = Host::new(&r, 0).unwrap();
        let c = commands(&h);
        let list = format!("policy prefix-list {}", h.export_list());
        for want in [
            format!("{list} rule 10 action permit"),
            format!("{list} rule 10 prefix {}", h.site.address_spaces[0]),
            format!("{list} rule 20 prefix 10.9.0.0/16"),
        ] {
            assert!(c.contains(&want), "missing {want} in {c:#?}");
        }
        let neighbours: Vec<&String> =
            c.iter().filter(|l| l.contains(" neighbor ") && l.ends_with("remote-as 65515")).collect();
        assert!(!neighbours.is_empty(), "{c:#?}");
        for n in c.iter().filter(|l| l.starts_with("protocols bgp neighbor ") && l.contains("address-family")) {
            assert!(n.ends_with(&format!("address-family ipv4-unicast prefix-list export {}", h.export_list())), "{n}");
        }
        assert_eq!(c.iter().filter(|l| l.starts_with(&list) && l.ends_with("action permit")).count(), 2);
    }

    #[test]
    fn vyos_13_syntax_and_bgp() {
        let mut plan = crate::presets::PRESETS[0].plan();
        if let Gateway::Appliance { version, .. } = &mut plan.sites[0].gateway {
            *version = "1.3".into();
        }
        let r = crate::check::resolve(&plan);
        let c = commands(&Host::new(&r, 0).unwrap());
        for want in [
            "vpn ipsec ipsec-interfaces interface \"$wan_if\"",
            "vpn ipsec ike-group IKE-aws-azure ikev2-reauth no",
            "vpn ipsec site-to-site peer \"${AZURE_GW_IP_1}\" authentication pre-shared-secret \"${PSK_AWS_AZURE_T1}\"",
            "vpn ipsec site-to-site peer \"${AZURE_GW_IP_1}\" authentication id \"${AWS_PUBLIC_IP}\"",
            "protocols static interface-route 10.2.0.0/24 next-hop-interface vti1 distance 1",
        ] {
            assert!(c.iter().any(|l| l == want), "missing {want} in {c:#?}");
        }
        assert!(c.iter().all(|l| !l.contains("authentication psk")), "1.3 keeps the key under the peer");
    }
}
