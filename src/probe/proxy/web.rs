//! A CONNECT answered by a web server, not a proxy.
//!
//! `HTTPS_PROXY=http://host:443` pointing at a web server: nginx, Apache and
//! their kind answer `CONNECT` with an HTML `400`, `405` or `501` page and
//! none of the headers a proxy adds (`Proxy-Authenticate`, `Proxy-Status`,
//! `Via`, `X-Squid-Error`, `Proxy-Agent`). Read as a refusal, that sends the
//! user to the proxy's owners ("a policy or allow-list"); it is a wrong
//! address instead. [`is_web_reply`] recognises the reply; [`client_hello`]
//! then asks the same address for a TLS handshake on a fresh connection, so
//! that a TLS port used as a plain proxy (`PROXY_PLAINTEXT_TO_TLS`) is told
//! from a port that is simply not a proxy (`PROXY_NOT_A_PROXY`).

use crate::probe::{h1, tls, Facts};
use crate::redact;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::TcpStream;

/// The statuses a web server answers `CONNECT` with.
const WEB_STATUSES: [u16; 3] = [400, 405, 501];

/// Headers only a proxy (or a gateway acting as one) adds to its replies.
const PROXY_HEADERS: [&str; 5] = [
    "proxy-authenticate",
    "proxy-status",
    "via",
    "x-squid-error",
    "proxy-agent",
];

/// Whether a non-2xx reply to CONNECT is a web server's error page: a 400,
/// 405 or 501 with an HTML body (or `Content-Type: text/html`) and no header
/// a proxy adds.
pub(super) fn is_web_reply(reply: &h1::Head, body: &[u8]) -> bool {
    if !WEB_STATUSES.contains(&reply.status) {
        return false;
    }
    if PROXY_HEADERS.iter().any(|h| reply.header(h).is_some()) {
        return false;
    }
    let html_type = reply
        .header("content-type")
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    html_type || looks_like_html(body)
}

/// Whether `body` starts (after white space) with an HTML tag.
fn looks_like_html(body: &[u8]) -> bool {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(rest) = start.map(|i| &body[i..]) else {
        return false;
    };
    let head: Vec<u8> = rest.iter().take(9).map(u8::to_ascii_lowercase).collect();
    head.starts_with(b"<html") || head.starts_with(b"<!doctype") || head.starts_with(b"<head")
}

/// What the address said to a TLS ClientHello on a fresh connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HelloAnswer {
    /// A TLS handshake or a TLS alert: the port speaks TLS (`version`, when
    /// the handshake completed).
    Tls { version: Option<String> },
    /// Plain HTTP (its first line).
    Plaintext { first_line: String },
    /// No TLS answer: closed, reset, silent, or not reachable again
    /// (`what` says which).
    Nothing { what: String },
}

impl HelloAnswer {
    /// The answer as the facts show it (`client_hello`).
    pub(super) fn fact(&self) -> String {
        match self {
            HelloAnswer::Tls { version: Some(v) } => format!("a TLS handshake ({v})"),
            HelloAnswer::Tls { version: None } => "a TLS alert".to_owned(),
            HelloAnswer::Plaintext { first_line } => format!("plain HTTP: \"{first_line}\""),
            HelloAnswer::Nothing { what } => what.clone(),
        }
    }
}

/// Sends a ClientHello (SNI `host`) to `addr` on a fresh connection and
/// says what came back, by `deadline`. The session, if any, is dropped at
/// once: nothing is sent over it.
pub(super) async fn client_hello(addr: SocketAddr, host: &str, deadline: Instant) -> HelloAnswer {
    let work = async {
        let stream = match TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => {
                return HelloAnswer::Nothing {
                    what: format!("no second connection ({e})"),
                }
            }
        };
        judge_hello(tls::stage(stream, host).await)
    };
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(answer) => answer,
        Err(_) => HelloAnswer::Nothing {
            what: "no answer to a ClientHello in time".to_owned(),
        },
    }
}

/// Reads the handshake's outcome as an answer.
fn judge_hello<T>(hs: crate::probe::StageResult<T>) -> HelloAnswer {
    use crate::diagnosis::Code;
    let facts = match hs.facts {
        Facts::Tls(f) => Some(f),
        _ => None,
    };
    let version = facts.as_ref().and_then(|f| f.version.clone());
    let first = facts.and_then(|f| f.first_bytes).unwrap_or_default();
    if hs.product.is_some() {
        return HelloAnswer::Tls { version };
    }
    match hs.diagnosis.map(|d| d.code) {
        Some(Code::TlsPlaintextResponse) => HelloAnswer::Plaintext {
            first_line: redact::bounded(first.split("\\r\\n").next().unwrap_or(""), 60),
        },
        Some(Code::TlsReset) => HelloAnswer::Nothing {
            what: "the connection was reset".to_owned(),
        },
        Some(Code::TlsUnexpectedEof) => HelloAnswer::Nothing {
            what: "the connection was closed".to_owned(),
        },
        Some(Code::TlsTimeout) | None => HelloAnswer::Nothing {
            what: "no answer to a ClientHello".to_owned(),
        },
        // An alert or a version refusal: a TLS server's answer.
        Some(_) => HelloAnswer::Tls { version },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &[u8]) -> h1::Head {
        h1::parse_head(raw).unwrap().unwrap().0
    }

    #[test]
    fn nginx_error_pages_are_web_replies() {
        let nginx = head(b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 157\r\nConnection: close\r\n\r\n");
        assert!(is_web_reply(
            &nginx,
            b"<html>\r\n<head><title>400 Bad Request</title></head>"
        ));
        assert!(is_web_reply(&nginx, b""), "the content type alone says it");
        let untyped = head(b"HTTP/1.1 405 Not Allowed\r\n\r\n");
        assert!(is_web_reply(&untyped, b"  <!DOCTYPE html><html>"));
        assert!(!is_web_reply(&untyped, b"method not allowed"));
    }

    #[test]
    fn proxies_and_other_statuses_are_not() {
        let squid = head(b"HTTP/1.1 400 Bad Request\r\nServer: squid/5.7\r\nContent-Type: text/html\r\nX-Squid-Error: ERR_INVALID_REQ 0\r\n\r\n");
        assert!(!is_web_reply(&squid, b"<html>"));
        let via = head(b"HTTP/1.1 501 Not Implemented\r\nVia: 1.1 corp-proxy\r\nContent-Type: text/html\r\n\r\n");
        assert!(!is_web_reply(&via, b"<html>"));
        let denied = head(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n");
        assert!(!is_web_reply(&denied, b"<html>"), "a 403 is a refusal");
    }
}
