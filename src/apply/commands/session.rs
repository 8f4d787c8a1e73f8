//! What every command starts from: the options, the plan checked and turned into steps and a
//! task graph (steps, then one task per appliance site), the state it loads, which tasks count as
//! done, the preflight (tools and logins) and the question before anything changes.

use crate::apply::appliance::{self, Appliance};
use crate::apply::engine::{self, Task};
use crate::apply::run;
use crate::apply::state::State;
use crate::apply::time::scale;
use crate::apply::tools::{self, Tool};
use crate::apply::ui::Ui;
use crate::apply::Exit;
use crate::check::{analyze, Resolved};
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::steps::{self, Program, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// What the commands were given.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The plan file (for naming the default state folder and in messages).
    pub plan_path: PathBuf,
    /// `--state DIR`; default `<plan dir>/<plan file stem>.state`.
    pub state: Option<PathBuf>,
    /// `--secrets FILE`; default `secrets.env` beside the plan.
    pub secrets: Option<PathBuf>,
    pub jobs: usize,
    pub yes: bool,
    pub dry_run: bool,
    /// `--ssh SITE=USER@HOST`, repeatable.
    pub ssh: Vec<(String, String)>,
    pub json: bool,
    /// `rotate-keys --tunnel NAME`, repeatable (none: every tunnel).
    pub tunnels: Vec<String>,
}

impl Options {
    pub fn state_dir(&self) -> PathBuf {
        if let Some(d) = &self.state {
            return d.clone();
        }
        let stem = self.plan_path.file_stem().and_then(|s| s.to_str()).unwrap_or("tunnelsmith-plan");
        let dir = self.plan_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        dir.join(format!("{stem}.state"))
    }

    pub fn secrets_file(&self) -> PathBuf {
        if let Some(f) = &self.secrets {
            return f.clone();
        }
        let dir = self.plan_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        dir.join(crate::render::vars::SECRETS_FILE)
    }

    pub(crate) fn shown_plan(&self) -> String {
        run::line([self.plan_path.display().to_string()])
    }
}

/// The plan, its steps and the task graph (steps, then one task per appliance site).
pub(crate) struct Session {
    pub plan: Plan,
    pub r: Resolved,
    pub steps: Vec<Step>,
    pub appliances: Vec<Appliance>,
    pub tasks: Vec<Task>,
    pub phase: Vec<usize>,
    pub dir: PathBuf,
}

pub(crate) fn err(ui: &mut Ui, msg: &str) {
    ui.say(&format!("{} {msg}", ui.red("error:")));
}

/// Why a command refuses to start: the error line, the lines under it, and the exit.
#[derive(Debug)]
pub(crate) struct Refused {
    pub exit: Exit,
    pub error: String,
    pub details: Vec<String>,
}

impl Session {
    /// Check the plan (refusing one with errors) and build the task graph.
    pub fn new(plan: Plan, opts: &Options, ui: &mut Ui) -> Result<Session, Exit> {
        Session::build(plan, opts, scale()).map_err(|r| {
            err(ui, &r.error);
            for d in &r.details {
                ui.say(d);
            }
            r.exit
        })
    }

