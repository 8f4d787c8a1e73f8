//! The reference page of `make bench`: one component with an input and a button. It sets the
//! same `app-interactive` performance mark as the app, at the same moment (after mounting).

use leptos::prelude::*;

#[component]
fn Reference() -> impl IntoView {
    let (name, set_name) = signal(String::new());
    let (count, set_count) = signal(0u32);
    view! {
        <main>
            <h1>"Reference"</h1>
            <label>"Name " <input id="name" prop:value=name on:input=move |ev| set_name.set(event_target_value(&ev))/></label>
            <button id="go" on:click=move |_| set_count.update(|c| *c += 1)>"Go"</button>
            <p id="out">{move || format!("Hello {}, {} clicks", name.get(), count.get())}</p>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(Reference);
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("app-interactive");
    }
}
