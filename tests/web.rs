//! Browser tests of the wizard: `make test-wasm` runs them in headless Chromium through
//! `wasm-bindgen-test-runner` (see the Makefile). Each test mounts into a fresh `<div>` and
//! provides its own wizard state, so tests do not see each other.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use tunnelsmith::kb::KB_DATE;
use tunnelsmith::presets::find;
use tunnelsmith::web::{
    field_id, open_link, provide_wizard, App, Draft, FilesStep, Opened, SecurityStep, SitesStep, Step, Wizard,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh `<div>` in the test page's body.
fn fresh_root() -> web_sys::HtmlElement {
    let document = document();
    let root = document.create_element("div").expect("create div");
    document.body().expect("body").append_child(&root).expect("append");
    root.unchecked_into()
}

/// Let effects run and the browser paint once (focus moves in an animation frame).
async fn settle() {
    leptos::task::tick().await;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    leptos::task::tick().await;
}

fn el(root: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no element matches {selector}")).unchecked_into()
}

fn has(root: &web_sys::HtmlElement, selector: &str) -> bool {
    root.query_selector(selector).unwrap().is_some()
}

/// Type `text` into the input at `path` as a user would (an `input` event that bubbles).
fn type_into(root: &web_sys::HtmlElement, path: &str, text: &str) {
    let input: web_sys::HtmlInputElement = el(root, &format!("#{}", field_id(path))).unchecked_into();
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&ev).unwrap();
}

fn plan(id: &str) -> tunnelsmith::plan::Plan {
    find(id).unwrap_or_else(|| panic!("preset {id}")).plan()
}

#[wasm_bindgen_test]
async fn app_shows_the_wizard_with_version_and_kb_date() {
    let _ = window().local_storage().unwrap().unwrap().clear();
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), App);
    settle().await;

    assert_eq!(el(&root, "h1").text_content().as_deref(), Some("Tunnelsmith"));
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains(KB_DATE), "KB date {KB_DATE} missing");
    assert!(text.contains(tunnelsmith::VERSION));
    let steps = root.query_selector_all(".stepper button").unwrap();
    assert_eq!(steps.length(), 6);
    assert!(has(&root, "main #step-heading"));
    assert!(has(&root, "aside.findings"));
    // Blank: every preset offered, and no error before any input (issue 18): an empty name and
    // no sites are where a plan starts; they count once touched or once Sites is left.
    for p in tunnelsmith::presets::PRESETS {
        assert!(text.contains(p.title), "preset {} missing", p.title);
    }
    assert!(!el(&root, "#step-sites").text_content().unwrap().contains("error"));
    assert!(!has(&root, "aside.findings li.finding-error"));
    el(&root, "#step-links").click();
    settle().await;
    assert!(has(&root, "aside.findings li[data-code=E_SITE_COUNT]"), "counted once Sites is left");
    assert!(has(&root, "aside.findings li[data-code=E_PLAN_NAME]"));
}

#[wasm_bindgen_test]
async fn a_finding_appears_and_disappears_as_a_field_changes() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        provide_wizard(plan("004-aws-azure-gcp-bgp"));
        view! { <Wizard/> }
    });
    settle().await;
    assert!(!has(&root, "li[data-code=E_PLAN_NAME]"));

    type_into(&root, "name", "Multi Cloud");
    settle().await;
    let note = el(&root, "#f-name-notes");
    assert!(note.text_content().unwrap().contains("'M'"), "the note beside the field names the bad character");
    assert!(has(&root, "aside.findings li[data-code=E_PLAN_NAME]"), "the panel lists it");
    assert_eq!(el(&root, "#f-name").get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        el(&root, "#f-name").unchecked_into::<web_sys::HtmlInputElement>().value(),
        "Multi Cloud",
        "text is kept as typed"
    );
    assert!(el(&root, "#step-sites").text_content().unwrap().contains("1 error"));

    type_into(&root, "name", "multicloud");
    settle().await;
    assert!(!has(&root, "li[data-code=E_PLAN_NAME]"));
    assert_eq!(el(&root, "#f-name-notes").child_element_count(), 0);
    assert_eq!(el(&root, "#f-name").get_attribute("aria-invalid").as_deref(), Some("false"));
}

