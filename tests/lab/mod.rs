//! The interop lab: a plan applied to the stand-in clouds, then both ends of every tunnel run in
//! network namespaces (appliances on their generated files, cloud ends emulated from the world
//! and `behaviour`), with IKE, BGP and the runbook's pings checked. See docs/ARCHITECTURE.md,
//! "The interop lab".

#![allow(dead_code)]

pub mod appliances;
pub mod behaviour;
pub mod world;

use crate::appliance::{
    read, run, start_charon_with, start_pluto, swanctl_cmd, text, wait_for, Daemons, Netns, TempDir, IPSEC, PING,
};
use crate::apply_support;
use appliances::{Appliance, Software};
use behaviour::Kind;
use ipnet::Ipv4Net;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tunnelsmith::plan::{Gateway, Plan, Routing};
use world::{Instance, Target, World};

pub const ZEBRA: &str = "/usr/lib/frr/zebra";
pub const BGPD: &str = "/usr/lib/frr/bgpd";
pub const VTYSH: &str = "/usr/bin/vtysh";

/// charon settings of every strongSwan in the lab: ESP in userspace (kernel-libipsec) without
/// its routes, because the tunnel's inner link is a veth pair (no XFRM interfaces here).
const CHARON: &str = "install_routes = no";

/// How long IKE and BGP get to come up.
const IKE_WAIT: Duration = Duration::from_secs(25);
const BGP_WAIT: Duration = Duration::from_secs(20);

/// A change to what the clouds hold after apply (a mutation test), or to the appliance files.
pub type Mutation<'a> = &'a dyn Fn(&mut World);

// ---- results ----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TunnelResult {
    /// The plan's tunnel id (`aws-azure-t1`).
    pub id: String,
    pub ends: String,
    pub up: bool,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct SessionResult {
    pub tunnel: String,
    pub speaker: String,
    pub peer: String,
    pub state: String,
    pub learned: Vec<String>,
    pub ok: bool,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct PingResult {
    pub link: String,
    pub from: Ipv4Addr,
    pub to: Ipv4Addr,
    /// Which tunnel was taken down first (`None`: all up).
    pub down: Option<String>,
    pub ok: bool,
    pub expected: bool,
    pub why: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub plan: String,
    pub tunnels: Vec<TunnelResult>,
    pub sessions: Vec<SessionResult>,
    pub pings: Vec<PingResult>,
    /// Each strongSwan or Libreswan appliance: (site, the daemon that ran its configuration, as
    /// the daemon's log names itself: `strongSwan 5.9.8`).
    pub daemons: Vec<(String, String)>,
    /// Anything else that fails the run (apply, setup).
    pub errors: Vec<String>,
    pub secs: f64,
}

impl Report {
    pub fn failures(&self) -> Vec<String> {
        let mut f = self.errors.clone();
        f.extend(
            self.tunnels.iter().filter(|t| !t.up).map(|t| format!("tunnel {}: IKE not established: {}", t.id, t.why)),
        );
        f.extend(
            self.sessions
                .iter()
                .filter(|s| !s.ok)
                .map(|s| format!("BGP {} on tunnel {}: {}: {}", s.speaker, s.tunnel, s.state, s.why)),
        );
        f.extend(self.pings.iter().filter(|p| p.ok != p.expected).map(|p| {
            let down = p.down.as_deref().map(|d| format!(" with {d} down")).unwrap_or_default();
            format!("ping {} → {} (link {}){down}: {}", p.from, p.to, p.link, p.why)
        }));
        f
    }

    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    pub fn render(&self) -> String {
        let mut s = format!("interop lab: {} ({:.0} s)\n", self.plan, self.secs);
        for e in &self.errors {
            let _ = writeln!(s, "  ERROR {e}");
        }
        for (site, daemon) in &self.daemons {
            let _ = writeln!(s, "  daemon {site:<18} {daemon}");
        }
        for t in &self.tunnels {
            let _ = writeln!(
                s,
                "  tunnel {:<18} IKE {:<15} {}{}",
                t.id,
                if t.up { "established" } else { "NOT established" },
                t.ends,
                if t.up { String::new() } else { format!(": {}", t.why) }
            );
        }
        for b in &self.sessions {
            let _ = writeln!(
                s,
                "  bgp    {:<18} {} → {} {} learned [{}]{}",
                b.tunnel,
                b.speaker,
                b.peer,
                b.state,
                b.learned.join(", "),
                if b.ok { String::new() } else { format!(": {}", b.why) }
            );
        }
        for p in &self.pings {
            let down = p.down.as_deref().map(|d| format!(" ({d} down)")).unwrap_or_default();
            let verdict = match (p.ok, p.expected) {
                (true, true) => "ok".to_string(),
                (false, false) => "fails, as it must".to_string(),
                (true, false) => "answered, but must not".to_string(),
                (false, true) => format!("FAILED: {}", p.why),
            };
            let _ = writeln!(s, "  ping   {} → {} link {}{down}: {verdict}", p.from, p.to, p.link);
        }
        let f = self.failures();
        let _ = writeln!(
            s,
            "  {}",
            if f.is_empty() { "PASS".to_string() } else { format!("FAIL: {} problem(s)", f.len()) }
        );
        s
    }
}

// ---- the nodes -----------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Daemon {
    Charon,
    Pluto,
}

/// One IKE end in a node.
#[derive(Clone, Debug)]
struct End {
    /// The daemon's conn name.
    conn: String,
    /// What the world or the files call it.
    label: String,
    /// The address peers see (after NAT).
    public: Ipv4Addr,
    remote: Ipv4Addr,
    iface: String,
    /// Address on the inner link: `addr/len`, or a /32 with the peer address it reaches.
    inside: Option<(Ipv4Addr, u8)>,
    peer_inside: Option<Ipv4Addr>,
    mtu: u32,
    static_routes: Vec<(Ipv4Net, u32)>,
    /// A policy-based end: the (local, remote) prefix pairs its Child SAs must carry; the tunnel
    /// counts as up only while each is established with selectors that cover its pair.
    selectors: Vec<(Ipv4Net, Ipv4Net)>,
    /// Host routes through the tunnel's interface with a chosen source: (peer address, source),
    /// as an appliance's net-up.sh adds them.
    host_routes: Vec<(Ipv4Addr, Ipv4Addr)>,
}

struct Node {
    label: String,
    site: String,
    kind: NodeKind,
    ns: String,
    dir: PathBuf,
    daemon: Daemon,
    ends: Vec<End>,
    /// Addresses on its internet-facing veth, and 1:1 NAT (private → public) for a cloud VM.
    outside: Vec<Ipv4Addr>,
    nat: Option<(Ipv4Addr, Ipv4Addr)>,
    /// Addresses on its loopback (an appliance's net-up.sh: the one BGP source address that
    /// outlives any one tunnel interface).
    loopback: Vec<Ipv4Addr>,
    frr: Option<String>,
    behind: Vec<Ipv4Net>,
    fabric: Option<(Ipv4Addr, Ipv4Addr)>,
    updown: Option<PathBuf>,
    pluto_ctl: Option<String>,
    /// The appliance's installed files (Libreswan: pluto reads them).
    root: Option<PathBuf>,
    firewall: Option<PathBuf>,
    /// An EC2 appliance: its security group as nft rules (input from the internet).
    sg: Option<String>,
    /// Its ingress rules (protocol, ports, source).
    ingress: Vec<world::Rule>,
    forwards: bool,
    /// Connections the platform would not accept (see `world::Instance::refused`).
    refused: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKind {
    Cloud(Kind),
    Appliance(Software),
}

/// A pair of ends that hold each other's addresses: one tunnel.
#[derive(Clone, Debug)]
struct Pair {
    a: (usize, usize),
    b: (usize, usize),
    up: bool,
    why: String,
    /// Interfaces made for it (kept to take it down).
    made: bool,
}

// ---- the lab -------------------------------------------------------------------------------------

pub struct Lab {
    nets: Netns,
    daemons: Daemons,
    tmp: TempDir,
    inet: String,
    bridge: String,
    nodes: Vec<Node>,
    hosts: BTreeMap<String, String>,
    pairs: Vec<Pair>,
    world: World,
    plan: Plan,
    fabric_next: u32,
}

/// Tools the lab needs (besides the cloud stand-ins' Python).
pub fn tools() -> Vec<(String, &'static str)> {
    vec![
        (crate::appliance::charon().display().to_string(), "strongSwan charon"),
        (crate::appliance::libipsec_plugin().display().to_string(), "strongSwan kernel-libipsec"),
        (crate::appliance::PLUTO.to_string(), "libreswan"),
        (crate::appliance::NFT.to_string(), "nftables"),
        (PING.to_string(), "iputils-ping"),
        (ZEBRA.to_string(), "frr"),
        (BGPD.to_string(), "frr"),
        (VTYSH.to_string(), "frr"),
    ]
}

fn sh(cmd: &mut Command) -> Result<String, String> {
    let o = run(cmd);
    if o.status.success() {
        Ok(text(&o))
    } else {
        Err(format!("{cmd:?}: {}", text(&o)))
    }
}

fn ip(args: &[&str]) -> Result<String, String> {
    sh(Command::new("ip").args(args))
}

/// Apply `plan` to fresh stand-ins; the apply folder (holding world/ and the state).
pub fn apply(plan: &Plan, python: &Path) -> Result<apply_support::Lab, String> {
    // A folder per lab: `make test-lab` runs two labs at a time in one process.
    let tag = crate::appliance::unique("lab");
    let l = apply_support::Lab::new(&tag, "003-strongswan-ec2-to-aws-vgw", &["aws", "az", "gcloud"], python);
    std::fs::write(&l.plan, plan.to_json_pretty()).unwrap();
    let keys = apply_support::keys(plan);
    std::fs::write(l.dir.join("plan/secrets.env"), keys.to_env()).unwrap();
    // aws: the stand-in plus the EC2 calls of an appliance on EC2 (tests/lab/aws_ec2.py).
    let lib = l.dir.join("lib");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/aws_ec2.py"), lib.join("aws_ec2.py")).unwrap();
    apply_support::python_shim(python, &lib, "aws_ec2", &l.bin.join("aws"));
    let mut l = l;
    l.env.push(("STANDIN_PY".into(), lib.join("standin.py").display().to_string()));
    let r = l.run(&["apply", "--yes"], &[]);
    if r.code != Some(0) {
        return Err(format!("tunnelsmith apply exited {:?}:\n{}", r.code, r.all()));
    }
    Ok(l)
}

impl Lab {
    fn site_of(plan: &Plan) -> impl Fn(&Ipv4Net) -> Option<String> + '_ {
        move |n: &Ipv4Net| {
            plan.sites
                .iter()
                .find(|s| {
                    s.address_spaces
                        .iter()
                        .filter_map(|a| a.parse::<Ipv4Net>().ok())
                        .any(|a| a.contains(n) || n.contains(&a))
                })
                .map(|s| s.name.clone())
        }
    }

