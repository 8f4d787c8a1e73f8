//! Run-time values: the shell variables that carry values only known when the scripts run (a
//! cloud gateway's public IP, an AWS tunnel's outside IP, an appliance's elastic IP), and the
//! files they travel in.
//!
//! The names themselves are made in one place, [`crate::steps::public_address`], which the cloud
//! scripts use to capture the values (appending `NAME=value` lines to [`OUTPUTS_FILE`]); the
//! appliance install scripts read them from there through [`outside_ip`]. Pre-shared keys travel
//! in [`SECRETS_FILE`] under [`crate::check::RTunnel::psk_name`]. Both files sit at the top of the
//! generated bundle and hold `NAME='value'` lines that bash can `source`.
//!
//! | value | variable |
//! |---|---|
//! | appliance public IP (only when the plan has none: an elastic / public IP the site's script makes) | `<SITE>_PUBLIC_IP` |
//! | Azure VPN gateway instance *k*, Google Cloud HA VPN interface *k* (1-based) | `<SITE>_GW_IP_<k>` |
//! | AWS outside address of a tunnel | `<SITE>_IP_<TUNNEL>` (e.g. `EUWEST_IP_USWEST_EUWEST_T1`) |
//!
//! An address the plan states (an appliance's `public_ip`) is used as it is.

use crate::check::{RLink, RTunnel, Resolved};
use crate::steps::Part;
use std::fmt;
use std::net::Ipv4Addr;

/// The pre-shared keys file at the top of the bundle (see [`crate::secrets::Secrets::to_env`]).
pub const SECRETS_FILE: &str = "secrets.env";

/// The file the cloud scripts append captured values to, at the top of the bundle.
pub const OUTPUTS_FILE: &str = "outputs.env";

/// An IPv4 address that is either stated in the plan or captured at run time. It displays as
/// the address, or as `${VAR}`, which the install scripts fill in from [`OUTPUTS_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Addr {
    /// Known now.
    Static(Ipv4Addr),
    /// Captured at run time into `var` by the cloud script of site `from`.
    Var { var: String, from: String },
}

impl Addr {
    /// The variable name, when the value is only known at run time.
    pub fn var(&self) -> Option<&str> {
        match self {
            Addr::Static(_) => None,
            Addr::Var { var, .. } => Some(var),
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Static(ip) => write!(f, "{ip}"),
            Addr::Var { var, .. } => write!(f, "${{{var}}}"),
        }
    }
}

/// The public (outside) address that end `e` (0 = a, 1 = b) of tunnel `t` presents.
pub fn outside_ip(r: &Resolved, l: &RLink, t: &RTunnel, e: usize) -> Addr {
    let site = &r.sites[l.site(e)];
    let arg = crate::steps::public_address(r, l.site(e), t, e);
    let var = |var: String| Addr::Var { var, from: site.name.clone() };
    match arg.as_ref().map(|a| a.0.as_slice()) {
        Some([Part::Param { name, value }]) => {
            value.parse().map(Addr::Static).unwrap_or_else(|_| var(name.to_string()))
        }
        Some([Part::Output(name)]) => var(name.clone()),
        // A site that cannot present an address (the checks report it): name it after the site.
        _ => var(format!("{}_PUBLIC_IP", crate::steps::var(&site.name))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Gateway;
    use crate::presets::PRESETS;

    fn preset(id: &str) -> Resolved {
        crate::check::resolve(&PRESETS.iter().find(|p| p.id.starts_with(id)).unwrap().plan())
    }

    #[test]
    fn the_aws_end_of_each_tunnel_names_its_own_tunnel() {
        let r = preset("003");
        let l = &r.links[0];
        let ips: Vec<String> = l.tunnels.iter().map(|t| outside_ip(&r, l, t, 1).to_string()).collect();
        assert_eq!(ips, ["${EUWEST_IP_USWEST_EUWEST_T1}", "${EUWEST_IP_USWEST_EUWEST_T2}"]);
        let own = outside_ip(&r, l, &l.tunnels[0], 0);
        assert_eq!(own, Addr::Var { var: "USWEST_PUBLIC_IP".into(), from: "uswest".into() });
    }

    #[test]
    fn a_stated_public_ip_is_used_as_is() {
        let mut plan = PRESETS.iter().find(|p| p.id.starts_with("001")).unwrap().plan();
        if let Gateway::Appliance { public_ip, .. } = &mut plan.sites[0].gateway {
            *public_ip = "198.51.100.20".into();
        }
        let r = crate::check::resolve(&plan);
        let l = &r.links[0];
        assert_eq!(outside_ip(&r, l, &l.tunnels[0], 0), Addr::Static("198.51.100.20".parse().unwrap()));
        assert_eq!(outside_ip(&r, l, &l.tunnels[0], 1).var(), Some("AZURE_GW_IP_1"));
    }
}
