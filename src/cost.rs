//! The monthly cost estimate of a plan: the hours of what the scripts create (VPN connections,
//! gateways, tunnels, public addresses) and the data the tunnels carry out of each cloud.
//!
//! Data transfer follows the formula of the first field report (seed 001), per link:
//! `cost = GB sent from A × A's egress price + GB sent from B × B's egress price`.
//! Quantities come from the steps (what the scripts create), prices from [`crate::kb::prices`].
//! Pure and exact: money is counted in millionths of a US dollar.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::check::Resolved;
use crate::kb::prices::{self, Meter, Price};
use crate::plan::{Gateway, Platform};
use crate::steps::{ResourceKind, Step};
use std::collections::BTreeMap;

/// Hours in the month the estimate assumes (365 × 24 / 12).
pub const HOURS_PER_MONTH: u64 = 730;

/// The traffic the user expects, per month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// GB sent each way over every link in a month, unless [`Traffic::links`] says otherwise.
    pub each_way_gb: u64,
    /// Per link (its index in [`Resolved::links`]): GB sent from end a to end b, and from b to a.
    pub links: BTreeMap<usize, [u64; 2]>,
}

impl Traffic {
    /// The volume the runbook's example uses when the user gave none.
    pub const EXAMPLE_GB: u64 = 100;

    /// The same volume each way on every link.
    ///
    /// ```
    /// let t = tunnelsmith::cost::Traffic::each_way(250);
    /// assert_eq!(t.sent(3, 1), 250);
    /// ```
    pub fn each_way(gb: u64) -> Traffic {
        Traffic { each_way_gb: gb, links: BTreeMap::new() }
    }

    /// GB sent from end `end` (0 = a, 1 = b) of link `link` in a month.
    pub fn sent(&self, link: usize, end: usize) -> u64 {
        self.links.get(&link).map(|v| v[end.min(1)]).unwrap_or(self.each_way_gb)
    }
}

/// Something the plan runs around the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourLine {
    /// The site (index in [`Resolved::sites`]).
    pub site: usize,
    pub meter: Meter,
    /// How many are charged (beyond what is included).
    pub count: u64,
    /// `None` when the knowledge base has no price for it (an Azure SKU without a recorded price).
    pub price: Option<&'static Price>,
}

impl HourLine {
    /// The monthly cost in millionths of a dollar, when priced.
    pub fn monthly(&self) -> Option<u64> {
        self.price.map(|p| p.micro_usd * self.count * HOURS_PER_MONTH)
    }
}

/// Data leaving one end of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLine {
    pub link: usize,
    /// The sending end (0 = a, 1 = b).
    pub end: usize,
    pub gb: u64,
    /// Per-GB charges that apply, in order (egress, then e.g. transit gateway processing). Empty
    /// for a self-managed site: its provider's charges are not known here.
    pub prices: Vec<&'static Price>,
}

impl TransferLine {
    /// The monthly cost in millionths of a dollar.
    pub fn monthly(&self) -> u64 {
        self.prices.iter().map(|p| p.micro_usd * self.gb).sum()
    }
}

/// One site's share of an [`Estimate`], in millionths of a dollar a month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteCost {
    /// The site (index in [`Resolved::sites`]).
    pub site: usize,
    /// What runs around the clock there (priced lines only).
    pub hours: u64,
    /// The data the site sends over its links.
    pub transfer: u64,
    /// Whether a figure rests on a price not checked against the provider's own page.
    pub unverified: bool,
    /// What has no recorded price (an Azure gateway SKU), left out of the figures.
    pub unpriced: Vec<HourLine>,
}

impl SiteCost {
    pub fn total(&self) -> u64 {
        self.hours + self.transfer
    }
}

/// The estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub hours: Vec<HourLine>,
    pub transfer: Vec<TransferLine>,
    pub traffic: Traffic,
}

impl Estimate {
    /// Monthly cost of everything that runs around the clock (priced lines only).
    pub fn fixed_monthly(&self) -> u64 {
        self.hours.iter().filter_map(HourLine::monthly).sum()
    }

    /// Monthly cost of the data transfer.
    pub fn transfer_monthly(&self) -> u64 {
        self.transfer.iter().map(TransferLine::monthly).sum()
    }

    pub fn total_monthly(&self) -> u64 {
        self.fixed_monthly() + self.transfer_monthly()
    }

    /// Lines the total leaves out for want of a price.
    pub fn unpriced(&self) -> impl Iterator<Item = &HourLine> {
        self.hours.iter().filter(|h| h.price.is_none())
    }

    /// The estimate per site (in the order of [`Resolved::sites`]): what runs there around the
    /// clock, what the data it sends costs, whether a figure rests on an unverified price, and
    /// the lines left out for want of a price. The sites' totals add up to [`Self::total_monthly`].
    pub fn per_site(&self, r: &Resolved) -> Vec<SiteCost> {
        let mut sites: Vec<SiteCost> =
            (0..r.sites.len()).map(|site| SiteCost { site, ..SiteCost::default() }).collect();
        for h in &self.hours {
            let s = &mut sites[h.site];
            match h.price.zip(h.monthly()) {
                Some((p, monthly)) => {
                    s.hours += monthly;
                    s.unverified |= !p.verified();
                }
                None => s.unpriced.push(h.clone()),
            }
        }
        for t in &self.transfer {
            let s = &mut sites[r.links[t.link].site(t.end)];
            s.transfer += t.monthly();
            s.unverified |= t.gb > 0 && t.prices.iter().any(|p| !p.verified());
        }
        sites
    }

