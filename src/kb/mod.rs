//! The knowledge base: platform capabilities and limits as data tables.
//!
//! Every rule the checks apply comes from a row here, and every row names its source key
//! from `shared/reference/ike-facts.md` (listed in `docs/kb-sources.md`) and the date the
//! row was checked. Code elsewhere asks questions of these tables; it does not restate facts.
#![deny(clippy::wildcard_enum_match_arm)]

pub mod addressing;
pub mod asn;
pub mod clis;
pub mod crypto;
pub mod dialects;
pub mod gateways;
pub mod names;
pub mod pairing;
pub mod prices;
pub mod psk;

/// The date the knowledge base's facts were last checked against their sources.
pub const KB_DATE: &str = "2026-11-21";

/// Where a row's facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Src {
    /// Source keys, e.g. `[AZ-FAQ] [AZ-BGP]`.
    pub keys: &'static str,
    /// When the row was checked against those sources (ISO date).
    pub checked: &'static str,
}

/// A source checked on [`KB_DATE`].
pub const fn src(keys: &'static str) -> Src {
    Src { keys, checked: KB_DATE }
}

/// A change to the knowledge base that can change checks or generated output. A link or plan
/// made with an older knowledge base is opened as it was; the app lists the changes since.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// The `KB_DATE` that introduced it.
    pub date: &'static str,
    pub what: &'static str,
}

/// Every such change, oldest first. Append one whenever a row changes behaviour.
pub const CHANGES: &[Change] = &[];

/// The changes made after `date` (ISO dates compare as text).
pub fn changes_since(date: &str) -> impl Iterator<Item = &'static Change> + '_ {
    CHANGES.iter().filter(move |c| c.date > date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_dated_in_order_and_not_after_kb_date() {
        let mut last = "";
        for c in CHANGES {
            assert!(c.date >= last && c.date <= KB_DATE, "{c:?}");
            last = c.date;
        }
        assert_eq!(changes_since(KB_DATE).count(), 0);
    }
}
