//! Drift: the clouds read back and compared with what apply made and with the plan, for `plan`,
//! `apply` (which then sets things back) and `status`.
//!
//! Read back: every resource apply created and every route, router interface, BGP peer and
//! IPsec policy it set (by its step's own check, the same describe or show that finds it after
//! a crash: "not found" means it was deleted outside Tunnelsmith); each AWS VPN connection's
//! tunnel options (algorithms, DH groups, lifetimes, inside CIDRs, DPD, startup action); and the
//! settings [`super::readback`] reads: Azure VPN gateways (ASN, SKU, VPN type, custom APIPA BGP
//! addresses), local network gateways and connections (BGP, IPsec policy, DPD, custom APIPA BGP
//! addresses), AWS virtual private gateways' and customer gateways' ASNs (and a customer
//! gateway's address), Google Cloud Routers with their interfaces and BGP
//! peers, Cloud VPN tunnels (IKE version, peer, ciphers) and firewall rules, and routes (AWS VPC
//! and transit gateway, Azure, Google); one read per resource answers all of its steps. Not read
//! back: pre-shared keys (Google Cloud never returns a tunnel's secret, and Tunnelsmith does not
//! ask the others for theirs), and the settings of the other resources beyond their existence
//! ([`NOT_READ`]); a step a check found done in a run that did not record it, and whose settings
//! are not read back, is named.
//!
//! [`refresh`] folds what was read into the state (as `terraform refresh` does): a resource
//! deleted outside is no longer recorded, so the diff creates it again; one whose settings were
//! changed outside records what it has, so the diff updates it in place (or replaces it where
//! the cloud cannot update it).

use super::commands::Session;
use super::readback;
use super::run::{self, Call, Class};
use super::state::State;
use super::time::now;
use super::tools::Tool;
use crate::steps::update::{self, Attr};
use crate::steps::{Arg, Check};

use std::collections::BTreeMap;

/// What the clouds hold that differs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drift {
    /// Steps whose resource is gone (deleted outside Tunnelsmith), with what it was.
    pub gone: Vec<(String, String)>,
    /// Steps whose resource differs: the attributes (live → planned).
    pub differs: Vec<(String, Vec<Attr>)>,
    /// For those: the inputs that describe what the cloud has (for the diff).
    live: BTreeMap<String, Vec<String>>,
    /// What could not be read (and why).
    pub unread: Vec<String>,
    /// Steps whose settings were read back (their record now says what the cloud holds).
    read: Vec<String>,
}

/// What is never compared.
pub const NOT_READ: &str = "pre-shared keys are not read back (Google Cloud never returns a tunnel's secret; \
                            Tunnelsmith does not ask AWS or Azure for theirs): `rotate-keys` sets them all; \
                            nor are, beyond their existence, the settings of AWS transit gateways (their \
                            Amazon-side ASN: Tunnelsmith has no update for it) and their attachments, a virtual \
                            private gateway's attachment to its VPC, an Azure VPN gateway's public IPs and \
                            active-active mode, Google HA VPN and external VPN gateways, networks, subnets, \
                            addresses, network interfaces, security groups and their rules, route tables and \
                            their associations, and the tags and descriptions of any resource";

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.gone.is_empty() && self.differs.is_empty()
    }

    /// The drift as text lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("No drift: every resource apply made is there");
            out.push_str(if self.unread.is_empty() { ", and what was read back matches the plan.\n" } else { ".\n" });
        } else {
            out.push_str("Drift (changed outside Tunnelsmith):\n");
            for (id, what) in &self.gone {
                out.push_str(&format!("  {id}: {what} was deleted outside Tunnelsmith; apply makes it again\n"));
            }
            for (id, attrs) in &self.differs {
                out.push_str(&format!("  {id}: differs from the plan; apply sets it back\n"));
                for a in attrs {
                    out.push_str(&format!("      {}: {} in the cloud, {} in the plan\n", a.name, a.old, a.new));
                }
            }
        }
        for u in &self.unread {
            out.push_str(&format!("  not read: {u}\n"));
        }
        out.push_str(&format!("  ({NOT_READ}.)\n"));
        out
    }
}

