//! Prometheus text exposition (`--format prometheus`): the metrics of DESIGN
//! "Serving metrics" for every target, one `target` label each (and `check`
//! when the target has a name), for node_exporter's textfile collector or a
//! Pushgateway.
//!
//! A target's report is reduced to [`Series`] as it ends (the small typed
//! facts the metrics need, in two allocations); [`write`] encodes them with
//! `prometheus-client` into one registry, each metric family once, and
//! streams the text out. The env look's findings are
//! not per-target facts and are left out.

use super::TargetReport;
use crate::diagnosis::{Code, Layer, Status};
use crate::probe::Facts;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// The layers, in pipeline order: a stage's slot in [`Series`].
const LAYERS: [Layer; 10] = [
    Layer::Env,
    Layer::Dns,
    Layer::Tcp,
    Layer::Proxy,
    Layer::Tls,
    Layer::Certificate,
    Layer::Http,
    Layer::Auth,
    Layer::Websocket,
    Layer::Stream,
];

/// The texts a target's series may carry, by their slot in `Series::text`.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// The target's URL as reports show it (secrets masked).
    Target,
    /// The check's name, when it has one of its own.
    Check,
    TlsVersion,
    Cipher,
    /// The interception product (`unknown` when the catalogue has no name).
    Product,
}

/// What the metrics need of one target: kept, as a target ends, in two
/// allocations (this and its joined texts), however many facts it has —
/// small scattered allocations kept across thousands of targets fragment
/// the heap of the targets still in flight.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// The [`Part`]s joined, each present one ending at its `ends` slot.
    text: Box<str>,
    ends: [Option<u32>; 5],
    success: bool,
    seconds: f64,
    /// The failing stage's layer and diagnosis code.
    failure: Option<(Layer, Code)>,
    /// Each warning's layer and code, once each (rarely any).
    warnings: Vec<(Layer, Code)>,
    /// Each stage's status and (when it ran) seconds, by [`LAYERS`] slot.
    stages: [Option<(Status, Option<f64>)>; 10],
    /// The leaf certificate's notAfter, unix seconds.
    not_after: Option<i64>,
    http_status: Option<u16>,
    first_event: Option<f64>,
    websocket_upgrade: Option<f64>,
}

impl Series {
    /// The facts the metrics need of `r`.
    pub fn of(r: &TargetReport) -> Self {
        let mut s = Series {
            success: r.met,
            seconds: seconds(r.stages.iter().filter_map(|st| st.duration_ms).sum()),
            failure: r.diagnosis.as_ref().map(|d| (d.layer, d.code)),
            ..Series::default()
        };
        let mut parts: [Option<&str>; 5] = [None; 5];
        parts[Part::Target as usize] = Some(&r.target);
        parts[Part::Check as usize] = (r.name != r.target).then_some(r.name.as_str());
        for w in r.warnings.iter().map(|d| (d.layer, d.code)) {
            if !s.warnings.contains(&w) {
                s.warnings.push(w);
            }
        }
        let mut upgraded = false;
        for stage in &r.stages {
            let slot = &mut s.stages[stage.layer as usize];
            if slot.is_none() {
                *slot = Some((stage.status, stage.duration_ms.map(seconds)));
            }
            match &stage.facts {
                Some(Facts::Tls(t)) if t.version.is_some() => {
                    parts[Part::TlsVersion as usize] = t.version.as_deref();
                    parts[Part::Cipher as usize] = Some(t.cipher_suite.as_deref().unwrap_or(""));
                }
                Some(Facts::Certificate(c)) => {
                    s.not_after = c.chain.first().and_then(|leaf| unix(&leaf.not_after));
                    if let Some(Some(i)) = &c.interception {
                        parts[Part::Product as usize] = Some(i.product.unwrap_or("unknown"));
                    }
                }
                Some(Facts::Http(h)) => s.http_status = h.status,
                Some(Facts::Stream(st)) => s.first_event = st.first_event_ms.map(seconds),
                Some(Facts::Websocket(ws)) => upgraded = ws.status == 101,
                _ => {}
            }
        }
        // The upgrade's time: the http stage, which sent the upgrade request.
        s.websocket_upgrade = upgraded
            .then(|| s.stages[Layer::Http as usize].and_then(|(_, secs)| secs))
            .flatten();
        s.join(parts);
        s
    }

