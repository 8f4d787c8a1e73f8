//! The few browser APIs the wizard uses: randomness, focus, downloads, the clipboard, files,
//! the URL fragment and history. Nothing here talks to a network.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::state::{enclosing_paths, field_id};

/// Fill `buf` from the browser's CSPRNG (`crypto.getRandomValues`). Panics if the browser has
/// none: keys must never come from anything weaker.
pub fn random(buf: &mut [u8]) {
    let crypto = window().crypto().expect("this browser has no crypto.getRandomValues");
    // getRandomValues takes at most 65536 bytes at a time.
    for chunk in buf.chunks_mut(65_536) {
        crypto.get_random_values_with_u8_array(chunk).expect("crypto.getRandomValues failed");
    }
}

/// Move focus to the field at `path`, or the nearest enclosing group that is on the page. A
/// group gets focus on its first control (the checked one in a radio group), or on itself.
pub fn focus_field(path: &str) {
    let doc = document();
    for p in enclosing_paths(path) {
        let Some(el) = doc.get_element_by_id(&field_id(&p)) else { continue };
        let target: web_sys::HtmlElement = if is_control(&el) {
            el.unchecked_into()
        } else {
            match el
                .query_selector("input:checked:not([disabled]), input:not([disabled]), select, textarea, button")
                .ok()
                .flatten()
            {
                Some(c) => c.unchecked_into(),
                None => {
                    let _ = el.set_attribute("tabindex", "-1");
                    el.unchecked_into()
                }
            }
        };
        let _ = target.focus();
        // Keep it comfortably in view under the sticky stepper.
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_block(web_sys::ScrollLogicalPosition::Center);
        target.scroll_into_view_with_scroll_into_view_options(&opts);
        return;
    }
}

fn is_control(el: &web_sys::Element) -> bool {
    matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON")
}

fn save_blob(blob: &web_sys::Blob, name: &str) {
    if let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) {
        save_url(url, name);
    }
}

/// Click a hidden `<a download>` for `url`, then revoke it once the download has started.
fn save_url(url: String, name: &str) {
    let doc = document();
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.set_hidden(true);
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
    set_timeout(move || revoke_url(&url), std::time::Duration::from_secs(30));
}

/// A `blob:` URL for `text` of `media_type` (an image, say), or `None` if the browser refuses.
pub fn object_url(media_type: &str, text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(media_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Release a URL made by [`object_url`].
pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Offer `text` as a file download.
pub fn download_text(name: &str, media_type: &str, text: &str) {
    if let Some(url) = object_url(media_type, text) {
        save_url(url, name);
    }
}

/// Offer `bytes` as a file download.
pub fn download_bytes(name: &str, media_type: &str, bytes: &[u8]) {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(media_type);
    if let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) {
        save_blob(&blob, name);
    }
}

/// Copy `text` to the clipboard. `Err` says why not, for the user.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let clipboard = window().navigator().clipboard();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|_| "the browser did not allow copying; select the text and copy it by hand".to_string())
}

/// Read the file just chosen in a file input (the `change` event's target), then call
/// `done(file name, its text or why it could not be read)`. The input is cleared afterwards, so
/// choosing the same file again reads it again.
pub fn read_chosen_file(ev: leptos::ev::Event, done: impl FnOnce(String, Result<String, String>) + 'static) {
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    leptos::task::spawn_local(async move {
        let name = file.name();
        let text = JsFuture::from(file.text())
            .await
            .map(|v| v.as_string().unwrap_or_default())
            .map_err(|_| format!("{name} could not be read"));
        done(name, text);
        input.set_value("");
    });
}

/// The page's URL without its fragment: the base of share links.
pub fn base_url() -> String {
    let loc = window().location();
    format!(
        "{}{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    )
}

/// The URL fragment without `#`.
pub fn fragment() -> String {
    window().location().hash().unwrap_or_default().trim_start_matches('#').to_string()
}

/// Add a history entry for `fragment` (no event fires; back and forward return to it).
pub fn push_fragment(fragment: &str) {
    if let Ok(h) = window().history() {
        let _ = h.push_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
}

/// Replace the current history entry's fragment (typing: no entry per keystroke; no event fires).
pub fn replace_fragment(fragment: &str) {
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
}

/// Set a performance mark (issue 9 measures `app-interactive`).
pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        let _ = p.mark(name);
    }
}
