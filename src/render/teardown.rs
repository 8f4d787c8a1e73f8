//! Teardown scripts: per cloud site, the reverse of what the site's scripts created, newest first,
//! and `teardown.sh`, which runs them all, last-deployed site first.
//!
//! What to delete comes only from [`crate::steps::Step::creates`]: every resource a step created,
//! with the argv that deletes it. Nothing is searched for, so nothing the plan did not create is
//! touched, whatever else the account holds. AWS resources are addressed by the IDs the create
//! scripts recorded in `outputs.env` (a resource whose ID is not there was never created by this
//! bundle and is skipped); Azure and Google Cloud resources by the names the plan gave them
//! (`<plan>-<site>-…`, tagged `tunnelsmith-plan=<plan>` on Azure, described `tunnelsmith plan
//! <plan>` on Google Cloud).
//!
//! Each script lists what it will delete and asks (`--yes` skips the question; without a terminal
//! it refuses unless given `--yes`; `--list` only lists). A resource that is already gone counts
//! as deleted, so a script that stopped can be run again. Where the next delete would fail until
//! the cloud finishes the previous one (an AWS VPN connection still `deleting`, a virtual private
//! gateway still `detaching`), the script waits for it ([`SETTLE`]). When a site is done, its
//! values are removed from `outputs.env`.

use super::cloud::{command_into, comment_into, script_path, sh_quote, sh_quote_into, word_into, Quoted};
use super::{stamp, Artifact, RenderOptions};
use crate::check::Resolved;
use crate::steps::{self, Arg, Guard, Ordered, Part, Program, Resource, Script, Step};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The script that tears down every site.
pub const ROOT_SCRIPT: &str = "teardown.sh";

/// Errors that mean a resource is already gone (AWS `…NotFound` codes and "does not exist", Azure
/// "could not be found", Google Cloud "was not found"; AWS "is not attached" for a detach).
const GONE: &str = "NotFound|not found|does not exist|could not be found|was not found|NotAttached|is not attached";

/// After an AWS delete whose effect is not immediate, what to wait for before the next delete.
pub struct Settle {
    /// The `aws ec2` subcommand that starts it.
    pub after: &'static str,
    /// The flag of the delete that names the resource, and the describe call that shows it.
    pub id_flag: &'static str,
    pub describe: &'static str,
    pub ids_flag: &'static str,
    pub query: &'static str,
    pub until: &'static str,
}

pub const SETTLE: &[Settle] = &[
    // A customer gateway cannot be deleted while a VPN connection using it is `deleting`.
    Settle {
        after: "delete-vpn-connection",
        id_flag: "--vpn-connection-id",
        describe: "describe-vpn-connections",
        ids_flag: "--vpn-connection-ids",
        query: "VpnConnections[0].State",
        until: "deleted",
    },
    // A virtual private gateway cannot be deleted, nor its VPC, while it is `detaching`.
    Settle {
        after: "detach-vpn-gateway",
        id_flag: "--vpn-gateway-id",
        describe: "describe-vpn-gateways",
        ids_flag: "--vpn-gateway-ids",
        query: "VpnGateways[0].VpcAttachments[0].State",
        until: "detached",
    },
    // A VPC cannot be deleted while its transit gateway attachment is `deleting`.
    Settle {
        after: "delete-transit-gateway-vpc-attachment",
        id_flag: "--transit-gateway-attachment-id",
        describe: "describe-transit-gateway-vpc-attachments",
        ids_flag: "--transit-gateway-attachment-ids",
        query: "TransitGatewayVpcAttachments[0].State",
        until: "deleted",
    },
];

/// One site's teardown: the steps whose resources it deletes, newest first.
pub struct SiteTeardown {
    pub site: usize,
    pub path: String,
    /// Indices into the steps, in delete order.
    pub removals: Vec<usize>,
}

/// Where a site's teardown script goes: beside its create scripts, `<dir>/<site>.teardown.sh`
/// (a site name has no dot, so this cannot meet a create script's name).
pub fn path(r: &Resolved, site: usize) -> String {
    let first = script_path(r, &Script { site, part: 1, parts: 1, steps: Vec::new() });
    format!("{}.teardown.sh", first.trim_end_matches(".sh"))
}

