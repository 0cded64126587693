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
//! whether streaming itself is refused (`STREAM_REJECTED`).

use super::http::{HttpError, USER_AGENT};
use super::profile::StreamSpec;
use super::{h1, Context, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::redact;
use serde_json::json;
use std::time::{Duration, Instant};

/// What httpx sends by default (without the optional brotli/zstd packages).
const ACCEPT_ENCODING: &str = "gzip, deflate";
/// Events closer together than this, after a wait, count as buffered.
const TOGETHER: Duration = Duration::from_millis(20);
/// The most body bytes read from a stream.
const MAX_STREAM: usize = 1 << 20;

/// The most body bytes quoted from an error reply.
const SHORT_BODY: usize = 4096;

fn request(spec: &StreamSpec, body: &[u8]) -> h1::Request {
    let t = &spec.target;
    let mut r = h1::Request::origin("POST", &t.request_path());
    r.header("Host", &t.host_header())
        .header("User-Agent", USER_AGENT)
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
) -> Result<Answer, Diagnosis> {
    let mut stream = super::connect_again(ctx, &spec.target, deadline).await?;
    let started = Instant::now();
    let exchange = async {
        h1::send(&mut stream, &request(spec, body)).await?;
        h1::read_head(&mut stream, None).await
    };
    let (head, rest) = exchange.await.map_err(|e| HttpError::from(e).diagnosis())?;
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
            format!("\"{}\"", redact::terminal_safe(&folded, 160))
        })
}

/// The events of a stream: when each arrived, when `[DONE]` did, and why
/// reading stopped early.
#[derive(Default)]
struct Events {
    at: Vec<Duration>,
    done_at: Option<Duration>,
    broken: Option<String>,
}

/// Reads events as they arrive, up to `data: [DONE]`.
async fn read_events(a: &mut Answer, gzip: bool, deadline: Instant) -> Events {
    let mut body = a.body(MAX_STREAM).gunzip(gzip);
    let mut text = Vec::new();
    let mut ev = Events::default();
    loop {
        let data = match body.next(&mut a.stream, Some(deadline)).await {
            Ok(Some(data)) => data,
            Ok(None) => break,
            Err(h1::Error::Read { source, .. } | h1::Error::Reset { source, .. }) => {
                ev.broken = Some(format!("reading the stream failed: {source}"));
                break;
            }
            Err(h1::Error::Timeout { .. }) => {
                ev.broken = Some("the stream did not end before the deadline".to_owned());
                break;
            }
            Err(h1::Error::Gzip(_)) => {
                ev.broken = Some("the gzip'd stream does not decode".to_owned());
                break;
            }
            // Over the budget, or a cut or malformed body: the end of the
            // stream, as a close is.
            Err(_) => break,
        };
        text.extend_from_slice(&data);
        // Events end with a blank line.
        while let Some((end, sep)) = find_event_end(&text) {
            let event = String::from_utf8_lossy(&text[..end]).into_owned();
            text.drain(..end + sep);
            let at = a.started.elapsed();
            for line in event.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    if data.trim() == "[DONE]" {
                        ev.done_at = Some(at);
                    } else {
                        ev.at.push(at);
                    }
                }
            }
        }
        if ev.done_at.is_some() {
            break;
        }
    }
    ev
}

