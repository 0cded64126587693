//! `netdoctor explain TEXT|-`: which layers can cause an error message a
//! client printed, most likely first, and the netdoctor command that tells
//! them apart.
//!
//! Pure: text in, an [`Explanation`] out; rendering is `report::explain`.
//!
//! One catalogue: every code's `client_errors` (`diagnosis.rs`) are searched,
//! line by line, with the same rule the client tests use (the literal pieces
//! of a string in order, each `<placeholder>` standing for at least one
//! character, Python's ` (_ssl.c:NNNN)` suffix ignored). Beside them,
//! [`RULES`] holds what is not (yet) the `client_errors` of one code: bare
//! tokens (`ECONNREFUSED`, `curl: (60)`), wrappers that hide their cause
//! (`APIConnectionError: Connection error.`), and strings that several
//! layers print (the Speech SDK's `code=2859`), each with its causes in order
//! of likelihood.
//!
//! Ranking: a more specific match (more literal characters) comes first, and
//! hides a less specific one whose text it contains (`self-signed certificate
//! in certificate chain` hides `self-signed certificate`); at equal
//! specificity a rule comes before the catalogue (a rule that copies a
//! catalogue string exists to order its causes), and catalogue codes whose
//! default severity is `fail` before `warn` ones. A wrapper rule
//! (`generic`) only counts when nothing more specific is left anywhere in
//! the text: in a traceback the underlying error wins.

use crate::diagnosis::{Code, Layer, Status};
use serde::Serialize;
use url::Url;

/// How much of stdin `explain -` reads (1 MiB); the rest is ignored.
pub const MAX_INPUT: usize = 1 << 20;

/// One way the pasted text can arise.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The diagnosis code netdoctor reports for this cause.
    pub code: String,
    pub layer: Layer,
    /// What this cause means.
    pub why: String,
    /// The catalogue's fix for the code, when the code is in the catalogue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    /// The netdoctor command that tells this cause from the others.
    pub command: String,
    /// The catalogue or rule string that matched.
    pub pattern: &'static str,
    /// The input line it matched (secrets masked, cut to 300 characters).
    pub evidence: String,
}

/// What `explain` found.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The causes, most likely first; empty when nothing matched.
    pub matches: Vec<Match>,
    /// The command to run next (also for unknown text).
    pub command: String,
    /// Which client printed it, when the text says (`azure-speech`, `openai`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
    /// A note about the service (its preset, its quirks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// A cause a rule names: a code (from the catalogue, or a DESIGN code the
/// catalogue may not carry), its layer and
/// what it means.
#[derive(Debug)]
pub struct Cause {
    pub code: &'static str,
    pub layer: Layer,
    pub why: &'static str,
}

/// An extra pattern: a string and the causes that print it, most likely first.
#[derive(Debug)]
pub struct Rule {
    pub pattern: &'static str,
    pub causes: &'static [&'static Cause],
    /// A wrapper that hides its cause: ignored when anything more specific matched.
    pub generic: bool,
}

macro_rules! cause {
    ($name:ident, $code:literal, $layer:ident, $why:literal) => {
        const $name: Cause = Cause {
            code: $code,
            layer: Layer::$layer,
            why: $why,
        };
    };
}

