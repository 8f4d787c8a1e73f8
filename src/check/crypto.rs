//! IKE negotiation: intersect what both ends accept, pick the recommended value for each
//! parameter, and check every custom choice against both ends.

use super::{join_keys, link_path, Findings, Profile, RSite};
use crate::kb::crypto::{
    caps, dh_label, dh_strength, ike_versions, Caps, Endpoint, Life, PREFERENCE, WEAK_DH, WEAK_IKEV1, WEAK_INTEGRITY,
};
use crate::kb::src;
use crate::plan::{Crypto, Encryption, IkeVersion, Integrity};

/// One crypto parameter: how to read it from caps, name it and compare strengths.
struct Param<T: 'static> {
    field: &'static str,
    what: &'static str,
    list: fn(&Caps) -> &'static [T],
    pref: &'static [T],
    label: fn(T) -> String,
    strength: fn(T) -> u32,
}

fn choose<T: Copy + PartialEq + 'static>(
    li: usize,
    p: &Param<T>,
    custom: Option<T>,
    ends: [&RSite; 2],
    caps: [&Caps; 2],
    out: &mut Findings,
) -> Option<T> {
    let common: Vec<T> = (p.list)(caps[0]).iter().copied().filter(|v| (p.list)(caps[1]).contains(v)).collect();
    let ordered: Vec<T> = p.pref.iter().copied().filter(|v| common.contains(v)).collect();
    let src = joined_src(caps);
    match custom {
        Some(v) => {
            let rejecting: Vec<usize> = (0..2).filter(|&e| !(p.list)(caps[e]).contains(&v)).collect();
            if rejecting.is_empty() {
                return Some(v);
            }
            let who: Vec<String> =
                rejecting.iter().map(|&e| format!("{} ({})", ends[e].name, caps[e].endpoint.label())).collect();
            let accepted: Vec<String> = rejecting
                .iter()
                .map(|&e| {
                    let l: Vec<String> = (p.list)(caps[e]).iter().map(|x| (p.label)(*x)).collect();
                    format!("{} accepts {}", ends[e].name, if l.is_empty() { "none".into() } else { l.join(", ") })
                })
                .collect();
            let fix = match nearest(&ordered, v, p.strength) {
                Some(n) => format!("use {}, the nearest choice both ends accept", (p.label)(n)),
                None => format!("both ends share no {}; change a gateway", p.what),
            };
            out.error(
                "E_CRYPTO_REJECTED",
                link_path(li, &format!("crypto.{}", p.field)),
                format!("{} {} is rejected by {} ({})", p.what, (p.label)(v), who.join(" and "), accepted.join("; ")),
                fix,
                src.clone(),
            );
            ordered.first().copied().or(Some(v))
        }
        None => {
            if ordered.is_empty() {
                let lists: Vec<String> = (0..2)
                    .map(|e| {
                        let l: Vec<String> = (p.list)(caps[e]).iter().map(|x| (p.label)(*x)).collect();
                        format!("{} accepts {}", ends[e].name, if l.is_empty() { "none".into() } else { l.join(", ") })
                    })
                    .collect();
                out.error(
                    "E_CRYPTO_NO_COMMON",
                    link_path(li, &format!("crypto.{}", p.field)),
                    format!("{} and {} share no {}: {}", ends[0].name, ends[1].name, p.what, lists.join("; ")),
                    "change one of the gateways (a newer SKU or version)",
                    src,
                );
            }
            ordered.first().copied()
        }
    }
}

/// The accepted value closest in strength to `v`; ties go to the stronger.
fn nearest<T: Copy>(accepted: &[T], v: T, strength: fn(T) -> u32) -> Option<T> {
    let s = strength(v) as i64;
    accepted.iter().copied().min_by_key(|x| {
        let d = strength(*x) as i64 - s;
        (d.abs(), -d)
    })
}

fn joined_src(caps: [&Caps; 2]) -> String {
    join_keys(caps[0].src, caps[1].src)
}

