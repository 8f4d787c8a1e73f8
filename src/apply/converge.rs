//! `apply` on a plan that changed since it was applied: the parts of the [`diff`] that are not
//! plain creates. The caller runs the creates first (new resources coexist with the old ones);
//! then, each phase writing the state after every resource so a killed apply resumes:
//!
//! 1. [`destroy`]: what left the plan, after the creates (creates before destroys): BGP
//!    peers, router interfaces and routes taken back first, then resources in reverse order of
//!    what they were built on (a removed tunnel may sit on a gateway about to be replaced);
//! 2. [`take_down`]: one replaced resource and what is built on it are deleted, and the
//!    caller's next create pass makes them again before the next group is touched
//!    (make-before-break between redundant tunnels: never two of a link down because of us);
//! 3. [`update`]: in-place updates and re-runs, one resource at a time (an AWS tunnel update
//!    restarts that tunnel; its sibling carries traffic until it is back).
//!
//! A phase's commands that were running when apply was killed are harmless to run again: an
//! update sets values (it is recorded only once it completed), a delete of something already
//! gone counts as done.

use super::commands::{delete, record, run_step, values, Session};
use super::diff::{Action, Diff, Item};
use super::engine::{self, Cx, End, Event, Shared, Summary, Task};
use super::state::{Created, State, Status};
use super::time::now;
use super::tools::Tool;
use super::ui::Ui;
use crate::secrets::Secrets;
use crate::steps::update::{Change, How};
use std::collections::BTreeMap;

/// What the phases need.
pub(crate) struct Run<'a> {
    pub s: &'a Session,
    pub shared: &'a Shared,
    pub tools: &'a BTreeMap<String, Tool>,
    pub secrets: &'a Secrets,
}

/// Run `tasks` one after another (each waits for the one before), recording with `on_end`.
fn in_turn<'a>(
    run: &Run<'a>,
    ui: &mut Ui,
    state: &mut State,
    mut tasks: Vec<Task>,
    mut work: impl FnMut(usize, &State) -> Box<dyn FnOnce(&Cx) -> End + Send + 'a>,
    mut on_end: impl FnMut(&mut State, usize, &End),
    parallel: bool,
) -> Summary {
    if !parallel {
        for (k, t) in tasks.iter_mut().enumerate() {
            if k > 0 && t.deps.is_empty() {
                t.deps.push(k - 1);
            }
        }
    }
    let cell = std::cell::RefCell::new(std::mem::replace(state, State::new("")));
    let dir = run.s.dir.clone();
    let summary = engine::run_tasks(
        &tasks,
        run.shared,
        ui,
        1,
        |k| {
            let st = cell.borrow();
            work(k, &st)
        },
        |ev, _| {
            if let Event::End(k, end) = ev {
                on_end(&mut cell.borrow_mut(), *k, end);
            }
        },
        || {
            let _ = cell.borrow_mut().save(&dir);
        },
    );
    *state = cell.into_inner();
    let _ = state.save(&run.s.dir);
    summary
}

fn task(id: String, title: String) -> Task {
    Task { id, title, deps: Vec::new(), estimate: 5.0, done: false }
}

