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
                Block::Heading { .. }
                | Block::Para(_)
                | Block::List(_)
                | Block::Numbered(_)
                | Block::Table { .. }
                | Block::Code(_)
                | Block::Note(_)
                | Block::Diagram { .. } => None,
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

/// `s` appended to `out` with each ASCII byte that `with` names replaced (the runs between are
/// copied whole).
fn replace_bytes(out: &mut String, s: &str, with: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if let Some(w) = with(c) {
            out.push_str(&s[start..i]);
            out.push_str(w);
            start = i + 1;
        }
    }
    out.push_str(&s[start..]);
}

/// One run of inline text as Markdown.
fn md_run(out: &mut String, run: Run, in_table: bool) {
    match run {
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
    }
}

/// The stamp's lines as HTML comments (which Markdown shows as nothing either).
fn stamp_comments(out: &mut String, stamp: &str) {
    out.push_str(&crate::render::html_comments(stamp));
}

// ---- HTML --------------------------------------------------------------------------------------

/// `open`, `text` escaped for Markdown, `close`.
fn md_wrapped(out: &mut String, open: &str, text: &str, close: &str) {
    out.push_str(open);
    md_text(out, text, false);
    out.push_str(close);
}

/// `open`, `text` escaped for HTML, `close`.
fn html_wrapped(out: &mut String, open: &str, text: &str, close: &str) {
    out.push_str(open);
    xml_escape_into(out, text);
    out.push_str(close);
}

