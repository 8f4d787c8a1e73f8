//! Plan editing: the pure operations the wizard performs on a [`Plan`].
//!
//! The wizard never reaches into a plan on its own for anything structural: adding a site (with
//! its platform's defaults and links to every existing site), renaming one (its links follow),
//! reordering, removing (with its links), changing platform or gateway kind (with that kind's
//! defaults), pinning inside /30s, and the per-link crypto choices with the reason each
//! unavailable value is unavailable. Everything here is deterministic and holds no web type, so
//! it is tested natively.
//!
//! Sites and links get stable ids in an [`Editor`]: while a name is being typed it may for a
//! moment equal another site's, and links must still follow the site being renamed, not
//! whichever site currently answers to the name.
//!
//! By concern: [`Editor`]'s structural operations (`editor.rs`), the defaults of a new site,
//! gateway or address space (`defaults.rs`), a link's routing and tunnel count (`routing.rs`),
//! the per-link crypto choices (`crypto.rs`), and the wizard's fields: parsing, suggestions,
//! labels (`fields.rs`).
#![deny(clippy::wildcard_enum_match_arm)]

mod crypto;
mod defaults;
mod editor;
mod fields;
mod routing;
#[cfg(test)]
mod tests;

pub use crypto::{crypto_choices, dh_groups, Allowed, Choice, CryptoChoices};
pub use defaults::{
    default_kind, default_region, free_name, free_space, gateway_defaults, kinds_for, latest_version, set_gateway_asn,
    site_defaults, subnets_into,
};
pub use editor::Editor;
pub use fields::{field_label, input_finding, parse_whole, suggestion};
pub use routing::{default_routing, default_routing_why, routing_choices, tunnel_capacity};

use crate::plan::{Plan, Topology, PLAN_VERSION};

/// Fewest sites a plan may have.
pub const MIN_SITES: usize = 2;
/// Most sites a plan may have.
pub const MAX_SITES: usize = 8;

/// The code of a finding about input the plan cannot hold (letters in an ASN, say); the wizard
/// keeps such text as typed and marks it with this finding.
pub const E_INPUT: &str = "E_INPUT";

/// An empty plan: no name, no sites, no links.
///
/// ```
/// let p = tunnelsmith::edit::blank();
/// assert!(p.sites.is_empty() && p.name.is_empty());
/// ```
pub fn blank() -> Plan {
    Plan {
        version: PLAN_VERSION,
        name: String::new(),
        description: String::new(),
        sites: vec![],
        links: vec![],
        topology: Topology::FullMesh,
    }
}