/// In-place updates and re-runs of `d`, one resource at a time. Each is recorded (its new
/// inputs) only when all its commands succeeded.
pub(crate) fn update<'a>(run: &Run<'a>, ui: &mut Ui, state: &mut State, d: &Diff) -> Summary {
    let items: Vec<(&Item, usize, &Change)> = d
        .items
        .iter()
        .filter_map(|it| match (&it.action, it.step) {
            (Action::Change(c), Some(i)) if !matches!(c.how, How::Replace { .. }) => Some((it, i, c)),
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return Summary::default();
    }
    ui.say(&format!(
        "Updating {} in place, one at a time …",
        plural(items.len(), "resource or setting", "resources or settings")
    ));
    let tasks =
        items.iter().map(|(it, _, _)| task(format!("update {}", it.id), format!("Update {}", it.title))).collect();
    let s = run.s;
    in_turn(
        run,
        ui,
        state,
        tasks,
        |k, st| {
            let (_, i, c) = items[k];
            let v = values(st, run.secrets);
            let step = &s.steps[i];
            let how = c.how.clone();
            let tools = run.tools;
            Box::new(move |cx: &Cx| match how {
                How::Update { steps, .. } => {
                    for sub in &steps {
                        match run_step(cx, sub, tools, &v, false) {
                            End::Done { .. } => {}
                            other @ (End::Failed(_) | End::Unknown(_) | End::Cancelled | End::Manual(_)) => {
                                return other
                            }
                        }
                    }
                    End::Done { value: None, found: false }
                }
                How::Rerun { .. } | How::Replace { .. } => run_step(cx, step, tools, &v, false),
            })
        },
        |st, k, end| {
            let (_, i, _) = items[k];
            if matches!(end, End::Done { .. }) {
                record(st, s, &Event::End(i, end.clone()), &BTreeMap::new());
            }
        },
        false,
    )
}

/// Take down one group of replaced resources: the first replaced resource of `d` and every
/// replaced resource built on it (deepest first), each by its recorded delete command (or, for
/// a step that made nothing of its own, its undo), forgetting each step, so the next create
/// pass makes the group again before the next group is touched. `None` when nothing is to be
/// replaced.
pub(crate) fn take_down<'a>(run: &Run<'a>, ui: &mut Ui, state: &mut State, d: &Diff) -> Option<Summary> {
    let replaced: Vec<&Item> = d.items.iter().filter(|it| it.is_replace()).collect();
    let root = replaced.first()?;
    // The group: the root and the replaced steps that depend on it, directly or not.
    let mut group: Vec<&Item> = vec![root];
    loop {
        let more: Vec<&Item> = replaced
            .iter()
            .filter(|it| !group.iter().any(|g| g.id == it.id))
            .filter(|it| it.step.is_some_and(|i| run.s.steps[i].after.iter().any(|a| group.iter().any(|g| &g.id == a))))
            .copied()
            .collect();
        if more.is_empty() {
            break;
        }
        group.extend(more);
    }
    let why = match &root.action {
        Action::Change(Change { how: How::Replace { why, .. }, .. }) => *why,
        Action::Create { .. } | Action::Change(_) | Action::Destroy { .. } | Action::Forget => "",
    };
    ui.say(&format!(
        "Replacing {} ({why}){} …",
        root.resource.clone().unwrap_or_else(|| root.id.clone()),
        if group.len() > 1 { format!(" with {} built on it", group.len() - 1) } else { String::new() }
    ));
    // Deepest first: reverse plan order within the group.
    let mut entries: Vec<(Option<usize>, Created)> = Vec::new();
    let mut nothing: Vec<String> = Vec::new();
    for it in group.iter().rev() {
        match state.live().find(|(_, c)| c.step == it.id) {
            Some((k, c)) => entries.push((Some(k), c.clone())),
            None => match state.steps.get(&it.id).and_then(|st| st.undo.clone()) {
                Some(u) => entries.push((None, undo_entry(&it.id, u))),
                None => nothing.push(it.id.clone()),
            },
        }
    }
    // Nothing to delete for these (it made nothing, or it is already gone): run them again.
    for id in &nothing {
        run.s.forget(state, id);
    }
    mark_going(run, state, &entries, "being replaced: deleted, then made again");
    let tasks = entries
        .iter()
        .map(|(_, c)| task(format!("delete {}", c.step), format!("Delete {} {}", c.kind, c.name)))
        .collect();
    let s = run.s;
    Some(delete_all(run, ui, state, &entries, tasks, false, |st, c| s.forget(st, &c.step)))
}

/// Delete `entries` (their index in `state.created`, or `None` for an undo) as `tasks` say, one
/// after another or in parallel; each one gone is recorded deleted, then `gone` says what goes
/// with it.
fn delete_all<'a>(
    run: &Run<'a>,
    ui: &mut Ui,
    state: &mut State,
    entries: &[(Option<usize>, Created)],
    tasks: Vec<Task>,
    parallel: bool,
    mut gone: impl FnMut(&mut State, &Created),
) -> Summary {
    in_turn(
        run,
        ui,
        state,
        tasks,
        |k, _| {
            let c = entries[k].1.clone();
            let tools = run.tools;
            Box::new(move |cx: &Cx| delete(cx, &c, tools))
        },
        |st, k, end| {
            if matches!(end, End::Done { .. }) {
                let (idx, c) = &entries[k];
                if let Some(i) = idx {
                    st.created[*i].deleted = Some(now());
                }
                gone(st, c);
            }
        },
        parallel,
    )
}

