//! `plan` as a diff: the state (what apply ran and created, with the inputs each step ran with)
//! against the plan as it is now, per resource, in Terraform's words: `+` create, `~` update in
//! place (each attribute old → new), `-/+` replace (and why it cannot be updated), `-` destroy
//! (in the state, no longer in the plan). For each tunnel that will drop: whether a redundant
//! sibling keeps traffic flowing.
//!
//! Pure: it reads the session (plan, steps) and the state; the executor carries it out
//! (`converge`) and `plan` prints it.

use super::commands::Session;
use super::state::{State, Status};
use crate::check::RTunnel;
use crate::steps::update::{self, Change, How};
use crate::steps::Step;
use std::collections::{BTreeMap, BTreeSet};

/// What happens to one resource or step.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Not run yet (or not done): the step runs; `creates` when it makes a resource.
    Create { creates: bool },
    /// Ran with other inputs: updated in place, run again, or replaced.
    Change(Change),
    /// In the state, no longer in the plan: deleted with this command (program first).
    Destroy { delete: Vec<String> },
    /// In the state, no longer in the plan, and it goes with a resource that is destroyed (an
    /// IPsec policy, a `--set`, a read): only forgotten.
    Forget,
}

/// One line of the diff.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The step id.
    pub id: String,
    /// Index in the session's steps, for steps still in the plan.
    pub step: Option<usize>,
    pub title: String,
    /// `VPN tunnel multicloud-aws-gcp-t1`, when the step makes a resource.
    pub resource: Option<String>,
    pub action: Action,
}

impl Item {
    /// `+`, `~`, `-/+`, `-`, or `·` for a step that is not a resource and only runs.
    pub fn mark(&self) -> &'static str {
        match &self.action {
            Action::Create { .. } => "+",
            Action::Change(c) => match c.how {
                How::Replace { .. } => "-/+",
                How::Rerun { .. } | How::Update { .. } => "~",
            },
            Action::Destroy { .. } => "-",
            Action::Forget => "·",
        }
    }

    pub fn is_replace(&self) -> bool {
        matches!(&self.action, Action::Change(Change { how: How::Replace { .. }, .. }))
    }
}

/// A tunnel that drops during the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Drop {
    pub tunnel: String,
    pub link: String,
    /// What takes it down.
    pub because: String,
    /// Tunnels of the same link that stay up meanwhile (empty: traffic stops).
    pub siblings: Vec<String>,
    /// The tunnel leaves the plan (its link or site is removed): no sibling is expected.
    pub removed: bool,
}

/// The whole diff.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    pub items: Vec<Item>,
    pub drops: Vec<Drop>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    /// Steps that are not resources (reads, waits, settings) and run or run again.
    pub steps: usize,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for i in &self.items {
            let resource = i.resource.is_some();
            match &i.action {
                Action::Create { creates: true } => c.add += 1,
                Action::Change(ch) if matches!(ch.how, How::Replace { .. }) && resource => c.replace += 1,
                Action::Change(_) if resource => c.change += 1,
                Action::Destroy { .. } => c.destroy += 1,
                Action::Forget => {}
                Action::Create { .. } | Action::Change(_) => c.steps += 1,
            }
        }
        c
    }

    /// `Plan: 1 to add, 2 to change, 0 to replace, 0 to destroy (and 3 other steps to run).`
    pub fn summary(&self) -> String {
        let c = self.counts();
        let mut s = format!(
            "Plan: {} to add, {} to change, {} to replace, {} to destroy",
            c.add, c.change, c.replace, c.destroy
        );
        if c.steps > 0 {
            s.push_str(&format!(" (and {} other step{} to run)", c.steps, if c.steps == 1 { "" } else { "s" }));
        }
        s.push('.');
        s
    }

    /// Whether anything destroys or replaces (apply asks first).
    pub fn destructive(&self) -> bool {
        self.items.iter().any(|i| i.is_replace() || matches!(i.action, Action::Destroy { .. }))
    }
}

/// Why a resource is replaced when it did not change itself.
pub const BUILT_ON: &str = "it is built on a resource that is replaced, and goes and comes back with it";

/// The inputs the state recorded for a step that is done.
fn recorded<'a>(state: &'a State, id: &str) -> Option<&'a Vec<String>> {
    state.steps.get(id).filter(|s| s.status == Status::Done).and_then(|s| s.inputs.as_ref())
}

