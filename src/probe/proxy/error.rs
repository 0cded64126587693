//! [`ProxyError`]: why the proxy stage failed, carrying the proxy (its URL
//! as shown, or its `host:port`) and the operation (`CONNECT host:port`,
//! `SOCKS5 CONNECT …`, `the request`) as the diagnosis names them.

use crate::diagnosis::{Code, Diagnosis, Status};
use crate::proxy::ProxyUrlError;

/// The hint for a 407 from a proxy that offers only Windows schemes.
const WINDOWS_ONLY_HINT: &str = "this is a single-sign-on proxy: it offers only NTLM/Negotiate (Windows, Kerberos) authentication, and a user:password in the proxy URL is sent as Basic, which it does not accept, so no proxy URL can pass it. What passes: a local relay that signs on for you, such as cntlm or px (run it beside the app, then HTTPS_PROXY=http://127.0.0.1:3128); curl alone can answer it (`--proxy-ntlm`, `--proxy-negotiate`), Python requests/httpx, Node and the Speech SDK cannot; or ask the proxy's owners for a Basic-auth port or an allow-list entry for this host";

/// The hint for a TLS web site named as a plain proxy.
const WEB_SITE_HINT: &str = "this address is an HTTPS web site, not a proxy: the proxy variable (HTTPS_PROXY/https_proxy, HTTP_PROXY, ALL_PROXY) or --proxy names the wrong host or port (often a service's own address pasted as the proxy); set it to the proxy's own host and port (ask the network team: often 3128, 8080 or 80), or unset it if this network needs no proxy";

/// The hint for a 407 to Basic credentials that were sent.
const REJECTED_HINT: &str = "the proxy rejected the user name or password: check them, and percent-encode @ : / in the URL (%40 %3A %2F)";

/// Why the proxy could not carry the target's traffic.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy URL cannot be used (`ENV_PROXY_BAD_URL`, failing here).
    #[error("{variable}: {error}")]
    BadUrl {
        /// The variable (or `--proxy`) it came from.
        variable: String,
        error: ProxyUrlError,
    },
    /// The proxy's own name or TCP connection failed: `cause` is the
    /// `DNS_`/`TCP_` (or `TLS_`) code.
    #[error("the proxy {proxy} cannot be reached: {detail} ({cause})")]
    Unreachable {
        proxy: String,
        cause: Code,
        detail: String,
    },
    /// A 407: `offered` the challenges' schemes, `user` whose credentials
    /// were sent (if any), `server` the `, Server: …` quote.
    #[error(
        "{proxy} answered {operation} with {status} ({}{server}): {}",
        offered_text(offered),
        sent_text(user.as_deref(), offered)
    )]
    AuthRequired {
        proxy: String,
        operation: String,
        status: String,
        offered: Vec<String>,
        server: String,
        user: Option<String>,
        credentials_sent: bool,
    },
    /// The SOCKS5 proxy wants an authentication method not offered.
    #[error(
        "{proxy} wants SOCKS5 authentication that was not offered ({error}): {}",
        if *credentials_sent {
            "the proxy does not accept user/password"
        } else {
            "no credentials were sent (the proxy URL has none)"
        }
    )]
    SocksAuthNotOffered {
        proxy: String,
        error: String,
        credentials_sent: bool,
    },
    /// The SOCKS5 proxy rejected the user name or password.
    #[error("{proxy} rejected the SOCKS5 user name and password of its URL")]
    SocksCredentialsRejected { proxy: String, user: String },
    /// The proxy refused the operation: `reply` its status and the
    /// headers quoted, or the SOCKS5 reply.
    #[error("{proxy} refused {operation}: {reply}")]
    Denied {
        proxy: String,
        operation: String,
        reply: String,
    },
    /// An `https://` proxy URL, a plain HTTP proxy: `first_line` what it
    /// answered the ClientHello.
    #[error("the proxy URL says https:// but {proxy} answered the TLS ClientHello in plain HTTP (\"{first_line}\"): it is a plain HTTP proxy")]
    TlsToPlaintext { proxy: String, first_line: String },
    /// A plain proxy URL, a TLS port: it answered CONNECT with a TLS record.
    #[error(
        "{proxy} answered CONNECT with a TLS record: it is a TLS port, not a plain HTTP proxy"
    )]
    TlsRecord { proxy: String },
    /// A plain proxy URL, a TLS port: nginx's 400 for plain HTTP.
    #[error("{proxy} answered {operation} with nginx's \"400 The plain HTTP request was sent to HTTPS port\"{server}: it is a TLS port, not a plain HTTP proxy")]
    PlainHttpToHttpsPort {
        proxy: String,
        operation: String,
        server: String,
    },
    /// A plain proxy URL, a TLS web server: it answered CONNECT with a web
    /// server's error page (`reply`: status and `Server`), and a ClientHello
    /// on the same port with TLS.
    #[error("{proxy} answered {operation} as a web server does ({reply}, an HTML page, no proxy headers) and answers a TLS ClientHello with {answer}: it is a TLS web server (an https:// site), not a plain HTTP proxy")]
    WebServerOnTlsPort {
        proxy: String,
        operation: String,
        reply: String,
        answer: String,
    },
    /// Not a proxy: a web server's error page to CONNECT (`reply`), and
    /// `answer` to a ClientHello (no TLS), or an https:// web server.
    #[error("{proxy} answered {operation} as a web server does ({reply}, an HTML page, no proxy headers){}: it is not a proxy", answer.as_deref().map(|a| format!(" and answers a TLS ClientHello with {a}")).unwrap_or_default())]
    NotAProxy {
        proxy: String,
        operation: String,
        reply: String,
        answer: Option<String>,
    },
    /// An `https://` proxy whose own certificate is not trusted: `cause` the
    /// certificate stage's code, `why` its summary.
    #[error("the https:// proxy {proxy}'s own certificate is not trusted: {why} ({cause})")]
    TlsUntrusted {
        proxy: String,
        cause: Code,
        why: String,
    },
    /// Not a proxy: the reply to CONNECT is not HTTP.
    #[error("{proxy} answered CONNECT with something that is not HTTP: \"{first_line}\"")]
    NotAnHttpProxy { proxy: String, first_line: String },
    /// Not a proxy: the reply to the SOCKS5 greeting is not SOCKS5.
    #[error("{proxy} did not answer as a SOCKS5 proxy ({error}): if it is an HTTP proxy, use http:// in the proxy URL")]
    NotASocksProxy { proxy: String, error: String },
    /// CONNECT could not be sent.
    #[error("sending CONNECT to {proxy} failed: {detail}")]
    SendFailed { proxy: String, detail: String },
    /// The reply to CONNECT could not be read.
    #[error("reading the CONNECT reply from {proxy} failed: {detail}")]
    ReadFailed { proxy: String, detail: String },
    /// The proxy closed the connection instead of answering `operation`.
    #[error("{proxy} closed the connection without answering {operation}")]
    Closed { proxy: String, operation: String },
    /// The proxy closed the connection during the SOCKS5 handshake.
    #[error("{proxy} closed the connection during the SOCKS5 handshake")]
    SocksClosed { proxy: String },
    /// The SOCKS5 handshake failed otherwise.
    #[error("the SOCKS5 handshake with {proxy} failed: {error}")]
    SocksFailed { proxy: String, error: String },
    /// The proxy accepted the connection, then did not `operation` in time.
    #[error("{proxy} accepted the connection but did not {operation} within {after_ms} ms")]
    Timeout {
        proxy: String,
        operation: String,
        after_ms: u128,
    },
}

