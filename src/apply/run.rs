//! Running one command: argv straight to the program (never through a shell), in its own
//! process group, standard input closed; its exit, output and duration; what its failure
//! means (not found, throttled, busy, or a real error); redaction and the command log.

use super::private::PrivateFile;
use crate::kb::clis::{Program, THROTTLED};
use crate::steps::Arg;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One command to run.
#[derive(Debug, Clone)]
pub struct Call {
    /// The step (or task) it belongs to, passed to the program as `TUNNELSMITH_STEP`.
    pub step: String,
    /// `aws`, `az`, `gcloud`, `ssh`, `scp`.
    pub program: String,
    pub exe: PathBuf,
    /// Arguments with every value filled in (may hold a key: never print these).
    pub args: Vec<String>,
    /// The command line for people and logs: keys shown as `${PSK_…}`.
    pub shown: String,
    /// Private files the arguments name (keys), removed when the last copy of the call goes.
    pub files: Vec<Arc<PrivateFile>>,
}

/// How a command ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// The trimmed standard output, if it is a value (`None`, `null` and nothing are not).
    pub fn value(&self) -> Option<String> {
        let v = self.stdout.trim();
        (!matches!(v, "" | "None" | "null")).then(|| v.to_string())
    }

    /// The last meaningful line of standard error, for a one-line message.
    pub fn reason(&self) -> String {
        let err = self.stderr.trim();
        let line = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        match (line.is_empty(), self.code) {
            (false, _) => line.to_string(),
            (true, Some(c)) => format!("exit code {c}, no message"),
            (true, None) => "ended by a signal".to_string(),
        }
    }
}

/// What a failed command means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Ok,
    /// The thing it names does not exist.
    NotFound,
    /// The cloud asked us to slow down: retry after a back-off.
    Throttled,
    /// The resource is busy with another operation or still settling: retry after a while.
    Busy,
    Failed,
}

/// Classify an outcome by the program's own error codes and messages (`kb::clis`).
pub fn classify(program: &str, o: &Outcome) -> Class {
    if o.ok() {
        return Class::Ok;
    }
    let e = &o.stderr;
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    if has(THROTTLED) {
        return Class::Throttled;
    }
    let Some(cli) = Program::from_command(program).map(Program::cli) else { return Class::Failed };
    if cli.not_found_exit.is_some_and(|c| o.code == Some(c)) || has(cli.not_found) {
        Class::NotFound
    } else if has(cli.busy) {
        Class::Busy
    } else {
        Class::Failed
    }
}

/// Replaces every secret value in text with `***`.
#[derive(Debug, Default, Clone)]
pub struct Redact {
    secrets: Vec<String>,
}

impl Redact {
    pub fn new<'a>(values: impl Iterator<Item = &'a str>) -> Redact {
        let mut secrets: Vec<String> = values.filter(|v| v.len() >= 4).map(String::from).collect();
        // Longest first, so a key that contains another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redact { secrets }
    }

    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for v in &self.secrets {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }
}

/// An argument for the child, with outputs and keys filled in. An argument that goes as a
/// file ([`Part::FileOf`]) is written to a new private file, kept in `files` until the command
/// has run, and passed as its scheme and path.
pub fn fill(a: &Arg, values: &BTreeMap<String, String>, files: &mut Vec<Arc<PrivateFile>>) -> std::io::Result<String> {
    let value = a.fill(values);
    let Some(scheme) = a.file_scheme() else { return Ok(value) };
    let f = PrivateFile::new(&value)?;
    let arg = format!("{scheme}{}", f.path().display());
    files.push(Arc::new(f));
    Ok(arg)
}

/// An argument for people: keys stay `${NAME}`, outputs are filled in where known.
/// An argument that goes as a file shows as `SCHEME<file: VALUE>`.
pub fn show(a: &Arg, values: &BTreeMap<String, String>) -> String {
    crate::steps::update::shown(a, values)
}

/// A command line as one string, each word quoted for a POSIX shell when it needs it.
pub fn line(words: impl IntoIterator<Item = String>) -> String {
    words.into_iter().map(|w| crate::render::cloud::sh_quote(&w)).collect::<Vec<_>>().join(" ")
}

