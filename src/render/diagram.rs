//! The topology diagram: sites, gateways and tunnels as standalone SVG (no script, no external
//! resources), the same picture for the same plan. Used by the runbook, the wizard and print.

use crate::check::{RLink, RSite, Resolved};
use crate::plan::{Gateway, Routing};
use std::fmt::Write;

const LINE_H: f64 = 16.0;
/// Average advance of a 13 px system-ui glyph, generous so text stays inside its box.
const CHAR_W: f64 = 7.9;

/// Width of a box holding these lines (plus padding).
fn text_width(lines: &[String], min: f64) -> f64 {
    let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    (chars * CHAR_W + 24.0).max(min).ceil()
}

/// A coordinate as `{:.1}` writes it, without the float formatter when the rounding is plain
/// (it is, but for exact ties: those go to the formatter).
struct D1(f64);

impl std::fmt::Display for D1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = self.0 * 10.0;
        let n = tenths.round();
        // `tenths` is within 1e-4 of the exact value here, so `n` is its rounding unless the
        // exact value is a tie (or too close to one to tell).
        if tenths.abs() < 1e12 && (tenths - n).abs() < 0.49 {
            let m = n.abs() as u64;
            let sign = if self.0.is_sign_negative() { "-" } else { "" };
            write!(f, "{sign}{}.{}", m / 10, m % 10)
        } else {
            write!(f, "{:.1}", self.0)
        }
    }
}

#[derive(Clone, Copy)]
struct Area {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Area {
    fn overlap(&self, o: &Area) -> f64 {
        let w = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let h = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if w > 0.0 && h > 0.0 {
            w * h
        } else {
            0.0
        }
    }
}

/// Escape text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    xml_escape_into(&mut out, s);
    out
}

/// [`xml_escape`], appended to `out`: the runs between the characters it replaces are copied
/// whole.
pub fn xml_escape_into(out: &mut String, s: &str) {
    let _ = escape_to(out, s);
}

/// [`xml_escape`] for `write!`, without a string of its own.
pub struct Xml<'a>(pub &'a str);

impl std::fmt::Display for Xml<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        escape_to(f, self.0)
    }
}

fn escape_to(out: &mut impl Write, s: &str) -> std::fmt::Result {
    // The bytes that may need replacing (0xC2 starts U+0080 to U+00BF).
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 0x20 {
            t[c] = true;
            c += 1;
        }
        t[0x7f] = true;
        t[0xc2] = true;
        t[b'&' as usize] = true;
        t[b'<' as usize] = true;
        t[b'>' as usize] = true;
        t[b'"' as usize] = true;
        t[b'\'' as usize] = true;
        t
    };
    let b = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if !SPECIAL[usize::from(b[i])] {
            i += 1;
            continue;
        }
        let (with, len) = match b[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            // Control characters (`char::is_control`): C0, DEL, and C1 (U+0080 to U+009F, which
            // UTF-8 writes as 0xC2 0x80 to 0xC2 0x9F).
            0..=0x1f | 0x7f => (" ", 1),
            0xc2 if matches!(b.get(i + 1), Some(0x80..=0x9f)) => (" ", 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.write_str(&s[start..i])?;
        out.write_str(with)?;
        i += len;
        start = i;
    }
    out.write_str(&s[start..])
}

fn gateway_line(s: &RSite) -> String {
    match &s.gateway {
        Gateway::AwsVgw { .. } => "virtual private gateway".into(),
        Gateway::AwsTgw { .. } => "transit gateway".into(),
        Gateway::AzureVpnGateway { sku, active_active, .. } => {
            format!("VPN gateway {sku}{}", if *active_active { " (active-active)" } else { "" })
        }
        Gateway::GcpHaVpn { .. } => "HA VPN + Cloud Router".into(),
        Gateway::GcpClassicVpn {} => "Classic VPN".into(),
        Gateway::Appliance { software, version, .. } => {
            format!("{} {version} on {}", software.label(), s.platform.appliance_host())
        }
    }
}

fn site_lines(s: &RSite) -> Vec<String> {
    let mut lines = vec![format!("{} · {}", s.platform.label(), if s.region.is_empty() { "—" } else { &s.region })];
    lines.push(gateway_line(s));
    // The public addresses the peers dial: typed for an appliance, else made at deploy time.
    match (&s.gateway, s.outside_addresses) {
        (Gateway::Appliance { public_ip, .. }, _) if !public_ip.is_empty() => {
            lines.push(format!("public IP {public_ip}"))
        }
        (_, 0) => {}
        (_, 1) => lines.push("1 public IP, known after deploy".into()),
        (_, n) => lines.push(format!("{n} public IPs, known after deploy")),
    }
    if let Some(asn) = s.asn {
        lines.push(format!("ASN {asn}"));
    }
    for n in s.address_spaces.iter().take(3) {
        lines.push(n.to_string());
    }
    if s.address_spaces.len() > 3 {
        lines.push(format!("+{} more", s.address_spaces.len() - 3));
    }
    lines
}