/// One run of inline text as HTML.
fn html_run(out: &mut String, run: Run) {
    let (open, text, close) = match run {
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
}

/// Inline text in both formats, parsed once.
fn inlines(md: &mut String, html: &mut String, v: &Rich, in_table: bool) {
    v.runs(|run| {
        md_run(md, run, in_table);
        html_run(html, run);
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

/// The document as Markdown (GitHub flavour: tables, fenced code) and as one standalone HTML
/// page (no script, no external resource, printable), made together: each piece of inline text
/// is parsed once for both. `md_stamp` and `html_stamp` start them as comments.
pub fn render(d: &Doc, md_stamp: &str, html_stamp: &str) -> (String, String) {
    let size = d.size();
    let mut m = String::with_capacity(size + size / 4);
    let mut h = String::with_capacity(size + size / 2 + STYLE.len());
    stamp_comments(&mut m, md_stamp);
    m.push_str("\n# ");
    md_text(&mut m, &d.title, false);
    m.push_str("\n\n");
    h.push_str("<!DOCTYPE html>\n");
    stamp_comments(&mut h, html_stamp);
    h.push_str("<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    xml_escape_into(&mut h, &d.title);
    h.push_str("</title>\n<style>\n");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n<h1>");
    xml_escape_into(&mut h, &d.title);
    h.push_str("</h1>\n");
    let contents = d.contents();
    if !contents.is_empty() {
        m.push_str("Contents:\n\n");
        h.push_str("<nav aria-label=\"Contents\"><ul>\n");
        for (_, text, id) in &contents {
            md_wrapped(&mut m, "- ", text, "\n");
            let _ = write!(h, "<li><a href=\"#{id}\">");
            html_wrapped(&mut h, "", text, "</a></li>\n");
        }
        m.push('\n');
        h.push_str("</ul></nav>\n");
    }
    for b in &d.blocks {
        match b {
            Block::Heading { level, text, id } => {
                for _ in 0..*level {
                    m.push('#');
                }
                md_wrapped(&mut m, " ", text, "\n\n");
                let _ = write!(h, "<h{level} id=\"");
                html_wrapped(&mut h, "", id, "\">");
                xml_escape_into(&mut h, text);
                let _ = writeln!(h, "</h{level}>");
            }
            Block::Para(v) | Block::Note(v) => {
                let note = matches!(b, Block::Note(_));
                m.push_str(if note { "> " } else { "" });
                h.push_str(if note { "<p class=\"note\">" } else { "<p>" });
                inlines(&mut m, &mut h, v, false);
                m.push_str("\n\n");
                h.push_str("</p>\n");
            }
            Block::List(items) | Block::Numbered(items) => {
                let numbered = matches!(b, Block::Numbered(_));
                let tag = if numbered { "ol" } else { "ul" };
                let _ = writeln!(h, "<{tag}>");
                for (k, i) in items.iter().enumerate() {
                    if numbered {
                        let _ = write!(m, "{}. ", k + 1);
                    } else {
                        m.push_str("- ");
                    }
                    h.push_str("<li>");
                    inlines(&mut m, &mut h, i, false);
                    m.push('\n');
                    h.push_str("</li>\n");
                }
                m.push('\n');
                let _ = writeln!(h, "</{tag}>");
            }
            Block::Table { head, rows } => {
                m.push_str("| ");
                h.push_str("<table>\n<thead><tr>");
                for (k, c) in head.iter().enumerate() {
                    if k > 0 {
                        m.push_str(" | ");
                    }
                    md_text(&mut m, c, true);
                    h.push_str("<th>");
                    xml_escape_into(&mut h, c);
                    h.push_str("</th>");
                }
                m.push_str(" |\n|");
                for _ in head {
                    m.push_str("---|");
                }
                m.push('\n');
                h.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    m.push_str("| ");
                    h.push_str("<tr>");
                    for (k, c) in r.iter().enumerate() {
                        if k > 0 {
                            m.push_str(" | ");
                        }
                        h.push_str("<td>");
                        inlines(&mut m, &mut h, c, true);
                        h.push_str("</td>");
                    }
                    m.push_str(" |\n");
                    h.push_str("</tr>\n");
                }
                m.push('\n');
                h.push_str("</tbody>\n</table>\n");
            }
            Block::Code(c) => {
                m.push_str("```bash\n");
                m.push_str(c);
                m.push_str("\n```\n\n");
                // Line by line: `xml_escape` turns control characters, newlines too, into spaces.
                h.push_str("<pre><code>");
                for (k, line) in c.lines().enumerate() {
                    if k > 0 {
                        h.push('\n');
                    }
                    xml_escape_into(&mut h, line);
                }
                h.push_str("</code></pre>\n");
            }
            Block::Diagram { file, svg, alt } => {
                m.push_str("![");
                md_text(&mut m, alt, false);
                let _ = writeln!(m, "]({file})\n");
                let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
                h.push_str("<figure role=\"img\" aria-label=\"");
                xml_escape_into(&mut h, alt);
                h.push_str("\">\n");
                h.push_str(body.trim_end());
                h.push_str("\n</figure>\n");
            }
        }
    }
    while m.ends_with("\n\n") {
        m.pop();
    }
    h.push_str("</body>\n</html>\n");
    (m, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_parses_code_and_strong_and_leaves_the_rest() {
        use Run::{Code, Link, Strong, Text};
        let cases: [(&str, &[Run]); 6] = [
            ("run `a.sh` **now** or *not*", &[Text("run "), Code("a.sh"), Text(" "), Strong("now"), Text(" or *not*")]),
            ("an ` alone", &[Text("an ` alone")]),
            (
                "é `x` h* see https://a.b/c, then **",
                &[Text("é "), Code("x"), Text(" h* see "), Link("https://a.b/c"), Text(", then **")],
            ),
            ("https://a.b.", &[Link("https://a.b"), Text(".")]),
            ("**a**`b`", &[Strong("a"), Code("b")]),
            (
                "ahttps://b c `https://d` hhttps://e",
                &[Text("a"), Link("https://b"), Text(" c "), Code("https://d"), Text(" h"), Link("https://e")],
            ),
        ];
        for (markup, runs) in cases {
            assert_eq!(md(markup), runs, "{markup}");
        }
    }

    #[test]
    fn hostile_text_stays_text_in_both_formats() {
        let mut d = Doc { title: "t".into(), blocks: Vec::new() };
        let evil = plain("<script>alert(1)</script> `rm -rf` **x** | [a](javascript:x)");
        d.p(evil.clone());
        d.table(&["a"], vec![vec![evil.clone()]]);
        d.blocks.push(Block::Para(Rich::Inlines(vec![Inline::Link("javascript:alert(1)".into())])));
        let (m, h) = render(&d, "x", "x");
        assert!(!h.contains("<script>") && !h.contains("href=\"javascript"), "{h}");
        assert!(!m.contains("<script>") && m.contains("\\<script\\>"), "{m}");
        assert!(m.contains("\\| \\[a\\]"), "the pipe cannot split the table cell: {m}");
        assert!(!m.contains("`rm"), "a backtick in plan text cannot open code: {m}");
    }
}
