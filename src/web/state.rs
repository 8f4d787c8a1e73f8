//! The wizard's state: the plan being edited, what the engine finds in it, the keys, and where
//! the user is. One [`Wiz`] is provided as context; every step reads and writes through it.
//!
//! The plan lives in one signal (an [`Editor`], which gives sites and links stable ids); the
//! engine's [`analyze`] runs in a memo on every change. Stores (`reactive_stores`) would need
//! their derive on the engine's plan types, which must stay free of web dependencies, and the
//! whole plan is re-checked on every keystroke anyway, so one signal is both simpler and as fast.

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::check::{analyze, Finding, Resolved, Severity};
use crate::edit::{input_finding, Editor};
use crate::plan::Plan;
use crate::secrets::{self, Secrets};

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Sites,
    Addressing,
    Links,
    Security,
    Review,
    Files,
}

impl Step {
    pub const ALL: [Step; 6] = [Step::Sites, Step::Addressing, Step::Links, Step::Security, Step::Review, Step::Files];

    pub fn label(self) -> &'static str {
        match self {
            Step::Sites => "Sites",
            Step::Addressing => "Addressing",
            Step::Links => "Links",
            Step::Security => "Security",
            Step::Review => "Review",
            Step::Files => "Files",
        }
    }

    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn from_index(i: usize) -> Step {
        Step::ALL.get(i).copied().unwrap_or(Step::Sites)
    }

    /// The step that shows the field at `path` (a finding's path).
    pub fn of_path(path: &str) -> Step {
        if path.starts_with("secrets.") || (path.starts_with("links[") && path.contains("].crypto")) {
            Step::Security
        } else if path.starts_with("links") {
            Step::Links
        } else if path.starts_with("sites[") && (path.contains("].address_spaces") || path.contains("].subnets")) {
            Step::Addressing
        } else {
            Step::Sites
        }
    }

    /// Whether findings are counted against this step (Review and Files show them all).
    pub fn has_fields(self) -> bool {
        !matches!(self, Step::Review | Step::Files)
    }
}

/// The DOM id of the field (or group) at `path`: `sites[1].address_spaces[0]` →
/// `f-sites-1-address_spaces-0`.
pub fn field_id(path: &str) -> String {
    let mut s = String::from("f-");
    for c in path.chars() {
        match c {
            '[' | '.' => s.push('-'),
            ']' => {}
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => s.push(c),
            _ => s.push('_'),
        }
    }
    s
}

/// The paths to try, most specific first, when focusing `path`: the field, then each enclosing
/// group (`sites[1].subnets[0].cidr`, `sites[1].subnets[0]`, `sites[1].subnets`, `sites[1]`, `sites`).
pub fn enclosing_paths(path: &str) -> Vec<String> {
    let mut out = vec![path.to_string()];
    let mut p = path.to_string();
    loop {
        let cut = match (p.rfind('.'), p.rfind('[')) {
            (Some(d), Some(b)) => d.max(b),
            (Some(d), None) => d,
            (None, Some(b)) => b,
            (None, None) => break,
        };
        p.truncate(cut);
        if p.is_empty() {
            break;
        }
        out.push(p.clone());
    }
    out
}

/// Where the pre-shared keys come from, and so what the app says about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Made in this browser; keys for new tunnels are made as they appear.
    Browser,
    /// Imported from a `secrets.env` file; keys for new tunnels are made here.
    Imported,
    /// The plan arrived without its keys: the user imports them or generates new ones.
    Pending(KeysWhy),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysWhy {
    /// Opened from a share link (links never carry secrets).
    Link,
    /// Imported from a plan file (plan files never hold secrets).
    PlanFile,
    /// A draft whose keys were downloaded but not kept in this browser.
    NotKept,
}

impl Keys {
    pub fn pending(self) -> bool {
        matches!(self, Keys::Pending(_))
    }
}

/// What the engine finds in the plan, plus input the plan could not take and the keys' findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Errors first, then warnings, then info.
    pub findings: Vec<Finding>,
    pub resolved: Resolved,
}

impl Checked {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Errors whose field is on `step`.
    pub fn errors_on(&self, step: Step) -> usize {
        self.findings.iter().filter(|f| f.is_error() && Step::of_path(&f.path) == step).count()
    }

    /// The findings about exactly `path`.
    pub fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.path == path)
    }

    pub fn error_at(&self, path: &str) -> bool {
        self.at(path).any(|f| f.is_error())
    }
}

/// A message above the wizard: what happened when a link or file was opened, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u32,
    pub kind: Severity,
    pub title: String,
    pub lines: Vec<String>,
    pub action: Option<NoticeAction>,
}

/// A button a notice offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAction {
    /// Put back the draft that an opened link replaced.
    RestorePrevious,
}

/// Text a field could not store in the plan (kept as typed) and why, by field path.
pub type Raw = BTreeMap<String, (String, String)>;

