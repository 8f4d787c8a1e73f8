//! The runbook as a small document model, rendered twice from the same blocks: Markdown and a
//! standalone HTML page. Both say the same thing because both are made from one [`Doc`].
//!
//! Inline text is written in a tiny markup ([`md`]): `` `code` `` and `**strong**` only. Text from
//! the plan goes through [`plain`] first, so it can never open a code span or emphasis; every
//! renderer then escapes what its format needs (Markdown punctuation, HTML entities).

use crate::render::diagram::xml_escape;
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
    let mut text = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('`') {
            if let Some(end) = r.find('`') {
                flush(&mut out, &mut text);
                out.push(Inline::Code(r[..end].to_string()));
                rest = &r[end + 1..];
                continue;
            }
        }
        if rest.starts_with("https://") {
            let end = rest.find(|c: char| c.is_whitespace() || c == ')' || c == ',').unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches('.');
            flush(&mut out, &mut text);
            out.push(Inline::Link(url.to_string()));
            rest = &rest[url.len()..];
            continue;
        }
        if let Some(r) = rest.strip_prefix("**") {
            if let Some(end) = r.find("**") {
                flush(&mut out, &mut text);
                out.push(Inline::Strong(r[..end].to_string()));
                rest = &r[end + 2..];
                continue;
            }
        }
        let c = rest.chars().next().expect("not empty");
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut out, &mut text);
    out
}

fn flush(out: &mut Vec<Inline>, text: &mut String) {
    if !text.is_empty() {
        out.push(Inline::Text(std::mem::take(text)));
    }
}

fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace)
}

// ---- Markdown ----------------------------------------------------------------------------------

fn md_text(s: &str, in_table: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '<' | '>' | '[' | ']' | '`' => {
                o.push('\\');
                o.push(c);
            }
            '|' if in_table => o.push_str("\\|"),
            '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

fn md_inlines(v: &[Inline], in_table: bool) -> String {
    v.iter()
        .map(|i| match i {
            Inline::Text(t) => md_text(t, in_table),
            Inline::Code(c) => {
                let c = if in_table { c.replace('|', "\\|") } else { c.clone() };
                format!("`{}`", c.replace('\n', " "))
            }
            Inline::Strong(t) => format!("**{}**", md_text(t, in_table)),
            Inline::Link(u) if is_web_link(u) => format!("<{u}>"),
            Inline::Link(u) => format!("`{u}`"),
        })
        .collect()
}

/// The document as Markdown (GitHub flavour: tables, fenced code).
pub fn markdown(d: &Doc, stamp: &str) -> String {
    let mut s = String::new();
    for line in stamp.lines() {
        let _ = writeln!(s, "<!--{} -->", line.replace("--", "- -"));
    }
    let _ = writeln!(s, "\n# {}\n", md_text(&d.title, false));
    let contents = d.contents();
    if !contents.is_empty() {
        s.push_str("Contents:\n\n");
        for (_, text, _) in &contents {
            let _ = writeln!(s, "- {}", md_text(text, false));
        }
        s.push('\n');
    }
    for b in &d.blocks {
        match b {
            Block::Heading { level, text, .. } => {
                let _ = writeln!(s, "{} {}\n", "#".repeat(usize::from(*level)), md_text(text, false));
            }
            Block::Para(v) => {
                let _ = writeln!(s, "{}\n", md_inlines(v, false));
            }
            Block::Note(v) => {
                let _ = writeln!(s, "> {}\n", md_inlines(v, false));
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "- {}", md_inlines(i, false));
                }
                s.push('\n');
            }
            Block::Numbered(items) => {
                for (k, i) in items.iter().enumerate() {
                    let _ = writeln!(s, "{}. {}", k + 1, md_inlines(i, false));
                }
                s.push('\n');
            }
            Block::Table { head, rows } => {
                let _ = writeln!(s, "| {} |", head.iter().map(|h| md_text(h, true)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
                for r in rows {
                    let cells: Vec<String> = r.iter().map(|c| md_inlines(c, true)).collect();
                    let _ = writeln!(s, "| {} |", cells.join(" | "));
                }
                s.push('\n');
            }
            Block::Code(c) => {
                let _ = writeln!(s, "```bash\n{c}\n```\n");
            }
            Block::Diagram { file, alt, .. } => {
                let _ = writeln!(s, "![{}]({file})\n", md_text(alt, false));
            }
        }
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

// ---- HTML --------------------------------------------------------------------------------------

fn html_inlines(v: &[Inline]) -> String {
    v.iter()
        .map(|i| match i {
            Inline::Text(t) => xml_escape(t),
            Inline::Code(c) => format!("<code>{}</code>", xml_escape(c)),
            Inline::Strong(t) => format!("<strong>{}</strong>", xml_escape(t)),
            Inline::Link(u) if is_web_link(u) => format!("<a href=\"{0}\">{0}</a>", xml_escape(u)),
            Inline::Link(u) => format!("<code>{}</code>", xml_escape(u)),
        })
        .collect()
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
    let mut s = String::from("<!DOCTYPE html>\n");
    for line in stamp.lines() {
        let _ = writeln!(s, "<!--{} -->", line.replace("--", "- -"));
    }
    let _ = write!(
        s,
        "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        xml_escape(&d.title),
        xml_escape(&d.title)
    );
    let contents = d.contents();
    if !contents.is_empty() {
        s.push_str("<nav aria-label=\"Contents\"><ul>\n");
        for (_, text, id) in &contents {
            let _ = writeln!(s, "<li><a href=\"#{id}\">{}</a></li>", xml_escape(text));
        }
        s.push_str("</ul></nav>\n");
    }
    for b in &d.blocks {
        match b {
            Block::Heading { level, text, id } => {
                let _ = writeln!(s, "<h{level} id=\"{}\">{}</h{level}>", xml_escape(id), xml_escape(text));
            }
            Block::Para(v) => {
                let _ = writeln!(s, "<p>{}</p>", html_inlines(v));
            }
            Block::Note(v) => {
                let _ = writeln!(s, "<p class=\"note\">{}</p>", html_inlines(v));
            }
            Block::List(items) | Block::Numbered(items) => {
                let tag = if matches!(b, Block::List(_)) { "ul" } else { "ol" };
                let _ = writeln!(s, "<{tag}>");
                for i in items {
                    let _ = writeln!(s, "<li>{}</li>", html_inlines(i));
                }
                let _ = writeln!(s, "</{tag}>");
            }
            Block::Table { head, rows } => {
                s.push_str("<table>\n<thead><tr>");
                for h in head {
                    let _ = write!(s, "<th>{}</th>", xml_escape(h));
                }
                s.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        let _ = write!(s, "<td>{}</td>", html_inlines(c));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody>\n</table>\n");
            }
            Block::Code(c) => {
                // Line by line: `xml_escape` turns control characters, newlines too, into spaces.
                let lines: Vec<String> = c.lines().map(xml_escape).collect();
                let _ = writeln!(s, "<pre><code>{}</code></pre>", lines.join("\n"));
            }
            Block::Diagram { svg, alt, .. } => {
                let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
                let _ = writeln!(
                    s,
                    "<figure role=\"img\" aria-label=\"{}\">\n{}\n</figure>",
                    xml_escape(alt),
                    body.trim_end()
                );
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
