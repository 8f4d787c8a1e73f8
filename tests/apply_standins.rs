//! `tunnelsmith plan | apply | status | destroy` against stand-in `aws`, `az` and `gcloud`
//! (tests/standins/standin.py): executables on PATH that check every argv against the options
//! recorded from the real CLIs' help (tests/standins/options.json), keep a small persistent
//! world, answer with JSON shaped like the real output, and can be told to be slow, to fail at
//! a step, to lose an answer, or to throttle.
//!
//! Seed 004 (AWS, Azure, Google Cloud, BGP full mesh: 98 steps) throughout:
//! - the journey: apply, plan (nothing left), status (all up), destroy (nothing left), with no
//!   key in the log, the state or the terminal, and every stand-in call accepted by the parser;
//! - faults: for every step, fail there, then resume: the end is the same as an uninterrupted
//!   run, every resource created exactly once; SIGKILL mid-apply at three moments, then resume:
//!   the same; an answer lost after the cloud acted is found by the step's check, not re-created;
//!   throttling is retried; a second apply on the same state is refused while one runs;
//! - preflight: a missing, too old or logged-out CLI stops apply before anything changes.
//!
//! Needs Python with jmespath (the AWS CLI's virtualenv has it): `make bootstrap-cloud`.

mod apply_support;

use apply_support::{python, require, step_ids, wait_ids, Lab};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const SEED: &str = "004-aws-azure-gcp-bgp";

fn lab(tag: &str) -> Option<Lab> {
    let py = require("python3 with jmespath (for the stand-in CLIs)", python())?;
    Some(Lab::new(tag, SEED, &["aws", "az", "gcloud"], &py))
}

/// The end state that matters: what exists in the clouds, and what the state captured.
fn end_state(l: &Lab) -> (Vec<String>, serde_json::Value) {
    let mut live = l.live();
    live.sort();
    (live, l.state()["outputs"].clone())
}

fn assert_once(l: &Lab, what: &str) {
    let twice: BTreeMap<String, u64> = l.creations().into_iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "{what}: created more than once: {twice:?}");
}

fn assert_all_done(l: &Lab, what: &str) {
    let st = l.state();
    let steps = st["steps"].as_object().unwrap();
    for id in step_ids(SEED) {
        assert_eq!(steps.get(&id).and_then(|s| s["status"].as_str()), Some("done"), "{what}: {id} not done");
    }
}

