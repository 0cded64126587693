//! Diagnoses and the code catalogue.
//!
//! Every `fail` and `warn` carries a [`Diagnosis`]: a stable [`Code`], its
//! status, a one-line summary written by the stage that found the fault, a
//! hint (the fix), and `client_errors`: what real clients print for the same
//! fault. The catalogue below is the single place where a code's layer,
//! default severity, generic hint and client strings live. The client
//! strings were captured from real runs of curl 7.88.1 (OpenSSL 3.0.19),
//! Go 1.19 (`net/http`), Python 3.11 (`ssl`, `urllib`, `requests`, `httpx`, `websocket-client`,
//! `websockets`) and Node 20 (`https`, `fetch`, `ws`) against local fixtures;
//! `docs/client-errors.md` has each command and its verbatim output. `<host>`
//! and the like mark the parts that vary; Python's build-specific
//! ` (_ssl.c:NNNN)` suffix is left out so that the strings match any build.
//! The Speech SDK token is the one its 1.53 Python package prints for every
//! DNS, TCP, TLS and certificate fault.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The layers of a connection, in pipeline order. `Env` is the container
/// look that precedes every probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Env,
    Dns,
    Tcp,
    Proxy,
    Tls,
    Certificate,
    Http,
    Auth,
    Websocket,
    Stream,
}

impl Layer {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Env => "env",
            Layer::Dns => "dns",
            Layer::Tcp => "tcp",
            Layer::Proxy => "proxy",
            Layer::Tls => "tls",
            Layer::Certificate => "certificate",
            Layer::Http => "http",
            Layer::Auth => "auth",
            Layer::Websocket => "websocket",
            Layer::Stream => "stream",
        }
    }

    /// The process exit code for a failure at this layer (DESIGN "Exit codes").
    pub fn exit_code(self) -> u8 {
        match self {
            Layer::Env => 10,
            Layer::Dns => 11,
            Layer::Tcp => 12,
            Layer::Proxy => 13,
            Layer::Tls => 14,
            Layer::Certificate => 15,
            Layer::Http => 16,
            Layer::Auth => 17,
            Layer::Websocket => 18,
            Layer::Stream => 19,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of a stage or finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skipped,
}

/// A stable diagnosis code. Never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum Code {
    EnvNoCaBundle,
    EnvCaBundleUnreadable,
    EnvSslCertFileMissing,
    EnvSslCertDirMissing,
    EnvSslCertDirNotHashed,
    EnvCaVarMissing,
    EnvNoResolvConf,
    EnvDnsNdots,
    EnvHostsOverride,
    EnvOpensslMissing,
    EnvOpensslVersion,
    EnvSpeechSdkOutdated,
    EnvClockSkew,
    EnvProxyConflict,
    EnvProxyBadUrl,
    DnsNxdomain,
    DnsNoRecords,
    DnsServfail,
    DnsRefused,
    DnsTimeout,
    DnsNoResolver,
    TcpRefused,
    TcpTimeout,
    TcpUnreachable,
    #[serde(rename = "TCP_IPV6_BROKEN")]
    TcpIpv6Broken,
    ProxyUnreachable,
    ProxyAuthRequired,
    ProxyDenied,
    ProxyTlsToPlaintext,
    ProxyPlaintextToTls,
    ProxyTlsUntrusted,
    ProxyMalformed,
    ProxyTimeout,
    ProxyBypassed,
    ProxyIgnoredByClient,
    TlsPlaintextResponse,
    TlsProtocolVersion,
    TlsHandshakeFailure,
    TlsReset,
    TlsTimeout,
    TlsUnexpectedEof,
    CertUnknownIssuer,
    CertIntercepted,
    CertExpired,
    CertNotYetValid,
    CertHostnameMismatch,
    CertIncompleteChain,
    CertSelfSigned,
    CertInvalid,
    CertNotStrict,
    CertRuntimeStoreMismatch,
    CertRevocationUnreachable,
    HttpRedirect,
    HttpNotFound,
    HttpRateLimited,
    HttpServerError,
    HttpStatus,
    HttpMalformed,
    HttpReset,
    HttpTimeout,
    HttpApiVersion,
    AuthMissingKey,
    AuthRejected,
    AuthForbidden,
    WsUpgradeIgnored,
    WsUpgradeRejected,
    WsBadAccept,
    WsClosed,
    WsPingTimeout,
    #[serde(rename = "STREAM_NOT_SSE")]
    StreamNotSse,
    StreamBuffered,
    StreamRejected,
    StreamRequestFailed,
}

