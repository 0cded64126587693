//! The `tcp` stage: connect to the resolved addresses, happy-eyeballs style.
//!
//! Addresses are tried IPv6 first, alternating families (RFC 8305), a new
//! attempt starting every 250 ms while earlier ones are still pending; the
//! first connection wins. Every attempt's outcome goes into the facts, so a
//! dead IPv6 path that happy eyeballs hides is still reported
//! (`TCP_IPV6_BROKEN`, a warning).

use super::StageResult;
use crate::diagnosis::{Code, Diagnosis, Status};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::json;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The delay before the next address is tried (RFC 8305 "Connection
/// Attempt Delay").
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Why one connection attempt failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TcpError {
    #[error("connection to {addr} refused (nothing listens there)")]
    Refused { addr: SocketAddr },
    #[error("no answer from {addr} within {after_ms} ms")]
    Timeout { addr: SocketAddr, after_ms: u128 },
    #[error("{addr} is unreachable: {detail}")]
    Unreachable { addr: SocketAddr, detail: String },
}

impl TcpError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            TcpError::Refused { .. } => Code::TcpRefused,
            TcpError::Timeout { .. } => Code::TcpTimeout,
            TcpError::Unreachable { .. } => Code::TcpUnreachable,
        }
    }

    fn from_io(addr: SocketAddr, e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => TcpError::Refused { addr },
            io::ErrorKind::TimedOut => TcpError::Timeout { addr, after_ms: 0 },
            _ => TcpError::Unreachable {
                addr,
                detail: e.to_string(),
            },
        }
    }
}

/// Orders addresses IPv6 first, alternating families.
fn happy_eyeballs_order(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let (v6, v4): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs.iter().partition(|a| a.is_ipv6());
    let mut out = Vec::with_capacity(addrs.len());
    let (mut a, mut b) = (v6.into_iter(), v4.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

struct Attempt {
    addr: SocketAddr,
    outcome: Result<Duration, TcpError>,
}

/// Connects to the first address that answers, within `deadline`.
pub async fn stage(addrs: &[SocketAddr], deadline: Instant) -> StageResult<TcpStream> {
    let order = happy_eyeballs_order(addrs);
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut pending = FuturesUnordered::new();
    let mut next = 0;
    let mut winner = None;
    let started = Instant::now();
    while winner.is_none() {
        if next < order.len() && (pending.is_empty() || next == 0) {
            pending.push(connect_one(order[next]));
            next += 1;
        }
        let delay = tokio::time::sleep(ATTEMPT_DELAY);
        tokio::select! {
            done = pending.next() => match done {
                Some((addr, elapsed, Ok(stream))) => {
                    attempts.push(Attempt { addr, outcome: Ok(elapsed) });
                    winner = Some((addr, stream));
                }
                Some((addr, _, Err(e))) => attempts.push(Attempt { addr, outcome: Err(TcpError::from_io(addr, &e)) }),
                None if next >= order.len() => break,
                None => {}
            },
            () = delay, if next < order.len() => {
                pending.push(connect_one(order[next]));
                next += 1;
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                let after_ms = started.elapsed().as_millis();
                let unanswered: Vec<SocketAddr> = order[..next].iter().filter(|a| !attempts.iter().any(|t| t.addr == **a)).copied().collect();
                for addr in unanswered {
                    attempts.push(Attempt { addr, outcome: Err(TcpError::Timeout { addr, after_ms }) });
                }
                break;
            }
        }
    }
    let unanswered = |range: &[SocketAddr]| -> Vec<SocketAddr> {
        range
            .iter()
            .filter(|a| !attempts.iter().any(|t| t.addr == **a))
            .copied()
            .collect()
    };
    // Started but not connected when another address won: on a dead path
    // (SYNs dropped) this is all happy eyeballs lets us see.
    let pending = unanswered(&order[..next]);
    let abandoned = unanswered(&order[next..]);
    let pending_ms = crate::duration::millis(started.elapsed());
    let mut facts = json!({
        "attempts": attempts.iter().map(|t| match &t.outcome {
            Ok(d) => json!({"address": t.addr.to_string(), "result": "connected", "ms": crate::duration::millis(*d)}),
            Err(e) => json!({"address": t.addr.to_string(), "result": e.code().as_str(), "error": e.to_string()}),
        }).collect::<Vec<_>>(),
    });
    if !abandoned.is_empty() {
        facts["not_tried"] = json!(abandoned
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>());
    }
    let Some((addr, stream)) = winner else {
        let first = attempts
            .iter()
            .find_map(|t| t.outcome.clone().err())
            .unwrap_or(TcpError::Timeout {
                addr: order
                    .first()
                    .copied()
                    .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                after_ms: started.elapsed().as_millis(),
            });
        let summary = if attempts.len() > 1 {
            format!(
                "{first} (and {} other address(es) failed)",
                attempts.len() - 1
            )
        } else {
            first.to_string()
        };
        return StageResult::fail(Diagnosis::new(first.code(), summary), facts);
    };
    let _ = stream.set_nodelay(true);
    facts["address"] = json!(addr.to_string());
    let summary = format!("connected to {addr}");
    let v6_failed = addr.is_ipv4()
        && (attempts
            .iter()
            .any(|t| t.addr.is_ipv6() && t.outcome.is_err())
            || pending.iter().any(SocketAddr::is_ipv6));
    if v6_failed {
        let mut why = describe_v6_failures(&attempts);
        for p in pending.iter().filter(|p| p.is_ipv6()) {
            if !why.is_empty() {
                why.push_str("; ");
            }
            why.push_str(&format!("{p} had not answered after {pending_ms:.0} ms"));
        }
        let d = Diagnosis::new(
            Code::TcpIpv6Broken,
            format!("IPv6 failed ({why}) but IPv4 works ({addr})"),
        )
        .with_status(Status::Warn);
        return StageResult::warn(d, summary, facts, stream);
    }
    StageResult::pass(summary, facts, stream)
}

fn describe_v6_failures(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .filter(|t| t.addr.is_ipv6())
        .filter_map(|t| t.outcome.as_ref().err().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn connect_one(addr: SocketAddr) -> (SocketAddr, Duration, io::Result<TcpStream>) {
    let t0 = Instant::now();
    let r = TcpStream::connect(addr).await;
    (addr, t0.elapsed(), r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_alternates_starting_with_v6() {
        let a: Vec<SocketAddr> = ["1.1.1.1:1", "2.2.2.2:1", "[::1]:1", "[::2]:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let o = happy_eyeballs_order(&a);
        assert!(o[0].is_ipv6() && o[1].is_ipv4() && o[2].is_ipv6() && o[3].is_ipv4());
    }
}