#[test]
fn journey_apply_plan_status_destroy_with_no_key_anywhere() {
    let Some(l) = lab("journey") else { return };
    let before = l.run(&["plan"], &[]);
    assert_eq!(before.code, Some(0), "{}", before.all());
    assert!(before.stdout.contains("98 to run (46 create a resource), 0 done"), "{}", before.stdout);
    assert!(before.stdout.contains("Phase 1: azure (Azure, eastus), part 1 of 2"), "{}", before.stdout);

    let apply = l.run(&["apply", "--yes", "--jobs", "8"], &[]);
    assert_eq!(apply.code, Some(0), "{}", apply.all());
    assert!(apply.stderr.contains("Applied plan 'multicloud': 98 steps done this run"), "{}", apply.stderr);
    // Plain lines off a terminal: one per start and end, each end followed by the summary.
    assert_eq!(apply.stderr.matches("\n  start ").count(), 98, "{}", apply.stderr);
    assert!(apply.stderr.contains("98 done · 0 running · 0 left"), "{}", apply.stderr);
    assert_all_done(&l, "apply");
    assert_once(&l, "apply");
    // Captured values crossed clouds: Azure's local gateways point at AWS's tunnel addresses.
    let w = l.world();
    let outputs = l.state()["outputs"].clone();
    let aws_ip = outputs["AWS_IP_AWS_AZURE_T1"].as_str().unwrap().to_string();
    let lng = &w["az"]["multicloud-azure-rg/local-gateway/multicloud-aws-azure-t1-lng"];
    assert_eq!(lng["gatewayIpAddress"].as_str(), Some(aws_ip.as_str()));
    // Every call passed the recorded parser (exit 2 is a parser rejection).
    let rejected: Vec<_> = l.calls().into_iter().filter(|c| c["exit"] == 2).collect();
    assert!(rejected.is_empty(), "argv rejected by the recorded options: {rejected:?}");

    let again = l.run(&["plan"], &[]);
    assert!(again.stdout.contains("Nothing to do: all 98 steps are done"), "{}", again.stdout);
    let noop = l.run(&["apply", "--yes"], &[]);
    assert_eq!(noop.code, Some(0));
    assert!(noop.stderr.contains("Nothing to do"), "{}", noop.stderr);

    let status = l.run(&["status"], &[]);
    assert_eq!(status.code, Some(0), "{}", status.all());
    assert!(status.stdout.contains("All 10 tunnels are up."), "{}", status.stdout);
    assert!(status.stdout.contains("link aws-azure (BGP)"), "{}", status.stdout);

    let destroy = l.run(&["destroy", "--yes"], &[]);
    assert_eq!(destroy.code, Some(0), "{}", destroy.all());
    assert!(destroy.stderr.contains("46 resources deleted"), "{}", destroy.stderr);
    assert_eq!(l.live(), Vec::<String>::new(), "the stand-in clouds still hold resources");
    let st = l.state();
    assert!(st["created"].as_array().unwrap().iter().all(|c| c["deleted"].is_string()));
    let again = l.run(&["destroy", "--yes"], &[]);
    assert!(again.stderr.contains("Nothing to destroy"), "{}", again.stderr);

    // The keys reached the clouds, and nothing of ours shows them.
    let world = std::fs::read_to_string(l.dir.join("world/calls.log")).unwrap();
    let state = std::fs::read_to_string(l.state_dir().join("state.json")).unwrap();
    let log = l.log();
    let terminal = [&before, &apply, &again, &status, &destroy].iter().map(|r| r.all()).collect::<String>();
    let mut keys = 0;
    for k in l.keys.values() {
        assert!(world.contains(k), "the key never reached a cloud");
        for (name, text) in [("apply.log", &log), ("state.json", &state), ("the terminal", &terminal)] {
            assert!(!text.contains(k), "a pre-shared key appears in {name}");
        }
        keys += 1;
    }
    assert_eq!(keys, 10);
    assert!(log.contains("--shared-key '@<file: ${PSK_AWS_AZURE_T1}>'"), "the log names keys, never shows them");
    // Keys never on a command line (where /proc/*/cmdline shows them to every local user): the
    // CLIs read them from files only the user could read, gone after the call.
    let mut from_files = 0;
    for line in world.lines() {
        let call: serde_json::Value = serde_json::from_str(line).unwrap();
        let argv = call["argv"].to_string();
        for k in l.keys.values() {
            assert!(!argv.contains(k), "a key on the command line of {}: {argv}", call["prog"]);
        }
        for f in call["from_files"].as_array().into_iter().flatten() {
            assert_eq!(f[1], "0o600", "{f}");
            assert!(!std::path::Path::new(f[0].as_str().unwrap()).exists(), "{f} left behind");
            from_files += 1;
        }
    }
    assert!(from_files >= 6, "only {from_files} values came from files");
}

