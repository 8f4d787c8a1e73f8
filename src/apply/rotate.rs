//! `tunnelsmith rotate-keys PLAN [--tunnel NAME …]`: a new pre-shared key on both ends of each
//! tunnel, one tunnel at a time, so that the other tunnels of a redundant link carry traffic
//! while one changes keys.
//!
//! Per tunnel:
//! 1. the new key is made (or, after a crash, the pending one is taken again) and written to
//!    the secrets file as `<NAME>_NEXT` beside the old one (atomically, mode 0600): from here on
//!    the file holds both, whichever one the clouds have;
//! 2. each cloud end gets it: AWS `modify-vpn-tunnel-options` with only `PreSharedKey` (then a
//!    wait until the connection is back), Azure `vpn-connection shared-key update`, Google Cloud
//!    tunnels (whose secret cannot change) deleted and made again with the new key;
//! 3. only then the file keeps the new key under the tunnel's name and drops the old one.
//!
//! A crash at any point leaves the file with every key some end may hold; running
//! `rotate-keys` again finishes the tunnel with the pending key (every command is idempotent).

use super::commands::{
    child_env, confirm, delete, err as err_line, preflight, read_secrets, record, run_step, values, write_secrets,
    Options, Session,
};
use super::diff;
use super::engine::{self, Cx, End, Event, Shared, Task};
use super::lock;
use super::run::{Log, Redact};
use super::state::State;
use super::time::{human, now, scale};
use super::ui::Ui;
use super::Exit;
use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::steps::update;
use crate::steps::Step;
use std::collections::BTreeMap;

/// The suffix of a key that is being rolled out.
pub const NEXT: &str = "_NEXT";

/// What one tunnel's rotation runs: per end, in place (commands) or made again (the step).
enum End_ {
    InPlace(Vec<Step>),
    Remake(usize),
}

