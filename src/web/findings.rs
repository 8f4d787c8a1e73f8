//! The findings panel: always on screen, grouped by severity, updated on every keystroke. Each
//! finding names its field in words and jumps there (step, focus, highlight).

use leptos::prelude::*;

use super::fields::{severity_mark, use_suggestion};
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
///
/// Each group is a memo (an edit that leaves a group's findings as they were touches none of its
/// DOM) and a keyed list (a finding that appears or goes adds or removes one item; the others stay).
#[component]
pub fn FindingList(id_prefix: &'static str) -> impl IntoView {
    let w = wiz();
    view! {
        {[Severity::Error, Severity::Warning, Severity::Info]
            .into_iter()
            .map(|sev| {
                // Each finding with its place in words (which follows site and link names).
                let items = Memo::new(move |_| {
                    w.checked.with(|c| {
                        w.plan(|p| {
                            c.findings
                                .iter()
                                .filter(|f| f.severity == sev)
                                .map(|f| (f.clone(), field_label(p, &f.path)))
                                .collect::<Vec<_>>()
                        })
                    })
                });
                let count = Memo::new(move |_| items.with(Vec::len));
                let heading_id = format!("{id_prefix}-{}", sev.label());
                let (mark, word) = severity_mark(sev);
                let (title, none) = match sev {
                    Severity::Error => ("Errors", "No errors."),
                    Severity::Warning => ("Warnings", "No warnings."),
                    Severity::Info => ("Notes", "No notes."),
                };
                view! {
                    <section class=format!("fgroup fgroup-{}", sev.label()) aria-labelledby=heading_id.clone()>
                        <h3 id=heading_id.clone()>
                            <span class="mark" aria-hidden="true">{mark}</span>
                            " "{title}" ("{count}")"
                        </h3>
                        <Show when=move || count.get() == 0>
                            <p class="none">{none}</p>
                        </Show>
                        <ul class="finding-list" hidden=move || count.get() == 0>
                            <For
                                each=move || items.get()
                                key=|(f, place): &(Finding, String)| (f.code, f.path.clone(), f.message.clone(), place.clone())
                                children=move |(f, place): (Finding, String)| {
                                    let path = f.path.clone();
                                    let fix = (!f.fix.is_empty()).then(|| format!("Fix: {}", f.fix));
                                    let source = (!f.source.is_empty()).then(|| format!("Source: {}", f.source));
                                    let use_it = use_suggestion(&f);
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
                                            {use_it}
                                            <p class="meta">
                                                <code>{f.code}</code>
                                                {source.map(|s| view! { " · "{s} })}
                                            </p>
                                        </li>
                                    }
                                }
                            />
                        </ul>
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
    let open = w.panel_open;
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
            // Nothing to preview before the plan has a site.
            <Show when=move || w.step.get().has_fields() && w.plan(|p| !p.sites.is_empty())>
                {super::lazy::later(super::lazy::Later::Preview)}
            </Show>
        </aside>
    }
}
