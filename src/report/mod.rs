//! The report model and its renderers.
//!
//! The model is plain serde data (the JSON contract of DESIGN "Output",
//! schema `netdoctor/v1`, additive changes only); [`human`], [`json`],
//! [`junit`] and [`prometheus`] render it; [`Printer`] is the one place that
//! writes to stdout.
//!
//! JSON schema (`netdoctor/v1`):
//! - `schema`, `version`, `ok` (every target ok; for `netdoctor env`: no
//!   finding failed), `env` {`status`,
//!   `findings`[{`code`,`status`,`summary`,`hint`,`client_errors`?}], `facts`}
//! - `targets`[]: `name`, `target` (redacted URL), `expect`, `met`, `ok`,
//!   `failed_layer` (null when ok), `diagnosis` (null when ok), `warnings`[],
//!   `stages`[{`layer`, `status`, `duration_ms`, `facts`, `diagnosis`?,
//!   `reason`?, `warnings`?[]}] (a stage's further warnings beside its
//!   diagnosis)

pub mod collect;
pub mod explain;
pub mod human;
pub mod json;
pub mod junit;
pub mod progress;
pub mod prometheus;
pub mod repeat;

use crate::diagnosis::{Diagnosis, Expect, Layer, Status};
pub use crate::env::EnvReport;
pub use crate::probe::StageReport;
use crate::probe::{Check, NotRun, Runs};
use serde::Serialize;

use std::io::{self, Write};

/// The whole run.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: &'static str,
    pub ok: bool,
    pub env: EnvReport,
    pub targets: Vec<TargetReport>,
}

impl Report {
    /// Assembles a report; `ok` follows from the targets and env.
    pub fn new(env: EnvReport, targets: Vec<TargetReport>) -> Self {
        Report {
            schema: "netdoctor/v1",
            version: env!("CARGO_PKG_VERSION"),
            ok: targets.iter().all(|t| t.met),
            env,
            targets,
        }
    }

    /// The exit code (DESIGN "Exit codes"): see [`exit_code`].
    #[cfg(test)]
    pub fn exit_code(&self) -> u8 {
        exit_code(self.targets.iter().map(TargetReport::brief))
    }
}

/// What the run's totals and exit code need of a target, kept when its
/// whole report is not (a long check file keeps its targets rendered).
#[derive(Debug, Clone, Copy)]
pub struct Brief {
    pub met: bool,
    /// Whether the target's expectation is `pass` (else a code).
    pub expect_pass: bool,
    pub failed_layer: Option<Layer>,
    /// When the target has no verdict of the path: why.
    pub unprobed: Option<Unprobed>,
    /// The time its stages took.
    pub seconds: f64,
}

/// Why a target has no verdict of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unprobed {
    /// netdoctor itself failed on it.
    Internal,
    /// The run's deadline passed before its turn.
    NotStarted,
}

