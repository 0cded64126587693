//! The `websocket` stage: the protocol upgrade and one ping.
//!
//! The http stage sent the upgrade request over our own TCP/TLS stream; here
//! the reply is judged (101, `Sec-WebSocket-Accept`) and the stream is handed
//! to tokio-tungstenite for framing: one ping, its round trip, or the close
//! code if the server hangs up. Under `--hold` the connection then stays
//! open and idle ([`hold`]), and whoever closes it is named.

pub mod hold;

use super::http::Exchange;
use super::{Io, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::redact;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
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
pub(crate) struct Prefixed {
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

/// The largest frame or message accepted: a hostile server cannot make
/// netdoctor buffer tungstenite's default 64 MiB.
const MAX_MESSAGE: usize = 1 << 20;

fn frame_limits() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// The websocket stage's facts, as the report shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebsocketFacts {
    /// The close frame's code, when the server closed instead of a pong
    /// (or, under `--hold`, while idle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_rtt_ms: Option<f64>,
    /// The status of the reply to the upgrade request.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subprotocol: Option<String>,
    /// `--hold`: how long the connection stayed open and idle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_ms: Option<f64>,
    /// `--hold`: when it was closed, how long after the hold began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_after_ms: Option<f64>,
    /// `--hold`: who closed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<hold::ClosedBy>,
    /// `--ping-interval`: the pings sent during the hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pings: Option<u32>,
    /// `--ping-interval`: the answered pings' round trips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pong_rtt_ms: Option<hold::RttSummary>,
}

/// A reply other than 101 to the upgrade request: the status, who
/// answered (`Server`), what it said, and the reverse proxy that name
/// points to.
#[derive(Debug, Clone)]
pub struct NotUpgraded {
    pub status: u16,
    pub server: Option<String>,
    pub body: String,
    pub reverse_proxy: Option<&'static str>,
}

impl fmt::Display for NotUpgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the upgrade got {} instead of 101", self.status)?;
        if let Some(s) = &self.server {
            write!(f, " (Server: {s})")?;
        }
        if !self.body.is_empty() {
            write!(f, ": \"{}\"", self.body)?;
        }
        if let Some(p) = self.reverse_proxy {
            write!(
                f,
                "; {p} answered: it probably does not forward Upgrade/Connection"
            )?;
        }
        Ok(())
    }
}

/// Why the WebSocket did not open, or opened and did not answer a ping.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// A 2xx or 3xx reply: the upgrade was ignored on the way.
    #[error("{0}")]
    UpgradeIgnored(NotUpgraded),
    /// A 4xx or 5xx reply.
    #[error("{0}")]
    UpgradeRejected(NotUpgraded),
    /// `got`: the `Sec-WebSocket-Accept` received, if any.
    #[error("101 Switching Protocols, but Sec-WebSocket-Accept is {}", accept_text(got.as_deref(), expected))]
    BadAccept {
        got: Option<String>,
        expected: String,
    },
    /// The ping could not be sent.
    #[error("the connection closed right after the upgrade: {detail}")]
    SendFailed { detail: String },
    /// A protocol error (oversized frame, bad framing, I/O).
    #[error(
        "the WebSocket broke right after the upgrade: {}",
        redact::bounded(detail, 160)
    )]
    Broken { detail: String },
    /// A close frame instead of a pong.
    #[error(
        "the server closed the WebSocket right after the upgrade: close code {code}{}",
        quoted_reason(reason)
    )]
    Closed { code: u16, reason: String },
    /// The connection ended with no close frame.
    #[error("the server dropped the connection right after the upgrade (no close frame)")]
    Dropped,
    /// No pong before the deadline, `waited` after the ping.
    #[error("the WebSocket opened but no pong came back before the deadline")]
    PingTimeout { waited: Duration },
}

impl WsError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            WsError::UpgradeIgnored(_) => Code::WsUpgradeIgnored,
            WsError::UpgradeRejected(_) => Code::WsUpgradeRejected,
            WsError::BadAccept { .. } => Code::WsBadAccept,
            WsError::SendFailed { .. }
            | WsError::Broken { .. }
            | WsError::Closed { .. }
            | WsError::Dropped => Code::WsClosed,
            WsError::PingTimeout { .. } => Code::WsPingTimeout,
        }
    }

    /// The diagnosis (a ping timeout is a warning).
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        match self {
            WsError::PingTimeout { .. } => d.with_status(Status::Warn),
            _ => d,
        }
    }
}

