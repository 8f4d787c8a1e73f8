//! Share links, the wizard's side: copy a link to the plan (its state in the URL fragment), open
//! one (say what it holds, when its knowledge base is older and what changed, and that its keys
//! did not travel with it), and move between shared and opened states with back and forward.

use leptos::prelude::*;

use super::browser::{base_url, copy_text, fragment, push_fragment, replace_fragment};
use super::draft::{self, Draft};
use super::lazy::codec;
use super::state::{plural, Keys, KeysWhy, NoticeAction, Step, Wiz};
use crate::check::{resolve, Severity};
use crate::kb::{changes_since, KB_DATE};
use crate::plan::Plan;
use crate::share::{self, LONG_LINK};

/// How a link reached the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The page was opened with it: show the plan's review.
    AtLoad,
    /// Pasted into the import box: a new history entry, then the review.
    Pasted,
    /// Back or forward (or an edited fragment): the user stays on the step they were on.
    History,
}

/// The draft as it stands now.
pub fn current_draft(w: Wiz) -> Draft {
    let keep = w.keep_secrets.get();
    Draft {
        plan: w.plan(|p| p.clone()),
        raw: w.raw.get(),
        step: w.step.get().index(),
        secrets: keep.then(|| w.secrets.with(|s| s.to_env())),
        keep_secrets: keep,
        keys_exported: w.keys_exported.get(),
        origin: w.origin.get(),
        address: w.address.get(),
    }
}

thread_local! {
    /// Fragments this page wrote to the address bar: Back and Forward to one of them return to
    /// the user's own earlier state (quietly), not to a link someone sent.
    static OURS: std::cell::RefCell<std::collections::BTreeSet<String>> = const { std::cell::RefCell::new(std::collections::BTreeSet::new()) };
}

