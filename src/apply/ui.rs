//! What the terminal shows while commands run.
//!
//! On a terminal (standard error), finished steps scroll up as permanent lines while a live
//! block at the bottom shows one line per running step with its elapsed time (and, for a
//! wait, the state it last read), then `done · running · left` and the estimated time left.
//! Elsewhere (a pipe, a CI log) the same events are plain lines, one per start and end, each
//! end followed by the summary. Colour as anstream decides it for standard error (the
//! conventions of NO_COLOR, CLICOLOR and CLICOLOR_FORCE, TERM=dumb; otherwise only on a
//! terminal); the styles are anstyle's.
//!
//! The live block is this module's own (forty lines) rather than indicatif's: it is redrawn
//! only when the engine reports an event or a second passes, from the engine's one thread, so
//! a Ctrl-C (counted by apply/sys.rs, not fatal) never races a drawing thread, and off a
//! terminal the same events are plain lines that a CI log or `tee` keeps.

use anstyle::{AnsiColor, Effects, Style};
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
        let colour = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
        let width = super::sys::term_width().unwrap_or(100).max(40);
        Ui { tty, colour, width, drawn: 0, t0: Instant::now() }
    }

    /// `s` in `style`, when colour is on.
    pub fn paint(&self, s: &str, style: Style) -> String {
        if self.colour {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Green.on_default())
    }
    pub fn red(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Red.on_default().effects(Effects::BOLD))
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Yellow.on_default())
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint(s, Style::new().bold())
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, Style::new().dimmed())
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
    anstream::adapter::strip_str(s).map(|part| part.chars().count()).sum()
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

    #[test]
    fn painted_text_is_as_long_as_the_text_and_plain_without_colour() {
        let mut ui = super::Ui::new();
        ui.colour = true;
        let red = ui.red("failed");
        assert_eq!(red, "\x1b[1m\x1b[31mfailed\x1b[0m");
        assert_eq!(super::visible_len(&red), 6);
        assert_eq!(super::visible_len(&format!("{} · {}", ui.green("3"), ui.dim("1 left"))), 10);
        ui.colour = false;
        assert_eq!(ui.red("failed"), "failed");
    }
}
