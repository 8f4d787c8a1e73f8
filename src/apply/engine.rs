//! The scheduler shared by `apply` and `destroy`: tasks in a dependency graph, each started as
//! soon as everything it depends on is done, run on their own threads; at most `--jobs`
//! commands at once, handed out longest-remaining-path first, so the steps that hold up the
//! most work (an Azure gateway) go first. Waiting (polls, back-off) holds no command slot.
//!
//! Stopping: after a failure, or on the first Ctrl-C, no new task starts, waits and queued
//! commands are dropped, and commands already running finish and are recorded. On a second
//! Ctrl-C the running commands are stopped (SIGTERM, then SIGKILL) and recorded as unknown.

use super::run::{classify, run, Call, Class, Log, Outcome};
use super::time::{human, scaled};
use super::ui::Ui;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One unit of work.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// Indices of the tasks it waits for.
    pub deps: Vec<usize>,
    /// Expected seconds (ordering and the time-left estimate).
    pub estimate: f64,
    /// Done before this run started.
    pub done: bool,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// Took effect: `value` is what it captured; `found` when a check found it already done.
    Done {
        value: Option<String>,
        found: bool,
    },
    Failed(String),
    /// It may or may not have taken effect (stopped mid-command, output unreadable).
    Unknown(String),
    /// Stopped before it did anything.
    Cancelled,
    /// Left to the user: the message says what to run.
    Manual(String),
}

/// What workers tell the scheduler.
#[derive(Debug)]
pub enum Event {
    /// A command started (`Some(pid)`) or ended (`None`).
    Pid(usize, Option<u32>),
    /// A short note for the live line (the state a wait last read).
    Note(usize, String),
    End(usize, End),
}

/// Shared by every worker.
pub struct Shared {
    pub log: Log,
    /// Extra environment for every command.
    pub env: Vec<(String, String)>,
    pub scale: f64,
    /// 0 running, 1 stopping (no new work), 2 stop running commands now.
    stop: AtomicU8,
    slots: Mutex<Slots>,
    freed: Condvar,
    /// Per task: the longest path of estimates from it to the end (its priority).
    priority: Mutex<Vec<f64>>,
}

#[derive(Default)]
struct Slots {
    free: usize,
    /// (priority, arrival, task) of the commands waiting for a slot.
    waiting: Vec<(f64, u64, usize)>,
    arrivals: u64,
}

impl Shared {
    pub fn new(log: Log, env: Vec<(String, String)>, jobs: usize, scale: f64) -> Shared {
        Shared {
            log,
            env,
            scale,
            stop: AtomicU8::new(0),
            slots: Mutex::new(Slots { free: jobs.max(1), ..Slots::default() }),
            freed: Condvar::new(),
            priority: Mutex::new(Vec::new()),
        }
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) > 0
    }

    fn set_stop(&self, level: u8) {
        self.stop.fetch_max(level, Ordering::SeqCst);
        self.freed.notify_all();
    }

    /// Wait for a command slot (highest priority first); `false` when stopping first.
    fn acquire(&self, task: usize) -> bool {
        let prio = self.priority.lock().map(|p| p.get(task).copied().unwrap_or(0.0)).unwrap_or(0.0);
        let mut g = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        g.arrivals += 1;
        let me = (prio, g.arrivals, task);
        g.waiting.push(me);
        loop {
            if self.stopping() {
                g.waiting.retain(|w| w.1 != me.1);
                self.freed.notify_all();
                return false;
            }
            let best = g.waiting.iter().copied().max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
            if g.free > 0 && best.map(|b| b.1) == Some(me.1) {
                g.free -= 1;
                g.waiting.retain(|w| w.1 != me.1);
                // Another slot may be free for the next in line.
                self.freed.notify_all();
                return true;
            }
            g = self.freed.wait_timeout(g, Duration::from_millis(200)).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    fn release(&self) {
        let mut g = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        g.free += 1;
        self.freed.notify_all();
    }
}

/// A worker's handle: run commands, sleep, report.
pub struct Cx<'a> {
    pub task: usize,
    pub shared: &'a Shared,
    tx: Sender<Event>,
}

