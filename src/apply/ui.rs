//! What the terminal shows while commands run.
//!
//! On a terminal (standard error), finished steps scroll up as permanent lines while a live
//! block at the bottom shows one line per running step with its elapsed time (and, for a
//! wait, the state it last read), then `done · running · left` and the estimated time left.
//! Elsewhere (a pipe, a CI log) the same events are plain lines, one per start and end, each
//! end followed by the summary. Colour only on a terminal, and never with `NO_COLOR` set.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Ui {
    pub tty: bool,
    pub colour: bool,
    width: usize,
    drawn: usize,
    pub t0: Instant,
}

impl Default for Ui {
    fn default() -> Self {
        Ui::new()
    }
}

impl Ui {
    pub fn new() -> Ui {
        let tty = std::io::stderr().is_terminal();
        let colour = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let width = super::sys::term_width().unwrap_or(100).max(40);
        Ui { tty, colour, width, drawn: 0, t0: Instant::now() }
    }

    /// `s` in an SGR colour, when colour is on.
    pub fn paint(&self, s: &str, code: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        self.paint(s, "32")
    }
    pub fn red(&self, s: &str) -> String {
        self.paint(s, "1;31")
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint(s, "33")
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint(s, "1")
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, "2")
    }

    /// Remove the live block (before printing permanent lines).
    pub fn clear_live(&mut self) {
        if self.tty && self.drawn > 0 {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\x1b[{}A\x1b[J", self.drawn);
            let _ = e.flush();
            self.drawn = 0;
        }
    }

    /// Permanent lines.
    pub fn say(&mut self, text: &str) {
        self.clear_live();
        let mut e = std::io::stderr().lock();
        let _ = writeln!(e, "{text}");
        let _ = e.flush();
    }

    /// Replace the live block (terminal only).
    pub fn live(&mut self, lines: &[String]) {
        if !self.tty {
            return;
        }
        self.clear_live();
        let mut e = std::io::stderr().lock();
        for l in lines {
            let _ = writeln!(e, "{}", truncate(l, self.width - 1));
        }
        let _ = e.flush();
        self.drawn = lines.len();
    }
}

/// How many characters of `s` show (escape sequences do not).
pub fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, c) if c.is_ascii_alphabetic() => esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Cut `s` to `max` visible characters (escape sequences do not count), ending with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut visible = 0;
    let mut chars = s.chars().peekable();
    let mut cut = false;
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            for d in chars.by_ref() {
                out.push(d);
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        if visible + 1 >= max && chars.peek().is_some() {
            cut = true;
            break;
        }
        out.push(c);
        visible += 1;
    }
    if cut {
        out.push('…');
        if s.contains('\x1b') {
            out.push_str("\x1b[0m");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn truncation_counts_what_shows() {
        assert_eq!(super::truncate("abcdef", 4), "abc…");
        assert_eq!(super::truncate("abc", 4), "abc");
        assert_eq!(super::truncate("\x1b[32mabcdef\x1b[0m", 4), "\x1b[32mabc…\x1b[0m");
    }
}
