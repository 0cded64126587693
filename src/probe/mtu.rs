//! MTU black holes: a TLS handshake that stalls after TCP connected is
//! retried once with a small MSS, and `TCP_PATH_MTU` when that completes.
//!
//! Behind a VPN or an overlay network whose MTU is smaller than the
//! container's, the SYN, the ClientHello and every small packet get through
//! but the server's full-size segments (its certificate flight) are dropped
//! on the way back, and the ICMP "fragmentation needed" that should shrink
//! them never arrives. The connection opens and the handshake hangs: every
//! client says "handshake timed out". A connection that announces a small
//! MSS (`TCP_MAXSEG` 536, the IPv4 minimum every path carries) makes the
//! server send segments that fit, so the same handshake completes on it.
//!
//! The rule, and why:
//! - Only a handshake that is still pending at half of the tls stage's time
//!   **with no byte from the server** is retried: that is the black hole's
//!   shape (the server writes its whole flight at once; its first segments
//!   are full-size and lost, so TCP delivers nothing). A handshake that
//!   completes or fails before then costs nothing — no extra connection.
//! - The retry runs **concurrently** with the default attempt, both until
//!   the stage's own deadline, and the first to finish wins: the retry gets
//!   half the stage's time, which is plenty for a path that works (a
//!   handshake is a few round trips), and a plain timeout ends exactly when
//!   it ended before, with one extra connection and no extra time. Waiting
//!   for the whole deadline and then retrying would double a timeout;
//!   retrying at once would open a second connection to every slow server.
//! - Beside the retry, a **control**: a fresh connection with the default
//!   MSS, started at the same moment. A black hole stalls it too; a server
//!   that left one connection unanswered (a load balancer's dead backend, an
//!   overloaded server) answers it. So `TCP_PATH_MTU` needs the small-MSS
//!   handshake to complete and the control to stall until the deadline (the
//!   verdict then comes at the stage's deadline, as the plain timeout did);
//!   a control that completes is `TLS_TIMEOUT`, saying that one connection
//!   stalled and a fresh one did not. Two connections of a round-robin
//!   balancer can still land on a dead and a live backend in the wrong
//!   order: `--repeat` tells.
//! - The retry is a fresh connection to the **same addresses** the dns step
//!   resolved (so a second answer from DNS cannot change the comparison),
//!   through the one connector (`connect.rs`), with the connection's other
//!   socket options kept.
//! - **Direct connections only**: through a proxy the MSS of our hop to the
//!   proxy says nothing about the proxy's path to the server, which is where
//!   the packets would be lost.
//! - The http stage is not retried: a response that stalls after a
//!   completed handshake could be the same fault, but re-sending the request
//!   on a new connection would repeat a POST (`-d`) and the credentials over
//!   a chain the certificate stage did not judge; a black hole that lets a
//!   certificate flight through but not a response is also rare (a chain
//!   under one MTU).
//!
//! A silent server (accepts, never answers) stalls the retry too: the stage
//! is the usual `TLS_TIMEOUT` at its deadline, its facts saying that the
//! small-MSS retry did not help either.

use super::client_cert::ClientCert;
use super::tcp::SocketOptions;
use super::{tls, Facts, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis};
use serde::Serialize;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The MSS announced on the retry: IPv4's minimum (RFC 879's 576-byte
/// datagram less 40 bytes of headers), which every path must carry.
pub const SMALL_MSS: u32 = 536;