/// The wizard's state, provided as context.
#[derive(Clone, Copy)]
pub struct Wiz {
    pub editor: RwSignal<Editor>,
    pub raw: RwSignal<Raw>,
    pub secrets: RwSignal<Secrets>,
    pub keys: RwSignal<Keys>,
    pub step: RwSignal<Step>,
    /// The field a finding last jumped to: highlighted until another jump.
    pub target: RwSignal<Option<String>>,
    /// The findings panel opened over the page (narrow screens): a jump closes it, so the
    /// field it went to is not under it.
    pub panel_open: RwSignal<bool>,
    /// Keep the keys in localStorage with the draft.
    pub keep_secrets: RwSignal<bool>,
    /// The keys were downloaded (so regenerating them silently would break a deployment).
    pub keys_exported: RwSignal<bool>,
    /// The share-link fragment the plan was opened from or last shared as.
    pub origin: RwSignal<Option<String>>,
    /// The fragment the address bar holds for the plan (kept in step with it by
    /// [`super::sharing::follow_in_address`]).
    pub address: RwSignal<Option<String>>,
    pub notices: RwSignal<Vec<Notice>>,
    /// What a blank plan lacks that is not an error yet ([`UNTOUCHED`] paths): until the user
    /// fills that field, or leaves the Sites step.
    pub untouched: RwSignal<Vec<&'static str>>,
    pub checked: Memo<Checked>,
    /// The file generators (loaded on first use).
    pub gens: super::generators::Gens,
}

/// The findings of a blank plan that wait until the user has touched their field: an empty plan
/// name and no sites are where every plan starts, not mistakes (by path, with their codes).
pub const UNTOUCHED: [(&str, &str); 2] = [("name", "E_PLAN_NAME"), ("sites", "E_SITE_COUNT")];

/// The [`UNTOUCHED`] paths a plan starts with: all of them for a blank plan, none otherwise.
fn untouched_of(plan: &Plan) -> Vec<&'static str> {
    if *plan == crate::edit::blank() {
        UNTOUCHED.iter().map(|(p, _)| *p).collect()
    } else {
        vec![]
    }
}

impl Wiz {
    /// State for `plan` with keys from `keys` (generated now when `Keys::Browser`).
    pub fn new(plan: Plan, keys: Keys, secrets: Secrets) -> Wiz {
        let untouched = RwSignal::new(untouched_of(&plan));
        let editor = RwSignal::new(Editor::new(plan));
        let raw = RwSignal::new(Raw::new());
        let secrets = RwSignal::new(secrets);
        let keys = RwSignal::new(keys);
        let step = RwSignal::new(Step::Sites);
        let checked = Memo::new(move |_| {
            let a = editor.with(|e| analyze(e.plan()));
            let mut findings = a.findings;
            untouched.with(|u| {
                findings.retain(|f| !UNTOUCHED.iter().any(|(p, code)| f.path == *p && f.code == *code && u.contains(p)))
            });
            raw.with(|r| findings.extend(r.iter().map(|(path, (_, why))| input_finding(path, why))));
            findings.extend(secrets.with(|s| secrets::check(&a.resolved, s)));
            crate::check::order_findings(&mut findings);
            Checked { findings, resolved: a.resolved }
        });
        let wiz = Wiz {
            editor,
            raw,
            secrets,
            keys,
            step,
            target: RwSignal::new(None),
            panel_open: RwSignal::new(false),
            keep_secrets: RwSignal::new(false),
            keys_exported: RwSignal::new(false),
            origin: RwSignal::new(None),
            address: RwSignal::new(None),
            notices: RwSignal::new(vec![]),
            untouched,
            checked,
            gens: super::generators::Gens::new(editor),
        };
        // A field is touched once it holds something; everything is, once the user leaves Sites.
        Effect::new(move |_| {
            let (named, sited) = editor.with(|e| (!e.plan().name.is_empty(), !e.plan().sites.is_empty()));
            let left = step.get() != Step::Sites;
            let filled = |p: &str| (p == "name" && named) || (p == "sites" && sited);
            let keep = |p: &&str| !(left || filled(p));
            if untouched.with_untracked(|u| !u.iter().all(keep)) {
                untouched.update(|u| u.retain(keep));
            }
        });
        // Keys for new tunnels, as they appear, unless the user has to choose first.
        Effect::new(move |_| {
            let pending = keys.with(|k| k.pending());
            checked.with(|c| {
                if pending {
                    return;
                }
                let missing = secrets.with_untracked(|s| {
                    c.resolved.links.iter().flat_map(|l| &l.tunnels).any(|t| s.psk(&t.psk_name).is_none())
                });
                if missing {
                    secrets.update(|s| s.fill_missing(&c.resolved, &mut super::browser::random));
                }
            });
        });
        wiz
    }

    /// Read the plan.
    pub fn plan<T>(&self, f: impl FnOnce(&Plan) -> T) -> T {
        self.editor.with(|e| f(e.plan()))
    }

