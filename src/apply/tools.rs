//! Before anything changes: the cloud CLIs the plan needs are on `PATH`, recent enough, and
//! logged in. Every problem is reported at once, each with the command that fixes it.

use super::run::{run, Call, Outcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The oldest release of each CLI whose parser takes every command the steps use. They are
/// conservative floors: the Azure CLI's network commands were rebuilt (AAZ) by 2.50 with the
/// arguments used here, and the AWS and Google Cloud releases named here (late 2022) have every
/// VPN tunnel option, HA VPN and Cloud Router flag the steps pass. The versions the commands
/// were proven against are newer (tests/standins/options.json records them).
pub const MINIMUM: &[(&str, &str, &str)] = &[
    ("aws", "1.27.0", "AWS CLI v1 1.27 or v2 2.9 (pip install awscli, or the AWS installer)"),
    ("az", "2.50.0", "Azure CLI 2.50 or later (https://learn.microsoft.com/cli/azure/install-azure-cli)"),
    ("gcloud", "400.0.0", "Google Cloud CLI 400 or later (https://cloud.google.com/sdk/docs/install)"),
];

/// A CLI found on `PATH`.
#[derive(Debug, Clone)]
pub struct Tool {
    pub program: String,
    pub exe: PathBuf,
    pub version: String,
}

/// `name` on `PATH`, if it is an executable file.
pub fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false))
}

/// `1.27.0` → `[1, 27, 0]`.
fn parse_version(v: &str) -> Vec<u64> {
    v.split(['.', '-']).map_while(|p| p.parse().ok()).collect()
}

/// Whether `have` is at least `need` (numeric, part by part).
pub fn at_least(have: &str, need: &str) -> bool {
    parse_version(have) >= parse_version(need)
}

/// The version a CLI reports, read from its own version command.
fn version_of(program: &str, exe: &Path, env: &[(String, String)]) -> Result<String, String> {
    let args: &[&str] = match program {
        "aws" => &["--version"],
        "az" => &["version", "--output", "json"],
        "gcloud" => &["version", "--format", "json"],
        _ => &["--version"],
    };
    let call = Call {
        step: "preflight".into(),
        program: program.into(),
        exe: exe.to_path_buf(),
        args: args.iter().map(|s| s.to_string()).collect(),
        shown: format!("{program} {}", args.join(" ")),
        files: Vec::new(),
    };
    let o = run(&call, env, &mut |_| {});
    if !o.ok() {
        return Err(format!("`{}` failed: {}", call.shown, o.reason()));
    }
    let text = format!("{}{}", o.stdout, o.stderr);
    let v = match program {
        // aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11
        "aws" => text.split_whitespace().next().and_then(|w| w.strip_prefix("aws-cli/")).map(String::from),
        "az" => serde_json::from_str::<serde_json::Value>(&o.stdout)
            .ok()
            .and_then(|j| j.get("azure-cli").and_then(|v| v.as_str()).map(String::from)),
        "gcloud" => serde_json::from_str::<serde_json::Value>(&o.stdout)
            .ok()
            .and_then(|j| j.get("Google Cloud SDK").and_then(|v| v.as_str()).map(String::from)),
        _ => None,
    };
    v.ok_or_else(|| format!("cannot read the version from `{}`: {}", call.shown, text.trim()))
}

fn minimum(program: &str, version: &str) -> Option<(&'static str, &'static str)> {
    let (_, min, how) = MINIMUM.iter().find(|(p, _, _)| *p == program)?;
    // AWS CLI v2 numbers its own releases.
    let min = if program == "aws" && version.starts_with("2.") { "2.9.0" } else { min };
    Some((min, how))
}

