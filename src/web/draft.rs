//! The draft: the plan being edited, kept in `localStorage` so work survives a reload. Keys are
//! kept only when the user opts in.

use gloo::storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};

use super::state::{Raw, Step};
use crate::plan::Plan;

const KEY: &str = "tunnelsmith.draft.v1";
/// The draft an opened link replaced, until the user restores or discards it.
const PREVIOUS: &str = "tunnelsmith.previous-draft.v1";

/// What is kept between visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub plan: Plan,
    /// Field text the plan could not take, kept as typed.
    #[serde(default)]
    pub raw: Raw,
    #[serde(default)]
    pub step: usize,
    /// `secrets.env` text, only when the user chose to keep keys in this browser.
    #[serde(default)]
    pub secrets: Option<String>,
    #[serde(default)]
    pub keep_secrets: bool,
    /// The keys were downloaded: regenerating them silently would break what was deployed.
    #[serde(default)]
    pub keys_exported: bool,
    /// The share-link fragment the plan was opened from or shared as.
    #[serde(default)]
    pub origin: Option<String>,
}

impl Draft {
    pub fn step(&self) -> Step {
        Step::from_index(self.step)
    }
}

pub fn load() -> Option<Draft> {
    LocalStorage::get(KEY).ok()
}

pub fn save(d: &Draft) {
    // A full or disabled storage only loses the draft; the page keeps working.
    let _ = LocalStorage::set(KEY, d);
}

pub fn clear() {
    LocalStorage::delete(KEY);
}

pub fn load_previous() -> Option<Draft> {
    LocalStorage::get(PREVIOUS).ok()
}

pub fn save_previous(d: &Draft) {
    let _ = LocalStorage::set(PREVIOUS, d);
}

pub fn clear_previous() {
    LocalStorage::delete(PREVIOUS);
}
