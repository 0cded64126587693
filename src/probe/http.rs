//! The `http` stage: one request/response exchange over the established
//! stream (for ws/wss: the upgrade request), parsed with httparse.
//!
//! `Host` and SNI are the original name, whatever `--connect-to` or
//! `--resolve` did to the address. The response head is read under a size
//! limit, so a hostile server (huge headers, garbage) gets a clear
//! `HTTP_MALFORMED`; slowness is cut by the stage deadline (`HTTP_TIMEOUT`);
//! a connection reset before the reply is `HTTP_RESET`.

use super::{h1, Io, StageResult};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::probe::{ProbeConfig, RequestSpec};
use crate::redact;
use crate::target::Target;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How much of a body is kept for quoting.
const MAX_BODY: usize = 4 * 1024;
/// How long to wait for body bytes once the head is in.
const BODY_WAIT: Duration = Duration::from_millis(1500);

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
    /// The secrets sent, to scrub from what the server says later (a
    /// WebSocket close reason).
    pub secrets: redact::Secrets,
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
        redact::bounded(&folded, max)
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
    /// Writing the request or reading the response head.
    #[error(transparent)]
    H1(#[from] h1::Error),
}

impl HttpError {
    /// The stable diagnosis code: a reset is not a malformed answer, nor
    /// is a deadline.
    pub fn code(&self) -> Code {
        match self {
            HttpError::H1(h1::Error::Reset { .. }) => Code::HttpReset,
            HttpError::H1(h1::Error::Write(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                Code::HttpReset
            }
            HttpError::H1(h1::Error::Timeout { .. }) => Code::HttpTimeout,
            HttpError::H1(_) => Code::HttpMalformed,
        }
    }

    /// The diagnosis, with a hint that fits the failure.
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        match self {
            HttpError::H1(h1::Error::HeadTooLarge { .. }) => d.with_hint(
                "the server (or a proxy in front of it) sends an oversized response head; clients with header limits refuse it too: fix the headers the server sets",
            ),
            HttpError::H1(h1::Error::Empty) => d.with_hint(
                "the server accepted the request and closed without answering: check its logs; a proxy or load balancer may be dropping requests to this backend",
            ),
            HttpError::H1(_) => d,
        }
    }
}

struct Prepared {
    request: h1::Request,
    method: String,
    /// The request target as shown (secret query values masked).
    shown_path: String,
    credential_sent: bool,
    sent_headers: Vec<String>,
    ws_key: Option<String>,
    /// Every secret value sent, to scrub from what the server echoes.
    secrets: redact::Secrets,
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
    mut secrets: redact::Secrets,
) -> Prepared {
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
    let host = target.host_header();
    // Through a proxy, plain requests name the whole URL (absolute-form).
    let mut request = match via {
        Some(_) => h1::Request::absolute(&method, &host, &path),
        None => h1::Request::origin(&method, &path),
    };
    request.header("Host", &host);
    let mut sent_headers = Vec::new();
    if let Some(auth) = via.and_then(|v| v.authorization.as_ref()) {
        request.header("Proxy-Authorization", auth);
        sent_headers.push(format!("Proxy-Authorization: {}", redact::MASK));
        secrets.add(auth);
    }
    let user_set = |n: &str| {
        spec.headers
            .iter()
            .chain(&spec.plain_headers)
            .any(|(h, _)| h.eq_ignore_ascii_case(n))
    };
    if !user_set("user-agent") {
        request.header("User-Agent", USER_AGENT);
    }
    if !user_set("accept") {
        request.header("Accept", "*/*");
    }
    let ws_key = target
        .scheme
        .is_websocket()
        .then(tokio_tungstenite::tungstenite::handshake::client::generate_key);
    if let Some(key) = &ws_key {
        request
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", key);
    } else {
        request.header("Connection", "close");
    }
    for (name, value) in &spec.plain_headers {
        request.header(name, value);
        sent_headers.push(format!("{name}: {}", redact::bounded(value, 80)));
    }
    let credential_sent = send_credentials
        && add_credentials(&mut request, target, spec, &mut sent_headers, &mut secrets);
    if let Some(body) = &spec.body {
        // The body is a secret in echoes (a prompt, a form with a password).
        secrets.add_body(body);
        if !user_set("content-type") {
            request.header("Content-Type", "application/x-www-form-urlencoded");
        }
        request.body(body);
    }
    Prepared {
        request,
        method,
        shown_path: redact::request_target(&target.url, Some(redact::MASK)),
        credential_sent,
        sent_headers,
        ws_key,
        secrets,
    }
}

