//! Collects targets' reports as they end, keeping what the output needs.
//!
//! A check file may hold thousands of checks: each target's report is
//! rendered as soon as it ends and only its text and its [`Brief`] (for the
//! totals and the exit code) are kept. The reports of checks a preset made
//! are kept whole until the end, because cross-target conclusions (the
//! Speech SDK's direct-vs-proxy verdict) need several of them; a preset
//! makes a handful. The output is the same text the whole report renders
//! to. For Prometheus a target's metric facts ([`prometheus::Series`]) are
//! kept instead of text: its metric families group every target's series,
//! so they are encoded once, at the end.

use super::{human, json, junit, prometheus, Brief, EnvReport, TargetReport};

/// The output being collected for.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Human(human::Style),
    Json,
    Junit,
    /// JSON Lines: targets are written as they end.
    Jsonl,
    /// Prometheus text exposition.
    Prometheus,
}

/// A target's report, whole or as rendered.
enum Kept {
    Whole(Box<TargetReport>),
    Rendered(String, Brief),
    /// What the Prometheus metrics need of it.
    Series(Box<prometheus::Series>, Brief),
}

/// The targets' results by their index in the run.
pub struct Collector {
    kind: Kind,
    /// The checks' profile ids (a preset's roles), by index.
    ids: Vec<Option<&'static str>>,
    kept: Vec<Option<Kept>>,
    /// The targets' servers' `Date` headers (target, date), for the clock
    /// check.
    dates: Vec<(String, String)>,
    /// Whether writing a streamed line failed.
    write_failed: bool,
}

impl Collector {
    /// A collector for the checks whose profile ids are `ids`.
    pub fn new(kind: Kind, ids: Vec<Option<&'static str>>) -> Self {
        let kept = ids.iter().map(|_| None).collect();
        Collector {
            kind,
            ids,
            kept,
            dates: Vec::new(),
            write_failed: false,
        }
    }

    /// Takes target `index`'s report.
    pub fn add(&mut self, index: usize, report: TargetReport) {
        if let Some(date) = report.server_date() {
            self.dates.push((report.target.clone(), date.to_owned()));
        }
        let kept = if self.ids.get(index).copied().flatten().is_some() {
            Kept::Whole(Box::new(report))
        } else if let Kind::Jsonl = self.kind {
            // Streamed: nothing is kept of the text.
            self.emit(&json::target_line(&report));
            Kept::Rendered(String::new(), report.brief())
        } else {
            self.keep(&report)
        };
        if let Some(slot) = self.kept.get_mut(index) {
            *slot = Some(kept);
        }
    }

    /// The servers' `Date` headers seen so far, by target.
    pub fn server_dates(&self) -> impl Iterator<Item = (&str, &str)> {
        self.dates.iter().map(|(t, d)| (t.as_str(), d.as_str()))
    }

    /// What is kept of a finished target: its text, or its metric facts.
    fn keep(&self, t: &TargetReport) -> Kept {
        let text = match self.kind {
            Kind::Human(style) => human::target_block(t, style),
            Kind::Json => json::target(t),
            Kind::Junit => junit::testcase(t),
            Kind::Jsonl => json::target_line(t),
            Kind::Prometheus => {
                return Kept::Series(Box::new(prometheus::Series::of(t)), t.brief());
            }
        };
        Kept::Rendered(text, t.brief())
    }

    /// Writes a streamed line now.
    fn emit(&mut self, line: &str) {
        if super::Printer::stdout().write(line).is_err() {
            self.write_failed = true;
        }
    }

