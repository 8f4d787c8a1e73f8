//! The runbook reads as a complete procedure for every plan: no placeholder; every command it names
//! is one the generated scripts run, a read-only status or login command of a tool the plan uses,
//! or a file of the bundle run as a script; every file it names is in the bundle; the Markdown and
//! the HTML page say the same; and it comes first in the bundle.

use tunnelsmith::check::{analyze, Resolved};
use tunnelsmith::cost::Traffic;
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::runbook::{HTML, MARKDOWN};
use tunnelsmith::render::{render, Artifact, RenderOptions};

/// Plans beyond the presets, for the parts of the runbook the presets do not reach: a transit
/// gateway, appliances on an Azure VM and on Compute Engine, a VyOS and a Libreswan host with BGP
/// (in tests/fixtures/plans/).
const MORE: &[(&str, &str)] = &[
    ("tgw-to-strongswan-dc", include_str!("fixtures/plans/tgw-to-strongswan-dc.json")),
    ("azure-vm-to-compute-engine", include_str!("fixtures/plans/azure-vm-to-compute-engine.json")),
    ("vyos-and-frr-bgp-to-azure", include_str!("fixtures/plans/vyos-and-frr-bgp-to-azure.json")),
];

fn plans() -> Vec<(String, Plan, Resolved)> {
    let mut out = Vec::new();
    for p in PRESETS {
        let plan = p.plan();
        out.push((p.id.to_string(), plan.clone(), analyze(&plan).resolved));
    }
    for (id, json) in MORE {
        let plan = Plan::from_json(json).expect("parses");
        let a = analyze(&plan);
        assert!(!a.has_errors(), "{id}: {:?}", a.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
        out.push((id.to_string(), plan, a.resolved));
    }
    out
}

fn artifact<'a>(arts: &'a [Artifact], path: &str) -> &'a Artifact {
    arts.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("no {path}"))
}

/// Fenced code blocks of Markdown: (block text).
fn code_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        if line.starts_with("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => cur = Some(String::new()),
            }
        } else if let Some(b) = &mut cur {
            b.push_str(line);
            b.push('\n');
        }
    }
    out
}

/// Inline code spans outside the fenced blocks.
fn spans(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find('`') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('`') else { break };
            out.push(after[..j].replace("\\|", "|"));
            rest = &after[j + 1..];
        }
    }
    out
}