/// Spawn `call`, report its process id through `on_pid`, wait for it.
pub fn run(call: &Call, env: &[(String, String)], on_pid: &mut dyn FnMut(u32)) -> Outcome {
    use std::os::unix::process::CommandExt;
    let t0 = Instant::now();
    let mut cmd = Command::new(&call.exe);
    cmd.args(&call.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("TUNNELSMITH_STEP", &call.step)
        // Its own process group: Ctrl-C on the terminal reaches only tunnelsmith, which lets
        // running commands finish (or stops them on a second Ctrl-C).
        .process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                code: Some(127),
                stdout: String::new(),
                stderr: format!("cannot run {}: {e}", call.exe.display()),
                secs: t0.elapsed().as_secs_f64(),
            }
        }
    };
    on_pid(child.id());
    match child.wait_with_output() {
        Ok(o) => Outcome {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            secs: t0.elapsed().as_secs_f64(),
        },
        Err(e) => Outcome {
            code: None,
            stdout: String::new(),
            stderr: format!("lost {}: {e}", call.program),
            secs: t0.elapsed().as_secs_f64(),
        },
    }
}

/// The command log (`apply.log` in the state folder): every command, its exit, its output,
/// redacted; appended, one line per event.
#[derive(Debug)]
pub struct Log {
    file: Mutex<Option<File>>,
    redact: Redact,
}

impl Log {
    pub fn open(path: &Path, redact: Redact) -> std::io::Result<Log> {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Log { file: Mutex::new(Some(f)), redact })
    }

    /// A log that writes nothing (dry runs).
    pub fn none(redact: Redact) -> Log {
        Log { file: Mutex::new(None), redact }
    }

    pub fn redact(&self) -> &Redact {
        &self.redact
    }

    pub fn write(&self, task: &str, what: &str) {
        let text = self.redact.text(what);
        let mut g = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = g.as_mut() {
            for (i, l) in text.lines().enumerate() {
                let _ = writeln!(f, "{} {task} {}{l}", super::time::now(), if i == 0 { "" } else { "  | " });
            }
            let _ = f.flush();
        }
    }

    /// Log a finished command.
    pub fn outcome(&self, call: &Call, o: &Outcome) {
        let code = o.code.map(|c| c.to_string()).unwrap_or_else(|| "signal".into());
        let mut s = format!("exit {code} after {:.3}s", o.secs);
        if !o.stdout.trim().is_empty() {
            s.push_str(&format!("\nstdout: {}", o.stdout.trim()));
        }
        if !o.stderr.trim().is_empty() {
            s.push_str(&format!("\nstderr: {}", o.stderr.trim()));
        }
        self.write(&call.step, &s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stderr: &str) -> Outcome {
        Outcome { code: Some(code), stderr: stderr.into(), ..Outcome::default() }
    }

    #[test]
    fn failures_are_read_by_each_cli_s_own_words() {
        let nf = "An error occurred (InvalidVpcID.NotFound) when calling the DeleteVpc operation: The vpc ID 'vpc-1' does not exist";
        assert_eq!(classify("aws", &out(254, nf)), Class::NotFound);
        assert_eq!(
            classify("aws", &out(254, "An error occurred (RequestLimitExceeded) when calling ...")),
            Class::Throttled
        );
        assert_eq!(classify("aws", &out(254, "An error occurred (DependencyViolation) ...")), Class::Busy);
        assert_eq!(classify("aws", &out(254, "An error occurred (InvalidParameterValue) ...")), Class::Failed);
        assert_eq!(classify("az", &out(3, "(ResourceNotFound) The Resource ... was not found")), Class::NotFound);
        assert_eq!(classify("az", &out(1, "(AnotherOperationInProgress) Another operation ...")), Class::Busy);
        assert_eq!(
            classify("gcloud", &out(1, "ERROR: (gcloud.compute.networks.delete) Could not fetch resource:\n - The resource 'projects/p/global/networks/n' was not found")),
            Class::NotFound
        );
        assert_eq!(classify("gcloud", &out(1, "Quota exceeded ... rateLimitExceeded")), Class::Throttled);
        assert_eq!(
            classify("gcloud", &out(1, "ERROR: (gcloud.compute.routers.remove-bgp-peer) peer `p-bgp` not found")),
            Class::NotFound
        );
        assert_eq!(classify("aws", &out(0, "")), Class::Ok);
    }

    #[test]
    fn redaction_hides_every_key_even_inside_other_text() {
        let r = Redact::new(["s3cretKEY", "s3cretKEYlonger", "ab"].into_iter());
        assert_eq!(r.text("a s3cretKEYlonger b s3cretKEY c ab"), "a *** b *** c ab");
    }

    #[test]
    fn values_exclude_what_the_clis_print_for_nothing() {
        let o = |s: &str| Outcome { code: Some(0), stdout: s.into(), ..Outcome::default() };
        assert_eq!(o("vpc-1\n").value().as_deref(), Some("vpc-1"));
        assert_eq!(o("None\n").value(), None);
        assert_eq!(o("  ").value(), None);
    }
}
