//! Prices as data: what the clouds charge, by the hour, for what the generated scripts create, and
//! per GB for the traffic the tunnels carry out of a cloud.
//!
//! List prices in US dollars, each with its source keys (`docs/kb-sources.md`) and the date it was
//! taken. A figure that could not be checked against a public copy of the provider's page carries
//! `[?]` among its keys: [`Price::verified`] is false and the runbook marks it. Prices change and
//! vary by region; the runbook says so next to every estimate. [`crate::cost`] does the sums.

use super::{src, Src};

/// What a price is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Per resource and hour the resource exists.
    Hour,
    /// Per GB.
    Gb,
}

/// A line on a cloud bill (in the order the estimate lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Meter {
    /// AWS Site-to-Site VPN connection (two tunnels).
    AwsVpnConnection,
    /// AWS transit gateway attachment (the VPC's, and each VPN connection's).
    AwsTgwAttachment,
    /// AWS transit gateway data processing.
    AwsTgwData,
    /// AWS public IPv4 address (an elastic IP).
    AwsPublicIpv4,
    /// AWS data transfer out to the internet.
    AwsDataOut,
    /// Azure VPN gateway, by SKU.
    AzureGateway,
    /// Azure site-to-site connections beyond those the gateway includes.
    AzureExtraConnection,
    /// Azure Standard static public IP.
    AzurePublicIp,
    /// Azure data transfer out to the internet.
    AzureDataOut,
    /// Google Cloud HA VPN tunnel.
    GcpVpnTunnel,
    /// Google Cloud static external IPv4 address.
    GcpExternalIp,
    /// Google Cloud internet data transfer out (Premium Tier).
    GcpDataOut,
}

/// One price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub meter: Meter,
    /// The Azure gateway SKU the price is for; empty for every other meter.
    pub sku: &'static str,
    /// What is charged, for people.
    pub what: &'static str,
    pub unit: Unit,
    /// US dollars per unit in millionths (0.05 is 50_000), so that sums are exact.
    pub micro_usd: u64,
    /// Units included at no charge before this price applies (Azure's connections per gateway).
    pub included: u64,
    /// What the figure covers and what it leaves out.
    pub note: &'static str,
    /// Source keys and the date the price was taken.
    pub src: Src,
}

impl Price {
    /// Whether the figure was checked against a copy of the provider's public price page.
    pub fn verified(&self) -> bool {
        !self.src.keys.contains("[?]")
    }
}

const fn hourly(meter: Meter, what: &'static str, micro_usd: u64, note: &'static str, keys: &'static str) -> Price {
    Price { meter, sku: "", what, unit: Unit::Hour, micro_usd, included: 0, note, src: src(keys) }
}

const fn per_gb(meter: Meter, what: &'static str, micro_usd: u64, note: &'static str, keys: &'static str) -> Price {
    Price { meter, sku: "", what, unit: Unit::Gb, micro_usd, included: 0, note, src: src(keys) }
}

const fn azure_gateway(sku: &'static str, micro_usd: u64) -> Price {
    Price {
        meter: Meter::AzureGateway,
        sku,
        what: "Azure VPN gateway",
        unit: Unit::Hour,
        micro_usd,
        included: 0,
        note: "per gateway-hour, active-standby or active-active; the list price of the non-AZ SKU of the same size, which Microsoft said the AZ SKUs would be reduced to from January 2025",
        src: src("[PRICE-AZ-VPNGW] [AZ-CONS] [?]"),
    }
}

