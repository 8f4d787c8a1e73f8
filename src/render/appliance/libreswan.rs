//! Libreswan 4.x and 5.x: one `/etc/ipsec.d/<tunnel>.conf` per tunnel (route-based on an XFRM
//! interface, traffic selectors 0.0.0.0/0) and its `.secrets`, written by the install script.
//!
//! The syntax differences handled: 4.x selects IKEv2 with `ikev2=insist` and the Child SA
//! lifetime with `salifetime=` (every 4.x release reads it; `ipsec-lifetime=` only arrived in 4.8),
//! 5.x with `keyexchange=` and `ipsec-lifetime=` (`ikev2=` is deprecated there). 5.x drops IKEv1
//! by default (`ikev1-policy=drop`), which is why the checks never resolve an IKEv1 link for it.
//! IKEv2 dead peer detection is `dpddelay=` (liveness interval) with `retransmit-timeout=`;
//! `dpdtimeout=` only applies to IKEv1, and `dpdaction=` is ignored by 5.x.

use super::linux::{self, Daemon, DaemonRunbook};
use super::{DeadPeer, Device, Host, HostTunnel};
use crate::kb::crypto::Endpoint;
use crate::kb::dialects::{self, Dialect};
use crate::plan::{IkeVersion, Routing};
use crate::render::{stamp, Artifact, RenderOptions};

pub(crate) const DEVICE: Device = linux::device(DaemonRunbook {
    artifacts,
    dir: "libreswan",
    status: "sudo ipsec trafficstatus",
    status_up: |names| text!("one line per tunnel ({names}) with byte counters that grow while traffic flows"),
    reload: ("sudo ipsec restart", "restarts Libreswan, which reads `/etc/ipsec.d` again"),
    crypto_where: "Libreswan: `ike=` and `esp=` in the tunnel's file in `/etc/ipsec.d`",
    // Libreswan's IKEv2 end gives up after `retransmit-timeout` [LS-CONN].
    ikev2_dead_peer: DeadPeer::Timeout("retransmit-timeout"),
});

pub(crate) fn artifacts(h: &Host, opts: &RenderOptions) -> Vec<Artifact> {
    let mut out: Vec<Artifact> = h
        .tunnels
        .iter()
        .map(|t| Artifact {
            path: h.path(h.dir(), &format!("{}.conf", t.tunnel.id)),
            media_type: "text/plain",
            text: conn(h, t, opts),
            executable: false,
        })
        .collect();
    let v5 = h.endpoint == Endpoint::Libreswan5;
    let major = if v5 { "5" } else { "4" };
    let daemon = Daemon {
        dir: h.dir(),
        apt: &["libreswan", "nftables"],
        dnf: &["libreswan", "nftables"],
        version_check: format!(
            r#"have="$(ipsec --version 2>/dev/null | grep -oE '[0-9]+\.[0-9.]+' | head -n 1 || true)"
[[ "${{have%%.*}}" == {major} ]] ||
  die "this host has Libreswan ${{have:-?}}, the plan says Libreswan {major}: their configuration syntax differs; set the appliance version to ${{have%%.*}} in the plan and generate again"
"#
        ),
        files: h
            .tunnels
            .iter()
            .map(|t| (format!("{}.conf", t.tunnel.id), format!("/etc/ipsec.d/{}.conf", t.tunnel.id), "0644"))
            .collect(),
        secrets: h
            .tunnels
            .iter()
            .map(|t| {
                format!(
                    "write_secret \"$root/etc/ipsec.d/{}.secrets\" \"{} {} : PSK \\\"${{{}}}\\\"\"\n",
                    t.tunnel.id, h.public, t.remote, t.tunnel.psk_name
                )
            })
            .collect(),
        start: r#"# Debian's and RHEL's ipsec.conf and ipsec.secrets include /etc/ipsec.d; make sure of it.
grep -qs '^include /etc/ipsec.d/\*.conf' /etc/ipsec.conf || echo 'include /etc/ipsec.d/*.conf' >>/etc/ipsec.conf
grep -qs '^include /etc/ipsec.d/\*.secrets' /etc/ipsec.secrets ||
  echo 'include /etc/ipsec.d/*.secrets' >>/etc/ipsec.secrets
ipsec checknss
systemctl enable ipsec
systemctl restart ipsec
"#
        .into(),
        status: &["ipsec trafficstatus", "ipsec status | grep -E 'established|ESTABLISHED'"],
    };
    out.extend(linux::host_files(h, opts, &daemon));
    out
}

