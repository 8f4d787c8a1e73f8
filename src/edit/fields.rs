//! The wizard's fields: whole numbers as typed, a finding's suggested value, text a field could
//! not take, and where a finding's field is in words.

use super::{Editor, E_INPUT};
use crate::check::{Finding, Severity};
use crate::plan::*;

/// Parse an optional whole number as typed: empty means "not set"; anything else must be a
/// number from `min` to `max`. The error says what was expected, for the field.
///
/// ```
/// use tunnelsmith::edit::parse_whole;
/// assert_eq!(parse_whole(" 65001 ", 1, 4_294_967_294), Ok(Some(65001)));
/// assert_eq!(parse_whole("", 1, 10), Ok(None));
/// assert!(parse_whole("65a", 1, 10).unwrap_err().contains("whole number"));
/// ```
pub fn parse_whole(text: &str, min: u64, max: u64) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{t}' is not a whole number: type digits only, from {min} to {max}"));
    }
    match t.parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(format!("{t} is out of range: type a number from {min} to {max}")),
    }
}

/// The value a finding's fix proposes for the finding's own field, offered as a one-click "Use"
/// (issue 18): a name that follows the naming rule, or a free address space.
pub fn suggestion(f: &Finding) -> Option<String> {
    if !matches!(f.code, "E_PLAN_NAME" | "E_SITE_NAME" | "E_SUBNET_NAME" | "E_CIDR_OVERLAP") {
        return None;
    }
    let v = f.fix.strip_prefix("use '")?.split('\'').next()?;
    (!v.is_empty()).then(|| v.to_string())
}

/// Which field a suggestion goes to: `name`, `sites[i].name`, `sites[i].subnets[k].name` or
/// `sites[i].address_spaces[k]`.
fn suggestion_target(path: &str) -> Option<(Option<usize>, &str, Option<usize>)> {
    if path == "name" {
        return Some((None, "name", None));
    }
    let (i, rest) = path.strip_prefix("sites[")?.split_once("].")?;
    let i = i.parse().ok()?;
    if rest == "name" {
        return Some((Some(i), "name", None));
    }
    let (list, rest) = rest.split_once('[')?;
    let (k, tail) = rest.split_once(']')?;
    let k = k.parse().ok()?;
    match (list, tail) {
        ("subnets", ".name") => Some((Some(i), "subnet", Some(k))),
        ("address_spaces", "") => Some((Some(i), "space", Some(k))),
        _ => None,
    }
}

impl Editor {
    /// Put a finding's [`suggestion`] in its field. `false` when the path names no such field.
    pub fn apply_suggestion(&mut self, path: &str, value: &str) -> bool {
        let Some((site, what, k)) = suggestion_target(path) else { return false };
        match (site, what, k) {
            (None, "name", None) => self.plan.name = value.to_string(),
            (Some(i), "name", None) if i < self.plan.sites.len() => self.set_site_name(i, value),
            (Some(i), "subnet", Some(k)) => {
                let Some(s) = self.plan.sites.get_mut(i).and_then(|s| s.subnets.get_mut(k)) else { return false };
                s.name = value.to_string();
            }
            (Some(i), "space", Some(k)) => {
                let Some(a) = self.plan.sites.get_mut(i).and_then(|s| s.address_spaces.get_mut(k)) else {
                    return false;
                };
                *a = value.to_string();
            }
            _ => return false,
        }
        true
    }
}

/// The finding for text a field could not take (kept as typed, marked, counted as an error).
pub fn input_finding(path: &str, message: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        code: E_INPUT,
        path: path.to_string(),
        message: message.to_string(),
        fix: "correct the value, or clear the field to use the default".into(),
        source: String::new(),
    }
}