    /// Keeps the present `parts` in one allocation.
    fn join(&mut self, parts: [Option<&str>; 5]) {
        let mut text = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        for (end, part) in self.ends.iter_mut().zip(parts) {
            if let Some(part) = part {
                text.push_str(part);
                *end = u32::try_from(text.len()).ok();
            }
        }
        self.text = text.into_boxed_str();
    }

    /// One of the kept texts.
    fn part(&self, part: Part) -> Option<&str> {
        let i = part as usize;
        let end = usize::try_from(self.ends[i]?).ok()?;
        let start = self.ends[..i]
            .iter()
            .rev()
            .find_map(|e| *e)
            .map_or(0, |e| e as usize);
        self.text.get(start..end)
    }

    /// The target's URL.
    fn target(&self) -> &str {
        self.part(Part::Target).unwrap_or_default()
    }

    /// The labels every series of this target carries (`target` left out
    /// in a `/probe` answer: Prometheus labels the scrape itself).
    fn labels(&self, probe: bool) -> Labels<'_> {
        let mut labels = Vec::with_capacity(2);
        if !probe {
            labels.push(("target", Cow::Borrowed(self.target())));
        }
        if let Some(check) = self.part(Part::Check) {
            labels.push(("check", Cow::Borrowed(check)));
        }
        labels
    }

    /// Each stage that has a report: its layer, status and seconds.
    fn stages(&self) -> impl Iterator<Item = (Layer, Status, Option<f64>)> + '_ {
        LAYERS
            .iter()
            .zip(&self.stages)
            .filter_map(|(layer, slot)| slot.map(|(status, secs)| (*layer, status, secs)))
    }
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
fn pair<'a>((layer, code): (Layer, Code)) -> Sample<'a, i64> {
    let labels = vec![
        ("layer", Cow::Borrowed(layer.name())),
        ("code", Cow::Owned(code.as_str())),
    ];
    (labels, 1)
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
/// order, as one string.
#[cfg(test)]
pub fn render(series: Vec<Series>) -> String {
    let mut text = String::new();
    write(series, &mut |piece| text.push_str(piece));
    text
}

/// Writes the Prometheus text exposition (format 0.0.4) of `series`, in
/// their order, into `out` piece by piece (the encoder's buffer, a few KiB
/// at a time: the whole text is never held); a target whose labels repeat
/// an earlier one's is left out (a series may appear once).
pub fn write(series: Vec<Series>, out: &mut dyn FnMut(&str)) {
    let mut seen = HashSet::new();
    let series = series
        .into_iter()
        .filter(|s| {
            seen.insert((
                s.target().to_owned(),
                s.part(Part::Check).map(str::to_owned),
            ))
        })
        .collect();
    encode(
        Exposition {
            series,
            probe: false,
        },
        out,
    );
}

/// The answer of `netdoctor serve`'s `/probe`: the same metrics for the
/// targets of one probe (one, or a preset's few, told apart by `check`),
/// without the `target` label — Prometheus labels the scrape with its
/// `instance` — and blackbox_exporter's `probe_success` and
/// `probe_duration_seconds` as one series each: every target met its
/// expectation; the longest target's time.
pub fn write_probe(series: Vec<Series>, out: &mut dyn FnMut(&str)) {
    encode(
        Exposition {
            series,
            probe: true,
        },
        out,
    );
}

fn encode(exposition: Exposition, out: &mut dyn FnMut(&str)) {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(exposition));
    // The sink never fails, nor does the encoder with it.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut Sink(out), &registry);
}

/// The output as a `fmt::Write`.
struct Sink<'a>(&'a mut dyn FnMut(&str));

impl fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        (self.0)(s);
        Ok(())
    }
}

/// The targets' series as one `prometheus-client` collector.
#[derive(Debug)]
struct Exposition {
    series: Vec<Series>,
    /// A `/probe` answer (see [`write_probe`]).
    probe: bool,
}

/// A series' labels.
type Labels<'a> = Vec<(&'static str, Cow<'a, str>)>;

