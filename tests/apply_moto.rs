//! `tunnelsmith apply` with the real `aws` CLI against a local moto server (127.0.0.1, inside a
//! network namespace that has only loopback: `unshare -n`), Azure and Google Cloud on the
//! stand-ins (tests/standins/), dummy AWS credentials, `AWS_ENDPOINT_URL`.
//!
//! Seed 004: plan; apply with an answer lost after AWS created a VPN connection (the run fails,
//! the connection exists); apply again, which finds the connection with its check
//! (describe-vpn-connections by tag and state, against moto) instead of creating a second one;
//! plan shows nothing left; destroy; moto's describe-* calls show nothing of the plan left.
//! Seed 003 (strongSwan on EC2 to a VGW, all AWS): the appliance's security group, interface and
//! elastic IP in moto; its install without --ssh (the exact commands are printed), then with
//! --ssh through stand-in `ssh`/`scp` that log and copy locally.
//!
//! What moto lacks, and how it is handled: a shim `aws` (tests/standins/aws-moto) runs the real CLI and
//! - accepts `enable-vgw-route-propagation` and `create-vpn-connection-route` failing with
//!   moto's HTTP 500 "not implemented" (the CLI only sends a request after its own parameter
//!   validation passed), logging each, and the test checks the log and moto's own message;
//! - supplies a documentation address (198.51.100.x, stable per tunnel) when moto, which keeps
//!   no TunnelOptions, prints `None` for a tunnel's outside address;
//! - can lose the answer of one step after moto acted (`SHIM_LOSE_STEP`), to test the checks.
//!
//! The test re-runs itself inside `unshare -n` (an environment variable marks the inner run).

mod apply_support;

use apply_support::{python, require, tools_dir, which, Lab, Run};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INNER: &str = "TUNNELSMITH_APPLY_MOTO_INNER";

/// The `aws` shim around the real CLI talking to moto (shared with tests/cloud_tools.rs).
const AWS_SHIM: &str = include_str!("standins/aws-moto");

/// Stand-in OpenSSH: logs its argv; `scp` copies into `$SSH_REMOTE` (the "host"), `ssh` runs
/// nothing.
const SSH_STANDIN: &str = r#"#!/usr/bin/env bash
printf '%s\n' "$(basename "$0") $*" >>"$SSH_REMOTE.log"
if [[ "$(basename "$0")" == scp ]]; then
  args=()
  for a in "$@"; do [[ "$a" == -o || "$a" == BatchMode=yes || "$a" == -r ]] || args+=("$a"); done
  dest="${args[-1]#*:}"
  unset 'args[-1]'
  if [[ "$dest" == */ ]]; then mkdir -p "$SSH_REMOTE/$dest"; else mkdir -p "$(dirname "$SSH_REMOTE/$dest")"; fi
  cp -r "${args[@]}" "$SSH_REMOTE/$dest"
fi
"#;

fn real_aws() -> Option<PathBuf> {
    let t = tools_dir().join("bin/aws");
    if t.is_file() {
        Some(t)
    } else {
        which("aws")
    }
}

fn moto() -> Option<PathBuf> {
    let t = tools_dir().join("bin/moto_server");
    if t.is_file() {
        Some(t)
    } else {
        which("moto_server")
    }
}

#[test]
fn apply_against_moto_and_the_stand_ins() {
    if std::env::var(INNER).is_ok() {
        return;
    }
    let Some(_) = require("aws (PyPI awscli)", real_aws()) else { return };
    let Some(_) = require("moto_server (PyPI moto[server])", moto()) else { return };
    let Some(unshare) = require("unshare (util-linux)", which("unshare")) else { return };
    let Some(_) = require("ip (iproute2)", which("ip")) else { return };
    let Some(_) = require("python3 with jmespath", python()) else { return };
    let me = std::env::current_exe().unwrap();
    let o = Command::new(unshare)
        .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(me)
        .args(["--exact", "inner_moto_journey", "--nocapture", "--test-threads", "1"])
        .env(INNER, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    eprintln!("{text}");
    assert!(o.status.success(), "the moto journey failed (output above)");
    assert!(text.contains("1 passed"), "the inner test did not run");
}

/// moto on 127.0.0.1:5000, killed (by its process id) when dropped.
struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_moto(log: &Path) -> Moto {
    let child = Command::new(moto().unwrap())
        .args(["-H", "127.0.0.1", "-p", "5000"])
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::from(std::fs::File::options().append(true).open(log).unwrap()))
        .spawn()
        .unwrap();
    let m = Moto(child);
    let t0 = Instant::now();
    while TcpStream::connect("127.0.0.1:5000").is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    m
}