/// Compare the plan with the state. `done` is the session's view of which tasks are done.
pub(crate) fn diff(s: &Session, state: &State, done: &[bool]) -> Diff {
    let steps = &s.steps;
    // Outputs that will change: captured by steps not done yet, or by steps to be replaced.
    let mut stale: BTreeSet<String> = (0..steps.len())
        .filter(|&i| !done[i])
        .filter_map(|i| steps[i].capture.as_ref().map(|c| c.name.clone()))
        .collect();
    let mut changes: BTreeMap<usize, Change> = BTreeMap::new();
    loop {
        let known: BTreeMap<String, String> =
            state.outputs.iter().filter(|(k, _)| !stale.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        changes.clear();
        for (i, st) in steps.iter().enumerate() {
            if !done[i] {
                continue;
            }
            let Some(old) = recorded(state, &st.id) else { continue };
            let new = update::inputs(st, &known);
            if let Some(c) = update::change(st, old, &new, steps) {
                changes.insert(i, c);
            }
        }
        // What is built on a replaced resource (a tunnel on its external gateway, a router
        // interface on its tunnel, a BGP peer on its interface) goes and comes back with it.
        loop {
            let replaced: BTreeSet<&str> = changes
                .iter()
                .filter(|(_, c)| matches!(c.how, How::Replace { .. }))
                .map(|(&i, _)| steps[i].id.as_str())
                .collect();
            let built_on: Vec<usize> = (0..steps.len())
                .filter(|&i| done[i] && !replaced.contains(steps[i].id.as_str()))
                .filter(|&i| steps[i].creates.is_some() || update::undo(&steps[i]).is_some())
                .filter(|&i| steps[i].after.iter().any(|a| replaced.contains(a.as_str())))
                .collect();
            if built_on.is_empty() {
                break;
            }
            for i in built_on {
                let attrs = changes.get(&i).map(|c| c.attrs.clone()).unwrap_or_default();
                changes.insert(i, Change { attrs, how: How::Replace { why: BUILT_ON, source: "" } });
            }
        }
        let more: Vec<String> = changes
            .iter()
            .filter(|(_, c)| matches!(c.how, How::Replace { .. }))
            .filter_map(|(&i, _)| steps[i].capture.as_ref().map(|c| c.name.clone()))
            .filter(|n| !stale.contains(n))
            .collect();
        if more.is_empty() {
            break;
        }
        stale.extend(more);
    }
    let mut items = Vec::new();
    for (i, st) in steps.iter().enumerate() {
        let resource = st.creates.as_ref().map(|c| {
            let name = state.outputs.get(&c.name).cloned().unwrap_or_else(|| c.name.clone());
            format!("{} {name}", c.kind)
        });
        let action = if !done[i] {
            Action::Create { creates: st.creates.is_some() }
        } else if let Some(c) = changes.remove(&i) {
            Action::Change(c)
        } else {
            continue;
        };
        items.push(Item { id: st.id.clone(), step: Some(i), title: st.title.clone(), resource, action });
    }
    // What the state holds that the plan no longer has.
    let in_plan: BTreeSet<&str> = s.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut gone: Vec<Item> = Vec::new();
    for (_, c) in state.live().filter(|(_, c)| !in_plan.contains(c.step.as_str())) {
        gone.push(Item {
            id: c.step.clone(),
            step: None,
            title: format!("Delete {} {}", c.kind, c.name),
            resource: Some(format!("{} {}", c.kind, c.name)),
            action: Action::Destroy { delete: c.delete.clone() },
        });
    }
    for (id, st) in state.steps.iter().filter(|(id, _)| !in_plan.contains(id.as_str())) {
        if gone.iter().any(|g| &g.id == id) || state.created.iter().any(|c| &c.step == id) {
            continue;
        }
        // Done, or being destroyed when a run stopped: take it back (again; gone counts as done).
        let action = match &st.undo {
            Some(u) if matches!(st.status, Status::Done | Status::Unknown) => Action::Destroy { delete: u.clone() },
            _ => Action::Forget,
        };
        let title = match &action {
            Action::Destroy { delete } => {
                format!("Take back: {}", delete.iter().take(4).cloned().collect::<Vec<_>>().join(" "))
            }
            Action::Create { .. } | Action::Change(_) | Action::Forget => {
                "Forget it (it goes with what it was set on)".to_string()
            }
        };
        gone.push(Item { id: id.clone(), step: None, title, resource: None, action });
    }
    items.extend(gone);
    let drops = drops(s, &items);
    Diff { items, drops }
}

/// The tunnels of the plan a step acts on (by its id: per-tunnel steps end in the tunnel id;
/// AWS connections and customer gateways carry the link and connection number).
fn tunnels_of<'a>(s: &'a Session, id: &str) -> Vec<(&'a RTunnel, &'a str)> {
    let Some((site_name, what)) = id.split_once('/') else { return Vec::new() };
    let what = what.split('#').next().unwrap_or(what);
    let site = s.r.sites.iter().position(|x| x.name == site_name);
    let mut out = Vec::new();
    for l in &s.r.links {
        for t in &l.tunnels {
            let tail = what.strip_suffix(t.id.as_str()).is_some_and(|h| h.ends_with('-'));
            let conn = site.is_some_and(|si| {
                (l.a == si || l.b == si) && {
                    let e = if l.a == si { 0 } else { 1 };
                    let n = t.ends[e].connection + 1;
                    let peer = &s.r.sites[l.site(1 - e)].name;
                    what == format!("vpn-{}-{n}", l.id) || what == format!("cgw-{peer}-{n}")
                }
            });
            if tail || conn {
                out.push((t, l.id.as_str()));
            }
        }
    }
    out
}

