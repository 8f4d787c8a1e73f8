//! Share links: a plan in a URL fragment, `#p=1.<payload>`, never sent to a server and never
//! holding a secret (a [`Plan`] has none: keys live in `secrets.env`).
//!
//! Format version 1, frozen forever (fixtures in `tests/fixtures/links/v1/` must keep decoding):
//! `payload` is base64url (no padding) of one byte `0` (raw) or `1` (deflate, used when smaller)
//! followed by the body: the knowledge-base date as days since 2020-01-01 (varint), then the plan
//! field by field with LEB128 varints, length-prefixed UTF-8 strings, one-byte enum codes,
//! CIDRs and IPs packed when their typed text is canonical (else kept as text), and small frozen
//! dictionaries for common strings (regions, SKUs, subnet names, versions). Dictionaries are
//! frozen: new strings are written as text. Existing enum codes never change; a new enum value
//! takes its table's next code, and a body holding such a code ends with the check (tag 64), so
//! an older build can tell "made by a newer Tunnelsmith" from "damaged" (docs/ARCHITECTURE.md).
//!
//! Fields added to the plan after v1 was frozen travel as extensions after the plan: each is a
//! tag (varint, strictly increasing, never reused) and its value, written only when the field is
//! not its default. A link without them (every link made before) decodes to the defaults, so old
//! links never change meaning; a tag this build does not know is refused as made by a newer
//! Tunnelsmith. Tags: 1 = `topology` (one byte: 1 = hub and spoke); 64 = the check (4 bytes,
//! FNV-1a of the body before it), always last.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::plan::*;
use ipnet::Ipv4Net;
use miniz_oxide::inflate::TINFLStatus;
use std::fmt;
use std::net::Ipv4Addr;

/// The link format this build writes.
pub const LINK_FORMAT: u32 = 1;
/// Longest link payload accepted (characters).
pub const MAX_PAYLOAD: usize = 32 * 1024;
/// Largest decompressed body accepted (bytes): a decompression bomb stops here.
pub const MAX_BODY: usize = 64 * 1024;
/// Above this many characters some chat tools cut links: the app offers the plan file instead.
pub const LONG_LINK: usize = 2_000;

const MAX_SITES: u64 = 64;
const MAX_LINKS: u64 = 256;
const MAX_LIST: u64 = 256;
const MAX_STRING: u64 = 1_024;

/// A decoded link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub plan: Plan,
    /// The knowledge-base date of the Tunnelsmith that made the link (`YYYY-MM-DD`).
    pub kb_date: String,
}

/// Why a link could not be opened. `Display` says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    Empty,
    NotTunnelsmith,
    UnknownVersion(String),
    NotBase64,
    TooLarge,
    Truncated,
    Corrupt(String),
    /// An extension tag this build does not know (a newer Tunnelsmith made the link).
    NewerField(u32),
    /// A code this build does not know for the named setting (`"appliance software"`) in a link
    /// whose check holds: a newer Tunnelsmith made it. Without a check it is damage.
    NewerValue(&'static str),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Empty => f.write_str("the link holds no plan; copy the whole link, including the part after #p="),
            LinkError::NotTunnelsmith => {
                f.write_str("this is not a Tunnelsmith plan link (it has no #p=<version>.<plan> part)")
            }
            LinkError::UnknownVersion(v) => write!(
                f,
                "the link uses plan link format {v}, which this Tunnelsmith does not know; open it with a newer Tunnelsmith, or ask for the plan file"
            ),
            LinkError::NotBase64 => f.write_str(
                "the link is damaged: it contains characters a Tunnelsmith link never has (was it edited or re-encoded by a chat tool?); ask for the link again or for the plan file",
            ),
            LinkError::TooLarge => {
                f.write_str("the link is larger than any plan Tunnelsmith makes; it was not opened. Ask for the plan file")
            }
            LinkError::Truncated => f.write_str(
                "the link is cut short (some chat tools shorten long links); ask for the whole link or for the plan file",
            ),
            LinkError::NewerField(_) => f.write_str(
                "the link holds a plan setting this Tunnelsmith does not know (a newer Tunnelsmith made it); open it with a newer Tunnelsmith, or ask for the plan file",
            ),
            LinkError::NewerValue(setting) => write!(
                f,
                "the link holds a value for {setting} that this Tunnelsmith does not know (a newer Tunnelsmith made it); open it with a newer Tunnelsmith, or ask for the plan file"
            ),
            LinkError::Corrupt(why) => write!(f, "the link is damaged ({why}); ask for the link again or for the plan file"),
        }
    }
}

impl std::error::Error for LinkError {}

