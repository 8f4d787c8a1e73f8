//! When the app panics anyway: the plan is not lost and the user is told what to do.
//!
//! A panic in wasm ends the module (every later call traps), so nothing reactive can run after
//! it. [`remember`] keeps a plain copy of the last good draft as the app runs (outside every
//! signal); the panic hook ([`install`]) writes that copy to `localStorage`, puts a message at
//! the top of the page in plain words, makes the rest of the page inert (typing into a dead app
//! would be lost), and offers a reload, which restores the saved draft.

use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;

use super::browser::base_url;
use super::draft::{self, Draft};

thread_local! {
    static LAST_GOOD: RefCell<Option<Draft>> = const { RefCell::new(None) };
    static PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// Keep `d` as the draft to save if the app panics.
pub fn remember(d: &Draft) {
    LAST_GOOD.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = Some(d.clone());
        }
    });
}

/// Install the panic hook: the panic goes to the console (as before), then [`on_panic`].
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        on_panic(&info.to_string());
    }));
}

/// What the hook does after logging: save the last good draft, say what happened, offer the
/// reload. Runs once (a second panic while showing the first adds nothing). Public for tests.
pub fn on_panic(detail: &str) {
    if PANICKED.with(|p| p.replace(true)) {
        return;
    }
    let saved = LAST_GOOD.with(|c| c.try_borrow().ok().and_then(|d| d.clone()));
    if let Some(d) = &saved {
        draft::save(d);
    }
    show(saved.is_some(), detail);
}

/// Forget that a panic was shown (tests, which show it on purpose, then carry on).
pub fn reset_panic() {
    PANICKED.with(|p| p.set(false));
}

/// The message: plain DOM (the view layer may be what failed), first in `<body>`, focused.
fn show(saved: bool, detail: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = doc.body() else { return };
    let make = |tag: &str, text: &str| {
        let el = doc.create_element(tag).ok()?;
        el.set_text_content(Some(text));
        Some(el)
    };
    let Some(panel) = doc.create_element("section").ok() else { return };
    panel.set_id("crashed");
    panel.set_class_name("notice notice-error crashed");
    let _ = panel.set_attribute("role", "alert");
    let _ = panel.set_attribute("tabindex", "-1");
    let kept = if saved {
        "Your plan as it was just before this happened is saved in this browser. Reload the page to go on from there; only what you did in the last moment may be missing."
    } else {
        "Nothing was saved yet in this visit. Reload the page to start again; a plan saved earlier in this browser comes back."
    };
    let lines = [
        make("h2", "Tunnelsmith stopped working"),
        make("p", "Something went wrong inside the page, so it no longer takes your changes (this is a bug in Tunnelsmith, not in your plan)."),
        make("p", kept),
    ];
    for l in lines.into_iter().flatten() {
        let _ = panel.append_child(&l);
    }
    if let Some(a) = make("a", "Reload and restore my plan") {
        // Without the fragment: the saved draft is what opens, not an older link in the address.
        let _ = a.set_attribute("href", &base_url());
        a.set_id("crash-reload");
        a.set_class_name("button primary");
        let _ = panel.append_child(&a);
    }
    if let (Some(d), Some(s), Some(c)) = (make("details", ""), make("summary", "Technical detail"), make("pre", detail))
    {
        let _ = d.append_child(&s);
        let _ = d.append_child(&c);
        let _ = panel.append_child(&d);
    }
    // Everything else stops taking input.
    let mut child = body.first_element_child();
    while let Some(c) = child {
        let _ = c.set_attribute("inert", "");
        child = c.next_element_sibling();
    }
    let _ = body.insert_before(&panel, body.first_child().as_ref());
    if let Ok(h) = panel.dyn_into::<web_sys::HtmlElement>() {
        let _ = h.focus();
    }
}
