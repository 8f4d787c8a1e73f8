//! One step (or one delete) on a worker thread: its call with the values filled in, the check
//! that decides whether a step that may have run before runs again, the command, and the waits.

use crate::apply::engine::{Cx, End};
use crate::apply::run::{self, Call, Class, Outcome, Redact};
use crate::apply::state::Created;
use crate::apply::time::human;
use crate::apply::tools::Tool;
use crate::steps::{self, Check, Step};
use std::collections::BTreeMap;

/// The call of a step's argv; an error when a key's private file cannot be written.
pub(super) fn call_of(
    step_id: &str,
    program: &str,
    tool: &Tool,
    args: &[steps::Arg],
    v: &BTreeMap<String, String>,
) -> Result<Call, String> {
    let shown_values: BTreeMap<String, String> =
        v.iter().filter(|(k, _)| !k.starts_with("PSK_")).map(|(k, x)| (k.clone(), x.clone())).collect();
    let mut files = Vec::new();
    let filled: std::io::Result<Vec<String>> = args.iter().map(|a| run::fill(a, v, &mut files)).collect();
    let args_filled = filled
        .map_err(|e| format!("cannot write a key to a private file in {}: {e}", std::env::temp_dir().display()))?;
    Ok(Call {
        step: step_id.to_string(),
        program: program.to_string(),
        exe: tool.exe.clone(),
        args: args_filled,
        shown: run::line(std::iter::once(program.to_string()).chain(args.iter().map(|a| run::show(a, &shown_values)))),
        files,
    })
}

/// One step, on a worker thread.
pub(crate) fn run_step(
    cx: &Cx,
    step: &Step,
    tools: &BTreeMap<String, Tool>,
    v: &BTreeMap<String, String>,
    check_first: bool,
) -> End {
    let program = step.program.command();
    let Some(tool) = tools.get(program) else {
        return End::Failed(format!("{program} is not available"));
    };
    let call = match call_of(&step.id, program, tool, &step.args, v) {
        Ok(c) => c,
        Err(e) => return End::Failed(e),
    };
    let redact = cx.shared.log.redact();
    if check_first {
        match &step.check {
            Some(Check::Describe { args, contains }) => {
                cx.note("checking whether it already took effect");
                let c = match call_of(&step.id, program, tool, args, v) {
                    Ok(c) => c,
                    Err(e) => return End::Failed(e),
                };
                let Some((o, class)) = cx.call_retrying(&c) else { return End::Cancelled };
                let value = o.value();
                match Settled::of(class, shows(value.as_deref(), contains.as_deref())) {
                    Settled::Present => {
                        cx.shared.log.write(&step.id, "check: it had taken effect; not running it again");
                        return End::Done { value: step.capture.as_ref().and(value), found: true };
                    }
                    Settled::Absent => {
                        cx.shared.log.write(&step.id, "check: it had not taken effect; running it");
                    }
                    Settled::CannotTell => {
                        return End::Failed(redact.text(&format!(
                            "cannot tell whether it took effect (`{}`: {}); not running it again",
                            c.shown,
                            o.reason()
                        )))
                    }
                }
            }
            Some(Check::Rerun) | Some(Check::RerunUnless(_)) => {}
            None => {
                return End::Failed(
                    "it may have run before and there is no way to check it; look in the cloud, then delete \
                     its entry from state.json to run it again"
                        .to_string(),
                )
            }
        }
    }
    if let Some(w) = &step.wait {
        return poll(cx, &call, w);
    }
    cx.note(String::new());
    let Some((o, class)) = cx.call_retrying(&call) else { return End::Cancelled };
    ran(step, &o, class, redact)
}