/// The fragment for a plan, without `#`: `p=1.<payload>`.
///
/// ```
/// use tunnelsmith::presets::PRESETS;
/// use tunnelsmith::share::{decode, encode};
///
/// let plan = PRESETS[0].plan();
/// let fragment = encode(&plan);
/// assert!(fragment.starts_with("p=1."));
/// // The fragment holds the whole plan and the knowledge-base date it was made with.
/// let shared = decode(&fragment).unwrap();
/// assert_eq!(shared.plan, plan);
/// assert_eq!(shared.kb_date, tunnelsmith::kb::KB_DATE);
/// ```
pub fn encode(plan: &Plan) -> String {
    encode_with_date(plan, crate::kb::KB_DATE)
}

/// As [`encode`], stamping a given knowledge-base date.
pub fn encode_with_date(plan: &Plan, kb_date: &str) -> String {
    let raw = body_with_date(plan, kb_date);
    let deflated = miniz_oxide::deflate::compress_to_vec(&raw, 10);
    let mut bytes = Vec::with_capacity(raw.len() + 1);
    if deflated.len() < raw.len() {
        bytes.push(1);
        bytes.extend_from_slice(&deflated);
    } else {
        bytes.push(0);
        bytes.extend_from_slice(&raw);
    }
    format!("p={LINK_FORMAT}.{}", base64url(&bytes))
}

/// The v1 body of a plan, uncompressed: what a link carries before deflate and base64. It is
/// also how the web app hands a plan to its lazily loaded file generators (a second wasm module
/// with its own memory), read back by [`from_body`].
pub fn body(plan: &Plan) -> Vec<u8> {
    body_with_date(plan, crate::kb::KB_DATE)
}

fn body_with_date(plan: &Plan, kb_date: &str) -> Vec<u8> {
    let mut w = Writer::default();
    w.varint(date_to_days(kb_date).unwrap_or(0));
    write_plan(&mut w, plan);
    write_extensions(&mut w, plan);
    w.0
}

/// [`body`] as base64url text, for storage that keeps strings (the web app's draft): no deflate,
/// so the page can keep a draft without the compression code (docs/PERFORMANCE.md).
pub fn body_text(plan: &Plan) -> String {
    base64url(&body(plan))
}

/// Read [`body_text`].
pub fn from_body_text(text: &str) -> Result<Shared, LinkError> {
    from_body(&link_bytes(text)?)
}

/// Read a v1 body made by [`body`].
pub fn from_body(body: &[u8]) -> Result<Shared, LinkError> {
    if body.len() > MAX_BODY {
        return Err(LinkError::TooLarge);
    }
    let mut r = Reader { data: body, pos: 0 };
    let read = read_body(&mut r);
    // Only a sealed body tells a newer build's code from a damaged byte.
    if let Err(LinkError::NewerValue(setting)) = read {
        if !sealed(body) {
            return Err(LinkError::Corrupt(format!("unknown {setting}")));
        }
    }
    read
}

fn read_body(r: &mut Reader) -> Result<Shared, LinkError> {
    let days = r.varint()?;
    let kb_date = days_to_date(days);
    let mut plan = read_plan(r)?;
    read_extensions(r, &mut plan)?;
    if r.pos != r.data.len() {
        return Err(LinkError::Corrupt(format!("{} unexpected bytes after the plan", r.data.len() - r.pos)));
    }
    Ok(Shared { plan, kb_date })
}

/// The check a body ends with when it holds a code beyond the v1 tables: [`EXT_CHECK`], then
/// FNV-1a (32 bits, big-endian) of every byte before that tag.
fn check_of(bytes: &[u8]) -> [u8; 4] {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193)).to_be_bytes()
}

/// Whether `body` ends with a check that holds (1 in 2^40 for damaged bytes).
fn sealed(body: &[u8]) -> bool {
    body.len() >= 5 && {
        let (before, tail) = body.split_at(body.len() - 5);
        u64::from(tail[0]) == EXT_CHECK && tail[1..] == check_of(before)
    }
}

/// A whole link: `base` (the app's address) with the plan's fragment.
pub fn link(base: &str, plan: &Plan) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{}", encode(plan))
}

