//! The web face (wasm32 only): the wizard. Six steps, always reachable from the stepper (Sites,
//! Addressing, Links, Security, Review, Files), one file each, a findings panel always on screen,
//! share links in the URL fragment and a draft in `localStorage`.
//!
//! Components hold no domain facts: findings, choices, defaults and files come from the engine
//! ([`crate::check`], [`crate::edit`], [`crate::render`], [`crate::bundle`], [`crate::share`]).
//! Nothing here talks to a network.
#![deny(clippy::wildcard_enum_match_arm)]

mod browser;
mod draft;
mod fields;
mod findings;
mod generators;
mod lazy;
mod presets;
mod preview;
mod recover;
mod sharing;
mod state;
mod step_addressing;
mod step_files;
mod step_links;
mod step_review;
mod step_security;
mod step_sites;
mod stepper;
mod topology;

pub use draft::Draft;
pub use findings::{FindingList, FindingsPanel};
pub use presets::StartPicker;
pub use recover::{on_panic, reset_panic};
pub use sharing::{open_link, Opened};
pub use state::{field_id, Keys, KeysWhy, Step, Wiz};
pub use step_addressing::AddressingStep;
pub use step_files::FilesStep;
pub use step_links::LinksStep;
pub use step_review::ReviewStep;
pub use step_security::SecurityStep;
pub use step_sites::SitesStep;
pub use stepper::Stepper;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::check::Severity;
use crate::edit::blank;
use crate::kb::names::REGIONS;
use crate::kb::KB_DATE;
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::VERSION;
use state::{code_of, wiz, NoticeAction};

/// Entry point of the browser app (called by `src/bin/tunnelsmith-web.rs`): installs the panic
/// hook (which keeps the last good draft and offers a reload, [`on_panic`]), mounts [`App`] to
/// `<body>` and marks `app-interactive` once the first step takes input.
pub fn start() {
    // Where start-up time goes (make bench): the module is compiled and running from here.
    browser::mark("app-start");
    recover::install();
    leptos::mount::mount_to_body(App);
    // Mounting is synchronous: the first step's inputs exist and listen now.
    browser::mark("app-interactive");
    lazy::preload_on_first_touch();
}

/// The whole page: the wizard, opened from the URL's share link, the saved draft, or blank.
///
/// ```no_run
/// use leptos::prelude::*;
/// leptos::mount::mount_to_body(|| view! { <tunnelsmith::web::App/> });
/// ```
#[component]
pub fn App() -> impl IntoView {
    let w = Wiz::new(blank(), Keys::Browser, Secrets::default());
    provide_context(w);
    boot(w);
    follow_with_draft(w);
    sharing::follow_history(w);
    view! { <Wizard/> }
}

/// The draft and the address bar follow every change: written once typing pauses (300 ms), and
/// at once when the page is hidden or left, so nothing typed is lost and a keystroke never waits
/// for storage.
fn follow_with_draft(w: Wiz) {
    let latest = StoredValue::new_local(None::<draft::Draft>);
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    let write = move || {
        if let Some(h) = timer.try_update_value(Option::take).flatten() {
            h.clear();
        }
        if let Some(d) = latest.try_update_value(Option::take).flatten() {
            draft::save(&d);
            sharing::follow_in_address(w, &d);
        }
    };
    Effect::new(move |_| {
        let d = sharing::current_draft(w);
        recover::remember(&d);
        latest.set_value(Some(d));
        if timer.with_value(Option::is_none) {
            timer.set_value(set_timeout_with_handle(write, std::time::Duration::from_millis(300)).ok());
        }
    });
    let on_hide = window_event_listener(leptos::ev::pagehide, move |_| write());
    let on_hidden = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if document().visibility_state() == web_sys::VisibilityState::Hidden {
            write()
        }
    });
    on_cleanup(move || {
        on_hide.remove();
        on_hidden.remove();
        write();
    });
}

