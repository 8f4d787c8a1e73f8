//! The run order across clouds: the steps grouped into per-site scripts ("parts"), each
//! runnable once the scripts before it have run.
//!
//! Rounds: in each round every site, slowest platform first (Azure's gateway takes 45 minutes,
//! so it starts first and with `--no-wait`), takes every step whose inputs exist by then. A
//! poll (a step with `wait`) is taken only when a later step of the same part needs it, so a
//! script never sits waiting for a gateway when other clouds could be working meanwhile.

use super::Step;
use crate::check::Resolved;
use crate::plan::Platform;
use std::collections::HashMap;

/// One script: a run of one site's steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub site: usize,
    /// 1-based part number within the site, and how many parts the site has.
    pub part: usize,
    pub parts: usize,
    /// Indices into the steps, in run order.
    pub steps: Vec<usize>,
}

fn priority(p: Platform) -> u8 {
    match p {
        Platform::Azure => 0,
        Platform::Gcp => 1,
        Platform::Aws => 2,
        Platform::Onprem => 3,
    }
}

/// Group `steps` into scripts in run order.
///
/// Dependencies are resolved to indices once, and membership is a flag per step, so a plan of
/// hundreds of steps orders in well under a millisecond.
pub fn order(r: &Resolved, steps: &[Step]) -> Vec<Script> {
    let mut sites: Vec<usize> = (0..r.sites.len()).collect();
    sites.sort_by_key(|&i| (priority(r.sites[i].platform), i));
    // The first step with each id (ids are unique; a dependency on no step is satisfied).
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        index.entry(s.id.as_str()).or_insert(i);
    }
    let deps: Vec<Vec<usize>> =
        steps.iter().map(|s| s.after.iter().filter_map(|d| index.get(d.as_str()).copied()).collect()).collect();
    let mut needed = vec![false; steps.len()];
    for d in deps.iter().flatten() {
        needed[*d] = true;
    }
    let long: Vec<bool> = steps.iter().map(|s| s.wait.as_ref().is_some_and(|w| w.is_long())).collect();
    // Each site's steps that are not polls, in order.
    let mut actions: Vec<Vec<usize>> = vec![Vec::new(); r.sites.len()];
    for (i, s) in steps.iter().enumerate() {
        if s.wait.is_none() && s.site < actions.len() {
            actions[s.site].push(i);
        }
    }
    let mut done = vec![false; steps.len()];
    let mut n_done = 0;
    let mut in_take = vec![false; steps.len()];
    let mut round_of: Vec<usize> = vec![usize::MAX; steps.len()];
    let mut scripts: Vec<Script> = Vec::new();
    let mut round = 0;
    while n_done < steps.len() {
        round += 1;
        let mut progress = false;
        for &site in &sites {
            let mut take: Vec<usize> = Vec::new();
            // A poll is ready when what it waits on has run; a long one only from the round
            // after, so that the other clouds work while it runs.
            let ready = |i: usize, in_take: &[bool]| {
                deps[i].iter().all(|&j| done[j] && (!long[i] || round_of[j] < round) || in_take[j] && !long[i])
            };
            loop {
                let mut found = None;
                for &i in &actions[site] {
                    if done[i] || in_take[i] {
                        continue;
                    }
                    // Polls of this site this step needs, themselves ready.
                    let mut polls = Vec::new();
                    let ok = deps[i].iter().all(|&j| {
                        if done[j] || in_take[j] {
                            true
                        } else if steps[j].site == site && steps[j].wait.is_some() && ready(j, &in_take) {
                            polls.push(j);
                            true
                        } else {
                            false
                        }
                    });
                    if ok {
                        found = Some((i, polls));
                        break;
                    }
                }
                match found {
                    Some((i, polls)) => {
                        for j in polls.into_iter().chain([i]) {
                            in_take[j] = true;
                            take.push(j);
                        }
                    }
                    None => break,
                }
            }
            // Polls no step waits for (read-back checks) run as soon as they are ready.
            for j in 0..steps.len() {
                let idle = steps[j].site == site && !needed[j] && !done[j] && !in_take[j];
                if idle && steps[j].wait.is_some() && ready(j, &in_take) {
                    in_take[j] = true;
                    take.push(j);
                }
            }
            if !take.is_empty() {
                for &i in &take {
                    round_of[i] = round;
                    in_take[i] = false;
                    done[i] = true;
                }
                n_done += take.len();
                scripts.push(Script { site, part: 0, parts: 0, steps: take });
                progress = true;
            }
        }
        if !progress {
            // Only polls nobody needs, or steps whose inputs no step produces: run what is left
            // in a last part per site so that nothing is silently dropped.
            for &site in &sites {
                let rest: Vec<usize> = (0..steps.len()).filter(|&i| steps[i].site == site && !done[i]).collect();
                if !rest.is_empty() {
                    for &i in &rest {
                        done[i] = true;
                    }
                    n_done += rest.len();
                    scripts.push(Script { site, part: 0, parts: 0, steps: rest });
                }
            }
        }
    }
    // Merge consecutive parts of one site and number them.
    let mut merged: Vec<Script> = Vec::new();
    for s in scripts {
        match merged.last_mut() {
            Some(last) if last.site == s.site => last.steps.extend(s.steps),
            _ => merged.push(s),
        }
    }
    for i in 0..merged.len() {
        let site = merged[i].site;
        let part = merged[..=i].iter().filter(|s| s.site == site).count();
        let parts = merged.iter().filter(|s| s.site == site).count();
        merged[i].part = part;
        merged[i].parts = parts;
    }
    merged
}
