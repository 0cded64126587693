//! The `http` stage: one request/response exchange over the established
//! stream (for ws/wss: the upgrade request), parsed with httparse.
//!
//! `Host` and SNI are the original name, whatever `--connect-to` or
//! `--resolve` did to the address. The response head is read under a size
//! limit, so a hostile server (huge headers, garbage) gets a clear
//! `HTTP_MALFORMED`; slowness is cut by the stage deadline (`HTTP_TIMEOUT`).

use super::{Io, StageResult};
use super::{ProbeConfig, RequestSpec};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::redact;
use crate::target::Target;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The most response headers accepted (the 64 KiB head limit binds first).
const MAX_HEADERS: usize = 4096;
/// How much of a body is kept for quoting.
const MAX_BODY: usize = 4 * 1024;
/// How long to wait for body bytes once the head is in.
const BODY_WAIT: Duration = Duration::from_millis(1500);

/// Header names whose values are credentials.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "api-key",
    "x-api-key",
    "ocp-apim-subscription-key",
    "cookie",
    "x-goog-api-key",
];

/// Whether a header carries a credential (by name).
pub fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&n.as_str()) || n.contains("token") || n.ends_with("-key")
}

/// What the exchange produced, for the auth and websocket stages.
pub struct Exchange {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub credential_sent: bool,
    pub credentials_withheld: bool,
    /// For upgrades: the key sent, the stream and the bytes read past the head.
    pub ws_key: Option<String>,
    pub stream: Box<dyn Io>,
    pub leftover: Vec<u8>,
}

impl Exchange {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as text for quoting, escaped and cut.
    pub fn body_text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
        redact::terminal_safe(&folded, max)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Why the exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    #[error("sending the request failed: {0}")]
    Write(std::io::Error),
    #[error("reading the response failed after {received} byte(s): {source}")]
    Read {
        received: usize,
        source: std::io::Error,
    },
    #[error("the server closed the connection without a response")]
    Empty,
    #[error(
        "the server closed the connection after {0} byte(s), before the response head was complete"
    )]
    Truncated(usize),
    #[error("the response head is larger than {} KiB", MAX_HEAD / 1024)]
    TooLarge,
    #[error("the response is not HTTP/1.x: {reason} (first bytes: \"{first}\")")]
    Malformed { reason: String, first: String },
}

impl HttpError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        Code::HttpMalformed
    }

    /// The diagnosis, with a hint that fits the failure.
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        match self {
            HttpError::TooLarge => d.with_hint(
                "the server (or a proxy in front of it) sends an oversized response head; clients with header limits refuse it too: fix the headers the server sets",
            ),
            HttpError::Empty => d.with_hint(
                "the server accepted the request and closed without answering: check its logs; a proxy or load balancer may be dropping requests to this backend",
            ),
            _ => d,
        }
    }
}

struct Request {
    bytes: Vec<u8>,
    method: String,
    /// The request target as shown (secret query values masked).
    shown_path: String,
    credential_sent: bool,
    sent_headers: Vec<String>,
    ws_key: Option<String>,
    /// Every secret value sent, to scrub from what the server echoes.
    secrets: Vec<String>,
}

/// A plain http/ws request sent to a proxy: absolute-form, with the proxy's
/// credentials.
#[derive(Debug, Clone, Default)]
pub struct ViaProxy {
    /// The `Proxy-Authorization` value, if the proxy URL has credentials.
    pub authorization: Option<String>,
}

