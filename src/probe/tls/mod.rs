//! The `tls` stage: the handshake, with SNI and ALPN `http/1.1`, and a
//! client certificate when `--cert` gives one.
//!
//! The handshake never aborts on the certificate: a recording verifier
//! ([`verifier`]) keeps the presented chain (still checking the handshake
//! signatures, so the session is genuine) and the `certificate` stage
//! judges it afterwards. Failures are classified ([`classify`]) from
//! rustls' error, the socket error, and the first bytes the server sent
//! ([`first_bytes`]: an `HTTP/` reply means a plaintext port). A server
//! that asks for a client certificate is recorded, and its refusal
//! diagnosed, by [`client_auth`].

mod classify;
pub mod client_auth;
mod first_bytes;
mod verifier;

use super::client_cert::ClientCert;
use super::StageResult;
use crate::diagnosis::{Code, Diagnosis};
use classify::{classify, printable};
pub use client_auth::{refail, refusal, ClientAuth, Watched};
use client_auth::{Failure, Resolver};
pub use first_bytes::FirstBytes;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use verifier::RecordingVerifier;

/// The established TLS session and what the certificate stage needs.
pub struct Session<S> {
    /// The session, watched for a refusal after the handshake (see
    /// [`client_auth`]).
    pub stream: Watched<TlsStream<FirstBytes<S>>>,
    pub chain: Vec<CertificateDer<'static>>,
    /// Set when the server's handshake signature uses a key ring cannot
    /// verify (RSA under 2048 bits, P-521): the session is then unproven and
    /// the certificate stage treats the chain as untrusted.
    pub unverified_signature: Option<String>,
    /// What the server asked of a client certificate, and what was sent.
    pub client_auth: ClientAuth,
}

/// Why the handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("the server answered the TLS ClientHello with plaintext: {first_bytes}")]
    PlaintextResponse { first_bytes: String, http: bool },
    #[error("the server does not speak TLS 1.2 or 1.3 ({detail})")]
    ProtocolVersion { detail: String },
    #[error("the handshake failed: {detail}")]
    HandshakeFailure { detail: String },
    #[error("the connection was reset during the TLS handshake")]
    Reset,
    #[error("the server closed the connection during the TLS handshake")]
    UnexpectedEof,
    /// A handshake message over rustls' fixed 64 KiB limit: netdoctor's
    /// limit, not the server's fault.
    #[error("netdoctor's TLS library cannot read this server's handshake: a message from the server (usually its certificate chain) is larger than rustls' 64 KiB limit; OpenSSL-based clients such as curl and Python accept up to 100 KiB")]
    VerifierLimit,
}

/// Why the stages after a handshake that hit [`TlsError::VerifierLimit`]
/// do not run.
pub const STOPPED_BY_LIMIT: &str =
    "not checked: netdoctor's TLS library cannot read this server's handshake (see tls)";

impl TlsError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            TlsError::PlaintextResponse { .. } => Code::TlsPlaintextResponse,
            TlsError::ProtocolVersion { .. } => Code::TlsProtocolVersion,
            TlsError::HandshakeFailure { .. } => Code::TlsHandshakeFailure,
            TlsError::Reset => Code::TlsReset,
            TlsError::UnexpectedEof => Code::TlsUnexpectedEof,
            TlsError::VerifierLimit => Code::TlsVerifierLimit,
        }
    }

    /// The diagnosis, with a hint that fits what the server sent.
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        match self {
            TlsError::PlaintextResponse { http: false, .. } => d.with_hint(
                "the port speaks another protocol than TLS (see its first bytes): check the port number, or the service behind it",
            ),
            _ => d,
        }
    }
}

/// A TLS client configuration that records the chain and the server's
/// CertificateRequest, offering `cert` when there is one.
fn client_config(
    cert: Option<&ClientCert>,
) -> Result<
    (
        Arc<rustls::ClientConfig>,
        Arc<RecordingVerifier>,
        ClientAuth,
    ),
    rustls::Error,
> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (resolver, auth) = Resolver::new(cert);
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
        chain: Mutex::new(Vec::new()),
        unverified: Mutex::new(None),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), verifier, auth))
}

