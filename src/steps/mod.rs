//! `steps`: `Resolved → Vec<Step>`, every cloud action of the plan as data.
//!
//! A [`Step`] is one run of a cloud CLI (`aws`, `az`, `gcloud`): its argv (never a shell string),
//! the values it needs from earlier steps in any cloud ([`Part::Output`]), the pre-shared keys it
//! reads ([`Part::Secret`]), the value it captures from the CLI's own `--query`/`--format` output,
//! its dependencies, the resource it creates (tagged or labelled with the plan name, where the
//! platform has tags or labels) with the argv that deletes it, and for polls the condition it
//! waits for.
//!
//! Two renderings read this list: the bash scripts (`render::cloud`) and the native executor
//! (issue 8); teardown (issue 5) reads `creates`. [`order`] groups the steps into per-site
//! scripts in a run order that works across clouds.
//!
//! Nothing here decides what `check` did not: every address, ASN, /30, lifetime and algorithm
//! comes from [`Resolved`]; algorithm spellings come from [`crate::kb::dialects`].
#![deny(clippy::wildcard_enum_match_arm)]

mod aws;
mod azure;
mod gcp;
mod order;
mod recheck;
mod resource;
mod status;
pub mod update;

pub use order::{order, Script};

/// A plan's steps and their run order, computed once and shared by every generator that needs
/// them (cloud scripts, teardown, runbook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    pub steps: Vec<Step>,
    pub scripts: Vec<Script>,
}

/// [`steps`] and their [`order`].
pub fn ordered(r: &Resolved) -> Ordered {
    let steps = steps(r);
    let scripts = order(r, &steps);
    Ordered { steps, scripts }
}
pub use recheck::Check;
pub use resource::{KindFacts, ResourceKind, KINDS};
pub use status::{probes, Probe, Reads};

use crate::check::{RLink, RSite, RTunnel, Resolved};
use crate::plan::{Gateway, Platform};
use serde::Serialize;
use smallvec::{smallvec, SmallVec};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A step's stable id, `<site>/<what>`, e.g. `azure/gateway` or `aws/vpn-aws-azure-1`.
pub type StepId = String;

/// The command-line tool a step runs (its facts: `kb::clis`).
pub use crate::kb::clis::Program;

/// One piece of an argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Part {
    /// Literal text (most of it is fixed: flags and subcommands, which need no allocation).
    Text(Cow<'static, str>),
    /// A value from the plan, named so that a script can list it at the top (`AWS_REGION`).
    /// (Shared: a site's scripts name the same few values in most of their commands.)
    Param { name: Arc<str>, value: Arc<str> },
    /// A value captured by an earlier step (possibly on another cloud), by its name.
    Output(String),
    /// A pre-shared key, by its name in `secrets.env` (`PSK_AWS_AZURE_T1`).
    Secret(String),
    /// Only as an argument's first part: the rest of the argument (which holds a key) goes to
    /// the CLI in a file, never on its command line (where `/proc/*/cmdline` shows it to every
    /// local user). The rest is written to a new file only the user can read, and the argument
    /// is this scheme followed by the file's path: `file://` for aws (any parameter), `@` for az
    /// (any argument). The scripts use `secret_file`, the executor `apply::private`.
    FileOf(&'static str),
}

/// The parts of an argument. Most arguments have one, held inline.
pub type Parts = SmallVec<[Part; 1]>;

/// One argument: the concatenation of its parts (e.g. a JSON document with a key inside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arg(pub Parts);

impl From<Vec<Part>> for Arg {
    fn from(parts: Vec<Part>) -> Arg {
        Arg(Parts::from_vec(parts))
    }
}

impl Arg {
    /// An argument of one part.
    pub fn one(part: Part) -> Arg {
        Arg(smallvec![part])
    }

    /// Literal text.
    pub fn text(s: impl Into<Cow<'static, str>>) -> Arg {
        Arg::one(Part::Text(s.into()))
    }

    /// The argument with every value filled in, for display and tests: outputs and secrets
    /// are shown as `${NAME}`.
    pub fn display(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.to_string(),
                Part::Param { value, .. } => value.to_string(),
                Part::Output(n) | Part::Secret(n) => format!("${{{n}}}"),
                Part::FileOf(scheme) => format!("{scheme}<file> "),
            })
            .collect()
    }

    /// The scheme, when the argument goes to the CLI as a file ([`Part::FileOf`]).
    pub fn file_scheme(&self) -> Option<&'static str> {
        match self.0.first() {
            Some(Part::FileOf(scheme)) => Some(scheme),
            _ => None,
        }
    }

    /// The parts of the value: all but a leading [`Part::FileOf`].
    pub fn value_parts(&self) -> &[Part] {
        match self.0.first() {
            Some(Part::FileOf(_)) => &self.0[1..],
            _ => &self.0,
        }
    }

    /// Whether [`display`](Arg::display) is `s`, without making it.
    pub fn displays(&self, s: &str) -> bool {
        let mut rest = s;
        let mut take = |piece: &str| match rest.strip_prefix(piece) {
            Some(r) => {
                rest = r;
                true
            }
            None => false,
        };
        for p in &self.0 {
            let matched = match p {
                Part::Text(t) => take(t),
                Part::Param { value, .. } => take(value),
                Part::Output(n) | Part::Secret(n) => take("${") && take(n) && take("}"),
                Part::FileOf(scheme) => take(scheme) && take("<file> "),
            };
            if !matched {
                return false;
            }
        }
        rest.is_empty()
    }

    /// The argument's value with outputs and secrets taken from `values` (missing ones stay
    /// `${NAME}`). For an argument that goes as a file ([`Part::FileOf`]) this is what the file
    /// holds: the executor writes it to a private file and passes the scheme and the path.
    pub fn fill(&self, values: &BTreeMap<String, String>) -> String {
        self.value_parts()
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.to_string(),
                Part::Param { value, .. } => value.to_string(),
                Part::Output(n) | Part::Secret(n) => values.get(n).cloned().unwrap_or_else(|| format!("${{{n}}}")),
                Part::FileOf(_) => String::new(),
            })
            .collect()
    }
}

