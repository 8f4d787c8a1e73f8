//! Step 1, Sites: the plan's name, then 2 to 8 sites, each with its platform, region, network
//! and gateway (kind and options: SKU, active-active, ASN; appliance software, version, host).

use leptos::prelude::*;

use super::browser::focus_field;
use super::fields::{CheckField, ChoiceGroup, MoveButtons, NumberField, Opt, Radio, SelectField, TextField};
use super::presets::StartPicker;
use super::state::{code_of, parse_code, plural, wiz, Wiz};
use crate::edit::{kinds_for, set_gateway_asn, MAX_SITES, MIN_SITES};
use crate::kb::crypto::versions_of;
use crate::kb::gateways::{azure_sku, azure_skus_available};
use crate::plan::{AzureVpnType, Gateway, GatewayKind, Network, Platform, Site, Software};

/// The Sites step.
#[component]
pub fn SitesStep() -> impl IntoView {
    let w = wiz();
    // A memo: the cards are drawn again only when the plan gains its first site or loses its last.
    let has_sites = Memo::new(move |_| w.plan(|p| !p.sites.is_empty()));
    view! {
        <StartPicker/>
        <fieldset class="card" id="f-plan">
            <legend>"Plan"</legend>
            <TextField
                label="Plan name"
                path="name"
                value=Signal::derive(move || w.plan(|p| p.name.clone()))
                on_input=Callback::new(move |v: String| w.edit(|p| p.name = v))
                hint="Prefixes every resource name and tags what teardown deletes: lowercase letters, digits and '-', up to 20."
                placeholder="e.g. multicloud"
            />
            <TextField
                label="Description (optional)"
                path="description"
                value=Signal::derive(move || w.plan(|p| p.description.clone()))
                on_input=Callback::new(move |v: String| w.edit(|p| p.description = v))
                hint="Free text for the runbook."
            />
        </fieldset>
        <div id="f-sites" class="site-list">
            <super::fields::Notes path="sites"/>
            {move || has_sites.get().then(|| super::lazy::later(super::lazy::Later::SiteCards))}
        </div>
        <AddSite/>
    }
}