    /// [`Session::new`] without the terminal: waits estimated at `scale` of their typical time.
    pub(crate) fn build(plan: Plan, opts: &Options, scale: f64) -> Result<Session, Refused> {
        let a = analyze(&plan);
        if a.has_errors() {
            return Err(Refused {
                exit: Exit::Failed,
                error: format!(
                    "plan '{}' has {}; nothing was run. Run `tunnelsmith check {}` to see them.",
                    plan.name,
                    plural(a.errors(), "error"),
                    opts.shown_plan()
                ),
                details: a
                    .findings
                    .iter()
                    .filter(|f| f.is_error())
                    .take(5)
                    .map(|f| format!("  {} {}: {}", f.code, f.path, f.message))
                    .collect(),
            });
        }
        let r = a.resolved;
        let steps = steps::steps(&r);
        if let Some((site, _)) = opts.ssh.iter().find(|(site, _)| !r.sites.iter().any(|s| &s.name == site)) {
            return Err(Refused {
                exit: Exit::Usage,
                error: format!("--ssh {site}=…: the plan has no site named '{site}'"),
                details: Vec::new(),
            });
        }
        let appliances = appliance::of_plan(&r, &steps, &opts.ssh);
        let index: BTreeMap<&str, usize> = steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
        let mut tasks: Vec<Task> = steps
            .iter()
            .map(|s| Task {
                id: s.id.clone(),
                title: s.title.clone(),
                deps: s.after.iter().filter_map(|d| index.get(d.as_str()).copied()).collect(),
                estimate: match &s.wait {
                    Some(w) => f64::from(w.typical_secs) * scale,
                    None => s.program.cli().typical_secs,
                },
                done: false,
            })
            .collect();
        for a in &appliances {
            tasks.push(Task {
                id: a.id.clone(),
                title: a.title.clone(),
                deps: a.after.iter().filter_map(|d| index.get(d.as_str()).copied()).collect(),
                estimate: 60.0,
                done: false,
            });
        }
        // Phases: the scripts' run order (one per site part).
        let mut phase = vec![0; tasks.len()];
        for (k, sc) in steps::order(&r, &steps).iter().enumerate() {
            for &i in &sc.steps {
                phase[i] = k + 1;
            }
        }
        let last = phase.iter().copied().max().unwrap_or(0) + 1;
        for p in phase.iter_mut().skip(steps.len()) {
            *p = last;
        }
        Ok(Session { plan, r, steps, appliances, tasks, phase, dir: opts.state_dir() })
    }

    pub(crate) fn load_state(&self, ui: &mut Ui) -> Result<State, Exit> {
        self.state_of(State::load(&self.dir)).map_err(|e| {
            err(ui, &e);
            Exit::Usage
        })
    }

    /// The state to work on, from what the state folder held: a new one when it held none,
    /// refused when it is another plan's (or unreadable).
    pub(crate) fn state_of(&self, loaded: Result<Option<State>, String>) -> Result<State, String> {
        match loaded? {
            Some(s) if s.plan != self.plan.name => Err(format!(
                "{} holds the state of plan '{}', not '{}'; use --state to choose another folder",
                self.dir.display(),
                s.plan,
                self.plan.name
            )),
            Some(s) => Ok(s),
            None => Ok(State::new(&self.plan.name)),
        }
    }

    /// Which tasks count as done: done in the state, and everything they depend on done too
    /// (after a partial destroy, a route in a deleted table is not done any more).
    pub(crate) fn done(&self, state: &State) -> Vec<bool> {
        let mut done: Vec<bool> = self.tasks.iter().map(|t| state.is_done(&t.id)).collect();
        loop {
            let mut changed = false;
            for (i, t) in self.tasks.iter().enumerate() {
                if done[i] && t.deps.iter().any(|&d| !done[d]) {
                    done[i] = false;
                    changed = true;
                }
            }
            if !changed {
                return done;
            }
        }
    }

    /// Tasks the state remembers starting without seeing them finish well: checked first.
    pub(crate) fn to_check(&self, state: &State, done: &[bool]) -> Vec<bool> {
        self.tasks
            .iter()
            .enumerate()
            .map(|(i, t)| !done[i] && i < self.steps.len() && state.steps.contains_key(&t.id))
            .collect()
    }

    /// A step undone (what it created deleted): its record and what it captured go.
    pub(crate) fn forget(&self, state: &mut State, id: &str) {
        state.steps.remove(id);
        if let Some(cap) = self.steps.iter().find(|x| x.id == id).and_then(|x| x.capture.as_ref()) {
            state.outputs.remove(&cap.name);
        }
    }