    /// Change fields of the plan that are not site names or link ends.
    pub fn edit(&self, f: impl FnOnce(&mut Plan)) {
        self.editor.update(|e| e.edit(f));
    }

    /// Replace the plan (a preset, an import, a link); input kept as typed is dropped with it.
    /// The keys stay (by name) unless [`Wiz::fresh_keys`] is called too.
    pub fn load(&self, plan: Plan, keys: Keys) {
        self.untouched.set(untouched_of(&plan));
        self.editor.set(Editor::new(plan));
        self.raw.set(Raw::new());
        self.target.set(None);
        self.keys.set(keys);
    }

    /// Forget the keys: new ones are made in this browser for every tunnel.
    pub fn fresh_keys(&self) {
        self.secrets.set(Secrets::default());
        self.keys.set(Keys::Browser);
        self.keys_exported.set(false);
    }

    /// Store the text of a field the plan cannot hold, or clear it.
    pub fn set_raw(&self, path: &str, text: Option<(String, String)>) {
        let has = self.raw.with_untracked(|r| r.contains_key(path));
        match text {
            Some(t) => self.raw.update(|r| {
                r.insert(path.to_string(), t);
            }),
            None if has => self.raw.update(|r| {
                r.remove(path);
            }),
            None => {}
        }
    }

    /// Move kept-as-typed text under `list[..]` (`sites` or `links`) to its item's new index after
    /// a reorder or removal: `to(old)` is the new index, `None` when the item went away.
    pub fn remap_raw(&self, list: &str, to: impl Fn(usize) -> Option<usize>) {
        let prefix = format!("{list}[");
        if !self.raw.with_untracked(|r| r.keys().any(|k| k.starts_with(&prefix))) {
            return;
        }
        self.raw.update(|r| {
            let old = std::mem::take(r);
            for (k, v) in old {
                let moved = k.strip_prefix(&prefix).and_then(|rest| {
                    let (n, tail) = rest.split_once(']')?;
                    let n: usize = n.parse().ok()?;
                    Some(to(n).map(|m| format!("{prefix}{m}]{tail}")))
                });
                match moved {
                    Some(Some(nk)) => {
                        r.insert(nk, v);
                    }
                    Some(None) => {}
                    None => {
                        r.insert(k, v);
                    }
                }
            }
        });
    }

    /// A structural change (add, remove or move sites and links): kept-as-typed text follows
    /// its site or link to its new index, or goes away with it.
    pub fn restructure(&self, f: impl FnOnce(&mut Editor)) {
        let (sites, links) = self.editor.with_untracked(|e| (e.site_ids().to_vec(), e.link_ids().to_vec()));
        self.editor.update(f);
        let (sites2, links2) = self.editor.with_untracked(|e| (e.site_ids().to_vec(), e.link_ids().to_vec()));
        self.remap_raw("sites", |k| sites.get(k).and_then(|id| sites2.iter().position(|x| x == id)));
        self.remap_raw("links", |k| links.get(k).and_then(|id| links2.iter().position(|x| x == id)));
    }

    /// Show step `step` once what changed with it has been drawn (issue 18: the freeze).
    ///
    /// Every step after Sites, and the Sites step's cards, sit in a `<Suspense>` in the release
    /// build (`lazy::later`). When the step changes, the leaving step's reactive values are
    /// disposed at once, but the Suspense releases the views holding its render effects only
    /// in a later task. A signal set in the same event as the step (the jump's highlight, an
    /// imported plan) wakes those effects; they ran in between and read disposed values: a
    /// panic, and a dead page. So a step that changes together with other state changes one
    /// tick later, after the leaving step has followed the other changes while it was whole.
    /// (Unsplit builds, as in `cargo test`, have no Suspense there, which is why only the
    /// release bundle froze.)
    pub fn show_step(&self, step: Step) {
        if self.step.get_untracked() == step {
            return;
        }
        let s = self.step;
        leptos::task::spawn_local(async move {
            leptos::task::tick().await;
            s.try_set(step);
        });
    }

    /// Show the field at `path`: switch to its step, highlight it and move focus there.
    pub fn go_to(&self, path: &str) {
        self.target.set(Some(path.to_string()));
        if self.panel_open.get_untracked() {
            self.panel_open.set(false);
        }
        self.show_step(Step::of_path(path));
        let path = path.to_string();
        request_animation_frame(move || super::browser::focus_field(&path));
    }

    pub fn notify(&self, kind: Severity, title: impl Into<String>, lines: Vec<String>, action: Option<NoticeAction>) {
        let title = title.into();
        self.notices.update(|n| {
            let id = n.iter().map(|x| x.id + 1).max().unwrap_or(0);
            n.retain(|x| x.title != title);
            n.push(Notice { id, kind, title, lines, action });
        });
    }

    pub fn dismiss(&self, id: u32) {
        self.notices.update(|n| n.retain(|x| x.id != id));
    }
}

/// The wizard state from context.
pub fn wiz() -> Wiz {
    expect_context::<Wiz>()
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub use crate::plan::{code_of, parse_code};
