//! strongSwan 5.x and 6.x: one swanctl file in `/etc/swanctl/conf.d/` (connections and children,
//! proposals, XFRM interface ids) that includes a secrets file the install script writes.
//!
//! Both major versions read the same swanctl syntax for what is generated here; 6.x no longer ships
//! the legacy `ipsec.conf` starter (stroke), which is why swanctl is used for both.

use super::linux::{self, Daemon, DaemonRunbook};
use super::{DeadPeer, Device, Host, HostTunnel};
use crate::kb::crypto::Endpoint;
use crate::kb::dialects::{self, Dialect};
use crate::plan::{IkeVersion, Routing};
use crate::render::{stamp, Artifact, RenderOptions};

pub(crate) const DEVICE: Device = linux::device(DaemonRunbook {
    artifacts,
    dir: "strongswan",
    status: "sudo swanctl --list-sas",
    status_up: |names| text!("for each tunnel ({names}) an IKE SA `ESTABLISHED` with a child SA `INSTALLED`"),
    reload: ("sudo swanctl --load-all", "loads the changed connections and keys into strongSwan"),
    crypto_where: "strongSwan: `proposals` and `esp_proposals` in `/etc/swanctl/conf.d/`",
    // strongSwan documents its DPD timeout as IKEv1-only [SS-OPT].
    ikev2_dead_peer: DeadPeer::Retransmissions(
        "its IKEv2 retransmissions run out (strongSwan's defaults: 5 retries, about 165 s; its DPD timeout is IKEv1 only)",
    ),
});

pub(crate) fn artifacts(h: &Host, opts: &RenderOptions) -> Vec<Artifact> {
    let plan = h.plan();
    let major = if h.endpoint == Endpoint::Strongswan6 { "6" } else { "5" };
    let mut out = vec![Artifact {
        path: h.path(h.dir(), &format!("{plan}.conf")),
        media_type: "text/plain",
        text: swanctl(h, opts),
        executable: false,
    }];
    let mut secrets = format!(
        "secrets_text=\"# Tunnelsmith plan '{plan}': pre-shared keys, written by install.sh from the secrets file.\nsecrets {{\"\n"
    );
    for t in &h.tunnels {
        secrets.push_str(&format!(
            "secrets_text+=\"\n    ike-{id} {{\n        id-local = {local}\n        id-remote = {remote}\n        secret = \\\"${{{psk}}}\\\"\n    }}\"\n",
            id = t.tunnel.id,
            local = h.public,
            remote = t.remote,
            psk = t.tunnel.psk_name,
        ));
    }
    secrets.push_str(&format!(
        "secrets_text+=\"\n}}\"\nwrite_secret \"$root/etc/swanctl/conf.d/{plan}.secrets\" \"$secrets_text\"\n"
    ));
    let daemon = Daemon {
        dir: h.dir(),
        apt: &["charon-systemd", "nftables"],
        dnf: &["strongswan", "nftables"],
        version_check: format!(
            r#"have="$(swanctl --version 2>/dev/null | grep -oE '[0-9]+\.[0-9.]+' | head -n 1 || true)"
[[ "${{have%%.*}}" == {major} ]] ||
  say "note: this host has strongSwan ${{have:-?}}, the plan says strongSwan {major}; the generated swanctl syntax suits both"
"#
        ),
        files: vec![(format!("{plan}.conf"), format!("/etc/swanctl/conf.d/{plan}.conf"), "0644")],
        secrets,
        start: r#"unit=strongswan
systemctl cat strongswan.service >/dev/null 2>&1 || unit=strongswan-swanctl
systemctl enable "$unit"
systemctl restart "$unit"
swanctl --load-all
"#
        .into(),
        status: &["swanctl --list-sas"],
    };
    out.extend(linux::host_files(h, opts, &daemon));
    out
}

/// The IKE proposal: `ENC-INTEG-DH`, or `ENC-PRF-DH` with AES-GCM.
pub(crate) fn ike_proposal(t: &HostTunnel) -> String {
    let p = t.profile;
    let enc = dialects::encryption(Dialect::Strongswan, p.p1_encryption).unwrap_or("?");
    let integ = if p.p1_encryption.is_aead() {
        dialects::strongswan_prf(p.p1_integrity)
    } else {
        dialects::integrity(Dialect::Strongswan, p.p1_integrity).unwrap_or("?")
    };
    format!("{enc}-{integ}-{}", dialects::dh_group(Dialect::Strongswan, p.p1_dh).unwrap_or("?"))
}

/// The ESP proposal: `ENC[-INTEG][-DH]` (the DH group is the PFS group).
pub(crate) fn esp_proposal(t: &HostTunnel) -> String {
    let p = t.profile;
    let mut parts = vec![dialects::encryption(Dialect::Strongswan, p.p2_encryption).unwrap_or("?")];
    if let Some(i) = p.p2_integrity {
        parts.push(dialects::integrity(Dialect::Strongswan, i).unwrap_or("?"));
    }
    if let Some(g) = dialects::pfs_group(Dialect::Strongswan, p.pfs) {
        parts.push(g);
    }
    parts.join("-")
}