/// Read the clouds back: every created resource of a done step, and AWS tunnel options.
pub(crate) fn read(
    s: &Session,
    state: &State,
    tools: &BTreeMap<String, Tool>,
    env: &[(String, String)],
    jobs: usize,
) -> Drift {
    let mut work: Vec<usize> = (0..s.steps.len())
        .filter(|&i| state.is_done(&s.steps[i].id))
        .filter(|&i| {
            let st = &s.steps[i];
            let found = matches!(st.check, Some(Check::Describe { .. }))
                && (st.creates.is_some() || update::undo(st).is_some());
            // A step whose settings are read back (some, like a `vpn-connection update`, have no
            // check of their own: the read says what they set).
            found
                || readback::reader(st.program.command(), &update::inputs(st, &state.outputs), made(st, state))
                    .is_some()
        })
        .collect();
    work.reverse();
    let queue = std::sync::Mutex::new(work);
    let out = std::sync::Mutex::new(Drift::default());
    let reads = Reads::default();
    std::thread::scope(|sc| {
        for _ in 0..jobs.max(1) {
            sc.spawn(|| loop {
                let Some(i) = queue.lock().ok().and_then(|mut q| q.pop()) else { return };
                let found = look(s, state, tools, env, &reads, i);
                if let Ok(mut d) = out.lock() {
                    match found {
                        Look::Gone(what) => d.gone.push((s.steps[i].id.clone(), what)),
                        Look::Differs(attrs, live) => {
                            d.live.insert(s.steps[i].id.clone(), live);
                            d.differs.push((s.steps[i].id.clone(), attrs));
                        }
                        Look::Unread(why) => d.unread.push(format!("{}: {why}", s.steps[i].id)),
                        Look::Same => {}
                        Look::Read => d.read.push(s.steps[i].id.clone()),
                    }
                }
            });
        }
    });
    let mut d = out.into_inner().unwrap_or_default();
    d.read.extend(d.live.keys().cloned());
    // Steps a check found done in a run that did not record them carry the plan's inputs, not
    // what they ran with: those read back now have their record; the others are named.
    for st in s.steps.iter().filter(|st| state.is_done(&st.id)) {
        let assumed = state.steps.get(&st.id).is_some_and(|x| x.assumed);
        if assumed && !d.read.contains(&st.id) && !d.gone.iter().any(|(g, _)| g == &st.id) {
            d.unread.push(format!(
                "{}: found in the cloud by apply (a run stopped before recording it); its settings are not read \
                 back, so the plan's are assumed",
                st.id
            ));
        }
    }
    d.gone.sort();
    d.differs.sort_by(|a, b| a.0.cmp(&b.0));
    d.unread.sort();
    d
}

enum Look {
    /// There, and nothing of it is read back beyond that.
    Same,
    /// There, its settings read back, and they match the plan.
    Read,
    Gone(String),
    Differs(Vec<Attr>, Vec<String>),
    Unread(String),
}

fn call(step: &str, program: &str, tool: &Tool, args: &[Arg], values: &BTreeMap<String, String>) -> Call {
    let filled: Vec<String> = args.iter().map(|a| a.fill(values)).collect();
    Call {
        step: step.to_string(),
        program: program.to_string(),
        exe: tool.exe.clone(),
        shown: run::line(std::iter::once(program.to_string()).chain(filled.iter().cloned())),
        args: filled,
        // A read-back passes no key, so nothing goes as a file.
        files: Vec::new(),
    }
}

/// The answers of the read-backs run so far, by command: several steps of one resource (a
/// connection and its policy and `--set`s, a Cloud Router and its interfaces and peers, the
/// routes of one table) ask the same, and it is run once (the others wait for its answer).
#[derive(Default)]
struct Reads(std::sync::Mutex<BTreeMap<Vec<String>, std::sync::Arc<std::sync::OnceLock<run::Outcome>>>>);

