//! The runbook as a small document model, rendered twice from the same blocks: Markdown and a
//! standalone HTML page. Both say the same thing because both are made from one [`Doc`].
//!
//! Inline text is written in a tiny markup ([`parse`], kept as written until rendered): `` `code` `` and `**strong**` only. Text from
//! the plan goes through [`plain`] first, so it can never open a code span or emphasis; every
//! renderer then escapes what its format needs (Markdown punctuation, HTML entities).

use crate::render::diagram::xml_escape_into;
use std::borrow::Cow;
use std::fmt::Write;

/// A run of text made by hand (not parsed from the inline markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    /// Rendered as a link only for http(s) addresses; anything else shows as code.
    Link(String),
}

/// A run of text as the renderers read it: borrowed from a [`Rich`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run<'a> {
    Text(&'a str),
    Code(&'a str),
    Strong(&'a str),
    Link(&'a str),
}

/// Inline text: in the inline markup, kept as written and parsed as it is rendered (see [`md`]),
/// or runs made by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rich {
    Markup(Cow<'static, str>),
    Inlines(Vec<Inline>),
}

impl Rich {
    /// Each run, in order.
    fn runs<'a>(&'a self, mut f: impl FnMut(Run<'a>)) {
        match self {
            Rich::Markup(s) => parse(s, f),
            Rich::Inlines(v) => {
                for i in v {
                    f(match i {
                        Inline::Text(t) => Run::Text(t),
                        Inline::Link(t) => Run::Link(t),
                    })
                }
            }
        }
    }

    /// About how many bytes it renders to.
    fn size(&self) -> usize {
        match self {
            Rich::Markup(s) => s.len() + 8,
            Rich::Inlines(v) => v
                .iter()
                .map(|i| match i {
                    Inline::Text(t) | Inline::Link(t) => t.len() + 8,
                })
                .sum(),
        }
    }
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Level 1 to 4, with a stable anchor.
    Heading {
        level: u8,
        text: String,
        id: String,
    },
    Para(Rich),
    List(Vec<Rich>),
    Numbered(Vec<Rich>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Rich>>,
    },
    /// Shell commands, one per line (continuations allowed).
    Code(String),
    /// An aside (a warning, what is normal).
    Note(Rich),
    /// The topology diagram: a link to `file` in Markdown, the SVG itself in HTML.
    Diagram {
        file: String,
        svg: String,
        alt: String,
    },
}

/// The runbook: a title and blocks.
#[derive(Debug, Default)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// Text in the inline markup.
fn markup(text: impl Into<Cow<'static, str>>) -> Rich {
    Rich::Markup(text.into())
}

impl Doc {
    /// A heading; level-2 headings (the sections) are numbered in order.
    pub fn h(&mut self, level: u8, id: &str, text: &str) {
        let text = if level == 2 {
            let n = self.blocks.iter().filter(|b| matches!(b, Block::Heading { level: 2, .. })).count() + 1;
            format!("{n}. {text}")
        } else {
            text.to_string()
        };
        self.blocks.push(Block::Heading { level, text, id: id.into() });
    }

    pub fn p(&mut self, text: impl Into<Cow<'static, str>>) {
        self.blocks.push(Block::Para(markup(text)));
    }

    pub fn note(&mut self, text: impl Into<Cow<'static, str>>) {
        self.blocks.push(Block::Note(markup(text)));
    }

    pub fn list<S: Into<Cow<'static, str>>>(&mut self, items: Vec<S>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items.into_iter().map(markup).collect()));
        }
    }

    pub fn numbered<S: Into<Cow<'static, str>>>(&mut self, items: Vec<S>) {
        if !items.is_empty() {
            self.blocks.push(Block::Numbered(items.into_iter().map(markup).collect()));
        }
    }

    /// A table whose cells are in the inline markup.
    pub fn table<S: Into<Cow<'static, str>>>(&mut self, head: &[&str], rows: Vec<Vec<S>>) {
        if rows.is_empty() {
            return;
        }
        self.blocks.push(Block::Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            rows: rows.into_iter().map(|r| r.into_iter().map(markup).collect()).collect(),
        });
    }

    pub fn code(&mut self, text: impl Into<String>) {
        let mut t: String = text.into();
        if !t.trim().is_empty() {
            t.truncate(t.trim_end().len());
            self.blocks.push(Block::Code(t));
        }
    }

    /// About how many bytes of text the blocks hold (to size the rendered output).
    fn size(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Heading { text, id, .. } => text.len() + id.len() + 24,
                Block::Para(v) | Block::Note(v) => v.size() + 24,
                Block::List(items) | Block::Numbered(items) => items.iter().map(|i| i.size() + 12).sum::<usize>() + 12,
                Block::Table { head, rows } => {
                    head.iter().map(|h| h.len() + 12).sum::<usize>()
                        + rows.iter().flatten().map(|c| c.size() + 12).sum::<usize>()
                        + rows.len() * 12
                }
                Block::Code(c) => c.len() + 32,
                Block::Diagram { svg, alt, .. } => svg.len() + alt.len() + 64,
            })
            .sum()
    }

    /// Every heading of levels 2 and 3, for the table of contents.
    fn contents(&self) -> Vec<(u8, &str, &str)> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level, text, id } if *level == 2 => Some((*level, text.as_str(), id.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// Plan text made inert for the inline markup: backticks and asterisks become look-alikes.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = write!(out, "{}", Plain(s));
    out
}

/// [`plain`] for `write!`, without a string of its own.
pub struct Plain<'a>(pub &'a str);

