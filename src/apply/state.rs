//! The state of one plan's apply: what ran, what it captured, what it created (with the exact
//! command that deletes it), written after every change as `state.json` in the state folder
//! (atomically: a temporary file, flushed, then renamed over the old one).
//!
//! The state never holds a pre-shared key: captured values are IDs and addresses, commands
//! are stored only for deletion (which takes no key), and every message is redacted first.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name inside the state folder.
pub const STATE_FILE: &str = "state.json";
/// The format of `state.json`; bumped on incompatible changes.
pub const FORMAT: u32 = 1;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its command was started and has not been seen to end (if apply is not running, it was
    /// interrupted: the next apply checks it against the cloud first).
    Running,
    /// It took effect.
    Done,
    /// Its command failed; the next apply checks it against the cloud, then runs it again.
    Failed,
    /// Stopped while running, or its outcome could not be read: checked on the next apply.
    Unknown,
    /// An appliance step left to the user (no `--ssh` target); the commands were printed.
    Manual,
}

/// One step's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// The process running its command (its own process group), while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// `ran` (its command) or `found` (a check found it had taken effect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    /// Why it failed, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The arguments it ran with, captured outputs filled in, keys by name only
    /// ([`crate::steps::update::inputs`]): what `plan` compares the plan with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<String>>,
    /// The `inputs` are the plan's at the time a check found the step done (it ran in a run
    /// that did not record it), not what it ran with: the next read-back of its settings
    /// replaces them, and one that cannot be read back is named as such.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assumed: bool,
    /// For a step that made nothing of its own (a route, a router interface or BGP peer): the
    /// command that takes it back, filled in, should it leave the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Vec<String>>,
}

impl StepState {
    /// A step whose command starts now.
    pub fn running() -> StepState {
        StepState {
            status: Status::Running,
            started: Some(super::time::now()),
            finished: None,
            seconds: None,
            pid: None,
            how: None,
            message: None,
            inputs: None,
            assumed: false,
            undo: None,
        }
    }
}

/// A resource this plan created, and how to delete it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Created {
    /// The step that created it.
    pub step: String,
    pub kind: String,
    /// Its name or ID.
    pub name: String,
    /// The argv that deletes it, program first, every value filled in.
    pub delete: Vec<String>,
    /// The steps of other created resources this one was built on (directly or not): it is
    /// deleted before them.
    pub needs: Vec<String>,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
}

/// Everything `state.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// The plan's name; a state belongs to one plan.
    pub plan: String,
    pub tool_version: String,
    pub updated: String,
    /// Values captured by steps, by name (`AWS_VPC_ID`).
    pub outputs: BTreeMap<String, String>,
    pub steps: BTreeMap<String, StepState>,
    /// Resources created, in creation order.
    pub created: Vec<Created>,
}

impl State {
    pub fn new(plan: &str) -> State {
        State {
            format: FORMAT,
            plan: plan.to_string(),
            tool_version: crate::VERSION.to_string(),
            updated: super::time::now(),
            outputs: BTreeMap::new(),
            steps: BTreeMap::new(),
            created: Vec::new(),
        }
    }

    /// Read `dir/state.json`; `Ok(None)` when there is none yet.
    pub fn load(dir: &Path) -> Result<Option<State>, String> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let s: State = serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))?;
        if s.format > FORMAT {
            return Err(format!(
                "{} was written by a newer tunnelsmith (state format {}); update tunnelsmith",
                path.display(),
                s.format
            ));
        }
        Ok(Some(s))
    }

    /// Write `dir/state.json` atomically: a temporary file beside it, flushed to disk, renamed.
    pub fn save(&mut self, dir: &Path) -> std::io::Result<()> {
        self.updated = super::time::now();
        let path = dir.join(STATE_FILE);
        let tmp: PathBuf = dir.join(format!(".{STATE_FILE}.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn status(&self, step: &str) -> Option<Status> {
        self.steps.get(step).map(|s| s.status)
    }

    pub fn is_done(&self, step: &str) -> bool {
        self.status(step) == Some(Status::Done)
    }

    /// Resources created and not deleted.
    pub fn live(&self) -> impl Iterator<Item = (usize, &Created)> {
        self.created.iter().enumerate().filter(|(_, c)| c.deleted.is_none())
    }
}
