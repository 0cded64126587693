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
use serde::Serialize;
use std::fmt::Write as _;
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

/// The tcp stage's facts, as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct TcpFacts {
    /// The address connected to (absent when none answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<SocketAddr>,
    /// Every attempt that finished or was cut at the deadline, in order.
    pub attempts: Vec<TcpAttempt>,
    /// Addresses not started before another one won.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_tried: Vec<SocketAddr>,
}

/// One connection attempt, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TcpAttempt {
    pub address: SocketAddr,
    /// Why it failed (absent when it connected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the connection took (absent when it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<f64>,
    /// `connected`, or the failure's code (`TCP_REFUSED`, …).
    pub result: String,
}

impl From<&Attempt> for TcpAttempt {
    fn from(t: &Attempt) -> Self {
        match &t.outcome {
            Ok(d) => TcpAttempt {
                address: t.addr,
                error: None,
                ms: Some(crate::duration::millis(*d)),
                result: "connected".to_owned(),
            },
            Err(e) => TcpAttempt {
                address: t.addr,
                error: Some(e.to_string()),
                ms: None,
                result: e.code().as_str(),
            },
        }
    }
}

/// What the race between the addresses left behind.
struct Race {
    /// The addresses in the order they are tried.
    order: Vec<SocketAddr>,
    attempts: Vec<Attempt>,
    /// How many of `order` were started.
    started: usize,
    winner: Option<(SocketAddr, TcpStream)>,
    began: Instant,
    /// Set when the system refused a socket: netdoctor's own failure.
    exhausted: Option<String>,
}

impl Race {
    /// Starts an attempt every [`ATTEMPT_DELAY`] (or as soon as the
    /// previous one failed) until one connects, all failed, or `deadline`.
    async fn run(order: Vec<SocketAddr>, deadline: Instant, opts: SocketOptions) -> Race {
        let mut race = Race {
            order,
            attempts: Vec::new(),
            started: 0,
            winner: None,
            began: Instant::now(),
            exhausted: None,
        };
        let mut pending = FuturesUnordered::new();
        let total = race.order.len();
        while race.winner.is_none() {
            if race.started < total && (pending.is_empty() || race.started == 0) {
                pending.push(connect_one(race.order[race.started], opts));
                race.started += 1;
            }
            let delay = tokio::time::sleep(ATTEMPT_DELAY);
            tokio::select! {
                done = pending.next() => match done {
                    Some((addr, elapsed, Ok(stream))) => {
                        race.attempts.push(Attempt { addr, outcome: Ok(elapsed) });
                        race.winner = Some((addr, stream));
                    }
                    Some((addr, _, Err(e))) => {
                        if crate::limits::is_descriptor_exhaustion(&e) {
                            race.exhausted = Some(crate::limits::exhaustion_reason(&e));
                        }
                        race.attempts.push(Attempt { addr, outcome: Err(TcpError::from_io(addr, &e)) });
                    }
                    None if race.started >= total => break,
                    None => {}
                },
                () = delay, if race.started < total => {
                    pending.push(connect_one(race.order[race.started], opts));
                    race.started += 1;
                }
                () = tokio::time::sleep_until(deadline.into()) => {
                    let after_ms = race.began.elapsed().as_millis();
                    for addr in race.unanswered(..race.started) {
                        race.attempts.push(Attempt { addr, outcome: Err(TcpError::Timeout { addr, after_ms }) });
                    }
                    break;
                }
            }
        }
        race
    }

    /// The addresses in `range` of the order with no attempt recorded.
    fn unanswered(
        &self,
        range: impl std::slice::SliceIndex<[SocketAddr], Output = [SocketAddr]>,
    ) -> Vec<SocketAddr> {
        self.order[range]
            .iter()
            .filter(|a| !self.attempts.iter().any(|t| t.addr == **a))
            .copied()
            .collect()
    }

    fn facts(&self) -> TcpFacts {
        TcpFacts {
            address: None,
            attempts: self.attempts.iter().map(TcpAttempt::from).collect(),
            not_tried: self.unanswered(self.started..),
        }
    }

    /// The diagnosis when no address answered: the first failure.
    fn failure(&self) -> Diagnosis {
        let first = self
            .attempts
            .iter()
            .find_map(|t| t.outcome.clone().err())
            .unwrap_or(TcpError::Timeout {
                addr: self
                    .order
                    .first()
                    .copied()
                    .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                after_ms: self.began.elapsed().as_millis(),
            });
        let summary = if self.attempts.len() > 1 {
            format!(
                "{first} (and {} other address(es) failed)",
                self.attempts.len() - 1
            )
        } else {
            first.to_string()
        };
        Diagnosis::new(first.code(), summary)
    }

