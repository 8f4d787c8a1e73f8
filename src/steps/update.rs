//! Day 2: what a step's resource does when the plan changes under it.
//!
//! `apply` records, for every step that ran, the arguments it ran with ([`inputs`]: outputs of
//! earlier steps filled in, keys by name only). When the plan changes, the same step's arguments
//! differ from that record; [`change`] says, per command, whether the cloud can take the new
//! values in place (and with which of its own commands), whether running the step again does it
//! (a read, a `--set`, an Azure create, which is a PUT), or whether the resource must be deleted
//! and made again, and why. A step that is no longer in the plan and created nothing of its own
//! (a route, a Cloud Router interface or BGP peer) is taken back by [`undo`].
//!
//! Sources, per rule: [AWS-API] (`ModifyVpnTunnelOptionsSpecification`), [AWS-API-MVTO],
//! [AWS-API-VGW], [AWS-API-TGW], [AWS-API-CGWMOD], [AWS-VPC-CIDR], [AZ-CLI-IPSEC-CLEAR], [AZ-CLI-PUT],
//! [AZ-CLI-KEY], [GCLOUD-TUN-UPD], [GCLOUD-RTR-UPD], [GCLOUD-FW-UPD], [GCP-PEER] (see
//! `docs/kb-sources.md`).

use super::{Arg, Check, Part, Program, Step, Wait};
use std::collections::{BTreeMap, BTreeSet};

/// One attribute that differs between what a step ran with and what the plan says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The flag, and inside a JSON value the path to the field (`--options.TunnelOptions[0].…`).
    pub name: String,
    pub old: String,
    pub new: String,
}

/// How a changed step reaches the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// Run the step's own command again: it reads, sets, or (Azure) PUTs the whole resource.
    Rerun { why: &'static str },
    /// The cloud's own update commands, in order (waits included), instead of the step.
    Update { steps: Vec<Step>, source: &'static str },
    /// Delete it (its recorded delete command, or [`undo`]) and run the step again.
    Replace { why: &'static str, source: &'static str },
}

/// What changed and how it will be carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub attrs: Vec<Attr>,
    pub how: How,
}

/// An argument as the state records it and people see it: plan values and captured outputs
/// filled in (outputs not known shown as `${NAME}`), keys only by name, so no key ever reaches
/// the record.
pub fn shown(a: &Arg, outputs: &BTreeMap<String, String>) -> String {
    let value: String = a
        .value_parts()
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.to_string(),
            Part::Param { value, .. } => value.to_string(),
            Part::Output(n) => outputs.get(n).cloned().unwrap_or_else(|| format!("${{{n}}}")),
            Part::Secret(n) => format!("${{{n}}}"),
            Part::FileOf(_) => String::new(),
        })
        .collect();
    // An argument that goes as a private file shows as `SCHEME<file: VALUE>`.
    match a.file_scheme() {
        Some(scheme) => format!("{scheme}<file: {value}>"),
        None => value,
    }
}

/// The record of what `step` runs with, given the outputs known now.
pub fn inputs(step: &Step, outputs: &BTreeMap<String, String>) -> Vec<String> {
    step.args.iter().map(|a| shown(a, outputs)).collect()
}

/// The attributes that differ between two records of the same step.
pub fn diff(old: &[String], new: &[String]) -> Vec<Attr> {
    let (a, b) = (fields(old), fields(new));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let none = "(none)".to_string();
    let mut out: Vec<Attr> = names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .map(|n| Attr {
            name: n.clone(),
            old: a.get(n).unwrap_or(&none).clone(),
            new: b.get(n).unwrap_or(&none).clone(),
        })
        .collect();
    out.sort_by(|x, y| x.name.cmp(&y.name));
    out
}

/// `name → value` of a record: the leading words as `command`, each flag with its values (a
/// repeated flag numbered from its second use: `--set#2`), and JSON values down to their leaves.
fn fields(args: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() && !args[i].starts_with("--") {
        words.push(args[i].as_str());
        i += 1;
    }
    out.insert("command".to_string(), words.join(" "));
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    while i < args.len() {
        let flag = args[i].as_str();
        i += 1;
        let mut vals = Vec::new();
        while i < args.len() && !args[i].starts_with("--") {
            vals.push(args[i].as_str());
            i += 1;
        }
        let n = seen.entry(flag).or_insert(0);
        *n += 1;
        let name = if *n == 1 { flag.to_string() } else { format!("{flag}#{n}") };
        // A switch (`--enable-bgp`) shows as set, against `(none)` where it is not given.
        let value = if vals.is_empty() { "(set)".to_string() } else { vals.join(" ") };
        // An argument that goes as a private file: compare what the file holds.
        let (_, inner, _) = file_value(&value);
        match serde_json::from_str::<serde_json::Value>(inner) {
            Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => leaves(&name, &v, &mut out),
            _ => {
                out.insert(name, value);
            }
        }
    }
    out
}