/// The `ike=` value: `ENC-PRF;DH` (the integrity algorithm doubles as the PRF; with AES-GCM it is
/// only the PRF).
pub(crate) fn ike(t: &HostTunnel) -> String {
    let p = t.profile;
    format!(
        "{}-{};{}",
        dialects::encryption(Dialect::Libreswan, p.p1_encryption).unwrap_or("?"),
        dialects::integrity(Dialect::Libreswan, p.p1_integrity).unwrap_or("?"),
        dialects::dh_group(Dialect::Libreswan, p.p1_dh).unwrap_or("?"),
    )
}

/// The `esp=` value: `ENC-INTEG[;DH]`, `null` integrity with AES-GCM. IKEv2 names the PFS group;
/// IKEv1 Libreswan takes the phase 1 group for PFS and only names a different (MODP) one.
pub(crate) fn esp(t: &HostTunnel) -> String {
    let p = t.profile;
    let integ = p.p2_integrity.and_then(|i| dialects::integrity(Dialect::Libreswan, i)).unwrap_or("null");
    let mut s = format!("{}-{integ}", dialects::encryption(Dialect::Libreswan, p.p2_encryption).unwrap_or("?"));
    let named = match (p.ike, p.pfs) {
        (_, None) => None,
        (IkeVersion::V1, Some(g)) if g == p.p1_dh => None,
        (_, Some(g)) => Some(g),
    };
    if let Some(g) = named {
        s.push(';');
        s.push_str(dialects::pfs_group(Dialect::Libreswan, Some(g)).unwrap_or("?"));
    }
    s
}

fn conn(h: &Host, t: &HostTunnel, opts: &RenderOptions) -> String {
    let p = t.profile;
    let v5 = h.endpoint == Endpoint::Libreswan5;
    let ike_v2 = p.ike == IkeVersion::V2;
    let (interval, timeout) = t.dpd();
    let mut s = stamp("#", &format!("Libreswan {} conn {} on {}", h.version, t.tunnel.id, h.site.name), h.r, opts);
    let routing = match t.link.routing {
        Routing::Static => format!(
            "updown.sh routes {} into it while the tunnel is up",
            t.static_prefixes().iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
        ),
        Routing::Bgp => {
            format!("FRR runs BGP to {} over it", t.peer_inside().map(|i| i.to_string()).unwrap_or_default())
        }
    };
    s.push_str(&format!(
        "#\n# {site} to {peer} ({kind}), tunnel {k} of {n} of link {link}.\n\
         # Route-based: XFRM interface {ifname} (if_id {if_id}, made by net-up.sh) holds {inside};\n\
         # {routing}.\n\
         # Addresses only known at run time are filled in by install.sh from the outputs file.\n",
        site = h.site.name,
        peer = t.peer.name,
        kind = t.peer.gateway.kind().label(),
        k = t.tunnel.index + 1,
        n = t.link.tunnels.len(),
        link = t.link.id,
        ifname = linux::ifname(t.n),
        if_id = t.n,
        inside = t.local_inside().unwrap_or_else(|| "no inside address".into()),
    ));
    s.push_str(&format!("conn {}\n", t.tunnel.id));
    let mut kv = |k: &str, v: String| s.push_str(&format!("    {k}={v}\n"));
    match (v5, ike_v2) {
        (false, true) => kv("ikev2", "insist".into()),
        (false, false) => kv("ikev2", "no".into()),
        (true, true) => kv("keyexchange", "ikev2".into()),
        (true, false) => kv("keyexchange", "ikev1".into()),
    }
    kv("authby", "secret".into());
    kv("left", h.local_address.map(|a| a.to_string()).unwrap_or_else(|| "%defaultroute".into()));
    kv("leftid", h.public.to_string());
    kv("right", t.remote.to_string());
    kv("rightid", t.remote.to_string());
    kv("leftsubnet", "0.0.0.0/0".into());
    kv("rightsubnet", "0.0.0.0/0".into());
    kv("ipsec-interface", t.n.to_string());
    kv("ike", ike(t));
    kv("esp", esp(t));
    kv("pfs", if p.pfs.is_some() { "yes" } else { "no" }.into());
    kv("ikelifetime", format!("{}s", t.p1_life()));
    kv(if v5 { "ipsec-lifetime" } else { "salifetime" }, format!("{}s", t.p2_life()));
    kv("dpddelay", format!("{interval}s"));
    if ike_v2 {
        kv("retransmit-timeout", format!("{timeout}s"));
    } else {
        kv("dpdtimeout", format!("{timeout}s"));
    }
    if !v5 {
        kv("dpdaction", "restart".into());
    }
    kv("leftupdown", format!("{}/updown.sh", h.etc_dir()));
    kv("auto", "start".into());
    s
}

