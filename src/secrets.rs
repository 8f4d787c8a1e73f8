//! Secrets (pre-shared keys): never in a plan, a link, a log or a golden file.
//!
//! The engine does no I/O and holds no randomness: keys are made from random bytes the face
//! supplies (the browser's `crypto.getRandomValues`, the CLI's `getrandom`), one per tunnel,
//! and travel as a `secrets.env` file beside the plan.

use crate::check::{Finding, RTunnel, Resolved, Severity};
use crate::kb::crypto::Endpoint;
use crate::kb::psk::{self, GENERATED_ALPHABET, GENERATED_LEN};
use std::collections::BTreeMap;
use std::fmt;

/// Pre-shared keys by name (`PSK_<LINK>_T<n>`, see [`crate::check::RTunnel::psk_name`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    psks: BTreeMap<String, String>,
}

impl fmt::Debug for Secrets {
    /// Names only: a secret never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("psks", &self.psks.keys().collect::<Vec<_>>()).finish()
    }
}

impl Secrets {
    /// A key for every tunnel of the plan, from `random` (which must fill the buffer with
    /// bytes from a CSPRNG).
    pub fn generate(resolved: &Resolved, random: &mut dyn FnMut(&mut [u8])) -> Secrets {
        let mut s = Secrets::default();
        s.fill_missing(resolved, random);
        s
    }

    /// Generate keys for tunnels that have none; keep the ones already present.
    pub fn fill_missing(&mut self, resolved: &Resolved, random: &mut dyn FnMut(&mut [u8])) {
        for t in resolved.links.iter().flat_map(|l| &l.tunnels) {
            if !self.psks.contains_key(&t.psk_name) {
                self.psks.insert(t.psk_name.clone(), generate_key(random));
            }
        }
    }

    pub fn psk(&self, name: &str) -> Option<&str> {
        self.psks.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, key: &str) {
        self.psks.insert(name.to_string(), key.to_string());
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.psks.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.psks.is_empty()
    }

    /// Only the keys named in `names` (those present): what one appliance host receives.
    pub fn subset<S: AsRef<str>>(&self, names: &[S]) -> Secrets {
        let psks = names
            .iter()
            .filter_map(|n| self.psks.get_key_value(n.as_ref()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Secrets { psks }
    }

    /// Every key, for redaction in logs.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.psks.values().map(String::as_str)
    }

    /// The `secrets.env` text: `NAME='key'` lines a shell can source.
    pub fn to_env(&self) -> String {
        let mut out = String::from(
            "# Tunnelsmith pre-shared keys: one per tunnel. Keep this file private (mode 0600);\n\
             # never commit it or paste it into a ticket. The scripts read it with `source`.\n",
        );
        for (k, v) in &self.psks {
            out.push_str(&format!("{k}='{}'\n", v.replace('\'', "'\\''")));
        }
        out
    }

    /// Parse a `secrets.env` file. Errors name the line, never the key.
    pub fn from_env(text: &str) -> Result<Secrets, String> {
        let mut s = Secrets::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((name, value)) = line.split_once('=') else {
                return Err(format!("line {}: expected NAME='key'", n + 1));
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                return Err(format!("line {}: '{name}' is not a key name (PSK_…)", n + 1));
            }
            let value =
                unquote(value).ok_or_else(|| format!("line {}: the value of {name} has unbalanced quotes", n + 1))?;
            s.psks.insert(name.to_string(), value);
        }
        Ok(s)
    }
}

/// Undo POSIX single-quoting (`'a'\''b'`) or take a bare word.
fn unquote(v: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => out.push(chars.next()?),
                    c => out.push(c),
                }
            },
            c if c.is_whitespace() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn generate_key(random: &mut dyn FnMut(&mut [u8])) -> String {
    let mut key = String::with_capacity(GENERATED_LEN);
    let mut buf = [0u8; 64];
    while key.len() < GENERATED_LEN {
        random(&mut buf);
        for b in buf {
            let c = GENERATED_ALPHABET[usize::from(b & 63)] as char;
            if key.is_empty() && c == '0' {
                continue; // AWS rejects keys starting with 0
            }
            if key.len() < GENERATED_LEN {
                key.push(c);
            }
        }
    }
    key
}