cause!(NXDOMAIN, "DNS_NXDOMAIN", Dns, "the name does not exist for the container's resolver (a typo, a wrong region, or a private DNS zone this network cannot see)");
cause!(
    DNS_NO_RECORDS,
    "DNS_NO_RECORDS",
    Dns,
    "the name exists but has no address record (a private endpoint's record may be missing)"
);
cause!(DNS_TIMEOUT, "DNS_TIMEOUT", Dns, "the resolver did not answer, or answered SERVFAIL/REFUSED: a temporary failure, not a missing name");
cause!(
    DNS_NO_RESOLVER,
    "DNS_NO_RESOLVER",
    Dns,
    "the container has no working nameserver (no /etc/resolv.conf, or nothing answers on it)"
);
cause!(REFUSED, "TCP_REFUSED", Tcp, "the address answers but nothing listens on that port (wrong port, service down, wrong address)");
cause!(TCP_TIMEOUT, "TCP_TIMEOUT", Tcp, "packets are dropped: a firewall, security group or egress policy blocks the port, or egress must go through a proxy");
cause!(
    UNREACHABLE,
    "TCP_UNREACHABLE",
    Tcp,
    "the container has no route to the address (network mode, default route, IPv6 without a route)"
);
cause!(
    PROXY_UNREACHABLE,
    "PROXY_UNREACHABLE",
    Proxy,
    "the proxy itself cannot be reached (its name, address or port is wrong, or it is down)"
);
cause!(
    PROXY_AUTH,
    "PROXY_AUTH_REQUIRED",
    Proxy,
    "the proxy wants credentials (407) and got none, or wrong ones"
);
cause!(
    PROXY_DENIED,
    "PROXY_DENIED",
    Proxy,
    "the proxy refuses this destination (an allow-list or policy)"
);
cause!(
    PROXY_TLS_TO_PLAIN,
    "PROXY_TLS_TO_PLAINTEXT",
    Proxy,
    "the proxy URL says https:// but the proxy speaks plain HTTP (use http:// in HTTPS_PROXY)"
);
cause!(
    PROXY_PLAIN_TO_TLS,
    "PROXY_PLAINTEXT_TO_TLS",
    Proxy,
    "the proxy URL points at a TLS port (a web server, not a plain HTTP proxy)"
);
cause!(
    PROXY_TLS_UNTRUSTED,
    "PROXY_TLS_UNTRUSTED",
    Proxy,
    "an https:// proxy's own certificate is not trusted"
);
cause!(
    PROXY_TIMEOUT,
    "PROXY_TIMEOUT",
    Proxy,
    "the proxy accepted the connection but did not answer CONNECT in time"
);
cause!(PROXY_IGNORED, "PROXY_IGNORED_BY_CLIENT", Proxy, "egress must go through a proxy, but this client ignores HTTPS_PROXY and connects directly (the Speech SDK needs SpeechConfig.set_proxy(host, port))");
cause!(
    PLAINTEXT,
    "TLS_PLAINTEXT_RESPONSE",
    Tls,
    "the port speaks plain HTTP, not TLS (wrong port, or https:// where http:// is meant)"
);
cause!(
    PROTOCOL_VERSION,
    "TLS_PROTOCOL_VERSION",
    Tls,
    "the server only offers TLS 1.1 or older, which current clients refuse"
);
cause!(HANDSHAKE, "TLS_HANDSHAKE_FAILURE", Tls, "client and server share no protocol version, cipher or key type, or the server wants a client certificate");
cause!(LEGACY_RENEGOTIATION, "TLS_HANDSHAKE_FAILURE", Tls, "the server (or a TLS-inspecting box in front of it) lacks RFC 5746 secure renegotiation, which OpenSSL 3 requires; fix the server, or as a stopgap allow it in the client (Python: ctx.options |= 0x4, OP_LEGACY_SERVER_CONNECT)");
cause!(RESET, "TLS_RESET", Tls, "the connection was reset during the handshake: a firewall or egress filter that rejects the name (SNI), or a proxy is required");
cause!(
    TLS_TIMEOUT,
    "TLS_TIMEOUT",
    Tls,
    "TCP connected but the TLS handshake never completed: something on the path swallows it"
);
cause!(UNEXPECTED_EOF, "TLS_UNEXPECTED_EOF", Tls, "the server or something on the path closed the connection during the handshake: it does not serve this name (SNI), or a filter drops TLS to this host");
cause!(UNKNOWN_ISSUER, "CERT_UNKNOWN_ISSUER", Certificate, "the chain ends in a CA this container does not trust: a private CA, or an image without ca-certificates");
cause!(INTERCEPTED, "CERT_INTERCEPTED", Certificate, "a TLS-inspecting proxy or firewall (Zscaler, Netskope, Fortinet, …) re-signs the connection with its own root, which the container does not trust");
cause!(INCOMPLETE, "CERT_INCOMPLETE_CHAIN", Certificate, "the server sends its certificate without the intermediate CA (browsers hide this, most clients do not)");
cause!(
    SELF_SIGNED,
    "CERT_SELF_SIGNED",
    Certificate,
    "the server presents a self-signed certificate"
);
cause!(
    EXPIRED,
    "CERT_EXPIRED",
    Certificate,
    "the server's certificate has expired (or this container's clock is ahead)"
);
cause!(
    NOT_YET_VALID,
    "CERT_NOT_YET_VALID",
    Certificate,
    "the certificate is not valid yet: this container's clock is probably behind"
);
cause!(HOSTNAME, "CERT_HOSTNAME_MISMATCH", Certificate, "the certificate is for other names than the one the client asked for (a custom domain, a private endpoint, an IP address)");
cause!(NOT_STRICT, "CERT_NOT_STRICT", Certificate, "a CA certificate breaks a rule strict verifiers enforce (Python ≥ 3.13 sets VERIFY_X509_STRICT): Basic Constraints not critical, no Authority Key Identifier; typical of home-made and interception roots: reissue the CA");
cause!(REVOCATION, "CERT_REVOCATION_UNREACHABLE", Certificate, "the chain's CRL (or OCSP) URL cannot be fetched from here, and the client checks revocation: older Speech SDKs (< 1.48.2) download CRLs over plain HTTP port 80 and fail when they cannot");
cause!(
    NO_CA_BUNDLE,
    "ENV_NO_CA_BUNDLE",
    Env,
    "the image has no CA bundle, so not even public CAs are trusted"
);
cause!(
    CERT_FILE_MISSING,
    "ENV_SSL_CERT_FILE_MISSING",
    Env,
    "SSL_CERT_FILE points at a file that does not exist"
);
cause!(
    DIR_NOT_HASHED,
    "ENV_SSL_CERT_DIR_NOT_HASHED",
    Env,
    "SSL_CERT_DIR holds certificates without the <hash>.0 links OpenSSL looks up"
);
cause!(CA_VAR_MISSING, "ENV_CA_VAR_MISSING", Env, "a CA variable (CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS) or --cacert points at a file that does not exist or cannot be read");
cause!(
    CLOCK_SKEW,
    "ENV_CLOCK_SKEW",
    Env,
    "this container's clock is wrong, so valid certificates look expired or not yet valid"
);
cause!(HTTP_EMPTY, "HTTP_MALFORMED", Http, "the server closed the connection without any HTTP reply: an https port spoken to with http://, or a load balancer or proxy that drops the request");
cause!(HTTP_TIMEOUT, "HTTP_TIMEOUT", Http, "the connection works but no response came in time: the server is slow, or a proxy holds the response");
cause!(NOT_FOUND, "HTTP_NOT_FOUND", Http, "the server is reachable but has nothing at this path (a wrong path, deployment name or api-version)");
cause!(
    RATE_LIMITED,
    "HTTP_RATE_LIMITED",
    Http,
    "the service is reachable and throttling (quota or rate limit)"
);
cause!(
    SERVER_ERROR,
    "HTTP_SERVER_ERROR",
    Http,
    "the network path works; the service or a gateway in front of it failed"
);
cause!(AUTH_REJECTED, "AUTH_REJECTED", Auth, "the key was rejected: wrong, rotated, or for another resource or region (Azure keys are region-scoped)");
cause!(
    AUTH_MISSING,
    "AUTH_MISSING_KEY",
    Auth,
    "no key reached the service (an empty variable, or a proxy that strips the header)"
);
cause!(AUTH_FORBIDDEN, "AUTH_FORBIDDEN", Auth, "the key is valid but not allowed here: role assignment, network rules (firewall, private endpoint only)");
cause!(WS_IGNORED, "WS_UPGRADE_IGNORED", Websocket, "the WebSocket upgrade was answered like a plain request: a proxy or gateway dropped the Upgrade header, or the URL is not the WebSocket endpoint");
cause!(WS_REJECTED, "WS_UPGRADE_REJECTED", Websocket, "the server refused the WebSocket upgrade: a wrong path or query, or a reverse proxy that does not forward Upgrade/Connection");