impl Reads {
    fn get(&self, args: &[String], run: impl FnOnce() -> run::Outcome) -> run::Outcome {
        let cell = match self.0.lock() {
            Ok(mut m) => m.entry(args.to_vec()).or_default().clone(),
            Err(_) => return run(),
        };
        cell.get_or_init(run).clone()
    }
}

fn look(
    s: &Session,
    state: &State,
    tools: &BTreeMap<String, Tool>,
    env: &[(String, String)],
    reads: &Reads,
    i: usize,
) -> Look {
    let st = &s.steps[i];
    let program = st.program.command();
    let Some(tool) = tools.get(program) else { return Look::Unread(format!("{program} is not on PATH")) };
    // A step whose settings are read back: that read also says whether it is there.
    let planned = update::inputs(st, &state.outputs);
    if let Some(r) = readback::reader(program, &planned, made(st, state)) {
        return settings(st, state, tool, env, reads, r, planned);
    }
    let Some(Check::Describe { args, contains }) = &st.check else { return Look::Same };
    let o = run::run(&call(&format!("drift {}", st.id), program, tool, args, &state.outputs), env, &mut |_| {});
    let present = o.ok()
        && o.value()
            .is_some_and(|v| contains.as_ref().is_none_or(|w| v.split([';', ',', '\t', ' ', '\n']).any(|x| x == w)));
    if !present {
        return if o.ok() || run::classify(program, &o) == Class::NotFound {
            Look::Gone(what(st, state))
        } else {
            Look::Unread(o.reason())
        };
    }
    // AWS VPN connections: the tunnel options, read back.
    if program == "aws" && st.args.get(1).is_some_and(|a| a.displays("create-vpn-connection")) {
        return aws_tunnels(st, state, tool, env);
    }
    Look::Same
}

/// The ID a step captured when it made its resource (AWS reads a gateway back by it).
fn made<'a>(st: &crate::steps::Step, state: &'a State) -> Option<&'a str> {
    st.capture.as_ref().and_then(|c| state.outputs.get(&c.name)).map(String::as_str)
}

/// What a step made or set, in words.
fn what(st: &crate::steps::Step, state: &State) -> String {
    // A step that makes nothing of its own (a route, a BGP peer, a policy) by what it does.
    st.creates
        .as_ref()
        .map(|c| format!("{} {}", c.kind, state.outputs.get(&c.name).unwrap_or(&c.name)))
        .unwrap_or_else(|| format!("what \"{}\" set", st.title))
}

/// The settings of a step the cloud returns (read by `r`), against the plan's (`planned`).
fn settings(
    st: &crate::steps::Step,
    state: &State,
    tool: &Tool,
    env: &[(String, String)],
    reads: &Reads,
    r: readback::Read,
    planned: Vec<String>,
) -> Look {
    let program = st.program.command();
    let args: Vec<Arg> = r.args.iter().map(|w| Arg::text(w.clone())).collect();
    let key: Vec<String> = std::iter::once(program.to_string()).chain(r.args.iter().cloned()).collect();
    let o = reads.get(&key, || {
        run::run(&call(&format!("drift {}", st.id), program, tool, &args, &state.outputs), env, &mut |_| {})
    });
    if !o.ok() && run::classify(program, &o) == Class::NotFound {
        return Look::Gone(what(st, state));
    }
    let answer = serde_json::from_str::<serde_json::Value>(o.stdout.trim());
    let (true, Ok(answer)) = (o.ok(), answer) else {
        return Look::Unread(format!("its settings could not be read ({}): {}", run::line(r.args), o.reason()));
    };
    let Some(have) = readback::live(r.kind, &planned, &answer) else {
        return Look::Gone(what(st, state));
    };
    let live = readback::with_live(&planned, &have);
    if live == planned {
        return Look::Read;
    }
    Look::Differs(update::diff(&live, &planned), live)
}

