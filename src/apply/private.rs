//! Private files for values that must not appear on a command line: a host's pre-shared keys
//! copied with `scp`, a key handed to a CLI as `file://PATH` or `@PATH`. Each is created new
//! (`O_EXCL`, never through an existing file or link) with mode 0600 in the system's temporary
//! folder, and removed when dropped.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file only this user can read, removed on drop.
#[derive(Debug)]
pub struct PrivateFile {
    path: PathBuf,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl PrivateFile {
    /// A new file holding `text`.
    pub fn new(text: &str) -> std::io::Result<PrivateFile> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("tunnelsmith-{}-{}-{nanos:x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        let file = PrivateFile { path };
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_and_removed_on_drop() {
        let f = PrivateFile::new("PSK_A='k'\n").unwrap();
        let p = f.path().to_path_buf();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "PSK_A='k'\n");
        drop(f);
        assert!(!p.exists());
    }
}
