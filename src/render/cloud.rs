//! Bash scripts for AWS, Azure and Google Cloud, rendered from [`crate::steps`].
//!
//! One script per cloud site and part (`aws/aws.sh`, `azure/azure.1.sh`, `azure/azure.2.sh`),
//! in the run order of [`crate::steps::order`], plus `run-order.md` and `deploy.sh` (all of them,
//! in order). Every script starts with `set -euo pipefail`, names the plan values it uses at the
//! top, lists what it reads and writes, prints each step as it runs, appends what it captures to
//! `outputs.env` (which later scripts, on any cloud, read), and stops naming the script to run
//! first when a value it needs is missing. Pre-shared keys come only from `secrets.env`.
//!
//! Quoting: every piece of text reaches bash through [`sh_quote`] (single quotes) and every
//! value through `"${NAME}"`; comments go through [`comment`], which keeps text on `#` lines.

use super::{stamp, Artifact, RenderOptions};
use crate::check::Resolved;
use crate::plan::Platform;
use crate::steps::{self, Arg, Ordered, Part, Program, Script, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The cloud scripts of the plan, `run-order.md` and `deploy.sh`; nothing when no site is on a
/// cloud.
pub fn artifacts(r: &Resolved, opts: &RenderOptions) -> Vec<Artifact> {
    files(r, opts, &steps::ordered(r), |_| true)
}

/// The files of [`artifacts`] whose path is `want`ed, from steps already ordered; only those are
/// rendered (the web preview asks for one on a keystroke).
pub fn files(r: &Resolved, opts: &RenderOptions, o: &Ordered, want: impl Fn(&str) -> bool) -> Vec<Artifact> {
    let (steps, scripts) = (&o.steps, &o.scripts);
    if steps.is_empty() {
        return Vec::new();
    }
    let paths: Vec<String> = scripts.iter().map(|s| script_path(r, s)).collect();
    // Which script produces each output.
    let mut producer: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, sc) in scripts.iter().enumerate() {
        for &i in &sc.steps {
            if let Some(c) = &steps[i].capture {
                producer.insert(c.name.as_str(), paths[k].as_str());
            }
        }
    }
    let mut out: Vec<Artifact> = scripts
        .iter()
        .zip(&paths)
        .enumerate()
        .filter(|(_, (_, path))| want(path))
        .map(|(k, (sc, path))| Artifact {
            path: path.clone(),
            media_type: "text/x-shellscript",
            text: script(r, opts, steps, sc, path, paths.get(k + 1).map(String::as_str), &producer),
            executable: true,
        })
        .collect();
    if want("run-order.md") {
        out.push(Artifact {
            path: "run-order.md".into(),
            media_type: "text/markdown",
            text: run_order(r, opts, steps, scripts, &paths, &producer),
            executable: false,
        });
    }
    if want("deploy.sh") {
        out.push(Artifact {
            path: "deploy.sh".into(),
            media_type: "text/x-shellscript",
            text: deploy(r, opts, &paths),
            executable: true,
        });
    }
    out
}

/// Where a script goes: `<platform>/<site>.sh`, or `<site>.<part>.sh` when the site has several
/// parts (a dot never occurs in a site name, so paths cannot collide).
pub fn script_path(r: &Resolved, s: &Script) -> String {
    let site = &r.sites[s.site];
    let dir = match site.platform {
        Platform::Aws => "aws",
        Platform::Azure => "azure",
        Platform::Gcp => "gcp",
        Platform::Onprem => "onprem",
    };
    if s.parts > 1 {
        format!("{dir}/{}.{}.sh", site.name, s.part)
    } else {
        format!("{dir}/{}.sh", site.name)
    }
}

/// Quote `s` as one bash word: bare when it holds only characters bash never interprets,
/// otherwise in single quotes (a quote inside becomes `'\''`). Newlines, `$()`, backticks and
/// semicolons all stay literal.
pub fn sh_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    sh_quote_into(&mut out, s);
    out
}

/// [`sh_quote`], appended to `out`.
pub fn sh_quote_into(out: &mut String, s: &str) {
    let _ = quote_to(out, s);
}

/// [`sh_quote`] for `write!`, without a string of its own.
pub(crate) struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        quote_to(f, self.0)
    }
}