/// A value a step captures: the CLI's standard output (trimmed), selected by the `--query` /
/// `--format` arguments the step already carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capture {
    /// Name in `outputs.env`, e.g. `AZURE_GW_IP_1`.
    pub name: String,
    /// What it is, for people.
    pub about: String,
    /// Recorded once: when the value is already recorded (a script run again), the step does not
    /// run and the first value stays (e.g. whether a resource group existed before the first run).
    pub once: bool,
}

/// A poll: run the step's argv every `interval_secs` until its output equals `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wait {
    pub until: String,
    /// Outputs that mean it will never get there (e.g. `Failed`).
    pub fail_on: Vec<String>,
    pub interval_secs: u32,
    pub timeout_secs: u32,
    /// How long it usually takes. Long waits (ten minutes or more) are put off until the other
    /// clouds have had their turn: see [`order`].
    pub typical_secs: u32,
}

impl Wait {
    /// Worth running other clouds' scripts meanwhile.
    pub fn is_long(&self) -> bool {
        self.typical_secs >= 600
    }
}

/// A resource a step creates, and how to delete it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// What it is.
    pub kind: ResourceKind,
    /// Its name or the output holding its ID.
    pub name: String,
    /// The argv (program first) that deletes it; teardown runs these in reverse order.
    pub delete: Vec<Arg>,
    /// When it may be deleted at all: a resource the step may have found rather than made.
    pub only_if: Option<Guard>,
}

/// The condition under which a teardown deletes a resource; otherwise it leaves it and says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Guard {
    /// The output (recorded once, before the create) is `false`: the resource did not exist
    /// before the first run. Unrecorded counts as existing: nothing is deleted on a guess.
    NotExisting { output: String },
    /// The command (program first) prints `expect` (e.g. the network a subnet of this name is in).
    Prints { check: Vec<Arg>, expect: Arg },
}

impl Guard {
    /// Why a resource the guard stops is left, for people.
    pub fn why(&self) -> &'static str {
        match self {
            Guard::NotExisting { .. } => {
                "it existed before the scripts first ran (or outputs.env does not say that it did not)"
            }
            Guard::Prints { .. } => "it is not where this plan made it (already gone, or one of that name elsewhere)",
        }
    }
}