/// The tunnel options an AWS VPN connection has, against the plan's (keys excluded).
fn aws_tunnels(st: &crate::steps::Step, state: &State, tool: &Tool, env: &[(String, String)]) -> Look {
    let Some(vpn) = st.capture.as_ref().and_then(|c| state.outputs.get(&c.name)) else { return Look::Same };
    let region =
        st.args.iter().position(|a| a.displays("--region")).and_then(|k| st.args.get(k + 1)).map(|a| a.display());
    let mut args: Vec<Arg> = ["ec2", "describe-vpn-connections"].iter().map(|w| Arg::text(*w)).collect();
    if let Some(r) = region {
        args.extend([Arg::text("--region"), Arg::text(r)]);
    }
    args.extend(
        ["--vpn-connection-ids", vpn, "--query", "VpnConnections[0].Options.TunnelOptions", "--output", "json"]
            .iter()
            .map(|w| Arg::text(w.to_string())),
    );
    let o = run::run(&call(&format!("drift {}", st.id), "aws", tool, &args, &state.outputs), env, &mut |_| {});
    let Ok(live) = serde_json::from_str::<serde_json::Value>(o.stdout.trim()) else {
        return Look::Unread(format!("the tunnel options of {vpn} could not be read: {}", o.reason()));
    };
    let planned_inputs = update::inputs(st, &state.outputs);
    let Some(k) = planned_inputs.iter().position(|a| a == "--options") else { return Look::Same };
    // The options go as a private file: compare what the file holds.
    let (before, recorded, after) = update::file_value(&planned_inputs[k + 1]);
    let Ok(planned) = serde_json::from_str::<serde_json::Value>(recorded) else { return Look::Same };
    let mut seen = planned.clone();
    let (Some(p), Some(l)) = (seen["TunnelOptions"].as_array_mut(), live.as_array()) else { return Look::Same };
    for (t, lt) in p.iter_mut().zip(l) {
        let Some(obj) = t.as_object_mut() else { continue };
        for (key, v) in obj.iter_mut() {
            if key == "PreSharedKey" {
                continue;
            }
            if let Some(x) = lt.get(key) {
                *v = x.clone();
            }
        }
    }
    if seen == planned {
        return Look::Read;
    }
    let mut live_inputs = planned_inputs.clone();
    live_inputs[k + 1] = format!("{before}{seen}{after}");
    let attrs = update::diff(&live_inputs, &planned_inputs);
    Look::Differs(attrs, live_inputs)
}

/// Read the drift when the plan was applied from here and its CLIs are on PATH (no login is
/// checked: a read that fails is listed as not read), and fold it into `state`. `Err` says why
/// nothing was read.
pub(crate) fn refreshed(s: &Session, state: &mut State, jobs: usize) -> Result<Drift, String> {
    let programs = s.programs(0..s.steps.len());
    let env = super::commands::child_env();
    let tools = super::tools::find(&programs, &env).map_err(|p| p.join("; "))?;
    let d = read(s, state, &tools, &env, jobs);
    refresh(s, state, &d);
    Ok(d)
}

/// Fold the drift into `state` (in memory; the caller saves it or not): gone resources are no
/// longer recorded, drifted ones record what the cloud has.
pub(crate) fn refresh(s: &Session, state: &mut State, d: &Drift) {
    for (id, _) in &d.gone {
        for c in state.created.iter_mut().filter(|c| &c.step == id && c.deleted.is_none()) {
            c.deleted = Some(format!("{} (outside Tunnelsmith)", now()));
        }
        state.steps.remove(id);
        if let Some(cap) = s.steps.iter().find(|x| &x.id == id).and_then(|x| x.capture.as_ref()) {
            state.outputs.remove(&cap.name);
        }
    }
    for (id, live) in &d.live {
        if let Some(st) = state.steps.get_mut(id) {
            st.inputs = Some(live.clone());
        }
    }
    for id in &d.read {
        if let Some(st) = state.steps.get_mut(id) {
            st.assumed = false;
        }
    }
}
