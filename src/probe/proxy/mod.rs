//! The `proxy` stage: reach the proxy, then `CONNECT host:port` through it.
//!
//! The proxy's own name goes through the run's resolver settings (pins,
//! hosts file, `--resolver`) and its TCP connect through the tcp stage's
//! happy eyeballs; a failure there is `PROXY_UNREACHABLE` with the DNS_/TCP_
//! code as its cause. An `https://` proxy gets a TLS handshake of its own,
//! judged against the container's stores plus `--proxy-cacert`. The CONNECT
//! carries Basic `Proxy-Authorization` from the URL's percent-decoded
//! credentials and `--connect-to`'s rewrite of the authority (as curl does);
//! the reply is parsed with httparse and every classic mistake gets its
//! code: a 407 (with the schemes offered), a refusal (quoting the status,
//! `Server` and `Via`), a TLS record or nginx's "plain HTTP request was sent
//! to HTTPS port" (a TLS port used as a plain proxy), plaintext where the
//! URL said `https://`. Plain `http://`/`ws://` targets skip CONNECT: their
//! request goes to the proxy in absolute form, and [`judge_reply`] tells a
//! reply of the proxy from one of the origin.

use super::http::USER_AGENT;
use super::{certificate, dns, h1, tcp, tls, Context, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::proxy::{ProxyScheme, ProxyUrl, Route, Verdict};
use crate::redact;
use crate::target::Target;
use serde_json::{json, Value};
use std::time::Instant;

/// How the target's request travels through the proxy.
pub struct Hop {
    /// The stream: a CONNECT tunnel, or the connection to the proxy itself
    /// for absolute-form requests.
    pub stream: Box<dyn Io>,
    /// The `Proxy-Authorization` value for absolute-form requests.
    pub authorization: Option<String>,
    /// The facts so far (for absolute-form, completed by [`judge_reply`]).
    pub facts: Value,
}

/// The stage for a target that `NO_PROXY` (or the clients' rules) sends
/// direct: a warning naming the entry, or a pass saying why.
pub fn bypassed(route: &Route) -> StageResult<()> {
    let facts = route.facts();
    match &route.verdict {
        Verdict::Bypassed(b) => {
            let d = Diagnosis::new(
                Code::ProxyBypassed,
                format!(
                    "{}={} applies, but the {} entry `{}` sends this host direct",
                    route.source,
                    route.shown(),
                    b.var,
                    redact::terminal_safe(&b.entry, 100)
                ),
            );
            let summary = format!("direct: {} entry `{}`", b.var, b.entry);
            StageResult::warn(d, summary, facts, ())
        }
        _ => {
            let summary = route.notes.first().cloned().unwrap_or_else(|| {
                "direct: httpx reads no proxy variable for this target".to_owned()
            });
            StageResult::pass(summary, facts, ())
        }
    }
}

fn unreachable(url: &ProxyUrl, cause: Code, detail: &str, facts: Value) -> StageResult<Hop> {
    let mut facts = facts;
    facts["cause"] = json!(cause.as_str());
    let d = Diagnosis::new(
        Code::ProxyUnreachable,
        format!("the proxy {url} cannot be reached: {detail} ({cause})"),
    );
    StageResult::fail(d, facts)
}

fn fail(code: Code, summary: String, facts: Value) -> StageResult<Hop> {
    StageResult::fail(Diagnosis::new(code, summary), facts)
}

/// ` (requests, curl would decide otherwise)` when clients part from the
/// verdict, for pass summaries.
pub fn differ_note(route: &Route) -> String {
    let facts = route.facts();
    match facts["clients_differ"].as_array() {
        Some(names) if !names.is_empty() => {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            format!(" ({} would decide otherwise)", names.join(", "))
        }
        _ => String::new(),
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

/// Reaches the proxy of `route` and, for TLS targets, opens the CONNECT
/// tunnel to `target`.
///
/// For `socks5://`, `resolved` holds the target's addresses from the dns
/// stage (the client resolves); for `socks5h://` the proxy gets the name.
pub async fn stage(
    ctx: &Context,
    route: &Route,
    target: &Target,
    resolved: Option<&[std::net::SocketAddr]>,
    deadline: Instant,
) -> StageResult<Hop> {
    let mut facts = route.facts();
    let url = match &route.url {
        Ok(u) => u.clone(),
        Err(e) => {
            let d = Diagnosis::new(Code::EnvProxyBadUrl, format!("{}: {e}", route.source))
                .with_status(Status::Fail);
            return StageResult::fail(d, facts);
        }
    };
    // The proxy's own DNS.
    let lookup =
        tokio::time::timeout_at(deadline.into(), ctx.resolver.resolve(&url.host, url.port)).await;
    let answer = match lookup {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return unreachable(&url, e.code(), &e.to_string(), facts),
        Err(_) => {
            return unreachable(
                &url,
                Code::DnsTimeout,
                &format!("no answer for {} in time", url.host),
                facts,
            )
        }
    };
    facts["proxy_addresses"] = json!(answer
        .addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>());
    let sockets: Vec<std::net::SocketAddr> = answer
        .addrs
        .iter()
        .map(|ip| std::net::SocketAddr::new(*ip, url.port))
        .collect();
    if sockets.is_empty() {
        return unreachable(
            &url,
            Code::DnsNoRecords,
            "no address of the family asked for",
            facts,
        );
    }
    // The proxy's own TCP.
    let connected = tcp::stage(&sockets, deadline).await;
    facts["proxy_tcp"] = connected.facts.to_json();
    let tcp_stream = match connected.product {
        Some(s)
            if connected
                .diagnosis
                .as_ref()
                .is_none_or(|d| d.status != Status::Fail) =>
        {
            s
        }
        _ => {
            let (code, detail) = connected
                .diagnosis
                .map_or((Code::TcpRefused, String::new()), |d| (d.code, d.summary));
            return unreachable(&url, code, &detail, facts);
        }
    };
    if matches!(url.scheme, ProxyScheme::Socks5 | ProxyScheme::Socks5h) {
        return socks(
            tcp_stream, &url, route, target, ctx, resolved, facts, deadline,
        )
        .await;
    }
    let mut stream: Box<dyn Io> = Box::new(tcp_stream);
    if url.scheme == ProxyScheme::Https {
        match proxy_tls(ctx, &url, stream, &mut facts).await {
            Ok(s) => stream = s,
            Err(r) => return r,
        }
    }
    let authorization = authorization(&url);
    facts["credentials_sent"] = json!(authorization.is_some());
    if !target.scheme.is_tls() {
        facts["request_form"] = json!("absolute-form (no CONNECT for plain http/ws)");
        let summary = format!("reached {url} ({}){}", route.source, differ_note(route));
        return StageResult::pass(
            summary,
            facts.clone(),
            Hop {
                stream,
                authorization,
                facts,
            },
        );
    }
    connect(
        stream,
        &url,
        route,
        target,
        ctx,
        authorization,
        facts,
        deadline,
    )
    .await
}

/// A SOCKS5 handshake (tokio-socks), with RFC 1929 credentials from the URL.
#[allow(clippy::too_many_arguments)]
async fn socks(
    tcp: tokio::net::TcpStream,
    url: &ProxyUrl,
    route: &Route,
    target: &Target,
    ctx: &Context,
    resolved: Option<&[std::net::SocketAddr]>,
    mut facts: Value,
    deadline: Instant,
) -> StageResult<Hop> {
    use tokio_socks::tcp::Socks5Stream;
    use tokio_socks::Error as E;
    let (host, port, rewritten) = dns::connect_endpoint(target, &ctx.cfg.connect_to);
    let local = url.scheme.resolves_locally();
    let addr = resolved.and_then(|a| a.first().copied());
    let requested = match (local, addr) {
        (true, Some(a)) => a.to_string(),
        _ => authority(&host, port),
    };
    facts["connect"] = json!(requested);
    facts["resolution"] = json!(if local {
        "socks5://: the name was resolved here (dns stage); the proxy gets the address"
    } else {
        "socks5h://: the proxy resolves the name"
    });
    if rewritten {
        facts["connect_to"] = json!(format!(
            "--connect-to rewrote {}:{} to {}",
            target.host,
            target.port,
            authority(&host, port)
        ));
    }
    facts["credentials_sent"] = json!(url.username.is_some());
    let started = Instant::now();
    let handshake = async {
        match (&url.username, local, addr) {
            (Some(u), true, Some(a)) => {
                let p = url.password.as_deref().unwrap_or("");
                Socks5Stream::connect_with_password_and_socket(tcp, a, u, p).await
            }
            (Some(u), _, _) => {
                let p = url.password.as_deref().unwrap_or("");
                Socks5Stream::connect_with_password_and_socket(tcp, (host.as_str(), port), u, p)
                    .await
            }
            (None, true, Some(a)) => Socks5Stream::connect_with_socket(tcp, a).await,
            (None, _, _) => Socks5Stream::connect_with_socket(tcp, (host.as_str(), port)).await,
        }
    };
    let result = match tokio::time::timeout_at(deadline.into(), handshake).await {
        Ok(r) => r,
        Err(_) => {
            return fail(
                Code::ProxyTimeout,
                format!(
                    "{url} accepted the connection but did not finish the SOCKS5 handshake within {} ms",
                    started.elapsed().as_millis()
                ),
                facts,
            )
        }
    };
    facts["connect_ms"] = json!(crate::duration::millis(started.elapsed()));
    match result {
        Ok(s) => {
            let summary = format!(
                "SOCKS5 CONNECT {requested} via {url} ({}) → granted",
                route.source
            );
            StageResult::pass(
                summary,
                facts.clone(),
                Hop {
                    stream: Box::new(s),
                    authorization: None,
                    facts,
                },
            )
        }
        Err(e) => {
            facts["socks_error"] = json!(e.to_string());
            let (code, summary) = match &e {
                E::NoAcceptableAuthMethods | E::AuthorizationRequired => (
                    Code::ProxyAuthRequired,
                    format!(
                        "{url} wants SOCKS5 authentication that was not offered ({e}): {}",
                        if url.username.is_some() {
                            "the proxy does not accept user/password"
                        } else {
                            "no credentials were sent (the proxy URL has none)"
                        }
                    ),
                ),
                E::PasswordAuthFailure(_) => (
                    Code::ProxyAuthRequired,
                    format!(
                        "{url} rejected the SOCKS5 credentials sent for `{}`",
                        url.username.as_deref().map(|u| redact::terminal_safe(u, 40)).unwrap_or_default()
                    ),
                ),
                E::ConnectionNotAllowedByRuleset
                | E::GeneralSocksServerFailure
                | E::NetworkUnreachable
                | E::HostUnreachable
                | E::ConnectionRefused
                | E::TtlExpired => (
                    Code::ProxyDenied,
                    format!("{url} refused SOCKS5 CONNECT {requested}: {e}"),
                ),
                E::InvalidResponseVersion | E::InvalidReservedByte | E::UnknownAddressType => (
                    Code::ProxyMalformed,
                    format!(
                        "{} did not answer as a SOCKS5 proxy ({e}): if it is an HTTP proxy, use http:// in the proxy URL",
                        url.authority()
                    ),
                ),
                E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => (
                    Code::ProxyMalformed,
                    format!("{} closed the connection during the SOCKS5 handshake", url.authority()),
                ),
                _ => (
                    Code::ProxyMalformed,
                    format!("the SOCKS5 handshake with {} failed: {e}", url.authority()),
                ),
            };
            fail(code, summary, facts)
        }
    }
}

/// TLS to an `https://` proxy, judged like a target's chain.
async fn proxy_tls(
    ctx: &Context,
    url: &ProxyUrl,
    stream: Box<dyn Io>,
    facts: &mut Value,
) -> Result<Box<dyn Io>, StageResult<Hop>> {
    let hs = tls::stage(stream, &url.host).await;
    facts["proxy_tls"] = hs.facts.to_json();
    let Some(session) = hs.product else {
        let d = hs
            .diagnosis
            .unwrap_or_else(|| Diagnosis::new(Code::TlsHandshakeFailure, ""));
        if d.code == Code::TlsPlaintextResponse {
            let first = hs.facts.to_json()["first_bytes"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            return Err(fail(
                Code::ProxyTlsToPlaintext,
                format!(
                    "the proxy URL says https:// but {} answered the TLS ClientHello in plain HTTP (\"{}\"): it is a plain HTTP proxy",
                    url.authority(),
                    redact::terminal_safe(first.split("\\r\\n").next().unwrap_or(""), 60)
                ),
                facts.clone(),
            ));
        }
        return Err(unreachable(url, d.code, &d.summary, facts.clone()));
    };
    let trust = ctx.proxy_trust.as_ref().unwrap_or(&ctx.trust);
    let verdict = certificate::stage(
        &session.chain,
        &url.host,
        trust,
        false,
        session.unverified_signature.as_deref(),
        None,
    );
    facts["proxy_certificate"] = verdict.facts.to_json();
    if !verdict.product.as_ref().is_some_and(|v| v.trusted) {
        let (cause, why) = verdict
            .diagnosis
            .map_or((Code::CertUnknownIssuer, String::new()), |d| {
                (d.code, d.summary)
            });
        facts["cause"] = json!(cause.as_str());
        return Err(fail(
            Code::ProxyTlsUntrusted,
            format!(
                "the https:// proxy {}'s own certificate is not trusted: {why} ({cause})",
                url.authority()
            ),
            facts.clone(),
        ));
    }
    Ok(Box::new(session.stream))
}

/// `host:port` with brackets around IPv6 literals.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[allow(clippy::too_many_arguments)]
async fn connect(
    mut stream: Box<dyn Io>,
    url: &ProxyUrl,
    route: &Route,
    target: &Target,
    ctx: &Context,
    authorization: Option<String>,
    mut facts: Value,
    deadline: Instant,
) -> StageResult<Hop> {
    let (host, port, rewritten) = dns::connect_endpoint(target, &ctx.cfg.connect_to);
    let authority = authority(&host, port);
    facts["connect"] = json!(authority);
    if rewritten {
        facts["connect_to"] = json!(format!(
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
        let e = match e {
            h1::Error::Write(io) => io.to_string(),
            other => other.to_string(),
        };
        return fail(
            Code::ProxyMalformed,
            format!("sending CONNECT to {url} failed: {e}"),
            facts,
        );
    }
    let (reply, body) = match h1::read_head(&mut stream, Some(deadline)).await {
        Ok(x) => x,
        Err(e) => return connect_failed(&e, url, &authority, started, facts),
    };
    facts["connect_ms"] = json!(crate::duration::millis(started.elapsed()));
    record_reply(&mut facts, &reply);
    if (200..300).contains(&reply.status) {
        let summary = format!(
            "CONNECT {authority} via {url} ({}) → {} {}{}",
            route.source,
            reply.status,
            reply.reason,
            differ_note(route)
        );
        return StageResult::pass(
            summary,
            facts.clone(),
            Hop {
                stream,
                authorization: None,
                facts,
            },
        );
    }
    let d = judge_status(
        &reply,
        &body,
        url,
        &format!("CONNECT {authority}"),
        authorization.is_some(),
    );
    StageResult::fail(d, facts)
}

/// The diagnosis when no reply head to CONNECT could be read.
fn connect_failed(
    e: &h1::Error,
    url: &ProxyUrl,
    authority: &str,
    started: Instant,
    mut facts: Value,
) -> StageResult<Hop> {
    let start = match e {
        h1::Error::Timeout { received } => {
            facts["received"] = json!(received);
            return fail(
                Code::ProxyTimeout,
                format!(
                    "{url} accepted the connection but did not answer CONNECT {authority} within {} ms",
                    started.elapsed().as_millis()
                ),
                facts,
            );
        }
        h1::Error::Read { source, .. } | h1::Error::Reset { source, .. } => {
            return fail(
                Code::ProxyMalformed,
                format!("reading the CONNECT reply from {url} failed: {source}"),
                facts,
            )
        }
        h1::Error::Empty => {
            return fail(
                Code::ProxyMalformed,
                format!("{url} closed the connection without answering CONNECT {authority}"),
                facts,
            )
        }
        other => other.start().unwrap_or_default(),
    };
    if start.first().is_some_and(|b| matches!(b, 0x14..=0x17)) {
        facts["first_bytes"] = json!(start[..start.len().min(16)].escape_ascii().to_string());
        return fail(
            Code::ProxyPlaintextToTls,
            format!(
                "{} answered CONNECT with a TLS record: it is a TLS port, not a plain HTTP proxy",
                url.authority()
            ),
            facts,
        );
    }
    facts["connect_ms"] = json!(crate::duration::millis(started.elapsed()));
    let first = String::from_utf8_lossy(start).into_owned();
    facts["first_bytes"] = json!(redact::terminal_safe(&first, 40));
    fail(
        Code::ProxyMalformed,
        format!(
            "{} answered CONNECT with something that is not HTTP: \"{}\"",
            url.authority(),
            redact::terminal_safe(first.lines().next().unwrap_or(""), 40)
        ),
        facts,
    )
}

fn record_reply(facts: &mut Value, reply: &h1::Head) {
    facts["status"] = json!(reply.status);
    facts["reason"] = json!(redact::terminal_safe(&reply.reason, 80));
    let mut shown = serde_json::Map::new();
    for name in [
        "server",
        "via",
        "x-squid-error",
        "proxy-status",
        "proxy-authenticate",
    ] {
        let values = reply.all(name);
        if !values.is_empty() {
            let text: Vec<String> = values
                .iter()
                .map(|v| redact::terminal_safe(v, 120))
                .collect();
            shown.insert(name.to_owned(), json!(text.join(", ")));
        }
    }
    facts["headers"] = Value::Object(shown);
}

/// The schemes of `Proxy-Authenticate` challenges (`Basic`, `NTLM`, …).
fn schemes(reply: &h1::Head) -> Vec<String> {
    reply
        .all("proxy-authenticate")
        .iter()
        .filter_map(|v| v.split_whitespace().next())
        .map(|s| redact::terminal_safe(s.trim_end_matches(','), 30))
        .collect()
}

/// The diagnosis for a proxy's non-2xx reply to `what` (CONNECT or an
/// absolute-form request).
fn judge_status(
    reply: &h1::Head,
    body: &[u8],
    url: &ProxyUrl,
    what: &str,
    credentials_sent: bool,
) -> Diagnosis {
    let server = reply
        .header("server")
        .map(|s| format!(", Server: {}", redact::terminal_safe(s, 60)))
        .unwrap_or_default();
    let via = reply
        .header("via")
        .map(|s| format!(", Via: {}", redact::terminal_safe(s, 80)))
        .unwrap_or_default();
    let status = format!(
        "{} {}",
        reply.status,
        redact::terminal_safe(&reply.reason, 60)
    );
    if reply.status == 407 {
        let offered = schemes(reply);
        let offered_text = if offered.is_empty() {
            "no Proxy-Authenticate challenge".to_owned()
        } else {
            format!("Proxy-Authenticate: {}", offered.join(", "))
        };
        let sent = match &url.username {
            Some(user) => format!(
                "the credentials sent for `{}` were rejected",
                redact::terminal_safe(user, 40)
            ),
            None => "no credentials were sent (the proxy URL has none)".to_owned(),
        };
        let d = Diagnosis::new(
            Code::ProxyAuthRequired,
            format!("{url} answered {what} with {status} ({offered_text}{server}): {sent}"),
        );
        let basic = offered.iter().any(|s| s.eq_ignore_ascii_case("basic"));
        let windows_only = !offered.is_empty()
            && offered
                .iter()
                .all(|s| s.eq_ignore_ascii_case("ntlm") || s.eq_ignore_ascii_case("negotiate"));
        return if windows_only {
            d.with_hint("this proxy offers only NTLM/Negotiate (Windows) authentication, which curl can answer (`--proxy-ntlm`) but most SDKs (Python requests/httpx, Node, the Speech SDK) cannot: ask for a Basic-auth port, an allow-list entry for this host, or run a local relay such as cntlm/px")
        } else if credentials_sent && basic {
            d.with_hint("the proxy rejected the user name or password: check them, and percent-encode @ : / in the URL (%40 %3A %2F)")
        } else {
            d
        };
    }
    let body = String::from_utf8_lossy(body);
    let plain_to_tls = reply.status == 400
        && (body.contains("plain HTTP request was sent to HTTPS port")
            || reply
                .reason
                .contains("plain HTTP request was sent to HTTPS port"));
    if plain_to_tls {
        return Diagnosis::new(
            Code::ProxyPlaintextToTls,
            format!(
                "{} answered {what} with nginx's \"400 The plain HTTP request was sent to HTTPS port\"{server}: it is a TLS port, not a plain HTTP proxy",
                url.authority()
            ),
        );
    }
    let squid = reply
        .header("x-squid-error")
        .map(|s| format!(", X-Squid-Error: {}", redact::terminal_safe(s, 60)))
        .unwrap_or_default();
    Diagnosis::new(
        Code::ProxyDenied,
        format!("{url} refused {what}: {status}{server}{via}{squid}"),
    )
}

/// For absolute-form requests: whether the reply to the target's request
/// came from the proxy (a 407, or an error the proxy marks as its own with
/// `X-Squid-Error` or `Proxy-Status`) rather than from the origin.
pub fn judge_reply(
    url: &ProxyUrl,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials_sent: bool,
) -> Option<Diagnosis> {
    let reply = head(status, reason, headers);
    let own_error =
        reply.header("x-squid-error").is_some() || reply.header("proxy-status").is_some();
    (status == 407 || (status >= 400 && own_error))
        .then(|| judge_status(&reply, body, url, "the request", credentials_sent))
}

/// The facts of an absolute-form reply judged by [`judge_reply`].
pub fn reply_facts(facts: &mut Value, status: u16, reason: &str, headers: &[(String, String)]) {
    record_reply(facts, &head(status, reason, headers));
}

/// The head of an absolute-form reply, from the http stage's exchange.
fn head(status: u16, reason: &str, headers: &[(String, String)]) -> h1::Head {
    h1::Head {
        status,
        reason: reason.to_owned(),
        version: 1,
        headers: headers.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified() {
        let url = ProxyUrl::parse("http://p.test:3128").unwrap();
        let (r, _) = h1::parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n")
            .unwrap()
            .unwrap();
        let d = judge_status(&r, b"", &url, "CONNECT a:443", false);
        assert_eq!(d.code, Code::ProxyAuthRequired);
        assert!(d.summary.contains("NTLM, Negotiate"), "{}", d.summary);
        assert!(d.hint.contains("NTLM"), "{}", d.hint);
        let (r, _) = h1::parse_head(
            b"HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nVia: 1.1 p (squid/5.7)\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        let d = judge_status(&r, b"", &url, "CONNECT a:443", false);
        assert_eq!(d.code, Code::ProxyDenied);
        assert!(
            d.summary
                .contains("403 Forbidden, Server: squid/5.7, Via: 1.1 p"),
            "{}",
            d.summary
        );
        assert!(h1::parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert_eq!(authority("::1", 443), "[::1]:443");
    }

    #[test]
    fn basic_credentials_are_percent_decoded() {
        let url = ProxyUrl::parse("http://alice:p%40ss%3Aw%2Frd@p.test:3128").unwrap();
        // base64("alice:p@ss:w/rd")
        assert_eq!(authorization(&url).unwrap(), "Basic YWxpY2U6cEBzczp3L3Jk");
    }
}
