//! What a stage hands back: its facts (typed per layer), its diagnosis and
//! further warnings, and its product for the next stage.
//!
//! [`Facts`] serialises as the stage's `facts` object of the JSON report
//! (DESIGN "Output"); renderers and presets read its typed fields, never
//! JSON by key.

use crate::diagnosis::{Diagnosis, Layer, Status};
use crate::duration::millis;
use serde::Serialize;
use std::time::Duration;

/// The facts of one stage, as the report shows them.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Facts {
    /// A stage cut at its deadline before it could say more.
    Timeout { timeout_ms: u128 },
    /// The proxy stage of a client that ignores the proxy variables.
    IgnoredProxy(super::profile::IgnoredProxy),
    /// The certificate stage's.
    Certificate(Box<super::certificate::CertificateFacts>),
    /// The dns stage.
    Dns(Box<super::dns::DnsFacts>),
    /// The tcp stage.
    Tcp(super::tcp::TcpFacts),
    /// The tls stage.
    Tls(Box<super::tls::TlsFacts>),
    /// The tls stage after a small-MSS retry of a stalled handshake.
    Retried(Box<super::mtu::RetriedFacts>),
    /// The websocket stage.
    Websocket(super::websocket::WebsocketFacts),
    /// The auth stage.
    Auth(super::auth::AuthFacts),
    /// The proxy stage.
    Proxy(Box<super::proxy::ProxyFacts>),
    /// The http stage.
    Http(Box<super::http::HttpFacts>),
    /// The stream stage.
    Stream(Box<super::stream::StreamFacts>),
}

impl From<super::certificate::CertificateFacts> for Facts {
    fn from(f: super::certificate::CertificateFacts) -> Self {
        Facts::Certificate(Box::new(f))
    }
}

impl From<super::dns::DnsFacts> for Facts {
    fn from(f: super::dns::DnsFacts) -> Self {
        Facts::Dns(Box::new(f))
    }
}

impl From<super::tcp::TcpFacts> for Facts {
    fn from(f: super::tcp::TcpFacts) -> Self {
        Facts::Tcp(f)
    }
}

impl From<super::tls::TlsFacts> for Facts {
    fn from(f: super::tls::TlsFacts) -> Self {
        Facts::Tls(Box::new(f))
    }
}

impl From<super::websocket::WebsocketFacts> for Facts {
    fn from(f: super::websocket::WebsocketFacts) -> Self {
        Facts::Websocket(f)
    }
}

impl From<super::auth::AuthFacts> for Facts {
    fn from(f: super::auth::AuthFacts) -> Self {
        Facts::Auth(f)
    }
}

impl From<super::proxy::ProxyFacts> for Facts {
    fn from(f: super::proxy::ProxyFacts) -> Self {
        Facts::Proxy(Box::new(f))
    }
}

impl From<super::http::HttpFacts> for Facts {
    fn from(f: super::http::HttpFacts) -> Self {
        Facts::Http(Box::new(f))
    }
}

impl From<super::stream::StreamFacts> for Facts {
    fn from(f: super::stream::StreamFacts) -> Self {
        Facts::Stream(Box::new(f))
    }
}

impl Facts {
    /// The facts as a JSON value: what `-v` lists, key by key.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The body the http stage quotes (the start of the reply's body).
    pub(crate) fn http_body(&self) -> Option<&str> {
        match self {
            Facts::Http(f) => f.body.as_deref(),
            _ => None,
        }
    }
}

/// What a stage returns.
pub struct StageResult<T> {
    pub(super) summary: String,
    pub(super) facts: Facts,
    pub(super) diagnosis: Option<Diagnosis>,
    /// Further warnings beside the diagnosis.
    pub(super) warnings: Vec<Diagnosis>,
    pub(super) product: Option<T>,
    /// Set when netdoctor itself could not do the stage (no descriptor):
    /// the target is netdoctor's failure (exit 1), not a diagnosis.
    pub(super) internal: Option<String>,
}

