//! Step 4, Security: per link the crypto profile (recommended for the pair, with the engine's
//! reason, or custom with only what both ends accept enabled and the rest explained), and the
//! pre-shared keys: one per tunnel, made in this browser or imported, never in a link or plan.

use leptos::prelude::*;

use super::browser::{download_text, random, read_chosen_file};
use super::fields::{ChoiceGroup, Notes, NumberField, Radio};
use super::state::{code_of, field_id, parse_code, plural, wiz, Keys, KeysWhy, Wiz};
use super::step_files::current_secrets;
use super::step_links::resolved_link;
use crate::bundle::SECRETS_FILE;
use crate::check::Profile;
use crate::edit::{crypto_choices, Allowed, Choice, CryptoChoices};
use crate::kb::crypto::dh_label;
use crate::plan::{Crypto, Encryption, IkeVersion, Integrity};
use crate::secrets::{key_uses, Secrets};

/// The Security step.
#[component]
pub fn SecurityStep() -> impl IntoView {
    view! {
        <p class="lead">
            "The recommended profile is the strongest set both ends accept. Choose custom only to match "
            "an existing peer; values one end rejects stay visible, disabled, with the reason."
        </p>
        <super::fields::Cards items=super::fields::Items::Links card=|i| view! { <LinkCrypto i/> }.into_any()/>
        <KeysCard/>
    }
}

fn crypto_path(i: ReadSignal<usize>, field: &'static str) -> Signal<String> {
    Signal::derive(move || {
        if field.is_empty() {
            format!("links[{}].crypto", i.get())
        } else {
            format!("links[{}].crypto.{field}", i.get())
        }
    })
}

fn radios<T: Copy>(list: &[Choice<T>], code: impl Fn(T) -> String) -> Vec<Radio> {
    list.iter()
        .map(|c| Radio {
            value: code(c.value),
            label: c.label.clone(),
            tag: c.recommended.then(|| "recommended".to_string()),
            weak: c.weak.clone(),
            disabled: c.unavailable.clone(),
        })
        .collect()
}

/// The crypto of one link.
#[component]
fn LinkCrypto(i: ReadSignal<usize>) -> impl IntoView {
    let w = wiz();
    let ends = move || w.plan(|p| p.links.get(i.get()).map(|l| format!("{} ↔ {}", l.a, l.b)).unwrap_or_default());
    super::fields::provide_field_context(move || format!("Link {}", ends()));
    let crypto = move || w.plan(|p| p.links.get(i.get()).map(|l| l.crypto.clone()).unwrap_or_default());
    let custom = Memo::new(move |_| !crypto().is_recommended());
    let profile = move || resolved_link(w, i.get()).and_then(|l| l.profile);
    let choices = Memo::new(move |_| {
        let li = i.get();
        w.editor.with(|e| w.checked.with(|c| crypto_choices(e.plan(), &c.resolved, li)))
    });
    let heading_id = move || format!("crypto-{}-heading", i.get());
    let mode = Signal::derive(|| {
        vec![
            Radio {
                value: "recommended".into(),
                label: "Recommended for this pair".into(),
                tag: None,
                weak: None,
                disabled: None,
            },
            Radio { value: "custom".into(), label: "Custom".into(), tag: None, weak: None, disabled: None },
        ]
    });
    view! {
        <section class="card" id=move || field_id(&format!("links[{}]", i.get())) aria-labelledby=heading_id>
            <h3 id=heading_id>{move || format!("Crypto for {}", ends())}</h3>
            <ChoiceGroup
                legend="Profile"
                path=crypto_path(i, "")
                choices=mode
                value=Signal::derive(move || if custom.get() { "custom".to_string() } else { "recommended".to_string() })
                on_change=Callback::new(move |v: String| {
                    let li = i.get_untracked();
                    if v == "custom" {
                        let r = w.checked.with_untracked(|c| c.resolved.clone());
                        w.editor.update(|e| e.set_custom_crypto(li, &r));
                    } else {
                        for f in ["ike_version", "phase1_lifetime", "phase2_lifetime", "dpd_timeout"] {
                            w.set_raw(&format!("links[{li}].crypto.{f}"), None);
                        }
                        w.editor.update(|e| e.set_recommended_crypto(li));
                    }
                })
            />
            {move || profile().map(|p| view! { <ProfileSummary p/> })}
            <Show when=move || custom.get()>
                {move || match choices.get() {
                    Some(c) => view! { <CustomCrypto i c/> }.into_any(),
                    None => view! {
                        <p class="empty">"Custom choices appear once both ends are known and share an IKE version (see the findings)."</p>
                    }
                        .into_any(),
                }}
            </Show>
        </section>
    }
}