/// Decode a link, a fragment (`#p=…` or `p=…`) or a bare payload with its version.
///
/// ```
/// use tunnelsmith::presets::PRESETS;
/// use tunnelsmith::share::{decode, link};
///
/// let plan = PRESETS[1].plan();
/// let url = link("https://vpn.example.com/tunnelsmith/", &plan);
/// // The whole link, the fragment with or without `#`: the same plan.
/// let fragment = url.split_once('#').unwrap().1;
/// for input in [url.as_str(), fragment, &format!("#{fragment}")] {
///     assert_eq!(decode(input).unwrap().plan, plan);
/// }
/// // A link cut short by a chat tool is refused with a reason, never read as another plan.
/// let why = decode(&url[..url.len() - 10]).unwrap_err().to_string();
/// assert!(why.contains("link"), "{why}");
/// ```
pub fn decode(input: &str) -> Result<Shared, LinkError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(LinkError::Empty);
    }
    let frag = match s.find('#') {
        Some(i) => &s[i + 1..],
        None => s,
    };
    let Some(rest) = frag.split('&').find_map(|part| part.strip_prefix("p=")) else {
        return Err(LinkError::NotTunnelsmith);
    };
    let Some((version, payload)) = rest.split_once('.') else {
        return if rest.is_empty() { Err(LinkError::Empty) } else { Err(LinkError::NotTunnelsmith) };
    };
    if version != "1" {
        return if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) {
            Err(LinkError::UnknownVersion(version.chars().take(12).collect()))
        } else {
            Err(LinkError::NotTunnelsmith)
        };
    }
    if payload.is_empty() {
        return Err(LinkError::Empty);
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(LinkError::TooLarge);
    }
    let bytes = link_bytes(payload)?;
    let (&kind, data) = bytes.split_first().ok_or(LinkError::Truncated)?;
    let body = match kind {
        0 => data.to_vec(),
        1 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, MAX_BODY).map_err(|e| match e.status {
            TINFLStatus::HasMoreOutput => LinkError::TooLarge,
            TINFLStatus::FailedCannotMakeProgress => LinkError::Truncated,
            TINFLStatus::BadParam
            | TINFLStatus::Adler32Mismatch
            | TINFLStatus::Failed
            | TINFLStatus::Done
            | TINFLStatus::NeedsMoreInput => LinkError::Corrupt("the compressed plan does not inflate".into()),
        })?,
        k => return Err(LinkError::Corrupt(format!("unknown payload kind {k}"))),
    };
    from_body(&body)
}

// ---------------------------------------------------------------------------------------------
// Frozen v1 dictionaries (never reorder, never append: new strings travel as text) and codes
// (never renumber; a new value takes the next code and its bodies end with the check).

const V1_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
    "ca-central-1",
    "sa-east-1",
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "westus3",
    "centralus",
    "northeurope",
    "westeurope",
    "uksouth",
    "francecentral",
    "germanywestcentral",
    "swedencentral",
    "southeastasia",
    "japaneast",
    "australiaeast",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "us-west2",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-north1",
    "asia-east1",
    "asia-northeast1",
    "asia-southeast1",
    "australia-southeast1",
];
const V1_SKUS: &[&str] = &["Basic", "VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"];
const V1_SUBNETS: &[&str] =
    &["GatewaySubnet", "default", "public", "private", "workload", "internal", "vms", "app", "db", "web", "vyos"];
const V1_VERSIONS: &[&str] = &["4", "5", "6", "1.3", "1.4", "1.5"];

fn platform_code(p: Platform) -> u8 {
    match p {
        Platform::Aws => 0,
        Platform::Azure => 1,
        Platform::Gcp => 2,
        Platform::Onprem => 3,
    }
}
fn platform_of(c: u8) -> Option<Platform> {
    Some([Platform::Aws, Platform::Azure, Platform::Gcp, Platform::Onprem].get(usize::from(c))?.to_owned())
}
fn enc_code(e: Encryption) -> u8 {
    match e {
        Encryption::Aes128 => 0,
        Encryption::Aes192 => 1,
        Encryption::Aes256 => 2,
        Encryption::Aes128Gcm16 => 3,
        Encryption::Aes256Gcm16 => 4,
    }
}
fn enc_of(c: u8) -> Option<Encryption> {
    [Encryption::Aes128, Encryption::Aes192, Encryption::Aes256, Encryption::Aes128Gcm16, Encryption::Aes256Gcm16]
        .get(usize::from(c))
        .copied()
}
fn integ_code(i: Integrity) -> u8 {
    match i {
        Integrity::Sha1 => 0,
        Integrity::Sha256 => 1,
        Integrity::Sha384 => 2,
        Integrity::Sha512 => 3,
    }
}
fn integ_of(c: u8) -> Option<Integrity> {
    [Integrity::Sha1, Integrity::Sha256, Integrity::Sha384, Integrity::Sha512].get(usize::from(c)).copied()
}
fn software_code(s: Software) -> u8 {
    match s {
        Software::Libreswan => 0,
        Software::Strongswan => 1,
        Software::Vyos => 2,
    }
}
fn software_of(c: u8) -> Option<Software> {
    [Software::Libreswan, Software::Strongswan, Software::Vyos].get(usize::from(c)).copied()
}