fn build_request(
    target: &Target,
    spec: &RequestSpec,
    send_credentials: bool,
    via: Option<&ViaProxy>,
) -> Request {
    let method = spec
        .method
        .clone()
        .unwrap_or_else(|| if spec.body.is_some() { "POST" } else { "GET" }.to_owned());
    // Over an unverified chain, secret query parameters are not sent at all.
    let path = if send_credentials {
        target.request_path()
    } else {
        redact::request_target(&target.url, None)
    };
    // Through a proxy, plain requests name the whole URL (absolute-form).
    let path = match via {
        Some(_) => format!("http://{}{path}", target.host_header()),
        None => path,
    };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\n",
        target.host_header()
    );
    let mut sent_headers = Vec::new();
    let mut secrets = Vec::new();
    if let Some(auth) = via.and_then(|v| v.authorization.as_ref()) {
        head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        sent_headers.push(format!("Proxy-Authorization: {}", redact::MASK));
        secrets.push(auth.clone());
    }
    let user_set = |n: &str| {
        spec.headers
            .iter()
            .chain(&spec.plain_headers)
            .any(|(h, _)| h.eq_ignore_ascii_case(n))
    };
    if !user_set("user-agent") {
        head.push_str(concat!(
            "User-Agent: netdoctor/",
            env!("CARGO_PKG_VERSION"),
            "\r\n"
        ));
    }
    if !user_set("accept") {
        head.push_str("Accept: */*\r\n");
    }
    let ws_key = target
        .scheme
        .is_websocket()
        .then(tokio_tungstenite::tungstenite::handshake::client::generate_key);
    if let Some(key) = &ws_key {
        head.push_str("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        head.push_str(&format!("Sec-WebSocket-Key: {key}\r\n"));
    } else {
        head.push_str("Connection: close\r\n");
    }
    for (name, value) in &spec.plain_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
        sent_headers.push(format!("{name}: {}", redact::terminal_safe(value, 80)));
    }
    let mut credential_sent = false;
    if send_credentials {
        let user = target.url.username();
        if !user.is_empty() {
            let (user, pass) = (
                percent_decode(user),
                percent_decode(target.url.password().unwrap_or("")),
            );
            let token = base64(format!("{user}:{pass}").as_bytes());
            head.push_str(&format!("Authorization: Basic {token}\r\n"));
            sent_headers.push(format!("Authorization: {}", redact::MASK));
            secrets.extend([token, user, pass]);
            credential_sent = true;
        }
        for (name, value) in &spec.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
            sent_headers.push(format!("{name}: {}", redact::MASK));
            secrets.push(value.clone());
            // Every -H header counts as a credential (DESIGN).
            credential_sent = true;
        }
        for (k, v) in target.url.query_pairs() {
            if redact::is_secret_param(&k) {
                secrets.push(v.into_owned());
                credential_sent = true;
            }
        }
    }
    if let Some(body) = &spec.body {
        if !user_set("content-type") {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if let Some(body) = &spec.body {
        bytes.extend_from_slice(body);
    }
    Request {
        bytes,
        method,
        shown_path: redact::request_target(&target.url, Some(redact::MASK)),
        credential_sent,
        sent_headers,
        ws_key,
        secrets,
    }
}

/// Replaces every secret we sent that the server echoes back.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s.as_str(), redact::MASK);
    }
    out
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

