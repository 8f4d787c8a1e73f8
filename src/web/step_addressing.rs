//! Step 2, Addressing: each site's address spaces and subnets, with overlaps and platform
//! limits shown beside the field where they happen.

use leptos::prelude::*;

use super::browser::focus_field;
use super::fields::{Notes, TextField};
use super::state::{field_id, plural, wiz};
use crate::edit::subnets_into;
use crate::kb::addressing::{size_rule, AZURE_GATEWAY_SUBNET};
use crate::plan::{Platform, Site, Subnet};

/// The Addressing step.
#[component]
pub fn AddressingStep() -> impl IntoView {
    let w = wiz();
    view! {
        <p class="lead">
            "Every site needs its own address range: overlapping ranges make routes between sites ambiguous. "
            "Subnets must lie inside the site's address spaces."
        </p>
        <Show when=move || w.plan(|p| p.sites.is_empty())>
            <p class="empty">"No sites yet: add them on the Sites step."</p>
        </Show>
        <super::fields::Cards items=super::fields::Items::Sites card=|i| view! { <SiteAddresses i/> }.into_any()/>
    }
}

#[component]
fn SiteAddresses(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let site = move || w.plan(|p| p.sites.get(i.get()).map(|s| (s.name.clone(), s.platform)));
    super::fields::provide_field_context(move || format!("Site {}", site().map(|s| s.0).unwrap_or_default()));
    // Memos: the rows are rebuilt only when their number changes, never while typing in one.
    let n_spaces = Memo::new(move |_| w.plan(|p| p.sites.get(i.get()).map(|s| s.address_spaces.len()).unwrap_or(0)));
    let n_subnets = Memo::new(move |_| w.plan(|p| p.sites.get(i.get()).map(|s| s.subnets.len()).unwrap_or(0)));
    let platform = move || site().map(|s| s.1).unwrap_or(Platform::Onprem);
    let heading_id = move || format!("addr-{}-heading", i.get());
    let edit_site = move |f: Box<dyn FnOnce(&mut Site)>| {
        let at = i.get_untracked();
        w.edit(|p| {
            if let Some(s) = p.sites.get_mut(at) {
                f(s)
            }
        })
    };
    let remove_item = move |list: &'static str, k: usize| {
        let at = i.get_untracked();
        // Kept-as-typed text below the removed row moves up with it.
        w.remap_raw(&format!("sites[{at}].{list}"), |m| match m.cmp(&k) {
            std::cmp::Ordering::Less => Some(m),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(m - 1),
        });
        edit_site(Box::new(move |s| {
            if list == "address_spaces" {
                s.address_spaces.remove(k);
            } else {
                s.subnets.remove(k);
            }
        }));
    };
    // Append a row, then focus its first field (`field` names it, `{k}` being the new index).
    let add_row = move |push: fn(&mut Site), field: &'static str| {
        let at = i.get_untracked();
        let k = if field.starts_with("address") { n_spaces } else { n_subnets }.get_untracked();
        edit_site(Box::new(push));
        let path = format!("sites[{at}].{}", field.replace("{k}", &k.to_string()));
        request_animation_frame(move || focus_field(&path));
    };
    let space_hint = move || {
        let r = size_rule(platform());
        format!("A CIDR such as 10.1.0.0/16; {} accepts /{} to /{}.", platform().label(), r.space.0, r.space.1)
    };
    let needs_gateway_subnet = move || {
        platform() == Platform::Azure
            && !w.plan(|p| {
                p.sites.get(i.get()).is_some_and(|s| s.subnets.iter().any(|x| x.name == AZURE_GATEWAY_SUBNET.name))
            })
    };
    view! {
        <section class="card" aria-labelledby=heading_id>
            <h3 id=heading_id>
                {move || site().map(|(n, p)| format!("{} ({}, {})", if n.is_empty() { "unnamed site".into() } else { n }, p.label(), p.network_noun())).unwrap_or_default()}
            </h3>
            <fieldset class="group" id=move || field_id(&format!("sites[{}].address_spaces", i.get()))>
                <legend>"Address spaces"</legend>
                <Notes path=Signal::derive(move || format!("sites[{}].address_spaces", i.get()))/>
                {move || {
                    (0..n_spaces.get())
                        .map(|k| {
                            let path = Signal::derive(move || format!("sites[{}].address_spaces[{k}]", i.get()));
                            view! {
                                <div class="row">
                                    <TextField
                                        label=format!("Address space {}", k + 1)
                                        path
                                        mono=true
                                        value=Signal::derive(move || w.plan(|p| p.sites.get(i.get()).and_then(|s| s.address_spaces.get(k).cloned())).unwrap_or_default())
                                        on_input=Callback::new(move |v: String| edit_site(Box::new(move |s| if let Some(x) = s.address_spaces.get_mut(k) { *x = v })))
                                        hint=Signal::derive(space_hint)
                                    />
                                    {remove_button(format!("Remove address space {}", k + 1), move || remove_item("address_spaces", k))}
                                </div>
                                <FollowButton i k/>
                            }
                        })
                        .collect_view()
                }}
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| add_row(|s| s.address_spaces.push(String::new()), "address_spaces[{k}]")
                >
                    "+ Address space"
                </button>
            </fieldset>
            <fieldset class="group" id=move || field_id(&format!("sites[{}].subnets", i.get()))>
                <legend>"Subnets"</legend>
                <Notes path=Signal::derive(move || format!("sites[{}].subnets", i.get()))/>
                {move || {
                    (0..n_subnets.get())
                        .map(|k| {
                            let sub = move || w.plan(|p| p.sites.get(i.get()).and_then(|s| s.subnets.get(k).cloned())).unwrap_or(Subnet { name: String::new(), cidr: String::new() });
                            view! {
                                <div class="row subnet" id=move || field_id(&format!("sites[{}].subnets[{k}]", i.get()))>
                                    <TextField
                                        label=format!("Subnet {} name", k + 1)
                                        path=Signal::derive(move || format!("sites[{}].subnets[{k}].name", i.get()))
                                        value=Signal::derive(move || sub().name)
                                        on_input=Callback::new(move |v: String| edit_site(Box::new(move |s| if let Some(x) = s.subnets.get_mut(k) { x.name = v })))
                                    />
                                    <TextField
                                        label=format!("Subnet {} CIDR", k + 1)
                                        path=Signal::derive(move || format!("sites[{}].subnets[{k}].cidr", i.get()))
                                        mono=true
                                        value=Signal::derive(move || sub().cidr)
                                        on_input=Callback::new(move |v: String| edit_site(Box::new(move |s| if let Some(x) = s.subnets.get_mut(k) { x.cidr = v })))
                                    />
                                    {remove_button(format!("Remove subnet {}", k + 1), move || remove_item("subnets", k))}
                                </div>
                            }
                        })
                        .collect_view()
                }}
                <div class="button-row">
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| add_row(|s| s.subnets.push(Subnet { name: String::new(), cidr: String::new() }), "subnets[{k}].name")
                    >
                        "+ Subnet"
                    </button>
                    <Show when=needs_gateway_subnet>
                        <button
                            type="button"
                            class="secondary"
                            on:click=move |_| add_row(|s| s.subnets.push(Subnet { name: AZURE_GATEWAY_SUBNET.name.into(), cidr: String::new() }), "subnets[{k}].cidr")
                        >
                            {format!("+ {} (Azure needs one, /{})", AZURE_GATEWAY_SUBNET.name, AZURE_GATEWAY_SUBNET.recommended_prefix)}
                        </button>
                    </Show>
                </div>
            </fieldset>
        </section>
    }
}