/// A series: its labels beyond the target's, and its value.
type Sample<'a, V> = (Labels<'a>, V);

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
            .series
            .iter()
            .flat_map(|s| each(s).into_iter().map(move |sample| (s, sample)))
            .peekable();
        if samples.peek().is_none() {
            return Ok(());
        }
        let mut metric = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (s, (extra, value)) in samples {
            let mut labels = s.labels(self.probe);
            labels.extend(extra);
            ConstGauge::new(value).encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }

    /// Success and duration, netdoctor's and blackbox_exporter's names.
    fn probe(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let success = |s: &Series| Some((Vec::new(), i64::from(s.success)));
        let seconds = |s: &Series| Some((Vec::new(), s.seconds));
        let ok_help = "1 when the target met its expectation (by default: it passed every stage, warnings allowed), else 0";
        let seconds_help = "Seconds the probe's stages took";
        self.family(enc, "netdoctor_probe_success", ok_help, success)?;
        self.family(
            enc,
            "netdoctor_probe_duration_seconds",
            seconds_help,
            seconds,
        )?;
        if self.probe {
            return self.blackbox(enc, ok_help, seconds_help);
        }
        self.family(enc, "probe_success", ok_help, success)?;
        self.family(enc, "probe_duration_seconds", seconds_help, seconds)
    }

    /// blackbox_exporter's two series of one probe, whatever its targets.
    fn blackbox(&self, enc: &mut DescriptorEncoder, ok: &str, secs: &str) -> fmt::Result {
        if self.series.is_empty() {
            return Ok(());
        }
        let met = self.series.iter().all(|s| s.success);
        let longest = self.series.iter().map(|s| s.seconds).fold(0.0, f64::max);
        let no_labels: Labels<'_> = Vec::new();
        let mut metric = enc.encode_descriptor("probe_success", ok, None, MetricType::Gauge)?;
        ConstGauge::new(i64::from(met)).encode(metric.encode_family(&no_labels)?)?;
        let mut metric =
            enc.encode_descriptor("probe_duration_seconds", secs, None, MetricType::Gauge)?;
        ConstGauge::new(longest).encode(metric.encode_family(&no_labels)?)
    }

    /// Why the probe failed, its warnings, and its stages.
    fn diagnoses(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        self.family(
            enc,
            "netdoctor_probe_failure_info",
            "The failing stage's layer and diagnosis code (netdoctor explain CODE)",
            |s| s.failure.map(pair),
        )?;
        self.family(
            enc,
            "netdoctor_probe_warning_info",
            "A warning's layer and diagnosis code, one series each",
            |s| s.warnings.iter().copied().map(pair),
        )?;
        self.family(
            enc,
            "netdoctor_stage_duration_seconds",
            "Seconds each stage that ran took",
            |s| {
                s.stages().filter_map(|(layer, _, secs)| {
                    Some((vec![("layer", Cow::Borrowed(layer.name()))], secs?))
                })
            },
        )?;
        self.family(
            enc,
            "netdoctor_stage_status",
            "1 for each stage's status: pass, warn, fail or skipped",
            |s| {
                s.stages().map(|(layer, status, _)| {
                    let labels = vec![
                        ("layer", Cow::Borrowed(layer.name())),
                        ("status", Cow::Borrowed(status_name(status))),
                    ];
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
                let version = Cow::Borrowed(s.part(Part::TlsVersion)?);
                let cipher = Cow::Borrowed(s.part(Part::Cipher).unwrap_or_default());
                Some((vec![("version", version), ("cipher", cipher)], 1))
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
            |s| Some((vec![("product", Cow::Borrowed(s.part(Part::Product)?))], 1)),
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
    use crate::diagnosis::Diagnosis;

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
    fn every_layer_has_its_own_slot_and_absent_texts_are_skipped() {
        for (i, layer) in LAYERS.iter().enumerate() {
            assert_eq!(*layer as usize, i, "{layer}");
        }
        let mut s = Series::default();
        s.join([Some("https://a/"), None, Some("TLSv1.3"), Some(""), None]);
        assert_eq!(s.target(), "https://a/");
        assert_eq!(s.part(Part::Check), None);
        assert_eq!(s.part(Part::TlsVersion), Some("TLSv1.3"));
        assert_eq!(s.part(Part::Cipher), Some(""));
        assert_eq!(s.part(Part::Product), None);
    }

    #[test]
    fn seconds_are_rounded_to_the_microsecond() {
        assert_eq!(seconds(0.445).to_string(), "0.000445");
        assert_eq!(unix("1970-01-02T00:00:00Z"), Some(86_400));
    }
}
