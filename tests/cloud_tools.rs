//! The generated cloud scripts against the real tools (issue 3):
//!
//! - every script of every preset passes `bash -n` and `shellcheck` with no finding at all
//!   (the create scripts, the teardown scripts, deploy.sh and teardown.sh);
//! - the real `aws` CLI runs every AWS script of every preset end to end against a local
//!   `moto_server`, inside a network namespace that has only loopback (`unshare -n`), then the
//!   site's teardown script, after which moto's `describe-*` calls find nothing the plan made;
//! - the real `az` and `gcloud` parsers accept every `az` / `gcloud` command line, creates and
//!   the teardown's deletes alike: without a
//!   login they reject bad arguments (unknown option, bad choice, missing required) with exit
//!   code 2 before they ask for a login, so seeing only the login error proves the arguments.
//!   They run inside `unshare -n` too, with telemetry off and a throwaway configuration folder.
//!
//! What moto cannot do, and how it is handled (the `aws` shim, tests/standins/aws-moto, logs every case and the
//! test checks the log, so nothing else can slip through):
//! - `create-vpn-connection-route` and `enable-vgw-route-propagation` are not implemented by
//!   moto (it answers HTTP 500 and logs "The … action has not been implemented"). The CLI only
//!   sends a request after its own parameter validation passed, so the shim accepts exactly
//!   these two operations failing that way, and the test checks moto's log names them.
//! - moto keeps no `TunnelOptions`, so the query for a tunnel's outside address prints `None`;
//!   the shim then supplies a documentation address (198.51.100.x) for that capture only.
//!
//! Values other clouds would provide (Azure and Google Cloud public addresses) come from a
//! prepared `outputs.env`. A missing tool fails the test under `TUNNELSMITH_REQUIRE_TOOLS=1`
//! (as `make test-cloud` sets) and is reported as skipped otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tunnelsmith::check::{analyze, Resolved};
use tunnelsmith::plan::Plan;
use tunnelsmith::presets::PRESETS;
use tunnelsmith::render::{render, RenderOptions};
use tunnelsmith::secrets::Secrets;
use tunnelsmith::steps::{steps, Program, Step};

/// Plans beyond the presets, so that every kind of cloud site is exercised: an AWS transit
/// gateway to a self-managed strongSwan, and appliances on an Azure VM and on Compute Engine
/// (in tests/fixtures/plans/).
const EXTRA: &[(&str, &str)] = &[
    ("tgw-onprem", include_str!("fixtures/plans/tgw-onprem.json")),
    ("vm-appliances", include_str!("fixtures/plans/vm-appliances.json")),
    // Issue 19: Azure ↔ Azure as VNet-to-VNet (`--vnet-gateway2`), HA VPN ↔ HA VPN
    // (`--peer-gcp-gateway`), and the instance and custom-BGP read-backs of an active-active gateway.
    ("pairings", include_str!("fixtures/plans/pairings.json")),
];

