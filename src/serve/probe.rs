//! Running one `/probe`: the module's checks through the same pipeline as
//! `check` (`probe::run_all_with`), with the trust stores the server keeps
//! (loaded once, not per probe), under the scrape's bound, then counted,
//! logged and remembered for the landing page.

use super::log::{self, ProbeLine};
use super::modules::Plan;
use super::{metrics, page, State};
use crate::probe::{self, Check, ProbeConfig, Schedule};
use crate::report::TargetReport;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long past its bound a probe is waited for before it is cut: the
/// pipeline classifies its own timeouts well within this.
const BACKSTOP: Duration = Duration::from_secs(1);

/// Bounds every check by `bound` too (as `--max-time`, counted from the
/// probe's start), keeping the checks that shared options sharing them.
fn bounded(checks: Vec<Check>, bound: Option<Duration>) -> Vec<Check> {
    let Some(bound) = bound else {
        return checks;
    };
    let mut done: Vec<(*const ProbeConfig, Arc<ProbeConfig>)> = Vec::new();
    checks
        .into_iter()
        .map(|mut c| {
            let key = Arc::as_ptr(&c.probe);
            let cfg = if let Some((_, cfg)) = done.iter().find(|(k, _)| *k == key) {
                cfg.clone()
            } else {
                let mut cfg = (*c.probe).clone();
                cfg.max_time = Some(cfg.max_time.map_or(bound, |m| m.min(bound)));
                let cfg = Arc::new(cfg);
                done.push((key, cfg.clone()));
                cfg
            };
            c.probe = cfg;
            c
        })
        .collect()
}

/// Runs the checks of a plan; their reports in report order.
pub(crate) async fn run(state: &Arc<State>, plan: &Plan) -> Vec<TargetReport> {
    let checks = bounded(plan.checks.clone(), plan.bound);
    let ids: Vec<Option<&'static str>> = checks
        .iter()
        .map(|c| c.probe.profile.as_ref().map(|p| p.id()))
        .collect();
    let names: Vec<String> = checks.iter().map(|c| c.target.display_url()).collect();
    let schedule = Schedule {
        jobs: checks.len().max(1),
        repeat: 1,
        interval: None,
        started: Instant::now(),
    };
    let mut slots: Vec<Option<TargetReport>> = (0..checks.len()).map(|_| None).collect();
    let source = state.trust_source();
    let work = probe::run_all_with(checks, schedule, None, Some(source), |i, check, runs| {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(TargetReport::from_runs(check, runs));
        }
    });
    let cut = if let Some(bound) = plan.bound {
        tokio::time::timeout(bound + BACKSTOP, work).await.is_err()
    } else {
        work.await;
        false
    };
    let mut refs: Vec<Option<&mut TargetReport>> = slots.iter_mut().map(Option::as_mut).collect();
    crate::presets::conclude(&ids, &mut refs);
    let order = crate::presets::report_order(&ids);
    order
        .into_iter()
        .map(|i| {
            slots[i].take().unwrap_or_else(|| {
                let why = if cut {
                    "the probe outlived the scrape's timeout"
                } else {
                    "no report"
                };
                TargetReport::internal_error(names[i].clone(), why.to_owned())
            })
        })
        .collect()
}

/// Counts, logs and remembers a finished probe.
pub(crate) fn record(state: &State, plan: &Plan, reports: &[TargetReport], seconds: f64) {
    let success = metrics::success(reports);
    let code = metrics::code(reports);
    state.metrics.probed(success, &code, seconds);
    let target = plan
        .target
        .clone()
        .or_else(|| reports.first().map(|r| r.target.clone()));
    log::probe(
        state.log_level,
        &ProbeLine {
            target: target.as_deref().unwrap_or("-"),
            module: plan.module.as_deref(),
            success,
            code: &code,
            seconds,
            internal: reports.iter().any(|r| r.internal_error.is_some()),
        },
    );
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    state.history.push(page::Entry {
        at,
        module: plan.module.clone(),
        target: plan.target.clone(),
        success,
        code,
        seconds,
    });
}
