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

/// A view of the later chunk; "Loading…" until the chunk is there (at once after that).
pub fn later(v: Later) -> AnyView {
    #[cfg(not(feature = "split"))]
    return later_view(v);
    #[cfg(feature = "split")]
    view! {
        <Suspense fallback=|| view! { <p class="hint" role="status">"Loading…"</p> }>
            {Suspend::new(split::later(v))}
        </Suspense>
    }
    .into_any()
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

/// The codec, once its chunk is there.
pub async fn codec() -> Codec {
    #[cfg(not(feature = "split"))]
    return CODEC;
    #[cfg(feature = "split")]
    split::codec().await
}

#[cfg(feature = "split")]
mod split {
    use super::*;

    /// Split point: the later views.
    #[leptos::lazy]
    pub fn later(v: Later) -> AnyView {
        later_view(v)
    }

    /// Split point: the share-link codec.
    #[leptos::lazy]
    pub fn codec() -> Codec {
        CODEC
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
                leptos::task::spawn_local(split::__preload_later());
                leptos::task::spawn_local(split::__preload_codec());
            }
        }
        window_event_listener(leptos::ev::pointerdown, |_| once());
        window_event_listener(leptos::ev::keydown, |_| once());
    }
}
