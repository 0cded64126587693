//! Prometheus text exposition (`--format prometheus`): the metrics of DESIGN
//! "Serving metrics" for every target, one `target` label each (and `check`
//! when the target has a name), for node_exporter's textfile collector or a
//! Pushgateway.
//!
//! A target's report is reduced to [`Series`] as it ends (the small typed
//! facts the metrics need); [`render`] encodes them with `prometheus-client`
//! into one registry, each metric family once. The env look's findings are
//! not per-target facts and are left out.

use super::TargetReport;
use crate::diagnosis::{Diagnosis, Layer, Status};
use crate::probe::Facts;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::fmt;

/// What the metrics need of one target.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// The target's URL as reports show it (secrets masked).
    target: String,
    /// The check's name, when it has one of its own.
    check: Option<String>,
    success: bool,
    seconds: f64,
    /// The failing stage's layer and diagnosis code.
    failure: Option<(Layer, String)>,
    /// Each warning's layer and code, once each.
    warnings: Vec<(Layer, String)>,
    /// Each stage's layer, status and (when it ran) seconds.
    stages: Vec<(Layer, Status, Option<f64>)>,
    /// The TLS version and cipher suite.
    tls: Option<(String, String)>,
    /// The leaf certificate's notAfter, unix seconds.
    not_after: Option<i64>,
    /// The interception product found (`unknown` when the catalogue has no
    /// name for it).
    interception: Option<String>,
    http_status: Option<u16>,
    first_event: Option<f64>,
    /// Whether the WebSocket upgrade got its 101.
    upgraded: bool,
    websocket_upgrade: Option<f64>,
}

impl Series {
    /// The facts the metrics need of `r`.
    pub fn of(r: &TargetReport) -> Self {
        let mut s = Series {
            target: r.target.clone(),
            check: (r.name != r.target).then(|| r.name.clone()),
            success: r.ok,
            seconds: seconds(r.stages.iter().filter_map(|st| st.duration_ms).sum()),
            failure: r.diagnosis.as_ref().map(key),
            ..Series::default()
        };
        for w in r.warnings.iter().map(key) {
            if !s.warnings.contains(&w) {
                s.warnings.push(w);
            }
        }
        for stage in &r.stages {
            if s.stages.iter().any(|(layer, _, _)| *layer == stage.layer) {
                continue;
            }
            let secs = stage.duration_ms.map(seconds);
            s.stages.push((stage.layer, stage.status, secs));
            if let Some(facts) = &stage.facts {
                s.read_facts(facts);
            }
        }
        s.websocket_upgrade = s.upgrade_seconds();
        s
    }

    /// Takes the facts a metric shows from one stage's.
    fn read_facts(&mut self, facts: &Facts) {
        match facts {
            Facts::Tls(t) => {
                if let Some(version) = &t.version {
                    let cipher = t.cipher_suite.clone().unwrap_or_default();
                    self.tls = Some((version.clone(), cipher));
                }
            }
            Facts::Certificate(c) => {
                self.not_after = c.chain.first().and_then(|leaf| unix(&leaf.not_after));
                if let Some(Some(i)) = &c.interception {
                    self.interception = Some(i.product.unwrap_or("unknown").to_owned());
                }
            }
            Facts::Http(h) => self.http_status = h.status,
            Facts::Stream(st) => self.first_event = st.first_event_ms.map(seconds),
            Facts::Websocket(ws) => self.upgraded = ws.status == 101,
            _ => {}
        }
    }

    /// The upgrade's time: the http stage (which sent the upgrade request)
    /// of a target whose upgrade got its 101.
    fn upgrade_seconds(&self) -> Option<f64> {
        if !self.upgraded {
            return None;
        }
        self.stages
            .iter()
            .find(|(layer, _, _)| *layer == Layer::Http)
            .and_then(|(_, _, seconds)| *seconds)
    }

    /// The labels every series of this target carries.
    fn labels(&self) -> Vec<(&str, &str)> {
        let mut labels = vec![("target", self.target.as_str())];
        if let Some(check) = &self.check {
            labels.push(("check", check.as_str()));
        }
        labels
    }
}

/// A diagnosis as a (layer, code) label pair.
fn key(d: &Diagnosis) -> (Layer, String) {
    (d.layer, d.code.as_str())
}

/// Milliseconds as seconds, to the microsecond (`0.000445`, not
/// `0.00044500000000000003`).
fn seconds(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1e6
}

/// An RFC 3339 time as unix seconds.
fn unix(text: &str) -> Option<i64> {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &format)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// A diagnosis's series: its layer and code, value 1.
fn pair((layer, code): &(Layer, String)) -> Sample<'_, i64> {
    (vec![("layer", layer.name()), ("code", code.as_str())], 1)
}

/// A status as the label shows it.
fn status_name(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skipped => "skipped",
    }
}

/// The Prometheus text exposition (format 0.0.4) of `series`, in their
/// order; a target whose labels repeat an earlier one's is left out (a
/// series may appear once).
pub fn render(series: Vec<Series>) -> String {
    let mut seen = HashSet::new();
    let series = series
        .into_iter()
        .filter(|s| seen.insert((s.target.clone(), s.check.clone())))
        .collect();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Exposition(series)));
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
    text
}

/// The targets' series as one `prometheus-client` collector.
#[derive(Debug)]
struct Exposition(Vec<Series>);

/// A series: its labels beyond the target's, and its value.
type Sample<'a, V> = (Vec<(&'static str, &'a str)>, V);