/// Before deleting: the steps whose resources go are no longer trusted as done (a kill between
/// the delete and its record must not leave a step "done" whose resource is gone): the next run
/// checks them against the cloud, or deletes them again.
fn mark_going(run: &Run, state: &mut State, entries: &[(Option<usize>, Created)], why: &str) {
    for (_, c) in entries {
        if let Some(st) = state.steps.get_mut(&c.step) {
            st.status = Status::Unknown;
            st.message = Some(why.to_string());
        }
    }
    let _ = state.save(&run.s.dir);
}

fn undo_entry(id: &str, delete: Vec<String>) -> Created {
    Created {
        step: id.to_string(),
        kind: "setting".to_string(),
        name: delete.get(3).cloned().unwrap_or_default(),
        delete,
        needs: Vec::new(),
        created: now(),
        deleted: None,
    }
}

/// Destroy what left the plan: undos first (BGP peers, then interfaces, then routes), then the
/// resources, each after everything built on it; what goes with them is forgotten.
pub(crate) fn destroy<'a>(run: &Run<'a>, ui: &mut Ui, state: &mut State, d: &Diff) -> Summary {
    for it in d.items.iter().filter(|it| it.action == Action::Forget) {
        state.steps.remove(&it.id);
    }
    // (index in state.created, entry) for resources; (None, entry) for undos.
    let mut undos: Vec<(Option<usize>, Created)> = d
        .items
        .iter()
        .filter(|it| it.resource.is_none())
        .filter_map(|it| match &it.action {
            Action::Destroy { delete } => Some((None, undo_entry(&it.id, delete.clone()))),
            Action::Create { .. } | Action::Change(_) | Action::Forget => None,
        })
        .collect();
    undos.sort_by_key(|(_, c)| crate::steps::update::undo_rank(&c.delete));
    let resources: Vec<(Option<usize>, Created)> = state
        .live()
        .filter(|(_, c)| d.items.iter().any(|it| it.id == c.step && matches!(it.action, Action::Destroy { .. })))
        .map(|(k, c)| (Some(k), c.clone()))
        .collect();
    let n_undo = undos.len();
    let all: Vec<(Option<usize>, Created)> = undos.into_iter().chain(resources).collect();
    if all.is_empty() {
        let _ = state.save(&run.s.dir);
        return Summary::default();
    }
    ui.say(&format!("Destroying {} that left the plan …", plural(all.len(), "thing", "things")));
    mark_going(run, state, &all, "being destroyed: it left the plan");
    let tasks: Vec<Task> = all
        .iter()
        .enumerate()
        .map(|(k, (_, c))| {
            let mut t = task(format!("delete {}", c.step), format!("Delete {} {}", c.kind, c.name));
            t.deps = if k < n_undo {
                // Undos in their order.
                if k > 0 {
                    vec![k - 1]
                } else {
                    Vec::new()
                }
            } else {
                // A resource after every undo and every resource built on it.
                (0..n_undo)
                    .chain(
                        all.iter()
                            .enumerate()
                            .skip(n_undo)
                            .filter(|(_, (_, other))| other.needs.contains(&c.step))
                            .map(|(j, _)| j),
                    )
                    .collect()
            };
            t
        })
        .collect();
    let s = run.s;
    delete_all(run, ui, state, &all, tasks, true, |st, c| {
        st.steps.remove(&c.step);
        // Values only that step captured are gone with it.
        let kept: std::collections::BTreeSet<&str> =
            s.steps.iter().filter_map(|x| x.capture.as_ref().map(|c| c.name.as_str())).collect();
        st.outputs.retain(|k2, v| kept.contains(k2.as_str()) || v != &c.name);
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