// ---------------------------------------------------------------------------------------------
// Writing

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// A string from a dictionary (index + 1) or as text (0, then the string).
    fn dict(&mut self, dict: &[&str], s: &str) {
        match dict.iter().position(|d| *d == s) {
            Some(i) => self.varint(i as u64 + 1),
            None => {
                self.varint(0);
                self.str(s);
            }
        }
    }
    fn opt_u32(&mut self, v: Option<u32>) {
        self.varint(v.map(|x| u64::from(x) + 1).unwrap_or(0));
    }
    /// A CIDR: packed (prefix length, 4 address bytes) when the text is exactly the canonical
    /// form, else 255 and the text, so typed input round-trips byte for byte.
    fn cidr(&mut self, text: &str) {
        match text.parse::<Ipv4Net>() {
            Ok(n) if n.to_string() == text => {
                self.byte(n.prefix_len());
                self.0.extend_from_slice(&n.addr().octets());
            }
            _ => {
                self.byte(255);
                self.str(text);
            }
        }
    }
    /// An address: 0 empty, 1 packed canonical IPv4, 2 text.
    fn ip(&mut self, text: &str) {
        if text.is_empty() {
            self.byte(0);
        } else {
            match text.parse::<Ipv4Addr>() {
                Ok(ip) if ip.to_string() == text => {
                    self.byte(1);
                    self.0.extend_from_slice(&ip.octets());
                }
                _ => {
                    self.byte(2);
                    self.str(text);
                }
            }
        }
    }
}

fn write_plan(w: &mut Writer, p: &Plan) {
    w.varint(u64::from(p.version));
    w.str(&p.name);
    w.str(&p.description);
    w.varint(p.sites.len() as u64);
    for s in &p.sites {
        w.str(&s.name);
        w.byte(platform_code(s.platform));
        w.dict(V1_REGIONS, &s.region);
        w.varint(s.address_spaces.len() as u64);
        for a in &s.address_spaces {
            w.cidr(a);
        }
        w.varint(s.subnets.len() as u64);
        for sub in &s.subnets {
            w.dict(V1_SUBNETS, &sub.name);
            w.cidr(&sub.cidr);
        }
        match &s.network {
            Network::New => w.byte(0),
            Network::Existing { id, resource_group } => {
                w.byte(1);
                w.str(id);
                w.str(resource_group);
            }
        }
        write_gateway(w, &s.gateway);
    }
    w.varint(p.links.len() as u64);
    for l in &p.links {
        for end in [&l.a, &l.b] {
            match p.sites.iter().position(|s| &s.name == end) {
                Some(i) => w.varint(i as u64 + 1),
                None => {
                    w.varint(0);
                    w.str(end);
                }
            }
        }
        w.byte(match l.routing {
            Routing::Static => 0,
            Routing::Bgp => 1,
        });
        w.varint(l.tunnels.map(|t| u64::from(t) + 1).unwrap_or(0));
        write_crypto(w, &l.crypto);
        w.varint(l.inside.len() as u64);
        for i in &l.inside {
            match i {
                None => w.byte(0),
                Some(t) => {
                    w.byte(1);
                    w.cidr(t);
                }
            }
        }
    }
}

/// Extension tags (see the module documentation): frozen, never reused, strictly increasing.
const EXT_TOPOLOGY: u64 = 1;
/// The check (4 bytes, [`check_of`]), always last. A build that writes a code beyond a v1 table
/// (a new platform, device, cipher, ...) ends the body with it, so an older build can say the
/// link is newer rather than damaged. No build writes it yet: every code is a v1 code.
const EXT_CHECK: u64 = 64;

/// Plan fields newer than the frozen v1 layout, each only when it is not its default.
fn write_extensions(w: &mut Writer, p: &Plan) {
    if p.topology == Topology::HubAndSpoke {
        w.varint(EXT_TOPOLOGY);
        w.byte(1);
    }
}

fn write_gateway(w: &mut Writer, g: &Gateway) {
    match g {
        Gateway::AwsVgw { asn } => {
            w.byte(0);
            w.opt_u32(*asn);
        }
        Gateway::AwsTgw { asn } => {
            w.byte(1);
            w.opt_u32(*asn);
        }
        Gateway::AzureVpnGateway { sku, active_active, vpn_type, asn } => {
            w.byte(2);
            w.dict(V1_SKUS, sku);
            w.byte(u8::from(*active_active) | (u8::from(*vpn_type == AzureVpnType::PolicyBased) << 1));
            w.opt_u32(*asn);
        }
        Gateway::GcpHaVpn { asn } => {
            w.byte(3);
            w.opt_u32(*asn);
        }
        Gateway::GcpClassicVpn {} => w.byte(4),
        Gateway::Appliance { software, version, public_ip, private_ip, asn } => {
            w.byte(5);
            w.byte(software_code(*software));
            w.dict(V1_VERSIONS, version);
            w.ip(public_ip);
            w.ip(private_ip);
            w.opt_u32(*asn);
        }
    }
}