/// Every site that created something, in teardown order: the site whose last script ran last
/// goes first.
pub fn teardowns(r: &Resolved, steps: &[Step], scripts: &[Script]) -> Vec<SiteTeardown> {
    let mut out: Vec<SiteTeardown> = Vec::new();
    for sc in scripts.iter().rev() {
        if out.iter().any(|t| t.site == sc.site) {
            continue;
        }
        let mut removals: Vec<usize> = scripts
            .iter()
            .filter(|x| x.site == sc.site)
            .flat_map(|x| x.steps.iter().copied())
            .filter(|&i| steps[i].creates.is_some())
            .collect();
        removals.reverse();
        if !removals.is_empty() {
            out.push(SiteTeardown { site: sc.site, path: path(r, sc.site), removals });
        }
    }
    out
}

/// The teardown scripts of the plan and `teardown.sh`; nothing when the scripts create nothing.
pub fn artifacts(r: &Resolved, opts: &RenderOptions) -> Vec<Artifact> {
    files(r, opts, &steps::ordered(r), |_| true)
}

/// The files of [`artifacts`] whose path is `want`ed, from steps already ordered; only those are
/// rendered.
pub fn files(r: &Resolved, opts: &RenderOptions, o: &Ordered, want: impl Fn(&str) -> bool) -> Vec<Artifact> {
    let (steps, scripts) = (&o.steps, &o.scripts);
    let all = teardowns(r, steps, scripts);
    if all.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<Artifact> = all
        .iter()
        .filter(|t| want(&t.path))
        .map(|t| Artifact {
            path: t.path.clone(),
            media_type: "text/x-shellscript",
            text: site_script(r, opts, steps, scripts, t),
            executable: true,
        })
        .collect();
    if want(ROOT_SCRIPT) {
        out.push(Artifact {
            path: ROOT_SCRIPT.into(),
            media_type: "text/x-shellscript",
            text: root_script(r, opts, &all),
            executable: true,
        });
    }
    out
}

/// The outputs an argv reads.
fn outputs_of(args: &[Arg]) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for p in args.iter().flat_map(|a| &a.0) {
        if let Part::Output(n) = p {
            if !v.contains(&n.as_str()) {
                v.push(n);
            }
        }
    }
    v
}

/// A resource's delete, rendered like the create scripts' commands: its program and the
/// arguments after it.
struct Delete<'a> {
    program: Program,
    args: &'a [Arg],
}

/// The delete of what `st` creates.
fn delete_of(st: &Step) -> Option<Delete<'_>> {
    let res = st.creates.as_ref()?;
    let args = match res.delete.split_first() {
        Some((first, rest)) if first.displays(st.program.command()) => rest,
        _ => &res.delete[..],
    };
    Some(Delete { program: st.program, args })
}

/// The argument after `flag` in `args`.
fn after_flag<'a>(args: &'a [Arg], flag: &str) -> Option<&'a Arg> {
    args.iter().position(|a| a.displays(flag)).and_then(|i| args.get(i + 1))
}

/// The wait that must follow this delete, as bash, appended to `out`.
fn settle(out: &mut String, del: &Delete) -> Option<()> {
    if del.program != Program::Aws {
        return None;
    }
    let sub = del.args.get(1)?;
    let s = SETTLE.iter().find(|s| sub.displays(s.after))?;
    let id = after_flag(del.args, s.id_flag)?;
    let region = after_flag(del.args, "--region")?;
    let _ = write!(out, "  settle {} \\\n    aws ec2 {} --region ", Quoted(s.until), s.describe);
    word_into(out, region);
    let _ = write!(out, " {} ", s.ids_flag);
    word_into(out, id);
    let _ = writeln!(out, " --query {} --output text", Quoted(s.query));
    Some(())
}

const PRELUDE: &str = r#"BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUTS="${TUNNELSMITH_OUTPUTS:-$BUNDLE/outputs.env}"
GONE='__GONE__'
YES=false
LIST=false
DELETED=0
ALREADY_GONE=0
SKIPPED=0
LEFT=0

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s [--yes | --list]\n' "$SCRIPT"
  printf '  --yes   delete without asking (needed when not run from a terminal)\n'
  printf '  --list  only list what would be deleted\n'
}

for arg in "$@"; do
  case "$arg" in
    -y | --yes) YES=true ;;
    --list) LIST=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