/// A stream that counts the bytes the peer sent (read by the retry rule).
pub(super) struct Counted<S> {
    inner: S,
    received: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        let new = buf.filled().len().saturating_sub(before);
        this.received.fetch_add(new as u64, Ordering::Relaxed);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// What a direct connection keeps for a small-MSS retry of its handshake:
/// the addresses it was made to, its socket options, and the count of
/// bytes the server sent on it.
pub(super) struct Retry {
    addrs: Vec<SocketAddr>,
    opts: SocketOptions,
    received: Arc<AtomicU64>,
}

impl Retry {
    /// `stream`, counted, and the retry of a connection to `addrs` made
    /// with `opts`; none when the connection already has a chosen MSS.
    pub(super) fn watch<S>(
        stream: S,
        addrs: &[SocketAddr],
        opts: SocketOptions,
    ) -> (Counted<S>, Option<Retry>) {
        let received = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: stream,
            received: received.clone(),
        };
        let retry = opts.mss.is_none().then(|| Retry {
            addrs: addrs.to_vec(),
            opts: SocketOptions {
                mss: Some(SMALL_MSS),
                ..opts
            },
            received,
        });
        (counted, retry)
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// The tls stage's facts after a small-MSS retry: the retried handshake's
/// own facts when it completed, or the timeout, and what the retry found.
#[derive(Debug, Clone, Serialize)]
pub struct RetriedFacts {
    /// The small-MSS handshake's parameters (when it completed).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tls: Option<tls::TlsFacts>,
    /// When neither handshake completed: how long the stage waited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u128>,
    pub path_mtu: PathMtuFacts,
}

/// What the small-MSS retry found.
#[derive(Debug, Clone, Serialize)]
pub struct PathMtuFacts {
    /// The MSS the retry announced (the one that worked, under `TCP_PATH_MTU`).
    pub mss: u32,
    /// `completed`, `stalled` (no answer by the deadline either), or the
    /// retry's own failure code (`TCP_REFUSED`, `TLS_RESET`, …).
    pub retry: String,
    /// The control: a fresh connection with the default MSS, started with
    /// the retry — `stalled` (a black hole's shape: only the small MSS gets
    /// through), `completed` (the path carries full-size packets: not the
    /// MTU), or its failure code.
    pub control: String,
    /// When the retry started, counted from the start of the stage.
    pub retry_started_ms: f64,
    /// How long the default connection's handshake had waited when the
    /// retry finished (or the deadline passed).
    pub default_waited_ms: f64,
    /// How many bytes the server had sent on the default connection by then.
    pub default_bytes_received: u64,
}

/// How a fresh attempt ended, when it ended before the deadline.
enum Ended {
    /// The handshake completed: its facts.
    Completed(Facts),
    Failed(String),
}

impl Ended {
    /// `completed`, or the failure's code, as the facts write it.
    fn state(&self) -> String {
        match self {
            Ended::Completed(_) => "completed".to_owned(),
            Ended::Failed(code) => code.clone(),
        }
    }
}

/// The tls stage over a direct connection: the handshake over `stream`,
/// and — when it has heard nothing from the server at half of the time to
/// `deadline` — the same handshake on two fresh connections, one with MSS
/// [`SMALL_MSS`] and one with the default MSS (the control), racing it
/// until `deadline` (named `limit`).
pub(super) async fn handshake(
    stream: Box<dyn Io>,
    host: &str,
    cert: Option<&ClientCert>,
    retry: Retry,
    deadline: Instant,
    limit: &str,
) -> StageResult<tls::Session<Box<dyn Io>>> {
    let started = Instant::now();
    let half = started + deadline.saturating_duration_since(started) / 2;
    let default = tls::stage_with(stream, host, cert);
    tokio::pin!(default);
    tokio::select! {
        r = &mut default => return r,
        () = tokio::time::sleep_until(half.into()) => {}
    }
    if retry.received() > 0 {
        // The server answers, slowly: not the black hole's shape.
        return default.await;
    }
    let retry_started = started.elapsed();
    let small = attempt(&retry.addrs, retry.opts, host, cert, deadline);
    let control_opts = SocketOptions {
        mss: None,
        ..retry.opts
    };
    let control = attempt(&retry.addrs, control_opts, host, cert, deadline);
    tokio::pin!(small, control);
    let (mut small_end, mut control_end): (Option<Ended>, Option<Ended>) = (None, None);
    loop {
        tokio::select! {
            r = &mut default => return r,
            e = &mut small, if small_end.is_none() => small_end = Some(e),
            e = &mut control, if control_end.is_none() => control_end = Some(e),
            () = tokio::time::sleep_until(deadline.into()) => break,
        }
        // A fresh connection with the default MSS that completes proves the
        // path carries full-size packets: the stall was something else.
        if matches!(control_end, Some(Ended::Completed(_))) {
            break;
        }
    }
    let path_mtu = |retry_state: String, control_state: String| PathMtuFacts {
        mss: SMALL_MSS,
        retry: retry_state,
        control: control_state,
        retry_started_ms: crate::duration::millis(retry_started),
        default_waited_ms: crate::duration::millis(started.elapsed()),
        default_bytes_received: retry.received(),
    };
    let control_state = control_end
        .as_ref()
        .map_or("stalled".to_owned(), Ended::state);
    match (small_end, control_end) {
        (Some(Ended::Completed(r)), None) => {
            black_hole(r, path_mtu("completed".to_owned(), control_state))
        }
        (small_end, _) => {
            let small_state = small_end
                .as_ref()
                .map_or("stalled".to_owned(), Ended::state);
            stalled(started, limit, path_mtu(small_state, control_state))
        }
    }
}

/// `TLS_TIMEOUT` after the retries: neither fresh connection told an MTU
/// black hole (both stalled, or the default-MSS one completed too).
fn stalled(
    started: Instant,
    limit: &str,
    path_mtu: PathMtuFacts,
) -> StageResult<tls::Session<Box<dyn Io>>> {
    let after = started.elapsed();
    let summary = if path_mtu.control == "completed" {
        format!(
            "the TLS handshake stalled (no byte from the server in {:.0} ms) but completed on a \
             fresh connection with the default MSS: not the MTU — one connection of several is \
             not answered (a load balancer's dead backend, an overloaded server); `--repeat` shows \
             how often",
            path_mtu.retry_started_ms
        )
    } else {
        format!("did not complete within {} ms ({limit})", after.as_millis())
    };
    let facts = RetriedFacts {
        tls: None,
        timeout_ms: Some(after.as_millis()),
        path_mtu,
    };
    StageResult::fail(
        Diagnosis::new(Code::TlsTimeout, summary),
        Facts::Retried(Box::new(facts)),
    )
}

/// The handshake on a fresh connection to `addrs` with `opts`.
async fn attempt(
    addrs: &[SocketAddr],
    opts: SocketOptions,
    host: &str,
    cert: Option<&ClientCert>,
    deadline: Instant,
) -> Ended {
    let tcp = match super::connect::fresh(addrs, opts, deadline).await {
        Ok(tcp) => tcp,
        Err(code) => return Ended::Failed(code),
    };
    let r = tls::stage_with(tcp, host, cert).await;
    if r.product.is_some() {
        Ended::Completed(r.facts)
    } else {
        let code = r
            .diagnosis
            .as_ref()
            .map_or_else(|| "TLS_HANDSHAKE_FAILURE".to_owned(), |d| d.code.as_str());
        Ended::Failed(code)
    }
}

/// `TCP_PATH_MTU`: the small-MSS handshake (its facts: `completed`) completed where the
/// default one stalled.
fn black_hole(completed: Facts, path_mtu: PathMtuFacts) -> StageResult<tls::Session<Box<dyn Io>>> {
    let tls = match completed {
        Facts::Tls(t) => Some(*t),
        _ => None,
    };
    let summary = format!(
        "the TLS handshake stalled (no byte from the server in {:.0} ms) but completed on a new \
         connection announcing MSS {}: full-size packets from the server are lost on the path \
         (an MTU black hole)",
        path_mtu.retry_started_ms, path_mtu.mss
    );
    let facts = RetriedFacts {
        tls,
        timeout_ms: None,
        path_mtu,
    };
    StageResult::fail(
        Diagnosis::new(Code::TcpPathMtu, summary),
        Facts::Retried(Box::new(facts)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(flavor = "current_thread")]
    async fn counted_streams_count_what_the_peer_sent() {
        let (a, mut b) = tokio::io::duplex(64);
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let (mut counted, retry) = Retry::watch(a, &[addr], SocketOptions::default());
        let retry = retry.expect("a connection without a chosen MSS is retried");
        assert_eq!(retry.opts.mss, Some(SMALL_MSS));
        b.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        counted.read_exact(&mut buf).await.unwrap();
        assert_eq!(retry.received(), 5);
        let chosen = SocketOptions {
            mss: Some(1200),
            ..SocketOptions::default()
        };
        assert!(Retry::watch(b, &[addr], chosen).1.is_none());
    }
}