/// Where the first plan comes from: the link in the URL (unless the draft holds this link's
/// plan with the user's edits), else the draft, else a blank plan.
fn boot(w: Wiz) {
    let frag = browser::fragment();
    let saved = draft::load();
    if frag.contains("p=") {
        match saved {
            // A reload of the address this page kept in step with the draft.
            Some(d) if d.address.as_deref() == Some(frag.as_str()) => sharing::restore(w, d),
            Some(d) if d.origin.as_deref() == Some(frag.as_str()) => {
                sharing::restore(w, d);
                w.notify(
                    Severity::Info,
                    "Restored your edits of the shared plan",
                    vec!["This link's plan was open here before; your changes to it were kept.".into()],
                    None,
                );
            }
            other => {
                if let Some(d) = other {
                    sharing::restore(w, d);
                }
                leptos::task::spawn_local(async move {
                    let _ = sharing::open_link(w, &frag, sharing::Opened::AtLoad).await;
                });
            }
        }
    } else if let Some(d) = saved {
        sharing::restore(w, d);
    } else if let Some((d, fragment)) = draft::load_linked() {
        migrate_linked(w, d, fragment);
    } else if let Some((d, plan_file)) = draft::load_v1() {
        migrate_v1(w, d, plan_file);
    }
}

/// A draft of the build before holds its plan as a share-link fragment: restore it once the
/// codec is there (the next write keeps it in the current form).
fn migrate_linked(w: Wiz, d: draft::Draft, fragment: String) {
    leptos::task::spawn_local(async move {
        let c = match lazy::codec().await {
            Ok(c) => c,
            Err(e) => {
                // The plan stays in the address, so a reload (once online) opens it as a link.
                browser::push_fragment(&fragment);
                let lines = vec![format!("{e}."), "Reload this page to open it.".into()];
                w.notify(Severity::Warning, "Your saved plan could not be read yet", lines, None);
                return;
            }
        };
        match (c.decode)(&fragment) {
            Ok(s) => sharing::restore(w, draft::Draft { plan: s.plan, ..d }),
            Err(e) => w.notify(Severity::Warning, "Your saved plan could not be read", vec![e.to_string()], None),
        }
    });
}

/// A draft of an earlier build holds its plan as a plan file, which only the file generators
/// read: load them, then restore the draft (or say why it could not be).
fn migrate_v1(w: Wiz, d: draft::Draft, plan_file: String) {
    w.gens.ensure();
    let pending = StoredValue::new_local(Some((d, plan_file)));
    Effect::new(move |_| {
        if !w.gens.ready() {
            return;
        }
        if let Some((d, text)) = pending.try_update_value(Option::take).flatten() {
            match untrack(|| w.gens.import(&text)) {
                Ok(plan) => {
                    sharing::restore(w, draft::Draft { plan, ..d });
                    draft::clear_v1();
                }
                Err(e) => w.notify(Severity::Warning, "Your saved plan could not be read", vec![e], None),
            }
        }
    });
}

/// A fresh wizard for `plan` (for tests and embedding): provides the state as context.
pub fn provide_wizard(plan: Plan) -> Wiz {
    let w = Wiz::new(plan, Keys::Browser, Secrets::default());
    provide_context(w);
    w
}

