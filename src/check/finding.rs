//! Findings: what `check` reports about a plan.

use serde::Serialize;
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The plan cannot be generated or would not work.
    Error,
    /// It would work, but something a careful engineer would change.
    Warning,
    /// A derived fact worth knowing (chosen profile, MTU, a fixed lifetime).
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One problem or fact about a plan, tied to the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable code, e.g. `E_CIDR_OVERLAP`; never reused for another rule.
    pub code: &'static str,
    /// Path of the field, e.g. `sites[1].address_spaces[0]`, so the UI can jump there.
    pub path: String,
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// Knowledge-base source keys the rule rests on, e.g. `[AZ-FAQ]`; empty for plain logic.
    pub source: String,
}

impl Finding {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} at {}: {}", self.severity, self.code, self.path, self.message)?;
        if !self.fix.is_empty() {
            write!(f, " Fix: {}", self.fix)?;
        }
        if !self.source.is_empty() {
            write!(f, " {}", self.source)?;
        }
        Ok(())
    }
}