impl std::fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let with = match c {
                '`' => "'",
                '*' => "∗",
                c if c.is_control() => " ",
                _ => continue,
            };
            f.write_str(&s[start..i])?;
            f.write_str(with)?;
            start = i + c.len_utf8();
        }
        f.write_str(&s[start..])
    }
}

/// The runs of `s` in the inline markup.
#[cfg(test)]
fn md(s: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    parse(s, |r| out.push(r));
    out
}

/// The runs of `s` in the inline markup, in order, to `f`.
fn parse<'a>(s: &'a str, mut f: impl FnMut(Run<'a>)) {
    // The text not yet given to `f`: `s[text..]` up to where `rest` starts.
    let mut text = 0;
    let mut rest = s;
    let flush = |f: &mut dyn FnMut(Run<'a>), text: usize, rest: &str| {
        let end = s.len() - rest.len();
        if end > text {
            f(Run::Text(&s[text..end]));
        }
    };
    while !rest.is_empty() {
        let special = if let Some(r) = rest.strip_prefix('`') {
            r.find('`').map(|end| (Run::Code(&r[..end]), &r[end + 1..]))
        } else if rest.starts_with("https://") {
            let end = rest.find(|c: char| c.is_whitespace() || c == ')' || c == ',').unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches('.');
            Some((Run::Link(url), &rest[url.len()..]))
        } else if let Some(r) = rest.strip_prefix("**") {
            r.find("**").map(|end| (Run::Strong(&r[..end]), &r[end + 2..]))
        } else {
            None
        };
        if let Some((run, after)) = special {
            flush(&mut f, text, rest);
            f(run);
            rest = after;
            text = s.len() - rest.len();
            continue;
        }
        // Plain text up to the next character that can start markup.
        let b = rest.as_bytes();
        let mut run = rest.chars().next().expect("not empty").len_utf8();
        while run < b.len() {
            match b[run] {
                b'`' | b'*' => break,
                b'h' if b[run..].starts_with(b"https://") => break,
                _ => run += 1,
            }
        }
        rest = &rest[run..];
    }
    flush(&mut f, text, rest);
}

fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace)
}

// ---- Markdown ----------------------------------------------------------------------------------

/// `s` escaped for Markdown, appended to `out`.
fn md_text(out: &mut String, s: &str, in_table: bool) {
    replace_bytes(out, s, |c| match c {
        b'\\' => Some("\\\\"),
        b'*' => Some("\\*"),
        b'_' => Some("\\_"),
        b'<' => Some("\\<"),
        b'>' => Some("\\>"),
        b'[' => Some("\\["),
        b']' => Some("\\]"),
        b'`' => Some("\\`"),
        b'|' if in_table => Some("\\|"),
        b'\n' => Some(" "),
        _ => None,
    });
}

/// One Markdown table row, `| a | b |`, each cell written by `cell`.
fn md_row<T>(s: &mut String, cells: &[T], mut cell: impl FnMut(&mut String, &T)) {
    s.push_str("| ");
    for (k, c) in cells.iter().enumerate() {
        if k > 0 {
            s.push_str(" | ");
        }
        cell(s, c);
    }
    s.push_str(" |\n");
}

/// Append `s` to `out` with every byte that `with` maps replaced (ASCII bytes only, so the runs
/// between them are whole characters, copied whole).
fn replace_bytes(out: &mut String, s: &str, with: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if let Some(r) = with(c) {
            out.push_str(&s[start..i]);
            out.push_str(r);
            start = i + 1;
        }
    }
    out.push_str(&s[start..]);
}

fn md_inlines(out: &mut String, v: &Rich, in_table: bool) {
    v.runs(|i| match i {
        Run::Text(t) => md_text(out, t, in_table),
        Run::Code(c) => {
            out.push('`');
            replace_bytes(out, c, |b| match b {
                b'|' if in_table => Some("\\|"),
                b'\n' => Some(" "),
                _ => None,
            });
            out.push('`');
        }
        Run::Strong(t) => {
            out.push_str("**");
            md_text(out, t, in_table);
            out.push_str("**");
        }
        Run::Link(u) if is_web_link(u) => {
            out.push('<');
            out.push_str(u);
            out.push('>');
        }
        Run::Link(u) => {
            out.push('`');
            out.push_str(u);
            out.push('`');
        }
    });
}