/// What the link uses, in a table.
#[component]
fn ProfileSummary(p: Profile) -> impl IntoView {
    let p2 = match p.p2_integrity {
        Some(i) => format!("{} / {}", p.p2_encryption.label(), i.label()),
        None => p.p2_encryption.label().to_string(),
    };
    let life =
        |v: [u32; 2]| if v[0] == v[1] { format!("{} s", v[0]) } else { format!("{} s / {} s (per end)", v[0], v[1]) };
    let dpd = match p.dpd_timeout {
        [Some(a), Some(b)] if a == b => format!("{a} s"),
        [a, b] => format!(
            "{} / {}",
            a.map(|x| format!("{x} s")).unwrap_or_else(|| "platform's own".into()),
            b.map(|x| format!("{x} s")).unwrap_or_else(|| "platform's own".into())
        ),
    };
    view! {
        <div class="profile">
            <dl class="facts compact">
                <div><dt>"IKE"</dt><dd>{p.ike.label()}</dd></div>
                <div><dt>"Phase 1"</dt><dd>{format!("{} / {} / {}", p.p1_encryption.label(), p.p1_integrity.label(), dh_label(p.p1_dh))}</dd></div>
                <div><dt>"Phase 2"</dt><dd>{p2}</dd></div>
                <div><dt>"PFS"</dt><dd>{p.pfs.map(dh_label).unwrap_or_else(|| "off".into())}</dd></div>
                <div><dt>"Lifetimes"</dt><dd>{format!("phase 1 {}, phase 2 {}", life(p.p1_lifetime), life(p.p2_lifetime))}</dd></div>
                <div><dt>"DPD timeout"</dt><dd>{dpd}</dd></div>
            </dl>
        </div>
    }
}

fn set_crypto(w: Wiz, i: ReadSignal<usize>, f: impl FnOnce(&mut Crypto)) {
    let li = i.get_untracked();
    w.edit(|p| {
        if let Some(l) = p.links.get_mut(li) {
            f(&mut l.crypto)
        }
    });
}

/// One algorithm choice of a link's custom crypto: the `Crypto` field it sets, as plan-format text.
struct Algo {
    field: &'static str,
    legend: &'static str,
    /// Long lists (DH groups) as compact chips.
    compact: bool,
    get: fn(&Crypto) -> Option<String>,
    set: fn(&mut Crypto, &str),
}

/// One number of a link's custom crypto (seconds).
struct Seconds {
    field: &'static str,
    label: &'static str,
    get: fn(&Crypto) -> Option<u32>,
    set: fn(&mut Crypto, Option<u32>),
    /// What the link uses now, for the placeholder.
    in_use: fn(&Profile) -> String,
}

const P1: [Algo; 3] = [
    Algo {
        field: "phase1_encryption",
        legend: "Encryption",
        compact: false,
        get: |c| c.phase1_encryption.map(|v| code_of(&v)),
        set: |c, v| c.phase1_encryption = parse_code(v),
    },
    Algo {
        field: "phase1_integrity",
        legend: "Integrity",
        compact: false,
        get: |c| c.phase1_integrity.map(|v| code_of(&v)),
        set: |c, v| c.phase1_integrity = parse_code(v),
    },
    Algo {
        field: "phase1_dh_group",
        legend: "Diffie-Hellman group",
        compact: true,
        get: |c| c.phase1_dh_group.map(|v| v.to_string()),
        set: |c, v| c.phase1_dh_group = v.parse().ok(),
    },
];

