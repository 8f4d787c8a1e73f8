//! Where a plan starts: one of the presets (the field-report scenarios, named for what they are)
//! or a blank plan. Replacing a plan that has sites asks first.

use leptos::prelude::*;

use super::browser::focus_field;
use super::lazy::codec;
use super::state::{plural, wiz, Keys};
use crate::check::Severity;
use crate::edit::blank;
use crate::presets::{Preset, PRESETS};

/// After a new plan: fresh keys, no link it came from, the cursor in the plan's name.
fn started(w: super::Wiz) {
    w.fresh_keys();
    w.origin.set(None);
    request_animation_frame(|| focus_field("name"));
}

/// What the user asked to start from, waiting for confirmation.
#[derive(Clone, Copy)]
enum Start {
    Blank,
    Preset(&'static Preset),
}

/// The "start from" card at the top of the Sites step; open while the plan has no sites.
#[component]
pub fn StartPicker() -> impl IntoView {
    let w = wiz();
    let pending = RwSignal::new(None::<Start>);
    let empty = move || w.plan(|p| p.sites.is_empty());
    let apply = move |s: Start| {
        pending.set(None);
        match s {
            Start::Blank => w.load(blank(), Keys::Browser),
            Start::Preset(p) => {
                // Presets are share links: the codec reads them (fetched first if need be).
                leptos::task::spawn_local(async move {
                    match codec().await {
                        Ok(c) => {
                            if let Ok(s) = (c.decode)(p.link) {
                                w.load(s.plan, Keys::Browser);
                                started(w);
                            }
                        }
                        Err(e) => {
                            w.notify(Severity::Error, "The preset could not be opened", vec![format!("{e}.")], None)
                        }
                    }
                });
                return;
            }
        }
        started(w);
    };
    let ask = move |s: Start| {
        if empty() {
            apply(s)
        } else {
            pending.set(Some(s))
        }
    };
    view! {
        <details class="card start" prop:open=empty>
            <summary>
                <h2 class="inline">"Start from a preset or a blank plan"</h2>
            </summary>
            <Show when=move || pending.get().is_some()>
                <div class="confirm" role="alert">
                    <p>
                        {move || {
                            let what = match pending.get() {
                                Some(Start::Preset(p)) => format!("the preset “{}”", p.title),
                                _ => "a blank plan".to_string(),
                            };
                            let n = w.plan(|p| p.sites.len());
                            format!("Replace your plan ({}) with {what}? Export it from the Files step first to keep it.", plural(n, "site"))
                        }}
                    </p>
                    <button type="button" class="danger" on:click=move |_| { if let Some(s) = pending.get_untracked() { apply(s) } }>
                        "Replace my plan"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| pending.set(None)>
                        "Keep my plan"
                    </button>
                </div>
            </Show>
            <ul class="presets" data-testid="presets">
                {PRESETS
                    .iter()
                    .map(|p| {
                        let note_id = format!("preset-{}-note", p.id);
                        view! {
                            <li data-preset=p.id>
                                <button
                                    type="button"
                                    class="preset"
                                    aria-describedby=note_id.clone()
                                    on:click=move |_| ask(Start::Preset(p))
                                >
                                    {p.title}
                                </button>
                                <p class="hint" id=note_id>{p.note}</p>
                            </li>
                        }
                    })
                    .collect_view()}
                <li data-preset="blank">
                    <button type="button" class="preset" id="start-blank" aria-describedby="preset-blank-note" on:click=move |_| ask(Start::Blank)>
                        "Blank plan"
                    </button>
                    <p class="hint" id="preset-blank-note">"No sites yet: add them below, 2 to 8."</p>
                </li>
            </ul>
        </details>
    }
}