/// The tls stage's facts, as the report shows them. The negotiated
/// parameters are absent when the handshake did not complete; `alpn` and
/// `key_exchange` are then `None`, and `Some(None)` (`null`) when the
/// handshake completed without them.
#[derive(Debug, Clone, Serialize)]
pub struct TlsFacts {
    /// The CAs whose client certificates the server accepts, as it named
    /// them in its CertificateRequest (present when it asked for one; empty:
    /// it named none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptable_cas: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<Option<String>>,
    pub alpn_offered: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    /// `--cert`'s certificate: its subject and issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// How the server refused the client certificate after the handshake
    /// (nginx's 400, an alert under TLS 1.3), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert_refusal: Option<String>,
    /// The server sent a CertificateRequest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_cert_requested: bool,
    /// A client certificate was sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_cert_sent: bool,
    /// What the server sent before the handshake failed, escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bytes: Option<String>,
    /// Why the handshake signature is unverified (see [`Session`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshake_signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange: Option<Option<String>>,
    /// The SNI sent (`null` for an IP address: none is sent).
    pub sni: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Runs the handshake over `stream` with SNI `host`, without a client
/// certificate (an `https://` proxy's own handshake).
pub async fn stage<S>(stream: S, host: &str) -> StageResult<Session<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stage_with(stream, host, None).await
}

/// Runs the handshake over `stream` with SNI `host`, offering `cert` when
/// the server asks for a client certificate.
pub async fn stage_with<S>(
    stream: S,
    host: &str,
    cert: Option<&ClientCert>,
) -> StageResult<Session<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut facts = TlsFacts {
        acceptable_cas: None,
        alpn: None,
        alpn_offered: vec!["http/1.1"],
        chain_length: None,
        cipher_suite: None,
        client_cert: None,
        client_cert_refusal: None,
        client_cert_requested: false,
        client_cert_sent: false,
        first_bytes: None,
        handshake_signature: None,
        key_exchange: None,
        sni: Some(host.to_owned()),
        version: None,
    };
    let (config, verifier, auth) = match client_config(cert) {
        Ok(c) => c,
        Err(e) => {
            let err = TlsError::HandshakeFailure {
                detail: e.to_string(),
            };
            return StageResult::fail(err.diagnosis(), facts);
        }
    };
    let server_name = match ServerName::try_from(host.to_owned()) {
        Ok(n) => n,
        Err(e) => {
            let err = TlsError::HandshakeFailure {
                detail: format!("`{host}` cannot be a TLS server name: {e}"),
            };
            return StageResult::fail(err.diagnosis(), facts);
        }
    };
    if matches!(server_name, ServerName::IpAddress(_)) {
        facts.sni = None;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let wrapped = FirstBytes {
        inner: stream,
        seen: seen.clone(),
    };
    let result = TlsConnector::from(config)
        .connect(server_name, wrapped)
        .await;
    auth.facts(&mut facts);
    match result {
        Ok(tls) => established(tls, &verifier, auth, facts),
        Err(e) => {
            let first = seen.lock().map(|s| s.clone()).unwrap_or_default();
            if !first.is_empty() {
                facts.first_bytes = Some(printable(&first));
            }
            let err = classify(&e, &first);
            if matches!(err, TlsError::VerifierLimit) {
                // A warning with no session: the pipeline stops here
                // without blaming the server (see STOPPED_BY_LIMIT).
                return StageResult::warn_stop(err.diagnosis(), facts);
            }
            // After a CertificateRequest, an alert, a reset or a close is
            // about the client certificate.
            let refused = Failure::of(&e).and_then(|f| auth.judge(f));
            StageResult::fail(refused.unwrap_or_else(|| err.diagnosis()), facts)
        }
    }
}

/// The stage's result once the handshake completed: what was negotiated.
fn established<S>(
    tls: TlsStream<FirstBytes<S>>,
    verifier: &RecordingVerifier,
    auth: ClientAuth,
    mut facts: TlsFacts,
) -> StageResult<Session<S>> {
    let chain = verifier.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .map_or_else(|| "unknown".to_owned(), version_name);
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|a| String::from_utf8_lossy(a).into_owned());
    let group = conn
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()));
    let summary = format!(
        "{version} {suite}{}{}",
        group
            .as_deref()
            .map(|g| format!(" {g}"))
            .unwrap_or_default(),
        alpn.as_deref()
            .map(|a| format!(", ALPN {a}"))
            .unwrap_or_default()
    ) + auth.summary_note();
    let unverified_signature = verifier.unverified.lock().ok().and_then(|u| u.clone());
    facts.version = Some(version);
    facts.cipher_suite = Some(suite);
    facts.alpn = Some(alpn);
    facts.key_exchange = Some(group);
    facts.chain_length = Some(chain.len());
    facts.handshake_signature.clone_from(&unverified_signature);
    let session = Session {
        stream: Watched {
            inner: tls,
            auth: auth.clone(),
        },
        chain,
        unverified_signature,
        client_auth: auth,
    };
    StageResult::pass(summary, facts, session)
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        other => format!("{other:?}"),
    }
}
