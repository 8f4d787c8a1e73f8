//! The last sections: the cost estimate, teardown, the files of the bundle, and changing the
//! plan later.

use super::doc::{Doc, Plain};
use super::{Ctx, HTML, MARKDOWN};
use crate::cost::{self, usd, usd_rate, Traffic, HOURS_PER_MONTH};
use crate::kb::prices::{Price, Unit};
use crate::plan::{Gateway, Network, Platform};
use crate::render::teardown;

fn rate(p: &Price) -> String {
    let unit = match p.unit {
        Unit::Hour => "hour",
        Unit::Gb => "GB",
    };
    text!("{} per {unit}{}", usd_rate(p.micro_usd), if p.verified() { "" } else { " [?]" })
}

pub(super) fn cost(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    let (traffic, yours) = match &c.opts.traffic {
        Some(t) => (t.clone(), true),
        None => (Traffic::each_way(Traffic::EXAMPLE_GB), false),
    };
    let e = cost::estimate(r, c.steps, &traffic);
    let used = e.prices_used();
    d.h(2, "cost", "Cost estimate");
    d.note(text!(
        "Prices change, differ between regions and are list prices in US dollars before tax, discounts and free \
         allowances: check each provider's price page before you rely on these figures. They were taken on {}.{}",
        used.iter().map(|p| p.src.checked).max().unwrap_or(r.kb_date),
        if used.iter().any(|p| !p.verified()) {
            " Prices marked [?] could not be checked against a copy of the provider's own page and are estimates."
        } else {
            ""
        }
    ));

    d.h(3, "cost-hours", "Running around the clock");
    let rows: Vec<Vec<String>> = e
        .hours
        .iter()
        .map(|h| match h.price {
            Some(p) => vec![
                c.site(h.site),
                if p.sku.is_empty() { p.what.to_string() } else { text!("{} {}", p.what, p.sku) },
                h.count.to_string(),
                rate(p),
                usd(h.monthly().unwrap_or(0)),
            ],
            None => vec![
                c.site(h.site),
                match &r.sites[h.site].gateway {
                    Gateway::AzureVpnGateway { sku, .. } => text!("Azure VPN gateway {}", Plain(sku)),
                    Gateway::AwsVgw { .. }
                    | Gateway::AwsTgw { .. }
                    | Gateway::GcpHaVpn { .. }
                    | Gateway::GcpClassicVpn { .. }
                    | Gateway::Appliance { .. } => "—".into(),
                },
                h.count.to_string(),
                "no price recorded".into(),
                "—".into(),
            ],
        })
        .collect();
    if rows.is_empty() {
        d.p("The scripts create nothing that is billed by the hour.");
    } else {
        d.table(&["site", "what", "how many", "price", &text!("a month ({HOURS_PER_MONTH} h)")], rows);
    }
    let mut left_out = Vec::new();
    for h in e.unpriced() {
        if let Gateway::AzureVpnGateway { sku, .. } = &r.sites[h.site].gateway {
            left_out.push(text!(
                "the {} gateway of {}: the knowledge base has no price for this SKU; look it up on Azure's VPN Gateway \
                 price page",
                Plain(sku),
                c.site(h.site)
            ));
        }
    }
    if !c.hosts.is_empty() {
        left_out.push("the appliance VMs and their disks (their size is yours to choose)".into());
    }
    left_out.push("the test VMs, support plans, logs and monitoring".into());
    d.p(text!("Not included: {}.", left_out.join("; ")));

    d.h(3, "cost-transfer", "Data transfer");
    d.p("Each cloud charges for data leaving it; data coming in is free. Per link: **cost = GB sent from A × \
         A's price per GB + GB sent from B × B's price per GB**.");
    let volume = if yours {
        "at your monthly traffic".to_string()
    } else {
        text!(
            "for example at {} GB each way on every link in a month (the web app's Review step works it out at your own figure)",
            traffic.each_way_gb
        )
    };
    let mut rows = Vec::new();
    for t in &e.transfer {
        let l = &r.links[t.link];
        let (from, to) = (&r.sites[l.site(t.end)], &r.sites[l.site(1 - t.end)]);
        let price = if t.prices.is_empty() {
            "your provider's".to_string()
        } else {
            t.prices.iter().map(|p| rate(p)).collect::<Vec<_>>().join(" + ")
        };
        let cost = if t.prices.is_empty() { "—".to_string() } else { usd(t.monthly()) };
        rows.push(vec![
            text!("`{}`", l.id),
            text!("{} to {}", Plain(&from.name), Plain(&to.name)),
            t.gb.to_string(),
            price,
            cost,
        ]);
    }
    d.p(text!("The data transfer, {volume}:"));
    d.table(&["link", "sent from / to", "GB a month", "price", "cost"], rows);
    if r.sites.iter().any(|s| s.platform == Platform::Onprem) {
        d.p("Traffic leaving a self-managed site is billed by its own provider, if at all: it is not counted here.");
    }

    d.h(3, "cost-total", "Total");
    d.p(text!(
        "**About {} a month** {}: {} for what runs around the clock and {} for data transfer.",
        usd(e.total_monthly()),
        if yours { "at your traffic" } else { "at the example traffic" },
        usd(e.fixed_monthly()),
        usd(e.transfer_monthly())
    ));

    d.h(3, "cost-prices", "Prices used");
    let rows: Vec<Vec<String>> = used
        .iter()
        .map(|p| {
            vec![
                if p.sku.is_empty() { p.what.to_string() } else { text!("{} {}", p.what, p.sku) },
                rate(p),
                p.note.to_string(),
                p.src.keys.to_string(),
                p.src.checked.to_string(),
            ]
        })
        .collect();
    d.table(&["what", "price", "covers", "source", "taken"], rows);
    d.p("Each source key is explained in Tunnelsmith's knowledge-base sources (docs/kb-sources.md in its source).");
}

