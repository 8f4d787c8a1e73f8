//! The runbook: the whole procedure for this plan, in Markdown (`RUNBOOK.md`) and as a standalone
//! printable HTML page (`runbook.html`) with the same content.
//!
//! Sections: overview (what will exist, the topology diagram, tunnels, crypto), before you start
//! (CLIs, logins, permissions, quotas), the deploy phases in cross-cloud run order (what each
//! script creates, how long it takes, what must be true before the next one, the values that
//! cross clouds), the appliance hosts, verification with the exact commands and what "up" looks
//! like, troubleshooting written for this plan, the cost estimate, teardown, and the files.
//!
//! Everything comes from `Resolved`, the steps and the other artifacts; the runbook names only
//! commands the scripts run, read-only status commands of the tools the plan uses, and files the
//! bundle holds (`tests/runbook.rs` checks all three).

mod closing;
mod doc;
mod overview;
mod phases;
mod verify;

use super::appliance::Host;
use super::cloud::sh_quote_into;
use super::{stamp, Artifact, RenderOptions};
use crate::check::Resolved;
use crate::steps::{self, Arg, Ordered, Part, Program, ResourceKind, Script, Step};
use doc::Doc;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The runbook's paths at the top of the bundle (the bundle lists files named `runbook*` first).
pub const MARKDOWN: &str = "RUNBOOK.md";
pub const HTML: &str = "runbook.html";

/// Stands for the list of EC2 actions until the whole runbook exists ([`fill_aws_actions`]).
pub(crate) const AWS_ACTIONS: &str = "\u{1}aws-actions\u{1}";

/// What every section reads.
pub(crate) struct Ctx<'a> {
    pub r: &'a Resolved,
    pub opts: &'a RenderOptions,
    pub steps: &'a [Step],
    pub scripts: &'a [Script],
    /// Script path by index in `scripts`.
    pub paths: Vec<String>,
    /// Which script captures each value.
    pub producer: BTreeMap<&'a str, usize>,
    /// Every other artifact of the plan.
    pub files: &'a [Artifact],
    pub hosts: Vec<Host<'a>>,
}

impl<'a> Ctx<'a> {
    fn new(r: &'a Resolved, opts: &'a RenderOptions, files: &'a [Artifact], o: &'a Ordered) -> Ctx<'a> {
        let (steps, scripts) = (&o.steps[..], &o.scripts[..]);
        let paths: Vec<String> = scripts.iter().map(|s| super::cloud::script_path(r, s)).collect();
        let mut producer = BTreeMap::new();
        for (k, sc) in scripts.iter().enumerate() {
            for &i in &sc.steps {
                if let Some(c) = &steps[i].capture {
                    producer.insert(c.name.as_str(), k);
                }
            }
        }
        let hosts = (0..r.sites.len()).filter_map(|i| Host::new(r, i)).collect();
        Ctx { r, opts, steps, scripts, paths, producer, files, hosts }
    }

    /// `**name** (Platform, region)`.
    pub fn site(&self, i: usize) -> String {
        let s = &self.r.sites[i];
        let region = if s.region.is_empty() { String::new() } else { format!(", {}", doc::plain(&s.region)) };
        format!("**{}** ({}{region})", doc::plain(&s.name), s.platform.label())
    }

    /// `phase 2 (`aws/aws.sh`)`.
    pub fn phase(&self, k: usize) -> Phase<'_> {
        Phase { k, path: &self.paths[k] }
    }

    /// The steps of site `i`, in run order.
    pub fn site_steps(&self, i: usize) -> impl Iterator<Item = &Step> {
        self.scripts.iter().filter(move |s| s.site == i).flat_map(|s| s.steps.iter().map(|&k| &self.steps[k]))
    }

    /// The value of plan parameter `<SITE>_<suffix>` as the site's scripts use it.
    pub fn param(&self, i: usize, suffix: &str) -> Option<String> {
        let name = format!("{}_{suffix}", steps::var(&self.r.sites[i].name));
        self.site_steps(i).flat_map(|s| s.params()).find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    /// The resources site `i`'s scripts create, as (kind, name) in creation order.
    pub fn created(&self, i: usize) -> Vec<(ResourceKind, &str)> {
        self.site_steps(i).filter_map(|s| s.creates.as_ref().map(|c| (c.kind, c.name.as_str()))).collect()
    }

    /// Whether any step of the plan runs `program`.
    pub fn uses(&self, program: Program) -> bool {
        self.steps.iter().any(|s| s.program == program)
    }

    /// The appliance host of site `i`, if it is one.
    pub fn host(&self, i: usize) -> Option<&Host<'a>> {
        self.hosts.iter().find(|h| std::ptr::eq(h.site, &self.r.sites[i]))
    }

    /// The artifact at `path`.
    pub fn file(&self, path: &str) -> Option<&Artifact> {
        self.files.iter().find(|a| a.path == path)
    }
}

