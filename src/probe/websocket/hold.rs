//! `--hold` and `--ping-interval`: after the upgrade and the first pong the
//! WebSocket stays open and idle, as an idle client's does, and whoever
//! closes it meanwhile is named.
//!
//! Reverse proxies and load balancers close connections that carry nothing
//! for longer than their limit (nginx `proxy_read_timeout`, 60 s by
//! default); they do it with a bare TCP close or reset, never a WebSocket
//! close frame, which only the server (or a WebSocket-aware gateway) sends.
//! With `--ping-interval` a ping goes out every interval and the pongs'
//! round trips are kept: pings more often than the limit keep it open.

use super::{Ws, WsError};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::duration::millis;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::{Error as WsLibError, Message};

/// What `--hold` and `--ping-interval` ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// How long the connection stays idle after the first pong.
    pub duration: Duration,
    /// A ping every interval during the hold.
    pub ping_interval: Option<Duration>,
}

/// Who closed the idle connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// A WebSocket close frame: the server (or a gateway that speaks WebSocket).
    ServerCloseFrame,
    /// A TCP close (EOF) with no close frame: something in between.
    TcpClose,
    /// A TCP reset with no close frame: something in between.
    TcpReset,
}

/// The round trips of the pongs answered during the hold, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RttSummary {
    pub count: u32,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

/// How the hold ended.
#[derive(Debug)]
pub enum Ended {
    /// The whole hold passed with the connection open.
    Held,
    /// The stage's deadline (`--max-time`) came first, the connection open.
    Cut,
    /// Closed while idle, `after` the hold began.
    Closed {
        after: Duration,
        by: ClosedBy,
        code: Option<u16>,
        reason: String,
    },
    /// A ping sent during the hold got no pong within `waited`.
    PingTimeout { after: Duration, waited: Duration },
    /// A protocol error (bad framing, an oversized frame).
    Broken { detail: String },
}

/// What the hold saw: how it ended, how long it lasted, the pings.
#[derive(Debug)]
pub struct Outcome {
    pub ended: Ended,
    pub held: Duration,
    pub pings: u32,
    pub rtts: Vec<Duration>,
}

impl Outcome {
    /// The pongs' round trips, when any came back.
    pub fn rtt_summary(&self) -> Option<RttSummary> {
        let ms: Vec<f64> = self.rtts.iter().map(|d| millis(*d)).collect();
        let count = u32::try_from(ms.len()).ok().filter(|c| *c > 0)?;
        let sum: f64 = ms.iter().sum();
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        Some(RttSummary {
            count,
            min: ms.iter().copied().fold(f64::INFINITY, f64::min),
            avg: round(sum / f64::from(count)),
            max: ms.iter().copied().fold(0.0, f64::max),
        })
    }

    /// ", 7 pings answered (round trip min/avg/max 0.2/0.3/0.5 ms)".
    fn pings_text(&self) -> String {
        match (self.pings, self.rtt_summary()) {
            (0, _) => String::new(),
            (n, None) => format!(", {n} ping{} sent, none answered", plural(n)),
            (n, Some(r)) => format!(
                ", {} of {n} ping{} answered (round trip min/avg/max {:.1}/{:.1}/{:.1} ms)",
                r.count,
                plural(n),
                r.min,
                r.avg,
                r.max
            ),
        }
    }

    /// The stage's summary when the connection survived the hold.
    pub fn held_summary(&self) -> String {
        format!(
            "101 Switching Protocols, held idle for {:.1} s{}",
            self.held.as_secs_f64(),
            self.pings_text()
        )
    }