/// Whether a check's read shows that a step took effect: it printed a value and, when the
/// check names a word, the word is one of the value's items (split at `;`, `,`, blanks and
/// line ends).
pub(crate) fn shows(value: Option<&str>, word: Option<&str>) -> bool {
    match (value, word) {
        (Some(v), Some(w)) => v.split([';', ',', '\t', ' ', '\n']).any(|x| x == w),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// What a check (a describe that changes nothing) says about a step that may have run before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// It took effect: not run again (apply), deleted too (destroy).
    Present,
    /// It did not take effect: run it (apply), forget it (destroy).
    Absent,
    /// The read failed: running it again could make something twice.
    CannotTell,
}

impl Settled {
    pub(crate) fn of(class: Class, shows: bool) -> Settled {
        match class {
            Class::Ok if shows => Settled::Present,
            Class::Ok | Class::NotFound => Settled::Absent,
            Class::Throttled | Class::Busy | Class::Failed => Settled::CannotTell,
        }
    }
}

/// How a step's command ended, as the state records it; messages pass through `redact`.
fn ran(step: &Step, o: &Outcome, class: Class, redact: &Redact) -> End {
    let program = step.program.command();
    let unless = match &step.check {
        Some(Check::RerunUnless(code)) => Some(*code),
        Some(Check::Describe { .. } | Check::Rerun) | None => None,
    };
    match class {
        Class::Ok => match &step.capture {
            Some(c) => match o.value() {
                Some(v) => End::Done { value: Some(v), found: false },
                None => End::Failed(format!("{} printed no value for {}", program, c.name)),
            },
            None => End::Done { value: None, found: false },
        },
        _ if o.code.is_none() => End::Unknown(redact.text(&format!("{program} was stopped mid-command"))),
        _ if unless.is_some_and(|code| o.stderr.contains(code)) => End::Done { value: None, found: true },
        Class::Throttled => End::Failed(redact.text(&format!("still throttled after retries: {}", o.reason()))),
        Class::NotFound | Class::Busy | Class::Failed => End::Failed(redact.text(&o.reason())),
    }
}

/// A wait: run the step's read until it prints the state it waits for, with back-off.
fn poll(cx: &Cx, call: &Call, w: &steps::Wait) -> End {
    let t0 = std::time::Instant::now();
    let scale = cx.shared.scale;
    let timeout = f64::from(w.timeout_secs) * scale;
    let mut delay = 2.0f64.min(f64::from(w.interval_secs));
    // A failed look is tolerated (a blip during a 45-minute wait); three in a row are not.
    let mut failed_looks = 0;
    let mut looks = 0;
    loop {
        let Some((o, _)) = cx.call_retrying(call) else { return End::Cancelled };
        looks += 1;
        if o.ok() {
            failed_looks = 0;
        } else {
            failed_looks += 1;
            cx.shared.log.write(&call.step, &format!("look {failed_looks} of 3 failed: {}", o.reason()));
            if failed_looks >= 3 {
                return End::Failed(
                    cx.shared.log.redact().text(&format!("three looks in a row failed: {}", o.reason())),
                );
            }
        }
        let got = if o.ok() { o.stdout.trim() } else { "" };
        let shown = match look(w, got, t0.elapsed().as_secs_f64(), timeout, looks) {
            Look::Done => return End::Done { value: None, found: false },
            Look::Failed(m) => return End::Failed(m),
            Look::Wait(shown) => shown,
        };
        cx.note(format!("{shown}, waiting for {} (next look in {})", w.until, human(delay * scale)));
        if !cx.sleep(delay) {
            return End::Cancelled;
        }
        delay = (delay * 2.0).min(f64::from(w.interval_secs));
    }
}

/// What one look of a wait decides.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Look {
    /// It reads the state waited for.
    Done,
    /// It will not get there (a state it fails on), or the time is up.
    Failed(String),
    /// Look again later; the state as shown (`unknown` when the look read nothing).
    Wait(String),
}

/// The timeout ends a wait only once it has looked at least this often: a laptop asleep for
/// the whole timeout, or a CLI slow to answer, gets its looks before the wait gives up.
const MIN_LOOKS: u32 = 3;

/// A wait after look number `looks` read `got` (empty: it read nothing), `waited` seconds
/// after it started, with `timeout` seconds allowed (both scaled).
fn look(w: &steps::Wait, got: &str, waited: f64, timeout: f64, looks: u32) -> Look {
    if got == w.until {
        return Look::Done;
    }
    if !got.is_empty() && w.fail_on.iter().any(|f| f == got) {
        return Look::Failed(format!("the state is {got}; it will not become {}", w.until));
    }
    let shown = if got.is_empty() { "unknown" } else { got };
    if waited >= timeout && looks >= MIN_LOOKS {
        return Look::Failed(format!(
            "still {shown} after {} and {looks} looks; run apply again to keep waiting",
            human(waited)
        ));
    }
    Look::Wait(shown.to_string())
}

/// Delete one resource the state records; one already gone counts as deleted.
pub(crate) fn delete(cx: &Cx, c: &Created, tools: &BTreeMap<String, Tool>) -> End {
    let Some((program, args)) = c.delete.split_first() else { return End::Failed("no delete command".into()) };
    let Some(tool) = tools.get(program) else { return End::Failed(format!("{program} is not available")) };
    let call = Call {
        step: c.step.clone(),
        program: program.clone(),
        exe: tool.exe.clone(),
        args: args.to_vec(),
        shown: run::line(c.delete.iter().cloned()),
        files: Vec::new(),
    };
    let Some((o, class)) = cx.call_retrying(&call) else { return End::Cancelled };
    let end = deleted(program, &o, class);
    if end == (End::Done { value: None, found: true }) {
        cx.shared.log.write(&c.step, "already gone");
    }
    end
}

