//! `tunnelsmith`: the command-line face of the engine.
//!
//! Every command returns a [`tunnelsmith::apply::Exit`]; `main` turns it into the process's
//! exit code, the one place that does (0 success, 1 the plan has errors or a step failed or a
//! tunnel is down, 2 unreadable input or bad usage, 130 interrupted; see `Exit`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::run().into()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
    use std::io::{IsTerminal, Read, Write};
    use std::path::{Path, PathBuf};
    use tunnelsmith::apply::{self, Exit};
    use tunnelsmith::check::{analyze, Finding, Severity};
    use tunnelsmith::plan::Plan;
    use tunnelsmith::render::{render, RenderOptions};
    use tunnelsmith::secrets::Secrets;

    /// Where share links point unless `--base`/`--link-base` or `TUNNELSMITH_URL` say otherwise:
    /// `tunnelsmith link` and the link `generate` stamps on every file use the same.
    const LINK_BASE: &str = "http://127.0.0.1:8080/";

    /// Plan, check and generate site-to-site IPsec VPNs between AWS, Azure, Google Cloud and
    /// self-managed gateways (Libreswan, strongSwan, VyOS).
    ///
    /// A plan is a JSON file (see docs/plan-format.md, or export one from the web app).
    #[derive(Parser)]
    #[command(name = "tunnelsmith", version, about, long_about, max_term_width = 100)]
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
        #[command(verbatim_doc_comment)]
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
        /// Generate every artifact for a plan into a folder: RUNBOOK.md and runbook.html (the
        /// whole procedure), the aws/az/gcloud scripts (one per cloud site, in run order) with
        /// run-order.md and deploy.sh, the teardown scripts, the appliance configs, the
        /// topology diagram, the plan itself (tunnelsmith-plan.json) and secrets.env with one
        /// pre-shared key per tunnel (mode 0600; never inside any script).
        ///
        /// Refuses a plan with errors (run `tunnelsmith check` to see them) and a non-empty
        /// folder, unless --force.
        ///
        /// Examples:
        ///   tunnelsmith generate plan.json --out vpn/
        ///   tunnelsmith generate plan.json --out vpn/ --secrets keys.env
        ///   cd vpn && ./deploy.sh          # or the scripts one by one, as run-order.md says
        ///   tunnelsmith generate plan.json --out vpn/ --link-base https://vpn-tools.example.com/tunnelsmith/
        ///
        /// Every file carries the plan's share link (as `tunnelsmith link` prints it, no keys).
        #[command(verbatim_doc_comment)]
        Generate {
            /// The plan file (JSON); `-` reads standard input.
            plan: PathBuf,
            /// The folder to write into (created if missing).
            #[arg(long, short)]
            out: PathBuf,
            /// Pre-shared keys to use (a secrets.env file); keys it lacks are generated. Without
            /// it every key is generated from the system's random number generator.
            #[arg(long)]
            secrets: Option<PathBuf>,
            /// Generate even if the plan has errors, and write into a non-empty folder
            /// (overwriting files with the same names).
            #[arg(long)]
            force: bool,
            /// The address your team opens Tunnelsmith at, for the share link stamped on every
            /// file (as `tunnelsmith link --base`).
            #[arg(long, env = "TUNNELSMITH_URL", default_value = LINK_BASE)]
            link_base: String,
        },
        /// Print the share link of a plan: the whole plan in the URL fragment (never sent to a
        /// server), without any pre-shared key. Send secrets.env by another channel.
        ///
        /// Examples:
        ///   tunnelsmith link plan.json
        ///   tunnelsmith link plan.json --base https://vpn-tools.example.com/tunnelsmith/
        #[command(verbatim_doc_comment)]
        Link {
            /// The plan file (JSON); `-` reads standard input.
            plan: PathBuf,
            /// The address your team opens Tunnelsmith at; the link is this plus `#p=…`.
            #[arg(long, env = "TUNNELSMITH_URL", default_value = LINK_BASE)]
            base: String,
        },
        /// Turn a share link (or just its `#p=…` part) back into a plan file.
        ///
        /// Examples:
        ///   tunnelsmith open 'https://vpn-tools.example.com/tunnelsmith/#p=1.AR2M…' --out plan.json
        ///   tunnelsmith open '#p=1.AR2M…' | tunnelsmith check -
        #[command(verbatim_doc_comment)]
        Open {
            /// The link, the fragment, or `-` to read it from standard input.
            link: String,
            /// Write the plan here instead of standard output; an existing file is kept unless
            /// --force.
            #[arg(long, short)]
            out: Option<PathBuf>,
            /// Overwrite --out if it exists.
            #[arg(long)]
            force: bool,
        },
        /// Show what `apply` would do. Before the first apply: every cloud step of the plan
        /// grouped by phase (the run order of the scripts), what each creates, which must be
        /// checked against the cloud first (they were running or failed), the waits, and the
        /// estimated time. Once applied: the difference per resource between the plan, what
        /// apply made and what the clouds hold now (+ create, ~ update in place with each
        /// attribute old → new, -/+ replace and why, - destroy), drift made outside Tunnelsmith,
        /// the tunnels that drop and whether a redundant sibling carries traffic, and a summary.
        /// Changes nothing; once applied it reads the clouds (describe/show only).
        ///
        /// Examples:
        ///   tunnelsmith plan vpn/tunnelsmith-plan.json
        ///   tunnelsmith plan plan.json --state ~/vpn-state --format json | jq '.to_run'
        #[command(verbatim_doc_comment)]
        Plan {
            /// The plan file (JSON).
            plan: PathBuf,
            #[command(flatten)]
            run: RunArgs,
            /// Output format: `text` for people, `json` for programs.
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Run the plan against the real clouds with the aws, az and gcloud CLIs: the same steps
        /// the generated scripts run, argv directly (never through a shell), values captured on
        /// one cloud fed to the next, independent steps in parallel.
        ///
        /// First it checks the plan (refusing one with errors), finds the CLIs the plan needs
        /// and checks their versions and logins, shows what it will do and asks (unless --yes).
        /// It writes the state after every step (STATE/state.json), logs every command with the
        /// keys redacted (STATE/apply.log) and holds a lock so that two applies cannot run on one
        /// state. Interrupted or failed, it resumes: steps that were running are checked against
        /// the cloud first, so nothing is created twice. Ctrl-C lets running commands finish;
        /// Ctrl-C again stops them.
        ///
        /// Appliances: with --ssh SITE=USER@HOST it copies the site's configs to the host and
        /// runs its install script over OpenSSH; otherwise it prints the exact commands.
        ///
        /// Examples:
        ///   tunnelsmith apply vpn/tunnelsmith-plan.json
        ///   tunnelsmith apply plan.json --secrets keys.env --jobs 8 --yes
        ///   tunnelsmith apply plan.json --ssh onprem=admin@198.51.100.7
        ///   tunnelsmith apply plan.json --dry-run     # the commands, nothing runs
        #[command(verbatim_doc_comment)]
        Apply {
            /// The plan file (JSON).
            plan: PathBuf,
            #[command(flatten)]
            run: RunArgs,
            /// The pre-shared keys (default: secrets.env beside the plan).
            #[arg(long)]
            secrets: Option<PathBuf>,
            /// Do not ask before changing anything.
            #[arg(long, short)]
            yes: bool,
            /// Print the commands in run order, keys hidden, and run nothing.
            #[arg(long)]
            dry_run: bool,
            /// An appliance site's host for OpenSSH, SITE=USER@HOST (repeatable).
            #[arg(long, value_name = "SITE=USER@HOST", value_parser = parse_ssh)]
            ssh: Vec<(String, String)>,
        },
        /// Show every tunnel of the plan from the clouds' own status commands: IKE/IPsec state,
        /// BGP session and routes received, a table per link. Exit code 0 when every tunnel is
        /// up, 1 when one is not.
        ///
        /// Examples:
        ///   tunnelsmith status vpn/tunnelsmith-plan.json
        ///   until tunnelsmith status plan.json >/dev/null; do sleep 60; done
        #[command(verbatim_doc_comment)]
        Status {
            /// The plan file (JSON).
            plan: PathBuf,
            #[command(flatten)]
            run: RunArgs,
            /// Output format: `text` for people, `json` for programs.
            #[arg(long, value_enum, default_value_t = Format::Text)]
            format: Format,
        },
        /// Delete what apply created for this plan, and nothing else: only the resources the
        /// state records, newest first along the dependencies (a connection before its gateway,
        /// the gateway before its network). Resumable like apply; a resource already gone counts
        /// as deleted. Asks first unless --yes.
        ///
        /// Examples:
        ///   tunnelsmith destroy vpn/tunnelsmith-plan.json
        ///   tunnelsmith destroy plan.json --state ~/vpn-state --yes
        #[command(verbatim_doc_comment)]
        Destroy {
            /// The plan file (JSON).
            plan: PathBuf,
            #[command(flatten)]
            run: RunArgs,
            /// Do not ask before deleting.
            #[arg(long, short)]
            yes: bool,
        },
        /// Give every tunnel (or the ones named) a new pre-shared key on both ends, one tunnel
        /// at a time, so the other tunnels of a redundant link carry traffic meanwhile. The new
        /// key is written to the secrets file beside the old one before any end changes, and
        /// replaces it only once both ends have it: a crash never leaves a tunnel whose key
        /// nobody has; run it again to finish. AWS and Azure change keys in place; a Google Cloud
        /// tunnel (whose secret cannot change) is made again with the new key.
        ///
        /// Examples:
        ///   tunnelsmith rotate-keys vpn/tunnelsmith-plan.json
        ///   tunnelsmith rotate-keys plan.json --tunnel aws-azure-t1 --tunnel aws-azure-t2 --yes
        #[command(verbatim_doc_comment)]
        RotateKeys {
            /// The plan file (JSON).
            plan: PathBuf,
            #[command(flatten)]
            run: RunArgs,
            /// The pre-shared keys (default: secrets.env beside the plan).
            #[arg(long)]
            secrets: Option<PathBuf>,
            /// Only this tunnel (repeatable), e.g. aws-azure-t1.
            #[arg(long = "tunnel", value_name = "NAME")]
            tunnels: Vec<String>,
            /// Do not ask first.
            #[arg(long, short)]
            yes: bool,
        },
    }

    /// Where the state lives and how much runs at once.
    #[derive(clap::Args)]
    struct RunArgs {
        /// The state folder (default: PLAN's name with .state, beside it: plan.json → plan.state/).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// How many cloud commands run at once.
        #[arg(long, short, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: u16,
    }

    fn parse_ssh(s: &str) -> Result<(String, String), String> {
        match s.split_once('=') {
            Some((site, target)) if !site.is_empty() && !target.is_empty() && !target.starts_with('-') => {
                Ok((site.to_string(), target.to_string()))
            }
            _ => Err(format!("expected SITE=USER@HOST, got '{s}'")),
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
    enum Format {
        Text,
        Json,
    }

    pub fn run() -> Exit {
        // The "Exit codes:" section of --help comes from the enum that makes them.
        let parsed = Cli::command().after_help(Exit::help()).try_get_matches().and_then(|m| Cli::from_arg_matches(&m));
        let cli = match parsed {
            Ok(c) => c,
            Err(e) => {
                let code = if e.use_stderr() { Exit::Usage } else { Exit::Ok };
                let _ = e.print();
                return code;
            }
        };
        match cli.command {
            Command::Check { plan, format, quiet } => check(&plan, format, quiet),
            Command::Generate { plan, out, secrets, force, link_base } => {
                generate(&plan, &out, secrets.as_deref(), force, &link_base)
            }
            Command::Link { plan, base } => link(&plan, &base),
            Command::Open { link, out, force } => open(&link, out.as_deref(), force),
            Command::Plan { plan, run, format } => {
                executor(&plan, run, |o| o.json = format == Format::Json, apply::plan)
            }
            Command::Apply { plan, run, secrets, yes, dry_run, ssh } => executor(
                &plan,
                run,
                |o| {
                    o.secrets = secrets;
                    o.yes = yes;
                    o.dry_run = dry_run;
                    o.ssh = ssh;
                },
                apply::apply,
            ),
            Command::Status { plan, run, format } => {
                executor(&plan, run, |o| o.json = format == Format::Json, apply::status)
            }
            Command::Destroy { plan, run, yes } => executor(&plan, run, |o| o.yes = yes, apply::destroy),
            Command::RotateKeys { plan, run, secrets, tunnels, yes } => executor(
                &plan,
                run,
                |o| {
                    o.secrets = secrets;
                    o.tunnels = tunnels;
                    o.yes = yes;
                },
                apply::rotate_keys,
            ),
        }
    }

    /// Load the plan and run one of the executor's commands.
    fn executor(
        path: &PathBuf,
        run: RunArgs,
        set: impl FnOnce(&mut apply::Options),
        command: fn(Plan, &apply::Options) -> Exit,
    ) -> Exit {
        if path.as_os_str() == "-" && run.state.is_none() {
            eprintln!(
                "tunnelsmith: a plan read from standard input needs --state DIR (the state lives beside a plan file)"
            );
            return Exit::Usage;
        }
        let plan = match load(path) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let mut o = apply::Options {
            plan_path: path.clone(),
            state: run.state,
            jobs: usize::from(run.jobs),
            ..Default::default()
        };
        set(&mut o);
        command(plan, &o)
    }

    fn link(path: &PathBuf, base: &str) -> Exit {
        let plan = match load(path) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let url = tunnelsmith::share::link(base, &plan);
        println!("{url}");
        if url.len() > tunnelsmith::share::LONG_LINK {
            eprintln!(
                "tunnelsmith: the link is {} characters long; some chat tools cut long links, so send the plan file too",
                url.len()
            );
        }
        Exit::Ok
    }

    fn open(link: &str, out: Option<&std::path::Path>, force: bool) -> Exit {
        let mut text = link.to_string();
        if link == "-" {
            text.clear();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("tunnelsmith: cannot read the link from standard input: {e}");
                return Exit::Usage;
            }
        }
        let shared = match tunnelsmith::share::decode(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("tunnelsmith: {e}");
                return Exit::Usage;
            }
        };
        let kb = tunnelsmith::kb::KB_DATE;
        if shared.kb_date.as_str() < kb {
            let changes: Vec<&str> = tunnelsmith::kb::changes_since(&shared.kb_date).map(|c| c.what).collect();
            if changes.is_empty() {
                eprintln!("tunnelsmith: the link was made with knowledge base {}; nothing that changes checks or output has changed since", shared.kb_date);
            } else {
                eprintln!(
                    "tunnelsmith: the link was made with knowledge base {}; since then (now {kb}):",
                    shared.kb_date
                );
                for c in changes {
                    eprintln!("  - {c}");
                }
            }
        } else if shared.kb_date.as_str() > kb {
            eprintln!(
                "tunnelsmith: the link was made with a newer knowledge base ({}) than this Tunnelsmith's ({kb}); consider updating",
                shared.kb_date
            );
        }
        let json = shared.plan.to_json_pretty();
        match out {
            None => print!("{json}"),
            Some(p) => {
                if p.exists() && !force {
                    eprintln!("tunnelsmith: {} exists; use --force to overwrite it", p.display());
                    return Exit::Usage;
                }
                if let Err(e) = std::fs::write(p, &json) {
                    eprintln!("tunnelsmith: cannot write {}: {e}", p.display());
                    return Exit::Usage;
                }
                eprintln!("tunnelsmith: wrote plan '{}' to {}", shared.plan.name, p.display());
            }
        }
        let errors = tunnelsmith::check::check(&shared.plan).iter().filter(|f| f.is_error()).count();
        if errors > 0 {
            eprintln!("tunnelsmith: the plan has {errors} error(s), kept as they were shared; run `tunnelsmith check` to see them");
        }
        eprintln!("tunnelsmith: links carry no pre-shared keys: use the secrets.env you were sent, or let `generate` make new ones");
        Exit::Ok
    }

    /// Read and parse a plan, or print why not and return `Exit::Usage`.
    fn load(path: &PathBuf) -> Result<Plan, Exit> {
        let shown = path.display();
        let mut text = String::new();
        let read = if path.as_os_str() == "-" {
            std::io::stdin().read_to_string(&mut text).map(|_| ())
        } else {
            std::fs::read_to_string(path).map(|t| text = t)
        };
        if let Err(e) = read {
            eprintln!("tunnelsmith: cannot read {shown}: {e}");
            return Err(Exit::Usage);
        }
        Plan::from_json(&text).map_err(|e| {
            eprintln!("tunnelsmith: {shown}: {e}");
            Exit::Usage
        })
    }

    fn check(path: &PathBuf, format: Format, quiet: bool) -> Exit {
        let plan = match load(path) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let a = analyze(&plan);
        let code = if a.has_errors() { Exit::Failed } else { Exit::Ok };
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
            return Exit::Usage;
        }
        code
    }

    fn generate(path: &PathBuf, dir: &Path, secrets_file: Option<&Path>, force: bool, link_base: &str) -> Exit {
        let plan = match load(path) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let a = analyze(&plan);
        if a.has_errors() && !force {
            eprintln!(
                "tunnelsmith: {} has {} error{}; nothing was written. Run `tunnelsmith check {}` to see them, or use --force.",
                path.display(),
                a.errors(),
                if a.errors() == 1 { "" } else { "s" },
                path.display()
            );
            return Exit::Failed;
        }
        let non_empty = std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false);
        if non_empty && !force {
            eprintln!(
                "tunnelsmith: {} is not empty; choose a new folder or use --force to write into it",
                dir.display()
            );
            return Exit::Usage;
        }
        let mut secrets = match secrets_file {
            None => Secrets::default(),
            Some(f) => {
                match std::fs::read_to_string(f).map_err(|e| e.to_string()).and_then(|t| Secrets::from_env(&t)) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("tunnelsmith: cannot read secrets from {}: {e}", f.display());
                        return Exit::Usage;
                    }
                }
            }
        };
        let mut failed = None;
        secrets.fill_missing(&a.resolved, &mut |buf: &mut [u8]| {
            if let Err(e) = getrandom::fill(buf) {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            eprintln!("tunnelsmith: the system's random number generator failed: {e}");
            return Exit::Usage;
        }
        let problems: Vec<_> = tunnelsmith::secrets::check(&a.resolved, &secrets);
        if !problems.is_empty() && !force {
            for f in &problems {
                eprintln!("tunnelsmith: {} {}: {} (fix: {})", f.code, f.path, f.message, f.fix);
            }
            return Exit::Failed;
        }
        let share_link = Some(tunnelsmith::share::link(link_base, &plan));
        let artifacts = render(&a.resolved, &RenderOptions { share_link, traffic: None });
        let result = (|| -> std::io::Result<usize> {
            std::fs::create_dir_all(dir)?;
            let mut n = 0;
            for art in &artifacts {
                let f = dir.join(&art.path);
                if let Some(parent) = f.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&f, &art.text)?;
                set_mode(&f, if art.executable { 0o755 } else { 0o644 })?;
                n += 1;
            }
            std::fs::write(dir.join("tunnelsmith-plan.json"), plan.to_json_pretty())?;
            let sf = dir.join("secrets.env");
            // Created private before the keys go in.
            let _ = std::fs::remove_file(&sf);
            write_private(&sf, &secrets.to_env())?;
            // Each appliance's own keys, beside its install script.
            let hosts = tunnelsmith::bundle::host_secrets(&plan, &secrets);
            for f in &hosts {
                let p = dir.join(&f.path);
                let _ = std::fs::remove_file(&p);
                write_private(&p, &f.text)?;
            }
            Ok(n + 2 + hosts.len())
        })();
        match result {
            Ok(n) => {
                println!(
                    "{}: wrote {n} files to {} (secrets.env is private, mode 0600; never share it). Next: read {}/RUNBOOK.md",
                    plan.name,
                    dir.display(),
                    dir.display()
                );
                if a.has_errors() {
                    eprintln!("tunnelsmith: warning: the plan has errors (--force); the files may not work");
                }
                Exit::Ok
            }
            Err(e) => {
                eprintln!("tunnelsmith: cannot write to {}: {e}", dir.display());
                Exit::Usage
            }
        }
    }

    #[cfg(unix)]
    fn set_mode(f: &Path, mode: u32) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(mode))
    }

    #[cfg(not(unix))]
    fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(unix)]
    fn write_private(f: &Path, text: &str) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(f)?;
        file.write_all(text.as_bytes())
    }

    #[cfg(not(unix))]
    fn write_private(f: &Path, text: &str) -> std::io::Result<()> {
        std::fs::write(f, text)
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
