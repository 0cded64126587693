//! The one way to reach a target: route → dns → tcp → proxy → tls.
//!
//! Every connection to a target goes through [`connect`] (the proxy's own
//! DNS, TCP and TLS are steps of its stage, `proxy/`): the target's own
//! pipeline, and the stages that need a connection of their own — the
//! stream stage's request, the revocation fetches, the direct-path
//! comparison of the interception check. Each step runs as a stage of a
//! [`Pipeline`], under its deadline: the target's pipeline records the steps
//! in its report; the others run them on a scratch pipeline
//! ([`Pipeline::scratch`]) and keep the first failure's diagnosis, so a name
//! that does not resolve there is a `DNS_` code, as it is for the target.
//!
//! Socket options ([`SocketOptions`]: an address family, an MSS) are
//! parameters of the connection, for probes that need one of their own shape.
//!
//! A direct connection is counted ([`mtu::Retry`]): when its TLS handshake
//! stalls with nothing from the server, [`handshake`] retries it once on a
//! [`fresh`] connection to the same addresses with a small MSS — an MTU
//! black hole's test (see `mtu.rs` for the rule and its budget). Through a
//! proxy there is no such retry: the MSS of our hop says nothing about the
//! proxy's path to the server.
//!
//! When a proxy applies, the target's `dns` and `tcp` are the proxy's
//! business (skipped, "resolved by the proxy"), except for `socks5://`,
//! which resolves here; the proxy stage opens a CONNECT (or SOCKS) tunnel,
//! or — plain http through an HTTP proxy — hands back the connection to the
//! proxy itself, whose stage is judged from its reply to the request.

use super::mtu::{self, Retry};
use super::tcp::SocketOptions;
use super::{dns, proxy, tcp, tls, Io, Pipeline, StageReport, StageResult};
use crate::diagnosis::{Layer, Status};
use crate::proxy::{ProxyScheme, Route};
use crate::target::Target;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Where [`connect`] got to.
pub(super) enum Reached {
    /// A byte stream to the target: TCP, or a tunnel through the proxy.
    Stream {
        stream: Box<dyn Io>,
        /// Through a proxy (a tunnel).
        proxied: bool,
        /// A direct connection's small-MSS retry (see [`handshake`]).
        retry: Option<Retry>,
    },
    /// Plain http through an HTTP proxy: requests go to the proxy in
    /// absolute-form, and the proxy stage is judged from its reply, so it
    /// is not recorded yet.
    Forward(Forward),
}

/// The connection to an HTTP proxy that forwards absolute-form requests.
pub(super) struct Forward {
    /// The connection, its `Proxy-Authorization` and the facts so far.
    pub(super) hop: proxy::Hop,
    /// How long the proxy step took (recorded with its verdict).
    pub(super) elapsed: Duration,
}

/// Reaches `target`: directly, or through `route`'s proxy when it applies
/// (a route that does not proxy records why, as the proxy stage). `None`
/// when a step failed (recorded in `p`).
pub(super) async fn connect(
    p: &mut Pipeline<'_>,
    target: &Target,
    route: Option<&Route>,
    opts: SocketOptions,
) -> Option<Reached> {
    match route {
        Some(route) if route.proxied() => via_proxy(p, target, route).await,
        Some(route) => {
            p.record(Layer::Proxy, Duration::ZERO, proxy::bypassed(route));
            direct(p, target, opts).await
        }
        None => direct(p, target, opts).await,
    }
}

/// dns then tcp.
async fn direct(p: &mut Pipeline<'_>, target: &Target, opts: SocketOptions) -> Option<Reached> {
    let ctx = p.ctx;
    let addrs = p
        .stage(Layer::Dns, |deadline| {
            dns::stage(&ctx.resolver, target, &ctx.cfg, deadline)
        })
        .await?;
    let tcp = p
        .stage(Layer::Tcp, |deadline| {
            let addrs = &addrs;
            async move { tcp::stage(addrs, deadline, opts).await }
        })
        .await?;
    let (stream, retry) = Retry::watch(tcp, &addrs, opts);
    Some(Reached::Stream {
        stream: Box::new(stream),
        proxied: false,
        retry,
    })
}

