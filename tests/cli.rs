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

fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tunnelsmith-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn generate_writes_scripts_plan_and_private_secrets() {
    let dir = fresh_dir("gen");
    let plan = example("004-aws-azure-gcp-bgp.json");
    let out = run(&["generate", plan.to_str().unwrap(), "--out", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    assert!(s(&out.stdout).contains("RUNBOOK.md"), "{}", s(&out.stdout));
    assert!(dir.join("RUNBOOK.md").exists(), "the message points at a file that exists");
    for f in ["azure/azure.1.sh", "gcp/gcp.1.sh", "aws/aws.sh", "azure/azure.2.sh", "gcp/gcp.2.sh", "deploy.sh"] {
        assert_eq!(mode(&dir.join(f)), 0o755, "{f} is executable");
    }
    assert_eq!(mode(&dir.join("run-order.md")), 0o644);
    assert_eq!(mode(&dir.join("secrets.env")), 0o600, "secrets.env is private");
    let secrets = std::fs::read_to_string(dir.join("secrets.env")).unwrap();
    assert_eq!(secrets.lines().filter(|l| l.starts_with("PSK_")).count(), 10, "one key per tunnel");
    let key = secrets.lines().find(|l| l.starts_with("PSK_AWS_AZURE_T1=")).unwrap().split('\'').nth(1).unwrap();
    let script = std::fs::read_to_string(dir.join("aws/aws.sh")).unwrap();
    assert!(script.contains("${PSK_AWS_AZURE_T1}") && !script.contains(key), "keys only by name");
    let copy = std::fs::read_to_string(dir.join("tunnelsmith-plan.json")).unwrap();
    assert!(copy.contains("\"name\": \"multicloud\""));

    // A non-empty folder is refused without --force, and kept as it was.
    let again = run(&["generate", plan.to_str().unwrap(), "--out", dir.to_str().unwrap()], None);
    assert_eq!(again.status.code(), Some(2));
    assert!(s(&again.stderr).contains("not empty"), "{}", s(&again.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("secrets.env")).unwrap(), secrets);

    // --secrets reuses given keys; --force writes into the folder.
    let keys = temp_file("keys.env", &secrets);
    let forced = run(
        &[
            "generate",
            plan.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--secrets",
            keys.to_str().unwrap(),
            "--force",
        ],
        None,
    );
    assert_eq!(forced.status.code(), Some(0), "{}", s(&forced.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("secrets.env")).unwrap(), secrets);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_refuses_a_plan_with_errors_unless_forced() {
    let plan = std::fs::read_to_string(example("002-aws-vgw-to-azure-static.json"))
        .unwrap()
        .replace("10.2.0.0/16", "10.1.0.0/16");
    let p = temp_file("overlap-gen.json", &plan);
    let dir = fresh_dir("errors");
    let out = run(&["generate", p.to_str().unwrap(), "--out", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(s(&out.stderr).contains("2 errors") && s(&out.stderr).contains("tunnelsmith check"), "{}", s(&out.stderr));
    assert!(!dir.exists(), "nothing is written");
    let out = run(&["generate", p.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--force"], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    assert!(dir.join("aws/aws.sh").is_file());
    let _ = std::fs::remove_dir_all(&dir);

    let bad_keys = temp_file("bad.env", "PSK_X='open\n");
    let out = run(
        &[
            "generate",
            p.to_str().unwrap(),
            "--out",
            fresh_dir("bad").to_str().unwrap(),
            "--force",
            "--secrets",
            bad_keys.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("line 1"), "{}", s(&out.stderr));
    let help = s(&run(&["generate", "--help"], None).stdout);
    for word in ["--out", "--secrets", "--force", "Examples", "run-order.md"] {
        assert!(help.contains(word), "generate --help lacks {word}: {help}");
    }
}

#[test]
fn generate_stamps_every_file_with_the_link_that_link_prints() {
    let plan = example("001-libreswan-ec2-to-azure.json");
    let p = plan.to_str().unwrap();
    for base in [None, Some("https://vpn-tools.example.com/tunnelsmith/")] {
        let dir = fresh_dir("stamped");
        let (mut gen, mut link) = (vec!["generate", p, "--out", dir.to_str().unwrap()], vec!["link", p]);
        if let Some(b) = base {
            gen.extend(["--link-base", b]);
            link.extend(["--base", b]);
        }
        let out = bin().env_remove("TUNNELSMITH_URL").args(&gen).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
        let out = bin().env_remove("TUNNELSMITH_URL").args(&link).output().unwrap();
        let url = s(&out.stdout).trim().to_string();
        assert!(url.starts_with(base.unwrap_or("http://127.0.0.1:8080/")), "{url}");
        let mut files = Vec::new();
        let mut todo = vec![dir.clone()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let f = e.unwrap().path();
                if f.is_dir() {
                    todo.push(f);
                } else {
                    files.push(f);
                }
            }
        }
        assert!(files.len() > 10, "{files:?}");
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            // The plan itself and the keys are not stamped.
            if name == "tunnelsmith-plan.json" || name.ends_with("secrets.env") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(text.contains(&url), "{} lacks the share link {url}", f.display());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn link_and_open_round_trip_a_plan_without_secrets() {
    let path = example("004-aws-azure-gcp-bgp.json");
    let out = run(&["link", path.to_str().unwrap(), "--base", "https://tools.example/ts/"], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    let url = s(&out.stdout).trim().to_string();
    assert!(url.starts_with("https://tools.example/ts/#p=1."), "{url}");
    assert!(url.len() < 800, "seed 004 link is {} characters", url.len());

    let dest = std::env::temp_dir().join(format!("tunnelsmith-open-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&dest);
    let out = run(&["open", &url, "--out", dest.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    assert!(s(&out.stderr).contains("carry no pre-shared keys"));
    let original = tunnelsmith::plan::Plan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let opened = tunnelsmith::plan::Plan::from_json(&std::fs::read_to_string(&dest).unwrap()).unwrap();
    assert_eq!(opened, original);

    // An existing file is kept without --force; the fragment alone and stdin work too.
    let out = run(&["open", &url, "--out", dest.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("use --force"));
    let fragment = &url[url.find('#').unwrap()..];
    let out = run(&["open", "-"], Some(fragment));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(tunnelsmith::plan::Plan::from_json(&s(&out.stdout)).unwrap(), original);
}

#[test]
fn open_explains_a_bad_link_and_keeps_an_invalid_plan_as_typed() {
    let out = run(&["open", "https://tools.example/#p=1.AR2MMQqDQ"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("ask for the"), "{}", s(&out.stderr));
    let out = run(&["open", "#p=3.abc"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(s(&out.stderr).contains("newer Tunnelsmith"));

    let fixture = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/links/v1/invalid-plan-as-typed.link"),
    )
    .unwrap();
    let out = run(&["open", fixture.trim()], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(s(&out.stderr).contains("error(s), kept as they were shared"));
    assert!(s(&out.stdout).contains("\"172.16.0.1/16\""), "typed text survives");
}

#[test]
fn generate_force_never_puts_a_name_that_fails_the_naming_rule_into_a_script() {
    // --force generates a plan with errors; names that broke the rule (here with quotes, a
    // command substitution and line breaks) must not reach any script, comment or config.
    let hostile = "x'y\n$(touch /tmp/tunnelsmith-canary)\n`id`;echo";
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("002-aws-vgw-to-azure-static.json")).unwrap()).unwrap();
    plan["name"] = hostile.into();
    plan["sites"][1]["name"] = hostile.into();
    plan["links"][0]["b"] = hostile.into();
    let p = temp_file("hostile.json", &plan.to_string());
    let out_dir = p.with_file_name("hostile-out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = run(&["generate", "--force", p.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    let mut scripts = 0;
    let mut stack = vec![out_dir.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().unwrap() == "tunnelsmith-plan.json" {
                continue; // the plan itself keeps the name as typed
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("touch /tmp/tunnelsmith-canary"), "{} carries the raw name", path.display());
            if path.extension().is_some_and(|x| x == "sh") {
                scripts += 1;
                let n = Command::new("bash").arg("-n").arg(&path).output().unwrap();
                assert!(n.status.success(), "{}: {}", path.display(), s(&n.stderr));
            }
        }
    }
    assert!(scripts >= 5, "expected the scripts, found {scripts}");
    let runbook = std::fs::read_to_string(out_dir.join("RUNBOOK.md")).unwrap();
    assert!(runbook.contains("x-y-touch-tmp-tunne"), "the rule's fix of the plan name is used");
}
