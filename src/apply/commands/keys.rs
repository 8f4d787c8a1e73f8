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

#[cfg(test)]
mod tests {
    use super::super::fixture::seed004;
    use super::*;

    /// Deterministic "random" bytes: the keys differ per call, so a missed key shows.
    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                n = n.wrapping_add(37);
                *b = n;
            }
        }
    }

    #[test]
    fn only_tunnels_without_a_key_get_one_and_they_are_named() {
        let s = seed004();
        let all = Secrets::generate(&s.r, &mut counter());
        let names: Vec<String> = all.names().map(String::from).collect();
        assert!(names.len() >= 2);
        let mut partial = all.subset(&names[1..]);
        let new = topped_up(&mut partial, &s.r, &mut counter());
        assert_eq!(new, [names[0].clone()]);
        assert!(partial.psk(&names[0]).is_some());
        for n in &names[1..] {
            assert_eq!(partial.psk(n), all.psk(n), "{n} keeps its key");
        }
        let mut full = all.clone();
        assert!(topped_up(&mut full, &s.r, &mut counter()).is_empty());
        assert_eq!(full.to_env(), all.to_env());
    }

    #[test]
    fn keys_of_tunnels_that_left_the_plan_are_named_and_dropped_the_rest_kept() {
        let s = seed004();
        let all = Secrets::generate(&s.r, &mut counter());
        let mut file = all.clone();
        file.set("PSK_GONE_T9", "old.old.old.old");
        let (keep, gone) = retired(&file, &s.r);
        assert_eq!(gone, ["PSK_GONE_T9"]);
        assert_eq!(keep.to_env(), all.to_env());
        let (keep, gone) = retired(&all, &s.r);
        assert!(gone.is_empty());
        assert_eq!(keep.to_env(), all.to_env());
    }

    #[test]
    fn an_unreadable_secrets_file_is_named_with_the_option_that_names_another() {
        let m = unreadable(Path::new("/work/plans/secrets.env"), "No such file or directory (os error 2)");
        assert!(m.starts_with("cannot read the pre-shared keys from /work/plans/secrets.env: No such file"), "{m}");
        assert!(m.contains("Pass --secrets FILE"), "{m}");
    }

    #[test]
    fn key_problems_name_the_field_and_the_fix_never_the_key() {
        let s = seed004();
        let all = Secrets::generate(&s.r, &mut counter());
        assert!(problems(&s.r, &all).is_empty(), "generated keys fit every end");
        let names: Vec<String> = all.names().map(String::from).collect();
        let mut bad = all.subset(&names[1..]);
        bad.set(&names[1], "0Ab");
        let lines = problems(&s.r, &bad);
        let missing = lines.iter().find(|l| l.starts_with("E_PSK_MISSING")).expect("the missing key");
        assert!(missing.contains(&format!("secrets.{}:", names[0])), "{missing}");
        assert!(missing.contains("(fix: import the secrets file"), "{missing}");
        let rejected = lines.iter().find(|l| l.starts_with("E_PSK_REJECTED")).expect("the short key");
        assert!(rejected.contains(&format!("secrets.{}:", names[1])), "{rejected}");
        assert!(rejected.contains("(fix: use a key of"), "{rejected}");
        assert!(lines.iter().all(|l| !l.contains("0Ab")), "{lines:?}");
    }

    #[test]
    fn a_secrets_file_is_written_whole_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tunnelsmith-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("secrets.env");
        std::fs::write(&f, "PSK_OLD='x'\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut secrets = Secrets::default();
        secrets.set("PSK_A_B_T1", "k3y.k3y.k3y.k3y");
        write_secrets(&f, &secrets).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), secrets.to_env());
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["secrets.env"], "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
