//! Pre-shared key rules per endpoint.

use super::crypto::Endpoint;
use super::{src, Src};

/// What an endpoint accepts as a pre-shared key.
#[derive(Debug, Clone, Copy)]
pub struct PskRule {
    pub endpoint: Endpoint,
    pub min_len: usize,
    pub max_len: usize,
    pub allowed: fn(char) -> bool,
    /// Characters a key may not start with.
    pub not_first: &'static [char],
    pub describe: &'static str,
    pub src: Src,
}

fn aws(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_'
}
fn azure(c: char) -> bool {
    (' '..='~').contains(&c) && !matches!(c, ' ' | '-' | '~')
}
fn printable(c: char) -> bool {
    (' '..='~').contains(&c)
}
fn unquoted(c: char) -> bool {
    ('!'..='~').contains(&c) && !matches!(c, '"' | '\'' | '\\')
}

const AWS: PskRule = PskRule {
    endpoint: Endpoint::Aws,
    min_len: 8,
    max_len: 64,
    allowed: aws,
    not_first: &['0'],
    describe: "8–64 characters of A–Z, a–z, 0–9, '.' and '_', not starting with 0",
    src: src("[AWS-UG-TUN] [AWS-API]"),
};
const AZURE: PskRule = PskRule {
    endpoint: Endpoint::AzureRouteBased,
    min_len: 1,
    max_len: 128,
    allowed: azure,
    not_first: &[],
    describe: "printable ASCII except space, '-' and '~'",
    src: src("[AZ-FAQ]"),
};
const GCP: PskRule = PskRule {
    endpoint: Endpoint::Gcp,
    min_len: 1,
    max_len: 255,
    allowed: printable,
    not_first: &[],
    describe: "printable ASCII",
    src: src("[GCLOUD-TUN]"),
};
const APPLIANCE: PskRule = PskRule {
    endpoint: Endpoint::Libreswan4,
    min_len: 1,
    max_len: 255,
    allowed: unquoted,
    not_first: &[],
    describe: "printable ASCII without spaces, quotes or backslashes (it is written inside quotes in the config)",
    src: src("[LS-SECRETS] [SS-OPT] [VY-XML]"),
};

/// The PSK rule of an endpoint.
pub fn rule(e: Endpoint) -> &'static PskRule {
    match e {
        Endpoint::Aws => &AWS,
        Endpoint::AzureRouteBased | Endpoint::AzureBasic | Endpoint::AzurePolicyBased => &AZURE,
        Endpoint::Gcp => &GCP,
        Endpoint::Libreswan4
        | Endpoint::Libreswan5
        | Endpoint::Strongswan5
        | Endpoint::Strongswan6
        | Endpoint::Vyos13
        | Endpoint::Vyos14 => &APPLIANCE,
    }
}

impl PskRule {
    /// `None` if the key is acceptable, else why not (without echoing the key).
    pub fn problem(&self, key: &str) -> Option<String> {
        let n = key.chars().count();
        if n < self.min_len || n > self.max_len {
            return Some(format!(
                "it is {n} characters long; {} needs {}–{}",
                self.endpoint.label(),
                self.min_len,
                self.max_len
            ));
        }
        if key.chars().any(|c| !(self.allowed)(c)) {
            return Some(format!("it contains a character {} rejects ({})", self.endpoint.label(), self.describe));
        }
        if key.starts_with(self.not_first) {
            return Some(format!("{} rejects a key starting with {:?}", self.endpoint.label(), self.not_first));
        }
        None
    }
}

/// The alphabet of generated keys: valid on every platform, exactly 64 symbols so a random
/// byte maps to one without bias.
pub const GENERATED_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
/// Length of generated keys.
pub const GENERATED_LEN: usize = 32;
