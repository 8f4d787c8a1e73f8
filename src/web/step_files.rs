//! Step 6, Files: every artifact the engine renders, a tab each with line numbers, copy and
//! download; everything as one zip; the keys separately; the share link; the plan file out and
//! in; and how to run it all with the CLI.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::browser::{copy_text, download_bytes, download_text, read_chosen_file};
use super::generators::{not_ready, GenFile};
use super::sharing::{link_now, looks_like_link, open_link, share_into, Opened};
use super::state::{plural, wiz, Keys, KeysWhy, Step, Wiz};
use crate::bundle::{self, PLAN_FILE, SECRETS_FILE};
use crate::check::resolve;
use crate::secrets::{key_uses, Secrets};
use crate::share::LONG_LINK;

/// The Files step.
#[component]
pub fn FilesStep() -> impl IntoView {
    let w = wiz();
    let errors = move || w.checked.with(|c| c.findings.iter().filter(|f| f.is_error() && !is_key_finding(f)).count());
    // Every file, rendered by the generators (loaded on first use) when this step is shown and
    // again when the plan changes while it is.
    w.gens.ensure();
    let generated = Memo::new(move |_| w.gens.files());
    let artifacts =
        Memo::new(move |_| generated.with(|g| g.as_ref().and_then(|r| r.as_ref().ok()).cloned().unwrap_or_default()));
    let with_secrets = RwSignal::new(false);
    let zip_status = RwSignal::new(None::<String>);
    let download_all = move || {
        let secrets = with_secrets.get_untracked().then(|| current_secrets(w));
        match w.gens.zip(secrets.as_ref().map(Secrets::to_env)) {
            Ok(bytes) => {
                zip_status.set(None);
                download_bytes(&format!("{}.zip", w.plan(bundle::folder)), "application/zip", &bytes);
                if secrets.is_some() {
                    w.keys_exported.set(true);
                }
            }
            Err(e) => zip_status.set(Some(e)),
        }
    };
    // The files hold no key (scripts read secrets.env at run time): only the plan's own errors
    // stop them; missing or rejected keys stop secrets.env alone.
    let blocked = move || errors() > 0;
    let keys_unready = move || {
        w.keys.get().pending() || w.checked.with(|c| c.findings.iter().any(|f| f.is_error() && is_key_finding(f)))
    };
    view! {
        <Show when=blocked>
            <p class="callout bad" role="status" data-testid="files-blocked">
                {move || format!("✖ The plan has {}: downloads are off until it has none, because these files would not work. ", plural(errors(), "error"))}
                <button
                    type="button"
                    class="linkish"
                    on:click=move |_| {
                        if let Some(p) = w.checked.with_untracked(|c| c.findings.iter().find(|f| f.is_error() && !is_key_finding(f)).map(|f| f.path.clone())) {
                            w.go_to(&p)
                        }
                    }
                >
                    "Go to the first error"
                </button>
            </p>
        </Show>
        <section class="card" aria-labelledby="bundle-heading">
            <h3 id="bundle-heading">"Download"</h3>
            <div class="button-row">
                <button type="button" class="primary" id="download-zip" disabled=blocked on:click=move |_| download_all()>
                    "Download all (.zip)"
                </button>
                <button
                    type="button"
                    class="secondary"
                    id="download-secrets-files"
                    disabled=move || blocked() || keys_unready()
                    on:click=move |_| {
                        download_text(SECRETS_FILE, "text/plain", &current_secrets(w).to_env());
                        w.keys_exported.set(true);
                    }
                >
                    "Download secrets.env"
                </button>
                <button
                    type="button"
                    class="secondary"
                    id="export-plan"
                    on:click=move |_| {
                        if let Err(e) = export_plan(w) {
                            zip_status.set(Some(e))
                        }
                    }
                >
                    "Export plan (tunnelsmith-plan.json)"
                </button>
            </div>
            {move || zip_status.get().map(|m| view! { <p class="status bad" role="alert">{m}</p> })}
            <label class="check">
                <input type="checkbox" id="zip-secrets" disabled=keys_unready prop:checked=move || with_secrets.get() && !keys_unready() on:change=move |ev| with_secrets.set(event_target_checked(&ev))/>
                " Put secrets.env in the zip too (keep that zip private)"
            </label>
            <p class="hint">
                "The zip holds every file below and the plan; the keys only when you tick the box. Scripts keep their executable bit."
            </p>
            <Show when=keys_unready>
                <p class="callout warn" data-testid="keys-elsewhere">
                    "No file here holds a key: every script and config reads the keys from "<code>{SECRETS_FILE}</code>" when it runs, so you can download them all now. "
                    {move || match w.keys.get() {
                        Keys::Pending(KeysWhy::Link) => "This plan came from a share link, which never carries keys: get secrets.env from whoever deployed it (by another channel) and import it on the Security step, or generate new keys there if nothing is deployed yet.",
                        Keys::Pending(KeysWhy::PlanFile) => "This plan came from a plan file, which never holds keys: import the secrets.env that goes with it on the Security step, or generate new keys there if nothing is deployed yet.",
                        Keys::Pending(KeysWhy::NotKept) => "Your keys were not kept in this browser: import the secrets.env you downloaded on the Security step, or generate new keys there.",
                        Keys::Browser | Keys::Imported => "Some keys are missing or rejected: see the findings of the Security step.",
                    }}
                </p>
            </Show>
        </section>
        <ShareCard/>
        {move || match generated.get() {
            None => Some(view! { <p class="status" role="status" data-testid="files-loading">{not_ready(w.gens)}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="status bad" role="alert">{format!("The files could not be made: {e}")}</p> }.into_any()),
            Some(Ok(_)) => None,
        }}
        <FileTabs artifacts blocked=Signal::derive(blocked)/>
        <ImportCard/>
        <section class="card" aria-labelledby="cli-heading">
            <h3 id="cli-heading">"Run it"</h3>
            <p>"Unzip, put " <code>"secrets.env"</code> " beside the scripts, read " <code>"run-order.md"</code> ", then run the scripts in that order, or all of them:"</p>
            <pre class="cli"><code>"unzip "{move || w.plan(bundle::folder)}".zip && cd "{move || w.plan(bundle::folder)}"\n./deploy.sh"</code></pre>
            <p>"The same files come from the command line, from the plan file:"</p>
            <pre class="cli"><code>"tunnelsmith check tunnelsmith-plan.json\ntunnelsmith generate tunnelsmith-plan.json --out vpn/ --secrets secrets.env"</code></pre>
            <p id="cli-later">"Changing the plan later: the scripts are for day one. Export the changed plan, then "<code>"tunnelsmith plan"</code>" shows what would change (and which tunnels drop meanwhile) and "<code>"tunnelsmith apply"</code>" makes the clouds match it; the runbook's last section says what each kind of change costs."</p>
        </section>
    }
}