impl Cx<'_> {
    pub fn stopping(&self) -> bool {
        self.shared.stopping()
    }

    pub fn note(&self, text: impl Into<String>) {
        let _ = self.tx.send(Event::Note(self.task, text.into()));
    }

    /// Sleep `secs` (scaled); `false` when told to stop meanwhile.
    pub fn sleep(&self, secs: f64) -> bool {
        let until = Instant::now() + scaled(secs, self.shared.scale);
        while Instant::now() < until {
            if self.stopping() {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        !self.stopping()
    }

    /// Run one command when a slot is free; `None` when stopping before it started.
    pub fn call(&self, call: &Call) -> Option<Outcome> {
        if !self.shared.acquire(self.task) {
            return None;
        }
        self.shared.log.write(&call.step, &format!("run: {}", call.shown));
        let tx = self.tx.clone();
        let task = self.task;
        let o = run(call, &self.shared.env, &mut |pid| {
            let _ = tx.send(Event::Pid(task, Some(pid)));
        });
        let _ = self.tx.send(Event::Pid(self.task, None));
        self.shared.release();
        self.shared.log.outcome(call, &o);
        Some(o)
    }

    /// Run a command, retrying throttling (up to 8 tries) and busy resources (up to 12) with
    /// exponential back-off; `None` when stopping before a try.
    pub fn call_retrying(&self, call: &Call) -> Option<(Outcome, Class)> {
        let mut tries = 0u32;
        loop {
            let o = self.call(call)?;
            let class = classify(&call.program, &o);
            tries += 1;
            let (limit, base) = match class {
                Class::Throttled => (8, 2.0),
                Class::Busy => (12, 5.0),
                Class::Ok | Class::NotFound | Class::Failed => return Some((o, class)),
            };
            if tries >= limit {
                return Some((o, class));
            }
            // Exponential, capped at a minute, with a little jitter from the clock.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let jitter = f64::from(nanos % 1000) / 1000.0;
            let delay = (base * 2f64.powi(tries as i32 - 1)).min(60.0) * (0.8 + 0.4 * jitter);
            let what = if class == Class::Throttled { "throttled" } else { "busy" };
            self.note(format!("{what}; retry {tries} in {}", human(delay)));
            self.shared.log.write(&call.step, &format!("{what}: retrying in {delay:.1}s (try {tries} of {limit})"));
            if !self.sleep(delay) {
                return None;
            }
        }
    }
}

/// How a run ended, in counts.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub done: usize,
    pub found: usize,
    pub failed: Vec<(String, String)>,
    pub unknown: Vec<String>,
    pub cancelled: usize,
    pub manual: usize,
    pub interrupted: bool,
    pub secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Ts {
    Waiting,
    Running { since: Instant, pid: Option<u32>, note: String, started_cmd: bool },
    Ended(End),
}

/// Longest path (sum of `cost`) from each task to the end of the graph.
pub fn tails(tasks: &[Task], cost: &[f64]) -> Vec<f64> {
    let n = tasks.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, t) in tasks.iter().enumerate() {
        for &d in &t.deps {
            dependents[d].push(i);
        }
    }
    let mut memo: Vec<Option<f64>> = vec![None; n];
    fn go(i: usize, dependents: &[Vec<usize>], cost: &[f64], memo: &mut Vec<Option<f64>>) -> f64 {
        if let Some(v) = memo[i] {
            return v;
        }
        let mut best: f64 = 0.0;
        for &j in &dependents[i] {
            best = best.max(go(j, dependents, cost, memo));
        }
        let v = cost[i] + best;
        memo[i] = Some(v);
        v
    }
    (0..n).map(|i| go(i, &dependents, cost, &mut memo)).collect()
}

/// The critical path of the whole graph (longest chain of costs).
pub fn critical_path(tasks: &[Task], cost: &[f64]) -> f64 {
    tails(tasks, cost).into_iter().fold(0.0, f64::max)
}