impl Code {
    /// The code as it appears in reports, e.g. `CERT_EXPIRED`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Everything the catalogue knows about this code.
    pub fn entry(self) -> &'static Entry {
        catalogue(self)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl Code {
    /// Every code, in declaration (pipeline) order: what `explain` searches.
    /// A new code goes here too; the assertion below catches one inserted
    /// before the last.
    pub const ALL: &'static [Code] = &[
        Code::EnvNoCaBundle,
        Code::EnvCaBundleUnreadable,
        Code::EnvSslCertFileMissing,
        Code::EnvSslCertDirMissing,
        Code::EnvSslCertDirNotHashed,
        Code::EnvCaVarMissing,
        Code::EnvNoResolvConf,
        Code::EnvDnsNdots,
        Code::EnvHostsOverride,
        Code::EnvOpensslMissing,
        Code::EnvOpensslVersion,
        Code::EnvSpeechSdkOutdated,
        Code::EnvClockSkew,
        Code::EnvProxyConflict,
        Code::EnvProxyBadUrl,
        Code::DnsNxdomain,
        Code::DnsNoRecords,
        Code::DnsServfail,
        Code::DnsRefused,
        Code::DnsTimeout,
        Code::DnsNoResolver,
        Code::TcpRefused,
        Code::TcpTimeout,
        Code::TcpUnreachable,
        Code::TcpIpv6Broken,
        Code::ProxyUnreachable,
        Code::ProxyAuthRequired,
        Code::ProxyDenied,
        Code::ProxyTlsToPlaintext,
        Code::ProxyPlaintextToTls,
        Code::ProxyTlsUntrusted,
        Code::ProxyMalformed,
        Code::ProxyTimeout,
        Code::ProxyBypassed,
        Code::ProxyIgnoredByClient,
        Code::TlsPlaintextResponse,
        Code::TlsProtocolVersion,
        Code::TlsHandshakeFailure,
        Code::TlsReset,
        Code::TlsTimeout,
        Code::TlsUnexpectedEof,
        Code::CertUnknownIssuer,
        Code::CertIntercepted,
        Code::CertExpired,
        Code::CertNotYetValid,
        Code::CertHostnameMismatch,
        Code::CertIncompleteChain,
        Code::CertSelfSigned,
        Code::CertInvalid,
        Code::CertNotStrict,
        Code::CertRuntimeStoreMismatch,
        Code::CertRevocationUnreachable,
        Code::HttpRedirect,
        Code::HttpNotFound,
        Code::HttpRateLimited,
        Code::HttpServerError,
        Code::HttpStatus,
        Code::HttpMalformed,
        Code::HttpReset,
        Code::HttpTimeout,
        Code::HttpApiVersion,
        Code::AuthMissingKey,
        Code::AuthRejected,
        Code::AuthForbidden,
        Code::WsUpgradeIgnored,
        Code::WsUpgradeRejected,
        Code::WsBadAccept,
        Code::WsClosed,
        Code::WsPingTimeout,
        Code::StreamNotSse,
        Code::StreamBuffered,
        Code::StreamRejected,
        Code::StreamRequestFailed,
    ];
}

// Every variant is listed: a code added last must be added to ALL too.
const _: () = assert!(Code::ALL.len() == Code::StreamRequestFailed as usize + 1);

/// A catalogue entry: what a code means independently of the run.
#[derive(Debug)]
pub struct Entry {
    pub layer: Layer,
    pub severity: Status,
    pub hint: &'static str,
    pub client_errors: &'static [&'static str],
}

/// A diagnosis as reported: the code plus what this run found.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub code: Code,
    pub layer: Layer,
    pub status: Status,
    pub summary: String,
    pub hint: String,
    pub client_errors: Vec<&'static str>,
}

impl Diagnosis {
    /// A diagnosis with the catalogue's severity and hint.
    pub fn new(code: Code, summary: impl Into<String>) -> Self {
        let entry = code.entry();
        Diagnosis {
            code,
            layer: entry.layer,
            status: entry.severity,
            summary: summary.into(),
            hint: entry.hint.to_owned(),
            client_errors: entry.client_errors.to_vec(),
        }
    }

    /// Replaces the catalogue hint with a more specific one.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Overrides the default severity (e.g. `--insecure` turns a certificate
    /// failure into a warning; `--expect-status` turns a status into a failure).
    #[must_use]
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
}

/// What a target is expected to do (check files' `expect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No stage fails (warnings allowed).
    Pass,
    /// This diagnosis occurs (as the failure or a warning).
    Code(Code),
}

