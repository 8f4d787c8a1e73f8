//! Shared form widgets. Every control has a visible label, an id derived from the plan path it
//! edits (so a finding can focus it), its hint and the findings about it beside it (linked with
//! `aria-describedby`), `aria-invalid` when one of them is an error, and a highlight when a
//! finding jumped to it. Text is kept exactly as typed.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::state::{field_id, wiz, Wiz};
use crate::check::{Finding, Severity};
use crate::edit::{parse_whole, suggestion};

/// The word and mark for a severity: colour is never the only signal.
pub fn severity_mark(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("✖", "Error"),
        Severity::Warning => ("▲", "Warning"),
        Severity::Info => ("ℹ", "Note"),
    }
}

fn wrapper_class(w: Wiz, base: &'static str, path: &str) -> String {
    let mut c = base.to_string();
    let target = w.target.with(|t| t.as_deref() == Some(path));
    let (err, warn) =
        w.checked.with(|c| (c.at(path).any(|f| f.is_error()), c.at(path).any(|f| f.severity == Severity::Warning)));
    // The highlight of a jump stays while the field has something to fix, not after.
    if target && (err || warn) {
        c.push_str(" is-target");
    }
    if err {
        c.push_str(" has-error");
    } else if warn {
        c.push_str(" has-warning");
    }
    c
}

fn invalid(w: Wiz, path: &str) -> &'static str {
    if w.checked.with(|c| c.error_at(path)) {
        "true"
    } else {
        "false"
    }
}

/// What the fields of a card are about ("Site aws", "Link aws ↔ azure"): provided by the card,
/// said before each field's label to screen readers, so three "Name" fields are "Site aws:
/// Name", "Site azure: Name", ….
#[derive(Clone, Copy)]
pub struct FieldContext(pub Signal<String>);

/// Provide a [`FieldContext`] for the fields below.
pub fn provide_field_context(what: impl Fn() -> String + Send + Sync + 'static) {
    provide_context(FieldContext(Signal::derive(what)));
}

/// The context before a label, for screen readers only.
fn context_prefix() -> impl IntoView {
    use_context::<FieldContext>().map(|c| view! { <span class="sr-only">{move || format!("{}: ", c.0.get())}</span> })
}

/// One finding beside its field.
#[component]
pub fn Note(finding: Finding) -> impl IntoView {
    let (mark, word) = severity_mark(finding.severity);
    let class = format!("note note-{}", finding.severity.label());
    let fix = (!finding.fix.is_empty()).then(|| format!("Fix: {}", finding.fix));
    let use_it = use_suggestion(&finding);
    view! {
        <li class=class>
            <span class="mark" aria-hidden="true">{mark}</span>
            <span class="sr-only">{word}": "</span>
            <span class="msg">{finding.message}</span>
            {fix.map(|f| view! { <span class="fix">{f}</span> })}
            {use_it}
        </li>
    }
}

/// A one-click "Use …" for the value a finding's fix proposes for its own field (a name that
/// follows the rule, a free address space), if it proposes one (`edit::suggestion`).
pub fn use_suggestion(f: &Finding) -> Option<impl IntoView> {
    let value = suggestion(f)?;
    let w = wiz();
    let path = f.path.clone();
    let label = format!("Use {value}");
    Some(view! {
        <button
            type="button"
            class="secondary use-suggestion"
            data-path=path.clone()
            on:click=move |_| {
                let applied = std::cell::Cell::new(false);
                w.editor.update(|e| applied.set(e.apply_suggestion(&path, &value)));
                if applied.get() {
                    w.set_raw(&path, None);
                }
            }
        >
            {label}
        </button>
    })
}

/// The findings about exactly `path`.
#[component]
pub fn Notes(#[prop(into)] path: Signal<String>) -> impl IntoView {
    let w = wiz();
    // A memo: the list is rebuilt only when this field's findings change, not on every edit.
    let notes = Memo::new(move |_| {
        let p = path.get();
        w.checked.with(|c| c.at(&p).cloned().collect::<Vec<_>>())
    });
    view! {
        <ul class="notes" id=move || format!("{}-notes", field_id(&path.get()))>
            {move || notes.get().into_iter().map(|f| view! { <Note finding=f/> }).collect_view()}
        </ul>
    }
}

