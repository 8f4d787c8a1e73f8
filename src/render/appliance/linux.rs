//! The files every Linux appliance (Libreswan or strongSwan) gets besides its IPsec configuration:
//! the install-and-enable script, the XFRM interfaces (`net-up.sh`), the static routes that follow
//! the tunnels (`updown.sh`), the firewall and MSS clamp (`firewall.nft`) and, for BGP links, the
//! FRR configuration (`frr.conf`).

use super::{join, Clamp, DeadPeer, Device, Host};
use crate::plan::Routing;
use crate::render::vars::{Addr, OUTPUTS_FILE, SECRETS_FILE};
use crate::render::{stamp, Artifact, RenderOptions};

/// What differs between the IPsec daemons in the runbook: the rest of their [`Device`] is the
/// Linux host's (run with `sudo`, FRR for BGP, `firewall.nft` for the MSS clamp, a sysctl file for
/// forwarding, a unit that loads it all at boot).
pub(crate) struct DaemonRunbook {
    pub artifacts: fn(&Host<'_>, &RenderOptions) -> Vec<Artifact>,
    pub dir: &'static str,
    pub status: &'static str,
    pub status_up: fn(&str) -> String,
    pub reload: (&'static str, &'static str),
    pub crypto_where: &'static str,
    pub ikev2_dead_peer: DeadPeer,
}

/// The [`Device`] of a Linux IPsec daemon.
pub(crate) const fn device(d: DaemonRunbook) -> Device {
    Device {
        artifacts: d.artifacts,
        dir: d.dir,
        ifname: "ipsec",
        install_where: "On the host, in the copied folder, run:",
        install_runner: "sudo",
        configures_without_files: "The script writes the configuration in place: there are no files to copy.",
        status: d.status,
        status_up: d.status_up,
        bgp_summary: "sudo vtysh -c 'show bgp summary'",
        bgp_starter: "FRR on the appliance starts its BGP sessions",
        reload: Some(d.reload),
        crypto_where: d.crypto_where,
        kept_config: |h| {
            text!(
                "its configuration: the files listed under Appliance hosts, `tunnelsmith-{0}.service` and \
                 `/etc/sysctl.d/60-tunnelsmith-{0}.conf`",
                h.plan()
            )
        },
        mss_clamp: Clamp::Nft,
        forwarding_sysctl: true,
        key_visible: None,
        ikev2_dead_peer: d.ikev2_dead_peer,
    }
}

/// What differs between the IPsec daemons in the install script.
pub(crate) struct Daemon {
    /// Folder of the host's artifacts: `libreswan` or `strongswan`.
    pub dir: &'static str,
    /// Packages on Debian and Ubuntu, and on RHEL-family systems (dnf).
    pub apt: &'static [&'static str],
    pub dnf: &'static [&'static str],
    /// Bash that stops when the installed version cannot read the generated syntax.
    pub version_check: String,
    /// Configuration templates: (artifact file name, install path, mode). `${VAR}` values are
    /// filled in from the run-time files.
    pub files: Vec<(String, String, &'static str)>,
    /// Bash that writes the pre-shared keys (with `write_secret FILE TEXT`).
    pub secrets: String,
    /// Bash that enables and (re)starts the daemon with the new configuration.
    pub start: String,
    /// Commands that show the tunnels' state.
    pub status: &'static [&'static str],
}

/// The host files of a Linux appliance.
pub(crate) fn host_files(h: &Host, opts: &RenderOptions, d: &Daemon) -> Vec<Artifact> {
    let mut out = vec![
        Artifact {
            path: h.path(d.dir, "install.sh"),
            media_type: "text/x-shellscript",
            text: install_script(h, opts, d),
            executable: true,
        },
        Artifact {
            path: h.path(d.dir, "net-up.sh"),
            media_type: "text/x-shellscript",
            text: net_up(h, opts),
            executable: true,
        },
        Artifact {
            path: h.path(d.dir, "updown.sh"),
            media_type: "text/x-shellscript",
            text: updown(h, opts),
            executable: true,
        },
        Artifact {
            path: h.path(d.dir, "firewall.nft"),
            media_type: "text/plain",
            text: firewall(h, opts),
            executable: false,
        },
    ];
    if h.bgp() {
        out.push(Artifact {
            path: h.path(d.dir, "frr.conf"),
            media_type: "text/plain",
            text: frr(h, opts),
            executable: false,
        });
    }
    out
}

/// `ipsec<n>`.
pub(crate) fn ifname(n: usize) -> String {
    format!("ipsec{n}")
}