#[cfg(test)]
mod tests {
    use super::super::tests::preset;
    use super::*;
    use crate::plan::{Crypto, Gateway};

    fn conn_text(r: &crate::check::Resolved, site: usize) -> String {
        let h = Host::new(r, site).unwrap();
        conn(&h, &h.tunnels[0], &RenderOptions::default())
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect()
    }

    #[test]
    fn libreswan_4_toward_azure_uses_the_resolved_profile_in_libreswan_spelling() {
        let text = conn_text(&preset("001"), 0);
        let l = lines(&text);
        for want in [
            "conn aws-azure-t1",
            "ikev2=insist",
            "left=10.101.32.205",
            "leftid=${AWS_PUBLIC_IP}",
            "right=${AZURE_GW_IP_1}",
            "rightid=${AZURE_GW_IP_1}",
            "leftsubnet=0.0.0.0/0",
            "rightsubnet=0.0.0.0/0",
            "ipsec-interface=1",
            "ike=aes256-sha2_256;dh20",
            "esp=aes256-sha2_256;dh20",
            "pfs=yes",
            "ikelifetime=28800s",
            "salifetime=3600s",
            "dpddelay=10s",
            "retransmit-timeout=30s",
            "dpdaction=restart",
            "auto=start",
        ] {
            assert!(l.contains(&want), "missing {want} in\n{text}");
        }
        assert!(!text.contains("keyexchange="), "4.x rejects keyexchange=ikev2");
    }

    #[test]
    fn libreswan_5_syntax() {
        let mut plan = crate::presets::PRESETS[1].plan();
        if let Gateway::Appliance { version, .. } = &mut plan.sites[0].gateway {
            *version = "5".into();
        }
        let r = crate::check::resolve(&plan);
        let text = conn_text(&r, 0);
        let l = lines(&text);
        assert!(l.contains(&"keyexchange=ikev2") && l.contains(&"ipsec-lifetime=3600s"), "{text}");
        assert!(!text.contains("ikev2=") && !text.contains("salifetime") && !text.contains("dpdaction"), "{text}");
    }

    #[test]
    fn gcm_and_no_pfs_and_ikev1_spellings() {
        let mut plan = crate::presets::PRESETS[1].plan();
        plan.links[0].crypto = Crypto {
            phase1_encryption: Some(crate::plan::Encryption::Aes256Gcm16),
            phase2_encryption: Some(crate::plan::Encryption::Aes128Gcm16),
            pfs_group: Some(0),
            ..Crypto::default()
        };
        let r = crate::check::resolve(&plan);
        let h = Host::new(&r, 0).unwrap();
        assert_eq!(ike(&h.tunnels[0]), "aes_gcm256-sha2_256;dh20");
        assert_eq!(esp(&h.tunnels[0]), "aes_gcm128-null");
        assert!(lines(&conn_text(&r, 0)).contains(&"pfs=no"));

        plan.links[0].crypto =
            Crypto { ike_version: Some(IkeVersion::V1), phase1_dh_group: Some(14), ..Crypto::default() };
        let r = crate::check::resolve(&plan);
        let text = conn_text(&r, 0);
        let h = Host::new(&r, 0).unwrap();
        assert_eq!(esp(&h.tunnels[0]), "aes256-sha2_256", "IKEv1 PFS reuses the phase 1 group");
        let l = lines(&text);
        assert!(
            l.contains(&"ikev2=no") && l.contains(&"dpdtimeout=30s") && l.contains(&"ike=aes256-sha2_256;modp2048")
        );
    }
}
