//! The custom crypto choices of one link, each value enabled or disabled with the reason.

use crate::check::{resolve, Profile, Resolved};
use crate::kb::crypto::{caps, dh_label, ike_versions, Caps, Life, PREFERENCE, WEAK_DH, WEAK_IKEV1, WEAK_INTEGRITY};
use crate::plan::*;

/// One value of a crypto parameter, offered or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<T> {
    pub value: T,
    pub label: String,
    /// `None`: both ends accept it. `Some(why)`: why it cannot be chosen, naming the end.
    pub unavailable: Option<String>,
    /// The value the recommended profile uses.
    pub recommended: bool,
    /// Both ends accept it, but a careful engineer replaces it: why (`kb::crypto` `WEAK_*`).
    pub weak: Option<String>,
}

impl<T> Choice<T> {
    pub fn available(&self) -> bool {
        self.unavailable.is_none()
    }
}

/// What one end allows for a lifetime or DPD timeout, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub site: String,
    pub rule: String,
}

/// The custom crypto choices of one link: every value, with what both ends accept enabled and
/// the rest disabled with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoChoices {
    /// The IKE version the algorithm lists below are for (the link's choice, else the
    /// negotiated one).
    pub ike_in_use: IkeVersion,
    pub ike: Vec<Choice<IkeVersion>>,
    pub phase1_encryption: Vec<Choice<Encryption>>,
    pub phase1_integrity: Vec<Choice<Integrity>>,
    pub phase1_dh_group: Vec<Choice<u8>>,
    pub phase2_encryption: Vec<Choice<Encryption>>,
    pub phase2_integrity: Vec<Choice<Integrity>>,
    /// `0` is "no PFS".
    pub pfs_group: Vec<Choice<u8>>,
    pub phase1_lifetime: Vec<Allowed>,
    pub phase2_lifetime: Vec<Allowed>,
    pub dpd_timeout: Vec<Allowed>,
}

/// Every DH group any endpoint accepts, in number order.
pub fn dh_groups() -> Vec<u8> {
    let mut v: Vec<u8> = PREFERENCE.dh.to_vec();
    v.sort_unstable();
    v
}

/// The choices for link `li` of `plan` (`resolved` is its resolution). `None` when the link does
/// not join two known endpoints (its findings say why).
pub fn crypto_choices(plan: &Plan, resolved: &Resolved, li: usize) -> Option<CryptoChoices> {
    let rl = resolved.links.iter().find(|l| l.index == li)?;
    let sites = [&resolved.sites[rl.a], &resolved.sites[rl.b]];
    let eps = [sites[0].endpoint?, sites[1].endpoint?];
    let who = [0, 1].map(|e| format!("{} ({})", sites[e].name, eps[e].label()));
    let custom = &plan.links.get(li)?.crypto;
    let rec = recommended_profile(plan, li);

    let versions = eps.map(ike_versions);
    let ike = ike_choices(&versions, &who, rec.as_ref());
    let ike_in_use = custom
        .ike_version
        .filter(|v| versions.iter().all(|vs| vs.contains(v)))
        .or(rl.profile.as_ref().map(|p| p.ike))
        .or_else(|| ike.iter().find(|c| c.available()).map(|c| c.value))?;
    let ends = Ends { who, caps: [caps(eps[0], ike_in_use)?, caps(eps[1], ike_in_use)?], ike: ike_in_use };
    // The recommended values are marked only where they are for the IKE version in use.
    let rec = rec.as_ref().filter(|p| p.ike == ike_in_use);
    let p2_enc_in_use = custom.phase2_encryption.or(rl.profile.as_ref().map(|p| p.p2_encryption));
    let groups = dh_groups();
    let allowed = |rule: fn(&Caps) -> Option<Life>| -> Vec<Allowed> {
        (0..2).map(|e| Allowed { site: sites[e].name.clone(), rule: life_rule(rule(ends.caps[e])) }).collect()
    };

    Some(CryptoChoices {
        ike_in_use,
        ike,
        phase1_encryption: ends.choices(&Encryption::ALL, |c| c.p1_enc, enc_label, rec.map(|p| p.p1_encryption)),
        phase1_integrity: weak_integrity(ends.choices(
            &Integrity::ALL,
            |c| c.p1_integ,
            integ_label,
            rec.map(|p| p.p1_integrity),
        )),
        phase1_dh_group: weak_dh(ends.choices(&groups, |c| c.p1_dh, dh_label, rec.map(|p| p.p1_dh))),
        phase2_encryption: ends.choices(&Encryption::ALL, |c| c.p2_enc, enc_label, rec.map(|p| p.p2_encryption)),
        phase2_integrity: phase2_integrity(&ends, rec, p2_enc_in_use),
        pfs_group: weak_dh(pfs_choices(&ends, &groups, rec)),
        phase1_lifetime: allowed(|c| Some(c.p1_life)),
        phase2_lifetime: allowed(|c| Some(c.p2_life)),
        dpd_timeout: allowed(|c| c.dpd_timeout),
    })
}

