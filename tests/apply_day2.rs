//! Day 2 (issue 21): the plan changes after it was applied, and `plan` / `apply` converge the
//! clouds to it, against the stand-in clouds (tests/standins) with seed 004:
//! - a link's crypto is tightened: `plan` shows the updates in place (old → new) and the tunnels
//!   that drop; `apply` modifies the AWS tunnels one at a time (the stand-ins' timeline shows at
//!   most one tunnel of the link down at any moment) and clears then adds Azure's policies;
//! - a site is added back: its tunnels get new keys, written to the secrets file (0600) with a
//!   line saying so, and `apply` builds them;
//! - a site is removed: `plan` lists what will be destroyed, `apply` asks first, then destroys
//!   it all (undos first), its keys leave the file, and the clouds hold exactly what a fresh
//!   apply of the smaller plan would;
//! - SIGKILL at every call of a change (updates, a replace, destroys), then apply again: the
//!   same clouds as an uninterrupted run;
//! - `plan` says there is nothing to do after every apply.

mod apply_support;

use apply_support::{python, require, Lab};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SEED: &str = "004-aws-azure-gcp-bgp";

fn lab(tag: &str) -> Option<Lab> {
    let py = require("python3 with jmespath (for the stand-in CLIs)", python())?;
    Some(Lab::new(tag, SEED, &["aws", "az", "gcloud"], &py))
}