    /// Writes the whole output into `out`, piece by piece, in report order;
    /// returns the exit code.
    pub fn finish(mut self, env: &EnvReport, out: &mut impl FnMut(&str)) -> u8 {
        let mut whole: Vec<Option<&mut TargetReport>> = self
            .kept
            .iter_mut()
            .map(|k| match k {
                Some(Kept::Whole(r)) => Some(&mut **r),
                _ => None,
            })
            .collect();
        crate::presets::conclude(&self.ids, &mut whole);
        let mut parts = Vec::with_capacity(self.kept.len());
        let mut series = Vec::new();
        for i in crate::presets::report_order(&self.ids) {
            let kept = match self.kept.get_mut(i).and_then(Option::take) {
                Some(Kept::Whole(r)) => self.keep(&r),
                Some(kept) => kept,
                None => continue,
            };
            match kept {
                Kept::Rendered(text, brief) => parts.push((text, brief)),
                Kept::Series(s, brief) => {
                    series.push(*s);
                    parts.push((String::new(), brief));
                }
                Kept::Whole(_) => {}
            }
        }
        let briefs = || parts.iter().map(|(_, b)| *b);
        let texts = || parts.iter().map(|(t, _)| t.as_str());
        match self.kind {
            Kind::Human(style) => {
                out(&human::env_block(env, style));
                texts().for_each(&mut *out);
                out(&human::tail(briefs(), style));
            }
            Kind::Json => json::document(briefs().all(|b| b.met), env, texts(), out),
            Kind::Junit => junit::document(briefs(), texts(), out),
            Kind::Jsonl => {
                texts().for_each(&mut *out);
                out(&json::head_line(briefs().all(|b| b.met), env));
            }
            Kind::Prometheus => prometheus::write(series, out),
        }
        if self.write_failed {
            crate::exit::INTERNAL
        } else {
            super::exit_code(briefs())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{Code, Diagnosis, Layer};
    use crate::probe::StageReport;
    use crate::report::Report;

    fn reports() -> Vec<TargetReport> {
        let failed = StageReport::ran(
            Layer::Tcp,
            std::time::Duration::from_millis(3),
            "refused".to_owned(),
            crate::probe::Facts::Timeout { timeout_ms: 3 },
            Some(Diagnosis::new(Code::TcpRefused, "refused".to_owned())),
        );
        let skipped = StageReport::skipped(Layer::Http, "tcp failed");
        vec![
            TargetReport::from_stages("a".into(), "https://a/".into(), vec![skipped.clone()]),
            TargetReport::from_stages("b".into(), "https://b/".into(), vec![failed, skipped]),
        ]
    }

    #[test]
    fn collected_output_is_the_whole_reports_text_in_every_format() {
        let style = human::Style {
            color: false,
            verbose: false,
        };
        for kind in [Kind::Human(style), Kind::Json, Kind::Junit] {
            let whole = Report::new(EnvReport::default(), reports());
            let expected = match kind {
                Kind::Human(style) => human::render(&whole, style),
                Kind::Json => json::render(&whole),
                _ => junit::render(&whole),
            };
            let mut c = Collector::new(kind, vec![None, None]);
            // They end in the other order.
            for (i, r) in reports().into_iter().enumerate().rev() {
                c.add(i, r);
            }
            let mut text = String::new();
            let code = c.finish(&EnvReport::default(), &mut |t| text.push_str(t));
            assert_eq!(text, expected, "{kind:?}");
            assert_eq!(code, whole.exit_code());
            assert_eq!(code, 12);
        }
    }

    #[test]
    fn prometheus_output_is_one_exposition_in_report_order() {
        let expected = prometheus::render(reports().iter().map(prometheus::Series::of).collect());
        let mut c = Collector::new(Kind::Prometheus, vec![None, None]);
        for (i, r) in reports().into_iter().enumerate().rev() {
            c.add(i, r);
        }
        let mut text = String::new();
        let code = c.finish(&EnvReport::default(), &mut |t| text.push_str(t));
        assert_eq!(text, expected);
        assert_eq!(code, 12);
        let a = text.find("target=\"https://a/\"").expect("a");
        let b = text.find("target=\"https://b/\"").expect("b");
        assert!(a < b, "{text}");
        assert_eq!(
            text.matches("# TYPE netdoctor_probe_success gauge").count(),
            1
        );
        assert!(text.contains(
            "netdoctor_probe_failure_info{target=\"https://b/\",check=\"b\",layer=\"tcp\",code=\"TCP_REFUSED\"} 1"
        ), "{text}");
    }
}