/// A text input bound to a plan field.
#[component]
pub fn TextField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(optional, into)] hint: MaybeProp<String>,
    #[prop(optional, into)] placeholder: MaybeProp<String>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional, into)]
    list: MaybeProp<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// Addresses and CIDRs: monospace, no spell-checking.
    #[prop(optional)]
    mono: bool,
) -> impl IntoView {
    let w = wiz();
    let id = move || field_id(&path.get());
    let class = Memo::new(move |_| wrapper_class(w, "field", &path.get()));
    let invalid = Memo::new(move |_| invalid(w, &path.get()));
    view! {
        <div class=class>
            <label for=id>{context_prefix()}{label}</label>
            <input
                id=id
                type="text"
                class:mono=mono
                autocomplete="off"
                spellcheck="false"
                inputmode=inputmode
                list=move || list.get()
                placeholder=move || placeholder.get()
                prop:value=move || value.get()
                aria-invalid=invalid
                aria-describedby=move || format!("{0}-hint {0}-notes", id())
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
            <p class="hint" id=move || format!("{}-hint", id())>{move || hint.get()}</p>
            <Notes path=path/>
        </div>
    }
}

/// A whole-number input (ASN, lifetime, timeout). Text that is not a number in range is kept
/// as typed and marked; the plan keeps its last valid value until the text is fixed.
#[component]
pub fn NumberField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] value: Signal<Option<u64>>,
    min: u64,
    max: u64,
    apply: Callback<Option<u64>>,
    #[prop(optional, into)] hint: MaybeProp<String>,
    #[prop(optional, into)] placeholder: MaybeProp<String>,
) -> impl IntoView {
    let w = wiz();
    let shown = Signal::derive(move || {
        let p = path.get();
        w.raw
            .with(|r| r.get(&p).map(|(t, _)| t.clone()))
            .unwrap_or_else(|| value.get().map(|v| v.to_string()).unwrap_or_default())
    });
    let on_input = Callback::new(move |text: String| {
        let p = path.get_untracked();
        match parse_whole(&text, min, max) {
            Ok(v) => {
                w.set_raw(&p, None);
                apply.run(v);
            }
            Err(why) => w.set_raw(&p, Some((text, why))),
        }
    });
    view! {
        <TextField label path value=shown on_input hint placeholder inputmode="numeric" mono=true/>
    }
}

/// An option of a [`SelectField`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub value: String,
    pub label: String,
    /// Why it cannot be chosen, if it cannot.
    pub disabled: Option<String>,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Opt {
        Opt { value: value.into(), label: label.into(), disabled: None }
    }
}

