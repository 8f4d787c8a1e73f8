//! `tunnelsmith plan`: what apply would do, as phases of steps (first run) or as a diff against
//! what apply made (day 2), with the drift read from the clouds; text or JSON.

use super::session::{Options, Session};
use crate::apply::diff;
use crate::apply::state::{State, Status};
use crate::apply::time::human;
use crate::apply::ui::Ui;
use crate::apply::Exit;
use crate::plan::Plan;
use crate::steps::{self, Step};
use std::collections::BTreeSet;
use std::io::IsTerminal;

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
        Some(crate::apply::drift::refreshed(&s, &mut state, opts.jobs))
    } else {
        None
    };
    let done = s.done(&state);
    let check = s.to_check(&state, &done);
    let todo: Vec<usize> = (0..s.tasks.len()).filter(|&i| !done[i]).collect();
    let jobs = opts.jobs.max(1);
    let eta = s.eta(&done, jobs);
    let status_of = |i: usize| Stage::of(&s, &state, &done, &check, i);
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
                    "status": status_of(i).word(),
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
                    "not_read": d.unread.iter().cloned().chain([crate::apply::drift::NOT_READ.to_string()]).collect::<Vec<_>>(),
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
    let applied = s.applied(&state);
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
            let (mark, code) = status_of(i).mark(st);
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

/// Where a task stands, as `plan` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Done, with everything it depends on.
    Done,
    /// Started by an earlier run that did not see it finish well: checked against the cloud
    /// before it runs again.
    Check,
    /// An appliance left to the user (no `--ssh`): its commands were printed.
    Manual,
    Todo,
}

impl Stage {
    fn of(s: &Session, state: &State, done: &[bool], check: &[bool], i: usize) -> Stage {
        if done[i] {
            Stage::Done
        } else if check[i] {
            Stage::Check
        } else if i >= s.steps.len() && state.status(&s.tasks[i].id) == Some(Status::Manual) {
            Stage::Manual
        } else {
            Stage::Todo
        }
    }

    /// The word `plan --json` gives.
    fn word(self) -> &'static str {
        match self {
            Stage::Done => "done",
            Stage::Check => "check",
            Stage::Manual => "manual",
            Stage::Todo => "todo",
        }
    }

    /// The mark before a task's line and its colour: for one to run, whether it creates (`+`)
    /// or waits (`~`).
    fn mark(self, step: Option<&Step>) -> (&'static str, &'static str) {
        match self {
            Stage::Done => ("done ", "32"),
            Stage::Check => ("check", "33"),
            Stage::Manual => ("hand ", "33"),
            Stage::Todo if step.and_then(|x| x.creates.as_ref()).is_some() => ("  +  ", "1"),
            Stage::Todo if step.and_then(|x| x.wait.as_ref()).is_some() => ("  ~  ", "33"),
            Stage::Todo => ("  ·  ", "0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, at, state};
    use super::*;

    #[test]
    fn a_task_stands_done_checked_by_hand_or_to_do() {
        let s = fixture::session("003-strongswan-ec2-to-aws-vgw");
        let st = state(
            &s,
            &[
                ("uswest/vpc", Status::Done),
                ("uswest/igw", Status::Failed),
                ("uswest/eip", Status::Manual),
                ("uswest/appliance", Status::Manual),
            ],
        );
        let done = s.done(&st);
        let check = s.to_check(&st, &done);
        let stage = |id: &str| Stage::of(&s, &st, &done, &check, at(&s, id));
        assert_eq!(stage("uswest/vpc"), Stage::Done);
        assert_eq!(stage("uswest/igw"), Stage::Check);
        assert_eq!(stage("uswest/appliance"), Stage::Manual);
        assert_eq!(stage("uswest/eip"), Stage::Check, "a step the state remembers is checked, never left by hand");
        assert_eq!(stage("uswest/subnet-1"), Stage::Todo);
        let words: Vec<&str> = [Stage::Done, Stage::Check, Stage::Manual, Stage::Todo].map(Stage::word).to_vec();
        assert_eq!(words, ["done", "check", "manual", "todo"], "plan --json's words are stable");
    }

    #[test]
    fn a_step_to_run_is_marked_by_what_it_does() {
        let s = fixture::seed004();
        let step = |id: &str| s.steps.get(at(&s, id));
        assert_eq!(Stage::Todo.mark(step("aws/vpc")).0, "  +  ", "creates a resource");
        assert_eq!(Stage::Todo.mark(step("azure/gateway-ready")).0, "  ~  ", "waits");
        assert_eq!(Stage::Todo.mark(step("aws/propagation")).0, "  ·  ");
        assert_eq!(Stage::Todo.mark(None).0, "  ·  ", "an appliance");
        assert_eq!(Stage::Done.mark(step("aws/vpc")), ("done ", "32"));
        assert_eq!(Stage::Check.mark(step("aws/vpc")).0, "check");
        assert_eq!(Stage::Manual.mark(None).0, "hand ");
    }
}