/// Every plan under test: the presets and the extra plans, each checked to have no errors.
fn plans() -> Vec<(String, Resolved)> {
    let mut out: Vec<(String, Resolved)> = PRESETS
        .iter()
        .map(|p| (p.id.to_string(), analyze(&p.plan())))
        .map(|(id, a)| {
            assert!(!a.has_errors(), "{id}: {:?}", a.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
            (id, a.resolved)
        })
        .collect();
    for (id, json) in EXTRA {
        let a = analyze(&Plan::from_json(json).expect("extra plan parses"));
        assert!(!a.has_errors(), "{id}: {:?}", a.findings.iter().filter(|f| f.is_error()).collect::<Vec<_>>());
        out.push((id.to_string(), a.resolved));
    }
    out
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The tool's path; `None` (after saying why) when it is missing and not required.
fn require(name: &str, why: &str) -> Option<PathBuf> {
    if std::env::var("TUNNELSMITH_SKIP_TOOLS").as_deref() == Ok("1") {
        eprintln!("skipped: {name} ({why}): real-tool suites run in `make test-cloud`");
        return None;
    }
    match find_tool(name) {
        Some(p) => Some(p),
        None if std::env::var("TUNNELSMITH_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("{name} is not installed ({why}); run `make bootstrap-cloud` (scripts/install-cloud-tools.sh)")
        }
        None => {
            eprintln!("skipped: {name} not installed ({why}); run `make bootstrap-cloud`");
            None
        }
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tunnelsmith-cloud-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Deterministic "random" bytes for the test keys.
fn secrets(r: &Resolved) -> Secrets {
    let mut n = 11u8;
    Secrets::generate(r, &mut |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_mul(29).wrapping_add(7);
            *x = n;
        }
    })
}

/// Write the bundle (scripts, secrets.env) into `dir`.
fn write_bundle(r: &Resolved, dir: &Path) -> Vec<String> {
    let mut scripts = Vec::new();
    for a in render(r, &RenderOptions::default()) {
        let f = dir.join(&a.path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, &a.text).unwrap();
        if a.path.ends_with(".sh") {
            scripts.push(a.path);
        }
    }
    std::fs::write(dir.join("secrets.env"), secrets(r).to_env()).unwrap();
    scripts
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn every_script_passes_bash_n_and_shellcheck() {
    let Some(shellcheck) = require("shellcheck", "Debian package shellcheck") else { return };
    let mut checked = 0;
    for (id, r) in plans() {
        let dir = temp_dir(&format!("lint-{id}"));
        let scripts = write_bundle(&r, &dir);
        assert!(!scripts.is_empty(), "{id}: no scripts");
        for s in &scripts {
            let o = Command::new("bash").arg("-n").arg(dir.join(s)).output().unwrap();
            assert!(o.status.success(), "{id}: bash -n {s}: {}", text(&o));
            let o = Command::new(&shellcheck).arg("--severity=style").arg(dir.join(s)).output().unwrap();
            assert!(o.status.success() && o.stdout.is_empty(), "{id}: shellcheck {s}:\n{}", text(&o));
            checked += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!("bash -n and shellcheck: {checked} scripts, no findings");
}

/// A plausible value for an output another cloud (or an earlier step) would capture.
fn fake(name: &str, n: usize) -> String {
    if name.contains("IPCONFIG") {
        format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw/ipConfigurations/vnetGatewayConfig{n}")
    } else if name.ends_with("_VPN_GW_URI") {
        "https://www.googleapis.com/compute/v1/projects/fake-project/regions/europe-west1/vpnGateways/gw".into()
    } else if name.ends_with("_GW_ID") {
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw".into()
    } else if name.ends_with("_IP") || name.contains("_IP_") {
        format!("203.0.113.{}", 10 + n)
    } else {
        format!("fake-{}", name.to_ascii_lowercase().replace('_', "-"))
    }
}

/// Every value the steps of `program` read, filled with plausible values; keys from secrets.
fn values(r: &Resolved, all: &[Step]) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    for (n, s) in all.iter().flat_map(|s| s.inputs()).enumerate() {
        v.entry(s.to_string()).or_insert_with(|| fake(s, n));
    }
    let keys = secrets(r);
    for name in keys.names() {
        v.insert(name.to_string(), keys.psk(name).unwrap().to_string());
    }
    v
}

/// The `aws` shim around the real CLI talking to moto (shared with tests/apply_moto.rs).
const AWS_SHIM: &str = include_str!("standins/aws-moto");

const AWS_DRIVER: &str = r#"set -euo pipefail
ip link set lo up
"$MOTO_SERVER" -H 127.0.0.1 -p 5000 >"$WORK/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then break; fi
  sleep 0.1
done
for script in "$@"; do
  bash "$BUNDLE/$script"
done
# Everything moto holds that carries the plan's tag, one line per kind: "<kind> <ids>".
tagged() {
  local region kind query
  for region in $REGIONS; do
    while read -r kind query; do
      printf '%s %s\n' "$kind" "$("$REAL_AWS" ec2 "describe-$kind" --region "$region" \
        --filters "Name=tag:tunnelsmith-plan,Values=$PLAN" --query "$query" --output text | tr '\t\n' '  ')"
    done <<'KINDS'
vpcs Vpcs[].VpcId
subnets Subnets[].SubnetId
internet-gateways InternetGateways[].InternetGatewayId
route-tables RouteTables[].RouteTableId
vpn-gateways VpnGateways[?State!='deleted'].VpnGatewayId
customer-gateways CustomerGateways[?State!='deleted'].CustomerGatewayId
vpn-connections VpnConnections[?State!='deleted'].VpnConnectionId
security-groups SecurityGroups[].GroupId
network-interfaces NetworkInterfaces[].NetworkInterfaceId
addresses Addresses[].AllocationId
transit-gateways TransitGateways[?State!='deleted'].TransitGatewayId
transit-gateway-vpc-attachments TransitGatewayVpcAttachments[?State!='deleted'].TransitGatewayAttachmentId
KINDS
  done
}
tagged >"$WORK/before.txt"
for script in $TEARDOWNS; do
  bash "$BUNDLE/$script" --yes >>"$WORK/teardown.log" 2>&1
done
tagged >"$WORK/after.txt"
"#;

#[test]
fn aws_scripts_run_end_to_end_against_moto() {
    let Some(aws) = require("aws", "PyPI awscli") else { return };
    let Some(moto) = require("moto_server", "PyPI moto[server]") else { return };
    let Some(unshare) = require("unshare", "util-linux, for a loopback-only network namespace") else { return };
    if require("ip", "iproute2, to bring up loopback in the namespace").is_none() {
        return;
    }
    let version = Command::new(&aws).arg("--version").output().unwrap();
    eprintln!("aws: {}", text(&version).trim());
    let mut commands = 0;
    for (id, r) in plans() {
        let all = steps(&r);
        let aws_steps: Vec<&Step> = all.iter().filter(|s| s.program == Program::Aws).collect();
        if aws_steps.is_empty() {
            continue;
        }
        let work = temp_dir(&format!("aws-{id}"));
        let bundle = work.join("bundle");
        std::fs::create_dir_all(&bundle).unwrap();
        let scripts = write_bundle(&r, &bundle);
        // The AWS scripts in run order; values other clouds capture come prepared.
        // Cloud scripts sit directly in aws/; an appliance's files (aws/vyos/install.sh when the
        // appliance site is itself named "aws") run on the appliance host, not from deploy.sh.
        let aws_scripts: Vec<&String> = scripts
            .iter()
            .filter(|s| s.strip_prefix("aws/").is_some_and(|rest| !rest.contains('/')) && !s.ends_with(".teardown.sh"))
            .collect();
        let teardowns: Vec<&String> =
            scripts.iter().filter(|s| s.starts_with("aws/") && s.ends_with(".teardown.sh")).collect();
        let mut regions: Vec<&str> = r
            .sites
            .iter()
            .filter(|s| s.platform == tunnelsmith::plan::Platform::Aws)
            .map(|s| s.region.as_str())
            .collect();
        regions.dedup();
        let order: Vec<String> = std::fs::read_to_string(bundle.join("deploy.sh"))
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().trim_end_matches(['\\', ';', ' ']).split_whitespace().last().map(String::from))
            .filter(|w| w.starts_with("aws/"))
            .collect();
        assert_eq!(order.len(), aws_scripts.len(), "{id}: deploy.sh lists every AWS script");
        let produced_by_aws: Vec<&str> =
            aws_steps.iter().filter_map(|s| s.capture.as_ref().map(|c| c.name.as_str())).collect();
        let mut prepared = String::new();
        for (n, name) in aws_steps.iter().flat_map(|s| s.inputs()).enumerate() {
            if !produced_by_aws.contains(&name) && !prepared.contains(&format!("{name}=")) {
                prepared.push_str(&format!("{name}={}\n", fake(name, n)));
            }
        }
        std::fs::write(bundle.join("outputs.env"), &prepared).unwrap();
        let shim_dir = work.join("shim");
        std::fs::create_dir_all(&shim_dir).unwrap();
        std::fs::write(shim_dir.join("aws"), AWS_SHIM).unwrap();
        std::fs::write(work.join("shim.log"), "").unwrap();
        std::fs::write(work.join("driver.sh"), AWS_DRIVER).unwrap();
        let chmod = Command::new("chmod").arg("755").arg(shim_dir.join("aws")).status().unwrap();
        assert!(chmod.success());
        let path = format!("{}:{}", shim_dir.display(), std::env::var("PATH").unwrap_or_default());
        let o = Command::new(&unshare)
            .args(["-n", "bash"])
            .arg(work.join("driver.sh"))
            .args(&order)
            .env("PATH", path)
            .env("WORK", &work)
            .env("BUNDLE", &bundle)
            .env("REAL_AWS", &aws)
            .env("MOTO_SERVER", &moto)
            .env("SHIM_LOG", work.join("shim.log"))
            .env("TEARDOWNS", teardowns.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .env("REGIONS", regions.join(" "))
            .env("PLAN", &r.plan_name)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        let log = std::fs::read_to_string(work.join("shim.log")).unwrap();
        let moto_log = std::fs::read_to_string(work.join("moto.log")).unwrap_or_default();
        assert!(o.status.success(), "{id}: the AWS scripts failed:\n{}\nshim log:\n{log}", text(&o));
        assert!(!log.contains("fail "), "{id}: a call failed:\n{log}");
        let out = text(&o);
        // Every step ran and printed itself.
        assert_eq!(out.matches("\n==> [aws/").count(), aws_steps.len(), "{id}:\n{out}");
        // One CLI call per step at least (a poll may call more than once).
        assert!(log.lines().count() >= aws_steps.len(), "{id}: fewer calls than steps:\n{log}");
        for op in ["create-vpn-connection-route", "enable-vgw-route-propagation"] {
            let expected = aws_steps.iter().filter(|s| s.args.get(1).map(|a| a.display()) == Some(op.into())).count();
            assert_eq!(log.matches(&format!("moto-unimplemented {op}")).count(), expected, "{id}: {op}:\n{log}");
            if expected > 0 {
                let action = op.replace('-', "_");
                assert!(
                    moto_log.contains(&format!("The {action} action has not been implemented")),
                    "{id}: moto's 500 for {op} was not its not-implemented error:\n{moto_log}"
                );
            }
        }
        // No key on a command line: the VPN connections' options came in private files.
        let argv = std::fs::read_to_string(work.join("shim.log.argv")).unwrap();
        for k in secrets(&r).values() {
            assert!(!argv.contains(k), "{id}: a key on an aws command line:\n{argv}");
        }
        let connections = aws_steps
            .iter()
            .filter(|s| s.args.get(1).map(|a| a.display()).as_deref() == Some("create-vpn-connection"))
            .count();
        assert_eq!(argv.matches("keyfile 600 create-vpn-connection").count(), connections, "{id}:\n{argv}");
        let outside = aws_steps
            .iter()
            .filter(|s| s.args.get(1).map(|a| a.display()).as_deref() == Some("describe-vpn-connections"))
            .count();
        assert_eq!(log.matches("fake-outside").count(), outside, "{id}: {log}");
        // Everything captured reached outputs.env for the next cloud (the create scripts printed
        // each value as they saved it; the teardown has since forgotten them).
        for name in &produced_by_aws {
            assert!(out.contains(&format!("    {name}=")), "{id}: {name} not saved");
        }
        // The teardown deleted everything the scripts made: moto's describe-* calls find none of it,
        // though they found it before (so the check sees what it looks for).
        let before = std::fs::read_to_string(work.join("before.txt")).unwrap();
        let after = std::fs::read_to_string(work.join("after.txt")).unwrap();
        let teardown = std::fs::read_to_string(work.join("teardown.log")).unwrap_or_default();
        let created: usize = all.iter().filter(|s| s.program == Program::Aws && s.creates.is_some()).count();
        assert!(
            ["vpcs vpc-", "subnets subnet-", "route-tables rtb-"].iter().all(|k| before.contains(k)),
            "{id}: before the teardown moto holds the plan's resources:\n{before}"
        );
        for line in after.lines() {
            assert!(
                line.split_whitespace().nth(1).is_none(),
                "{id}: left behind after the teardown: {line}\n{teardown}"
            );
        }
        let deleted: usize = teardown
            .lines()
            .filter_map(|l| l.split(": done: ").nth(1))
            .filter_map(|l| l.split(' ').next().and_then(|n| n.parse::<usize>().ok()))
            .sum();
        assert_eq!(deleted, created, "{id}: every resource the scripts created was deleted:\n{teardown}");
        let outputs = std::fs::read_to_string(bundle.join("outputs.env")).unwrap();
        for name in &produced_by_aws {
            assert!(!outputs.contains(&format!("{name}=")), "{id}: {name} still in outputs.env after the teardown");
        }
        commands += aws_steps.len();
        eprintln!(
            "aws+moto {id}: {} steps ran ({} accepted by the CLI and left unimplemented by moto); the teardown deleted {deleted} resources and moto holds none of them",
            aws_steps.len(),
            log.matches("moto-unimplemented").count()
        );
        let _ = std::fs::remove_dir_all(&work);
    }
    eprintln!("aws+moto: {commands} AWS steps ran end to end");
}

/// Run every command line of `program` through its real parser inside `unshare -n`; each must
/// fail only for want of a login.
fn parser_check(program: Program, tool: &Path, env: &[(&str, String)], login_error: &str) -> usize {
    let unshare = find_tool("unshare").expect("unshare (util-linux)");
    let mut checked = 0;
    let mut failures = Vec::new();
    // Values a CLI reads from a file (keys: az @FILE, gcloud --flags-file) go in files here, as
    // the scripts and the executor pass them, so the parser reads them as it would for real.
    let files = temp_dir("argfiles");
    for (id, r) in plans() {
        let all = steps(&r);
        let v = values(&r, &all);
        // Each step's own command line, and the teardown's delete of what it creates.
        let lines = all.iter().filter(|s| s.program == program).flat_map(|s| {
            let delete = s.creates.as_ref().map(|c| (format!("{} (teardown)", s.id), c.delete[1..].to_vec()));
            std::iter::once((s.id.clone(), s.args.clone())).chain(delete)
        });
        for (step_id, step_args) in lines {
            let args: Vec<String> = step_args
                .iter()
                .enumerate()
                .map(|(i, a)| match a.file_scheme() {
                    Some(scheme) => {
                        let f = files.join(format!("{checked}-{i}"));
                        std::fs::write(&f, a.fill(&v)).unwrap();
                        format!("{scheme}{}", f.display())
                    }
                    None => a.fill(&v),
                })
                .collect();
            let o = Command::new(&unshare)
                .arg("-n")
                .arg(tool)
                .args(&args)
                .envs(env.iter().map(|(k, v)| (*k, v)))
                .output()
                .unwrap();
            let out = text(&o);
            if o.status.code() != Some(1) || !out.contains(login_error) {
                failures.push(format!(
                    "{id} {step_id}: exit {:?}\n  {}\n  {}",
                    o.status.code(),
                    args.join(" "),
                    out.trim()
                ));
            }
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&files);
    assert!(failures.is_empty(), "{} of {checked} command lines rejected:\n{}", failures.len(), failures.join("\n"));
    checked
}

#[test]
fn az_accepts_every_command_line() {
    let Some(az) = require("az", "PyPI azure-cli") else { return };
    if require("unshare", "util-linux").is_none() {
        return;
    }
    let config = temp_dir("azconfig");
    let env = [
        ("AZURE_CONFIG_DIR", config.display().to_string()),
        ("AZURE_CORE_COLLECT_TELEMETRY", "0".into()),
        ("AZURE_CORE_NO_COLOR", "1".into()),
        ("AZURE_CORE_ONLY_SHOW_ERRORS", "1".into()),
    ];
    let version = Command::new(&az)
        .arg("version")
        .arg("--output")
        .arg("tsv")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    eprintln!("az: {}", text(&version).lines().next().unwrap_or("").trim());
    let n = parser_check(Program::Az, &az, &env, "Please run 'az login' to setup account.");
    eprintln!("az: {n} command lines accepted (only the login error)");
    let _ = std::fs::remove_dir_all(&config);
}

#[test]
fn gcloud_accepts_every_command_line() {
    let Some(gcloud) = require("gcloud", "Google Cloud CLI; no registry here ships it, the machine image may") else {
        return;
    };
    if require("unshare", "util-linux").is_none() {
        return;
    }
    let config = temp_dir("gcloudconfig");
    let env = [
        ("CLOUDSDK_CONFIG", config.display().to_string()),
        ("CLOUDSDK_CORE_DISABLE_PROMPTS", "1".into()),
        ("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true".into()),
        ("CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true".into()),
    ];
    let n = parser_check(Program::Gcloud, &gcloud, &env, "You do not currently have an active account selected");
    eprintln!("gcloud: {n} command lines accepted (only the login error)");
    let _ = std::fs::remove_dir_all(&config);
}