/// Adds the credentials (URL user, `-H` headers) to `request`: whether
/// any is sent (a secret query parameter counts too).
fn add_credentials(
    request: &mut h1::Request,
    target: &Target,
    spec: &RequestSpec,
    sent_headers: &mut Vec<String>,
    secrets: &mut redact::Secrets,
) -> bool {
    let mut credential_sent = false;
    let user = target.url.username();
    if !user.is_empty() {
        let (user, pass) = (
            crate::proxy::url::percent_decode(user),
            crate::proxy::url::percent_decode(target.url.password().unwrap_or("")),
        );
        let token = base64(format!("{user}:{pass}").as_bytes());
        request.header("Authorization", &format!("Basic {token}"));
        sent_headers.push(format!("Authorization: {}", redact::MASK));
        secrets.add_userinfo(&user, Some(&pass));
        credential_sent = true;
    }
    for (name, value) in &spec.headers {
        request.header(name, value);
        sent_headers.push(format!("{name}: {}", redact::MASK));
        secrets.add_header_value(value);
        // Every -H header counts as a credential (DESIGN).
        credential_sent = true;
    }
    for (k, v) in target.url.query_pairs() {
        if redact::is_secret_param(&k) {
            secrets.add(&v);
            credential_sent = true;
        }
    }
    credential_sent
}

/// The secrets of a target's run that are not in its request: the
/// credentials of every proxy URL the run knows (a proxy or server may echo
/// `Proxy-Authorization`, a lone proxy user is often a token). The request's
/// own are added as it is built. The stream and websocket stages may start
/// from these too.
pub fn run_secrets(cfg: &ProbeConfig) -> redact::Secrets {
    let mut secrets = redact::Secrets::default();
    cfg.proxy.add_secrets(&mut secrets);
    secrets
}

fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// What netdoctor calls itself.
pub(super) const USER_AGENT: &str = concat!("netdoctor/", env!("CARGO_PKG_VERSION"));

/// Reads what the server sends of the body (at most [`MAX_BODY`] bytes)
/// within `until`; slowness or a broken body here never fails the stage
/// (the response head is what counts).
async fn read_body(
    stream: &mut Box<dyn Io>,
    rest: Vec<u8>,
    head: &h1::Head,
    method: &str,
    until: Instant,
) -> Vec<u8> {
    let mut body = Vec::new();
    let _ = h1::BodyReader::new(head.framing(method), rest, MAX_BODY)
        .read_to_end(stream, Some(until), &mut body)
        .await;
    body
}

