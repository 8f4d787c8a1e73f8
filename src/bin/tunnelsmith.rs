//! `tunnelsmith`: the command-line face of the engine.
//!
//! Exit codes are stable: 0 success (no errors in the plan), 1 the plan has errors,
//! 2 unreadable input or wrong usage.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run());
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Parser, Subcommand, ValueEnum};
    use std::io::{IsTerminal, Read, Write};
    use std::path::PathBuf;
    use tunnelsmith::check::{analyze, Finding, Severity};
    use tunnelsmith::plan::Plan;

    /// Plan, check and generate site-to-site IPsec VPNs between AWS, Azure, Google Cloud and
    /// self-managed gateways (Libreswan, strongSwan, VyOS).
    ///
    /// A plan is a JSON file (see docs/plan-format.md, or export one from the web app).
    #[derive(Parser)]
    #[command(
        name = "tunnelsmith",
        version,
        about,
        long_about,
        max_term_width = 100,
        after_help = "Exit codes:\n  0  success; the plan has no errors\n  1  the plan has errors\n  2  unreadable input or bad usage"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Check a plan: overlapping CIDRs, IKE compatibility, ASNs, inside /30s and every
        /// platform limit, each finding with the field it is about, the fix and its source.
        ///
        /// Examples:
        ///   tunnelsmith check tunnelsmith-plan.json
        ///   tunnelsmith check --format json plan.json | jq '.findings[] | select(.severity=="error")'
        ///   cat plan.json | tunnelsmith check -
        Check {
            /// The plan file (JSON); `-` reads standard input.
            plan: PathBuf,
            /// Output format: `text` for people, `json` for programs.
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
            /// Hide informational findings (chosen crypto profile, MTU) in text output.
            #[arg(long, short)]
            quiet: bool,
        },
    }

    #[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
    enum Format {
        Text,
        Json,
    }

    pub fn run() -> i32 {
        let cli = match Cli::try_parse() {
            Ok(c) => c,
            Err(e) => {
                let code = if e.use_stderr() { 2 } else { 0 };
                let _ = e.print();
                return code;
            }
        };
        match cli.command {
            Command::Check { plan, format, quiet } => check(&plan, format, quiet),
        }
    }

    /// Read and parse a plan, or print why not and return exit code 2.
    fn load(path: &PathBuf) -> Result<Plan, i32> {
        let shown = path.display();
        let mut text = String::new();
        let read = if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text).map(|_| ())
        } else {
            std::fs::read_to_string(path).map(|t| text = t)
        };
        if let Err(e) = read {
            eprintln!("tunnelsmith: cannot read {shown}: {e}");
            return Err(2);
        }
        Plan::from_json(&text).map_err(|e| {
            eprintln!("tunnelsmith: {shown}: {e}");
            2
        })
    }

    fn check(path: &PathBuf, format: Format, quiet: bool) -> i32 {
        let plan = match load(path) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let a = analyze(&plan);
        let code = if a.has_errors() { 1 } else { 0 };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let result = match format {
            Format::Json => {
                let doc = serde_json::json!({
                    "plan": plan.name,
                    "kb_date": tunnelsmith::kb::KB_DATE,
                    "tool_version": tunnelsmith::VERSION,
                    "errors": a.errors(),
                    "warnings": a.warnings(),
                    "findings": a.findings,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())
            }
            Format::Text => {
                let colour =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                write_text(&mut out, &plan, &a.findings, quiet, colour)
            }
        };
        if result.is_err() {
            return 2;
        }
        code
    }

    fn write_text(
        out: &mut impl Write,
        plan: &Plan,
        findings: &[Finding],
        quiet: bool,
        colour: bool,
    ) -> std::io::Result<()> {
        let paint = |s: &str, code: &str| if colour { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
        let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
        let (e, w, i) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
        for sev in [Severity::Error, Severity::Warning, Severity::Info] {
            if quiet && sev == Severity::Info {
                continue;
            }
            let group: Vec<&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
            if group.is_empty() {
                continue;
            }
            let (title, code) = match sev {
                Severity::Error => ("errors", "1;31"),
                Severity::Warning => ("warnings", "1;33"),
                Severity::Info => ("info", "1;36"),
            };
            writeln!(out, "{}", paint(&format!("{title} ({})", group.len()), code))?;
            for f in group {
                writeln!(out, "  {} {}", paint(f.code, code), f.path)?;
                writeln!(out, "    {}", f.message)?;
                if !f.fix.is_empty() {
                    writeln!(out, "    fix: {}", f.fix)?;
                }
                if !f.source.is_empty() {
                    writeln!(out, "    source: {}", f.source)?;
                }
            }
            writeln!(out)?;
        }
        let verdict = if e == 0 { paint("ok", "1;32") } else { paint("not ready", "1;31") };
        writeln!(
            out,
            "{}: {verdict}: {e} error{}, {w} warning{}, {i} info (knowledge base {})",
            plan.name,
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" },
            tunnelsmith::kb::KB_DATE
        )
    }
}
