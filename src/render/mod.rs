//! `render`: `Resolved` (and, for the clouds, its `steps`) → artifacts: scripts, configs, runbook.
//!
//! Rendering decides nothing the checks did not: every value comes from `check::Resolved`.
//! No artifact ever contains a pre-shared key: scripts and install scripts read them from the
//! separate `secrets.env` by name (`PSK_<LINK>_T<n>`), so every artifact is safe to paste into a
//! ticket and to keep as a golden file.
#![deny(clippy::wildcard_enum_match_arm)]

pub mod appliance;
pub mod cloud;
pub mod diagram;
pub mod runbook;
pub mod teardown;
pub mod vars;

use crate::check::Resolved;
use serde::Serialize;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Relative path inside the bundle, `/`-separated, e.g. `aws/aws.sh`.
    pub path: String,
    /// e.g. `text/x-shellscript`, `text/plain`, `text/markdown`.
    pub media_type: &'static str,
    pub text: String,
    /// Whether the file is meant to be run (mode 0755 in bundles).
    pub executable: bool,
}

/// What rendering needs besides the resolved plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// The plan's share link ([`crate::share::link`]), stamped on every artifact. The web app
    /// passes the link its Share button makes; the CLI makes it with `tunnelsmith link`'s base.
    pub share_link: Option<String>,
    /// The user's monthly traffic for the runbook's cost estimate; `None`: an example volume
    /// ([`crate::cost::Traffic::EXAMPLE_GB`] each way on every link), said to be one.
    pub traffic: Option<crate::cost::Traffic>,
}

/// Every artifact for the plan, sorted by path. Deterministic: the same plan and options give
/// byte-identical output.
///
/// ```
/// use tunnelsmith::check::analyze;
/// use tunnelsmith::presets::PRESETS;
/// use tunnelsmith::render::{render, RenderOptions};
///
/// let r = analyze(&PRESETS[0].plan()).resolved;
/// let arts = render(&r, &RenderOptions::default());
/// let paths: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
/// assert!(paths.contains(&"RUNBOOK.md") && paths.contains(&"deploy.sh"), "{paths:?}");
/// // Scripts are executable; the runbook names the tool version; no pre-shared key anywhere.
/// let deploy = arts.iter().find(|a| a.path == "deploy.sh").unwrap();
/// assert!(deploy.executable && deploy.text.starts_with("#!"));
/// let runbook = arts.iter().find(|a| a.path == "RUNBOOK.md").unwrap();
/// assert!(runbook.text.contains(tunnelsmith::VERSION));
/// // Deterministic: the same plan gives the same bytes.
/// assert_eq!(arts, render(&r, &RenderOptions::default()));
/// ```
pub fn render(r: &Resolved, opts: &RenderOptions) -> Vec<Artifact> {
    render_of(r, opts, &crate::steps::ordered(r))
}

fn render_of(r: &Resolved, opts: &RenderOptions, o: &crate::steps::Ordered) -> Vec<Artifact> {
    let mut out = cloud::files(r, opts, o, |_| true);
    out.extend(appliance::artifacts(r, opts));
    out.push(topology(r, opts));
    out.extend(teardown::files(r, opts, o, |_| true));
    // The runbook names the other files, so it comes last.
    let runbook = runbook::artifacts_of(r, opts, &out, o);
    out.extend(runbook);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The one artifact at `path`, rendering only the generator that makes it (the runbook, which
/// names every other file, needs them all). What the web app re-renders on a keystroke: the file
/// on screen, not the whole bundle. Equal to the artifact of the same path in [`render`].
pub fn render_path(r: &Resolved, opts: &RenderOptions, path: &str) -> Option<Artifact> {
    let pick = |v: Vec<Artifact>| v.into_iter().find(|a| a.path == path);
    if path == "topology.svg" {
        return Some(topology(r, opts));
    }
    if let Some(a) = pick(appliance::artifacts(r, opts)) {
        return Some(a);
    }
    let o = crate::steps::ordered(r);
    let only = |p: &str| p == path;
    cloud::files(r, opts, &o, only)
        .pop()
        .or_else(|| teardown::files(r, opts, &o, only).pop())
        .or_else(|| pick(render_of(r, opts, &o)))
}

/// The diagram as a file: the stamp in a `<metadata>` element first inside `<svg>` (an XML
/// comment may not hold `--`, which a share link can). The runbook's HTML inlines this file, so
/// its copy of the diagram carries the stamp too.
fn topology(r: &Resolved, opts: &RenderOptions) -> Artifact {
    let svg = diagram::svg(r);
    let at = svg.find('>').map_or(0, |i| i + 1);
    let mut text = String::with_capacity(svg.len() + 400);
    text.push_str(&svg[..at]);
    text.push_str("\n  <metadata id=\"tunnelsmith-stamp\">\n");
    for line in stamp("", "topology.svg", r, opts).lines() {
        text.push_str("   ");
        diagram::xml_escape_into(&mut text, line);
        text.push('\n');
    }
    text.push_str("  </metadata>");
    text.push_str(&svg[at..]);
    Artifact { path: "topology.svg".into(), media_type: "image/svg+xml", text, executable: false }
}

/// `stamp` lines as HTML (and Markdown) comments, one `<!-- … -->` a line. HTML's comments may
/// hold `--` (a share link can), not `-->` or `--!>`: those lose a dash.
pub(crate) fn html_comments(stamp: &str) -> String {
    stamp.lines().map(|line| format!("<!--{} -->\n", line.replace("-->", "->").replace("--!>", "-!>"))).collect()
}

/// The stamp every artifact starts with, as comment lines with `prefix` (`#`, `//`, `!`):
/// tool version, knowledge-base date, plan name, and the share link when there is one.
pub fn stamp(prefix: &str, what: &str, r: &Resolved, opts: &RenderOptions) -> String {
    let mut s = format!(
        "{prefix} {what}\n{prefix} Generated by Tunnelsmith {} (knowledge base {}) for plan '{}'.\n",
        crate::VERSION,
        r.kb_date,
        r.plan_name
    );
    if let Some(link) = &opts.share_link {
        s.push_str(&format!("{prefix} Plan: {link}\n"));
    }
    s.push_str(&format!("{prefix} Do not edit by hand: change the plan and generate again.\n"));
    s
}
