//! Sections 3 and 4: the deploy phases in cross-cloud run order, and the appliance hosts.

use super::doc::{plain, Doc, Plain};
use super::{step_shell, Ctx};
use crate::plan::{Gateway, Network, Platform};
use crate::render::appliance::Host;
use crate::steps::ResourceKind;
use crate::steps::{self, Part, Program, Step};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Minutes, rounded up.
fn minutes(secs: u32) -> u32 {
    secs.div_ceil(60)
}

/// A resource for people: its kind and name (AWS: the value in `outputs.env` that records its ID).
fn resource(st: &Step) -> Option<String> {
    let res = st.creates.as_ref()?;
    Some(if st.program == Program::Aws {
        text!("{} (ID recorded as `{}`)", res.kind, res.name)
    } else {
        text!("{} `{}`", res.kind, Plain(&res.name))
    })
}

/// Which appliance install scripts read a value.
fn hosts_reading<'h>(c: &'h Ctx, name: &str) -> Vec<&'h Host<'h>> {
    c.hosts.iter().filter(|h| h.runtime_vars().iter().any(|a| a.var() == Some(name))).collect()
}

/// The install script of a host.
fn install_path(h: &Host) -> String {
    h.path(h.dir(), "install.sh")
}

/// The phases that read `name`, in order, from `(value, phase)` pairs sorted and each once.
fn readers_of<'r>(reads: &'r [(&str, usize)], name: &'r str) -> impl Iterator<Item = usize> + 'r {
    let start = reads.partition_point(|(n, _)| *n < name);
    reads[start..].iter().take_while(move |(n, _)| *n == name).map(|&(_, k)| k)
}