fn write_crypto(w: &mut Writer, c: &Crypto) {
    let present = [
        c.ike_version.is_some(),
        c.phase1_encryption.is_some(),
        c.phase1_integrity.is_some(),
        c.phase1_dh_group.is_some(),
        c.phase1_lifetime.is_some(),
        c.phase2_encryption.is_some(),
        c.phase2_integrity.is_some(),
        c.pfs_group.is_some(),
        c.phase2_lifetime.is_some(),
        c.dpd_timeout.is_some(),
    ];
    let mask = present.iter().enumerate().fold(0u64, |m, (i, p)| m | (u64::from(*p) << i));
    w.varint(mask);
    if let Some(v) = c.ike_version {
        w.byte(if v == IkeVersion::V1 { 1 } else { 2 });
    }
    if let Some(v) = c.phase1_encryption {
        w.byte(enc_code(v));
    }
    if let Some(v) = c.phase1_integrity {
        w.byte(integ_code(v));
    }
    if let Some(v) = c.phase1_dh_group {
        w.byte(v);
    }
    if let Some(v) = c.phase1_lifetime {
        w.varint(u64::from(v));
    }
    if let Some(v) = c.phase2_encryption {
        w.byte(enc_code(v));
    }
    if let Some(v) = c.phase2_integrity {
        w.byte(integ_code(v));
    }
    if let Some(v) = c.pfs_group {
        w.byte(v);
    }
    if let Some(v) = c.phase2_lifetime {
        w.varint(u64::from(v));
    }
    if let Some(v) = c.dpd_timeout {
        w.varint(u64::from(v));
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: every count and length is bounded; every error is a LinkError, never a panic.

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn corrupt(why: &str) -> LinkError {
    LinkError::Corrupt(why.to_string())
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, LinkError> {
        let b = *self.data.get(self.pos).ok_or(LinkError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }
    fn varint(&mut self) -> Result<u64, LinkError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("a number is too long"))
    }
    fn count(&mut self, max: u64, what: &str) -> Result<usize, LinkError> {
        let n = self.varint()?;
        if n > max {
            return Err(LinkError::Corrupt(format!("it claims {n} {what}; a plan has at most {max}")));
        }
        Ok(n as usize)
    }
    fn u32(&mut self) -> Result<u32, LinkError> {
        u32::try_from(self.varint()?).map_err(|_| corrupt("a number is out of range"))
    }
    fn opt_u32(&mut self) -> Result<Option<u32>, LinkError> {
        match self.varint()? {
            0 => Ok(None),
            v => u32::try_from(v - 1).map(Some).map_err(|_| corrupt("a number is out of range")),
        }
    }
    fn str(&mut self) -> Result<String, LinkError> {
        let n = self.count(MAX_STRING, "characters in one text")?;
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len()).ok_or(LinkError::Truncated)?;
        let s = std::str::from_utf8(&self.data[self.pos..end]).map_err(|_| corrupt("a text is not UTF-8"))?;
        self.pos = end;
        Ok(s.to_string())
    }
    fn dict(&mut self, dict: &[&str]) -> Result<String, LinkError> {
        match self.varint()? {
            0 => self.str(),
            i => dict.get((i - 1) as usize).map(|s| s.to_string()).ok_or_else(|| corrupt("unknown dictionary entry")),
        }
    }
    fn bytes4(&mut self) -> Result<[u8; 4], LinkError> {
        Ok([self.byte()?, self.byte()?, self.byte()?, self.byte()?])
    }
    fn cidr(&mut self) -> Result<String, LinkError> {
        match self.byte()? {
            255 => self.str(),
            len if len <= 32 => {
                let n = Ipv4Net::new(Ipv4Addr::from(self.bytes4()?), len).map_err(|_| corrupt("bad prefix"))?;
                Ok(n.to_string())
            }
            _ => Err(corrupt("bad prefix length")),
        }
    }
    fn ip(&mut self) -> Result<String, LinkError> {
        match self.byte()? {
            0 => Ok(String::new()),
            1 => Ok(Ipv4Addr::from(self.bytes4()?).to_string()),
            2 => self.str(),
            _ => Err(corrupt("bad address")),
        }
    }
}