done

if [[ -f "$OUTPUTS" ]]; then
  # shellcheck source=/dev/null
  source "$OUTPUTS"
fi

# show KIND NAME [ID...]: one line of the list; skipped when an ID is not in outputs.env.
show() {
  local kind="$1" name="$2" id
  shift 2
  for id in "$@"; do
    if [[ -z "${!id:-}" ]]; then
      printf '  - %s: skipped, %s is not in %s (this bundle never created it)\n' "$kind" "$id" "$OUTPUTS"
      return 0
    fi
  done
  printf '  - %s %s\n' "$kind" "$name"
}

# recorded ID...: whether the create scripts recorded every ID in outputs.env.
recorded() {
  local id
  for id in "$@"; do
    [[ -n "${!id:-}" ]] || return 1
  done
}

# skip KIND ID: a resource whose ID was never recorded.
skip() {
  printf '\n==> [%s] skip %s: %s is not in %s\n' "$SCRIPT" "$1" "$2" "$OUTPUTS"
  SKIPPED=$((SKIPPED + 1))
}

# leave KIND NAME WHY: a resource the scripts may not have made, so this script does not delete it.
leave() {
  printf '\n==> [%s] leave %s %s: %s\n' "$SCRIPT" "$1" "$2" "$3"
  LEFT=$((LEFT + 1))
}

# remove KIND NAME COMMAND...: run a delete; a resource that is already gone is fine.
remove() {
  local kind="$1" name="$2" out
  shift 2
  printf '\n==> [%s] delete %s %s\n' "$SCRIPT" "$kind" "$name"
  if out="$("$@" 2>&1)"; then
    printf '    deleted\n'
    DELETED=$((DELETED + 1))
  elif grep -qE "$GONE" <<<"$out"; then
    printf '    already gone\n'
    ALREADY_GONE=$((ALREADY_GONE + 1))
  else
    printf '%s\n' "$out" >&2
    die "could not delete $kind $name (the cloud's message is above); fix the cause and run $SCRIPT again: what is already gone is skipped"
  fi
}

# settle WANT COMMAND...: wait until COMMAND prints WANT, or nothing, or says it is gone.
settle() {
  local want="$1" waited=0 got
  shift
  while true; do
    if got="$("$@" 2>&1)"; then
      [[ "$got" == "$want" || -z "$got" || "$got" == None ]] && return 0
    elif grep -qE "$GONE" <<<"$got"; then
      return 0
    fi
    ((waited < 900)) || die "still '$got' after 900s; run $SCRIPT again to go on"
    printf '    %s after %ds; checking again in 10s\n' "$got" "$waited"
    sleep 10
    waited=$((waited + 10))
  done
}

# forget ID...: drop these values from outputs.env (what they name is gone).
forget() {
  [[ -f "$OUTPUTS" ]] || return 0
  local pattern
  pattern="^($(
    IFS='|'
    echo "$*"
  ))="
  grep -vE "$pattern" "$OUTPUTS" >"$OUTPUTS.tmp" || true
  mv "$OUTPUTS.tmp" "$OUTPUTS"
}
"#;