/// Day 2: the scripts are day-one scripts; changes go through `tunnelsmith plan` and `apply`,
/// and what each kind of change costs in downtime, for the platforms of this plan.
pub(super) fn changes(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    let has = |p: Platform| r.sites.iter().any(|s| s.platform == p);
    let clouds = has(Platform::Aws) || has(Platform::Azure) || has(Platform::Gcp);
    d.h(2, "changes", "Changing the plan later");
    if !clouds {
        d.p("Nothing of this plan lives in a cloud: change the plan, generate the files again and reinstall the \
             appliance configurations.");
        return;
    }
    d.p("The scripts of this folder build the plan as it is today. When it changes (a site or link added or \
         removed, crypto tightened, an address space grown, new keys), do not edit or run them again: the \
         tunnelsmith CLI compares what it applied (its state) with the plan and the clouds, shows the difference \
         per resource (`+` create, `~` update in place, `-/+` replace and why, `-` destroy) with the tunnels that \
         will drop, and converges the clouds: creates first, replaced tunnels one at a time, destroys last, asking \
         before any destroy or replace. New tunnels get new keys in `secrets.env`.");
    d.code("tunnelsmith plan tunnelsmith-plan.json\ntunnelsmith apply tunnelsmith-plan.json\ntunnelsmith rotate-keys tunnelsmith-plan.json");
    let mut rows: Vec<Vec<String>> = Vec::new();
    if has(Platform::Aws) {
        rows.push(vec![
            "crypto, lifetimes or inside /30 of a link to AWS".into(),
            "each AWS tunnel modified in place, one at a time".into(),
            "each tunnel restarts once; its siblings carry traffic".into(),
        ]);
        rows.push(vec![
            "the peer's ASN or address (AWS customer gateway)".into(),
            "customer gateway and VPN connection replaced".into(),
            "both tunnels of that connection until it is rebuilt (minutes); the other connection carries traffic"
                .into(),
        ]);
    }
    if has(Platform::Azure) {
        rows.push(vec![
            "crypto of a link to Azure".into(),
            "each connection's IPsec policy cleared and set again".into(),
            "each connection renegotiates, one at a time".into(),
        ]);
        rows.push(vec![
            "the Azure VPN gateway's SKU or active-active mode".into(),
            "the gateway is replaced".into(),
            "every tunnel of the site, about 45 minutes".into(),
        ]);
    }
    if has(Platform::Gcp) {
        rows.push(vec![
            "anything of a Google Cloud VPN tunnel (its key, IKE version, peer)".into(),
            "the tunnel is deleted and made again".into(),
            "that tunnel until it is back; one at a time".into(),
        ]);
    }
    rows.push(vec!["a site or link added".into(), "created, with new keys".into(), "none".into()]);
    rows.push(vec![
        "a site or link removed".into(),
        "destroyed (after asking); its keys leave `secrets.env`".into(),
        "its own tunnels, as intended".into(),
    ]);
    rows.push(vec![
        "new keys (`rotate-keys`)".into(),
        "one tunnel at a time, the old key kept until both ends have the new one".into(),
        "one tunnel at a time".into(),
    ]);
    d.table(&["change", "what apply does", "downtime"], rows);
}