const ENC1: Param<Encryption> = Param {
    field: "phase1_encryption",
    what: "phase 1 encryption",
    list: |c| c.p1_enc,
    pref: PREFERENCE.p1_enc,
    label: |v| v.label().to_string(),
    strength: Encryption::strength,
};
const INTEG1: Param<Integrity> = Param {
    field: "phase1_integrity",
    what: "phase 1 integrity",
    list: |c| c.p1_integ,
    pref: PREFERENCE.p1_integ,
    label: |v| v.label().to_string(),
    strength: Integrity::strength,
};
const DH1: Param<u8> = Param {
    field: "phase1_dh_group",
    what: "phase 1 Diffie-Hellman group",
    list: |c| c.p1_dh,
    pref: PREFERENCE.dh,
    label: dh_label,
    strength: |g| dh_strength(g),
};
const ENC2: Param<Encryption> = Param {
    field: "phase2_encryption",
    what: "phase 2 encryption",
    list: |c| c.p2_enc,
    pref: PREFERENCE.p2_enc,
    label: |v| v.label().to_string(),
    strength: Encryption::strength,
};
const INTEG2: Param<Integrity> = Param {
    field: "phase2_integrity",
    what: "phase 2 integrity",
    list: |c| c.p2_integ,
    pref: PREFERENCE.p2_integ,
    label: |v| v.label().to_string(),
    strength: Integrity::strength,
};
const PFS: Param<u8> = Param {
    field: "pfs_group",
    what: "PFS group",
    list: |c| c.pfs,
    pref: PREFERENCE.dh,
    label: dh_label,
    strength: |g| dh_strength(g),
};

