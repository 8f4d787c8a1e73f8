//! Appliance sites: their configs and install script (rendered by `render::appliance`), copied
//! to the host and run over OpenSSH when `--ssh SITE=USER@HOST` names the host; otherwise the
//! exact commands are printed for the user. Either way the files are written to
//! `<state>/bundle/` with an `outputs.env` holding the values the clouds captured (the keys
//! are copied straight from the secrets file, never into the state folder).

use super::engine::{Cx, End};
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
    /// Steps whose values the files need, and the site's own cloud steps.
    pub after: Vec<String>,
    /// `USER@HOST` from `--ssh`.
    pub target: Option<String>,
    pub plan: String,
}

/// The appliance tasks of a plan.
pub fn of_plan(r: &Resolved, steps: &[Step], ssh: &[(String, String)]) -> Vec<Appliance> {
    let files = render_appliance::artifacts(r, &RenderOptions::default());
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

/// The argv of each command (program first) that installs the appliance.
fn argvs(a: &Appliance, dir: &Path, secrets: &Path) -> Vec<Vec<String>> {
    let target = a.target.clone().unwrap_or_else(|| "USER@HOST".into());
    let bundle = dir.join("bundle");
    let rdir = remote_dir(a);
    let install = format!("{rdir}/{}", a.install);
    let ssh = |cmd: String| vec!["ssh".into(), "-o".into(), "BatchMode=yes".into(), target.clone(), cmd];
    vec![
        ssh(format!("umask 077 && mkdir -p {}", line([rdir.clone()]))),
        vec![
            "scp".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-r".into(),
            bundle.join(&a.site).display().to_string(),
            bundle.join(vars::OUTPUTS_FILE).display().to_string(),
            format!("{target}:{rdir}/"),
        ],
        vec![
            "scp".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            secrets.display().to_string(),
            format!("{target}:{rdir}/{}", vars::SECRETS_FILE),
        ],
        ssh(format!("if [ \"$(id -u)\" = 0 ]; then bash {0}; else sudo bash {0}; fi", line([install]))),
    ]
}

/// The commands as lines to paste.
pub fn commands(a: &Appliance, dir: &Path, secrets: &Path) -> Vec<String> {
    argvs(a, dir, secrets).into_iter().map(line).collect()
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
    for argv in argvs(a, dir, secrets) {
        let Some(tool) = tools.get(&argv[0]) else { return End::Failed(format!("{} is not available", argv[0])) };
        let call = Call {
            step: a.id.clone(),
            program: argv[0].clone(),
            exe: tool.exe.clone(),
            args: argv[1..].to_vec(),
            shown: line(argv.clone()),
        };
        cx.note(call.shown.clone());
        let Some(o) = cx.call(&call) else { return End::Cancelled };
        if !o.ok() {
            return End::Failed(format!("`{}` failed: {}", call.shown, o.reason()));
        }
    }
    End::Done { value: None, found: false }
}