fn read_plan(r: &mut Reader) -> Result<Plan, LinkError> {
    let version = r.u32()?;
    let name = r.str()?;
    let description = r.str()?;
    let n = r.count(MAX_SITES, "sites")?;
    let mut sites = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str()?;
        let platform = platform_of(r.byte()?).ok_or(LinkError::NewerValue("platform"))?;
        let region = r.dict(V1_REGIONS)?;
        let k = r.count(MAX_LIST, "address spaces")?;
        let address_spaces = (0..k).map(|_| r.cidr()).collect::<Result<_, _>>()?;
        let k = r.count(MAX_LIST, "subnets")?;
        let subnets = (0..k)
            .map(|_| Ok(Subnet { name: r.dict(V1_SUBNETS)?, cidr: r.cidr()? }))
            .collect::<Result<_, LinkError>>()?;
        let network = match r.byte()? {
            0 => Network::New,
            1 => Network::Existing { id: r.str()?, resource_group: r.str()? },
            _ => return Err(LinkError::NewerValue("network mode")),
        };
        let gateway = read_gateway(r)?;
        sites.push(Site { name, platform, region, address_spaces, subnets, network, gateway });
    }
    let n = r.count(MAX_LINKS, "links")?;
    let mut links = Vec::with_capacity(n);
    for _ in 0..n {
        let mut ends = [String::new(), String::new()];
        for end in &mut ends {
            *end = match r.varint()? {
                0 => r.str()?,
                i => sites
                    .get((i - 1) as usize)
                    .map(|s| s.name.clone())
                    .ok_or_else(|| corrupt("a link names no site"))?,
            };
        }
        let [a, b] = ends;
        let routing = match r.byte()? {
            0 => Routing::Static,
            1 => Routing::Bgp,
            _ => return Err(LinkError::NewerValue("routing")),
        };
        let tunnels = match r.varint()? {
            0 => None,
            t => Some(u8::try_from(t - 1).map_err(|_| corrupt("tunnel count out of range"))?),
        };
        let crypto = read_crypto(r)?;
        let k = r.count(16, "pinned inside ranges")?;
        let inside = (0..k)
            .map(|_| match r.byte()? {
                0 => Ok(None),
                1 => r.cidr().map(Some),
                _ => Err(corrupt("bad inside entry")),
            })
            .collect::<Result<_, _>>()?;
        links.push(Link { a, b, routing, tunnels, crypto, inside });
    }
    Ok(Plan { version, name, description, sites, links, topology: Topology::FullMesh })
}

/// The extensions after the plan; none (every link made before they existed) leaves the defaults.
fn read_extensions(r: &mut Reader, plan: &mut Plan) -> Result<(), LinkError> {
    let mut last = 0;
    while r.pos < r.data.len() {
        let at = r.pos;
        let tag = r.varint()?;
        if tag <= last {
            return Err(corrupt("plan extensions out of order"));
        }
        last = tag;
        match tag {
            EXT_TOPOLOGY => {
                plan.topology = match r.byte()? {
                    1 => Topology::HubAndSpoke,
                    _ => return Err(LinkError::NewerValue("topology")),
                }
            }
            EXT_CHECK => {
                if r.bytes4()? != check_of(&r.data[..at]) {
                    return Err(corrupt("its check does not match its plan"));
                }
            }
            // A small unknown tag is a newer build's field; anything else is damage.
            _ if tag < EXT_CHECK => return Err(LinkError::NewerField(tag as u32)),
            _ => return Err(corrupt("unexpected bytes after the plan")),
        }
    }
    Ok(())
}

fn read_gateway(r: &mut Reader) -> Result<Gateway, LinkError> {
    Ok(match r.byte()? {
        0 => Gateway::AwsVgw { asn: r.opt_u32()? },
        1 => Gateway::AwsTgw { asn: r.opt_u32()? },
        2 => {
            let sku = r.dict(V1_SKUS)?;
            let flags = r.byte()?;
            if flags > 3 {
                return Err(corrupt("bad gateway flags"));
            }
            let vpn_type = if flags & 2 != 0 { AzureVpnType::PolicyBased } else { AzureVpnType::RouteBased };
            Gateway::AzureVpnGateway { sku, active_active: flags & 1 != 0, vpn_type, asn: r.opt_u32()? }
        }
        3 => Gateway::GcpHaVpn { asn: r.opt_u32()? },
        4 => Gateway::GcpClassicVpn {},
        5 => Gateway::Appliance {
            software: software_of(r.byte()?).ok_or(LinkError::NewerValue("appliance software"))?,
            version: r.dict(V1_VERSIONS)?,
            public_ip: r.ip()?,
            private_ip: r.ip()?,
            asn: r.opt_u32()?,
        },
        _ => return Err(LinkError::NewerValue("gateway kind")),
    })
}

