//! `tunnelsmith destroy`: what the state says this plan created, deleted newest first along the
//! dependencies, after settling what an interrupted apply may have left; resumable.

use super::record::record;
use super::session::{child_env, confirm, err, preflight, Options, Session};
use super::step::{call_of, delete, shows, Settled};
use crate::apply::engine::{self, Cx, End, Event, Shared, Task};
use crate::apply::lock;
use crate::apply::run::{self, Log, Redact};
use crate::apply::state::{self as state_file, Created, State, Status};
use crate::apply::time::{human, now, scale};
use crate::apply::ui::Ui;
use crate::apply::Exit;
use crate::plan::Plan;
use crate::steps::{Check, Program};
use std::collections::{BTreeMap, BTreeSet};

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
    if !s.dir.join(state_file::STATE_FILE).exists() {
        return nothing(&mut ui);
    }
    let mut state = match s.load_state(&mut ui) {
        Ok(st) => st,
        Err(c) => return c,
    };
    let uncertain = uncertain(&s, &state);
    let programs = programs(&s, &state, &uncertain);
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
        match Settled::of(run::classify(step.program.command(), &o), shows(o.value().as_deref(), contains.as_deref())) {
            Settled::Present => {
                ui.say(&format!("  found {} (left by an interrupted apply): it will be deleted too", step.id));
                let value = if step.capture.is_some() { o.value() } else { None };
                let ev = Event::End(i, End::Done { value, found: true });
                record(&mut state, &s, &ev, &BTreeMap::new());
            }
            Settled::Absent => {
                state.steps.remove(&step.id);
            }
            Settled::CannotTell => {
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
    }
    let _ = state.save(&s.dir);
    let live: Vec<(usize, Created)> = state.live().map(|(i, c)| (i, c.clone())).collect();
    let tasks = delete_tasks(&live);
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
    crate::apply::sys::catch_interrupts();
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
                    s.forget(&mut state, &c.step);
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

/// Steps an interrupted apply left running, unknown or failed that create a resource the state
/// does not list: they may have created it, so their checks look first.
fn uncertain(s: &Session, state: &State) -> Vec<usize> {
    (0..s.steps.len())
        .filter(|&i| {
            let id = &s.steps[i].id;
            s.steps[i].creates.is_some()
                && matches!(state.status(id), Some(Status::Running | Status::Unknown | Status::Failed))
                && !state.live().any(|(_, c)| &c.step == id)
        })
        .collect()
}

/// The CLIs destroy needs: those of the recorded delete commands and of the `uncertain` checks.
fn programs(s: &Session, state: &State, uncertain: &[usize]) -> Vec<Program> {
    let programs: BTreeSet<Program> = state
        .live()
        .filter_map(|(_, c)| c.delete.first().and_then(|p| Program::from_command(p)))
        .chain(uncertain.iter().map(|&i| s.steps[i].program))
        .collect();
    programs.into_iter().collect()
}

/// One delete task per live entry; entry k waits for every entry built on it.
fn delete_tasks(live: &[(usize, Created)]) -> Vec<Task> {
    live.iter()
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
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{at, created, seed004, state};
    use super::*;

    #[test]
    fn steps_an_interrupted_apply_left_are_checked_when_they_create_and_are_not_recorded() {
        let s = seed004();
        let st = state(
            &s,
            &[
                ("aws/vpc", Status::Failed),
                ("aws/igw", Status::Running),
                ("aws/subnet-1", Status::Unknown),
                ("aws/gateway", Status::Done),
                ("aws/route-default", Status::Failed),
            ],
        );
        let want: Vec<usize> = ["aws/vpc", "aws/subnet-1", "aws/igw"].iter().map(|id| at(&s, id)).collect();
        assert_eq!(uncertain(&s, &st), want, "route-default creates nothing; the gateway is done");
        let mut st = st;
        st.created.push(created("aws/vpc", "vpc-1", &["aws", "ec2", "delete-vpc"], &[]));
        assert!(!uncertain(&s, &st).contains(&at(&s, "aws/vpc")), "recorded: deleted like any other");
    }

    #[test]
    fn destroy_needs_the_deleting_clis_and_those_of_the_checks() {
        let s = seed004();
        let mut st = state(&s, &[("gcp/network", Status::Failed)]);
        st.created.push(created("azure/vnet", "v", &["az", "network", "vnet", "delete"], &[]));
        let mut gone = created("aws/vpc", "vpc-1", &["aws", "ec2", "delete-vpc"], &[]);
        gone.deleted = Some("t".into());
        st.created.push(gone);
        let u = uncertain(&s, &st);
        assert_eq!(programs(&s, &st, &u), [Program::Az, Program::Gcloud], "a deleted entry needs nothing");
        assert_eq!(programs(&s, &state(&s, &[]), &[]), []);
    }

    #[test]
    fn a_resource_is_deleted_after_everything_built_on_it() {
        let live = vec![
            (0, created("aws/vpc", "vpc-1", &["aws", "ec2", "delete-vpc"], &[])),
            (1, created("aws/subnet-1", "subnet-1", &["aws", "ec2", "delete-subnet"], &["aws/vpc"])),
            (3, created("aws/subnet-1-rt", "rtbassoc-1", &["aws"], &["aws/vpc", "aws/subnet-1"])),
            (4, created("odd", "x", &["nosuchcli"], &[])),
        ];
        let t = delete_tasks(&live);
        assert_eq!(t[0].deps, [1, 2], "the VPC waits for its subnet and the association");
        assert_eq!(t[1].deps, [2]);
        assert!(t[2].deps.is_empty() && t[3].deps.is_empty());
        assert_eq!((t[1].id.as_str(), t[1].title.as_str()), ("delete aws/subnet-1", "Delete thing subnet-1"));
        assert_eq!(t[0].estimate, Program::Aws.cli().typical_secs);
        assert_eq!(t[3].estimate, 8.0);
        assert!(t.iter().all(|t| !t.done));
    }
}
