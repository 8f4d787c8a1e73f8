//! The stepper: every step always reachable, each with its error count, and Back/Next below a
//! step.

use leptos::prelude::*;

use super::state::{plural, wiz, Step};

/// Show step `s` and move focus to its heading (a screen reader says where the user is; Tab
/// goes on from the top of the step).
pub fn go_step(w: super::Wiz, s: Step) {
    w.step.set(s);
    request_animation_frame(|| {
        if let Some(h) = document().get_element_by_id("step-heading") {
            use wasm_bindgen::JsCast;
            let h: web_sys::HtmlElement = h.unchecked_into();
            let _ = h.focus();
        }
    });
}

/// The list of steps at the top of the wizard.
#[component]
pub fn Stepper() -> impl IntoView {
    let w = wiz();
    view! {
        <nav class="stepper" aria-label="Wizard steps">
            <ol>
                {Step::ALL
                    .into_iter()
                    .map(|s| {
                        let errors = move || if s.has_fields() { w.checked.with(|c| c.errors_on(s)) } else { 0 };
                        let current = move || w.step.get() == s;
                        view! {
                            <li>
                                <button
                                    type="button"
                                    id=format!("step-{}", s.label().to_ascii_lowercase())
                                    class="step"
                                    class:current=current
                                    class:bad={move || errors() > 0}
                                    aria-current=move || current().then_some("step")
                                    on:click=move |_| go_step(w, s)
                                >
                                    <span class="num" aria-hidden="true">{s.index() + 1}</span>
                                    <span class="name">{s.label()}</span>
                                    {move || {
                                        let n = errors();
                                        (n > 0)
                                            .then(|| {
                                                view! {
                                                    <span class="count" title=plural(n, "error")>
                                                        <span aria-hidden="true">"✖ "{n}</span>
                                                        <span class="sr-only">", "{plural(n, "error")}</span>
                                                    </span>
                                                }
                                            })
                                    }}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// Back and Next under a step.
#[component]
pub fn StepNav() -> impl IntoView {
    let w = wiz();
    let go = move |s: Step| go_step(w, s);
    view! {
        <div class="step-nav">
            {move || {
                let i = w.step.get().index();
                (i > 0)
                    .then(|| {
                        let prev = Step::from_index(i - 1);
                        view! {
                            <button type="button" class="secondary" on:click=move |_| go(prev)>
                                "← Back: "{prev.label()}
                            </button>
                        }
                    })
            }}
            {move || {
                let i = w.step.get().index();
                (i + 1 < Step::ALL.len())
                    .then(|| {
                        let next = Step::from_index(i + 1);
                        view! {
                            <button type="button" class="primary" on:click=move |_| go(next)>
                                "Next: "{next.label()}" →"
                            </button>
                        }
                    })
            }}
        </div>
    }
}