/// What a code means, for catalogue matches (whose entry has only the fix).
const MEANINGS: &[&Cause] = &[
    &NXDOMAIN,
    &DNS_NO_RECORDS,
    &DNS_TIMEOUT,
    &DNS_NO_RESOLVER,
    &REFUSED,
    &TCP_TIMEOUT,
    &UNREACHABLE,
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &PROXY_DENIED,
    &PROXY_TLS_TO_PLAIN,
    &PROXY_PLAIN_TO_TLS,
    &PROXY_TLS_UNTRUSTED,
    &PROXY_TIMEOUT,
    &PLAINTEXT,
    &PROTOCOL_VERSION,
    &HANDSHAKE,
    &RESET,
    &TLS_TIMEOUT,
    &UNEXPECTED_EOF,
    &UNKNOWN_ISSUER,
    &INCOMPLETE,
    &SELF_SIGNED,
    &EXPIRED,
    &NOT_YET_VALID,
    &HOSTNAME,
    &REVOCATION,
    &NO_CA_BUNDLE,
    &CERT_FILE_MISSING,
    &DIR_NOT_HASHED,
    &CA_VAR_MISSING,
    &HTTP_TIMEOUT,
    &NOT_FOUND,
    &RATE_LIMITED,
    &SERVER_ERROR,
    &AUTH_REJECTED,
    &AUTH_FORBIDDEN,
    &WS_IGNORED,
    &WS_REJECTED,
];

/// The `unable to get local issuer certificate` family, in order.
const LOCAL_ISSUER: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &INCOMPLETE,
    &NO_CA_BUNDLE,
    &CERT_FILE_MISSING,
    &DIR_NOT_HASHED,
];
/// Every certificate fault, in order.
const ANY_CERT: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &INCOMPLETE,
    &SELF_SIGNED,
    &EXPIRED,
    &HOSTNAME,
    &NOT_YET_VALID,
    &NOT_STRICT,
];
/// Python's verify failure with a reason no rule names: also a proxy's own certificate.
const ANY_CERT_OR_PROXY: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &INCOMPLETE,
    &SELF_SIGNED,
    &EXPIRED,
    &HOSTNAME,
    &NOT_YET_VALID,
    &NOT_STRICT,
    &PROXY_TLS_UNTRUSTED,
];
/// What `WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED` alone can mean.
const SPEECH_ANY: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &NXDOMAIN,
    &REFUSED,
    &TCP_TIMEOUT,
    &PROXY_IGNORED,
    &PLAINTEXT,
    &EXPIRED,
];
/// A client that connected nowhere and does not say why.
const CONNECTION_ANY: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &NXDOMAIN,
    &TCP_TIMEOUT,
    &REFUSED,
];
const TIMEOUT_ANY: &[&Cause] = &[&TCP_TIMEOUT, &TLS_TIMEOUT, &PROXY_TIMEOUT, &HTTP_TIMEOUT];
const PROXY_ANY: &[&Cause] = &[
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &PROXY_DENIED,
    &PROXY_TLS_UNTRUSTED,
    &PROXY_TLS_TO_PLAIN,
    &PROXY_PLAIN_TO_TLS,
];
const WRONG_VERSION: &[&Cause] = &[&PLAINTEXT, &PROXY_TLS_TO_PLAIN];
const CHAIN_SELF_SIGNED: &[&Cause] = &[&INTERCEPTED, &UNKNOWN_ISSUER];