/// Where a finding's field is, in words: `sites[1].address_spaces[0]` → `Site azure › address
/// space 1`. Unknown paths come back as they are.
///
/// ```
/// let plan = tunnelsmith::presets::find("004-aws-azure-gcp-bgp").unwrap().plan();
/// assert_eq!(tunnelsmith::edit::field_label(&plan, "links[1].crypto.phase1_dh_group"), "Link gcp ↔ azure › phase 1 DH group");
/// ```
pub fn field_label(plan: &Plan, path: &str) -> String {
    let segs: Vec<(&str, Option<usize>)> = path
        .split('.')
        .map(|s| match s.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse().ok()),
            None => (s, None),
        })
        .collect();
    let nth = |k: Option<usize>| k.map(|k| format!(" {}", k + 1)).unwrap_or_default();
    let field = |name: &str| -> String {
        match name {
            "name" => "name".into(),
            "region" => "region".into(),
            "network" => "network".into(),
            "id" => "existing network".into(),
            "resource_group" => "resource group".into(),
            "gateway" => "gateway".into(),
            "kind" => "gateway kind".into(),
            "sku" => "SKU".into(),
            "active_active" => "active-active".into(),
            "vpn_type" => "VPN type".into(),
            "asn" => "ASN".into(),
            "software" => "software".into(),
            "version" => "version".into(),
            "public_ip" => "public IP".into(),
            "private_ip" => "private IP".into(),
            "routing" => "routing".into(),
            "tunnels" => "tunnels".into(),
            "a" => "first site".into(),
            "b" => "second site".into(),
            "crypto" => "crypto".into(),
            "ike_version" => "IKE version".into(),
            "phase1_encryption" => "phase 1 encryption".into(),
            "phase1_integrity" => "phase 1 integrity".into(),
            "phase1_dh_group" => "phase 1 DH group".into(),
            "phase1_lifetime" => "phase 1 lifetime".into(),
            "phase2_encryption" => "phase 2 encryption".into(),
            "phase2_integrity" => "phase 2 integrity".into(),
            "pfs_group" => "PFS group".into(),
            "phase2_lifetime" => "phase 2 lifetime".into(),
            "dpd_timeout" => "DPD timeout".into(),
            "cidr" => "CIDR".into(),
            other => other.replace('_', " "),
        }
    };
    let mut out: Vec<String> = Vec::new();
    let mut rest = segs.as_slice();
    match rest.first() {
        Some(("name", None)) if rest.len() == 1 => return "Plan name".into(),
        Some(("description", None)) if rest.len() == 1 => return "Plan description".into(),
        Some(("sites", None)) if rest.len() == 1 => return "Sites".into(),
        Some(("secrets", None)) => return format!("Pre-shared key {}", &path["secrets.".len().min(path.len())..]),
        Some(("sites", Some(i))) => {
            out.push(match plan.sites.get(*i).map(|s| s.name.as_str()) {
                Some(n) if !n.is_empty() => format!("Site {n}"),
                _ => format!("Site {}", i + 1),
            });
            rest = &rest[1..];
        }
        Some(("links", Some(i))) => {
            out.push(match plan.links.get(*i) {
                Some(l) => format!("Link {} ↔ {}", l.a, l.b),
                None => format!("Link {}", i + 1),
            });
            rest = &rest[1..];
        }
        _ => return path.to_string(),
    }
    for (k, (name, idx)) in rest.iter().enumerate() {
        let text = match (*name, *idx) {
            ("address_spaces", i) => format!("address space{}", nth(i)),
            ("subnets", i) => format!("subnet{}", nth(i)),
            ("inside", Some(t)) => format!("tunnel {} inside /30", t + 1),
            ("inside", None) => "inside /30s".into(),
            // The gateway's own fields read better without "gateway ›" in front.
            ("gateway", None) if k + 1 < rest.len() => continue,
            ("network", None) | ("crypto", None) if k + 1 < rest.len() => continue,
            (n, i) => format!("{}{}", field(n), nth(i)),
        };
        out.push(text);
    }
    out.join(" › ")
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;
    use crate::check::analyze;
    use crate::edit::subnets_into;
    use crate::presets::PRESETS;
    use ipnet::Ipv4Net;

    fn used(e: &mut Editor, code: &str) -> (String, String) {
        let f = analyze(e.plan()).findings.into_iter().find(|f| f.code == code).expect(code);
        let v = suggestion(&f).unwrap_or_else(|| panic!("{code}: no suggestion in '{}'", f.fix));
        assert!(e.apply_suggestion(&f.path, &v), "{code} at {}", f.path);
        (f.path, v)
    }

    #[test]
    fn an_overlap_suggests_a_free_range_of_the_same_size_and_using_it_clears_the_error() {
        let mut e = Editor::new(PRESETS[4].plan());
        let taken: Vec<String> = e.plan().sites.iter().flat_map(|s| s.address_spaces.clone()).collect();
        e.edit(|p| p.sites[1].address_spaces[0] = p.sites[0].address_spaces[0].clone());
        let f = analyze(e.plan()).findings.into_iter().find(|f| f.code == "E_CIDR_OVERLAP").unwrap();
        assert_eq!(f.path, "sites[1].address_spaces[0]");
        let (_, v) = used(&mut e, "E_CIDR_OVERLAP");
        let free: Ipv4Net = v.parse().unwrap();
        assert_eq!(free.prefix_len(), taken[0].parse::<Ipv4Net>().unwrap().prefix_len());
        assert!(!taken.contains(&v), "{v} is in use");
        let codes: Vec<&str> = analyze(e.plan()).findings.iter().map(|f| f.code).collect();
        assert!(!codes.contains(&"E_CIDR_OVERLAP") && !codes.contains(&"E_CIDR_OVERLAP_SITE"), "{codes:?}");
        // The subnets follow the new space in one more click (issue 18 item 3).
        let moves = subnets_into(&e.plan().sites[1], 0);
        assert!(!moves.is_empty());
    }

    #[test]
    fn a_name_against_the_rule_suggests_one_that_follows_it_and_links_follow_a_site() {
        let mut e = Editor::new(PRESETS[4].plan());
        e.set_site_name(0, "My AWS");
        e.edit(|p| p.name = "Multi Cloud".into());
        let (path, v) = used(&mut e, "E_SITE_NAME");
        assert_eq!((path.as_str(), e.plan().sites[0].name.as_str()), ("sites[0].name", v.as_str()));
        assert!(e.plan().links.iter().any(|l| l.a == v || l.b == v));
        used(&mut e, "E_PLAN_NAME");
        assert!(analyze(e.plan()).findings.iter().all(|f| !f.is_error()), "{:?}", analyze(e.plan()).findings);
        assert!(!e.apply_suggestion("links[0].routing", "bgp"));
        assert!(!e.apply_suggestion("sites[9].name", "x"));
    }
}
