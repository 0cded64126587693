//! Metrics, in the exposition format of prometheus-client (never written
//! by hand): the exporter's own (`/metrics`: probes by result and code,
//! refusals by status, probes in flight, probe durations) and the metrics
//! of one probe ([`render_probe`], the answer of `/probe`).
//!
//! [`render_probe`] answers with the renderer of `--format prometheus`
//! (`report::prometheus`) in its `/probe` form.

use crate::report::TargetReport;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The content type of prometheus-client's text encoding (OpenMetrics):
/// `/metrics`.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the Prometheus text format 0.0.4: `/probe`.
pub(crate) const PROBE_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The exporter's own metrics, served at `/metrics`.
pub(crate) struct Exporter {
    registry: Registry,
    probes: Family<[(&'static str, String); 2], Counter>,
    refused: Family<[(&'static str, String); 1], Counter>,
    in_flight: Gauge,
    duration: Histogram,
}

impl Exporter {
    /// Registers the metrics, all at zero.
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("netdoctor_exporter");
        let probes = Family::<[(&'static str, String); 2], Counter>::default();
        registry.register(
            "probes",
            "Probes run, by result (success, failure) and diagnosis code (none on success)",
            probes.clone(),
        );
        let refused = Family::<[(&'static str, String); 1], Counter>::default();
        registry.register(
            "refused_requests",
            "/probe requests refused before probing, by HTTP status (400, 403, 503)",
            refused.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("probes_in_flight", "Probes running now", in_flight.clone());
        let duration = Histogram::new(exponential_buckets(0.005, 2.0, 12));
        registry.register(
            "probe_duration_seconds",
            "How long probes took, whole",
            duration.clone(),
        );
        Exporter {
            registry,
            probes,
            refused,
            in_flight,
            duration,
        }
    }

    /// Counts a finished probe.
    pub(crate) fn probed(&self, success: bool, code: &str, seconds: f64) {
        let result = if success { "success" } else { "failure" };
        self.probes
            .get_or_create(&[("result", result.to_owned()), ("code", code.to_owned())])
            .inc();
        self.duration.observe(seconds);
    }

    /// Counts a refused `/probe` request.
    pub(crate) fn refused(&self, status: u16) {
        self.refused
            .get_or_create(&[("status", status.to_string())])
            .inc();
    }

    /// The in-flight gauge (raised while a probe runs).
    pub(crate) fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The exposition text of every metric.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Whether a probe succeeded: every target met its expectation (a module
/// that expects a failure code succeeds when that failure happens, as a
/// blackbox module with `fail_if_*` options does).
pub(crate) fn success(reports: &[TargetReport]) -> bool {
    !reports.is_empty() && reports.iter().all(|r| r.met)
}

/// The diagnosis code of a probe: the first failing target's code
/// (`INTERNAL` when netdoctor itself failed on it), else `none`.
pub(crate) fn code(reports: &[TargetReport]) -> String {
    reports
        .iter()
        .find_map(|r| {
            r.diagnosis
                .as_ref()
                .map(|d| d.code.to_string())
                .or_else(|| r.internal_error.as_ref().map(|_| "INTERNAL".to_owned()))
        })
        .unwrap_or_else(|| "none".to_owned())
}

/// The metrics of one probe (the targets of one module), for `/probe`:
/// every metric of `--format prometheus` ([`crate::report::prometheus`]),
/// without the `target` label, and blackbox_exporter's `probe_success` and
/// `probe_duration_seconds` as one series each.
pub(crate) fn render_probe(reports: &[TargetReport]) -> String {
    let series = reports
        .iter()
        .map(crate::report::prometheus::Series::of)
        .collect();
    let mut out = String::new();
    crate::report::prometheus::write_probe(series, &mut |piece| out.push_str(piece));
    out
}
