//! `tunnelsmith status`: every tunnel's state from the clouds' own status commands
//! ([`crate::steps::probes`]), as a table per link; the exit code says whether all are up.

use super::commands::{Options, Session};
use super::run::{self, Call};
use super::state::State;
use super::tools;
use super::ui::Ui;
use super::Exit;
use crate::plan::Plan;
use crate::steps::{probes, Probe, Reads};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// What one probe read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reading {
    /// The state word (`UP`, `Connected`, `ESTABLISHED`, `Established`), or why none.
    pub state: String,
    pub up: bool,
    /// Routes received (BGP), when the cloud reports them.
    pub routes: Option<u64>,
    pub detail: String,
}

/// Read a probe's output.
pub fn read(reads: &Reads, stdout: &str) -> Reading {
    let text = stdout.trim();
    let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
    let word = |s: &str| s.to_string();
    let (state, routes, detail) = match reads {
        Reads::AwsTelemetry => (
            word(fields.first().copied().unwrap_or("")),
            fields.get(2).and_then(|r| r.parse().ok()),
            fields.get(1).copied().unwrap_or("").to_string(),
        ),
        Reads::AzureConnection => (word(text), None, String::new()),
        Reads::AzureBgp => {
            (word(fields.first().copied().unwrap_or("")), fields.get(1).and_then(|r| r.parse().ok()), String::new())
        }
        Reads::GcpTunnel => {
            (word(fields.first().copied().unwrap_or("")), None, fields.get(1).copied().unwrap_or("").to_string())
        }
        Reads::GcpBgp { peer } => {
            let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let peers = v.pointer("/result/bgpPeerStatus").and_then(|p| p.as_array()).cloned().unwrap_or_default();
            match peers.iter().find(|p| p.get("name").and_then(|n| n.as_str()) == Some(peer.as_str())) {
                Some(p) => (
                    p.get("state").and_then(|s| s.as_str()).unwrap_or("").to_string(),
                    p.get("numLearnedRoutes")
                        .and_then(|n| n.as_u64().or_else(|| n.as_str().and_then(|s| s.parse().ok()))),
                    p.get("status").and_then(|s| s.as_str()).unwrap_or("").to_string(),
                ),
                None => ("no such peer".to_string(), None, String::new()),
            }
        }
    };
    let state = if state.is_empty() || state == "None" { "unknown".to_string() } else { state };
    Reading { up: state == reads.up(), state, routes, detail }
}

