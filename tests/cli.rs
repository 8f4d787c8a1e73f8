//! The `tunnelsmith` binary as a user runs it: exit codes, text and JSON output, errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tunnelsmith"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tunnelsmith runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tunnelsmith-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_clean_preset_exits_zero() {
    let out = run(&["check", example("004-aws-azure-gcp-bgp.json").to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    let text = s(&out.stdout);
    assert!(text.contains("multicloud: ok: 0 errors, 0 warnings"), "{text}");
    assert!(text.contains("I_CRYPTO_PROFILE"));
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal");
}

#[test]
fn a_plan_with_errors_exits_one_and_names_the_field() {
    let plan = std::fs::read_to_string(example("002-aws-vgw-to-azure-static.json"))
        .unwrap()
        .replace("10.2.0.0/16", "10.1.0.0/16");
    let p = temp_file("overlap.json", &plan);
    let out = run(&["check", "--quiet", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let text = s(&out.stdout);
    assert!(text.contains("E_CIDR_OVERLAP sites[1].address_spaces[0]"), "{text}");
    assert!(text.contains("fix: "), "{text}");
    assert!(!text.contains("I_MTU"), "--quiet hides info");
    assert!(text.contains("not ready"));
}

#[test]
fn json_output_is_machine_readable() {
    let out = run(&["check", "--format", "json", example("002-aws-vgw-to-azure-static.json").to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["plan"], "vpntest");
    assert_eq!(doc["errors"], 0);
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["code"] == "I_MTU" && f["severity"] == "info" && f["path"] == "links[0]"));
}

#[test]
fn reads_standard_input() {
    let plan = std::fs::read_to_string(example("000-vyos-ec2-to-azure.json")).unwrap();
    let out = run(&["check", "-"], Some(&plan));
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    assert!(s(&out.stdout).contains("vyos-azure: ok"));
}

#[test]
fn unreadable_and_malformed_input_exit_two_with_a_clear_message() {
    let out = run(&["check", "/definitely/not/here.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("cannot read /definitely/not/here.json"));

    let p = temp_file("broken.json", "{\n  \"version\": 1,\n  \"name\": \"x\",\n  \"sites\": [ {\"name\": 5} ]\n}\n");
    let out = run(&["check", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = s(&out.stderr);
    assert!(err.contains("line 4") && err.contains("sites[0].name") && err.contains("invalid type"), "{err}");

    let p = temp_file("future.json", "{\"version\": 2, \"name\": \"x\", \"sites\": []}");
    let out = run(&["check", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("unsupported plan version 2"));
}

#[test]
fn usage_errors_exit_two_and_help_teaches() {
    let out = run(&["check", "--format", "yaml", "x.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("possible values: text, json"));
    let out = run(&["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));

    let out = run(&["check", "--help"], None);
    assert_eq!(out.status.code(), Some(0));
    let help = s(&out.stdout);
    for word in ["--format", "--quiet", "standard input", "Examples"] {
        assert!(help.contains(word), "check --help lacks {word}: {help}");
    }
    let out = run(&["--help"], None);
    let help = s(&out.stdout);
    assert!(help.contains("Exit codes:\n  0  success") && help.contains("  1  the plan has errors"), "{help}");
}
