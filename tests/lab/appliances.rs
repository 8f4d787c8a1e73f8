//! The appliance ends of a plan, from the files `tunnelsmith apply` wrote for them
//! (`<state>/bundle/<site>/<software>/`), installed with their own `install.sh --files-only`.
//! strongSwan and Libreswan run those files; VyOS cannot run here, so its `set` commands are
//! read and played by strongSwan (IKE) and FRR (BGP) like a cloud end.

use super::world::Remap;
use ipnet::Ipv4Net;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Software {
    Strongswan,
    Libreswan,
    Vyos,
}

/// One tunnel end of an appliance, as its configuration says.
#[derive(Clone, Debug)]
pub struct End {
    /// The daemon's name for the connection.
    pub conn: String,
    pub local: Ipv4Addr,
    pub remote: Ipv4Addr,
    /// The tunnel's interface (`ipsec<n>` / `vti<n>`) with its inside address and MTU.
    pub iface: String,
    pub inside: Option<Ipv4Net>,
    pub mtu: u32,
    /// VyOS static routes into this tunnel (strongSwan/Libreswan: their updown.sh).
    pub static_routes: Vec<(Ipv4Net, u32)>,
    /// Host routes net-up.sh adds through this tunnel's interface: (peer address, source).
    pub host_routes: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// VyOS: what the emulation needs to play it (proposals, key, initiate).
    pub vyos: Option<VyosConn>,
}

#[derive(Clone, Debug)]
pub struct VyosConn {
    pub ike: String,
    pub esp: String,
    pub psk: String,
    pub local_id: String,
    pub remote_id: String,
    pub initiates: bool,
    pub version: u8,
}

pub struct Appliance {
    pub site: String,
    pub software: Software,
    /// The installed files (`DESTDIR` of install.sh).
    pub root: PathBuf,
    pub ends: Vec<End>,
    /// strongSwan: the swanctl file to load.
    pub swanctl: Option<PathBuf>,
    pub updown: Option<PathBuf>,
    pub firewall: Option<PathBuf>,
    /// FRR configuration (generated frr.conf, or made from VyOS's `protocols bgp`).
    pub frr: Option<String>,
    /// Addresses net-up.sh puts on the loopback (the one BGP source of an appliance whose peer
    /// expects every session from one address, issue 19 item 3).
    pub loopback: Vec<Ipv4Addr>,
}

/// `KEY=value` lines of an env file (values unquoted as bash would for the simple forms written).
pub fn env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('\'').trim_matches('"').to_string()))
        .collect()
}

fn value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('=').map(|v| v.trim().to_string()))
}

/// What net-up.sh sets up: its `xfrm ipsecN IFID "addr/len" MTU` lines, and for an appliance
/// that speaks BGP from one address on every tunnel, `ip addr replace A/32 dev lo` and
/// `ip route replace P/32 dev ipsecN src A`.
#[derive(Default)]
struct NetUp {
    xfrm: BTreeMap<String, (Option<Ipv4Net>, u32)>,
    loopback: Vec<Ipv4Addr>,
    /// (interface, peer address, source)
    routes: Vec<(String, Ipv4Addr, Ipv4Addr)>,
}

impl NetUp {
    fn parse(net_up: &str) -> NetUp {
        let mut n = NetUp::default();
        let host = |a: &str| a.strip_suffix("/32").unwrap_or(a).parse::<Ipv4Addr>().ok();
        for l in net_up.lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            match w.as_slice() {
                ["xfrm", name, _, inside, mtu] => {
                    n.xfrm
                        .insert(name.to_string(), (inside.trim_matches('"').parse().ok(), mtu.parse().unwrap_or(1400)));
                }
                ["ip", "addr", "replace", a, "dev", "lo"] => n.loopback.extend(host(a)),
                ["ip", "route", "replace", p, "dev", dev, "src", src] => {
                    if let (Some(p), Some(src)) = (host(p), host(src)) {
                        n.routes.push((dev.to_string(), p, src));
                    }
                }
                _ => {}
            }
        }
        n
    }

    fn host_routes(&self, iface: &str) -> Vec<(Ipv4Addr, Ipv4Addr)> {
        self.routes.iter().filter(|(d, _, _)| d == iface).map(|(_, p, s)| (*p, *s)).collect()
    }
}

