//! `plan`, `apply` and `destroy`: loading the plan, its secrets and its state; the task graph;
//! the preflight (tools, logins, confirmation); recording every event in the state.

use super::appliance::{self, Appliance};
use super::converge;
use super::diff;
use super::engine::{self, Cx, End, Event, Shared, Task};
use super::lock;
use super::run::{self, Call, Class, Log, Redact};
use super::state::{Created, State, Status, StepState};
use super::time::{human, now, scale};
use super::tools::{self, Tool};
use super::ui::Ui;
use super::Exit;
use crate::check::{analyze, Resolved};
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::steps::{self, Check, Program, Step};
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

    fn shown_plan(&self) -> String {
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

impl Session {
    /// Check the plan (refusing one with errors) and build the task graph.
    pub fn new(plan: Plan, opts: &Options, ui: &mut Ui) -> Result<Session, Exit> {
        let a = analyze(&plan);
        if a.has_errors() {
            err(
                ui,
                &format!(
                    "plan '{}' has {} error{}; nothing was run. Run `tunnelsmith check {}` to see them.",
                    plan.name,
                    a.errors(),
                    if a.errors() == 1 { "" } else { "s" },
                    opts.shown_plan()
                ),
            );
            for f in a.findings.iter().filter(|f| f.is_error()).take(5) {
                ui.say(&format!("  {} {}: {}", f.code, f.path, f.message));
            }
            return Err(Exit::Failed);
        }
        let r = a.resolved;
        let steps = steps::steps(&r);
        for (site, _) in &opts.ssh {
            if !r.sites.iter().any(|s| &s.name == site) {
                err(ui, &format!("--ssh {site}=…: the plan has no site named '{site}'"));
                return Err(Exit::Usage);
            }
        }
        let appliances = appliance::of_plan(&r, &steps, &opts.ssh);
        let index: BTreeMap<&str, usize> = steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
        let sc = scale();
        let mut tasks: Vec<Task> = steps
            .iter()
            .map(|s| Task {
                id: s.id.clone(),
                title: s.title.clone(),
                deps: s.after.iter().filter_map(|d| index.get(d.as_str()).copied()).collect(),
                estimate: match &s.wait {
                    Some(w) => f64::from(w.typical_secs) * sc,
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

    fn load_state(&self, ui: &mut Ui) -> Result<State, Exit> {
        match State::load(&self.dir) {
            Ok(Some(s)) if s.plan != self.plan.name => {
                err(
                    ui,
                    &format!(
                        "{} holds the state of plan '{}', not '{}'; use --state to choose another folder",
                        self.dir.display(),
                        s.plan,
                        self.plan.name
                    ),
                );
                Err(Exit::Usage)
            }
            Ok(Some(s)) => Ok(s),
            Ok(None) => Ok(State::new(&self.plan.name)),
            Err(e) => {
                err(ui, &e);
                Err(Exit::Usage)
            }
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
    fn to_check(&self, state: &State, done: &[bool]) -> Vec<bool> {
        self.tasks
            .iter()
            .enumerate()
            .map(|(i, t)| !done[i] && i < self.steps.len() && state.steps.contains_key(&t.id))
            .collect()
    }

    pub(crate) fn programs(&self, which: impl Iterator<Item = usize>) -> Vec<Program> {
        let set: BTreeSet<Program> = which.filter(|&i| i < self.steps.len()).map(|i| self.steps[i].program).collect();
        set.into_iter().collect()
    }
}

pub(crate) fn read_secrets(opts: &Options, r: &Resolved, ui: &mut Ui) -> Result<Secrets, Exit> {
    let f = opts.secrets_file();
    let secrets = match std::fs::read_to_string(&f).map_err(|e| e.to_string()).and_then(|t| Secrets::from_env(&t)) {
        Ok(s) => s,
        Err(e) => {
            err(
                ui,
                &format!(
                    "cannot read the pre-shared keys from {}: {e}. Pass --secrets FILE (the secrets.env that \
                     `tunnelsmith generate` or the web app made for this plan).",
                    f.display()
                ),
            );
            return Err(Exit::Usage);
        }
    };
    let problems = crate::secrets::check(r, &secrets);
    if !problems.is_empty() {
        for p in &problems {
            err(ui, &format!("{} {}: {} (fix: {})", p.code, p.path, p.message, p.fix));
        }
        return Err(Exit::Failed);
    }
    Ok(secrets)
}

/// Keys for tunnels the plan gained since the secrets file was made: new random keys (the
/// operating system's CSPRNG), written to the file before anything runs, atomically and mode
/// 0600, with a line saying so (never the keys). Nothing happens without a secrets file (apply
/// then says how to make one) or when every tunnel has its key.
fn top_up_keys(opts: &Options, r: &Resolved, ui: &mut Ui) -> Result<(), Exit> {
    let f = opts.secrets_file();
    let Ok(text) = std::fs::read_to_string(&f) else { return Ok(()) };
    let Ok(mut secrets) = Secrets::from_env(&text) else { return Ok(()) };
    let before: BTreeSet<String> = secrets.names().map(String::from).collect();
    let mut failed = None;
    secrets.fill_missing(r, &mut |buf: &mut [u8]| {
        if let Err(e) = getrandom::fill(buf) {
            failed = Some(e.to_string());
        }
    });
    if let Some(e) = failed {
        err(ui, &format!("cannot make new pre-shared keys: the system's random source failed ({e})"));
        return Err(Exit::Usage);
    }
    let new: Vec<String> = secrets.names().filter(|n| !before.contains(*n)).map(String::from).collect();
    if new.is_empty() {
        return Ok(());
    }
    if let Err(e) = write_secrets(&f, &secrets) {
        err(ui, &format!("cannot write the new keys to {}: {e}", f.display()));
        return Err(Exit::Usage);
    }
    ui.say(&format!(
        "New tunnels, new keys: {} written to {} (mode 0600): {}.",
        plural(new.len(), "pre-shared key"),
        f.display(),
        new.join(", ")
    ));
    Ok(())
}

/// Keys of tunnels that are no longer in the plan leave the secrets file, once apply has
/// converged (their tunnels are gone); the line says which, never the keys.
fn retire_keys(opts: &Options, r: &Resolved, ui: &mut Ui) {
    let f = opts.secrets_file();
    let Ok(secrets) = std::fs::read_to_string(&f).map_err(|e| e.to_string()).and_then(|t| Secrets::from_env(&t)) else {
        return;
    };
    let wanted: BTreeSet<&str> = r.links.iter().flat_map(|l| &l.tunnels).map(|t| t.psk_name.as_str()).collect();
    let gone: Vec<&str> = secrets.names().filter(|n| !wanted.contains(n)).collect();
    if gone.is_empty() {
        return;
    }
    let mut keep = Secrets::default();
    for n in secrets.names().filter(|n| wanted.contains(n)) {
        if let Some(k) = secrets.psk(n) {
            keep.set(n, k);
        }
    }
    match write_secrets(&f, &keep) {
        Ok(()) => ui.say(&format!("Keys of tunnels that are gone removed from {}: {}.", f.display(), gone.join(", "))),
        Err(e) => err(ui, &format!("cannot remove the keys of removed tunnels from {}: {e}", f.display())),
    }
}

/// Write a secrets file atomically: a temporary file beside it, mode 0600 from the start,
/// flushed to disk, renamed over the old one.
pub(crate) fn write_secrets(path: &Path, secrets: &Secrets) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".secrets.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(secrets.to_env().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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

/// Ask for `yes` on a terminal; refuse elsewhere (unless `--yes`).
pub(crate) fn confirm(ui: &mut Ui, question: &str, yes: bool) -> bool {
    if yes {
        return true;
    }
    if !std::io::stdin().is_terminal() {
        err(ui, "not asking on a non-interactive input: pass --yes to go ahead without a question");
        return false;
    }
    ui.clear_live();
    eprint!("{question} Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
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

/// The call of a step's argv; an error when a key's private file cannot be written.
fn call_of(
    step_id: &str,
    program: &str,
    tool: &Tool,
    args: &[steps::Arg],
    v: &BTreeMap<String, String>,
) -> Result<Call, String> {
    let shown_values: BTreeMap<String, String> =
        v.iter().filter(|(k, _)| !k.starts_with("PSK_")).map(|(k, x)| (k.clone(), x.clone())).collect();
    let mut files = Vec::new();
    let filled: std::io::Result<Vec<String>> = args.iter().map(|a| run::fill(a, v, &mut files)).collect();
    let args_filled = filled
        .map_err(|e| format!("cannot write a key to a private file in {}: {e}", std::env::temp_dir().display()))?;
    Ok(Call {
        step: step_id.to_string(),
        program: program.to_string(),
        exe: tool.exe.clone(),
        args: args_filled,
        shown: run::line(std::iter::once(program.to_string()).chain(args.iter().map(|a| run::show(a, &shown_values)))),
        files,
    })
}

// ---- plan ---------------------------------------------------------------------------------------

/// `tunnelsmith plan`: the steps grouped by phase, what each creates, what the state says is
/// done, the waits, and the estimated time. Exit 0, or 1 for a plan with errors.
pub fn plan(plan: Plan, opts: &Options) -> Exit {
    let mut ui = Ui::new();
    let s = match Session::new(plan, opts, &mut ui) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let mut state = match s.load_state(&mut ui) {
        Ok(st) => st,
        Err(c) => return c,
    };
    // What the clouds hold now (read only; the state on disk is not changed here).
    let drift = if s.tasks.iter().any(|t| state.is_done(&t.id)) {
        Some(super::drift::refreshed(&s, &mut state, opts.jobs))
    } else {
        None
    };
    let done = s.done(&state);
    let check = s.to_check(&state, &done);
    let todo: Vec<usize> = (0..s.tasks.len()).filter(|&i| !done[i]).collect();
    let jobs = opts.jobs.max(1);
    let cost: Vec<f64> = s.tasks.iter().enumerate().map(|(i, t)| if done[i] { 0.0 } else { t.estimate }).collect();
    let eta = engine::critical_path(&s.tasks, &cost).max(cost.iter().sum::<f64>() / jobs as f64);
    let status_of = |i: usize| {
        if done[i] {
            "done"
        } else if check[i] {
            "check"
        } else if i >= s.steps.len() && state.status(&s.tasks[i].id) == Some(Status::Manual) {
            "manual"
        } else {
            "todo"
        }
    };
    if opts.json {
        let steps: Vec<serde_json::Value> = s
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let st = s.steps.get(i);
                serde_json::json!({
                    "id": t.id,
                    "phase": s.phase[i],
                    "title": t.title,
                    "program": st.map(|x| x.program.command()).unwrap_or("ssh"),
                    "status": status_of(i),
                    "creates": st.and_then(|x| x.creates.as_ref()).map(|c| serde_json::json!({"kind": c.kind, "name": c.name})),
                    "wait_secs": st.and_then(|x| x.wait.as_ref()).map(|w| w.typical_secs),
                    "after": t.deps.iter().map(|&d| s.tasks[d].id.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "plan": s.plan.name,
            "state": s.dir.display().to_string(),
            "steps": steps,
            "done": done.iter().filter(|d| **d).count(),
            "to_run": todo.len(),
            "to_check": check.iter().filter(|c| **c).count(),
            "estimated_secs": eta.round(),
            "changes": diff::json(&diff::diff(&s, &state, &done)),
            "drift": match &drift {
                Some(Ok(d)) => serde_json::json!({
                    "gone": d.gone.iter().map(|(id, what)| serde_json::json!({"step": id, "what": what})).collect::<Vec<_>>(),
                    "differs": d.differs.iter().map(|(id, a)| serde_json::json!({"step": id, "attributes": a.iter().map(|x| serde_json::json!({"name": x.name, "cloud": x.old, "plan": x.new})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                    "not_read": d.unread.iter().cloned().chain([super::drift::NOT_READ.to_string()]).collect::<Vec<_>>(),
                }),
                Some(Err(e)) => serde_json::json!({"not_read": [e]}),
                None => serde_json::Value::Null,
            },
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Exit::Ok;
    }
    let colour = std::io::stdout().is_terminal() && ui.colour;
    let paint = |t: &str, code: &str| if colour { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
    let mut out = String::new();
    let clouds: BTreeSet<&str> = s.steps.iter().map(|x| x.program.command()).collect();
    out.push_str(&format!(
        "Plan '{}': {} steps on {} (state: {})\n",
        s.plan.name,
        s.tasks.len(),
        clouds.into_iter().collect::<Vec<_>>().join(", "),
        s.dir.display()
    ));
    let changes = diff::diff(&s, &state, &done);
    let applied = s.tasks.iter().any(|t| state.is_done(&t.id)) || state.live().next().is_some();
    match &drift {
        Some(Ok(d)) if !d.is_empty() || !d.unread.is_empty() => out.push_str(&format!("\n{}", d.render())),
        Some(Err(e)) => out.push_str(&format!("\nDrift not read ({e}): the diff is against the state only.\n")),
        _ => {}
    }
    if todo.is_empty() && changes.is_empty() {
        out.push_str(&format!(
            "\nNothing to do: all {} steps are done. Check the tunnels with `tunnelsmith status {}`.\n",
            s.tasks.len(),
            opts.shown_plan()
        ));
        print!("{out}");
        return Exit::Ok;
    }
    if applied {
        // Day 2: what changes against what was applied, per resource.
        out.push_str("Changes against what apply made (+ create, ~ update in place, -/+ replace, - destroy):\n\n");
        out.push_str(&diff::render(&changes, &paint));
        out.push_str(&format!("\n{}\n", changes.summary()));
        if changes.destructive() {
            out.push_str("apply asks before it destroys or replaces anything (unless --yes).\n");
        }
        out.push_str(&format!("Run it: tunnelsmith apply {}\n", opts.shown_plan()));
        print!("{out}");
        return Exit::Ok;
    }
    let phases = s.phase.iter().copied().max().unwrap_or(0);
    let order = steps::order(&s.r, &s.steps);
    for p in 1..=phases {
        let members: Vec<usize> = (0..s.tasks.len()).filter(|&i| s.phase[i] == p).collect();
        if members.is_empty() {
            continue;
        }
        let head = match order.get(p - 1) {
            Some(sc) => {
                let site = &s.r.sites[sc.site];
                let part = if sc.parts > 1 { format!(", part {} of {}", sc.part, sc.parts) } else { String::new() };
                format!("Phase {p}: {} ({}, {}){part}", site.name, site.platform.label(), site.region)
            }
            None => format!("Phase {p}: appliances"),
        };
        let left = members.iter().filter(|&&i| !done[i]).count();
        out.push_str(&format!(
            "\n{}  {}\n",
            paint(&head, "1"),
            paint(&format!("{left} of {} to run", members.len()), "2")
        ));
        for i in members {
            let st = s.steps.get(i);
            let (mark, code) = match status_of(i) {
                "done" => ("done ", "32"),
                "check" => ("check", "33"),
                "manual" => ("hand ", "33"),
                _ if st.and_then(|x| x.creates.as_ref()).is_some() => ("  +  ", "1"),
                _ if st.and_then(|x| x.wait.as_ref()).is_some() => ("  ~  ", "33"),
                _ => ("  ·  ", "0"),
            };
            let mut line = format!("  {} {:<34} {}", paint(mark, code), s.tasks[i].id, s.tasks[i].title);
            if let Some(c) = st.and_then(|x| x.creates.as_ref()) {
                let name = state.outputs.get(&c.name).cloned().unwrap_or_else(|| c.name.clone());
                line.push_str(&paint(&format!("  [creates {} {name}]", c.kind), "2"));
            }
            if let Some(w) = st.and_then(|x| x.wait.as_ref()) {
                line.push_str(&paint(&format!("  [waits, usually {}]", human(f64::from(w.typical_secs))), "2"));
            }
            if let Some(a) = s.appliances.iter().find(|a| a.id == s.tasks[i].id) {
                line.push_str(&paint(
                    &match &a.target {
                        Some(t) => format!("  [over SSH to {t}]"),
                        None => format!("  [by hand: commands printed; or --ssh {}=USER@HOST]", a.site),
                    },
                    "2",
                ));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    let creates = todo.iter().filter(|&&i| s.steps.get(i).is_some_and(|x| x.creates.is_some())).count();
    let n_check = check.iter().filter(|c| **c).count();
    out.push_str(&format!(
        "\n{} to run ({creates} create a resource), {} done{}; about {} with --jobs {jobs}.\n",
        todo.len(),
        done.iter().filter(|d| **d).count(),
        if n_check > 0 {
            format!(", {n_check} to check against the cloud first (they were running or failed)")
        } else {
            String::new()
        },
        human(eta)
    ));
    out.push_str(&format!("Run it: tunnelsmith apply {}\n", opts.shown_plan()));
    print!("{out}");
    Exit::Ok
}

// ---- apply --------------------------------------------------------------------------------------

/// `tunnelsmith apply`.
pub fn apply(plan: Plan, opts: &Options) -> Exit {
    let mut ui = Ui::new();
    let s = match Session::new(plan, opts, &mut ui) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if !opts.dry_run {
        if let Err(c) = top_up_keys(opts, &s.r, &mut ui) {
            return c;
        }
    }
    let secrets = match read_secrets(opts, &s.r, &mut ui) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let redact = Redact::new(secrets.values());
    if opts.dry_run {
        return dry_run(&s, opts, &secrets, &mut ui);
    }
    if let Err(e) = std::fs::create_dir_all(&s.dir) {
        err(&mut ui, &format!("cannot create the state folder {}: {e}", s.dir.display()));
        return Exit::Usage;
    }
    let _lock = match lock::acquire(&s.dir, "apply") {
        Ok(l) => l,
        Err(e) => {
            err(&mut ui, &e);
            return Exit::Usage;
        }
    };
    let mut state = match s.load_state(&mut ui) {
        Ok(st) => st,
        Err(c) => return c,
    };
    // What changed outside Tunnelsmith is set back like any other change (read when the last
    // run ended cleanly; a run that resumes checks its unfinished steps instead).
    let clean = !state.steps.values().any(|st| matches!(st.status, Status::Running | Status::Failed | Status::Unknown));
    if clean && s.tasks.iter().any(|t| state.is_done(&t.id)) {
        if let Ok(d) = super::drift::refreshed(&s, &mut state, opts.jobs) {
            if !d.is_empty() {
                ui.say(&d.render());
            }
        }
    }
    let done = s.done(&state);
    let check = s.to_check(&state, &done);
    let todo: Vec<usize> = (0..s.tasks.len()).filter(|&i| !done[i]).collect();
    let n = s.tasks.len();
    let changes = diff::diff(&s, &state, &done);
    let applied = s.tasks.iter().any(|t| state.is_done(&t.id)) || state.live().next().is_some();
    if todo.is_empty() && changes.is_empty() {
        ui.say(&format!(
            "Nothing to do: all {n} steps of plan '{}' are done (state: {}). Next: tunnelsmith status {}",
            s.plan.name,
            s.dir.display(),
            opts.shown_plan()
        ));
        return Exit::Ok;
    }
    let env = child_env();
    // Tools and logins, before anything changes.
    // A change can reach any cloud of the plan (a replaced resource's new values feed others).
    let mut programs = if changes.items.iter().any(|it| !matches!(it.action, diff::Action::Create { .. })) {
        s.programs(0..s.steps.len())
    } else {
        s.programs(todo.iter().copied())
    };
    for it in &changes.items {
        if let diff::Action::Destroy { delete } = &it.action {
            if let Some(p) = delete.first().and_then(|c| Program::from_command(c)) {
                if !programs.contains(&p) {
                    programs.push(p);
                }
            }
        }
    }
    let mut tools_found = BTreeMap::new();
    if !programs.is_empty() {
        match preflight(&mut ui, &s, &programs, &env, "changed") {
            Ok(t) => tools_found = t,
            Err(c) => return c,
        }
    }
    for a in s.appliances.iter().filter(|a| a.target.is_some()) {
        for p in ["ssh", "scp"] {
            match tools::which(p) {
                Some(exe) => {
                    tools_found.insert(p.to_string(), Tool { program: p.into(), exe, version: String::new() });
                }
                None => {
                    err(&mut ui, &format!("{p} (OpenSSH) is not on PATH; it is needed for --ssh {}=…", a.site));
                    return Exit::Usage;
                }
            }
        }
    }
    let creates = todo.iter().filter(|&&i| s.steps.get(i).is_some_and(|x| x.creates.is_some())).count();
    let n_check = check.iter().filter(|c| **c).count();
    let cost: Vec<f64> = s.tasks.iter().enumerate().map(|(i, t)| if done[i] { 0.0 } else { t.estimate }).collect();
    let eta = engine::critical_path(&s.tasks, &cost).max(cost.iter().sum::<f64>() / opts.jobs.max(1) as f64);
    ui.say(&format!(
        "Plan '{}': {} of {n} steps to run ({creates} create a resource){}{}; about {}, {} at a time. \
         (`tunnelsmith plan {}` lists them.)",
        s.plan.name,
        todo.len(),
        if n - todo.len() > 0 { format!(", {} already done", n - todo.len()) } else { String::new() },
        if n_check > 0 { format!(", {n_check} to check against the cloud first") } else { String::new() },
        human(eta),
        opts.jobs.max(1),
        opts.shown_plan()
    ));
    if applied && changes.items.iter().any(|it| !matches!(it.action, diff::Action::Create { .. })) {
        let colour = ui.colour;
        let paint = |t: &str, code: &str| if colour { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
        ui.say(&format!("Changes against what apply made:\n{}{}", diff::render(&changes, &paint), changes.summary()));
    }
    let question = if changes.destructive() {
        let c = changes.counts();
        format!(
            "Apply plan '{}'? It destroys {} and replaces {} (listed above).",
            s.plan.name,
            plural(c.destroy, "resource"),
            plural(c.replace, "resource")
        )
    } else {
        format!("Apply plan '{}'?", s.plan.name)
    };
    if !confirm(&mut ui, &question, opts.yes) {
        return Exit::Usage;
    }
    // Commands a killed apply left running finish before we look at what they did.
    wait_for_orphans(&state, &mut ui);
    let log = match Log::open(&s.dir.join("apply.log"), redact.clone()) {
        Ok(l) => l,
        Err(e) => {
            err(&mut ui, &format!("cannot open {}: {e}", s.dir.join("apply.log").display()));
            return Exit::Usage;
        }
    };
    log.write("apply", &format!("apply plan '{}' ({} steps to run, {n_check} to check)", s.plan.name, todo.len()));
    if let Err(e) = state.save(&s.dir) {
        err(&mut ui, &format!("cannot write the state in {}: {e}", s.dir.display()));
        return Exit::Usage;
    }
    super::sys::catch_interrupts();
    let shared = Shared::new(log, env, opts.jobs, scale());
    // Rounds: the creates (and anything not done), then the changes one phase at a time, each
    // round reading the state again, so a killed apply resumes in whichever phase it was.
    let mut summary = engine::Summary::default();
    let mut save_failed = None;
    let limit = 2 * changes.items.len() + 4;
    for _ in 0..limit {
        let done = s.done(&state);
        if done.iter().any(|d| !d) {
            let check = s.to_check(&state, &done);
            let (sum, failed) =
                run_pending(&s, opts, &mut state, &shared, &mut ui, &tools_found, &secrets, &done, &check);
            save_failed = save_failed.or(failed);
            let stop = sum.interrupted || !sum.failed.is_empty();
            merge(&mut summary, sum);
            if stop {
                break;
            }
        }
        let done = s.done(&state);
        let d = diff::diff(&s, &state, &done);
        if d.is_empty() || d.items.iter().any(|it| matches!(it.action, diff::Action::Create { .. })) {
            break;
        }
        let run = converge::Run { s: &s, shared: &shared, tools: &tools_found, secrets: &secrets };
        let has_update = d.items.iter().any(
            |it| matches!(&it.action, diff::Action::Change(c) if !matches!(c.how, steps::update::How::Replace { .. })),
        );
        // After the creates: what left the plan goes (it may sit on something to replace: a
        // tunnel removed from an external gateway that changes); then replaced resources, one
        // group at a time (their new values feed the updates); then updates in place.
        let leaving = d.items.iter().any(|it| matches!(it.action, diff::Action::Destroy { .. } | diff::Action::Forget));
        let sum = if leaving {
            converge::destroy(&run, &mut ui, &mut state, &d)
        } else if let Some(sum) = converge::take_down(&run, &mut ui, &mut state, &d) {
            sum
        } else if has_update {
            converge::update(&run, &mut ui, &mut state, &d)
        } else {
            break;
        };
        let stop = sum.interrupted || !sum.failed.is_empty();
        merge(&mut summary, sum);
        if stop {
            break;
        }
    }
    if !summary.interrupted && summary.failed.is_empty() && diff::diff(&s, &state, &s.done(&state)).is_empty() {
        retire_keys(opts, &s.r, &mut ui);
    }
    // Values no step of the plan captures any more went with what was destroyed.
    let captured: BTreeSet<&str> = s.steps.iter().filter_map(|x| x.capture.as_ref().map(|c| c.name.as_str())).collect();
    state.outputs.retain(|k, _| captured.contains(k.as_str()));
    let _ = state.save(&s.dir);
    shared.log.write("apply", &format!("finished: {summary:?}"));
    if let Some(e) = save_failed {
        err(&mut ui, &format!("writing the state failed at least once: {e}"));
    }
    // Appliances left to the user: the exact commands.
    for a in &s.appliances {
        if let Some(StepState { status: Status::Manual, message: Some(m), .. }) = state.steps.get(&a.id) {
            ui.say(&format!("\n{}\n{m}", ui.bold(&format!("Appliance {}: run these yourself", a.site))));
        }
    }
    let all_done = s.tasks.iter().all(|t| state.is_done(&t.id) || state.status(&t.id) == Some(Status::Manual));
    let shown = opts.shown_plan();
    if summary.interrupted {
        ui.say(&format!(
            "\n{} {} steps done this run{}. The state is saved in {}; run `tunnelsmith apply {shown}` to continue \
             where it stopped{}.",
            ui.yellow("Interrupted."),
            summary.done,
            if summary.unknown.is_empty() {
                String::new()
            } else {
                format!(", {} stopped mid-command ({})", summary.unknown.len(), summary.unknown.join(", "))
            },
            s.dir.display(),
            if summary.unknown.is_empty() { "" } else { " (it checks those against the cloud first)" }
        ));
        return Exit::Interrupted;
    }
    if let Some((id, msg)) = summary.failed.first() {
        ui.say(&format!(
            "\n{} {id} failed: {msg}\n{} steps are done and recorded in {}. Fix the cause and run \
             `tunnelsmith apply {shown}` again: it continues where it stopped (the log: {}).",
            ui.red("Stopped."),
            s.tasks.iter().filter(|t| state.is_done(&t.id)).count(),
            s.dir.join("state.json").display(),
            s.dir.join("apply.log").display()
        ));
        return Exit::Failed;
    }
    if !all_done {
        ui.say(&format!("\nNot everything ran; run `tunnelsmith apply {shown}` again."));
        return Exit::Failed;
    }
    let left = diff::diff(&s, &state, &s.done(&state));
    if !left.is_empty() {
        ui.say(&format!(
            "\n{} the clouds do not match the plan yet ({}); `tunnelsmith plan {shown}` shows what is left.",
            ui.red("Not converged:"),
            left.summary()
        ));
        return Exit::Failed;
    }
    ui.say(&format!(
        "\n{} plan '{}': {} steps done this run{} in {}. State: {}\nNext: `tunnelsmith status {shown}` \
         (tunnels take a few minutes to come up); `tunnelsmith destroy {shown}` removes what this created.",
        ui.green("Applied"),
        s.plan.name,
        summary.done,
        if summary.found > 0 { format!(" ({} found already done)", summary.found) } else { String::new() },
        human(summary.secs),
        s.dir.join("state.json").display()
    ));
    Exit::Ok
}

/// Run every task not done yet (creates, and steps a change left to run again) through the
/// scheduler, recording each event in `state`; the run's summary and a state-write error.
#[allow(clippy::too_many_arguments)]
fn run_pending(
    s: &Session,
    opts: &Options,
    state: &mut State,
    shared: &Shared,
    ui: &mut Ui,
    tools_found: &BTreeMap<String, Tool>,
    secrets: &Secrets,
    done: &[bool],
    check: &[bool],
) -> (engine::Summary, Option<String>) {
    let state_in = std::mem::replace(state, State::new(""));
    let check = check.to_vec();
    let mut tasks = s.tasks.clone();
    for (t, d) in tasks.iter_mut().zip(done) {
        t.done = *d;
    }
    let prior: BTreeMap<String, StepState> = state_in.steps.clone();
    let cell = std::cell::RefCell::new(state_in);
    let save_failed = std::cell::RefCell::new(None::<String>);
    let summary = {
        let s_ref = &s;
        let tools_ref = tools_found;
        let secrets_ref = secrets;
        let check_ref = &check;
        let dir = s.dir.clone();
        let save = |state: &mut State| {
            if let Err(e) = state.save(&dir) {
                *save_failed.borrow_mut() = Some(e.to_string());
            }
        };
        engine::run_tasks(
            &tasks,
            shared,
            ui,
            opts.jobs,
            |i| {
                let mut state = cell.borrow_mut();
                let id = s_ref.tasks[i].id.clone();
                state.steps.insert(id, StepState::running());
                let v = values(&state, secrets_ref);
                let first = check_ref[i];
                let outputs = state.outputs.clone();
                let work: Box<dyn FnOnce(&Cx) -> End + Send + '_> = if i < s_ref.steps.len() {
                    let step = &s_ref.steps[i];
                    Box::new(move |cx: &Cx| run_step(cx, step, tools_ref, &v, first))
                } else {
                    let a = &s_ref.appliances[i - s_ref.steps.len()];
                    let secrets_path = opts.secrets_file();
                    let dir = s_ref.dir.clone();
                    Box::new(move |cx: &Cx| appliance::run(cx, a, &s_ref.r, &dir, &outputs, &secrets_path, tools_ref))
                };
                work
            },
            |ev, _ui| {
                record(&mut cell.borrow_mut(), s_ref, ev, &prior);
            },
            || save(&mut cell.borrow_mut()),
        )
    };
    *state = cell.into_inner();
    let _ = state.save(&s.dir);
    (summary, save_failed.into_inner())
}

fn merge(total: &mut engine::Summary, s: engine::Summary) {
    total.done += s.done;
    total.found += s.found;
    total.failed.extend(s.failed);
    total.unknown.extend(s.unknown);
    total.cancelled += s.cancelled;
    total.manual += s.manual;
    total.interrupted |= s.interrupted;
    total.secs += s.secs;
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Update the state for one event; whether anything changed.
pub(crate) fn record(state: &mut State, s: &Session, ev: &Event, prior: &BTreeMap<String, StepState>) -> bool {
    match ev {
        Event::Pid(i, pid) => {
            if let (Some(p), Some(st)) = (pid, state.steps.get_mut(&s.tasks[*i].id)) {
                st.pid = Some(*p);
                return true;
            }
            if let (None, Some(st)) = (pid, state.steps.get_mut(&s.tasks[*i].id)) {
                st.pid = None;
            }
            false
        }
        Event::Note(..) => false,
        Event::End(i, end) => {
            let id = s.tasks[*i].id.clone();
            let started = state.steps.get(&id).and_then(|x| x.started.clone());
            let mut st = StepState {
                status: Status::Done,
                started,
                finished: Some(now()),
                seconds: None,
                pid: None,
                how: None,
                message: None,
                inputs: None,
                assumed: false,
                undo: None,
            };
            match end {
                End::Done { value, found } => {
                    st.how = Some(if *found { "found" } else { "ran" }.into());
                    if let Some(step) = s.steps.get(*i) {
                        if let (Some(c), Some(v)) = (&step.capture, value) {
                            state.outputs.insert(c.name.clone(), v.clone());
                        }
                        // What it ran with, for `plan` to compare the plan with later. A step a
                        // check found done keeps what it last ran with, if that is known: the
                        // check shows the resource exists, not that it has the plan's values.
                        // Found without a record: the plan's, marked assumed until read back.
                        let old = prior.get(&id).and_then(|p| p.inputs.clone()).filter(|_| *found);
                        st.assumed = *found && (old.is_none() || prior.get(&id).is_some_and(|p| p.assumed));
                        st.inputs = old.or_else(|| Some(steps::update::inputs(step, &state.outputs)));
                        st.undo = steps::update::undo(step)
                            .map(|u| u.iter().map(|a| steps::update::shown(a, &state.outputs)).collect());
                        if let Some(res) = &step.creates {
                            let v = state.outputs.clone();
                            let delete: Vec<String> = res.delete.iter().map(|a| a.fill(&v)).collect();
                            let name = v.get(&res.name).cloned().unwrap_or_else(|| res.name.clone());
                            // A resource found by a check may already be recorded. One that
                            // existed before the first run (a resource group `az group create`
                            // adopted) is not the plan's: destroy leaves it.
                            let existed = matches!(&res.only_if, Some(steps::Guard::NotExisting { output })
                                if v.get(output).map(String::as_str) != Some("false"));
                            if !existed && !state.created.iter().any(|c| c.step == id && c.deleted.is_none()) {
                                state.created.push(Created {
                                    step: id.clone(),
                                    kind: res.kind.to_string(),
                                    name,
                                    delete,
                                    needs: creating_ancestors(s, *i),
                                    created: now(),
                                    deleted: None,
                                });
                            }
                        }
                    }
                }
                End::Failed(m) => {
                    st.status = Status::Failed;
                    st.message = Some(m.clone());
                }
                End::Unknown(m) => {
                    st.status = Status::Unknown;
                    st.message = Some(m.clone());
                }
                End::Manual(m) => {
                    st.status = Status::Manual;
                    st.message = Some(m.clone());
                }
                End::Cancelled => {
                    // Nothing happened: back to what the state said before this run.
                    match prior.get(&id) {
                        Some(p) => {
                            state.steps.insert(id, p.clone());
                        }
                        None => {
                            state.steps.remove(&id);
                        }
                    }
                    return true;
                }
            }
            state.steps.insert(id, st);
            true
        }
    }
}

/// The steps that create a resource among everything step `i` depends on (directly or not).
fn creating_ancestors(s: &Session, i: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = s.tasks[i].deps.clone();
    while let Some(j) = stack.pop() {
        if seen.insert(j) {
            stack.extend(s.tasks[j].deps.iter().copied());
        }
    }
    seen.into_iter()
        .filter(|&j| s.steps.get(j).is_some_and(|x| x.creates.is_some()))
        .map(|j| s.tasks[j].id.clone())
        .collect()
}

/// Wait (bounded) for commands a killed apply left running, so their effect is visible.
fn wait_for_orphans(state: &State, ui: &mut Ui) {
    let pids: Vec<(String, u32)> = state
        .steps
        .iter()
        .filter_map(|(id, st)| {
            st.pid.filter(|p| st.status == Status::Running && super::sys::alive(*p)).map(|p| (id.clone(), p))
        })
        .collect();
    if pids.is_empty() {
        return;
    }
    ui.say(&format!(
        "Waiting for {} command{} the last run left running ({}) before checking what {} did …",
        pids.len(),
        if pids.len() == 1 { "" } else { "s" },
        pids.iter().map(|(id, p)| format!("{id}: pid {p}")).collect::<Vec<_>>().join(", "),
        if pids.len() == 1 { "it" } else { "they" }
    ));
    let until = std::time::Instant::now() + std::time::Duration::from_secs(600);
    while pids.iter().any(|(_, p)| super::sys::alive(*p)) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// One step, on a worker thread.
pub(crate) fn run_step(
    cx: &Cx,
    step: &Step,
    tools: &BTreeMap<String, Tool>,
    v: &BTreeMap<String, String>,
    check_first: bool,
) -> End {
    let program = step.program.command();
    let Some(tool) = tools.get(program) else {
        return End::Failed(format!("{program} is not available"));
    };
    let call = match call_of(&step.id, program, tool, &step.args, v) {
        Ok(c) => c,
        Err(e) => return End::Failed(e),
    };
    let redact = cx.shared.log.redact();
    let unless = match &step.check {
        Some(Check::RerunUnless(code)) => Some(*code),
        _ => None,
    };
    if check_first {
        match &step.check {
            Some(Check::Describe { args, contains }) => {
                cx.note("checking whether it already took effect");
                let c = match call_of(&step.id, program, tool, args, v) {
                    Ok(c) => c,
                    Err(e) => return End::Failed(e),
                };
                let Some((o, class)) = cx.call_retrying(&c) else { return End::Cancelled };
                let value = o.value();
                let present = match (&value, contains) {
                    (Some(val), Some(word)) => val.split([';', ',', '\t', ' ', '\n']).any(|w| w == word),
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                match class {
                    Class::Ok if present => {
                        cx.shared.log.write(&step.id, "check: it had taken effect; not running it again");
                        return End::Done { value: step.capture.as_ref().and(value), found: true };
                    }
                    Class::Ok | Class::NotFound => {
                        cx.shared.log.write(&step.id, "check: it had not taken effect; running it");
                    }
                    Class::Throttled | Class::Busy | Class::Failed => {
                        return End::Failed(redact.text(&format!(
                            "cannot tell whether it took effect (`{}`: {}); not running it again",
                            c.shown,
                            o.reason()
                        )))
                    }
                }
            }
            Some(Check::Rerun) | Some(Check::RerunUnless(_)) => {}
            None => {
                return End::Failed(
                    "it may have run before and there is no way to check it; look in the cloud, then delete \
                     its entry from state.json to run it again"
                        .to_string(),
                )
            }
        }
    }
    if let Some(w) = &step.wait {
        return poll(cx, &call, w);
    }
    cx.note(String::new());
    let Some((o, class)) = cx.call_retrying(&call) else { return End::Cancelled };
    match class {
        Class::Ok => match &step.capture {
            Some(c) => match o.value() {
                Some(v) => End::Done { value: Some(v), found: false },
                None => End::Failed(format!("{} printed no value for {}", program, c.name)),
            },
            None => End::Done { value: None, found: false },
        },
        _ if o.code.is_none() => End::Unknown(redact.text(&format!("{program} was stopped mid-command"))),
        _ if unless.is_some_and(|code| o.stderr.contains(code)) => End::Done { value: None, found: true },
        Class::Throttled => End::Failed(redact.text(&format!("still throttled after retries: {}", o.reason()))),
        Class::NotFound | Class::Busy | Class::Failed => End::Failed(redact.text(&o.reason())),
    }
}

/// A wait: run the step's read until it prints the state it waits for, with back-off.
fn poll(cx: &Cx, call: &Call, w: &steps::Wait) -> End {
    let t0 = std::time::Instant::now();
    let scale = cx.shared.scale;
    let timeout = f64::from(w.timeout_secs) * scale;
    let mut delay = 2.0f64.min(f64::from(w.interval_secs));
    // A failed look is tolerated (a blip during a 45-minute wait); three in a row are not.
    let mut failed_looks = 0;
    // The timeout ends a wait only once it has looked at least this often: a laptop asleep for
    // the whole timeout, or a CLI slow to answer, gets its looks before the wait gives up.
    const MIN_LOOKS: u32 = 3;
    let mut looks = 0;
    loop {
        let Some((o, _)) = cx.call_retrying(call) else { return End::Cancelled };
        looks += 1;
        if o.ok() {
            failed_looks = 0;
        } else {
            failed_looks += 1;
            cx.shared.log.write(&call.step, &format!("look {failed_looks} of 3 failed: {}", o.reason()));
            if failed_looks >= 3 {
                return End::Failed(
                    cx.shared.log.redact().text(&format!("three looks in a row failed: {}", o.reason())),
                );
            }
        }
        let got = if o.ok() { o.stdout.trim().to_string() } else { String::new() };
        if got == w.until {
            return End::Done { value: None, found: false };
        }
        if !got.is_empty() && w.fail_on.contains(&got) {
            return End::Failed(format!("the state is {got}; it will not become {}", w.until));
        }
        let waited = t0.elapsed().as_secs_f64();
        let shown = if got.is_empty() { "unknown".to_string() } else { got };
        if waited >= timeout && looks >= MIN_LOOKS {
            return End::Failed(format!(
                "still {shown} after {} and {looks} looks; run apply again to keep waiting",
                human(waited)
            ));
        }
        cx.note(format!("{shown}, waiting for {} (next look in {})", w.until, human(delay * scale)));
        if !cx.sleep(delay) {
            return End::Cancelled;
        }
        delay = (delay * 2.0).min(f64::from(w.interval_secs));
    }
}

/// `apply --dry-run`: every command in run order, keys hidden, values not yet captured as
/// `${NAME}`; nothing runs.
fn dry_run(s: &Session, opts: &Options, secrets: &Secrets, ui: &mut Ui) -> Exit {
    let state = State::load(&s.dir).ok().flatten().unwrap_or_else(|| State::new(&s.plan.name));
    let done = s.done(&state);
    let _ = secrets;
    let mut out =
        format!("Dry run of plan '{}': the commands apply would run, in order (nothing runs).\n", s.plan.name);
    for sc in steps::order(&s.r, &s.steps) {
        for &i in &sc.steps {
            if done[i] {
                continue;
            }
            let st = &s.steps[i];
            let line = run::line(
                std::iter::once(st.program.command().to_string())
                    .chain(st.args.iter().map(|a| run::show(a, &state.outputs))),
            );
            out.push_str(&format!("\n# {} — {}\n{line}\n", st.id, st.title));
        }
    }
    for a in &s.appliances {
        out.push_str(&format!(
            "\n# {} — {}\n{}\n",
            a.id,
            a.title,
            appliance::commands(a, &s.dir, &opts.secrets_file()).join("\n")
        ));
    }
    print!("{out}");
    ui.say(&format!("Dry run: nothing was run. Apply it with `tunnelsmith apply {}`.", opts.shown_plan()));
    Exit::Ok
}

// ---- destroy ------------------------------------------------------------------------------------

/// `tunnelsmith destroy`: delete, newest first along the dependencies, what the state says this
/// plan created; resumable; a resource already gone counts as deleted.
pub fn destroy(plan: Plan, opts: &Options) -> Exit {
    let mut ui = Ui::new();
    let s = match Session::new(plan, opts, &mut ui) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let nothing = |ui: &mut Ui| {
        ui.say(&format!(
            "Nothing to destroy: there is no state in {} (this plan was never applied from here).",
            s.dir.display()
        ));
        Exit::Ok
    };
    if !s.dir.is_dir() {
        return nothing(&mut ui);
    }
    let _lock = match lock::acquire(&s.dir, "destroy") {
        Ok(l) => l,
        Err(e) => {
            err(&mut ui, &e);
            return Exit::Usage;
        }
    };
    if !s.dir.join(super::state::STATE_FILE).exists() {
        return nothing(&mut ui);
    }
    let mut state = match s.load_state(&mut ui) {
        Ok(st) => st,
        Err(c) => return c,
    };
    // Steps an interrupted apply left running, unknown or failed may have created something the
    // state does not list yet: their checks find it first.
    let uncertain: Vec<usize> = (0..s.steps.len())
        .filter(|&i| {
            let id = &s.steps[i].id;
            s.steps[i].creates.is_some()
                && matches!(state.status(id), Some(Status::Running | Status::Unknown | Status::Failed))
                && !state.live().any(|(_, c)| &c.step == id)
        })
        .collect();
    let programs: BTreeSet<Program> = state
        .live()
        .filter_map(|(_, c)| c.delete.first().and_then(|p| Program::from_command(p)))
        .chain(uncertain.iter().map(|&i| s.steps[i].program))
        .collect();
    let programs: Vec<Program> = programs.into_iter().collect();
    if programs.is_empty() {
        ui.say(&format!(
            "Nothing to destroy: the state in {} records no resource of plan '{}' left.",
            s.dir.display(),
            s.plan.name
        ));
        state.steps.clear();
        state.outputs.clear();
        let _ = state.save(&s.dir);
        return Exit::Ok;
    }
    let env = child_env();
    let tools_found = match preflight(&mut ui, &s, &programs, &env, "deleted") {
        Ok(t) => t,
        Err(c) => return c,
    };
    for &i in &uncertain {
        let step = &s.steps[i];
        let (Some(Check::Describe { args, contains }), Some(tool)) =
            (&step.check, tools_found.get(step.program.command()))
        else {
            continue;
        };
        let o = match call_of(&step.id, step.program.command(), tool, args, &state.outputs) {
            Ok(call) => run::run(&call, &env, &mut |_| {}),
            Err(e) => run::Outcome { code: Some(1), stderr: e, ..Default::default() },
        };
        let present = o.ok()
            && o.value()
                .is_some_and(|v| contains.as_ref().is_none_or(|w| v.split([';', ',', '\t', ' ']).any(|x| x == w)));
        if present {
            ui.say(&format!("  found {} (left by an interrupted apply): it will be deleted too", step.id));
            let value = if step.capture.is_some() { o.value() } else { None };
            let ev = Event::End(i, End::Done { value, found: true });
            record(&mut state, &s, &ev, &BTreeMap::new());
        } else if o.ok() || run::classify(step.program.command(), &o) == Class::NotFound {
            state.steps.remove(&step.id);
        } else {
            err(
                &mut ui,
                &format!(
                    "cannot tell whether {} created something ({}); run apply to settle it first",
                    step.id,
                    o.reason()
                ),
            );
            return Exit::Failed;
        }
    }
    let _ = state.save(&s.dir);
    let live: Vec<(usize, Created)> = state.live().map(|(i, c)| (i, c.clone())).collect();
    // Entry k waits for every entry built on it.
    let tasks: Vec<Task> = live
        .iter()
        .map(|(_, c)| Task {
            id: format!("delete {}", c.step),
            title: format!("Delete {} {}", c.kind, c.name),
            deps: live
                .iter()
                .enumerate()
                .filter(|(_, (_, other))| other.needs.contains(&c.step))
                .map(|(j, _)| j)
                .collect(),
            estimate: c.delete.first().and_then(|p| Program::from_command(p)).map_or(8.0, |p| p.cli().typical_secs),
            done: false,
        })
        .collect();
    ui.say(&format!(
        "Plan '{}': {} resources this plan created will be deleted (nothing else):",
        s.plan.name,
        live.len()
    ));
    for (_, c) in &live {
        ui.say(&format!("  - {} {}  ({})", c.kind, c.name, c.step));
    }
    if !confirm(&mut ui, "Destroy them?", opts.yes) {
        return Exit::Usage;
    }
    let log = match Log::open(&s.dir.join("apply.log"), Redact::default()) {
        Ok(l) => l,
        Err(e) => {
            err(&mut ui, &format!("cannot open the log: {e}"));
            return Exit::Usage;
        }
    };
    log.write("destroy", &format!("destroy plan '{}' ({} resources)", s.plan.name, live.len()));
    super::sys::catch_interrupts();
    let shared = Shared::new(log, env, opts.jobs, scale());
    let cell = std::cell::RefCell::new(state);
    let save_failed = std::cell::RefCell::new(None::<String>);
    let summary = {
        let live_ref = &live;
        let tools_ref = &tools_found;
        let dir = s.dir.clone();
        engine::run_tasks(
            &tasks,
            &shared,
            &mut ui,
            opts.jobs,
            |k| {
                let c = live_ref[k].1.clone();
                move |cx: &Cx| delete(cx, &c, tools_ref)
            },
            |ev, _| {
                if let Event::End(k, End::Done { .. }) = ev {
                    let mut state = cell.borrow_mut();
                    let (idx, c) = &live_ref[*k];
                    state.created[*idx].deleted = Some(now());
                    // The step is undone: it and what it captured are gone.
                    state.steps.remove(&c.step);
                    if let Some(st) = s.steps.iter().find(|x| x.id == c.step) {
                        if let Some(cap) = &st.capture {
                            state.outputs.remove(&cap.name);
                        }
                    }
                }
            },
            || {
                if let Err(e) = cell.borrow_mut().save(&dir) {
                    *save_failed.borrow_mut() = Some(e.to_string());
                }
            },
        )
    };
    let mut state = cell.into_inner();
    let save_failed = save_failed.into_inner();
    let left = state.live().count();
    let shown = opts.shown_plan();
    if left == 0 {
        state.steps.clear();
        state.outputs.clear();
    }
    let _ = state.save(&s.dir);
    if let Some(e) = save_failed {
        err(&mut ui, &format!("writing the state failed at least once: {e}"));
    }
    if summary.interrupted {
        ui.say(&format!(
            "\n{} {} deleted, {left} left. Run `tunnelsmith destroy {shown}` to continue.",
            ui.yellow("Interrupted."),
            summary.done
        ));
        return Exit::Interrupted;
    }
    if let Some((id, msg)) = summary.failed.first() {
        ui.say(&format!(
            "\n{} {id} failed: {msg}\n{left} resources are left; fix the cause and run `tunnelsmith destroy {shown}` again.",
            ui.red("Stopped.")
        ));
        return Exit::Failed;
    }
    ui.say(&format!(
        "\n{} plan '{}': {} resources deleted in {}; nothing it created is left.",
        ui.green("Destroyed"),
        s.plan.name,
        summary.done,
        human(summary.secs)
    ));
    if s.appliances.iter().any(|a| state.steps.contains_key(&a.id)) {
        ui.say("Appliance hosts keep their IPsec configuration: remove it there if you no longer need it.");
    }
    Exit::Ok
}

pub(crate) fn delete(cx: &Cx, c: &Created, tools: &BTreeMap<String, Tool>) -> End {
    let Some((program, args)) = c.delete.split_first() else { return End::Failed("no delete command".into()) };
    let Some(tool) = tools.get(program) else { return End::Failed(format!("{program} is not available")) };
    let call = Call {
        step: c.step.clone(),
        program: program.clone(),
        exe: tool.exe.clone(),
        args: args.to_vec(),
        shown: run::line(c.delete.iter().cloned()),
        files: Vec::new(),
    };
    let Some((o, class)) = cx.call_retrying(&call) else { return End::Cancelled };
    match class {
        Class::Ok => End::Done { value: None, found: false },
        Class::NotFound => {
            cx.shared.log.write(&c.step, "already gone");
            End::Done { value: None, found: true }
        }
        _ if o.code.is_none() => End::Unknown(format!("{program} was stopped mid-command")),
        Class::Throttled | Class::Busy | Class::Failed => End::Failed(o.reason()),
    }
}