/// Whether a status is a success.
fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Runs the streaming check.
pub async fn stage(ctx: &Context, spec: &StreamSpec, deadline: Instant) -> StageResult<()> {
    let mut facts = json!({
        "method": "POST",
        "path": redact::request_target(&spec.target.url, Some(redact::MASK)),
        "accept_encoding": ACCEPT_ENCODING,
    });
    let mut ex = match send(ctx, spec, &spec.stream_body, deadline).await {
        Ok(x) => x,
        Err(d) => return StageResult::fail(d, facts),
    };
    let status = ex.head.status;
    facts["status"] = json!(status);
    let content_type = ex.header("content-type").unwrap_or("").to_owned();
    let encoding = ex
        .header("content-encoding")
        .unwrap_or("")
        .to_ascii_lowercase();
    facts["content_type"] = json!(redact::terminal_safe(&content_type, 100));
    if !encoding.is_empty() {
        facts["content_encoding"] = json!(redact::terminal_safe(&encoding, 40));
    }
    if !is_success(status) {
        return rejected(ctx, spec, ex, facts, deadline).await;
    }
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "text/event-stream" {
        let until = (Instant::now() + Duration::from_millis(1500)).min(deadline);
        let quoted = short_body(ctx, &mut ex, until).await;
        let d = Diagnosis::new(
            Code::StreamNotSse,
            format!(
                "the streaming request got {} with Content-Type `{}` instead of text/event-stream: {quoted}",
                status,
                if content_type.is_empty() { "(none)" } else { &content_type }
            ),
        );
        return StageResult::fail(d, facts);
    }
    let gzip = encoding.contains("gzip");
    let Events {
        at: events,
        done_at,
        broken,
    } = read_events(&mut ex, gzip, deadline).await;
    let ms = crate::duration::millis;
    facts["events"] = json!(events.len());
    facts["done"] = json!(done_at.is_some());
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        facts["first_event_ms"] = json!(ms(*first));
        facts["last_event_ms"] = json!(ms(*last));
    }
    if let Some(why) = broken.filter(|_| done_at.is_none()) {
        let d = Diagnosis::new(
            Code::StreamNotSse,
            format!("{why} after {} event(s), before data: [DONE]", events.len()),
        );
        return StageResult::fail(d, facts);
    }
    let (Some(first), Some(last)) = (events.first().copied(), events.last().copied()) else {
        let d = Diagnosis::new(
            Code::StreamNotSse,
            "the response is text/event-stream but carries no data: events".to_owned(),
        );
        return StageResult::fail(d, facts);
    };
    let spread = last.saturating_sub(first);
    let summary = format!(
        "{} events, first after {:.0} ms, last after {:.0} ms{}",
        events.len(),
        ms(first),
        ms(last),
        if gzip { " (gzip)" } else { "" }
    );
    if events.len() >= 3 && spread < TOGETHER && first > TOGETHER * 5 {
        let mut why = format!(
            "{} events arrived together after {:.0} ms (first and last {:.1} ms apart): the stream was buffered on the way",
            events.len(),
            ms(first),
            ms(spread)
        );
        if gzip {
            why.push_str("; the stream is gzip'd, which buffers it too");
        }
        let d = Diagnosis::new(Code::StreamBuffered, why);
        let s = d.summary.clone();
        return StageResult::warn(d, s, facts, ());
    }
    StageResult::pass(summary, facts, ())
}

/// The streaming request was refused: the same request without `stream`
/// tells whether streaming itself is (`STREAM_REJECTED`).
async fn rejected(
    ctx: &Context,
    spec: &StreamSpec,
    mut ex: Answer,
    mut facts: serde_json::Value,
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
    facts["stream_error"] = json!(quoted);
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
    facts["without_stream_status"] = json!(plain);
    let d = match plain {
        Some(s) if is_success(s) => Diagnosis::new(
            Code::StreamRejected,
            format!("the chat completion works without stream ({s}) and fails with \"stream\": true ({status}): {quoted}"),
        ),
        other => Diagnosis::new(
            Code::HttpStatus,
            format!(
                "the chat completion fails with and without stream ({status} / {}): {quoted}",
                other.map_or("no answer".to_owned(), |s| s.to_string())
            ),
        )
        .with_status(Status::Fail)
        .with_hint("the service rejects the chat request itself: read its error (model name, quota, content filter); streaming is not the cause"),
    };
    StageResult::fail(d, facts)
}

/// The end of the first complete event and the length of its separator.
fn find_event_end(text: &[u8]) -> Option<(usize, usize)> {
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