#[wasm_bindgen_test]
async fn a_number_field_keeps_bad_text_and_marks_it() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        provide_wizard(plan("004-aws-azure-gcp-bgp"));
        view! { <SitesStep/> }
    });
    settle().await;
    let path = "sites[0].gateway.asn";
    type_into(&root, path, "65a");
    settle().await;
    let input: web_sys::HtmlInputElement = el(&root, &format!("#{}", field_id(path))).unchecked_into();
    assert_eq!(input.value(), "65a");
    assert!(el(&root, &format!("#{}-notes", field_id(path))).text_content().unwrap().contains("not a whole number"));
    type_into(&root, path, "65010");
    settle().await;
    assert_eq!(el(&root, &format!("#{}-notes", field_id(path))).child_element_count(), 0);
}

#[wasm_bindgen_test]
async fn a_disabled_crypto_choice_explains_why() {
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), || {
        provide_wizard(plan("002-aws-vgw-to-azure-static"));
        view! { <SecurityStep/> }
    });
    settle().await;
    // Recommended first, with the engine's reason.
    assert!(root.text_content().unwrap().contains("the strongest choices both azure and aws accept"));
    let group = field_id("links[0].crypto");
    el(&root, &format!("#{group} input[value=custom]")).click();
    settle().await;

    let enc = field_id("links[0].crypto.phase1_encryption");
    let aes192: web_sys::HtmlInputElement = el(&root, &format!("#{enc} input[value=aes192]")).unchecked_into();
    assert!(aes192.disabled(), "AES-192 is not accepted by AWS");
    let why_id = aes192.get_attribute("aria-describedby").expect("the reason is linked to the choice");
    let why = el(&root, &format!("#{why_id}")).text_content().unwrap();
    assert!(why.contains("aws (AWS Site-to-Site VPN) does not accept AES-192-CBC"), "{why}");
    let label = el(&root, &format!("label[for={}]", aes192.id()));
    assert_eq!(label.get_attribute("title").as_deref(), Some(why.as_str()), "and on hover");
    let aes256: web_sys::HtmlInputElement = el(&root, &format!("#{enc} input[value=aes256]")).unchecked_into();
    assert!(!aes256.disabled() && aes256.checked(), "custom starts from the profile in use");

    // Choosing an available value keeps the plan clean.
    el(&root, &format!("#{} input[value='14']", field_id("links[0].crypto.phase1_dh_group"))).click();
    settle().await;
    assert!(!root.text_content().unwrap().contains("E_CRYPTO_REJECTED"));
}

#[wasm_bindgen_test]
async fn a_finding_jumps_to_its_field_on_another_step() {
    let root = fresh_root();
    let mut p = plan("004-aws-azure-gcp-bgp");
    p.sites[1].address_spaces[0] = "172.16.0.0/12".into(); // overlaps aws's 172.16.0.0/16
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_wizard(p);
        view! { <Wizard/> }
    });
    settle().await;
    assert!(el(&root, "#step-addressing").text_content().unwrap().contains("error"));
    let goto = el(&root, "aside.findings li[data-code=E_CIDR_OVERLAP] button.goto");
    let path = goto.get_attribute("data-path").unwrap();
    assert!(path.starts_with("sites[") && path.ends_with("].address_spaces[0]"), "{path}");
    goto.click();
    settle().await;
    settle().await;
    let id = field_id(&path);
    assert_eq!(el(&root, "main .step-body").get_attribute("data-step").as_deref(), Some("addressing"));
    let active = document().active_element().expect("focus moved");
    assert_eq!(active.id(), id, "focus is on the field");
    let wrapper = active.parent_element().unwrap();
    assert!(wrapper.class_list().contains("is-target"), "and it is highlighted");
    assert!(wrapper.text_content().unwrap().contains("overlaps"), "with the message beside it");
}