pub(super) struct Head {
    pub(super) status: u16,
    pub(super) reason: String,
    version: u8,
    pub(super) headers: Vec<(String, String)>,
    len: usize,
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, HttpError> {
    match parse_head_with(buf, 128) {
        Err(httparse::Error::TooManyHeaders) => parse_head_with(buf, MAX_HEADERS),
        other => other,
    }
    .map_err(|e| HttpError::Malformed {
        reason: e.to_string(),
        first: redact::terminal_safe(&String::from_utf8_lossy(&buf[..buf.len().min(40)]), 40),
    })
}

fn parse_head_with(buf: &[u8], max_headers: usize) -> Result<Option<Head>, httparse::Error> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
    let mut resp = httparse::Response::new(&mut storage);
    match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(Head {
            status: resp.code.unwrap_or(0),
            reason: resp.reason.unwrap_or("").to_owned(),
            version: resp.version.unwrap_or(1),
            headers: resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            len,
        })),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) async fn read_head(stream: &mut Box<dyn Io>) -> Result<(Head, Vec<u8>), HttpError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|source| HttpError::Read {
                received: buf.len(),
                source,
            })?;
        if n == 0 {
            return Err(if buf.is_empty() {
                HttpError::Empty
            } else {
                HttpError::Truncated(buf.len())
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Some(head) = parse_head(&buf)? {
            let rest = buf.split_off(head.len);
            // Interim responses (100 Continue, 103 Early Hints) precede the real one.
            if (100..200).contains(&head.status) && head.status != 101 {
                buf = rest;
                continue;
            }
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(HttpError::TooLarge);
        }
    }
}

/// Reads what the server sends of the body within `until`; slowness here
/// never fails the stage (the response head is what counts).
async fn read_body(
    stream: &mut Box<dyn Io>,
    mut body: Vec<u8>,
    headers: &[(String, String)],
    until: Instant,
) -> Vec<u8> {
    let want = header(headers, "content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(MAX_BODY)
        .min(MAX_BODY);
    let mut chunk = [0u8; 2048];
    while body.len() < want {
        match tokio::time::timeout_at(until.into(), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    body.truncate(MAX_BODY);
    if header(headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk_first(&body);
    }
    body
}

/// The first chunk's data of a chunked body (enough to quote an error).
fn dechunk_first(body: &[u8]) -> Vec<u8> {
    let Some(pos) = body.windows(2).position(|w| w == b"\r\n") else {
        return body.to_vec();
    };
    let size = std::str::from_utf8(&body[..pos])
        .ok()
        .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
    match size {
        Some(n) => body[pos + 2..].iter().take(n).copied().collect(),
        None => body.to_vec(),
    }
}

/// Headers worth reporting.
const INTERESTING: &[&str] = &[
    "server",
    "via",
    "content-type",
    "location",
    "www-authenticate",
    "retry-after",
    "date",
    "upgrade",
    "connection",
    "sec-websocket-protocol",
    "x-request-id",
    "x-ms-request-id",
    "apim-request-id",
];

/// Runs the exchange.
pub async fn stage(
    mut stream: Box<dyn Io>,
    target: &Target,
    cfg: &ProbeConfig,
    send_credentials: bool,
    via: Option<&ViaProxy>,
    deadline: Instant,
) -> StageResult<Exchange> {
    let token = match cfg.profile.as_ref().and_then(|p| p.token()) {
        Some(slot) if !slot.issues => Some(slot.wait(deadline).await),
        _ => None,
    };
    let spec = match &token {
        // The issued token replaces the key, as `SpeechConfig(auth_token=…)` does.
        Some(Some(t)) => std::borrow::Cow::Owned(RequestSpec {
            headers: vec![("Authorization".to_owned(), format!("Bearer {t}"))],
            ..cfg.request.clone()
        }),
        Some(None) => std::borrow::Cow::Owned(RequestSpec {
            headers: Vec::new(),
            ..cfg.request.clone()
        }),
        None => std::borrow::Cow::Borrowed(&cfg.request),
    };
    let req = build_request(target, &spec, send_credentials, via);
    let mut facts = json!({
        "method": req.method,
        "path": req.shown_path,
        "host_header": target.host_header(),
        "request_headers": req.sent_headers,
        "credential_sent": req.credential_sent,
    });
    let withheld = !send_credentials
        && (!cfg.request.headers.is_empty()
            || !target.url.username().is_empty()
            || target
                .url
                .query_pairs()
                .any(|(k, _)| redact::is_secret_param(&k)));
    if withheld {
        facts["credentials_withheld"] = json!(true);
    }
    let started = Instant::now();
    if let Err(e) = stream.write_all(&req.bytes).await.and(stream.flush().await) {
        return StageResult::fail(HttpError::Write(e).diagnosis(), facts);
    }
    let (mut head, rest) = match read_head(&mut stream).await {
        Ok(x) => x,
        Err(err) => return StageResult::fail(err.diagnosis(), facts),
    };
    for (_, v) in &mut head.headers {
        *v = scrub(v, &req.secrets);
    }
    facts["ttfb_ms"] = json!(crate::duration::millis(started.elapsed()));
    let upgrading = req.ws_key.is_some() && head.status == 101;
    let (body, leftover) = if upgrading {
        (Vec::new(), rest)
    } else {
        (
            {
                let until = (Instant::now() + BODY_WAIT).min(deadline);
                let raw = read_body(&mut stream, rest, &head.headers, until).await;
                scrub(&String::from_utf8_lossy(&raw), &req.secrets).into_bytes()
            },
            Vec::new(),
        )
    };
    facts["status"] = json!(head.status);
    facts["reason"] = json!(head.reason);
    facts["version"] = json!(format!("HTTP/1.{}", head.version));
    let mut shown = serde_json::Map::new();
    for (n, v) in &head.headers {
        let lower = n.to_ascii_lowercase();
        if INTERESTING.contains(&lower.as_str()) && !shown.contains_key(&lower) {
            let value = if lower == "location" {
                redact::location(&target.url, v)
            } else {
                v.clone()
            };
            shown.insert(lower, json!(value));
        }
    }
    facts["headers"] = json!(shown);
    if let Some(t) = &token {
        facts["token"] = json!(if t.is_some() {
            "the issued token (Authorization: Bearer)"
        } else {
            "none: the token service gave no token (see token)"
        });
    }
    let issued = cfg
        .profile
        .as_ref()
        .and_then(|p| p.token())
        .filter(|slot| slot.issues);
    if let Some(slot) = issued {
        // The body is the token itself: a secret, never shown.
        let token = String::from_utf8_lossy(&body).trim().to_owned();
        if (200..300).contains(&head.status) && !token.is_empty() {
            facts["body"] = json!(format!("(a token, {} bytes)", token.len()));
            slot.set(Some(token));
        } else {
            if !body.is_empty() {
                facts["body"] = json!(String::from_utf8_lossy(&body[..body.len().min(512)]));
            }
            slot.set(None);
        }
    } else if !body.is_empty() {
        facts["body"] = json!(String::from_utf8_lossy(&body[..body.len().min(512)]));
    }
    let exchange = Exchange {
        status: head.status,
        reason: head.reason.clone(),
        headers: head.headers,
        body,
        credential_sent: req.credential_sent,
        credentials_withheld: withheld,
        ws_key: req.ws_key,
        stream,
        leftover,
    };
    let mut summary = format!(
        "{} {} → {} {}",
        req.method,
        redact::terminal_safe(&req.shown_path, 80),
        head.status,
        redact::terminal_safe(&head.reason, 60)
    );
    let judged = match cfg.profile.as_ref() {
        Some(profile) if cfg.expect_status.is_none() => {
            profile.judge_http(exchange.status, &exchange.body)
        }
        _ => None,
    };
    let verdict = match judged {
        Some((d, note)) => {
            if let Some(note) = note {
                summary.push_str(&format!(": {note}"));
                facts["preset"] = json!(note);
            }
            d
        }
        None => verdict(&exchange, target, cfg.expect_status),
    };
    match verdict {
        Some(d) if d.status == Status::Fail => StageResult::fail(d, facts),
        Some(d) => StageResult::warn(d, summary, facts, exchange),
        None => StageResult::pass(summary, facts, exchange),
    }
}

/// The http verdict (DESIGN "HTTP, auth and WebSocket verdicts").
fn verdict(ex: &Exchange, target: &Target, expect: Option<u16>) -> Option<Diagnosis> {
    let status = ex.status;
    let quoted = quote_body(ex);
    if let Some(want) = expect {
        if status != want {
            return Some(
                Diagnosis::new(
                    Code::HttpStatus,
                    format!("expected status {want}, got {status}{quoted}"),
                )
                .with_status(Status::Fail),
            );
        }
        return None;
    }
    if target.scheme.is_websocket() || matches!(status, 401 | 403) {
        return None;
    }
    Some(match status {
        200..=299 => return None,
        300..=399 => Diagnosis::new(
            Code::HttpRedirect,
            format!(
                "{status} redirect to {}",
                ex.header("location")
                    .map_or("(no Location)".to_owned(), |l| redact::location(
                        &target.url,
                        l
                    ))
            ),
        ),
        404 => Diagnosis::new(
            Code::HttpNotFound,
            format!("404 Not Found: nothing at this path{quoted}"),
        ),
        429 => Diagnosis::new(
            Code::HttpRateLimited,
            format!(
                "429 Too Many Requests{}{quoted}",
                ex.header("retry-after")
                    .map(|r| format!(" (Retry-After: {r})"))
                    .unwrap_or_default()
            ),
        ),
        500..=599 => Diagnosis::new(
            Code::HttpServerError,
            format!("the server answered {status}{quoted}"),
        ),
        _ => Diagnosis::new(
            Code::HttpStatus,
            format!("the server answered {status}{quoted}"),
        ),
    })
}

/// `: "<body>"` for summaries, or nothing when there is no body.
pub fn quote_body(ex: &Exchange) -> String {
    let text = ex.body_text(160);
    if text.is_empty() {
        String::new()
    } else {
        format!(": \"{text}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn head_parsing() {
        let h = parse_head(b"HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\nbody")
            .unwrap()
            .unwrap();
        assert_eq!((h.status, h.len), (404, 37));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
        assert!(parse_head(b"\x00\x01garbage\r\n\r\n").is_err());
    }

    #[test]
    fn credential_headers() {
        assert!(is_credential_header("Authorization"));
        assert!(is_credential_header("Ocp-Apim-Subscription-Key"));
        assert!(!is_credential_header("Accept"));
    }

    #[test]
    fn chunked_first_chunk() {
        assert_eq!(dechunk_first(b"5\r\nhello\r\n0\r\n\r\n"), b"hello");
    }
}