fn accept_text(got: Option<&str>, expected: &str) -> String {
    got.map_or("missing".to_owned(), |g| {
        format!("\"{g}\" (expected \"{expected}\")")
    })
}

fn quoted_reason(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" \"{}\"", redact::bounded(reason, 120))
    }
}

/// Judges the upgrade reply and pings, within `deadline`; under `hold`,
/// then stays idle (the first pong waits `timeout` at most, so the hold
/// fits in a deadline of `--hold` plus `--timeout`); `limit` names what
/// set the deadline.
pub async fn stage(
    ex: Exchange,
    deadline: Instant,
    hold: Option<&hold::Hold>,
    timeout: Duration,
    limit: &str,
) -> StageResult<()> {
    let mut facts = WebsocketFacts {
        status: ex.status,
        ..WebsocketFacts::default()
    };
    if let Err(err) = check_upgrade(&ex) {
        return StageResult::fail(err.diagnosis(), facts);
    }
    facts.subprotocol = ex
        .header("sec-websocket-protocol")
        .map(|p| redact::bounded(p, 100));
    let secrets = ex.secrets.clone();
    let mut ws = open(ex).await;
    let pong_by = match hold {
        Some(_) => deadline.min(Instant::now() + timeout),
        None => deadline,
    };
    let result = match ping(&mut ws, pong_by, &secrets).await {
        Ok(rtt) => {
            let ms = crate::duration::millis(rtt);
            facts.ping_rtt_ms = Some(ms);
            let Some(hold) = hold else {
                let summary = format!("101 Switching Protocols, ping round trip {ms:.1} ms");
                close_politely(&mut ws, deadline).await;
                return StageResult::pass(summary, facts, ());
            };
            let outcome = hold::run(&mut ws, hold, timeout, deadline, &secrets).await;
            held(&mut facts, &outcome);
            match outcome.diagnosis(hold, limit) {
                None => StageResult::pass(outcome.held_summary(), facts, ()),
                Some(d) if d.status == Status::Warn => {
                    let summary = d.summary.clone();
                    StageResult::warn(d, summary, facts, ())
                }
                Some(d) => return StageResult::fail(d, facts),
            }
        }
        Err(err @ WsError::PingTimeout { .. }) => {
            let d = err.diagnosis();
            let summary = d.summary.clone();
            StageResult::warn(d, summary, facts, ())
        }
        Err(err) => {
            if let WsError::Closed { code, reason } = &err {
                facts.close_code = Some(*code);
                facts.close_reason = Some(reason.clone());
            }
            return StageResult::fail(err.diagnosis(), facts);
        }
    };
    close_politely(&mut ws, deadline).await;
    result
}

/// The facts of a hold.
fn held(facts: &mut WebsocketFacts, outcome: &hold::Outcome) {
    let ms = crate::duration::millis(outcome.held);
    match &outcome.ended {
        hold::Ended::Closed {
            by, code, reason, ..
        } => {
            facts.closed_after_ms = Some(ms);
            facts.closed_by = Some(*by);
            facts.close_code = *code;
            facts.close_reason = code.map(|_| reason.clone());
        }
        _ => facts.held_ms = Some(ms),
    }
    if outcome.pings > 0 {
        facts.pings = Some(outcome.pings);
        facts.pong_rtt_ms = outcome.rtt_summary();
    }
}

/// Whether the reply is a 101 with the right `Sec-WebSocket-Accept`.
fn check_upgrade(ex: &Exchange) -> Result<(), WsError> {
    if ex.status != 101 {
        return Err(not_upgraded(ex));
    }
    let expected = ex
        .ws_key
        .as_deref()
        .map(|k| derive_accept_key(k.as_bytes()));
    let got = ex.header("sec-websocket-accept").map(str::trim);
    if expected.as_deref() != got {
        return Err(WsError::BadAccept {
            got: got.map(|g| redact::bounded(g, 60)),
            expected: expected.unwrap_or_default(),
        });
    }
    Ok(())
}

/// The upgraded stream, framed by tungstenite.
pub(crate) type Ws = WebSocketStream<Prefixed>;

/// Hands the upgraded stream to tungstenite.
async fn open(ex: Exchange) -> Ws {
    let raw = Prefixed {
        prefix: ex.leftover,
        inner: ex.stream,
    };
    WebSocketStream::from_raw_socket(raw, Role::Client, Some(frame_limits())).await
}