macro_rules! rule {
    ($pattern:expr, [$($cause:expr),+ $(,)?]) => {
        Rule { pattern: $pattern, causes: &[$(&$cause),+], generic: false }
    };
    ($pattern:expr, $causes:expr) => {
        Rule { pattern: $pattern, causes: $causes, generic: false }
    };
}
macro_rules! wrapper {
    ($pattern:expr, [$($cause:expr),+ $(,)?]) => {
        Rule { pattern: $pattern, causes: &[$(&$cause),+], generic: true }
    };
    ($pattern:expr, $causes:expr) => {
        Rule { pattern: $pattern, causes: $causes, generic: true }
    };
}

const IO_OPEN_FAILED: &str = "WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED";

/// The extra patterns beside the catalogue's `client_errors`.
pub const RULES: &[Rule] = &[
    // Azure Speech SDK (1.53, Python): the verbose `code=` tells the layer.
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859", [UNKNOWN_ISSUER, INTERCEPTED, EXPIRED, PLAINTEXT, HANDSHAKE]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=111", [REFUSED]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=-2", [NXDOMAIN, DNS_NO_RECORDS]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=-3", [DNS_TIMEOUT, DNS_NO_RESOLVER]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=101", [UNREACHABLE]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=110", [TCP_TIMEOUT, PROXY_IGNORED]),
    rule!("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=113", [UNREACHABLE]),
    rule!(IO_OPEN_FAILED, SPEECH_ANY),
    wrapper!("ConnectionFailure", SPEECH_ANY),
    rule!("WebSocket upgrade failed: Authentication error (401). Please check subscription information and region name.", [AUTH_REJECTED, AUTH_MISSING]),
    rule!("WebSocket upgrade failed: Authentication error (401)", [AUTH_REJECTED, AUTH_MISSING]),
    rule!("AuthenticationFailure", [AUTH_REJECTED, AUTH_MISSING]),
    rule!("WebSocket upgrade failed: Unspecified connection error (200).", [WS_IGNORED]),
    rule!("WebSocket upgrade failed: <reason> (403)", [AUTH_FORBIDDEN]),
    rule!("WebSocket upgrade failed: <reason> (404)", [NOT_FOUND, WS_REJECTED]),
    rule!("WebSocket upgrade failed: <reason> (429)", [RATE_LIMITED]),
    wrapper!("WebSocket upgrade failed:", [WS_REJECTED, WS_IGNORED]),
    rule!("TooManyRequests", [RATE_LIMITED]),
    rule!("ServiceUnavailable", [SERVER_ERROR]),
    // Python / OpenSSL.
    rule!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", LOCAL_ISSUER),
    rule!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain", CHAIN_SELF_SIGNED),
    rule!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired", [EXPIRED, CLOCK_SKEW]),
    rule!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate is not yet valid", [NOT_YET_VALID, CLOCK_SKEW]),
    rule!("certificate verify failed: IP address mismatch, certificate is not valid for '<ip>'.", [HOSTNAME]),
    rule!("Basic Constraints of CA cert not marked critical", [NOT_STRICT, INTERCEPTED]),
    rule!("Missing Authority Key Identifier", [NOT_STRICT, INTERCEPTED]),
    rule!("unable to get certificate CRL", [REVOCATION]),
    wrapper!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: <reason>", ANY_CERT_OR_PROXY),
    wrapper!("CERTIFICATE_VERIFY_FAILED", ANY_CERT),
    rule!("[SSL: WRONG_VERSION_NUMBER] wrong version number", WRONG_VERSION),
    rule!("WRONG_VERSION_NUMBER", WRONG_VERSION),
    rule!("[SSL] record layer failure", WRONG_VERSION),
    rule!("record layer failure", WRONG_VERSION),
    rule!("UNEXPECTED_EOF_WHILE_READING", [UNEXPECTED_EOF]),
    rule!("unsafe legacy renegotiation disabled", [LEGACY_RENEGOTIATION, INTERCEPTED]),
    // httpx / openai / requests.
    wrapper!("APIConnectionError: Connection error.", CONNECTION_ANY),
    wrapper!("APITimeoutError: Request timed out.", TIMEOUT_ANY),
    rule!("httpx.ConnectError: [Errno 111] Connection refused", [REFUSED, PROXY_UNREACHABLE]),
    rule!("<urlopen error [Errno 111] Connection refused>", [REFUSED, PROXY_UNREACHABLE]),
    wrapper!("ConnectError", [NXDOMAIN, REFUSED, TCP_TIMEOUT, UNKNOWN_ISSUER, INTERCEPTED, PROXY_UNREACHABLE]),
    wrapper!("ConnectTimeout", [TCP_TIMEOUT, TLS_TIMEOUT, PROXY_TIMEOUT]),
    wrapper!("ProxyError", PROXY_ANY),
    wrapper!("Unable to connect to proxy", PROXY_ANY),
    // curl exit codes.
    rule!("curl: (5) Could not resolve proxy: <proxy>", [PROXY_UNREACHABLE]),
    wrapper!("curl: (5)", [PROXY_UNREACHABLE]),
    wrapper!("curl: (6)", [NXDOMAIN, DNS_NO_RECORDS, DNS_TIMEOUT, DNS_NO_RESOLVER]),
    wrapper!("curl: (7)", [REFUSED, UNREACHABLE, PROXY_UNREACHABLE, TCP_TIMEOUT]),
    wrapper!("curl: (28)", TIMEOUT_ANY),
    wrapper!("curl: (35)", [PLAINTEXT, PROTOCOL_VERSION, HANDSHAKE, RESET, UNEXPECTED_EOF, PROXY_TLS_TO_PLAIN]),
    rule!("curl: (35) OpenSSL/<version>: error:0A00010B:SSL routines::wrong version number", WRONG_VERSION),
    rule!("curl: (52) Empty reply from server", [HTTP_EMPTY]),
    wrapper!("curl: (52)", [HTTP_EMPTY]),
    wrapper!("curl: (56)", [RESET, PROXY_DENIED, PROXY_AUTH, PROXY_PLAIN_TO_TLS]),
    rule!("curl: (60) SSL certificate problem: unable to get local issuer certificate", [UNKNOWN_ISSUER, INTERCEPTED, INCOMPLETE, NO_CA_BUNDLE, PROXY_TLS_UNTRUSTED]),
    rule!("curl: (60) SSL certificate problem: self-signed certificate in certificate chain", CHAIN_SELF_SIGNED),
    wrapper!("curl: (60)", ANY_CERT),
    wrapper!("curl: (77)", [CA_VAR_MISSING, NO_CA_BUNDLE]),
    // Node.
    rule!("ENOTFOUND", [NXDOMAIN, DNS_NO_RECORDS]),
    rule!("EAI_AGAIN", [DNS_TIMEOUT, DNS_NO_RESOLVER]),
    rule!("ECONNREFUSED", [REFUSED, PROXY_UNREACHABLE]),
    rule!("ETIMEDOUT", [TCP_TIMEOUT, PROXY_UNREACHABLE]),
    rule!("ECONNRESET", [RESET]),
    wrapper!("EPROTO", [PLAINTEXT, PROTOCOL_VERSION, HANDSHAKE, PROXY_TLS_TO_PLAIN]),
    rule!("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", [UNKNOWN_ISSUER, INTERCEPTED, CA_VAR_MISSING]),
    rule!("SELF_SIGNED_CERT_IN_CHAIN", CHAIN_SELF_SIGNED),
    // Go.
    rule!("x509: certificate signed by unknown authority", [UNKNOWN_ISSUER, INTERCEPTED, INCOMPLETE, SELF_SIGNED, NO_CA_BUNDLE]),
    rule!("x509: certificate has expired or is not yet valid", [EXPIRED, NOT_YET_VALID, CLOCK_SKEW]),
    rule!("x509: certificate is valid for <names>, not <host>", [HOSTNAME]),
    rule!("lookup <host> on <resolver>: no such host", [NXDOMAIN, DNS_NO_RECORDS]),
    rule!("connect: connection refused", [REFUSED]),
    rule!("tls: first record does not look like a TLS handshake", [PLAINTEXT]),
    // WebSocket clients (browsers, Java, .NET): the upgrade's status.
    rule!("Unexpected response code: 200", [WS_IGNORED]),
    rule!("Unexpected response code: 400", [WS_REJECTED, WS_IGNORED]),
    rule!("Unexpected response code: 401", [AUTH_REJECTED, AUTH_MISSING]),
    rule!("Unexpected response code: 403", [AUTH_FORBIDDEN]),
    rule!("Unexpected response code: 404", [NOT_FOUND, WS_REJECTED]),
    wrapper!("Unexpected response code: <status>", [WS_REJECTED]),
    wrapper!("Error during WebSocket handshake", [WS_REJECTED, WS_IGNORED]),
];

