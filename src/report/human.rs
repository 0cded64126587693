//! The human renderer: one line per stage, then the verdict with the fix.
//!
//! ```text
//! https://api.test/
//!   ✓ dns           0.1 ms  127.0.0.1 (pinned by --resolve)
//!   ✗ certificate   0.4 ms  the chain ends in a CA this container does not trust: CN=…
//!   · http                  skipped: certificate failed
//!
//!   error[CERT_UNKNOWN_ISSUER] certificate: the chain ends in …
//!     your client prints: curl: (60) SSL certificate problem: …
//!   hint: …
//! ```
//!
//! Colour is decided once by the caller; untrusted text is escaped here.

mod env;

use super::{Brief, StageReport, TargetReport};
use crate::diagnosis::{Diagnosis, Status};
use crate::probe::certificate::{CertificateFacts, StoreVerdict};
use crate::redact::terminal_safe;
use env::render_env;
pub use env::render_env_command;
use owo_colors::OwoColorize;
use std::fmt::Write as _;

/// Rendering options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub verbose: bool,
}

impl Style {
    fn paint(self, text: &str, status: Status) -> String {
        if !self.color {
            return text.to_owned();
        }
        match status {
            Status::Pass => text.green().to_string(),
            Status::Warn => text.yellow().to_string(),
            Status::Fail => text.red().bold().to_string(),
            Status::Skipped => text.dimmed().to_string(),
        }
    }

    fn bold(self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_owned()
        }
    }

    fn dim(self, text: &str) -> String {
        if self.color {
            text.dimmed().to_string()
        } else {
            text.to_owned()
        }
    }
}

/// How much of a stage's summary fits on its line when a diagnosis block
/// below repeats it in full.
const STAGE_LINE_MAX: usize = 100;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Skipped => "·",
    }
}

/// Renders the whole report.
#[cfg(test)]
pub fn render(report: &super::Report, style: Style) -> String {
    let mut out = String::new();
    render_env(&mut out, &report.env, style);
    for t in &report.targets {
        out.push_str(&target_block(t, style));
    }
    out.push_str(&tail(report.targets.iter().map(TargetReport::brief), style));
    out
}

/// One target's block as [`render`] shows it (after a blank line), for a
/// caller that renders targets as they end.
pub fn target_block(t: &TargetReport, style: Style) -> String {
    let mut out = String::from("\n");
    render_target(&mut out, t, style);
    out
}

/// The env block as [`render`] opens with it.
pub fn env_block(env: &super::EnvReport, style: Style) -> String {
    let mut out = String::new();
    render_env(&mut out, env, style);
    out
}

/// The closing line: how many targets failed (or missed their expectation).
pub fn tail(briefs: impl IntoIterator<Item = Brief>, style: Style) -> String {
    let (mut failed, mut total, mut expectations) = (0, 0, false);
    for b in briefs {
        total += 1;
        failed += usize::from(!b.met);
        // With expectations (check files), "failed" would be ambiguous.
        expectations |= !b.expect_pass;
    }
    let line = match (failed, expectations) {
        (0, false) => style.paint(&format!("{total} of {total} target(s) OK"), Status::Pass),
        (0, true) => style.paint(
            &format!("{total} of {total} target(s) met their expectation"),
            Status::Pass,
        ),
        (_, false) => style.paint(
            &format!("{failed} of {total} target(s) failed"),
            Status::Fail,
        ),
        (_, true) => style.paint(
            &format!("{failed} of {total} target(s) did not meet their expectation"),
            Status::Fail,
        ),
    };
    format!("\n{line}\n")
}

fn render_target(out: &mut String, t: &TargetReport, style: Style) {
    let _ = writeln!(out, "{}", style.bold(&terminal_safe(&t.name, 300)));
    if t.name != t.target {
        let _ = writeln!(out, "  {}", terminal_safe(&t.target, 300));
    }
    for s in &t.stages {
        render_stage(out, s, style);
    }
    if let Some(r) = &t.repeat {
        render_repeat(out, r, style);
    }
    if t.expect != "pass" {
        let (verdict, status) = if t.met {
            ("occurred, as expected", Status::Pass)
        } else {
            ("did not occur", Status::Fail)
        };
        let _ = writeln!(
            out,
            "  {} expected {}: {verdict}",
            style.paint(mark(status), status),
            t.expect
        );
    }
    if let Some(reason) = &t.not_started {
        let _ = writeln!(
            out,
            "  {} {}\n  hint: raise --max-time, or --jobs to probe more targets at once",
            style.paint("error:", Status::Fail),
            terminal_safe(reason, 300)
        );
    }
    if let Some(e) = &t.internal_error {
        let _ = writeln!(
            out,
            "  {} netdoctor itself failed: {}",
            style.paint("error:", Status::Fail),
            terminal_safe(e, 300)
        );
    }
    if let Some(d) = &t.diagnosis {
        out.push('\n');
        render_diagnosis(out, d, style, "error");
    }
    for w in &t.warnings {
        out.push('\n');
        render_diagnosis(out, w, style, "warning");
    }
}

