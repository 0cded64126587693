//! Live progress on stderr for long runs: which targets are still at which
//! layer. Only on a terminal and only with human output (the caller
//! decides); never in JSON or JUnit. Drawn by indicatif.

use crate::diagnosis::Layer;
use crate::probe::Observer;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// One spinner line per target.
pub struct Progress {
    bars: Vec<ProgressBar>,
    group: MultiProgress,
}

impl Progress {
    /// Spinners for the named targets, drawn on stderr.
    pub fn new(names: &[String]) -> Self {
        let group = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = names
            .iter()
            .map(|name| {
                let bar = group.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(crate::redact::terminal_safe(name, 60));
                bar.set_message("waiting");
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .collect();
        Progress { bars, group }
    }

    /// Target `index` finished (all its runs): met its expectation or not.
    pub fn done(&self, index: usize, ok: bool) {
        if let Some(bar) = self.bars.get(index) {
            bar.finish_with_message(if ok { "done" } else { "failed" });
        }
    }

    /// Removes every line (before the report is printed).
    pub fn clear(&self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        let _ = self.group.clear();
    }
}

impl Observer for Progress {
    fn stage(&self, index: usize, layer: Layer) {
        if let Some(bar) = self.bars.get(index) {
            bar.set_message(layer.name());
        }
    }
}