/// A fresh connection to `addrs` (addresses the dns step resolved) with
/// `opts`, for a retry of a stage on a connection of another shape; when
/// none connects by `deadline`, the failure's code (or netdoctor's own
/// reason: no descriptor).
pub(super) async fn fresh(
    addrs: &[SocketAddr],
    opts: SocketOptions,
    deadline: Instant,
) -> Result<Box<dyn Io>, String> {
    let r = tcp::stage(addrs, deadline, opts).await;
    match (r.product, r.diagnosis, r.internal) {
        (Some(tcp), ..) => Ok(Box::new(tcp)),
        (None, Some(d), _) => Err(d.code.as_str()),
        (None, None, reason) => {
            Err(reason.unwrap_or_else(|| "netdoctor could not connect".to_owned()))
        }
    }
}

/// The proxy reaches the target: its dns and tcp are skipped (but for
/// `socks5://`, which resolves here), then the proxy stage.
async fn via_proxy(p: &mut Pipeline<'_>, target: &Target, route: &Route) -> Option<Reached> {
    let ctx = p.ctx;
    let scheme = route.url.as_ref().ok().map(|u| u.scheme);
    let socks = matches!(scheme, Some(ProxyScheme::Socks5 | ProxyScheme::Socks5h));
    let resolved = if scheme.is_some_and(ProxyScheme::resolves_locally) {
        let addrs = p
            .stage(Layer::Dns, |deadline| {
                dns::stage(&ctx.resolver, target, &ctx.cfg, deadline)
            })
            .await?;
        p.stages
            .push(StageReport::skipped(Layer::Tcp, "connected by the proxy"));
        Some(addrs)
    } else {
        for layer in [Layer::Dns, Layer::Tcp] {
            p.stages
                .push(StageReport::skipped(layer, "resolved by the proxy"));
        }
        None
    };
    let (hop, elapsed) = p
        .run(Layer::Proxy, |deadline| {
            proxy::stage(ctx, route, target, resolved.as_deref(), deadline)
        })
        .await;
    if target.scheme.is_tls() || socks {
        let hop = p.record(Layer::Proxy, elapsed, hop)?;
        return Some(Reached::Stream {
            stream: hop.stream,
            proxied: true,
            retry: None,
        });
    }
    let failed = hop
        .diagnosis
        .as_ref()
        .is_some_and(|d| d.status == Status::Fail);
    match hop.product {
        Some(hop) if !failed => Some(Reached::Forward(Forward { hop, elapsed })),
        _ => {
            p.record(Layer::Proxy, elapsed, StageResult::<()>::fail_from(hop));
            None
        }
    }
}

/// The TLS handshake over a connected stream, recorded as the `tls` stage
/// (the chain is captured whatever it is; the certificate stage judges it).
/// With `retry` (a direct connection), a handshake that hears nothing from
/// the server by half of the stage's time is raced by one on a fresh
/// connection with a small MSS (`TCP_PATH_MTU` when only that one
/// completes; see `mtu.rs`).
pub(super) async fn handshake(
    p: &mut Pipeline<'_>,
    target: &Target,
    stream: Box<dyn Io>,
    retry: Option<Retry>,
) -> Option<tls::Session<Box<dyn Io>>> {
    let cert = p.ctx.cfg.client_cert.as_ref();
    let Some(retry) = retry else {
        return p
            .stage(Layer::Tls, |_| tls::stage_with(stream, &target.host, cert))
            .await;
    };
    let (_, limit) = p.deadline(Layer::Tls);
    p.stage(Layer::Tls, |deadline| {
        mtu::handshake(stream, &target.host, cert, retry, deadline, &limit)
    })
    .await
}

/// A stream to `target` for a request of its own, on a scratch pipeline:
/// through a tunnel or directly, and for TLS targets the handshake done.
/// A plain-http target through an HTTP proxy gets the connection to the
/// proxy with its `Proxy-Authorization` (the request then goes in
/// absolute-form).
pub(super) async fn open(
    p: &mut Pipeline<'_>,
    target: &Target,
    route: Option<&Route>,
    opts: SocketOptions,
) -> Option<Opened> {
    let opened = match connect(p, target, route, opts).await? {
        Reached::Stream { stream, retry, .. } if target.scheme.is_tls() => {
            Opened::Tls(Box::new(handshake(p, target, stream, retry).await?))
        }
        Reached::Stream { stream, .. } => Opened::Plain(stream),
        Reached::Forward(f) => Opened::Forward(f.hop),
    };
    Some(opened)
}

/// What [`open`] hands back.
pub(super) enum Opened {
    /// A TLS session, its chain not judged yet.
    Tls(Box<tls::Session<Box<dyn Io>>>),
    /// A plain stream to the target (TCP or a tunnel).
    Plain(Box<dyn Io>),
    /// The connection to an HTTP proxy that forwards absolute-form requests.
    Forward(proxy::Hop),
}
