//! Before anything changes: the cloud CLIs the plan needs are on `PATH`, recent enough, and
//! logged in. Every problem is reported at once, each with the command that fixes it.

use super::run::{run, Call, Outcome};
use crate::kb::clis::{Cli, Program};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// The version a CLI reports, read from its own version command (`kb::clis`).
fn version_of(cli: &Cli, exe: &Path, env: &[(String, String)]) -> Result<String, String> {
    let args = cli.version_args;
    let call = Call {
        step: "preflight".into(),
        program: cli.command.into(),
        exe: exe.to_path_buf(),
        args: args.iter().map(|s| s.to_string()).collect(),
        shown: format!("{} {}", cli.command, args.join(" ")),
        files: Vec::new(),
    };
    let o = run(&call, env, &mut |_| {});
    if !o.ok() {
        return Err(format!("`{}` failed: {}", call.shown, o.reason()));
    }
    let text = format!("{}{}", o.stdout, o.stderr);
    cli.read_version(&o.stdout, &text)
        .ok_or_else(|| format!("cannot read the version from `{}`: {}", call.shown, text.trim()))
}

/// Find each program, read its version and check it against its minimum (`kb::clis`); all
/// problems at once.
pub fn find(programs: &[Program], env: &[(String, String)]) -> Result<BTreeMap<String, Tool>, Vec<String>> {
    let mut tools = BTreeMap::new();
    let mut problems = Vec::new();
    type Found = (Program, Option<PathBuf>, Option<Result<String, String>>);
    let results: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .map(|p| {
                s.spawn(move || {
                    let exe = which(p.command());
                    let v = exe.as_ref().map(|e| version_of(p.cli(), e, env));
                    (*p, exe, v)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (p, exe, v) in results {
        let (cli, program) = (p.cli(), p.command());
        let how = cli.install;
        match (exe, v) {
            (None, _) => problems.push(format!("{program} is not on PATH; the plan needs it. Install {how}.")),
            (Some(exe), Some(Ok(version))) => {
                let min = cli.minimum_for(&version);
                if at_least(&version, min) {
                    tools.insert(program.to_string(), Tool { program: program.to_string(), exe, version });
                } else {
                    problems.push(format!(
                        "{program} {version} ({}) is too old: the commands need {min} or later. Update to {how}.",
                        exe.display()
                    ));
                }
            }
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

/// Ask every CLI who it is logged in as (in parallel). `Ok` lines say who; errors say how to
/// log in. `aws_region`: a region of the plan, since STS needs one and the steps pass theirs.
pub fn logins(
    tools: &BTreeMap<String, Tool>,
    env: &[(String, String)],
    aws_region: Option<&str>,
) -> Result<Vec<String>, Vec<String>> {
    let results: Vec<(String, Outcome, &Cli)> = std::thread::scope(|s| {
        let handles: Vec<_> = tools
            .values()
            .filter_map(|t| Some((t, Program::from_command(&t.program)?.cli())))
            .map(|(t, cli)| {
                s.spawn(move || {
                    let mut args: Vec<String> = cli.login_args.iter().map(|s| s.to_string()).collect();
                    // STS needs a region, and the steps pass theirs.
                    if let (Some(r), Program::Aws) = (aws_region, cli.program) {
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
                    (t.program.clone(), run(&call, env, &mut |_| {}), cli)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for (program, o, cli) in results {
        let (need, how, lacks) = (cli.login_words, cli.login_how, cli.login_incomplete);
        let who = o.stdout.trim().split(['\t', '\n']).map(str::trim).filter(|w| !w.is_empty()).collect::<Vec<_>>();
        let logged_in = o.ok() && !who.is_empty() && who.len() >= need;
        if logged_in {
            ok.push(format!("{program} {} as {}", tools[&program].version, who.join(" / ")));
        } else if o.ok() && !who.is_empty() {
            problems.push(format!("{program} has an account ({}) {lacks}", who[0]));
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
    }
}