/// Every price the estimate uses.
pub const PRICES: &[Price] = &[
    hourly(
        Meter::AwsVpnConnection,
        "AWS Site-to-Site VPN connection",
        50_000,
        "per VPN connection-hour, both tunnels of the connection together",
        "[PRICE-AWS-VPN] [?]",
    ),
    hourly(
        Meter::AwsTgwAttachment,
        "AWS transit gateway attachment",
        50_000,
        "per attachment-hour: the VPC's attachment and each VPN connection's",
        "[PRICE-AWS-TGW] [?]",
    ),
    per_gb(
        Meter::AwsTgwData,
        "AWS transit gateway data processing",
        20_000,
        "per GB the transit gateway processes, on top of data transfer out",
        "[PRICE-AWS-TGW] [?]",
    ),
    hourly(
        Meter::AwsPublicIpv4,
        "AWS public IPv4 address (elastic IP)",
        5_000,
        "per address-hour, attached or not",
        "[PRICE-AWS-IPV4] [?]",
    ),
    per_gb(
        Meter::AwsDataOut,
        "AWS data transfer out to the internet",
        90_000,
        "first 10 TB a month; the figure seed 001 used in June 2020 is the same",
        "[PRICE-AWS-DTO] [SEED-001]",
    ),
    azure_gateway("VpnGw1AZ", 190_000),
    azure_gateway("VpnGw2AZ", 490_000),
    azure_gateway("VpnGw3AZ", 1_250_000),
    Price {
        meter: Meter::AzureExtraConnection,
        sku: "",
        what: "Azure site-to-site connection beyond the first 10",
        unit: Unit::Hour,
        micro_usd: 15_000,
        included: 10,
        note: "per connection-hour beyond the 10 every VpnGw SKU includes",
        src: src("[PRICE-AZ-VPNGW] [?]"),
    },
    hourly(
        Meter::AzurePublicIp,
        "Azure Standard static public IP",
        5_000,
        "per address-hour",
        "[PRICE-AZ-IP] [?]",
    ),
    per_gb(
        Meter::AzureDataOut,
        "Azure data transfer out to the internet",
        87_000,
        "from 100 GB to 10 TB a month; the first 100 GB a month are free (not subtracted here); seed 001 used the same figure in June 2020",
        "[PRICE-AZ-BW] [SEED-001]",
    ),
    hourly(
        Meter::GcpVpnTunnel,
        "Google Cloud HA VPN tunnel",
        50_000,
        "per tunnel-hour",
        "[PRICE-GCP-VPN] [?]",
    ),
    hourly(
        Meter::GcpExternalIp,
        "Google Cloud static external IPv4 address",
        5_000,
        "per address-hour",
        "[PRICE-GCP-IP] [?]",
    ),
    per_gb(
        Meter::GcpDataOut,
        "Google Cloud internet data transfer out (Premium Tier)",
        120_000,
        "first TiB a month to another continent; about $0.085 within North America",
        "[PRICE-GCP-NET]",
    ),
];

/// The price of `meter` (for [`Meter::AzureGateway`], of the SKU `sku`, case-insensitive).
pub fn price(meter: Meter, sku: &str) -> Option<&'static Price> {
    PRICES.iter().find(|p| p.meter == meter && (meter != Meter::AzureGateway || p.sku.eq_ignore_ascii_case(sku)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_price_has_a_source_a_date_and_a_positive_figure() {
        for p in PRICES {
            assert!(p.micro_usd > 0, "{}", p.what);
            assert!(p.src.keys.contains("[PRICE-"), "{}: {}", p.what, p.src.keys);
            assert_eq!(p.src.checked.len(), 10, "{}: ISO date", p.what);
            assert_eq!(p.sku.is_empty(), p.meter != Meter::AzureGateway, "{}", p.what);
        }
    }

    #[test]
    fn the_three_egress_prices_are_the_verified_ones() {
        let verified: Vec<Meter> = PRICES.iter().filter(|p| p.verified()).map(|p| p.meter).collect();
        assert_eq!(verified, [Meter::AwsDataOut, Meter::AzureDataOut, Meter::GcpDataOut]);
        assert_eq!(price(Meter::AwsDataOut, "").unwrap().micro_usd, 90_000);
        assert_eq!(price(Meter::AzureDataOut, "").unwrap().micro_usd, 87_000);
        assert_eq!(price(Meter::GcpDataOut, "").unwrap().micro_usd, 120_000);
    }

    #[test]
    fn azure_gateway_prices_are_per_sku_and_only_for_skus_that_can_be_created() {
        assert_eq!(price(Meter::AzureGateway, "vpngw2az").unwrap().sku, "VpnGw2AZ");
        assert!(price(Meter::AzureGateway, "VpnGw9AZ").is_none());
        for p in PRICES.iter().filter(|p| p.meter == Meter::AzureGateway) {
            let sku = super::super::gateways::azure_sku(p.sku).expect("a known SKU");
            assert!(sku.retired.is_none(), "{} can no longer be created", p.sku);
        }
    }
}
