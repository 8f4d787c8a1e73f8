//! The cloud CLIs the steps run, as one table keyed by [`Program`]: how to read each one's
//! version and the oldest that takes every command the steps use, how to ask who it is logged
//! in as (and how to log in), how long one of its commands typically takes, and which words in
//! its errors mean "not found", "busy, retry" or "slow down". `apply` asks this table; it does
//! not match CLI names itself. Adding a cloud is a row here (and a `Program` variant, which makes
//! the compiler list the rest).

use super::{src, Src};
use serde::Serialize;

/// The command-line tool a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Program {
    Aws,
    Az,
    Gcloud,
}

/// Where a CLI's version command puts the version.
#[derive(Debug, Clone, Copy)]
pub enum VersionIn {
    /// The first word of the text, after this prefix (`aws-cli/1.45.11 Python/3.11 …`).
    FirstWordAfter(&'static str),
    /// This key of the JSON object it prints (`{"azure-cli": "2.91.0", …}`).
    JsonKey(&'static str),
}

/// The facts of one CLI.
#[derive(Debug, Clone, Copy)]
pub struct Cli {
    pub program: Program,
    /// The executable's name.
    pub command: &'static str,
    /// The arguments that print its version, and where the version is in the output.
    pub version_args: &'static [&'static str],
    pub version_in: VersionIn,
    /// The oldest release whose parser takes every command the steps use, per major line: the
    /// first row whose prefix the version starts with applies (`""` matches every version).
    /// Conservative floors: the versions the commands were proven against are newer
    /// (tests/standins/options.json records them).
    pub minimum: &'static [(&'static str, &'static str)],
    /// What to install, for the message that says it is missing or too old.
    pub install: &'static str,
    /// The read-only command that prints who it is logged in as (tab- or line-separated words),
    /// how many words a usable login prints, and the command that logs in.
    pub login_args: &'static [&'static str],
    pub login_words: usize,
    pub login_how: &'static str,
    /// What a login that prints fewer words lacks, and its fix (after "has an account (…)").
    pub login_incomplete: &'static str,
    /// Typical seconds of one of its commands (ordering and estimates only).
    pub typical_secs: f64,
    /// Words in its error output that mean the resource does not exist, and the exit code that
    /// means so on its own (if it has one).
    pub not_found: &'static [&'static str],
    pub not_found_exit: Option<i32>,
    /// Words that mean the resource is busy with another operation or still settling.
    pub busy: &'static [&'static str],
    pub src: Src,
}

/// Words that mean "slow down" on every cloud (AWS `RequestLimitExceeded`/`Throttling`, Azure
/// `TooManyRequests`/429, Google `rateLimitExceeded`/`RATE_LIMIT_EXCEEDED`): retried with back-off.
pub const THROTTLED: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "TooManyRequests",
    "RequestThrottled",
    "rateLimitExceeded",
    "RATE_LIMIT_EXCEEDED",
    "Rate Limit Exceeded",
    "429 Too Many",
];

