//! What the stream stage reports: its facts and its failures, each with a
//! stable `STREAM_` code (the stage's own connection keeps the failing
//! step's diagnosis).

use super::super::http::HttpError;
use crate::diagnosis::{Code, Diagnosis};
use serde::Serialize;

/// The stream stage's facts, as the report shows them (fields in the
/// JSON's alphabetical order; what was not reached is absent).
#[derive(Debug, Clone, Serialize)]
pub struct StreamFacts {
    /// The `Accept-Encoding` sent (httpx's).
    pub accept_encoding: &'static str,
    /// The body bytes read (after gunzipping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
    /// The reply's `Content-Encoding`, lower-cased, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// The reply's `Content-Type` (empty when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Whether `data: [DONE]` arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    /// The error the service streamed (an `event: error`, or a `data:`
    /// object with an `error`), quoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_event: Option<String>,
    /// The `data:` events before `[DONE]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_ms: Option<f64>,
    pub method: &'static str,
    /// The request target as shown (secret query values masked).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The service's error (or the redirect) when the streaming request
    /// was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_error: Option<String>,
    /// The status of the same request without `stream`, tried when the
    /// streaming one was refused (`null`: no answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_stream_status: Option<Option<u16>>,
}

/// Which of netdoctor's limits a stream went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The body's decoded (gunzipped) bytes.
    Total(usize),
    /// One line of the event stream.
    Line(usize),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = |n: usize| {
            if n >= 1 << 20 && n % (1 << 20) == 0 {
                format!("{} MiB", n >> 20)
            } else {
                format!("{} KiB", n / 1024)
            }
        };
        match self {
            Limit::Total(n) => write!(
                f,
                "the stream is larger than netdoctor reads ({}, counted after gunzipping)",
                size(*n)
            ),
            Limit::Line(n) => write!(
                f,
                "a line of the stream is longer than netdoctor reads ({})",
                size(*n)
            ),
        }
    }
}

/// What the stream stage found wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The stage's own connection failed: the failing step's diagnosis
    /// (`DNS_`, `TCP_`, `PROXY_`, `TLS_`, `CERT_` …).
    #[error("{}", .0.summary)]
    Connect(Box<Diagnosis>),
    /// Writing the request or reading the reply's head.
    #[error(transparent)]
    Exchange(#[from] HttpError),
    /// A success that is not an event stream.
    #[error(
        "the streaming request got {status} with Content-Type `{}` instead of text/event-stream: {quoted}",
        if content_type.is_empty() { "(none)" } else { content_type }
    )]
    NotSse {
        status: u16,
        content_type: String,
        quoted: String,
    },
    /// The body ended (or broke: `why`) before `[DONE]`.
    #[error(
        "the stream ended after {events} event(s) ({bytes} bytes), before data: [DONE]{}",
        why.as_ref().map_or(String::new(), |w| format!(": {w}"))
    )]
    Truncated {
        events: usize,
        bytes: usize,
        why: Option<String>,
    },
    /// The service streamed an error.
    #[error("the service streamed an error after {events} event(s): {quoted}")]
    ErrorEvent { events: usize, quoted: String },
    /// The stream is SSE but did not reach `[DONE]` before the deadline.
    #[error(
        "the stream did not reach data: [DONE] within {after_ms} ms ({limit}): {events} event(s), {bytes} bytes arrived"
    )]
    Timeout {
        events: usize,
        bytes: usize,
        after_ms: u128,
        limit: String,
    },
    /// The stream is SSE but over one of netdoctor's limits.
    #[error("{limit}: cut after {events} event(s), before data: [DONE]")]
    TooLarge { events: usize, limit: Limit },
    /// The events all arrived together (a warning).
    #[error(
        "{events} events arrived together after {first_ms:.0} ms (first and last {spread_ms:.1} ms apart): the stream was buffered on the way{}",
        if *gzip { "; the stream is gzip'd, which buffers it too" } else { "" }
    )]
    Buffered {
        events: usize,
        first_ms: f64,
        spread_ms: f64,
        gzip: bool,
    },
    /// Refused with `stream`, answered (`plain`) without it.
    #[error("the chat completion works without stream ({plain}) and fails with \"stream\": true ({status}): {quoted}")]
    Rejected {
        status: u16,
        plain: u16,
        quoted: String,
    },
    /// Refused with and without `stream` (`plain`: none when the second
    /// request got no answer).
    #[error(
        "the chat completion fails with and without stream ({status} / {}): {quoted}",
        plain.map_or("no answer".to_owned(), |s| s.to_string())
    )]
    RequestFailed {
        status: u16,
        plain: Option<u16>,
        quoted: String,
    },
}

impl StreamError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            StreamError::Connect(d) => d.code,
            StreamError::Exchange(e) => e.code(),
            StreamError::NotSse { .. } => Code::StreamNotSse,
            StreamError::Truncated { .. } => Code::StreamTruncated,
            StreamError::ErrorEvent { .. } => Code::StreamErrorEvent,
            StreamError::Timeout { .. } => Code::StreamTimeout,
            StreamError::TooLarge { .. } => Code::StreamTooLarge,
            StreamError::Buffered { .. } => Code::StreamBuffered,
            StreamError::Rejected { .. } => Code::StreamRejected,
            StreamError::RequestFailed { .. } => Code::StreamRequestFailed,
        }
    }

    /// The diagnosis (the connection's is the failing step's own).
    pub fn diagnosis(&self) -> Diagnosis {
        match self {
            StreamError::Connect(d) => (**d).clone(),
            StreamError::Exchange(e) => e.diagnosis(),
            _ => Diagnosis::new(self.code(), self.to_string()),
        }
    }
}