impl<T> StageResult<T> {
    /// The stage passed.
    pub fn pass(summary: String, facts: impl Into<Facts>, product: T) -> Self {
        StageResult {
            summary,
            facts: facts.into(),
            diagnosis: None,
            warnings: Vec::new(),
            product: Some(product),
            internal: None,
        }
    }

    /// The stage found something worth a warning; the pipeline goes on.
    pub fn warn(
        diagnosis: Diagnosis,
        summary: String,
        facts: impl Into<Facts>,
        product: T,
    ) -> Self {
        StageResult {
            summary,
            facts: facts.into(),
            diagnosis: Some(diagnosis),
            warnings: Vec::new(),
            product: Some(product),
            internal: None,
        }
    }

    /// A warning after which nothing can go on (netdoctor's own limit, not
    /// a fault of the path): no product, so the pipeline stops.
    pub fn warn_stop(diagnosis: Diagnosis, facts: impl Into<Facts>) -> Self {
        // A stage's status is its diagnosis's: this one says warn.
        Self::fail(diagnosis, facts)
    }

    /// The same failure with another product type.
    pub(super) fn fail_from<U>(other: StageResult<U>) -> Self {
        StageResult {
            summary: other.summary,
            facts: other.facts,
            diagnosis: other.diagnosis,
            warnings: other.warnings,
            product: None,
            internal: other.internal,
        }
    }

    /// The stage failed; the pipeline stops.
    pub fn fail(diagnosis: Diagnosis, facts: impl Into<Facts>) -> Self {
        StageResult {
            summary: diagnosis.summary.clone(),
            facts: facts.into(),
            diagnosis: Some(diagnosis),
            warnings: Vec::new(),
            product: None,
            internal: None,
        }
    }

    /// netdoctor itself could not do the stage (`reason`); the pipeline
    /// stops and the target reports netdoctor's failure.
    pub fn internal(reason: String, facts: impl Into<Facts>) -> Self {
        StageResult {
            summary: reason.clone(),
            facts: facts.into(),
            diagnosis: None,
            warnings: Vec::new(),
            product: None,
            internal: Some(reason),
        }
    }

    /// Adds further warnings beside the diagnosis.
    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<Diagnosis>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

/// One stage's result.
#[derive(Debug, Serialize, Clone)]
pub struct StageReport {
    pub layer: Layer,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The key fact in one line (what the human output shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Further warnings of the stage beside its diagnosis (e.g. a certificate
    /// that fails for one reason and is not strict-clean either).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnosis>,
}

impl StageReport {
    /// A stage that ran: its status follows from the diagnosis (if any).
    pub fn ran(
        layer: Layer,
        elapsed: Duration,
        summary: String,
        facts: Facts,
        diagnosis: Option<Diagnosis>,
    ) -> Self {
        StageReport {
            layer,
            status: diagnosis.as_ref().map_or(Status::Pass, |d| d.status),
            duration_ms: Some(millis(elapsed)),
            summary: Some(summary),
            facts: Some(facts),
            diagnosis,
            reason: None,
            warnings: Vec::new(),
        }
    }

    /// A stage that applies but did not run.
    pub fn skipped(layer: Layer, reason: impl Into<String>) -> Self {
        StageReport {
            layer,
            status: Status::Skipped,
            duration_ms: None,
            summary: None,
            facts: None,
            diagnosis: None,
            reason: Some(reason.into()),
            warnings: Vec::new(),
        }
    }
}

/// One run of one target: its stages, in order.
#[derive(Debug, Clone)]
pub struct TargetOutcome {
    /// The check's name (its URL when it has none).
    pub name: String,
    /// The URL, redacted.
    pub target: String,
    pub stages: Vec<StageReport>,
    /// Set when netdoctor itself failed during the run (no descriptor).
    pub internal: Option<String>,
}