/// A recorded argument split as `(before, value, after)`: an argument that goes as a private
/// file is recorded as `SCHEME<file: VALUE>` ([`shown`]), any other is its value alone.
pub fn file_value(recorded: &str) -> (&str, &str, &str) {
    const OPEN: &str = "<file: ";
    match recorded.find(OPEN).filter(|&i| recorded.ends_with('>') && !recorded[..i].contains(' ')) {
        Some(i) => (&recorded[..i + OPEN.len()], &recorded[i + OPEN.len()..recorded.len() - 1], ">"),
        None => ("", recorded, ""),
    }
}

fn leaves(path: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| leaves(&format!("{path}.{k}"), x, out)),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(&format!("{path}[{i}]"), x, out)),
        serde_json::Value::String(s) => {
            out.insert(path.to_string(), s.clone());
        }
        other @ (serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_)) => {
            out.insert(path.to_string(), other.to_string());
        }
    }
}

/// The flag an attribute belongs to (`--options` for `--options.TunnelOptions[0].X`).
fn flag_of(name: &str) -> &str {
    let end = name.find(['.', '#', '[']).unwrap_or(name.len());
    &name[..end]
}

/// The literal text of an argument, if it is all text.
fn text(a: &Arg) -> Option<&str> {
    match a.0.as_slice() {
        [Part::Text(t)] => Some(t),
        _ => None,
    }
}

/// The arguments of `flag` (up to the next flag).
fn values<'a>(args: &'a [Arg], flag: &str) -> Option<&'a [Arg]> {
    let i = args.iter().position(|a| text(a) == Some(flag))?;
    let end = (i + 1..args.len()).find(|&j| text(&args[j]).is_some_and(|t| t.starts_with("--"))).unwrap_or(args.len());
    Some(&args[i + 1..end])
}

/// The flag and its arguments, if the step has it.
fn with(args: &[Arg], flag: &'static str) -> Vec<Arg> {
    match values(args, flag) {
        Some(v) => std::iter::once(Arg::text(flag)).chain(v.iter().cloned()).collect(),
        None => Vec::new(),
    }
}

/// The words before the first flag.
fn command(args: &[Arg]) -> Vec<&str> {
    args.iter().map_while(|a| text(a).filter(|t| !t.starts_with("--"))).collect()
}

/// A step the executor runs in place of `base` (an update or one of its waits).
fn sub(base: &Step, what: &str, title: String, program: Program, args: Vec<Arg>) -> Step {
    Step {
        id: format!("{}#{what}", base.id),
        site: base.site,
        title,
        program,
        args,
        capture: None,
        after: Vec::new(),
        creates: None,
        wait: None,
        // Every update sets values: running it again is harmless.
        check: Some(Check::Rerun),
    }
}

/// An argument from text in which `${NAME}` marks a key (`PSK_…`) or an output.
fn arg_of(text: &str) -> Arg {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let Some(j) = rest[i..].find('}') else { break };
        if i > 0 {
            parts.push(Part::Text(rest[..i].to_string().into()));
        }
        let name = rest[i + 2..i + j].to_string();
        parts.push(if name.starts_with("PSK_") { Part::Secret(name) } else { Part::Output(name) });
        rest = &rest[i + j + 1..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(Part::Text(rest.to_string().into()));
    }
    Arg::from(parts)
}

/// How `step` reaches the plan from what it ran with (`old`) to what it would run with now
/// (`new`); `steps` is the whole plan (for the values a command needs from other steps).
/// `None` when nothing differs.
pub fn change(step: &Step, old: &[String], new: &[String], steps: &[Step]) -> Option<Change> {
    let attrs = diff(old, new);
    if attrs.is_empty() {
        return None;
    }
    let flags: BTreeSet<&str> = attrs.iter().map(|a| flag_of(&a.name)).collect();
    let how = how(step, &flags, &attrs, steps);
    Some(Change { attrs, how })
}

/// The flags of `routers add-bgp-peer` that `routers update-bgp-peer` also takes [GCLOUD-RTR-UPD].
const PEER_UPDATABLE: &[&str] = &[
    "--peer-asn",
    "--peer-ip-address",
    "--interface",
    "--advertisement-mode",
    "--set-advertisement-ranges",
    "--advertised-route-priority",
];