/// One pre-shared key of the plan and the tunnels that use it. Tunnels share a key where one
/// Azure connection forms them (an active-active gateway builds a tunnel from each instance to
/// the same peer address, [`crate::check::RTunnel::psk_name`]); every other tunnel has its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub name: String,
    /// Tunnel ids, in plan order.
    pub tunnels: Vec<String>,
}

impl KeyUse {
    /// `tunnel a-b-t1` or `tunnels a-b-t1 and a-b-t2 (one Azure connection, so one key)`.
    pub fn describe(&self) -> String {
        match self.tunnels.as_slice() {
            [one] => format!("tunnel {one}"),
            many => format!("tunnels {} (one Azure connection, so one key)", join_and(many)),
        }
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The plan's pre-shared keys, each once, in plan order, with the tunnels that use it: what
/// `secrets.env` holds and what every count of keys counts.
pub fn key_uses(resolved: &Resolved) -> Vec<KeyUse> {
    uses_of(resolved.links.iter().flat_map(|l| &l.tunnels))
}

fn uses_of<'a>(tunnels: impl Iterator<Item = &'a RTunnel>) -> Vec<KeyUse> {
    let mut out: Vec<KeyUse> = Vec::new();
    for t in tunnels {
        match out.iter_mut().find(|k| k.name == t.psk_name) {
            Some(k) => k.tunnels.push(t.id.clone()),
            None => out.push(KeyUse { name: t.psk_name.clone(), tunnels: vec![t.id.clone()] }),
        }
    }
    out
}

/// Check that every key of the plan is there and that both ends of its tunnels accept it (one
/// finding per key, naming every tunnel that uses it).
pub fn check(resolved: &Resolved, secrets: &Secrets) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in &resolved.links {
        for k in uses_of(l.tunnels.iter()) {
            let path = format!("secrets.{}", k.name);
            let who = k.describe();
            let Some(key) = secrets.psk(&k.name) else {
                out.push(Finding {
                    severity: Severity::Error,
                    code: "E_PSK_MISSING",
                    path,
                    message: format!("{who} {} no pre-shared key", if k.tunnels.len() == 1 { "has" } else { "have" }),
                    fix: "import the secrets file you were sent, or generate new keys for every tunnel".into(),
                    source: String::new(),
                });
                continue;
            };
            for e in [l.a, l.b] {
                let Some(ep) = resolved.sites[e].endpoint else { continue };
                let rule = psk::rule(ep);
                if let Some(why) = rule.problem(key) {
                    out.push(Finding {
                        severity: Severity::Error,
                        code: "E_PSK_REJECTED",
                        path: path.clone(),
                        message: format!("{} rejects the key of {who}: {why}", resolved.sites[e].name),
                        fix: format!("use a key of {}; generated keys fit every platform", rule.describe),
                        source: rule.src.keys.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Whether an endpoint's rule is the strictest (used by the wizard to explain key choices).
pub fn strictest(endpoints: &[Endpoint]) -> Option<&'static psk::PskRule> {
    endpoints.iter().map(|e| psk::rule(*e)).min_by_key(|r| r.max_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_add(37);
            }
        }
    }

    #[test]
    fn generated_keys_fit_every_platform_and_are_unique() {
        for p in PRESETS {
            let r = crate::check::resolve(&p.plan());
            let s = Secrets::generate(&r, &mut counter());
            assert_eq!(s.names().count(), r.links.iter().map(|l| l.tunnels.len()).sum::<usize>());
            assert!(check(&r, &s).is_empty(), "{}", p.id);
            for k in s.values() {
                assert_eq!(k.len(), 32);
                assert!(!k.starts_with('0'));
            }
        }
    }

    #[test]
    fn first_character_zero_is_skipped() {
        // Every byte 52 maps to '0'.
        let mut zeros_then_a = {
            let mut calls = 0;
            move |buf: &mut [u8]| {
                calls += 1;
                buf.fill(if calls == 1 { 52 } else { 0 });
            }
        };
        let r = crate::check::resolve(&PRESETS[2].plan());
        let s = Secrets::generate(&r, &mut zeros_then_a);
        assert!(s.values().all(|k| k.starts_with('A')));
    }

    #[test]
    fn env_round_trip_and_debug_hides_keys() {
        let mut s = Secrets::default();
        s.set("PSK_A_B_T1", "it's.a_key");
        s.set("PSK_A_B_T2", "plain");
        let text = s.to_env();
        assert_eq!(Secrets::from_env(&text).unwrap(), s);
        assert!(!format!("{s:?}").contains("plain"));
        assert!(Secrets::from_env("PSK_X='open").unwrap_err().contains("line 1"));
        assert!(Secrets::from_env("lower=1").is_err());
    }

    #[test]
    fn user_keys_are_checked_against_both_ends() {
        let r = crate::check::resolve(&PRESETS[2].plan()); // Azure ↔ AWS
        let mut s = Secrets::generate(&r, &mut counter());
        s.set("PSK_AZURE_AWS_T1", "0startswithzero");
        s.set("PSK_AZURE_AWS_T2", "has-hyphen");
        let f = check(&r, &s);
        assert!(f
            .iter()
            .any(|f| f.code == "E_PSK_REJECTED" && f.message.contains("aws") && f.message.contains("starting")));
        assert!(f.iter().any(|f| f.code == "E_PSK_REJECTED" && f.message.contains("azure")));
        assert!(f.iter().all(|f| !f.message.contains("has-hyphen")), "a finding must not echo the key");
        let empty = Secrets::default();
        assert_eq!(check(&r, &empty).iter().filter(|f| f.code == "E_PSK_MISSING").count(), 2);
    }

    /// An on-premises appliance and an active-active Azure gateway: two tunnels (one per Azure
    /// instance) to the appliance's one address form one Azure connection, so one key. Every
    /// count agrees: the keys listed, generated, written to secrets.env and found missing.
    #[test]
    fn tunnels_of_one_azure_connection_share_one_key_and_count_once() {
        let plan = crate::plan::Plan::from_json(
            r#"{"version": 1, "name": "onprem", "sites": [
                {"name": "dc", "platform": "onprem", "region": "fra-dc1", "address_spaces": ["10.10.0.0/16"],
                 "gateway": {"kind": "appliance", "software": "strongswan", "version": "6", "public_ip": "198.51.100.7"}},
                {"name": "azure", "platform": "azure", "region": "eastus", "address_spaces": ["10.20.0.0/16"],
                 "subnets": [{"name": "GatewaySubnet", "cidr": "10.20.255.0/27"}],
                 "gateway": {"kind": "azure_vpn_gateway", "sku": "VpnGw1AZ", "active_active": true}}],
              "links": [{"a": "dc", "b": "azure"}]}"#,
        )
        .unwrap();
        let r = crate::check::resolve(&plan);
        assert_eq!(r.links[0].tunnels.len(), 2);
        let uses = key_uses(&r);
        assert_eq!(uses.len(), 1, "{uses:?}");
        assert_eq!(uses[0].tunnels, ["dc-azure-t1", "dc-azure-t2"]);
        let s = Secrets::generate(&r, &mut counter());
        assert_eq!(s.names().count(), 1);
        assert_eq!(s.to_env().lines().filter(|l| l.starts_with("PSK_")).count(), 1);
        let missing = check(&r, &Secrets::default());
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(
            missing[0].message,
            "tunnels dc-azure-t1 and dc-azure-t2 (one Azure connection, so one key) have no pre-shared key"
        );
    }
}