fn read_crypto(r: &mut Reader) -> Result<Crypto, LinkError> {
    let mask = r.varint()?;
    if mask >= 1 << 10 {
        return Err(corrupt("unknown crypto fields"));
    }
    let has = |i: u32| mask & (1 << i) != 0;
    let mut c = Crypto::default();
    if has(0) {
        c.ike_version = Some(match r.byte()? {
            1 => IkeVersion::V1,
            2 => IkeVersion::V2,
            _ => return Err(LinkError::NewerValue("IKE version")),
        });
    }
    if has(1) {
        c.phase1_encryption = Some(enc_of(r.byte()?).ok_or(LinkError::NewerValue("cipher"))?);
    }
    if has(2) {
        c.phase1_integrity = Some(integ_of(r.byte()?).ok_or(LinkError::NewerValue("integrity algorithm"))?);
    }
    if has(3) {
        c.phase1_dh_group = Some(r.byte()?);
    }
    if has(4) {
        c.phase1_lifetime = Some(r.u32()?);
    }
    if has(5) {
        c.phase2_encryption = Some(enc_of(r.byte()?).ok_or(LinkError::NewerValue("cipher"))?);
    }
    if has(6) {
        c.phase2_integrity = Some(integ_of(r.byte()?).ok_or(LinkError::NewerValue("integrity algorithm"))?);
    }
    if has(7) {
        c.pfs_group = Some(r.byte()?);
    }
    if has(8) {
        c.phase2_lifetime = Some(r.u32()?);
    }
    if has(9) {
        c.dpd_timeout = Some(r.u32()?);
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------------------
// base64url without padding, and dates as day numbers

/// base64url without padding (RFC 4648 §5), strict both ways: one text per plan. A `+`, `/`,
/// `=` or a final character with bits left over (`AB` for `AA`) is not a link this app made.
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn base64url(data: &[u8]) -> String {
    base64::Engine::encode(&B64, data)
}

fn unbase64url(s: &str) -> Option<Vec<u8>> {
    base64::Engine::decode(&B64, s).ok()
}

/// [`unbase64url`] with the reason it failed: text of the link's own alphabet that does not
/// decode ends where no link ends (a cut link); anything else was edited or re-encoded.
fn link_bytes(s: &str) -> Result<Vec<u8>, LinkError> {
    unbase64url(s).ok_or_else(|| {
        if s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
            LinkError::Truncated
        } else {
            LinkError::NotBase64
        }
    })
}

/// Days since 2020-01-01 of an ISO date.
fn date_to_days(date: &str) -> Option<u64> {
    let mut it = date.split('-');
    let (y, m, d): (i64, i64, i64) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    let days = days_from_civil(y, m, d) - days_from_civil(2020, 1, 1);
    u64::try_from(days).ok()
}

fn days_to_date(days: u64) -> String {
    let z = days_from_civil(2020, 1, 1) + days.min(1_000_000) as i64;
    let (y, m, d) = civil_from_days(z);
    format!("{y:04}-{m:02}-{d:02}")
}

// Howard Hinnant's civil-from-days algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    #[test]
    fn presets_round_trip_and_fit_their_budgets() {
        for p in PRESETS {
            let plan = p.plan();
            let frag = encode(&plan);
            let back = decode(&format!("https://tunnelsmith.example/#{frag}")).unwrap();
            assert_eq!(back.plan, plan, "{}", p.id);
            assert_eq!(back.kb_date, crate::kb::KB_DATE);
            let budget = match p.id {
                "002-aws-vgw-to-azure-static" => 250,
                "004-aws-azure-gcp-bgp" => 700,
                _ => 500,
            };
            assert!(frag.len() <= budget, "{}: fragment is {} characters, budget {budget}", p.id, frag.len());
        }
    }

    #[test]
    fn dates_and_base64_round_trip() {
        for d in ["2020-01-01", "2024-02-29", "2026-11-21", "2199-12-31"] {
            assert_eq!(days_to_date(date_to_days(d).unwrap()), d);
        }
        for n in 0..40 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(unbase64url(&base64url(&data)).unwrap(), data);
        }
        // One text per byte string: padding, the standard alphabet's `+` and `/`, and a last
        // character whose unused bits are set are all refused.
        let text = base64url(&[0xfb, 0xff, 0x01]);
        assert_eq!(text, "-_8B");
        for other in ["-_8B=", "+/8B", "-_8B\n", "-_8"] {
            assert!(unbase64url(other).is_none_or(|d| d != [0xfb, 0xff, 0x01]), "{other}");
        }
        assert!(unbase64url("-_8B==").is_none());
        assert_eq!(unbase64url("AA").as_deref(), Some(&[0u8][..]));
        assert!(unbase64url("AB").is_none(), "a non-canonical tail names the same byte as AA");
    }

    #[test]
    fn a_body_text_gives_back_every_preset_and_refuses_what_is_not_one() {
        for p in PRESETS {
            let plan = p.plan();
            let back = from_body_text(&body_text(&plan)).unwrap();
            assert_eq!((back.plan, back.kb_date.as_str()), (plan, crate::kb::KB_DATE), "{}", p.id);
        }
        assert_eq!(from_body_text("!!"), Err(LinkError::NotBase64));
        assert!(matches!(from_body_text("AAAA"), Err(LinkError::Truncated | LinkError::Corrupt(_))));
    }

    #[test]
    fn bad_links_get_clear_errors() {
        let good = encode(&PRESETS[2].plan());
        let payload = good.strip_prefix("p=1.").unwrap();
        assert_eq!(decode(""), Err(LinkError::Empty));
        assert_eq!(decode("https://example.com/#q=3"), Err(LinkError::NotTunnelsmith));
        assert_eq!(decode("#p=7.AAAA"), Err(LinkError::UnknownVersion("7".into())));
        assert_eq!(decode(&format!("p=1.{}!", payload)), Err(LinkError::NotBase64));
        // Cut anywhere, a link says it was cut (or, cut at a whole group, that its plan is).
        for cut in [1, 2, 3, 4, payload.len() / 2] {
            assert!(
                matches!(
                    decode(&format!("p=1.{}", &payload[..payload.len() - cut])),
                    Err(LinkError::Truncated | LinkError::Corrupt(_))
                ),
                "cut by {cut}"
            );
        }
        assert_eq!(decode(&format!("p=1.{payload}=")), Err(LinkError::NotBase64));
        let msg = decode("#p=9.x").unwrap_err().to_string();
        assert!(msg.contains("newer Tunnelsmith"), "{msg}");
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_cap() {
        let zeros = vec![0u8; MAX_BODY * 4];
        let mut bytes = vec![1u8];
        bytes.extend(miniz_oxide::deflate::compress_to_vec(&zeros, 10));
        let link = format!("p=1.{}", base64url(&bytes));
        assert!(link.len() < 2_000, "the bomb itself is small");
        assert_eq!(decode(&link), Err(LinkError::TooLarge));
    }

    #[test]
    fn absurd_counts_are_refused_without_allocating() {
        let mut w = Writer::default();
        w.varint(date_to_days(crate::kb::KB_DATE).unwrap());
        w.varint(1);
        w.str("x");
        w.str("");
        w.varint(5_000); // sites
        let mut bytes = vec![0u8];
        bytes.extend(w.0);
        let err = decode(&format!("p=1.{}", base64url(&bytes))).unwrap_err();
        assert!(err.to_string().contains("5000 sites"), "{err}");
    }

    #[test]
    fn hub_and_spoke_travels_as_an_extension_after_the_unchanged_v1_plan() {
        let mesh = PRESETS[4].plan();
        assert_eq!(mesh.topology, Topology::FullMesh);
        let mut hub = mesh.clone();
        hub.topology = Topology::HubAndSpoke;
        // Not marked: exactly the bytes a v1 link always had; marked: those, then tag 1, value 1.
        let old = body(&mesh);
        assert_eq!(body(&hub), [old.clone(), vec![1, 1]].concat());
        let back = decode(&encode(&hub)).unwrap();
        assert_eq!(back.plan, hub);
        assert_eq!(from_body_text(&body_text(&hub)).unwrap().plan.topology, Topology::HubAndSpoke);
        assert_eq!(decode(&encode(&mesh)).unwrap().plan.topology, Topology::FullMesh);
        // A link made before the field existed decodes to "not marked".
        assert_eq!(from_body(&old).unwrap().plan.topology, Topology::FullMesh);
    }

    #[test]
    fn unknown_or_damaged_extensions_are_refused_clearly() {
        let old = body(&PRESETS[2].plan());
        let link = |ext: &[u8]| format!("p=1.{}", base64url(&[&[0u8][..], &old, ext].concat()));
        let newer = decode(&link(&[2, 7])).unwrap_err();
        assert_eq!(newer, LinkError::NewerField(2));
        assert!(newer.to_string().contains("newer Tunnelsmith"), "{newer}");
        assert_eq!(decode(&link(&[1, 9])), Err(corrupt("unknown topology")));
        assert_eq!(decode(&link(&[1, 1, 1, 1])), Err(corrupt("plan extensions out of order")));
        assert_eq!(decode(&link(&[1])), Err(LinkError::Truncated));
        assert_eq!(decode(&link(&[200, 1])), Err(corrupt("unexpected bytes after the plan")));
    }

    #[test]
    fn typed_text_survives_exactly() {
        let mut plan = PRESETS[2].plan();
        plan.sites[0].address_spaces = vec!["10.1.0.1/16".into(), " 10.9.0.0/16".into(), "nonsense".into()];
        if let Gateway::AzureVpnGateway { sku, .. } = &mut plan.sites[0].gateway {
            *sku = "VpnGw7Z".into();
        }
        plan.links[0].b = "no-such-site".into();
        plan.sites.truncate(1);
        let back = decode(&encode(&plan)).unwrap();
        assert_eq!(back.plan, plan);
    }
}
