//! The teardown scripts, run by bash against stand-ins for aws and az that record every call: they
//! delete exactly what the create scripts recorded, newest first, wait where AWS needs it, count
//! what is already gone as deleted, stop at a real failure, never delete without asking, refuse
//! without a terminal unless given `--yes`, and forget the site's values in `outputs.env`.
//! (`tests/cloud_tools.rs` runs the AWS ones against moto after the create scripts.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tunnelsmith::check::{resolve, Resolved};
use tunnelsmith::presets::find;
use tunnelsmith::render::{render, RenderOptions};
use tunnelsmith::steps::{steps, Program};

/// A stand-in CLI: logs its arguments; `FAKE_MODE` says how deletes end (`ok`, `gone`, `fail`).
const FAKE: &str = r#"#!/bin/bash
printf '%s %s\n' "$(basename "$0")" "$*" >>"$FAKE_LOG"
case "$FAKE_MODE:$*" in
  ok:*describe-vpn-connections*) echo deleted ;;
  ok:*describe-vpn-gateways*) echo detached ;;
  gone:*)
    echo "An error occurred (InvalidVpnConnectionID.NotFound): The vpnConnection ID 'x' does not exist" >&2
    exit 254
    ;;
  fail:*)
    echo "An error occurred (DependencyViolation): The vpn gateway has dependencies and cannot be deleted" >&2
    exit 254
    ;;
esac
exit 0
"#;

struct Bundle {
    dir: PathBuf,
    log: PathBuf,
}