/// Install the site's files from `bundle` into `root` and read its ends.
pub fn install(
    bundle: &Path,
    site: &str,
    software: Software,
    plan_name: &str,
    root: &Path,
    remap: &Remap,
) -> Result<Appliance, String> {
    let sw = match software {
        Software::Strongswan => "strongswan",
        Software::Libreswan => "libreswan",
        Software::Vyos => "vyos",
    };
    let dir = bundle.join(site).join(sw);
    let outputs = env_file(&std::fs::read_to_string(bundle.join("outputs.env")).unwrap_or_default());
    // The host's own keys only (beside its install script), as the host receives them.
    let secrets = env_file(&std::fs::read_to_string(dir.join("secrets.env")).unwrap_or_default());
    let etc = root.join(format!("etc/tunnelsmith/{plan_name}"));
    let mut a = Appliance {
        site: site.to_string(),
        software,
        root: root.to_path_buf(),
        ends: Vec::new(),
        swanctl: None,
        updown: None,
        firewall: None,
        frr: None,
        loopback: Vec::new(),
    };
    if software != Software::Vyos {
        let o = std::process::Command::new("bash")
            .arg(dir.join("install.sh"))
            .arg("--files-only")
            .env("DESTDIR", root)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}/install.sh: {e}", dir.display()))?;
        if !o.status.success() {
            return Err(format!(
                "{site}: install.sh --files-only failed:\n{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        let net_up = NetUp::parse(&std::fs::read_to_string(etc.join("net-up.sh")).unwrap_or_default());
        a.loopback = net_up.loopback.clone();
        a.updown = Some(etc.join("updown.sh")).filter(|p| p.exists());
        a.firewall = Some(etc.join("firewall.nft")).filter(|p| p.exists());
        a.frr = std::fs::read_to_string(root.join("etc/frr/frr.conf"))
            .or_else(|_| std::fs::read_to_string(dir.join("frr.conf")))
            .ok();
        let iface = |n: &str| {
            let name = format!("ipsec{n}");
            let (inside, mtu) = net_up.xfrm.get(&name).cloned().unwrap_or((None, 1400));
            (name, inside, mtu)
        };
        if software == Software::Strongswan {
            let conf = root.join(format!("etc/swanctl/conf.d/{plan_name}.conf"));
            let text = std::fs::read_to_string(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
            // Connections are the blocks at depth 1 under `connections {`.
            let mut depth = 0;
            let mut cur: Option<(String, String)> = None; // name, body
            let mut blocks = Vec::new();
            for l in text.lines() {
                let t = l.trim();
                if t.ends_with('{') {
                    depth += 1;
                    if depth == 2 {
                        cur = Some((t.trim_end_matches('{').trim().to_string(), String::new()));
                        continue;
                    }
                }
                if t == "}" {
                    depth -= 1;
                    if depth == 1 {
                        blocks.extend(cur.take());
                    }
                }
                if let Some((_, b)) = cur.as_mut() {
                    b.push_str(t);
                    b.push('\n');
                }
            }
            for (name, body) in blocks {
                let (Some(local), Some(remote), Some(ifid)) =
                    (value(&body, "local_addrs"), value(&body, "remote_addrs"), value(&body, "if_id_in"))
                else {
                    continue;
                };
                let (iface, inside, mtu) = iface(&ifid);
                let host_routes = net_up.host_routes(&iface);
                a.ends.push(End {
                    conn: name,
                    local: local.parse().map_err(|_| format!("{site}: local_addrs {local}"))?,
                    remote: remap.ip(remote.parse().map_err(|_| format!("{site}: remote_addrs {remote}"))?),
                    iface,
                    inside,
                    mtu,
                    static_routes: Vec::new(),
                    host_routes,
                    vyos: None,
                });
            }
            a.swanctl = Some(conf);
        } else {
            let mut confs: Vec<PathBuf> = std::fs::read_dir(root.join("etc/ipsec.d"))
                .map_err(|e| format!("{site}: {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                .collect();
            confs.sort();
            for c in confs {
                let text = std::fs::read_to_string(&c).unwrap_or_default();
                let Some(name) = text.lines().find_map(|l| l.strip_prefix("conn ")) else { continue };
                let (Some(left), Some(right), Some(n)) =
                    (value(&text, "left"), value(&text, "right"), value(&text, "ipsec-interface"))
                else {
                    continue;
                };
                let (iface, inside, mtu) = iface(&n);
                let host_routes = net_up.host_routes(&iface);
                a.ends.push(End {
                    conn: name.trim().to_string(),
                    local: left.parse().map_err(|_| format!("{site}: left={left}"))?,
                    remote: remap.ip(right.parse().map_err(|_| format!("{site}: right={right}"))?),
                    iface,
                    inside,
                    mtu,
                    static_routes: Vec::new(),
                    host_routes,
                    vyos: None,
                });
            }
        }
        return Ok(a);
    }
    // VyOS: the `set` commands of install.sh, with the outputs and keys filled in.
    let script = std::fs::read_to_string(dir.join("install.sh")).map_err(|e| format!("{site}: {e}"))?;
    let fill = |s: &str| {
        let mut s = s.to_string();
        for (k, v) in outputs.iter().chain(secrets.iter()) {
            s = s.replace(&format!("${{{k}}}"), &remap.text(v));
        }
        s.replace('"', "")
    };
    let sets: Vec<Vec<String>> =
        script.lines().map(str::trim).filter(|l| l.starts_with("set ")).map(|l| shell_words(&fill(l))).collect();
    let get = |prefix: &[&str]| -> Vec<Vec<String>> {
        sets.iter()
            .filter(|w| w.len() > prefix.len() && w.iter().zip(prefix).all(|(a, b)| a == b))
            .map(|w| w[prefix.len()..].to_vec())
            .collect()
    };
    let one = |prefix: &[&str]| get(prefix).first().map(|v| v.join(" "));
    let proposal = |group: &str, esp: bool| -> String {
        let kind = if esp { "esp-group" } else { "ike-group" };
        let mut p = Vec::new();
        for n in 1..=8 {
            let ns = n.to_string();
            let (Some(enc), Some(hash)) = (
                one(&["set", "vpn", "ipsec", kind, group, "proposal", &ns, "encryption"]),
                one(&["set", "vpn", "ipsec", kind, group, "proposal", &ns, "hash"]),
            ) else {
                continue;
            };
            let dh = if esp {
                one(&["set", "vpn", "ipsec", kind, group, "pfs"])
                    .and_then(|g| g.strip_prefix("dh-group").and_then(|n| n.parse().ok()))
                    .and_then(super::behaviour::dh_group)
            } else {
                one(&["set", "vpn", "ipsec", kind, group, "proposal", &ns, "dh-group"])
                    .and_then(|g| g.parse().ok())
                    .and_then(super::behaviour::dh_group)
            };
            let enc = super::behaviour::algorithm(&enc).unwrap_or("unknown");
            let hash = super::behaviour::algorithm(&hash).unwrap_or("unknown");
            let mut s = if enc.contains("gcm") && esp { enc.to_string() } else { format!("{enc}-{hash}") };
            if let Some(d) = dh {
                s.push('-');
                s.push_str(d);
            }
            p.push(s);
        }
        p.join(",")
    };
    let peers: Vec<String> = get(&["set", "vpn", "ipsec", "site-to-site", "peer"])
        .into_iter()
        .map(|w| w[0].clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let statics = get(&["set", "protocols", "static", "route"]);
    // VyOS 1.3 [VY-MIG]: `interface-route P next-hop-interface VTI distance D`, as 1.4's
    // `route P interface VTI distance D`.
    let statics: Vec<Vec<String>> = statics
        .into_iter()
        .chain(get(&["set", "protocols", "static", "interface-route"]).into_iter().map(|w| {
            w.into_iter().map(|x| if x == "next-hop-interface" { "interface".to_string() } else { x }).collect()
        }))
        .collect();
    for peer in peers {
        let p = |k: &[&str]| one(&[&["set", "vpn", "ipsec", "site-to-site", "peer", &peer][..], k].concat());
        // VyOS 1.3 names the peer by its address and has no `remote-address` [VY-MIG].
        let remote = p(&["remote-address"]).or_else(|| peer.parse::<Ipv4Addr>().ok().map(|_| peer.clone()));
        let (Some(local), Some(remote), Some(vti)) = (p(&["local-address"]), remote, p(&["vti", "bind"])) else {
            continue;
        };
        let ike_group = p(&["ike-group"]).unwrap_or_default();
        let esp_group = p(&["vti", "esp-group"]).or_else(|| p(&["default-esp-group"])).unwrap_or_default();
        let psk = get(&["set", "vpn", "ipsec", "authentication", "psk", &peer, "secret"])
            .first()
            .map(|v| v.join(" "))
            .or_else(|| p(&["authentication", "pre-shared-secret"]))
            .unwrap_or_default();
        let version =
            if one(&["set", "vpn", "ipsec", "ike-group", &ike_group, "key-exchange"]).as_deref() == Some("ikev1") {
                1
            } else {
                2
            };
        let inside = one(&["set", "interfaces", "vti", &vti, "address"]).and_then(|a| a.parse().ok());
        let mtu = one(&["set", "interfaces", "vti", &vti, "mtu"]).and_then(|m| m.parse().ok()).unwrap_or(1400);
        let static_routes = statics
            .iter()
            .filter(|w| w.len() >= 3 && w[1] == "interface" && w[2] == vti)
            .filter_map(|w| Some((w[0].parse().ok()?, w.get(4).and_then(|d| d.parse().ok()).unwrap_or(1))))
            .collect();
        a.ends.push(End {
            // A swanctl section name (dots would split it: a VyOS 1.3 peer is named by its address).
            conn: peer.replace('.', "-"),
            local: local.parse().map_err(|_| format!("{site}: local-address {local}"))?,
            remote: remote.parse().map_err(|_| format!("{site}: remote-address {remote}"))?,
            iface: vti,
            inside,
            mtu,
            static_routes,
            host_routes: Vec::new(),
            vyos: Some(VyosConn {
                ike: proposal(&ike_group, false),
                esp: proposal(&esp_group, true),
                psk,
                local_id: p(&["authentication", "local-id"])
                    .or_else(|| p(&["authentication", "id"]))
                    .unwrap_or_else(|| local.clone()),
                remote_id: p(&["authentication", "remote-id"]).unwrap_or_else(|| remote.clone()),
                initiates: p(&["connection-type"]).as_deref() != Some("respond"),
                version,
            }),
        });
    }
    // The one BGP source address an active-active Azure gateway knows the host by (issue 19,
    // item 3): `interfaces loopback lo address A/32`, as VyOS puts it on its `lo`.
    a.loopback = get(&["set", "interfaces", "loopback", "lo", "address"])
        .iter()
        .filter_map(|w| w[0].strip_suffix("/32").unwrap_or(&w[0]).parse().ok())
        .collect();
    a.frr = vyos_frr(&get(&["set", "protocols", "bgp"]));
    Ok(a)
}

/// Split a `set` line into words, honouring single quotes.
fn shell_words(l: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in l.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// VyOS `protocols bgp` (1.3 and 1.4 forms) as the FRR configuration VyOS itself would render.
fn vyos_frr(bgp: &[Vec<String>]) -> Option<String> {
    if bgp.is_empty() {
        return None;
    }
    let mut asn = String::new();
    let mut body = String::new();
    let mut af = String::new();
    for w in bgp {
        // 1.4: `system-as N` / `neighbor X remote-as N`; 1.3: `N neighbor X remote-as M`.
        let w: Vec<&str> = w.iter().map(String::as_str).collect();
        let w: Vec<&str> = if w.first().is_some_and(|x| x.parse::<u32>().is_ok()) {
            asn = w[0].to_string();
            w[1..].to_vec()
        } else {
            w
        };
        match w.as_slice() {
            ["system-as", n] => asn = n.to_string(),
            ["neighbor", ip, "remote-as", n] => body.push_str(&format!(" neighbor {ip} remote-as {n}\n")),
            ["neighbor", ip, "update-source", s] => body.push_str(&format!(" neighbor {ip} update-source {s}\n")),
            ["neighbor", ip, "disable-connected-check"] => {
                body.push_str(&format!(" neighbor {ip} disable-connected-check\n"))
            }
            ["neighbor", ip, "ebgp-multihop", n] => body.push_str(&format!(" neighbor {ip} ebgp-multihop {n}\n")),
            ["neighbor", ip, "timers", "holdtime", h] => body.push_str(&format!(" neighbor {ip} timers 1 {h}\n")),
            ["neighbor", ip, "address-family", "ipv4-unicast", ..] => {
                af.push_str(&format!("  neighbor {ip} activate\n"))
            }
            ["address-family", "ipv4-unicast", "network", n] | ["network", n] => {
                af.push_str(&format!("  network {n}\n"))
            }
            ["parameters", "router-id", r] => body.push_str(&format!(" bgp router-id {r}\n")),
            _ => {}
        }
    }
    Some(format!(
        "frr defaults traditional\nrouter bgp {asn}\n no bgp ebgp-requires-policy\n no bgp network import-check\n{body} address-family ipv4 unicast\n{af} exit-address-family\n"
    ))
}
