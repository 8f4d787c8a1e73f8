//! What the first screen of a new plan does not need, loaded when it is first needed.
//!
//! With the `split` feature (the release bundle: scripts/build-web.sh runs wasm-split on the
//! module; docs/PERFORMANCE.md) each `#[leptos::lazy]` function below is a split point: the code
//! only it reaches becomes a chunk of its own, fetched and instantiated against the main module's
//! memory the first time it is awaited. Without the feature (tests, debug builds) the same
//! functions are plain calls.
//!
//! - [`later`]: the steps after Sites, and what the Sites step shows only once the plan has a
//!   site or a message (site cards, region suggestions, the file preview, notices).
//! - [`codec`]: the share-link codec (deflate, inflate): links made, opened or followed, presets.
//!
//! Both are fetched when the user first presses a key or a pointer in the page
//! ([`preload_on_first_touch`]), so a click seldom waits for them.

use leptos::prelude::*;

use super::state::Step;
use super::{AddressingStep, FilesStep, LinksStep, ReviewStep, SecurityStep, SitesStep};
use crate::plan::Plan;
use crate::share::{self, LinkError, Shared};

/// What the later chunk draws. No signal of the caller crosses into it: a view still waiting for
/// the chunk may be gone by the time it arrives.
#[derive(Clone, Copy)]
pub enum Later {
    Step(Step),
    SiteCards,
    Notices,
    Regions,
    Preview,
}

fn later_view(v: Later) -> AnyView {
    match v {
        Later::Step(Step::Sites) => view! { <SitesStep/> }.into_any(),
        Later::Step(Step::Addressing) => view! { <AddressingStep/> }.into_any(),
        Later::Step(Step::Links) => view! { <LinksStep/> }.into_any(),
        Later::Step(Step::Security) => view! { <SecurityStep/> }.into_any(),
        Later::Step(Step::Review) => view! { <ReviewStep/> }.into_any(),
        Later::Step(Step::Files) => view! { <FilesStep/> }.into_any(),
        Later::SiteCards => super::step_sites::site_cards(),
        Later::Notices => super::notice_list(),
        Later::Regions => super::regions(),
        Later::Preview => view! { <super::preview::Preview/> }.into_any(),
    }
}

/// What a user is told when a chunk could not be fetched.
#[cfg_attr(not(feature = "split"), allow(dead_code))]
pub const NOT_LOADED: &str =
    "a part of Tunnelsmith could not be loaded (is the network down?); your plan is kept, try again";

/// A view of the later chunk; "Loading…" until the chunk is there. When the chunk cannot be
/// fetched, says so with a button that tries again.
///
/// Once the chunk is loaded the view is made at once, without a `<Suspense>` around it (issue
/// 18): a Suspense releases the views inside it one task after their reactive owner is
/// disposed, so a view torn down while one of its effects was already woken (a step left as a
/// finding's highlight was set, the site cards as the plan was replaced) read disposed values
/// in between and panicked. Only the first view of a visit, made while the chunk loads, has one.
pub fn later(v: Later) -> AnyView {
    #[cfg(not(feature = "split"))]
    return later_view(v);
    #[cfg(feature = "split")]
    {
        if split::loaded() {
            if let Some(Ok(view)) = split::now(split::later(v)) {
                return view;
            }
        }
        let attempt = RwSignal::new(0u32);
        view! {
            <Suspense fallback=|| view! { <p class="hint" role="status">"Loading…"</p> }>
                {move || {
                    attempt.track();
                    Suspend::new(async move {
                        match split::later(v).await {
                            Ok(view) => {
                                split::set_loaded();
                                view
                            }
                            Err(split::NotLoaded) => view! {
                                <p class="status warn" role="alert" data-testid="not-loaded">
                                    {format!("This could not be shown: {NOT_LOADED}. ")}
                                    <button type="button" class="secondary" on:click=move |_| attempt.update(|n| *n += 1)>
                                        "Try again"
                                    </button>
                                </p>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Suspense>
        }
        .into_any()
    }
}

/// The share-link codec ([`crate::share`]'s deflate and inflate side).
#[derive(Clone, Copy)]
pub struct Codec {
    pub decode: fn(&str) -> Result<Shared, LinkError>,
    pub encode: fn(&Plan) -> String,
    pub encode_with_date: fn(&Plan, &str) -> String,
    pub link: fn(&str, &Plan) -> String,
}

const CODEC: Codec = Codec {
    decode: share::decode,
    encode: share::encode,
    encode_with_date: share::encode_with_date,
    link: share::link,
};

/// The codec, once its chunk is there; [`NOT_LOADED`] when it cannot be fetched.
pub async fn codec() -> Result<Codec, String> {
    #[cfg(not(feature = "split"))]
    return Ok(CODEC);
    #[cfg(feature = "split")]
    split::codec().await.map_err(|_| NOT_LOADED.to_string())
}

#[cfg(feature = "split")]
mod split {
    use super::*;

    /// A chunk could not be fetched (the loader logged why to the console). A failed load is
    /// not remembered: the next call tries again.
    pub struct NotLoaded;

    thread_local!(static LATER_LOADED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });

    /// Whether the later chunk is loaded (its split point then returns on the first poll).
    pub fn loaded() -> bool {
        LATER_LOADED.with(|l| l.get())
    }

    pub fn set_loaded() {
        LATER_LOADED.with(|l| l.set(true));
    }

    /// The future's output if it is ready on its first poll.
    pub fn now<F: std::future::Future>(f: F) -> Option<F::Output> {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
        fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
            NotLoaded
        }
    }

    // `fallible`: a chunk that cannot be fetched is an error to show, not a panic (which is what
    // `#[leptos::lazy]` makes of it).

    /// Split point: the later views.
    #[leptos::wasm_split::wasm_split(later, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn later(v: Later) -> Result<AnyView, NotLoaded> {
        Ok(later_view(v))
    }

    /// Split point: the share-link codec.
    #[leptos::wasm_split::wasm_split(codec, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn codec() -> Result<Codec, NotLoaded> {
        Ok(CODEC)
    }
}

/// Fetch both chunks when the user first presses a key or a pointer anywhere in the page: a
/// visit that only looks fetches nothing more.
pub fn preload_on_first_touch() {
    #[cfg(feature = "split")]
    {
        use std::cell::Cell;
        thread_local!(static FETCHED: Cell<bool> = const { Cell::new(false) });
        fn once() {
            if !FETCHED.replace(true) {
                // A failure here is not shown: the view or link that needs the chunk tries again.
                leptos::task::spawn_local(async {
                    if split::__wasm_split_preload_later().await.is_ok() {
                        split::set_loaded();
                    }
                });
                leptos::task::spawn_local(async {
                    let _ = split::__wasm_split_preload_codec().await;
                });
            }
        }
        window_event_listener(leptos::ev::pointerdown, |_| once());
        window_event_listener(leptos::ev::keydown, |_| once());
    }
}