// ---------------------------------------------------------------------------
// The matcher (the one `tests/it/clients.rs` uses for real clients' output)

/// Python appends the C source line of its build to every `ssl` error
/// (` (_ssl.c:1006)`); the catalogue leaves it out. Removes every occurrence.
pub fn strip_ssl_c_suffix(line: &str) -> String {
    const MARK: &str = " (_ssl.c:";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            out.push_str(&rest[..at]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..at + MARK.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A catalogue string split at its `<name>` placeholders: the literal pieces
/// (one more than the placeholders) and the placeholder names. A `<` that
/// does not open such a placeholder is literal text.
fn split_pattern(pattern: &str) -> (Vec<&str>, Vec<&str>) {
    let mut pieces = Vec::new();
    let mut names = Vec::new();
    let mut start = 0;
    let mut search = 0;
    while let Some(rel) = pattern[search..].find('<') {
        let open = search + rel;
        let close = pattern[open + 1..].find('>').and_then(|len| {
            let name = &pattern[open + 1..open + 1 + len];
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then_some((name, open + 1 + len + 1))
        });
        match close {
            Some((name, end)) => {
                pieces.push(&pattern[start..open]);
                names.push(name);
                start = end;
                search = end;
            }
            None => search = open + 1,
        }
    }
    pieces.push(&pattern[start..]);
    (pieces, names)
}

/// Matches `pattern` against one line (already stripped of Python's suffix):
/// the literal pieces in order, each placeholder at least one character.
/// Returns the placeholders' values.
fn match_line<'p>(pattern: &'p str, line: &str) -> Option<Vec<(&'p str, String)>> {
    // Cheap test first: the text before the first `<` is in any match.
    let head = &pattern[..pattern.find('<').unwrap_or(pattern.len())];
    if !line.contains(head) {
        return None;
    }
    let (pieces, names) = split_pattern(pattern);
    let mut captures = Vec::with_capacity(names.len());
    let mut pos = 0;
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            let at = line.find(piece)?;
            pos = at + piece.len();
            continue;
        }
        let value_start = pos;
        pos += line[pos..].chars().next()?.len_utf8();
        let at = if piece.is_empty() && i == pieces.len() - 1 {
            line.len() - pos
        } else {
            line[pos..].find(piece)?
        };
        captures.push((names[i - 1], line[value_start..pos + at].to_owned()));
        pos += at + piece.len();
    }
    Some(captures)
}

