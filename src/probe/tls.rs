//! The `tls` stage: the handshake, with SNI and ALPN `http/1.1`.
//!
//! The handshake never aborts on the certificate: a recording verifier keeps
//! the presented chain (still checking the handshake signatures, so the
//! session is genuine) and the `certificate` stage judges it afterwards.
//! Failures are classified from rustls' error, the socket error, and the
//! first bytes the server sent (an `HTTP/` reply means a plaintext port).

use super::StageResult;
use crate::diagnosis::{Code, Diagnosis};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// The established TLS session and what the certificate stage needs.
pub struct Session<S> {
    pub stream: TlsStream<FirstBytes<S>>,
    pub chain: Vec<CertificateDer<'static>>,
    /// Set when the server's handshake signature uses a key ring cannot
    /// verify (RSA under 2048 bits, P-521): the session is then unproven and
    /// the certificate stage treats the chain as untrusted.
    pub unverified_signature: Option<String>,
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

/// Records the presented chain and accepts it; the handshake signatures are
/// still verified.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
    unverified: Mutex<Option<String>>,
}

impl RecordingVerifier {
    /// A handshake signature ring could not check: accepted (and recorded)
    /// only when the key is one ring does not support, so that the
    /// certificate stage can judge the chain; a wrong signature by a
    /// supported key still fails the handshake.
    fn unsupported_key(
        &self,
        cert: &CertificateDer<'_>,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let Err(e) = result else { return result };
        let Some(key) = unsupported_key_kind(cert) else {
            return Err(e);
        };
        if let Ok(mut slot) = self.unverified.lock() {
            *slot = Some(format!(
                "the handshake signature by a {key} key could not be verified ({e})"
            ));
        }
        Ok(HandshakeSignatureValid::assertion())
    }
}

/// `Some("RSA 1024")` or `Some("EC P-521")` for keys ring cannot verify.
fn unsupported_key_kind(cert: &CertificateDer<'_>) -> Option<String> {
    use x509_parser::public_key::PublicKey;
    let (_, x) = x509_parser::parse_x509_certificate(cert).ok()?;
    let spki = x.public_key();
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) if rsa.key_size() < 2048 => Some(format!("RSA {}", rsa.key_size())),
        PublicKey::EC(_) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()?
                .as_oid()
                .ok()?
                .to_id_string();
            (curve == "1.3.132.0.35").then(|| "EC P-521".to_owned())
        }
        _ => None,
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        if let Ok(mut slot) = self.chain.lock() {
            *slot = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let r = verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.unsupported_key(cert, r)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let r = verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.unsupported_key(cert, r)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self
            .provider
            .signature_verification_algorithms
            .supported_schemes();
        // Offered so that P-521 servers can complete the handshake; the
        // signature is then recorded as unverified.
        schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        schemes
    }
}

/// A stream that remembers the first bytes the peer sent, so that a
/// plaintext answer to a ClientHello can be recognised.
pub struct FirstBytes<S> {
    inner: S,
    seen: Arc<Mutex<Vec<u8>>>,
}

const FIRST_BYTES: usize = 64;

impl<S: AsyncRead + Unpin> AsyncRead for FirstBytes<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Ok(mut seen) = this.seen.lock() {
            if seen.len() < FIRST_BYTES {
                let new = &buf.filled()[before..];
                let take = new.len().min(FIRST_BYTES - seen.len());
                seen.extend_from_slice(&new[..take]);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FirstBytes<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A TLS client configuration that records the chain.
fn client_config() -> Result<(Arc<rustls::ClientConfig>, Arc<RecordingVerifier>), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
        chain: Mutex::new(Vec::new()),
        unverified: Mutex::new(None),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), verifier))
}

/// The tls stage's facts, as the report shows them. The negotiated
/// parameters are absent when the handshake did not complete; `alpn` and
/// `key_exchange` are then `None`, and `Some(None)` (`null`) when the
/// handshake completed without them.
#[derive(Debug, Clone, Serialize)]
pub struct TlsFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<Option<String>>,
    pub alpn_offered: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
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

/// Runs the handshake over `stream` with SNI `host`.
pub async fn stage<S>(stream: S, host: &str) -> StageResult<Session<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut facts = TlsFacts {
        alpn: None,
        alpn_offered: vec!["http/1.1"],
        chain_length: None,
        cipher_suite: None,
        first_bytes: None,
        handshake_signature: None,
        key_exchange: None,
        sni: Some(host.to_owned()),
        version: None,
    };
    let (config, verifier) = match client_config() {
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
    match TlsConnector::from(config)
        .connect(server_name, wrapped)
        .await
    {
        Ok(tls) => established(tls, &verifier, facts),
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
            StageResult::fail(err.diagnosis(), facts)
        }
    }
}

