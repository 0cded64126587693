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

use super::http::{read_head, Exchange};
use super::profile::StreamSpec;
use super::{Context, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::redact;
use serde_json::json;
use std::io::Write as _;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What httpx sends by default (without the optional brotli/zstd packages).
const ACCEPT_ENCODING: &str = "gzip, deflate";
/// Events closer together than this, after a wait, count as buffered.
const TOGETHER: Duration = Duration::from_millis(20);
/// The most body bytes read from a stream.
const MAX_STREAM: usize = 1 << 20;

fn request(spec: &StreamSpec, body: &[u8]) -> Vec<u8> {
    let t = &spec.target;
    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: netdoctor/{}\r\nAccept: text/event-stream\r\nAccept-Encoding: {ACCEPT_ENCODING}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        t.request_path(),
        t.host_header(),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    for (n, v) in &spec.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Incremental `Transfer-Encoding: chunked` decoding.
#[derive(Default)]
struct Dechunk {
    buf: Vec<u8>,
    /// Bytes left in the current chunk (and its CRLF).
    left: Option<usize>,
    done: bool,
}

impl Dechunk {
    fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        loop {
            if self.done {
                return out;
            }
            match self.left {
                None => {
                    let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") else {
                        return out;
                    };
                    let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                    self.buf.drain(..pos + 2);
                    let size =
                        usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                            .unwrap_or(0);
                    if size == 0 {
                        self.done = true;
                        return out;
                    }
                    self.left = Some(size + 2);
                }
                Some(left) => {
                    if self.buf.is_empty() {
                        return out;
                    }
                    let n = left.min(self.buf.len());
                    let data_n = n.min(left.saturating_sub(2));
                    out.extend_from_slice(&self.buf[..data_n]);
                    self.buf.drain(..n);
                    self.left = (left > n).then_some(left - n);
                }
            }
        }
    }
}

/// Sends a request on a fresh connection and reads its head.
async fn send(
    ctx: &Context,
    spec: &StreamSpec,
    body: &[u8],
    deadline: Instant,
) -> Result<(Exchange, Instant), Diagnosis> {
    let mut stream = super::connect_again(ctx, &spec.target, deadline).await?;
    let started = Instant::now();
    stream.write_all(&request(spec, body)).await.map_err(|e| {
        Diagnosis::new(
            Code::HttpMalformed,
            format!("sending the request failed: {e}"),
        )
    })?;
    let (head, rest) = read_head(&mut stream).await.map_err(|e| e.diagnosis())?;
    Ok((
        Exchange {
            status: head.status,
            reason: head.reason,
            headers: head.headers,
            body: rest,
            credential_sent: !spec.headers.is_empty(),
            credentials_withheld: false,
            ws_key: None,
            stream,
            leftover: Vec::new(),
        },
        started,
    ))
}