/// Whether a client's output `line` shows the catalogue string `pattern`.
pub fn matches(pattern: &str, line: &str) -> bool {
    match_line(pattern, &strip_ssl_c_suffix(line)).is_some()
}

/// How specific a pattern is: its literal characters.
fn specificity(pattern: &str) -> usize {
    split_pattern(pattern).0.iter().map(|p| p.len()).sum()
}

// ---------------------------------------------------------------------------
// Explaining

/// Which client printed the text, guessed from words only it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Speech,
    OpenAi,
}

impl Service {
    fn detect(text: &str) -> Option<Service> {
        const SPEECH: &[&str] = &[
            IO_OPEN_FAILED,
            "WebSocket upgrade failed:",
            "CancellationErrorCode",
            "CancellationReason",
            "azure.cognitiveservices.speech",
            "speech.microsoft.com",
            "speechsdk",
        ];
        let lower = text.to_ascii_lowercase();
        if SPEECH
            .iter()
            .any(|w| lower.contains(&w.to_ascii_lowercase()))
        {
            Some(Service::Speech)
        } else if lower.contains("openai") {
            Some(Service::OpenAi)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Speech => "azure-speech",
            Service::OpenAi => "openai",
        }
    }

    fn note(self) -> &'static str {
        match self {
            Service::Speech => "the Azure Speech SDK prints the same WS_OPEN_ERROR for every DNS, TCP, proxy, TLS and certificate fault, and ignores HTTPS_PROXY (set a proxy with SpeechConfig.set_proxy(host, port)); `netdoctor azure-speech --region REGION` probes the SDK's STT, TTS and token endpoints with its own paths and headers",
            Service::OpenAi => "the openai SDK (httpx) wraps every connection fault in APIConnectionError: the lines above it in the traceback name the real one; `netdoctor openai` and `netdoctor azure-openai --endpoint URL --deployment D` probe the API as the SDK calls it",
        }
    }

    fn default_url(self) -> &'static str {
        match self {
            Service::Speech => "wss://REGION.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US",
            Service::OpenAi => "https://api.openai.com/v1/models",
        }
    }
}

/// One matched pattern, before ranking.
struct Candidate<'a> {
    pattern: &'static str,
    specificity: usize,
    /// 0 for a rule, 1 for a catalogue `fail` code, 2 for a catalogue `warn`.
    rank: u8,
    order: usize,
    generic: bool,
    causes: Vec<(String, Layer, String, Option<&'static str>)>,
    line: &'a str,
    captures: Vec<(&'static str, String)>,
}

fn hint_of(code: &str) -> Option<&'static str> {
    code_named(code).map(|c| c.entry().hint)
}