/// A `<select>` bound to a plan field.
#[component]
pub fn SelectField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] options: Signal<Vec<Opt>>,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    #[prop(optional, into)] hint: MaybeProp<String>,
) -> impl IntoView {
    let w = wiz();
    let id = move || field_id(&path.get());
    // Options are rebuilt only when they change, not on every keystroke elsewhere.
    let options = Memo::new(move |_| options.get());
    view! {
        <div class=move || wrapper_class(w, "field", &path.get())>
            <label for=id>{context_prefix()}{label}</label>
            <select
                id=id
                aria-invalid=move || invalid(w, &path.get())
                aria-describedby=move || format!("{0}-hint {0}-notes", id())
                on:change=move |ev| on_change.run(event_target_value(&ev))
            >
                {move || {
                    let current = value.get();
                    options
                        .get()
                        .into_iter()
                        .map(|o| {
                            let selected = o.value == current;
                            view! {
                                <option
                                    value=o.value
                                    prop:selected=selected
                                    disabled=o.disabled.is_some()
                                    title=o.disabled.clone()
                                >
                                    {o.label}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            <p class="hint" id=move || format!("{}-hint", id())>{move || hint.get()}</p>
            <Notes path=path/>
        </div>
    }
}

/// A checkbox bound to a plan field.
#[component]
pub fn CheckField(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] checked: Signal<bool>,
    on_change: Callback<bool>,
    #[prop(optional, into)] hint: MaybeProp<String>,
) -> impl IntoView {
    let w = wiz();
    let id = move || field_id(&path.get());
    view! {
        <div class=move || wrapper_class(w, "field check", &path.get())>
            <input
                id=id
                type="checkbox"
                prop:checked=move || checked.get()
                aria-invalid=move || invalid(w, &path.get())
                aria-describedby=move || format!("{0}-hint {0}-notes", id())
                on:change=move |ev| on_change.run(event_target_checked(&ev))
            />
            <label for=id>{context_prefix()}{label}</label>
            <p class="hint" id=move || format!("{}-hint", id())>{move || hint.get()}</p>
            <Notes path=path/>
        </div>
    }
}

/// A radio choice of a [`ChoiceGroup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Radio {
    pub value: String,
    pub label: String,
    /// A tag shown after the label, e.g. "recommended".
    pub tag: Option<String>,
    /// Why a choice that works is weak: a "weak" tag, the reason on hover.
    pub weak: Option<String>,
    /// Why it cannot be chosen, if it cannot: shown as text and as a tooltip.
    pub disabled: Option<String>,
}

/// A group of radio buttons bound to a plan field. Unavailable choices stay visible, disabled,
/// with the reason beside them (and on hover).
#[component]
pub fn ChoiceGroup(
    #[prop(into)] legend: Signal<String>,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] choices: Signal<Vec<Radio>>,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    #[prop(optional, into)] hint: MaybeProp<String>,
    /// Lay the choices out as compact chips (long lists such as DH groups).
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    let w = wiz();
    let id = move || field_id(&path.get());
    let choices = Memo::new(move |_| choices.get());
    view! {
        <fieldset
            id=id
            class=move || wrapper_class(w, if compact { "field choices compact" } else { "field choices" }, &path.get())
            aria-describedby=move || format!("{0}-hint {0}-notes", id())
        >
            <legend>{context_prefix()}{legend}</legend>
            <div class="options">
                {move || {
                    let current = value.get();
                    let group = id();
                    choices
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(k, c)| {
                            let rid = format!("{group}--{k}");
                            let why_id = format!("{rid}-why");
                            let checked = c.value == current;
                            let disabled = c.disabled.is_some();
                            let v = c.value.clone();
                            view! {
                                <div class="option" class:disabled=disabled class:checked=checked>
                                    <input
                                        type="radio"
                                        id=rid.clone()
                                        name=group.clone()
                                        value=c.value.clone()
                                        prop:checked=checked
                                        disabled=disabled
                                        aria-describedby=disabled.then(|| why_id.clone())
                                        on:change=move |_| on_change.run(v.clone())
                                    />
                                    <label for=rid title=c.disabled.clone()>
                                        {c.label}
                                        // A space before each badge: the radio's accessible name reads
                                        // "BGP recommended: …", not "BGPrecommended: …".
                                        {c.tag.map(|t| view! { " "<span class="tag">{t}</span> })}
                                        {c.weak.map(|why| { let title = why.clone(); view! { " "<span class="tag weak" title=title>"weak"<span class="sr-only">": "{why}</span></span> } })}
                                    </label>
                                    {c.disabled.map(|why| view! { <span class="why" id=why_id>{why}</span> })}
                                </div>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <p class="hint" id=move || format!("{}-hint", id())>{move || hint.get()}</p>
            <Notes path=path/>
        </fieldset>
    }
}

/// Move up and move down buttons for item `i` of a list of `count`. Focus follows the item to
/// its new place, so a keyboard user can keep moving it.
#[component]
pub fn MoveButtons(
    /// Button ids are `<prefix>-<index>-up` and `-down`.
    prefix: &'static str,
    i: ReadSignal<usize>,
    #[prop(into)] count: Signal<usize>,
    /// What moves, for the buttons' labels (`aws`, `link aws ↔ azure`).
    #[prop(into)]
    what: Signal<String>,
    /// Called with the new index.
    on_move: Callback<usize>,
) -> impl IntoView {
    let go = move |to: usize, dir: &'static str| {
        on_move.run(to);
        request_animation_frame(move || {
            let doc = document();
            let other = if dir == "up" { "down" } else { "up" };
            for d in [dir, other] {
                if let Some(b) = doc.get_element_by_id(&format!("{prefix}-{to}-{d}")) {
                    let b: web_sys::HtmlButtonElement = b.unchecked_into();
                    if !b.disabled() {
                        let _ = b.focus();
                        return;
                    }
                }
            }
        });
    };
    view! {
        <button
            type="button"
            class="icon"
            id=move || format!("{prefix}-{}-up", i.get())
            disabled=move || i.get() == 0
            aria-label=move || format!("Move {} up", what.get())
            on:click=move |_| go(i.get_untracked().saturating_sub(1), "up")
        >
            "↑"
        </button>
        <button
            type="button"
            class="icon"
            id=move || format!("{prefix}-{}-down", i.get())
            disabled={move || i.get() + 1 >= count.get()}
            aria-label=move || format!("Move {} down", what.get())
            on:click=move |_| go(i.get_untracked() + 1, "down")
        >
            "↓"
        </button>
    }
}

/// What a [`Cards`] list shows: the plan's sites or its links.
#[derive(Clone, Copy)]
pub enum Items {
    Sites,
    Links,
}

/// One card per site or link, keyed by the item's stable id, so a card keeps its DOM (and the
/// focus in it) when others are added, removed or reordered; `card` gets the item's current
/// index. Every step's list is this one component: the browser's bundle carries one keyed list,
/// not one per step.
#[component]
pub fn Cards(items: Items, card: fn(ReadSignal<usize>) -> AnyView) -> impl IntoView {
    let w = wiz();
    let ids = move || {
        w.editor.with(|e| match items {
            Items::Sites => e.site_ids().to_vec(),
            Items::Links => e.link_ids().to_vec(),
        })
    };
    view! { <ForEnumerate each=ids key={|id: &u32| *id} children={move |i: ReadSignal<usize>, _id: u32| card(i)}/> }
}
