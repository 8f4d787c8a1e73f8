//! `check` and `resolve`: pure `plan + kb → findings + resolved values`.
//!
//! One pass, [`analyze`], both validates and derives: the checks need the derived values
//! (negotiated crypto, tunnel layout, allocated /30s) and the derived values need to know
//! what failed. [`check`] and [`resolve`] are its two halves.
#![deny(clippy::wildcard_enum_match_arm)]

mod crypto;
mod finding;
mod inside;
mod links;
pub mod overlap;
mod resolved;
mod sites;

pub use finding::{Finding, Severity};
pub use inside::{allocate, InsideRequest};
pub use resolved::{Profile, RLink, RSite, RSubnet, RTunnel, Resolved, TunnelEnd};

use crate::kb::Src;
use crate::plan::Plan;

/// Findings and the resolved plan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Sorted: errors, then warnings, then info; within a severity in plan order.
    pub findings: Vec<Finding>,
    pub resolved: Resolved,
}

impl Analysis {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }
}

/// Check and resolve in one pass.
///
/// The parts it calls (per site, per link, topology, ASNs, inside /30s) are `#[inline(never)]`,
/// and `scripts/build-web.sh` keeps wasm-opt from inlining large functions into their one caller:
/// merged, they made one 42 KB function that the browser compiled whole, in 2 to 10 ms, on the
/// page's first check (of a blank plan, which runs none of the per-site or per-link code).
///
/// ```
/// use tunnelsmith::check::analyze;
/// use tunnelsmith::presets::PRESETS;
///
/// // A preset has no errors, and resolving chose every link's tunnels.
/// let a = analyze(&PRESETS[0].plan());
/// assert!(!a.has_errors());
/// assert!(a.resolved.links.iter().all(|l| !l.tunnels.is_empty()));
///
/// // Give the second site the first one's address space: an error on that field, with a fix.
/// let mut plan = PRESETS[0].plan();
/// plan.sites[1].address_spaces = plan.sites[0].address_spaces.clone();
/// let a = analyze(&plan);
/// let overlap = a.findings.iter().find(|f| f.code == "E_CIDR_OVERLAP").expect("the overlap is found");
/// assert!(overlap.is_error() && overlap.path.starts_with("sites[1].address_spaces"), "{overlap:?}");
/// assert!(!overlap.fix.is_empty());
/// ```
pub fn analyze(plan: &Plan) -> Analysis {
    let mut out = Findings::default();
    let mut sites = sites::check_sites(plan, &mut out);
    sites::assign_asns(plan, &mut sites, &mut out);
    let mut links = links::check_links(plan, &sites, &mut out);
    inside::assign(plan, &sites, &mut links, &mut out);
    let plan_name = crate::kb::names::PLAN_NAME.safe(&plan.name);
    let resolved = Resolved { plan_name, kb_date: crate::kb::KB_DATE, sites, links };
    let mut findings = out.0;
    order_findings(&mut findings);
    Analysis { findings, resolved }
}

/// Errors first, then warnings, then infos, each in the order found: a stable sort on three
/// values, as two partitions (no sort code in the web page for it; the page's own findings list
/// is ordered here too). Within the errors a cause comes before its consequences (issue 18): a
/// subnet outside its site's address spaces follows every error about those address spaces
/// (an overlap or a typo there is what to fix first).
pub fn order_findings(findings: &mut Vec<Finding>) {
    let (errors, rest): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(|f| f.severity == Severity::Error);
    let spaces_wrong = |site: &str| errors.iter().any(|f| f.path.starts_with(&format!("{site}.address_spaces")));
    let consequence = |f: &Finding| {
        f.code == "E_SUBNET_OUTSIDE" && f.path.split_once(".subnets").is_some_and(|(site, _)| spaces_wrong(site))
    };
    let (consequences, causes): (Vec<&Finding>, Vec<&Finding>) = errors.iter().partition(|f| consequence(f));
    let mut ordered: Vec<Finding> = causes.into_iter().chain(consequences).cloned().collect();
    let (warnings, infos): (Vec<Finding>, Vec<Finding>) =
        rest.into_iter().partition(|f| f.severity == Severity::Warning);
    ordered.extend(warnings);
    ordered.extend(infos);
    *findings = ordered;
}

/// Every finding for the plan, errors first.
pub fn check(plan: &Plan) -> Vec<Finding> {
    analyze(plan).findings
}

/// The plan with every derived value filled in (best effort when the plan has errors:
/// check first).
pub fn resolve(plan: &Plan) -> Resolved {
    analyze(plan).resolved
}

/// Collects findings.
#[derive(Default)]
pub(crate) struct Findings(pub(crate) Vec<Finding>);