/// The catalogue code with this name, if the catalogue has it.
pub fn code_named(name: &str) -> Option<Code> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Explains `text`: every line is matched against the catalogue and the rules.
pub fn explain(text: &str) -> Explanation {
    let lines: Vec<(String, &str)> = text.lines().map(|l| (strip_ssl_c_suffix(l), l)).collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (stripped, raw) in lines.iter().filter(|(s, _)| !s.trim().is_empty()) {
        for (order, rule) in RULES.iter().enumerate() {
            if let Some(captures) = match_line(rule.pattern, stripped) {
                candidates.push(Candidate {
                    pattern: rule.pattern,
                    specificity: specificity(rule.pattern),
                    rank: 0,
                    order,
                    generic: rule.generic,
                    causes: rule
                        .causes
                        .iter()
                        .map(|c| {
                            (
                                c.code.to_owned(),
                                c.layer,
                                c.why.to_owned(),
                                hint_of(c.code),
                            )
                        })
                        .collect(),
                    line: raw,
                    captures,
                });
            }
        }
        for (order, &code) in Code::ALL.iter().enumerate() {
            let entry = code.entry();
            for &pattern in entry.client_errors {
                if let Some(captures) = match_line(pattern, stripped) {
                    candidates.push(Candidate {
                        pattern,
                        specificity: specificity(pattern),
                        rank: if entry.severity == Status::Fail { 1 } else { 2 },
                        order,
                        generic: false,
                        causes: vec![(
                            code.as_str(),
                            entry.layer,
                            MEANINGS
                                .iter()
                                .find(|m| m.code == code.as_str())
                                .map_or(entry.hint, |m| m.why)
                                .to_owned(),
                            Some(entry.hint),
                        )],
                        line: raw,
                        captures,
                    });
                }
            }
        }
    }
    // A match hides a less specific one whose text it contains (at equal
    // specificity, a rule hides the catalogue string it copies).
    let hidden: Vec<bool> = candidates
        .iter()
        .map(|m| {
            let pieces = split_pattern(m.pattern).0;
            candidates.iter().any(|n| {
                let stronger = n.specificity > m.specificity
                    || (n.specificity == m.specificity && n.rank == 0 && m.rank > 0);
                stronger && pieces.iter().all(|p| n.pattern.contains(p))
            })
        })
        .collect();
    let mut kept: Vec<Candidate> = candidates
        .into_iter()
        .zip(hidden)
        .filter_map(|(c, h)| (!h).then_some(c))
        .collect();
    // A wrapper only counts when nothing specific matched.
    if kept.iter().any(|c| !c.generic) {
        kept.retain(|c| !c.generic);
    }
    kept.sort_by(|a, b| {
        b.specificity
            .cmp(&a.specificity)
            .then(a.rank.cmp(&b.rank))
            .then(a.order.cmp(&b.order))
    });

    let service = Service::detect(text);
    let url = target_url(text, &kept, service);
    let command = format!("netdoctor check {}", shell_quote(&url));
    let mut matches: Vec<Match> = Vec::new();
    for c in &kept {
        for (code, layer, why, hint) in &c.causes {
            if matches.iter().any(|m| &m.code == code) {
                continue;
            }
            matches.push(Match {
                code: code.clone(),
                layer: *layer,
                why: why.clone(),
                hint: *hint,
                command: if *layer == Layer::Env {
                    "netdoctor env".to_owned()
                } else {
                    command.clone()
                },
                pattern: c.pattern,
                evidence: evidence(c.line),
            });
        }
    }
    Explanation {
        matches,
        command,
        service: service.map(Service::name),
        note: service.map(Service::note),
    }
}

/// Hosts of documentation links that tracebacks print (never the target).
const DOC_HOSTS: &[&str] = &[
    "readthedocs.io",
    "aka.ms",
    "python.org",
    "github.com",
    "microsoft.com/",
    "learn.microsoft.com",
    "nodejs.org",
    "curl.se",
    "pydantic.dev",
];

/// The URL to probe: one in a matched line, else a host a pattern captured
/// or a `host='…', port=N` of urllib3, else any URL in the text, else the
/// service's or a placeholder.
fn target_url(text: &str, kept: &[Candidate], service: Option<Service>) -> String {
    let from_lines = kept.iter().find_map(|c| first_url(c.line));
    if let Some(u) = from_lines {
        return u;
    }
    let captured = kept.iter().find_map(|c| {
        let host = c
            .captures
            .iter()
            .find(|(n, _)| *n == "host" || *n == "ip")?;
        let host = clean_host(&host.1)?;
        let port = c
            .captures
            .iter()
            .find(|(n, _)| *n == "port")
            .and_then(|(_, p)| p.trim().parse::<u16>().ok());
        Some((host, port))
    });
    if let Some((host, port)) = captured.or_else(|| urllib3_host(text)) {
        return host_url(&host, port, service);
    }
    if let Some(u) = text.lines().find_map(first_url) {
        return u;
    }
    service
        .map_or("https://HOST/", Service::default_url)
        .to_owned()
}

