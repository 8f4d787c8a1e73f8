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
#![deny(clippy::wildcard_enum_match_arm)]

pub mod appliance;
pub mod commands;
pub mod converge;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod lock;
pub mod private;
mod readback;
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

/// How a `tunnelsmith` command ended. Every command returns one; `main` turns it into the
/// process's exit code with [`Exit::code`], the one place the numbers live. The numbers are
/// stable (scripts test them) and listed by `tunnelsmith --help` from [`Exit::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; `check`: the plan has no errors; `status`: every tunnel is up.
    Ok,
    /// 1: the plan has errors, a step failed, or (`status`) a tunnel is not up.
    Failed,
    /// 2: unreadable input, bad usage, a missing or too old CLI, not logged in, the state locked
    /// by another run, or an answer other than `yes`.
    Usage,
    /// 130: interrupted (Ctrl-C, SIGTERM): 128 + SIGINT, as shells report it.
    Interrupted,
}

impl Exit {
    /// Every outcome, in the order `--help` lists them.
    pub const ALL: [Exit; 4] = [Exit::Ok, Exit::Failed, Exit::Usage, Exit::Interrupted];

    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 130,
        }
    }

    /// What the code means, as `--help` says it.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success; the plan has no errors",
            Exit::Failed => "the plan has errors (apply/destroy: a step failed; status: a tunnel is not up)",
            Exit::Usage => {
                "unreadable input or bad usage (apply/destroy/status: a CLI missing, too old or logged out; the state locked)"
            }
            Exit::Interrupted => "interrupted (Ctrl-C)",
        }
    }

    /// The "Exit codes:" section of `tunnelsmith --help`.
    pub fn help() -> String {
        let mut s = String::from("Exit codes:");
        for e in Exit::ALL {
            s.push_str(&format!("\n  {}  {}", e.code(), e.meaning()));
        }
        s
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn exit_codes_keep_their_documented_numbers() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 130]);
        assert_eq!(
            Exit::help(),
            "Exit codes:\n  0  success; the plan has no errors\n  1  the plan has errors (apply/destroy: a step failed; status: a tunnel is not up)\n  2  unreadable input or bad usage (apply/destroy/status: a CLI missing, too old or logged out; the state locked)\n  130  interrupted (Ctrl-C)"
        );
    }
}