impl Findings {
    fn push(&mut self, severity: Severity, code: &'static str, path: String, message: String, fix: String, src: &str) {
        debug_assert!(CODES.iter().any(|c| c.code == code), "unregistered finding code {code}");
        self.0.push(Finding { severity, code, path, message, fix, source: src.to_string() });
    }

    pub(crate) fn error(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
        src: impl Keys,
    ) {
        self.push(Severity::Error, code, path.into(), message.into(), fix.into(), &src.keys());
    }

    pub(crate) fn warn(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
        src: impl Keys,
    ) {
        self.push(Severity::Warning, code, path.into(), message.into(), fix.into(), &src.keys());
    }

    pub(crate) fn info(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
        src: impl Keys,
    ) {
        self.push(Severity::Info, code, path.into(), message.into(), String::new(), &src.keys());
    }
}

/// Source keys of a finding: one knowledge-base row's, or several rows' joined.
pub(crate) trait Keys {
    fn keys(&self) -> String;
}

impl Keys for Src {
    fn keys(&self) -> String {
        self.keys.to_string()
    }
}

impl Keys for String {
    fn keys(&self) -> String {
        self.clone()
    }
}

/// The keys of two rows, once each.
pub(crate) fn join_keys(a: Src, b: Src) -> String {
    if a.keys == b.keys {
        a.keys.to_string()
    } else {
        format!("{} {}", a.keys, b.keys)
    }
}

/// A rule's stable code and what it is about.
pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    pub about: &'static str,
}

const fn e(code: &'static str, about: &'static str) -> Code {
    Code { code, severity: Severity::Error, about }
}
const fn w(code: &'static str, about: &'static str) -> Code {
    Code { code, severity: Severity::Warning, about }
}
const fn i(code: &'static str, about: &'static str) -> Code {
    Code { code, severity: Severity::Info, about }
}

