//! `plan`, `apply` and `destroy`, one module per command, over what they share:
//!
//! | module | holds |
//! |---|---|
//! | [`session`] | the options, the checked plan and its task graph ([`Session`]), the state it loads, the preflight (tools, logins) and the question |
//! | [`keys`] | the secrets file: read and checked, topped up with keys for new tunnels, keys of removed tunnels retired, written atomically |
//! | [`step`] | one step or delete on a worker thread: its call, the check before a rerun, the waits |
//! | [`record`] | every scheduler event written into the state |
//! | [`plan`], [`apply`], [`destroy`] | the commands |
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