fn only(flags: &BTreeSet<&str>, allowed: &[&str]) -> bool {
    flags.iter().all(|f| allowed.contains(f))
}

fn replace(why: &'static str, source: &'static str) -> How {
    How::Replace { why, source }
}

fn how(step: &Step, flags: &BTreeSet<&str>, attrs: &[Attr], steps: &[Step]) -> How {
    let a = &step.args;
    let cmd = command(a);
    if step.wait.is_some() {
        return How::Rerun { why: "a wait: it looks again" };
    }
    match step.program {
        Program::Aws => {
            let op = cmd.get(1).copied().unwrap_or("");
            match op {
                "create-vpn-connection" if only(flags, &["--options"]) => aws_tunnel_options(step, attrs, steps)
                    .unwrap_or(replace(
                        "its routing type (static or BGP) or its number of tunnels changed: a VPN connection keeps \
                         them for life; ModifyVpnConnectionOptions changes only its traffic selectors",
                        "[AWS-API-MVTO]",
                    )),
                "create-vpn-connection" => replace(
                    "its customer gateway or gateway changed: this tool makes a new connection",
                    "[AWS-API-CGWMOD]",
                ),
                "create-customer-gateway" => replace(
                    "a customer gateway cannot be modified (its address and ASN are fixed; EC2 has no \
                     ModifyCustomerGateway)",
                    "[AWS-API-CGWMOD]",
                ),
                "create-vpn-gateway" => replace(
                    "the Amazon-side ASN of a virtual private gateway cannot be changed (EC2 has no \
                         ModifyVpnGateway)",
                    "[AWS-API-VGWMOD]",
                ),
                "create-transit-gateway" => replace(
                    "the Amazon-side ASN of a transit gateway cannot change while VPN attachments exist",
                    "[AWS-API-TGW]",
                ),
                "create-vpc" | "create-subnet" => {
                    replace("a VPC's or subnet's CIDR block cannot be changed", "[AWS-VPC-CIDR]")
                }
                "create-route" => route_again(step, "delete-route", "--route-table-id", "[AWS-VPC-CIDR]"),
                // A transit gateway route table holds one route per destination
                // (RouteAlreadyExists): a route to another attachment is taken out, then made.
                "create-transit-gateway-route" => route_again(
                    step,
                    "delete-transit-gateway-route",
                    "--transit-gateway-route-table-id",
                    "[AWS-TGW-RT]",
                ),
                _ if step.creates.is_some() => replace("this resource has no update operation here", "[AWS-API]"),
                _ => How::Rerun { why: "it reads or sets a value" },
            }
        }
        Program::Az => {
            let what = cmd.get(1..cmd.len().saturating_sub(1)).map(|w| w.join(" ")).unwrap_or_default();
            let verb = cmd.last().copied().unwrap_or("");
            match (what.as_str(), verb) {
                ("vpn-connection ipsec-policy", "add") => {
                    let mut clear = vec![
                        Arg::text("network"),
                        Arg::text("vpn-connection"),
                        Arg::text("ipsec-policy"),
                        Arg::text("clear"),
                    ];
                    clear.extend(with(a, "--resource-group"));
                    clear.extend(with(a, "--connection-name"));
                    clear.extend(super::azure::query("provisioningState"));
                    let mut again = step.clone();
                    again.id = format!("{}#add", step.id);
                    again.check = Some(Check::Rerun);
                    How::Update {
                        steps: vec![
                            sub(step, "clear", format!("{} (clear the old policy)", step.title), Program::Az, clear),
                            again,
                        ],
                        source: "[AZ-CLI-IPSEC-CLEAR]",
                    }
                }
                ("vpn-connection", "create") if only(flags, &["--shared-key", "--enable-bgp", "--tags"]) => {
                    let mut steps = Vec::new();
                    let name = values(a, "--name").map(|v| v.to_vec()).unwrap_or_default();
                    if flags.contains("--shared-key") {
                        steps.push(az_shared_key(step));
                    }
                    if flags.contains("--enable-bgp") || flags.contains("--tags") {
                        let mut u = vec![Arg::text("network"), Arg::text("vpn-connection"), Arg::text("update")];
                        u.extend(with(a, "--resource-group"));
                        u.push(Arg::text("--name"));
                        u.extend(name.iter().cloned());
                        u.extend([
                            Arg::text("--enable-bgp"),
                            Arg::text(if values(a, "--enable-bgp").is_some() { "true" } else { "false" }),
                        ]);
                        u.extend(with(a, "--tags"));
                        u.extend(super::azure::query("provisioningState"));
                        steps.push(sub(step, "update", format!("{} (BGP, tags)", step.title), Program::Az, u));
                    }
                    How::Update { steps, source: "[AZ-CLI-KEY]" }
                }
                ("vpn-connection", "create") => {
                    replace("the gateways of an existing connection cannot be changed", "[AZ-CLI-PUT]")
                }
                // The ASN and the SKU (within a family: not to or from Basic) change in place
                // [AZ-GW-UPD]; the rest is fixed when the gateway is made.
                ("vnet-gateway", "create") if only(flags, &["--asn", "--sku", "--tags"]) && !basic_resize(attrs) => {
                    let mut u = vec![Arg::text("network"), Arg::text("vnet-gateway"), Arg::text("update")];
                    u.extend(with(a, "--resource-group"));
                    u.extend(with(a, "--name"));
                    for f in ["--asn", "--sku", "--tags"] {
                        if flags.contains(f) {
                            u.extend(with(a, f));
                        }
                    }
                    u.extend(super::azure::query("provisioningState"));
                    How::Update {
                        steps: vec![sub(step, "update", format!("{} (ASN, SKU)", step.title), Program::Az, u)],
                        source: "[AZ-GW-UPD]",
                    }
                }
                ("vnet-gateway", "create") => replace(
                    "a VPN gateway's VPN type, gateway type, public IPs and active-active mode are fixed, and a Basic \
                     SKU cannot be resized: only a new gateway changes them (about 45 minutes, every connection down \
                     meanwhile)",
                    "[AZ-SKU]",
                ),
                (_, "create") if flags.contains("--location") => {
                    replace("an Azure resource's location is fixed when it is created", "[AZ-CLI-PUT]")
                }
                (_, "create") => {
                    How::Rerun { why: "an Azure create is a PUT: the same name again updates it in place" }
                }
                _ => How::Rerun { why: "it reads or sets a value" },
            }
        }
        Program::Gcloud => {
            // `gcloud beta compute …` (a release track) changes which flags the CLI takes, not
            // what the resource is.
            let track = usize::from(matches!(cmd.first(), Some(&("beta" | "alpha"))));
            let what = cmd.get(1 + track..3 + track).map(|w| w.join(" ")).unwrap_or_default();
            let name = a.get(3 + track).cloned();
            let changed = |allowed: &[&'static str]| -> Vec<Arg> {
                allowed.iter().filter(|f| flags.contains(**f)).flat_map(|f| with(a, f)).collect()
            };
            match what.as_str() {
                "vpn-tunnels create" => replace(
                    "a Cloud VPN tunnel cannot be changed: its shared secret, IKE version, peer and ciphers are set \
                     when it is made (gcloud's update changes labels only)",
                    "[GCLOUD-TUN-UPD]",
                ),
                "routers create"
                    if only(
                        flags,
                        &[
                            "--asn",
                            "--advertisement-mode",
                            "--set-advertisement-ranges",
                            "--set-advertisement-groups",
                            "--keepalive-interval",
                            "--description",
                        ],
                    ) =>
                {
                    let mut u = vec![Arg::text("compute"), Arg::text("routers"), Arg::text("update")];
                    u.extend(name);
                    u.extend(with(a, "--region"));
                    u.extend(changed(&[
                        "--asn",
                        "--advertisement-mode",
                        "--set-advertisement-ranges",
                        "--set-advertisement-groups",
                        "--keepalive-interval",
                    ]));
                    u.extend([Arg::text("--format"), Arg::text("value(name)")]);
                    How::Update {
                        steps: vec![sub(step, "update", format!("{} (update)", step.title), Program::Gcloud, u)],
                        source: "[GCLOUD-RTR-UPD]",
                    }
                }
                "routers add-bgp-peer" if only(flags, PEER_UPDATABLE) => {
                    let mut u = vec![Arg::text("compute"), Arg::text("routers"), Arg::text("update-bgp-peer")];
                    u.extend(name);
                    u.extend(with(a, "--region"));
                    u.extend(with(a, "--peer-name"));
                    u.extend(changed(PEER_UPDATABLE));
                    u.extend([Arg::text("--format"), Arg::text("value(name)")]);
                    How::Update {
                        steps: vec![sub(step, "update", format!("{} (update)", step.title), Program::Gcloud, u)],
                        source: "[GCLOUD-RTR-UPD]",
                    }
                }
                "firewall-rules create" if !flags.contains("--network") && !flags.contains("--direction") => {
                    let mut u = vec![Arg::text("compute"), Arg::text("firewall-rules"), Arg::text("update")];
                    u.extend(name);
                    u.extend(changed(&[
                        "--source-ranges",
                        "--allow",
                        "--description",
                        "--priority",
                        "--destination-ranges",
                        "--target-tags",
                    ]));
                    u.extend([Arg::text("--format"), Arg::text("value(name)")]);
                    How::Update {
                        steps: vec![sub(step, "update", format!("{} (update)", step.title), Program::Gcloud, u)],
                        source: "[GCLOUD-FW-UPD]",
                    }
                }
                "external-vpn-gateways create" => {
                    replace("an external VPN gateway's interfaces and addresses cannot be changed", "[GCP-PEER]")
                }
                _ if step.creates.is_some() || undo(step).is_some() => {
                    replace("this resource has no update operation for these attributes", "[GCLOUD-RTR-UPD]")
                }
                _ => How::Rerun { why: "it reads a value" },
            }
        }
    }
}