fn quote_to(out: &mut impl Write, s: &str) -> std::fmt::Result {
    let safe = |c: u8| {
        c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/' | b':' | b',' | b'@' | b'%' | b'+' | b'=')
    };
    if !s.is_empty() && s.bytes().all(safe) && !s.starts_with('=') {
        out.write_str(s)
    } else {
        single_quoted(out, s)
    }
}

/// `'s'`, a quote inside written `'\''`.
fn single_quoted(out: &mut impl Write, s: &str) -> std::fmt::Result {
    out.write_char('\'')?;
    for (k, piece) in s.split('\'').enumerate() {
        if k > 0 {
            out.write_str("'\\''")?;
        }
        out.write_str(piece)?;
    }
    out.write_char('\'')
}

/// `text` as bash comment lines: every line starts with `# `, control characters become spaces,
/// so no user text can end a comment and start a command.
pub fn comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    comment_into(&mut out, text);
    out
}

/// [`comment`], appended to `out`.
pub fn comment_into(out: &mut String, text: &str) {
    for line in text.split(['\n', '\u{2028}', '\u{2029}']) {
        out.push_str("# ");
        let mut start = 0;
        for (i, c) in line.char_indices() {
            if c.is_control() {
                out.push_str(&line[start..i]);
                out.push(' ');
                start = i + c.len_utf8();
            }
        }
        out.push_str(&line[start..]);
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
}

/// One argument as a bash word, appended to `out`: text single-quoted, values as `"${NAME}"`.
/// An argument that goes as a file ([`Part::FileOf`]) becomes `"SCHEME$(secret_file VALUE)"`:
/// the value is written by the shell's own `printf` (a builtin: no process holds it in its
/// arguments) into a private file, and the CLI gets the file's path.
pub(crate) fn word_into(out: &mut String, a: &Arg) {
    if let Some(scheme) = a.file_scheme() {
        out.push('"');
        out.push_str(scheme);
        out.push_str("$(secret_file ");
        word_into(out, &Arg(a.value_parts().iter().cloned().collect()));
        out.push_str(")\"");
        return;
    }
    if let [Part::Text(t)] = a.0.as_slice() {
        return sh_quote_into(out, t);
    }
    let start = out.len();
    let mut text = String::new();
    // A value: the text before it quoted, then the value by name.
    let value = |out: &mut String, text: &mut String, name: &str| {
        if !text.is_empty() {
            let _ = single_quoted(out, text);
            text.clear();
        }
        out.push_str("\"${");
        out.push_str(name);
        out.push_str("}\"");
    };
    for p in &a.0 {
        match p {
            Part::Text(t) => text.push_str(t),
            Part::Param { name, .. } => value(out, &mut text, name),
            Part::Output(name) | Part::Secret(name) => value(out, &mut text, name),
            Part::FileOf(_) => {}
        }
    }
    if !text.is_empty() || out.len() == start {
        let _ = single_quoted(out, &text);
    }
}

/// The command line of `program` and `args`, one `--flag value...` group per line, appended to
/// `out`.
pub(crate) fn command_into(out: &mut String, program: Program, args: &[Arg], indent: &str) {
    out.push_str(program.command());
    for a in args {
        if matches!(a.0.as_slice(), [Part::Text(t)] if t.starts_with("--")) {
            out.push_str(" \\\n");
            out.push_str(indent);
            out.push_str("  ");
        } else {
            out.push(' ');
        }
        word_into(out, a);
    }
}

fn platform_cli(p: Platform) -> &'static str {
    match p {
        Platform::Aws => "aws (logged in: aws configure or AWS_PROFILE)",
        Platform::Azure => "az (logged in: az login; az account set --subscription ...)",
        Platform::Gcp => "gcloud (logged in: gcloud auth login; gcloud config set project ...)",
        Platform::Onprem => "",
    }
}

const PRELUDE: &str = r#"BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUTS="${TUNNELSMITH_OUTPUTS:-$BUNDLE/outputs.env}"
STEP=0

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# step TITLE: say what runs next.
step() {
  STEP=$((STEP + 1))
  printf '\n==> [%s %d/%d] %s\n' "$SCRIPT" "$STEP" "$STEPS" "$1"
}