fn site_script(r: &Resolved, opts: &RenderOptions, steps: &[Step], scripts: &[Script], t: &SiteTeardown) -> String {
    let site = &r.sites[t.site];
    // Each removal: the step that created it, what it created, its delete and the IDs that
    // delete reads.
    let dels: Vec<(&Step, &Resource, Delete, Vec<&str>)> = t
        .removals
        .iter()
        .filter_map(|&i| {
            let st = &steps[i];
            let d = delete_of(st)?;
            let ids = outputs_of(d.args);
            Some((st, st.creates.as_ref().expect("removals create"), d, ids))
        })
        .collect();
    let mut s = String::with_capacity(PRELUDE.len() + 1024 * dels.len());
    s.push_str("#!/usr/bin/env bash\n");
    if dels.iter().any(|(.., ids)| !ids.is_empty()) {
        // IDs arrive through `source outputs.env`, which shellcheck cannot follow.
        s.push_str("# shellcheck disable=SC2153\n");
    }
    let what = format!("{}: teardown of {} site '{}'", t.path, site.platform.label(), site.name);
    s.push_str(&stamp("#", &what, r, opts));
    s.push_str("#\n");
    comment_into(
        &mut s,
        &format!(
            "Deletes, newest first, the {} resources the scripts of plan '{}' created for site '{}' ({}, {}), \
             and nothing else. {}",
            dels.len(),
            r.plan_name,
            site.name,
            site.platform.label(),
            site.region,
            match site.platform {
                crate::plan::Platform::Aws =>
                    "They are found by the IDs the create scripts recorded in outputs.env; one that is not there is skipped.",
                crate::plan::Platform::Azure | crate::plan::Platform::Gcp | crate::plan::Platform::Onprem => "They are found by the names the plan gave them.",
            }
        ),
    );
    s.push_str(
        "# It lists them and asks first. A resource that is already gone is fine: if the script stops,\n\
         # fix the cause and run it again.\n#\n",
    );
    let _ = writeln!(s, "# Usage: bash {} [--yes | --list]", t.path);
    s.push_str("set -euo pipefail\n\n# Values from the plan.\n");
    let _ = writeln!(s, "PLAN={}", Quoted(&r.plan_name));
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (_, res, d, _) in &dels {
        // The delete's plan values, and a guard's (its check and what that must print).
        let guard: Vec<&Arg> = match &res.only_if {
            Some(Guard::Prints { check, expect }) => check.iter().chain(std::iter::once(expect)).collect(),
            _ => Vec::new(),
        };
        for p in d.args.iter().chain(guard).flat_map(|a| &a.0) {
            if let Part::Param { name, value } = p {
                if seen.insert(name) {
                    let _ = writeln!(s, "{name}={}", Quoted(value));
                }
            }
        }
    }
    let _ = writeln!(s, "SCRIPT={}\n", Quoted(&t.path));
    let (before, after) = PRELUDE.split_once("__GONE__").expect("the prelude names GONE");
    s.push_str(before);
    s.push_str(GONE);
    s.push_str(after);

    // The list.
    s.push_str("\nlist() {\n");
    for (_, res, _, ids) in &dels {
        let _ = write!(s, "  show {} ", Quoted(res.kind.noun()));
        if ids.contains(&res.name.as_str()) {
            let _ = write!(s, "\"${{{}:-}}\"", res.name);
        } else {
            sh_quote_into(&mut s, &res.name);
        }
        for i in ids {
            s.push(' ');
            s.push_str(i);
        }
        s.push('\n');
    }
    s.push_str("}\n\n");
    let _ = writeln!(
        s,
        "printf '%s deletes, newest first, what plan %s created for site %s:\\n' \"$SCRIPT\" \"$PLAN\" {}",
        Quoted(&site.name)
    );
    s.push_str(
        "list\n\
         $LIST && exit 0\n\
         if ! $YES; then\n\
         \x20 if [[ ! -t 0 ]]; then\n\
         \x20   printf 'error: not deleting anything: no terminal to ask on; run %s --yes to delete without asking\\n' \"$SCRIPT\" >&2\n\
         \x20   exit 2\n\
         \x20 fi\n\
         \x20 read -r -p 'Delete them? Type yes to go on: ' answer\n\
         \x20 [[ \"$answer\" == yes ]] || die 'nothing was deleted'\n\
         fi\n",
    );

    let mut body = String::new();
    for (_, res, d, ids) in &dels {
        s.push('\n');
        if res.kind.facts().slow_delete {
            let _ = writeln!(
                s,
                "printf '\\n    (deleting the %s takes minutes: the command returns when it is gone)\\n' {}",
                Quoted(res.kind.noun())
            );
        }
        body.clear();
        let _ = write!(body, "  remove {} ", Quoted(res.kind.noun()));
        if ids.contains(&res.name.as_str()) {
            let _ = write!(body, "\"${{{}}}\"", res.name);
        } else {
            sh_quote_into(&mut body, &res.name);
        }
        body.push_str(" \\\n    ");
        command_into(&mut body, d.program, d.args, "    ");
        body.push('\n');
        settle(&mut body, d);
        if let Some(g) = &res.only_if {
            body = guarded(&body, g, res);
        }
        if ids.is_empty() {
            for line in body.lines() {
                s.push_str(line.strip_prefix("  ").unwrap_or(line));
                s.push('\n');
            }
        } else {
            let _ = writeln!(s, "if recorded {}; then", ids.join(" "));
            s.push_str(&body);
            let _ = writeln!(s, "else\n  skip {} {}\nfi", Quoted(res.kind.noun()), ids[0]);
        }
    }

    // The site's values in outputs.env name what is gone now.
    let mut captured: Vec<&str> = Vec::new();
    for sc in scripts.iter().filter(|sc| sc.site == t.site) {
        captured.extend(sc.steps.iter().filter_map(|&i| steps[i].capture.as_ref().map(|c| c.name.as_str())));
    }
    if !captured.is_empty() {
        let _ = writeln!(s, "\nforget {}", captured.join(" "));
    }
    s.push_str(
        "printf '\\n%s: done: %d deleted, %d already gone, %d skipped, %d left (the reasons are above).\\n' \
         \"$SCRIPT\" \"$DELETED\" \"$ALREADY_GONE\" \"$SKIPPED\" \"$LEFT\"\n",
    );
    s
}