/// A SKU change to or from Basic: Azure resizes a gateway only within its SKU family [AZ-GW-UPD].
fn basic_resize(attrs: &[Attr]) -> bool {
    attrs
        .iter()
        .any(|x| x.name == "--sku" && (x.old.eq_ignore_ascii_case("basic") || x.new.eq_ignore_ascii_case("basic")))
}

/// An AWS route whose target changed: `delete` (the old route, by table and destination), then
/// the step's own create again.
fn route_again(step: &Step, delete: &'static str, table: &'static str, source: &'static str) -> How {
    let a = &step.args;
    let mut del = vec![Arg::text("ec2"), Arg::text(delete)];
    del.extend(with(a, "--region"));
    del.extend(with(a, table));
    del.extend(with(a, "--destination-cidr-block"));
    let remove = sub(step, delete, format!("{} (remove the old route)", step.title), Program::Aws, del);
    let mut again = step.clone();
    again.id = format!("{}#{}", step.id, command(a).get(1).copied().unwrap_or("create"));
    again.check = Some(Check::Rerun);
    How::Update { steps: vec![remove, again], source }
}

/// In-place update of an AWS VPN connection's tunnels: `modify-vpn-tunnel-options` for each
/// tunnel whose options changed (AWS modifies one tunnel at a time; the connection is
/// `modifying` meanwhile), each followed by a wait until the connection is `available` again,
/// so a redundant tunnel is never touched while its sibling is down. `None` when the routing
/// type or the number of tunnels changed (not modifiable).
fn aws_tunnel_options(step: &Step, attrs: &[Attr], steps: &[Step]) -> Option<How> {
    let changed: BTreeSet<usize> = attrs
        .iter()
        .map(|x| x.name.strip_prefix("--options.TunnelOptions[").and_then(|r| r.split(']').next()?.parse().ok()))
        .collect::<Option<_>>()?;
    if changed.iter().any(|k| attrs.iter().any(|x| x.name == format!("--options.TunnelOptions[{k}]"))) {
        return None;
    }
    let vpn = step.capture.as_ref()?.name.clone();
    let ips = aws_tunnel_ips(&vpn, steps);
    let options = values(&step.args, "--options")?.first()?;
    let doc: serde_json::Value = serde_json::from_str(&options.fill(&BTreeMap::new())).ok()?;
    let tunnels = doc.get("TunnelOptions")?.as_array()?;
    if ips.len() != tunnels.len() {
        return None;
    }
    let mut out = Vec::new();
    for k in changed {
        out.extend(aws_modify(step, k, &serde_json::to_string(tunnels.get(k)?).ok()?, &vpn, ips[k]));
    }
    Some(How::Update { steps: out, source: "[AWS-API-MVTO] [AWS-API]" })
}

