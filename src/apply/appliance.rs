//! Appliance sites: their configs and install script (rendered by `render::appliance`), copied
//! to the host and run over OpenSSH when `--ssh SITE=USER@HOST` names the host; otherwise the
//! exact commands are printed for the user. Either way the files are written to
//! `<state>/bundle/` with an `outputs.env` holding the values the clouds captured. The keys
//! never go into the state folder: the host receives only its own tunnels' keys, as the
//! `secrets.env` beside its install script (from a private temporary file, or, when the user
//! runs the commands, filtered from the secrets file on the way to `ssh`).

use super::engine::{Cx, End};
use super::private::PrivateFile;
use super::run::{line, Call};
use super::tools::Tool;
use crate::check::Resolved;
use crate::plan::Gateway;
use crate::render::appliance as render_appliance;
use crate::render::{vars, Artifact, RenderOptions};
use crate::steps::Step;
use std::collections::BTreeMap;
use std::path::Path;

/// One appliance site's install, as a task after the cloud steps it needs values from.
#[derive(Debug, Clone)]
pub struct Appliance {
    pub id: String,
    pub title: String,
    pub site: String,
    /// The site's files (paths from the top of the bundle).
    pub files: Vec<Artifact>,
    /// `<site>/<software>/install.sh`.
    pub install: String,
    /// The names of the keys of the host's own tunnels: all it receives.
    pub psk_names: Vec<String>,
    /// Steps whose values the files need, and the site's own cloud steps.
    pub after: Vec<String>,
    /// `USER@HOST` from `--ssh`.
    pub target: Option<String>,
    pub plan: String,
}

/// The appliance tasks of a plan.
pub fn of_plan(r: &Resolved, steps: &[Step], ssh: &[(String, String)]) -> Vec<Appliance> {
    let files = render_appliance::artifacts(r, &RenderOptions::default());
    let keys = render_appliance::secrets_files(r);
    let mut out = Vec::new();
    for (i, s) in r.sites.iter().enumerate() {
        let Gateway::Appliance { software, version, .. } = &s.gateway else { continue };
        let prefix = format!("{}/", s.name);
        let mine: Vec<Artifact> = files.iter().filter(|a| a.path.starts_with(&prefix)).cloned().collect();
        let Some(install) = mine.iter().find(|a| a.path.ends_with("/install.sh")).map(|a| a.path.clone()) else {
            continue;
        };
        let mut needs: Vec<String> = Vec::new();
        for l in r.links.iter().filter(|l| l.a == i || l.b == i) {
            for t in &l.tunnels {
                for e in 0..2 {
                    if let Some(v) = vars::outside_ip(r, l, t, e).var() {
                        needs.push(v.to_string());
                    }
                }
            }
        }
        let mut after: Vec<String> = steps
            .iter()
            .filter(|st| st.site == i || st.capture.as_ref().is_some_and(|c| needs.contains(&c.name)))
            .map(|st| st.id.clone())
            .collect();
        after.dedup();
        out.push(Appliance {
            id: format!("{}/appliance", s.name),
            title: format!("Install the {} {} configuration on the appliance", software.label(), version),
            site: s.name.clone(),
            files: mine,
            psk_names: keys
                .iter()
                .find(|(path, _)| path.starts_with(&prefix))
                .map(|(_, names)| names.clone())
                .unwrap_or_default(),
            install,
            after,
            target: ssh.iter().find(|(site, _)| *site == s.name).map(|(_, t)| t.clone()),
            plan: r.plan_name.clone(),
        });
    }
    out
}

fn remote_dir(a: &Appliance) -> String {
    format!("tunnelsmith-{}", a.plan)
}

/// Where the host's keys go: `secrets.env` beside its install script.
fn remote_secrets(a: &Appliance) -> String {
    let folder = a.install.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    format!("{}/{folder}/{}", remote_dir(a), vars::SECRETS_FILE)
}

fn target(a: &Appliance) -> String {
    a.target.clone().unwrap_or_else(|| "USER@HOST".into())
}

fn ssh(a: &Appliance, cmd: String) -> Vec<String> {
    vec!["ssh".into(), "-o".into(), "BatchMode=yes".into(), target(a), cmd]
}

/// The argv of each command (program first) that installs the appliance; `host_keys` is a
/// file holding only the host's own keys.
fn argvs(a: &Appliance, dir: &Path, host_keys: &Path) -> Vec<Vec<String>> {
    let keys = vec![
        "scp".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        host_keys.display().to_string(),
        format!("{}:{}", target(a), remote_secrets(a)),
    ];
    let [mkdir, copy, install] = steps(a, dir);
    vec![mkdir, copy, keys, install]
}