fn drops(s: &Session, items: &[Item]) -> Vec<Drop> {
    let mut out: Vec<Drop> = Vec::new();
    for it in items {
        let because = match &it.action {
            Action::Change(Change { how: How::Replace { .. }, .. }) => {
                format!("{} is replaced", it.resource.clone().unwrap_or_else(|| it.id.clone()))
            }
            Action::Change(Change { how: How::Update { steps, .. }, .. })
                if steps
                    .iter()
                    .any(|x| x.args.iter().any(|a| a.displays("modify-vpn-tunnel-options") || a.displays("clear"))) =>
            {
                format!("{} is updated (the tunnel restarts)", it.resource.clone().unwrap_or_else(|| it.id.clone()))
            }
            Action::Destroy { .. } if it.step.is_none() => {
                // Gone from the plan: name the tunnel from the step id when it carries one.
                let what = it.id.split_once('/').map(|x| x.1).unwrap_or("");
                if let Some(pos) = what
                    .rfind("-t")
                    .filter(|&p| what[p + 2..].chars().all(|c| c.is_ascii_digit()) && p + 2 < what.len())
                {
                    let start = what[..pos].find('-').map(|x| x + 1).unwrap_or(0);
                    let tunnel = what[start..].to_string();
                    let link = what[start..pos].to_string();
                    if !out.iter().any(|d| d.tunnel == tunnel) {
                        out.push(Drop {
                            tunnel,
                            link,
                            because: "it is removed from the plan".into(),
                            siblings: Vec::new(),
                            removed: true,
                        });
                    }
                }
                continue;
            }
            Action::Create { .. } | Action::Change(_) | Action::Destroy { .. } | Action::Forget => continue,
        };
        let tunnels = tunnels_of(s, &it.id);
        // A replaced resource takes all its tunnels down at once; an update goes one tunnel at
        // a time (AWS modifies one tunnel at a time and apply waits for it to come back).
        let at_once = it.is_replace();
        for (t, link) in &tunnels {
            if out.iter().any(|d| d.tunnel == t.id) {
                continue;
            }
            let dropping: BTreeSet<&str> = if at_once {
                tunnels.iter().map(|(x, _)| x.id.as_str()).collect()
            } else {
                [t.id.as_str()].into_iter().collect()
            };
            let l = s.r.links.iter().find(|l| l.id == *link);
            let siblings = l
                .map(|l| l.tunnels.iter().map(|x| x.id.clone()).filter(|x| !dropping.contains(x.as_str())).collect())
                .unwrap_or_default();
            out.push(Drop {
                tunnel: t.id.clone(),
                link: link.to_string(),
                because: because.clone(),
                siblings,
                removed: false,
            });
        }
    }
    out
}

