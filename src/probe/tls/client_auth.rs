//! Client certificates (mutual TLS): what the server asked for, what was
//! sent, and how a refusal shows.
//!
//! rustls calls the client's certificate resolver ([`Resolver`]) when the
//! server sends a CertificateRequest, with the distinguished names of the
//! CAs it accepts; the resolver records that (in a shared [`ClientAuth`])
//! and hands over `--cert`'s certificate, if any.
//!
//! A server refuses in one of three shapes: a TLS alert
//! (`certificate_required`, `handshake_failure`, `unknown_ca`, …), a reset
//! or a close — during the handshake under TLS 1.2, after it under TLS 1.3,
//! where the client's handshake is over before the server has read the
//! certificate; or, as nginx does, a completed handshake and an HTTP `400`
//! ("No required SSL certificate was sent", "The SSL certificate error").
//! The session's stream ([`Watched`]) records the first failure after the
//! handshake, so that the pipeline can judge the http stage's outcome as
//! the tls layer's ([`refusal`]).

use super::classify::alert_name;
use super::TlsFacts;
use crate::diagnosis::{Code, Diagnosis};
use crate::probe::client_cert::ClientCert;
use crate::probe::{Facts, StageReport};
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, SignatureScheme};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How the server ended the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    Alert(AlertDescription),
    Reset,
    Eof,
}

impl Failure {
    /// The failure an I/O error on the TLS session stands for, if any.
    pub(super) fn of(e: &io::Error) -> Option<Failure> {
        if let Some(rustls::Error::AlertReceived(a)) =
            e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(Failure::Alert(*a));
        }
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Some(Failure::Reset),
            io::ErrorKind::UnexpectedEof => Some(Failure::Eof),
            _ => None,
        }
    }

    fn words(self) -> String {
        match self {
            Failure::Alert(a) => format!("it sent the TLS alert {}", alert_name(a)),
            Failure::Reset => "it reset the connection".to_owned(),
            Failure::Eof => "it closed the connection".to_owned(),
        }
    }
}

/// What the handshake showed of client authentication.
#[derive(Debug, Default)]
struct Seen {
    /// The server sent a CertificateRequest.
    requested: bool,
    /// The CAs it named, as `CN=…, O=…` text.
    acceptable_cas: Vec<String>,
    /// A certificate was sent in answer.
    sent: bool,
    /// The first failure on the session after the handshake.
    after: Option<Failure>,
}

/// The record of one handshake's client authentication, shared by the
/// resolver, the session's stream and the stage.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    seen: Arc<Mutex<Seen>>,
    /// `--cert`'s certificate, described (`CN=… (issued by …)`).
    given: Option<String>,
}

impl ClientAuth {
    fn with<T>(&self, f: impl FnOnce(&mut Seen) -> T) -> Option<T> {
        self.seen.lock().ok().map(|mut s| f(&mut s))
    }

    /// Whether the server asked for a client certificate.
    pub fn requested(&self) -> bool {
        self.with(|s| s.requested).unwrap_or(false)
    }

    /// Fills in the stage's facts.
    pub(super) fn facts(&self, facts: &mut TlsFacts) {
        facts.client_cert.clone_from(&self.given);
        self.with(|s| {
            facts.client_cert_requested = s.requested;
            facts.client_cert_sent = s.sent;
            facts.acceptable_cas = s.requested.then(|| s.acceptable_cas.clone());
        });
    }