/// `tunnelsmith status`.
pub fn status(plan: Plan, opts: &Options) -> Exit {
    let mut ui = Ui::new();
    let s = match Session::new(plan, opts, &mut ui) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let state = match State::load(&s.dir) {
        Ok(Some(st)) => st,
        Ok(None) => {
            ui.say(&format!(
                "{} plan '{}' was not applied from here (no state in {}): run `tunnelsmith apply` first, or pass --state.",
                ui.red("error:"),
                s.plan.name,
                s.dir.display()
            ));
            return Exit::Usage;
        }
        Err(e) => {
            ui.say(&format!("{} {e}", ui.red("error:")));
            return Exit::Usage;
        }
    };
    let all = probes(&s.r, &s.steps);
    let ready: Vec<&Probe> = all.iter().filter(|p| p.inputs().all(|n| state.outputs.contains_key(n))).collect();
    let programs: Vec<crate::steps::Program> = {
        let set: std::collections::BTreeSet<_> = ready.iter().map(|p| p.program).collect();
        set.into_iter().collect()
    };
    let env: Vec<(String, String)> =
        [("AZURE_CORE_ONLY_SHOW_ERRORS", "1"), ("CLOUDSDK_CORE_DISABLE_PROMPTS", "1"), ("AWS_PAGER", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let found = if programs.is_empty() {
        BTreeMap::new()
    } else {
        match tools::find(&programs, &env) {
            Ok(t) => t,
            Err(problems) => {
                for p in problems {
                    ui.say(&format!("{} {p}", ui.red("error:")));
                }
                return Exit::Usage;
            }
        }
    };
    // Ask every probe, `--jobs` at a time.
    let queue = std::sync::Mutex::new((0..ready.len()).collect::<Vec<usize>>());
    let results = std::sync::Mutex::new(BTreeMap::<usize, Result<Reading, String>>::new());
    std::thread::scope(|sc| {
        for _ in 0..opts.jobs.max(1).min(ready.len().max(1)) {
            sc.spawn(|| loop {
                let Some(k) = queue.lock().ok().and_then(|mut q| q.pop()) else { return };
                let p = ready[k];
                let program = p.program.command();
                let res = match found.get(program) {
                    None => Err(format!("{program} missing")),
                    Some(tool) => {
                        let call = Call {
                            step: format!("status {}", p.tunnel),
                            program: program.to_string(),
                            exe: tool.exe.clone(),
                            args: p.args.iter().map(|a| a.fill(&state.outputs)).collect(),
                            shown: String::new(),
                            files: Vec::new(),
                        };
                        let o = run::run(&call, &env, &mut |_| {});
                        if o.ok() {
                            Ok(read(&p.reads, &o.stdout))
                        } else {
                            Err(o.reason())
                        }
                    }
                };
                if let Ok(mut r) = results.lock() {
                    r.insert(k, res);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    // Per tunnel: up when every probe of it says up.
    let mut tunnels_up = 0;
    let mut tunnels = 0;
    let mut links_json = Vec::new();
    let mut out = String::new();
    let colour = !opts.json && std::io::stdout().is_terminal() && ui.colour;
    let paint = |t: &str, code: &str| if colour { format!("\x1b[{code}m{t}\x1b[0m") } else { t.to_string() };
    out.push_str(&format!("Plan '{}': tunnel status from the clouds' own status commands\n", s.plan.name));
    for l in &s.r.links {
        out.push_str(&format!("\n{}\n", paint(&format!("link {} ({})", l.id, l.routing.label()), "1")));
        let mut rows: Vec<[String; 5]> = vec![["tunnel", "end", "IKE/IPsec", "BGP", "routes in"].map(String::from)];
        let mut tj = Vec::new();
        for t in &l.tunnels {
            tunnels += 1;
            let mine: Vec<(usize, &Probe)> =
                all.iter().filter(|p| p.link == l.id && p.tunnel == t.id).map(|p| (0, p)).collect();
            let mut up = !mine.is_empty();
            let mut ends_json = Vec::new();
            for e in 0..2 {
                let site = l.site(e);
                let probes_here: Vec<&Probe> = mine.iter().map(|(_, p)| *p).filter(|p| p.site == site).collect();
                if probes_here.is_empty() {
                    continue;
                }
                let mut ike = "-".to_string();
                let mut bgp = "-".to_string();
                let mut routes = "-".to_string();
                for p in probes_here {
                    let k = ready.iter().position(|r| std::ptr::eq(*r, p));
                    let cell = match k.and_then(|k| results.get(&k)) {
                        None => {
                            up = false;
                            "not created yet".to_string()
                        }
                        Some(Err(e)) => {
                            up = false;
                            format!("error: {}", e.chars().take(60).collect::<String>())
                        }
                        Some(Ok(r)) => {
                            up &= r.up;
                            if let Some(n) = r.routes {
                                routes = n.to_string();
                            }
                            let text = if r.detail.is_empty() || r.detail == r.state {
                                r.state.clone()
                            } else {
                                format!("{} ({})", r.state, r.detail)
                            };
                            paint(&text, if r.up { "32" } else { "33" })
                        }
                    };
                    if p.reads.is_bgp() {
                        bgp = cell;
                    } else {
                        ike = cell;
                    }
                }
                rows.push([t.id.clone(), s.r.sites[site].name.clone(), ike.clone(), bgp.clone(), routes.clone()]);
                ends_json
                    .push(serde_json::json!({"site": s.r.sites[site].name, "ike": ike, "bgp": bgp, "routes": routes}));
            }
            if up {
                tunnels_up += 1;
            }
            tj.push(serde_json::json!({"id": t.id, "up": up, "ends": ends_json}));
        }
        let visible = |c: &str| super::ui::visible_len(c);
        let widths: Vec<usize> = (0..5).map(|k| rows.iter().map(|r| visible(&r[k])).max().unwrap_or(0)).collect();
        for r in &rows {
            let mut line = String::from(" ");
            for (k, cell) in r.iter().enumerate() {
                line.push(' ');
                line.push_str(cell);
                if k < 4 {
                    line.push_str(&" ".repeat(widths[k] - visible(cell) + 1));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        links_json.push(serde_json::json!({"id": l.id, "routing": l.routing.label(), "tunnels": tj}));
    }
    // What the clouds hold against the plan, beyond the tunnels' state.
    let mut refreshed = state.clone();
    let drift = super::drift::refreshed(&s, &mut refreshed, opts.jobs);
    if opts.json {
        let drift_json = match &drift {
            Ok(d) => serde_json::json!({
                "gone": d.gone.iter().map(|(id, what)| serde_json::json!({"step": id, "what": what})).collect::<Vec<_>>(),
                "differs": d.differs.iter().map(|(id, a)| serde_json::json!({"step": id, "attributes": a.iter().map(|x| serde_json::json!({"name": x.name, "cloud": x.old, "plan": x.new})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                "not_read": d.unread.iter().cloned().chain([super::drift::NOT_READ.to_string()]).collect::<Vec<_>>(),
            }),
            Err(e) => serde_json::json!({"not_read": e}),
        };
        let doc = serde_json::json!({"plan": s.plan.name, "tunnels": tunnels, "up": tunnels_up, "links": links_json, "drift": drift_json});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let verdict = if tunnels_up == tunnels {
            paint(&format!("All {tunnels} tunnels are up."), "1;32")
        } else {
            paint(&format!("{tunnels_up} of {tunnels} tunnels are up."), "1;33")
        };
        out.push_str(&format!("\n{verdict}\n"));
        match &drift {
            Ok(d) => out.push_str(&format!("\n{}", d.render())),
            Err(e) => out.push_str(&format!("\nDrift not read: {e}\n")),
        }
        print!("{out}");
    }
    let drifted = drift.as_ref().is_ok_and(|d| !d.is_empty());
    if tunnels_up == tunnels && tunnels > 0 && !drifted {
        Exit::Ok
    } else {
        Exit::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_follow_each_cloud_s_own_words() {
        let r = read(&Reads::AwsTelemetry, "UP\t2 BGP ROUTES\t2\n");
        assert!(r.up && r.routes == Some(2) && r.detail == "2 BGP ROUTES");
        assert!(!read(&Reads::AwsTelemetry, "DOWN\t\t0").up);
        assert!(read(&Reads::AzureConnection, "Connected\n").up);
        assert!(!read(&Reads::AzureConnection, "Connecting").up);
        let b = read(&Reads::AzureBgp, "Connected\t4");
        assert!(b.up && b.routes == Some(4));
        assert!(read(&Reads::GcpTunnel, "ESTABLISHED\tTunnel is up and running.").up);
        let json = r#"{"result": {"bgpPeerStatus": [{"name": "a-bgp", "state": "Established", "status": "UP", "numLearnedRoutes": 3}]}}"#;
        let g = read(&Reads::GcpBgp { peer: "a-bgp".into() }, json);
        assert!(g.up && g.routes == Some(3));
        assert_eq!(read(&Reads::GcpBgp { peer: "b-bgp".into() }, json).state, "no such peer");
        assert_eq!(read(&Reads::AwsTelemetry, "None").state, "unknown");
    }
}