/// `body` (two-space indented) run only when `g` holds; otherwise the resource is left and the
/// script says why.
fn guarded(body: &str, g: &Guard, res: &Resource) -> String {
    let mut s = String::from("  if ");
    match g {
        Guard::NotExisting { output } => {
            let _ = write!(s, "[[ \"${{{output}:-}}\" == false ]]");
        }
        Guard::Prints { check, expect } => {
            let (program, args) = check.split_first().expect("a guard's command");
            s.push_str("[[ \"$(");
            let program = [Program::Aws, Program::Az, Program::Gcloud]
                .into_iter()
                .find(|p| program.displays(p.command()))
                .expect("a guard runs a cloud CLI");
            command_into(&mut s, program, args, "    ");
            s.push_str(" 2>/dev/null || true)\" == ");
            word_into(&mut s, expect);
            s.push_str(" ]]");
        }
    }
    s.push_str("; then\n");
    for line in body.lines() {
        let _ = writeln!(s, "  {line}");
    }
    s.push_str("  else\n    leave ");
    let _ = write!(s, "{} ", Quoted(res.kind.noun()));
    sh_quote_into(&mut s, &res.name);
    let _ = writeln!(s, " {}\n  fi", Quoted(g.why()));
    s
}

fn root_script(r: &Resolved, opts: &RenderOptions, all: &[SiteTeardown]) -> String {
    let mut s = String::from("#!/usr/bin/env bash\n");
    s.push_str(&stamp("#", "teardown.sh: every site's teardown script, the last deployed site first", r, opts));
    s.push_str(
        "#\n# Lists what every script will delete, asks once, then runs them with --yes.\n\
         # Usage: bash teardown.sh [--yes | --list]\n\
         set -euo pipefail\ncd \"$(dirname \"${BASH_SOURCE[0]}\")\"\n\nscripts=(",
    );
    for t in all {
        s.push_str("\n  ");
        s.push_str(&sh_quote(&t.path));
    }
    s.push_str(
        "\n)\nyes=false\nlist=false\nfor arg in \"$@\"; do\n\
         \x20 case \"$arg\" in\n\
         \x20   -y | --yes) yes=true ;;\n\
         \x20   --list) list=true ;;\n\
         \x20   *)\n\
         \x20     printf 'usage: teardown.sh [--yes | --list]\\n' >&2\n\
         \x20     exit 2\n\
         \x20     ;;\n\
         \x20 esac\n\
         done\n\
         for script in \"${scripts[@]}\"; do\n\
         \x20 bash \"$script\" --list\n\
         done\n\
         $list && exit 0\n\
         if ! $yes; then\n\
         \x20 if [[ ! -t 0 ]]; then\n\
         \x20   printf 'error: not deleting anything: no terminal to ask on; run teardown.sh --yes to delete without asking\\n' >&2\n\
         \x20   exit 2\n\
         \x20 fi\n\
         \x20 read -r -p 'Delete all of the above? Type yes to go on: ' answer\n\
         \x20 if [[ \"$answer\" != yes ]]; then\n\
         \x20   printf 'nothing was deleted\\n' >&2\n\
         \x20   exit 1\n\
         \x20 fi\n\
         fi\n\
         for script in \"${scripts[@]}\"; do\n\
         \x20 printf '\\n######## %s\\n' \"$script\"\n\
         \x20 bash \"$script\" --yes\n\
         done\n",
    );
    let _ = writeln!(s, "printf '\\nEverything plan %s created is deleted.\\n' {}", sh_quote(&r.plan_name));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::resolve;
    use crate::presets::find;

    fn preset(id: &str) -> (Resolved, Vec<Step>, Vec<Script>) {
        let r = resolve(&find(id).unwrap().plan());
        let s = steps::steps(&r);
        let o = steps::order(&r, &s);
        (r, s, o)
    }

    #[test]
    fn every_created_resource_is_deleted_once_newest_first() {
        let (r, s, o) = preset("004-aws-azure-gcp-bgp");
        let all = teardowns(&r, &s, &o);
        let sites: Vec<&str> = all.iter().map(|t| r.sites[t.site].name.as_str()).collect();
        assert_eq!(sites, ["gcp", "azure", "aws"], "the last deployed site first");
        let mut removed: Vec<usize> = all.iter().flat_map(|t| t.removals.iter().copied()).collect();
        let created: Vec<usize> = (0..s.len()).filter(|&i| s[i].creates.is_some()).collect();
        assert_eq!(removed.len(), created.len());
        removed.sort();
        assert_eq!(removed, created);
        // Within a site, nothing is deleted before what was created after it.
        let flat: Vec<usize> = o.iter().flat_map(|sc| sc.steps.iter().copied()).collect();
        for t in &all {
            let pos: Vec<usize> = t.removals.iter().map(|i| flat.iter().position(|x| x == i).unwrap()).collect();
            assert!(pos.windows(2).all(|w| w[0] > w[1]), "{}: {pos:?}", t.path);
        }
    }

    #[test]
    fn aws_waits_for_the_vpn_connection_before_its_customer_gateway() {
        let (r, _, _) = preset("002-aws-vgw-to-azure-static");
        let a = artifacts(&r, &RenderOptions::default());
        let aws = &a.iter().find(|x| x.path == "aws/aws.teardown.sh").unwrap().text;
        let vpn = aws.find("ec2 delete-vpn-connection").unwrap();
        let wait = aws.find("settle deleted").unwrap();
        let cgw = aws.find("ec2 delete-customer-gateway").unwrap();
        let vgw = aws.find("ec2 delete-vpn-gateway").unwrap();
        let detach = aws.find("settle detached").unwrap();
        let vpc = aws.find("ec2 delete-vpc ").unwrap();
        assert!(vpn < wait && wait < cgw && cgw < detach && detach < vgw && vgw < vpc, "{aws}");
        assert!(aws.contains("if recorded AWS_VPN_AZURE_AWS_1; then"), "{aws}");
        assert!(!aws.contains("describe-vpn-connections --region \"${AWS_REGION}\" --filters"), "no search by filter");
        let root = &a.iter().find(|x| x.path == ROOT_SCRIPT).unwrap().text;
        assert!(root.find("azure/azure.teardown.sh").unwrap() < root.find("aws/aws.teardown.sh").unwrap());
    }

    #[test]
    fn azure_deletes_by_name_and_says_the_gateway_takes_minutes() {
        let (r, _, _) = preset("002-aws-vgw-to-azure-static");
        let a = artifacts(&r, &RenderOptions::default());
        let az = &a.iter().find(|x| x.path == "azure/azure.teardown.sh").unwrap().text;
        assert!(az.contains("remove 'VPN gateway' vpntest-azure-gw"), "{az}");
        assert!(az.contains("takes minutes"));
        assert!(az.trim_end().ends_with("\"$SKIPPED\" \"$LEFT\""));
        assert!(az.contains("\nforget AZURE_RG_EXISTED AZURE_GW_IP_1\n"), "{az}");
        assert!(!az.contains("shellcheck disable=SC2153"), "no recorded IDs on Azure");
    }

    #[test]
    fn a_plan_without_cloud_sites_has_no_teardown() {
        let mut plan = find("003-strongswan-ec2-to-aws-vgw").unwrap().plan();
        plan.sites.truncate(1);
        plan.links.clear();
        plan.sites[0].platform = crate::plan::Platform::Onprem;
        let r = resolve(&plan);
        assert!(artifacts(&r, &RenderOptions::default()).is_empty());
    }
}