/// Sends one ping and waits for its pong (until `deadline`): the round trip.
async fn ping(
    ws: &mut Ws,
    deadline: Instant,
    secrets: &redact::Secrets,
) -> Result<Duration, WsError> {
    let sent = Instant::now();
    if let Err(e) = ws.send(Message::Ping(b"netdoctor".to_vec().into())).await {
        return Err(WsError::SendFailed {
            detail: e.to_string(),
        });
    }
    let outcome = tokio::time::timeout_at(deadline.into(), async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Pong(_)) => return Ok(sent.elapsed()),
                Ok(Message::Close(Some(f))) => {
                    return Err(WsError::Closed {
                        code: u16::from(f.code),
                        reason: secrets.scrub(&f.reason),
                    })
                }
                Ok(Message::Close(None)) => return Err(WsError::Dropped),
                Ok(_) => {}
                Err(e) => {
                    return Err(WsError::Broken {
                        detail: e.to_string(),
                    })
                }
            }
        }
        Err(WsError::Dropped)
    })
    .await;
    let Ok(result) = outcome else {
        return Err(WsError::PingTimeout {
            waited: sent.elapsed(),
        });
    };
    result
}

/// A polite close, but never past the stage's deadline.
async fn close_politely(ws: &mut Ws, deadline: Instant) {
    let until = deadline.min(Instant::now() + Duration::from_millis(200));
    let _ = tokio::time::timeout_at(until.into(), ws.close(None)).await;
}

fn not_upgraded(ex: &Exchange) -> WsError {
    let server = ex.header("server").map(|s| redact::bounded(s, 80));
    let reverse_proxy = server
        .as_deref()
        .map(str::to_ascii_lowercase)
        .and_then(|s| REVERSE_PROXIES.iter().find(|p| s.contains(*p)).copied());
    let reply = NotUpgraded {
        status: ex.status,
        server,
        body: ex.body_text(120),
        reverse_proxy,
    };
    if (200..400).contains(&ex.status) {
        WsError::UpgradeIgnored(reply)
    } else {
        WsError::UpgradeRejected(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_codes() {
        let reply = NotUpgraded {
            status: 400,
            server: Some("nginx/1.25".to_owned()),
            body: "Bad Request".to_owned(),
            reverse_proxy: Some("nginx"),
        };
        let e = WsError::UpgradeRejected(reply);
        assert_eq!(e.code(), Code::WsUpgradeRejected);
        assert_eq!(
            e.to_string(),
            "the upgrade got 400 instead of 101 (Server: nginx/1.25): \"Bad Request\"; nginx answered: it probably does not forward Upgrade/Connection"
        );
        let bare = NotUpgraded {
            status: 200,
            server: None,
            body: String::new(),
            reverse_proxy: None,
        };
        assert_eq!(
            WsError::UpgradeIgnored(bare).to_string(),
            "the upgrade got 200 instead of 101"
        );
        let missing = WsError::BadAccept {
            got: None,
            expected: "x".to_owned(),
        };
        assert_eq!(
            missing.to_string(),
            "101 Switching Protocols, but Sec-WebSocket-Accept is missing"
        );
        let wrong = WsError::BadAccept {
            got: Some("a".to_owned()),
            expected: "b".to_owned(),
        };
        assert_eq!(
            wrong.to_string(),
            "101 Switching Protocols, but Sec-WebSocket-Accept is \"a\" (expected \"b\")"
        );
        assert_eq!(wrong.code(), Code::WsBadAccept);
        let closed = WsError::Closed {
            code: 1008,
            reason: "policy".to_owned(),
        };
        assert_eq!(
            closed.to_string(),
            "the server closed the WebSocket right after the upgrade: close code 1008 \"policy\""
        );
        let silent = WsError::Closed {
            code: 1000,
            reason: String::new(),
        };
        assert_eq!(
            silent.to_string(),
            "the server closed the WebSocket right after the upgrade: close code 1000"
        );
        assert_eq!(
            WsError::Dropped.to_string(),
            "the server dropped the connection right after the upgrade (no close frame)"
        );
        let timeout = WsError::PingTimeout {
            waited: Duration::from_secs(1),
        };
        assert_eq!(timeout.code(), Code::WsPingTimeout);
        assert_eq!(timeout.diagnosis().status, Status::Warn);
        assert_eq!(
            timeout.to_string(),
            "the WebSocket opened but no pong came back before the deadline"
        );
    }
}
