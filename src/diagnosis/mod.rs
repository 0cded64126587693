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

mod catalogue;

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
    EnvSpeechSdkIncomplete,
    EnvClockSkew,
    EnvProxyConflict,
    EnvProxyBadUrl,
    EnvClientNoSocks,
    EnvClientVersionConflict,
    DnsNxdomain,
    DnsNoRecords,
    DnsServfail,
    DnsRefused,
    DnsTimeout,
    DnsNoResolver,
    DnsMalformed,
    DnsNoEntropy,
    DnsSearchDomain,
    TcpRefused,
    TcpTimeout,
    TcpUnreachable,
    #[serde(rename = "TCP_IPV6_BROKEN")]
    TcpIpv6Broken,
    TcpPathMtu,
    ProxyUnreachable,
    ProxyAuthRequired,
    ProxyDenied,
    ProxyTlsToPlaintext,
    ProxyPlaintextToTls,
    ProxyTlsUntrusted,
    ProxyNotAProxy,
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
    TlsVerifierLimit,
    TlsClientCertRequired,
    TlsClientCertRejected,
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
    CertVerifierLimit,
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
    WsIdleClosed,
    #[serde(rename = "STREAM_NOT_SSE")]
    StreamNotSse,
    StreamBuffered,
    StreamRejected,
    StreamRequestFailed,
    StreamTruncated,
    StreamErrorEvent,
    StreamTimeout,
    StreamTooLarge,
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
        catalogue::catalogue(self)
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
        Code::EnvSpeechSdkIncomplete,
        Code::EnvClockSkew,
        Code::EnvProxyConflict,
        Code::EnvProxyBadUrl,
        Code::EnvClientNoSocks,
        Code::EnvClientVersionConflict,
        Code::DnsNxdomain,
        Code::DnsNoRecords,
        Code::DnsServfail,
        Code::DnsRefused,
        Code::DnsTimeout,
        Code::DnsNoResolver,
        Code::DnsMalformed,
        Code::DnsNoEntropy,
        Code::DnsSearchDomain,
        Code::TcpRefused,
        Code::TcpTimeout,
        Code::TcpUnreachable,
        Code::TcpIpv6Broken,
        Code::TcpPathMtu,
        Code::ProxyUnreachable,
        Code::ProxyAuthRequired,
        Code::ProxyDenied,
        Code::ProxyTlsToPlaintext,
        Code::ProxyPlaintextToTls,
        Code::ProxyTlsUntrusted,
        Code::ProxyNotAProxy,
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
        Code::TlsVerifierLimit,
        Code::TlsClientCertRequired,
        Code::TlsClientCertRejected,
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
        Code::CertVerifierLimit,
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
        Code::WsIdleClosed,
        Code::StreamNotSse,
        Code::StreamBuffered,
        Code::StreamRejected,
        Code::StreamRequestFailed,
        Code::StreamTruncated,
        Code::StreamErrorEvent,
        Code::StreamTimeout,
        Code::StreamTooLarge,
    ];
}

// Every variant is listed: a code added last must be added to ALL too.
const _: () = assert!(Code::ALL.len() == Code::StreamTooLarge as usize + 1);

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
