//! `plan`, `apply` and `destroy`, one module per command, over what they share:
//!
//! | module | holds |
//! |---|---|
//! | `session` | the options, the checked plan and its task graph (`Session`), the state it loads, the preflight (tools, logins) and the question |
//! | `keys` | the secrets file: read and checked, topped up with keys for new tunnels, keys of removed tunnels retired, written atomically |
//! | `step` | one step or delete on a worker thread: its call, the check before a rerun, the waits |
//! | `record` | every scheduler event written into the state |
//! | `plan`, `apply`, `destroy` | the commands |
//!
//! What a command decides from the plan, the state and the diff is a pure function next to it,
//! unit-tested there; the commands themselves are covered by `tests/apply_*.rs`.

mod apply;
mod destroy;
mod keys;
mod plan;
mod record;
mod session;
mod step;

pub use self::apply::apply;
pub use self::destroy::destroy;
pub use self::plan::plan;
pub use session::Options;

pub(crate) use keys::{read_secrets, write_secrets};
pub(crate) use record::record;
pub(crate) use session::{child_env, confirm, err, preflight, values, Session};
pub(crate) use step::{delete, run_step};

/// What the unit tests build sessions and states from: the presets, as `plan` reads them.
#[cfg(test)]
pub(crate) mod fixture {
    use super::{Options, Session};
    use crate::apply::state::{Created, State, Status, StepState};

    /// Seed 004 (AWS, Azure, Google Cloud, BGP) or another preset by id.
    pub fn plan(id: &str) -> crate::plan::Plan {
        crate::presets::find(id).expect("a preset").plan()
    }

    pub fn options() -> Options {
        Options { plan_path: "/work/plans/p.json".into(), ..Options::default() }
    }

    /// A preset's session, waits at their typical time (no `TUNNELSMITH_TIME_SCALE`).
    pub fn session(id: &str) -> Session {
        Session::build(plan(id), &options(), 1.0).expect("the preset has no errors")
    }

    pub fn seed004() -> Session {
        session("004-aws-azure-gcp-bgp")
    }

    /// The index of a task by its id.
    pub fn at(s: &Session, id: &str) -> usize {
        s.tasks.iter().position(|t| t.id == id).unwrap_or_else(|| panic!("no task {id}"))
    }

    /// A state of this session's plan with these steps at these statuses.
    pub fn state(s: &Session, steps: &[(&str, Status)]) -> State {
        let mut st = State::new(&s.plan.name);
        for (id, status) in steps {
            st.steps.insert(id.to_string(), StepState { status: *status, ..StepState::running() });
        }
        st
    }

    /// A live record of a resource made by `step`.
    pub fn created(step: &str, name: &str, delete: &[&str], needs: &[&str]) -> Created {
        Created {
            step: step.into(),
            kind: "thing".into(),
            name: name.into(),
            delete: delete.iter().map(|d| d.to_string()).collect(),
            needs: needs.iter().map(|d| d.to_string()).collect(),
            created: "t".into(),
            deleted: None,
        }
    }
}