#[wasm_bindgen_test]
async fn a_link_from_an_older_knowledge_base_says_so_and_asks_for_keys() {
    let root = fresh_root();
    let wiz = std::rc::Rc::new(std::cell::Cell::new(None));
    let slot = wiz.clone();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        slot.set(Some(provide_wizard(tunnelsmith::edit::blank())));
        view! { <Wizard/> }
    });
    settle().await;
    let w = wiz.get().unwrap();
    let fragment = tunnelsmith::share::encode_with_date(&plan("002-aws-vgw-to-azure-static"), "2025-01-01");
    open_link(w, &fragment, Opened::Pasted).await.unwrap();
    settle().await;
    let notice = el(&root, "[data-testid=notice]").text_content().unwrap();
    assert!(notice.contains("knowledge base of 2025-01-01"), "{notice}");
    assert!(notice.contains(KB_DATE));
    assert!(notice.contains("never travel in a link"), "{notice}");
    assert_eq!(el(&root, "main .step-body").get_attribute("data-step").as_deref(), Some("review"));
    assert!(has(&root, "aside.findings li[data-code=E_PSK_MISSING]"), "keys are asked for, not made silently");

    // A damaged link keeps the plan and says why.
    assert!(open_link(w, "#p=1.@@@", Opened::Pasted).await.unwrap_err().contains("damaged"));
    settle().await;
    assert!(root.text_content().unwrap().contains("Your plan was kept as it was."));
    assert_eq!(w.editor.with_untracked(|e| e.plan().name.clone()), "vpntest");
    let _ = window().history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("#"));
}

#[wasm_bindgen_test]
async fn a_long_link_offers_the_plan_file() {
    let root = fresh_root();
    let mut p = plan("004-aws-azure-gcp-bgp");
    // Text that does not compress: a long link however it is encoded.
    let mut n = 12_345u32;
    p.description = (0..4_000)
        .map(|_| {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + ((n >> 16) % 26) as u8)
        })
        .collect();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_wizard(p);
        view! { <FilesStep/> }
    });
    settle().await;
    let length = el(&root, "#share-length").text_content().unwrap();
    assert!(length.contains("some chat tools cut links"), "{length}");
    assert!(root.text_content().unwrap().contains("Export the plan file instead"));
}

#[wasm_bindgen_test]
fn fields_map_to_steps_and_ids() {
    assert_eq!(field_id("sites[1].address_spaces[0]"), "f-sites-1-address_spaces-0");
    assert_eq!(field_id("links[0].crypto.phase1_dh_group"), "f-links-0-crypto-phase1_dh_group");
    assert_eq!(Step::of_path("sites[1].address_spaces[0]"), Step::Addressing);
    assert_eq!(Step::of_path("sites[1].subnets[2].cidr"), Step::Addressing);
    assert_eq!(Step::of_path("sites[0].gateway.asn"), Step::Sites);
    assert_eq!(Step::of_path("links[2].inside[1]"), Step::Links);
    assert_eq!(Step::of_path("links[2].crypto.pfs_group"), Step::Security);
    assert_eq!(Step::of_path("secrets.PSK_AWS_AZURE_T1"), Step::Security);
    assert_eq!(Step::of_path("name"), Step::Sites);
}

/// Links made by the native CLI (the committed v1 fixtures) open in the browser, and the browser
/// makes byte-for-byte the same links, so a link made in either face opens in the other.
#[wasm_bindgen_test]
fn links_are_the_same_in_the_browser_and_the_cli() {
    macro_rules! fixture {
        ($name:literal) => {
            (
                $name,
                include_str!(concat!("fixtures/links/v1/", $name, ".link")),
                include_str!(concat!("fixtures/links/v1/", $name, ".json")),
            )
        };
    }
    let fixtures = [
        fixture!("000-vyos-ec2-to-azure"),
        fixture!("001-libreswan-ec2-to-azure"),
        fixture!("002-aws-vgw-to-azure-static"),
        fixture!("003-strongswan-ec2-to-aws-vgw"),
        fixture!("004-aws-azure-gcp-bgp"),
        fixture!("invalid-plan-as-typed"),
    ];
    for (name, link, json) in fixtures {
        let expected = tunnelsmith::plan::Plan::from_json(json).unwrap();
        let opened = tunnelsmith::share::decode(link).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(opened.plan, expected, "{name}: a CLI link opens to the same plan in the browser");
        let fragment = &link.trim()[link.find('#').unwrap() + 1..];
        let made = tunnelsmith::share::encode_with_date(&expected, &opened.kb_date);
        assert_eq!(made, fragment, "{name}: the browser makes the same link as the CLI");
    }
}