/// `modify-vpn-tunnel-options` for tunnel `k` (0-based) of the connection `step` made, with the
/// tunnel options `spec` (JSON, keys as `${PSK_…}`), then a wait until the connection is
/// `available` again.
fn aws_modify(step: &Step, k: usize, spec: &str, vpn: &str, ip: &str) -> Vec<Step> {
    let mut m = vec![Arg::text("ec2"), Arg::text("modify-vpn-tunnel-options")];
    m.extend(with(&step.args, "--region"));
    m.extend([Arg::text("--vpn-connection-id"), Arg::one(Part::Output(vpn.to_string()))]);
    m.extend([Arg::text("--vpn-tunnel-outside-ip-address"), Arg::one(Part::Output(ip.to_string()))]);
    // The options hold the key: from a private file (`file://`), never on the command line.
    m.extend([Arg::text("--tunnel-options"), super::via_file("file://", arg_of(spec))]);
    m.extend([
        Arg::text("--query"),
        Arg::text("VpnConnection.VpnConnectionId"),
        Arg::text("--output"),
        Arg::text("text"),
    ]);
    let modify =
        sub(step, &format!("modify-t{}", k + 1), format!("Modify tunnel {} of {}", k + 1, step.title), Program::Aws, m);
    let mut w = vec![Arg::text("ec2"), Arg::text("describe-vpn-connections")];
    w.extend(with(&step.args, "--region"));
    w.extend([Arg::text("--vpn-connection-ids"), Arg::one(Part::Output(vpn.to_string()))]);
    w.extend([Arg::text("--query"), Arg::text("VpnConnections[0].State"), Arg::text("--output"), Arg::text("text")]);
    let mut wait =
        sub(step, &format!("modified-t{}", k + 1), format!("Wait until tunnel {} is back", k + 1), Program::Aws, w);
    wait.wait = Some(Wait {
        until: "available".into(),
        fail_on: vec!["deleted".into()],
        interval_secs: 10,
        timeout_secs: 1800,
        typical_secs: 120,
    });
    vec![modify, wait]
}