fn apply(l: &Lab) -> String {
    let r = l.run(&["apply", "--yes", "--jobs", "4"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    r.all()
}

fn nothing_to_do(l: &Lab, what: &str) {
    let p = l.run(&["plan"], &[]);
    assert_eq!(p.code, Some(0), "{}", p.all());
    assert!(p.stdout.contains("Nothing to do"), "{what}: plan after apply is not empty:\n{}", p.stdout);
}

fn no_parser_rejections(l: &Lab) {
    let rejected: Vec<_> = l.calls().into_iter().filter(|c| c["exit"] == 2).collect();
    assert!(rejected.is_empty(), "argv rejected by the recorded options: {rejected:?}");
}

fn remove_site(v: &mut Value, site: &str) {
    v["sites"].as_array_mut().unwrap().retain(|s| s["name"] != site);
    v["links"].as_array_mut().unwrap().retain(|l| l["a"] != site && l["b"] != site);
}

/// The most tunnels of one link down at the same moment, from the timeline after call `from`.
fn most_down_at_once(l: &Lab, from: u64, tunnels: &[String]) -> (usize, usize) {
    let mut down: BTreeMap<String, bool> = BTreeMap::new();
    let (mut most, mut drops) = (0, 0);
    for e in l.timeline() {
        let t = e["tunnel"].as_str().unwrap_or("").to_string();
        if e["n"].as_u64().unwrap_or(0) <= from || !tunnels.contains(&t) {
            continue;
        }
        let up = e["up"].as_bool().unwrap_or(true);
        if !up {
            drops += 1;
        }
        down.insert(t, !up);
        most = most.max(down.values().filter(|d| **d).count());
    }
    (most, drops)
}

/// The timeline's names (`<ip>~<ip>`) of a link's tunnels, from the addresses in the state.
fn link_tunnels(l: &Lab, link: &str) -> Vec<String> {
    let ends: Vec<String> = l
        .timeline()
        .iter()
        .filter(|e| e["up"] == true)
        .filter(|e| {
            let ends = e["ends"].as_str().unwrap_or("");
            link.split('-').all(|site| {
                ends.contains(&format!("{}-", site))
                    || ends.contains(&format!(
                        "{} ",
                        match site {
                            "gcp" => "gcloud",
                            "azure" => "az",
                            other => other,
                        }
                    ))
            })
        })
        .map(|e| e["tunnel"].as_str().unwrap().to_string())
        .collect();
    let mut ends = ends;
    ends.sort();
    ends.dedup();
    ends
}

fn seq(l: &Lab) -> u64 {
    l.world()["seq"].as_u64().unwrap_or(0)
}

#[test]
fn tightened_crypto_is_a_diff_and_apply_updates_the_tunnels_in_place_one_at_a_time() {
    let Some(l) = lab("crypto") else { return };
    apply(&l);
    let before = seq(&l);
    let aws_azure = link_tunnels(&l, "aws-azure");
    assert_eq!(aws_azure.len(), 4, "{aws_azure:?}");
    l.edit(|v| {
        v["links"][0]["crypto"] = json!({"phase1_encryption": "aes128", "phase2_lifetime": 1800});
        v["sites"][2]["address_spaces"].as_array_mut().unwrap().push(json!("10.0.2.0/24"));
    });
    let p = l.run(&["plan"], &[]);
    assert_eq!(p.code, Some(0), "{}", p.all());
    let out = &p.stdout;
    assert!(!out.contains("Nothing to do"), "{out}");
    assert!(out.contains("~ aws/vpn-aws-azure-1"), "{out}");
    assert!(out.contains("--options.TunnelOptions[0].Phase1EncryptionAlgorithms[0].Value: AES256 → AES128"), "{out}");
    assert!(out.contains("--options.TunnelOptions[1].Phase2LifetimeSeconds: 3600 → 1800"), "{out}");
    assert!(out.contains("by: aws ec2 modify-vpn-tunnel-options"), "{out}");
    assert!(out.contains("~ azure/policy-aws-azure-t3") && out.contains("--ike-encryption: AES256 → AES128"), "{out}");
    assert!(out.contains("aws-azure-t1 (link aws-azure): down while"), "{out}");
    assert!(out.contains("aws-azure-t2, aws-azure-t3, aws-azure-t4 carry traffic meanwhile"), "{out}");
    assert!(
        out.contains("Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy (and 4 other steps to run)."),
        "{out}"
    );
    assert!(!out.contains("aws/vpn-aws-gcp"), "a link not edited is untouched: {out}");

    apply(&l);
    let w = l.world();
    for r in w["aws"].as_object().unwrap().values().filter(|r| r["_type"] == "vpn") {
        let name = r["Tags"].to_string();
        for t in r["Options"]["TunnelOptions"].as_array().unwrap() {
            let (alg, life) = (t["Phase1EncryptionAlgorithms"][0]["Value"].clone(), t["Phase2LifetimeSeconds"].clone());
            if name.contains("aws-azure") {
                assert_eq!((alg, life), (json!("AES128"), json!(1800)), "{name}");
            } else {
                assert_eq!(alg, json!("AES256"), "{name} was not to change");
            }
        }
    }
    for k in 1..=4 {
        let c = &w["az"][format!("multicloud-azure-rg/vpn-connection/multicloud-aws-azure-t{k}")];
        let pols = c["ipsecPolicies"].as_array().unwrap();
        assert_eq!(pols.len(), 1, "the old policy was cleared: {pols:?}");
        assert_eq!(
            (pols[0]["ikeEncryption"].clone(), pols[0]["saLifeTimeSeconds"].clone()),
            (json!("AES128"), json!(1800))
        );
    }
    // Make-before-break: each AWS tunnel restarted while it was modified, never two at once.
    let (most, drops) = most_down_at_once(&l, before, &aws_azure);
    assert_eq!(drops, 4, "each of the four tunnels restarts once: {:?}", l.timeline());
    assert_eq!(most, 1, "two tunnels of the link were down at once");
    no_parser_rejections(&l);
    nothing_to_do(&l, "crypto");
}

#[test]
fn a_site_added_back_gets_new_keys_in_the_secrets_file_and_its_tunnels() {
    let Some(l) = lab("addback") else { return };
    let full = l.plan_text();
    l.edit(|v| remove_site(v, "gcp"));
    // The user made keys for the smaller plan.
    let small = tunnelsmith::plan::Plan::from_json(&l.plan_text()).unwrap();
    std::fs::write(l.secrets_path(), apply_support::keys(&small).to_env()).unwrap();
    apply(&l);
    assert!(l.world()["gcloud"].as_object().is_none_or(|m| m.is_empty()));
    l.set_plan(&full);
    let p = l.run(&["plan"], &[]);
    assert!(p.stdout.contains("+ gcp/tunnel-aws-gcp-t1"), "{}", p.stdout);
    assert!(p.stdout.contains("~ azure/gateway-apipa"), "the gateway's APIPA list grows: {}", p.stdout);
    let out = apply(&l);
    assert!(!out.contains("E_PSK_MISSING"), "{out}");
    assert!(out.contains("New tunnels, new keys: 6 pre-shared keys written to"), "{out}");
    assert!(out.contains("PSK_AWS_GCP_T1") && out.contains("PSK_GCP_AZURE_T2"), "names the keys: {out}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(l.secrets_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let keys = tunnelsmith::secrets::Secrets::from_env(&std::fs::read_to_string(l.secrets_path()).unwrap()).unwrap();
    assert_eq!(keys.names().count(), 10);
    for k in keys.values() {
        assert!(!out.contains(k), "a key was printed");
    }
    let gcp_tunnels = l.world()["gcloud"].as_object().unwrap().keys().filter(|k| k.starts_with("vpn-tunnels/")).count();
    assert_eq!(gcp_tunnels, 6);
    assert_eq!(link_tunnels(&l, "aws-gcp").len(), 4, "the new tunnels are up with their new keys");
    no_parser_rejections(&l);
    nothing_to_do(&l, "site added back");
}

#[test]
fn a_removed_site_is_destroyed_after_asking_and_the_clouds_match_a_fresh_apply() {
    let Some(l) = lab("remove") else { return };
    apply(&l);
    l.edit(|v| remove_site(v, "azure"));
    let p = l.run(&["plan"], &[]);
    let out = &p.stdout;
    for line in [
        "- azure/gateway",
        "- aws/vpn-aws-azure-1",
        "- aws/cgw-azure-2",
        "- gcp/tunnel-gcp-azure-t1",
        "- gcp/bgp-gcp-azure-t2",
        "- gcp/if-gcp-azure-t1",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(
        out.contains("~ gcp/firewall") && out.contains("--source-ranges: 192.168.0.0/16,172.16.0.0/16 → 172.16.0.0/16"),
        "{out}"
    );
    assert!(out.contains("gcp-azure-t1 (link gcp-azure): it is removed from the plan."), "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to replace, 28 to destroy."), "{out}");
    // Not without a yes.
    let before = l.inventory();
    let refused = l.run(&["apply"], &[]);
    assert_eq!(refused.code, Some(2), "{}", refused.all());
    assert!(refused.stderr.contains("28 to destroy") && refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert_eq!(l.inventory(), before, "nothing changed without a yes");

    apply(&l);
    let after = l.inventory();
    assert!(after.iter().all(|r| !r.contains("azure")), "Azure is left: {after:#?}");
    let keys = std::fs::read_to_string(l.secrets_path()).unwrap();
    assert!(
        !keys.contains("PSK_AWS_AZURE") && !keys.contains("PSK_GCP_AZURE") && keys.contains("PSK_AWS_GCP_T4"),
        "{keys}"
    );
    nothing_to_do(&l, "site removed");
    no_parser_rejections(&l);
    // The same clouds as applying the smaller plan on an empty world.
    let plan = l.plan_text();
    l.reset();
    l.set_plan(&plan);
    apply(&l);
    assert_eq!(after, l.inventory());
}

#[test]
fn sigkill_at_every_step_of_a_change_then_resume_ends_like_an_uninterrupted_run() {
    let Some(py) = require("python3 with jmespath (for the stand-in CLIs)", python()) else { return };
    let l = Lab::new("killchange", SEED, &["aws", "az", "gcloud"], &py);
    apply(&l);
    // One change with every kind: updates (aws-azure crypto), a replace with what is built on
    // it (Google's external gateway for AWS goes from four addresses to two), destroys (the
    // gcp-azure link and two AWS tunnels to Google).
    let change = |v: &mut Value| {
        v["links"][0]["crypto"] = json!({"phase1_encryption": "aes128"});
        v["links"].as_array_mut().unwrap().retain(|x| !(x["a"] == "gcp" && x["b"] == "azure"));
        v["links"][1]["tunnels"] = json!(2);
    };
    l.edit(change);
    l.save_as("before");
    let saved = seq(&l);
    let p = l.run(&["plan"], &[]);
    assert!(
        p.stdout.contains("-/+ gcp/peer-aws")
            && p.stdout.contains("- gcp/tunnel-gcp-azure-t1")
            && p.stdout.contains("~ aws/vpn-aws-azure-1"),
        "{}",
        p.stdout
    );
    // (plan reads the clouds back: the change's own calls start after it.)
    let first = seq(&l);
    apply(&l);
    nothing_to_do(&l, "uninterrupted change");
    let baseline = l.inventory();
    // The first call of every step of the change (updates, deletes, creates, reads, waits).
    let mut kills: Vec<(u64, String)> = Vec::new();
    // Drift read-backs (apply reads the clouds first) change nothing: one kill among them
    // stands for all.
    let read = |s: &str| s.starts_with("drift ");
    for c in l.calls().into_iter().filter(|c| c["n"].as_u64().unwrap_or(0) > first) {
        let step = c["step"].as_str().unwrap_or("").to_string();
        if read(&step) && kills.iter().any(|(_, s)| read(s)) {
            continue;
        }
        if !step.is_empty() && !kills.iter().any(|(_, s)| *s == step) {
            kills.push((c["n"].as_u64().unwrap() - first, step));
        }
    }
    assert!(kills.len() > 20, "{kills:?}");
    // KILL_ONLY=TEXT: only the kill points whose step contains TEXT (to look at one quickly).
    if let Ok(only) = std::env::var("KILL_ONLY") {
        kills.retain(|(_, s)| s.contains(&only));
    }
    let t0 = std::time::Instant::now();
    // Two at a time (two cores), each in its own folder.
    let bad: Vec<String> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..2)
            .map(|w| {
                let (kills, baseline, py, l) = (&kills, &baseline, &py, &l);
                sc.spawn(move || {
                    let mine = Lab::new(&format!("killchange{w}"), SEED, &["aws", "az", "gcloud"], py);
                    apply_support::copy_dir(&l.dir.join("saved-before"), &mine.dir.join("saved-before"));
                    let mut bad = Vec::new();
                    for (k, (offset, step)) in kills.iter().enumerate().filter(|(k, _)| k % 2 == w) {
                        mine.restore("before");
                        let at = (saved + offset).to_string();
                        let killed = mine.run(&["apply", "--yes"], &[("STANDIN_KILL_AT", at.as_str())]);
                        if killed.code.is_some() {
                            bad.push(format!("{k} {step}: apply was not killed ({:?})", killed.code));
                            continue;
                        }
                        let resumed = mine.run(&["apply", "--yes"], &[]);
                        if resumed.code != Some(0) {
                            bad.push(format!("{k} {step}: resume failed:\n{}", resumed.all()));
                            continue;
                        }
                        let now = mine.inventory();
                        if now != *baseline {
                            let d: Vec<_> = now.symmetric_difference(baseline).collect();
                            bad.push(format!("{k} {step}: the clouds differ: {d:#?}"));
                        }
                        let p = mine.run(&["plan"], &[]);
                        if !p.stdout.contains("Nothing to do") {
                            bad.push(format!("{k} {step}: plan not empty:\n{}", p.stdout));
                        }
                    }
                    bad
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "killed at the first call of {} steps of the change and resumed in {:.0}s",
        kills.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(bad.is_empty(), "{} of {} kills:\n{}", bad.len(), kills.len(), bad.join("\n"));
}

/// The keys of the secrets file, by name.
fn keys_of(l: &Lab) -> BTreeMap<String, String> {
    let k = tunnelsmith::secrets::Secrets::from_env(&std::fs::read_to_string(l.secrets_path()).unwrap()).unwrap();
    k.names().map(|n| (n.to_string(), k.psk(n).unwrap().to_string())).collect()
}

/// Every key some cloud end holds now.
fn cloud_keys(l: &Lab) -> Vec<String> {
    let w = l.world();
    let mut out = Vec::new();
    for r in w["aws"].as_object().unwrap().values().filter(|r| r["_type"] == "vpn" && r["State"] != "deleted") {
        for t in r["Options"]["TunnelOptions"].as_array().unwrap() {
            out.push(t["PreSharedKey"].as_str().unwrap().to_string());
        }
    }
    for (k, r) in w["az"].as_object().unwrap() {
        if k.contains("/vpn-connection/") {
            out.push(r["sharedKey"].as_str().unwrap().to_string());
        }
    }
    for (k, r) in w["gcloud"].as_object().unwrap() {
        if k.starts_with("vpn-tunnels/") {
            out.push(r["_secret"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn rotate_keys_gives_all_ten_tunnels_new_keys_with_one_tunnel_of_a_link_down_at_a_time() {
    let Some(l) = lab("rotate") else { return };
    apply(&l);
    let before = keys_of(&l);
    let from = seq(&l);
    let links: Vec<(String, Vec<String>)> =
        ["aws-azure", "gcp-azure", "aws-gcp"].iter().map(|x| (x.to_string(), link_tunnels(&l, x))).collect();
    assert_eq!(links.iter().map(|(_, t)| t.len()).sum::<usize>(), 10, "{links:?}");
    let r = l.run(&["rotate-keys", "--yes"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stderr.contains("Rotated 10 keys"), "{}", r.stderr);
    let after = keys_of(&l);
    assert_eq!(after.len(), 10, "no pending key left: {:?}", after.keys());
    for (name, k) in &after {
        assert_ne!(Some(k), before.get(name), "{name} kept its key");
        assert!(!r.all().contains(k.as_str()) && !l.log().contains(k.as_str()), "a key was shown");
    }
    let mut held = cloud_keys(&l);
    held.sort();
    let mut want: Vec<String> = after.values().flat_map(|k| [k.clone(), k.clone()]).collect();
    want.sort();
    assert_eq!(held, want, "both ends of every tunnel hold its new key");
    for (link, tunnels) in &links {
        let (most, drops) = most_down_at_once(&l, from, tunnels);
        assert!(most <= 1, "{link}: {most} tunnels down at once");
        assert!(drops >= tunnels.len(), "{link}: every tunnel changed keys ({drops} drops)");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(l.secrets_path()).unwrap().permissions().mode() & 0o777, 0o600);
    nothing_to_do(&l, "rotate-keys");
    let status = l.run(&["status"], &[]);
    assert!(status.stdout.contains("All 10 tunnels are up."), "{}", status.stdout);
    no_parser_rejections(&l);
}

#[test]
fn rotate_keys_killed_mid_tunnel_leaves_every_key_in_use_in_the_file_and_finishes_when_run_again() {
    let Some(l) = lab("rotatekill") else { return };
    apply(&l);
    let before = keys_of(&l);
    let from = seq(&l);
    // The stand-ins' calls of the first tunnel: preflight (3 logins, 3 versions are not counted), then
    // modify-vpn-tunnel-options on AWS: kill right after AWS took the new key.
    let r = l.run(&["rotate-keys", "--yes", "--tunnel", "aws-azure-t1"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let calls: Vec<Value> = l.calls().into_iter().filter(|c| c["n"].as_u64().unwrap_or(0) > from).collect();
    let modify = calls.iter().find(|c| c["cmd"] == "ec2 modify-vpn-tunnel-options").expect("AWS changed the key")["n"]
        .as_u64()
        .unwrap();
    // Again, from the start, killed after AWS's end changed.
    l.reset();
    std::fs::write(l.secrets_path(), before.iter().map(|(k, v)| format!("{k}='{v}'\n")).collect::<String>()).unwrap();
    apply(&l);
    let from2 = seq(&l);
    let at = (from2 + (modify - from)).to_string();
    let killed = l.run(&["rotate-keys", "--yes", "--tunnel", "aws-azure-t1"], &[("STANDIN_KILL_AT", at.as_str())]);
    assert_eq!(killed.code, None, "killed: {}", killed.all());
    let mid = keys_of(&l);
    assert_eq!(
        mid.get("PSK_AWS_AZURE_T1"),
        before.get("PSK_AWS_AZURE_T1"),
        "the old key stays until both ends have the new one"
    );
    let pending = mid.get("PSK_AWS_AZURE_T1_NEXT").expect("the new key is in the file before any end has it").clone();
    let held = cloud_keys(&l);
    assert!(held.contains(&pending), "AWS already holds the new key");
    for k in &held {
        assert!(mid.values().any(|v| v == k), "a cloud holds a key the file does not have");
    }
    let again = l.run(&["rotate-keys", "--yes", "--tunnel", "aws-azure-t1"], &[]);
    assert_eq!(again.code, Some(0), "{}", again.all());
    let end = keys_of(&l);
    assert_eq!(end.get("PSK_AWS_AZURE_T1"), Some(&pending), "the pending key was finished, not replaced by another");
    assert!(!end.contains_key("PSK_AWS_AZURE_T1_NEXT"));
    assert_eq!(cloud_keys(&l).iter().filter(|k| **k == pending).count(), 2);
}

#[test]
fn transit_gateway_plans_apply_show_nothing_to_do_and_destroy_to_nothing() {
    let Some(py) = require("python3 with jmespath (for the stand-in CLIs)", python()) else { return };
    for (preset, tag) in [(SEED, "tgw-bgp"), ("002-aws-vgw-to-azure-static", "tgw-static")] {
        let l = Lab::new(tag, preset, &["aws", "az", "gcloud"], &py);
        l.edit(|v| {
            let aws = v["sites"].as_array_mut().unwrap().iter_mut().find(|s| s["platform"] == "aws").unwrap();
            let asn = aws["gateway"]["asn"].clone();
            aws["gateway"] =
                if asn.is_null() { json!({"kind": "aws_tgw"}) } else { json!({"kind": "aws_tgw", "asn": asn}) };
        });
        let out = apply(&l);
        assert!(!out.contains("is not modelled"), "{out}");
        let live = l.inventory();
        assert!(live.iter().any(|r| r.starts_with("aws tgw ")), "{live:#?}");
        if preset != SEED {
            assert!(
                live.iter().any(|r| r.starts_with("aws tgw-rtb") && r.contains("routes=[\"\\\"")),
                "static routes in the TGW route table: {live:#?}"
            );
        }
        nothing_to_do(&l, tag);
        if preset != SEED {
            tgw_route_moved_by_hand(&l);
        }
        no_parser_rejections(&l);
        let d = l.run(&["destroy", "--yes"], &[]);
        assert_eq!(d.code, Some(0), "{}", d.all());
        assert_eq!(l.live(), Vec::<String>::new(), "{tag}: left after destroy");
    }
}

/// Someone runs a cloud's CLI by hand, in the lab's world (outside Tunnelsmith).
fn by_hand(l: &Lab, prog: &str, args: &[&str]) {
    let mut c = std::process::Command::new(l.bin.join(prog));
    c.args(args);
    for (k, v) in &l.env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{prog} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// A static transit gateway route pointed by hand at another attachment: `plan` shows the
/// attachment it has against the plan's (read back, not only found), `apply` puts it back.
fn tgw_route_moved_by_hand(l: &Lab) {
    let w = l.world();
    let aws: Vec<&Value> = w["aws"].as_object().unwrap().values().collect();
    let table = aws.iter().find(|r| r["_type"] == "tgw-rtb" && r["Routes"].as_array().is_some_and(|v| !v.is_empty()));
    let table = table.expect("a transit gateway route table with routes");
    let route = &table["Routes"][0];
    let (dest, planned) = (route["DestinationCidrBlock"].as_str().unwrap(), &route["TransitGatewayAttachments"][0]);
    let planned = planned["TransitGatewayAttachmentId"].as_str().unwrap();
    let other = aws
        .iter()
        .filter(|r| r["_type"] == "tgw-attach" && r["State"] != "deleted")
        .filter_map(|r| r["TransitGatewayAttachmentId"].as_str())
        .find(|a| *a != planned)
        .expect("a second attachment");
    let rtb = table["TransitGatewayRouteTableId"].as_str().unwrap();
    let at = ["--region", "us-east-1", "--transit-gateway-route-table-id", rtb, "--destination-cidr-block", dest];
    by_hand(l, "aws", &[&["ec2", "delete-transit-gateway-route"][..], &at].concat());
    by_hand(
        l,
        "aws",
        &[&["ec2", "create-transit-gateway-route"][..], &at, &["--transit-gateway-attachment-id", other]].concat(),
    );
    let p = l.run(&["plan"], &[]);
    let line = format!("--transit-gateway-attachment-id: {other} → {planned}");
    assert!(p.stdout.contains(&line), "plan lacks {line:?}:\n{}", p.stdout);
    assert!(p.stdout.contains("by: aws ec2 delete-transit-gateway-route"), "{}", p.stdout);
    apply(l);
    let w = l.world();
    let now = w["aws"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["TransitGatewayRouteTableId"] == rtb && r["_type"] == "tgw-rtb");
    let now = now.unwrap()["Routes"].as_array().unwrap().iter().find(|r| r["DestinationCidrBlock"] == dest).cloned();
    assert_eq!(now.unwrap()["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"], json!(planned));
    nothing_to_do(l, "transit gateway route set back");
}

#[test]
fn drift_outside_tunnelsmith_is_reported_by_status_and_plan_and_set_back_by_apply() {
    let Some(l) = lab("drift") else { return };
    apply(&l);
    let outside = |prog: &str, args: &[&str]| by_hand(&l, prog, args);
    // Someone deletes an Azure connection and weakens an AWS tunnel by hand.
    outside(
        "az",
        &[
            "network",
            "vpn-connection",
            "delete",
            "--resource-group",
            "multicloud-azure-rg",
            "--name",
            "multicloud-aws-azure-t2",
        ],
    );
    let st = l.state();
    let vpn = st["outputs"]["AWS_VPN_AWS_GCP_1"].as_str().unwrap().to_string();
    let ip = st["outputs"]["AWS_IP_AWS_GCP_T1"].as_str().unwrap().to_string();
    outside(
        "aws",
        &[
            "ec2",
            "modify-vpn-tunnel-options",
            "--region",
            "us-east-1",
            "--vpn-connection-id",
            &vpn,
            "--vpn-tunnel-outside-ip-address",
            &ip,
            "--tunnel-options",
            r#"{"Phase2LifetimeSeconds":900}"#,
        ],
    );
    // … and, in the same world, changes what each cloud's own show/describe/list returns: an
    // Azure connection's IPsec policy and a local network gateway's ASN, a Google BGP peer's ASN
    // and a firewall rule's source ranges; and removes a BGP peer and an AWS route.
    let rg = "multicloud-azure-rg";
    let conn = ["--resource-group", rg, "--connection-name", "multicloud-gcp-azure-t1"];
    outside("az", &[&["network", "vpn-connection", "ipsec-policy", "clear"][..], &conn[..]].concat());
    let policy = "--ike-encryption AES256 --ike-integrity SHA256 --dh-group ECP384 --ipsec-encryption AES256 \
                  --ipsec-integrity SHA256 --pfs-group ECP384 --sa-lifetime 27000 --sa-max-size 102400000";
    let add: Vec<&str> =
        ["network", "vpn-connection", "ipsec-policy", "add"].into_iter().chain(conn).chain(policy.split(' ')).collect();
    outside("az", &add);
    let lng = ["network", "local-gateway", "update", "--resource-group", rg, "--name", "multicloud-aws-azure-t3-lng"];
    outside("az", &[&lng[..], &["--asn", "65111"]].concat());
    let router = ["compute", "routers"];
    let at = ["multicloud-gcp-router", "--region", "us-east1", "--peer-name"];
    outside(
        "gcloud",
        &[&router[..], &["update-bgp-peer"], &at, &["multicloud-aws-gcp-t2-bgp", "--peer-asn", "65222"]].concat(),
    );
    outside("gcloud", &[&router[..], &["remove-bgp-peer"], &at, &["multicloud-aws-gcp-t3-bgp", "--quiet"]].concat());
    outside(
        "gcloud",
        &["compute", "firewall-rules", "update", "multicloud-gcp-from-peers", "--source-ranges", "0.0.0.0/0"],
    );
    let rt = st["outputs"]["AWS_ROUTE_TABLE_ID"].as_str().unwrap().to_string();
    outside(
        "aws",
        &[
            "ec2",
            "delete-route",
            "--region",
            "us-east-1",
            "--route-table-id",
            &rt,
            "--destination-cidr-block",
            "0.0.0.0/0",
        ],
    );
    // An Azure connection's DPD timeout and custom APIPA BGP addresses, another's BGP switched
    // off, and a Google tunnel deleted and made again by hand with IKEv1: settings that were only
    // checked for existence before (issue 21).
    let az_conn = ["network", "vpn-connection", "update", "--resource-group", rg, "--name"];
    outside(
        "az",
        &[
            &az_conn[..],
            &["multicloud-aws-azure-t4", "--set", "dpdTimeoutSeconds=10", "--set", "gatewayCustomBgpIpAddresses=[]"],
        ]
        .concat(),
    );
    outside("az", &[&az_conn[..], &["multicloud-gcp-azure-t2", "--enable-bgp", "false"]].concat());
    let tunnel = "multicloud-aws-gcp-t4";
    let was = l.world()["gcloud"][format!("vpn-tunnels/{tunnel}")].clone();
    outside("gcloud", &["compute", "vpn-tunnels", "delete", tunnel, "--region", "us-east1", "--quiet"]);
    let mut again: Vec<String> = ["beta", "compute", "vpn-tunnels", "create", tunnel].map(String::from).to_vec();
    for (k, v) in was.as_object().unwrap() {
        let skip =
            ["name", "kind", "selfLink", "status", "detailedStatus", "description", "shared-secret", "flags-file"];
        if !k.starts_with('_') && !skip.contains(&k.as_str()) {
            let v = if k == "ike-version" { "1".to_string() } else { v.as_str().unwrap().to_string() };
            again.extend([format!("--{k}"), v]);
        }
    }
    again.extend(["--shared-secret".to_string(), "typed-by-hand".to_string()]);
    outside("gcloud", &again.iter().map(String::as_str).collect::<Vec<_>>());
    // The Azure VPN gateway's ASN and instance 2's custom APIPA BGP addresses (issue 21: the
    // gateways' settings were only checked for existence before).
    outside(
        "az",
        &[
            "network",
            "vnet-gateway",
            "update",
            "--resource-group",
            rg,
            "--name",
            "multicloud-azure-gw",
            "--asn",
            "65111",
            "--set",
            r#"bgpSettings.bgpPeeringAddresses[1].customBgpIpAddresses=["169.254.22.99"]"#,
        ],
    );
    let status = l.run(&["status"], &[]);
    assert_eq!(status.code, Some(1), "{}", status.all());
    for line in [
        "azure/conn-set-aws-azure-t4: differs from the plan",
        "--set: dpdTimeoutSeconds=10 in the cloud, dpdTimeoutSeconds=",
        "--set#2: gatewayCustomBgpIpAddresses=[] in the cloud, gatewayCustomBgpIpAddresses=[{",
        "azure/conn-gcp-azure-t2: differs from the plan",
        "--enable-bgp: (none) in the cloud, (set) in the plan",
        "gcp/tunnel-aws-gcp-t4: differs from the plan",
        "--ike-version: 1 in the cloud, 2 in the plan",
        "--sa-lifetime: 27000 in the cloud, 10800 in the plan",
        "azure/lng-aws-azure-t3: differs from the plan",
        "--asn: 65111 in the cloud, 65002 in the plan",
        "gcp/bgp-aws-gcp-t2: differs from the plan",
        "--peer-asn: 65222 in the cloud, 65002 in the plan",
        "--source-ranges: 0.0.0.0/0 in the cloud, 192.168.0.0/16,172.16.0.0/16 in the plan",
        "gcp/bgp-aws-gcp-t3: what \"Add BGP peer",
        "aws/route-default: what \"",
        "azure/gateway: differs from the plan",
        "--asn: 65111 in the cloud, 65001 in the plan",
        "azure/gateway-apipa: differs from the plan",
        r#"bgpSettings.bgpPeeringAddresses[1].customBgpIpAddresses=["169.254.22.99"] in the cloud"#,
    ] {
        assert!(status.stdout.contains(line), "status lacks {line:?}:\n{}", status.stdout);
    }
    assert!(
        status.stdout.contains(
            "azure/conn-aws-azure-t2: VPN connection multicloud-aws-azure-t2 was deleted outside Tunnelsmith"
        ),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("--options.TunnelOptions[0].Phase2LifetimeSeconds: 900 in the cloud, 3600 in the plan"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("pre-shared keys are not read back"), "{}", status.stdout);
    let p = l.run(&["plan"], &[]);
    for line in [
        "+ azure/conn-aws-azure-t2",
        "~ aws/vpn-aws-gcp-1",
        "~ azure/policy-gcp-azure-t1",
        "--sa-lifetime: 27000 → 10800",
        "~ azure/lng-aws-azure-t3",
        "~ gcp/bgp-aws-gcp-t2",
        "--peer-asn: 65222 → 65002",
        "~ gcp/firewall",
        "+ gcp/bgp-aws-gcp-t3",
        "+ aws/route-default",
        "~ azure/conn-set-aws-azure-t4",
        "--set: dpdTimeoutSeconds=10 → dpdTimeoutSeconds=",
        "~ azure/conn-gcp-azure-t2",
        "--enable-bgp: (none) → (set)",
        "by: az network vpn-connection update",
        "-/+ gcp/tunnel-aws-gcp-t4",
        "--ike-version: 1 → 2",
        "a Cloud VPN tunnel cannot be changed",
        "~ azure/gateway",
        "--asn: 65111 → 65001",
        "by: az network vnet-gateway update",
        "~ azure/gateway-apipa",
    ] {
        assert!(p.stdout.contains(line), "plan lacks {line:?}:\n{}", p.stdout);
    }
    apply(&l);
    let w = l.world();
    let conn = |name: &str| w["az"][format!("{rg}/vpn-connection/{name}")].clone();
    assert_eq!(conn("multicloud-gcp-azure-t2")["enableBgp"], json!(true), "BGP is on again");
    assert_ne!(conn("multicloud-aws-azure-t4")["dpdTimeoutSeconds"], json!(10), "DPD is the plan's again");
    assert_eq!(conn("multicloud-aws-azure-t4")["gatewayCustomBgpIpAddresses"].as_array().map(Vec::len), Some(2));
    assert_eq!(w["gcloud"][format!("vpn-tunnels/{tunnel}")]["ike-version"], json!("2"), "the tunnel was made again");
    let gw = &w["az"][format!("{rg}/vnet-gateway/multicloud-azure-gw")]["bgpSettings"];
    assert_eq!(gw["asn"], json!(65001), "the gateway's ASN is the plan's again");
    let apipa = &gw["bgpPeeringAddresses"][1]["customBgpIpAddresses"];
    assert!(apipa.as_array().is_some_and(|a| !a.is_empty() && !a.contains(&json!("169.254.22.99"))), "{apipa}");
    nothing_to_do(&l, "drift set back");
    let status = l.run(&["status"], &[]);
    assert_eq!(status.code, Some(0), "{}", status.all());
    assert!(status.stdout.contains("No drift"), "{}", status.stdout);
    no_parser_rejections(&l);

    // An AWS customer gateway's ASN and a virtual private gateway's, which no EC2 operation
    // modifies (as if made again by hand with the same IDs): `status` and `plan` read them back
    // and say they are replaced, and why.
    let world = l.dir.join("world/world.json");
    let before = std::fs::read_to_string(&world).unwrap();
    let mut v: Value = serde_json::from_str(&before).unwrap();
    let cgw = st["outputs"]["AWS_CGW_GCP_1"].as_str().unwrap();
    let vgw = st["outputs"]["AWS_VGW_ID"].as_str().unwrap_or_default();
    for r in v["aws"].as_object_mut().unwrap().values_mut() {
        if r["CustomerGatewayId"] == cgw {
            r["BgpAsn"] = json!("65099");
        }
        if r["VpnGatewayId"] == vgw && r["_type"] == "vgw" {
            r["AmazonSideAsn"] = json!(64512);
        }
    }
    std::fs::write(&world, v.to_string()).unwrap();
    let status = l.run(&["status"], &[]);
    assert!(status.stdout.contains("--bgp-asn: 65099 in the cloud, 65003 in the plan"), "{}", status.stdout);
    assert!(status.stdout.contains("--amazon-side-asn: 64512 in the cloud, 65002 in the plan"), "{}", status.stdout);
    let p = l.run(&["plan"], &[]);
    for line in [
        "-/+ aws/cgw-gcp-1",
        "--bgp-asn: 65099 → 65003",
        "a customer gateway cannot be modified",
        "-/+ aws/gateway",
        "the Amazon-side ASN of a virtual private gateway cannot be changed",
    ] {
        assert!(p.stdout.contains(line), "plan lacks {line:?}:\n{}", p.stdout);
    }
    std::fs::write(&world, before).unwrap();
    nothing_to_do(&l, "gateways as planned again");

    // A run stopped after three steps acted and before it recorded them: the next apply finds
    // them by their checks. What they hold is not known to be the plan's: the local network
    // gateway (changed meanwhile), the connection and the customer gateway are read back (the
    // local gateway set back); a gateway public IP, whose settings are not read back, is named.
    outside("az", &[&lng[..], &["--asn", "65111"]].concat());
    let path = l.state_dir().join("state.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for id in ["azure/lng-aws-azure-t3", "azure/conn-aws-azure-t1", "aws/cgw-gcp-1", "azure/gw-ip-1"] {
        let st = v["steps"][id].as_object_mut().unwrap();
        st.remove("inputs");
        st.insert("status".into(), json!("unknown"));
    }
    std::fs::write(&path, v.to_string()).unwrap();
    apply(&l);
    let p = l.run(&["plan"], &[]);
    assert!(p.stdout.contains("~ azure/lng-aws-azure-t3") && p.stdout.contains("--asn: 65111 → 65002"), "{}", p.stdout);
    assert!(
        p.stdout.contains("azure/gw-ip-1: found in the cloud by apply")
            && !p.stdout.contains("aws/cgw-gcp-1: found in the cloud by apply")
            && !p.stdout.contains("azure/lng-aws-azure-t3: found in the cloud by apply")
            && !p.stdout.contains("azure/conn-aws-azure-t1: found in the cloud by apply"),
        "{}",
        p.stdout
    );
    apply(&l);
    nothing_to_do(&l, "found steps read back");
}