const P2: [Algo; 3] = [
    Algo {
        field: "phase2_encryption",
        legend: "Encryption",
        compact: false,
        get: |c| c.phase2_encryption.map(|v| code_of(&v)),
        set: |c, v| {
            c.phase2_encryption = parse_code(v);
            // AES-GCM carries its own integrity: the plan must not name one.
            if c.phase2_encryption.is_some_and(|e: Encryption| e.is_aead()) {
                c.phase2_integrity = None;
            }
        },
    },
    Algo {
        field: "phase2_integrity",
        legend: "Integrity",
        compact: false,
        get: |c| c.phase2_integrity.map(|v| code_of(&v)),
        set: |c, v| c.phase2_integrity = parse_code(v),
    },
    Algo {
        field: "pfs_group",
        legend: "Perfect forward secrecy (PFS) group",
        compact: true,
        get: |c| c.pfs_group.map(|v| v.to_string()),
        set: |c, v| c.pfs_group = v.parse().ok(),
    },
];

const LIFE1: Seconds = Seconds {
    field: "phase1_lifetime",
    label: "Phase 1 lifetime (seconds)",
    get: |c| c.phase1_lifetime,
    set: |c, v| c.phase1_lifetime = v,
    in_use: |p| p.p1_lifetime[0].to_string(),
};

const LIFE2: Seconds = Seconds {
    field: "phase2_lifetime",
    label: "Phase 2 lifetime (seconds)",
    get: |c| c.phase2_lifetime,
    set: |c, v| c.phase2_lifetime = v,
    in_use: |p| p.p2_lifetime[0].to_string(),
};

const DPD: Seconds = Seconds {
    field: "dpd_timeout",
    label: "Dead peer detection timeout (seconds)",
    get: |c| c.dpd_timeout,
    set: |c, v| c.dpd_timeout = v,
    in_use: |p| p.dpd_timeout.iter().flatten().next().map(|x| x.to_string()).unwrap_or_else(|| "platform's own".into()),
};

fn algo_view(w: Wiz, i: ReadSignal<usize>, a: &'static Algo, choices: Vec<Radio>) -> impl IntoView {
    view! {
        <ChoiceGroup
            legend=a.legend
            compact=a.compact
            path=crypto_path(i, a.field)
            choices
            value=Signal::derive(move || {
                w.plan(|p| p.links.get(i.get()).and_then(|l| (a.get)(&l.crypto))).unwrap_or_default()
            })
            on_change=Callback::new(move |v: String| set_crypto(w, i, |c| (a.set)(c, &v)))
        />
    }
}

fn seconds_view(w: Wiz, i: ReadSignal<usize>, s: &'static Seconds, allowed: &[Allowed]) -> impl IntoView {
    let hint = allowed.iter().map(|a| format!("{} accepts {}", a.site, a.rule)).collect::<Vec<_>>().join("; ");
    view! {
        <NumberField
            label=s.label
            path=crypto_path(i, s.field)
            value=Signal::derive(move || w.plan(|p| p.links.get(i.get()).and_then(|l| (s.get)(&l.crypto))).map(u64::from))
            min=1
            max=u64::from(u32::MAX)
            apply=Callback::new(move |v: Option<u64>| set_crypto(w, i, |c| (s.set)(c, v.map(|v| v as u32))))
            placeholder=Signal::derive(move || {
                resolved_link(w, i.get()).and_then(|l| l.profile).map(|p| format!("{} (in use)", (s.in_use)(&p))).unwrap_or_default()
            })
            hint
        />
    }
}

