//! Bash scripts for AWS, Azure and Google Cloud, rendered from `steps` (issue 3).

use super::{Artifact, RenderOptions};
use crate::check::Resolved;

/// The cloud scripts of the plan.
pub fn artifacts(_r: &Resolved, _opts: &RenderOptions) -> Vec<Artifact> {
    Vec::new()
}