/// The stage's result once the handshake completed: what was negotiated.
fn established<S>(
    tls: TlsStream<FirstBytes<S>>,
    verifier: &RecordingVerifier,
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
    );
    let unverified_signature = verifier.unverified.lock().ok().and_then(|u| u.clone());
    facts.version = Some(version);
    facts.cipher_suite = Some(suite);
    facts.alpn = Some(alpn);
    facts.key_exchange = Some(group);
    facts.chain_length = Some(chain.len());
    facts.handshake_signature.clone_from(&unverified_signature);
    let session = Session {
        stream: tls,
        chain,
        unverified_signature,
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

/// Bytes as text, non-printable bytes escaped.
fn printable(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Whether the first bytes are text rather than a TLS record.
fn looks_like_plaintext(first: &[u8]) -> bool {
    match first.first() {
        // Nothing to look at, or a TLS record (content type 20..=24).
        None | Some(20..=24) => false,
        Some(_) => first
            .iter()
            .take(8)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()),
    }
}

fn classify(e: &io::Error, first: &[u8]) -> TlsError {
    if looks_like_plaintext(first) {
        let text = String::from_utf8_lossy(first);
        let line = text.lines().next().unwrap_or_default();
        return TlsError::PlaintextResponse {
            http: first.starts_with(b"HTTP/") || first.starts_with(b"<"),
            first_bytes: format!("\"{}\"", crate::redact::bounded(line, 60)),
        };
    }
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return classify_rustls(tls);
    }
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => TlsError::Reset,
        io::ErrorKind::UnexpectedEof => TlsError::UnexpectedEof,
        _ => TlsError::HandshakeFailure {
            detail: e.to_string(),
        },
    }
}

fn classify_rustls(e: &rustls::Error) -> TlsError {
    use rustls::PeerIncompatible as P;
    match e {
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion) => {
            TlsError::ProtocolVersion {
                detail: "it sent the TLS alert protocol_version".to_owned(),
            }
        }
        rustls::Error::PeerIncompatible(
            p @ (P::ServerDoesNotSupportTls12Or13
            | P::ServerTlsVersionIsDisabledByOurConfig
            | P::SupportedVersionsExtensionRequired),
        ) => TlsError::ProtocolVersion {
            detail: variant_words(&format!("{p:?}"), ' '),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::HandshakePayloadTooLarge) => {
            TlsError::VerifierLimit
        }
        rustls::Error::AlertReceived(alert) => TlsError::HandshakeFailure {
            detail: format!("the server sent the TLS alert {}", alert_name(*alert)),
        },
        other => TlsError::HandshakeFailure {
            detail: rustls_words(other),
        },
    }
}

/// A rustls error in words: what kind of failure, and its variant's name
/// (never Rust debug text with fields).
fn rustls_words(e: &rustls::Error) -> String {
    let (what, inner) = match e {
        rustls::Error::InvalidMessage(m) => {
            ("the server sent a malformed TLS message", format!("{m:?}"))
        }
        rustls::Error::PeerMisbehaved(m) => ("the server broke the TLS protocol", format!("{m:?}")),
        rustls::Error::PeerIncompatible(m) => (
            "the server offers nothing this client supports",
            format!("{m:?}"),
        ),
        rustls::Error::InvalidCertificate(c) => (
            "the server's certificate or handshake signature is rejected",
            format!("{c:?}"),
        ),
        rustls::Error::InappropriateHandshakeMessage { got_type, .. } => (
            "the server sent an unexpected handshake message",
            format!("{got_type:?}"),
        ),
        rustls::Error::InappropriateMessage { got_type, .. } => (
            "the server sent an unexpected TLS message",
            format!("{got_type:?}"),
        ),
        rustls::Error::DecryptError => return "the server's records do not decrypt".to_owned(),
        other => ("the handshake failed", format!("{other:?}")),
    };
    format!("{what} ({})", variant_words(&inner, ' '))
}

/// The variant name at the start of a debug text, its words joined by
/// `sep`: `HandshakePayloadTooLarge` → `handshake payload too large`.
fn variant_words(debug: &str, sep: char) -> String {
    let mut out = String::new();
    for (i, c) in debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .enumerate()
    {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(sep);
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `HandshakeFailure` → `handshake_failure`, as OpenSSL and RFC 8446 name it.
fn alert_name(a: AlertDescription) -> String {
    variant_words(&format!("{a:?}"), '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_detection() {
        assert!(looks_like_plaintext(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(looks_like_plaintext(b"SSH-2.0-OpenSSH"));
        assert!(!looks_like_plaintext(&[
            0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46
        ]));
        assert!(!looks_like_plaintext(b""));
    }

    #[test]
    fn alert_names_are_snake_case() {
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
    }
}