fn bundle(tag: &str, r: &Resolved) -> Bundle {
    let dir = std::env::temp_dir().join(format!("tunnelsmith-teardown-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for a in render(r, &RenderOptions::default()) {
        let f = dir.join(&a.path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, &a.text).unwrap();
    }
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["aws", "az", "gcloud"] {
        std::fs::write(bin.join(tool), FAKE).unwrap();
        assert!(Command::new("chmod").arg("755").arg(bin.join(tool)).status().unwrap().success());
    }
    Bundle { log: dir.join("calls.log"), dir }
}

impl Bundle {
    fn run(&self, script: &str, args: &[&str], mode: &str) -> Output {
        let _ = std::fs::remove_file(&self.log);
        Command::new("bash")
            .arg(self.dir.join(script))
            .args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", self.dir.join("fake-bin").display()))
            .env("FAKE_LOG", &self.log)
            .env("FAKE_MODE", mode)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().map(String::from).collect()
    }

    fn outputs(&self) -> String {
        std::fs::read_to_string(self.dir.join("outputs.env")).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// An `outputs.env` as the create scripts of the AWS site would leave it, plus another site's value.
fn recorded(r: &Resolved, dir: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (n, s) in steps(r).iter().enumerate() {
        if let (Program::Aws, Some(c)) = (s.program, &s.capture) {
            v.push((c.name.clone(), format!("id-{n}")));
        }
    }
    let mut text: String = v.iter().map(|(k, x)| format!("{k}={x}\n")).collect();
    text.push_str("AZURE_GW_IP_1=203.0.113.7\nAZURE_RG_EXISTED=false\n");
    std::fs::write(dir.join("outputs.env"), text).unwrap();
    v
}

fn subcommand(call: &str) -> &str {
    call.split_whitespace().nth(2).unwrap_or("")
}

#[test]
fn aws_deletes_what_was_recorded_newest_first_and_waits_where_aws_needs_it() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("order", &r);
    let ids = recorded(&r, &b.dir);
    let o = b.run("aws/aws.teardown.sh", &["--yes"], "ok");
    assert!(o.status.success(), "{}", text(&o));
    let calls = b.calls();
    let subs: Vec<&str> = calls.iter().map(|c| subcommand(c)).collect();
    assert_eq!(
        subs,
        [
            "delete-vpn-connection",
            "describe-vpn-connections",
            "delete-customer-gateway",
            "detach-vpn-gateway",
            "describe-vpn-gateways",
            "delete-vpn-gateway",
            "disassociate-route-table",
            "delete-route-table",
            "detach-internet-gateway",
            "delete-internet-gateway",
            "delete-subnet",
            "delete-vpc",
        ]
    );
    let id = |name: &str| ids.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap();
    assert!(calls[0].contains(&format!("--vpn-connection-id {}", id("AWS_VPN_AZURE_AWS_1"))), "{}", calls[0]);
    assert!(calls[11].ends_with(&format!("--vpc-id {}", id("AWS_VPC_ID"))), "{}", calls[11]);
    for c in &calls {
        assert!(c.contains("--region eu-central-1"), "{c}");
        assert!(!c.contains("--filters"), "teardown never searches: {c}");
    }
    assert!(text(&o).contains("10 deleted, 0 already gone, 0 skipped"), "{}", text(&o));
    let left = b.outputs();
    assert!(!left.contains("AWS_"), "the site's values are forgotten:\n{left}");
    assert!(left.contains("AZURE_GW_IP_1=203.0.113.7"), "another site's values stay:\n{left}");
}

#[test]
fn what_is_already_gone_counts_as_deleted_and_a_real_failure_stops() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("gone", &r);
    recorded(&r, &b.dir);
    let o = b.run("aws/aws.teardown.sh", &["--yes"], "fail");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(b.calls().len(), 1, "stops at the first real failure");
    assert!(
        text(&o).contains("DependencyViolation") && text(&o).contains("run aws/aws.teardown.sh again"),
        "{}",
        text(&o)
    );
    assert!(b.outputs().contains("AWS_VPC_ID="), "nothing forgotten when it stopped");
    let o = b.run("aws/aws.teardown.sh", &["--yes"], "gone");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 deleted, 10 already gone, 0 skipped"), "{}", text(&o));
}

#[test]
fn it_asks_first_refuses_without_a_terminal_and_lists_on_request() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("ask", &r);
    recorded(&r, &b.dir);
    for script in ["aws/aws.teardown.sh", "azure/azure.teardown.sh", "teardown.sh"] {
        let o = b.run(script, &[], "ok");
        assert_eq!(o.status.code(), Some(2), "{script}: {}", text(&o));
        assert!(text(&o).contains("--yes") && text(&o).contains("not deleting anything"), "{script}: {}", text(&o));
        assert!(b.calls().is_empty(), "{script} called a cloud without --yes: {:?}", b.calls());
        let o = b.run(script, &["--list"], "ok");
        assert!(o.status.success() && b.calls().is_empty(), "{script}: {}", text(&o));
        assert!(text(&o).contains("  - VPN connection "), "{script}: {}", text(&o));
        let o = b.run(script, &["--bogus"], "ok");
        assert_eq!(o.status.code(), Some(2), "{script}");
    }
    assert!(b.outputs().contains("AWS_VPC_ID="), "nothing was forgotten");
}

#[test]
fn ids_that_were_never_recorded_are_skipped_not_searched_for() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("skip", &r);
    std::fs::write(b.dir.join("outputs.env"), "").unwrap();
    let o = b.run("aws/aws.teardown.sh", &["--list"], "ok");
    assert!(text(&o).contains("skipped, AWS_VPC_ID is not in"), "{}", text(&o));
    let o = b.run("aws/aws.teardown.sh", &["--yes"], "ok");
    assert!(o.status.success(), "{}", text(&o));
    assert!(b.calls().is_empty(), "{:?}", b.calls());
    assert!(text(&o).contains("0 deleted, 0 already gone, 10 skipped"), "{}", text(&o));
}