/// How a delete ended: not found is done (found gone), a signal leaves it unknown.
fn deleted(program: &str, o: &Outcome, class: Class) -> End {
    match class {
        Class::Ok => End::Done { value: None, found: false },
        Class::NotFound => End::Done { value: None, found: true },
        _ if o.code.is_none() => End::Unknown(format!("{program} was stopped mid-command")),
        Class::Throttled | Class::Busy | Class::Failed => End::Failed(o.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, at, seed004};
    use super::*;
    use std::path::PathBuf;

    fn out(code: Option<i32>, stdout: &str, stderr: &str) -> Outcome {
        Outcome { code, stdout: stdout.into(), stderr: stderr.into(), secs: 0.0 }
    }

    fn step<'a>(s: &'a super::super::Session, id: &str) -> &'a Step {
        &s.steps[at(s, id)]
    }

    #[test]
    fn a_read_shows_a_step_took_effect_only_with_the_word_as_a_whole_item() {
        assert!(shows(Some("vgw-1"), None));
        assert!(!shows(None, None));
        assert!(!shows(None, Some("attached")));
        assert!(shows(Some("vpc-1\tattached"), Some("attached")));
        assert!(shows(Some("a;b,attached c"), Some("attached")));
        assert!(shows(Some("vpc-1\nattached"), Some("attached")), "line ends split items too");
        assert!(!shows(Some("detached"), Some("attached")), "a word inside another is not it");
        assert!(!shows(Some("attaching"), Some("attached")));
    }

    #[test]
    fn a_check_runs_a_step_again_only_when_it_read_that_the_step_did_not_take_effect() {
        assert_eq!(Settled::of(Class::Ok, true), Settled::Present);
        assert_eq!(Settled::of(Class::Ok, false), Settled::Absent);
        assert_eq!(Settled::of(Class::NotFound, false), Settled::Absent);
        assert_eq!(Settled::of(Class::NotFound, true), Settled::Absent, "not found wins over stray output");
        for c in [Class::Throttled, Class::Busy, Class::Failed] {
            assert_eq!(Settled::of(c, true), Settled::CannotTell, "{c:?}");
            assert_eq!(Settled::of(c, false), Settled::CannotTell, "{c:?}");
        }
    }

    #[test]
    fn a_step_that_captures_needs_a_value_and_the_message_names_it() {
        let s = seed004();
        let vpc = step(&s, "aws/vpc");
        let r = Redact::default();
        assert_eq!(
            ran(vpc, &out(Some(0), "vpc-0abc\n", ""), Class::Ok, &r),
            End::Done { value: Some("vpc-0abc".into()), found: false }
        );
        assert_eq!(
            ran(vpc, &out(Some(0), "None\n", ""), Class::Ok, &r),
            End::Failed("aws printed no value for AWS_VPC_ID".into())
        );
        let attach = step(&s, "aws/igw-attach");
        assert_eq!(ran(attach, &out(Some(0), "", ""), Class::Ok, &r), End::Done { value: None, found: false });
    }

    #[test]
    fn a_failed_command_says_why_without_a_key_and_a_signal_leaves_it_unknown() {
        let s = seed004();
        let vpc = step(&s, "aws/vpc");
        let r = Redact::new(["s3cr3t.k3y.value"].into_iter());
        let o = out(Some(255), "", "An error occurred (VpcLimitExceeded) near s3cr3t.k3y.value\n");
        let End::Failed(m) = ran(vpc, &o, Class::Failed, &r) else { panic!("not failed") };
        assert!(m.contains("VpcLimitExceeded") && !m.contains("s3cr3t"), "{m}");
        let o = out(Some(255), "", "An error occurred (RequestLimitExceeded)");
        assert_eq!(
            ran(vpc, &o, Class::Throttled, &r),
            End::Failed("still throttled after retries: An error occurred (RequestLimitExceeded)".into())
        );
        assert_eq!(ran(vpc, &out(None, "", ""), Class::Failed, &r), End::Unknown("aws was stopped mid-command".into()));
    }

    #[test]
    fn a_duplicate_the_step_tolerates_counts_as_found_and_only_that() {
        let s = fixture::session("003-strongswan-ec2-to-aws-vgw");
        let rule = step(&s, "uswest/sg-peer-1");
        assert!(matches!(rule.check, Some(Check::RerunUnless("InvalidPermission.Duplicate"))));
        let r = Redact::default();
        let dup = out(Some(254), "", "An error occurred (InvalidPermission.Duplicate) when calling …");
        assert_eq!(ran(rule, &dup, Class::Failed, &r), End::Done { value: None, found: true });
        let other = out(Some(254), "", "An error occurred (InvalidGroup.NotFound)");
        assert!(matches!(ran(rule, &other, Class::Failed, &r), End::Failed(_)));
        // The same words do not excuse a step that has no such check.
        let vpc = fixture::session("003-strongswan-ec2-to-aws-vgw");
        assert!(matches!(ran(step(&vpc, "uswest/vpc"), &dup, Class::Failed, &r), End::Failed(_)));
    }

    #[test]
    fn a_wait_ends_at_its_state_fails_on_a_dead_end_and_times_out_only_after_three_looks() {
        let s = seed004();
        let w = step(&s, "aws/gateway-ready").wait.as_ref().expect("a wait");
        assert_eq!((w.until.as_str(), w.fail_on.as_slice()), ("attached", ["detached".to_string()].as_slice()));
        assert_eq!(look(w, "attached", 5.0, 100.0, 1), Look::Done);
        assert_eq!(
            look(w, "detached", 5.0, 100.0, 1),
            Look::Failed("the state is detached; it will not become attached".into())
        );
        assert_eq!(look(w, "attaching", 5.0, 100.0, 1), Look::Wait("attaching".into()));
        assert_eq!(look(w, "", 5.0, 100.0, 1), Look::Wait("unknown".into()));
        // Past the timeout after two looks (a laptop asleep): look again.
        assert_eq!(look(w, "attaching", 500.0, 100.0, 2), Look::Wait("attaching".into()));
        assert_eq!(
            look(w, "attaching", 500.0, 100.0, 3),
            Look::Failed("still attaching after 8m20s and 3 looks; run apply again to keep waiting".into())
        );
        assert_eq!(look(w, "attached", 500.0, 100.0, 9), Look::Done, "the state waited for wins over the time");
    }

    #[test]
    fn a_delete_of_something_already_gone_is_done() {
        assert_eq!(deleted("aws", &out(Some(0), "", ""), Class::Ok), End::Done { value: None, found: false });
        assert_eq!(
            deleted("aws", &out(Some(254), "", "InvalidVpcID.NotFound"), Class::NotFound),
            End::Done { value: None, found: true }
        );
        assert_eq!(deleted("az", &out(None, "", ""), Class::Busy), End::Unknown("az was stopped mid-command".into()));
        assert_eq!(
            deleted("az", &out(Some(1), "", "ERROR: AnotherOperationInProgress\n"), Class::Busy),
            End::Failed("ERROR: AnotherOperationInProgress".into())
        );
    }

    #[test]
    fn the_shown_command_never_holds_a_key() {
        let s = seed004();
        let conn = step(&s, "azure/conn-aws-azure-t1");
        let key = "Sup3r.s3cret.k3y.value";
        let mut v: BTreeMap<String, String> =
            s.r.links.iter().flat_map(|l| &l.tunnels).map(|t| (t.psk_name.clone(), key.to_string())).collect();
        v.insert("AWS_IP_AWS_AZURE_T1".into(), "198.51.100.7".into());
        let tool = Tool { program: "az".into(), exe: "/usr/bin/az".into(), version: "2.60.0".into() };
        let call = call_of(&conn.id, "az", &tool, &conn.args, &v).unwrap();
        // The key goes to az in a private file (`--shared-key @FILE`), never in the argv.
        assert!(call.args.iter().all(|a| !a.contains(key)), "{:?}", call.args);
        let at_file = call.args.iter().find_map(|a| a.strip_prefix('@')).expect("the key's file");
        assert_eq!(std::fs::read_to_string(at_file).unwrap(), key);
        assert!(call.shown.contains("--shared-key '@<file: ${PSK_AWS_AZURE_T1}>'"), "{}", call.shown);
        assert!(!call.shown.contains(key), "{}", call.shown);
        assert!(call.shown.starts_with("az network vpn-connection create"), "{}", call.shown);
        assert_eq!(call.exe, PathBuf::from("/usr/bin/az"));
        let file = PathBuf::from(at_file);
        drop(call);
        assert!(!file.exists(), "the key's file goes with the call");
    }
}