fn install_script(h: &Host, opts: &RenderOptions, d: &Daemon) -> String {
    let etc = h.etc_dir();
    let plan = h.plan();
    let mut s = String::from("#!/usr/bin/env bash\n");
    s.push_str(&stamp("#", &format!("Install and start {} on {} for its tunnels", h.label(), h.site.name), h.r, opts));
    s.push_str(&format!(
        "#\n# {} runs {} on {} and terminates:\n{}#\n",
        h.site.name,
        h.label(),
        article_host(h),
        h.tunnel_summary("#", "ipsec")
    ));
    s.push_str(&format!(
        r#"# Copy the bundle's {site}/ folder and {OUTPUTS_FILE} to the appliance (paths kept) and run it there
# as root:
#   sudo ./{site}/{dir}/install.sh
# It reads this host's pre-shared keys from the {SECRETS_FILE} beside it (only the keys of the
# tunnels above; never copy the bundle's whole {SECRETS_FILE} to the host) and the addresses the
# cloud scripts captured from {OUTPUTS_FILE} at the top of the bundle (TUNNELSMITH_SECRETS and
# TUNNELSMITH_OUTPUTS override the paths). It installs the packages, writes the configuration,
# enables IP forwarding, creates the XFRM interfaces, lets IKE and ESP in from the peers only,
# clamps the TCP MSS, and starts the tunnels. Running it again is safe.
#
#   --files-only   only write the configuration files (under $DESTDIR when set); install,
#                  enable and start nothing
set -euo pipefail

here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
secrets_file="${{TUNNELSMITH_SECRETS:-$here/{SECRETS_FILE}}}"
outputs_file="${{TUNNELSMITH_OUTPUTS:-$here/../../{OUTPUTS_FILE}}}"
root="${{DESTDIR:-}}"
files_only=false
case "${{1:-}}" in
  --files-only) files_only=true ;;
  "") ;;
  *)
    echo "usage: $0 [--files-only]" >&2
    exit 2
    ;;
esac

