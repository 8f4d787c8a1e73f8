//! Tunnelsmith: plan, check and generate multi-cloud site-to-site IPsec VPNs.
//!
//! One engine, two faces (see `docs/ARCHITECTURE.md`): the layers below compile for both the
//! browser (wasm32) and the native CLI, do no I/O and are deterministic.
//!
//! ```text
//! plan ──► check/resolve ──► (steps ──► render)   kb: platform facts, with sources and dates
//! ```

#[cfg(not(target_arch = "wasm32"))]
pub mod apply;
pub mod bundle;
pub mod check;
pub mod cost;
pub mod edit;
pub mod generators;
pub mod kb;
pub mod plan;
pub mod presets;
pub mod render;
pub mod secrets;
pub mod share;
pub mod steps;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The version stamped on every artifact.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