/// The exit code (DESIGN "Exit codes"): 1 when netdoctor itself failed on
/// a target; 0 when every target met its expectation; else the most
/// fundamental failing layer's code among the targets that did not; 1 when
/// the only misses are targets `--max-time` left unstarted (the run did not
/// finish, which says nothing of the network); 3 when an expected failure
/// did not happen.
pub fn exit_code(briefs: impl IntoIterator<Item = Brief>) -> u8 {
    let mut layer: Option<Layer> = None;
    let (mut missed, mut not_started) = (false, false);
    for b in briefs {
        if b.unprobed == Some(Unprobed::Internal) {
            return crate::exit::INTERNAL;
        }
        if b.met {
            continue;
        }
        missed = true;
        not_started |= b.unprobed == Some(Unprobed::NotStarted);
        layer = match (layer, b.failed_layer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    match (missed, layer) {
        (false, _) => crate::exit::OK,
        (true, Some(l)) => l.exit_code(),
        (true, None) if not_started => crate::exit::INTERNAL,
        (true, None) => crate::exit::EXPECTED_FAILURE_MISSING,
    }
}

/// One target's result.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub name: String,
    pub target: String,
    pub expect: String,
    pub met: bool,
    pub ok: bool,
    pub failed_layer: Option<Layer>,
    pub diagnosis: Option<Diagnosis>,
    pub warnings: Vec<Diagnosis>,
    pub stages: Vec<StageReport>,
    /// Set when netdoctor itself failed on this target (exit code 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_error: Option<String>,
    /// With `--repeat`: statistics over the runs (`stages` is the last run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<repeat::RepeatSummary>,
    /// Set when the run's deadline (`--max-time`) passed before the target's
    /// turn: its stages are `skipped` with this reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_started: Option<String>,
}

impl TargetReport {
    /// A target netdoctor could not probe because of its own fault.
    pub fn internal_error(target: String, error: String) -> Self {
        let mut r = TargetReport::from_stages(target.clone(), target, Vec::new());
        r.ok = false;
        r.met = false;
        r.internal_error = Some(error);
        r
    }

    /// A check's report from its runs: one run as it is, several combined
    /// (`--repeat`), and whether it met its expectation.
    pub fn from_runs(check: &Check, runs: Runs) -> Self {
        let internal = runs
            .as_ref()
            .ok()
            .and_then(|runs| runs.iter().find_map(|r| r.internal.clone()));
        let mut report = match runs {
            Err(NotRun::Internal(e)) => TargetReport::internal_error(check.target.display_url(), e),
            Err(NotRun::Deadline(reason, layers)) => {
                let name = check.target.name.clone();
                let url = check.target.display_url();
                let stages = layers
                    .into_iter()
                    .map(|l| StageReport::skipped(l, reason.clone()))
                    .collect();
                let mut r =
                    TargetReport::from_stages(name.unwrap_or_else(|| url.clone()), url, stages);
                r.ok = false;
                r.not_started = Some(reason);
                r
            }
            Ok(mut runs) if runs.len() <= 1 => match runs.pop() {
                Some(run) => TargetReport::from_stages(run.name, run.target, run.stages),
                None => TargetReport::internal_error(check.target.display_url(), "no run".into()),
            },
            Ok(runs) => TargetReport::from_repeats(
                runs.into_iter()
                    .map(|r| TargetReport::from_stages(r.name, r.target, r.stages))
                    .collect(),
            ),
        };
        if let Some(e) = internal {
            report.ok = false;
            report.internal_error = Some(e);
        }
        report.apply_expectation(check.expect);
        report
    }

    /// What the totals and the exit code need of this target.
    pub fn brief(&self) -> Brief {
        Brief {
            met: self.met,
            expect_pass: self.expect == "pass",
            failed_layer: self.failed_layer,
            unprobed: if self.internal_error.is_some() {
                Some(Unprobed::Internal)
            } else {
                self.not_started.as_ref().map(|_| Unprobed::NotStarted)
            },
            seconds: self
                .stages
                .iter()
                .filter_map(|s| s.duration_ms)
                .sum::<f64>()
                / 1000.0,
        }
    }

    /// The `Date` header of the target's http reply, if it had one.
    pub fn server_date(&self) -> Option<&str> {
        self.stages
            .iter()
            .filter(|s| s.layer == Layer::Http)
            .filter_map(|s| s.facts.as_ref())
            .find_map(|f| match f {
                crate::probe::Facts::Http(http) => http.headers.as_ref()?.date.as_deref(),
                _ => None,
            })
    }

    /// Combines repeated runs: the last run's stages, the last failure's
    /// verdict (any failing run fails the target), and the statistics.
    pub fn from_repeats(mut runs: Vec<TargetReport>) -> Self {
        let summary = repeat::summarise(&runs);
        let last_failure = runs.iter().rposition(|r| !r.ok);
        let failure = last_failure.map(|i| (runs[i].failed_layer, runs[i].diagnosis.clone()));
        let mut report = runs
            .pop()
            .unwrap_or_else(|| TargetReport::from_stages(String::new(), String::new(), Vec::new()));
        if let Some((layer, diagnosis)) = failure {
            report.ok = false;
            report.met = false;
            report.failed_layer = layer;
            report.diagnosis = diagnosis;
        }
        report.repeat = Some(summary);
        report
    }

    /// Records the expectation and whether it was met: `pass` needs no
    /// failing stage; a code needs that diagnosis to occur.
    pub fn apply_expectation(&mut self, expect: Expect) {
        match expect {
            Expect::Pass => {
                "pass".clone_into(&mut self.expect);
                self.met = self.ok && self.internal_error.is_none();
            }
            Expect::Code(code) => {
                self.expect = code.as_str();
                let occurred = self
                    .diagnosis
                    .iter()
                    .chain(&self.warnings)
                    .any(|d| d.code == code)
                    || self
                        .repeat
                        .as_ref()
                        .is_some_and(|r| r.outcomes.contains_key(&code.as_str()));
                self.met = occurred;
            }
        }
    }

    /// Builds the target summary from its stages.
    pub fn from_stages(name: String, target: String, stages: Vec<StageReport>) -> Self {
        let failed = stages.iter().find(|s| s.status == Status::Fail);
        let failed_layer = failed.map(|s| s.layer);
        let diagnosis = failed.and_then(|s| s.diagnosis.clone());
        let warnings = stages
            .iter()
            .flat_map(|s| {
                let own = (s.status == Status::Warn)
                    .then(|| s.diagnosis.clone())
                    .flatten();
                own.into_iter().chain(s.warnings.iter().cloned())
            })
            .collect();
        let ok = failed.is_none();
        TargetReport {
            name,
            target,
            expect: "pass".to_owned(),
            met: ok,
            ok,
            failed_layer,
            diagnosis,
            warnings,
            stages,
            internal_error: None,
            repeat: None,
            not_started: None,
        }
    }
}

/// The one writer of stdout. Tests can render into a buffer instead.
pub struct Printer<W: Write> {
    out: W,
}

impl Printer<io::Stdout> {
    /// A printer on stdout.
    pub fn stdout() -> Self {
        Printer { out: io::stdout() }
    }
}

impl<W: Write> Printer<W> {
    /// A printer into any writer (a `Vec<u8>` in tests).
    #[cfg(test)]
    pub fn new(out: W) -> Self {
        Printer { out }
    }

    /// Writes rendered text; a closed pipe is not an error worth reporting.
    pub fn write(&mut self, text: &str) -> io::Result<()> {
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Printer;
    use std::io::{self, Write};

    /// A writer whose reader has gone away.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_printer_writes_into_a_buffer_and_a_closed_pipe_is_not_an_error() {
        let mut buf = Vec::new();
        Printer::new(&mut buf).write("✓ dns\n").expect("write");
        assert_eq!(buf, "✓ dns\n".as_bytes());
        assert!(Printer::new(ClosedPipe).write("x").is_ok());
    }
}