/// Find each program, read its version and check it against [`MINIMUM`]; all problems at once.
pub fn find(programs: &[&str], env: &[(String, String)]) -> Result<BTreeMap<String, Tool>, Vec<String>> {
    let mut tools = BTreeMap::new();
    let mut problems = Vec::new();
    type Found = (String, Option<PathBuf>, Option<Result<String, String>>);
    let results: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .map(|p| {
                s.spawn(move || {
                    let exe = which(p);
                    let v = exe.as_ref().map(|e| version_of(p, e, env));
                    (p.to_string(), exe, v)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (program, exe, v) in results {
        let how = MINIMUM.iter().find(|(p, _, _)| *p == program).map(|m| m.2).unwrap_or("");
        match (exe, v) {
            (None, _) => problems.push(format!("{program} is not on PATH; the plan needs it. Install {how}.")),
            (Some(exe), Some(Ok(version))) => match minimum(&program, &version) {
                Some((min, how)) if !at_least(&version, min) => problems.push(format!(
                    "{program} {version} ({}) is too old: the commands need {min} or later. Update to {how}.",
                    exe.display()
                )),
                _ => {
                    tools.insert(program.clone(), Tool { program, exe, version });
                }
            },
            (Some(exe), Some(Err(e))) => problems.push(format!("{program} ({}): {e}", exe.display())),
            (Some(_), None) => {}
        }
    }
    if problems.is_empty() {
        Ok(tools)
    } else {
        Err(problems)
    }
}

/// The command that shows who a CLI is logged in as, and how to log in.
fn login_command(program: &str) -> (&'static [&'static str], &'static str) {
    match program {
        "aws" => (
            &["sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
            "aws configure (or aws sso login, or set AWS_PROFILE)",
        ),
        "az" => (
            &["account", "show", "--query", "[user.name, name]", "--output", "tsv"],
            "az login, then az account set --subscription NAME",
        ),
        _ => (
            &["config", "list", "--format", "value(core.account,core.project)"],
            "gcloud auth login, then gcloud config set project PROJECT",
        ),
    }
}

/// Ask every CLI who it is logged in as (in parallel). `Ok` lines say who; errors say how to
/// log in. `aws_region`: a region of the plan, since STS needs one and the steps pass theirs.
pub fn logins(
    tools: &BTreeMap<String, Tool>,
    env: &[(String, String)],
    aws_region: Option<&str>,
) -> Result<Vec<String>, Vec<String>> {
    let results: Vec<(String, Outcome, &str)> = std::thread::scope(|s| {
        let handles: Vec<_> = tools
            .values()
            .map(|t| {
                s.spawn(move || {
                    let (args, how) = login_command(&t.program);
                    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
                    if let (Some(r), "aws") = (aws_region, t.program.as_str()) {
                        args.extend(["--region".to_string(), r.to_string()]);
                    }
                    let call = Call {
                        step: "preflight".into(),
                        program: t.program.clone(),
                        exe: t.exe.clone(),
                        args: args.clone(),
                        shown: format!("{} {}", t.program, args.join(" ")),
                        files: Vec::new(),
                    };
                    (t.program.clone(), run(&call, env, &mut |_| {}), how)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for (program, o, how) in results {
        let who = o.stdout.trim().split(['\t', '\n']).map(str::trim).filter(|w| !w.is_empty()).collect::<Vec<_>>();
        let logged_in = o.ok() && !who.is_empty() && !(program == "gcloud" && who.len() < 2);
        if logged_in {
            ok.push(format!("{program} {} as {}", tools[&program].version, who.join(" / ")));
        } else if program == "gcloud" && o.ok() && who.len() == 1 {
            problems.push(format!(
                "gcloud has an account ({}) but no project: run gcloud config set project PROJECT",
                who[0]
            ));
        } else {
            let why = if o.ok() { "no account".to_string() } else { o.reason() };
            problems.push(format!("{program} is not logged in ({why}): run {how}"));
        }
    }
    if problems.is_empty() {
        Ok(ok)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(at_least("2.91.0", "2.50.0"));
        assert!(!at_least("2.9.1", "2.50.0"));
        assert!(at_least("528.0.0", "400.0.0"));
        assert!(at_least("1.45.11", "1.27.0"));
        assert!(!at_least("1.18.0", "1.27.0"));
        assert_eq!(minimum("aws", "2.15.0").map(|m| m.0), Some("2.9.0"));
    }
}
