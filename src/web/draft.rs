//! The draft: the plan being edited, kept in `localStorage` so work survives a reload. Keys are
//! kept only when the user opts in.
//!
//! Stored as a JSON object made and read by the browser's own `JSON` (no JSON code in the first
//! page load), the plan inside it as the body of a share link, uncompressed, in base64url
//! ([`crate::share::body_text`]): the frozen v1 encoding, which gives back exactly what was typed,
//! valid or not, without the link's deflate (a chunk of its own, [`super::lazy::codec`]).
//!
//! Drafts of earlier builds are read once and rewritten: `tunnelsmith.draft.v1` (the plan as a
//! plan-file object) by the file generators' plan reader ([`load_v1`]); a v2 draft with the plan
//! as a whole share-link fragment (`plan` instead of `body`) through the codec ([`load_linked`]).

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use super::state::{Raw, Step};
use crate::plan::Plan;

const KEY: &str = "tunnelsmith.draft.v2";
/// The draft an opened link replaced, until the user restores or discards it.
const PREVIOUS: &str = "tunnelsmith.previous-draft.v2";
/// The keys of earlier builds, whose plan is a plan-file object.
const KEY_V1: &str = "tunnelsmith.draft.v1";
const PREVIOUS_V1: &str = "tunnelsmith.previous-draft.v1";

/// What is kept between visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub plan: Plan,
    /// Field text the plan could not take, kept as typed.
    pub raw: Raw,
    pub step: usize,
    /// `secrets.env` text, only when the user chose to keep keys in this browser.
    pub secrets: Option<String>,
    pub keep_secrets: bool,
    /// The keys were downloaded: regenerating them silently would break what was deployed.
    pub keys_exported: bool,
    /// The share-link fragment the plan was opened from or shared as.
    pub origin: Option<String>,
    /// The fragment last written to the address bar for this plan: a reload of that address
    /// is this draft, not a link to open.
    pub address: Option<String>,
}

impl Draft {
    pub fn step(&self) -> Step {
        Step::from_index(self.step)
    }

    /// The stored text (a JSON object).
    pub fn to_text(&self) -> String {
        let o = Object::new();
        set(&o, "body", &crate::share::body_text(&self.plan).into());
        set(&o, "raw", &raw_to_js(&self.raw));
        set(&o, "step", &(self.step as f64).into());
        set(&o, "secrets", &opt_str(&self.secrets));
        set(&o, "keep_secrets", &self.keep_secrets.into());
        set(&o, "keys_exported", &self.keys_exported.into());
        set(&o, "origin", &opt_str(&self.origin));
        set(&o, "address", &opt_str(&self.address));
        JSON::stringify(&o).ok().and_then(|s| s.as_string()).unwrap_or_default()
    }

    /// Read [`Draft::to_text`]; `None` when it is not a draft or its plan does not decode.
    pub fn from_text(text: &str) -> Option<Draft> {
        let o = JSON::parse(text).ok().filter(JsValue::is_object)?;
        let plan = crate::share::from_body_text(&get(&o, "body").as_string()?).ok()?.plan;
        Some(fields(&o, plan))
    }

    /// A draft of the build before, whose plan is a share-link fragment: its other fields (the
    /// plan blank) and the fragment, for the codec to decode. `None` for anything else.
    pub fn linked_from_text(text: &str) -> Option<(Draft, String)> {
        let o = JSON::parse(text).ok().filter(JsValue::is_object)?;
        if get(&o, "body").is_string() {
            return None;
        }
        let fragment = get(&o, "plan").as_string()?;
        Some((fields(&o, crate::edit::blank()), fragment))
    }
}

/// A stored draft object with `plan` (missing fields take their defaults).
fn fields(o: &JsValue, plan: Plan) -> Draft {
    Draft {
        plan,
        raw: raw_from_js(&get(o, "raw")),
        step: get(o, "step").as_f64().filter(|n| *n >= 0.0).map_or(0, |n| n as usize),
        secrets: get(o, "secrets").as_string(),
        keep_secrets: get(o, "keep_secrets").as_bool().unwrap_or(false),
        keys_exported: get(o, "keys_exported").as_bool().unwrap_or(false),
        origin: get(o, "origin").as_string(),
        address: get(o, "address").as_string(),
    }
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(o: &Object, key: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), v);
}

fn opt_str(s: &Option<String>) -> JsValue {
    s.as_deref().map_or(JsValue::NULL, JsValue::from_str)
}

/// `{field: [typed, why]}`, as the v1 draft stored it.
fn raw_to_js(raw: &Raw) -> JsValue {
    let o = Object::new();
    for (k, (typed, why)) in raw {
        set(&o, k, &Array::of2(&typed.into(), &why.into()));
    }
    o.into()
}

fn raw_from_js(v: &JsValue) -> Raw {
    let Some(o) = v.dyn_ref::<Object>() else { return Raw::new() };
    Object::entries(o)
        .iter()
        .filter_map(|e| {
            let e: Array = e.dyn_into().ok()?;
            let pair: Array = e.get(1).dyn_into().ok()?;
            Some((e.get(0).as_string()?, (pair.get(0).as_string()?, pair.get(1).as_string()?)))
        })
        .collect()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read(key: &str) -> Option<Draft> {
    Draft::from_text(&storage()?.get_item(key).ok().flatten()?)
}

fn write(key: &str, d: &Draft) {
    // A full or disabled storage only loses the draft; the page keeps working.
    if let Some(s) = storage() {
        let _ = s.set_item(key, &d.to_text());
    }
}

fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub fn load() -> Option<Draft> {
    read(KEY)
}

/// The draft, when the build before wrote it ([`Draft::linked_from_text`]).
pub fn load_linked() -> Option<(Draft, String)> {
    Draft::linked_from_text(&storage()?.get_item(KEY).ok().flatten()?)
}

pub fn save(d: &Draft) {
    write(KEY, d);
}

pub fn clear() {
    remove(KEY);
    remove(KEY_V1);
}

pub fn load_previous() -> Option<Draft> {
    read(PREVIOUS)
}

pub fn save_previous(d: &Draft) {
    write(PREVIOUS, d);
}

pub fn clear_previous() {
    remove(PREVIOUS);
    remove(PREVIOUS_V1);
}

/// A draft of an earlier build: its fields and its plan as plan-file text (for the generators'
/// plan reader). Left in storage until [`clear_v1`], so a failed reading loses nothing.
pub fn load_v1() -> Option<(Draft, String)> {
    let text = storage()?.get_item(KEY_V1).ok().flatten()?;
    let o = JSON::parse(&text).ok().filter(JsValue::is_object)?;
    let plan = JSON::stringify(&get(&o, "plan")).ok()?.as_string()?;
    Some((fields(&o, crate::edit::blank()), plan))
}

/// Forget the drafts of earlier builds (once read into a current one).
pub fn clear_v1() {
    remove(KEY_V1);
    remove(PREVIOUS_V1);
}