/// The steps that read the outside address of each tunnel of the AWS connection `vpn`, in
/// tunnel order.
fn aws_tunnel_ips<'a>(vpn: &str, steps: &'a [Step]) -> Vec<&'a str> {
    steps
        .iter()
        .filter(|s| {
            s.capture.is_some()
                && s.inputs().any(|n| n == vpn)
                && s.args.iter().any(|a| a.displays("describe-vpn-connections"))
        })
        .filter_map(|s| s.capture.as_ref().map(|c| c.name.as_str()))
        .collect()
}

/// `az network vpn-connection shared-key update` for the connection `step` made.
fn az_shared_key(step: &Step) -> Step {
    let a = &step.args;
    let mut k = vec![Arg::text("network"), Arg::text("vpn-connection"), Arg::text("shared-key"), Arg::text("update")];
    k.extend(with(a, "--resource-group"));
    k.push(Arg::text("--connection-name"));
    k.extend(values(a, "--name").unwrap_or_default().iter().cloned());
    k.push(Arg::text("--value"));
    k.extend(values(a, "--shared-key").unwrap_or_default().iter().cloned());
    k.extend([Arg::text("--query"), Arg::text("id"), Arg::text("--output"), Arg::text("tsv")]);
    sub(step, "shared-key", format!("{} (new shared key)", step.title), Program::Az, k)
}

/// The commands that give the end `step` made a new key `psk` in place (the key itself comes
/// from the values at run time): AWS modifies that one tunnel's `PreSharedKey` and waits until
/// the connection is back [AWS-API-MVTO]; Azure updates the connection's shared key
/// [AZ-CLI-KEY]. `None` where a key cannot change in place: a Google Cloud tunnel is made again
/// [GCLOUD-TUN-UPD].
pub fn rekey(step: &Step, psk: &str, steps: &[Step]) -> Option<Vec<Step>> {
    match step.program {
        Program::Aws => {
            let vpn = step.capture.as_ref()?.name.clone();
            let doc: serde_json::Value =
                serde_json::from_str(&values(&step.args, "--options")?.first()?.fill(&BTreeMap::new())).ok()?;
            let marker = format!("${{{psk}}}");
            let k = doc
                .get("TunnelOptions")?
                .as_array()?
                .iter()
                .position(|t| t.get("PreSharedKey").and_then(|v| v.as_str()) == Some(marker.as_str()))?;
            let ips = aws_tunnel_ips(&vpn, steps);
            let spec = serde_json::json!({ "PreSharedKey": marker }).to_string();
            Some(aws_modify(step, k, &spec, &vpn, ips.get(k)?))
        }
        Program::Az if values(&step.args, "--shared-key").is_some() => Some(vec![az_shared_key(step)]),
        Program::Az | Program::Gcloud => None,
    }
}

