//! User text never reaches a shell unquoted. The engine rejects hostile names long before
//! rendering, so these tests go around it: the quoting function on its own, and scripts rendered
//! from a resolved plan whose plan name, regions and subnet names were replaced by text with
//! quotes, `$()`, backticks, newlines and semicolons. Every script must still pass `bash -n`, and
//! running it (with stand-ins for aws/az/gcloud that record their arguments) must run no
//! injected command and pass the text through unchanged.

use proptest::prelude::*;
use std::path::PathBuf;
use std::process::Command;
use tunnelsmith::check::resolve;
use tunnelsmith::presets::find;
use tunnelsmith::render::cloud::{comment, sh_quote};
use tunnelsmith::render::{render, RenderOptions};

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("$(touch INJECTED)".to_string()),
            Just("`touch INJECTED`".to_string()),
            Just("\n".to_string()),
            Just(";touch INJECTED;".to_string()),
            Just("\\".to_string()),
            Just("${HOME}".to_string()),
            Just("#".to_string()),
            "[a-z ]{0,3}",
        ],
        1..6,
    )
    .prop_map(|v| v.concat())
}

fn temp(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("tunnelsmith-quote-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sh_quote_gives_back_the_text_and_runs_nothing(s in hostile()) {
        let dir = temp("word");
        let o = Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s' {}", sh_quote(&s)))
            .current_dir(&dir)
            .output()
            .unwrap();
        prop_assert!(o.status.success());
        prop_assert_eq!(String::from_utf8_lossy(&o.stdout).into_owned(), s.clone());
        prop_assert!(!dir.join("INJECTED").exists());
        let c = comment(&s);
        prop_assert!(c.lines().all(|l| l.starts_with('#')), "{}", c);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn hostile_plan_text_cannot_escape_the_scripts(region in hostile(), subnet in hostile()) {
        let mut r = resolve(&find("002-aws-vgw-to-azure-static").unwrap().plan());
        for s in &mut r.sites {
            s.region = region.clone();
            for sub in &mut s.subnets {
                if sub.name != "GatewaySubnet" {
                    sub.name = subnet.clone();
                }
            }
        }
        let dir = temp("script");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // Stand-ins: record the arguments, then fail so the script stops at its first step.
        for tool in ["aws", "az", "gcloud"] {
            let f = bin.join(tool);
            std::fs::write(&f, "#!/bin/bash\nprintf '%s\\n' \"$@\" >> \"$ARGS_LOG\"\nexit 1\n").unwrap();
            Command::new("chmod").arg("755").arg(&f).status().unwrap();
        }
        for a in render(&r, &RenderOptions::default()) {
            if !a.path.ends_with(".sh") || a.path == "deploy.sh" {
                continue;
            }
            let f = dir.join(&a.path);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, &a.text).unwrap();
            let n = Command::new("bash").arg("-n").arg(&f).output().unwrap();
            prop_assert!(n.status.success(), "{}: {}", a.path, String::from_utf8_lossy(&n.stderr));
            let log = dir.join("args.log");
            let _ = std::fs::remove_file(&log);
            // Prepared values so the script reaches its first command.
            std::fs::write(dir.join("outputs.env"), "AZURE_GW_IP_1=203.0.113.1\nAWS_IP_AZURE_AWS_T1=198.51.100.1\nAWS_IP_AZURE_AWS_T2=198.51.100.2\nAWS_VPN_AZURE_AWS_1=vpn-1\n").unwrap();
            // Teardown scripts delete only when told to (and only what outputs.env records).
            let yes: &[&str] = if a.path.ends_with("teardown.sh") { &["--yes"] } else { &[] };
            std::fs::write(dir.join("secrets.env"), "PSK_AZURE_AWS_T1='k1k1k1k1k1'\nPSK_AZURE_AWS_T2='k2k2k2k2k2'\n").unwrap();
            let _ = Command::new("bash")
                .arg(&f)
                .args(yes)
                .current_dir(&dir)
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .env("ARGS_LOG", &log)
                .output()
                .unwrap();
            prop_assert!(!dir.join("INJECTED").exists(), "{} ran injected text", a.path);
            let args = std::fs::read_to_string(&log).unwrap_or_default();
            prop_assert!(!args.is_empty(), "{}: the first command did not run", a.path);
            if a.text.contains("--location \"${AZURE_LOCATION}\"") && a.text.lines().position(|l| l.starts_with("step ")).is_some() {
                // The Azure scripts pass the region on their first command: it arrives intact.
                if args.contains("--location") {
                    prop_assert!(args.contains(&region), "{}: region mangled in {:?}", a.path, args);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
