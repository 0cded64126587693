//! The `stream` stage against hostile event streams (issue 11): a stream
//! cut before `data: [DONE]`, an error the service streams, an endless
//! stream, a drip, a gzip bomb and a line without end. A plain-http
//! OpenAI-style API on loopback (`--base-url http://api.test:PORT/v1`,
//! pinned with `--resolve`) answers the models request and the chat
//! completion; the stream's body is the test's.

use crate::support::servers::{bind_loopback, read_request, spawn_server};
use crate::support::{netdoctor, run_json_with, Run, Server};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const KEY: &str = "sk-test-0123456789abcdef";

/// What the streaming request gets after its head.
#[derive(Clone, Copy)]
enum Body {
    /// Three events, then the close: no `[DONE]`.
    Truncated,
    /// Three events in chunks, then the close without the last chunk.
    CutChunked,
    /// OpenAI's mid-stream failure: an error object as the only event.
    ErrorObject,
    /// A named `event: error`, then `[DONE]`.
    ErrorEvent,
    /// Valid events every 50 ms, forever.
    Endless,
    /// One byte a second.
    Drip,
    /// gzip'd zeros without end (about 1 GiB before the server would stop),
    /// compressed as they are sent.
    GzipBomb,
    /// gzip'd valid events without end.
    GzipEvents,
    /// One 10 MB line.
    LongLine,
}

impl Body {
    fn gzip(self) -> bool {
        matches!(self, Body::GzipBomb | Body::GzipEvents)
    }
}

async fn write_stream(s: &mut TcpStream, body: Body) -> std::io::Result<()> {
    const EVENT: &[u8] = b"data: {\"choices\":[{\"delta\":{\"content\":\"1 \"}}]}\n\n";
    match body {
        Body::Truncated => s.write_all(&EVENT.repeat(3)).await,
        Body::CutChunked => {
            for _ in 0..3 {
                let chunk = [format!("{:x}\r\n", EVENT.len()).as_bytes(), EVENT, b"\r\n"].concat();
                s.write_all(&chunk).await?;
            }
            Ok(())
        }
        Body::ErrorObject => {
            s.write_all(br#"data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#).await?;
            s.write_all(b"\n\n").await
        }
        Body::ErrorEvent => {
            s.write_all(b"event: error\ndata: {\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"}}\n\ndata: [DONE]\n\n")
                .await
        }
        Body::Endless => loop {
            s.write_all(EVENT).await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
        },
        Body::Drip => {
            for b in EVENT.repeat(100) {
                s.write_all(&[b]).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
        Body::GzipBomb => gzip_forever(s, &vec![0u8; 64 * 1024], 16 * 1024).await,
        Body::GzipEvents => gzip_forever(s, &EVENT.repeat(1000), 1 << 20).await,
        Body::LongLine => {
            s.write_all(b"data: ").await?;
            let block = vec![b'a'; 1 << 20];
            for _ in 0..10 {
                s.write_all(&block).await?;
            }
            s.write_all(b"\n\ndata: [DONE]\n\n").await
        }
    }
}

/// Sends `block` gzip'd `times` times, compressing as it goes (nothing
/// like the inflated size is ever held), until the client goes away.
async fn gzip_forever(s: &mut TcpStream, block: &[u8], times: usize) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..times {
        enc.write_all(block)?;
        let out = std::mem::take(enc.get_mut());
        s.write_all(&out).await?;
    }
    let out = enc.finish()?;
    s.write_all(&out).await
}

/// The API: models and the plain completion answer JSON, the streaming
/// completion gets `body` (close-delimited, or chunked for `CutChunked`).
fn api(body: Body) -> Server {
    spawn_server(bind_loopback(), move |mut s, log| async move {
        let Some(req) = read_request(&mut s).await else {
            return;
        };
        log.lock().unwrap().push(req.clone());
        if req.starts_with("POST /v1/chat/completions ") && req.contains("\"stream\":true") {
            let mut head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n".to_owned();
            if body.gzip() {
                head.push_str("Content-Encoding: gzip\r\n");
            }
            if matches!(body, Body::CutChunked) {
                head.push_str("Transfer-Encoding: chunked\r\n");
            }
            head.push_str("Connection: close\r\n\r\n");
            if s.write_all(head.as_bytes()).await.is_ok() {
                let _ = write_stream(&mut s, body).await;
            }
        } else {
            let json = if req.starts_with("GET /v1/models ") {
                r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model"}]}"#
            } else {
                r#"{"choices":[{"message":{"content":"1 2 3"}}]}"#
            };
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}", json.len());
            let _ = s.write_all(reply.as_bytes()).await;
        }
        let _ = s.shutdown().await;
    })
}

