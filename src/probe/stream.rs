//! The `stream` stage: the SSE streaming check of OpenAI-style APIs.
//!
//! Its own request, on a new connection to the same target (re-verified:
//! the key goes only over a trusted chain): a minimal chat completion with
//! `"stream": true`, sending `Accept-Encoding` as httpx does and decoding
//! gzip, so that a proxy compressing the stream shows. It checks
//! `Content-Type: text/event-stream`, reads events up to `data: [DONE]`,
//! and compares the time to the first event with the time to the last: a
//! stream whose events all arrive together was buffered on the way. When
//! the streaming request fails, the same request without `stream` tells
//! whether streaming itself is refused (`STREAM_REJECTED`) or the request
//! is, with or without it (`STREAM_REQUEST_FAILED`).

use super::http::{HttpError, ViaProxy, USER_AGENT};
use super::profile::StreamSpec;
use super::{h1, Context, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis};
use crate::redact;
use serde::Serialize;
use std::io;
use std::time::{Duration, Instant};

/// What httpx sends by default (without the optional brotli/zstd packages).
const ACCEPT_ENCODING: &str = "gzip, deflate";
/// Events closer together than this, after a wait, count as buffered.
const TOGETHER: Duration = Duration::from_millis(20);
/// The most body bytes read from a stream.
const MAX_STREAM: usize = 1 << 20;

/// The most body bytes quoted from an error reply.
const SHORT_BODY: usize = 4096;

/// The stream stage's facts, as the report shows them (fields in the
/// JSON's alphabetical order; what was not reached is absent).
#[derive(Debug, Clone, Serialize)]
pub struct StreamFacts {
    /// The `Accept-Encoding` sent (httpx's).
    pub accept_encoding: &'static str,
    /// The reply's `Content-Encoding`, lower-cased, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// The reply's `Content-Type` (empty when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Whether `data: [DONE]` arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
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
    /// Reading the stream failed after `events` events.
    #[error("reading the stream failed: {source} after {events} event(s), before data: [DONE]")]
    ReadFailed {
        events: usize,
        #[source]
        source: io::Error,
    },
    /// The deadline passed before `[DONE]`.
    #[error(
        "the stream did not end before the deadline after {events} event(s), before data: [DONE]"
    )]
    Unfinished { events: usize },
    /// The gzip'd stream does not decode.
    #[error("the gzip'd stream does not decode after {events} event(s), before data: [DONE]")]
    BadGzip { events: usize },
    /// An event stream without `data:` events.
    #[error("the response is text/event-stream but carries no data: events")]
    NoEvents,
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
            StreamError::NotSse { .. }
            | StreamError::ReadFailed { .. }
            | StreamError::Unfinished { .. }
            | StreamError::BadGzip { .. }
            | StreamError::NoEvents => Code::StreamNotSse,
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

fn request(spec: &StreamSpec, body: &[u8], via: Option<&ViaProxy>) -> h1::Request {
    let t = &spec.target;
    let host = t.host_header();
    // Through a plain-http proxy: absolute-form, with its credentials.
    let mut r = match via {
        Some(_) => h1::Request::absolute("POST", &host, &t.request_path()),
        None => h1::Request::origin("POST", &t.request_path()),
    };
    r.header("Host", &host);
    if let Some(auth) = via.and_then(|v| v.authorization.as_ref()) {
        r.header("Proxy-Authorization", auth);
    }
    r.header("User-Agent", USER_AGENT)
        .header("Accept", "text/event-stream")
        .header("Accept-Encoding", ACCEPT_ENCODING)
        .header("Content-Type", "application/json")
        .header("Connection", "close")
        .header("Content-Length", &body.len().to_string());
    for (n, v) in &spec.headers {
        r.header(n, v);
    }
    r.body(body);
    r
}

/// A reply's head, on its connection, and the bytes read past the head.
struct Answer {
    head: h1::Head,
    rest: Vec<u8>,
    stream: Box<dyn Io>,
    /// When the request went out.
    started: Instant,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    /// The body reader for what follows the head.
    fn body(&mut self, budget: usize) -> h1::BodyReader {
        let rest = std::mem::take(&mut self.rest);
        h1::BodyReader::new(self.head.framing("POST"), rest, budget)
    }
}