/// Run every task not yet done. `start(i)` (on this thread) records that task `i` starts and
/// returns its work, which runs on its own thread; `event` sees every event first (to record
/// it); `flush` writes what was recorded, and is called before any work of a batch starts and
/// after each batch of events, so the record on disk never lags behind a command started.
pub fn run_tasks<'env, W>(
    tasks: &[Task],
    shared: &'env Shared,
    ui: &mut Ui,
    jobs: usize,
    mut start: impl FnMut(usize) -> W,
    mut event: impl FnMut(&Event, &mut Ui),
    mut flush: impl FnMut(),
) -> Summary
where
    W: FnOnce(&Cx) -> End + Send + 'env,
{
    let mut run = Run::new(tasks, shared, jobs);
    let (tx, rx) = channel::<Event>();
    std::thread::scope(|s| loop {
        run.interruptions(ui);
        let ready = run.ready();
        let batch: Vec<(usize, W)> = ready.into_iter().map(|i| (i, start(i))).collect();
        if !batch.is_empty() {
            flush();
        }
        for (i, work) in batch {
            run.starting(i, ui);
            let tx = tx.clone();
            s.spawn(move || {
                let cx = Cx { task: i, shared, tx: tx.clone() };
                let end = work(&cx);
                let _ = tx.send(Event::End(i, end));
            });
        }
        if run.running() == 0 {
            break;
        }
        let events = next_events(&rx);
        let any = !events.is_empty();
        for ev in events {
            event(&ev, ui);
            run.collect(ev, ui);
        }
        if any {
            flush();
        }
        run.progress(ui);
    });
    ui.clear_live();
    run.summary.secs = run.t0.elapsed().as_secs_f64();
    run.summary
}

/// The events that arrived within 100 ms: the first one waited for, then all already queued.
fn next_events(rx: &Receiver<Event>) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    match rx.recv_timeout(Duration::from_millis(100)) {
        Ok(ev) => {
            events.push(ev);
            while let Ok(more) = rx.try_recv() {
                events.push(more);
            }
        }
        Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
    }
    events
}

/// The scheduler's state between passes of [`run_tasks`]'s loop.
struct Run<'t> {
    tasks: &'t [Task],
    shared: &'t Shared,
    jobs: usize,
    ts: Vec<Ts>,
    /// Each task's estimate, at least 0.1 s.
    est: Vec<f64>,
    summary: Summary,
    /// A task failed: nothing new starts.
    failed: bool,
    seen_interrupts: usize,
    /// Ctrl-C presses seen in this run (1: stop starting, 2: stop running commands).
    level: u8,
    /// When the running commands, sent SIGTERM, get SIGKILL.
    kill_at: Option<Instant>,
    last_draw: Instant,
    t0: Instant,
}

impl<'t> Run<'t> {
    fn new(tasks: &'t [Task], shared: &'t Shared, jobs: usize) -> Self {
        let ts = tasks
            .iter()
            .map(|t| if t.done { Ts::Ended(End::Done { value: None, found: false }) } else { Ts::Waiting })
            .collect();
        let est: Vec<f64> = tasks.iter().map(|t| t.estimate.max(0.1)).collect();
        if let Ok(mut p) = shared.priority.lock() {
            *p = tails(tasks, &est);
        }
        let t0 = Instant::now();
        Run {
            tasks,
            shared,
            jobs,
            ts,
            est,
            summary: Summary::default(),
            failed: false,
            seen_interrupts: super::sys::interrupts(),
            level: 0,
            kill_at: None,
            last_draw: t0 - Duration::from_secs(1),
            t0,
        }
    }

    fn running(&self) -> usize {
        self.ts.iter().filter(|t| matches!(t, Ts::Running { .. })).count()
    }

    /// Sends `sig` to every running command's process group.
    fn signal_running(&self, sig: nix::sys::signal::Signal) {
        for t in &self.ts {
            if let Ts::Running { pid: Some(pid), .. } = t {
                super::sys::signal_group(*pid, sig);
            }
        }
    }