/// Every custom choice of one link.
#[component]
fn CustomCrypto(i: ReadSignal<usize>, c: CryptoChoices) -> impl IntoView {
    let w = wiz();
    let ike = crypto_path(i, "ike_version");
    let p1 = [
        radios(&c.phase1_encryption, |e: Encryption| code_of(&e)),
        radios(&c.phase1_integrity, |x: Integrity| code_of(&x)),
        radios(&c.phase1_dh_group, |g: u8| g.to_string()),
    ];
    let p2 = [
        radios(&c.phase2_encryption, |e: Encryption| code_of(&e)),
        radios(&c.phase2_integrity, |x: Integrity| code_of(&x)),
        radios(&c.pfs_group, |g: u8| g.to_string()),
    ];
    view! {
        <div class="custom">
            <ChoiceGroup
                legend="IKE version"
                path=ike
                choices=radios(&c.ike, |v: IkeVersion| code_of(&v))
                value=Signal::derive(move || {
                    w.plan(|p| p.links.get(i.get()).and_then(|l| l.crypto.ike_version)).map(|v| code_of(&v)).unwrap_or_default()
                })
                on_change=Callback::new(move |v: String| set_crypto(w, i, |c| c.ike_version = parse_code(&v)))
            />
            <p class="hint">{format!("The algorithm lists below are what both ends accept with {}.", c.ike_in_use.label())}</p>
            <div class="phase">
                <h4>"Phase 1 (IKE SA)"</h4>
                {P1.iter().zip(p1).map(|(a, ch)| algo_view(w, i, a, ch)).collect_view()}
                {seconds_view(w, i, &LIFE1, &c.phase1_lifetime)}
            </div>
            <div class="phase">
                <h4>"Phase 2 (IPsec SA)"</h4>
                {P2.iter().zip(p2).map(|(a, ch)| algo_view(w, i, a, ch)).collect_view()}
                {seconds_view(w, i, &LIFE2, &c.phase2_lifetime)}
            </div>
            {seconds_view(w, i, &DPD, &c.dpd_timeout)}
        </div>
    }
}

/// What to say about where the keys come from.
fn keys_text(k: Keys, n: usize) -> String {
    match k {
        Keys::Browser => format!(
            "{} made in this browser from its cryptographic random generator; keys for new tunnels are made as they appear.",
            plural(n, "key")
        ),
        Keys::Imported => format!("{} from the secrets file you imported.", plural(n, "key")),
        Keys::Pending(KeysWhy::Link) => "This plan was opened from a share link, and links never carry pre-shared keys. Import the secrets.env you were sent by another channel to use the same keys as the deployed tunnels, or generate new keys if nothing is deployed yet (both ends of every tunnel must then get the new keys).".into(),
        Keys::Pending(KeysWhy::PlanFile) => "This plan came from a plan file, and plan files never hold pre-shared keys. Import its secrets.env to keep the keys already in use, or generate new keys if nothing is deployed yet.".into(),
        Keys::Pending(KeysWhy::NotKept) => "Your keys were downloaded but not kept in this browser. Import the secrets.env you downloaded to keep using them, or generate new keys (the deployed tunnels then need them too).".into(),
    }
}

