//! The HTTP `CONNECT` exchange: the request (Basic `Proxy-Authorization`,
//! `--connect-to`'s rewrite of the authority, as curl does), the reply head
//! read by the one HTTP/1.1 client, and what a reply that is not HTTP says —
//! a TLS record (a TLS port used as a plain proxy), garbage, silence — or a
//! web server's error page (not a proxy: [`super::web`]).

use super::{authority, judge, web, Passed, ProxyError, ProxyFacts, Trip};
use crate::duration::millis;
use crate::probe::http::USER_AGENT;
use crate::probe::{dns, h1, Io};
use crate::proxy::ProxyScheme;
use crate::redact;
use std::net::SocketAddr;
use std::time::Instant;

/// Opens the CONNECT tunnel to the target over `stream` (the connection to
/// the proxy), sending `authorization` if any.
pub(super) async fn tunnel(
    trip: &Trip<'_>,
    mut stream: Box<dyn Io>,
    authorization: Option<String>,
    facts: &mut ProxyFacts,
    peer: Option<SocketAddr>,
) -> Result<Passed, ProxyError> {
    let (url, target) = (trip.url, trip.target);
    let (host, port, rewritten) = dns::connect_endpoint(target, &trip.ctx.cfg.connect_to);
    let authority = authority(&host, port);
    facts.connect = Some(authority.clone());
    if rewritten {
        facts.connect_to = Some(format!(
            "--connect-to rewrote {}:{} to {authority}",
            target.host, target.port
        ));
    }
    let mut request = h1::Request::connect(&authority);
    request
        .header("Host", &authority)
        .header("User-Agent", USER_AGENT)
        .header("Proxy-Connection", "Keep-Alive");
    if let Some(a) = &authorization {
        request.header("Proxy-Authorization", a);
    }
    let started = Instant::now();
    if let Err(e) = h1::send(&mut stream, &request).await {
        let detail = match e {
            h1::Error::Write(io) => io.to_string(),
            other => other.to_string(),
        };
        return Err(ProxyError::SendFailed {
            proxy: url.to_string(),
            detail,
        });
    }
    let (reply, body) = match h1::read_head(&mut stream, Some(trip.deadline)).await {
        Ok(x) => x,
        Err(e) => return Err(no_reply(&e, trip, &authority, started, facts)),
    };
    facts.connect_ms = Some(millis(started.elapsed()));
    judge::record_reply(facts, &reply);
    if (200..300).contains(&reply.status) {
        let summary = format!(
            "CONNECT {authority} via {url} ({}) → {} {}{}",
            trip.route.source,
            reply.status,
            reply.reason,
            super::differ_note(trip.route)
        );
        return Ok(Passed {
            summary,
            stream,
            authorization: None,
        });
    }
    let operation = format!("CONNECT {authority}");
    if web::is_web_reply(&reply, &body) && !judge::says_plain_http_to_tls(&reply, &body) {
        return Err(not_a_proxy(trip, &reply, operation, peer, facts).await);
    }
    Err(judge::judge_status(
        &reply,
        &body,
        url,
        &operation,
        authorization.is_some(),
    ))
}

/// The error for a web server's page in reply to CONNECT: through a plain
/// proxy URL, the same address is asked for a TLS handshake to tell a TLS
/// site (`PROXY_PLAINTEXT_TO_TLS`) from a plain one (`PROXY_NOT_A_PROXY`);
/// an `https://` proxy URL already spoke TLS to it.
async fn not_a_proxy(
    trip: &Trip<'_>,
    reply: &h1::Head,
    operation: String,
    peer: Option<SocketAddr>,
    facts: &mut ProxyFacts,
) -> ProxyError {
    let url = trip.url;
    let server = reply
        .header("server")
        .map(|s| format!(", Server: {}", redact::bounded(s, 60)))
        .unwrap_or_default();
    let reply = format!(
        "{} {}{server}",
        reply.status,
        redact::bounded(&reply.reason, 60)
    );
    let proxy = url.authority();
    let peer = peer.filter(|_| url.scheme != ProxyScheme::Https);
    let Some(peer) = peer else {
        let answer = (url.scheme == ProxyScheme::Https).then(|| {
            "a TLS handshake (the https:// proxy URL's own): an HTTPS web server".to_owned()
        });
        return ProxyError::NotAProxy {
            proxy,
            operation,
            reply,
            answer,
        };
    };
    let answer = web::client_hello(peer, &url.host, trip.deadline).await;
    facts.client_hello = Some(answer.fact());
    match answer {
        web::HelloAnswer::Tls { .. } => ProxyError::WebServerOnTlsPort {
            proxy,
            operation,
            reply,
            answer: answer.fact(),
        },
        _ => ProxyError::NotAProxy {
            proxy,
            operation,
            reply,
            answer: Some(answer.fact()),
        },
    }
}

/// The error when no reply head to CONNECT could be read.
fn no_reply(
    e: &h1::Error,
    trip: &Trip<'_>,
    authority: &str,
    started: Instant,
    facts: &mut ProxyFacts,
) -> ProxyError {
    let url = trip.url;
    let start = match e {
        h1::Error::Timeout { received } => {
            facts.received = Some(*received);
            return ProxyError::Timeout {
                proxy: url.to_string(),
                operation: format!("answer CONNECT {authority}"),
                after_ms: started.elapsed().as_millis(),
            };
        }
        h1::Error::Read { source, .. } | h1::Error::Reset { source, .. } => {
            return ProxyError::ReadFailed {
                proxy: url.to_string(),
                detail: source.to_string(),
            }
        }
        h1::Error::Empty => {
            return ProxyError::Closed {
                proxy: url.to_string(),
                operation: format!("CONNECT {authority}"),
            }
        }
        other => other.start().unwrap_or_default(),
    };
    if start.first().is_some_and(|b| matches!(b, 0x14..=0x17)) {
        facts.first_bytes = Some(start[..start.len().min(16)].escape_ascii().to_string());
        return ProxyError::TlsRecord {
            proxy: url.authority(),
        };
    }
    facts.connect_ms = Some(millis(started.elapsed()));
    let first = String::from_utf8_lossy(start).into_owned();
    facts.first_bytes = Some(redact::bounded(&first, 40));
    ProxyError::NotAnHttpProxy {
        proxy: url.authority(),
        first_line: redact::bounded(first.lines().next().unwrap_or(""), 40),
    }
}
