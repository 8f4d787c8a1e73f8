//! The preview: one generated file, live, beside the step being edited (in the findings
//! panel). Closed, it costs nothing; open, a keystroke re-renders only the file on screen (the
//! generators' [`Gens::file`](super::generators::Gens::file)), and the list of files only when the plan's shape
//! (sites, gateways, links) changes, not on every address typed.

use leptos::prelude::*;

use super::generators::not_ready;
use super::state::wiz;

/// The preview card.
#[component]
pub fn Preview() -> impl IntoView {
    let w = wiz();
    let open = RwSignal::new(false);
    let chosen = RwSignal::new(None::<String>);
    // What decides the plan's file names (not its addresses): the list follows only that.
    let naming = Memo::new(move |_| w.plan(crate::generators::naming));
    let paths = Memo::new(move |_| {
        naming.track();
        if !open.get() || !w.gens.ready() {
            return vec![];
        }
        untrack(|| w.gens.files())
            .and_then(Result::ok)
            .map(|v| v.into_iter().map(|f| f.path).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    // The chosen file, else the first script or config (the documents come first in a bundle).
    let path = Memo::new(move |_| {
        let list = paths.get();
        chosen
            .get()
            .filter(|c| list.contains(c))
            .or_else(|| list.iter().find(|p| !p.ends_with(".md") && !p.ends_with(".html")).cloned())
            .or_else(|| list.first().cloned())
    });
    let text = Memo::new(move |_| {
        if !open.get() {
            return None;
        }
        let p = path.get()?;
        Some(match w.gens.file(&p) {
            None => Err(not_ready(w.gens)),
            Some(Ok(Some(f))) => Ok(f.text),
            Some(Ok(None)) => Err(format!("{p} is no longer one of the plan's files.")),
            Some(Err(e)) => Err(format!("The file could not be made: {e}")),
        })
    });
    view! {
        <details class="preview card" id="preview-card" on:toggle=move |ev| {
                let is_open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
                if is_open {
                    w.gens.ensure();
                }
                open.set(is_open);
            }>
            <summary>"Preview a file"</summary>
            <p class="hint">"One generated file, updated as you type. All of them are on the Files step."</p>
            <div class="field">
                <label for="preview-file">"File"</label>
                <select id="preview-file" on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                    {move || {
                        let current = path.get();
                        paths
                            .get()
                            .into_iter()
                            .map(|p| {
                                let selected = current.as_deref() == Some(p.as_str());
                                let label = p.clone();
                                view! { <option value=p selected=selected>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            {move || match text.get() {
                Some(Ok(t)) => view! { <pre class="code preview-text" tabindex="0" data-testid="preview"><code>{t}</code></pre> }.into_any(),
                Some(Err(m)) => view! { <p class="status" role="status" data-testid="preview-status">{m}</p> }.into_any(),
                None => view! { <p class="status" role="status" data-testid="preview-status">{not_ready(w.gens)}</p> }.into_any(),
            }}
        </details>
    }
}