impl Exposition {
    /// Encodes one gauge family: `each` gives a target's samples; a family
    /// no target has is left out.
    fn family<'a, V, I>(
        &'a self,
        enc: &mut DescriptorEncoder,
        name: &str,
        help: &str,
        each: impl Fn(&'a Series) -> I,
    ) -> fmt::Result
    where
        V: EncodeGaugeValue,
        I: IntoIterator<Item = Sample<'a, V>>,
    {
        let mut samples = self
            .0
            .iter()
            .flat_map(|s| each(s).into_iter().map(move |sample| (s, sample)))
            .peekable();
        if samples.peek().is_none() {
            return Ok(());
        }
        let mut metric = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (s, (extra, value)) in samples {
            let mut labels = s.labels();
            labels.extend(extra);
            ConstGauge::new(value).encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }

    /// Success and duration, netdoctor's and blackbox_exporter's names.
    fn probe(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let success = |s: &Series| Some((Vec::new(), i64::from(s.success)));
        let seconds = |s: &Series| Some((Vec::new(), s.seconds));
        let ok_help = "1 when the target passed every stage (warnings allowed), else 0";
        let seconds_help = "Seconds the probe's stages took";
        self.family(enc, "netdoctor_probe_success", ok_help, success)?;
        self.family(enc, "probe_success", ok_help, success)?;
        self.family(
            enc,
            "netdoctor_probe_duration_seconds",
            seconds_help,
            seconds,
        )?;
        self.family(enc, "probe_duration_seconds", seconds_help, seconds)
    }

    /// Why the probe failed, its warnings, and its stages.
    fn diagnoses(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        self.family(
            enc,
            "netdoctor_probe_failure_info",
            "The failing stage's layer and diagnosis code (netdoctor explain CODE)",
            |s| s.failure.as_ref().map(pair),
        )?;
        self.family(
            enc,
            "netdoctor_probe_warning_info",
            "A warning's layer and diagnosis code, one series each",
            |s| s.warnings.iter().map(pair),
        )?;
        self.family(
            enc,
            "netdoctor_stage_duration_seconds",
            "Seconds each stage that ran took",
            |s| {
                s.stages
                    .iter()
                    .filter_map(|(layer, _, secs)| Some((vec![("layer", layer.name())], (*secs)?)))
            },
        )?;
        self.family(
            enc,
            "netdoctor_stage_status",
            "1 for each stage's status: pass, warn, fail or skipped",
            |s| {
                s.stages.iter().map(|(layer, status, _)| {
                    let labels = vec![("layer", layer.name()), ("status", status_name(*status))];
                    (labels, 1)
                })
            },
        )
    }

    /// What the stages found: TLS, certificate, http, stream, websocket.
    fn facts(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        self.family(
            enc,
            "netdoctor_tls_info",
            "The negotiated TLS version and cipher suite",
            |s| {
                let (version, cipher) = s.tls.as_ref()?;
                Some((
                    vec![("version", version.as_str()), ("cipher", cipher.as_str())],
                    1,
                ))
            },
        )?;
        self.family(
            enc,
            "netdoctor_cert_not_after_timestamp_seconds",
            "The leaf certificate's notAfter, unix seconds",
            |s| s.not_after.map(|t| (Vec::new(), t)),
        )?;
        self.family(
            enc,
            "netdoctor_cert_interception_info",
            "TLS interception was found: the product that re-signs the chain",
            |s| Some((vec![("product", s.interception.as_deref()?)], 1)),
        )?;
        self.family(
            enc,
            "netdoctor_http_status_code",
            "The HTTP status of the target's reply",
            |s| s.http_status.map(|c| (Vec::new(), i64::from(c))),
        )?;
        self.family(
            enc,
            "netdoctor_stream_first_event_seconds",
            "Seconds from the stream request to its first event",
            |s| s.first_event.map(|t| (Vec::new(), t)),
        )?;
        self.family(
            enc,
            "netdoctor_websocket_upgrade_seconds",
            "Seconds from the WebSocket upgrade request to its 101 reply",
            |s| s.websocket_upgrade.map(|t| (Vec::new(), t)),
        )
    }
}

impl Collector for Exposition {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        self.probe(&mut enc)?;
        self.diagnoses(&mut enc)?;
        self.facts(&mut enc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Code;

    fn report(name: &str) -> TargetReport {
        let mut r = TargetReport::from_stages(name.into(), "https://a/".into(), Vec::new());
        let warning = Diagnosis::new(Code::CertNotStrict, "not strict".to_owned());
        r.warnings = vec![warning.clone(), warning];
        r
    }

    #[test]
    fn a_series_appears_once_however_often_its_target_or_warning_repeats() {
        let text = render(vec![
            Series::of(&report("https://a/")),
            Series::of(&report("https://a/")),
            Series::of(&report("named")),
        ]);
        assert_eq!(text.matches("probe_success{").count(), 4, "{text}");
        assert_eq!(
            text.matches("netdoctor_probe_warning_info{").count(),
            2,
            "{text}"
        );
        assert!(text.contains(
            "netdoctor_probe_warning_info{target=\"https://a/\",check=\"named\",\
             layer=\"certificate\",code=\"CERT_NOT_STRICT\"} 1\n"
        ));
        // No stage ran: no family of stage facts.
        assert!(!text.contains("netdoctor_stage_"), "{text}");
    }

    #[test]
    fn seconds_are_rounded_to_the_microsecond() {
        assert_eq!(seconds(0.445).to_string(), "0.000445");
        assert_eq!(unix("1970-01-02T00:00:00Z"), Some(86_400));
    }
}
