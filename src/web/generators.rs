//! The file generators, loaded on first use: a second wasm module (`tunnelsmith-render`, built
//! by Trunk beside the app; see `src/bin/tunnelsmith-render.rs` and [`crate::generators`]).
//! The first page load fetches only the wizard and the checks; the renderers come when Review,
//! Files or the preview first need a file, once, then answer synchronously.
//!
//! The plan crosses as its share-link body (a memo of the plan: an edit that leaves the plan as
//! it was renders nothing). [`Gens::file`] renders one file (what a keystroke costs while the
//! preview is open); [`Gens::files`] all of them (the Files step). Every file carries the share
//! link of the page's address ([`base_url`]), the one the Share button makes.

use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::browser::base_url;
use crate::generators::ABI;

#[wasm_bindgen(inline_js = r#"
export function load_generators(version) {
  const at = (f) => new URL(f + '?v=' + encodeURIComponent(version), document.baseURI).href;
  return import(at('tunnelsmith-render.js')).then((m) =>
    m.default({ module_or_path: at('tunnelsmith-render_bg.wasm') }).then((exports) => {
      (globalThis.tunnelsmithMemories ||= []).push(exports.memory);
      return m;
    }),
  );
}
"#)]
extern "C" {
    fn load_generators(version: &str) -> js_sys::Promise;

    /// The loaded module's exports.
    #[derive(Clone)]
    type GenModule;
    #[wasm_bindgen(method)]
    fn abi(this: &GenModule) -> String;
    #[wasm_bindgen(method, catch)]
    fn files(this: &GenModule, body: &[u8], base: &str) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn file(this: &GenModule, body: &[u8], path: &str, base: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn zip(this: &GenModule, body: &[u8], secrets_env: Option<String>, base: &str) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn diagram(this: &GenModule, body: &[u8]) -> Result<String, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn import_plan(this: &GenModule, text: &str) -> Result<Vec<u8>, JsValue>;
}

thread_local! {
    static MODULE: RefCell<Option<GenModule>> = const { RefCell::new(None) };
}

/// Where the generators are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenState {
    /// Not asked for yet.
    Idle,
    Loading,
    Ready,
    /// Could not be loaded (offline after the first load, a blocked file): what to do.
    Failed(String),
}

/// One generated file, as the generators return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenFile {
    pub path: String,
    pub media_type: String,
    pub text: String,
    pub executable: bool,
}

impl GenFile {
    fn from_js(v: &JsValue) -> Option<GenFile> {
        let get = |k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
        Some(GenFile {
            path: get("path")?.as_string()?,
            media_type: get("media_type")?.as_string()?,
            text: get("text")?.as_string()?,
            executable: get("executable")?.as_bool()?,
        })
    }
}

fn message(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// The generators' state and the plan as they take it.
#[derive(Clone, Copy)]
pub struct Gens {
    pub state: RwSignal<GenState>,
    /// The plan's share-link body.
    body: Memo<Vec<u8>>,
}

impl Gens {
    pub fn new(editor: RwSignal<crate::edit::Editor>) -> Gens {
        Gens {
            state: RwSignal::new(GenState::Idle),
            body: Memo::new(move |_| editor.with(|e| crate::share::body(e.plan()))),
        }
    }

    /// Start loading, unless loaded or loading (from a component or an event, not a memo).
    pub fn ensure(self) {
        if matches!(self.state.get_untracked(), GenState::Loading | GenState::Ready) {
            return;
        }
        self.state.set(GenState::Loading);
        leptos::task::spawn_local(async move {
            let mut result = load(ABI).await;
            // A cached module from another build: fetch this build's once more, past the cache.
            if let Err(Mismatch(_)) = &result {
                result = load(&format!("{ABI}.{}", js_sys::Date::now() as u64)).await;
            }
            self.state.set(match result {
                Ok(m) => {
                    MODULE.with(|s| *s.borrow_mut() = Some(m));
                    GenState::Ready
                }
                Err(Mismatch(e) | Fetch(e)) => GenState::Failed(e),
            });
        });
    }

    /// Whether files can be made now (tracked; [`Gens::ensure`] starts the loading).
    pub fn ready(self) -> bool {
        self.state.get() == GenState::Ready
    }

    /// `f` on the loaded module; `None` while it is not loaded.
    fn with_module<T>(self, f: impl FnOnce(&GenModule) -> Result<T, JsValue>) -> Option<Result<T, String>> {
        if !self.ready() {
            return None;
        }
        MODULE.with(|m| m.borrow().as_ref().map(|m| f(m).map_err(message)))
    }

    /// `f` on the loaded module and the plan's body (tracked: again when the plan changes).
    fn call<T>(self, f: impl FnOnce(&GenModule, &[u8]) -> Result<T, JsValue>) -> Option<Result<T, String>> {
        self.with_module(|m| self.body.with(|b| f(m, b)))
    }

    /// Every file, in bundle order (tracked: re-rendered when the plan changes).
    pub fn files(self) -> Option<Result<Vec<GenFile>, String>> {
        self.call(|m, b| m.files(b, &base_url()))
            .map(|r| r.map(|a| a.iter().filter_map(|v| GenFile::from_js(&v)).collect()))
    }

    /// The file at `path` only.
    pub fn file(self, path: &str) -> Option<Result<Option<GenFile>, String>> {
        self.call(|m, b| m.file(b, path, &base_url())).map(|r| r.map(|v| GenFile::from_js(&v)))
    }

    /// The download bundle (untracked: for a click).
    pub fn zip(self, secrets_env: Option<String>) -> Result<Vec<u8>, String> {
        untrack(|| self.call(|m, b| m.zip(b, secrets_env, &base_url()))).unwrap_or_else(|| Err(not_ready(self)))
    }

    /// The plan file's text, as exported and zipped (untracked: for a click).
    pub fn plan_file(self) -> Result<String, String> {
        untrack(|| self.file(crate::bundle::PLAN_FILE))
            .unwrap_or_else(|| Err(not_ready(self)))?
            .map(|f| f.text)
            .ok_or_else(|| "the generators made no plan file".into())
    }

    pub fn diagram(self) -> Option<Result<String, String>> {
        self.call(|m, b| m.diagram(b))
    }

    /// Read a plan file (`Err`: what is wrong, with line, column and field).
    pub fn import(self, text: &str) -> Result<crate::plan::Plan, String> {
        let body = untrack(|| self.with_module(|m| m.import_plan(text))).unwrap_or_else(|| Err(not_ready(self)))?;
        crate::share::from_body(&body).map(|s| s.plan).map_err(|e| e.to_string())
    }
}

/// What to say while the generators are not there.
pub fn not_ready(g: Gens) -> String {
    match g.state.get_untracked() {
        GenState::Failed(e) => format!("The file generators could not be loaded ({e}). Reload the page to try again."),
        GenState::Idle | GenState::Loading | GenState::Ready => {
            "The file generators are still loading; try again in a moment.".into()
        }
    }
}

enum LoadError {
    Mismatch(String),
    Fetch(String),
}
use LoadError::{Fetch, Mismatch};

async fn load(version: &str) -> Result<GenModule, LoadError> {
    let m: GenModule = JsFuture::from(load_generators(version)).await.map_err(|e| Fetch(message(e)))?.unchecked_into();
    let theirs = m.abi();
    if theirs != ABI {
        return Err(Mismatch(format!("the page is {ABI} but the generators are {theirs}")));
    }
    Ok(m)
}