fn render_repeat(out: &mut String, r: &super::repeat::RepeatSummary, style: Style) {
    let outcomes: Vec<String> = r
        .outcomes
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    let _ = writeln!(
        out,
        "\n  {} {} runs: {}",
        style.bold("repeat:"),
        r.runs,
        outcomes.join(", ")
    );
    let _ = writeln!(
        out,
        "    {:<12} {:<32} {:>8} {:>8} {:>8} {:>8}  ms per run",
        "layer", "outcomes", "min", "p50", "p95", "max"
    );
    for st in &r.stages {
        let counts: Vec<String> = st
            .outcomes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let (min, p50, p95, max) = st.latency_ms.map_or(
            (String::new(), String::new(), String::new(), String::new()),
            |l| {
                (
                    format!("{:.1}", l.min),
                    format!("{:.1}", l.p50),
                    format!("{:.1}", l.p95),
                    format!("{:.1}", l.max),
                )
            },
        );
        let _ = writeln!(
            out,
            "    {:<12} {:<32} {min:>8} {p50:>8} {p95:>8} {max:>8}  {}",
            st.layer.name(),
            counts.join(" · "),
            super::repeat::sparkline(&st.series_ms, 40)
        );
    }
}

fn render_stage(out: &mut String, s: &StageReport, style: Style) {
    let duration = s
        .duration_ms
        .map_or_else(String::new, |ms| format!("{ms:.1} ms"));
    let text = match s.status {
        Status::Skipped => format!("skipped: {}", s.reason.as_deref().unwrap_or("")),
        _ => s.summary.clone().unwrap_or_default(),
    };
    // The full text of a warning or failure follows in its diagnosis block.
    let max = if s.diagnosis.is_some() {
        STAGE_LINE_MAX
    } else {
        300
    };
    let _ = writeln!(
        out,
        "  {} {:<12} {:>9}  {}",
        style.paint(mark(s.status), s.status),
        s.layer.name(),
        duration,
        terminal_safe(&text, max)
    );
    if let Some(crate::probe::Facts::Certificate(facts)) = &s.facts {
        render_store_table(out, facts, s.status, style);
    }
    if style.verbose {
        if let Some(serde_json::Value::Object(facts)) =
            s.facts.as_ref().map(crate::probe::Facts::to_json)
        {
            for (k, v) in &facts {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let _ = writeln!(
                    out,
                    "        {} {}",
                    style.dim(&format!("{k}:")),
                    terminal_safe(&v, 400)
                );
            }
        }
    }
}

/// The certificate stage's verdict per store, as a small table: the
/// container's stores (the verdict), then the runtimes' own stores. Shown
/// when the stage did not pass or when runtimes keep their own stores.
fn render_store_table(out: &mut String, facts: &CertificateFacts, status: Status, style: Style) {
    let mut rows: Vec<(String, &StoreVerdict)> = facts
        .stores
        .iter()
        .map(|(name, verdict)| (name.clone(), verdict))
        .collect();
    let runtimes: Vec<(String, &StoreVerdict)> = facts
        .runtime_stores
        .iter()
        .flatten()
        .map(|r| (format!("{} — {}", r.store, r.clients), &r.verdict))
        .collect();
    if rows.is_empty() || (status == Status::Pass && runtimes.is_empty()) {
        return;
    }
    rows.extend(runtimes);
    let rows: Vec<(String, String, Status)> = rows
        .into_iter()
        .map(|(n, v)| {
            let mark_status = if v.is_trusted() {
                Status::Pass
            } else {
                Status::Warn
            };
            (
                terminal_safe(&n, 72),
                terminal_safe(&v.to_string(), 200),
                mark_status,
            )
        })
        .collect();
    let width = rows
        .iter()
        .map(|(n, _, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = writeln!(
        out,
        "      {}",
        style.dim(&format!("{:<width$}  verdict", "store"))
    );
    for (name, verdict, mark_status) in rows {
        let pad = width.saturating_sub(name.chars().count());
        let _ = writeln!(
            out,
            "      {name}{}  {}",
            " ".repeat(pad),
            style.paint(&verdict, mark_status)
        );
    }
}

fn render_diagnosis(out: &mut String, d: &Diagnosis, style: Style, kind: &str) {
    let head = format!("{kind}[{}]", d.code.as_str());
    let status = if kind == "error" {
        Status::Fail
    } else {
        Status::Warn
    };
    let _ = writeln!(
        out,
        "  {} {}: {}",
        style.paint(&head, status),
        d.layer.name(),
        terminal_safe(&d.summary, 600)
    );
    if !d.client_errors.is_empty() {
        let _ = writeln!(out, "    {}", style.dim("what clients print for this:"));
        for c in &d.client_errors {
            let _ = writeln!(out, "      {c}");
        }
    }
    let _ = writeln!(
        out,
        "  {} {}",
        style.bold("hint:"),
        terminal_safe(&d.hint, usize::MAX)
    );
}