say() {{ printf '[tunnelsmith] %s\n' "$*"; }}
die() {{
  printf '[tunnelsmith] error: %s\n' "$*" >&2
  exit 1
}}
"#,
        site = super::token(&h.site.name),
        dir = d.dir,
    ));
    s.push_str(&runtime_values(h, "the configuration"));
    s.push_str(&runtime_names(h));
    s.push_str(&format!(
        r#"
# fill TEMPLATE DEST MODE: copy TEMPLATE with every ${{NAME}} above replaced by its value.
fill() {{
  local text name
  text="$(<"$1")"
  for name in "${{runtime_values[@]}}"; do
    text="${{text//"\${{$name}}"/${{!name}}}}"
  done
  [[ "$text" != *"\${{"* ]] || die "$1 holds a value this script does not fill in"
  mkdir -p "$(dirname "$2")"
  printf '%s\n' "$text" >"$2"
  chmod "$3" "$2"
}}

# write_secret FILE TEXT: a file only root can read.
write_secret() {{
  mkdir -p "$(dirname "$1")"
  (umask 077 && printf '%s\n' "$2" >"$1")
  chmod 600 "$1"
}}

if ! $files_only; then
  [[ "$(id -u)" == 0 ]] || die "run as root (sudo $0)"
  command -v systemctl >/dev/null || die "systemd is needed to start the services at boot"
  say "installing packages"
  if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq {apt}
  elif command -v dnf >/dev/null; then
    dnf install -y -q {dnf}
  else
    die "neither apt-get nor dnf found: install {apt} by hand, then run this again"
  fi
{version_check}fi

say "writing the configuration"
"#,
        apt = d.apt.join(" ") + if h.bgp() { " frr" } else { "" },
        dnf = d.dnf.join(" ") + if h.bgp() { " frr" } else { "" },
        version_check = indent(&d.version_check, "  "),
    ));
    for (file, dest, mode) in &d.files {
        s.push_str(&format!("fill \"$here/{file}\" \"$root{dest}\" {mode}\n"));
    }
    s.push_str(&d.secrets);
    s.push_str(&format!(
        "fill \"$here/firewall.nft\" \"$root{etc}/firewall.nft\" 0644\n\
         install -D -m 0755 \"$here/net-up.sh\" \"$root{etc}/net-up.sh\"\n\
         install -D -m 0755 \"$here/updown.sh\" \"$root{etc}/updown.sh\"\n"
    ));
    if h.bgp() {
        s.push_str(&format!("install -D -m 0640 \"$here/frr.conf\" \"$root{etc}/frr.conf\"\n"));
    }
    s.push_str(&format!(
        r#"
if $files_only; then
  say "wrote the configuration under ${{root:-/}}; nothing else was changed (--files-only)"
  exit 0
fi

say "IP forwarding and reverse-path filtering (loose: replies may return on the other tunnel)"
cat >/etc/sysctl.d/60-tunnelsmith-{plan}.conf <<'EOF'
# Tunnelsmith plan '{plan}': this host routes between its network and the tunnels.
net.ipv4.ip_forward = 1
net.ipv4.conf.all.rp_filter = 2
net.ipv4.conf.default.rp_filter = 2
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
EOF
sysctl -q -p /etc/sysctl.d/60-tunnelsmith-{plan}.conf

say "XFRM interfaces, firewall and MSS clamp (tunnelsmith-{plan}.service, also at boot)"
cat >/etc/systemd/system/tunnelsmith-{plan}.service <<'EOF'
[Unit]
Description=Tunnelsmith plan {plan}: XFRM interfaces, IKE/ESP firewall and MSS clamp
Wants=network-online.target
After=network-online.target
Before=ipsec.service strongswan.service strongswan-swanctl.service frr.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={etc}/net-up.sh
ExecStart=/usr/sbin/nft -f {etc}/firewall.nft

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable tunnelsmith-{plan}.service
systemctl restart tunnelsmith-{plan}.service

# Hosts whose firewall is ufw or firewalld also need the openings there.
peers=({peers})
if command -v ufw >/dev/null && ufw status 2>/dev/null | grep -q '^Status: active'; then
  for peer in "${{peers[@]}}"; do
    ufw allow proto udp from "$peer" to any port 500,4500 comment 'tunnelsmith {plan}'
    ufw allow proto esp from "$peer" to any comment 'tunnelsmith {plan}'
  done
fi
if command -v firewall-cmd >/dev/null && firewall-cmd --state >/dev/null 2>&1; then
  for peer in "${{peers[@]}}"; do
    firewall-cmd --permanent --add-rich-rule="rule family=\"ipv4\" source address=\"$peer\" service name=\"ipsec\" accept"
  done
  firewall-cmd --reload
fi
"#,
        peers = h.peer_addresses().iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(" "),
    ));
    if h.bgp() {
        s.push_str(&format!(
            r#"
say "FRR: BGP over the tunnels"
sed -i 's/^bgpd=no/bgpd=yes/' /etc/frr/daemons
systemctl enable frr
systemctl restart frr
vtysh -f {etc}/frr.conf
vtysh -c 'write memory'
"#
        ));
    }
    s.push_str("\nsay \"starting the tunnels\"\n");
    s.push_str(&d.start);
    s.push_str("\nsleep 5\nsay \"status (run these again to watch the tunnels come up):\"\n");
    for cmd in d.status {
        s.push_str(&format!("{cmd} || true\n"));
    }
    if h.bgp() {
        s.push_str("vtysh -c 'show bgp summary' || true\n");
    }
    s
}

/// "an EC2 instance", "an on-premises host".
fn article_host(h: &Host) -> String {
    let host = h.site.platform.appliance_host();
    let a = if host.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
    format!("{a} {host}")
}