/// Negotiate the link's profile. `None` when the ends share no IKE version.
pub(crate) fn negotiate(
    li: usize,
    ends: [&RSite; 2],
    eps: [Endpoint; 2],
    custom: &Crypto,
    out: &mut Findings,
) -> Option<Profile> {
    let va = ike_versions(eps[0]);
    let vb = ike_versions(eps[1]);
    let common: Vec<IkeVersion> = PREFERENCE.ike.iter().copied().filter(|v| va.contains(v) && vb.contains(v)).collect();
    let speaks = |v: &[IkeVersion]| v.iter().map(|x| x.label()).collect::<Vec<_>>().join(" and ");
    let ike = match custom.ike_version {
        Some(v) if common.contains(&v) => v,
        Some(v) => {
            let rejecting: Vec<String> = (0..2)
                .filter(|&e| !ike_versions(eps[e]).contains(&v))
                .map(|e| format!("{} ({}) speaks only {}", ends[e].name, eps[e].label(), speaks(&ike_versions(eps[e]))))
                .collect();
            out.error(
                "E_CRYPTO_REJECTED",
                link_path(li, "crypto.ike_version"),
                format!("{} is rejected: {}", v.label(), rejecting.join("; ")),
                match common.first() {
                    Some(c) => format!("use {}, which both ends accept", c.label()),
                    None => "the two ends share no IKE version; change one gateway".into(),
                },
                src("[AWS-UG-TUN] [AZ-FAQ] [GCP-CIPH] [LS-CHG]"),
            );
            *common.first()?
        }
        None => match common.first() {
            Some(v) => *v,
            None => {
                out.error(
                    "E_IKE_NO_COMMON",
                    link_path(li, ""),
                    format!(
                        "{} ({}) speaks only {} and {} ({}) speaks only {}: the tunnel can never come up",
                        ends[0].name,
                        eps[0].label(),
                        speaks(&va),
                        ends[1].name,
                        eps[1].label(),
                        speaks(&vb)
                    ),
                    "replace the IKEv1-only end: use a route-based Azure gateway (VpnGw1AZ or larger) or an appliance that speaks IKEv2",
                    src("[AZ-FAQ] [AWS-UG-NEWS] [LS-CHG]"),
                );
                return None;
            }
        },
    };
    let caps_pair = [caps(eps[0], ike)?, caps(eps[1], ike)?];
    // The platform accepts IKEv1 on route-based gateways, but the az CLI creates every
    // connection as IKEv2 and Azure cannot change a connection's protocol afterwards.
    if ike == IkeVersion::V1 {
        for e in (0..2).filter(|&e| eps[e] == Endpoint::AzureRouteBased) {
            out.error(
                "E_AZURE_IKEV1_SCRIPTS",
                link_path(li, "crypto.ike_version"),
                format!(
                    "{} would get an IKEv2 connection: `az network vpn-connection create` has no protocol option, and Azure cannot change a connection's protocol after creation",
                    ends[e].name
                ),
                "use IKEv2 (both ends accept it), or create this connection in the Azure portal",
                src("[AZ-FAQ]"),
            );
        }
    }

    let p1_encryption = choose(li, &ENC1, custom.phase1_encryption, ends, caps_pair, out)?;
    let p1_integrity = choose(li, &INTEG1, custom.phase1_integrity, ends, caps_pair, out)?;
    let p1_dh = choose(li, &DH1, custom.phase1_dh_group, ends, caps_pair, out)?;
    let p2_encryption = choose(li, &ENC2, custom.phase2_encryption, ends, caps_pair, out)?;
    let p2_integrity = if p2_encryption.is_aead() {
        if let Some(v) = custom.phase2_integrity {
            out.warn(
                "W_CRYPTO_IGNORED",
                link_path(li, "crypto.phase2_integrity"),
                format!("{} has integrity built in; phase 2 integrity {} is ignored", p2_encryption.label(), v.label()),
                "leave phase2_integrity out with an AES-GCM cipher",
                src("[AZ-ALG] [GCP-CIPH]"),
            );
        }
        None
    } else {
        Some(choose(li, &INTEG2, custom.phase2_integrity, ends, caps_pair, out)?)
    };
    let pfs = choose_pfs(li, p1_dh, custom.pfs_group, ends, caps_pair, out);

    // Lifetimes: the plan's (or a default) settles on each end within its rules.
    let lifetimes =
        |want: Option<u32>, default: u32, rule: fn(&Caps) -> Life, field: &str, what: &str, out: &mut Findings| {
            let fixed = caps_pair.iter().find_map(|c| match rule(c) {
                Life::Fixed(v) => Some(v),
                _ => None,
            });
            if let Some(w) = want {
                for e in 0..2 {
                    if let Life::Range { min, max } = rule(caps_pair[e]) {
                        if !(min..=max).contains(&w) {
                            out.error(
                                "E_LIFETIME_RANGE",
                                link_path(li, &format!("crypto.{field}")),
                                format!(
                                    "{} accepts a {what} of {}; {w} s is outside",
                                    ends[e].name,
                                    rule(caps_pair[e]).describe()
                                ),
                                format!("use {} s", w.clamp(min, max)),
                                caps_pair[e].src,
                            );
                        }
                    }
                }
            }
            let target = want.or(fixed).unwrap_or(default);
            [rule(caps_pair[0]).settle(target), rule(caps_pair[1]).settle(target)]
        };
    let p1_lifetime = lifetimes(
        custom.phase1_lifetime,
        PREFERENCE.p1_life,
        |c| c.p1_life,
        "phase1_lifetime",
        "phase 1 lifetime",
        out,
    );
    let p2_lifetime = lifetimes(
        custom.phase2_lifetime,
        PREFERENCE.p2_life,
        |c| c.p2_life,
        "phase2_lifetime",
        "phase 2 lifetime",
        out,
    );
    for (field, what, v) in [("phase1_lifetime", "phase 1", p1_lifetime), ("phase2_lifetime", "phase 2", p2_lifetime)] {
        if v[0] != v[1] {
            let sev_text = format!(
                "{what} lifetimes differ: {} uses {} s, {} uses {} s (fixed by the platform); the shorter side rekeys first{}",
                ends[0].name,
                v[0],
                ends[1].name,
                v[1],
                if ike == IkeVersion::V2 { ", which IKEv2 handles" } else { "" }
            );
            out.info(
                "I_LIFETIME_DIFFERS",
                link_path(li, &format!("crypto.{field}")),
                sev_text,
                src("[GCP-CIPH] [AWS-UG-TUN] [AZ-DEV]"),
            );
        }
    }
    // AWS: phase 2 lifetime must stay below phase 1's.
    for e in 0..2 {
        if eps[e] == Endpoint::Aws && p2_lifetime[e] >= p1_lifetime[e] {
            out.error(
                "E_LIFETIME_ORDER",
                link_path(li, "crypto.phase2_lifetime"),
                format!(
                    "AWS needs the phase 2 lifetime ({} s) below the phase 1 lifetime ({} s)",
                    p2_lifetime[e], p1_lifetime[e]
                ),
                "lower phase2_lifetime (3600 s is usual) or raise phase1_lifetime (28800 s)",
                src("[AWS-UG-TUN]"),
            );
        }
    }

    // DPD.
    let dpd_want = custom.dpd_timeout;
    let mut dpd_timeout = [None, None];
    for e in 0..2 {
        if let Some(rule) = caps_pair[e].dpd_timeout {
            if let (Some(w), Life::Range { min, max }) = (dpd_want, rule) {
                if !(min..=max).contains(&w) {
                    out.error(
                        "E_DPD_RANGE",
                        link_path(li, "crypto.dpd_timeout"),
                        format!("{} accepts a DPD timeout of {}; {w} s is outside", ends[e].name, rule.describe()),
                        format!("use {} s", w.clamp(min, max)),
                        caps_pair[e].src,
                    );
                }
            }
            dpd_timeout[e] = Some(rule.settle(dpd_want.unwrap_or(PREFERENCE.dpd_timeout)));
        }
    }

    // Weak choices.
    if ike == IkeVersion::V1 {
        out.warn(
            "W_CRYPTO_WEAK",
            link_path(li, "crypto.ike_version"),
            format!("{}: {}", WEAK_IKEV1.what, WEAK_IKEV1.why),
            "use IKEv2 where both ends accept it",
            WEAK_IKEV1.src,
        );
    }
    for (field, g) in [("phase1_dh_group", Some(p1_dh)), ("pfs_group", pfs)] {
        if let Some((_, w)) = g.and_then(|g| WEAK_DH.iter().find(|(x, _)| *x == g)) {
            out.warn(
                "W_CRYPTO_WEAK",
                link_path(li, &format!("crypto.{field}")),
                format!("{}: {}", w.what, w.why),
                "use DH 14, 19 or 20 where both ends accept it",
                w.src,
            );
        }
    }
    for (field, v) in [("phase1_integrity", Some(p1_integrity)), ("phase2_integrity", p2_integrity)] {
        if let Some((_, w)) = v.and_then(|v| WEAK_INTEGRITY.iter().find(|(x, _)| *x == v)) {
            out.warn(
                "W_CRYPTO_WEAK",
                link_path(li, &format!("crypto.{field}")),
                format!("{}: {}", w.what, w.why),
                "use SHA2-256",
                w.src,
            );
        }
    }

    let recommended = custom.is_recommended();
    let mut reasons = vec![format!(
        "{}, {}/{}/{} in phase 1, {}{} with PFS {} in phase 2: {} both {} and {} accept",
        ike.label(),
        p1_encryption.label(),
        p1_integrity.label(),
        dh_label(p1_dh),
        p2_encryption.label(),
        p2_integrity.map(|i| format!("/{}", i.label())).unwrap_or_default(),
        pfs.map(dh_label).unwrap_or_else(|| "off".into()),
        if recommended { "the strongest choices" } else { "choices" },
        ends[0].name,
        ends[1].name
    )];
    if eps.contains(&Endpoint::Aws) {
        reasons.push(format!(
            "phase 2 lifetime {} s because AWS allows at most 3600 s",
            p2_lifetime[eps.iter().position(|e| *e == Endpoint::Aws).unwrap_or(0)]
        ));
    }
    let reason = reasons.join("; ");
    out.info(
        "I_CRYPTO_PROFILE",
        link_path(li, "crypto"),
        format!("{} profile: {reason}", if recommended { "recommended" } else { "custom" }),
        PREFERENCE.src,
    );
    Some(Profile {
        ike,
        p1_encryption,
        p1_integrity,
        p1_dh,
        p2_encryption,
        p2_integrity,
        pfs,
        p1_lifetime,
        p2_lifetime,
        dpd_timeout,
        dpd_interval: PREFERENCE.dpd_interval,
        recommended,
        reason,
    })
}