/// Download the plan file (written by the file generators, like the one in the zip); `Err` says
/// why it could not be.
fn export_plan(w: Wiz) -> Result<(), String> {
    w.gens.plan_file().map(|text| download_text(PLAN_FILE, "application/json", &text))
}

/// The keys of the plan only, each once (keys of renamed or removed tunnels are left out).
pub fn current_secrets(w: Wiz) -> Secrets {
    let uses = w.checked.with_untracked(|c| key_uses(&c.resolved));
    let mut out = Secrets::default();
    w.secrets.with_untracked(|s| {
        for k in &uses {
            if let Some(v) = s.psk(&k.name) {
                out.set(&k.name, v);
            }
        }
    });
    out
}

/// The share link, its length, and copy.
#[component]
fn ShareCard() -> impl IntoView {
    let w = wiz();
    let link = Memo::new(move |_| {
        w.editor.track();
        link_now(w)
    });
    let status = RwSignal::new(None::<(bool, String)>);
    view! {
        <section class="card" aria-labelledby="share-heading">
            <h3 id="share-heading">"Share"</h3>
            <p class="hint">"The link holds the whole plan in its # part, which browsers never send to a server. It never holds the keys."</p>
            <div class="field">
                <label for="share-link">"Share link"</label>
                <input id="share-link" type="text" class="mono" readonly prop:value=move || link.get() aria-describedby="share-length"/>
                <p class="hint" id="share-length">
                    {move || {
                        let n = link.with(|l| l.len());
                        if n > LONG_LINK {
                            format!("{n} characters: some chat tools cut links longer than {LONG_LINK}; send the plan file instead.")
                        } else {
                            format!("{n} characters.")
                        }
                    }}
                </p>
            </div>
            <div class="button-row">
                <button
                    type="button"
                    class="secondary"
                    id="copy-link"
                    on:click=move |_| share_into(w, status)
                >
                    "Copy share link"
                </button>
                <Show when={move || link.with(|l| l.len() > LONG_LINK)}>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| {
                            if let Err(e) = export_plan(w) {
                                status.set(Some((false, e)))
                            }
                        }
                    >
                        "Export the plan file instead"
                    </button>
                </Show>
            </div>
            {move || status.get().map(|(ok, m)| view! { <p class=if ok { "status ok" } else { "status warn" } role="status">{m}</p> })}
        </section>
    }
}