/// Bash that reads the secrets and outputs files and checks every value the host needs.
/// Shared with the VyOS script.
pub(crate) fn runtime_values(h: &Host, what: &str) -> String {
    let mut s = String::from(
        r#"
# --- run-time values ---------------------------------------------------------------------------
[[ -r "$secrets_file" ]] || die "cannot read $secrets_file: it holds this host's pre-shared keys (tunnelsmith generate and the web app's bundle with keys write it beside this script)"
# shellcheck source=/dev/null
source "$secrets_file"
if [[ -r "$outputs_file" ]]; then
  # shellcheck source=/dev/null
  source "$outputs_file"
fi

# need_ip NAME WHO: NAME holds an IPv4 address that WHO wrote to the outputs file.
need_ip() {
  local value="${!1:-}"
  [[ -n "$value" ]] || die "$1 is not set: run $2 first (it writes $1 to $outputs_file)"
  [[ "$value" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "$1='$value' is not an IPv4 address"
}
# need_psk NAME: a pre-shared key from the secrets file.
need_psk() {
  local value="${!1:-}"
  [[ -n "$value" ]] || die "$1 is missing from $secrets_file"
  [[ "$value" != *[\"\'\\]* && "$value" != *$'\n'* ]] ||
"#,
    );
    s.push_str(&format!(
        "    die \"$1 holds a quote, a backslash or a newline, which {what} cannot carry: generate new keys\"\n}}\n"
    ));
    let vars: Vec<(&str, &str)> = h
        .runtime_vars()
        .into_iter()
        .filter_map(|a| match a {
            Addr::Var { var, from } => Some((var.as_str(), from.as_str())),
            Addr::Static(_) => None,
        })
        .collect();
    for (var, from) in &vars {
        s.push_str(&format!("need_ip {var} \"the cloud script of site '{}'\"\n", super::token(from)));
    }
    for t in &h.tunnels {
        s.push_str(&format!("need_psk {}\n", t.tunnel.psk_name));
    }
    s
}

/// `runtime_values=(NAME …)`: the values `fill` puts into the templates.
fn runtime_names(h: &Host) -> String {
    let names: Vec<&str> = h.runtime_vars().into_iter().filter_map(|a| a.var()).collect();
    format!("runtime_values=({})\n", names.join(" "))
}

fn net_up(h: &Host, opts: &RenderOptions) -> String {
    let mut s = String::from("#!/usr/bin/env bash\n");
    s.push_str(&stamp("#", &format!("XFRM interfaces of {} for plan '{}'", h.site.name, h.plan()), h.r, opts));
    let body = r#"#
# One XFRM interface per tunnel, bound to the uplink (the default route's interface), with the
# tunnel's inside address and MTU. The IPsec daemon attaches each tunnel by its if_id. Run at
# boot by tunnelsmith-PLAN.service (installed by install.sh); running it again changes nothing.
set -euo pipefail

uplink="$(ip -4 route show default | awk '{print $5; exit}')"
[[ -n "$uplink" ]] || {
  echo "net-up.sh: no default route, so no uplink interface to bind the XFRM interfaces to" >&2
  exit 1
}

# xfrm NAME IF_ID ADDRESS MTU
xfrm() {
  ip link show "$1" >/dev/null 2>&1 || ip link add "$1" type xfrm dev "$uplink" if_id "$2"
  if [[ -n "$3" ]]; then
    ip addr replace "$3" dev "$1"
  fi
  ip link set "$1" mtu "$4" up
  # Decrypted packets arrive on the interface: no second policy check there.
  sysctl -qw "net.ipv4.conf.$1.disable_policy=1"
}

"#;
    s.push_str(&body.replace("PLAN", &h.plan()));
    for t in &h.tunnels {
        s.push_str(&format!(
            "xfrm {} {} \"{}\" {}\n",
            ifname(t.n),
            t.n,
            t.local_inside().unwrap_or_default(),
            t.link.mtu
        ));
    }
    // BGP that must come from one address on every tunnel of a link (active-active Azure):
    // that address on the loopback, so it outlives any one tunnel interface, and a host route per
    // tunnel to the peer's inside address with it as the source.
    let mut looped = Vec::new();
    for t in &h.tunnels {
        let (Some(src), Some(peer)) = (t.bgp_source(), t.peer_inside()) else { continue };
        if !looped.contains(&src) {
            s.push_str(&format!(
                "# {}'s BGP sessions all come from {src}, the one address its peer's local network gateway names.\n",
                t.link.id
            ));
            s.push_str(&format!("ip addr replace {src}/32 dev lo\n"));
            looped.push(src);
        }
        s.push_str(&format!("ip route replace {peer}/32 dev {} src {src}\n", ifname(t.n)));
    }
    s
}

fn updown(h: &Host, opts: &RenderOptions) -> String {
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&stamp("#", &format!("Static routes of {} that follow its tunnels", h.site.name), h.r, opts));
    s.push_str(
        "#\n# The IPsec daemon runs this when a tunnel's Child SA comes up or goes down (Libreswan\n\
         # leftupdown=, strongSwan updown =). It adds the routes to the peer's address spaces through\n\
         # the tunnel's XFRM interface, and removes them when the tunnel drops, so traffic moves to\n\
         # the next tunnel (higher metric). BGP tunnels are routed by FRR and are not listed.\n",
    );
    let statics: Vec<_> = h.tunnels.iter().filter(|t| t.link.routing == Routing::Static).collect();
    if statics.is_empty() {
        s.push_str("# Every tunnel of this host runs BGP: nothing to do here.\nexit 0\n");
        return s;
    }
    s.push_str("case \"${PLUTO_CONNECTION:-}\" in\n");
    for t in statics {
        s.push_str(&format!(
            "  {}) dev={} metric={} prefixes=\"{}\" ;;\n",
            t.tunnel.id,
            ifname(t.n),
            t.metric(),
            t.static_prefixes().iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ")
        ));
    }
    s.push_str(
        r#"  *) exit 0 ;;
esac
case "${PLUTO_VERB:-}" in
  up-client)
    for p in $prefixes; do ip route replace "$p" dev "$dev" metric "$metric"; done
    ;;
  down-client)
    for p in $prefixes; do ip route del "$p" dev "$dev" metric "$metric" 2>/dev/null || true; done
    ;;
esac
exit 0
"#,
    );
    s
}

fn firewall(h: &Host, opts: &RenderOptions) -> String {
    let table = format!("tunnelsmith_{}", h.plan().replace('-', "_"));
    let mut s = stamp("#", &format!("IKE/ESP openings and MSS clamp of {}", h.site.name), h.r, opts);
    s.push_str(&format!(
        "#\n# Loaded with `nft -f` by tunnelsmith-{plan}.service. IKE (UDP 500, 4500) and ESP are accepted\n\
         # from the peers only; TCP SYNs through the tunnels get their MSS clamped so that packets fit\n\
         # the tunnel MTU. Reloading replaces the table.\n\
         table inet {table}\n\
         delete table inet {table}\n\
         table inet {table} {{\n\
         \x20   set ipsec_peers {{\n\
         \x20       type ipv4_addr\n\
         \x20       elements = {{ {peers} }}\n\
         \x20   }}\n\
         \n\
         \x20   chain input {{\n\
         \x20       type filter hook input priority filter - 5; policy accept;\n\
         \x20       ip saddr @ipsec_peers udp dport {{ 500, 4500 }} accept\n\
         \x20       ip saddr @ipsec_peers meta l4proto esp accept\n\
         \x20       udp dport {{ 500, 4500 }} drop\n\
         \x20       meta l4proto esp drop\n\
         \x20   }}\n\
         \n\
         \x20   chain forward {{\n\
         \x20       type filter hook forward priority mangle; policy accept;\n",
        plan = h.plan(),
        peers = join(&h.peer_addresses()),
    ));
    for t in &h.tunnels {
        for dir in ["oifname", "iifname"] {
            s.push_str(&format!(
                "        {dir} \"{}\" tcp flags & (syn | rst) == syn tcp option maxseg size > {mss} tcp option maxseg size set {mss}\n",
                ifname(t.n),
                mss = t.link.mss
            ));
        }
    }
    s.push_str("    }\n}\n");
    s
}

fn frr(h: &Host, opts: &RenderOptions) -> String {
    let mut s = stamp("!", &format!("BGP of {} (FRR)", h.site.name), h.r, opts);
    s.push_str("!\n! Applied with `vtysh -f` by install.sh, then saved with `write memory`.\n");
    s.push_str(&frr_export_list(h));
    let asn = h.site.asn.unwrap_or_default();
    s.push_str(&format!("router bgp {asn}\n"));
    if let Some(id) = h.local_address {
        s.push_str(&format!(" bgp router-id {id}\n"));
    }
    s.push_str(" no bgp ebgp-requires-policy\n no bgp network import-check\n");
    let bgp: Vec<_> = h.tunnels.iter().filter(|t| t.link.routing == Routing::Bgp).collect();
    for t in &bgp {
        let Some(peer) = t.peer_inside() else { continue };
        s.push_str(&format!(
            " neighbor {peer} remote-as {}\n neighbor {peer} description {} via {}\n neighbor {peer} timers 10 30\n",
            t.peer.asn.unwrap_or_default(),
            t.tunnel.id,
            ifname(t.n)
        ));
        if let Some(src) = t.bgp_source() {
            // The peer knows this host by one address on every tunnel (net-up.sh puts it on lo).
            s.push_str(&format!(" neighbor {peer} update-source {src}\n neighbor {peer} disable-connected-check\n"));
        }
    }
    s.push_str(" address-family ipv4 unicast\n");
    for net in &h.site.address_spaces {
        s.push_str(&format!("  network {net}\n"));
    }
    for t in &bgp {
        if let Some(peer) = t.peer_inside() {
            s.push_str(&format!("  neighbor {peer} activate\n"));
            s.push_str(&format!("  neighbor {peer} prefix-list {} out\n", h.export_list()));
        }
    }
    s.push_str(" exit-address-family\nexit\n");
    s
}

/// The outbound filter: a prefix list of the site's own address spaces (exact), applied to every
/// neighbour, so the host never re-advertises what it learned from one peer to another.
fn frr_export_list(h: &Host) -> String {
    let name = h.export_list();
    let mut s = String::from("! Advertise only this site's own prefixes: never a route learned from another peer.\n");
    for (i, net) in h.advertised().iter().enumerate() {
        s.push_str(&format!("ip prefix-list {name} seq {} permit {net}\n", 10 * (i + 1)));
    }
    s
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("{by}{l}\n") }).collect()
}