impl ProxyError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            ProxyError::BadUrl { .. } => Code::EnvProxyBadUrl,
            ProxyError::Unreachable { .. } => Code::ProxyUnreachable,
            ProxyError::AuthRequired { .. }
            | ProxyError::SocksAuthNotOffered { .. }
            | ProxyError::SocksCredentialsRejected { .. } => Code::ProxyAuthRequired,
            ProxyError::Denied { .. } => Code::ProxyDenied,
            ProxyError::TlsToPlaintext { .. } => Code::ProxyTlsToPlaintext,
            ProxyError::TlsRecord { .. }
            | ProxyError::PlainHttpToHttpsPort { .. }
            | ProxyError::WebServerOnTlsPort { .. } => Code::ProxyPlaintextToTls,
            ProxyError::NotAProxy { .. } => Code::ProxyNotAProxy,
            ProxyError::TlsUntrusted { .. } => Code::ProxyTlsUntrusted,
            ProxyError::NotAnHttpProxy { .. }
            | ProxyError::NotASocksProxy { .. }
            | ProxyError::SendFailed { .. }
            | ProxyError::ReadFailed { .. }
            | ProxyError::Closed { .. }
            | ProxyError::SocksClosed { .. }
            | ProxyError::SocksFailed { .. } => Code::ProxyMalformed,
            ProxyError::Timeout { .. } => Code::ProxyTimeout,
        }
    }

    /// The code of the layer below that failed (the facts' `cause`).
    pub fn cause(&self) -> Option<Code> {
        match self {
            ProxyError::Unreachable { cause, .. } | ProxyError::TlsUntrusted { cause, .. } => {
                Some(*cause)
            }
            _ => None,
        }
    }

    /// A hint more precise than the code's, when the error knows one.
    fn hint(&self) -> Option<&'static str> {
        if let ProxyError::WebServerOnTlsPort { .. } = self {
            return Some(WEB_SITE_HINT);
        }
        let ProxyError::AuthRequired {
            offered,
            credentials_sent,
            ..
        } = self
        else {
            return None;
        };
        let basic = offered.iter().any(|s| s.eq_ignore_ascii_case("basic"));
        if windows_only(offered) {
            Some(WINDOWS_ONLY_HINT)
        } else if *credentials_sent && basic {
            Some(REJECTED_HINT)
        } else {
            None
        }
    }

    /// The diagnosis: the code, this error's text, its hint.
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        let d = match self {
            ProxyError::BadUrl { .. } => d.with_status(Status::Fail),
            _ => d,
        };
        match self.hint() {
            Some(hint) => d.with_hint(hint),
            None => d,
        }
    }
}

/// The challenges of a 407, in words.
fn offered_text(offered: &[String]) -> String {
    if offered.is_empty() {
        "no Proxy-Authenticate challenge".to_owned()
    } else {
        format!("Proxy-Authenticate: {}", offered.join(", "))
    }
}

/// What was sent with the request a 407 answered.
fn sent_text(user: Option<&str>, offered: &[String]) -> String {
    match user {
        Some(_) if windows_only(offered) => {
            "the credentials of the proxy URL were sent as Basic, which this single-sign-on proxy does not accept".to_owned()
        }
        Some(_) => "the credentials of the proxy URL were sent and rejected".to_owned(),
        None if windows_only(offered) => {
            "no credentials were sent, and a user:password in the proxy URL cannot pass a single-sign-on proxy".to_owned()
        }
        None => "no credentials were sent (the proxy URL has none)".to_owned(),
    }
}

/// Whether a 407's challenges are only Windows single sign-on (NTLM,
/// Negotiate), which clients cannot answer with a URL's user and password.
fn windows_only(offered: &[String]) -> bool {
    !offered.is_empty()
        && offered
            .iter()
            .all(|s| s.eq_ignore_ascii_case("ntlm") || s.eq_ignore_ascii_case("negotiate"))
}
