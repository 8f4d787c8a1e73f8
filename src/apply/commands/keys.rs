//! The secrets file: read and checked against both ends' rules, topped up with keys for tunnels
//! the plan gained, rid of the keys of tunnels it lost, always written atomically and mode 0600.
//! Lines say which keys, never the keys.

use super::session::{err, plural, Options};
use crate::apply::ui::Ui;
use crate::apply::Exit;
use crate::check::Resolved;
use crate::secrets::Secrets;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

pub(crate) fn read_secrets(opts: &Options, r: &Resolved, ui: &mut Ui) -> Result<Secrets, Exit> {
    let f = opts.secrets_file();
    let secrets = match std::fs::read_to_string(&f).map_err(|e| e.to_string()).and_then(|t| Secrets::from_env(&t)) {
        Ok(s) => s,
        Err(e) => {
            err(ui, &unreadable(&f, &e));
            return Err(Exit::Usage);
        }
    };
    let problems = problems(r, &secrets);
    if !problems.is_empty() {
        for p in &problems {
            err(ui, p);
        }
        return Err(Exit::Failed);
    }
    Ok(secrets)
}

/// The secrets file cannot be read or parsed: which file, why, and the option that names another.
fn unreadable(file: &Path, e: &str) -> String {
    format!(
        "cannot read the pre-shared keys from {}: {e}. Pass --secrets FILE (the secrets.env that \
         `tunnelsmith generate` or the web app made for this plan).",
        file.display()
    )
}

/// A line per key the plan lacks or an end rejects: its code, field, what is wrong and the fix
/// (never the key).
fn problems(r: &Resolved, secrets: &Secrets) -> Vec<String> {
    crate::secrets::check(r, secrets)
        .iter()
        .map(|p| format!("{} {}: {} (fix: {})", p.code, p.path, p.message, p.fix))
        .collect()
}

/// Keys for tunnels the plan gained since the secrets file was made: new random keys (the
/// operating system's CSPRNG), written to the file before anything runs, atomically and mode
/// 0600, with a line saying so (never the keys). Nothing happens without a secrets file (apply
/// then says how to make one) or when every tunnel has its key.
pub(super) fn top_up_keys(opts: &Options, r: &Resolved, ui: &mut Ui) -> Result<(), Exit> {
    let f = opts.secrets_file();
    let Ok(text) = std::fs::read_to_string(&f) else { return Ok(()) };
    let Ok(mut secrets) = Secrets::from_env(&text) else { return Ok(()) };
    let mut failed = None;
    let new = topped_up(&mut secrets, r, &mut |buf: &mut [u8]| {
        if let Err(e) = getrandom::fill(buf) {
            failed = Some(e.to_string());
        }
    });
    if let Some(e) = failed {
        err(ui, &format!("cannot make new pre-shared keys: the system's random source failed ({e})"));
        return Err(Exit::Usage);
    }
    if new.is_empty() {
        return Ok(());
    }
    if let Err(e) = write_secrets(&f, &secrets) {
        err(ui, &format!("cannot write the new keys to {}: {e}", f.display()));
        return Err(Exit::Usage);
    }
    ui.say(&format!(
        "New tunnels, new keys: {} written to {} (mode 0600): {}.",
        plural(new.len(), "pre-shared key"),
        f.display(),
        new.join(", ")
    ));
    Ok(())
}

/// Keys of tunnels that are no longer in the plan leave the secrets file, once apply has
/// converged (their tunnels are gone); the line says which, never the keys.
pub(super) fn retire_keys(opts: &Options, r: &Resolved, ui: &mut Ui) {
    let f = opts.secrets_file();
    let Ok(secrets) = std::fs::read_to_string(&f).map_err(|e| e.to_string()).and_then(|t| Secrets::from_env(&t)) else {
        return;
    };
    let (keep, gone) = retired(&secrets, r);
    if gone.is_empty() {
        return;
    }
    match write_secrets(&f, &keep) {
        Ok(()) => ui.say(&format!("Keys of tunnels that are gone removed from {}: {}.", f.display(), gone.join(", "))),
        Err(e) => err(ui, &format!("cannot remove the keys of removed tunnels from {}: {e}", f.display())),
    }
}

/// Give every key of the plan the file lacks a new one from `random`; the names of the new keys.
fn topped_up(secrets: &mut Secrets, r: &Resolved, random: &mut dyn FnMut(&mut [u8])) -> Vec<String> {
    let before: BTreeSet<String> = secrets.names().map(String::from).collect();
    secrets.fill_missing(r, random);
    secrets.names().filter(|n| !before.contains(*n)).map(String::from).collect()
}

/// The keys of the plan's tunnels, and the names of the others (tunnels that left the plan).
fn retired(secrets: &Secrets, r: &Resolved) -> (Secrets, Vec<String>) {
    let wanted: BTreeSet<&str> = r.links.iter().flat_map(|l| &l.tunnels).map(|t| t.psk_name.as_str()).collect();
    let (keep, gone): (Vec<&str>, Vec<&str>) = secrets.names().partition(|n| wanted.contains(n));
    (secrets.subset(&keep), gone.into_iter().map(String::from).collect())
}

/// Write a secrets file atomically: a temporary file beside it, mode 0600 from the start,
/// flushed to disk, renamed over the old one.
pub(crate) fn write_secrets(path: &Path, secrets: &Secrets) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".secrets.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(secrets.to_env().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
