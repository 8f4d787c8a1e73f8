//! The preset list: each example plan with how many errors and warnings the engine finds in it.

use leptos::prelude::*;

use crate::check::{check, Severity};
use crate::plan::Plan;
use crate::presets::Preset;

/// What the list shows for one preset. Plain data, so it can be tested without a DOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetSummary {
    pub id: &'static str,
    pub title: &'static str,
    /// `None` when the preset's JSON does not parse (a bug in the engine's data, shown instead
    /// of panicking).
    pub counts: Option<(usize, usize)>,
}

impl PresetSummary {
    /// Parses and checks one preset.
    pub fn of(preset: &Preset) -> Self {
        let counts = Plan::from_json(preset.json).ok().map(|plan| {
            let findings = check(&plan);
            let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
            (count(Severity::Error), count(Severity::Warning))
        });
        Self { id: preset.id, title: preset.title, counts }
    }

    /// The counts as a person reads them, e.g. `2 errors, 1 warning`.
    pub fn counts_text(&self) -> String {
        match self.counts {
            None => "the preset does not parse".to_owned(),
            Some((errors, warnings)) => {
                format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
            }
        }
    }

    /// `true` when the engine found at least one error (or the preset does not parse).
    pub fn has_errors(&self) -> bool {
        self.counts.is_none_or(|(errors, _)| errors > 0)
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Each preset with its counts, or a short note when there are none.
///
/// ```no_run
/// use leptos::prelude::*;
/// use tunnelsmith::{presets::PRESETS, web::PresetList};
/// leptos::mount::mount_to_body(|| view! { <PresetList presets=PRESETS/> });
/// ```
#[component]
pub fn PresetList(
    /// The presets to list (the app passes [`crate::presets::PRESETS`]).
    presets: &'static [Preset],
) -> impl IntoView {
    let summaries: Vec<PresetSummary> = presets.iter().map(PresetSummary::of).collect();
    if summaries.is_empty() {
        return view! { <p class="empty" data-testid="no-presets">"No presets yet."</p> }.into_any();
    }
    view! {
        <ul class="presets" data-testid="presets">
            {summaries
                .into_iter()
                .map(|s| {
                    let class = if s.has_errors() { "counts bad" } else { "counts" };
                    let counts = s.counts_text();
                    view! {
                        <li data-preset=s.id>
                            <span class="title">{s.title}</span>
                            " "
                            <span class=class>{counts}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
