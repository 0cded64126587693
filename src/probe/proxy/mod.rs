//! The `proxy` stage: reach the proxy, then `CONNECT host:port` through it.
//!
//! The proxy's own name goes through the run's resolver settings (pins,
//! hosts file, `--resolver`) and its TCP connect through the tcp stage's
//! happy eyeballs; a failure there is `PROXY_UNREACHABLE` with the DNS_/TCP_
//! code as its cause. An `https://` proxy gets a TLS handshake of its own
//! ([`tls`]), judged against the container's stores plus `--proxy-cacert`.
//! The CONNECT ([`connect`]) carries Basic `Proxy-Authorization` from the
//! URL's percent-decoded credentials and `--connect-to`'s rewrite of the
//! authority (as curl does); the reply is parsed with httparse and every
//! classic mistake gets its code ([`judge`]): a 407 (with the schemes
//! offered), a refusal (quoting the status, `Server` and `Via`), a TLS
//! record or nginx's "plain HTTP request was sent to HTTPS port" (a TLS port
//! used as a plain proxy), plaintext where the URL said `https://`, a web
//! server's error page (not a proxy at all: [`web`], which asks the port for
//! a TLS handshake to say whether it is a TLS site or a plain one). SOCKS5
//! proxies get their handshake instead ([`socks`]). Plain `http://`/`ws://`
//! targets skip CONNECT: their request goes to the proxy in absolute form,
//! and [`judge_reply`] tells a reply of the proxy from one of the origin.
//!
//! Every failure is a [`ProxyError`]; the facts are [`ProxyFacts`].

mod connect;
mod error;
mod facts;
mod judge;
mod socks;
mod tls;
mod web;

use super::{tcp, Context, Facts, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis};
use crate::proxy::{ProxyScheme, ProxyUrl, Route, Verdict};
use crate::redact;
use crate::target::Target;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::TcpStream;

pub use error::ProxyError;
pub use facts::ProxyFacts;
pub use judge::{judge_reply, reply_facts};

/// How the target's request travels through the proxy.
pub struct Hop {
    /// The stream: a CONNECT tunnel, or the connection to the proxy itself
    /// for absolute-form requests.
    pub stream: Box<dyn Io>,
    /// The `Proxy-Authorization` value for absolute-form requests.
    pub authorization: Option<String>,
    /// The facts so far (for absolute-form, completed by [`reply_facts`]).
    pub facts: Box<ProxyFacts>,
}

/// The stage for a target that `NO_PROXY` (or the clients' rules) sends
/// direct: a warning naming the entry, or a pass saying why.
pub fn bypassed(route: &Route) -> StageResult<()> {
    let facts = ProxyFacts::from(route.facts());
    if let Verdict::Bypassed(b) = &route.verdict {
        let d = Diagnosis::new(
            Code::ProxyBypassed,
            format!(
                "{}={} applies, but the {} entry `{}` sends this host direct",
                route.source,
                route.shown(),
                b.var,
                redact::bounded(&b.entry, 100)
            ),
        );
        let summary = format!("direct: {} entry `{}`", b.var, b.entry);
        return StageResult::warn(d, summary, facts, ());
    }
    let summary = route
        .notes
        .first()
        .cloned()
        .unwrap_or_else(|| "direct: httpx reads no proxy variable for this target".to_owned());
    StageResult::pass(summary, facts, ())
}

/// ` (requests, curl would decide otherwise)` when clients part from the
/// verdict, for pass summaries.
pub fn differ_note(route: &Route) -> String {
    let names = route.clients_differ();
    if names.is_empty() {
        String::new()
    } else {
        format!(" ({} would decide otherwise)", names.join(", "))
    }
}

/// Basic credentials from the URL, percent-decoded.
fn authorization(url: &ProxyUrl) -> Option<String> {
    use base64::Engine as _;
    let user = url.username.as_deref()?;
    let pass = url.password.as_deref().unwrap_or("");
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    ))
}

/// `host:port` with brackets around IPv6 literals.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `PROXY_UNREACHABLE` with the code of the layer that failed.
fn unreachable(url: &ProxyUrl, cause: Code, detail: String) -> ProxyError {
    ProxyError::Unreachable {
        proxy: url.to_string(),
        cause,
        detail,
    }
}

/// What every step of the stage needs to know.
struct Trip<'a> {
    ctx: &'a Context,
    route: &'a Route,
    url: &'a ProxyUrl,
    target: &'a Target,
    deadline: Instant,
}

/// What a step that got through hands back.
struct Passed {
    summary: String,
    stream: Box<dyn Io>,
    authorization: Option<String>,
}