/// The diff as JSON for `plan --json`: items with their mark and attributes, the tunnels that
/// drop, and the counts.
pub fn json(d: &Diff) -> serde_json::Value {
    let items: Vec<serde_json::Value> = d
        .items
        .iter()
        .map(|it| {
            let (attrs, how) = match &it.action {
                Action::Change(c) => (
                    c.attrs.iter().map(|a| serde_json::json!({"name": a.name, "old": a.old, "new": a.new})).collect(),
                    match &c.how {
                        How::Update { source, .. } => format!("update in place {source}"),
                        How::Rerun { why } => format!("run again: {why}"),
                        How::Replace { why, source } => format!("replace: {why} {source}"),
                    },
                ),
                Action::Create { .. } => (Vec::new(), "create".to_string()),
                Action::Destroy { .. } => (Vec::new(), "destroy".to_string()),
                Action::Forget => (Vec::new(), "forget".to_string()),
            };
            serde_json::json!({"id": it.id, "mark": it.mark(), "resource": it.resource, "how": how, "attributes": attrs})
        })
        .collect();
    let c = d.counts();
    serde_json::json!({
        "items": items,
        "drops": d.drops.iter().map(|x| serde_json::json!({"tunnel": x.tunnel, "link": x.link, "because": x.because, "siblings": x.siblings, "removed": x.removed})).collect::<Vec<_>>(),
        "add": c.add, "change": c.change, "replace": c.replace, "destroy": c.destroy, "steps": c.steps,
        "summary": d.summary(),
    })
}

/// The diff as text for `plan` (and `apply` before it asks).
pub fn render(d: &Diff, paint: &dyn Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    let forgotten = d.items.iter().filter(|it| it.action == Action::Forget).count();
    for it in d.items.iter().filter(|it| it.action != Action::Forget) {
        let (code, what) = match &it.action {
            Action::Create { .. } => ("32", "create".to_string()),
            Action::Change(c) => match &c.how {
                How::Update { source, .. } => ("33", format!("update in place {source}")),
                How::Rerun { why } => ("33", format!("run again: {why}")),
                How::Replace { why, source } => ("31", format!("replace: {why} {source}")),
            },
            Action::Destroy { .. } => ("31", "destroy: no longer in the plan".to_string()),
            Action::Forget => ("2", "forget: it goes with what it was set on".to_string()),
        };
        let head = it.resource.clone().unwrap_or_else(|| it.title.clone());
        out.push_str(&format!(
            "  {} {:<36} {head}  {}\n",
            paint(&format!("{:>3}", it.mark()), code),
            it.id,
            paint(&format!("({what})"), "2")
        ));
        if let Action::Change(c) = &it.action {
            for a in c.attrs.iter().take(12) {
                out.push_str(&format!("        {}: {} → {}\n", a.name, a.old, a.new));
            }
            if c.attrs.len() > 12 {
                out.push_str(&format!("        … and {} more\n", c.attrs.len() - 12));
            }
            if let How::Update { steps, .. } = &c.how {
                for st in steps {
                    out.push_str(&paint(&format!("        by: {}\n", first_words(st)), "2"));
                }
            }
        }
    }
    if forgotten > 0 {
        out.push_str(&paint(
            &format!(
                "        and {forgotten} recorded settings and reads that go with what is destroyed are forgotten\n"
            ),
            "2",
        ));
    }
    if !d.drops.is_empty() {
        out.push_str("\nTunnels that drop during this change:\n");
        for dr in &d.drops {
            let after = if dr.removed {
                format!("{} (link {}): {}.", dr.tunnel, dr.link, dr.because)
            } else if dr.siblings.is_empty() {
                format!(
                    "{} (link {}): down while {}; no other tunnel of the link carries traffic meanwhile.",
                    dr.tunnel, dr.link, dr.because
                )
            } else {
                format!(
                    "{} (link {}): down while {}; {} carr{} traffic meanwhile (one tunnel at a time).",
                    dr.tunnel,
                    dr.link,
                    dr.because,
                    dr.siblings.join(", "),
                    if dr.siblings.len() == 1 { "ies" } else { "y" }
                )
            };
            out.push_str(&format!("  {after}\n"));
        }
    }
    out
}

/// A command line shortened to its command words (no values: a key could be among them).
fn first_words(st: &Step) -> String {
    let words: Vec<String> = std::iter::once(st.program.command().to_string())
        .chain(st.args.iter().map_while(|a| {
            let d = a.display();
            (!d.starts_with("--")).then_some(d)
        }))
        .collect();
    let mut s = words.join(" ");
    if st.wait.is_some() {
        s.push_str(&format!(" (wait for {})", st.wait.as_ref().map(|w| w.until.as_str()).unwrap_or("")));
    }
    s
}
