//! The runbook as a small document model, rendered twice from the same blocks: Markdown and a
//! standalone HTML page. Both say the same thing because both are made from one [`Doc`].
//!
//! Inline text is written in a tiny markup ([`md`]): `` `code` `` and `**strong**` only. Text from
//! the plan goes through [`plain`] first, so it can never open a code span or emphasis; every
//! renderer then escapes what its format needs (Markdown punctuation, HTML entities).

use crate::render::diagram::xml_escape_into;
use std::fmt::Write;

/// A run of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    /// Rendered as a link only for http(s) addresses; anything else shows as code.
    Link(String),
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
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Numbered(Vec<Vec<Inline>>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// Shell commands, one per line (continuations allowed).
    Code(String),
    /// An aside (a warning, what is normal).
    Note(Vec<Inline>),
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

    pub fn p(&mut self, text: &str) {
        self.blocks.push(Block::Para(md(text)));
    }

    pub fn note(&mut self, text: &str) {
        self.blocks.push(Block::Note(md(text)));
    }

    pub fn list<S: AsRef<str>>(&mut self, items: &[S]) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items.iter().map(|i| md(i.as_ref())).collect()));
        }
    }

    pub fn numbered<S: AsRef<str>>(&mut self, items: &[S]) {
        if !items.is_empty() {
            self.blocks.push(Block::Numbered(items.iter().map(|i| md(i.as_ref())).collect()));
        }
    }

    /// A table whose cells are in the inline markup.
    pub fn table<S: AsRef<str>>(&mut self, head: &[&str], rows: &[Vec<S>]) {
        if rows.is_empty() {
            return;
        }
        self.blocks.push(Block::Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|c| md(c.as_ref())).collect()).collect(),
        });
    }

    pub fn code(&mut self, text: impl Into<String>) {
        let t: String = text.into();
        if !t.trim().is_empty() {
            self.blocks.push(Block::Code(t.trim_end().to_string()));
        }
    }

    /// About how many bytes of text the blocks hold (to size the rendered output).
    fn size(&self) -> usize {
        let inlines = |v: &[Inline]| {
            v.iter()
                .map(|i| match i {
                    Inline::Text(t) | Inline::Code(t) | Inline::Strong(t) | Inline::Link(t) => t.len() + 8,
                })
                .sum::<usize>()
        };
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Heading { text, id, .. } => text.len() + id.len() + 24,
                Block::Para(v) | Block::Note(v) => inlines(v) + 24,
                Block::List(items) | Block::Numbered(items) => {
                    items.iter().map(|i| inlines(i) + 12).sum::<usize>() + 12
                }
                Block::Table { head, rows } => {
                    head.iter().map(|h| h.len() + 12).sum::<usize>()
                        + rows.iter().flatten().map(|c| inlines(c) + 12).sum::<usize>()
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
    s.chars()
        .map(|c| match c {
            '`' => '\'',
            '*' => '∗',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Parse the inline markup: `` `code` ``, `**strong**`, and `https://` addresses as links.
pub fn md(s: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    // The text not yet pushed: `s[text..]` up to where `rest` starts.
    let mut text = 0;
    let mut rest = s;
    let flush = |out: &mut Vec<Inline>, text: usize, rest: &str| {
        let end = s.len() - rest.len();
        if end > text {
            out.push(Inline::Text(s[text..end].to_string()));
        }
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('`') {
            if let Some(end) = r.find('`') {
                flush(&mut out, text, rest);
                out.push(Inline::Code(r[..end].to_string()));
                rest = &r[end + 1..];
                text = s.len() - rest.len();
                continue;
            }
        }
        if rest.starts_with("https://") {
            let end = rest.find(|c: char| c.is_whitespace() || c == ')' || c == ',').unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches('.');
            flush(&mut out, text, rest);
            out.push(Inline::Link(url.to_string()));
            rest = &rest[url.len()..];
            text = s.len() - rest.len();
            continue;
        }
        if let Some(r) = rest.strip_prefix("**") {
            if let Some(end) = r.find("**") {
                flush(&mut out, text, rest);
                out.push(Inline::Strong(r[..end].to_string()));
                rest = &r[end + 2..];
                text = s.len() - rest.len();
                continue;
            }
        }
        // Plain text up to the next character that can start markup.
        let first = rest.chars().next().expect("not empty").len_utf8();
        let run = rest[first..].find(['`', '*', 'h']).map_or(rest.len(), |k| first + k);
        rest = &rest[run..];
    }
    flush(&mut out, text, rest);
    out
}

fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace)
}

// ---- Markdown ----------------------------------------------------------------------------------

/// `s` escaped for Markdown, appended to `out`.
fn md_text(out: &mut String, s: &str, in_table: bool) {
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let with = match c {
            b'\\' => "\\\\",
            b'*' => "\\*",
            b'_' => "\\_",
            b'<' => "\\<",
            b'>' => "\\>",
            b'[' => "\\[",
            b']' => "\\]",
            b'`' => "\\`",
            b'|' if in_table => "\\|",
            b'\n' => " ",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(with);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

fn md_inlines(out: &mut String, v: &[Inline], in_table: bool) {
    for i in v {
        match i {
            Inline::Text(t) => md_text(out, t, in_table),
            Inline::Code(c) => {
                out.push('`');
                let mut start = 0;
                for (i, &b) in c.as_bytes().iter().enumerate() {
                    let with = match b {
                        b'|' if in_table => "\\|",
                        b'\n' => " ",
                        _ => continue,
                    };
                    out.push_str(&c[start..i]);
                    out.push_str(with);
                    start = i + 1;
                }
                out.push_str(&c[start..]);
                out.push('`');
            }
            Inline::Strong(t) => {
                out.push_str("**");
                md_text(out, t, in_table);
                out.push_str("**");
            }
            Inline::Link(u) if is_web_link(u) => {
                out.push('<');
                out.push_str(u);
                out.push('>');
            }
            Inline::Link(u) => {
                out.push('`');
                out.push_str(u);
                out.push('`');
            }
        }
    }
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
                s.push_str("| ");
                for (k, h) in head.iter().enumerate() {
                    if k > 0 {
                        s.push_str(" | ");
                    }
                    md_text(&mut s, h, true);
                }
                s.push_str(" |\n|");
                for _ in head {
                    s.push_str("---|");
                }
                s.push('\n');
                for r in rows {
                    s.push_str("| ");
                    for (k, c) in r.iter().enumerate() {
                        if k > 0 {
                            s.push_str(" | ");
                        }
                        md_inlines(&mut s, c, true);
                    }
                    s.push_str(" |\n");
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

fn html_inlines(out: &mut String, v: &[Inline]) {
    for i in v {
        let (open, text, close) = match i {
            Inline::Text(t) => ("", t, ""),
            Inline::Code(c) => ("<code>", c, "</code>"),
            Inline::Strong(t) => ("<strong>", t, "</strong>"),
            Inline::Link(u) if is_web_link(u) => {
                out.push_str("<a href=\"");
                xml_escape_into(out, u);
                out.push_str("\">");
                ("", u, "</a>")
            }
            Inline::Link(u) => ("<code>", u, "</code>"),
        };
        out.push_str(open);
        xml_escape_into(out, text);
        out.push_str(close);
    }
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
            vec![
                Inline::Text("run ".into()),
                Inline::Code("a.sh".into()),
                Inline::Text(" ".into()),
                Inline::Strong("now".into()),
                Inline::Text(" or *not*".into()),
            ]
        );
        assert_eq!(md("an ` alone"), vec![Inline::Text("an ` alone".into())]);
        assert_eq!(
            md("é `x` h* see https://a.b/c, then **"),
            vec![
                Inline::Text("é ".into()),
                Inline::Code("x".into()),
                Inline::Text(" h* see ".into()),
                Inline::Link("https://a.b/c".into()),
                Inline::Text(", then **".into()),
            ]
        );
        assert_eq!(md("https://a.b."), vec![Inline::Link("https://a.b".into()), Inline::Text(".".into())]);
        assert_eq!(md("**a**`b`"), vec![Inline::Strong("a".into()), Inline::Code("b".into())]);
    }

    #[test]
    fn hostile_text_stays_text_in_both_formats() {
        let mut d = Doc { title: "t".into(), blocks: Vec::new() };
        let evil = plain("<script>alert(1)</script> `rm -rf` **x** | [a](javascript:x)");
        d.p(&evil);
        d.table(&["a"], &[vec![evil.clone()]]);
        d.blocks.push(Block::Para(vec![Inline::Link("javascript:alert(1)".into())]));
        let h = html(&d, "x");
        assert!(!h.contains("<script>") && !h.contains("href=\"javascript"), "{h}");
        let m = markdown(&d, "x");
        assert!(!m.contains("<script>") && m.contains("\\<script\\>"), "{m}");
        assert!(m.contains("\\| \\[a\\]"), "the pipe cannot split the table cell: {m}");
        assert!(!m.contains("`rm"), "a backtick in plan text cannot open code: {m}");
    }
}