/// The http stage's facts, as the report shows them (fields in the JSON's
/// alphabetical order; the reply's fields are absent when no head came).
#[derive(Debug, Clone, Serialize)]
pub struct HttpFacts {
    /// The start of the reply's body (at most 512 bytes; an issued token is
    /// described, never shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub credential_sent: bool,
    /// Present (`true`) when credentials were given but not sent: the chain
    /// is not trusted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub credentials_withheld: bool,
    /// The response headers worth reporting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<ResponseHeaders>,
    pub host_header: String,
    pub method: String,
    /// The request target as shown (secret query values masked).
    pub path: String,
    /// The preset's note on the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The headers sent that are worth showing (credentials masked).
    pub request_headers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Which token a preset's request carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'static str>,
    /// From the request written to the response head read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttfb_ms: Option<f64>,
    /// `HTTP/1.x`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The response headers the report shows (the first value of each), by
/// their lower-case names in alphabetical order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResponseHeaders {
    #[serde(rename = "apim-request-id", skip_serializing_if = "Option::is_none")]
    pub apim_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(rename = "content-type", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Redacted as the target URL is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(rename = "retry-after", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    #[serde(
        rename = "sec-websocket-protocol",
        skip_serializing_if = "Option::is_none"
    )]
    pub sec_websocket_protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(rename = "www-authenticate", skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    #[serde(rename = "x-ms-request-id", skip_serializing_if = "Option::is_none")]
    pub x_ms_request_id: Option<String>,
    #[serde(rename = "x-request-id", skip_serializing_if = "Option::is_none")]
    pub x_request_id: Option<String>,
}

impl ResponseHeaders {
    /// The field of a header worth reporting (by its lower-case name).
    fn slot(&mut self, lower: &str) -> Option<&mut Option<String>> {
        Some(match lower {
            "server" => &mut self.server,
            "via" => &mut self.via,
            "content-type" => &mut self.content_type,
            "location" => &mut self.location,
            "www-authenticate" => &mut self.www_authenticate,
            "retry-after" => &mut self.retry_after,
            "date" => &mut self.date,
            "upgrade" => &mut self.upgrade,
            "connection" => &mut self.connection,
            "sec-websocket-protocol" => &mut self.sec_websocket_protocol,
            "x-request-id" => &mut self.x_request_id,
            "x-ms-request-id" => &mut self.x_ms_request_id,
            "apim-request-id" => &mut self.apim_request_id,
            _ => return None,
        })
    }

    /// The headers of `head` worth reporting, the first of each name.
    fn of(head: &h1::Head, target: &Target) -> Self {
        let mut shown = ResponseHeaders::default();
        for (n, v) in &head.headers {
            let lower = n.to_ascii_lowercase();
            if let Some(slot @ None) = shown.slot(&lower) {
                *slot = Some(if lower == "location" {
                    redact::location(&target.url, v)
                } else {
                    v.clone()
                });
            }
        }
        shown
    }
}

/// The request as the preset's token leaves it: the issued token replaces
/// the key (as `SpeechConfig(auth_token=…)` does), or no credential when the
/// token service gave none.
fn with_token<'a>(
    request: &'a RequestSpec,
    token: Option<&Option<String>>,
) -> std::borrow::Cow<'a, RequestSpec> {
    use std::borrow::Cow;
    match token {
        Some(Some(t)) => Cow::Owned(RequestSpec {
            headers: vec![("Authorization".to_owned(), format!("Bearer {t}"))],
            ..request.clone()
        }),
        Some(None) => Cow::Owned(RequestSpec {
            headers: Vec::new(),
            ..request.clone()
        }),
        None => Cow::Borrowed(request),
    }
}