    /// Whether apply has run on this state before (a step done or a resource left): `plan` and
    /// apply then show the changes against it.
    pub(crate) fn applied(&self, state: &State) -> bool {
        self.tasks.iter().any(|t| state.is_done(&t.id)) || state.live().next().is_some()
    }

    /// Estimated seconds to run the tasks not `done` with `jobs` at a time: the longest chain
    /// of them, or their sum shared by the jobs when that is longer.
    pub(crate) fn eta(&self, done: &[bool], jobs: usize) -> f64 {
        let cost: Vec<f64> =
            self.tasks.iter().enumerate().map(|(i, t)| if done[i] { 0.0 } else { t.estimate }).collect();
        engine::critical_path(&self.tasks, &cost).max(cost.iter().sum::<f64>() / jobs.max(1) as f64)
    }

    pub(crate) fn programs(&self, which: impl Iterator<Item = usize>) -> Vec<Program> {
        let set: BTreeSet<Program> = which.filter(|&i| i < self.steps.len()).map(|i| self.steps[i].program).collect();
        set.into_iter().collect()
    }
}

/// Child environment: no prompts, no colour, no pager, for every CLI.
pub(crate) fn child_env() -> Vec<(String, String)> {
    [
        ("AZURE_CORE_NO_COLOR", "1"),
        ("AZURE_CORE_ONLY_SHOW_ERRORS", "1"),
        ("AZURE_CORE_COLLECT_TELEMETRY", "0"),
        ("CLOUDSDK_CORE_DISABLE_PROMPTS", "1"),
        ("AWS_PAGER", ""),
        ("PAGER", "cat"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Find the CLIs, check their versions and logins; on a problem say so, and that nothing was
/// `done` (changed, deleted), and give the exit code.
pub(crate) fn preflight(
    ui: &mut Ui,
    s: &Session,
    programs: &[Program],
    env: &[(String, String)],
    done: &str,
) -> Result<BTreeMap<String, Tool>, Exit> {
    ui.say(&format!("Checking {} …", programs.iter().map(|p| p.command()).collect::<Vec<_>>().join(", ")));
    let region = s.r.sites.iter().find(|x| x.platform == crate::plan::Platform::Aws).map(|x| x.region.as_str());
    let found = tools::find(programs, env).and_then(|t| tools::logins(&t, env, region).map(|who| (t, who)));
    match found {
        Ok((tools, who)) => {
            for w in who {
                ui.say(&format!("  {} {w}", ui.green("ok")));
            }
            Ok(tools)
        }
        Err(problems) => {
            for p in problems {
                err(ui, &p);
            }
            ui.say(&format!("Nothing was {done}."));
            Err(Exit::Usage)
        }
    }
}

/// What to do about the question before a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// `--yes`: go ahead without asking.
    Go,
    /// Ask, and go ahead only on `yes`.
    Question,
    /// Nobody to ask (input is not a terminal) and no `--yes`: refuse.
    Refuse,
}

impl Ask {
    pub(crate) fn of(yes: bool, terminal: bool) -> Ask {
        match (yes, terminal) {
            (true, _) => Ask::Go,
            (false, true) => Ask::Question,
            (false, false) => Ask::Refuse,
        }
    }

    /// Whether a typed answer agrees: `yes` and nothing else (`y`, `YES` do not).
    pub(crate) fn agrees(answer: &str) -> bool {
        answer.trim() == "yes"
    }
}

/// Ask for `yes` on a terminal; refuse elsewhere (unless `--yes`).
pub(crate) fn confirm(ui: &mut Ui, question: &str, yes: bool) -> bool {
    match Ask::of(yes, std::io::stdin().is_terminal()) {
        Ask::Go => return true,
        Ask::Refuse => {
            err(ui, "not asking on a non-interactive input: pass --yes to go ahead without a question");
            return false;
        }
        Ask::Question => {}
    }
    ui.clear_live();
    eprint!("{question} Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if Ask::agrees(&answer) {
        true
    } else {
        ui.say("Nothing was changed.");
        false
    }
}

/// The values a step's arguments read: captured outputs and keys.
pub(crate) fn values(state: &State, secrets: &Secrets) -> BTreeMap<String, String> {
    let mut v = state.outputs.clone();
    for n in secrets.names() {
        if let Some(k) = secrets.psk(n) {
            v.insert(n.to_string(), k.to_string());
        }
    }
    v
}

/// `n what`, with an `s` unless `n` is 1.
pub(crate) fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, at, seed004, state};
    use super::*;
    use crate::apply::state::Status;

    #[test]
    fn the_state_folder_and_secrets_file_sit_beside_the_plan_unless_given() {
        let o = Options { plan_path: "/work/plans/vpn.json".into(), ..Options::default() };
        assert_eq!(o.state_dir(), PathBuf::from("/work/plans/vpn.state"));
        assert_eq!(o.secrets_file(), PathBuf::from("/work/plans/secrets.env"));
        let bare = Options { plan_path: "vpn.json".into(), ..Options::default() };
        assert_eq!(bare.state_dir(), PathBuf::from("./vpn.state"));
        assert_eq!(bare.secrets_file(), PathBuf::from("./secrets.env"));
        let given = Options { state: Some("/elsewhere/st".into()), secrets: Some("/keys/k.env".into()), ..o.clone() };
        assert_eq!(given.state_dir(), PathBuf::from("/elsewhere/st"));
        assert_eq!(given.secrets_file(), PathBuf::from("/keys/k.env"));
        // Messages show the plan as a shell would take it back.
        let spaced = Options { plan_path: "my plans/vpn.json".into(), ..Options::default() };
        assert_eq!(spaced.shown_plan(), "'my plans/vpn.json'");
    }

    #[test]
    fn a_plan_with_errors_is_refused_naming_its_findings_and_the_check_command() {
        let mut plan = fixture::plan("004-aws-azure-gcp-bgp");
        plan.sites[1].address_spaces = plan.sites[0].address_spaces.clone();
        let Err(r) = Session::build(plan, &fixture::options(), 1.0) else { panic!("a plan with an overlap ran") };
        assert_eq!(r.exit, Exit::Failed);
        assert!(r.error.starts_with("plan 'multicloud' has "), "{}", r.error);
        assert!(r.error.contains("nothing was run"), "{}", r.error);
        assert!(r.error.ends_with("Run `tunnelsmith check /work/plans/p.json` to see them."), "{}", r.error);
        assert!(!r.details.is_empty() && r.details.len() <= 5, "{:?}", r.details);
        assert!(
            r.details.iter().any(|d| d.starts_with("  E_CIDR_OVERLAP sites[")),
            "the overlap is named with its field: {:?}",
            r.details
        );
    }

    #[test]
    fn an_ssh_target_for_a_site_the_plan_lacks_is_bad_usage_naming_the_site() {
        let plan = fixture::plan("003-strongswan-ec2-to-aws-vgw");
        let o = Options { ssh: vec![("uswset".into(), "ec2-user@203.0.113.9".into())], ..fixture::options() };
        let Err(r) = Session::build(plan.clone(), &o, 1.0) else { panic!("a misspelt site was accepted") };
        assert_eq!(r.exit, Exit::Usage);
        assert_eq!(r.error, "--ssh uswset=…: the plan has no site named 'uswset'");
        let o = Options { ssh: vec![("uswest".into(), "ec2-user@203.0.113.9".into())], ..fixture::options() };
        let s = Session::build(plan, &o, 1.0).expect("the site exists");
        assert_eq!(s.appliances[0].target.as_deref(), Some("ec2-user@203.0.113.9"));
    }

    #[test]
    fn appliance_tasks_come_after_the_steps_in_a_phase_of_their_own() {
        let s = fixture::session("003-strongswan-ec2-to-aws-vgw");
        assert_eq!(s.tasks.len(), s.steps.len() + 1);
        let a = at(&s, "uswest/appliance");
        assert_eq!(a, s.steps.len());
        let last_step_phase = s.phase[..s.steps.len()].iter().copied().max().unwrap();
        assert_eq!(s.phase[a], last_step_phase + 1);
        // It waits for the tunnel addresses of the other end (captured in another site's phase).
        for dep in ["euwest/ip-uswest-euwest-t1", "euwest/ip-uswest-euwest-t2", "uswest/eip-address"] {
            assert!(s.tasks[a].deps.contains(&at(&s, dep)), "the appliance waits for {dep}");
        }
        // Step tasks keep the steps' dependencies as indices.
        let vpn = at(&s, "euwest/vpn-uswest-euwest-1");
        let mut deps = s.tasks[vpn].deps.clone();
        deps.sort();
        let mut want: Vec<usize> =
            ["euwest/gateway-attach", "euwest/cgw-uswest-1", "euwest/gateway"].iter().map(|d| at(&s, d)).collect();
        want.sort();
        assert_eq!(deps, want);
    }

    #[test]
    fn waits_are_estimated_at_the_time_scale_and_commands_at_their_clis_typical_time() {
        let fast = Session::build(fixture::plan("004-aws-azure-gcp-bgp"), &fixture::options(), 0.01).unwrap();
        let slow = seed004();
        let gw = at(&slow, "azure/gateway-ready");
        assert_eq!(slow.tasks[gw].estimate, 2700.0);
        assert_eq!(fast.tasks[gw].estimate, 27.0);
        let vpc = at(&slow, "aws/vpc");
        assert_eq!(fast.tasks[vpc].estimate, slow.tasks[vpc].estimate, "commands do not scale");
        assert_eq!(slow.tasks[vpc].estimate, Program::Aws.cli().typical_secs);
    }

    #[test]
    fn a_task_is_not_done_while_something_it_needs_is_not() {
        let s = seed004();
        let (vpc, subnet) = (at(&s, "aws/vpc"), at(&s, "aws/subnet-1"));
        let st = state(&s, &[("aws/subnet-1", Status::Done)]);
        let done = s.done(&st);
        assert!(!done[subnet], "its VPC is not done (a partial destroy deleted it)");
        let st = state(&s, &[("aws/vpc", Status::Done), ("aws/subnet-1", Status::Done)]);
        let done = s.done(&st);
        assert!(done[vpc] && done[subnet]);
        assert_eq!(done.iter().filter(|d| **d).count(), 2);
        // Transitively: the route table association needs the subnet, which needs the VPC.
        let st = state(
            &s,
            &[("aws/route-table", Status::Done), ("aws/subnet-1", Status::Done), ("aws/subnet-1-rt", Status::Done)],
        );
        assert!(!s.done(&st)[at(&s, "aws/subnet-1-rt")]);
    }

    #[test]
    fn only_steps_an_earlier_run_started_are_checked_first() {
        let s = fixture::session("003-strongswan-ec2-to-aws-vgw");
        let st = state(
            &s,
            &[
                ("uswest/vpc", Status::Failed),
                ("uswest/igw", Status::Running),
                ("uswest/eip", Status::Done),
                ("uswest/appliance", Status::Failed),
            ],
        );
        let check = s.to_check(&st, &s.done(&st));
        assert!(check[at(&s, "uswest/vpc")] && check[at(&s, "uswest/igw")]);
        assert!(!check[at(&s, "uswest/eip")], "done");
        assert!(!check[at(&s, "uswest/subnet-1")], "never started");
        assert!(!check[at(&s, "uswest/appliance")], "an appliance has no check: it runs again");
    }

    #[test]
    fn another_plans_state_is_refused_and_the_message_says_use_state() {
        let s = seed004();
        let e = s.state_of(Ok(Some(State::new("other")))).unwrap_err();
        assert!(e.contains("holds the state of plan 'other', not 'multicloud'"), "{e}");
        assert!(e.contains("use --state to choose another folder"), "{e}");
        let fresh = s.state_of(Ok(None)).unwrap();
        assert_eq!(fresh.plan, "multicloud");
        assert!(fresh.steps.is_empty());
        assert_eq!(s.state_of(Err("state.json: bad JSON".into())).unwrap_err(), "state.json: bad JSON");
    }

    #[test]
    fn the_estimate_is_the_longest_chain_or_the_work_shared_by_the_jobs() {
        let s = seed004();
        let none = vec![false; s.tasks.len()];
        let sum: f64 = s.tasks.iter().map(|t| t.estimate).sum();
        assert_eq!(s.eta(&none, 1), sum);
        assert_eq!(s.eta(&none, 0), sum, "--jobs 0 counts as one");
        let wide = s.eta(&none, 1000);
        assert!(wide >= 2700.0 && wide < sum, "the Azure gateway's wait is on the longest chain: {wide}");
        assert_eq!(s.eta(&vec![true; s.tasks.len()], 4), 0.0);
    }

    #[test]
    fn applied_means_a_step_done_or_a_resource_left() {
        let s = seed004();
        assert!(!s.applied(&state(&s, &[("aws/vpc", Status::Failed)])));
        assert!(s.applied(&state(&s, &[("aws/vpc", Status::Done)])));
        let mut st = state(&s, &[]);
        st.created.push(fixture::created("aws/vpc", "vpc-1", &["aws"], &[]));
        assert!(s.applied(&st), "a destroy that stopped leaves resources without steps");
        st.created[0].deleted = Some("t".into());
        assert!(!s.applied(&st));
    }

    #[test]
    fn forgetting_a_step_drops_its_record_and_only_what_it_captured() {
        let s = seed004();
        let mut st = state(&s, &[("aws/vpc", Status::Done), ("aws/igw", Status::Done)]);
        st.outputs.insert("AWS_VPC_ID".into(), "vpc-1".into());
        st.outputs.insert("AWS_IGW_ID".into(), "igw-1".into());
        s.forget(&mut st, "aws/vpc");
        assert!(!st.steps.contains_key("aws/vpc") && st.steps.contains_key("aws/igw"));
        assert_eq!(st.outputs.keys().collect::<Vec<_>>(), ["AWS_IGW_ID"]);
    }

    #[test]
    fn yes_goes_ahead_a_terminal_is_asked_anything_else_is_refused() {
        assert_eq!(Ask::of(true, false), Ask::Go);
        assert_eq!(Ask::of(true, true), Ask::Go);
        assert_eq!(Ask::of(false, true), Ask::Question);
        assert_eq!(Ask::of(false, false), Ask::Refuse);
        assert!(Ask::agrees("yes\n") && Ask::agrees("  yes "));
        for no in ["y", "YES", "Yes", "yes please", "", "\n", "no"] {
            assert!(!Ask::agrees(no), "{no:?} is not yes");
        }
    }

    #[test]
    fn a_steps_values_are_the_captured_outputs_and_the_keys() {
        let s = seed004();
        let mut st = state(&s, &[]);
        st.outputs.insert("AWS_VPC_ID".into(), "vpc-1".into());
        let mut secrets = Secrets::default();
        secrets.set("PSK_AWS_AZURE_T1", "k3y.k3y.k3y");
        let v = values(&st, &secrets);
        assert_eq!(v.get("AWS_VPC_ID").map(String::as_str), Some("vpc-1"));
        assert_eq!(v.get("PSK_AWS_AZURE_T1").map(String::as_str), Some("k3y.k3y.k3y"));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn plural_counts_in_words() {
        assert_eq!(plural(1, "error"), "1 error");
        assert_eq!(plural(0, "error"), "0 errors");
        assert_eq!(plural(3, "pre-shared key"), "3 pre-shared keys");
    }
}
