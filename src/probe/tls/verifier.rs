//! The recording server-certificate verifier: it keeps the presented chain
//! and accepts it (the `certificate` stage judges it afterwards), while the
//! handshake signatures are still verified, so the session is genuine.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};

/// Records the presented chain and accepts it; the handshake signatures are
/// still verified.
#[derive(Debug)]
pub(super) struct RecordingVerifier {
    pub(super) provider: Arc<CryptoProvider>,
    pub(super) chain: Mutex<Vec<CertificateDer<'static>>>,
    pub(super) unverified: Mutex<Option<String>>,
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
