//! Naming rules and region lists. Plan and site names end up in resource names on every
//! cloud, so they follow the strictest common rule (Google Cloud's RFC 1035 labels, with room
//! left for Tunnelsmith's suffixes within 63 characters).

use super::{src, Src};
use crate::plan::Platform;

/// A naming rule written as data: allowed characters per position and length.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    pub what: &'static str,
    pub max_len: usize,
    /// Characters allowed anywhere.
    pub chars: fn(char) -> bool,
    /// Characters allowed first.
    pub first: fn(char) -> bool,
    /// Characters allowed last.
    pub last: fn(char) -> bool,
    pub describe: &'static str,
    pub src: Src,
}

fn lower_digit_dash(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}
fn lower(c: char) -> bool {
    c.is_ascii_lowercase()
}
fn lower_digit(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}
fn word_dot_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}
fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
fn alnum_underscore(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
fn rg_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')')
}
fn not_dot(c: char) -> bool {
    rg_chars(c) && c != '.'
}
fn hex(c: char) -> bool {
    c.is_ascii_digit() || ('a'..='f').contains(&c)
}
fn label_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')
}

/// Plan names: prefix of every resource name and the teardown tag.
pub const PLAN_NAME: NameRule = NameRule {
    what: "plan name",
    max_len: 20,
    chars: lower_digit_dash,
    first: lower,
    last: lower_digit,
    describe: "1–20 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    src: src("[GCLOUD-TUN] (RFC 1035 resource names)"),
};

/// Site names: part of every resource name of the site.
pub const SITE_NAME: NameRule = NameRule {
    what: "site name",
    max_len: 16,
    chars: lower_digit_dash,
    first: lower,
    last: lower_digit,
    describe: "1–16 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    src: src("[GCLOUD-TUN] (RFC 1035 resource names)"),
};

/// Subnet names on AWS (Name tag) and Azure.
pub const SUBNET_NAME: NameRule = NameRule {
    what: "subnet name",
    max_len: 80,
    chars: word_dot_dash,
    first: alnum,
    last: alnum_underscore,
    describe: "1–80 characters: letters, digits, '-', '_' and '.', starting with a letter or digit and ending with a letter, digit or '_'",
    src: src("[AZ-VNET-FAQ]"),
};

/// Subnet names on Google Cloud.
pub const GCP_SUBNET_NAME: NameRule = NameRule {
    what: "Google Cloud subnet name",
    max_len: 63,
    chars: lower_digit_dash,
    first: lower,
    last: lower_digit,
    describe: "1–63 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    src: src("[GCLOUD-TUN] (RFC 1035 resource names)"),
};

/// Existing AWS VPC IDs.
pub const AWS_VPC_ID: NameRule = NameRule {
    what: "AWS VPC ID",
    max_len: 21,
    chars: |c| hex(c) || matches!(c, 'v' | 'p' | 'c' | '-'),
    first: |c| c == 'v',
    last: hex,
    describe: "vpc- followed by 8 or 17 hexadecimal digits, e.g. vpc-0a1b2c3d4e5f60718",
    src: src("[AWS-API]"),
};

/// Existing Azure VNet names.
pub const AZURE_VNET_NAME: NameRule = NameRule {
    what: "Azure VNet name",
    max_len: 64,
    chars: word_dot_dash,
    first: alnum,
    last: alnum_underscore,
    describe: "2–64 characters: letters, digits, '-', '_' and '.', starting with a letter or digit and ending with a letter, digit or '_'",
    src: src("[AZ-VNET-FAQ]"),
};

/// Azure resource group names.
pub const AZURE_RESOURCE_GROUP: NameRule = NameRule {
    what: "Azure resource group",
    max_len: 90,
    chars: rg_chars,
    first: rg_chars,
    last: not_dot,
    describe: "1–90 characters: letters, digits, '-', '_', '.', '(' and ')', not ending with '.'",
    src: src("[AZ-VNET-FAQ]"),
};

