//! Every scheduler event written into the state: a step's pid, how it ended, what it captured,
//! what it ran with and the resource it created (with the command that deletes it).

use super::session::Session;
use crate::apply::engine::{End, Event};
use crate::apply::state::{Created, State, Status, StepState};
use crate::apply::time::now;
use crate::steps;
use std::collections::{BTreeMap, BTreeSet};

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
            let mut st = StepState { status: Status::Done, started, finished: Some(now()), ..StepState::running() };
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