/// The draft gives back on reload what was written: the plan as typed (an invalid one too), the
/// text fields could not take, the step, and the keys only when they were kept.
#[wasm_bindgen_test]
fn a_draft_reads_back_as_it_was_written() {
    let as_typed =
        tunnelsmith::plan::Plan::from_json(include_str!("fixtures/links/v1/invalid-plan-as-typed.json")).unwrap();
    let kept = Draft {
        plan: as_typed,
        raw: [
            ("sites[0].gateway.asn".to_string(), ("65 001".to_string(), "not a number".to_string())),
            ("links[1].tunnels".to_string(), ("\"4\"\t\n√ ünïcode".to_string(), "why: a \\ b".to_string())),
        ]
        .into(),
        step: 3,
        secrets: Some("PSK_AWS_AZURE_T1=placeholder-not-a-key\n".into()),
        keep_secrets: true,
        keys_exported: true,
        origin: Some("p=1.AR2MMQqDQBREZ37Y".into()),
        address: Some("p=1.AR2MMQqDQBREZ37Z".into()),
    };
    assert_eq!(Draft::from_text(&kept.to_text()).as_ref(), Some(&kept));
    let bare = Draft {
        plan: plan("002-aws-vgw-to-azure-static"),
        raw: Default::default(),
        step: 0,
        secrets: None,
        keep_secrets: false,
        keys_exported: false,
        origin: None,
        address: None,
    };
    assert_eq!(Draft::from_text(&bare.to_text()).as_ref(), Some(&bare));
    assert!(!bare.to_text().contains("PSK_"), "keys the user did not keep are not stored");
    // Not a draft, or a draft whose plan does not decode: nothing is restored (no panic).
    for bad in ["", "not json", "[]", "{}", r#"{"body": 7}"#, r#"{"body": "!!!"}"#, r#"{"body": "AAAA"}"#] {
        assert_eq!(Draft::from_text(bad), None, "{bad}");
        assert_eq!(Draft::linked_from_text(bad), None, "{bad}");
    }
    // The build before kept the plan as a whole link fragment: its fields come back with the
    // fragment, for the codec to read; a current draft is not taken for one.
    let fragment = tunnelsmith::share::encode(&bare.plan);
    let before = format!(r#"{{"plan":"{fragment}","step":2,"keep_secrets":false,"origin":"p=1.x"}}"#);
    assert_eq!(Draft::from_text(&before), None);
    let (fields, got) = Draft::linked_from_text(&before).expect("a draft of the build before");
    assert_eq!(got, fragment);
    assert_eq!((fields.step, fields.origin.as_deref()), (2, Some("p=1.x")));
    assert_eq!(Draft::linked_from_text(&kept.to_text()), None);
}

/// A panic (issue 18: the app froze after one) saves the last good draft, says so in plain words
/// with everything else inert, and offers a reload that opens the saved draft, not the address's
/// fragment.
#[wasm_bindgen_test]
async fn a_panic_keeps_the_last_good_draft_and_offers_a_reload() {
    let storage = window().local_storage().unwrap().unwrap();
    let _ = storage.clear();
    let root = fresh_root();
    let _mounted = leptos::mount::mount_to(root.clone(), App);
    settle().await;
    type_into(&root, "name", "kept-after-a-crash");
    settle().await;
    // Whatever the debounced writer did, the hook writes the draft itself.
    let _ = storage.clear();
    tunnelsmith::web::on_panic("panicked at a test: on purpose");
    let saved = storage.get_item("tunnelsmith.draft.v2").unwrap().expect("the hook saved the draft");
    assert_eq!(Draft::from_text(&saved).expect("a draft").plan.name, "kept-after-a-crash");
    let banner: web_sys::HtmlElement = document().get_element_by_id("crashed").expect("a message").unchecked_into();
    let text = banner.text_content().unwrap();
    assert!(text.contains("stopped working") && text.contains("saved in this browser"), "{text}");
    assert!(text.contains("on purpose"), "the detail is there for a bug report");
    let reload = el(&banner, "#crash-reload");
    assert_eq!(reload.text_content().as_deref(), Some("Reload and restore my plan"));
    assert!(!reload.get_attribute("href").unwrap().contains('#'), "the reload opens the draft, not a link");
    assert_eq!(document().active_element().map(|e| e.id()).as_deref(), Some("crashed"), "focus is on the message");
    assert!(root.has_attribute("inert"), "the dead app takes no more input");
    // Shown once.
    tunnelsmith::web::on_panic("a second panic");
    assert_eq!(document().query_selector_all("#crashed").unwrap().length(), 1);

    // Put the page back for the other tests.
    banner.remove();
    let mut child = document().body().unwrap().first_element_child();
    while let Some(c) = child {
        let _ = c.remove_attribute("inert");
        child = c.next_element_sibling();
    }
    tunnelsmith::web::reset_panic();
    let _ = storage.clear();
}