    /// `, client certificate sent` and the like, for the stage's summary.
    pub(super) fn summary_note(&self) -> &'static str {
        match self.with(|s| (s.requested, s.sent)) {
            Some((true, true)) => ", client certificate sent",
            Some((true, false)) => ", client certificate requested, none sent",
            _ => "",
        }
    }

    /// The diagnosis of a failure after a CertificateRequest: the server
    /// wanted a certificate and got none, or refused the one it got.
    pub(super) fn judge(&self, failure: Failure) -> Option<Diagnosis> {
        let (requested, sent) = self.with(|s| (s.requested, s.sent))?;
        if !requested {
            return None;
        }
        if !sent {
            return Some(self.required(&failure.words()));
        }
        let refused = match failure {
            Failure::Alert(a) => REFUSALS.contains(&a),
            Failure::Reset | Failure::Eof => true,
        };
        refused.then(|| self.rejected(&failure.words()))
    }

    fn cas(&self) -> String {
        let cas = self.with(|s| s.acceptable_cas.clone()).unwrap_or_default();
        let shown = cas.len().min(SHOWN_CAS);
        let more = match cas.len() - shown {
            0 => String::new(),
            n => format!(" and {n} more (see acceptable_cas)"),
        };
        if cas.is_empty() {
            "it named no CA (any issuer it trusts)".to_owned()
        } else {
            format!(
                "it accepts certificates issued by {}{more}",
                cas[..shown].join("; ")
            )
        }
    }

    fn required(&self, how: &str) -> Diagnosis {
        let given = if self.given.is_some() {
            " (the --cert certificate could not be sent: its key type is not among the signature schemes the server accepts)"
        } else {
            ""
        };
        Diagnosis::new(
            Code::TlsClientCertRequired,
            format!(
                "the server requires a client certificate and none was sent{given} ({how}); {}",
                self.cas()
            ),
        )
    }

    fn rejected(&self, how: &str) -> Diagnosis {
        let given = self.given.as_deref().unwrap_or("the --cert certificate");
        Diagnosis::new(
            Code::TlsClientCertRejected,
            format!(
                "the server refused the client certificate {given} ({how}); {}",
                self.cas()
            ),
        )
    }

    /// Records the first failure seen on the session after the handshake.
    fn after(&self, failure: Failure) {
        self.with(|s| {
            s.after.get_or_insert(failure);
        });
    }
}

/// The most CA names kept in the facts, and named in a summary.
const MAX_CAS: usize = 100;
const SHOWN_CAS: usize = 5;

/// The alerts that refuse a client certificate that was sent.
const REFUSALS: &[AlertDescription] = &[
    AlertDescription::BadCertificate,
    AlertDescription::UnsupportedCertificate,
    AlertDescription::CertificateRevoked,
    AlertDescription::CertificateExpired,
    AlertDescription::CertificateUnknown,
    AlertDescription::UnknownCA,
    AlertDescription::AccessDenied,
    AlertDescription::DecryptError,
    AlertDescription::HandshakeFailure,
    AlertDescription::CertificateRequired,
];

/// rustls' client-certificate resolver: records the CertificateRequest and
/// answers with `--cert`'s certificate when the server can check its
/// signature.
#[derive(Debug)]
pub(super) struct Resolver {
    cert: Option<Arc<CertifiedKey>>,
    auth: ClientAuth,
}

impl Resolver {
    /// The resolver for `cert`, and the record it keeps.
    pub(super) fn new(cert: Option<&ClientCert>) -> (Resolver, ClientAuth) {
        let auth = ClientAuth {
            seen: Arc::default(),
            given: cert.map(ClientCert::describe),
        };
        let resolver = Resolver {
            cert: cert.map(|c| c.key.clone()),
            auth: auth.clone(),
        };
        (resolver, auth)
    }
}

impl ResolvesClientCert for Resolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let cert = self
            .cert
            .clone()
            .filter(|c| c.key.choose_scheme(sigschemes).is_some());
        self.auth.with(|s| {
            s.requested = true;
            // Some servers name every CA they trust: the list is kept
            // bounded, each name cut (they are the server's text).
            s.acceptable_cas = root_hint_subjects
                .iter()
                .take(MAX_CAS)
                .map(|n| crate::redact::bounded(&dn_text(n), 300))
                .collect();
            s.sent = cert.is_some();
        });
        cert
    }

    fn has_certs(&self) -> bool {
        self.cert.is_some()
    }
}