    /// Every distinct price the estimate used, in the order of [`prices::PRICES`].
    pub fn prices_used(&self) -> Vec<&'static Price> {
        let used: Vec<&Price> = self
            .hours
            .iter()
            .filter_map(|h| h.price)
            .chain(self.transfer.iter().flat_map(|t| t.prices.clone()))
            .collect();
        prices::PRICES.iter().filter(|p| used.contains(p)).collect()
    }
}

/// The egress meter of traffic leaving a site on `platform` (`None` on premises).
fn data_out(platform: Platform) -> Option<Meter> {
    match platform {
        Platform::Aws => Some(Meter::AwsDataOut),
        Platform::Azure => Some(Meter::AzureDataOut),
        Platform::Gcp => Some(Meter::GcpDataOut),
        Platform::Onprem => None,
    }
}

/// The estimate for the plan's steps and the user's traffic.
///
/// ```
/// use tunnelsmith::{check::resolve, cost, presets::find, steps::steps};
/// let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
/// let e = cost::estimate(&r, &steps(&r), &cost::Traffic::each_way(100));
/// // 100 GB from AWS at $0.09 and 100 GB from Azure at $0.087: $17.70.
/// assert_eq!(e.transfer_monthly(), 17_700_000);
/// ```
pub fn estimate(r: &Resolved, steps: &[Step], traffic: &Traffic) -> Estimate {
    let mut counts: BTreeMap<(usize, Meter), (Meter, u64)> = BTreeMap::new();
    for s in steps {
        let Some(res) = &s.creates else { continue };
        // Which resources are billed by the hour, and on which meter, is the kind's fact
        // (steps::KINDS); everything else has no hourly charge of its own.
        if let Some(meter) = res.kind.facts().meter {
            counts.entry((s.site, meter)).or_insert((meter, 0)).1 += 1;
        }
        // A VPN connection on a transit gateway is also one of its attachments.
        if res.kind == ResourceKind::AwsVpnConnection && matches!(r.sites[s.site].gateway, Gateway::AwsTgw { .. }) {
            counts.entry((s.site, Meter::AwsTgwAttachment)).or_insert((Meter::AwsTgwAttachment, 0)).1 += 1;
        }
    }
    let mut hours = Vec::new();
    for ((site, _), (meter, n)) in counts {
        let sku = match &r.sites[site].gateway {
            Gateway::AzureVpnGateway { sku, .. } => sku.as_str(),
            Gateway::AwsVgw { .. }
            | Gateway::AwsTgw { .. }
            | Gateway::GcpHaVpn { .. }
            | Gateway::GcpClassicVpn { .. }
            | Gateway::Appliance { .. } => "",
        };
        let price = prices::price(meter, sku);
        let count = n.saturating_sub(price.map(|p| p.included).unwrap_or(0));
        if count > 0 {
            hours.push(HourLine { site, meter, count, price });
        }
    }
    let mut transfer = Vec::new();
    for (i, l) in r.links.iter().enumerate() {
        for end in 0..2 {
            let site = &r.sites[l.site(end)];
            let mut charges: Vec<&'static Price> =
                data_out(site.platform).and_then(|m| prices::price(m, "")).into_iter().collect();
            if matches!(site.gateway, Gateway::AwsTgw { .. }) {
                charges.extend(prices::price(Meter::AwsTgwData, ""));
            }
            transfer.push(TransferLine { link: i, end, gb: traffic.sent(i, end), prices: charges });
        }
    }
    Estimate { hours, transfer, traffic: traffic.clone() }
}

/// Dollars and cents with thousands separators: `$1,234.57` (half a cent rounds up).
pub fn usd(micro: u64) -> String {
    let cents = (micro + 5_000) / 10_000;
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{:02}", cents % 100)
}