/// A tab per file, with line numbers, copy and download.
#[component]
fn FileTabs(artifacts: Memo<Vec<GenFile>>, blocked: Signal<bool>) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let count = Memo::new(move |_| artifacts.with(|a| a.len()));
    let paths = Memo::new(move |_| artifacts.with(|a| a.iter().map(|x| x.path.clone()).collect::<Vec<_>>()));
    let current = Memo::new(move |_| {
        let k = selected.get().min(count.get().saturating_sub(1));
        artifacts.with(|a| a.get(k).cloned())
    });
    let status = RwSignal::new(None::<String>);
    let select = move |k: usize| {
        selected.set(k);
        status.set(None);
        request_animation_frame(move || {
            if let Some(t) = document().get_element_by_id(&format!("tab-{k}")) {
                let _ = t.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = count.get_untracked();
        if n == 0 {
            return;
        }
        let k = selected.get_untracked().min(n - 1);
        let to = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => (k + 1) % n,
            "ArrowLeft" | "ArrowUp" => (k + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        select(to);
    };
    view! {
        <section class="card files" aria-labelledby="files-heading">
            <h3 id="files-heading">{move || format!("Files ({})", count.get())}</h3>
            <div class="tabs" role="tablist" aria-label="Generated files" aria-orientation="horizontal" on:keydown=on_key>
                {move || {
                    paths
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(k, p)| {
                            let is = move || selected.get().min(count.get().saturating_sub(1)) == k;
                            let label = p.clone();
                            view! {
                                <button
                                    type="button"
                                    role="tab"
                                    id=format!("tab-{k}")
                                    class="tab mono"
                                    data-path=p.clone()
                                    aria-selected=move || if is() { "true" } else { "false" }
                                    aria-controls="file-panel"
                                    tabindex=move || if is() { "0" } else { "-1" }
                                    on:click=move |_| select(k)
                                >
                                    {label}
                                </button>
                            }
                        })
                        .collect_view()
                }}
            </div>
            {move || match current.get() {
                None => view! { <p class="empty">"No files for this plan yet."</p> }.into_any(),
                Some(a) => {
                    let lines = a.text.lines().count();
                    let text = a.text.clone();
                    let text2 = a.text.clone();
                    let path = a.path.clone();
                    let file_name = a.path.rsplit('/').next().unwrap_or(&a.path).to_string();
                    let about = format!("{} · {}{}", plural(lines, "line"), a.media_type, if a.executable { " · executable" } else { "" });
                    let media = a.media_type.clone();
                    let k = selected.get_untracked().min(count.get_untracked().saturating_sub(1));
                    view! {
                        <div class="file-panel" id="file-panel" role="tabpanel" aria-labelledby=format!("tab-{k}") data-path=path.clone()>
                            <div class="file-head">
                                <span class="mono">{path.clone()}</span>
                                <span class="hint">
                                    {about}
                                </span>
                                <div class="button-row">
                                    <button
                                        type="button"
                                        class="secondary small"
                                        id="copy-file"
                                        on:click=move |_| {
                                            let t = text.clone();
                                            leptos::task::spawn_local(async move {
                                                status.set(Some(match copy_text(&t).await {
                                                    Ok(()) => "Copied.".to_string(),
                                                    Err(e) => e,
                                                }));
                                            })
                                        }
                                    >
                                        "Copy"
                                    </button>
                                    <button
                                        type="button"
                                        class="secondary small"
                                        id="download-file"
                                        disabled=move || blocked.get()
                                        on:click=move |_| download_text(&file_name, &media, &text2)
                                    >
                                        "Download"
                                    </button>
                                </div>
                                {move || status.get().map(|m| view! { <span class="status ok" role="status">{m}</span> })}
                            </div>
                            <pre class="code" tabindex="0" aria-label=format!("{path}, {}", plural(lines, "line"))>
                                <code>{a.text.lines().map(|l| view! { <span class="line">{l.to_string()}"\n"</span> }).collect_view()}</code>
                            </pre>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Import a plan: a file or pasted text (a plan file, or a share link).
#[component]
fn ImportCard() -> impl IntoView {
    let w = wiz();
    let result = RwSignal::new(None::<(bool, String)>);
    let paste = RwSignal::new(String::new());
    let import = move |source: String, text: String| {
        if looks_like_link(&text) {
            leptos::task::spawn_local(async move {
                result.set(Some(match open_link(w, &text, Opened::Pasted).await {
                    Ok(()) => (true, "Opened the link.".to_string()),
                    Err(e) => (false, format!("{e} Your plan was not changed.")),
                }));
            });
            return;
        }
        // Plan files are read by the generators (the JSON reader with line, column and field
        // errors is part of that module, not of the first page load).
        match w.gens.import(&text) {
            Ok(plan) => {
                let r = resolve(&plan);
                let covered = w
                    .secrets
                    .with_untracked(|s| r.links.iter().flat_map(|l| &l.tunnels).all(|t| s.psk(&t.psk_name).is_some()));
                let keys = if covered && !w.keys.get_untracked().pending() {
                    w.keys.get_untracked()
                } else {
                    Keys::Pending(KeysWhy::PlanFile)
                };
                let what = format!("{}, {}", plural(plan.sites.len(), "site"), plural(plan.links.len(), "link"));
                w.load(plan, keys);
                w.origin.set(None);
                result.set(Some((true, format!("Imported {source}: {what}. Its findings are in the panel."))));
                w.show_step(Step::Review);
            }
            Err(e) => {
                result.set(Some((false, format!("{source} could not be imported: {e}. Your plan was not changed."))))
            }
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        read_chosen_file(ev, move |name, text| match text {
            Ok(t) => import(name, t),
            Err(e) => result.set(Some((false, e))),
        })
    };
    view! {
        <section class="card" aria-labelledby="import-heading">
            <h3 id="import-heading">"Import a plan"</h3>
            <p class="hint">"A tunnelsmith-plan.json (yours or a teammate's), or a share link. It replaces the plan here."</p>
            <div class="button-row">
                <input id="import-file" class="visually-hidden-file" type="file" accept=".json,application/json" on:change=on_file/>
                <label class="button secondary" for="import-file">"Choose a plan file…"</label>
            </div>
            <div class="field">
                <label for="import-paste">"Or paste a plan or a link"</label>
                <textarea id="import-paste" class="mono" rows="5" spellcheck="false" prop:value=move || paste.get() on:input=move |ev| paste.set(event_target_value(&ev))></textarea>
            </div>
            <button
                type="button"
                class="secondary"
                id="import-pasted"
                disabled=move || paste.with(|p| p.trim().is_empty())
                on:click=move |_| import("the pasted plan".into(), paste.get_untracked())
            >
                "Import pasted text"
            </button>
            {move || {
                result.get().map(|(ok, m)| {
                    if ok {
                        view! { <p class="status ok" role="status" data-testid="import-result">{m}</p> }.into_any()
                    } else {
                        view! { <p class="status bad" role="alert" data-testid="import-error">{m}</p> }.into_any()
                    }
                })
            }}
        </section>
    }
}

/// A finding about the keys (missing or rejected), which stops `secrets.env` but no other file.
fn is_key_finding(f: &crate::check::Finding) -> bool {
    f.path.starts_with("secrets.")
}