    /// Build every node of the plan: emulated cloud instances from the world, appliances from
    /// their files; `mutate` changes what the clouds hold first.
    pub fn new(plan: &Plan, applied: &apply_support::Lab, mutate: Option<Mutation>) -> Result<Lab, String> {
        let mut world = World::load(&applied.dir.join("world"));
        let site_of = Self::site_of(plan);
        if let Some(m) = mutate {
            m(&mut world);
        }
        let instances = world::instances(&world, &site_of);
        let mut lab = Lab {
            nets: Netns::default(),
            daemons: Daemons::default(),
            tmp: TempDir::new("lab"),
            inet: String::new(),
            bridge: String::new(),
            nodes: Vec::new(),
            hosts: BTreeMap::new(),
            pairs: Vec::new(),
            world,
            plan: plan.clone(),
            fabric_next: 0,
        };
        for inst in instances {
            lab.add_instance(inst);
        }
        let bundle = applied.state_dir().join("bundle");
        if bundle.exists() {
            let all = std::fs::read_to_string(applied.dir.join("plan/secrets.env")).map_err(|e| e.to_string())?;
            // Each appliance gets only its own tunnels' keys, beside its install script, as
            // `tunnelsmith generate` and the web bundle write them; the full file is not there.
            let keys = tunnelsmith::secrets::Secrets::from_env(&all)?;
            for f in tunnelsmith::bundle::host_secrets(plan, &keys) {
                std::fs::write(bundle.join(&f.path), &f.text).map_err(|e| format!("{}: {e}", f.path))?;
            }
            let outputs = bundle.join("outputs.env");
            let t = std::fs::read_to_string(&outputs).unwrap_or_default();
            std::fs::write(&outputs, lab.world.remap.text(&t)).map_err(|e| e.to_string())?;
        }
        for s in &plan.sites {
            if let Gateway::Appliance { software, private_ip, public_ip, .. } = &s.gateway {
                let sw = match software {
                    tunnelsmith::plan::Software::Strongswan => Software::Strongswan,
                    tunnelsmith::plan::Software::Libreswan => Software::Libreswan,
                    tunnelsmith::plan::Software::Vyos => Software::Vyos,
                };
                let root = lab.tmp.0.join(format!("root-{}", s.name));
                let a = appliances::install(&bundle, &s.name, sw, &plan.name, &root, &lab.world.remap)?;
                lab.add_appliance(a, private_ip, public_ip)?;
            }
        }
        Ok(lab)
    }