/// Existing Google Cloud network names.
pub const GCP_NETWORK_NAME: NameRule = NameRule {
    what: "Google Cloud network name",
    max_len: 63,
    chars: lower_digit_dash,
    first: lower,
    last: lower_digit,
    describe: "1–63 characters: lowercase letters, digits and '-', starting with a letter and not ending with '-'",
    src: src("[GCLOUD-TUN] (RFC 1035 resource names)"),
};

/// Labels of self-managed sites' locations (documentation only).
pub const ONPREM_LOCATION: NameRule = NameRule {
    what: "location label",
    max_len: 40,
    chars: label_chars,
    first: alnum,
    last: alnum,
    describe: "up to 40 characters: letters, digits, spaces, '-', '_' and '.'",
    src: src(""),
};

impl NameRule {
    /// `None` if `s` follows the rule, else what is wrong with it.
    pub fn problem(&self, s: &str) -> Option<String> {
        if s.is_empty() {
            return Some(format!("the {} is empty", self.what));
        }
        let len = s.chars().count();
        if len > self.max_len {
            return Some(format!("the {} is {len} characters long; at most {} are allowed", self.what, self.max_len));
        }
        if let Some(c) = s.chars().find(|c| !(self.chars)(*c)) {
            return Some(format!("the {} contains {}, which is not allowed", self.what, show_char(c)));
        }
        let first = s.chars().next().unwrap_or(' ');
        if !(self.first)(first) {
            return Some(format!("the {} cannot start with {}", self.what, show_char(first)));
        }
        let last = s.chars().last().unwrap_or(' ');
        if !(self.last)(last) {
            return Some(format!("the {} cannot end with {}", self.what, show_char(last)));
        }
        None
    }

    /// `s` if it follows the rule, else [`NameRule::suggest`]: what resolve hands every renderer,
    /// so text that failed the rule (a plan generated with `--force`) never reaches a script.
    pub fn safe(&self, s: &str) -> String {
        match self.problem(s) {
            None => s.to_string(),
            Some(_) => self.suggest(s),
        }
    }

    /// A name that follows the rule, as close to `s` as possible (for the "fix" text).
    pub fn suggest(&self, s: &str) -> String {
        let lowercase = (self.chars)('a') && !(self.chars)('A');
        let mut out = String::new();
        for c in s.chars() {
            let c = if lowercase { c.to_ascii_lowercase() } else { c };
            let c = if (self.chars)(c) { c } else { '-' };
            if c == '-' && (out.is_empty() || out.ends_with('-')) {
                continue;
            }
            out.push(c);
            if out.chars().count() == self.max_len {
                break;
            }
        }
        while out.chars().next().is_some_and(|c| !(self.first)(c)) {
            out.remove(0);
        }
        while out.chars().last().is_some_and(|c| !(self.last)(c)) {
            out.pop();
        }
        if out.is_empty() {
            "site".chars().filter(|c| (self.chars)(*c)).collect()
        } else {
            out
        }
    }
}

fn show_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\n' | '\r' | '\t' => "a line break or tab".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

/// AWS VPC IDs: the shape rule above plus exact lengths.
pub fn aws_vpc_id_problem(id: &str) -> Option<String> {
    let ok = id.strip_prefix("vpc-").is_some_and(|h| (h.len() == 8 || h.len() == 17) && h.chars().all(hex));
    (!ok).then(|| format!("'{id}' is not an AWS VPC ID"))
}

/// Regions known to this build, per cloud. Unknown regions are a warning (new regions
/// appear), but a region must look like one because it reaches CLI arguments.
pub struct Regions {
    pub platform: Platform,
    pub known: &'static [&'static str],
    /// Characters a region name of this cloud may contain.
    pub chars: fn(char) -> bool,
    pub src: Src,
}