const SPEECH_IO_OPEN_FAILED: &str = "WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED";

macro_rules! entry {
    ($layer:ident, $severity:ident, $hint:expr, [$($client:expr),* $(,)?]) => {
        &Entry {
            layer: Layer::$layer,
            severity: Status::$severity,
            hint: $hint,
            client_errors: &[$($client),*],
        }
    };
}

#[allow(clippy::too_many_lines)]
fn catalogue(code: Code) -> &'static Entry {
    use Code as C;
    match code {
        C::EnvNoCaBundle => entry!(Env, Fail,
            "install the CA bundle in the image: `RUN apt-get update && apt-get install -y ca-certificates` (Debian/Ubuntu), `RUN apk add ca-certificates` (Alpine), `RUN microdnf install ca-certificates` (UBI)",
            []),
        C::EnvCaBundleUnreadable => entry!(Env, Fail,
            "make the bundle readable by the user the app runs as: `chmod 644` the file, or rebuild it with `update-ca-certificates`",
            []),
        C::EnvSslCertFileMissing => entry!(Env, Warn,
            "point SSL_CERT_FILE at an existing bundle (e.g. /etc/ssl/certs/ca-certificates.crt) or unset it",
            ["[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"]),
        C::EnvSslCertDirMissing => entry!(Env, Warn,
            "point SSL_CERT_DIR at an existing directory (e.g. /etc/ssl/certs) or unset it",
            []),
        C::EnvSslCertDirNotHashed => entry!(Env, Warn,
            "OpenSSL finds CAs in a directory only through <subject-hash>.N links: run `openssl rehash DIR` (or `c_rehash DIR`, or `update-ca-certificates`)",
            ["[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"]),
        C::EnvCaVarMissing => entry!(Env, Warn,
            "point the variable at an existing PEM file, or unset it",
            ["Could not find a suitable TLS CA certificate bundle, invalid path: <path>",
             "curl: (77) error setting certificate file: <path>",
             "Warning: Ignoring extra certs from `<path>`, load failed: error:80000002:system library::No such file or directory"]),
        C::EnvNoResolvConf => entry!(Env, Warn,
            "the image has no /etc/resolv.conf: clients fall back to 127.0.0.1:53; mount or write one (`nameserver …`), or run with the runtime's DNS",
            []),
        C::EnvDnsNdots => entry!(Env, Warn,
            "write external names with a trailing dot (`api.openai.com.`), or lower ndots: in Kubernetes `dnsConfig: {options: [{name: ndots, value: \"2\"}]}` in the pod spec, in Docker `--dns-option ndots:1`",
            []),
        C::EnvHostsOverride => entry!(Env, Warn,
            "make sure the pinned address is meant (a private endpoint, a test); otherwise remove the line (Kubernetes `hostAliases`, Docker `--add-host`/`extra_hosts`)",
            []),
        C::EnvOpensslMissing => entry!(Env, Warn,
            "install the distribution's OpenSSL libraries: `RUN apt-get update && apt-get install -y libssl3` (Debian/Ubuntu), `RUN microdnf install -y openssl-libs` (UBI)",
            []),
        C::EnvOpensslVersion => entry!(Env, Fail,
            "upgrade the Speech SDK (`pip install -U azure-cognitiveservices-speech`: 1.40+ takes any OpenSSL 3.x), or install the OpenSSL it needs (libssl1.1 for SDKs before 1.38, e.g. a Debian 11 or Ubuntu 20.04 base image)",
            []),
        C::EnvSpeechSdkOutdated => entry!(Env, Warn,
            "upgrade the Azure Speech SDK to 1.48.2 or later (`pip install -U 'azure-cognitiveservices-speech>=1.48.2'`)",
            []),
        C::EnvClockSkew => entry!(Env, Warn,
            "fix the clock: a container shares the host's clock, so sync the host (NTP, `timedatectl`, the VM's time sync); certificate checks depend on it",
            []),
        C::EnvProxyConflict => entry!(Env, Warn,
            "set the lower- and upper-case proxy variables to the same value (or unset one): tools read them in different orders (e.g. `ENV https_proxy=$HTTPS_PROXY`)",
            []),
        C::EnvProxyBadUrl => entry!(Env, Warn,
            "write the proxy as scheme://user:password@host:port with the user name and password percent-encoded (@ → %40, : → %3A, / → %2F): `python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=\"\"))' 'PASSWORD'`",
            []),
        C::DnsNxdomain => entry!(Dns, Fail,
            "the name does not exist for this resolver: check the spelling and region; inside a cluster or VNet check private DNS zones and the resolver in /etc/resolv.conf",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -2] Name or service not known",
             "getaddrinfo ENOTFOUND <host>",
             "Failed to resolve '<host>'",
             SPEECH_IO_OPEN_FAILED]),
        C::DnsNoRecords => entry!(Dns, Fail,
            "the name exists but has no A/AAAA record: check the DNS zone (a private endpoint's record may be missing)",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -5] No address associated with hostname",
             "getaddrinfo ENOTFOUND <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::DnsServfail => entry!(Dns, Fail,
            "the resolver could not answer (upstream failure or DNSSEC problem): try another resolver with --resolver, or check the one in /etc/resolv.conf",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -3] Temporary failure in name resolution",
             "getaddrinfo EAI_AGAIN <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::DnsRefused => entry!(Dns, Fail,
            "the resolver refuses to answer for this client or name: check the nameserver in /etc/resolv.conf (is it a resolver that serves this network?)",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -3] Temporary failure in name resolution",
             "getaddrinfo EAI_AGAIN <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::DnsTimeout => entry!(Dns, Fail,
            "the resolver did not answer: check that UDP/TCP port 53 to the nameserver in /etc/resolv.conf is open from this container",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -3] Temporary failure in name resolution",
             "getaddrinfo EAI_AGAIN <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::DnsNoResolver => entry!(Dns, Fail,
            "no nameserver is configured and nothing answers on 127.0.0.1:53: give the container a /etc/resolv.conf (Docker writes one unless --dns or the network mode prevents it)",
            ["curl: (6) Could not resolve host: <host>",
             "[Errno -3] Temporary failure in name resolution",
             "getaddrinfo EAI_AGAIN <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::TcpRefused => entry!(Tcp, Fail,
            "nothing listens on that port at that address: check the port, that the service is up, and that --resolve/DNS gives the right address",
            ["curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server",
             "[Errno 111] Connection refused",
             "connect ECONNREFUSED <ip>:<port>",
             SPEECH_IO_OPEN_FAILED]),
        C::TcpTimeout => entry!(Tcp, Fail,
            "packets to that address are dropped: a firewall, security group, NSG or egress policy blocks the port, or egress must go through a proxy (set HTTPS_PROXY)",
            ["curl: (28) Failed to connect to <host> port <port> after <N> ms: Timeout was reached",
             "Connection to <host> timed out. (connect timeout=<t>)",
             "[Errno 110] Connection timed out",
             "connect ETIMEDOUT <ip>:<port>",
             "UND_ERR_CONNECT_TIMEOUT",
             SPEECH_IO_OPEN_FAILED]),
        C::TcpUnreachable => entry!(Tcp, Fail,
            "the container has no route to that address: check the network mode, the default route (`ip route`) and that the address family is available",
            ["curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server",
             "[Errno 101] Network is unreachable",
             "[Errno 113] No route to host",
             "connect ENETUNREACH <ip>:<port>",
             "connect EHOSTUNREACH <ip>:<port>",
             SPEECH_IO_OPEN_FAILED]),
        C::TcpIpv6Broken => entry!(Tcp, Warn,
            "IPv6 is advertised but does not work from here; clients with happy eyeballs recover, others hang or fail: fix IPv6 routing or prefer IPv4 (`-4`, gai.conf `precedence ::ffff:0:0/96 100`)",
            []),
        C::ProxyUnreachable => entry!(Proxy, Fail,
            "the proxy itself cannot be reached (its DNS or TCP cause is in the facts): check the host and port in the proxy variable, and that this network may reach the proxy",
            ["curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server",
             "ProxyError('Unable to connect to proxy', NewConnectionError(",
             "httpx.ConnectError: [Errno 111] Connection refused",
             "<urlopen error [Errno 111] Connection refused>"]),
        C::ProxyAuthRequired => entry!(Proxy, Fail,
            "the proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port, percent-encoded); NTLM/Negotiate-only proxies cannot be answered by most SDKs: ask for a Basic-auth port or an allow-list entry for this host",
            ["curl: (56) CONNECT tunnel failed, response 407",
             "Tunnel connection failed: 407 Proxy Authentication Required",
             "httpx.ProxyError: 407 Proxy Authentication Required"]),
        C::ProxyDenied => entry!(Proxy, Fail,
            "the proxy refuses this destination (a policy or allow-list, or a port it does not tunnel): ask the proxy's owners to allow the host and port, or add the host to NO_PROXY if it is reachable directly",
            ["curl: (56) CONNECT tunnel failed, response <status>",
             "Tunnel connection failed: <status> <reason>",
             "httpx.ProxyError: <status> <reason>"]),
        C::ProxyTlsToPlaintext => entry!(Proxy, Fail,
            "the proxy URL says https:// but the proxy speaks plain HTTP: change the scheme to http:// (the scheme names how you talk to the proxy, not the target): HTTPS_PROXY=http://proxy:port",
            ["curl: (35) OpenSSL/<version>: error:0A00010B:SSL routines::wrong version number",
             "Your proxy appears to only use HTTP and not HTTPS, try changing your proxy URL to be HTTP.",
             "[SSL: WRONG_VERSION_NUMBER] wrong version number",
             "[SSL] record layer failure"]),
        C::ProxyPlaintextToTls => entry!(Proxy, Fail,
            "this port speaks TLS, not a plain HTTP proxy: use the proxy's plain port, or https:// in the proxy URL if it is a TLS proxy; a web server's port is not a proxy",
            ["curl: (56) Proxy CONNECT aborted",
             "('Connection aborted.', BadStatusLine('\\x15\\x03",
             "httpx.RemoteProtocolError: illegal request line",
             "curl: (56) CONNECT tunnel failed, response 400",
             "Tunnel connection failed: 400 Bad Request",
             "httpx.ProxyError: 400 Bad Request"]),
        C::ProxyTlsUntrusted => entry!(Proxy, Fail,
            "the https:// proxy's own certificate is not trusted: add its CA to the image (and pass it with --proxy-cacert here), or use the proxy's plain http:// port",
            ["curl: (60) SSL certificate problem: self-signed certificate",
             "curl: (60) SSL certificate problem: unable to get local issuer certificate",
             "ProxyError('Unable to connect to proxy', SSLError(SSLCertVerificationError(",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: <reason>"]),
        C::ProxyMalformed => entry!(Proxy, Fail,
            "the proxy port answered, but not as an HTTP proxy: check the port (a SOCKS port needs socks5:// in the URL)",
            ["curl: (43) A libcurl function was given a bad argument",
             "('Connection aborted.', BadStatusLine('<line>'))",
             "httpx.RemoteProtocolError: illegal status line: <line>",
             "http.client.BadStatusLine: <line>"]),
        C::ProxyTimeout => entry!(Proxy, Fail,
            "the proxy accepted the connection but did not answer CONNECT in time: the proxy is overloaded or the port is not a proxy",
            ["curl: (28) Connection timed out after <N> milliseconds"]),
        C::ProxyBypassed => entry!(Proxy, Warn,
            "NO_PROXY sends this host direct: if it must go through the proxy, remove the entry; if direct is intended, nothing to do",
            []),
        C::ProxyIgnoredByClient => entry!(Proxy, Warn,
            "this client does not read the proxy variables: configure its proxy explicitly (e.g. the Speech SDK's `speech_config.set_proxy(host, port)`)",
            []),
        C::TlsPlaintextResponse => entry!(Tls, Fail,
            "the port speaks plain HTTP, not TLS: use http:// for this port or the service's TLS port (usually 443)",
            ["curl: (35) OpenSSL/<version>: error:0A00010B:SSL routines::wrong version number",
             "error:0A00010B:SSL routines:ssl3_get_record:wrong version number",
             "[SSL: WRONG_VERSION_NUMBER] wrong version number",
             "ERR_SSL_WRONG_VERSION_NUMBER",
             "tls: first record does not look like a TLS handshake",
             SPEECH_IO_OPEN_FAILED]),
        C::TlsProtocolVersion => entry!(Tls, Fail,
            "the server only offers TLS 1.1 or older, which current clients refuse: enable TLS 1.2/1.3 on the server or the proxy in front of it",
            ["curl: (35) OpenSSL/<version>: error:0A00042E:SSL routines::tlsv1 alert protocol version",
             "error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version",
             "SSL alert number 70",
             "error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported",
             "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version",
             "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
             SPEECH_IO_OPEN_FAILED]),
        C::TlsHandshakeFailure => entry!(Tls, Fail,
            "client and server share no protocol, cipher or key type, or the server wants a client certificate: compare with `openssl s_client -connect HOST:PORT -servername HOST`",
            ["curl: (35) OpenSSL/<version>: error:0A000410:SSL routines::sslv3 alert handshake failure",
             "error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure",
             "SSL alert number 40",
             "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure",
             "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
             SPEECH_IO_OPEN_FAILED]),
        C::TlsReset => entry!(Tls, Fail,
            "the connection was reset during the TLS handshake: typically a firewall or egress filter that rejects the SNI, or a proxy is required (set HTTPS_PROXY)",
            ["curl: (35) Recv failure: Connection reset by peer",
             "ConnectionResetError: [Errno 104] Connection reset by peer",
             "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
             "read ECONNRESET",
             SPEECH_IO_OPEN_FAILED]),
        C::TlsTimeout => entry!(Tls, Fail,
            "the server accepted TCP but never answered the TLS ClientHello: something on the path (a firewall, a half-open load balancer, a proxy port) swallows it",
            ["curl: (28) SSL connection timeout",
             "The handshake operation timed out",
             "Read timed out. (read timeout=<t>)",
             "UND_ERR_CONNECT_TIMEOUT",
             SPEECH_IO_OPEN_FAILED]),
        C::TlsUnexpectedEof => entry!(Tls, Fail,
            "the server closed the connection during the TLS handshake: it may not serve this SNI name, or a filter on the path drops TLS to this host",
            ["curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to <host>:<port>",
             "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
             "Client network socket disconnected before secure TLS connection was established",
             SPEECH_IO_OPEN_FAILED]),
        C::CertUnknownIssuer => entry!(Certificate, Fail,
            "the chain ends in a CA this container does not trust: if it is your organisation's CA or proxy, add it to the image (`COPY corp-root.crt /usr/local/share/ca-certificates/` then `RUN update-ca-certificates`); if it is public, install ca-certificates",
            ["curl: (60) SSL certificate problem: unable to get local issuer certificate",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
             "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
             "curl: (60) SSL certificate problem: self-signed certificate in certificate chain",
             "SELF_SIGNED_CERT_IN_CHAIN",
             "x509: certificate signed by unknown authority",
             SPEECH_IO_OPEN_FAILED]),
        C::CertIntercepted => entry!(Certificate, Fail,
            "a TLS-inspecting proxy or antivirus re-signs this connection: add its root CA to the image (`COPY corp-root.crt /usr/local/share/ca-certificates/` then `RUN update-ca-certificates`; RHEL/UBI: `/etc/pki/ca-trust/source/anchors/` and `update-ca-trust`), or have the host exempted from inspection; `--save-chain FILE` saves the chain so you can take the root from it",
            ["curl: (60) SSL certificate problem: unable to get local issuer certificate",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
             "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
             "curl: (60) SSL certificate problem: self-signed certificate in certificate chain",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain",
             "SELF_SIGNED_CERT_IN_CHAIN",
             "x509: certificate signed by unknown authority",
             SPEECH_IO_OPEN_FAILED]),
        C::CertNotStrict => entry!(Certificate, Warn,
            "reissue the CA (or leaf) with the extensions strict verifiers require: Basic Constraints critical on CAs, Key Usage and a Subject Key Identifier on CAs, an Authority Key Identifier on every certificate below the root (openssl: `-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -addext subjectKeyIdentifier=hash -addext authorityKeyIdentifier=keyid`); meanwhile Python 3.13+ clients can clear the flag: `ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT`",
            ["[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Basic Constraints of CA cert not marked critical",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Missing Authority Key Identifier",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Missing Subject Key Identifier",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: CA cert does not include key usage extension"]),
        C::CertRuntimeStoreMismatch => entry!(Certificate, Warn,
            "the system store trusts this chain but a runtime's own store does not: point the runtime at the system bundle (`ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt` for requests/httpx, or `pip install truststore`; `ENV NODE_EXTRA_CA_CERTS=/path/corp-root.crt` for Node; `CURL_CA_BUNDLE` for curl)",
            ["[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
             "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
             "curl: (60) SSL certificate problem: unable to get local issuer certificate"]),
        C::CertRevocationUnreachable => entry!(Certificate, Warn,
            "the chain's CRL/OCSP URLs cannot be fetched from here, and Speech SDKs before 1.48.2 download CRLs over plain HTTP (port 80) and fail the connection when they cannot: allow outbound HTTP to these hosts (directly, or through the proxy the app uses), or set OPENSSL_CONTINUE_ON_CRL_DOWNLOAD_FAILURE=true in the app's environment, or upgrade the Speech SDK to ≥ 1.48.2",
            []),
        C::CertExpired => entry!(Certificate, Fail,
            "the server's certificate has expired: renew it on the server; if it looks valid from elsewhere, check this container's clock",
            ["curl: (60) SSL certificate problem: certificate has expired",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired",
             "CERT_HAS_EXPIRED",
             "x509: certificate has expired or is not yet valid: current time <t> is after <t>",
             SPEECH_IO_OPEN_FAILED]),
        C::CertNotYetValid => entry!(Certificate, Fail,
            "the certificate is not valid yet: this container's clock is probably behind (check `date -u`), or the server installed a certificate early",
            ["curl: (60) SSL certificate problem: certificate is not yet valid",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate is not yet valid",
             "CERT_NOT_YET_VALID",
             "x509: certificate has expired or is not yet valid: current time <t> is before <t>",
             SPEECH_IO_OPEN_FAILED]),
        C::CertHostnameMismatch => entry!(Certificate, Fail,
            "the certificate is for other names: use a host name it lists, or fix the server's certificate (a custom domain or private endpoint needs its own)",
            ["curl: (60) SSL: no alternative certificate subject name matches target host name '<host>'",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '<host>'.",
             "ERR_TLS_CERT_ALTNAME_INVALID",
             "Hostname/IP does not match certificate's altnames",
             "x509: certificate is valid for <names>, not <host>",
             SPEECH_IO_OPEN_FAILED]),
        C::CertIncompleteChain => entry!(Certificate, Fail,
            "the server sends its certificate without the intermediate CA: configure the full chain on the server (e.g. nginx `ssl_certificate` with fullchain.pem); browsers hide this by fetching the intermediate, most clients do not",
            ["curl: (60) SSL certificate problem: unable to get local issuer certificate",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
             "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
             "unable to verify the first certificate",
             SPEECH_IO_OPEN_FAILED]),
        C::CertSelfSigned => entry!(Certificate, Fail,
            "the server presents a self-signed certificate: give the server a CA-issued certificate, or trust this one explicitly with --cacert (and in the image)",
            ["curl: (60) SSL certificate problem: self-signed certificate",
             "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate",
             "DEPTH_ZERO_SELF_SIGNED_CERT",
             "x509: certificate signed by unknown authority",
             SPEECH_IO_OPEN_FAILED]),
        C::CertInvalid => entry!(Certificate, Fail,
            "the certificate is malformed or uses an algorithm clients reject: reissue it (RSA ≥ 2048 or ECDSA P-256/P-384, SHA-256 signatures)",
            []),
        C::HttpRedirect => entry!(Http, Warn,
            "the URL redirects: use the Location it names, or let the client follow redirects",
            []),
        C::HttpNotFound => entry!(Http, Warn,
            "the server is reachable but has nothing at this path: check the path (and for Azure the deployment name and api-version)",
            ["curl: (22) The requested URL returned error: 404",
             "404 Client Error: Not Found for url: <url>",
             "HTTP Error 404: Not Found"]),
        C::HttpRateLimited => entry!(Http, Warn,
            "the server is reachable and throttling: slow down, or check the quota (Retry-After says when to retry)",
            ["curl: (22) The requested URL returned error: 429",
             "429 Client Error: Too Many Requests for url: <url>",
             "HTTP Error 429: Too Many Requests"]),
        C::HttpServerError => entry!(Http, Warn,
            "the network path works; the server (or a gateway in front of it) failed: check the service's status or the gateway's logs",
            ["curl: (22) The requested URL returned error: 5<N>",
             "5<N> Server Error: <reason> for url: <url>",
             "HTTP Error 5<N>: <reason>"]),
        C::HttpStatus => entry!(Http, Warn,
            "the network path works; the server rejected this request: read the body it returned",
            []),
        C::HttpMalformed => entry!(Http, Fail,
            "the server's reply is not valid HTTP/1.1: something on the path (a proxy, a wrong port, a non-HTTP service) answers instead of the web server",
            []),
        C::HttpReset => entry!(Http, Fail,
            "the connection was reset after the request went out: something on the path (a load balancer, a proxy, a WAF) cut it; look at its logs and idle timeouts, and at the server's",
            ["curl: (56) Recv failure: Connection reset by peer",
             "ConnectionResetError: [Errno 104] Connection reset by peer",
             "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
             "httpx.ReadError: [Errno 104] Connection reset by peer"]),
        C::HttpTimeout => entry!(Http, Fail,
            "the connection works but no complete response arrived in time: the server is slow or hung, or a proxy holds the response",
            []),
        C::HttpApiVersion => entry!(Http, Fail,
            "the service does not accept this api-version: pass a supported one with --api-version (or OPENAI_API_VERSION), e.g. the GA `2024-10-21`, or use the v1 API (`--api-version v1`, path /openai/v1/, no api-version)",
            ["openai.NotFoundError: Error code: 404 - {'error': {'code': '404', 'message': 'Resource not found'}}",
             "openai.BadRequestError: Error code: 400 - {'error': {'code': 'BadRequest', 'message': 'API version not supported'}}"]),
        C::AuthMissingKey => entry!(Auth, Warn,
            "the service is reachable and wants a credential: pass it (-H 'Authorization: Bearer …', or the preset's --key) to test authentication",
            ["curl: (22) The requested URL returned error: 401",
             "401 Client Error: Unauthorized for url: <url>",
             "HTTP Error 401: Unauthorized"]),
        C::AuthRejected => entry!(Auth, Fail,
            "the credential was rejected: check the key (and for Azure that it belongs to this resource and region), and that it has not been rotated",
            ["curl: (22) The requested URL returned error: 401",
             "401 Client Error: Unauthorized for url: <url>",
             "HTTP Error 401: Unauthorized",
             "WebSocket upgrade failed: Authentication error (401). Please check subscription information and region name."]),
        C::AuthForbidden => entry!(Auth, Fail,
            "the credential is valid but not allowed here: check the role assignment, network rules (firewall / private endpoint only) and the resource's access policy",
            ["curl: (22) The requested URL returned error: 403",
             "403 Client Error: Forbidden for url: <url>",
             "HTTP Error 403: Forbidden"]),
        C::WsUpgradeIgnored => entry!(Websocket, Fail,
            "the server answered the WebSocket upgrade like a plain request: a reverse proxy on the path probably does not forward `Upgrade`/`Connection` (nginx: `proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"; proxy_http_version 1.1;`), or the path is not a WebSocket endpoint",
            ["Handshake status 200 OK",
             "server rejected WebSocket connection: HTTP 200",
             "Unexpected server response: 200",
             "WebSocket upgrade failed: Unspecified connection error (200)."]),
        C::WsUpgradeRejected => entry!(Websocket, Fail,
            "the server refused the WebSocket upgrade: check the path and query; if a reverse proxy answered, make it forward `Upgrade`/`Connection` and use HTTP/1.1 upstream",
            ["Handshake status 400 Bad Request",
             "server rejected WebSocket connection: HTTP 400",
             "Unexpected server response: 400"]),
        C::WsBadAccept => entry!(Websocket, Fail,
            "the 101 reply carries a wrong Sec-WebSocket-Accept: a proxy or middlebox is rewriting the handshake",
            ["Invalid WebSocket Header",
             "invalid Sec-WebSocket-Accept header",
             "Invalid Sec-WebSocket-Accept header",
             "Incorrect hash received in Sec-WebSocket-Accept header."]),
        C::WsClosed => entry!(Websocket, Fail,
            "the server closed the WebSocket right after the upgrade: read the close code and reason (1008 policy, 1011 server error, 4xxx service-specific)",
            ["Connection to remote host was lost.",
             "no close frame received or sent",
             "received 1008 (policy violation) <reason>; then sent 1008 (policy violation) <reason>",
             "Connection closed (code 1008): <reason>"]),
        C::WsPingTimeout => entry!(Websocket, Warn,
            "the WebSocket opened but no pong came back in time: a proxy may buffer frames, or the server is overloaded",
            []),
        C::StreamNotSse => entry!(Stream, Fail,
            "the streaming request did not get `Content-Type: text/event-stream`: a proxy or gateway on the path answers instead of the service (or rewrites the response); check what the body says and the proxy's routing",
            ["openai.APIError: <message>",
             "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"]),
        C::StreamBuffered => entry!(Stream, Warn,
            "the events arrive together at the end: something buffers the stream (nginx `proxy_buffering on`, gzip on text/event-stream): set `proxy_buffering off;` (or send `X-Accel-Buffering: no` from the upstream), and do not compress text/event-stream",
            []),
        C::StreamRejected => entry!(Stream, Fail,
            "the same request works without `stream` and fails with it: disable streaming in the client (`stream=False`), or upgrade / redeploy the deployment (a model version or content filter that does not support streaming)",
            ["openai.BadRequestError: Error code: 400",
             "openai.APIError: An error occurred during streaming"]),
        C::StreamRequestFailed => entry!(Stream, Fail,
            "the chat request itself is refused, with or without `stream`: read the service's error (the model or deployment name, the api-version, the key's scope, a quota or content filter); streaming is not the cause",
            []),
    }
}

#[cfg(test)]
mod all_codes {
    use super::Code;

    #[test]
    fn all_lists_each_variant_once_in_order() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i, "{code} is out of place in Code::ALL");
        }
    }
}