pub(super) fn teardown(c: &Ctx, d: &mut Doc) {
    let r = c.r;
    d.h(2, "teardown", "Teardown");
    let all = teardown::teardowns(r, c.steps, c.scripts);
    if all.is_empty() {
        d.p("The scripts create nothing in a cloud, so there is nothing to tear down there.");
    } else {
        d.p(text!(
            "When you no longer need the tunnels, delete what the scripts created, and only that: `{}` lists what \
             every site's script will delete, asks once, then runs them, the last deployed site first. Each site's \
             script can also run alone; each asks before it deletes anything (`--yes` skips the question; without a \
             terminal they refuse unless given `--yes`).",
            teardown::ROOT_SCRIPT
        ));
        d.code(text!("./{0} --list\n./{0}", teardown::ROOT_SCRIPT));
        d.p("A resource that is already gone counts as deleted, so a teardown that stopped can simply run again. \
             When a site is done, its values leave `outputs.env`.");
        d.h(3, "teardown-deletes", "What it deletes");
        for t in &all {
            let site = &r.sites[t.site];
            let items: Vec<String> = t
                .removals
                .iter()
                .filter_map(|&i| {
                    let st = &c.steps[i];
                    st.creates.as_ref().map(|res| match site.platform {
                        Platform::Aws => text!("{} (the ID recorded as `{}`)", res.kind, res.name),
                        Platform::Azure | Platform::Gcp | Platform::Onprem => {
                            text!("{} `{}`", res.kind, Plain(&res.name))
                        }
                    })
                })
                .collect();
            let how = match site.platform {
                Platform::Aws => {
                    "found by the IDs the create scripts recorded in `outputs.env` (one that is not there \
                                  was never created by this folder and is skipped); it waits where AWS must finish one \
                                  delete before the next"
                }
                Platform::Azure => {
                    "found by name (every one is tagged `tunnelsmith-plan`); the gateway takes minutes \
                                    to delete"
                }
                Platform::Gcp | Platform::Onprem => {
                    "found by name (every one is described `tunnelsmith plan` and the plan name)"
                }
            };
            d.p(text!("`{}`: {}, {} resources, newest first, {how}:", t.path, c.site(t.site), items.len()));
            d.numbered(items);
        }
    }

    d.h(3, "teardown-keeps", "What it does not delete");
    let mut keep = Vec::new();
    for i in 0..r.sites.len() {
        let s = &r.sites[i];
        if let (Network::Existing { id, .. }, true) = (&s.network, s.platform != Platform::Onprem) {
            keep.push(text!(
                "your existing {} `{}` of {}: the scripts used it and did not create it{}",
                s.platform.network_noun(),
                Plain(id),
                c.site(i),
                if s.platform == Platform::Aws {
                    "; routes they added to its route table stay and point nowhere once the gateway is gone: delete them in the console"
                } else {
                    ""
                }
            ));
        }
    }
    // What a teardown script may find rather than have made: it checks, and leaves it if so.
    for st in c.steps.iter().filter(|st| st.creates.as_ref().is_some_and(|res| res.only_if.is_some())) {
        let Some(res) = &st.creates else { continue };
        let when = match &res.only_if {
            Some(crate::steps::Guard::NotExisting { output }) => text!(
                "if it existed before the scripts first ran (`{output}` in `outputs.env` is not `false`): \
                 `az group create` adopts a group that exists, with what else is in it"
            ),
            Some(crate::steps::Guard::Prints { .. }) => {
                "if it is not in this plan's network (subnet names are per region, not per network)".to_string()
            }
            None => continue,
        };
        keep.push(text!(
            "the {} `{}` of {}, {when}; the script says so when it leaves it",
            res.kind,
            Plain(&res.name),
            c.site(st.site)
        ));
    }
    for h in &c.hosts {
        let Some(i) = r.sites.iter().position(|s| std::ptr::eq(s, h.site)) else { continue };
        let vm = match h.site.platform {
            Platform::Onprem => "the host itself".to_string(),
            p @ (Platform::Aws | Platform::Azure | Platform::Gcp) => text!(
                "the {} itself: delete it first, since a network interface still attached to it cannot be deleted",
                p.appliance_host()
            ),
        };
        let config = (h.device().kept_config)(h);
        keep.push(text!("on the appliance of {}: {vm}, and {config}", c.site(i)));
    }
    keep.push("test VMs and anything else you created by hand".into());
    keep.push("`secrets.env`, `outputs.env` and the files of this folder".into());
    d.list(keep);
    if !all.is_empty() {
        d.p("The charges of a resource stop when it is deleted.");
    }
}