/// Reads a short error body (for quoting).
async fn short_body(ctx: &Context, ex: &mut Exchange, until: Instant) -> String {
    let mut chunk = [0u8; 2048];
    while ex.body.len() < 4096 {
        match tokio::time::timeout_at(until.into(), ex.stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => ex.body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    let mut raw = std::mem::take(&mut ex.body);
    if ex
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        raw = Dechunk::default().feed(&raw);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let service = ctx.cfg.profile.as_ref();
    service
        .and_then(|p| p.service_error(&text))
        .unwrap_or_else(|| {
            let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("\"{}\"", redact::terminal_safe(&folded, 160))
        })
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
    let (mut ex, started) = match send(ctx, spec, &spec.stream_body, deadline).await {
        Ok(x) => x,
        Err(d) => return StageResult::fail(d, facts),
    };
    facts["status"] = json!(ex.status);
    let content_type = ex.header("content-type").unwrap_or("").to_owned();
    let encoding = ex
        .header("content-encoding")
        .unwrap_or("")
        .to_ascii_lowercase();
    facts["content_type"] = json!(redact::terminal_safe(&content_type, 100));
    if !encoding.is_empty() {
        facts["content_encoding"] = json!(redact::terminal_safe(&encoding, 40));
    }
    if !is_success(ex.status) {
        let until = (Instant::now() + Duration::from_millis(1500)).min(deadline);
        let quoted = match ex.header("location") {
            // Redirects are reported, never followed (the key stays with this host).
            Some(to) if (300..400).contains(&ex.status) => {
                format!("redirect to {}", redact::location(&spec.target.url, to))
            }
            _ => short_body(ctx, &mut ex, until).await,
        };
        facts["stream_error"] = json!(quoted);
        let plain = match send(ctx, spec, &spec.plain_body, deadline).await {
            Ok((mut p, _)) => {
                let _ = short_body(
                    ctx,
                    &mut p,
                    (Instant::now() + Duration::from_millis(500)).min(deadline),
                )
                .await;
                Some(p.status)
            }
            Err(_) => None,
        };
        facts["without_stream_status"] = json!(plain);
        let d = match plain {
            Some(s) if is_success(s) => Diagnosis::new(
                Code::StreamRejected,
                format!("the chat completion works without stream ({s}) and fails with \"stream\": true ({}): {quoted}", ex.status),
            ),
            other => Diagnosis::new(
                Code::HttpStatus,
                format!(
                    "the chat completion fails with and without stream ({} / {}): {quoted}",
                    ex.status,
                    other.map_or("no answer".to_owned(), |s| s.to_string())
                ),
            )
            .with_status(Status::Fail)
            .with_hint("the service rejects the chat request itself: read its error (model name, quota, content filter); streaming is not the cause"),
        };
        return StageResult::fail(d, facts);
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
                ex.status,
                if content_type.is_empty() { "(none)" } else { &content_type }
            ),
        );
        return StageResult::fail(d, facts);
    }
    let chunked = ex
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let gzip = encoding.contains("gzip");
    let mut dechunk = Dechunk::default();
    let mut gz = flate2::write::GzDecoder::new(Vec::new());
    let mut text = Vec::new();
    let mut events: Vec<Duration> = Vec::new();
    let mut done_at: Option<Duration> = None;
    let mut total = 0usize;
    let mut pending = std::mem::take(&mut ex.body);
    let mut chunk = [0u8; 8192];
    let mut broken: Option<String> = None;
    loop {
        if !pending.is_empty() {
            total += pending.len();
            let data = if chunked {
                dechunk.feed(&pending)
            } else {
                std::mem::take(&mut pending)
            };
            pending.clear();
            let plain = if gzip {
                if gz.write_all(&data).and_then(|()| gz.flush()).is_err() {
                    broken = Some("the gzip'd stream does not decode".to_owned());
                    break;
                }
                std::mem::take(gz.get_mut())
            } else {
                data
            };
            text.extend_from_slice(&plain);
            // Events end with a blank line.
            while let Some((end, sep)) = find_event_end(&text) {
                let event = String::from_utf8_lossy(&text[..end]).into_owned();
                text.drain(..end + sep);
                let at = started.elapsed();
                for line in event.lines() {
                    if let Some(data) = line.strip_prefix("data:") {
                        if data.trim() == "[DONE]" {
                            done_at = Some(at);
                        } else {
                            events.push(at);
                        }
                    }
                }
            }
            if done_at.is_some() || total > MAX_STREAM || (chunked && dechunk.done) {
                break;
            }
        }
        match tokio::time::timeout_at(deadline.into(), ex.stream.read(&mut chunk)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => pending.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => {
                broken = Some(format!("reading the stream failed: {e}"));
                break;
            }
            Err(_) => {
                broken = Some("the stream did not end before the deadline".to_owned());
                break;
            }
        }
    }
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
    fn dechunks_across_feeds() {
        let mut d = Dechunk::default();
        let mut out = d.feed(b"5\r\nhel");
        out.extend(d.feed(b"lo\r\n3\r\n ab\r\n0\r\n\r\n"));
        assert_eq!(out, b"hello ab");
        assert!(d.done);
    }

    #[test]
    fn event_ends() {
        assert_eq!(find_event_end(b"data: x\n\ndata: y"), Some((7, 2)));
        assert_eq!(find_event_end(b"data: x\r\n\r\n"), Some((7, 4)));
        assert_eq!(find_event_end(b"data: x\n"), None);
    }
}