/// `tunnelsmith rotate-keys`.
pub fn rotate_keys(plan: Plan, opts: &Options) -> Exit {
    let mut ui = Ui::new();
    let s = match Session::new(plan, opts, &mut ui) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let _lock = match lock::acquire(&s.dir, "rotate-keys") {
        Ok(l) => l,
        Err(e) => {
            err_line(&mut ui, &e);
            return Exit::Usage;
        }
    };
    let state = match State::load(&s.dir) {
        Ok(Some(st)) => st,
        Ok(None) => {
            err_line(
                &mut ui,
                &format!("nothing was applied from here ({}): run `tunnelsmith apply` first", s.dir.display()),
            );
            return Exit::Usage;
        }
        Err(e) => {
            err_line(&mut ui, &e);
            return Exit::Usage;
        }
    };
    let done = s.done(&state);
    let left = diff::diff(&s, &state, &done);
    if !left.is_empty() {
        err_line(
            &mut ui,
            &format!(
                "the clouds do not match the plan yet ({}): run `tunnelsmith apply {}` first, then rotate the keys",
                left.summary(),
                super::run::line([opts.plan_path.display().to_string()])
            ),
        );
        return Exit::Usage;
    }
    let mut secrets = match read_secrets(opts, &s.r, &mut ui) {
        Ok(x) => x,
        Err(c) => return c,
    };
    // The tunnels, in plan order, or the ones named.
    let all: Vec<(&str, &str)> =
        s.r.links.iter().flat_map(|l| l.tunnels.iter().map(|t| (t.id.as_str(), t.psk_name.as_str()))).collect();
    for name in &opts.tunnels {
        if !all.iter().any(|(id, _)| id == name) {
            err_line(
                &mut ui,
                &format!(
                    "--tunnel {name}: the plan has no such tunnel; its tunnels are {}",
                    all.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(", ")
                ),
            );
            return Exit::Usage;
        }
    }
    let chosen: Vec<(&str, &str)> =
        all.into_iter().filter(|(id, _)| opts.tunnels.is_empty() || opts.tunnels.iter().any(|n| n == id)).collect();
    // Per tunnel, per end: how its key changes.
    let plans: Vec<Vec<End_>> = chosen
        .iter()
        .map(|(_, psk)| {
            s.steps
                .iter()
                .enumerate()
                .filter(|(_, st)| st.secrets().any(|n| n == *psk))
                .map(|(i, st)| match update::rekey(st, psk, &s.steps) {
                    Some(cmds) => End_::InPlace(cmds),
                    None => End_::Remake(i),
                })
                .collect()
        })
        .collect();
    let programs = s.programs(0..s.steps.len());
    let env = child_env();
    let tools = match preflight(&mut ui, &s, &programs, &env, "changed") {
        Ok(t) => t,
        Err(c) => return c,
    };
    ui.say(&format!(
        "Rotating {} pre-shared key{} of plan '{}', one tunnel at a time: each tunnel is down while its ends \
         change keys; the other tunnels of its link carry traffic meanwhile.",
        chosen.len(),
        if chosen.len() == 1 { "" } else { "s" },
        s.plan.name
    ));
    for ((id, _), ends) in chosen.iter().zip(&plans) {
        let how: Vec<String> = ends
            .iter()
            .map(|e| match e {
                End_::InPlace(c) => c.first().map(|x| x.title.clone()).unwrap_or_default(),
                End_::Remake(i) => format!("{} again (its secret cannot change)", s.steps[*i].title),
            })
            .collect();
        ui.say(&format!("  {id}: {}", how.join("; ")));
    }
    if !confirm(&mut ui, &format!("Rotate these {} keys?", chosen.len()), opts.yes) {
        return Exit::Usage;
    }
    // Pending keys from an interrupted run are taken again; new ones are made now.
    let file = opts.secrets_file();
    let mut made = 0;
    for (_, psk) in &chosen {
        let next = format!("{psk}{NEXT}");
        if secrets.psk(&next).is_none() {
            match new_key(&s, psk) {
                Ok(k) => secrets.set(&next, &k),
                Err(e) => {
                    err_line(&mut ui, &e);
                    return Exit::Usage;
                }
            }
            made += 1;
        }
    }
    let redact = Redact::new(secrets.values());
    let log = match Log::open(&s.dir.join("apply.log"), redact) {
        Ok(l) => l,
        Err(e) => {
            err_line(&mut ui, &format!("cannot open the log: {e}"));
            return Exit::Usage;
        }
    };
    // Both keys are in the file before any end changes.
    if made > 0 {
        if let Err(e) = write_secrets(&file, &secrets) {
            err_line(&mut ui, &format!("cannot write {}: {e}", file.display()));
            return Exit::Usage;
        }
    }
    log.write("rotate-keys", &format!("rotate {} keys", chosen.len()));
    super::sys::catch_interrupts();
    let shared = Shared::new(log, env, 1, scale());
    let tasks: Vec<Task> = chosen
        .iter()
        .enumerate()
        .map(|(k, (id, _))| Task {
            id: format!("rotate {id}"),
            title: format!("New key for tunnel {id}"),
            deps: if k > 0 { vec![k - 1] } else { Vec::new() },
            estimate: 10.0,
            done: false,
        })
        .collect();
    let cell = std::cell::RefCell::new((state, secrets));
    let failed_write = std::cell::RefCell::new(None::<String>);
    let summary = {
        let s_ref = &s;
        let tools_ref = &tools;
        engine::run_tasks(
            &tasks,
            &shared,
            &mut ui,
            1,
            |k| {
                let (st, sec) = &*cell.borrow();
                let psk = chosen[k].1;
                // Every end gets the pending key under the tunnel's key name.
                let mut v = values(st, sec);
                if let Some(next) = sec.psk(&format!("{psk}{NEXT}")) {
                    v.insert(psk.to_string(), next.to_string());
                }
                let ends = &plans[k];
                let deletes: Vec<Option<super::state::Created>> = ends
                    .iter()
                    .map(|e| match e {
                        End_::Remake(i) => {
                            st.live().find(|(_, c)| c.step == s_ref.steps[*i].id).map(|(_, c)| c.clone())
                        }
                        End_::InPlace(_) => None,
                    })
                    .collect();
                Box::new(move |cx: &Cx| {
                    for (e, del) in ends.iter().zip(deletes) {
                        let end = match e {
                            End_::InPlace(cmds) => {
                                let mut last = End::Done { value: None, found: false };
                                for c in cmds {
                                    last = run_step(cx, c, tools_ref, &v, false);
                                    if !matches!(last, End::Done { .. }) {
                                        break;
                                    }
                                }
                                last
                            }
                            End_::Remake(i) => {
                                if let Some(c) = &del {
                                    match delete(cx, c, tools_ref) {
                                        End::Done { .. } => {}
                                        other
                                        @ (End::Failed(_) | End::Unknown(_) | End::Cancelled | End::Manual(_)) => {
                                            return other
                                        }
                                    }
                                }
                                run_step(cx, &s_ref.steps[*i], tools_ref, &v, false)
                            }
                        };
                        if !matches!(end, End::Done { .. }) {
                            return end;
                        }
                    }
                    End::Done { value: None, found: false }
                }) as Box<dyn FnOnce(&Cx) -> End + Send + '_>
            },
            |ev, _| {
                let Event::End(k, End::Done { .. }) = ev else { return };
                let (st, sec) = &mut *cell.borrow_mut();
                let psk = chosen[*k].1;
                // Remade Google Cloud tunnels: the old resource is gone, the new one recorded.
                for e in &plans[*k] {
                    if let End_::Remake(i) = e {
                        let id = &s_ref.steps[*i].id;
                        if let Some(c) = st.created.iter_mut().find(|c| &c.step == id && c.deleted.is_none()) {
                            c.deleted = Some(now());
                        }
                        let value = s_ref.steps[*i].capture.as_ref().and_then(|c| st.outputs.get(&c.name).cloned());
                        record(st, s_ref, &Event::End(*i, End::Done { value, found: false }), &BTreeMap::new());
                    }
                }
                // Both ends have the new key: it takes the tunnel's name, the old one goes.
                let next_name = format!("{psk}{NEXT}");
                if let Some(next) = sec.psk(&next_name).map(String::from) {
                    let mut kept = Secrets::default();
                    for n in sec.names().filter(|n| *n != next_name && *n != psk) {
                        if let Some(x) = sec.psk(n) {
                            kept.set(n, x);
                        }
                    }
                    kept.set(psk, &next);
                    *sec = kept;
                    if let Err(e) = write_secrets(&file, sec) {
                        *failed_write.borrow_mut() = Some(e.to_string());
                    }
                }
            },
            || {
                let _ = cell.borrow_mut().0.save(&s_ref.dir);
            },
        )
    };
    let (mut state, _) = cell.into_inner();
    let _ = state.save(&s.dir);
    if let Some(e) = failed_write.into_inner() {
        err_line(&mut ui, &format!("writing {} failed: {e}; it still holds every key in use", file.display()));
        return Exit::Failed;
    }
    let shown = super::run::line([opts.plan_path.display().to_string()]);
    if summary.interrupted || !summary.failed.is_empty() {
        let why =
            summary.failed.first().map(|(id, m)| format!("{id} failed: {m}")).unwrap_or_else(|| "interrupted".into());
        ui.say(&format!(
            "\n{} {}. {} keys rotated. {} still holds the old and the pending key of the tunnel it stopped at; run \
             `tunnelsmith rotate-keys {shown}` again to finish it.",
            ui.red("Stopped:"),
            why,
            summary.done,
            file.display()
        ));
        return if summary.interrupted { Exit::Interrupted } else { Exit::Failed };
    }
    ui.say(&format!(
        "\n{} {} keys in {}; {} holds the new ones (mode 0600). Check the tunnels: `tunnelsmith status {shown}`.",
        ui.green("Rotated"),
        summary.done,
        human(summary.secs),
        file.display()
    ));
    Exit::Ok
}

/// A new random key for `psk`, by the rules of both ends (the engine's generator).
fn new_key(s: &Session, psk: &str) -> Result<String, String> {
    let mut fresh = Secrets::default();
    let mut failed = None;
    fresh.fill_missing(&s.r, &mut |buf: &mut [u8]| {
        if let Err(e) = getrandom::fill(buf) {
            failed = Some(e.to_string());
        }
    });
    if let Some(e) = failed {
        return Err(format!("cannot make a new key: the system's random source failed ({e})"));
    }
    fresh.psk(psk).map(String::from).ok_or_else(|| format!("the plan has no tunnel with key {psk}"))
}