    /// The diagnosis when it did not (`None`: it survived the whole hold).
    /// `hold` names the flag, `limit` what ended the stage early.
    pub fn diagnosis(&self, hold: &Hold, limit: &str) -> Option<Diagnosis> {
        let asked = format!("--hold {}s", hold.duration.as_secs_f64());
        let pings = self.pings_text();
        match &self.ended {
            Ended::Held => None,
            Ended::Cut => Some(
                Diagnosis::new(
                    Code::WsPingTimeout,
                    format!(
                        "the WebSocket was still open when {limit} ended the run, {:.1} s into {asked}{pings}",
                        self.held.as_secs_f64()
                    ),
                )
                .with_hint(format!("the idle connection was not proven for the whole hold: raise {limit} above --hold plus the time the connection takes"))
                .with_status(Status::Warn),
            ),
            Ended::Closed { after, by, code, reason } => {
                Some(closed_diagnosis(*after, *by, *code, reason, &asked, &pings))
            }
            Ended::PingTimeout { after, waited } => Some(
                Diagnosis::new(
                    Code::WsPingTimeout,
                    format!(
                        "a ping sent {:.1} s into {asked} got no pong within {:.1} s{pings}",
                        after.as_secs_f64(),
                        waited.as_secs_f64()
                    ),
                )
                .with_status(Status::Warn),
            ),
            Ended::Broken { detail } => Some(
                WsError::Broken {
                    detail: detail.clone(),
                }
                .diagnosis(),
            ),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The hint of `WS_IDLE_CLOSED` when the server sent a close frame (the
/// catalogue's is the bare TCP close's).
pub const CLOSE_FRAME_HINT: &str = "the server (or a gateway in front of it that speaks WebSocket) closed the idle connection with a close frame: its code and reason say why (1000 normal, 1001 going away, 1008 policy, 1011 server error, 4xxx the service's own); send pings or application messages more often than its idle limit, or raise that limit on the server";

fn closed_diagnosis(
    after: Duration,
    by: ClosedBy,
    code: Option<u16>,
    reason: &str,
    asked: &str,
    pings: &str,
) -> Diagnosis {
    let secs = after.as_secs_f64();
    match by {
        ClosedBy::ServerCloseFrame => {
            let frame = match code {
                Some(c) => format!("close code {c}{}", super::quoted_reason(reason)),
                None => "a close frame with no code".to_owned(),
            };
            Diagnosis::new(
                Code::WsIdleClosed,
                format!("the server closed the idle WebSocket after {secs:.1} s of {asked}: {frame}{pings}"),
            )
            .with_hint(CLOSE_FRAME_HINT)
        }
        ClosedBy::TcpClose | ClosedBy::TcpReset => {
            let how = if by == ClosedBy::TcpReset {
                "reset (TCP RST)"
            } else {
                "closed (TCP FIN)"
            };
            Diagnosis::new(
                Code::WsIdleClosed,
                format!("the idle WebSocket was {how} after {secs:.1} s of {asked}, with no close frame{pings}: something between you and the server — a reverse proxy or load balancer — closed it"),
            )
        }
    }
}

/// Who closed the connection, from tungstenite's error.
fn closed_by(e: &WsLibError) -> Option<ClosedBy> {
    match e {
        WsLibError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
        | WsLibError::ConnectionClosed
        | WsLibError::AlreadyClosed => Some(ClosedBy::TcpClose),
        WsLibError::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                Some(ClosedBy::TcpReset)
            }
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => Some(ClosedBy::TcpClose),
            _ => None,
        },
        _ => None,
    }
}

/// The pings sent during the hold and not yet answered.
struct Pings {
    interval: Option<Duration>,
    next: Option<Instant>,
    pending: VecDeque<(u32, Instant)>,
    sent: u32,
    rtts: Vec<Duration>,
    pong_timeout: Duration,
}

impl Pings {
    fn payload(seq: u32) -> Vec<u8> {
        format!("netdoctor-hold-{seq}").into_bytes()
    }

    /// A pong: the round trip of the ping it answers, if it answers one.
    fn answered(&mut self, payload: &[u8]) {
        if let Some(i) = self
            .pending
            .iter()
            .position(|(seq, _)| Self::payload(*seq) == payload)
        {
            if let Some((_, sent)) = self.pending.remove(i) {
                self.rtts.push(sent.elapsed());
            }
        }
    }

    /// When the oldest unanswered ping times out (never past `deadline`).
    fn pong_due(&self, deadline: Instant) -> Option<Instant> {
        self.pending
            .front()
            .map(|(_, sent)| (*sent + self.pong_timeout).min(deadline))
    }
}

/// Holds the open WebSocket idle for `hold` (never past `deadline`),
/// pinging every `hold.ping_interval`; `pong_timeout` bounds each pong.
pub async fn run(
    ws: &mut Ws,
    hold: &Hold,
    pong_timeout: Duration,
    deadline: Instant,
    secrets: &crate::redact::Secrets,
) -> Outcome {
    let start = Instant::now();
    let until = (start + hold.duration).min(deadline);
    let mut pings = Pings {
        interval: hold.ping_interval,
        next: hold.ping_interval.map(|i| start + i),
        pending: VecDeque::new(),
        sent: 0,
        rtts: Vec::new(),
        pong_timeout,
    };
    let ended = idle(ws, &mut pings, start, until, deadline, secrets).await;
    let ended = match ended {
        Ended::Held if until < start + hold.duration => Ended::Cut,
        other => other,
    };
    Outcome {
        ended,
        held: start.elapsed(),
        pings: pings.sent,
        rtts: pings.rtts,
    }
}

/// The hold's loop: wait for whatever comes first — a frame or the
/// connection's end, the next ping, a pong's limit, the hold's end.
async fn idle(
    ws: &mut Ws,
    pings: &mut Pings,
    start: Instant,
    until: Instant,
    deadline: Instant,
    secrets: &crate::redact::Secrets,
) -> Ended {
    loop {
        let now = Instant::now();
        if pings.pong_due(deadline).is_some_and(|due| now >= due) {
            let sent = pings.pending.front().map_or(now, |(_, s)| *s);
            return Ended::PingTimeout {
                after: sent - start,
                waited: now - sent,
            };
        }
        if now >= until && pings.pending.is_empty() {
            return Ended::Held;
        }
        if let Some(next) = pings.next.filter(|n| now >= *n && now < until) {
            pings.sent += 1;
            let payload = Pings::payload(pings.sent);
            pings.pending.push_back((pings.sent, Instant::now()));
            pings.next = pings.interval.map(|i| next + i);
            let sent =
                tokio::time::timeout_at(deadline.into(), ws.send(Message::Ping(payload.into())));
            match sent.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return ended_by_error(&e, start),
                // The ping could not even be written before the deadline.
                Err(_) => {
                    return Ended::PingTimeout {
                        after: next.saturating_duration_since(start),
                        waited: next.elapsed(),
                    }
                }
            }
            continue;
        }
        let mut wake = pings.pong_due(deadline).unwrap_or(until);
        if now < until {
            wake = wake.min(until);
            if let Some(next) = pings.next {
                wake = wake.min(next);
            }
        }
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Pong(p))) => pings.answered(&p),
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map_or((None, String::new()), |f| {
                        (Some(u16::from(f.code)), secrets.scrub(&f.reason))
                    });
                    // Answer the close (tungstenite queued the reply), briefly.
                    let until = deadline.min(Instant::now() + Duration::from_millis(100));
                    let _ = tokio::time::timeout_at(until.into(), ws.flush()).await;
                    return Ended::Closed { after: start.elapsed(), by: ClosedBy::ServerCloseFrame, code, reason };
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return ended_by_error(&e, start),
                None => return Ended::Closed { after: start.elapsed(), by: ClosedBy::TcpClose, code: None, reason: String::new() },
            },
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