/// `openai --stream` against `body`, under `--timeout 2s`.
fn check(body: Body) -> Run {
    let server = api(body);
    let args = crate::args![
        "openai",
        "--key",
        KEY,
        "--base-url",
        format!("http://api.test:{}/v1", server.port()),
        "--resolve",
        server.resolve("api.test"),
        "--stream",
        "--timeout",
        "2s"
    ];
    let r = run_json_with(netdoctor(), &args);
    assert!(
        !r.stdout.contains(KEY) && !r.stderr.contains(KEY),
        "{}",
        r.dump()
    );
    r
}

fn summary(r: &Run) -> String {
    r.stage("stream")["diagnosis"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Generous: every run must end on its own deadline (2 s), not the suite's.
const BOUND: Duration = Duration::from_secs(10);

#[test]
fn a_stream_that_ends_before_done_is_truncated() {
    let r = check(Body::Truncated);
    r.assert_fail(19, "stream", "STREAM_TRUNCATED");
    assert_eq!(r.fact("stream", "events"), 3, "{}", r.dump());
    assert_eq!(r.fact("stream", "done"), false, "{}", r.dump());
    assert!(summary(&r).contains("before data: [DONE]"), "{}", r.dump());
}

#[test]
fn a_chunked_stream_cut_mid_body_is_truncated() {
    let r = check(Body::CutChunked);
    r.assert_fail(19, "stream", "STREAM_TRUNCATED");
    assert_eq!(r.fact("stream", "events"), 3, "{}", r.dump());
    assert!(
        summary(&r).contains("before its announced end"),
        "{}",
        r.dump()
    );
}

#[test]
fn an_error_object_in_the_stream_fails_quoting_the_service() {
    let r = check(Body::ErrorObject);
    r.assert_fail(19, "stream", "STREAM_ERROR_EVENT");
    let s = summary(&r);
    assert!(
        s.contains("The server had an error while processing"),
        "{s}"
    );
    assert!(s.contains("server_error"), "{s}");
    let quoted = r.fact("stream", "error_event").to_string();
    assert!(quoted.contains("The server had an error"), "{}", r.dump());
}

#[test]
fn an_error_event_fails_even_before_done() {
    let r = check(Body::ErrorEvent);
    r.assert_fail(19, "stream", "STREAM_ERROR_EVENT");
    assert!(summary(&r).contains("Overloaded"), "{}", r.dump());
}

#[test]
fn an_endless_stream_is_a_timeout_naming_the_deadline() {
    let r = check(Body::Endless);
    r.assert_fail(19, "stream", "STREAM_TIMEOUT")
        .assert_within(BOUND);
    let s = summary(&r);
    assert!(s.contains("(--timeout 2s)"), "{s}");
    assert!(s.contains("event(s)") && s.contains("bytes arrived"), "{s}");
    assert!(
        r.fact("stream", "events").as_u64() > Some(5),
        "{}",
        r.dump()
    );
}

#[test]
fn a_drip_is_a_timeout() {
    let r = check(Body::Drip);
    r.assert_fail(19, "stream", "STREAM_TIMEOUT")
        .assert_within(BOUND);
    assert!(summary(&r).contains("0 event(s)"), "{}", r.dump());
}

#[test]
fn a_gzip_bomb_is_too_large_and_ends_at_once() {
    let r = check(Body::GzipBomb);
    r.assert_fail(19, "stream", "STREAM_TOO_LARGE")
        .assert_within(BOUND);
    // Zeros without a newline: the line limit binds first.
    assert!(summary(&r).contains("128 KiB"), "{}", r.dump());
    assert_eq!(r.fact("stream", "content_encoding"), "gzip", "{}", r.dump());
}

#[test]
fn gzip_events_without_end_stop_at_the_decoded_budget() {
    let r = check(Body::GzipEvents);
    r.assert_fail(19, "stream", "STREAM_TOO_LARGE")
        .assert_within(BOUND);
    let s = summary(&r);
    assert!(s.contains("1 MiB, counted after gunzipping"), "{s}");
    let bytes = r.fact("stream", "bytes").as_u64().unwrap_or(u64::MAX);
    assert!(bytes <= 1 << 20, "{}", r.dump());
}

#[test]
fn a_ten_megabyte_line_is_too_large() {
    let r = check(Body::LongLine);
    r.assert_fail(19, "stream", "STREAM_TOO_LARGE")
        .assert_within(BOUND);
    assert!(
        summary(&r).contains("a line of the stream is longer"),
        "{}",
        r.dump()
    );
}
