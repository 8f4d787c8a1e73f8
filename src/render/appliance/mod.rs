//! Libreswan, strongSwan and VyOS configuration and install scripts for appliance sites (issue 4).

use super::{Artifact, RenderOptions};
use crate::check::Resolved;

/// The appliance artifacts of the plan.
pub fn artifacts(_r: &Resolved, _opts: &RenderOptions) -> Vec<Artifact> {
    Vec::new()
}