/// The buttons that add a site on each platform.
#[component]
fn AddSite() -> impl IntoView {
    let w = wiz();
    let full = move || !w.editor.with(|e| e.can_add_site());
    let count = move || w.plan(|p| p.sites.len());
    // The links the last added site got, while the user has not said whether to keep them.
    let proposed = RwSignal::new(None::<Vec<u32>>);
    let proposed_names = move || {
        let ids = proposed.get().unwrap_or_default();
        w.editor.with(|e| {
            ids.iter()
                .filter_map(|id| e.link_index(*id))
                .filter_map(|li| e.plan().links.get(li).map(|l| format!("{} ↔ {}", l.a, l.b)))
                .collect::<Vec<_>>()
        })
    };
    let drop_proposed = move |_| {
        let ids = proposed.get_untracked().unwrap_or_default();
        w.restructure(|e| {
            for id in &ids {
                if let Some(li) = e.link_index(*id) {
                    e.remove_link(li);
                }
            }
        });
        proposed.set(None);
    };
    view! {
        <section class="card add-site" aria-labelledby="add-site-heading">
            <h3 id="add-site-heading">"Add a site"</h3>
            <p class="hint" id="add-site-hint">
                {move || {
                    let n = count();
                    if n >= MAX_SITES {
                        format!("The plan has {MAX_SITES} sites, the most one plan joins: split larger meshes into several plans.")
                    } else if n < MIN_SITES {
                        format!("A plan joins {MIN_SITES} to {MAX_SITES} sites; it has {}. New sites are linked to every existing one.", plural(n, "site"))
                    } else {
                        format!("{} of at most {MAX_SITES}. A new site is linked to every existing one (cloud gateways do not transit).", plural(n, "site"))
                    }
                }}
            </p>
            <div class="button-row">
                {Platform::ALL
                    .into_iter()
                    .map(|p| {
                        view! {
                            <button
                                type="button"
                                class="secondary"
                                id=format!("add-site-{}", code_of(&p))
                                disabled=full
                                aria-describedby="add-site-hint"
                                on:click=move |_| {
                                    let before = w.editor.with_untracked(|e| e.link_ids().to_vec());
                                    let mut at = 0;
                                    w.restructure(|e| at = e.add_site(p));
                                    // Links to two or more sites: shown as proposed, to keep or undo.
                                    let added: Vec<u32> = w.editor.with_untracked(|e| e.link_ids().iter().filter(|id| !before.contains(id)).copied().collect());
                                    proposed.set((added.len() >= 2).then_some(added));
                                    let path = format!("sites[{at}].name");
                                    request_animation_frame(move || focus_field(&path));
                                }
                            >
                                "+ "{site_noun(p)}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <Show when=move || !proposed_names().is_empty()>
                <div class="callout proposed" role="status" data-testid="proposed-links">
                    <p>
                        {move || format!("Proposed links: {}. ", proposed_names().join(", "))}
                        "Cloud VPN gateways do not pass traffic from one tunnel to another, so each pair of sites that must talk needs its own link (a full mesh)."
                    </p>
                    <div class="button-row">
                        <button type="button" class="primary" id="keep-proposed" on:click=move |_| proposed.set(None)>"Keep these links"</button>
                        <button type="button" class="secondary" id="drop-proposed" on:click=drop_proposed>"Don't link them (hub and spoke)"</button>
                    </div>
                </div>
            </Show>
        </section>
    }
}

fn site_noun(p: Platform) -> &'static str {
    match p {
        Platform::Aws => "AWS VPC",
        Platform::Azure => "Azure VNet",
        Platform::Gcp => "Google Cloud VPC",
        Platform::Onprem => "Self-managed site",
    }
}

/// Read a field of site `i` (`None` while the site is going away).
fn site_get<T>(w: Wiz, i: ReadSignal<usize>, f: impl FnOnce(&Site) -> T) -> Option<T> {
    let i = i.get();
    w.plan(|p| p.sites.get(i).map(f))
}

/// Change site `i`.
fn site_set(w: Wiz, i: ReadSignal<usize>, f: impl FnOnce(&mut Site)) {
    let i = i.get_untracked();
    w.edit(|p| {
        if let Some(s) = p.sites.get_mut(i) {
            f(s)
        }
    });
}

fn path_of(i: ReadSignal<usize>, field: &'static str) -> Signal<String> {
    Signal::derive(
        move || if field.is_empty() { format!("sites[{}]", i.get()) } else { format!("sites[{}].{field}", i.get()) },
    )
}

/// The site cards (drawn by [`super::lazy::later`]: a blank plan has none).
pub(super) fn site_cards() -> AnyView {
    view! { <super::fields::Cards items=super::fields::Items::Sites card=|i| view! { <SiteCard i/> }.into_any()/> }
        .into_any()
}

/// One site.
#[component]
fn SiteCard(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let name = move || site_get(w, i, |s| s.name.clone()).unwrap_or_default();
    let platform = move || site_get(w, i, |s| s.platform).unwrap_or(Platform::Aws);
    super::fields::provide_field_context(move || {
        format!("Site {}", site_get(w, i, |s| s.name.clone()).unwrap_or_default())
    });
    let confirm = RwSignal::new(false);
    let n_sites = move || w.plan(|p| p.sites.len());
    let links_of = move || {
        let n = name();
        w.plan(|p| p.links.iter().filter(|l| l.a == n || l.b == n).count())
    };
    let title = move || {
        let n = name();
        format!("Site {}: {}", i.get() + 1, if n.is_empty() { "(no name yet)".into() } else { n })
    };
    let heading_id = move || format!("site-{}-heading", i.get());
    view! {
        <section class="card site" id=move || super::state::field_id(&path_of(i, "").get()) aria-labelledby=heading_id>
            <header class="card-head">
                <h3 id=heading_id>
                    {title}
                    " "
                    <span class=move || format!("badge platform-{}", code_of(&platform()))>{move || platform().label()}</span>
                </h3>
                <div class="card-actions">
                    <MoveButtons
                        prefix="site"
                        i
                        count=Signal::derive(n_sites)
                        what=Signal::derive(name)
                        on_move=Callback::new(move |to: usize| {
                            let from = i.get_untracked();
                            w.restructure(|e| e.move_site(from, to));
                        })
                    />
                    <button
                        type="button"
                        class="danger"
                        disabled={move || n_sites() <= MIN_SITES}
                        title={move || (n_sites() <= MIN_SITES).then(|| format!("A plan needs at least {MIN_SITES} sites"))}
                        aria-label=move || format!("Remove {}", name())
                        on:click=move |_| confirm.set(true)
                    >
                        "Remove"
                    </button>
                </div>
            </header>
            <Show when=move || confirm.get()>
                <div class="confirm" role="alert">
                    <p>
                        {move || format!("Remove {} and its {}?", name(), plural(links_of(), "link"))}
                    </p>
                    <button
                        type="button"
                        class="danger"
                        on:click=move |_| {
                            let at = i.get_untracked();
                            confirm.set(false);
                            w.restructure(|e| e.remove_site(at));
                        }
                    >
                        "Remove site"
                    </button>
                    <button type="button" class="secondary" on:click=move |_| confirm.set(false)>
                        "Keep it"
                    </button>
                </div>
            </Show>
            <super::fields::Notes path=path_of(i, "")/>
            <div class="grid">
                <TextField
                    label="Name"
                    path=path_of(i, "name")
                    value=Signal::derive(name)
                    on_input=Callback::new(move |v: String| {
                        let at = i.get_untracked();
                        w.editor.update(|e| e.set_site_name(at, &v));
                    })
                    hint="Part of every resource name of the site: lowercase letters, digits and '-', up to 16."
                />
                <SelectField
                    label="Platform"
                    path=path_of(i, "platform")
                    options=Signal::derive(|| Platform::ALL.iter().map(|p| Opt::new(code_of(p), p.label())).collect())
                    value=Signal::derive(move || code_of(&platform()))
                    on_change=Callback::new(move |v: String| {
                        if let Some(p) = parse_code::<Platform>(&v) {
                            let at = i.get_untracked();
                            w.editor.update(|e| e.set_platform(at, p));
                        }
                    })
                />
                <TextField
                    label=Signal::derive(move || if platform() == Platform::Onprem { "Location (optional)".to_string() } else { "Region".to_string() })
                    path=path_of(i, "region")
                    value=Signal::derive(move || site_get(w, i, |s| s.region.clone()).unwrap_or_default())
                    on_input=Callback::new(move |v: String| site_set(w, i, |s| s.region = v))
                    list=Signal::derive(move || format!("regions-{}", code_of(&platform())))
                    hint=Signal::derive(move || match platform() {
                        Platform::Onprem => "A label for the site, e.g. fra-dc1.".to_string(),
                        p @ (Platform::Aws | Platform::Azure | Platform::Gcp) => format!("Pick from the list or type a newer {} region.", p.label()),
                    })
                />
            </div>
            <NetworkFields i/>
            <GatewayFields i/>
        </section>
    }
}

/// New or existing network.
#[component]
fn NetworkFields(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let platform = move || site_get(w, i, |s| s.platform).unwrap_or(Platform::Aws);
    let existing = move || site_get(w, i, |s| matches!(s.network, Network::Existing { .. })).unwrap_or(false);
    let choices = Signal::derive(move || {
        let noun = platform().network_noun();
        vec![
            Radio { value: "new".into(), label: format!("Create a new {noun}"), tag: None, weak: None, disabled: None },
            Radio {
                value: "existing".into(),
                label: format!("Use an existing {noun}"),
                tag: None,
                weak: None,
                disabled: None,
            },
        ]
    });
    let id_text = move || {
        site_get(w, i, |s| match &s.network {
            Network::Existing { id, .. } => id.clone(),
            Network::New => String::new(),
        })
        .unwrap_or_default()
    };
    let rg_text = move || {
        site_get(w, i, |s| match &s.network {
            Network::Existing { resource_group, .. } => resource_group.clone(),
            Network::New => String::new(),
        })
        .unwrap_or_default()
    };
    view! {
        <div class="group">
            <ChoiceGroup
                legend="Network"
                path=path_of(i, "network")
                choices
                value=Signal::derive(move || if existing() { "existing".to_string() } else { "new".to_string() })
                on_change=Callback::new(move |v: String| {
                    site_set(w, i, |s| {
                        s.network = if v == "existing" {
                            Network::Existing { id: String::new(), resource_group: String::new() }
                        } else {
                            Network::New
                        }
                    })
                })
                hint=Signal::derive(move || if existing() {
                    "The scripts use it as it is and never delete it.".to_string()
                } else {
                    "The scripts create it with its subnets, and teardown deletes it.".to_string()
                })
            />
            <Show when=existing>
                <div class="grid">
                    <TextField
                        label=Signal::derive(move || match platform() {
                            Platform::Aws => "VPC ID".to_string(),
                            Platform::Azure => "VNet name".to_string(),
                            Platform::Gcp | Platform::Onprem => "Network name".to_string(),
                        })
                        path=path_of(i, "network.id")
                        value=Signal::derive(id_text)
                        mono=true
                        on_input=Callback::new(move |v: String| {
                            site_set(w, i, |s| {
                                if let Network::Existing { id, .. } = &mut s.network {
                                    *id = v
                                }
                            })
                        })
                        placeholder=Signal::derive(move || match platform() {
                            Platform::Aws => "vpc-0a1b2c3d4e5f60718".to_string(),
                            Platform::Azure | Platform::Gcp | Platform::Onprem => String::new(),
                        })
                    />
                    <Show when=move || platform() == Platform::Azure>
                        <TextField
                            label="Resource group"
                            path=path_of(i, "network.resource_group")
                            value=Signal::derive(rg_text)
                            on_input=Callback::new(move |v: String| {
                                site_set(w, i, |s| {
                                    if let Network::Existing { resource_group, .. } = &mut s.network {
                                        *resource_group = v
                                    }
                                })
                            })
                        />
                    </Show>
                </div>
            </Show>
        </div>
    }
}

/// The gateway: kind and its options.
#[component]
fn GatewayFields(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let platform = move || site_get(w, i, |s| s.platform).unwrap_or(Platform::Aws);
    let gateway = move || site_get(w, i, |s| s.gateway.clone());
    let kind = move || gateway().map(|g| g.kind()).unwrap_or(GatewayKind::AwsVgw);
    let kind_options = Signal::derive(move || {
        let p = platform();
        let mut kinds = kinds_for(p);
        let k = kind();
        let mut opts: Vec<Opt> = kinds.drain(..).map(|k| Opt::new(code_of(&k), kind_label(k))).collect();
        if !opts.iter().any(|o| o.value == code_of(&k)) {
            opts.push(Opt::new(code_of(&k), format!("{} (not for {})", k.label(), p.label())));
        }
        opts
    });
    let resolved_asn = move || {
        let at = i.get();
        w.checked.with(|c| c.resolved.sites.get(at).and_then(|s| s.asn))
    };
    view! {
        <fieldset class="group gateway" id=move || super::state::field_id(&path_of(i, "gateway").get())>
            <legend>"Gateway"</legend>
            <super::fields::Notes path=path_of(i, "gateway")/>
            <div class="grid">
                <SelectField
                    label="Gateway kind"
                    path=path_of(i, "gateway.kind")
                    options=kind_options
                    hint=Signal::derive(move || {
                        if kind() == GatewayKind::Appliance {
                            format!("Libreswan, strongSwan or VyOS on {}: choose below.", article(platform().appliance_host()))
                        } else {
                            String::new()
                        }
                    })
                    value=Signal::derive(move || code_of(&kind()))
                    on_change=Callback::new(move |v: String| {
                        if let Some(k) = parse_code::<GatewayKind>(&v) {
                            let at = i.get_untracked();
                            w.editor.update(|e| e.set_gateway_kind(at, k));
                        }
                    })
                />
                <Show when=move || kind() == GatewayKind::AzureVpnGateway>
                    <AzureFields i/>
                </Show>
                <Show when=move || kind() == GatewayKind::Appliance>
                    <ApplianceFields i/>
                </Show>
                <Show when=move || kind() != GatewayKind::GcpClassicVpn>
                    <NumberField
                        label="BGP ASN"
                        path=path_of(i, "gateway.asn")
                        value=Signal::derive(move || gateway().and_then(|g| g.asn()).map(u64::from))
                        min=1
                        max=4_294_967_294
                        apply=Callback::new(move |v: Option<u64>| site_set(w, i, |s| set_gateway_asn(&mut s.gateway, v.map(|v| v as u32))))
                        placeholder=Signal::derive(move || resolved_asn().map(|a| format!("{a} (default)")).unwrap_or_default())
                        hint="Used by BGP links. Leave empty for the default shown; it stays unique in the plan."
                    />
                </Show>
            </div>
        </fieldset>
    }
}

fn kind_label(k: GatewayKind) -> String {
    match k {
        // Short enough to show whole in the select at 375 px (issue 18); the hint says the rest.
        GatewayKind::Appliance => "Software appliance".to_string(),
        k @ (GatewayKind::AwsVgw
        | GatewayKind::AwsTgw
        | GatewayKind::AzureVpnGateway
        | GatewayKind::GcpHaVpn
        | GatewayKind::GcpClassicVpn) => k.label().to_string(),
    }
}

fn article(noun: &str) -> String {
    let vowel = noun.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// SKU, active-active, VPN type.
#[component]
fn AzureFields(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let get = move || {
        site_get(w, i, |s| {
            if let Gateway::AzureVpnGateway { sku, active_active, vpn_type, .. } = &s.gateway {
                (sku.clone(), *active_active, *vpn_type)
            } else {
                (String::new(), false, AzureVpnType::RouteBased)
            }
        })
        .unwrap_or((String::new(), false, AzureVpnType::RouteBased))
    };
    let set = move |f: fn(&mut Gateway, String)| move |v: String| site_set(w, i, |s| f(&mut s.gateway, v));
    let sku_options = Signal::derive(move || {
        let (cur, _, _) = get();
        let mut v: Vec<Opt> = azure_skus_available()
            .map(|s| {
                let what = if s.bgp { format!("{} tunnels", s.s2s_tunnels) } else { "no BGP".to_string() };
                Opt::new(s.name, format!("{} ({what})", s.name))
            })
            .collect();
        if !v.iter().any(|o| o.value == cur) {
            let label = match azure_sku(&cur) {
                Some(s) if s.retired.is_some() => format!("{cur} (can no longer be created)"),
                _ => format!("{cur} (unknown SKU)"),
            };
            v.push(Opt::new(cur, label));
        }
        v
    });
    view! {
        <SelectField
            label="SKU"
            path=path_of(i, "gateway.sku")
            options=sku_options
            value=Signal::derive(move || get().0)
            on_change=Callback::new(set(|g, v| {
                if let Gateway::AzureVpnGateway { sku, .. } = g {
                    *sku = v
                }
            }))
            hint="AZ SKUs are zone-redundant; Basic lacks BGP and custom crypto."
        />
        <CheckField
            label="Active-active (two instances)"
            path=path_of(i, "gateway.active_active")
            checked=Signal::derive(move || get().1)
            on_change=Callback::new(move |v: bool| {
                site_set(w, i, |s| {
                    if let Gateway::AzureVpnGateway { active_active, .. } = &mut s.gateway {
                        *active_active = v
                    }
                })
            })
            hint="Two public IPs and twice the tunnels; needed for BGP with AWS."
        />
        <SelectField
            label="VPN type"
            path=path_of(i, "gateway.vpn_type")
            options=Signal::derive(|| {
                vec![
                    Opt::new(code_of(&AzureVpnType::RouteBased), "Route-based (recommended)"),
                    Opt::new(code_of(&AzureVpnType::PolicyBased), "Policy-based (IKEv1 only, Basic SKU)"),
                ]
            })
            value=Signal::derive(move || code_of(&get().2))
            on_change=Callback::new(set(|g, v| {
                if let (Gateway::AzureVpnGateway { vpn_type, .. }, Some(t)) = (g, parse_code::<AzureVpnType>(&v)) {
                    *vpn_type = t
                }
            }))
        />
    }
}

/// Software, version, addresses of an appliance.
#[component]
fn ApplianceFields(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let platform = move || site_get(w, i, |s| s.platform).unwrap_or(Platform::Aws);
    let get = move || {
        site_get(w, i, |s| {
            let Gateway::Appliance { software, version, public_ip, private_ip, .. } = &s.gateway else { return None };
            Some((*software, version.clone(), public_ip.clone(), private_ip.clone()))
        })
        .flatten()
        .unwrap_or((Software::Strongswan, String::new(), String::new(), String::new()))
    };
    // Each setter picks one field of the appliance.
    let set = move |f: fn(&mut String, &mut String, &mut String, String)| {
        move |v: String| {
            site_set(w, i, |s| {
                if let Gateway::Appliance { version, public_ip, private_ip, .. } = &mut s.gateway {
                    f(version, public_ip, private_ip, v)
                }
            })
        }
    };
    let version_options = Signal::derive(move || {
        let (sw, cur, _, _) = get();
        let mut v: Vec<Opt> = versions_of(sw)
            .map(|x| Opt::new(x.version, format!("{} {} ({})", sw.label(), x.version, x.shipped_in)))
            .collect();
        if !v.iter().any(|o| o.value == cur) {
            v.push(Opt::new(cur.clone(), format!("{} {cur} (not known to this build)", sw.label())));
        }
        v
    });
    view! {
        <SelectField
            label="Software"
            path=path_of(i, "gateway.software")
            options=Signal::derive(|| Software::ALL.iter().map(|s| Opt::new(code_of(s), s.label())).collect())
            value=Signal::derive(move || code_of(&get().0))
            on_change=Callback::new(move |v: String| {
                if let Some(sw) = parse_code::<Software>(&v) {
                    let at = i.get_untracked();
                    w.editor.update(|e| e.set_software(at, sw));
                }
            })
            hint=Signal::derive(move || format!("Runs on {}.", article(platform().appliance_host())))
        />
        <SelectField
            label="Version"
            path=path_of(i, "gateway.version")
            options=version_options
            value=Signal::derive(move || get().1)
            on_change=Callback::new(set(|ver, _, _, v| *ver = v))
        />
        <TextField
            label=Signal::derive(move || if platform() == Platform::Onprem { "Public IP".to_string() } else { "Public IP (optional)".to_string() })
            path=path_of(i, "gateway.public_ip")
            value=Signal::derive(move || get().2)
            mono=true
            on_input=Callback::new(set(|_, ip, _, v| *ip = v))
            hint=Signal::derive(move || if platform() == Platform::Onprem {
                "The address the other sites connect to.".to_string()
            } else {
                "The elastic or static public IP, if it exists already.".to_string()
            })
        />
        <TextField
            label=Signal::derive(move || if platform() == Platform::Onprem { "Private IP (optional)".to_string() } else { "Private IP".to_string() })
            path=path_of(i, "gateway.private_ip")
            value=Signal::derive(move || get().3)
            mono=true
            on_input=Callback::new(set(|_, _, ip, v| *ip = v))
            hint=Signal::derive(move || if platform() == Platform::Onprem {
                "The appliance's inside address, if it is behind NAT.".to_string()
            } else {
                format!("The {}'s address in the site; the scripts find it by this address.", platform().appliance_host())
            })
        />
    }
}
