//! The rules table of `explain`: the causes (a code, its layer, what it
//! means) and the extra patterns beside the catalogue's `client_errors`,
//! each with its causes in order of likelihood. Data only; the matcher is
//! in the parent module.

use crate::diagnosis::Layer;

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
    PROXY_NOT_A_PROXY,
    "PROXY_NOT_A_PROXY",
    Proxy,
    "the proxy URL points at a web server that is not a proxy (a wrong host or port)"
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
cause!(
    PATH_MTU,
    "TCP_PATH_MTU",
    Tcp,
    "TCP connected but the server's full-size packets never arrive: an MTU black hole (a VPN, tunnel or overlay network with a smaller MTU); `netdoctor check` retries a stalled handshake with a small MSS to tell it from a plain timeout"
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
// The clients' own installs (issue 15; docs/client-errors.md, "The clients'
// own installs"). ENV_CLIENT_NO_SOCKS, ENV_CLIENT_VERSION_CONFLICT and
// ENV_SPEECH_SDK_INCOMPLETE are DESIGN codes that `netdoctor env` reports;
// explain names them by their code string whether or not the catalogue
// carries them yet (`hint_of` is then `None`).
cause!(OPENSSL_VERSION, "ENV_OPENSSL_VERSION", Env, "the Speech SDK cannot load the OpenSSL it was built for: an SDK before 1.38 (it wants libssl.so.1.1) on an image whose only OpenSSL is 3 (Debian 12, Ubuntu 22.04), or an OpenSSL newer than the SDK supports");
cause!(OPENSSL_MISSING, "ENV_OPENSSL_MISSING", Env, "the image has no loadable libssl/libcrypto at all, so the Speech SDK cannot start its TLS layer");
cause!(SPEECH_SDK_OUTDATED, "ENV_SPEECH_SDK_OUTDATED", Env, "the Speech SDK is older than 1.48.2: an upgrade brings OpenSSL 3 support (1.38+) and the CRL fixes (1.47 tolerates a CRL that cannot be downloaded, 1.48.2 fixes CRL partitioning on Linux)");
cause!(SPEECH_SDK_INCOMPLETE, "ENV_SPEECH_SDK_INCOMPLETE", Env, "the Speech SDK's native libraries are not all in one directory: libpal_azure_c_shared.so / libpal_azure_c_shared_openssl3.so (1.38+) are missing beside libMicrosoft.CognitiveServices.Speech.core.so (a partial copy or a slimmed image)");
cause!(CLIENT_NO_SOCKS, "ENV_CLIENT_NO_SOCKS", Env, "a socks5:// proxy variable (ALL_PROXY, HTTPS_PROXY) is set but the client's SOCKS support is not installed: httpx needs socksio (`pip install 'httpx[socks]'`), requests PySocks (`requests[socks]`), websockets python-socks");
cause!(CLIENT_VERSION_CONFLICT, "ENV_CLIENT_VERSION_CONFLICT", Env, "installed packages known not to work together: openai before 1.55.3 passes `proxies=` to httpx, which httpx 0.28 removed (upgrade openai, or pin httpx<0.28)");
cause!(STREAM_CUT, "STREAM_TRUNCATED", Stream, "the stream was cut before its end: a proxy's or load balancer's read or idle timeout, a response size limit, or the service closing early; `--stream` reads a real streamed completion to the end");
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
pub(super) const MEANINGS: &[&Cause] = &[
    &NXDOMAIN,
    &DNS_NO_RECORDS,
    &DNS_TIMEOUT,
    &DNS_NO_RESOLVER,
    &REFUSED,
    &TCP_TIMEOUT,
    &PATH_MTU,
    &UNREACHABLE,
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &PROXY_DENIED,
    &PROXY_TLS_TO_PLAIN,
    &PROXY_PLAIN_TO_TLS,
    &PROXY_NOT_A_PROXY,
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
    &OPENSSL_VERSION,
    &OPENSSL_MISSING,
    &SPEECH_SDK_OUTDATED,
    &SPEECH_SDK_INCOMPLETE,
    &CLIENT_NO_SOCKS,
    &CLIENT_VERSION_CONFLICT,
    &HTTP_TIMEOUT,
    &NOT_FOUND,
    &RATE_LIMITED,
    &SERVER_ERROR,
    &AUTH_REJECTED,
    &AUTH_FORBIDDEN,
    &WS_IGNORED,
    &WS_REJECTED,
    &STREAM_CUT,
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
/// What openai's `APIConnectionError` alone can mean: a client that
/// connected nowhere and does not say why, or (openai 3.x) a stream cut in
/// the middle.
const OPENAI_CONNECTION_ANY: &[&Cause] = &[
    &UNKNOWN_ISSUER,
    &INTERCEPTED,
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &NXDOMAIN,
    &TCP_TIMEOUT,
    &REFUSED,
    &STREAM_CUT,
];
/// The Speech SDK's `Failed to initialize platform (azure-c-shared)`: it
/// could not load an OpenSSL it supports.
const SPEECH_PLATFORM: &[&Cause] = &[&OPENSSL_VERSION, &OPENSSL_MISSING, &SPEECH_SDK_OUTDATED];
/// `Failed to get HTTP platform singleton instance` (1.38–1.4x): the libpal
/// files missing, or no OpenSSL at all (the 1.44 runs printed it for both).
const SPEECH_HTTP_PLATFORM: &[&Cause] = &[&SPEECH_SDK_INCOMPLETE, &OPENSSL_MISSING];
const TIMEOUT_ANY: &[&Cause] = &[&TCP_TIMEOUT, &TLS_TIMEOUT, &PROXY_TIMEOUT, &HTTP_TIMEOUT];
const PROXY_ANY: &[&Cause] = &[
    &PROXY_UNREACHABLE,
    &PROXY_AUTH,
    &PROXY_DENIED,
    &PROXY_TLS_UNTRUSTED,
    &PROXY_TLS_TO_PLAIN,
    &PROXY_PLAIN_TO_TLS,
    &PROXY_NOT_A_PROXY,
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

pub(super) const IO_OPEN_FAILED: &str = "WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED";

/// The extra patterns beside the catalogue's `client_errors`.
pub const RULES: &[Rule] = &[
    // Timeouts an MTU black hole also prints (tests/it/mtu.rs's real runs):
    // the plain timeout first, the black hole after it.
    rule!("curl: (28) Connection timed out after <N> milliseconds", [PROXY_TIMEOUT, TLS_TIMEOUT, PATH_MTU]),
    rule!("The handshake operation timed out", [TLS_TIMEOUT, PATH_MTU]),
    rule!("Read timed out. (read timeout=<t>)", [TLS_TIMEOUT, PATH_MTU]),
    rule!("UND_ERR_CONNECT_TIMEOUT", [TCP_TIMEOUT, TLS_TIMEOUT, PATH_MTU]),
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
    // openai 3.x (httpx2) wraps a cut stream in it too (its cause chain
    // names `httpx2.RemoteProtocolError`, matched below).
    wrapper!("APIConnectionError: Connection error.", OPENAI_CONNECTION_ANY),
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
    wrapper!("curl: (56)", [RESET, PROXY_DENIED, PROXY_AUTH, PROXY_PLAIN_TO_TLS, PROXY_NOT_A_PROXY]),
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
    rule!("Ignoring extra certs from `<path>`, load failed: <reason>", [CA_VAR_MISSING]),
    // The clients' own installs (issue 15): real runs in docs/client-errors.md.
    // Azure Speech SDK: the number after `Error:` is a source line of the
    // SDK's build (2153, 2176, 2407 for the same fault; none in 1.19), never
    // a code: the prefix is matched. A whole traceback also works: the
    // message is on its last line, after `[CALL STACK END]`.
    // Each also with the catalogue's `. Error: <N>` form, so that the
    // catalogue's copy (one code) does not outrank the rule (all causes).
    rule!("Failed to initialize platform (azure-c-shared). Error: <N>", SPEECH_PLATFORM),
    rule!("Failed to initialize platform (azure-c-shared)", SPEECH_PLATFORM),
    rule!("Failed to get HTTP platform singleton instance. Error: <N>", SPEECH_HTTP_PLATFORM),
    rule!("Failed to get HTTP platform singleton instance", SPEECH_HTTP_PLATFORM),
    rule!("SPXERR_UNEXPECTED_USP_SITE_FAILURE", [SPEECH_SDK_INCOMPLETE]),
    rule!("Are all required extension libraries loaded?", [SPEECH_SDK_INCOMPLETE]),
    // The SDK's CRL check: only in its log (`Speech_LogFilename`); what it
    // prints is the plain WS_OPEN_ERROR.
    rule!("Error loading CRL from <url>", [REVOCATION, SPEECH_SDK_OUTDATED]),
    rule!("Unable to retrieve CRL, CRL check may fail.", [REVOCATION, SPEECH_SDK_OUTDATED]),
    rule!("Unable to retrieve any CRL, CRL check may fail.", [REVOCATION, SPEECH_SDK_OUTDATED]),
    rule!("No CRL could be retrieved from any distribution point.", [REVOCATION, SPEECH_SDK_OUTDATED]),
    rule!("CRL download failed from: <url>", [REVOCATION, SPEECH_SDK_OUTDATED]),
    rule!("No CRL dist point qualified for downloading.", [REVOCATION, INTERCEPTED, SPEECH_SDK_OUTDATED]),
    rule!("No CRL distribution points defined on non self-issued cert, CRL check may fail.", [REVOCATION, INTERCEPTED, SPEECH_SDK_OUTDATED]),
    rule!("Non-root CRL error <n> - failing verification", [REVOCATION, SPEECH_SDK_OUTDATED]),
    // Python clients without their SOCKS extra, and openai vs httpx.
    rule!("Using SOCKS proxy, but the 'socksio' package is not installed.", [CLIENT_NO_SOCKS]),
    rule!("Missing dependencies for SOCKS support.", [CLIENT_NO_SOCKS]),
    rule!("connecting through a SOCKS proxy requires python-socks", [CLIENT_NO_SOCKS]),
    rule!("Client.__init__() got an unexpected keyword argument 'proxies'", [CLIENT_VERSION_CONFLICT]),
    // A cut chunked stream: httpx, httpcore, h11 and openai 3.x's httpx2
    // print the same text after their own exception name.
    rule!("peer closed connection without sending complete message body (incomplete chunked read)", [STREAM_CUT]),
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