/// The wizard's layout: header, notices, stepper, the current step beside the findings panel.
#[component]
pub fn Wizard() -> impl IntoView {
    let w = wiz();
    // Past Sites and Addressing, Review and Files are near: fetch the file generators now (not on
    // the first load), so the diagram and the files show at once, and offline after that.
    Effect::new(move |_| {
        if w.step.get().index() >= Step::Links.index() {
            w.gens.ensure();
        }
    });
    // A memo: the region lists are drawn again only when the first site comes or the last goes.
    let has_sites = Memo::new(move |_| w.plan(|p| !p.sites.is_empty()));
    let confirm = RwSignal::new(false);
    let share_status = RwSignal::new(None::<(bool, String)>);
    let start_over = move || {
        confirm.set(false);
        draft::clear();
        draft::clear_previous();
        w.load(blank(), Keys::Browser);
        w.fresh_keys();
        w.origin.set(None);
        w.address.set(None);
        w.notices.set(vec![]);
        w.show_step(Step::Sites);
        w.keep_secrets.set(false);
        if let Ok(h) = window().history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&browser::base_url()));
        }
        request_animation_frame(|| browser::focus_field("name"));
    };
    let skip = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(m) = document().get_element_by_id("step-heading") {
            let _ = m.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    };
    view! {
        <a class="skip" href="#step-heading" on:click=skip>"Skip to the current step"</a>
        <header class="top">
            <div class="brand">
                <h1>"Tunnelsmith"</h1>
                <p class="tagline">"Site-to-site IPsec VPNs across AWS, Azure, Google Cloud and self-managed gateways, planned and checked in this page."</p>
            </div>
            <div class="top-actions">
                <button
                    type="button"
                    class="secondary"
                    id="share-top"
                    on:click=move |_| sharing::share_into(w, share_status)
                >
                    "Copy share link"
                </button>
                <button type="button" class="secondary" id="start-over" on:click=move |_| confirm.set(true)>"Start over"</button>
            </div>
        </header>
        {move || share_status.get().map(|(ok, m)| view! { <p class=if ok { "status ok top-status" } else { "status warn top-status" } role="status">{m}</p> })}
        <Show when=move || confirm.get()>
            <div class="confirm top-confirm" role="alert">
                <p>"Start over with a blank plan? The draft kept in this browser is cleared (export the plan first to keep it)."</p>
                <button type="button" class="danger" id="start-over-confirm" on:click=move |_| start_over()>"Clear and start over"</button>
                <button type="button" class="secondary" on:click=move |_| confirm.set(false)>"Keep my plan"</button>
            </div>
        </Show>
        <Notices/>
        <Stepper/>
        <div class="layout">
            <main id="main">
                <h2 id="step-heading" tabindex="-1">{move || format!("{}. {}", w.step.get().index() + 1, w.step.get().label())}</h2>
                <div class="step-body" data-step=move || w.step.get().label().to_ascii_lowercase()>
                    {move || match w.step.get() {
                        Step::Sites => view! { <SitesStep/> }.into_any(),
                        s @ (Step::Addressing | Step::Links | Step::Security | Step::Review | Step::Files) => lazy::later(lazy::Later::Step(s)),
                    }}
                </div>
                <stepper::StepNav/>
            </main>
            <FindingsPanel/>
        </div>
        <footer class="foot">
            <dl class="facts inline">
                <div>
                    <dt>"Tunnelsmith"</dt>
                    <dd data-testid="version">{VERSION}</dd>
                </div>
                <div>
                    <dt>"Knowledge base checked"</dt>
                    <dd data-testid="kb-date"><time datetime=KB_DATE>{KB_DATE}</time></dd>
                </div>
            </dl>
            <p class="hint">"Runs entirely in this page: nothing you type leaves it."</p>
        </footer>
        {move || has_sites.get().then(|| lazy::later(lazy::Later::Regions))}
    }
}

/// Messages about what was opened or restored: the live region is always there (so screen
/// readers announce what appears in it), its messages come with the later chunk.
#[component]
fn Notices() -> impl IntoView {
    let w = wiz();
    // A memo: the list is drawn again only when the first message comes or the last goes.
    let any = Memo::new(move |_| !w.notices.with(Vec::is_empty));
    view! {
        <div class="notices" aria-live="polite">
            {move || any.get().then(|| lazy::later(lazy::Later::Notices))}
        </div>
    }
}

/// The messages of [`Notices`].
fn notice_list() -> AnyView {
    let w = wiz();
    view! {
            {move || {
                w.notices
                    .get()
                    .into_iter()
                    .map(|n| {
                        let id = n.id;
                        let class = format!("notice notice-{}", n.kind.label());
                        let role = if n.kind == Severity::Error { "alert" } else { "status" };
                        view! {
                            <section class=class role=role data-testid="notice">
                                <h2 class="notice-title">{n.title}</h2>
                                {n.lines.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                                <div class="button-row">
                                    {n.action.map(|a| match a {
                                        NoticeAction::RestorePrevious => view! {
                                            <button type="button" class="secondary" on:click=move |_| { w.dismiss(id); sharing::restore_previous(w); }>
                                                "Restore my previous plan"
                                            </button>
                                        }.into_any(),
                                    })}
                                    <button type="button" class="secondary" aria-label="Dismiss this message" on:click=move |_| w.dismiss(id)>
                                        "Dismiss"
                                    </button>
                                </div>
                            </section>
                        }
                    })
                    .collect_view()
            }}
    }
    .into_any()
}

/// Region suggestions per cloud, for the region inputs of the site cards (with them, from the
/// later chunk, once the plan has a site).
fn regions() -> AnyView {
    REGIONS
        .iter()
        .map(|r| {
            view! {
                <datalist id=format!("regions-{}", code_of(&r.platform))>
                    {r.known.iter().map(|k| view! { <option value=*k></option> }).collect_view()}
                </datalist>
            }
        })
        .collect_view()
        .into_any()
}
