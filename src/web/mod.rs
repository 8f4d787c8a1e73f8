//! The web face (wasm32 only): Leptos components that show what the engine decides.
//!
//! For now this is the shell that proves the engine is linked into the browser build: the tool
//! version, the knowledge-base date and the presets with their finding counts. The wizard steps
//! (one file each, see `docs/ARCHITECTURE.md`) come later.
//!
//! Components hold no domain facts: counts and titles come from [`crate::check`] and
//! [`crate::presets`].

mod presets;

pub use presets::{PresetList, PresetSummary};

use leptos::prelude::*;

use crate::kb::KB_DATE;
use crate::presets::PRESETS;
use crate::VERSION;

/// Entry point of the browser app (called by `src/bin/tunnelsmith-web.rs`): installs the panic
/// hook, so a panic shows in the browser console with its message, and mounts [`App`] to `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The whole page.
///
/// ```no_run
/// use leptos::prelude::*;
/// leptos::mount::mount_to_body(|| view! { <tunnelsmith::web::App/> });
/// ```
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="shell">
            <header class="masthead">
                <h1>"Tunnelsmith"</h1>
                <p class="tagline">
                    "Plan, check and generate site-to-site IPsec VPNs across AWS, Azure, "
                    "Google Cloud and self-managed gateways. Everything runs in this page."
                </p>
            </header>
            <section class="card" aria-labelledby="engine-heading">
                <h2 id="engine-heading">"Engine"</h2>
                <dl class="facts">
                    <div>
                        <dt>"Version"</dt>
                        <dd data-testid="version">{VERSION}</dd>
                    </div>
                    <div>
                        <dt>"Knowledge base checked"</dt>
                        <dd data-testid="kb-date">
                            <time datetime=KB_DATE>{KB_DATE}</time>
                        </dd>
                    </div>
                </dl>
            </section>
            <section class="card" aria-labelledby="presets-heading">
                <h2 id="presets-heading">"Presets"</h2>
                <PresetList presets=PRESETS/>
            </section>
        </main>
    }
}