#[test]
fn teardown_sh_runs_every_site_last_deployed_first_with_names_on_azure() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("root", &r);
    recorded(&r, &b.dir);
    let o = b.run("teardown.sh", &["--yes"], "ok");
    assert!(o.status.success(), "{}", text(&o));
    let calls = b.calls();
    let first_aws = calls.iter().position(|c| c.starts_with("aws ")).unwrap();
    assert!(calls[..first_aws].iter().all(|c| c.starts_with("az ")), "Azure (deployed last) goes first: {calls:?}");
    let az: Vec<&String> = calls.iter().filter(|c| c.starts_with("az ")).collect();
    assert_eq!(az.len(), 8);
    assert!(az[0]
        .starts_with("az network vpn-connection delete --resource-group vpntest-azure-rg --name vpntest-azure-aws-t2"));
    assert!(
        az[4].starts_with("az network vnet-gateway delete --resource-group vpntest-azure-rg --name vpntest-azure-gw")
    );
    assert_eq!(az[7], "az group delete --name vpntest-azure-rg --yes");
    assert!(text(&o).contains("Everything plan vpntest created is deleted."));
}

// ---- what the teardown leaves (issue 19, item 6) -------------------------------------------------

#[test]
fn an_azure_resource_group_that_existed_before_is_left_and_the_script_says_why() {
    let r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
    let b = bundle("rg", &r);
    let group_deleted = |b: &Bundle| b.calls().iter().any(|c| c.starts_with("az group delete"));
    // `az group create` adopted the user's group: the create script recorded that it existed.
    for (outputs, deleted) in [("AZURE_RG_EXISTED=true\n", false), ("", false), ("AZURE_RG_EXISTED=false\n", true)] {
        std::fs::write(b.dir.join("outputs.env"), outputs).unwrap();
        let o = b.run("azure/azure.teardown.sh", &["--yes"], "ok");
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(group_deleted(&b), deleted, "{outputs:?}: {:?}", b.calls());
        let out = text(&o);
        if deleted {
            assert!(out.contains("0 left"), "{out}");
        } else {
            assert!(out.contains("leave resource group vpntest-azure-rg: it existed before"), "{out}");
            assert!(out.contains("1 left"), "{out}");
        }
        // Everything the scripts made inside it goes either way.
        assert!(b.calls().iter().any(|c| c.starts_with("az network vnet-gateway delete")), "{:?}", b.calls());
    }
}

/// A gcloud stand-in whose subnets all live in the network `$SUBNET_NETWORK`.
const GCLOUD_SUBNETS: &str = r#"#!/bin/bash
printf '%s %s\n' "$(basename "$0")" "$*" >>"$FAKE_LOG"
case "$*" in
  "compute networks subnets describe "*) echo "$SUBNET_NETWORK" ;;
esac
exit 0
"#;

#[test]
fn a_google_subnet_is_deleted_only_in_the_plans_network() {
    let r = resolve(&find("004-aws-azure-gcp-bgp").unwrap().plan());
    let b = bundle("gsub", &r);
    std::fs::write(b.dir.join("fake-bin/gcloud"), GCLOUD_SUBNETS).unwrap();
    for (network, deleted) in [("someone-elses-net", false), ("multicloud-gcp-net", true)] {
        let _ = std::fs::remove_file(&b.log);
        let o = Command::new("bash")
            .arg(b.dir.join("gcp/gcp.teardown.sh"))
            .arg("--yes")
            .env("PATH", format!("{}:/usr/bin:/bin", b.dir.join("fake-bin").display()))
            .env("FAKE_LOG", &b.log)
            .env("FAKE_MODE", "ok")
            .env("SUBNET_NETWORK", network)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let calls = b.calls();
        assert_eq!(
            calls.iter().any(|c| c.starts_with("gcloud compute networks subnets delete vms")),
            deleted,
            "{calls:?}"
        );
        assert!(calls.iter().any(|c| c.starts_with("gcloud compute networks subnets describe vms")), "{calls:?}");
        if !deleted {
            assert!(text(&o).contains("leave subnet vms: it is not where this plan made it"), "{}", text(&o));
        }
    }
}