fn aws_lab(tag: &str, preset: &str, standins: &[&str]) -> Lab {
    let mut l = Lab::new(tag, preset, standins, &python().unwrap());
    let shim = l.bin.join("aws");
    std::fs::write(&shim, AWS_SHIM).unwrap();
    apply_support::chmod(&shim, 0o755);
    let shim_dir = l.dir.join("shim");
    std::fs::create_dir_all(&shim_dir).unwrap();
    for (k, v) in [
        ("REAL_AWS", real_aws().unwrap().display().to_string()),
        ("SHIM_LOG", shim_dir.join("log").display().to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ] {
        l.env.push((k.to_string(), v));
    }
    l
}

/// How many of the plan's resources moto still lists, per kind. The tag and state are also
/// filtered in the query: moto's describe-customer-gateways ignores both filters.
fn left_in_moto(l: &Lab, plan: &str, region: &str) -> Vec<(String, String)> {
    let tag = format!("Name=tag:tunnelsmith-plan,Values={plan}");
    let mine = format!("Tags[?Key=='tunnelsmith-plan' && Value=='{plan}']");
    let mut out = Vec::new();
    for (cmd, list) in [
        ("describe-vpcs", "Vpcs"),
        ("describe-subnets", "Subnets"),
        ("describe-internet-gateways", "InternetGateways"),
        ("describe-route-tables", "RouteTables"),
        ("describe-vpn-gateways", "VpnGateways"),
        ("describe-customer-gateways", "CustomerGateways"),
        ("describe-vpn-connections", "VpnConnections"),
        ("describe-security-groups", "SecurityGroups"),
        ("describe-network-interfaces", "NetworkInterfaces"),
        ("describe-addresses", "Addresses"),
    ] {
        // Deleted VPN gateways, customer gateways and connections stay listed as `deleted`.
        let q = format!("length({list}[?{mine} && (State == null || State != 'deleted')])");
        let mut c = Command::new(real_aws().unwrap());
        c.args(["ec2", cmd, "--region", region, "--filters", &tag, "--query", &q, "--output", "text"]);
        for (k, v) in &l.env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        let n = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert!(o.status.success(), "{cmd}: {}", String::from_utf8_lossy(&o.stderr));
        out.push((cmd.to_string(), n));
    }
    out
}

fn show(what: &str, r: &Run) {
    eprintln!("\n$ tunnelsmith {what}   (exit {:?})\n{}{}", r.code, r.stdout, r.stderr);
}

#[test]
fn inner_moto_journey() {
    if std::env::var(INNER).is_err() {
        return;
    }
    let work = std::env::temp_dir().join(format!("tunnelsmith-moto-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let moto_log = work.join("moto.log");
    let _moto = start_moto(&moto_log);

    // ---- seed 004: AWS in moto, Azure and Google Cloud on the stand-ins ----
    let l = aws_lab("moto004", "004-aws-azure-gcp-bgp", &["az", "gcloud"]);
    let lost = l.run(&["apply", "--yes"], &[("SHIM_LOSE_STEP", "aws/vpn-aws-azure-1")]);
    show("apply --yes   (the answer to aws/vpn-aws-azure-1 is lost after moto created it)", &lost);
    assert_eq!(lost.code, Some(1));
    assert!(lost.stderr.contains("aws/vpn-aws-azure-1 failed"), "{}", lost.stderr);
    let resumed = l.run(&["apply", "--yes"], &[]);
    show("apply --yes", &resumed);
    assert_eq!(resumed.code, Some(0));
    assert!(
        resumed.stderr.lines().any(|x| x.trim_start().starts_with("found") && x.contains("aws/vpn-aws-azure-1")),
        "the check found the connection moto had made"
    );
    let shim_log = std::fs::read_to_string(l.dir.join("shim/log")).unwrap();
    assert!(!shim_log.contains("fail "), "an AWS call failed:\n{shim_log}");
    assert_eq!(shim_log.matches("moto-unimplemented enable-vgw-route-propagation").count(), 1, "{shim_log}");
    let moto_text = std::fs::read_to_string(&moto_log).unwrap_or_default();
    assert!(moto_text.contains("The enable_vgw_route_propagation action has not been implemented"), "{moto_text}");
    // One VPN connection per connection step, no more: moto lists exactly four.
    let alive = left_in_moto(&l, "multicloud", "us-east-1");
    assert!(alive.contains(&("describe-vpn-connections".into(), "4".into())), "{alive:?}");
    let plan = l.run(&["plan"], &[]);
    show("plan", &plan);
    assert!(plan.stdout.contains("Nothing to do: all 98 steps are done"), "{}", plan.stdout);
    let status = l.run(&["status"], &[]);
    show("status   (moto keeps no tunnel telemetry: its ends read unknown)", &status);
    assert!(status.stdout.contains("link gcp-azure (BGP)"));
    let destroy = l.run(&["destroy", "--yes"], &[]);
    show("destroy --yes", &destroy);
    assert_eq!(destroy.code, Some(0));
    let left = left_in_moto(&l, "multicloud", "us-east-1");
    assert!(left.iter().all(|(_, n)| n == "0"), "moto still lists: {left:?}");
    assert!(l.live().is_empty(), "the stand-ins still hold {:?}", l.live());
    eprintln!("moto after destroy: {left:?}");

    // ---- seed 003: strongSwan on EC2 to a VGW, everything in moto ----
    let l = aws_lab("moto003", "003-strongswan-ec2-to-aws-vgw", &[]);
    for p in ["ssh", "scp"] {
        let f = l.bin.join(p);
        std::fs::write(&f, SSH_STANDIN).unwrap();
        apply_support::chmod(&f, 0o755);
    }
    let remote = l.dir.join("remote");
    let remote_s = remote.display().to_string();
    let by_hand = l.run(&["apply", "--yes"], &[]);
    show("apply --yes   (no --ssh: the appliance commands are printed)", &by_hand);
    assert_eq!(by_hand.code, Some(0));
    assert!(by_hand.stderr.contains("Appliance uswest: run these yourself"), "{}", by_hand.stderr);
    assert!(by_hand.stderr.contains("sudo bash tunnelsmith-cross-region/uswest/strongswan/install.sh"));
    let shim_log = std::fs::read_to_string(l.dir.join("shim/log")).unwrap();
    assert!(shim_log.contains("moto-unimplemented create-vpn-connection-route"), "{shim_log}");
    let ssh =
        l.run(&["apply", "--yes", "--ssh", "uswest=admin@appliance.example"], &[("SSH_REMOTE", remote_s.as_str())]);
    show("apply --yes --ssh uswest=admin@appliance.example", &ssh);
    assert_eq!(ssh.code, Some(0));
    let ssh_log = std::fs::read_to_string(format!("{remote_s}.log")).unwrap();
    assert!(ssh_log.contains("ssh -o BatchMode=yes admin@appliance.example"), "{ssh_log}");
    assert!(ssh_log.contains("bash tunnelsmith-cross-region/uswest/strongswan/install.sh"), "{ssh_log}");
    let bundle = remote.join("tunnelsmith-cross-region");
    // The host gets its own tunnels' keys beside its install script, and no other secrets file.
    let names = ["PSK_USWEST_EUWEST_T1", "PSK_USWEST_EUWEST_T2"];
    assert_eq!(
        std::fs::read_to_string(bundle.join("uswest/strongswan/secrets.env")).unwrap(),
        l.keys.subset(&names).to_env()
    );
    assert!(!bundle.join("secrets.env").exists(), "the whole secrets file reached the host");
    assert!(
        by_hand.stderr.contains("grep -e '^PSK_USWEST_EUWEST_T1=' -e '^PSK_USWEST_EUWEST_T2='"),
        "{}",
        by_hand.stderr
    );
    let outputs = std::fs::read_to_string(bundle.join("outputs.env")).unwrap();
    assert!(outputs.contains("EUWEST_IP_USWEST_EUWEST_T1=198.51.100."), "{outputs}");
    assert!(outputs.contains("USWEST_PUBLIC_IP="), "{outputs}");
    assert!(bundle.join("uswest/strongswan/install.sh").is_file());
    let destroy = l.run(&["destroy", "--yes"], &[]);
    show("destroy --yes", &destroy);
    assert_eq!(destroy.code, Some(0));
    for region in ["us-west-1", "eu-west-1"] {
        let left = left_in_moto(&l, "cross-region", region);
        assert!(left.iter().all(|(_, n)| n == "0"), "{region}: moto still lists {left:?}");
    }
    let _ = std::fs::remove_dir_all(&work);
}