/// The command (program first) that takes back a step that created nothing of its own, when
/// the step leaves the plan: a route, a Cloud Router interface or BGP peer. `None` for steps
/// whose effect goes with the resource they act on (an IPsec policy, a `--set`, a read).
pub fn undo(step: &Step) -> Option<Vec<Arg>> {
    let a = &step.args;
    let cmd = command(a);
    let mut out = vec![Arg::text(step.program.command())];
    match (step.program, cmd.as_slice()) {
        (Program::Aws, ["ec2", "create-route"]) => {
            out.extend([Arg::text("ec2"), Arg::text("delete-route")]);
            out.extend(with(a, "--region"));
            out.extend(with(a, "--route-table-id"));
            out.extend(with(a, "--destination-cidr-block"));
        }
        (Program::Aws, ["ec2", "create-transit-gateway-route"]) => {
            out.extend([Arg::text("ec2"), Arg::text("delete-transit-gateway-route")]);
            out.extend(with(a, "--region"));
            out.extend(with(a, "--transit-gateway-route-table-id"));
            out.extend(with(a, "--destination-cidr-block"));
        }
        (Program::Gcloud, ["compute", "routers", "add-interface"]) => {
            out.extend([Arg::text("compute"), Arg::text("routers"), Arg::text("remove-interface"), a.get(3)?.clone()]);
            out.extend(with(a, "--region"));
            out.extend(with(a, "--interface-name"));
            out.push(Arg::text("--quiet"));
        }
        (Program::Gcloud, ["compute", "routers", "add-bgp-peer"]) => {
            out.extend([Arg::text("compute"), Arg::text("routers"), Arg::text("remove-bgp-peer"), a.get(3)?.clone()]);
            out.extend(with(a, "--region"));
            out.extend(with(a, "--peer-name"));
            out.push(Arg::text("--quiet"));
        }
        _ => return None,
    }
    Some(out)
}