/// One row per [`Program`], in its order (a test checks it).
pub const CLIS: &[Cli] = &[
    Cli {
        program: Program::Aws,
        command: "aws",
        version_args: &["--version"],
        version_in: VersionIn::FirstWordAfter("aws-cli/"),
        // AWS CLI v2 numbers its own releases; v1 1.27 and v2 2.9 (late 2022) have every VPN
        // tunnel option the steps pass.
        minimum: &[("2.", "2.9.0"), ("", "1.27.0")],
        install: "AWS CLI v1 1.27 or v2 2.9 (pip install awscli, or the AWS installer)",
        login_args: &["sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
        login_words: 1,
        login_how: "aws configure (or aws sso login, or set AWS_PROFILE)",
        login_incomplete: "",
        typical_secs: 2.0,
        // `InvalidVpnConnectionID.NotFound`, `InvalidRoute.NotFound`, …; `Gateway.NotAttached`
        // when detaching what is not attached.
        not_found: &[".NotFound)", "NotFound)", "(Gateway.NotAttached)"],
        not_found_exit: None,
        busy: &["(DependencyViolation)", "(IncorrectState)", "(InvalidState)", "(IncorrectInstanceState)"],
        src: src("[CLI-AWS-ERR]"),
    },
    Cli {
        program: Program::Az,
        command: "az",
        version_args: &["version", "--output", "json"],
        version_in: VersionIn::JsonKey("azure-cli"),
        // The network commands were rebuilt (AAZ) by 2.50 with the arguments used here.
        minimum: &[("", "2.50.0")],
        install: "Azure CLI 2.50 or later (https://learn.microsoft.com/cli/azure/install-azure-cli)",
        login_args: &["account", "show", "--query", "[user.name, name]", "--output", "tsv"],
        login_words: 1,
        login_how: "az login, then az account set --subscription NAME",
        login_incomplete: "",
        typical_secs: 10.0,
        not_found: &["ResourceNotFound", "ResourceGroupNotFound", "(NotFound)"],
        not_found_exit: Some(3),
        busy: &["AnotherOperationInProgress", "InUseSubnetCannotBeDeleted", "RetryableError"],
        src: src("[CLI-AZ-ERR]"),
    },
    Cli {
        program: Program::Gcloud,
        command: "gcloud",
        version_args: &["version", "--format", "json"],
        version_in: VersionIn::JsonKey("Google Cloud SDK"),
        minimum: &[("", "400.0.0")],
        install: "Google Cloud CLI 400 or later (https://cloud.google.com/sdk/docs/install)",
        // An account and a project: the steps name no project of their own.
        login_args: &["config", "list", "--format", "value(core.account,core.project)"],
        login_words: 2,
        login_how: "gcloud auth login, then gcloud config set project PROJECT",
        login_incomplete: "but no project: run gcloud config set project PROJECT",
        typical_secs: 8.0,
        // "peer `x` not found" / "interface `x` not found": routers remove-bgp-peer and
        // remove-interface (googlecloudsdk command_lib PeerNotFoundError, InterfaceNotFoundError).
        not_found: &["was not found", "HTTPError 404", "notFound", "` not found"],
        not_found_exit: None,
        busy: &["resourceNotReady", "is not ready", "resourceInUseByAnotherResource"],
        src: src("[CLI-GCLOUD-ERR] [GCLOUD-RTR]"),
    },
];

impl Program {
    /// Every CLI, in table order.
    pub const ALL: [Program; 3] = [Program::Aws, Program::Az, Program::Gcloud];

    /// This CLI's row of [`CLIS`].
    pub fn cli(self) -> &'static Cli {
        &CLIS[self as usize]
    }

    /// The executable name.
    pub fn command(self) -> &'static str {
        self.cli().command
    }

    /// The program whose executable is `name`.
    pub fn from_command(name: &str) -> Option<Program> {
        CLIS.iter().find(|c| c.command == name).map(|c| c.program)
    }
}

impl Cli {
    /// The oldest release of this CLI that serves, for a CLI that reports `version`.
    pub fn minimum_for(&self, version: &str) -> &'static str {
        self.minimum.iter().find(|(prefix, _)| version.starts_with(prefix)).map(|m| m.1).unwrap_or("0")
    }

    /// The version in the output of [`Cli::version_args`] (`stdout`, and `text`: stdout and stderr).
    pub fn read_version(&self, stdout: &str, text: &str) -> Option<String> {
        match self.version_in {
            VersionIn::FirstWordAfter(prefix) => {
                text.split_whitespace().next().and_then(|w| w.strip_prefix(prefix)).map(String::from)
            }
            VersionIn::JsonKey(key) => serde_json::from_str::<serde_json::Value>(stdout)
                .ok()
                .and_then(|j| j.get(key).and_then(|v| v.as_str()).map(String::from)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_program_in_order() {
        assert_eq!(CLIS.len(), Program::ALL.len());
        for (i, p) in Program::ALL.iter().enumerate() {
            assert_eq!(CLIS[i].program, *p);
            assert_eq!(Program::from_command(p.command()), Some(*p));
        }
        assert_eq!(Program::from_command("terraform"), None);
    }

    #[test]
    fn versions_are_read_where_each_cli_prints_them() {
        let aws = Program::Aws.cli();
        let line = "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11";
        assert_eq!(aws.read_version("", line).as_deref(), Some("1.45.11"));
        assert_eq!(aws.minimum_for("2.15.0"), "2.9.0");
        assert_eq!(aws.minimum_for("1.45.11"), "1.27.0");
        let az = Program::Az.cli();
        assert_eq!(az.read_version(r#"{"azure-cli": "2.91.0", "extensions": {}}"#, "").as_deref(), Some("2.91.0"));
        assert_eq!(az.read_version("not json", "").as_deref(), None);
    }
}