# need NAME SCRIPT: stop unless an earlier script captured NAME.
need() {
  [[ -n "${!1:-}" ]] || die "$1 is missing from $OUTPUTS: run $2 first (see run-order.md)"
}

# save NAME VALUE: keep a captured value for the next steps and for the scripts of other clouds.
save() {
  case "$2" in
    '' | None | null) die "$1: the command printed no value" ;;
  esac
  printf -v "$1" '%s' "$2"
  printf '%s=%q\n' "$1" "$2" >>"$OUTPUTS"
  printf '    %s=%s\n' "$1" "$2"
}

# poll WANT FAIL INTERVAL TIMEOUT COMMAND...: run COMMAND until it prints WANT.
poll() {
  local want="$1" fail="$2" interval="$3" timeout="$4" waited=0 got
  shift 4
  while true; do
    got="$("$@")" || got=''
    [[ "$got" == "$want" ]] && return 0
    if [[ -n "$got" && " $fail " == *" $got "* ]]; then
      die "the state is $got; it will not become $want"
    fi
    ((waited < timeout)) || die "still '${got:-unknown}' after ${timeout}s; run this script again to keep waiting"
    printf '    %s after %ds; checking again in %ds\n' "${got:-unknown}" "$waited" "$interval"
    sleep "$interval"
    waited=$((waited + interval))
  done
}

touch "$OUTPUTS"
# shellcheck source=/dev/null
source "$OUTPUTS"
"#;

/// For scripts that hand keys to a CLI: private files, removed when the script ends.
const SECRET_FILES: &str = r#"
# Keys go to the CLI in files only you can read (aws file://, az @file, gcloud --flags-file),
# never on a command line, where every user of this machine could read them; the files go when
# the script ends.
SECRET_DIR="$(mktemp -d)"
trap 'rm -rf "$SECRET_DIR"' EXIT
# secret_file TEXT: TEXT in a new private file; prints its path.
secret_file() {
  local f
  f="$(mktemp "$SECRET_DIR/key.XXXXXX")"
  printf '%s' "$1" >"$f"
  printf '%s' "$f"
}
"#;

