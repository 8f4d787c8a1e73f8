//! Browser tests of the web face: `make test-wasm` runs them in headless Chromium through
//! `wasm-bindgen-test-runner` (see the Makefile).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use tunnelsmith::kb::KB_DATE;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::web::{App, PresetList, PresetSummary};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh `<div>` in the test page's body, so tests do not see each other's DOM.
fn fresh_root() -> web_sys::HtmlElement {
    let document = document();
    let root = document.create_element("div").expect("create div");
    document.body().expect("body").append_child(&root).expect("append");
    root.unchecked_into()
}

#[wasm_bindgen_test]
async fn app_shows_version_kb_date_and_presets() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), App);
    leptos::task::tick().await;

    let main = root.query_selector("main").unwrap().expect("a <main>");
    let h1 = main.query_selector("h1").unwrap().expect("an <h1>");
    assert_eq!(h1.text_content().as_deref(), Some("Tunnelsmith"));

    let text = root.text_content().unwrap_or_default();
    assert!(text.contains(KB_DATE), "KB date {KB_DATE} missing in {text:?}");
    assert!(text.contains(tunnelsmith::VERSION), "version {} missing in {text:?}", tunnelsmith::VERSION);

    if PRESETS.is_empty() {
        assert!(root.query_selector("[data-testid=no-presets]").unwrap().is_some());
    } else {
        let items = root.query_selector_all("ul.presets > li").unwrap();
        assert_eq!(items.length() as usize, PRESETS.len());
        for preset in PRESETS {
            assert!(text.contains(preset.title), "preset {} missing in {text:?}", preset.title);
        }
    }
}

#[wasm_bindgen_test]
async fn every_section_has_a_heading() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), App);
    leptos::task::tick().await;

    let sections = root.query_selector_all("main section").unwrap();
    assert!(sections.length() >= 2);
    for i in 0..sections.length() {
        let section: web_sys::Element = sections.item(i).unwrap().unchecked_into();
        let label = section.get_attribute("aria-labelledby").expect("labelled");
        let heading = root.query_selector(&format!("#{label}")).unwrap().expect("the heading it names");
        assert_eq!(heading.tag_name(), "H2");
    }
}

#[wasm_bindgen_test]
async fn an_empty_preset_list_says_so() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), || view! { <PresetList presets=&[]/> });
    leptos::task::tick().await;

    let note = root.query_selector("[data-testid=no-presets]").unwrap().expect("the no-presets note");
    assert_eq!(note.text_content().as_deref(), Some("No presets yet."));
    assert!(root.query_selector("ul").unwrap().is_none());
}

#[wasm_bindgen_test]
fn summaries_count_errors_and_warnings() {
    for preset in PRESETS {
        let summary = PresetSummary::of(preset);
        assert_eq!(summary.id, preset.id);
        assert!(summary.counts.is_some(), "preset {} parses", preset.id);
    }
    let none = PresetSummary { id: "x", title: "X", counts: Some((0, 1)) };
    assert_eq!(none.counts_text(), "0 errors, 1 warning");
    assert!(!none.has_errors());
    let bad = PresetSummary { id: "y", title: "Y", counts: None };
    assert!(bad.has_errors());
}
