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

#[cfg(test)]
mod tests {
    use super::super::fixture::{at, seed004, state};
    use super::*;

    fn done(value: Option<&str>, found: bool) -> End {
        End::Done { value: value.map(String::from), found }
    }

    #[test]
    fn a_done_step_records_its_value_and_the_resource_with_the_command_that_deletes_it() {
        let s = seed004();
        let i = at(&s, "aws/subnet-1");
        let mut st = state(&s, &[("aws/vpc", Status::Done), ("aws/subnet-1", Status::Running)]);
        st.outputs.insert("AWS_VPC_ID".into(), "vpc-1".into());
        assert!(record(&mut st, &s, &Event::End(i, done(Some("subnet-9"), false)), &BTreeMap::new()));
        assert_eq!(st.outputs.get("AWS_SUBNET_1_ID").map(String::as_str), Some("subnet-9"));
        let rec = &st.steps["aws/subnet-1"];
        assert_eq!((rec.status, rec.how.as_deref(), rec.assumed), (Status::Done, Some("ran"), false));
        assert!(rec.started.is_some() && rec.finished.is_some());
        let inputs = rec.inputs.as_ref().expect("what it ran with");
        assert!(inputs.iter().any(|a| a.contains("vpc-1")), "{inputs:?}");
        assert_eq!(st.created.len(), 1);
        let c = &st.created[0];
        assert_eq!((c.step.as_str(), c.kind.as_str(), c.name.as_str()), ("aws/subnet-1", "subnet", "subnet-9"));
        assert_eq!(&c.delete[..2], ["aws", "ec2"]);
        assert!(c.delete.iter().any(|a| a == "subnet-9"), "{:?}", c.delete);
        assert_eq!(c.needs, ["aws/vpc"]);
        // Found again by a later check: recorded once.
        record(&mut st, &s, &Event::End(i, done(Some("subnet-9"), true)), &BTreeMap::new());
        assert_eq!(st.created.len(), 1);
    }

    #[test]
    fn a_resource_group_that_existed_before_the_first_run_is_not_the_plans() {
        let s = seed004();
        let i = at(&s, "azure/group");
        for (existed, recorded) in [("true", 0), ("false", 1)] {
            let mut st = state(&s, &[]);
            st.outputs.insert("AZURE_RG_EXISTED".into(), existed.into());
            record(&mut st, &s, &Event::End(i, done(None, false)), &BTreeMap::new());
            assert_eq!(st.created.len(), recorded, "existed: {existed}");
            assert!(st.is_done("azure/group"));
        }
    }

    #[test]
    fn a_step_found_done_keeps_what_it_last_ran_with_or_is_marked_assumed() {
        let s = seed004();
        let i = at(&s, "aws/vpc");
        let old = StepState { inputs: Some(vec!["--cidr-block 10.9.0.0/16".into()]), ..StepState::running() };
        let prior: BTreeMap<String, StepState> = [("aws/vpc".to_string(), old)].into();
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        record(&mut st, &s, &Event::End(i, done(Some("vpc-1"), true)), &prior);
        let rec = &st.steps["aws/vpc"];
        assert_eq!(rec.how.as_deref(), Some("found"));
        assert_eq!(rec.inputs.as_deref(), Some(&["--cidr-block 10.9.0.0/16".to_string()][..]));
        assert!(!rec.assumed);
        // Found with no record of what it ran with: the plan's inputs, assumed until read back.
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        record(&mut st, &s, &Event::End(i, done(Some("vpc-1"), true)), &BTreeMap::new());
        let rec = &st.steps["aws/vpc"];
        assert!(rec.assumed);
        assert!(rec.inputs.as_ref().is_some_and(|a| a.iter().any(|x| x.contains("172.16.0.0/16"))));
        // Ran: what it ran with now, whatever the record said.
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        record(&mut st, &s, &Event::End(i, done(Some("vpc-1"), false)), &prior);
        let rec = &st.steps["aws/vpc"];
        assert!(!rec.assumed);
        assert!(rec.inputs.as_ref().is_some_and(|a| a.iter().any(|x| x.contains("172.16.0.0/16"))));
    }

    #[test]
    fn a_cancelled_step_goes_back_to_what_the_state_said_before_the_run() {
        let s = seed004();
        let i = at(&s, "aws/vpc");
        let before = StepState { status: Status::Failed, message: Some("boom".into()), ..StepState::running() };
        let prior: BTreeMap<String, StepState> = [("aws/vpc".to_string(), before.clone())].into();
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        record(&mut st, &s, &Event::End(i, End::Cancelled), &prior);
        assert_eq!(st.steps["aws/vpc"], before);
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        record(&mut st, &s, &Event::End(i, End::Cancelled), &BTreeMap::new());
        assert!(!st.steps.contains_key("aws/vpc"), "never started before: no record");
    }

    #[test]
    fn failed_unknown_and_manual_keep_their_message_and_create_nothing() {
        let s = seed004();
        let i = at(&s, "aws/vpc");
        for (end, status) in [
            (End::Failed("VpcLimitExceeded".into()), Status::Failed),
            (End::Unknown("aws was stopped mid-command".into()), Status::Unknown),
            (End::Manual("run these".into()), Status::Manual),
        ] {
            let mut st = state(&s, &[("aws/vpc", Status::Running)]);
            let (End::Failed(m) | End::Unknown(m) | End::Manual(m)) = end.clone() else { unreachable!() };
            record(&mut st, &s, &Event::End(i, end), &BTreeMap::new());
            assert_eq!(st.steps["aws/vpc"].status, status);
            assert_eq!(st.steps["aws/vpc"].message.as_deref(), Some(m.as_str()));
            assert!(st.created.is_empty() && st.outputs.is_empty());
        }
    }

    #[test]
    fn a_running_commands_pid_is_kept_until_it_ends() {
        let s = seed004();
        let i = at(&s, "aws/vpc");
        let mut st = state(&s, &[("aws/vpc", Status::Running)]);
        assert!(record(&mut st, &s, &Event::Pid(i, Some(4242)), &BTreeMap::new()), "worth saving");
        assert_eq!(st.steps["aws/vpc"].pid, Some(4242));
        assert!(!record(&mut st, &s, &Event::Pid(i, None), &BTreeMap::new()));
        assert_eq!(st.steps["aws/vpc"].pid, None);
        assert!(!record(&mut st, &s, &Event::Note(i, "waiting".into()), &BTreeMap::new()));
    }

    #[test]
    fn a_resource_needs_every_resource_below_it_not_the_reads_between() {
        let s = seed004();
        let vpn = at(&s, "aws/vpn-aws-azure-1");
        let needs = creating_ancestors(&s, vpn);
        // Through the customer gateway it reaches Azure's public IP and resource group; the read
        // `azure/group-existed` creates nothing.
        assert_eq!(
            needs,
            ["aws/vpc", "aws/gateway", "aws/gateway-attach", "aws/cgw-azure-1", "azure/group", "azure/gw-ip-1"]
        );
        assert!(creating_ancestors(&s, at(&s, "aws/vpc")).is_empty());
    }
}