#[test]
fn failing_at_every_step_then_resuming_ends_like_an_uninterrupted_run() {
    let Some(l) = lab("baseline") else { return };
    let r = l.run(&["apply", "--yes"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let baseline = end_state(&l);
    drop(l);
    let ids = step_ids(SEED);
    // Every wait of the plan (gateways, Azure's APIPA read-backs, …), taken from the steps.
    let waits = wait_ids(SEED);
    assert!(waits.contains(&"azure/gateway-ready".to_string()) && waits.len() > 2, "{waits:?}");
    let py = python().unwrap();
    let t0 = Instant::now();
    // Two at a time (two cores), each in its own folder.
    let chunks: Vec<Vec<(usize, String)>> = {
        let all: Vec<(usize, String)> = ids.iter().cloned().enumerate().collect();
        vec![
            all.iter().filter(|(i, _)| i % 2 == 0).cloned().collect(),
            all.iter().filter(|(i, _)| i % 2 == 1).cloned().collect(),
        ]
    };
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .enumerate()
            .map(|(w, chunk)| {
                let baseline = &baseline;
                let py = &py;
                let waits = &waits;
                s.spawn(move || {
                    let l = Lab::new(&format!("fault{w}"), SEED, &["aws", "az", "gcloud"], py);
                    let mut bad = Vec::new();
                    for (k, id) in chunk {
                        l.reset();
                        let failed = l.run(&["apply", "--yes"], &[("STANDIN_FAIL_STEP", id.as_str())]);
                        let said = format!("{id} failed: ");
                        let calls = || {
                            let c = l.calls();
                            c[c.len().saturating_sub(8)..].iter().map(|x| x.to_string()).collect::<Vec<_>>().join("\n")
                        };
                        if waits.contains(id) {
                            // A wait tolerates one failed look (it keeps looking): no failure.
                            if failed.code != Some(0) || !l.log().contains("look 1 of 3 failed") {
                                bad.push(format!(
                                    "step {} {id} (a wait): {}\n{}",
                                    k + 1,
                                    tail(&failed.stderr),
                                    calls()
                                ));
                            }
                        } else if failed.code != Some(1) || !failed.stderr.contains(&said) {
                            bad.push(format!(
                                "step {} {id}: the failing run said:\n{}\n{}",
                                k + 1,
                                tail(&failed.stderr),
                                calls()
                            ));
                            continue;
                        }
                        let resumed = l.run(&["apply", "--yes"], &[]);
                        if resumed.code != Some(0) {
                            bad.push(format!("step {} {id}: resume failed:\n{}", k + 1, tail(&resumed.stderr)));
                            continue;
                        }
                        if end_state(&l) != *baseline {
                            bad.push(format!("step {} {id}: end state differs", k + 1));
                        }
                        let twice: Vec<_> = l.creations().into_iter().filter(|(_, n)| *n != 1).collect();
                        if !twice.is_empty() {
                            bad.push(format!("step {} {id}: created twice: {twice:?}", k + 1));
                        }
                    }
                    bad
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    eprintln!("fault matrix: {} steps failed and resumed in {:.0}s", ids.len(), t0.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} of {} steps:\n{}", failures.len(), ids.len(), failures.join("\n"));
}

/// The end of a run's terminal output, where it says how it ended (the progress lines before
/// it are long and CI shortens long output from the middle).
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|x| !x.contains(" running · ")).collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

#[test]
fn a_wait_that_never_gets_there_gives_up_after_its_timeout_and_three_looks() {
    let Some(l) = lab("stuck") else { return };
    // The Azure gateway stays Updating for an hour; the wait's 90 minutes are scaled to half a
    // second, less than three looks of the stand-in take: the timeout alone would end it early.
    let r = l.run(&["apply", "--yes"], &[("STANDIN_GATEWAY_SECS", "3600"), ("TUNNELSMITH_TIME_SCALE", "0.0001")]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    let looks = l.calls().into_iter().filter(|c| c["step"] == "azure/gateway-ready").count();
    assert!(looks >= 3, "gave up after {looks} looks:\n{}", tail(&r.stderr));
    assert!(
        r.stderr.contains("azure/gateway-ready failed: still Updating after")
            && r.stderr.contains(&format!("and {looks} looks; run apply again to keep waiting")),
        "{}",
        tail(&r.stderr)
    );
}

#[test]
fn sigkill_mid_apply_then_resume_creates_nothing_twice() {
    let Some(l) = lab("kill") else { return };
    let r = l.run(&["apply", "--yes"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let baseline = end_state(&l);
    for after_ms in [1500u64, 3000, 5000] {
        l.reset();
        let mut child = l.spawn(&["apply", "--yes", "--jobs", "4"], &[("STANDIN_DELAY", "0.25")]);
        std::thread::sleep(Duration::from_millis(after_ms));
        let killed = child.kill(); // SIGKILL
        let _ = child.wait();
        assert!(killed.is_ok());
        let st = l.state();
        let steps = st["steps"].as_object().cloned().unwrap_or_default();
        let running: Vec<String> =
            steps.iter().filter(|(_, v)| v["status"] == "running").map(|(k, _)| k.clone()).collect();
        let done = steps.values().filter(|v| v["status"] == "done").count();
        let resumed = l.run(&["apply", "--yes"], &[]);
        assert_eq!(resumed.code, Some(0), "killed after {after_ms} ms: {}", resumed.stderr);
        assert!(
            running.is_empty() || resumed.stderr.contains("to check against the cloud first"),
            "{}",
            resumed.stderr
        );
        assert_eq!(end_state(&l), baseline, "killed after {after_ms} ms");
        assert_once(&l, &format!("killed after {after_ms} ms"));
        eprintln!(
            "SIGKILL after {after_ms} ms: {done} steps done, {} running ({}); resumed: {}",
            running.len(),
            running.join(", "),
            resumed.stderr.lines().rev().find(|x| x.contains("Applied")).unwrap_or("")
        );
    }
}

/// Send `sig` (`INT`, `TERM`, `HUP`) to a process, as a terminal or a service manager would.
fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().unwrap();
    assert!(ok.success(), "kill -{sig} {pid}");
}

/// Start a slow apply, let it get going, and return it with its stderr piped.
fn slow_apply(l: &Lab) -> std::process::Child {
    let child = l
        .command(&["apply", "--yes", "--jobs", "4"], &[("STANDIN_DELAY", "0.4")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while l.calls().len() < 8 {
        assert!(t0.elapsed() < Duration::from_secs(60), "the apply never got going");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn ctrl_c_once_lets_running_commands_finish_twice_stops_them_and_apply_resumes_either_way() {
    let Some(l) = lab("interrupt") else { return };
    let r = l.run(&["apply", "--yes"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let baseline = end_state(&l);
    // Once (SIGINT, then the same with SIGTERM and SIGHUP): no new step starts, the running
    // commands finish and are recorded; exit 130; nothing is left running or unknown.
    for sig in ["INT", "TERM", "HUP"] {
        l.reset();
        let child = slow_apply(&l);
        signal(child.id(), sig);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "SIG{sig}: {err}");
        assert!(err.contains("Interrupted: no new step will start"), "SIG{sig}: {err}");
        assert!(err.contains("run `tunnelsmith apply") && err.contains("to continue"), "SIG{sig}: {err}");
        let st = l.state();
        let left: Vec<_> = st["steps"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v["status"] != "done")
            .map(|(k, v)| format!("{k}: {}", v["status"]))
            .collect();
        assert!(left.is_empty(), "SIG{sig}: a step left not done: {left:?}");
        if sig != "INT" {
            continue; // the same path from here on
        }
        let resumed = l.run(&["apply", "--yes"], &[]);
        assert_eq!(resumed.code, Some(0), "SIG{sig}: {}", resumed.stderr);
        assert_eq!(end_state(&l), baseline, "SIG{sig}");
        assert_once(&l, &format!("SIG{sig}"));
    }
    // Twice: the running commands are stopped, recorded as unknown, and checked on the next run.
    l.reset();
    let child = slow_apply(&l);
    signal(child.id(), "INT");
    std::thread::sleep(Duration::from_millis(100));
    signal(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("Stopping the running commands now"), "{err}");
    let resumed = l.run(&["apply", "--yes"], &[]);
    assert_eq!(resumed.code, Some(0), "{}", resumed.stderr);
    assert_eq!(end_state(&l), baseline, "after two Ctrl-C");
    assert_once(&l, "after two Ctrl-C");
}

#[test]
fn a_lost_answer_is_found_by_the_check_and_not_created_again() {
    let Some(l) = lab("lost") else { return };
    for id in ["aws/vpn-aws-azure-1", "azure/gateway", "gcp/tunnel-gcp-azure-t1", "azure/policy-aws-azure-t2"] {
        l.reset();
        let first = l.run(&["apply", "--yes"], &[("STANDIN_FAIL_AFTER_STEP", id)]);
        assert_eq!(first.code, Some(1), "{id}: {}", first.stderr);
        assert!(first.stderr.contains("simulated lost answer"), "{id}: {}", first.stderr);
        let resumed = l.run(&["apply", "--yes"], &[]);
        assert_eq!(resumed.code, Some(0), "{id}: {}", resumed.stderr);
        assert!(resumed.stderr.contains("1 to check against the cloud first"), "{id}: {}", resumed.stderr);
        assert!(
            resumed.stderr.lines().any(|x| x.trim_start().starts_with("found") && x.contains(id)),
            "{id}: {}",
            resumed.stderr
        );
        assert_once(&l, id);
        assert_all_done(&l, id);
    }
}

#[test]
fn throttling_is_retried_with_back_off() {
    let Some(l) = lab("throttle") else { return };
    let r = l.run(&["apply", "--yes"], &[("STANDIN_THROTTLE_STEP", "aws/vpc:2"), ("TUNNELSMITH_TIME_SCALE", "0.05")]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let calls = l.calls().into_iter().filter(|c| c["step"] == "aws/vpc").count();
    assert_eq!(calls, 3, "two throttled answers, then the call that worked");
    assert_eq!(l.log().matches("throttled: retrying").count(), 2, "{}", l.log());
    assert_once(&l, "throttled");
}

#[test]
fn a_second_apply_on_the_same_state_is_refused_while_one_runs() {
    let Some(l) = lab("lock") else { return };
    let mut first = l
        .command(&["apply", "--yes"], &[("STANDIN_DELAY", "0.2")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lock = l.state_dir().join("lock");
    let t0 = Instant::now();
    while !std::fs::read_to_string(&lock).unwrap_or_default().contains("tunnelsmith apply") {
        assert!(t0.elapsed() < Duration::from_secs(30), "the first apply never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = l.run(&["apply", "--yes"], &[]);
    assert_eq!(second.code, Some(2), "{}", second.all());
    assert!(
        second.stderr.contains(&format!("tunnelsmith apply (pid {}", first.id()))
            && second.stderr.contains("is using the state in")
            && second.stderr.contains("wait for it to finish"),
        "{}",
        second.stderr
    );
    let destroy = l.run(&["destroy", "--yes"], &[]);
    assert_eq!(destroy.code, Some(2), "destroy is refused too: {}", destroy.all());
    let status = first.wait().unwrap();
    assert!(status.success(), "the first apply went on undisturbed");
    assert_once(&l, "lock");
}

#[test]
fn missing_old_or_logged_out_clis_stop_apply_before_anything_changes() {
    let Some(py) = require("python3 with jmespath (for the stand-in CLIs)", python()) else { return };
    let nothing = |l: &Lab, what: &str| assert!(l.creations().is_empty(), "{what}: something was created");
    // No gcloud anywhere on PATH.
    let mut narrow = Lab::new("preflight-path", SEED, &["aws", "az"], &py);
    narrow.path_rest = "/nonexistent".into();
    let r = narrow.run(&["apply", "--yes"], &[]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.stderr.contains("gcloud is not on PATH; the plan needs it"), "{}", r.stderr);
    assert!(r.stderr.contains("Nothing was changed."), "{}", r.stderr);
    nothing(&narrow, "missing gcloud");
    let l = Lab::new("preflight", SEED, &["aws", "az", "gcloud"], &py);
    let r = l.run(&["apply", "--yes"], &[("STANDIN_VERSION_AZ", "2.40.0")]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(
        r.stderr.contains("az 2.40.0") && r.stderr.contains("is too old: the commands need 2.50.0 or later"),
        "{}",
        r.stderr
    );
    nothing(&l, "old az");
    let r = l.run(&["apply", "--yes"], &[("STANDIN_LOGGED_OUT", "az")]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.stderr.contains("az is not logged in") && r.stderr.contains("run az login"), "{}", r.stderr);
    let r = l.run(&["apply", "--yes"], &[("STANDIN_LOGGED_OUT", "gcloud")]);
    assert!(r.stderr.contains("gcloud is not logged in") && r.stderr.contains("gcloud auth login"), "{}", r.stderr);
    // An account without a project: the steps name no project, so this stops apply too.
    let r = l.run(&["apply", "--yes"], &[("STANDIN_NO_PROJECT", "1")]);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(
        r.stderr.contains("gcloud has an account (standin@example.com) but no project")
            && r.stderr.contains("gcloud config set project PROJECT"),
        "{}",
        r.stderr
    );
    nothing(&l, "logged out");
    // Without --yes and without a terminal to ask on, nothing happens either.
    let r = l.run(&["apply"], &[]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("pass --yes"), "{}", r.stderr);
    nothing(&l, "not confirmed");
}

#[test]
fn a_plan_with_errors_is_refused() {
    let Some(l) = lab("errors") else { return };
    let text = std::fs::read_to_string(&l.plan).unwrap().replace("10.0.1.0/24", "172.16.1.0/24");
    std::fs::write(&l.plan, text).unwrap();
    let r = l.run(&["apply", "--yes"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.stderr.contains("error") && r.stderr.contains("nothing was run"), "{}", r.stderr);
    assert!(l.calls().is_empty(), "no CLI was called");
}

#[test]
fn destroy_after_a_killed_apply_removes_what_it_had_started_too() {
    let Some(l) = lab("kill-destroy") else { return };
    let mut child = l.spawn(&["apply", "--yes", "--jobs", "4"], &[("STANDIN_DELAY", "0.25")]);
    std::thread::sleep(Duration::from_millis(3000));
    child.kill().unwrap();
    let _ = child.wait();
    // The commands it left running finish on their own (they run in their own process group).
    std::thread::sleep(Duration::from_millis(800));
    assert!(!l.live().is_empty(), "the killed apply created something");
    let destroy = l.run(&["destroy", "--yes"], &[]);
    assert_eq!(destroy.code, Some(0), "{}", destroy.all());
    assert_eq!(l.live(), Vec::<String>::new(), "left behind:\n{}", destroy.stderr);
    assert_once(&l, "kill then destroy");
}