fn link_lines(r: &Resolved, l: &RLink) -> Vec<String> {
    let mut lines = vec![format!(
        "{} ↔ {} · {} · {} tunnel{}",
        r.sites[l.a].name,
        r.sites[l.b].name,
        match l.routing {
            Routing::Static => "static",
            Routing::Bgp => "BGP",
        },
        l.tunnels.len(),
        if l.tunnels.len() == 1 { "" } else { "s" }
    )];
    for t in &l.tunnels {
        let n = t.id.rsplit('-').next().unwrap_or("");
        match (t.inside, t.ends[0].inside_ip, t.ends[1].inside_ip) {
            (Some(net), Some(a), Some(b)) => lines.push(format!("{n} {net}  .{} ↔ .{}", a.octets()[3], b.octets()[3])),
            _ => lines.push(format!("{n} (inside range not set)")),
        }
    }
    lines
}

/// The diagram as an SVG document.
pub fn svg(r: &Resolved) -> String {
    let n = r.sites.len().max(1);
    let boxes: Vec<Vec<String>> = r.sites.iter().map(site_lines).collect();
    let box_h: Vec<f64> = boxes.iter().map(|b| 34.0 + LINE_H * b.len() as f64).collect();
    let box_w: Vec<f64> =
        boxes.iter().zip(&r.sites).map(|(b, s)| text_width(b, 140.0).max(s.name.len() as f64 * 9.0 + 24.0)).collect();
    let widest = box_w.iter().copied().fold(200.0, f64::max);
    // Sites on an ellipse, first at the top-left, clockwise; two sites side by side.
    let (w, h) = (1200.0_f64, if n <= 2 { 440.0 } else { 860.0 });
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (rx, ry) = (w / 2.0 - widest / 2.0 - 20.0, h / 2.0 - 100.0);
    let centre: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            if n <= 2 {
                (if i == 0 { widest / 2.0 + 20.0 } else { w - widest / 2.0 - 20.0 }, cy)
            } else {
                let a = -std::f64::consts::FRAC_PI_2 - std::f64::consts::PI / n as f64
                    + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                (cx + rx * a.cos(), cy + ry * a.sin())
            }
        })
        .collect();

    let tunnels: usize = r.links.iter().map(|l| l.tunnels.len()).sum();
    let mut body = String::with_capacity(96 * tunnels + 640 * r.sites.len());
    // Links first, so boxes and labels sit on top of the lines.
    let mut labels = String::with_capacity(80 * (tunnels + 2 * r.links.len()));
    let mut desc = String::with_capacity(48 * (tunnels + r.links.len()));
    let mut taken: Vec<Area> = (0..r.sites.len())
        .map(|i| Area { x: centre[i].0 - box_w[i] / 2.0, y: centre[i].1 - box_h[i] / 2.0, w: box_w[i], h: box_h[i] })
        .collect();
    for l in &r.links {
        let ((x1, y1), (x2, y2)) = (centre[l.a], centre[l.b]);
        let count = l.tunnels.len().max(1);
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (nx, ny) = (-dy / len, dx / len);
        let class = if l.routing == Routing::Bgp { "bgp" } else { "static" };
        for k in 0..count {
            let off = (k as f64 - (count as f64 - 1.0) / 2.0) * 5.0;
            let _ = writeln!(
                body,
                r#"  <line class="tunnel {class}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
                D1(x1 + nx * off),
                D1(y1 + ny * off),
                D1(x2 + nx * off),
                D1(y2 + ny * off)
            );
        }
        // Label: the first position along the line (middle first) that touches no box or
        // label already placed; failing that, the one that overlaps least.
        let lines = link_lines(r, l);
        let (lw, lh) = (text_width(&lines, 120.0), 12.0 + 14.0 * lines.len() as f64);
        let at = |t: f64| Area { x: x1 + dx * t - lw / 2.0, y: y1 + dy * t - lh / 2.0, w: lw, h: lh };
        let cost = |a: &Area| taken.iter().map(|o| a.overlap(o)).sum::<f64>();
        let tries = [0.5, 0.4, 0.6, 0.3, 0.7, 0.35, 0.65, 0.25, 0.75, 0.45, 0.55];
        let best = tries.iter().map(|t| at(*t)).find(|a| cost(a) == 0.0).unwrap_or_else(|| {
            tries.iter().map(|t| at(*t)).min_by(|a, b| cost(a).total_cmp(&cost(b))).unwrap_or(at(0.5))
        });
        taken.push(best);
        let _ = write!(desc, "{} to {}: ", r.sites[l.a].name, r.sites[l.b].name);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                desc.push_str(", ");
            }
            desc.push_str(line);
        }
        desc.push_str(". ");
        let (lx, ly) = (best.x, best.y);
        let _ = writeln!(labels, r#"  <g class="link-label" aria-label="link {}">"#, Xml(&l.id));
        let (x, y, h) = (D1(lx), D1(ly), D1(lh));
        let _ = writeln!(labels, r#"    <rect x="{x}" y="{y}" width="{lw}" height="{h}" rx="6"/>"#);
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(
                labels,
                r#"    <text x="{}" y="{}"{}>{}</text>"#,
                D1(lx + 8.0),
                D1(ly + 18.0 + 14.0 * i as f64),
                if i == 0 { r#" class="strong""# } else { "" },
                Xml(line)
            );
        }
        labels.push_str("  </g>\n");
    }
    for (i, s) in r.sites.iter().enumerate() {
        let (x, y) = (centre[i].0 - box_w[i] / 2.0, centre[i].1 - box_h[i] / 2.0);
        let _ = writeln!(body, r#"  <g class="site {}" aria-label="site {}">"#, s.platform_class(), Xml(&s.name));
        let _ = writeln!(
            body,
            r#"    <rect x="{}" y="{}" width="{}" height="{}" rx="10"/>"#,
            D1(x),
            D1(y),
            box_w[i],
            D1(box_h[i])
        );
        let _ = writeln!(
            body,
            r#"    <text class="name" x="{}" y="{}">{}</text>"#,
            D1(x + 12.0),
            D1(y + 24.0),
            Xml(&s.name)
        );
        for (k, line) in boxes[i].iter().enumerate() {
            let _ = writeln!(
                body,
                r#"    <text x="{}" y="{}">{}</text>"#,
                D1(x + 12.0),
                D1(y + 44.0 + LINE_H * k as f64),
                Xml(line)
            );
        }
        body.push_str("  </g>\n");
    }

    let title = format!(
        "Topology of plan {}: {} site{}, {} link{}, {} tunnel{}",
        r.plan_name,
        r.sites.len(),
        if r.sites.len() == 1 { "" } else { "s" },
        r.links.len(),
        if r.links.len() == 1 { "" } else { "s" },
        tunnels,
        if tunnels == 1 { "" } else { "s" }
    );
    let mut svg = String::with_capacity(body.len() + labels.len() + desc.len() + 2048);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="topology-title topology-desc" font-family="system-ui, sans-serif" font-size="13">
  <title id="topology-title">{}</title>
  <desc id="topology-desc">{}</desc>
  <style>
    .tunnel {{ stroke: #5b6b7f; stroke-width: 2; }}
    .tunnel.bgp {{ stroke: #2f6fb3; }}
    .tunnel.static {{ stroke-dasharray: 7 4; }}
    .site rect {{ fill: #ffffff; stroke: #33414f; stroke-width: 1.5; }}
    .site.aws rect {{ stroke: #c26a00; }}
    .site.azure rect {{ stroke: #0a6ed1; }}
    .site.gcp rect {{ stroke: #1e8e3e; }}
    .link-label rect {{ fill: #f4f6f8; stroke: #9aa7b4; }}
    text {{ fill: #1d2733; }}
    .name {{ font-weight: 700; font-size: 15px; }}
    .strong {{ font-weight: 600; }}
  </style>
  <rect width="{w}" height="{h}" fill="#fbfcfd"/>
{body}{labels}  <text x="16" y="{}" font-size="12">— BGP   - - static   ·   {}</text>
</svg>
"##,
        Xml(&title),
        Xml(desc.trim_end()),
        h - 14.0,
        Xml(&format!("Tunnelsmith {}, knowledge base {}", crate::VERSION, r.kb_date)),
    );
    svg
}

impl RSite {
    fn platform_class(&self) -> &'static str {
        match self.platform {
            crate::plan::Platform::Aws => "aws",
            crate::plan::Platform::Azure => "azure",
            crate::plan::Platform::Gcp => "gcp",
            crate::plan::Platform::Onprem => "onprem",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_written_as_the_float_formatter_writes_them() {
        let mut x = -1234.5678_f64;
        while x < 1234.5 {
            for v in [x, x + 0.05, x + 0.25, x - 0.05, -0.0, 0.04, -0.04] {
                assert_eq!(D1(v).to_string(), format!("{v:.1}"), "{v}");
            }
            x += 0.0137;
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(xml_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(xml_escape("a\u{7}b\nc\u{7f}d\u{85}e\u{a0}é→"), "a b c d e\u{a0}é→");
        // Exactly the control characters become spaces.
        for c in (0..0x3000).filter_map(char::from_u32).filter(|c| !"&<>\"'".contains(*c)) {
            let want = if c.is_control() { " ".to_string() } else { c.to_string() };
            assert_eq!(xml_escape(&format!("x{c}y")), format!("x{want}y"), "{:?}", c);
        }
    }
}