fn host_url(host: &str, port: Option<u16>, service: Option<Service>) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    match port {
        Some(80) => format!("http://{host}/"),
        Some(443) | None => match service {
            Some(Service::OpenAi) if host.contains("openai") => format!("https://{host}/v1/models"),
            _ => format!("https://{host}/"),
        },
        Some(p) => format!("https://{host}:{p}/"),
    }
}

/// A host name or address as a client printed it, without quotes and
/// trailing punctuation; `None` when it does not look like one.
fn clean_host(raw: &str) -> Option<String> {
    let token = raw.split_whitespace().next()?;
    let host = token.trim_matches(|c: char| "'\"`()[]<>,;.".contains(c));
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    ok.then(|| host.to_owned())
}

/// urllib3's `HTTPSConnectionPool(host='api.openai.com', port=443)`.
fn urllib3_host(text: &str) -> Option<(String, Option<u16>)> {
    let at = text.find("ConnectionPool(host='")?;
    let rest = &text[at + "ConnectionPool(host='".len()..];
    let host = clean_host(&rest[..rest.find('\'')?])?;
    let port = rest
        .split_once("port=")
        .and_then(|(_, p)| p.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    Some((host, port))
}

/// The first probeable URL in a line (redacted), skipping documentation links.
fn first_url(line: &str) -> Option<String> {
    for scheme in ["wss://", "https://", "ws://", "http://"] {
        let mut search = 0;
        while let Some(rel) = line[search..].find(scheme) {
            let start = search + rel;
            search = start + scheme.len();
            let end = line[start..]
                .find(|c: char| c.is_whitespace() || "'\"`<>)]},".contains(c))
                .map_or(line.len(), |e| start + e);
            let raw = line[start..end].trim_end_matches(['.', ':', ';']);
            if DOC_HOSTS.iter().any(|d| raw.contains(d)) && !raw.contains("speech.microsoft.com") {
                continue;
            }
            if let Ok(u) = Url::parse(raw) {
                if u.host_str().is_some_and(|h| clean_host(h).is_some()) {
                    return Some(crate::redact::url(&u));
                }
            }
        }
    }
    None
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_quote(arg: &str) -> String {
    if arg
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:/=@%+,".contains(&b))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The matched input line, trimmed, with secrets masked and cut to 300 characters.
fn evidence(line: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut mask_next = false;
    for word in line.split_whitespace() {
        let masked = if mask_next {
            crate::redact::MASK.to_owned()
        } else if word.contains("://") {
            crate::redact::text(word)
        } else if word.starts_with("sk-") {
            crate::redact::MASK.to_owned()
        } else if let Some((k, _)) = word.split_once('=').filter(|(k, v)| {
            let k = k.trim_start_matches(['?', '&', '\'', '"', '(']);
            // The Speech SDK's `(code=2859:` is an error number, not a secret.
            let errno = k == "code" && v.starts_with(|c: char| c == '-' || c.is_ascii_digit());
            crate::redact::is_secret_param(k) && !errno
        }) {
            format!("{k}={}", crate::redact::MASK)
        } else {
            word.to_owned()
        };
        mask_next = word.eq_ignore_ascii_case("bearer")
            || word.to_ascii_lowercase().ends_with("key:")
            || word.eq_ignore_ascii_case("api-key:");
        out.push(masked);
    }
    crate::redact::terminal_safe(&out.join(" "), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_placeholders() {
        let c = match_line(
            "curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server",
            "curl: (7) Failed to connect to api.test port 8443 after 3 ms: Couldn't connect to server",
        )
        .unwrap();
        assert_eq!(c[0], ("host", "api.test".to_owned()));
        assert_eq!(c[1], ("port", "8443".to_owned()));
        assert!(match_line("getaddrinfo ENOTFOUND <host>", "getaddrinfo ENOTFOUND ").is_none());
    }

    #[test]
    fn rule_causes_agree_with_the_catalogue_layer() {
        for rule in RULES {
            for cause in rule.causes {
                let code = code_named(cause.code)
                    .unwrap_or_else(|| panic!("{} is not in the catalogue", cause.code));
                assert_eq!(code.entry().layer, cause.layer, "{}", cause.code);
            }
        }
    }

    #[test]
    fn secrets_are_masked_in_evidence() {
        let e = evidence(
            "GET https://x.test/v1?api-key=abc Authorization: Bearer sk-123 subscription-key=zzz",
        );
        assert!(
            !e.contains("abc") && !e.contains("sk-123") && !e.contains("zzz"),
            "{e}"
        );
    }
}