/// Sends a request on a fresh connection and reads its head.
async fn send(
    ctx: &Context,
    spec: &StreamSpec,
    body: &[u8],
    deadline: Instant,
) -> Result<Answer, StreamError> {
    let super::Reopened { mut stream, via } = super::connect_again(ctx, &spec.target, deadline)
        .await
        .map_err(|d| StreamError::Connect(Box::new(d)))?;
    let started = Instant::now();
    let exchange = async {
        h1::send(&mut stream, &request(spec, body, via.as_ref())).await?;
        h1::read_head(&mut stream, None).await
    };
    let (head, rest) = exchange.await.map_err(HttpError::from)?;
    Ok(Answer {
        head,
        rest,
        stream,
        started,
    })
}

/// Reads a short error body (for quoting).
async fn short_body(ctx: &Context, a: &mut Answer, until: Instant) -> String {
    let mut raw = Vec::new();
    // A broken or slow body is quoted as far as it came.
    let _ = a
        .body(SHORT_BODY)
        .read_to_end(&mut a.stream, Some(until), &mut raw)
        .await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let service = ctx.cfg.profile.as_ref();
    service
        .and_then(|p| p.service_error(&text))
        .unwrap_or_else(|| {
            let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("\"{}\"", redact::bounded(&folded, 160))
        })
}

/// Why reading events stopped before `[DONE]`.
enum Break {
    Read(io::Error),
    Deadline,
    Gzip,
}

impl Break {
    /// The failure, after `events` events.
    fn after(self, events: usize) -> StreamError {
        match self {
            Break::Read(source) => StreamError::ReadFailed { events, source },
            Break::Deadline => StreamError::Unfinished { events },
            Break::Gzip => StreamError::BadGzip { events },
        }
    }
}

/// The events of a stream: when each arrived, when `[DONE]` did, and why
/// reading stopped early.
#[derive(Default)]
pub(crate) struct Events {
    pub(crate) at: Vec<Duration>,
    pub(crate) done_at: Option<Duration>,
    broken: Option<Break>,
}

impl Events {
    /// Takes the complete events at the start of `text`, arrived `at`.
    pub(crate) fn take(&mut self, text: &mut Vec<u8>, at: Duration) {
        // Events end with a blank line.
        while let Some((end, sep)) = find_event_end(text) {
            let event = String::from_utf8_lossy(&text[..end]).into_owned();
            text.drain(..end + sep);
            for line in event.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    if data.trim() == "[DONE]" {
                        self.done_at = Some(at);
                    } else {
                        self.at.push(at);
                    }
                }
            }
        }
    }
}

/// Reads events as they arrive, up to `data: [DONE]`.
async fn read_events(a: &mut Answer, gzip: bool, deadline: Instant) -> Events {
    let mut body = a.body(MAX_STREAM).gunzip(gzip);
    let mut text = Vec::new();
    let mut ev = Events::default();
    while ev.done_at.is_none() {
        let data = match body.next(&mut a.stream, Some(deadline)).await {
            Ok(Some(data)) => data,
            Err(h1::Error::Read { source, .. } | h1::Error::Reset { source, .. }) => {
                ev.broken = Some(Break::Read(source));
                break;
            }
            Err(h1::Error::Timeout { .. }) => {
                ev.broken = Some(Break::Deadline);
                break;
            }
            Err(h1::Error::Gzip(_)) => {
                ev.broken = Some(Break::Gzip);
                break;
            }
            // The end, or over the budget, or a cut or malformed body: the
            // end of the stream, as a close is.
            Ok(None) | Err(_) => break,
        };
        text.extend_from_slice(&data);
        ev.take(&mut text, a.started.elapsed());
    }
    ev
}

/// Whether a status is a success.
fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The stage's failure, with its facts.
fn failed(err: &StreamError, facts: StreamFacts) -> StageResult<()> {
    StageResult::fail(err.diagnosis(), facts)
}