/// Every finding code, with its severity. Codes are stable: a rule that goes away retires its
/// code, it is never reused.
pub const CODES: &[Code] = &[
    // plan and sites
    e("E_PLAN_NAME", "plan name breaks the naming rule shared by every cloud"),
    e("E_SITE_COUNT", "a plan has 2 to 8 sites"),
    e("E_SITE_NAME", "site name breaks the naming rule shared by every cloud"),
    e("E_SITE_NAME_DUPLICATE", "two sites share a name"),
    e("E_REGION_MISSING", "a cloud site needs a region"),
    e("E_REGION_INVALID", "region contains characters no region has"),
    w("W_REGION_UNKNOWN", "region not in this build's list"),
    e("E_NETWORK_ID", "existing network ID or name is malformed"),
    e("E_GATEWAY_PLATFORM", "gateway kind belongs to another platform"),
    e("E_AZURE_SKU_UNKNOWN", "Azure SKU does not exist"),
    e("E_AZURE_SKU_RETIRED", "Azure SKU can no longer be created"),
    e("E_AZURE_SKU_FEATURE", "Azure SKU lacks active-active or is policy-based with options it lacks"),
    e("E_APPLIANCE_VERSION", "appliance version unknown"),
    e("E_APPLIANCE_PUBLIC_IP", "appliance public IP missing, malformed or private"),
    w("W_APPLIANCE_PUBLIC_IP_DOC", "appliance public IP is a documentation address"),
    e("E_APPLIANCE_PRIVATE_IP", "appliance private IP missing, malformed or outside the site"),
    // addressing
    e("E_CIDR_INVALID", "address space or subnet is not a CIDR"),
    w("W_CIDR_HOST_BITS", "CIDR has host bits set"),
    e("E_CIDR_FORBIDDEN", "address space in a reserved range (link-local, loopback, multicast)"),
    w("W_CIDR_NOT_PRIVATE", "address space is public address space"),
    e("E_CIDR_SIZE", "prefix length outside the platform's limits"),
    e("E_CIDR_OVERLAP", "address spaces of two sites overlap"),
    e("E_CIDR_OVERLAP_SITE", "address spaces or subnets within one site overlap"),
    e("E_SUBNET_OUTSIDE", "subnet outside the site's address spaces"),
    e("E_SUBNET_NAME", "subnet name breaks the platform's naming rule"),
    e("E_SPACES_MISSING", "site has no address space"),
    w("W_SUBNETS_MISSING", "new network without subnets"),
    e("E_AZURE_GATEWAY_SUBNET", "Azure GatewaySubnet missing or smaller than /29"),
    w("W_AZURE_GATEWAY_SUBNET_SMALL", "Azure GatewaySubnet smaller than the recommended /27"),
    w("W_AZURE_NO_WORKLOAD_SUBNET", "Azure VNet whose only subnet is GatewaySubnet (no VM can live there)"),
    // ASNs
    e("E_ASN_INVALID", "ASN outside what the gateway accepts"),
    e("E_ASN_PEER_RESERVED", "ASN that the peer platform reserves"),
    e("E_ASN_SAME", "both ends of a BGP link use one ASN"),
    w("W_ASN_DUPLICATE", "two sites share an ASN"),
    w("W_ASN_PUBLIC", "appliance uses a public ASN"),
    // links and topology
    e("E_LINK_SITE", "link names a site that does not exist"),
    e("E_LINK_SELF", "link joins a site to itself"),
    e("E_LINK_DUPLICATE", "two links join the same pair"),
    e("E_LINK_INCOMPATIBLE", "the two gateways cannot form a tunnel"),
    e("E_ROUTING_UNSUPPORTED", "a gateway cannot route this way"),
    e("E_AZURE_AWS_BGP", "AWS BGP to Azure needs an active-active Azure gateway and 4 tunnels"),
    e("E_AZURE_APIPA_ACTIVE_STANDBY", "active-standby Azure gateway has one APIPA address for several BGP tunnels"),
    e("E_TUNNELS_COUNT", "tunnel count outside what the pair can form"),
    w("W_TUNNELS_REDUCED", "fewer tunnels than the pair can form"),
    w(
        "W_AWS_STATIC_NO_FAILOVER",
        "static routing from AWS over one VPN connection per active-active Azure instance: no failover between them",
    ),
    e("E_CONNECTION_LIMIT", "gateway terminates more connections than its platform allows"),
    w(
        "W_TOPOLOGY_MISSING_LINK",
        "two sites have no direct link: through which gateway their traffic goes, or that it cannot",
    ),
    i("I_TOPOLOGY_UNLINKED", "two sites left unlinked on purpose (hub and spoke): what that means for their traffic"),
    // crypto
    e("E_IKE_NO_COMMON", "the two ends share no IKE version"),
    e("E_CRYPTO_REJECTED", "a custom crypto choice one end rejects"),
    e("E_CRYPTO_NO_COMMON", "the two ends share no value for a parameter"),
    e("E_LIFETIME_RANGE", "a lifetime one end cannot be configured with"),
    e("E_LIFETIME_ORDER", "phase 2 lifetime not below phase 1 where AWS requires it"),
    e("E_DPD_RANGE", "DPD timeout one end cannot be configured with"),
    e("E_AZURE_IKEV1_SCRIPTS", "IKEv1 toward an Azure route-based gateway, which the az CLI cannot create"),
    w("W_CRYPTO_WEAK", "a weak algorithm or IKEv1"),
    w("W_CRYPTO_IGNORED", "phase 2 integrity set with an AEAD cipher"),
    i("I_CRYPTO_PROFILE", "the crypto profile the link uses and why"),
    i("I_LIFETIME_DIFFERS", "the ends rekey at different lifetimes (one is fixed)"),
    i("I_MTU", "recommended tunnel MTU and MSS clamp"),
    // inside addresses
    e("E_INSIDE_INVALID", "pinned inside CIDR is not a /30"),
    e("E_INSIDE_RULE", "pinned inside /30 breaks a platform rule"),
    e("E_INSIDE_DUPLICATE", "two tunnels use one inside /30"),
    e("E_INSIDE_EXTRA", "more pinned inside /30s than tunnels"),
    e("E_INSIDE_EXHAUSTED", "no free /30 satisfies every rule"),
    // secrets
    e("E_PSK_MISSING", "a tunnel has no pre-shared key"),
    e("E_PSK_REJECTED", "a pre-shared key one end rejects"),
];

/// The path of a site field.
pub(crate) fn site_path(i: usize, field: &str) -> String {
    if field.is_empty() {
        format!("sites[{i}]")
    } else {
        format!("sites[{i}].{field}")
    }
}

/// The path of a link field.
pub(crate) fn link_path(i: usize, field: &str) -> String {
    if field.is_empty() {
        format!("links[{i}]")
    } else {
        format!("links[{i}].{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_ordered_by_severity_keeping_their_order_within_one() {
        let f = |severity, code| Finding {
            severity,
            code,
            path: String::new(),
            message: String::new(),
            fix: String::new(),
            source: String::new(),
        };
        let mut v = vec![
            f(Severity::Info, "I1"),
            f(Severity::Error, "E1"),
            f(Severity::Warning, "W1"),
            f(Severity::Info, "I2"),
            f(Severity::Error, "E2"),
            f(Severity::Warning, "W2"),
        ];
        order_findings(&mut v);
        let codes: Vec<&str> = v.iter().map(|f| f.code).collect();
        assert_eq!(codes, ["E1", "E2", "W1", "W2", "I1", "I2"]);
    }
}