/// What each file of the bundle is.
/// `teardowns` holds each site's teardown script path.
fn describe(c: &Ctx, teardowns: &[String], path: &str) -> String {
    if let Some(k) = c.paths.iter().position(|p| p == path) {
        return text!("phase {}: site {}", k + 1, Plain(&c.r.sites[c.scripts[k].site].name));
    }
    if let Some(site) = teardowns.iter().position(|p| p == path) {
        return text!("teardown of site {}", Plain(&c.r.sites[site].name));
    }
    let fixed = [
        (MARKDOWN, "this runbook"),
        (HTML, "this runbook as a standalone page to read or print"),
        ("run-order.md", "every step of every phase script, in order"),
        ("deploy.sh", "runs every phase in order"),
        (teardown::ROOT_SCRIPT, "runs every site's teardown, the last deployed site first"),
        ("topology.svg", "the topology diagram"),
    ];
    if let Some((_, what)) = fixed.iter().find(|(p, _)| *p == path) {
        return what.to_string();
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    let host = path.split('/').next().unwrap_or("");
    let what = match file {
        "install.sh" => "install script of the appliance",
        "net-up.sh" => "makes the tunnel interfaces at boot, on the appliance",
        "updown.sh" => "adds and removes the routes as tunnels go up and down, on the appliance",
        "firewall.nft" => "IKE and ESP openings and the MSS clamp, on the appliance",
        "frr.conf" => "BGP configuration (FRR), on the appliance",
        f if f.ends_with(".conf") => "IPsec configuration, on the appliance",
        _ => "file",
    };
    text!("{what} of {}", Plain(host))
}

pub(super) fn files(c: &Ctx, d: &mut Doc) {
    d.h(2, "files", "Files");
    let t: Vec<String> = (0..c.r.sites.len()).map(|i| teardown::path(c.r, i)).collect();
    let mut rows: Vec<Vec<String>> =
        vec![vec![text!("`{MARKDOWN}`"), describe(c, &t, MARKDOWN)], vec![text!("`{HTML}`"), describe(c, &t, HTML)]];
    rows.extend(c.files.iter().map(|a| vec![text!("`{}`", a.path), describe(c, &t, &a.path)]));
    rows.push(vec!["`tunnelsmith-plan.json`".into(), "the plan; open it in Tunnelsmith to change it".into()]);
    rows.push(vec!["`secrets.env`".into(), "the pre-shared keys: a separate download, keep it private".into()]);
    for (path, _) in crate::render::appliance::secrets_files(c.r) {
        rows.push(vec![text!("`{path}`"), "the keys of this appliance's tunnels only, with `secrets.env`".into()]);
    }
    rows.push(vec!["`outputs.env`".into(), "written by the scripts as they run: what they created".into()]);
    d.table(&["file", "what it is"], rows);
}
