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