#[allow(clippy::too_many_arguments)]
fn script(
    r: &Resolved,
    opts: &RenderOptions,
    steps: &[Step],
    sc: &Script,
    path: &str,
    next: Option<&str>,
    producer: &BTreeMap<&str, &str>,
) -> String {
    let site = &r.sites[sc.site];
    let mine: Vec<&Step> = sc.steps.iter().map(|&i| &steps[i]).collect();
    let mut s = String::with_capacity(PRELUDE.len() + 1024 * mine.len());
    s.push_str("#!/usr/bin/env bash\n");
    if mine.iter().any(|st| st.inputs().next().is_some()) {
        // Values of other scripts arrive through `source outputs.env`, which shellcheck cannot
        // follow; `need` checks each of them before the first step.
        s.push_str("# shellcheck disable=SC2153\n");
    }
    s.push_str(&stamp("#", &format!("{path}: {} site '{}'", site.platform.label(), site.name), r, opts));
    s.push_str("#\n");
    let part = if sc.parts > 1 { format!("Part {} of {} for", sc.part, sc.parts) } else { "Everything for".into() };
    comment_into(
        &mut s,
        &format!(
            "{part} site '{}' ({}, {}). Run it from anywhere, in the order of run-order.md, with {}.",
            site.name,
            site.platform.label(),
            site.region,
            platform_cli(site.platform)
        ),
    );

    // Inputs from other scripts, secrets, outputs: each once, in the order the steps name them.
    let captured_here: BTreeSet<&str> =
        mine.iter().filter_map(|st| st.capture.as_ref().map(|c| c.name.as_str())).collect();
    let (mut inputs, mut secrets): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let (mut seen, mut seen_keys): (BTreeSet<&str>, BTreeSet<&str>) = (BTreeSet::new(), BTreeSet::new());
    for p in mine.iter().flat_map(|st| &st.args).flat_map(|a| &a.0) {
        match p {
            Part::Output(n) if !captured_here.contains(n.as_str()) && seen.insert(n) => inputs.push(n),
            Part::Secret(n) if seen_keys.insert(n) => secrets.push(n),
            Part::Text(_) | Part::Param { .. } | Part::Output(_) | Part::Secret(_) | Part::FileOf(_) => {}
        }
    }
    seen.clear();
    let mut line = String::new();
    if !inputs.is_empty() {
        s.push_str("#\n# Reads from outputs.env (values earlier scripts captured):\n");
        for n in &inputs {
            line.clear();
            let _ = write!(line, "  {n}  from {}", producer.get(n).copied().unwrap_or("no script (plan error)"));
            comment_into(&mut s, &line);
        }
    }
    if !secrets.is_empty() {
        s.push_str("#\n# Reads from secrets.env (pre-shared keys; never written into any script):\n");
        line.clear();
        line.push(' ');
        for n in &secrets {
            line.push(' ');
            line.push_str(n);
        }
        comment_into(&mut s, &line);
    }
    if !captured_here.is_empty() {
        s.push_str("#\n# Writes to outputs.env:\n");
        for st in &mine {
            if let Some(c) = &st.capture {
                line.clear();
                let _ = write!(line, "  {}  {}", c.name, c.about);
                comment_into(&mut s, &line);
            }
        }
    }
    s.push_str("set -euo pipefail\n\n# Values from the plan.\n");
    let _ = writeln!(s, "PLAN={}", Quoted(&r.plan_name));
    seen.clear();
    for (n, v) in mine.iter().flat_map(|st| st.params()) {
        if seen.insert(n) {
            let _ = writeln!(s, "{n}={}", Quoted(v));
        }
    }
    let _ = writeln!(s, "SCRIPT={}", Quoted(path));
    let _ = writeln!(s, "STEPS={}\n", mine.len());
    s.push_str(PRELUDE);
    if !inputs.is_empty() {
        s.push('\n');
        for n in &inputs {
            let from = producer.get(n).copied().unwrap_or("the script that creates it");
            let _ = writeln!(s, "need {n} {}", Quoted(from));
        }
    }
    if !secrets.is_empty() {
        s.push_str(
            "\nSECRETS=\"${TUNNELSMITH_SECRETS:-$BUNDLE/secrets.env}\"\n[[ -f \"$SECRETS\" ]] || die \"$SECRETS not found: it holds the pre-shared keys (tunnelsmith generate writes it; the web app downloads it)\"\n# shellcheck source=/dev/null\nsource \"$SECRETS\"\n",
        );
        for n in &secrets {
            let _ = writeln!(s, "[[ -n \"${{{n}:-}}\" ]] || die \"{n} is missing from $SECRETS\"");
        }
    }
    if mine.iter().flat_map(|st| &st.args).any(|a| a.file_scheme().is_some()) {
        s.push_str(SECRET_FILES);
    }
    let _ = writeln!(s, "\nprintf '%s: plan %s, %d steps\\n' \"$SCRIPT\" \"$PLAN\" \"$STEPS\"");
    for st in &mine {
        s.push_str("\nstep ");
        sh_quote_into(&mut s, &st.title);
        s.push('\n');
        if let Some(w) = &st.wait {
            let _ = write!(
                s,
                "poll {} {} {} {} \\\n  ",
                Quoted(&w.until),
                Quoted(&w.fail_on.join(" ")),
                w.interval_secs,
                w.timeout_secs,
            );
            command_into(&mut s, st.program, &st.args, "  ");
            s.push('\n');
        } else if let Some(c) = &st.capture {
            // Recorded once: a run again keeps the first value.
            let indent = if c.once {
                let n = &c.name;
                let _ = writeln!(
                    s,
                    "if [[ -n \"${{{n}:-}}\" ]]; then\n  printf '    %s=%s (recorded by the first run; kept)\\n' {n} \"${n}\"\nelse"
                );
                "  "
            } else {
                ""
            };
            s.push_str(indent);
            s.push_str(&c.name);
            s.push_str("=\"$(");
            command_into(&mut s, st.program, &st.args, indent);
            for piece in [")\"\n", indent, "save ", &c.name, " \"$", &c.name, "\"\n"] {
                s.push_str(piece);
            }
            if c.once {
                s.push_str("fi\n");
            }
        } else {
            command_into(&mut s, st.program, &st.args, "");
            s.push('\n');
        }
    }
    s.push('\n');
    match next {
        Some(n) => {
            let _ = writeln!(s, "printf '\\n%s: done. Next: %s\\n' \"$SCRIPT\" {}", Quoted(n));
        }
        None => {
            s.push_str("printf '\\n%s: done. This was the last script: check the tunnels (run-order.md, Verify).\\n' \"$SCRIPT\"\n");
        }
    }
    s
}

