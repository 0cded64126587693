//! Why a handshake failed, in words: from rustls' error, the socket error
//! and the first bytes the server sent (an `HTTP/` reply means a plaintext
//! port).

use super::TlsError;
use rustls::AlertDescription;
use std::io;

/// Bytes as text, non-printable bytes escaped.
pub(super) fn printable(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Whether the first bytes are text rather than a TLS record.
pub(super) fn looks_like_plaintext(first: &[u8]) -> bool {
    match first.first() {
        // Nothing to look at, or a TLS record (content type 20..=24).
        None | Some(20..=24) => false,
        Some(_) => first
            .iter()
            .take(8)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()),
    }
}

pub(super) fn classify(e: &io::Error, first: &[u8]) -> TlsError {
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

pub(super) fn classify_rustls(e: &rustls::Error) -> TlsError {
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
pub(super) fn rustls_words(e: &rustls::Error) -> String {
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
pub(super) fn variant_words(debug: &str, sep: char) -> String {
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
pub(super) fn alert_name(a: AlertDescription) -> String {
    match a {
        AlertDescription::UnknownCA => "unknown_ca".to_owned(),
        AlertDescription::UnknownPSKIdentity => "unknown_psk_identity".to_owned(),
        _ => variant_words(&format!("{a:?}"), '_'),
    }
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
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
    }
}