/// Make the remote folder, copy the site's files and `outputs.env` into it, run the install.
fn steps(a: &Appliance, dir: &Path) -> [Vec<String>; 3] {
    let bundle = dir.join("bundle");
    let rdir = remote_dir(a);
    let install = format!("{rdir}/{}", a.install);
    [
        ssh(a, format!("umask 077 && mkdir -p {}", line([rdir.clone()]))),
        vec![
            "scp".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-r".into(),
            bundle.join(&a.site).display().to_string(),
            bundle.join(vars::OUTPUTS_FILE).display().to_string(),
            format!("{}:{rdir}/", target(a)),
        ],
        ssh(a, format!("if [ \"$(id -u)\" = 0 ]; then bash {0}; else sudo bash {0}; fi", line([install]))),
    ]
}

/// The commands as lines to paste. The host's keys are filtered from the secrets file on the
/// way to `ssh`, so no other key reaches the host and none is written anywhere else.
pub fn commands(a: &Appliance, dir: &Path, secrets: &Path) -> Vec<String> {
    let [mkdir, copy, install] = steps(a, dir).map(line);
    let names: Vec<String> = a.psk_names.iter().map(|n| format!("^{n}=")).collect();
    let mut grep = vec!["grep".to_string()];
    for n in names {
        grep.extend(["-e".into(), n]);
    }
    grep.push(secrets.display().to_string());
    let keys = format!("{} | {}", line(grep), line(ssh(a, format!("umask 077 && cat >{}", line([remote_secrets(a)])))));
    vec![mkdir, copy, keys, install]
}

/// Write the site's files and `outputs.env` under `<dir>/bundle/`.
fn write_bundle(a: &Appliance, dir: &Path, outputs: &BTreeMap<String, String>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bundle = dir.join("bundle");
    for f in &a.files {
        let p = bundle.join(&f.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.text)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(if f.executable { 0o755 } else { 0o644 }))?;
    }
    let mut env = String::from("# Values the cloud steps captured (tunnelsmith apply).\n");
    for (k, v) in outputs {
        env.push_str(&format!("{k}={}\n", line([v.clone()])));
    }
    std::fs::write(bundle.join(vars::OUTPUTS_FILE), env)
}

/// The appliance task, on a worker thread.
pub fn run(
    cx: &Cx,
    a: &Appliance,
    _r: &Resolved,
    dir: &Path,
    outputs: &BTreeMap<String, String>,
    secrets: &Path,
    tools: &BTreeMap<String, Tool>,
) -> End {
    if let Err(e) = write_bundle(a, dir, outputs) {
        return End::Failed(format!("cannot write the appliance files to {}: {e}", dir.join("bundle").display()));
    }
    if a.target.is_none() {
        let mut m = format!(
            "  tunnelsmith logs in to no host unless told: pass --ssh {}=USER@HOST to let it, or run on your side:\n",
            a.site
        );
        for c in commands(a, dir, secrets) {
            m.push_str(&format!("    {c}\n"));
        }
        return End::Manual(m.trim_end().to_string());
    }
    // Only this host's keys, in a private file for the copy (removed when done).
    let keys = std::fs::read_to_string(secrets)
        .map_err(|e| e.to_string())
        .and_then(|t| crate::secrets::Secrets::from_env(&t))
        .and_then(|s| PrivateFile::new(&s.subset(&a.psk_names).to_env()).map_err(|e| e.to_string()));
    let keys = match keys {
        Ok(k) => k,
        Err(e) => return End::Failed(format!("cannot prepare the host's keys from {}: {e}", secrets.display())),
    };
    for argv in argvs(a, dir, keys.path()) {
        let Some(tool) = tools.get(&argv[0]) else { return End::Failed(format!("{} is not available", argv[0])) };
        let call = Call {
            step: a.id.clone(),
            program: argv[0].clone(),
            exe: tool.exe.clone(),
            args: argv[1..].to_vec(),
            shown: line(argv.clone()),
            files: Vec::new(),
        };
        cx.note(call.shown.clone());
        let Some(o) = cx.call(&call) else { return End::Cancelled };
        if !o.ok() {
            return End::Failed(format!("`{}` failed: {}", call.shown, o.reason()));
        }
    }
    End::Done { value: None, found: false }
}
