//! `apply` (native only): the executor behind `tunnelsmith plan | apply | status | destroy`.
//!
//! It runs the same [`crate::steps`] the bash scripts print, argv straight to `aws`, `az` and
//! `gcloud` (never through a shell), in dependency order and in parallel, and keeps a state
//! folder beside the plan (`<plan>.state/`, or `--state DIR`):
//!
//! | file | holds |
//! |---|---|
//! | `state.json` | every step's status, captured values, what was created with the command that deletes it ([`state`]); rewritten atomically after every change |
//! | `apply.log` | every command, its exit and output, with pre-shared keys redacted |
//! | `lock` | held (flock) by the one apply or destroy running on this state ([`lock`]) |
//! | `bundle/` | appliance files and `outputs.env`, to copy to appliance hosts |
//!
//! Resuming: a step recorded as running, unknown or failed is first checked against the cloud
//! with its [`crate::steps::Check`] (a describe/show that changes nothing); only if that shows it
//! did not take effect does it run again. Nothing is created twice.

pub mod appliance;
pub mod commands;
pub mod converge;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod lock;
pub mod private;
pub mod rotate;
pub mod run;
pub mod state;
pub mod status;
pub mod sys;
pub mod time;
pub mod tools;
pub mod ui;

pub use commands::{apply, destroy, plan, Options};
pub use rotate::rotate_keys;
pub use status::status;

/// Exit codes of `plan`, `apply`, `status` and `destroy` (stable, like `check`'s).
pub mod exit {
    /// Done; for `status`, every tunnel is up.
    pub const OK: i32 = 0;
    /// The plan has errors, a step failed, or (`status`) a tunnel is not up.
    pub const FAILED: i32 = 1;
    /// Unreadable input, bad usage, a missing or too old CLI, not logged in, the state locked
    /// by another run, or an answer other than `yes`.
    pub const USAGE: i32 = 2;
    /// Interrupted (Ctrl-C, SIGTERM): 128 + SIGINT, as shells report it.
    pub const INTERRUPTED: i32 = 130;
}