/// The stamp's lines as HTML comments (which Markdown shows as nothing either).
fn stamp_comments(out: &mut String, stamp: &str) {
    for line in stamp.lines() {
        let _ = writeln!(out, "<!--{} -->", line.replace("--", "- -"));
    }
}

/// The document as Markdown (GitHub flavour: tables, fenced code).
pub fn markdown(d: &Doc, stamp: &str) -> String {
    let mut s = String::with_capacity(d.size() + d.size() / 4);
    stamp_comments(&mut s, stamp);
    s.push_str("\n# ");
    md_text(&mut s, &d.title, false);
    s.push_str("\n\n");
    let contents = d.contents();
    if !contents.is_empty() {
        s.push_str("Contents:\n\n");
        for (_, text, _) in &contents {
            s.push_str("- ");
            md_text(&mut s, text, false);
            s.push('\n');
        }
        s.push('\n');
    }
    for b in &d.blocks {
        match b {
            Block::Heading { level, text, .. } => {
                for _ in 0..*level {
                    s.push('#');
                }
                s.push(' ');
                md_text(&mut s, text, false);
                s.push_str("\n\n");
            }
            Block::Para(v) => {
                md_inlines(&mut s, v, false);
                s.push_str("\n\n");
            }
            Block::Note(v) => {
                s.push_str("> ");
                md_inlines(&mut s, v, false);
                s.push_str("\n\n");
            }
            Block::List(items) => {
                for i in items {
                    s.push_str("- ");
                    md_inlines(&mut s, i, false);
                    s.push('\n');
                }
                s.push('\n');
            }
            Block::Numbered(items) => {
                for (k, i) in items.iter().enumerate() {
                    let _ = write!(s, "{}. ", k + 1);
                    md_inlines(&mut s, i, false);
                    s.push('\n');
                }
                s.push('\n');
            }
            Block::Table { head, rows } => {
                md_row(&mut s, head, |s, h| md_text(s, h, true));
                s.push('|');
                for _ in head {
                    s.push_str("---|");
                }
                s.push('\n');
                for r in rows {
                    md_row(&mut s, r, |s, c| md_inlines(s, c, true));
                }
                s.push('\n');
            }
            Block::Code(c) => {
                s.push_str("```bash\n");
                s.push_str(c);
                s.push_str("\n```\n\n");
            }
            Block::Diagram { file, alt, .. } => {
                s.push_str("![");
                md_text(&mut s, alt, false);
                let _ = writeln!(s, "]({file})\n");
            }
        }
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

// ---- HTML --------------------------------------------------------------------------------------

fn html_inlines(out: &mut String, v: &Rich) {
    v.runs(|i| {
        let (open, text, close) = match i {
            Run::Text(t) => ("", t, ""),
            Run::Code(c) => ("<code>", c, "</code>"),
            Run::Strong(t) => ("<strong>", t, "</strong>"),
            Run::Link(u) if is_web_link(u) => {
                out.push_str("<a href=\"");
                xml_escape_into(out, u);
                out.push_str("\">");
                ("", u, "</a>")
            }
            Run::Link(u) => ("<code>", u, "</code>"),
        };
        out.push_str(open);
        xml_escape_into(out, text);
        out.push_str(close);
    });
}

const STYLE: &str = "\
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;max-width:64rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.7rem;margin:0 0 .5rem}h2{font-size:1.35rem;margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1.1rem;margin-top:1.6rem}h4{font-size:1rem;margin-top:1.2rem}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;padding:0 .2em;border-radius:3px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.7rem .9rem;overflow-x:auto;white-space:pre}
pre code{background:none;padding:0}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:14px}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.note{border-left:4px solid #bf8700;background:#fff8c5;padding:.4rem .8rem;margin:.8rem 0}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}nav ul{columns:2;list-style:none;padding-left:0}td code{white-space:nowrap}
@media print{body{max-width:none;padding:0;font-size:11pt}pre{white-space:pre-wrap;word-break:break-all}
h2{break-before:page}h2,h3,h4{break-after:avoid}table,pre,figure,.note{break-inside:avoid}a{color:inherit}}
";

/// The document as one standalone HTML page: no script, no external resource, printable.
pub fn html(d: &Doc, stamp: &str) -> String {
    let mut s = String::with_capacity(d.size() + d.size() / 2 + STYLE.len());
    s.push_str("<!DOCTYPE html>\n");
    stamp_comments(&mut s, stamp);
    s.push_str("<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    xml_escape_into(&mut s, &d.title);
    s.push_str("</title>\n<style>\n");
    s.push_str(STYLE);
    s.push_str("</style>\n</head>\n<body>\n<h1>");
    xml_escape_into(&mut s, &d.title);
    s.push_str("</h1>\n");
    let contents = d.contents();
    if !contents.is_empty() {
        s.push_str("<nav aria-label=\"Contents\"><ul>\n");
        for (_, text, id) in &contents {
            let _ = write!(s, "<li><a href=\"#{id}\">");
            xml_escape_into(&mut s, text);
            s.push_str("</a></li>\n");
        }
        s.push_str("</ul></nav>\n");
    }
    for b in &d.blocks {
        match b {
            Block::Heading { level, text, id } => {
                let _ = write!(s, "<h{level} id=\"");
                xml_escape_into(&mut s, id);
                s.push_str("\">");
                xml_escape_into(&mut s, text);
                let _ = writeln!(s, "</h{level}>");
            }
            Block::Para(v) => {
                s.push_str("<p>");
                html_inlines(&mut s, v);
                s.push_str("</p>\n");
            }
            Block::Note(v) => {
                s.push_str("<p class=\"note\">");
                html_inlines(&mut s, v);
                s.push_str("</p>\n");
            }
            Block::List(items) | Block::Numbered(items) => {
                let tag = if matches!(b, Block::List(_)) { "ul" } else { "ol" };
                let _ = writeln!(s, "<{tag}>");
                for i in items {
                    s.push_str("<li>");
                    html_inlines(&mut s, i);
                    s.push_str("</li>\n");
                }
                let _ = writeln!(s, "</{tag}>");
            }
            Block::Table { head, rows } => {
                s.push_str("<table>\n<thead><tr>");
                for h in head {
                    s.push_str("<th>");
                    xml_escape_into(&mut s, h);
                    s.push_str("</th>");
                }
                s.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        s.push_str("<td>");
                        html_inlines(&mut s, c);
                        s.push_str("</td>");
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody>\n</table>\n");
            }
            Block::Code(c) => {
                // Line by line: `xml_escape` turns control characters, newlines too, into spaces.
                s.push_str("<pre><code>");
                for (k, line) in c.lines().enumerate() {
                    if k > 0 {
                        s.push('\n');
                    }
                    xml_escape_into(&mut s, line);
                }
                s.push_str("</code></pre>\n");
            }
            Block::Diagram { svg, alt, .. } => {
                let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
                s.push_str("<figure role=\"img\" aria-label=\"");
                xml_escape_into(&mut s, alt);
                s.push_str("\">\n");
                s.push_str(body.trim_end());
                s.push_str("\n</figure>\n");
            }
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_parses_code_and_strong_and_leaves_the_rest() {
        assert_eq!(
            md("run `a.sh` **now** or *not*"),
            vec![Run::Text("run "), Run::Code("a.sh"), Run::Text(" "), Run::Strong("now"), Run::Text(" or *not*"),]
        );
        assert_eq!(md("an ` alone"), vec![Run::Text("an ` alone")]);
        assert_eq!(
            md("é `x` h* see https://a.b/c, then **"),
            vec![
                Run::Text("é "),
                Run::Code("x"),
                Run::Text(" h* see "),
                Run::Link("https://a.b/c"),
                Run::Text(", then **"),
            ]
        );
        assert_eq!(md("https://a.b."), vec![Run::Link("https://a.b"), Run::Text(".")]);
        assert_eq!(md("**a**`b`"), vec![Run::Strong("a"), Run::Code("b")]);
        assert_eq!(
            md("ahttps://b c `https://d` hhttps://e"),
            vec![
                Run::Text("a"),
                Run::Link("https://b"),
                Run::Text(" c "),
                Run::Code("https://d"),
                Run::Text(" h"),
                Run::Link("https://e"),
            ]
        );
    }

    #[test]
    fn hostile_text_stays_text_in_both_formats() {
        let mut d = Doc { title: "t".into(), blocks: Vec::new() };
        let evil = plain("<script>alert(1)</script> `rm -rf` **x** | [a](javascript:x)");
        d.p(evil.clone());
        d.table(&["a"], vec![vec![evil.clone()]]);
        d.blocks.push(Block::Para(Rich::Inlines(vec![Inline::Link("javascript:alert(1)".into())])));
        let h = html(&d, "x");
        assert!(!h.contains("<script>") && !h.contains("href=\"javascript"), "{h}");
        let m = markdown(&d, "x");
        assert!(!m.contains("<script>") && m.contains("\\<script\\>"), "{m}");
        assert!(m.contains("\\| \\[a\\]"), "the pipe cannot split the table cell: {m}");
        assert!(!m.contains("`rm"), "a backtick in plan text cannot open code: {m}");
    }
}