fn ended_by_error(e: &WsLibError, start: Instant) -> Ended {
    match closed_by(e) {
        Some(by) => Ended::Closed {
            after: start.elapsed(),
            by,
            code: None,
            reason: String::new(),
        },
        None => Ended::Broken {
            detail: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ended: Ended, pings: u32, rtts: &[u64]) -> Outcome {
        Outcome {
            ended,
            held: Duration::from_secs(2),
            pings,
            rtts: rtts.iter().map(|ms| Duration::from_millis(*ms)).collect(),
        }
    }

    #[test]
    fn summaries_and_diagnoses() {
        let hold = Hold {
            duration: Duration::from_secs(4),
            ping_interval: None,
        };
        let survived = outcome(Ended::Held, 3, &[1, 2, 3]);
        assert_eq!(
            survived.held_summary(),
            "101 Switching Protocols, held idle for 2.0 s, 3 of 3 pings answered (round trip min/avg/max 1.0/2.0/3.0 ms)"
        );
        assert!(survived.diagnosis(&hold, "--max-time 5s").is_none());
        let r = survived.rtt_summary().unwrap();
        assert_eq!((r.count, r.min, r.avg, r.max), (3, 1.0, 2.0, 3.0));
        let tcp = outcome(
            Ended::Closed {
                after: Duration::from_secs(2),
                by: ClosedBy::TcpClose,
                code: None,
                reason: String::new(),
            },
            0,
            &[],
        );
        let d = tcp.diagnosis(&hold, "").unwrap();
        assert_eq!(d.code, Code::WsIdleClosed);
        assert_eq!(d.summary, "the idle WebSocket was closed (TCP FIN) after 2.0 s of --hold 4s, with no close frame: something between you and the server — a reverse proxy or load balancer — closed it");
        let frame = outcome(
            Ended::Closed {
                after: Duration::from_millis(1500),
                by: ClosedBy::ServerCloseFrame,
                code: Some(1001),
                reason: "idle".to_owned(),
            },
            1,
            &[],
        );
        let d = frame.diagnosis(&hold, "").unwrap();
        assert_eq!(d.summary, "the server closed the idle WebSocket after 1.5 s of --hold 4s: close code 1001 \"idle\", 1 ping sent, none answered");
        assert_eq!(d.hint, CLOSE_FRAME_HINT);
        let cut = outcome(Ended::Cut, 0, &[]);
        let d = cut.diagnosis(&hold, "--max-time 3s").unwrap();
        assert_eq!(d.status, Status::Warn);
        assert!(
            d.summary.contains("--max-time 3s ended the run"),
            "{}",
            d.summary
        );
    }

    #[test]
    fn errors_name_who_closed() {
        let reset = WsLibError::Io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(closed_by(&reset), Some(ClosedBy::TcpReset));
        let eof = WsLibError::Protocol(ProtocolError::ResetWithoutClosingHandshake);
        assert_eq!(closed_by(&eof), Some(ClosedBy::TcpClose));
        let tls_eof = WsLibError::Io(io::Error::from(io::ErrorKind::UnexpectedEof));
        assert_eq!(closed_by(&tls_eof), Some(ClosedBy::TcpClose));
        assert_eq!(closed_by(&WsLibError::Utf8(String::new())), None);
    }
}