pub(super) fn deploy(c: &Ctx, d: &mut Doc) {
    d.h(2, "deploy", "Deploy, phase by phase");
    if c.scripts.is_empty() {
        d.p("Nothing to run on a cloud: go on with the appliance hosts.");
        return;
    }
    d.p(text!(
        "The {} phases below run in this order because the clouds need each other's values: a phase only \
         starts when everything it reads exists. Run them all with `./deploy.sh` (it stops at the first failure), \
         or one by one as below; each script prints every step, stops with a clear message if a value it needs is \
         missing, and ends by naming the next script. `run-order.md` lists every step of every script.",
        c.scripts.len()
    ));
    d.code("./deploy.sh");

    // Values that cross from one site to another: one row per value, every phase that reads it.
    // Who reads what, and what each captured value is, indexed once (plans have hundreds of each).
    // (value, phase that reads it), each once, in order: the phases that read a value are a run.
    // And each phase's values and keys in the order its steps read them, from the same one pass
    // over every argument.
    let mut reads: Vec<(&str, usize)> = Vec::new();
    let mut inputs: Vec<Vec<&str>> = vec![Vec::new(); c.scripts.len()];
    let mut keys: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); c.scripts.len()];
    for (k, sc) in c.scripts.iter().enumerate() {
        for p in sc.steps.iter().flat_map(|&i| &c.steps[i].args).flat_map(|a| &a.0) {
            match p {
                Part::Output(n) => {
                    reads.push((n, k));
                    inputs[k].push(n);
                }
                Part::Secret(n) => {
                    keys[k].insert(n);
                }
                Part::Text(_) | Part::Param { .. } | Part::FileOf(_) => {}
            }
        }
    }
    reads.sort_unstable();
    reads.dedup();
    let readers = |name| readers_of(&reads, name);
    // The long polls (in run order) that wait on each step: what builds in the background.
    let mut waiters: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (j, sc) in c.scripts.iter().enumerate() {
        for &i in &sc.steps {
            if c.steps[i].wait.as_ref().is_some_and(|w| w.is_long()) {
                let mut after: Vec<&str> = c.steps[i].after.iter().map(String::as_str).collect();
                after.sort_unstable();
                after.dedup();
                for d in after {
                    waiters.entry(d).or_default().push((j, i));
                }
            }
        }
    }
    let mut abouts: BTreeMap<&str, &str> = BTreeMap::new();
    for x in c.steps.iter().filter_map(|s| s.capture.as_ref()) {
        abouts.entry(x.name.as_str()).or_insert(x.about.as_str());
    }
    // Each row with the phase that records it.
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    for (name, &from) in &c.producer {
        let mut users = String::new();
        for k in readers(name).filter(|&k| c.scripts[k].site != c.scripts[from].site) {
            if !users.is_empty() {
                users.push_str(", ");
            }
            let _ = write!(users, "{} of {}", c.phase(k), Plain(&c.r.sites[c.scripts[k].site].name));
        }
        if users.is_empty() {
            continue;
        }
        rows.push((
            from,
            vec![
                text!("`{name}`"),
                plain(abouts.get(name).copied().unwrap_or_default()),
                text!("{} of {}", c.phase(from), Plain(&c.r.sites[c.scripts[from].site].name)),
                users,
            ],
        ));
    }
    // In run order of the phase that records them (stable: by name within a phase).
    rows.sort_by_key(|(from, _)| *from);
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, row)| row).collect();
    if !rows.is_empty() {
        d.h(3, "cross-cloud-values", "Values that cross from one cloud to another");
        d.p("They travel in `outputs.env` (`NAME=value` lines): a phase appends what it learns, later phases read it.");
        d.table(&["value", "what it is", "recorded by", "used by"], rows);
    }

    for (k, sc) in c.scripts.iter().enumerate() {
        let path = &c.paths[k];
        let mine: Vec<&Step> = sc.steps.iter().map(|&i| &c.steps[i]).collect();
        let part = if sc.parts > 1 { text!(", part {} of {}", sc.part, sc.parts) } else { String::new() };
        d.h(3, &text!("phase-{}", k + 1), &text!("Phase {}: {path}", k + 1));
        d.p(text!("Site {}{part}: {} steps. Run:", c.site(sc.site), mine.len()));
        d.code(text!("bash {path}"));

        // Each value once (a value has one producer), in the order the steps first read it.
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        let mut needs: Vec<String> = Vec::new();
        for &n in &inputs[k] {
            if let Some(&from) = c.producer.get(n) {
                if from != k && needed.insert(n) {
                    needs.push(text!("`{n}` from {}", c.phase(from)));
                }
            }
        }
        let secrets = &keys[k];
        let mut facts = Vec::new();
        if needs.is_empty() {
            facts.push("**Needs** nothing from other phases.".to_string());
        } else {
            facts.push(text!("**Needs** {}.", needs.join(", ")));
        }
        if !secrets.is_empty() {
            facts.push(text!(
                "**Reads the keys** {} from `secrets.env`.",
                secrets.iter().map(|s| text!("`{s}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        let created: Vec<String> = mine.iter().filter_map(|s| resource(s)).collect();
        if !created.is_empty() {
            facts.push(text!("**Creates** {}.", created.join("; ")));
        }
        let mut passes = Vec::new();
        for st in &mine {
            let Some(cap) = &st.capture else { continue };
            let mut users: Vec<String> = Vec::new();
            for j in readers(&cap.name) {
                if j != k {
                    users.push(c.phase(j).to_string());
                }
            }
            users.extend(hosts_reading(c, &cap.name).iter().map(|h| text!("`{}`", install_path(h))));
            if !users.is_empty() {
                passes.push(text!("`{}` ({}) to {}", cap.name, Plain(&cap.about), users.join(" and ")));
            }
        }
        if !passes.is_empty() {
            facts.push(text!("**Passes on** {}.", passes.join("; ")));
        }
        // How long: its own polls, and long operations it starts that a later phase waits for.
        let mut time = Vec::new();
        for st in &mine {
            // (Checks that poll a few times, like the Azure read-backs, take seconds like any step.)
            if let Some(w) = st.wait.as_ref().filter(|w| w.typical_secs >= 10) {
                let what = st.title.strip_prefix("Wait for ").unwrap_or(&st.title);
                time.push(text!(
                    "it waits for {} (usually ready about {} after it was started; it gives up after {}, and \
                     running it again keeps waiting)",
                    Plain(what),
                    super::count(minutes(w.typical_secs) as usize, "minute"),
                    super::count(minutes(w.timeout_secs) as usize, "minute")
                ));
            }
        }
        let mut background = Vec::new();
        for st in &mine {
            for &(j, i) in waiters.get(st.id.as_str()).into_iter().flatten().filter(|(j, _)| *j > k) {
                let poll = &c.steps[i];
                let w = poll.wait.as_ref().expect("a poll");
                let what = match &st.creates {
                    Some(res) => text!("the {} `{}`", res.kind, Plain(&res.name)),
                    None => plain(&st.title),
                };
                time.push(text!(
                    "{what} is started with `--no-wait` and builds for about {} in the background while the \
                     next phases run; {} waits for it",
                    super::count(minutes(w.typical_secs) as usize, "minute"),
                    c.phase(j)
                ));
                background.push((what, poll));
            }
        }
        if time.is_empty() {
            facts.push("**Takes** a few seconds per step.".into());
        } else {
            facts.push(text!("**Takes** a few seconds per step, except: {}.", time.join("; ")));
        }
        d.list(facts);

        let next = if k + 1 < c.scripts.len() {
            "the next phase".to_string()
        } else if c.hosts.is_empty() {
            "Verify".to_string()
        } else {
            "the appliance hosts".to_string()
        };
        let mut before = vec![text!("`{path}` ended with `done`.")];
        let later: Vec<&str> = mine
            .iter()
            .filter_map(|s| s.capture.as_ref())
            .filter(|cap| {
                let elsewhere = readers(&cap.name).any(|j| j != k);
                elsewhere || !hosts_reading(c, &cap.name).is_empty()
            })
            .map(|cap| cap.name.as_str())
            .collect();
        if !later.is_empty() {
            before.push(text!(
                "`outputs.env` holds {} (what reads them stops with a message naming this script if not).",
                later.iter().map(|n| text!("`{n}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        d.p(text!("**Before {next}:**"));
        d.list(before);
        for (what, poll) in background {
            if let Some(cmd) = step_shell(poll) {
                let w = poll.wait.as_ref().expect("a poll");
                d.p(text!(
                    "{} does not need to be finished yet. To see how far it is, this prints `{}` when it is ready \
                     (and {} while it builds):",
                    what.strip_prefix("the ").map(|x| text!("The {x}")).unwrap_or(what.clone()),
                    Plain(&w.until),
                    if poll.program == Program::Az { "`Updating`" } else { "another state" }
                ));
                d.code(cmd);
            }
        }
    }
}

/// Where the bundle's files go on the host, read from its install script: (file, destination).
fn install_targets(c: &Ctx, h: &Host) -> Vec<(String, String)> {
    let Some(a) = c.file(&install_path(h)) else { return Vec::new() };
    let dir = install_path(h).trim_end_matches("install.sh").to_string();
    let mut out = Vec::new();
    for line in a.text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let quoted = |w: &str| w.trim_matches('"').to_string();
        match words.as_slice() {
            ["fill", src, dest, _] | ["install", "-D", "-m", _, src, dest] if src.starts_with("\"$here/") => {
                let file = quoted(src).trim_start_matches("$here/").to_string();
                out.push((text!("{dir}{file}"), quoted(dest).trim_start_matches("$root").to_string()));
            }
            ["write_secret", dest, ..] => {
                out.push((
                    "(the keys, from `secrets.env`)".into(),
                    quoted(dest).trim_start_matches("$root").to_string(),
                ));
            }
            _ => {}
        }
    }
    out
}

/// How to get the machine ready, by where it runs.
fn prepare(c: &Ctx, h: &Host, i: usize) -> String {
    let s = &c.r.sites[i];
    let Gateway::Appliance { private_ip, public_ip, software, .. } = &s.gateway else { return String::new() };
    let v = steps::var(&s.name);
    let sw = software.label();
    let phase_of =
        |name: &str| c.producer.get(name).map(|&k| c.phase(k).to_string()).unwrap_or_else(|| "the site's phase".into());
    let named = |kind: ResourceKind| c.created(i).iter().find(|(k, _)| *k == kind).map(|(_, n)| n.to_string());
    match (s.platform, &s.network) {
        (Platform::Aws, Network::New) => text!(
            "Launch the EC2 instance that runs {sw} with the network interface {} created (its ID is `{v}_ENI_ID` \
             in `outputs.env`) as its first network interface (device index 0). The interface holds the private \
             address {}{}, its source/destination check is already off, and its security group lets IKE, NAT-T \
             and ESP in from the peers only.",
            phase_of(&text!("{v}_ENI_ID")),
            Plain(private_ip),
            if public_ip.is_empty() { text!(" and the elastic IP recorded as `{v}_PUBLIC_IP`") } else { String::new() }
        ),
        (Platform::Aws, Network::Existing { .. }) => text!(
            "The instance with the private address {} runs {sw}: {} found its network interface, put it in the \
             security group that lets IKE, NAT-T and ESP in from the peers, and turned its source/destination check off.",
            Plain(private_ip),
            phase_of(&text!("{v}_ENI_ID"))
        ),
        (Platform::Azure, _) => text!(
            "Create the Azure VM that runs {sw} with the network interface `{}` (private address {}, IP forwarding \
             on, in the network security group `{}`{}) as its network interface.",
            named(ResourceKind::AzureNetworkInterface).unwrap_or_default(),
            Plain(private_ip),
            named(ResourceKind::AzureNetworkSecurityGroup).unwrap_or_default(),
            named(ResourceKind::AzurePublicIp).map(|p| text!(", public IP `{p}`")).unwrap_or_default()
        ),
        (Platform::Gcp, _) => text!(
            "Create the Compute Engine VM that runs {sw} with IP forwarding on (`--can-ip-forward`), the network \
             tag `{}-appliance` (the firewall rules for IKE, NAT-T and ESP match it), the private address {}{}.",
            steps::prefix(c.r, i),
            Plain(private_ip),
            named(ResourceKind::GcpExternalAddress)
                .map(|a| text!(" and the external address `{a}` (recorded as `{v}_PUBLIC_IP`)"))
                .unwrap_or_default()
        ),
        (Platform::Onprem, _) => text!(
            "This is your own {sw} gateway at {}. Its edge firewall must let UDP 500, UDP 4500 and ESP (IP protocol \
             50) in from {}, and nothing else needs to reach it.",
            Plain(public_ip),
            h.peer_addresses()
                .iter()
                .map(|a| match a.var() {
                    Some(v) => text!("the address recorded as `{v}`"),
                    None => a.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// How to reload a host's tunnels without reinstalling, and what that does (none where the
/// install script is the reload, as on VyOS).
fn reload(h: &Host) -> Option<(String, &'static str)> {
    let (cmd, what) = h.device().reload?;
    let frr = if h.bgp() { text!("\nsudo vtysh -f {}/frr.conf", h.etc_dir()) } else { String::new() };
    Some((text!("{cmd}{frr}"), what))
}

pub(super) fn appliances(c: &Ctx, d: &mut Doc) {
    if c.hosts.is_empty() {
        return;
    }
    d.h(2, "appliances", "Appliance hosts");
    d.p(
        "Each appliance gets one install script that does everything on the host: packages, configuration, keys, \
         IP forwarding, tunnel interfaces, firewall and MSS clamp, and starting the tunnels. Running it again is safe.",
    );
    for h in &c.hosts {
        let Some(i) = c.r.sites.iter().position(|s| std::ptr::eq(s, h.site)) else { continue };
        let path = install_path(h);
        d.h(3, &text!("appliance-{}", Plain(&h.site.name)), &text!("{}: {}", Plain(&h.site.name), h.label()));
        let mut when: Vec<usize> = Vec::new();
        for a in h.runtime_vars() {
            if let Some(&k) = a.var().and_then(|v| c.producer.get(v)) {
                when.push(k);
            }
        }
        let after =
            when.iter().max().map(|&k| text!("after {}, the last phase that records a value it reads", c.phase(k)));
        let mut items = vec![prepare(c, h, i)];
        let mut reads: Vec<String> = h.runtime_vars().iter().filter_map(|a| a.var()).map(|v| text!("`{v}`")).collect();
        for t in &h.tunnels {
            let key = text!("`{}`", t.tunnel.psk_name);
            if !reads.contains(&key) {
                reads.push(key);
            }
        }
        items.push(text!(
            "Copy the folder `{}/` and `outputs.env` to the host, paths kept{}. The script reads {}; the keys from \
             `{}`, the secrets file beside it that holds only this host's keys (never copy the whole `secrets.env` \
             to a host).",
            crate::render::appliance::token(&h.site.name),
            after.map(|a| text!(" ({a})")).unwrap_or_default(),
            reads.join(", "),
            h.path(h.dir(), crate::render::vars::SECRETS_FILE)
        ));
        items.push(h.device().install_where.into());
        d.numbered(items);
        d.code(text!("{} ./{path}", h.device().install_runner));
        let targets = install_targets(c, h);
        if targets.is_empty() {
            d.p(h.device().configures_without_files);
        } else {
            d.p("It puts the files here:");
            let rows: Vec<Vec<String>> = targets
                .iter()
                .map(|(f, to)| vec![if f.starts_with('(') { f.clone() } else { text!("`{f}`") }, text!("`{to}`")])
                .collect();
            d.table(&["file in this folder", "on the host"], rows);
        }
        match reload(h) {
            Some((cmd, what)) => {
                d.p(text!(
                    "To apply a change, generate the files again and run the install script again. To reload \
                     without reinstalling (it {what}):"
                ));
                d.code(cmd);
            }
            None => d.p("To apply a change, generate the files again and run the script again: it sets every \
                         command again, commits and saves."),
        }
    }
}