/// The pre-shared keys card.
#[component]
fn KeysCard() -> impl IntoView {
    let w = wiz();
    // Each key once (tunnels of one Azure connection share theirs): every count below counts these.
    let uses = Memo::new(move |_| w.checked.with(|c| key_uses(&c.resolved)));
    let names = Memo::new(move |_| uses.with(|u| u.iter().map(|k| k.name.clone()).collect::<Vec<_>>()));
    let present = move || {
        let n = names.get();
        w.secrets.with(|s| n.iter().filter(|x| s.psk(x).is_some()).count())
    };
    let message = RwSignal::new(None::<(bool, String)>);
    let confirm = RwSignal::new(false);
    let paste = RwSignal::new(String::new());
    let generate = move || {
        let r = w.checked.with_untracked(|c| c.resolved.clone());
        w.secrets.set(Secrets::generate(&r, &mut random));
        w.keys.set(Keys::Browser);
        w.keys_exported.set(false);
        confirm.set(false);
        message.set(Some((
            true,
            format!("Generated {} in this browser.", plural(names.get_untracked().len(), "new key")),
        )));
    };
    let import = move |source: String, text: String| match Secrets::from_env(&text) {
        Ok(s) => {
            let wanted = names.get_untracked();
            let found = wanted.iter().filter(|n| s.psk(n).is_some()).count();
            let missing = wanted.len() - found;
            w.secrets.set(s);
            w.keys.set(Keys::Imported);
            w.keys_exported.set(true);
            let extra = if missing > 0 {
                format!(
                    " It lacked {} of this plan's {}: new ones were made here for them.",
                    plural(missing, "key"),
                    wanted.len()
                )
            } else {
                String::new()
            };
            message.set(Some((true, format!("Imported {} from {source}.{extra}", plural(found, "key")))));
        }
        Err(e) => message.set(Some((false, format!("{source} is not a secrets file: {e}. Nothing was changed.")))),
    };
    let on_file = move |ev: leptos::ev::Event| {
        read_chosen_file(ev, move |name, text| match text {
            Ok(t) => import(name, t),
            Err(e) => message.set(Some((false, e))),
        })
    };
    let download = move || {
        download_text(SECRETS_FILE, "text/plain", &current_secrets(w).to_env());
        w.keys_exported.set(true);
    };
    let pending = move || w.keys.get().pending();
    view! {
        <section class="card keys" id="f-secrets" aria-labelledby="keys-heading">
            <h3 id="keys-heading">"Pre-shared keys"</h3>
            <p class=move || if pending() { "callout warn" } else { "callout" } id="keys-status">
                {move || keys_text(w.keys.get(), present())}
            </p>
            <p class="hint">
                "One key per tunnel (the two tunnels of an active-active Azure gateway to one address are one Azure connection, so they share one key), 32 characters every platform accepts. Keys never go into the share link, the plan file or any script: "
                "the scripts read them from "<code>{SECRETS_FILE}</code>", which you keep private."
            </p>
            <div class="button-row">
                <input id="secrets-file" class="visually-hidden-file" type="file" accept=".env,text/plain" on:change=on_file/>
                <label class="button secondary" for="secrets-file">"Import secrets.env…"</label>
                <button
                    type="button"
                    class=move || if pending() { "primary" } else { "secondary" }
                    id="generate-keys"
                    on:click=move |_| if w.keys_exported.get_untracked() && !w.keys.get_untracked().pending() { confirm.set(true) } else { generate() }
                >
                    "Generate new keys"
                </button>
                <button
                    type="button"
                    class="secondary"
                    id="download-secrets"
                    disabled={move || present() < names.with(|n| n.len()) || names.with(|n| n.is_empty())}
                    on:click=move |_| download()
                >
                    "Download secrets.env"
                </button>
            </div>
            <Show when=move || confirm.get()>
                <div class="confirm" role="alert">
                    <p>"You downloaded the current keys. New keys replace them: tunnels deployed with the old ones stop working until both ends get the new keys."</p>
                    <button type="button" class="danger" on:click=move |_| generate()>"Replace the keys"</button>
                    <button type="button" class="secondary" on:click=move |_| confirm.set(false)>"Keep them"</button>
                </div>
            </Show>
            <details class="paste">
                <summary>"Paste a secrets.env instead"</summary>
                <label for="secrets-paste">"secrets.env text"</label>
                <textarea id="secrets-paste" class="mono" rows="4" spellcheck="false" prop:value=move || paste.get() on:input=move |ev| paste.set(event_target_value(&ev))></textarea>
                <button type="button" class="secondary" on:click=move |_| { import("the pasted text".into(), paste.get_untracked()); paste.set(String::new()); }>
                    "Import pasted keys"
                </button>
            </details>
            {move || message.get().map(|(ok, m)| view! { <p class=if ok { "status ok" } else { "status bad" } role="status">{m}</p> })}
            <label class="check">
                <input type="checkbox" id="keep-secrets" prop:checked=move || w.keep_secrets.get() on:change=move |ev| w.keep_secrets.set(event_target_checked(&ev))/>
                " Keep the keys in this browser with the draft (off: they are forgotten when the page closes)"
            </label>
            <Show when=move || !names.with(|n| n.is_empty())>
                <ul class="psks">
                    {move || {
                        uses
                            .get()
                            .into_iter()
                            .map(|k| {
                                let used_by = format!("for {}", k.describe());
                                let n = k.name;
                                let path = format!("secrets.{n}");
                                let has = {
                                    let n = n.clone();
                                    Signal::derive(move || w.secrets.with(|s| s.psk(&n).is_some()))
                                };
                                view! {
                                    <li id=field_id(&path) tabindex="-1">
                                        <code>{n.clone()}</code>
                                        " "
                                        <span class="used-by">{used_by}</span>
                                        " "
                                        <span class=move || if has.get() { "state ok" } else { "state bad" }>
                                            {move || if has.get() { "✓ key set" } else { "✖ no key" }}
                                        </span>
                                        <Notes path=path.clone()/>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}