    /// The warning when IPv4 (`addr`) won while IPv6 failed or was still
    /// pending (`pending_ms` after the start): on a dead path (SYNs
    /// dropped) a pending attempt is all happy eyeballs lets us see.
    fn ipv6_broken(&self, addr: SocketAddr, pending_ms: f64) -> Option<Diagnosis> {
        let pending = self.unanswered(..self.started);
        let v6_failed = addr.is_ipv4()
            && (self
                .attempts
                .iter()
                .any(|t| t.addr.is_ipv6() && t.outcome.is_err())
                || pending.iter().any(SocketAddr::is_ipv6));
        if !v6_failed {
            return None;
        }
        let mut why = describe_v6_failures(&self.attempts);
        for p in pending.iter().filter(|p| p.is_ipv6()) {
            if !why.is_empty() {
                why.push_str("; ");
            }
            let _ = write!(why, "{p} had not answered after {pending_ms:.0} ms");
        }
        let d = Diagnosis::new(
            Code::TcpIpv6Broken,
            format!("IPv6 failed ({why}) but IPv4 works ({addr})"),
        )
        .with_status(Status::Warn);
        Some(d)
    }
}

/// Connects to the first address that answers, within `deadline`.
pub async fn stage(
    addrs: &[SocketAddr],
    deadline: Instant,
    opts: SocketOptions,
) -> StageResult<TcpStream> {
    let addrs = opts.filter(addrs);
    let mut race = Race::run(happy_eyeballs_order(&addrs), deadline, opts).await;
    let pending_ms = crate::duration::millis(race.began.elapsed());
    let mut facts = race.facts();
    let Some((addr, stream)) = race.winner.take() else {
        if let Some(reason) = race.exhausted.take() {
            return StageResult::internal(reason, facts);
        }
        return StageResult::fail(race.failure(), facts);
    };
    let _ = stream.set_nodelay(true);
    facts.address = Some(addr);
    let summary = format!("connected to {addr}");
    match race.ipv6_broken(addr, pending_ms) {
        Some(d) => StageResult::warn(d, summary, facts, stream),
        None => StageResult::pass(summary, facts, stream),
    }
}

fn describe_v6_failures(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .filter(|t| t.addr.is_ipv6())
        .filter_map(|t| t.outcome.as_ref().err().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn connect_one(
    addr: SocketAddr,
    opts: SocketOptions,
) -> (SocketAddr, Duration, io::Result<TcpStream>) {
    let t0 = Instant::now();
    let r = match opts.mss {
        None => TcpStream::connect(addr).await,
        Some(mss) => with_mss(addr, mss).await,
    };
    (addr, t0.elapsed(), r)
}

/// Connects with a maximum segment size announced in the SYN, so the peer
/// sends segments no larger than it (an MTU black hole lets those through).
async fn with_mss(addr: SocketAddr, mss: u32) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv6() {
        tokio::net::TcpSocket::new_v6()?
    } else {
        tokio::net::TcpSocket::new_v4()?
    };
    socket2::SockRef::from(&socket).set_tcp_mss(mss)?;
    socket.connect(addr).await
}

/// How a connection's sockets are set up: parameters of the one connector
/// (`connect.rs`), for probes that need a connection of their own shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketOptions {
    /// Only addresses of this family (the run's `-4`/`-6` already applies).
    pub family: Option<crate::probe::Family>,
    /// The TCP maximum segment size to announce (an MTU probe's small MSS).
    pub mss: Option<u32>,
}

impl SocketOptions {
    /// The addresses these options allow.
    fn filter(self, addrs: &[SocketAddr]) -> Vec<SocketAddr> {
        use crate::probe::Family;
        addrs
            .iter()
            .filter(|a| match self.family {
                None | Some(Family::Any) => true,
                Some(Family::V4) => a.is_ipv4(),
                Some(Family::V6) => a.is_ipv6(),
            })
            .copied()
            .collect()
    }
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

    #[test]
    fn the_family_option_keeps_only_its_addresses() {
        let a: Vec<SocketAddr> = ["1.1.1.1:1", "[::1]:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let v4 = SocketOptions {
            family: Some(crate::probe::Family::V4),
            mss: None,
        };
        assert_eq!(v4.filter(&a), vec![a[0]]);
        assert_eq!(SocketOptions::default().filter(&a), a);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_small_mss_is_announced_on_the_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let opts = SocketOptions {
            family: None,
            mss: Some(536),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let stream = stage(&[addr], deadline, opts)
            .await
            .product
            .expect("connects");
        let mss = socket2::SockRef::from(&stream).tcp_mss().unwrap();
        assert!(mss <= 536, "MSS {mss}");
        let peer = accept.await.unwrap().unwrap();
        let peer_mss = socket2::SockRef::from(&peer).tcp_mss().unwrap();
        assert!(
            peer_mss <= 536,
            "the peer was told the small MSS: {peer_mss}"
        );
    }
}