    /// Interrupts: the first stops new work, the second stops running commands (SIGTERM, and
    /// SIGKILL 5 s later).
    fn interruptions(&mut self, ui: &mut Ui) {
        let now_int = super::sys::interrupts();
        if now_int > self.seen_interrupts {
            self.seen_interrupts = now_int;
            self.summary.interrupted = true;
            self.level += 1;
            if self.level == 1 {
                self.shared.set_stop(1);
                let running: Vec<&str> = self
                    .tasks
                    .iter()
                    .zip(&self.ts)
                    .filter(|(_, t)| matches!(t, Ts::Running { started_cmd: true, .. }))
                    .map(|(t, _)| t.id.as_str())
                    .collect();
                let msg = if running.is_empty() {
                    "Interrupted: stopping; nothing was running a command.".to_string()
                } else {
                    format!(
                        "Interrupted: no new step will start; waiting for {} running command{} to finish ({}). \
                         Press Ctrl-C again to stop them now (they are then checked on the next run).",
                        running.len(),
                        if running.len() == 1 { "" } else { "s" },
                        running.join(", ")
                    )
                };
                ui.say(&ui.yellow(&msg));
            } else {
                self.shared.set_stop(2);
                ui.say(&ui.yellow("Stopping the running commands now; they are recorded as unknown."));
                self.signal_running(super::sys::SIGTERM);
                self.kill_at = Some(Instant::now() + Duration::from_secs(5));
            }
        }
        if self.kill_at.is_some_and(|at| Instant::now() >= at) {
            self.signal_running(super::sys::SIGKILL);
            self.kill_at = None;
        }
    }

    /// Scheduling: the waiting tasks whose dependencies are all done, most urgent first; none
    /// after a failure or an interrupt.
    fn ready(&self) -> Vec<usize> {
        if self.failed || self.level > 0 {
            return Vec::new();
        }
        let prio = self.shared.priority.lock().map(|p| p.clone()).unwrap_or_default();
        let mut ready: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| {
                self.ts[i] == Ts::Waiting
                    && self.tasks[i].deps.iter().all(|&d| matches!(self.ts[d], Ts::Ended(End::Done { .. })))
            })
            .collect();
        ready.sort_by(|a, b| prio[*b].total_cmp(&prio[*a]));
        ready
    }

    /// Starting a task: it is running from now (its thread is spawned by the caller).
    fn starting(&mut self, i: usize, ui: &mut Ui) {
        self.ts[i] = Ts::Running { since: Instant::now(), pid: None, note: String::new(), started_cmd: false };
        if !ui.tty {
            ui.say(&format!("  {}  {}  {}", ui.dim("start "), self.tasks[i].id, self.tasks[i].title));
        }
    }

    /// Collecting: a task's command started or stopped, its note changed, or it ended.
    fn collect(&mut self, ev: Event, ui: &mut Ui) {
        match ev {
            Event::Pid(i, pid) => {
                if let Ts::Running { pid: p, started_cmd, .. } = &mut self.ts[i] {
                    *p = pid;
                    *started_cmd |= pid.is_some();
                }
            }
            Event::Note(i, text) => {
                if let Ts::Running { note, .. } = &mut self.ts[i] {
                    *note = text;
                }
            }
            Event::End(i, end) => self.finished(i, end, ui),
        }
    }

    /// Collecting a finished task: counted, its line said, and (not on a terminal) the summary.
    /// The first failure stops new work.
    fn finished(&mut self, i: usize, end: End, ui: &mut Ui) {
        let secs = match &self.ts[i] {
            Ts::Running { since, .. } => since.elapsed().as_secs_f64(),
            Ts::Waiting | Ts::Ended(_) => 0.0,
        };
        match &end {
            End::Done { found, .. } => {
                self.summary.done += 1;
                if *found {
                    self.summary.found += 1;
                }
            }
            End::Failed(m) => {
                self.summary.failed.push((self.tasks[i].id.clone(), m.clone()));
                if !self.failed {
                    self.failed = true;
                    self.shared.set_stop(1);
                }
            }
            End::Unknown(_) => self.summary.unknown.push(self.tasks[i].id.clone()),
            End::Cancelled => self.summary.cancelled += 1,
            End::Manual(_) => self.summary.manual += 1,
        }
        let cancelled = matches!(end, End::Cancelled);
        if !cancelled {
            ui.say(&end_line(ui, &self.tasks[i], &end, secs));
        }
        self.ts[i] = Ts::Ended(end);
        if !ui.tty && !cancelled {
            let line = summary_line(self.tasks, &self.ts, &self.est, self.jobs, self.t0);
            ui.say(&format!("  {}", ui.dim(&line)));
        }
    }

    /// Progress on a terminal, at most every 200 ms: a spinner line per task running a command
    /// or with a note, then the summary line.
    fn progress(&mut self, ui: &mut Ui) {
        if !ui.tty || self.last_draw.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last_draw = Instant::now();
        let spin =
            ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][(self.t0.elapsed().as_millis() / 100 % 10) as usize];
        let mut lines: Vec<String> = Vec::new();
        for (t, st) in self.tasks.iter().zip(&self.ts) {
            if let Ts::Running { since, note, started_cmd, .. } = st {
                if !started_cmd && note.is_empty() {
                    continue;
                }
                let note = if note.is_empty() { String::new() } else { format!("  {}", ui.yellow(note)) };
                lines.push(format!(
                    "  {} {:>6}  {}  {}{note}",
                    ui.yellow(spin),
                    human(since.elapsed().as_secs_f64()),
                    ui.bold(&t.id),
                    t.title
                ));
            }
        }
        lines.push(format!("  {}", summary_line(self.tasks, &self.ts, &self.est, self.jobs, self.t0)));
        ui.live(&lines);
    }
}