    fn add_instance(&mut self, inst: Instance) {
        let ends = inst
            .conns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let nbr = inst.bgp.as_ref().and_then(|b| b.neighbors.iter().find(|n| n.conn == c.name)).map(|n| n.ip);
                End {
                    conn: format!("c{i}"),
                    label: c.name.clone(),
                    public: c.local,
                    remote: c.remote,
                    iface: format!("t{i}"),
                    inside: c.inside,
                    peer_inside: nbr,
                    mtu: 1500,
                    static_routes: c.static_routes.iter().map(|p| (*p, 100 + i as u32)).collect(),
                    selectors: c.selectors.clone(),
                    host_routes: Vec::new(),
                }
            })
            .collect();
        let dir = self.tmp.0.join(format!("n{}", self.nodes.len()));
        std::fs::create_dir_all(&dir).unwrap();
        // strongSwan plays the cloud's IKE end with exactly what the world holds.
        let conns: Vec<Swan> = inst
            .conns
            .iter()
            .enumerate()
            .map(|(i, c)| Swan {
                name: format!("c{i}"),
                version: c.version,
                local: c.local,
                remote: c.remote,
                local_id: c.local.to_string(),
                remote_id: c.remote.to_string(),
                ike: c.ike.clone(),
                esp: c.esp.clone(),
                lifetimes: Some((c.ike_lifetime, c.child_lifetime)),
                start: c.initiates,
                psk: c.psk.clone(),
                selectors: c.selectors.clone(),
            })
            .collect();
        let conf = swanctl_conf(&conns);
        std::fs::write(dir.join("swanctl.conf"), conf).unwrap();
        let frr = inst.bgp.as_ref().map(|b| emulated_frr(&inst, b));
        self.nodes.push(Node {
            label: inst.label.clone(),
            site: inst.site.clone(),
            kind: NodeKind::Cloud(inst.kind),
            ns: String::new(),
            dir,
            daemon: Daemon::Charon,
            ends,
            outside: inst.outside.clone(),
            nat: None,
            loopback: Vec::new(),
            frr,
            behind: inst.behind.clone(),
            fabric: None,
            updown: None,
            pluto_ctl: None,
            root: None,
            firewall: None,
            sg: None,
            ingress: Vec::new(),
            forwards: true,
            refused: inst.refused.clone(),
        });
    }

    fn add_appliance(&mut self, a: Appliance, private_ip: &str, public_ip: &str) -> Result<(), String> {
        let dir = self.tmp.0.join(format!("n{}", self.nodes.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let site = self.plan.sites.iter().find(|s| s.name == a.site).unwrap().clone();
        let private: Option<Ipv4Addr> = private_ip.parse().ok();
        // The address peers see: the plan's public IP, or the elastic IP on the EC2 interface.
        let azure_vm = site.platform == tunnelsmith::plan::Platform::Azure;
        let ec2 = private.and_then(|p| {
            if azure_vm {
                world::azure_appliance(&self.world, p)
            } else {
                world::ec2_appliance(&self.world, p)
            }
        });
        let public: Ipv4Addr = match (&ec2, public_ip.parse::<Ipv4Addr>().ok()) {
            (Some(e), _) if e.public_ip.is_some() => e.public_ip.unwrap(),
            (_, Some(p)) => self.world.remap.ip(p),
            _ => {
                return Err(format!(
                    "{}: no public address (no elastic or public IP on its interface in the world, none in the plan)",
                    a.site
                ))
            }
        };
        let local = a.ends.first().map(|e| e.local).unwrap_or(public);
        let nat = (local != public).then_some((local, public));
        let sg = ec2.as_ref().map(|e| firewall_nft("lab_sg", "prerouting priority -150", &e.ingress));
        let forwards = ec2.is_none()
            || (azure_vm && private.is_some_and(|p| world::azure_forwards(&self.world, p)))
            || self.world.ec2["eni"].as_object().is_some_and(|m| {
                m.values().any(|e| e["PrivateIpAddress"].as_str() == Some(private_ip) && e["SourceDestCheck"] == false)
            });
        let ends = a
            .ends
            .iter()
            .map(|e| End {
                conn: e.conn.clone(),
                label: format!("{} {}", a.site, e.conn),
                public,
                remote: e.remote,
                iface: e.iface.clone(),
                inside: e.inside.map(|n| (n.addr(), n.prefix_len())),
                peer_inside: None,
                mtu: e.mtu,
                static_routes: e.static_routes.clone(),
                selectors: Vec::new(),
                host_routes: e.host_routes.clone(),
            })
            .collect();
        let daemon = if a.software == Software::Libreswan { Daemon::Pluto } else { Daemon::Charon };
        let swanctl = dir.join("swanctl.conf");
        match a.software {
            Software::Strongswan => {
                let conf = a.swanctl.clone().unwrap();
                // The updown script is run by the lab when the tunnel's link comes up (below).
                let t = read(&conf).replace("updown = /etc/", "# updown = /etc/");
                std::fs::write(&conf, t).unwrap();
                std::fs::write(&swanctl, format!("include {}\n", conf.display())).unwrap();
            }
            Software::Vyos => {
                // VyOS cannot run here: its set commands played by strongSwan.
                let conns: Vec<Swan> = a
                    .ends
                    .iter()
                    .map(|e| {
                        let v = e.vyos.as_ref().unwrap();
                        Swan {
                            name: e.conn.clone(),
                            version: v.version,
                            local: e.local,
                            remote: e.remote,
                            local_id: v.local_id.clone(),
                            remote_id: v.remote_id.clone(),
                            ike: v.ike.clone(),
                            esp: v.esp.clone(),
                            lifetimes: None,
                            start: v.initiates,
                            psk: v.psk.clone(),
                            selectors: Vec::new(),
                        }
                    })
                    .collect();
                let conf = swanctl_conf(&conns);
                std::fs::write(&swanctl, conf).unwrap();
            }
            Software::Libreswan => {}
        }
        let behind: Vec<Ipv4Net> = site.address_spaces.iter().filter_map(|a| a.parse().ok()).collect();
        self.nodes.push(Node {
            label: format!("{} ({:?})", a.site, a.software).to_lowercase(),
            site: a.site.clone(),
            kind: NodeKind::Appliance(a.software),
            ns: String::new(),
            dir,
            daemon,
            ends,
            outside: vec![local],
            nat,
            loopback: a.loopback.clone(),
            frr: a.frr.clone(),
            behind,
            fabric: None,
            updown: a.updown.clone(),
            pluto_ctl: None,
            root: Some(a.root.clone()),
            firewall: a.firewall.clone(),
            sg,
            ingress: ec2.map(|e| e.ingress).unwrap_or_default(),
            forwards,
            refused: Vec::new(),
        });
        Ok(())
    }

    // ---- network ----------------------------------------------------------------------------------

    /// A new namespace (deleted when the lab is dropped), also listed in `$LAB_NETNS_FILE` so that
    /// `make test-lab`'s trap can stop its processes and delete it if this process is killed.
    fn netns(&mut self) -> String {
        let ns = self.nets.add();
        if let Some(f) = std::env::var_os("LAB_NETNS_FILE") {
            use std::io::Write as _;
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(f) {
                let _ = writeln!(f, "{ns}");
            }
        }
        ns
    }

    /// The internet (a bridge), a namespace per node, a hosts namespace per site with the
    /// runbook's test addresses, and the fabric links between them.
    pub fn build(&mut self, hosts: &BTreeMap<String, Vec<Ipv4Addr>>) -> Result<(), String> {
        self.inet = self.netns();
        self.bridge = crate::appliance::unique("br");
        ip(&["-n", &self.inet, "link", "add", &self.bridge, "type", "bridge"])?;
        ip(&["-n", &self.inet, "link", "set", &self.bridge, "up"])?;
        for site in self.plan.sites.iter().map(|s| s.name.clone()).collect::<Vec<_>>() {
            let ns = self.netns();
            for h in hosts.get(&site).into_iter().flatten() {
                ip(&["-n", &ns, "addr", "add", &format!("{h}/32"), "dev", "lo"])?;
            }
            self.hosts.insert(site, ns);
        }
        for i in 0..self.nodes.len() {
            let ns = self.netns();
            self.nodes[i].ns = ns.clone();
            let (va, vb) = (crate::appliance::unique("vi"), crate::appliance::unique("vo"));
            ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb])?;
            ip(&["link", "set", &va, "netns", &self.inet])?;
            ip(&["-n", &self.inet, "link", "set", &va, "master", &self.bridge, "up"])?;
            ip(&["link", "set", &vb, "netns", &ns])?;
            ip(&["-n", &ns, "link", "set", &vb, "name", "wan0"])?;
            ip(&["-n", &ns, "link", "set", "wan0", "up"])?;
            let mut addrs = self.nodes[i].outside.clone();
            if let Some((_, public)) = self.nodes[i].nat {
                addrs.push(public);
            }
            for a in &addrs {
                ip(&["-n", &ns, "addr", "add", &format!("{a}/32"), "dev", "wan0"])?;
            }
            ip(&["-n", &ns, "route", "add", "default", "dev", "wan0"])?;
            for a in &self.nodes[i].loopback {
                ip(&["-n", &ns, "addr", "replace", &format!("{a}/32"), "dev", "lo"])?;
            }
            sh(self.nets.exec(&ns).args([
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0",
            ]))?;
            let mut nft = String::new();
            if let Some((private, public)) = self.nodes[i].nat {
                let _ = write!(
                    nft,
                    "table ip lab_nat {{\n chain pre {{ type nat hook prerouting priority -100; ip daddr {public} dnat to {private}; }}\n chain post {{ type nat hook postrouting priority 100; oifname \"wan0\" ip saddr {private} snat to {public}; }}\n}}\n"
                );
            }
            if let Some(sg) = &self.nodes[i].sg {
                nft.push_str(sg);
            }
            if !nft.is_empty() {
                let f = self.nodes[i].dir.join("cloud.nft");
                std::fs::write(&f, &nft).unwrap();
                sh(self.nets.exec(&ns).arg(crate::appliance::NFT).arg("-f").arg(&f))?;
            }
            if let Some(fw) = &self.nodes[i].firewall {
                sh(self.nets.exec(&ns).arg(crate::appliance::NFT).arg("-f").arg(fw))
                    .map_err(|e| format!("{}: the generated firewall.nft does not load: {e}", self.nodes[i].label))?;
            }
            // The fabric: the node and its site's hosts.
            let site = self.nodes[i].site.clone();
            if let Some(h) = self.hosts.get(&site).cloned() {
                let base = u32::from(Ipv4Addr::new(169, 254, 240, 0)) + 4 * self.fabric_next;
                self.fabric_next += 1;
                let (hside, nside) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
                let (fa, fb) = (crate::appliance::unique("fa"), crate::appliance::unique("fb"));
                ip(&["link", "add", &fa, "type", "veth", "peer", "name", &fb])?;
                ip(&["link", "set", &fa, "netns", &h])?;
                ip(&["link", "set", &fb, "netns", &ns])?;
                ip(&["-n", &h, "addr", "add", &format!("{hside}/30"), "dev", &fa])?;
                ip(&["-n", &ns, "addr", "add", &format!("{nside}/30"), "dev", &fb])?;
                ip(&["-n", &h, "link", "set", &fa, "up"])?;
                ip(&["-n", &ns, "link", "set", &fb, "up"])?;
                for p in &self.nodes[i].behind {
                    ip(&["-n", &ns, "route", "replace", &p.to_string(), "via", &hside.to_string()])?;
                }
                self.nodes[i].fabric = Some((nside, hside));
            }
        }
        for (site, h) in &self.hosts {
            sh(self.nets.exec(h).args([
                "sysctl",
                "-qw",
                "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0",
            ]))?;
            // A Google Cloud VM sees only what its network's firewall admits.
            let gcp = self.plan.sites.iter().any(|s| &s.name == site && s.platform == tunnelsmith::plan::Platform::Gcp);
            if let Some(host) = hosts.get(site).and_then(|v| v.first()).filter(|_| gcp) {
                if let Some((_, rules)) = world::gcp_ingress(&self.world, *host) {
                    let f = self.tmp.0.join(format!("gcp-fw-{site}.nft"));
                    std::fs::write(&f, firewall_nft("lab_gcp_fw", "input priority 0", &rules)).unwrap();
                    sh(self.nets.exec(h).arg(crate::appliance::NFT).arg("-f").arg(&f))?;
                }
            }
        }
        Ok(())
    }

    // ---- IKE ----------------------------------------------------------------------------------------

    /// Start every IKE daemon (responders first), then wait for each pair of ends.
    pub fn ike(&mut self) -> Result<(), String> {
        // Pairs: ends holding each other's addresses.
        for (i, n) in self.nodes.iter().enumerate() {
            for (k, e) in n.ends.iter().enumerate() {
                for (j, m) in self.nodes.iter().enumerate().skip(i + 1) {
                    for (l, f) in m.ends.iter().enumerate() {
                        if f.public == e.remote && e.public == f.remote {
                            self.pairs.push(Pair { a: (i, k), b: (j, l), up: false, why: String::new(), made: false });
                        }
                    }
                }
            }
        }
        // Prefix selectors: kernel-libipsec routes the remote prefix from a local address inside the
        // local one, as a gateway or appliance has on its network side (a policy-based gateway in
        // its VNet, an appliance on its LAN). Here the network side is the fabric, so both ends of a
        // policy-based tunnel get their site's last address on the loopback.
        let mut lan = BTreeSet::new();
        for p in &self.pairs {
            let ends = [p.a, p.b];
            if ends.iter().any(|&(n, e)| !self.nodes[n].ends[e].selectors.is_empty()) {
                lan.extend(ends.iter().map(|&(n, _)| n));
            }
        }
        for n in lan {
            if let Some(net) = self.nodes[n].behind.first() {
                let last = Ipv4Addr::from(u32::from(net.broadcast()) - 1);
                ip(&["-n", &self.nodes[n].ns, "addr", "replace", &format!("{last}/32"), "dev", "lo"])?;
            }
        }
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        // Clouds first, then appliances, Libreswan last: pluto cannot install an ESP SA in the
        // namespaces' kernel (netlink: Protocol not supported), so a Child SA it responds to fails
        // (TS_UNACCEPTABLE to the initiator) and the tunnel counts only when pluto initiates and
        // the charon end logs the Child SA. Started after every charon, its first IKE_SA_INIT
        // finds a listener instead of an ICMP port unreachable.
        order.sort_by_key(|&i| {
            (matches!(self.nodes[i].kind, NodeKind::Appliance(_)), self.nodes[i].daemon == Daemon::Pluto)
        });
        for i in order {
            let n = &self.nodes[i];
            match n.daemon {
                Daemon::Charon => {
                    start_charon_with(&self.nets, &mut self.daemons, &n.ns, &n.dir, CHARON);
                    let o = swanctl_cmd(
                        &self.nets,
                        &n.ns,
                        &n.dir,
                        &format!("--load-all --file {}", n.dir.join("swanctl.conf").display()),
                    );
                    if !o.status.success() {
                        return Err(format!("{}: swanctl --load-all: {}", n.label, text(&o)));
                    }
                }
                Daemon::Pluto => {
                    let root = n.root.clone().unwrap();
                    let ctl = start_pluto(&self.nets, &mut self.daemons, &n.ns, &n.dir, &root);
                    for e in &n.ends {
                        let _ = run(self.nets.exec(&n.ns).arg(IPSEC).args([
                            "whack",
                            "--ctlsocket",
                            &ctl,
                            "--initiate",
                            "--name",
                            &e.conn,
                            "--asynchronous",
                        ]));
                    }
                    self.nodes[i].pluto_ctl = Some(ctl);
                }
            }
        }
        // kernel-libipsec routes everything into its TUN device through table 220 (its
        // install_routes setting notwithstanding); here the tunnel's link is the veth pair.
        for n in &self.nodes {
            if n.daemon == Daemon::Charon {
                while ip(&["-n", &n.ns, "rule", "del", "pref", "220"]).is_ok() {}
            }
        }
        let t0 = Instant::now();
        loop {
            let mut all = true;
            for p in 0..self.pairs.len() {
                if !self.pairs[p].up {
                    self.pairs[p].up = self.pair_established(p);
                    all &= self.pairs[p].up;
                }
            }
            if all || t0.elapsed() > IKE_WAIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        for p in 0..self.pairs.len() {
            if !self.pairs[p].up {
                self.pairs[p].why = self.why_not(self.pairs[p].a, self.pairs[p].b);
            }
        }
        Ok(())
    }

    /// The daemon of each strongSwan or Libreswan appliance, as its log's start line names it
    /// (charon: `Starting IKE charon daemon (strongSwan 5.9.8, …`; pluto: `Starting Pluto
    /// (Libreswan Version 4.10 …`).
    fn daemon_versions(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if !matches!(n.kind, NodeKind::Appliance(Software::Strongswan | Software::Libreswan)) {
                continue;
            }
            let log = self.log(i);
            let name = log.lines().find_map(|l| {
                let (start, word) = match n.daemon {
                    Daemon::Charon => (l.split("charon daemon (strongSwan ").nth(1)?, "strongSwan"),
                    Daemon::Pluto => (l.split("Starting Pluto (Libreswan Version ").nth(1)?, "Libreswan"),
                };
                let v = start.split([',', ' ', ')']).next()?;
                Some(format!("{word} {v}"))
            });
            out.push((n.site.clone(), name.unwrap_or_else(|| "unknown (its log names no version)".into())));
        }
        out
    }

    fn log(&self, node: usize) -> String {
        let n = &self.nodes[node];
        match n.daemon {
            Daemon::Charon => read(&n.dir.join("charon.log")),
            Daemon::Pluto => read(&n.dir.join("pluto.log")),
        }
    }

    /// Whether a pair's tunnel is up: either end reports its Child SA, or where an end is
    /// policy-based, that end reports every Child SA its prefix pairs need.
    fn pair_established(&self, p: usize) -> bool {
        let ends = [self.pairs[p].a, self.pairs[p].b];
        let strict: Vec<_> = ends.into_iter().filter(|&(n, e)| !self.nodes[n].ends[e].selectors.is_empty()).collect();
        if strict.is_empty() {
            ends.iter().any(|&x| self.established(x))
        } else {
            strict.iter().all(|&x| self.established(x))
        }
    }

    /// Whether the end's daemon reports the tunnel's Child SA negotiated.
    fn established(&self, (node, end): (usize, usize)) -> bool {
        let n = &self.nodes[node];
        let conn = &n.ends[end].conn;
        let log = self.log(node);
        match n.daemon {
            Daemon::Charon if !n.ends[end].selectors.is_empty() => n.ends[end]
                .selectors
                .iter()
                .enumerate()
                .all(|(k, pair)| log.lines().any(|l| covers(l, &child_name(conn, k), *pair))),
            Daemon::Charon => {
                log.lines().any(|l| l.contains(&format!("CHILD_SA {conn}{{")) && l.contains("established"))
            }
            Daemon::Pluto => {
                log.lines().any(|l| l.contains(&format!("\"{conn}\"")) && l.contains("established Child SA"))
            }
        }
    }

    /// Why a pair did not come up, from both daemons' logs.
    fn why_not(&self, a: (usize, usize), b: (usize, usize)) -> String {
        let mut reasons = BTreeSet::new();
        for (node, end) in [a, b] {
            let e = &self.nodes[node].ends[end];
            let log = self.log(node);
            // A node's log: its daemon's every tunnel (a cloud end holds one or a few).
            let any = |ws: &[&str]| {
                log.lines().any(|l| {
                    ws.iter().any(|w| l.contains(w))
                        && (l.contains(&e.conn) || l.contains(&e.remote.to_string()) || l.contains("notify"))
                })
            };
            if any(&["AUTHENTICATION_FAILED", "MAC mismatched"]) {
                reasons.insert("pre-shared keys differ (AUTHENTICATION_FAILED)".to_string());
            }
            if any(&["NO_PROPOSAL_CHOSEN", "no acceptable proposal"]) {
                reasons.insert("no proposal both ends accept (NO_PROPOSAL_CHOSEN)".to_string());
            }
            if any(&["no IKE config found", "no matching peer config", "no suitable connection"]) {
                reasons.insert(format!("{} holds no connection for {}", e.public, e.remote));
            }
        }
        let retrans = |(node, end): (usize, usize)| {
            let e = &self.nodes[node].ends[end];
            self.log(node).lines().any(|l| {
                (l.contains("retransmit") || l.contains("giving up"))
                    && (l.contains(&e.conn) || l.contains(&e.remote.to_string()))
            })
        };
        if reasons.is_empty() && (retrans(a) || retrans(b)) {
            reasons.insert("no answer to IKE (UDP 500/4500 dropped on the way, or nobody listening)".to_string());
        }
        if reasons.is_empty() {
            reasons.insert(format!("no IKE exchange completed within {} s", IKE_WAIT.as_secs()));
        }
        reasons.into_iter().collect::<Vec<_>>().join("; ")
    }

    // ---- the inner links --------------------------------------------------------------------------

    /// A veth pair carrying the tunnel's inside addresses, for each pair whose IKE came up.
    pub fn links_up(&mut self) -> Result<(), String> {
        for p in 0..self.pairs.len() {
            if self.pairs[p].up && !self.pairs[p].made {
                self.make_link(p)?;
            }
        }
        Ok(())
    }

    fn make_link(&mut self, p: usize) -> Result<(), String> {
        let (a, b) = (self.pairs[p].a, self.pairs[p].b);
        let (ta, tb) = (crate::appliance::unique("ia"), crate::appliance::unique("ib"));
        ip(&["link", "add", &ta, "type", "veth", "peer", "name", &tb])?;
        // Peers of a /32 end: the other end's inside address.
        let other_inside = |x: (usize, usize)| self.nodes[x.0].ends[x.1].inside.map(|i| i.0);
        let (ia, ib) = (other_inside(a), other_inside(b));
        for ((node, end), tmp, peer) in [(a, &ta, ib), (b, &tb, ia)] {
            let n = &self.nodes[node];
            let e = &n.ends[end];
            ip(&["link", "set", tmp, "netns", &n.ns])?;
            ip(&["-n", &n.ns, "link", "set", tmp, "name", &e.iface])?;
            ip(&["-n", &n.ns, "link", "set", &e.iface, "mtu", &e.mtu.min(1500).to_string()])?;
            if let Some((addr, len)) = e.inside {
                let peer = e.peer_inside.or(peer);
                match (len, peer) {
                    (32, Some(pr)) => ip(&[
                        "-n",
                        &n.ns,
                        "addr",
                        "add",
                        &addr.to_string(),
                        "peer",
                        &format!("{pr}/32"),
                        "dev",
                        &e.iface,
                    ])?,
                    _ => ip(&["-n", &n.ns, "addr", "add", &format!("{addr}/{len}"), "dev", &e.iface])?,
                };
            }
            sh(self.nets.exec(&n.ns).args([
                "sysctl",
                "-qw",
                &format!("net.ipv4.conf.{}.proxy_arp=1", e.iface),
                &format!("net.ipv4.conf.{}.rp_filter=0", e.iface),
                &format!("net.ipv4.neigh.{}.proxy_delay=0", e.iface),
            ]))?;
        }
        self.pairs[p].made = true;
        self.set_link(p, true)
    }

    /// Bring a tunnel's link up or down, with what the ends do when a tunnel comes and goes:
    /// the cloud's static routes, the appliance's updown.sh (as its IPsec daemon would run it).
    fn set_link(&mut self, p: usize, up: bool) -> Result<(), String> {
        for (node, end) in [self.pairs[p].a, self.pairs[p].b] {
            let n = &self.nodes[node];
            let e = &n.ends[end];
            ip(&["-n", &n.ns, "link", "set", &e.iface, if up { "up" } else { "down" }])?;
            // net-up.sh adds these once, on an XFRM interface that stays up whatever its SA
            // does; here the link going down takes them with it, so they come back with it.
            if up {
                for (peer, src) in &e.host_routes {
                    ip(&[
                        "-n",
                        &n.ns,
                        "route",
                        "replace",
                        &format!("{peer}/32"),
                        "dev",
                        &e.iface,
                        "src",
                        &src.to_string(),
                    ])?;
                }
            }
            for (pfx, metric) in &e.static_routes {
                if up {
                    ip(&[
                        "-n",
                        &n.ns,
                        "route",
                        "replace",
                        &pfx.to_string(),
                        "dev",
                        &e.iface,
                        "metric",
                        &metric.to_string(),
                    ])?;
                } else {
                    let _ = ip(&[
                        "-n",
                        &n.ns,
                        "route",
                        "del",
                        &pfx.to_string(),
                        "dev",
                        &e.iface,
                        "metric",
                        &metric.to_string(),
                    ]);
                }
            }
            if let Some(updown) = &n.updown {
                sh(self
                    .nets
                    .exec(&n.ns)
                    .arg("sh")
                    .arg(updown)
                    .env("PLUTO_CONNECTION", &e.conn)
                    .env("PLUTO_VERB", if up { "up-client" } else { "down-client" }))?;
            }
        }
        Ok(())
    }

    // ---- BGP --------------------------------------------------------------------------------------

    /// zebra and bgpd in every node with a BGP configuration.
    pub fn bgp(&mut self) -> Result<(), String> {
        for n in &self.nodes {
            let Some(conf) = &n.frr else { continue };
            let f = n.dir.join("frr.conf");
            std::fs::write(&f, conf).unwrap();
            let _ = Command::new("chmod").args(["-R", "a+rwX"]).arg(&n.dir).status();
            let _ = Command::new("chmod").arg("a+rx").arg(&self.tmp.0).status();
            // zebra installs routes with their next hops inline, not as kernel nexthop objects:
            // a lab tunnel goes down as its link does (a real tunnel interface stays up), and the
            // kernel then drops the routes of nexthop objects on that link without telling
            // zebra, which keeps them as installed (seen: a speaker's best path in bgpd, no route
            // in its kernel, after another tunnel's link went down).
            let z = n.dir.join("zebra.conf");
            std::fs::write(&z, "no zebra nexthop kernel enable\n").unwrap();
            for (prog, name, conf) in [(ZEBRA, "zebra", &z), (BGPD, "bgpd", &f)] {
                let mut c = self.nets.exec(&n.ns);
                c.arg(prog)
                    .args(["-u", "frr", "-g", "frr", "-f"])
                    .arg(conf)
                    .arg("-i")
                    .arg(n.dir.join(format!("{name}.pid")))
                    .arg("-z")
                    .arg(n.dir.join("zserv"))
                    .arg("--vty_socket")
                    .arg(&n.dir)
                    .arg("--log")
                    .arg(format!("file:{}", n.dir.join(format!("{name}.log")).display()));
                self.daemons.spawn(c, &n.dir.join(format!("{name}.out")));
                if name == "zebra" {
                    let sock = n.dir.join("zserv");
                    wait_for(Duration::from_secs(10), || sock.exists().then_some(())).ok_or_else(|| {
                        format!("{}: zebra did not start: {}", n.label, read(&n.dir.join("zebra.out")))
                    })?;
                }
            }
        }
        Ok(())
    }

    fn vtysh(&self, node: usize, cmd: &str) -> Value {
        let n = &self.nodes[node];
        let o = run(self.nets.exec(&n.ns).arg(VTYSH).arg("--vty_socket").arg(&n.dir).arg("-c").arg(cmd));
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
    }

    /// Every BGP peer of every node: (node, peer address, state, prefixes received). The speakers
    /// are asked at once (one vtysh each takes a few hundred ms, and failover polls this).
    fn peers(&self) -> Vec<(usize, Ipv4Addr, String, u64)> {
        let asked: Vec<(usize, std::process::Child)> = (self.nodes.iter().enumerate())
            .filter(|(_, n)| n.frr.is_some())
            .filter_map(|(i, n)| {
                let mut c = self.nets.exec(&n.ns);
                c.arg(VTYSH).arg("--vty_socket").arg(&n.dir).args(["-c", "show bgp summary json"]);
                c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().ok().map(|c| (i, c))
            })
            .collect();
        let mut out = Vec::new();
        for (i, child) in asked {
            let o = child.wait_with_output().map(|o| o.stdout).unwrap_or_default();
            let s: Value = serde_json::from_slice(&o).unwrap_or(Value::Null);
            for (ip, p) in s["ipv4Unicast"]["peers"].as_object().into_iter().flatten() {
                if let Ok(a) = ip.parse() {
                    out.push((i, a, p["state"].as_str().unwrap_or("?").to_string(), p["pfxRcd"].as_u64().unwrap_or(0)));
                }
            }
        }
        out
    }

    fn wait_bgp(&self, expected: usize) {
        let t0 = Instant::now();
        while t0.elapsed() < BGP_WAIT {
            let peers = self.peers();
            let up = peers.iter().filter(|p| p.2 == "Established" && p.3 > 0).count();
            let quiet = peers.iter().all(|p| p.2 != "Established" || p.3 > 0);
            if up >= expected && quiet {
                // One more round for the last updates.
                std::thread::sleep(Duration::from_secs(2));
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn learned(&self, node: usize, peer: Ipv4Addr) -> Vec<String> {
        let v = self.vtysh(node, &format!("show bgp ipv4 unicast neighbors {peer} routes json"));
        v["routes"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    // ---- the sites' routing -------------------------------------------------------------------------

    /// Routes a node holds into its tunnels (static or learned), from its kernel table.
    fn tunnel_routes(&self, node: usize) -> Vec<Ipv4Net> {
        let n = &self.nodes[node];
        let o = run(Command::new("ip").args(["-n", &n.ns, "-j", "-4", "route", "show"]));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        let ifaces: Vec<&str> = n.ends.iter().map(|e| e.iface.as_str()).collect();
        let mut out = Vec::new();
        for r in v.as_array().into_iter().flatten() {
            let devs: Vec<&str> = std::iter::once(r["dev"].as_str())
                .chain(r["nexthops"].as_array().into_iter().flatten().map(|h| h["dev"].as_str()))
                .flatten()
                .collect();
            if r["flags"].as_array().is_some_and(|f| f.iter().any(|x| x == "linkdown")) {
                continue;
            }
            if devs.iter().any(|d| ifaces.contains(d)) {
                if let Some(dst) = r["dst"].as_str() {
                    let dst = if dst.contains('/') { dst.to_string() } else { format!("{dst}/32") };
                    if let Ok(p) = dst.parse::<Ipv4Net>() {
                        if p.addr().octets()[..2] != [169, 254] {
                            out.push(p);
                        }
                    }
                }
            }
        }
        out
    }

    /// Route each site's hosts by what its cloud holds (see `world`), through its gateway nodes.
    pub fn route_sites(&self) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        for (site, hns) in &self.hosts {
            let nodes: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| &self.nodes[i].site == site && self.nodes[i].fabric.is_some())
                .collect();
            let mut table: BTreeMap<Ipv4Net, BTreeSet<Ipv4Addr>> = BTreeMap::new();
            let learned: Vec<(usize, Vec<Ipv4Net>)> = nodes.iter().map(|&i| (i, self.tunnel_routes(i))).collect();
            let via = |i: usize| self.nodes[i].fabric.unwrap().0;
            let plan_site = self.plan.sites.iter().find(|s| &s.name == site).unwrap();
            let aws_site = plan_site.platform == tunnelsmith::plan::Platform::Aws;
            let hosts: Vec<Ipv4Addr> = self.hosts_of(hns);
            // A security group filters what the appliance's interface receives from the VPC too.
            for &i in &nodes {
                if self.nodes[i].sg.is_some() {
                    for h in &hosts {
                        let admitted = self.nodes[i]
                            .ingress
                            .iter()
                            .any(|(p, _, src)| (p == "-1" || p == "icmp" || p == "1") && src.contains(h));
                        if !admitted {
                            notes.push(format!("{site}: the security group of the appliance's interface admits nothing from {h}, so it drops what the VPC sends it"));
                        }
                    }
                }
            }
            if aws_site {
                for h in &hosts {
                    let Some((rt, routes, propagates)) = world::aws_routes(&self.world, *h) else { continue };
                    if routes.is_empty() && !propagates {
                        notes.push(format!("{site}: {h}: {rt}"));
                    }
                    for (dest, target) in routes {
                        match target {
                            Target::Vgw => {
                                for (i, l) in &learned {
                                    if matches!(self.nodes[*i].kind, NodeKind::Cloud(Kind::AwsVgw))
                                        && l.iter().any(|p| p.contains(&dest) || dest.contains(p))
                                    {
                                        table.entry(dest).or_default().insert(via(*i));
                                    }
                                }
                            }
                            Target::Eni { forwards } => {
                                for &i in &nodes {
                                    if matches!(self.nodes[i].kind, NodeKind::Appliance(_)) {
                                        if forwards {
                                            table.entry(dest).or_default().insert(via(i));
                                        } else {
                                            notes.push(format!("{site}: the appliance's interface has its source/destination check on: AWS drops what it forwards"));
                                        }
                                    }
                                }
                            }
                            Target::Other(_) => {}
                        }
                    }
                    if propagates {
                        for (i, l) in &learned {
                            if matches!(self.nodes[*i].kind, NodeKind::Cloud(Kind::AwsVgw)) {
                                for p in l {
                                    table.entry(*p).or_default().insert(via(*i));
                                }
                            }
                        }
                    }
                }
            } else {
                // Azure (system routes carry what the gateway learns to every subnet), Google
                // Cloud (Cloud Router's dynamic routes), on premises (the appliance is the router).
                for (i, l) in &learned {
                    match self.nodes[*i].kind {
                        NodeKind::Appliance(_) if plan_site.platform == tunnelsmith::plan::Platform::Azure => {
                            // A VNet sends traffic to an appliance only by a route table
                            // associated with the host's subnet [AZ-UDR].
                            for h in &hosts {
                                match world::azure_routes(&self.world, *h) {
                                    Ok(routes) => {
                                        for (dest, hop) in routes {
                                            if self.nodes[*i].outside.contains(&hop) && self.nodes[*i].forwards {
                                                table.entry(dest).or_default().insert(via(*i));
                                            }
                                        }
                                    }
                                    Err(note) => notes.push(format!("{site}: {note}")),
                                }
                            }
                        }
                        NodeKind::Appliance(_) => {
                            table.entry("0.0.0.0/0".parse().unwrap()).or_default().insert(via(*i));
                        }
                        NodeKind::Cloud(_) => {
                            for p in l {
                                table.entry(*p).or_default().insert(via(*i));
                            }
                        }
                    }
                }
            }
            // Rebuild the hosts' table.
            let _ = ip(&["-n", hns, "route", "flush", "proto", "static"]);
            for (dest, hops) in table {
                let mut args = vec![
                    "-n".to_string(),
                    hns.clone(),
                    "route".into(),
                    "replace".into(),
                    dest.to_string(),
                    "proto".into(),
                    "static".into(),
                ];
                if hops.len() == 1 {
                    args.extend(["via".into(), hops.iter().next().unwrap().to_string()]);
                } else {
                    for h in hops {
                        args.extend(["nexthop".into(), "via".into(), h.to_string()]);
                    }
                }
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                ip(&a)?;
            }
        }
        Ok(notes)
    }

    /// Whether the BGP session of `node` with `peer` runs over the tunnel of pair `p`.
    fn on_pair(&self, p: usize, node: usize, peer: Ipv4Addr) -> bool {
        let pr = &self.pairs[p];
        [(pr.a, pr.b), (pr.b, pr.a)].iter().any(|&((n, e), (on, oe))| {
            n == node
                && (self.nodes[on].ends[oe].inside.map(|x| x.0) == Some(peer)
                    || self.nodes[n].ends[e].peer_inside == Some(peer))
        })
    }

    /// Wait until every session of `keep` (node, peer) is established with prefixes again, as
    /// BGP converges after a tunnel went down; the sessions that did not come back.
    fn wait_sessions(&self, keep: &[(usize, Ipv4Addr)]) -> Vec<String> {
        let t0 = Instant::now();
        let mut waited = false;
        loop {
            let peers = self.peers();
            let missing: Vec<String> = keep
                .iter()
                .filter(|k| !peers.iter().any(|p| (p.0, p.1) == **k && p.2 == "Established" && p.3 > 0))
                .map(|(n, a)| {
                    let state = peers.iter().find(|p| (p.0, p.1) == (*n, *a)).map(|p| p.2.as_str()).unwrap_or("gone");
                    format!("{} → {a} ({state})", self.nodes[*n].label)
                })
                .collect();
            if std::env::var_os("LAB_DEBUG").is_some() && !missing.is_empty() {
                eprintln!(
                    "lab: {:.1} s after the tunnel went down, waiting for {}",
                    t0.elapsed().as_secs_f64(),
                    missing.join(", ")
                );
            }
            if missing.is_empty() {
                if waited {
                    // The routes of the sessions that came back, into the kernel.
                    std::thread::sleep(Duration::from_millis(500));
                }
                return missing;
            }
            if t0.elapsed() > BGP_WAIT {
                return missing;
            }
            waited = true;
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Take the links of the pairs `down` down, wait for BGP to converge around them (every
    /// session over another tunnel established again, as it must stay), route the sites again,
    /// run `ping` (its link, from, to), then bring them back up.
    fn ping_without(&mut self, down: &[usize], mut ping: PingResult, site: &str) -> PingResult {
        let keep: Vec<(usize, Ipv4Addr)> = self
            .peers()
            .into_iter()
            .filter(|s| s.2 == "Established" && s.3 > 0 && !down.iter().any(|&p| self.on_pair(p, s.0, s.1)))
            .map(|s| (s.0, s.1))
            .collect();
        for &p in down {
            let _ = self.set_link(p, false);
        }
        std::thread::sleep(Duration::from_millis(300));
        let lost = self.wait_sessions(&keep);
        let _ = self.route_sites();
        (ping.ok, ping.why) = self.ping(site, ping.from, ping.to);
        if !ping.ok && !lost.is_empty() {
            ping.why = format!(
                "{}; BGP sessions over other tunnels went down with it and did not come back within {} s: {}",
                ping.why,
                BGP_WAIT.as_secs(),
                lost.join(", ")
            );
        }
        if std::env::var_os("LAB_DEBUG").is_some() && !ping.ok {
            self.debug_dump(&format!("{} -> {} with {:?} down", ping.from, ping.to, ping.down));
        }
        for &p in down {
            let _ = self.set_link(p, true);
        }
        ping
    }

    /// `LAB_DEBUG=1`: every namespace's routes and every speaker's BGP table, when a ping fails.
    fn debug_dump(&self, what: &str) {
        let mut out = format!("==== DEBUG {what}\n");
        for (site, h) in &self.hosts {
            out +=
                &format!("-- hosts {site} ({h}):\n{}\n", text(&run(Command::new("ip").args(["-n", h, "-4", "route"]))));
        }
        for n in &self.nodes {
            let r = text(&run(Command::new("ip").args(["-n", &n.ns, "-4", "route"])));
            out += &format!("-- node {} ({}):\n{r}\n", n.label, n.ns);
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if n.frr.is_some() {
                let o = run(self
                    .nets
                    .exec(&n.ns)
                    .arg(VTYSH)
                    .arg("--vty_socket")
                    .arg(&n.dir)
                    .arg("-c")
                    .arg("show bgp ipv4 unicast")
                    .arg("-c")
                    .arg("show bgp summary"));
                out += &format!("-- bgp {i} {}:\n{}\n", n.label, text(&o));
            }
        }
        eprintln!("{out}");
    }

    fn hosts_of(&self, ns: &str) -> Vec<Ipv4Addr> {
        let o = run(Command::new("ip").args(["-n", ns, "-j", "-4", "addr", "show", "dev", "lo"]));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        v.as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["addr_info"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["local"].as_str()?.parse().ok())
            .filter(|a: &Ipv4Addr| !a.is_loopback())
            .collect()
    }

    fn ping(&self, site: &str, from: Ipv4Addr, to: Ipv4Addr) -> (bool, String) {
        let Some(ns) = self.hosts.get(site) else { return (false, format!("no hosts for site {site}")) };
        let o = run(self.nets.exec(ns).args([
            PING,
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "2",
            "-I",
            &from.to_string(),
            &to.to_string(),
        ]));
        let t = text(&o);
        if o.status.success() {
            return (true, String::new());
        }
        let route =
            run(Command::new("ip").args(["-n", ns, "route", "get", &to.to_string(), "from", &from.to_string()]));
        // The destination's firewall, where the lab emulates one.
        let blocked = world::gcp_ingress(&self.world, to)
            .filter(|(_, rules)| !rules.iter().any(|(p, _, src)| (p == "-1" || p == "icmp") && src.contains(&from)));
        let why = if !route.status.success() {
            format!("{site} has no route to {to} (what its cloud holds sends it nowhere)")
        } else if let Some((network, _)) = blocked {
            format!("no reply: the firewall of Google Cloud network {network} admits no ICMP from {from} (implied deny ingress) [GCP-FW]")
        } else {
            format!("no reply ({})", t.lines().find(|l| l.contains("packet loss")).unwrap_or("no answer").trim())
        };
        (false, why)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::env::var_os("LAB_KEEP").is_some() {
            eprintln!("lab kept: {} (namespaces: {:?})", self.tmp.0.display(), self.nets.names);
            std::mem::forget(std::mem::take(&mut self.nets.names));
            for c in std::mem::take(&mut self.daemons.children) {
                eprintln!("  daemon {} left running", c.id());
                std::mem::forget(c);
            }
        }
    }
}

/// One connection strongSwan plays for an emulated end (a cloud, or VyOS from its set commands).
struct Swan {
    name: String,
    /// 1 or 2 (0: either).
    version: u8,
    local: Ipv4Addr,
    remote: Ipv4Addr,
    local_id: String,
    remote_id: String,
    ike: String,
    esp: String,
    /// IKE SA and Child SA rekey times, when the end fixes them.
    lifetimes: Option<(u32, u32)>,
    start: bool,
    psk: String,
    /// Policy-based: one child per (local, remote) prefix pair; empty: one child, 0.0.0.0/0.
    selectors: Vec<(Ipv4Net, Ipv4Net)>,
}

/// The children of one emulated connection: one with 0.0.0.0/0 both ways, or one per prefix pair
/// of a policy-based end (IKEv1 carries one selector pair per Child SA), named by [`child_name`].
fn children(c: &Swan, rekey: &str) -> String {
    let any: Ipv4Net = "0.0.0.0/0".parse().unwrap();
    let pairs = if c.selectors.is_empty() { vec![(any, any)] } else { c.selectors.clone() };
    let mut s = String::new();
    for (k, (l, r)) in pairs.iter().enumerate() {
        let _ = write!(
            s,
            "      {} {{\n        local_ts = {l}\n        remote_ts = {r}\n        esp_proposals = {}\n{rekey}        start_action = {}\n      }}\n",
            child_name(&c.name, k),
            c.esp,
            if c.start { "start" } else { "none" },
        );
    }
    s
}

/// The name of a connection's `k`-th child: the connection's own name for the first.
fn child_name(conn: &str, k: usize) -> String {
    if k == 0 {
        conn.to_string()
    } else {
        format!("{conn}-{k}")
    }
}

/// Whether a charon log line says Child SA `child` established with selectors that cover
/// `local` and `remote` ("CHILD_SA c0{1} established with SPIs … and TS 10.1.0.0/16 === 10.2.0.0/16").
fn covers(line: &str, child: &str, (local, remote): (Ipv4Net, Ipv4Net)) -> bool {
    if !(line.contains(&format!("CHILD_SA {child}{{")) && line.contains("established")) {
        return false;
    }
    let Some((_, ts)) = line.split_once(" and TS ") else { return false };
    let Some((l, r)) = ts.split_once(" === ") else { return false };
    let has = |side: &str, want: Ipv4Net| {
        side.split_whitespace()
            .filter_map(|t| t.split('[').next()?.parse::<Ipv4Net>().ok())
            .any(|n| n.contains(&want.network()) && n.prefix_len() <= want.prefix_len())
    };
    has(l, local) && has(r, remote)
}

/// A swanctl.conf with `conns` and their keys.
fn swanctl_conf(conns: &[Swan]) -> String {
    let mut conf = String::from("connections {\n");
    let mut secrets = String::from("secrets {\n");
    for c in conns {
        let version = if c.version == 0 { String::new() } else { format!("    version = {}\n", c.version) };
        let (ike_rekey, child_rekey) = match c.lifetimes {
            Some((i, ch)) => (format!("    rekey_time = {i}s\n"), format!("        rekey_time = {ch}s\n")),
            None => (String::new(), String::new()),
        };
        let _ = write!(
            conf,
            "  {n} {{\n{version}    local_addrs = {l}\n    remote_addrs = {r}\n    proposals = {ike}\n{ike_rekey}    mobike = no\n    keyingtries = 0\n    dpd_delay = 5s\n\
             \x20   local {{\n      auth = psk\n      id = {lid}\n    }}\n    remote {{\n      auth = psk\n      id = {rid}\n    }}\n\
             \x20   children {{\n{children}    }}\n  }}\n",
            n = c.name,
            children = children(c, &child_rekey),
            l = c.local,
            r = c.remote,
            ike = c.ike,
            lid = c.local_id,
            rid = c.remote_id,
        );
        let _ = write!(
            secrets,
            "  ike-{} {{\n    id-1 = {}\n    id-2 = {}\n    secret = \"{}\"\n  }}\n",
            c.name, c.local_id, c.remote_id, c.psk
        );
    }
    conf.push_str("}\n");
    conf.push_str(&secrets);
    conf.push_str("}\n");
    conf
}

/// The FRR configuration of an emulated cloud speaker: its ASN, its neighbours (passive where the
/// platform never initiates), what it advertises, and no transit where the platform gives none.
fn emulated_frr(inst: &Instance, b: &world::Bgp) -> String {
    let mut s = format!(
        "frr defaults traditional\nhostname lab\nrouter bgp {}\n bgp router-id {}\n no bgp ebgp-requires-policy\n no bgp network import-check\n timers bgp {} {}\n",
        b.asn,
        inst.outside.first().copied().unwrap_or(Ipv4Addr::new(192, 0, 2, 254)),
        behaviour::BGP_KEEPALIVE,
        behaviour::BGP_HOLD
    );
    for n in &b.neighbors {
        let _ = writeln!(s, " neighbor {} remote-as {}\n neighbor {} update-source {}\n neighbor {} timers connect 1\n neighbor {} disable-connected-check", n.ip, n.asn, n.ip, n.source, n.ip, n.ip);
        if n.passive {
            let _ = writeln!(s, " neighbor {} passive", n.ip);
        }
    }
    s.push_str(" address-family ipv4 unicast\n");
    for p in &b.networks {
        let _ = writeln!(s, "  network {p}");
    }
    for n in &b.neighbors {
        let _ = writeln!(s, "  neighbor {} activate", n.ip);
        if !b.transit {
            let _ = writeln!(s, "  neighbor {} route-map own out", n.ip);
        }
    }
    s.push_str(" exit-address-family\n");
    if !b.transit {
        for (i, p) in b.networks.iter().enumerate() {
            let _ = writeln!(s, "ip prefix-list own seq {} permit {p}", 5 * (i + 1));
        }
        s.push_str("route-map own permit 10\n match ip address prefix-list own\n");
    }
    s
}

/// An EC2 security group (or an Azure NSG) as nft rules on the appliance's interface: stateful,
/// allow rules only, then drop [AWS-SG] [AZ-NSG]; decapsulated tunnel traffic is not on the interface.
/// A Google Cloud VPC firewall on a VM is the same kind of filter (ingress allow rules, then the
/// implied deny) [GCP-FW].
fn firewall_nft(table: &str, hook: &str, ingress: &[world::Rule]) -> String {
    let mut s = format!("table ip {table} {{\n chain input {{\n  type filter hook {hook}; policy accept;\n  iifname \"lo\" accept\n  iifname \"ipsec*\" accept\n  iifname \"vti*\" accept\n  ct state established,related accept\n");
    for (proto, ports, src) in ingress {
        let rule = match (proto.as_str(), ports) {
            ("-1", _) => String::new(),
            ("udp" | "17", Some((a, b))) => format!("udp dport {a}-{b} "),
            ("tcp" | "6", Some((a, b))) => format!("tcp dport {a}-{b} "),
            ("50" | "esp", _) => "meta l4proto esp ".to_string(),
            ("icmp" | "1", _) => "meta l4proto icmp ".to_string(),
            (p, _) => format!("meta l4proto {p} "),
        };
        let _ = writeln!(s, "  ip saddr {src} {rule}accept");
    }
    s.push_str("  drop\n }\n}\n");
    s
}

// ---- the promises ----------------------------------------------------------------------------------

/// The runbook's end-to-end pings: (link id, from, to).
pub fn runbook_pings(runbook: &str) -> Vec<(String, Ipv4Addr, Ipv4Addr)> {
    let re = regex::Regex::new(r"Link `([^`]+)`: from (\d+\.\d+\.\d+\.\d+) in .* to (\d+\.\d+\.\d+\.\d+) in").unwrap();
    runbook
        .lines()
        .filter_map(|l| re.captures(l))
        .filter_map(|c| Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?)))
        .collect()
}

/// Whether `name` names tunnel `id` (`…-aws-azure-t1`, not `…-t10`).
fn names(name: &str, id: &str) -> bool {
    name.match_indices(id).any(|(i, _)| {
        let before = name[..i].chars().last();
        let after = name[i + id.len()..].chars().next();
        before.is_none_or(|c| !c.is_ascii_alphanumeric()) && after.is_none_or(|c| !c.is_ascii_digit())
    })
}

/// A VNet-to-VNet connection names no tunnel: its emulated end says which instance of each
/// gateway it joins, `… (instance I to GATEWAY instance J)` (see `world`), as the tunnel's ends
/// name their gateways' outside addresses.
fn mesh_instances(label: &str) -> Option<(u8, u8)> {
    let re = regex::Regex::new(r"\(instance (\d+) to \S+ instance (\d+)\)$").unwrap();
    let c = re.captures(label)?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?))
}

/// Run the whole lab for `plan`: apply, build, IKE, links, BGP, routes, pings, redundancy.
pub fn run_plan(plan: &Plan, python: &Path, mutate: Option<Mutation>, failover: bool) -> Report {
    let t0 = Instant::now();
    let mut report = Report { plan: plan.name.clone(), ..Report::default() };
    let resolved = tunnelsmith::check::resolve(plan);
    let runbook = tunnelsmith::render::render(&resolved, &Default::default())
        .into_iter()
        .find(|a| a.path == "RUNBOOK.md")
        .map(|a| a.text)
        .unwrap_or_default();
    let pings = runbook_pings(&runbook);
    let applied = match apply(plan, python) {
        Ok(a) => a,
        Err(e) => {
            report.errors.push(e);
            return report;
        }
    };
    let mut lab = match Lab::new(plan, &applied, mutate) {
        Ok(l) => l,
        Err(e) => {
            report.errors.push(e);
            return report;
        }
    };
    let mut hosts: BTreeMap<String, Vec<Ipv4Addr>> = BTreeMap::new();
    let site_of_ip = |a: Ipv4Addr| {
        plan.sites
            .iter()
            .find(|s| s.address_spaces.iter().filter_map(|x| x.parse::<Ipv4Net>().ok()).any(|n| n.contains(&a)))
            .map(|s| s.name.clone())
    };
    for (_, from, to) in &pings {
        for a in [from, to] {
            if let Some(s) = site_of_ip(*a) {
                hosts.entry(s).or_default().push(*a);
            }
        }
    }
    for v in hosts.values_mut() {
        v.sort();
        v.dedup();
    }
    type Stage<'a> = &'a dyn Fn(&mut Lab) -> Result<(), String>;
    let steps: [Stage; 4] = [&|l| l.build(&hosts), &|l| l.ike(), &|l| l.links_up(), &|l| l.bgp()];
    for s in steps {
        if let Err(e) = s(&mut lab) {
            report.errors.push(e);
            report.secs = t0.elapsed().as_secs_f64();
            return report;
        }
    }
    report.daemons = lab.daemon_versions();
    // The promised tunnels, each matched to the pair of ends that holds it.
    let mut promised: Vec<(String, usize, Option<usize>)> = Vec::new(); // id, link, pair
    for (li, l) in resolved.links.iter().enumerate() {
        for t in &l.tunnels {
            let pair = lab.pairs.iter().position(|p| {
                let na = &lab.nodes[p.a.0];
                let nb = &lab.nodes[p.b.0];
                let sites = [na.site.as_str(), nb.site.as_str()];
                let ends = [&resolved.sites[l.a].name, &resolved.sites[l.b].name];
                (sites == [ends[0].as_str(), ends[1].as_str()] || sites == [ends[1].as_str(), ends[0].as_str()])
                    && (names(&na.ends[p.a.1].label, &t.id)
                        || names(&nb.ends[p.b.1].label, &t.id)
                        || [(na, p.a.1), (nb, p.b.1)].iter().any(|(n, e)| {
                            let x = usize::from(n.site != *ends[0]);
                            mesh_instances(&n.ends[*e].label) == Some((t.ends[x].outside, t.ends[1 - x].outside))
                        }))
            });
            promised.push((t.id.clone(), li, pair));
        }
    }
    let bgp_expected = promised
        .iter()
        .filter(|(_, li, p)| resolved.links[*li].routing == Routing::Bgp && p.is_some_and(|p| lab.pairs[p].up))
        .map(|(_, _, p)| {
            let p = &lab.pairs[p.unwrap()];
            [p.a.0, p.b.0].iter().filter(|&&n| lab.nodes[n].frr.is_some()).count()
        })
        .sum();
    if bgp_expected > 0 {
        lab.wait_bgp(bgp_expected);
    }
    let peers = lab.peers();
    // After a tunnel comes back, wait for as many sessions as before.
    let baseline = peers.iter().filter(|p| p.2 == "Established" && p.3 > 0).count();
    for (id, li, pair) in &promised {
        let l = &resolved.links[*li];
        let Some(p) = pair.map(|p| lab.pairs[p].clone()) else {
            let holders: Vec<String> = lab
                .nodes
                .iter()
                .flat_map(|n| {
                    n.ends
                        .iter()
                        .filter(|e| names(&e.label, id))
                        .map(move |e| format!("{} ({} → {})", e.label, e.public, e.remote))
                })
                .collect();
            report.tunnels.push(TunnelResult {
                id: id.clone(),
                ends: String::new(),
                up: false,
                why: if let Some((_, why)) =
                    lab.nodes.iter().flat_map(|n| n.refused.iter()).find(|(name, _)| names(name, id))
                {
                    why.clone()
                } else if holders.is_empty() {
                    "no gateway holds a connection for it".into()
                } else {
                    format!("its ends do not hold each other's addresses: {}", holders.join("; "))
                },
            });
            continue;
        };
        let ea = &lab.nodes[p.a.0].ends[p.a.1];
        let eb = &lab.nodes[p.b.0].ends[p.b.1];
        report.tunnels.push(TunnelResult {
            id: id.clone(),
            ends: format!("{} [{}] ↔ {} [{}]", ea.label, lab.nodes[p.a.0].label, eb.label, lab.nodes[p.b.0].label),
            up: p.up,
            why: p.why.clone(),
        });
        if l.routing != Routing::Bgp || !p.up {
            continue;
        }
        // The session across this tunnel, as each speaker sees it.
        let mut seen = false;
        for ((node, end), other) in [(p.a, p.b), (p.b, p.a)] {
            let n = &lab.nodes[node];
            if n.frr.is_none() {
                continue;
            }
            let o = &lab.nodes[other.0].ends[other.1];
            let me = &n.ends[end];
            let peer_ip = o.inside.map(|x| x.0);
            let found = peers
                .iter()
                .find(|(i, a, _, _)| *i == node && Some(*a) == peer_ip)
                .or_else(|| peers.iter().find(|(i, a, _, _)| *i == node && me.peer_inside == Some(*a)));
            let other_site = &lab.nodes[other.0].site;
            let want: Vec<Ipv4Net> = plan
                .sites
                .iter()
                .find(|s| &s.name == other_site)
                .map(|s| s.address_spaces.iter().filter_map(|a| a.parse().ok()).collect())
                .unwrap_or_default();
            match found {
                Some((_, a, state, _)) => {
                    seen = true;
                    let learned = lab.learned(node, *a);
                    let nets: Vec<Ipv4Net> = learned.iter().filter_map(|x| x.parse().ok()).collect();
                    let missing: Vec<String> = want
                        .iter()
                        .filter(|w| !nets.iter().any(|n| n.contains(*w) || w.contains(n)))
                        .map(|w| w.to_string())
                        .collect();
                    let ok = state == "Established" && missing.is_empty();
                    let why = if state != "Established" {
                        let mut why = bgp_why(&lab, node, *a);
                        // The ASN each end expects of the other, against the one it has.
                        let expects = lab.vtysh(node, "show bgp summary json")["ipv4Unicast"]["peers"][a.to_string()]
                            ["remoteAs"]
                            .as_u64();
                        let has = lab.nodes[other.0]
                            .frr
                            .as_ref()
                            .and_then(|_| lab.vtysh(other.0, "show bgp summary json")["ipv4Unicast"]["as"].as_u64());
                        if let (Some(x), Some(y)) = (expects, has) {
                            if x != y {
                                why = format!("it expects AS {x} of its peer, but the other end is AS {y}; {why}");
                            }
                        }
                        // Both ends waiting for the other to open the session.
                        let passive = |n: usize, peer: Option<Ipv4Addr>| {
                            peer.is_some_and(|p| {
                                lab.nodes[n].frr.as_ref().is_some_and(|f| f.contains(&format!("neighbor {p} passive")))
                            })
                        };
                        if passive(node, Some(*a)) && passive(other.0, me.inside.map(|x| x.0)) {
                            why = format!(
                                "both ends only wait for the other to open the session (passive), so it never starts{}; {why}",
                                if [node, other.0].iter().all(|&n| lab.nodes[n].kind == NodeKind::Cloud(Kind::AzureGateway)) {
                                    ": Azure does not initiate BGP toward APIPA peers [AZ-BGP-APIPA]"
                                } else {
                                    ""
                                }
                            );
                        }
                        match o.inside {
                            Some((oi, _)) if oi != *a => {
                                format!("it peers with {a}, but the other end's address on this tunnel is {oi}; {why}")
                            }
                            _ => why,
                        }
                    } else if !missing.is_empty() {
                        format!("did not learn {} from {other_site}", missing.join(", "))
                    } else {
                        String::new()
                    };
                    report.sessions.push(SessionResult {
                        tunnel: id.clone(),
                        speaker: n.label.clone(),
                        peer: a.to_string(),
                        state: state.clone(),
                        learned,
                        ok,
                        why,
                    });
                }
                None => {
                    report.sessions.push(SessionResult {
                        tunnel: id.clone(),
                        speaker: n.label.clone(),
                        peer: peer_ip.map(|x| x.to_string()).unwrap_or_else(|| "?".into()),
                        state: "not configured".into(),
                        learned: Vec::new(),
                        ok: false,
                        why: format!(
                            "no BGP neighbor at the other end's inside address {}",
                            peer_ip.map(|x| x.to_string()).unwrap_or_else(|| "(none)".into())
                        ),
                    });
                }
            }
        }
        if !seen && !report.sessions.iter().any(|s| &s.tunnel == id) {
            report.sessions.push(SessionResult {
                tunnel: id.clone(),
                speaker: "-".into(),
                peer: "-".into(),
                state: "no speaker".into(),
                learned: Vec::new(),
                ok: false,
                why: "neither end runs BGP on this tunnel".into(),
            });
        }
    }
    // Data plane: every runbook ping, then each with one redundant tunnel down.
    let notes = lab.route_sites().unwrap_or_else(|e| vec![e]);
    for (link, from, to) in &pings {
        let site = site_of_ip(*from).unwrap_or_default();
        let (ok, mut why) = lab.ping(&site, *from, *to);
        if !ok && !notes.is_empty() {
            why = format!("{why}; {}", notes.join("; "));
        }
        report.pings.push(PingResult { link: link.clone(), from: *from, to: *to, down: None, ok, expected: true, why });
    }
    if failover {
        for (link, from, to) in &pings {
            let site = site_of_ip(*from).unwrap_or_default();
            let up: Vec<(String, usize)> = promised
                .iter()
                .filter(|(_, li, p)| &resolved.links[*li].id == link && p.is_some_and(|p| lab.pairs[p].up))
                .map(|(id, _, p)| (id.clone(), p.unwrap()))
                .collect();
            if up.len() < 2 {
                continue;
            }
            let bgp_link = resolved.links.iter().any(|l| &l.id == link && l.routing == Routing::Bgp);
            let ping = PingResult {
                link: link.clone(),
                from: *from,
                to: *to,
                down: None,
                ok: false,
                expected: true,
                why: String::new(),
            };
            for (id, p) in &up {
                report.pings.push(lab.ping_without(
                    &[*p],
                    PingResult { down: Some(id.clone()), ..ping.clone() },
                    &site,
                ));
                // A static link's tunnels carry no BGP session: nothing to wait for.
                if baseline > 0 && bgp_link {
                    lab.wait_bgp(baseline);
                }
            }
            if resolved.links.len() == 1 {
                let all: Vec<usize> = up.iter().map(|(_, p)| *p).collect();
                report.pings.push(lab.ping_without(
                    &all,
                    PingResult { down: Some("every tunnel".into()), expected: false, ..ping },
                    &site,
                ));
            }
            if bgp_expected > 0 && bgp_link {
                lab.wait_bgp(baseline);
            }
            let _ = lab.route_sites();
        }
    }
    report.secs = t0.elapsed().as_secs_f64();
    report
}

/// Why a BGP session is not established, from bgpd's own account.
fn bgp_why(lab: &Lab, node: usize, peer: Ipv4Addr) -> String {
    let v = lab.vtysh(node, &format!("show bgp neighbors {peer} json"));
    let n = &v[peer.to_string()];
    let mut parts = Vec::new();
    if let Some(e) = n["lastErrorCodeSubcode"].as_str() {
        parts.push(format!("last error {e}"));
    }
    for k in ["lastNotificationReason", "lastResetDueTo", "connectionsEstablished"] {
        // FRR's reset reason before any session ever came up says nothing.
        if let Some(x) = n[k].as_str().filter(|x| !x.contains("No AFI/SAFI activated")) {
            parts.push(format!("{k}: {x}"));
        }
    }
    let log = read(&lab.nodes[node].dir.join("bgpd.log"));
    if let Some(l) = log.lines().rev().find(|l| {
        l.contains(&peer.to_string())
            && (l.contains("Bad Peer AS")
                || l.contains("bad OPEN")
                || l.contains("remote AS")
                || l.contains("NOTIFICATION"))
    }) {
        parts.push(l.split("BGP:").last().unwrap_or(l).trim().to_string());
    }
    if n["bgpState"].as_str() == Some("Active")
        && n["connectionsEstablished"].as_u64().unwrap_or(0) == 0
        && parts.is_empty()
    {
        parts.push("no TCP session: neither end connects (a passive end waits for the other)".into());
    }
    if parts.is_empty() {
        parts.push(format!("state {}", n["bgpState"].as_str().unwrap_or("?")));
    }
    parts.join("; ")
}

/// A policy-based end's tunnel is up only while its Child SA carries its prefix pair: an SA
/// narrowed to less (a /24 of the /16), or another child's, does not count.
#[test]
fn policy_based_selectors_must_cover_the_prefix_pair() {
    let pair: (Ipv4Net, Ipv4Net) = ("10.66.0.0/16".parse().unwrap(), "10.64.0.0/16".parse().unwrap());
    let line =
        |child: &str, ts: &str| format!("16[IKE] CHILD_SA {child}{{1}} established with SPIs c4_i e1_o and TS {ts}");
    assert!(covers(&line("c0", "10.66.0.0/16 === 10.64.0.0/16"), "c0", pair));
    assert!(covers(&line("c0", "0.0.0.0/0 === 10.64.0.0/16[tcp]"), "c0", pair));
    assert!(!covers(&line("c0", "10.66.0.0/16 === 10.64.1.0/24"), "c0", pair));
    assert!(!covers(&line("c0", "10.66.0.0/16 === 10.65.0.0/16"), "c0", pair));
    assert!(!covers(&line("c0-1", "10.66.0.0/16 === 10.64.0.0/16"), "c0", pair));
    assert!(!covers("16[IKE] CHILD_SA c0{1} state change: INSTALLING => DESTROYING", "c0", pair));
}
