//! The web app's file generators as a wasm module of their own (Trunk builds it beside the app,
//! see `index.html`; it is loaded lazily by `src/web/generators.rs`). Every function takes the
//! plan as its share-link body ([`tunnelsmith::share::body`]), the renderers also the page's
//! address (`base`, for the share link stamped on every file), and calls
//! [`tunnelsmith::generators`].

#[cfg(target_arch = "wasm32")]
mod exports {
    use js_sys::{Object, Reflect};
    use tunnelsmith::generators;
    use tunnelsmith::plan::Plan;
    use tunnelsmith::render::Artifact;
    use wasm_bindgen::prelude::*;

    fn plan(body: &[u8]) -> Result<Plan, JsError> {
        tunnelsmith::share::from_body(body).map(|s| s.plan).map_err(|e| JsError::new(&e.to_string()))
    }

    fn to_js(a: &Artifact) -> JsValue {
        let o = Object::new();
        for (k, v) in [
            ("path", JsValue::from_str(&a.path)),
            ("media_type", JsValue::from_str(a.media_type)),
            ("text", JsValue::from_str(&a.text)),
            ("executable", JsValue::from_bool(a.executable)),
        ] {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        }
        o.into()
    }

    /// The build this module belongs to ([`generators::ABI`]).
    #[wasm_bindgen]
    pub fn abi() -> String {
        generators::ABI.to_string()
    }

    /// Every file, in bundle order: an array of `{path, media_type, text, executable}`.
    #[wasm_bindgen]
    pub fn files(body: &[u8], base: &str) -> Result<js_sys::Array, JsError> {
        Ok(generators::files(&plan(body)?, base).iter().map(to_js).collect())
    }

    /// One file, or `undefined` when the plan has no file at `path`.
    #[wasm_bindgen]
    pub fn file(body: &[u8], path: &str, base: &str) -> Result<JsValue, JsError> {
        Ok(generators::file(&plan(body)?, path, base).map(|a| to_js(&a)).unwrap_or(JsValue::UNDEFINED))
    }

    /// The zip; `secrets_env` is put in only when given.
    #[wasm_bindgen]
    pub fn zip(body: &[u8], secrets_env: Option<String>, base: &str) -> Result<Vec<u8>, JsError> {
        generators::zip(&plan(body)?, secrets_env.as_deref(), base).map_err(|e| JsError::new(&e))
    }

    /// Read a plan file: its body, or an error with line, column and field.
    #[wasm_bindgen]
    pub fn import_plan(text: &str) -> Result<Vec<u8>, JsError> {
        generators::import(text).map_err(|e| JsError::new(&e))
    }

    /// The topology diagram (SVG).
    #[wasm_bindgen]
    pub fn diagram(body: &[u8]) -> Result<String, JsError> {
        Ok(generators::diagram(&plan(body)?))
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        eprintln!("tunnelsmith-render is part of the browser app: build it with `make serve` (Trunk, wasm32).");
        std::process::exit(2);
    }
}