pub const REGIONS: &[Regions] = &[
    Regions {
        platform: Platform::Aws,
        known: &[
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "ca-west-1",
            "sa-east-1",
            "mx-central-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "il-central-1",
            "me-south-1",
            "me-central-1",
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-south-1",
            "ap-south-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
        ],
        chars: lower_digit_dash,
        src: src("[AWS-HOW]"),
    },
    Regions {
        platform: Platform::Azure,
        known: &[
            "eastus",
            "eastus2",
            "centralus",
            "northcentralus",
            "southcentralus",
            "westcentralus",
            "westus",
            "westus2",
            "westus3",
            "canadacentral",
            "canadaeast",
            "brazilsouth",
            "mexicocentral",
            "northeurope",
            "westeurope",
            "uksouth",
            "ukwest",
            "francecentral",
            "germanywestcentral",
            "switzerlandnorth",
            "norwayeast",
            "swedencentral",
            "polandcentral",
            "italynorth",
            "spaincentral",
            "uaenorth",
            "qatarcentral",
            "israelcentral",
            "southafricanorth",
            "centralindia",
            "southindia",
            "westindia",
            "eastasia",
            "southeastasia",
            "japaneast",
            "japanwest",
            "koreacentral",
            "koreasouth",
            "australiaeast",
            "australiasoutheast",
            "australiacentral",
            "newzealandnorth",
            "indonesiacentral",
            "malaysiawest",
        ],
        chars: lower_digit,
        src: src("[AZ-SKU]"),
    },
    Regions {
        platform: Platform::Gcp,
        known: &[
            "us-central1",
            "us-east1",
            "us-east4",
            "us-east5",
            "us-south1",
            "us-west1",
            "us-west2",
            "us-west3",
            "us-west4",
            "northamerica-northeast1",
            "northamerica-northeast2",
            "northamerica-south1",
            "southamerica-east1",
            "southamerica-west1",
            "europe-west1",
            "europe-west2",
            "europe-west3",
            "europe-west4",
            "europe-west6",
            "europe-west8",
            "europe-west9",
            "europe-west10",
            "europe-west12",
            "europe-north1",
            "europe-north2",
            "europe-central2",
            "europe-southwest1",
            "me-central1",
            "me-central2",
            "me-west1",
            "africa-south1",
            "asia-east1",
            "asia-east2",
            "asia-northeast1",
            "asia-northeast2",
            "asia-northeast3",
            "asia-south1",
            "asia-south2",
            "asia-southeast1",
            "asia-southeast2",
            "australia-southeast1",
            "australia-southeast2",
        ],
        chars: lower_digit_dash,
        src: src("[GCP-AWS]"),
    },
];

pub fn regions(p: Platform) -> Option<&'static Regions> {
    REGIONS.iter().find(|r| r.platform == p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_fixed() {
        assert_eq!(SITE_NAME.problem("aws-east"), None);
        assert!(SITE_NAME.problem("AWS East").unwrap().contains("'A'"));
        assert!(SITE_NAME.problem("a$(reboot)").unwrap().contains("'$'"));
        assert!(SITE_NAME.problem("1abc").unwrap().contains("start"));
        assert!(SITE_NAME.problem("abc-").unwrap().contains("end"));
        assert!(SITE_NAME.problem("").unwrap().contains("empty"));
        assert_eq!(SITE_NAME.suggest("AWS East (prod)"), "aws-east-prod");
        assert_eq!(SITE_NAME.suggest("--9lives--"), "lives");
        assert_eq!(SITE_NAME.problem(&SITE_NAME.suggest("x'; rm -rf / #")), None);
    }

    #[test]
    fn vpc_ids() {
        assert_eq!(aws_vpc_id_problem("vpc-0a1b2c3d"), None);
        assert_eq!(aws_vpc_id_problem("vpc-0a1b2c3d4e5f60718"), None);
        assert!(aws_vpc_id_problem("vpc-xyz").is_some());
    }
}
