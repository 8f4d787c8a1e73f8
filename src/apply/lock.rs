//! One apply (or destroy) at a time per state folder: an advisory lock on `lock` in the state
//! folder, held for the whole run. The kernel drops it when the holder exits, even on SIGKILL,
//! so a crash never leaves a stale lock behind. The file names the holder, so that the one
//! refused can say who holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const LOCK_FILE: &str = "lock";

/// Held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Take the lock of `dir` for `command` (`apply`, `destroy`), or say who holds it.
pub fn acquire(dir: &Path, command: &str) -> Result<Lock, String> {
    let path = dir.join(LOCK_FILE);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // std's advisory lock (flock on Unix), released by the kernel when the holder dies.
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() { "another tunnelsmith".to_string() } else { holder.to_string() };
            return Err(format!(
                "{who} is using the state in {}; wait for it to finish (or stop it with Ctrl-C) and run this again. \
                 Two runs at once on one state could create things twice.",
                dir.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(format!("cannot lock {}: {e}", path.display())),
    }
    let _ = f.set_len(0);
    let _ = f.seek(SeekFrom::Start(0));
    let _ = writeln!(f, "tunnelsmith {command} (pid {}, started {})", std::process::id(), super::time::now());
    let _ = f.flush();
    Ok(Lock { _file: f })
}