thread_local! {
    /// The step the address bar's history entry was written on.
    static ENTRY_STEP: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn is_ours(frag: &str) -> bool {
    OURS.with(|o| o.borrow().contains(frag))
}

fn mark_ours(frag: &str) {
    OURS.with(|o| {
        o.borrow_mut().insert(frag.to_string());
    });
}

/// Put the draft's plan in the address bar (issue 18: the address a user copies is the plan as
/// it is now). Called when typing pauses: the history entry is replaced, unless the entry was
/// written on another step, so Back and Forward step between the steps' states, not
/// keystrokes. A blank plan keeps the bare address.
pub fn follow_in_address(w: Wiz, d: &Draft) {
    if d.plan == crate::edit::blank() {
        return;
    }
    let (plan, step) = (d.plan.clone(), d.step);
    leptos::task::spawn_local(async move {
        // Not loaded (offline before the chunk came): the address follows at the next pause.
        let Ok(c) = codec().await else { return };
        let frag = (c.encode)(&plan);
        write_address(&frag, step);
        if w.address.try_get_untracked().is_some_and(|a| a.as_deref() != Some(frag.as_str())) {
            w.address.set(Some(frag));
        }
    });
}

/// Put `frag` in the address bar for a state of step `step`: a new history entry when the
/// current one was written on another step, else the current entry replaced.
fn write_address(frag: &str, step: usize) {
    mark_ours(frag);
    let now = fragment();
    if now != frag {
        let other_step = ENTRY_STEP.with(|e| e.replace(Some(step))).is_some_and(|s| s != step);
        if other_step && now.contains("p=") {
            push_fragment(frag);
        } else {
            replace_fragment(frag);
        }
    }
}

/// Back or Forward to a state this page wrote: that plan again, as it was, without a notice.
async fn revisit(w: Wiz, frag: String) {
    let Ok(c) = codec().await else { return };
    if let Ok(s) = (c.decode)(&frag) {
        if w.plan(|p| *p != s.plan) {
            w.load(s.plan, w.keys.get_untracked());
        }
        w.address.set(Some(frag));
    }
}

/// Whether a plan holds anything worth keeping.
fn has_work(p: &Plan) -> bool {
    !p.sites.is_empty() || !p.name.is_empty()
}

/// Open a share link (or fragment). On success the plan replaces the current one (which is kept
/// as the previous draft), and a notice says what was opened; on failure a notice says why and
/// the current plan stays as it was. Fetches the codec first when it is not there yet.
pub async fn open_link(w: Wiz, input: &str, how: Opened) -> Result<(), String> {
    let decoded = codec().await.and_then(|c| (c.decode)(input).map(|s| (c, s)).map_err(|e| e.to_string()));
    let (c, shared) = match decoded {
        Ok(d) => d,
        Err(e) => {
            let msg = format!("This link could not be opened: {e}.");
            w.notify(
                Severity::Error,
                "The link could not be opened",
                vec![msg.clone(), "Your plan was kept as it was.".into()],
                None,
            );
            return Err(msg);
        }
    };
    let frag = if how != Opened::Pasted {
        fragment()
    } else {
        let f = (c.encode_with_date)(&shared.plan, &shared.kb_date);
        if fragment() != f {
            push_fragment(&f);
        }
        f
    };
    let current = w.plan(|p| p.clone());
    if current != shared.plan && has_work(&current) {
        draft::save_previous(&untrack(|| current_draft(w)));
    }
    // Keys travel separately: keep ours only if they cover every tunnel of the opened plan.
    let r = resolve(&shared.plan);
    let covered =
        w.secrets.with_untracked(|s| r.links.iter().flat_map(|l| &l.tunnels).all(|t| s.psk(&t.psk_name).is_some()));
    let keys = if covered && !w.keys.get_untracked().pending() {
        w.keys.get_untracked()
    } else {
        Keys::Pending(KeysWhy::Link)
    };
    let name = shared.plan.name.clone();
    let (n_sites, n_links) = (shared.plan.sites.len(), shared.plan.links.len());
    w.load(shared.plan, keys);
    w.origin.set(Some(frag));
    if how != Opened::History {
        w.show_step(Step::Review);
        // The opened link's history entry belongs to Review: an edit on another step adds an
        // entry after it (Back returns to the plan as it was opened) instead of overwriting it.
        ENTRY_STEP.with(|e| e.set(Some(Step::Review.index())));
    }

    let mut lines = vec![format!(
        "{} with {} and {}; its findings are below and in the panel.",
        if name.is_empty() { "An unnamed plan".to_string() } else { format!("Plan “{name}”") },
        plural(n_sites, "site"),
        plural(n_links, "link")
    )];
    if shared.kb_date.as_str() < KB_DATE {
        let changes: Vec<String> = changes_since(&shared.kb_date).map(|c| format!("{}: {}", c.date, c.what)).collect();
        lines.push(format!(
            "The link was made with the knowledge base of {}; this Tunnelsmith's is {KB_DATE}. The plan is kept exactly as it was.",
            shared.kb_date
        ));
        if changes.is_empty() {
            lines.push("No recorded rule change since then alters the checks or the generated files.".into());
        } else {
            lines.push(format!("What changed since: {}.", changes.join("; ")));
        }
    } else if shared.kb_date.as_str() > KB_DATE {
        lines.push(format!(
            "The link was made by a newer Tunnelsmith (knowledge base {}); this one's is {KB_DATE}, so some checks may differ.",
            shared.kb_date
        ));
    }
    if keys.pending() {
        lines.push("Pre-shared keys never travel in a link: import the secrets file you were sent, or generate new keys, on the Security step.".into());
    }
    let action = draft::load_previous().map(|_| NoticeAction::RestorePrevious);
    w.notify(Severity::Info, "Opened a shared plan", lines, action);
    Ok(())
}

/// Put back the draft an opened link replaced.
pub fn restore_previous(w: Wiz) {
    if let Some(d) = draft::load_previous() {
        restore(w, d);
        draft::clear_previous();
        w.notify(Severity::Info, "Restored your previous plan", vec![], None);
    }
}

/// Load a saved draft: plan, text kept as typed, step, keys.
pub fn restore(w: Wiz, d: Draft) {
    let step = d.step();
    let secrets = d.secrets.as_deref().and_then(|t| crate::secrets::Secrets::from_env(t).ok());
    let keys = match (&secrets, d.keys_exported) {
        (Some(_), _) | (None, false) => Keys::Browser,
        (None, true) => Keys::Pending(KeysWhy::NotKept),
    };
    w.load(d.plan, keys);
    if let Some(s) = secrets {
        w.secrets.set(s);
    }
    w.raw.set(d.raw);
    w.show_step(step);
    w.keep_secrets.set(d.keep_secrets);
    w.keys_exported.set(d.keys_exported);
    w.origin.set(d.origin);
    w.address.set(d.address);
    if keys.pending() {
        w.notify(
            Severity::Warning,
            "Your pre-shared keys were not kept",
            vec!["You downloaded them but chose not to keep them in this browser: import that secrets.env on the Security step, or generate new keys.".into()],
            None,
        );
    }
}

/// The plan's link, as it would be copied now.
pub fn link_now(w: Wiz) -> String {
    w.plan(|p| share::link(&base_url(), p))
}

/// Make the current plan the page's URL (a history entry) and copy its link. Returns what to
/// tell the user.
pub async fn share_now(w: Wiz) -> (bool, String) {
    let c = match codec().await {
        Ok(c) => c,
        Err(e) => return (false, format!("The link could not be made: {e}.")),
    };
    let (frag, link) = w.plan(|p| ((c.encode)(p), (c.link)(&base_url(), p)));
    write_address(&frag, w.step.get_untracked().index());
    w.address.set(Some(frag.clone()));
    w.origin.set(Some(frag));
    let long = link.len() > LONG_LINK;
    match copy_text(&link).await {
        Ok(()) if long => (
            false,
            format!(
                "Link copied ({} characters). Some chat tools cut links longer than {LONG_LINK} characters: send the plan file instead (Files step, Export plan).",
                link.len()
            ),
        ),
        Ok(()) => (true, format!("Link copied ({} characters). It holds the plan, never the keys.", link.len())),
        Err(e) => (false, format!("The link could not be copied: {e}.")),
    }
}

/// [`share_now`] for a button: its message goes into `status`; "Link copied" goes away by
/// itself after a few seconds (a warning stays until the next try).
pub fn share_into(w: Wiz, status: RwSignal<Option<(bool, String)>>) {
    leptos::task::spawn_local(async move {
        let (ok, m) = share_now(w).await;
        status.try_set(Some((ok, m.clone())));
        if ok {
            set_timeout(
                move || {
                    if status.try_get_untracked().flatten().is_some_and(|(_, now)| now == m) {
                        status.try_set(None);
                    }
                },
                std::time::Duration::from_secs(6),
            );
        }
    });
}

/// Follow back and forward (and a pasted fragment) between shared and opened states.
pub fn follow_history(w: Wiz) {
    let on_change = move || {
        let frag = fragment();
        if !frag.contains("p=") {
            return;
        }
        // One of this page's own states: that plan again (nothing happens if it is the one shown).
        if is_ours(&frag) {
            leptos::task::spawn_local(revisit(w, frag));
            return;
        }
        if w.origin.get_untracked().as_deref() == Some(frag.as_str()) {
            return;
        }
        leptos::task::spawn_local(async move {
            let _ = open_link(w, &frag, Opened::History).await;
        });
    };
    let a = window_event_listener(leptos::ev::popstate, move |_| on_change());
    let b = window_event_listener(leptos::ev::hashchange, move |_| on_change());
    on_cleanup(move || {
        a.remove();
        b.remove();
    });
}

/// Whether `text` looks like a share link rather than a plan file.
pub fn looks_like_link(text: &str) -> bool {
    let t = text.trim();
    !t.starts_with('{') && (t.contains("#p=") || t.starts_with("p="))
}
