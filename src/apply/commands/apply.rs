//! `tunnelsmith apply`: the preflight, the question, then rounds (creates, then what left the
//! plan, replacements and updates in place) until the clouds match the plan; `--dry-run` prints
//! the commands instead.

use super::keys::{read_secrets, retire_keys, top_up_keys};
use super::record::record;
use super::session::{child_env, confirm, err, plural, preflight, values, Options, Session};
use super::step::run_step;
use crate::apply::appliance;
use crate::apply::converge;
use crate::apply::diff;
use crate::apply::engine::{self, Cx, End, Shared};
use crate::apply::lock;
use crate::apply::run::{self, Log, Redact};
use crate::apply::state::{State, Status, StepState};
use crate::apply::time::{human, scale};
use crate::apply::tools::{self, Tool};
use crate::apply::ui::Ui;
use crate::apply::Exit;
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::steps::{self, Program};
use std::collections::{BTreeMap, BTreeSet};

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
    if !resumes(&state) && s.tasks.iter().any(|t| state.is_done(&t.id)) {
        if let Ok(d) = crate::apply::drift::refreshed(&s, &mut state, opts.jobs) {
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
    let applied = s.applied(&state);
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
    let programs = programs(&s, &todo, &changes);
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
    let eta = s.eta(&done, opts.jobs);
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
    if !confirm(&mut ui, &question(&s.plan.name, &changes), opts.yes) {
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
    crate::apply::sys::catch_interrupts();
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
        let run = converge::Run { s: &s, shared: &shared, tools: &tools_found, secrets: &secrets };
        let sum = match Round::after_creates(&d) {
            Round::Stop => break,
            Round::Leaving => converge::destroy(&run, &mut ui, &mut state, &d),
            Round::Changes { updates } => match converge::take_down(&run, &mut ui, &mut state, &d) {
                Some(sum) => sum,
                None if updates => converge::update(&run, &mut ui, &mut state, &d),
                None => break,
            },
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
    keep_captured(&s, &mut state);
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

/// Whether the last run did not end cleanly (a step left running, failed or unknown): this run
/// resumes, checking those steps, instead of reading drift first.
fn resumes(state: &State) -> bool {
    state.steps.values().any(|st| matches!(st.status, Status::Running | Status::Failed | Status::Unknown))
}

/// The CLIs apply needs: those of the steps to run, or of every step once something changes (a
/// replaced resource's new values feed others on any cloud), and those deleting what left.
fn programs(s: &Session, todo: &[usize], changes: &diff::Diff) -> Vec<Program> {
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
    programs
}

/// The question before anything changes; it counts what is destroyed or replaced.
fn question(plan: &str, changes: &diff::Diff) -> String {
    if changes.destructive() {
        let c = changes.counts();
        format!(
            "Apply plan '{plan}'? It destroys {} and replaces {} (listed above).",
            plural(c.destroy, "resource"),
            plural(c.replace, "resource")
        )
    } else {
        format!("Apply plan '{plan}'?")
    }
}

/// What a round does once every step that can run has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Converged, or a create is still left (it failed or was interrupted): no more rounds.
    Stop,
    /// What left the plan goes first (it may sit on something to replace: a tunnel removed
    /// from an external gateway that changes).
    Leaving,
    /// Replaced resources, one group at a time (their new values feed the updates), then
    /// `updates` in place, if any.
    Changes { updates: bool },
}

impl Round {
    fn after_creates(d: &diff::Diff) -> Round {
        if d.is_empty() || d.items.iter().any(|it| matches!(it.action, diff::Action::Create { .. })) {
            return Round::Stop;
        }
        if d.items.iter().any(|it| matches!(it.action, diff::Action::Destroy { .. } | diff::Action::Forget)) {
            return Round::Leaving;
        }
        let updates = d.items.iter().any(
            |it| matches!(&it.action, diff::Action::Change(c) if !matches!(c.how, steps::update::How::Replace { .. })),
        );
        Round::Changes { updates }
    }
}

/// Values no step of the plan captures any more went with what was destroyed.
fn keep_captured(s: &Session, state: &mut State) {
    let captured: BTreeSet<&str> = s.steps.iter().filter_map(|x| x.capture.as_ref().map(|c| c.name.as_str())).collect();
    state.outputs.retain(|k, _| captured.contains(k.as_str()));
}

/// Add one round's summary to the run's.
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

/// Wait (bounded) for commands a killed apply left running, so their effect is visible.
fn wait_for_orphans(state: &State, ui: &mut Ui) {
    let pids: Vec<(String, u32)> = state
        .steps
        .iter()
        .filter_map(|(id, st)| {
            st.pid.filter(|p| st.status == Status::Running && crate::apply::sys::alive(*p)).map(|p| (id.clone(), p))
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
    while pids.iter().any(|(_, p)| crate::apply::sys::alive(*p)) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(100));
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

#[cfg(test)]
mod tests {
    use super::super::fixture::{at, seed004, state};
    use super::*;
    use crate::steps::update::{Change, How};

    fn item(id: &str, resource: bool, action: diff::Action) -> diff::Item {
        diff::Item {
            id: id.into(),
            step: None,
            title: id.into(),
            resource: resource.then(|| format!("thing {id}")),
            action,
        }
    }

    fn of(items: Vec<diff::Item>) -> diff::Diff {
        diff::Diff { items, drops: Vec::new() }
    }

    fn change(replace: bool) -> diff::Action {
        let how = if replace {
            How::Replace { why: "its CIDR cannot change", source: "AWS-VPC" }
        } else {
            How::Update { steps: Vec::new(), source: "AWS-VPN-MODIFY" }
        };
        diff::Action::Change(Change { attrs: Vec::new(), how })
    }

    fn destroy(program: &str) -> diff::Action {
        diff::Action::Destroy { delete: vec![program.into(), "delete".into()] }
    }

    #[test]
    fn a_run_resumes_when_the_last_one_left_a_step_unfinished() {
        let s = seed004();
        assert!(!resumes(&state(&s, &[("aws/vpc", Status::Done), ("azure/vnet", Status::Manual)])));
        for left in [Status::Running, Status::Failed, Status::Unknown] {
            assert!(resumes(&state(&s, &[("aws/vpc", Status::Done), ("azure/vnet", left)])), "{left:?}");
        }
    }

    #[test]
    fn the_preflight_asks_only_for_the_clis_the_run_needs() {
        let s = seed004();
        let aws_only: Vec<usize> = (0..s.steps.len()).filter(|&i| s.steps[i].id.starts_with("aws/")).collect();
        assert_eq!(programs(&s, &aws_only, &of(Vec::new())), [Program::Aws]);
        // Deleting what left the plan needs the deleting CLI, even with nothing else of it to run.
        let d = of(vec![item("gcp/tunnel-x", true, destroy("gcloud"))]);
        let p = programs(&s, &aws_only, &d);
        assert!(p.contains(&Program::Aws) && p.contains(&Program::Gcloud), "{p:?}");
        // A change reaches every cloud of the plan (new values feed the others).
        let d = of(vec![item("aws/vpc", true, change(false))]);
        assert_eq!(programs(&s, &aws_only, &d), [Program::Aws, Program::Az, Program::Gcloud]);
        assert_eq!(programs(&s, &[], &of(Vec::new())), []);
    }

    #[test]
    fn the_question_counts_what_is_destroyed_or_replaced() {
        assert_eq!(question("multicloud", &of(vec![item("aws/vpc", true, change(false))])), "Apply plan 'multicloud'?");
        let d = of(vec![
            item("aws/vpc", true, change(true)),
            item("gcp/tunnel-x", true, destroy("gcloud")),
            item("gcp/tunnel-y", true, destroy("gcloud")),
        ]);
        assert_eq!(
            question("multicloud", &d),
            "Apply plan 'multicloud'? It destroys 2 resources and replaces 1 resource (listed above)."
        );
    }

    #[test]
    fn rounds_destroy_what_left_first_then_replace_and_update_and_stop_on_a_create() {
        assert_eq!(Round::after_creates(&of(Vec::new())), Round::Stop);
        let create = item("aws/vpc", true, diff::Action::Create { creates: true });
        let leaving = item("gcp/tunnel-x", true, destroy("gcloud"));
        let update = item("aws/vpn-aws-azure-1", true, change(false));
        let replace = item("aws/vpc", true, change(true));
        assert_eq!(Round::after_creates(&of(vec![leaving.clone(), create])), Round::Stop, "a create failed");
        assert_eq!(Round::after_creates(&of(vec![update.clone(), leaving])), Round::Leaving);
        assert_eq!(Round::after_creates(&of(vec![item("x", false, diff::Action::Forget)])), Round::Leaving);
        assert_eq!(Round::after_creates(&of(vec![replace.clone()])), Round::Changes { updates: false });
        assert_eq!(Round::after_creates(&of(vec![replace, update])), Round::Changes { updates: true });
    }

    #[test]
    fn values_no_step_captures_any_more_leave_the_state() {
        let s = seed004();
        let mut st = state(&s, &[]);
        st.outputs.insert("AWS_VPC_ID".into(), "vpc-1".into());
        st.outputs.insert("AWS_CGW_ONPREM_1".into(), "cgw-9".into());
        keep_captured(&s, &mut st);
        assert_eq!(st.outputs.keys().collect::<Vec<_>>(), ["AWS_VPC_ID"]);
        assert!(at(&s, "aws/vpc") < s.steps.len());
    }

    #[test]
    fn rounds_add_up() {
        let mut total =
            engine::Summary { done: 2, secs: 1.5, failed: vec![("a".into(), "x".into())], ..Default::default() };
        merge(
            &mut total,
            engine::Summary {
                done: 3,
                found: 1,
                unknown: vec!["b".into()],
                interrupted: true,
                secs: 2.0,
                ..Default::default()
            },
        );
        assert_eq!((total.done, total.found, total.secs, total.interrupted), (5, 1, 3.5, true));
        assert_eq!((total.failed.len(), total.unknown.len()), (1, 1));
    }
}