/// Command lines of a code block, continuations joined.
fn commands(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut joining = false;
    for line in block.lines() {
        let l = line.trim();
        if joining {
            let last = out.last_mut().unwrap();
            last.push(' ');
            last.push_str(l.trim_end_matches('\\').trim());
        } else {
            out.push(l.trim_end_matches('\\').trim().to_string());
        }
        joining = l.ends_with('\\');
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Split a command into words the way bash would for these simple lines (quotes grouped).
fn shell_words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in cmd.chars() {
        match (quote, ch) {
            (None, '\'' | '"') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Files the bundle holds besides `render()`'s: the plan (added by the bundle), the keys (their own
/// download) and the values the scripts record as they run.
const BESIDE: &[&str] = &["tunnelsmith-plan.json", "secrets.env", "outputs.env"];

/// Universal network test tools the end-to-end check uses on the test machines.
const TEST_TOOLS: &[&str] = &["ping", "mtr"];

struct Checked {
    commands: usize,
    in_scripts: usize,
    read_only: usize,
    files: usize,
}

/// Why `cmd` may appear in the runbook, or an error.
fn check_command(cmd: &str, arts: &[Artifact], scripts: &str, ck: &mut Checked) -> Result<(), String> {
    let mut w = shell_words(cmd);
    if w.first().map(String::as_str) == Some("sudo") {
        w.remove(0);
    }
    let program = w.first().cloned().unwrap_or_default();
    let file_of = |p: &str| arts.iter().find(|a| a.path == p.trim_start_matches("./"));
    match program.as_str() {
        "bash" | "vbash" => {
            let f = w.get(1).ok_or("no script")?;
            file_of(f).ok_or(format!("{f} is not in the bundle"))?;
            ck.files += 1;
            Ok(())
        }
        p if p.starts_with("./") => {
            let a = file_of(p).ok_or(format!("{p} is not in the bundle"))?;
            if !a.executable {
                return Err(format!("{p} is not executable"));
            }
            ck.files += 1;
            Ok(())
        }
        "source" if w.get(1).map(String::as_str) == Some("outputs.env") => Ok(()),
        "aws" | "az" | "gcloud" => {
            if !scripts.contains(&format!("\n{program} ")) && !scripts.contains(&format!("=\"$({program} ")) {
                return Err(format!("the plan's scripts never run {program}"));
            }
            let path: Vec<&str> = w[1..].iter().take_while(|x| !x.starts_with("--")).map(String::as_str).collect();
            let joined = format!("{program} {}", path.join(" "));
            if scripts.contains(&joined) {
                ck.in_scripts += 1;
                return Ok(());
            }
            let read_only = path.iter().any(|x| ["describe", "show", "list", "get"].iter().any(|v| x.starts_with(v)));
            // Logging in and choosing the account, subscription or project: the CLI's own settings.
            let login =
                path.first().is_some_and(|x| ["configure", "login", "sso", "auth", "account", "config"].contains(x));
            if read_only || login {
                ck.read_only += 1;
                Ok(())
            } else {
                Err(format!("`{joined}` changes something and no script runs it"))
            }
        }
        p if TEST_TOOLS.contains(&p) => Ok(()),
        p => {
            // A host's own tool: a generated file of this plan runs it.
            let used = arts.iter().any(|a| {
                a.text
                    .lines()
                    .map(str::trim)
                    .any(|l| l.starts_with(&format!("{p} ")) || l.starts_with(&format!("run {p} ")))
            });
            if used {
                ck.read_only += 1;
                Ok(())
            } else {
                Err(format!("{p}: no generated file of this plan uses it"))
            }
        }
    }
}

#[test]
fn every_command_and_file_the_runbook_names_exists() {
    let mut ck = Checked { commands: 0, in_scripts: 0, read_only: 0, files: 0 };
    let mut failures = Vec::new();
    let mut placeholders = Vec::new();
    for (id, _, r) in plans() {
        let arts = render(&r, &RenderOptions::default());
        let md = &artifact(&arts, MARKDOWN).text;
        let scripts: String =
            arts.iter().filter(|a| a.path.ends_with(".sh")).map(|a| format!("\n{}", a.text)).collect();
        let mut cmds: Vec<String> = code_blocks(md).iter().flat_map(|b| commands(b)).collect();
        cmds.extend(
            spans(md)
                .into_iter()
                .filter(|s| ["aws ", "az ", "gcloud ", "sudo ", "./", "bash "].iter().any(|p| s.starts_with(p))),
        );
        for c in &cmds {
            ck.commands += 1;
            if let Err(e) = check_command(c, &arts, &scripts, &mut ck) {
                failures.push(format!("{id}: {e}\n    {c}"));
            }
        }
        // Every relative path in code names a file of the bundle.
        for s in spans(md).iter().chain(cmds.iter()) {
            for w in shell_words(s) {
                let w = w.trim_start_matches("./").trim_end_matches([',', '.', ':', ')']);
                let looks_like_file = !w.starts_with('/')
                    && !w.contains('$')
                    && !w.contains('=')
                    && [".sh", ".md", ".html", ".svg", ".conf", ".nft", ".json", ".env"].iter().any(|x| w.ends_with(x));
                if looks_like_file {
                    ck.files += 1;
                    // Each appliance's own secrets file comes with the keys' download, like secrets.env.
                    let host_keys = tunnelsmith::render::appliance::secrets_files(&r).iter().any(|(p, _)| p == w);
                    if !arts.iter().any(|a| a.path == w) && !BESIDE.contains(&w) && !host_keys {
                        failures.push(format!("{id}: the runbook names {w}, which is not in the bundle"));
                    }
                }
            }
        }
        assert!(md.contains("](topology.svg)") && arts.iter().any(|a| a.path == "topology.svg"), "{id}");
        // Nothing to fill in by hand.
        for text in [md.as_str(), artifact(&arts, HTML).text.as_str()] {
            for bad in ["<placeholder>", "REPLACE", "TODO", "xxx", "...", "…", "${PSK_", "\u{1}"] {
                if text.contains(bad) {
                    placeholders.push(format!("{id}: {bad:?}"));
                }
            }
        }
        for s in spans(md).iter().chain(cmds.iter()) {
            if let Some(i) = s.find('<') {
                if s[i + 1..].starts_with(|c: char| c.is_ascii_lowercase()) && s[i..].contains('>') {
                    placeholders.push(format!("{id}: {s}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(placeholders.is_empty(), "placeholders: {placeholders:?}");
    eprintln!(
        "runbook: {} commands checked ({} run by the scripts, {} read-only or login commands of the plan's tools), {} file references",
        ck.commands, ck.in_scripts, ck.read_only, ck.files
    );
    assert!(ck.commands > 200 && ck.read_only > 50 && ck.files > 50, "the checks found what they look for");
}

#[test]
fn checking_rejects_what_a_runbook_must_not_say() {
    let (_, _, r) = plans().into_iter().find(|(id, _, _)| id.starts_with("002")).unwrap();
    let arts = render(&r, &RenderOptions::default());
    let scripts: String = arts.iter().filter(|a| a.path.ends_with(".sh")).map(|a| format!("\n{}", a.text)).collect();
    let mut ck = Checked { commands: 0, in_scripts: 0, read_only: 0, files: 0 };
    let mut check = |c: &str| check_command(c, &arts, &scripts, &mut ck);
    assert!(check("aws ec2 terminate-instances --instance-ids i-1").is_err(), "a change no script makes");
    assert!(check("aws ec2 delete-vpc --vpc-id vpc-1").is_ok(), "the teardown runs it");
    assert!(check("gcloud compute vpn-tunnels describe t --region r").is_err(), "a tool the plan does not use");
    assert!(check("bash aws/nope.sh").is_err());
    assert!(check("./run-order.md").is_err(), "not executable");
    assert!(check("sudo swanctl --list-sas").is_err(), "no strongSwan in this plan");
    assert!(check("aws ec2 describe-vpn-connections --region x").is_ok());
    assert!(check("az network vpn-connection create --name x").is_ok(), "the scripts run it");
}

#[test]
fn markdown_and_html_say_the_same() {
    for (id, _, r) in plans() {
        let arts = render(&r, &RenderOptions::default());
        let md = &artifact(&arts, MARKDOWN).text;
        let html = &artifact(&arts, HTML).text;
        let blocks = code_blocks(md);
        assert_eq!(blocks.len(), html.matches("<pre><code>").count(), "{id}: code blocks");
        for b in &blocks {
            let escaped = b
                .trim_end()
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(html.contains(&escaped), "{id}: the HTML lacks\n{b}");
        }
        let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ") || l.starts_with("### ")).collect();
        assert_eq!(headings.len(), html.matches("<h2 ").count() + html.matches("<h3 ").count(), "{id}");
        for h in headings {
            let text = h.trim_start_matches('#').trim();
            assert!(html.contains(&format!(">{text}</h")), "{id}: {text}");
        }
        assert!(html.contains("<svg") && !html.contains("<script"), "{id}: the diagram inline, no script");
        assert_eq!(md.matches("| ").count() > 0, html.contains("<table>"), "{id}");
    }
}

#[test]
fn the_runbook_is_first_in_the_bundle_and_carries_the_link_and_traffic() {
    let (_, plan, r) = plans().into_iter().find(|(id, _, _)| id.starts_with("004")).unwrap();
    let link = tunnelsmith::share::link("https://tunnelsmith.example/", &plan);
    let mut traffic = Traffic::each_way(10);
    traffic.links.insert(0, [2500, 40]);
    let opts = RenderOptions { share_link: Some(link.clone()), traffic: Some(traffic) };
    let arts = render(&r, &opts);
    let files = tunnelsmith::bundle::files(&arts, &plan, None);
    assert_eq!((files[0].path.as_str(), files[1].path.as_str()), (MARKDOWN, HTML));
    let md = &artifact(&arts, MARKDOWN).text;
    let html = &artifact(&arts, HTML).text;
    assert!(md.contains(&format!("<{link}>")) && html.contains(&format!("href=\"{link}\"")), "the share link");
    assert!(md.contains("at your monthly traffic") && !md.contains("for example at"), "{md}");
    // 2,500 GB from AWS at $0.09 is $225.00; 40 GB from Azure at $0.087 is $3.48.
    assert!(md.contains("| aws to azure | 2500 | $0.09 per GB | $225.00 |"), "{md}");
    assert!(md.contains("| azure to aws | 40 | $0.087 per GB | $3.48 |"), "{md}");
    let plain = render(&r, &RenderOptions::default());
    assert!(artifact(&plain, MARKDOWN).text.contains("for example at 100 GB each way"));
}

#[test]
fn seed_002_reads_as_its_field_report_did_without_the_blanks() {
    let (_, _, r) = plans().into_iter().find(|(id, _, _)| id.starts_with("002")).unwrap();
    let arts = render(&r, &RenderOptions::default());
    let md = &artifact(&arts, MARKDOWN).text;
    let phases: Vec<&str> = md.lines().filter(|l| l.starts_with("### Phase ")).collect();
    assert_eq!(phases, ["### Phase 1: azure/azure.1.sh", "### Phase 2: aws/aws.sh", "### Phase 3: azure/azure.2.sh"]);
    let before = |a: &str, b: &str| md.find(a).unwrap() < md.find(b).unwrap();
    assert!(before("is started with `--no-wait`", "### Phase 2"), "the gateway starts first and does not block");
    assert!(md.contains("| `AWS_IP_AZURE_AWS_T1` | AWS outside address of tunnel azure-aws-t1 | phase 2 (`aws/aws.sh`) of aws | phase 3 (`azure/azure.2.sh`) of azure |"));
    assert!(md.contains("VgwTelemetry") && md.contains("**Up:** 2 rows, one per tunnel, each `UP`"));
    assert!(md.contains("az network vpn-connection show --resource-group vpntest-azure-rg --name vpntest-azure-aws-t1"));
    assert!(md.contains("ping -c 5 10.2.1.10\nmtr -r -c 10 10.2.1.10"), "seed 002's own test addresses");
    assert!(md.contains("| `azure-aws` | 1399 | 1350 |"), "the clamp computed for the link");
    assert!(md.contains("ec2:DescribeVpnConnections") && md.contains("ec2:DeleteVpnConnection"));
    assert!(md.contains("| **aws** (AWS, eu-central-1) | 10 VPN connections per virtual private gateway | 1 |"));
    assert!(md.contains("$0.05 per hour \\[?\\]") && md.contains("$0.09 per GB |"), "unverified prices are marked");
    assert!(md.contains("**About $196.55 a month**"), "36.50 + 138.70 + 3.65 + 9.00 + 8.70");
    assert!(before("`azure/azure.teardown.sh`", "`aws/aws.teardown.sh`"));
}

#[test]
fn seed_004_names_every_bgp_neighbour_and_the_apipa_rule() {
    let (_, _, r) = plans().into_iter().find(|(id, _, _)| id.starts_with("004")).unwrap();
    let arts = render(&r, &RenderOptions::default());
    let md = &artifact(&arts, MARKDOWN).text;
    for (ip, asn, t, inst) in [
        ("169.254.21.1", 65002, "aws-azure-t1", 1),
        ("169.254.22.5", 65002, "aws-azure-t4", 2),
        ("169.254.22.9", 65003, "gcp-azure-t2", 2),
    ] {
        assert!(md.contains(&format!("| {ip} | {asn} | `{t}` | instance {inst} |")), "{ip}");
    }
    assert!(md.contains("Azure does not start BGP toward peers on APIPA"));
    assert!(md.contains("gcloud compute routers get-status multicloud-gcp-router --region us-east1"));
    assert!(md.contains("`multicloud-aws-gcp-t4-bgp`"));
    assert!(md.contains(
        "az network vnet-gateway list-bgp-peer-status --resource-group multicloud-azure-rg --name multicloud-azure-gw"
    ));
    let phases = md.lines().filter(|l| l.starts_with("### Phase ")).count();
    assert_eq!(phases, 5);
    assert!(md.contains("| **gcp** (Google Cloud, us-east1) | Google Cloud HA VPN tunnel | 6 |"));
}

#[test]
fn dead_peer_detection_is_described_as_each_end_does_it() {
    // strongSwan (seed 003) and VyOS (seed 000) with IKEv2: no DPD timeout of their own.
    for (id, end) in [("003", "uswest"), ("000", "aws")] {
        let (_, _, r) = plans().into_iter().find(|(x, _, _)| x.starts_with(id)).unwrap();
        let arts = render(&r, &RenderOptions::default());
        let md = &artifact(&arts, MARKDOWN).text;
        let row = md.lines().find(|l| l.contains("every 10 s;")).unwrap_or_else(|| panic!("{id}: {md}"));
        assert!(!row.contains(&format!("{end} 30 s")), "{id}: IKEv2 has no DPD timeout on {end}: {row}");
        assert!(row.contains(&format!("for {end} after its IKEv2 retransmissions run out")), "{id}: {row}");
        assert!(row.contains("IKEv1 only"), "{id}: {row}");
    }
    // AWS and Azure keep their DPD timeouts.
    let (_, _, r) = plans().into_iter().find(|(x, _, _)| x.starts_with("002")).unwrap();
    let arts = render(&r, &RenderOptions::default());
    let md = &artifact(&arts, MARKDOWN).text;
    assert!(md.contains("the peer is dead for azure after 30 s, for aws after 30 s"), "{md}");
}