/// What the recommended profile would use for link `li`, from the engine itself.
fn recommended_profile(plan: &Plan, li: usize) -> Option<Profile> {
    let mut rec_plan = plan.clone();
    rec_plan.links[li].crypto = Crypto::default();
    resolve(&rec_plan).links.into_iter().find(|l| l.index == li).and_then(|l| l.profile)
}

/// IKEv2 and IKEv1, each unavailable where an end does not speak it; IKEv1 marked weak.
fn ike_choices(versions: &[Vec<IkeVersion>; 2], who: &[String; 2], rec: Option<&Profile>) -> Vec<Choice<IkeVersion>> {
    [IkeVersion::V2, IkeVersion::V1]
        .into_iter()
        .map(|v| {
            let missing: Vec<String> = (0..2)
                .filter(|&e| !versions[e].contains(&v))
                .map(|e| format!("{} speaks only {}", who[e], labels(&versions[e], |x| x.label().into())))
                .collect();
            Choice {
                value: v,
                label: v.label().into(),
                unavailable: (!missing.is_empty()).then(|| missing.join("; ")),
                recommended: rec.is_some_and(|p| p.ike == v),
                weak: (v == IkeVersion::V1).then(|| WEAK_IKEV1.why.to_string()),
            }
        })
        .collect()
}

/// The two ends of a link, named for the reasons, with what each accepts with the IKE version in use.
struct Ends {
    who: [String; 2],
    caps: [&'static Caps; 2],
    ike: IkeVersion,
}

impl Ends {
    /// Every value of `all`, unavailable where an end's list (`of`) lacks it, naming that end.
    fn choices<T: Copy + PartialEq>(
        &self,
        all: &[T],
        of: fn(&Caps) -> &'static [T],
        label: fn(T) -> String,
        rec: Option<T>,
    ) -> Vec<Choice<T>> {
        all.iter()
            .map(|&v| {
                let rejecting: Vec<&str> =
                    (0..2).filter(|&e| !of(self.caps[e]).contains(&v)).map(|e| self.who[e].as_str()).collect();
                Choice {
                    value: v,
                    label: label(v),
                    unavailable: (!rejecting.is_empty()).then(|| {
                        format!("{} does not accept {} with {}", rejecting.join(" and "), label(v), self.ike.label())
                    }),
                    recommended: rec == Some(v),
                    weak: None,
                }
            })
            .collect()
    }
}

/// Phase 2 integrity: none applies with an AEAD cipher in use (its integrity is built in).
fn phase2_integrity(ends: &Ends, rec: Option<&Profile>, p2_enc_in_use: Option<Encryption>) -> Vec<Choice<Integrity>> {
    let mut list =
        weak_integrity(ends.choices(&Integrity::ALL, |c| c.p2_integ, integ_label, rec.and_then(|p| p.p2_integrity)));
    if let Some(enc) = p2_enc_in_use.filter(|e| e.is_aead()) {
        for c in &mut list {
            c.unavailable = Some(format!("{} has integrity built in: phase 2 integrity does not apply", enc.label()));
        }
    }
    list
}

/// "No PFS" (unavailable where an end requires PFS), then every DH group.
fn pfs_choices(ends: &Ends, groups: &[u8], rec: Option<&Profile>) -> Vec<Choice<u8>> {
    let required: Vec<&str> = (0..2).filter(|&e| !ends.caps[e].pfs_optional).map(|e| ends.who[e].as_str()).collect();
    let mut list = vec![Choice {
        value: 0,
        label: "no PFS".into(),
        unavailable: (!required.is_empty()).then(|| format!("{} requires PFS in phase 2", required.join(" and "))),
        recommended: rec.is_some_and(|p| p.pfs.is_none()),
        weak: None,
    }];
    list.extend(ends.choices(groups, |c| c.pfs, dh_label, rec.and_then(|p| p.pfs)));
    list
}

/// A lifetime or timeout rule in words.
fn life_rule(rule: Option<Life>) -> String {
    match rule {
        Some(Life::Range { min, max }) => format!("{min}–{max} s"),
        Some(Life::Fixed(v)) => format!("a fixed {v} s (not configurable)"),
        None => "its own (not configurable)".into(),
    }
}

fn weak_dh(mut list: Vec<Choice<u8>>) -> Vec<Choice<u8>> {
    for c in &mut list {
        c.weak = WEAK_DH.iter().find(|(g, _)| *g == c.value).map(|(_, w)| w.why.to_string());
    }
    list
}

fn weak_integrity(mut list: Vec<Choice<Integrity>>) -> Vec<Choice<Integrity>> {
    for c in &mut list {
        c.weak = WEAK_INTEGRITY.iter().find(|(x, _)| *x == c.value).map(|(_, w)| w.why.to_string());
    }
    list
}

fn enc_label(v: Encryption) -> String {
    v.label().into()
}

fn integ_label(v: Integrity) -> String {
    v.label().into()
}

fn labels<T: Copy>(v: &[T], f: fn(T) -> String) -> String {
    if v.is_empty() {
        "nothing".into()
    } else {
        v.iter().map(|x| f(*x)).collect::<Vec<_>>().join(" and ")
    }
}