fn run_order(
    r: &Resolved,
    opts: &RenderOptions,
    steps: &[Step],
    scripts: &[Script],
    paths: &[String],
    producer: &BTreeMap<&str, &str>,
) -> String {
    let mut s = String::with_capacity(4096 + 128 * steps.len());
    for line in stamp("", "run-order.md", r, opts).lines() {
        let _ = writeln!(s, "<!--{} -->", line.replace("--", "- -"));
    }
    let _ = writeln!(s, "\n# Run order for plan `{}`\n", r.plan_name);
    s.push_str(
        "Run these scripts once each, in this order (or `./deploy.sh`, which runs them all). Each one\n\
         stops with a clear message if a value it needs from an earlier script is missing.\n\
         Keep `secrets.env` (the pre-shared keys, mode 0600) beside them: the scripts read the keys\n\
         from it and never contain one. Values the scripts capture (IDs, public addresses) go to\n\
         `outputs.env`, which the scripts of the other clouds read.\n\n",
    );
    s.push_str("| # | script | site | steps | needs values from |\n|---|---|---|---|---|\n");
    for (k, sc) in scripts.iter().enumerate() {
        let site = &r.sites[sc.site];
        let mut from: Vec<&str> = Vec::new();
        for &i in &sc.steps {
            for n in steps[i].inputs() {
                if let Some(p) = producer.get(n) {
                    if *p != paths[k] && !from.contains(p) {
                        from.push(p);
                    }
                }
            }
        }
        let _ = writeln!(
            s,
            "| {} | `{}` | {} ({}, {}) | {} | {} |",
            k + 1,
            paths[k],
            site.name,
            site.platform.label(),
            site.region.replace('|', "/"),
            sc.steps.len(),
            if from.is_empty() {
                "—".to_string()
            } else {
                from.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            }
        );
    }
    s.push_str("\n## What each script does\n");
    for (k, sc) in scripts.iter().enumerate() {
        let _ = writeln!(s, "\n### {}. `{}`\n", k + 1, paths[k]);
        for &i in &sc.steps {
            let st = &steps[i];
            let wait = if st.wait.is_some() { " (waits)" } else { "" };
            let _ = writeln!(s, "- {}{wait}", st.title);
        }
    }
    s.push_str(
        "\n## Why this order\n\n\
         An Azure VPN gateway takes about 45 minutes to create, so its script starts it with `--no-wait` and\n\
         the other clouds run meanwhile; its public addresses exist from the start and become the other\n\
         clouds' customer or external gateways. AWS assigns each tunnel's outside address only when the VPN\n\
         connection is created, so the Azure local network gateways and the Google Cloud external VPN gateways\n\
         that point at AWS come after the AWS script. A script that waits (`poll`) prints the state until\n\
         it is ready; if it times out, run it again.\n\n\
         ## If a script fails\n\n\
         Fix the cause and run that script again only if it failed at its first step; otherwise remove\n\
         what it created (its steps are listed above, resources are tagged `tunnelsmith-plan` or named\n\
         after the plan) and the lines it appended to `outputs.env`, then run it again.\n",
    );
    s
}

fn deploy(r: &Resolved, opts: &RenderOptions, paths: &[String]) -> String {
    let mut s = String::from("#!/usr/bin/env bash\n");
    s.push_str(&stamp("#", "deploy.sh: every cloud script of the plan, in run order (see run-order.md)", r, opts));
    s.push_str("set -euo pipefail\ncd \"$(dirname \"${BASH_SOURCE[0]}\")\"\n\nscripts=(");
    for p in paths {
        s.push_str("\n  ");
        s.push_str(&sh_quote(p));
    }
    s.push_str("\n)\nfor script in \"${scripts[@]}\"; do\n  printf '\\n######## %s\\n' \"$script\"\n  bash \"$script\"\ndone\nprintf '\\nAll scripts ran. Check the tunnels (run-order.md).\\n'\n");
    s
}