fn swanctl(h: &Host, opts: &RenderOptions) -> String {
    let plan = h.plan();
    let mut s = stamp("#", &format!("strongSwan {} (swanctl) on {}", h.version, h.site.name), h.r, opts);
    s.push_str(&format!(
        "#\n# Installed as /etc/swanctl/conf.d/{plan}.conf by install.sh, which fills in the addresses only\n\
         # known at run time from the outputs file and writes the keys to {plan}.secrets beside it\n\
         # (included at the end). One connection per tunnel, route-based: traffic selectors 0.0.0.0/0\n\
         # bound to an XFRM interface by its if_id (interfaces made by net-up.sh):\n{}",
        h.tunnel_summary("#", "ipsec")
    ));
    s.push_str("connections {\n");
    for t in &h.tunnels {
        let p = t.profile;
        let (interval, timeout) = t.dpd();
        let v1 = p.ike == IkeVersion::V1;
        s.push_str(&format!("    {} {{\n", t.tunnel.id));
        s.push_str(&format!("        version = {}\n", if v1 { 1 } else { 2 }));
        if let Some(a) = h.local_address {
            s.push_str(&format!("        local_addrs = {a}\n"));
        }
        s.push_str(&format!("        remote_addrs = {}\n", t.remote));
        s.push_str(&format!("        proposals = {}\n", ike_proposal(t)));
        s.push_str(&format!("        rekey_time = {}s\n", t.p1_life()));
        s.push_str(&format!("        dpd_delay = {interval}s\n"));
        if v1 {
            s.push_str(&format!("        dpd_timeout = {timeout}s\n"));
        }
        s.push_str("        mobike = no\n        keyingtries = 0\n");
        s.push_str(&format!(
            "        local {{\n            auth = psk\n            id = {}\n        }}\n        remote {{\n            auth = psk\n            id = {}\n        }}\n",
            h.public, t.remote
        ));
        let route = match t.link.routing {
            Routing::Static => "updown.sh routes the peer's address spaces into ipsec",
            Routing::Bgp => "FRR runs BGP over ipsec",
        };
        s.push_str(&format!(
            "        children {{\n            {id} {{\n                # {route}{n}\n                local_ts = 0.0.0.0/0\n                remote_ts = 0.0.0.0/0\n                esp_proposals = {esp}\n                rekey_time = {life}s\n                if_id_in = {n}\n                if_id_out = {n}\n                updown = {etc}/updown.sh\n                dpd_action = restart\n                close_action = start\n                start_action = start\n            }}\n        }}\n    }}\n",
            id = t.tunnel.id,
            n = t.n,
            esp = esp_proposal(t),
            life = t.p2_life(),
            etc = h.etc_dir(),
        ));
    }
    s.push_str(&format!("}}\n\ninclude {plan}.secrets\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::preset;
    use super::*;
    use crate::plan::{Crypto, Encryption};

    #[test]
    fn strongswan_to_aws_has_one_connection_per_aws_tunnel() {
        let r = preset("003");
        let h = Host::new(&r, 0).unwrap();
        let text = swanctl(&h, &RenderOptions::default());
        for want in [
            "    uswest-euwest-t1 {",
            "    uswest-euwest-t2 {",
            "remote_addrs = ${EUWEST_IP_USWEST_EUWEST_T1}",
            "remote_addrs = ${EUWEST_IP_USWEST_EUWEST_T2}",
            "local_addrs = 10.50.0.10",
            "id = ${USWEST_PUBLIC_IP}",
            "proposals = aes256-sha256-ecp384",
            "esp_proposals = aes256-sha256-ecp384",
            "rekey_time = 28800s",
            "rekey_time = 3600s",
            "if_id_in = 2",
            "local_ts = 0.0.0.0/0",
            "include cross-region.secrets",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
        assert!(!text.contains("dpd_timeout"), "IKEv2 ignores dpd_timeout");
    }

    #[test]
    fn aead_proposals_name_a_prf_and_no_pfs_drops_the_group() {
        let mut plan = crate::presets::PRESETS[3].plan();
        plan.links[0].crypto = Crypto {
            phase1_encryption: Some(Encryption::Aes256Gcm16),
            phase2_encryption: Some(Encryption::Aes128Gcm16),
            ..Crypto::default()
        };
        let r = crate::check::resolve(&plan);
        let h = Host::new(&r, 0).unwrap();
        assert_eq!(ike_proposal(&h.tunnels[0]), "aes256gcm16-prfsha256-ecp384");
        assert_eq!(esp_proposal(&h.tunnels[0]), "aes128gcm16-ecp384");
    }
}