fn end_line(ui: &Ui, t: &Task, end: &End, secs: f64) -> String {
    let (mark, extra) = match end {
        End::Done { found: true, .. } => (ui.green(if ui.tty { "✓ found" } else { "found " }), String::new()),
        End::Done { value, .. } => (
            ui.green(if ui.tty { "✓" } else { "done  " }),
            value.as_ref().map(|v| format!("  → {v}")).unwrap_or_default(),
        ),
        End::Failed(m) => (ui.red(if ui.tty { "✗" } else { "FAILED" }), format!("\n      {}", ui.red(m))),
        End::Unknown(m) => (ui.yellow(if ui.tty { "?" } else { "unknown" }), format!("  ({m})")),
        End::Manual(_) => (ui.yellow(if ui.tty { "…" } else { "manual" }), "  (by hand: see below)".to_string()),
        End::Cancelled => (String::new(), String::new()),
    };
    format!("  {mark}  {}  {}  {}{extra}", t.id, t.title, ui.dim(&format!("[{}]", human(secs))))
}

/// `12 done · 3 running · 74 left · about 41m left`.
fn summary_line(tasks: &[Task], ts: &[Ts], est: &[f64], jobs: usize, t0: Instant) -> String {
    let done = ts.iter().filter(|t| matches!(t, Ts::Ended(End::Done { .. }))).count();
    let running = ts.iter().filter(|t| matches!(t, Ts::Running { .. })).count();
    let left = ts.iter().filter(|t| matches!(t, Ts::Waiting)).count();
    // Remaining cost: nothing for ended tasks, what is left of the estimate for running ones.
    let cost: Vec<f64> = ts
        .iter()
        .zip(est)
        .map(|(t, e)| match t {
            Ts::Ended(_) => 0.0,
            Ts::Running { since, .. } => (e - since.elapsed().as_secs_f64()).max(0.5),
            Ts::Waiting => *e,
        })
        .collect();
    let cp = critical_path(tasks, &cost);
    let total: f64 = cost.iter().sum();
    let eta = cp.max(total / jobs.max(1) as f64);
    format!(
        "{done} done · {running} running · {left} left · {} elapsed{}",
        human(t0.elapsed().as_secs_f64()),
        if running + left > 0 { format!(" · about {} left", human(eta)) } else { String::new() }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, deps: &[usize]) -> Task {
        Task { id: id.into(), title: id.into(), deps: deps.to_vec(), estimate: 1.0, done: false }
    }

    #[test]
    fn critical_path_is_the_longest_chain() {
        // a → b → d, a → c → d; c is slow.
        let t = vec![task("a", &[]), task("b", &[0]), task("c", &[0]), task("d", &[1, 2])];
        assert_eq!(critical_path(&t, &[1.0, 1.0, 10.0, 1.0]), 12.0);
        assert_eq!(tails(&t, &[1.0, 1.0, 10.0, 1.0]), vec![12.0, 2.0, 11.0, 1.0]);
    }
}