/// Whether credentials were given that an untrusted chain keeps back.
fn withheld(target: &Target, cfg: &ProbeConfig, send_credentials: bool) -> bool {
    !send_credentials
        && (!cfg.request.headers.is_empty()
            || !target.url.username().is_empty()
            || target
                .url
                .query_pairs()
                .any(|(k, _)| redact::is_secret_param(&k)))
}

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
    let spec = with_token(&cfg.request, token.as_ref());
    let req = build_request(target, &spec, send_credentials, via, run_secrets(cfg));
    let withheld = withheld(target, cfg, send_credentials);
    let mut facts = HttpFacts {
        body: None,
        credential_sent: req.credential_sent,
        credentials_withheld: withheld,
        headers: None,
        host_header: target.host_header(),
        method: req.method.clone(),
        path: req.shown_path.clone(),
        preset: None,
        reason: None,
        request_headers: req.sent_headers.clone(),
        status: None,
        token: None,
        ttfb_ms: None,
        version: None,
    };
    let started = Instant::now();
    let (mut head, rest) = match send(&mut stream, &req.request).await {
        Ok(x) => x,
        Err(err) => return StageResult::fail(err.diagnosis(), facts),
    };
    // Everything quoted of the reply goes through the secrets' scrub.
    for (_, v) in &mut head.headers {
        *v = req.secrets.scrub(v);
    }
    head.reason = req.secrets.scrub(&head.reason);
    facts.ttfb_ms = Some(crate::duration::millis(started.elapsed()));
    let upgrading = req.ws_key.is_some() && head.status == 101;
    let (body, leftover) = if upgrading {
        (Vec::new(), rest)
    } else {
        let until = (Instant::now() + BODY_WAIT).min(deadline);
        let raw = read_body(&mut stream, rest, &head, &req.method, until).await;
        let body = req
            .secrets
            .scrub(&String::from_utf8_lossy(&raw))
            .into_bytes();
        (body, Vec::new())
    };
    facts.status = Some(head.status);
    facts.reason = Some(head.reason.clone());
    facts.version = Some(format!("HTTP/1.{}", head.version));
    facts.headers = Some(ResponseHeaders::of(&head, target));
    body_facts(&mut facts, cfg, token.as_ref(), head.status, &body);
    let summary = format!(
        "{} {} → {} {}",
        req.method,
        redact::bounded(&req.shown_path, 80),
        head.status,
        redact::bounded(&head.reason, 60)
    );
    let exchange = Exchange {
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        body,
        credential_sent: req.credential_sent,
        credentials_withheld: withheld,
        ws_key: req.ws_key,
        stream,
        leftover,
        secrets: req.secrets,
    };
    judge(exchange, summary, facts, target, cfg)
}

/// Writes the request and reads the response head.
async fn send(
    stream: &mut Box<dyn Io>,
    request: &h1::Request,
) -> Result<(h1::Head, Vec<u8>), HttpError> {
    h1::send(stream, request).await?;
    Ok(h1::read_head(stream, None).await?)
}

/// The start of a body as quoted in the facts.
fn body_start(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned()
}

/// The facts of the body and of the preset's token (the one sent, or the
/// one this body issues).
fn body_facts(
    facts: &mut HttpFacts,
    cfg: &ProbeConfig,
    token: Option<&Option<String>>,
    status: u16,
    body: &[u8],
) {
    if let Some(t) = token {
        facts.token = Some(if t.is_some() {
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
        let token = String::from_utf8_lossy(body).trim().to_owned();
        if (200..300).contains(&status) && !token.is_empty() {
            facts.body = Some(format!("(a token, {} bytes)", token.len()));
            slot.set(Some(token));
        } else {
            if !body.is_empty() {
                facts.body = Some(body_start(body));
            }
            slot.set(None);
        }
    } else if !body.is_empty() {
        facts.body = Some(body_start(body));
    }
}

/// The stage's result: the preset's judgement or the http verdict.
fn judge(
    exchange: Exchange,
    mut summary: String,
    mut facts: HttpFacts,
    target: &Target,
    cfg: &ProbeConfig,
) -> StageResult<Exchange> {
    let judged = match cfg.profile.as_ref() {
        Some(profile) if cfg.expect_status.is_none() => {
            profile.judge_http(exchange.status, &exchange.body)
        }
        _ => None,
    };
    let verdict = match judged {
        Some((d, note)) => {
            if let Some(note) = note {
                summary.push_str(": ");
                summary.push_str(&note);
                facts.preset = Some(note);
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
    fn userinfo_is_percent_decoded_and_a_plus_stays() {
        let decode = crate::proxy::url::percent_decode;
        assert_eq!(decode("p%40ss+word%3A1"), "p@ss+word:1");
        assert_eq!(decode("%ZZ"), "%ZZ");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