/// Which of two undos runs first: BGP peers before the interfaces they use, before routes.
pub fn undo_rank(delete: &[String]) -> u8 {
    match delete.get(3).map(String::as_str) {
        Some("remove-bgp-peer") => 0,
        Some("remove-interface") => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::analyze;
    use crate::presets::find;

    fn seed(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<Step> {
        let mut v: serde_json::Value =
            serde_json::from_str(&find("004-aws-azure-gcp-bgp").unwrap().plan().to_json_pretty()).unwrap();
        edit(&mut v);
        let plan = crate::plan::Plan::from_json(&v.to_string()).unwrap();
        super::super::steps(&analyze(&plan).resolved)
    }

    fn record(steps: &[Step]) -> BTreeMap<String, Vec<String>> {
        let outputs: BTreeMap<String, String> = steps
            .iter()
            .filter_map(|s| s.capture.as_ref())
            .map(|c| (c.name.clone(), format!("id-{}", c.name.to_lowercase())))
            .collect();
        steps.iter().map(|s| (s.id.clone(), inputs(s, &outputs))).collect()
    }

    #[test]
    fn tightened_crypto_on_aws_is_modified_tunnel_by_tunnel_and_azure_policy_cleared_then_added() {
        let before = seed(|_| {});
        let after = seed(|v| {
            v["links"][0]["crypto"] = serde_json::json!({"phase1_encryption": "aes128", "phase2_lifetime": 1800})
        });
        let (old, new) = (record(&before), record(&after));
        let vpn = after.iter().find(|s| s.id == "aws/vpn-aws-azure-1").unwrap();
        let c = change(vpn, &old[&vpn.id], &new[&vpn.id], &after).expect("changed");
        assert!(
            c.attrs.iter().any(|a| a.name == "--options.TunnelOptions[0].Phase1EncryptionAlgorithms[0].Value"
                && a.old == "AES256"
                && a.new == "AES128"),
            "{:?}",
            c.attrs
        );
        let How::Update { steps, .. } = &c.how else { panic!("{:?}", c.how) };
        let shown: Vec<String> = steps.iter().map(|s| s.display()).collect();
        assert_eq!(shown.len(), 4, "{shown:#?}");
        assert!(shown[0].starts_with("aws ec2 modify-vpn-tunnel-options --region us-east-1 --vpn-connection-id ${AWS_VPN_AWS_AZURE_1} --vpn-tunnel-outside-ip-address ${AWS_IP_AWS_AZURE_T1} --tunnel-options file://<file> {"), "{}", shown[0]);
        assert!(shown[0].contains("\"PreSharedKey\":\"${PSK_AWS_AZURE_T1}\""), "{}", shown[0]);
        assert!(steps[0].secrets().any(|k| k == "PSK_AWS_AZURE_T1"), "the key stays a secret part");
        assert!(steps[1].wait.is_some() && shown[2].contains("${AWS_IP_AWS_AZURE_T2}"));
        let pol = after.iter().find(|s| s.id == "azure/policy-aws-azure-t1").unwrap();
        let c = change(pol, &old[&pol.id], &new[&pol.id], &after).expect("changed");
        let How::Update { steps, .. } = &c.how else { panic!("{:?}", c.how) };
        assert!(
            steps[0].display().starts_with("az network vpn-connection ipsec-policy clear --resource-group"),
            "{}",
            steps[0].display()
        );
        // Links not edited are untouched.
        let other = after.iter().find(|s| s.id == "aws/vpn-aws-gcp-1").unwrap();
        assert_eq!(change(other, &old[&other.id], &new[&other.id], &after), None);
    }

    #[test]
    fn google_tunnels_customer_gateways_and_gateways_are_replaced_with_the_reason() {
        let before = seed(|_| {});
        let after = seed(|v| v["sites"][2]["gateway"]["asn"] = serde_json::json!(65010));
        let (old, new) = (record(&before), record(&after));
        let router = after.iter().find(|s| s.id == "gcp/router").unwrap();
        let c = change(router, &old[&router.id], &new[&router.id], &after).expect("changed");
        let How::Update { steps, .. } = &c.how else { panic!("{:?} {:?}", c.how, c.attrs) };
        assert!(
            steps[0].display().contains("compute routers update multicloud-gcp-router --region us-east1 --asn 65010"),
            "{}",
            steps[0].display()
        );
        let cgw = after.iter().find(|s| s.id == "aws/cgw-gcp-1").unwrap();
        let c = change(cgw, &old[&cgw.id], &new[&cgw.id], &after).expect("changed");
        assert!(matches!(c.how, How::Replace { .. }), "{:?}", c.how);
        let tun = before.iter().find(|s| s.id.starts_with("gcp/tunnel-")).unwrap();
        let mut other = old[&tun.id].clone();
        let i = other.iter().position(|a| a == "--ike-version").unwrap();
        other[i + 1] = "1".into();
        let c = change(tun, &other, &old[&tun.id], &before).expect("changed");
        assert!(matches!(c.how, How::Replace { why, .. } if why.contains("cannot be changed")), "{:?}", c.how);
    }

    #[test]
    fn an_azure_gateway_s_asn_and_sku_are_updated_in_place_its_vpn_type_or_a_basic_sku_replaced() {
        let steps = seed(|_| {});
        let rec = record(&steps);
        let gw = steps.iter().find(|s| s.id == "azure/gateway").unwrap();
        let planned = &rec[&gw.id];
        let live = |flag: &str, value: &str| {
            let mut l = planned.clone();
            let i = l.iter().position(|a| a == flag).unwrap();
            l[i + 1] = value.into();
            l
        };
        let mut drifted = live("--asn", "65515");
        let i = drifted.iter().position(|a| a == "--sku").unwrap();
        drifted[i + 1] = "VpnGw2AZ".into();
        let c = change(gw, &drifted, planned, &steps).expect("changed");
        let How::Update { steps: up, .. } = &c.how else { panic!("{:?}", c.how) };
        let shown = up[0].display();
        assert!(
            shown.starts_with(
                "az network vnet-gateway update --resource-group multicloud-azure-rg --name multicloud-azure-gw --asn "
            ) && shown.contains(" --sku VpnGw1AZ")
                && !shown.contains("--vpn-type"),
            "{shown}"
        );
        let c = change(gw, &live("--vpn-type", "PolicyBased"), planned, &steps).expect("changed");
        assert!(matches!(c.how, How::Replace { why, .. } if why.contains("VPN type")), "{:?}", c.how);
        let c = change(gw, &live("--sku", "Basic"), planned, &steps).expect("changed");
        assert!(matches!(c.how, How::Replace { why, .. } if why.contains("Basic")), "{:?}", c.how);
    }

    #[test]
    fn undo_takes_back_routes_interfaces_and_peers() {
        let steps = seed(|_| {});
        let peer = steps.iter().find(|s| s.id.starts_with("gcp/bgp-")).unwrap();
        let u: Vec<String> = undo(peer).unwrap().iter().map(|a| a.display()).collect();
        assert_eq!(&u[..4], &["gcloud", "compute", "routers", "remove-bgp-peer"]);
        assert!(u.contains(&"--peer-name".to_string()));
        let policy = steps.iter().find(|s| s.id.starts_with("azure/policy-")).unwrap();
        assert_eq!(undo(policy), None);
    }
}
