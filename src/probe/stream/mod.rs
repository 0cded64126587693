//! The `stream` stage: the SSE streaming check of OpenAI-style APIs.
//!
//! Its own request, on a new connection to the same target (re-verified:
//! the key goes only over a trusted chain): a minimal chat completion with
//! `"stream": true`, sending `Accept-Encoding` as httpx does and decoding
//! gzip, so that a proxy compressing the stream shows. It checks
//! `Content-Type: text/event-stream`, reads events up to `data: [DONE]`
//! ([`read`], framed by [`sse`]), and compares the time to the first event
//! with the time to the last: a stream whose events all arrive together was
//! buffered on the way. A stream that stops short says why: cut
//! (`STREAM_TRUNCATED`), an error the service streamed
//! (`STREAM_ERROR_EVENT`), too slow (`STREAM_TIMEOUT`) or over a limit
//! (`STREAM_TOO_LARGE`). When the streaming request fails, the same request
//! without `stream` tells whether streaming itself is refused
//! (`STREAM_REJECTED`) or the request is, with or without it
//! (`STREAM_REQUEST_FAILED`).

mod error;
mod read;
pub(crate) mod sse;

pub use error::{StreamError, StreamFacts};

use super::http::{HttpError, ViaProxy, USER_AGENT};
use super::profile::StreamSpec;
use super::{h1, Context, Io, StageResult};
use crate::redact;
use std::time::{Duration, Instant};

/// What httpx sends by default (without the optional brotli/zstd packages).
const ACCEPT_ENCODING: &str = "gzip, deflate";
/// The most body bytes read from a stream (counted after gunzipping).
const MAX_STREAM: usize = 1 << 20;

/// The most body bytes quoted from an error reply.
const SHORT_BODY: usize = 4096;

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
        h1::read_head(&mut stream, Some(deadline)).await
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
async fn short_body(ctx: &Context, spec: &StreamSpec, a: &mut Answer, until: Instant) -> String {
    let mut raw = Vec::new();
    // A broken or slow body is quoted as far as it came.
    let _ = a
        .body(SHORT_BODY)
        .read_to_end(&mut a.stream, Some(until), &mut raw)
        .await;
    quote(ctx, spec, &String::from_utf8_lossy(&raw))
}

/// The secrets of the streaming request (its credential headers, the
/// proxies' credentials), scrubbed from whatever of the reply is quoted.
fn secrets(ctx: &Context, spec: &StreamSpec) -> redact::Secrets {
    let mut secrets = super::http::run_secrets(&ctx.cfg);
    for (_, v) in &spec.headers {
        secrets.add_header_value(v);
    }
    secrets
}

/// The service's error in `text` (its own shape, when the profile knows
/// it), else the text folded and bounded; the request's secrets masked.
fn quote(ctx: &Context, spec: &StreamSpec, text: &str) -> String {
    let secrets = secrets(ctx, spec);
    let text = secrets.scrub(text);
    let service = ctx.cfg.profile.as_ref();
    let quoted = service
        .and_then(|p| p.service_error(&text))
        .unwrap_or_else(|| {
            let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("\"{}\"", redact::bounded(&folded, 160))
        });
    secrets.scrub(&quoted)
}

/// How the stage's deadline is named: `--max-time` when the run's end came
/// before the stage's `--timeout`.
fn deadline_name(ctx: &Context, begun: Instant, deadline: Instant) -> read::DeadlineName {
    let timeout = ctx.cfg.timeout;
    let after = deadline.saturating_duration_since(begun);
    let limit = match ctx.cfg.max_time {
        Some(max) if after + Duration::from_millis(5) < timeout => {
            format!("--max-time {}s", max.as_secs_f64())
        }
        _ => format!("--timeout {}s", timeout.as_secs_f64()),
    };
    read::DeadlineName { after, limit }
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
    let begun = Instant::now();
    let mut facts = StreamFacts {
        accept_encoding: ACCEPT_ENCODING,
        bytes: None,
        content_encoding: None,
        content_type: None,
        done: None,
        error_event: None,
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
        let quoted = short_body(ctx, spec, &mut ex, until).await;
        let err = StreamError::NotSse {
            status,
            content_type,
            quoted,
        };
        return failed(&err, facts);
    }
    let gzip = encoding.contains("gzip");
    let events = read::read_events(&mut ex, gzip, deadline).await;
    let named = deadline_name(ctx, begun, deadline);
    read::judge(events, gzip, |t| quote(ctx, spec, t), &named, facts)
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
        _ => short_body(ctx, spec, &mut ex, until).await,
    };
    facts.stream_error = Some(quoted.clone());
    let plain = match send(ctx, spec, &spec.plain_body, deadline).await {
        Ok(mut p) => {
            let _ = short_body(
                ctx,
                spec,
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