/// Reaches the proxy of `route` and, for TLS targets, opens the CONNECT
/// tunnel to `target`.
///
/// For `socks5://`, `resolved` holds the target's addresses from the dns
/// stage (the client resolves); for `socks5h://` the proxy gets the name.
pub async fn stage(
    ctx: &Context,
    route: &Route,
    target: &Target,
    resolved: Option<&[SocketAddr]>,
    deadline: Instant,
) -> StageResult<Hop> {
    let mut facts = ProxyFacts::from(route.facts());
    let reached = match &route.url {
        Ok(url) => {
            let trip = Trip {
                ctx,
                route,
                url,
                target,
                deadline,
            };
            reach(&trip, resolved, &mut facts).await
        }
        Err(e) => Err(ProxyError::BadUrl {
            variable: route.source.clone(),
            error: e.clone(),
        }),
    };
    match reached {
        Ok(p) => StageResult::pass(
            p.summary,
            facts.clone(),
            Hop {
                stream: p.stream,
                authorization: p.authorization,
                facts: Box::new(facts),
            },
        ),
        Err(e) => {
            facts.cause = e.cause();
            StageResult::fail(e.diagnosis(), facts)
        }
    }
}

/// The proxy's TCP (then TLS, SOCKS5 or CONNECT, as its scheme and the
/// target's say).
async fn reach(
    trip: &Trip<'_>,
    resolved: Option<&[SocketAddr]>,
    facts: &mut ProxyFacts,
) -> Result<Passed, ProxyError> {
    let url = trip.url;
    let tcp_stream = reach_tcp(trip, facts).await?;
    let peer = tcp_stream.peer_addr().ok();
    if matches!(url.scheme, ProxyScheme::Socks5 | ProxyScheme::Socks5h) {
        return socks::handshake(trip, tcp_stream, resolved, facts).await;
    }
    let mut stream: Box<dyn Io> = Box::new(tcp_stream);
    if url.scheme == ProxyScheme::Https {
        stream = tls::handshake(trip.ctx, url, stream, facts).await?;
    }
    let authorization = authorization(url);
    facts.credentials_sent = Some(authorization.is_some());
    if !trip.target.scheme.is_tls() {
        facts.request_form = Some("absolute-form (no CONNECT for plain http/ws)");
        let summary = format!(
            "reached {url} ({}){}",
            trip.route.source,
            differ_note(trip.route)
        );
        return Ok(Passed {
            summary,
            stream,
            authorization,
        });
    }
    connect::tunnel(trip, stream, authorization, facts, peer).await
}

/// The proxy's own DNS and TCP.
async fn reach_tcp(trip: &Trip<'_>, facts: &mut ProxyFacts) -> Result<TcpStream, ProxyError> {
    let url = trip.url;
    let lookup = tokio::time::timeout_at(
        trip.deadline.into(),
        trip.ctx.resolver.resolve(&url.host, url.port),
    )
    .await;
    let answer = match lookup {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return Err(unreachable(url, e.code(), e.to_string())),
        Err(_) => {
            let detail = format!("no answer for {} in time", url.host);
            return Err(unreachable(url, Code::DnsTimeout, detail));
        }
    };
    facts.proxy_addresses = Some(answer.addrs.clone());
    let sockets: Vec<SocketAddr> = answer
        .addrs
        .iter()
        .map(|ip| SocketAddr::new(*ip, url.port))
        .collect();
    if sockets.is_empty() {
        let detail = "no address of the family asked for".to_owned();
        return Err(unreachable(url, Code::DnsNoRecords, detail));
    }
    let connected = tcp::stage(&sockets, trip.deadline, tcp::SocketOptions::default()).await;
    facts.proxy_tcp = match connected.facts {
        Facts::Tcp(f) => Some(f),
        _ => None,
    };
    let failed = connected
        .diagnosis
        .as_ref()
        .is_some_and(|d| d.status == crate::diagnosis::Status::Fail);
    match connected.product {
        Some(s) if !failed => Ok(s),
        _ => {
            let (code, detail) = connected
                .diagnosis
                .map_or((Code::TcpRefused, String::new()), |d| (d.code, d.summary));
            Err(unreachable(url, code, detail))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_authorities_get_brackets() {
        assert_eq!(authority("::1", 443), "[::1]:443");
        assert_eq!(authority("p.test", 3128), "p.test:3128");
    }

    #[test]
    fn basic_credentials_are_percent_decoded() {
        let url = ProxyUrl::parse("http://alice:p%40ss%3Aw%2Frd@p.test:3128").unwrap();
        // base64("alice:p@ss:w/rd")
        assert_eq!(authorization(&url).unwrap(), "Basic YWxpY2U6cEBzczp3L3Jk");
    }
}
