//! The `websocket` stage: the protocol upgrade and one ping.
//!
//! The http stage sent the upgrade request over our own TCP/TLS stream; here
//! the reply is judged (101, `Sec-WebSocket-Accept`) and the stream is handed
//! to tokio-tungstenite for framing: one ping, its round trip, or the close
//! code if the server hangs up.

use super::http::Exchange;
use super::{Io, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::redact;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Reverse proxies whose `Server` header tells who answered the upgrade.
const REVERSE_PROXIES: &[&str] = &[
    "nginx",
    "envoy",
    "haproxy",
    "traefik",
    "apache",
    "caddy",
    "cloudflare",
    "awselb",
    "istio",
];

/// Replays bytes read past the response head before reading the stream.
struct Prefixed {
    prefix: Vec<u8>,
    inner: Box<dyn Io>,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.drain(..n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// How the WebSocket ended before a pong came back.
enum Ended {
    /// A close frame (code, reason), or none: the connection just ended.
    Closed(Option<(u16, String)>),
    /// A protocol error (oversized frame, bad framing, I/O).
    Broken(String),
}

/// The largest frame or message accepted: a hostile server cannot make
/// netdoctor buffer tungstenite's default 64 MiB.
const MAX_MESSAGE: usize = 1 << 20;

fn frame_limits() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// Judges the upgrade reply and pings, within `deadline`.
pub async fn stage(ex: Exchange, deadline: Instant) -> StageResult<()> {
    let mut facts = json!({ "status": ex.status });
    if ex.status != 101 {
        return StageResult::fail(not_upgraded(&ex), facts);
    }
    let expected = ex
        .ws_key
        .as_deref()
        .map(|k| derive_accept_key(k.as_bytes()));
    let got = ex.header("sec-websocket-accept").map(str::trim);
    if expected.as_deref() != got {
        let d = Diagnosis::new(
            Code::WsBadAccept,
            format!(
                "101 Switching Protocols, but Sec-WebSocket-Accept is {}",
                got.map_or("missing".to_owned(), |g| format!(
                    "\"{}\" (expected \"{}\")",
                    redact::terminal_safe(g, 60),
                    expected.unwrap_or_default()
                ))
            ),
        );
        return StageResult::fail(d, facts);
    }
    if let Some(p) = ex.header("sec-websocket-protocol") {
        facts["subprotocol"] = json!(redact::terminal_safe(p, 100));
    }
    let raw = Prefixed {
        prefix: ex.leftover,
        inner: ex.stream,
    };
    let mut ws = WebSocketStream::from_raw_socket(raw, Role::Client, Some(frame_limits())).await;
    let sent = Instant::now();
    if let Err(e) = ws.send(Message::Ping(b"netdoctor".to_vec().into())).await {
        let d = Diagnosis::new(
            Code::WsClosed,
            format!("the connection closed right after the upgrade: {e}"),
        );
        return StageResult::fail(d, facts);
    }
    let outcome = tokio::time::timeout_at(deadline.into(), async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Pong(_)) => return Ok(sent.elapsed()),
                Ok(Message::Close(frame)) => {
                    return Err(Ended::Closed(
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ))
                }
                Ok(_) => {}
                Err(e) => return Err(Ended::Broken(e.to_string())),
            }
        }
        Err(Ended::Closed(None))
    })
    .await;
    match outcome {
        Ok(Ok(rtt)) => {
            let _ =
                tokio::time::timeout(std::time::Duration::from_millis(200), ws.close(None)).await;
            facts["ping_rtt_ms"] = json!(crate::duration::millis(rtt));
            StageResult::pass(
                format!(
                    "101 Switching Protocols, ping round trip {:.1} ms",
                    crate::duration::millis(rtt)
                ),
                facts,
                (),
            )
        }
        Ok(Err(close)) => {
            let summary = match &close {
                Ended::Broken(e) => format!(
                    "the WebSocket broke right after the upgrade: {}",
                    redact::terminal_safe(e, 160)
                ),
                Ended::Closed(Some((code, reason))) => {
                    facts["close_code"] = json!(code);
                    facts["close_reason"] = json!(reason);
                    format!("the server closed the WebSocket right after the upgrade: close code {code}{}", if reason.is_empty() { String::new() } else { format!(" \"{}\"", redact::terminal_safe(reason, 120)) })
                }
                Ended::Closed(None) => {
                    "the server dropped the connection right after the upgrade (no close frame)"
                        .to_owned()
                }
            };
            StageResult::fail(Diagnosis::new(Code::WsClosed, summary), facts)
        }
        Err(_) => {
            let d = Diagnosis::new(
                Code::WsPingTimeout,
                "the WebSocket opened but no pong came back before the deadline",
            )
            .with_status(Status::Warn);
            let summary = d.summary.clone();
            StageResult::warn(d, summary, facts, ())
        }
    }
}

fn not_upgraded(ex: &Exchange) -> Diagnosis {
    let server = ex.header("server").map(|s| redact::terminal_safe(s, 80));
    let body = ex.body_text(120);
    let mut summary = format!("the upgrade got {} instead of 101", ex.status);
    if let Some(s) = &server {
        summary.push_str(&format!(" (Server: {s})"));
    }
    if !body.is_empty() {
        summary.push_str(&format!(": \"{body}\""));
    }
    let proxy = server
        .as_deref()
        .map(str::to_ascii_lowercase)
        .and_then(|s| REVERSE_PROXIES.iter().find(|p| s.contains(*p)).copied());
    if let Some(p) = proxy {
        summary.push_str(&format!(
            "; {p} answered: it probably does not forward Upgrade/Connection"
        ));
    }
    let code = if (200..400).contains(&ex.status) {
        Code::WsUpgradeIgnored
    } else {
        Code::WsUpgradeRejected
    };
    Diagnosis::new(code, summary)
}
