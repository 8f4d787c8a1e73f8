//! The few operating-system calls the executor needs beyond std (Unix): an advisory lock that
//! the kernel drops when its holder dies, a signal flag for Ctrl-C and SIGTERM, signalling a
//! child's process group, asking whether a process is alive, and the terminal's width.
//!
//! Each `unsafe` block is one libc call with arguments owned by the caller.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many interrupts (SIGINT, SIGTERM, SIGHUP) arrived since [`catch_interrupts`].
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_interrupt(_: libc::c_int) {
    // Only an atomic add: async-signal-safe.
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
}

/// Count Ctrl-C, SIGTERM and SIGHUP instead of dying on them; [`interrupts`] reads the count.
pub fn catch_interrupts() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only touches an atomic; sigaction is zeroed first.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_interrupt as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Interrupts received so far.
pub fn interrupts() -> usize {
    INTERRUPTS.load(Ordering::SeqCst)
}

/// Try to take an exclusive advisory lock on `f` without waiting: `Ok(false)` when another
/// process holds it. The kernel releases it when the file is closed or the holder dies.
pub fn try_lock(f: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor `f` keeps open for the call.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Send `sig` to the process group `pgid` (children run in their own group, so Ctrl-C on the
/// terminal reaches only tunnelsmith, which decides what to do with them).
pub fn signal_group(pgid: u32, sig: libc::c_int) {
    if pgid == 0 {
        return;
    }
    // SAFETY: kill with a negative pid signals a group; no memory is involved.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), sig);
    }
}

pub use libc::{SIGKILL, SIGTERM};

/// Whether a process with this id exists (it may belong to someone else).
pub fn alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The terminal's width in columns (of standard error), if it is a terminal.
pub fn term_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a winsize we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            Some(usize::from(ws.ws_col))
        } else {
            None
        }
    }
}