/// A phase for people, [`Ctx::phase`].
pub(crate) struct Phase<'a> {
    k: usize,
    path: &'a str,
}

impl std::fmt::Display for Phase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "phase {} (`{}`)", self.k + 1, self.path)
    }
}

/// `1 link`, `3 links`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A literal argument.
pub(crate) fn lit(s: impl Into<std::borrow::Cow<'static, str>>) -> Arg {
    Arg::text(s)
}

/// A value recorded in `outputs.env`.
pub(crate) fn id(name: &str) -> Arg {
    Arg::one(Part::Output(name.to_string()))
}

/// A command as a person types it: plan values written out and quoted for bash, recorded values
/// as `"${NAME}"` (after `source outputs.env`), long lines broken before an option.
pub(crate) fn shell(program: Program, args: &[Arg]) -> String {
    let mut line = Typed::new(program);
    for a in args {
        let mut text = String::new();
        for p in &a.0 {
            match p {
                Part::Text(t) => text.push_str(t),
                Part::Param { value, .. } => text.push_str(value),
                Part::Output(n) | Part::Secret(n) => {
                    if !text.is_empty() {
                        sh_quote_into(&mut line.word, &text);
                        text.clear();
                    }
                    let _ = write!(line.word, "\"${{{n}}}\"");
                }
                Part::FileOf(_) => {}
            }
        }
        if !text.is_empty() || line.word.is_empty() {
            sh_quote_into(&mut line.word, &text);
        }
        line.end_word();
    }
    line.text
}

/// [`shell`] of plain words (each quoted for bash as it needs).
pub(crate) fn shell_words(program: Program, words: &[&str]) -> String {
    let mut line = Typed::new(program);
    for w in words {
        sh_quote_into(&mut line.word, w);
        line.end_word();
    }
    line.text
}

/// A command line of [`shell`], word by word.
struct Typed {
    text: String,
    /// Where the current line of `text` starts.
    start: usize,
    /// The word being made.
    word: String,
}

impl Typed {
    fn new(program: Program) -> Typed {
        let mut text = String::with_capacity(128);
        text.push_str(program.command());
        Typed { text, start: 0, word: String::new() }
    }

    /// Add the word made: on a line of its own (indented) when it is an option that would make
    /// the line longer than 90 characters.
    fn end_word(&mut self) {
        let line = self.text.len() - self.start;
        if line > 0 && self.word.starts_with("--") && line + self.word.len() > 90 {
            self.text.push_str(" \\\n");
            self.start = self.text.len();
            self.text.push_str("  ");
        } else if line > 0 {
            self.text.push(' ');
        }
        self.text.push_str(&self.word);
        self.word.clear();
    }
}

/// A step's own command as a person types it (steps that read a key are never shown).
pub(crate) fn step_shell(s: &Step) -> Option<String> {
    if s.secrets().next().is_some() {
        return None;
    }
    Some(shell(s.program, &s.args))
}

