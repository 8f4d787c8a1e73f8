//! The findings panel: always on screen, grouped by severity, updated on every keystroke. Each
//! finding names its field in words and jumps there (step, focus, highlight).

use leptos::prelude::*;

use super::fields::severity_mark;
use super::state::{plural, wiz};
use crate::check::{Finding, Severity};
use crate::edit::field_label;

/// `3 errors, 1 warning, 4 notes`.
pub fn summary(findings: &[Finding]) -> String {
    let n = |s| findings.iter().filter(|f| f.severity == s).count();
    format!(
        "{}, {}, {}",
        plural(n(Severity::Error), "error"),
        plural(n(Severity::Warning), "warning"),
        plural(n(Severity::Info), "note")
    )
}

/// The findings grouped by severity; `id_prefix` keeps ids unique when shown twice (panel and
/// Review).
#[component]
pub fn FindingList(id_prefix: &'static str) -> impl IntoView {
    let w = wiz();
    view! {
        {[Severity::Error, Severity::Warning, Severity::Info]
            .into_iter()
            .map(|sev| {
                let items = move || w.checked.with(|c| c.findings.iter().filter(|f| f.severity == sev).cloned().collect::<Vec<_>>());
                let heading_id = format!("{id_prefix}-{}", sev.label());
                let (mark, word) = severity_mark(sev);
                let title = match sev {
                    Severity::Error => "Errors",
                    Severity::Warning => "Warnings",
                    Severity::Info => "Notes",
                };
                view! {
                    <section class=format!("fgroup fgroup-{}", sev.label()) aria-labelledby=heading_id.clone()>
                        <h3 id=heading_id.clone()>
                            <span class="mark" aria-hidden="true">{mark}</span>
                            " "{title}" ("{move || items().len()}")"
                        </h3>
                        {move || {
                            let list = items();
                            if list.is_empty() {
                                let none = match sev {
                                    Severity::Error => "No errors.",
                                    Severity::Warning => "No warnings.",
                                    Severity::Info => "No notes.",
                                };
                                return view! { <p class="none">{none}</p> }.into_any();
                            }
                            view! {
                                <ul class="finding-list">
                                    {list
                                        .into_iter()
                                        .map(|f| {
                                            let path = f.path.clone();
                                            let place = w.plan(|p| field_label(p, &f.path));
                                            let fix = (!f.fix.is_empty()).then(|| format!("Fix: {}", f.fix));
                                            let source = (!f.source.is_empty()).then(|| format!("Source: {}", f.source));
                                            view! {
                                                <li class=format!("finding finding-{}", f.severity.label()) data-code=f.code>
                                                    <button
                                                        type="button"
                                                        class="goto"
                                                        data-path=path.clone()
                                                        on:click=move |_| w.go_to(&path)
                                                    >
                                                        <span class="sr-only">{word}" at "</span>
                                                        {place}
                                                    </button>
                                                    <p class="msg">{f.message}</p>
                                                    {fix.map(|x| view! { <p class="fix">{x}</p> })}
                                                    <p class="meta">
                                                        <code>{f.code}</code>
                                                        {source.map(|s| view! { " · "{s} })}
                                                    </p>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </section>
                }
            })
            .collect_view()}
    }
}

/// The panel beside (laptop) or below (phone) the current step.
#[component]
pub fn FindingsPanel() -> impl IntoView {
    let w = wiz();
    let open = RwSignal::new(false);
    let counts = move || w.checked.with(|c| summary(&c.findings));
    let errors = move || w.checked.with(|c| c.errors());
    view! {
        <aside class="findings" class:open=move || open.get() aria-labelledby="findings-heading">
            <div class="findings-head">
                <h2 id="findings-heading">"Findings"</h2>
                <p class="counts" class:bad={move || errors() > 0} role="status" aria-live="polite">
                    {counts}
                </p>
                <button
                    type="button"
                    class="toggle"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    aria-controls="findings-body"
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {move || if open.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <div class="findings-body" id="findings-body">
                <FindingList id_prefix="panel"/>
            </div>
            <Show when=move || w.step.get().has_fields()>
                <super::preview::Preview/>
            </Show>
        </aside>
    }
}