/// Runs the streaming check.
pub async fn stage(ctx: &Context, spec: &StreamSpec, deadline: Instant) -> StageResult<()> {
    let mut facts = StreamFacts {
        accept_encoding: ACCEPT_ENCODING,
        content_encoding: None,
        content_type: None,
        done: None,
        events: None,
        first_event_ms: None,
        last_event_ms: None,
        method: "POST",
        path: redact::request_target(&spec.target.url, Some(redact::MASK)),
        status: None,
        stream_error: None,
        without_stream_status: None,
    };
    let mut ex = match send(ctx, spec, &spec.stream_body, deadline).await {
        Ok(x) => x,
        Err(e) => return failed(&e, facts),
    };
    let status = ex.head.status;
    facts.status = Some(status);
    let content_type = ex.header("content-type").unwrap_or("").to_owned();
    let encoding = ex
        .header("content-encoding")
        .unwrap_or("")
        .to_ascii_lowercase();
    facts.content_type = Some(redact::bounded(&content_type, 100));
    if !encoding.is_empty() {
        facts.content_encoding = Some(redact::bounded(&encoding, 40));
    }
    if !is_success(status) {
        return rejected(ctx, spec, ex, facts, deadline).await;
    }
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("text/event-stream") {
        let until = (Instant::now() + Duration::from_millis(1500)).min(deadline);
        let quoted = short_body(ctx, &mut ex, until).await;
        let err = StreamError::NotSse {
            status,
            content_type,
            quoted,
        };
        return failed(&err, facts);
    }
    let gzip = encoding.contains("gzip");
    let events = read_events(&mut ex, gzip, deadline).await;
    judge_events(events, gzip, facts)
}

/// The verdict on the events read: a pass, buffered, or broken.
fn judge_events(ev: Events, gzip: bool, mut facts: StreamFacts) -> StageResult<()> {
    let ms = crate::duration::millis;
    let Events {
        at: events,
        done_at,
        broken,
    } = ev;
    facts.events = Some(events.len());
    facts.done = Some(done_at.is_some());
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        facts.first_event_ms = Some(ms(*first));
        facts.last_event_ms = Some(ms(*last));
    }
    if let Some(why) = broken.filter(|_| done_at.is_none()) {
        return failed(&why.after(events.len()), facts);
    }
    let (Some(first), Some(last)) = (events.first().copied(), events.last().copied()) else {
        return failed(&StreamError::NoEvents, facts);
    };
    let spread = last.saturating_sub(first);
    if events.len() >= 3 && spread < TOGETHER && first > TOGETHER * 5 {
        let d = StreamError::Buffered {
            events: events.len(),
            first_ms: ms(first),
            spread_ms: ms(spread),
            gzip,
        }
        .diagnosis();
        let s = d.summary.clone();
        return StageResult::warn(d, s, facts, ());
    }
    let summary = format!(
        "{} events, first after {:.0} ms, last after {:.0} ms{}",
        events.len(),
        ms(first),
        ms(last),
        if gzip { " (gzip)" } else { "" }
    );
    StageResult::pass(summary, facts, ())
}

/// The streaming request was refused: the same request without `stream`
/// tells whether streaming itself is (`STREAM_REJECTED`) or the request
/// (`STREAM_REQUEST_FAILED`).
async fn rejected(
    ctx: &Context,
    spec: &StreamSpec,
    mut ex: Answer,
    mut facts: StreamFacts,
    deadline: Instant,
) -> StageResult<()> {
    let status = ex.head.status;
    let until = (Instant::now() + Duration::from_millis(1500)).min(deadline);
    let quoted = match ex.header("location") {
        // Redirects are reported, never followed (the key stays with this host).
        Some(to) if (300..400).contains(&status) => {
            format!("redirect to {}", redact::location(&spec.target.url, to))
        }
        _ => short_body(ctx, &mut ex, until).await,
    };
    facts.stream_error = Some(quoted.clone());
    let plain = match send(ctx, spec, &spec.plain_body, deadline).await {
        Ok(mut p) => {
            let _ = short_body(
                ctx,
                &mut p,
                (Instant::now() + Duration::from_millis(500)).min(deadline),
            )
            .await;
            Some(p.head.status)
        }
        Err(_) => None,
    };
    facts.without_stream_status = Some(plain);
    let err = match plain {
        Some(plain) if is_success(plain) => StreamError::Rejected {
            status,
            plain,
            quoted,
        },
        plain => StreamError::RequestFailed {
            status,
            plain,
            quoted,
        },
    };
    failed(&err, facts)
}

/// The end of the first complete event and the length of its separator.
pub(crate) fn find_event_end(text: &[u8]) -> Option<(usize, usize)> {
    let lf = text.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ends() {
        assert_eq!(find_event_end(b"data: x\n\ndata: y"), Some((7, 2)));
        assert_eq!(find_event_end(b"data: x\r\n\r\n"), Some((7, 4)));
        assert_eq!(find_event_end(b"data: x\n"), None);
    }
}