/// After an address space changed: move the subnets left outside into it, in one click, with
/// their sizes and offsets ([`subnets_into`]).
#[component]
fn FollowButton(i: ReadSignal<usize>, k: usize) -> impl IntoView {
    let w = wiz();
    let moves = Memo::new(move |_| w.plan(|p| p.sites.get(i.get()).map(|s| subnets_into(s, k)).unwrap_or_default()));
    let space =
        move || w.plan(|p| p.sites.get(i.get()).and_then(|s| s.address_spaces.get(k).cloned())).unwrap_or_default();
    let apply = move |_| {
        let at = i.get_untracked();
        let m = moves.get_untracked();
        w.edit(|p| {
            if let Some(s) = p.sites.get_mut(at) {
                for (j, cidr) in m {
                    if let Some(x) = s.subnets.get_mut(j) {
                        x.cidr = cidr;
                    }
                }
            }
        });
    };
    view! {
        <Show when=move || moves.with(|m| !m.is_empty())>
            <p class="follow">
                <button type="button" class="secondary" id=move || format!("follow-{}-{k}", i.get()) on:click=apply>
                    {move || format!("Move {} into {}", plural(moves.with(Vec::len), "subnet"), space().trim())}
                </button>
                <span class="hint">{move || {
                    let list = moves.get().into_iter().map(|(_, c)| c).collect::<Vec<_>>().join(", ");
                    format!(" Same sizes and offsets: {list}.")
                }}</span>
            </p>
        </Show>
    }
}

/// The ✕ button that removes a row, named for screen readers.
fn remove_button(label: String, remove: impl Fn() + 'static) -> impl IntoView {
    view! {
        <button type="button" class="icon danger" aria-label=label on:click=move |_| remove()>
            "✕"
        </button>
    }
}