/// A unit price with as many decimals as it needs, at least two: `$0.05`, `$0.087`, `$1.25`.
pub fn usd_rate(micro: u64) -> String {
    let s = format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000);
    let trimmed = s.trim_end_matches('0');
    let decimals = trimmed.split('.').nth(1).map(str::len).unwrap_or(0);
    if decimals < 2 {
        format!("${}", &s[..s.len() - 4])
    } else {
        format!("${trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::resolve;
    use crate::presets::find;
    use crate::steps::steps;

    fn estimate_for(id: &str, gb: u64) -> (Resolved, Estimate) {
        let r = resolve(&find(id).unwrap().plan());
        let e = estimate(&r, &steps(&r), &Traffic::each_way(gb));
        (r, e)
    }

    #[test]
    fn money_is_formatted_like_a_bill() {
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(36_500_000), "$36.50");
        assert_eq!(usd(1_234_567_890), "$1,234.57");
        assert_eq!(usd(1_000_000_000_000), "$1,000,000.00");
        assert_eq!(usd_rate(50_000), "$0.05");
        assert_eq!(usd_rate(87_000), "$0.087");
        assert_eq!(usd_rate(1_250_000), "$1.25");
        assert_eq!(usd_rate(5_000), "$0.005");
    }

    #[test]
    fn seed_001_formula_on_its_own_figures() {
        // Seed 001: 0.372 GB from AWS and 0.045 GB from Azure cost $0.037. In whole GB: 372 and 45
        // GB cost 372 × 0.09 + 45 × 0.087 = $37.395.
        let (r, _) = estimate_for("001-libreswan-ec2-to-azure", 0);
        let mut t = Traffic::each_way(0);
        t.links.insert(0, [372, 45]);
        let e = estimate(&r, &steps(&r), &t);
        assert_eq!(e.transfer_monthly(), 37_395_000);
        assert_eq!(usd(e.transfer_monthly()), "$37.40");
    }

    #[test]
    fn seed_002_counts_one_aws_connection_one_azure_gateway_and_its_address() {
        let (r, e) = estimate_for("002-aws-vgw-to-azure-static", 100);
        let find = |m: Meter| e.hours.iter().find(|h| h.meter == m);
        assert_eq!(find(Meter::AwsVpnConnection).unwrap().count, 1);
        let gw = find(Meter::AzureGateway).unwrap();
        assert_eq!((gw.count, gw.price.unwrap().sku), (1, "VpnGw1AZ"));
        assert_eq!(find(Meter::AzurePublicIp).unwrap().count, 1);
        assert!(find(Meter::AzureExtraConnection).is_none(), "2 connections are within the 10 included");
        // AWS $0.05 × 730 = $36.50; Azure gateway $0.19 × 730 = $138.70; its IP $0.005 × 730 = $3.65.
        assert_eq!(e.fixed_monthly(), 36_500_000 + 138_700_000 + 3_650_000);
        assert_eq!(e.transfer.len(), 2 * r.links.len());
        assert_eq!(e.total_monthly(), e.fixed_monthly() + 17_700_000);
    }

    #[test]
    fn seed_004_counts_every_tunnel_and_connection() {
        let (_, e) = estimate_for("004-aws-azure-gcp-bgp", 10);
        let count = |m: Meter| e.hours.iter().filter(|h| h.meter == m).map(|h| h.count).sum::<u64>();
        // AWS: two connections to Azure (one per Azure instance) and two to Google Cloud.
        assert_eq!(count(Meter::AwsVpnConnection), 4);
        // Google Cloud: two tunnels to Azure and four to AWS.
        assert_eq!(count(Meter::GcpVpnTunnel), 6);
        assert_eq!(count(Meter::AzurePublicIp), 2, "active-active: two gateway addresses");
        // Six links ends send 10 GB each.
        assert_eq!(e.transfer.iter().map(|t| t.gb).sum::<u64>(), 60);
        assert!(e.unpriced().next().is_none());
    }

    #[test]
    fn per_site_figures_add_up_to_the_total_and_follow_the_traffic() {
        for p in crate::presets::PRESETS {
            let r = resolve(&p.plan());
            for gb in [0, 100, 1000] {
                let e = estimate(&r, &steps(&r), &Traffic::each_way(gb));
                let sites = e.per_site(&r);
                assert_eq!(sites.len(), r.sites.len(), "{}", p.id);
                assert_eq!(sites.iter().map(SiteCost::total).sum::<u64>(), e.total_monthly(), "{} at {gb} GB", p.id);
                assert_eq!(sites.iter().map(|s| s.unpriced.len()).sum::<usize>(), e.unpriced().count(), "{}", p.id);
            }
            // More traffic never makes a site cheaper, and a cloud site pays for what it sends.
            let (a, b) = (
                estimate(&r, &steps(&r), &Traffic::each_way(100)).per_site(&r),
                estimate(&r, &steps(&r), &Traffic::each_way(1000)).per_site(&r),
            );
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.hours, y.hours, "{}: running costs do not depend on traffic", p.id);
                assert!(y.transfer >= x.transfer, "{}", p.id);
                if r.sites[x.site].platform != crate::plan::Platform::Onprem && y.transfer > 0 {
                    assert!(y.transfer > x.transfer, "{}: site {} sends more for free", p.id, x.site);
                }
            }
        }
    }

    #[test]
    fn an_unpriced_sku_is_reported_not_guessed() {
        let mut plan = find("002-aws-vgw-to-azure-static").unwrap().plan();
        if let Gateway::AzureVpnGateway { sku, .. } = &mut plan.sites[0].gateway {
            *sku = "VpnGw5AZ".into();
        }
        let r = resolve(&plan);
        let e = estimate(&r, &steps(&r), &Traffic::each_way(0));
        let line = e.unpriced().next().expect("the gateway has no recorded price");
        assert_eq!((line.meter, line.monthly()), (Meter::AzureGateway, None));
    }
}