/// `RUNBOOK.md` and `runbook.html` for the plan; `files` are the other artifacts.
pub fn artifacts(r: &Resolved, opts: &RenderOptions, files: &[Artifact]) -> Vec<Artifact> {
    artifacts_of(r, opts, files, &steps::ordered(r))
}

/// [`artifacts`] from steps already ordered.
pub fn artifacts_of(r: &Resolved, opts: &RenderOptions, files: &[Artifact], o: &Ordered) -> Vec<Artifact> {
    let c = Ctx::new(r, opts, files, o);
    let mut d = Doc { title: format!("Runbook for plan {}", doc::plain(&r.plan_name)), blocks: Vec::new() };
    overview::overview(&c, &mut d);
    overview::before(&c, &mut d);
    phases::deploy(&c, &mut d);
    phases::appliances(&c, &mut d);
    verify::verify(&c, &mut d);
    verify::troubleshooting(&c, &mut d);
    closing::cost(&c, &mut d);
    closing::teardown(&c, &mut d);
    closing::files(&c, &mut d);
    closing::changes(&c, &mut d);
    fill_aws_actions(&mut d, files);
    let (markdown, html) = doc::render(&d, &stamp("", MARKDOWN, r, opts), &stamp("", HTML, r, opts));
    vec![
        Artifact { path: MARKDOWN.into(), media_type: "text/markdown", text: markdown, executable: false },
        Artifact { path: HTML.into(), media_type: "text/html", text: html, executable: false },
    ]
}

/// `describe-vpn-connections` → `DescribeVpnConnections`.
fn action(subcommand: &str) -> String {
    subcommand
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Replace [`AWS_ACTIONS`] with every EC2 action that the files and the runbook's own commands call
/// (`aws ec2 <subcommand>`, as every AWS command here is written).
fn fill_aws_actions(d: &mut Doc, files: &[Artifact]) {
    let codes = d.blocks.iter().filter_map(|b| if let doc::Block::Code(c) = b { Some(c.as_str()) } else { None });
    let mut subs: BTreeSet<&str> = BTreeSet::new();
    // `contains` first: it is much faster than `match_indices` over the many files without one.
    for t in files.iter().map(|a| a.text.as_str()).chain(codes).filter(|t| t.contains("aws ec2 ")) {
        for (i, _) in t.match_indices("aws ec2 ") {
            let rest = &t[i + 8..];
            let sub = &rest[..rest.find(|c: char| !(c.is_ascii_lowercase() || c == '-')).unwrap_or(rest.len())];
            if !sub.is_empty() {
                subs.insert(sub);
            }
        }
    }
    let mut actions: Vec<String> = subs.iter().map(|sub| format!("ec2:{}", action(sub))).collect();
    actions.sort();
    actions.dedup();
    // In the inline markup: the names as code.
    let mut list = format!(
        "these {} EC2 actions, which are all that the scripts, the teardown and the checks here call: ",
        actions.len()
    );
    for (k, a) in actions.iter().enumerate() {
        if k > 0 {
            list.push_str(", ");
        }
        let _ = write!(list, "`{a}`");
    }
    for b in &mut d.blocks {
        let doc::Block::List(items) = b else { continue };
        for item in items {
            if let doc::Rich::Markup(t) = item {
                if t.contains(AWS_ACTIONS) {
                    *t = t.replacen(AWS_ACTIONS, &list, 1).into();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_quote_plan_text_and_name_recorded_values() {
        let args = [lit("ec2"), lit("describe-vpn-connections"), lit("--vpn-connection-ids"), id("AWS_VPN_X_1")];
        assert_eq!(
            shell(Program::Aws, &args),
            "aws ec2 describe-vpn-connections --vpn-connection-ids \"${AWS_VPN_X_1}\""
        );
        let hostile = [
            lit("--name"),
            lit("a'b; rm -rf /"),
            Arg::from(vec![Part::Text("Values=".into()), Part::Output("V".into())]),
        ];
        assert_eq!(shell(Program::Az, &hostile), "az --name 'a'\\''b; rm -rf /' Values=\"${V}\"");
    }
}
