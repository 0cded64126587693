//! `--repeat`: the outcome of many runs of one target, per layer.
//!
//! Intermittent failures ("works 9 times out of 10") show up as counts of
//! each outcome and code, and as latency spreads (min/p50/p95/max) per stage.

use super::{StageReport, TargetReport};
use crate::diagnosis::{Layer, Status};
use serde::Serialize;
use std::collections::BTreeMap;

/// Statistics over a target's runs.
#[derive(Debug, Serialize, Clone)]
pub struct RepeatSummary {
    pub runs: usize,
    pub passed: usize,
    pub failed: usize,
    /// `"pass"` or the failing code, with how often each happened.
    pub outcomes: BTreeMap<String, usize>,
    pub stages: Vec<StageStats>,
}

/// One layer over the runs.
#[derive(Debug, Serialize, Clone)]
pub struct StageStats {
    pub layer: Layer,
    /// `pass`, `skipped`, or a diagnosis code, with counts.
    pub outcomes: BTreeMap<String, usize>,
    pub latency_ms: Option<Latency>,
    /// Each run's duration in order (for the human sparkline).
    #[serde(skip)]
    pub series_ms: Vec<f64>,
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Serialize, Clone, Copy)]
pub struct Latency {
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

impl Latency {
    fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let last = sorted.len() - 1;
        // The sample at rank round(percent/100 · last), in integers (half
        // rounds up, as f64::round does for these non-negative ranks).
        // Splitting `last` into hundreds and the rest keeps every product
        // at most `last` or 99·100 + 50, so nothing can overflow.
        let at = |percent: usize| {
            let rank = last / 100 * percent + (last % 100 * percent + 50) / 100;
            sorted[rank.min(last)]
        };
        Some(Latency {
            min: sorted[0],
            p50: at(50),
            p95: at(95),
            max: sorted[last],
        })
    }
}

fn outcome_of(stage: &StageReport) -> String {
    match (&stage.diagnosis, stage.status) {
        (Some(d), _) => d.code.as_str(),
        (None, Status::Skipped) => "skipped".to_owned(),
        (None, _) => "pass".to_owned(),
    }
}

/// Summarises runs of one target (in order).
pub fn summarise(runs: &[TargetReport]) -> RepeatSummary {
    let mut outcomes = BTreeMap::new();
    for r in runs {
        let key = r
            .diagnosis
            .as_ref()
            .map_or_else(|| "pass".to_owned(), |d| d.code.as_str());
        *outcomes.entry(key).or_insert(0) += 1;
    }
    let mut layers: Vec<Layer> = runs
        .iter()
        .flat_map(|r| r.stages.iter().map(|s| s.layer))
        .collect();
    layers.sort();
    layers.dedup();
    let stages = layers
        .into_iter()
        .map(|layer| {
            let mut counts = BTreeMap::new();
            let mut series = Vec::new();
            for stage in runs
                .iter()
                .flat_map(|r| r.stages.iter().filter(move |s| s.layer == layer))
            {
                *counts.entry(outcome_of(stage)).or_insert(0) += 1;
                if let Some(ms) = stage.duration_ms {
                    series.push(ms);
                }
            }
            StageStats {
                layer,
                outcomes: counts,
                latency_ms: Latency::of(&series),
                series_ms: series,
            }
        })
        .collect();
    let passed = runs.iter().filter(|r| r.ok).count();
    RepeatSummary {
        runs: runs.len(),
        passed,
        failed: runs.len() - passed,
        outcomes,
        stages,
    }
}

/// A sparkline of values, one bar per value (at most `width`, the last ones).
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown = &values[values.len().saturating_sub(width)..];
    let (lo, hi) = shown
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    shown
        .iter()
        .map(|v| {
            let x = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
            // The bar is x·7 rounded (0..=7): how many of the steps 0.5,
            // 1.5, … 6.5 it reaches (none for NaN, all seven at most).
            let level = x * 7.0;
            BARS[(1..=7u8).filter(|&k| level >= f64::from(k) - 0.5).count()]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l = Latency::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((l.min, l.p50, l.max), (1.0, 3.0, 5.0));
        assert!(Latency::of(&[]).is_none());
    }

    #[test]
    fn percentile_ranks_round_as_before() {
        // The ranks the integer arithmetic picks are those of
        // `(q * last as f64).round()`, which the percentiles used before.
        for n in 1..2000u32 {
            let samples: Vec<f64> = (0..n).map(f64::from).collect();
            let l = Latency::of(&samples).unwrap();
            let last = f64::from(n - 1);
            let before = ((0.5 * last).round(), (0.95 * last).round());
            assert_eq!((l.p50, l.p95), before, "n = {n}");
        }
    }

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline(&[1.0, 8.0], 10), "▁█");
        assert_eq!(sparkline(&[2.0, 2.0], 10), "▁▁");
        // Each bar is x·7 rounded, halves up: 0.5/7 is the second bar.
        assert_eq!(sparkline(&[0.0, 0.5, 1.0, 6.49, 6.5, 7.0], 10), "▁▂▂▇██");
    }
}
