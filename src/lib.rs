//! Tunnelsmith: plan, check and generate multi-cloud site-to-site IPsec VPNs.
//!
//! One engine, two faces (see `docs/ARCHITECTURE.md`): the layers below compile for both the
//! browser (wasm32) and the native CLI, do no I/O and are deterministic.
//!
//! ```text
//! plan ──► check/resolve ──► (steps ──► render)   kb: platform facts, with sources and dates
//! ```

/// `format!` into a string with room for a line (used by `steps` and `render`): their sentences,
/// names and titles are longer than `format!` guesses from its short literal pieces, so it would
/// grow most of them twice or more. Defined before the modules so that they can use it.
macro_rules! text {
    ($($arg:tt)*) => {{
        let mut s = String::with_capacity(128);
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!($($arg)*));
        s
    }};
}

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