/// PFS: the phase 1 group when both accept it, else the preferred common group; "0" turns
/// PFS off where both ends allow that.
fn choose_pfs(
    li: usize,
    p1_dh: u8,
    custom: Option<u8>,
    ends: [&RSite; 2],
    caps: [&Caps; 2],
    out: &mut Findings,
) -> Option<u8> {
    match custom {
        Some(0) => {
            let required: Vec<String> = (0..2)
                .filter(|&e| !caps[e].pfs_optional)
                .map(|e| format!("{} ({})", ends[e].name, caps[e].endpoint.label()))
                .collect();
            if required.is_empty() {
                return None;
            }
            out.error(
                "E_CRYPTO_REJECTED",
                link_path(li, "crypto.pfs_group"),
                format!("PFS off is rejected by {}, which requires PFS in phase 2", required.join(" and ")),
                format!("use PFS {}", dh_label(p1_dh)),
                joined_src(caps),
            );
            Some(p1_dh)
        }
        Some(g) => choose(li, &PFS, Some(g), ends, caps, out),
        None => {
            let both = caps.iter().all(|c| c.pfs.contains(&p1_dh));
            if both {
                Some(p1_dh)
            } else if caps.iter().all(|c| c.pfs_optional) && caps.iter().any(|c| c.pfs.is_empty()) {
                None
            } else {
                choose(li, &PFS, None, ends, caps, out)
            }
        }
    }
}
