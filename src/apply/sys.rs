//! The few operating-system calls the executor needs beyond std (Unix): a signal count for
//! Ctrl-C, SIGTERM and SIGHUP (ctrlc), signalling a child's process group and asking whether a
//! process is alive (nix), and the terminal's width (terminal_size). The state lock is std's
//! `File::try_lock` (an advisory lock the kernel drops when its holder dies), in `lock.rs`.
//! No `unsafe` here: each call goes through a maintained crate.

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// How many interrupts (SIGINT, SIGTERM, SIGHUP) arrived since [`catch_interrupts`].
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

/// Count Ctrl-C, SIGTERM and SIGHUP instead of dying on them; [`interrupts`] reads the count.
/// Safe to call more than once (the handler is installed the first time).
pub fn catch_interrupts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // ctrlc's `termination` feature covers SIGTERM and SIGHUP besides SIGINT; the handler
        // runs on ctrlc's own thread, so it may do anything, and does only this.
        if let Err(e) = ctrlc::set_handler(|| {
            INTERRUPTS.fetch_add(1, Ordering::SeqCst);
        }) {
            eprintln!("warning: Ctrl-C will stop tunnelsmith at once (no handler: {e})");
        }
    });
}

/// Interrupts received so far.
pub fn interrupts() -> usize {
    INTERRUPTS.load(Ordering::SeqCst)
}

pub use Signal::{SIGKILL, SIGTERM};

/// Send `sig` to the process group `pgid` (children run in their own group, so Ctrl-C on the
/// terminal reaches only tunnelsmith, which decides what to do with them).
pub fn signal_group(pgid: u32, sig: Signal) {
    let Ok(pgid) = i32::try_from(pgid) else { return };
    if pgid > 0 {
        // The group may be gone already: nothing to do then.
        let _ = killpg(Pid::from_raw(pgid), sig);
    }
}

/// Whether a process with this id exists (it may belong to someone else).
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    // Signal 0 (None) only checks for existence and permission.
    pid > 0 && matches!(kill(Pid::from_raw(pid), None), Ok(()) | Err(nix::errno::Errno::EPERM))
}

/// The terminal's width in columns (of standard error), if it is a terminal.
pub fn term_width() -> Option<usize> {
    terminal_size::terminal_size_of(std::io::stderr()).map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
}