/// A distinguished name (DER) as text, `CN=…, O=…` as the certificate
/// stage writes names; unparsable bytes are described, not shown.
fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!("(an unreadable name, {} bytes)", der.len()),
    }
}

/// The session's stream: records the first failure after the handshake
/// (an alert, a reset, a close) in the [`ClientAuth`].
pub struct Watched<S> {
    pub(super) inner: S,
    pub(super) auth: ClientAuth,
}

impl<S> Watched<S> {
    fn note<T>(&self, r: &Poll<io::Result<T>>) {
        if let Poll::Ready(Err(e)) = r {
            if let Some(f) = Failure::of(e) {
                self.auth.after(f);
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let (before, room) = (buf.filled().len(), buf.remaining() > 0);
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && room && buf.filled().len() == before {
            this.auth.after(Failure::Eof);
        }
        this.note(&r);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.note(&r);
        r
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        this.note(&r);
        r
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// nginx's answers when a required client certificate is missing or
/// refused (its 496/495, sent as 400 unless an `error_page` keeps them).
const NGINX_MISSING: &str = "No required SSL certificate was sent";
const NGINX_REFUSED: &str = "The SSL certificate error";

/// The tls layer's verdict on the http stage's outcome (its facts), when
/// the server had asked for a client certificate: nginx's 400 (or 495/496),
/// or a request that failed with no reply because the server sent an
/// alert, reset or closed right after the handshake (TLS 1.3).
pub fn refusal(auth: &ClientAuth, http: &Facts, http_failed: bool) -> Option<Diagnosis> {
    if !auth.requested() {
        return None;
    }
    let Facts::Http(f) = http else {
        return None;
    };
    let body = f.body.as_deref().unwrap_or_default();
    let quoted = |text: &str| format!("it answered HTTP {} \"{text}\"", f.status.unwrap_or(0));
    match f.status {
        Some(400) if body.contains(NGINX_MISSING) => {
            return Some(auth.required(&quoted(NGINX_MISSING)))
        }
        Some(496) => return Some(auth.required(&quoted(NGINX_MISSING))),
        Some(400) if body.contains(NGINX_REFUSED) => {
            return Some(auth.rejected(&quoted(NGINX_REFUSED)))
        }
        Some(495) => return Some(auth.rejected(&quoted(NGINX_REFUSED))),
        _ => {}
    }
    if !http_failed || f.status.is_some() {
        return None;
    }
    let after = auth.with(|s| s.after).flatten()?;
    auth.judge(after)
}

/// Re-records the tls stage as failed with `d` (the refusal came after
/// the handshake).
pub fn refail(stage: &mut StageReport, d: Diagnosis) {
    if let Some(Facts::Tls(f)) = stage.facts.as_mut() {
        f.client_cert_refusal = Some(d.summary.clone());
    }
    stage.status = d.status;
    stage.summary = Some(d.summary.clone());
    stage.diagnosis = Some(d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_text() {
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "CA" } } }
        let der = [
            0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, b'C',
            b'A',
        ];
        assert_eq!(dn_text(&der), "CN=CA");
        assert!(dn_text(&[1, 2, 3]).contains("3 bytes"));
    }

    #[test]
    fn a_refusal_needs_a_request() {
        let (_, auth) = Resolver::new(None);
        assert!(auth.judge(Failure::Reset).is_none());
        auth.with(|s| s.requested = true);
        let d = auth.judge(Failure::Reset).unwrap();
        assert_eq!(d.code, Code::TlsClientCertRequired);
        auth.with(|s| s.sent = true);
        let d = auth
            .judge(Failure::Alert(AlertDescription::UnknownCA))
            .unwrap();
        assert_eq!(d.code, Code::TlsClientCertRejected);
        assert!(d.summary.contains("unknown_ca"), "{}", d.summary);
        assert!(auth
            .judge(Failure::Alert(AlertDescription::DecodeError))
            .is_none());
    }
}
