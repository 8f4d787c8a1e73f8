//! Example plans built from the field reports (seeds), shipped in the app and in `examples/`.

use crate::plan::Plan;

/// A preset plan.
pub struct Preset {
    /// Stable id, the file stem in `examples/`.
    pub id: &'static str,
    /// What it is, for the preset picker.
    pub title: &'static str,
    /// The plan JSON.
    pub json: &'static str,
}

impl Preset {
    /// The parsed plan. Presets are tested to parse, so this does not fail.
    pub fn plan(&self) -> Plan {
        Plan::from_json(self.json).expect("preset parses")
    }
}

/// All presets, in seed order.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "000-vyos-ec2-to-azure",
        title: "VyOS on EC2 to Azure VPN gateway, static, 1 tunnel",
        json: include_str!("../examples/000-vyos-ec2-to-azure.json"),
    },
    Preset {
        id: "001-libreswan-ec2-to-azure",
        title: "Libreswan on EC2 to Azure VPN gateway, static, 1 tunnel",
        json: include_str!("../examples/001-libreswan-ec2-to-azure.json"),
    },
    Preset {
        id: "002-aws-vgw-to-azure-static",
        title: "AWS VPC to Azure VNet, static, 2 tunnels",
        json: include_str!("../examples/002-aws-vgw-to-azure-static.json"),
    },
    Preset {
        id: "003-strongswan-ec2-to-aws-vgw",
        title: "strongSwan on EC2 to AWS VPN in another region, static, 2 tunnels",
        json: include_str!("../examples/003-strongswan-ec2-to-aws-vgw.json"),
    },
    Preset {
        id: "004-aws-azure-gcp-bgp",
        title: "AWS + Azure + Google Cloud full mesh, BGP, 10 tunnels",
        json: include_str!("../examples/004-aws-azure-gcp-bgp.json"),
    },
];

/// The preset with this id.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}