/// One cloud action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: StepId,
    /// Index of the site (in `Resolved::sites`) whose cloud the step acts on.
    pub site: usize,
    /// What the step does, printed as it runs.
    pub title: String,
    pub program: Program,
    /// Arguments after the program name.
    pub args: Vec<Arg>,
    pub capture: Option<Capture>,
    /// Steps that must have run first: every producer of an [`Part::Output`] this step reads,
    /// plus ordering the values do not show (e.g. a connection after its gateway is ready).
    pub after: Vec<StepId>,
    pub creates: Option<Resource>,
    pub wait: Option<Wait>,
    /// How to tell whether the step took effect without changing anything (for a step that was
    /// running when `apply` stopped); derived from the argv by [`recheck::derive`].
    pub check: Option<Check>,
}

impl Step {
    /// Outputs this step reads.
    pub fn inputs(&self) -> impl Iterator<Item = &str> {
        self.args.iter().flat_map(|a| &a.0).filter_map(|p| match p {
            Part::Output(n) => Some(n.as_str()),
            Part::Text(_) | Part::Param { .. } | Part::Secret(_) | Part::FileOf(_) => None,
        })
    }

    /// Pre-shared keys this step reads.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.args.iter().flat_map(|a| &a.0).filter_map(|p| match p {
            Part::Secret(n) => Some(n.as_str()),
            Part::Text(_) | Part::Param { .. } | Part::Output(_) | Part::FileOf(_) => None,
        })
    }

    /// Plan values this step reads, as (name, value).
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.args.iter().chain(self.creates.iter().flat_map(|r| &r.delete)).flat_map(|a| &a.0).filter_map(|p| match p {
            Part::Param { name, value } => Some((&**name, &**value)),
            Part::Text(_) | Part::Output(_) | Part::Secret(_) | Part::FileOf(_) => None,
        })
    }

    /// The command line for display: program and arguments, values shown as `${NAME}`.
    pub fn display(&self) -> String {
        std::iter::once(self.program.command().to_string())
            .chain(self.args.iter().map(Arg::display))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Every cloud step of the plan, in an order that respects `after` (for one site at a time;
/// [`order`] interleaves sites). Sites that are not on a cloud, or whose gateway cannot be
/// built (Classic VPN), have no steps. Deterministic.
///
/// ```
/// use tunnelsmith::check::analyze;
/// use tunnelsmith::presets::PRESETS;
/// use tunnelsmith::steps::{steps, Program};
///
/// // AWS, Azure and Google Cloud with BGP: steps for all three CLIs; within a site each step
/// // comes after the ones it waits for ([`order`] interleaves the sites); AWS starts with the VPC.
/// let p = PRESETS.iter().find(|p| p.id == "004-aws-azure-gcp-bgp").unwrap();
/// let all = steps(&analyze(&p.plan()).resolved);
/// for program in [Program::Aws, Program::Az, Program::Gcloud] {
///     assert!(all.iter().any(|s| s.program == program), "{program:?}");
/// }
/// for (i, s) in all.iter().enumerate() {
///     for a in &s.after {
///         let before = all[..i].iter().any(|e| e.id == *a);
///         let elsewhere = all.iter().any(|e| e.id == *a && e.site != s.site);
///         assert!(before || elsewhere, "{} runs before {a}", s.id);
///     }
/// }
/// let first = all.iter().find(|s| s.program == Program::Aws).unwrap();
/// assert!(first.display().starts_with("aws ec2 create-vpc"), "{}", first.display());
/// ```
pub fn steps(r: &Resolved) -> Vec<Step> {
    // Room for every step of a big plan (about ten per tunnel at most), so the list never moves.
    let tunnels: usize = r.links.iter().map(|l| l.tunnels.len()).sum();
    let mut b = Builder { steps: Vec::with_capacity(16 * r.sites.len() + 8 * tunnels) };
    for (i, s) in r.sites.iter().enumerate() {
        match (s.platform, &s.gateway) {
            (_, Gateway::GcpClassicVpn {}) | (Platform::Onprem, _) => {}
            (Platform::Aws, _) => aws::site(&mut b, r, i),
            (Platform::Azure, _) => azure::site(&mut b, r, i),
            (Platform::Gcp, _) => gcp::site(&mut b, r, i),
        }
    }
    b.finish()
}

/// Collects steps and fills in the dependencies their outputs imply.
#[derive(Default)]
pub(crate) struct Builder {
    steps: Vec<Step>,
}

impl Builder {
    /// Add a step; returns it for `capture`, `creates`, `after` and `wait`.
    pub(crate) fn add(
        &mut self,
        site: usize,
        id: impl Into<String>,
        title: impl Into<String>,
        program: Program,
        args: Vec<Arg>,
    ) -> &mut Step {
        self.steps.push(Step {
            id: id.into(),
            site,
            title: title.into(),
            program,
            args,
            capture: None,
            after: Vec::new(),
            creates: None,
            wait: None,
            check: None,
        });
        self.steps.last_mut().expect("just pushed")
    }

    /// The step `id`, added earlier (panics if there is none: a bug in a platform module).
    pub(crate) fn last_mut_of(&mut self, id: &str) -> &mut Step {
        self.steps.iter_mut().rev().find(|s| s.id == id).expect("a step added earlier")
    }

    fn finish(mut self) -> Vec<Step> {
        // (step, the step that produces a value it reads), found before any step changes.
        let implied: Vec<(usize, usize)> = {
            let producers: BTreeMap<&str, usize> = (self.steps.iter().enumerate())
                .filter_map(|(j, s)| s.capture.as_ref().map(|c| (c.name.as_str(), j)))
                .collect();
            (self.steps.iter().enumerate())
                .flat_map(|(i, s)| s.inputs().filter_map(|n| producers.get(n)).map(move |&j| (i, j)))
                .collect()
        };
        for (i, j) in implied {
            let (s, id) = (&self.steps[i], &self.steps[j].id);
            if !s.after.contains(id) && *id != s.id {
                let id = id.clone();
                self.steps[i].after.push(id);
            }
        }
        for s in &mut self.steps {
            s.check = recheck::derive(s);
        }
        self.steps
    }
}

impl Step {
    pub(crate) fn capture(&mut self, name: impl Into<String>, about: impl Into<String>) -> &mut Step {
        self.capture = Some(Capture { name: name.into(), about: about.into(), once: false });
        self
    }

    /// The capture is recorded once ([`Capture::once`]).
    pub(crate) fn once(&mut self) -> &mut Step {
        if let Some(c) = &mut self.capture {
            c.once = true;
        }
        self
    }

    pub(crate) fn creates(&mut self, kind: ResourceKind, name: impl Into<String>, delete: Vec<Arg>) -> &mut Step {
        self.creates = Some(Resource { kind, name: name.into(), delete, only_if: None });
        self
    }

    /// The teardown deletes what the step creates only under `guard`.
    pub(crate) fn only_if(&mut self, guard: Guard) -> &mut Step {
        if let Some(r) = &mut self.creates {
            r.only_if = Some(guard);
        }
        self
    }

    pub(crate) fn after(&mut self, id: impl Into<String>) -> &mut Step {
        let id = id.into();
        if !self.after.contains(&id) {
            self.after.push(id);
        }
        self
    }

    pub(crate) fn wait(
        &mut self,
        until: &str,
        fail_on: &[&str],
        interval_secs: u32,
        timeout_secs: u32,
        typical_secs: u32,
    ) -> &mut Step {
        self.wait = Some(Wait {
            until: until.to_string(),
            fail_on: fail_on.iter().map(|s| s.to_string()).collect(),
            interval_secs,
            timeout_secs,
            typical_secs,
        });
        self
    }
}

// ---- helpers shared by the platform modules ----------------------------------------------------

/// Literal argument.
pub(crate) fn t(s: impl Into<Cow<'static, str>>) -> Arg {
    Arg::text(s)
}

/// A run of literal arguments.
pub(crate) fn ts(words: &[&'static str]) -> Vec<Arg> {
    words.iter().map(|w| Arg::text(*w)).collect()
}

/// A plan value named at the top of the script.
pub(crate) fn param(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Arg {
    Arg::one(Part::Param { name: name.into(), value: value.into() })
}

/// A value captured by an earlier step.
pub(crate) fn out(name: impl Into<String>) -> Arg {
    Arg::one(Part::Output(name.into()))
}

/// A pre-shared key.
pub(crate) fn secret(name: impl Into<String>) -> Arg {
    Arg::one(Part::Secret(name.into()))
}

/// An argument the CLI reads from a private file (see [`Part::FileOf`]): `parts` with the
/// scheme in front.
pub(crate) fn via_file(scheme: &'static str, parts: Arg) -> Arg {
    let mut v = vec![Part::FileOf(scheme)];
    v.extend(parts.0);
    Arg::from(v)
}

/// The parts of several arguments joined into one.
pub(crate) fn cat(args: Vec<Arg>) -> Arg {
    Arg(args.into_iter().flat_map(|a| a.0).collect())
}

/// `NAME` form of a site name for variable names: `us-west` → `US_WEST`.
pub(crate) fn var(site: &str) -> String {
    site.chars().map(|c| if c == '-' { '_' } else { c.to_ascii_uppercase() }).collect()
}

/// `<head><sep><what>`, made in one string with room for it (`format!` would grow it twice).
pub(crate) fn joined(head: &str, sep: char, what: impl std::fmt::Display) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(head.len() + 48);
    s.push_str(head);
    s.push(sep);
    let _ = write!(s, "{what}");
    s
}

/// Which end of the link `site` is (0 = a, 1 = b).
pub(crate) fn end_of(l: &RLink, site: usize) -> usize {
    if l.a == site {
        0
    } else {
        1
    }
}

/// What end `e` of a link creates for the other end (`kb::pairing`); `None` when they cannot meet.
pub(crate) fn object(l: &RLink, e: usize) -> Option<crate::kb::pairing::PeerObject> {
    l.pairing.map(|c| c.object[e])
}

/// The links of a site, with its end and the other site.
pub(crate) fn links_of(r: &Resolved, site: usize) -> impl Iterator<Item = (&RLink, usize, &RSite)> {
    r.links.iter().filter(move |l| l.a == site || l.b == site).map(move |l| {
        let e = end_of(l, site);
        (l, e, &r.sites[l.site(1 - e)])
    })
}

/// The output holding the public address of `site`'s outside address `outside` (for AWS: the
/// tunnel `tunnel`'s outside address), or a literal for a self-managed appliance with a known
/// public IP. `None` when the site cannot present one (a Classic VPN site).
pub(crate) fn public_address(r: &Resolved, site: usize, tunnel: &RTunnel, end: usize) -> Option<Arg> {
    let s = &r.sites[site];
    let v = var(&s.name);
    match &s.gateway {
        Gateway::AwsVgw { .. } | Gateway::AwsTgw { .. } => Some(out(format!("{v}_IP_{}", var(&tunnel.id)))),
        Gateway::AzureVpnGateway { .. } => Some(out(format!("{v}_GW_IP_{}", tunnel.ends[end].outside + 1))),
        Gateway::GcpHaVpn { .. } => Some(out(format!("{v}_GW_IP_{}", tunnel.ends[end].outside + 1))),
        Gateway::Appliance { public_ip, .. } if !public_ip.is_empty() => {
            Some(param(format!("{v}_PUBLIC_IP"), public_ip.clone()))
        }
        Gateway::Appliance { .. } if s.platform != Platform::Onprem => Some(out(format!("{v}_PUBLIC_IP"))),
        Gateway::GcpClassicVpn { .. } | Gateway::Appliance { .. } => None,
    }
}

/// The step id prefix of a site.
pub(crate) fn sid(r: &Resolved, site: usize, what: impl std::fmt::Display) -> String {
    joined(&r.sites[site].name, '/', what)
}

/// The name every resource of a site starts with: `<plan>-<site>`.
pub(crate) fn prefix(r: &Resolved, site: usize) -> String {
    format!("{}-{}", r.plan_name, r.sites[site].name)
}

/// What every cloud's step builder knows of the site it builds: the plan, the site's index, its
/// shell-variable stem (`AWS`, `DC_EAST`, …) and the name its resources start with. Each cloud's
/// `Ctx` adds the arguments its CLI repeats and derefs to this.
pub(crate) struct SiteCtx<'r> {
    pub(crate) r: &'r Resolved,
    pub(crate) site: usize,
    pub(crate) v: String,
    pub(crate) prefix: String,
}

impl<'r> SiteCtx<'r> {
    pub(crate) fn new(r: &'r Resolved, site: usize) -> Self {
        SiteCtx { r, site, v: var(&r.sites[site].name), prefix: prefix(r, site) }
    }

    /// A step id of this site: `<site>/<what>`.
    pub(crate) fn id(&self, what: impl std::fmt::Display) -> String {
        sid(self.r, self.site, what)
    }

    /// A captured output's variable: `<STEM>_<what>`.
    pub(crate) fn out(&self, what: impl std::fmt::Display) -> String {
        joined(&self.v, '_', what)
    }
}

/// The address spaces of a site as strings.
pub(crate) fn spaces(s: &RSite) -> Vec<String> {
    s.address_spaces.iter().map(|n| n.to_string()).collect()
}

#[cfg(test)]
mod tests;
