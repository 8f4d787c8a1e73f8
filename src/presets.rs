//! Example plans built from the field reports (seeds), shipped in the app and in `examples/`.

use crate::plan::Plan;

/// A preset plan.
pub struct Preset {
    /// Stable id, the file stem in `examples/`.
    pub id: &'static str,
    /// What it is, for the preset picker.
    pub title: &'static str,
    /// The field report it comes from, and where the preset departs from it and why.
    pub note: &'static str,
    /// The plan as its share-link fragment (`p=1.…`): what the app reads, so the browser's first
    /// page load carries no JSON reader. Tested to hold the plan of [`Preset::json`].
    pub link: &'static str,
    /// The plan file (`examples/<id>.json`).
    #[cfg(not(target_arch = "wasm32"))]
    pub json: &'static str,
}

impl Preset {
    /// The plan. Presets are tested to decode to their plan file, so this does not fail.
    pub fn plan(&self) -> Plan {
        crate::share::decode(self.link).expect("preset link decodes").plan
    }
}

/// All presets, in seed order.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "000-vyos-ec2-to-azure",
        note: "VyOS on an EC2 instance to an Azure route-based VPN gateway, one static tunnel. The setup this comes from used IKEv2 with DH group 2, SHA-1 and VyOS 1.2 syntax (ipsec-interfaces); this preset uses VyOS 1.4 and the recommended IKEv2 profile.",
        title: "VyOS on EC2 to Azure VPN gateway, static, 1 tunnel",
        link: "p=1.AR2MMQqDQBREZ37YxjSBNAlJ8Q-QNLlBEGsLwX4RCxsX3FXRc3oAj-KuzbzHDMx2ZzYtzn_tOg7tu17KSl2vRf7T4PSfyo_6YEPXyMXOHuQjI8DrCRgxYLQN5nzgLe4CiHkm8BVzhyRlDOAA",
        #[cfg(not(target_arch = "wasm32"))]
        json: include_str!("../examples/000-vyos-ec2-to-azure.json"),
    },
    Preset {
        id: "001-libreswan-ec2-to-azure",
        note: "Libreswan on an EC2 instance (public subnet, elastic IP, source/destination check off) to an Azure VPN gateway, one static IKEv2 tunnel. The setup this comes from used modp1024 (DH 2), which Libreswan no longer builds; this preset uses the recommended profile.",
        title: "Libreswan on EC2 to Azure VPN gateway, static, 1 tunnel",
        link: "p=1.ATWMMQqDQBRE5-_GZpuEpBHS_PRJkxMoYuclVtlCEAV3RfCOdt5H_wo2M_OYYbYX3bu2Hp2fbf-zyzS6T3UxDz2XxZ_DwHlsvuyDDW2jtJ09ND2MA5ROjWPcRDMgAYGEVyTnGT1lBVmpNBq9DfZIEkkEOAA",
        #[cfg(not(target_arch = "wasm32"))]
        json: include_str!("../examples/001-libreswan-ec2-to-azure.json"),
    },
    Preset {
        id: "002-aws-vgw-to-azure-static",
        note: "An AWS virtual private gateway to an Azure VPN gateway with static routing and both AWS tunnels. The setup this comes from used the Basic SKU with a dynamic Basic public IP, which Azure no longer offers for new gateways; this preset uses VpnGw1AZ.",
        title: "AWS VPC to Azure VNet, static, 2 tunnels",
        link: "p=1.ARXJMQqFMBCE4Z2V95RUgoWChXsAK2_gGSysg6QQJIpZFTynB9JUMz_fUyA9N68uaNOPg-gq_X3srpWgVueplU708N4tgX82CkrkBkT8rwxAqGMQM1Fir0DZp99HUhmOQADHeQE",
        #[cfg(not(target_arch = "wasm32"))]
        json: include_str!("../examples/002-aws-vgw-to-azure-static.json"),
    },
    Preset {
        id: "003-strongswan-ec2-to-aws-vgw",
        note: "Two VPCs in different AWS regions: strongSwan on EC2 in one, an AWS virtual private gateway in the other, static routing with both AWS tunnels (the original setup managed only one). The original setup's 172.50.0.0/16 and 172.60.0.0/16 are public address space; this preset uses private ranges, and swanctl.conf instead of the legacy ipsec.conf.",
        title: "strongSwan on EC2 to AWS VPN in another region, static, 2 tunnels",
        link: "p=1.ASXKoQqFQBCF4Rm9GuQGwWKcLhazRcQqgqBZZBHLDuys-KI-kKOe8p_wXRn-V8cipTPbzrYQ79hu47lYYktdW5FnauaRpqGn5aX0UQniQ04jHkJMkwoAw_wJRBgA6ksgNscLIgW1gl_-RIdKdDc",
        #[cfg(not(target_arch = "wasm32"))]
        json: include_str!("../examples/003-strongswan-ec2-to-aws-vgw.json"),
    },
    Preset {
        id: "004-aws-azure-gcp-bgp",
        note: "AWS, Azure and Google Cloud joined in a full mesh with BGP: four tunnels between AWS and an active-active Azure gateway on APIPA addresses, HA VPN from Google Cloud to both.",
        title: "AWS + Azure + Google Cloud full mesh, BGP, 10 tunnels",
        link: "p=1.AR2MMQrCQBRE_-wnCKkWbAI2v5ZcIlqkFSysQ7JGYeOKcRE8UYocIofwFOoN0iSbZh7MY-azRtx4-7yW1vlqm52OqWRv_zBS3CrJnautkX1wqezyg5y9tdKY9sJcvFoCdK-JECW9BhH9Ro6KMIeGHjoiFSUB2Azd7JXCd2Suy7sSJDGBsFpA_J97qPDBS4JDTg",
        #[cfg(not(target_arch = "wasm32"))]
        json: include_str!("../examples/004-aws-azure-gcp-bgp.json"),
    },
];

/// The preset with this id.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_link_holds_its_plan_file() {
        for p in PRESETS {
            let file = Plan::from_json(p.json).unwrap_or_else(|e| panic!("{}: {e}", p.id));
            assert_eq!(
                p.plan(),
                file,
                "{}: the preset's link is not its plan file; after changing examples/{}.json, set its link to {}",
                p.id,
                p.id,
                crate::share::encode(&file)
            );
        }
    }
}
