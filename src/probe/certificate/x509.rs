//! One certificate of the presented chain as x509-parser reads it, and how
//! reports name its parts: host names, key, signature algorithm, dates.
//!
//! Algorithms are matched by their OIDs from x509-parser's `oid_registry`;
//! the names are the ones OpenSSL prints.

use super::facts::CertSummary;
use crate::trust::hash;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::public_key::PublicKey;

/// One parsed certificate of the chain.
pub(super) struct Cert<'a> {
    pub(super) x: X509Certificate<'a>,
}

/// The presented chain, parsed; `None` when it is empty or a certificate
/// is not X.509.
pub(super) fn parse_chain<'a>(chain: &'a [CertificateDer<'static>]) -> Option<Vec<Cert<'a>>> {
    if chain.is_empty() {
        return None;
    }
    chain
        .iter()
        .map(|der| {
            x509_parser::parse_x509_certificate(der)
                .ok()
                .map(|(_, x)| Cert { x })
        })
        .collect()
}

impl Cert<'_> {
    pub(super) fn self_issued(&self) -> bool {
        self.x.subject().as_raw() == self.x.issuer().as_raw()
    }

    pub(super) fn not_before(&self) -> i64 {
        self.x.validity().not_before.timestamp()
    }

    pub(super) fn not_after(&self) -> i64 {
        self.x.validity().not_after.timestamp()
    }

    /// The subjectAltName's DNS names and IP addresses.
    pub(super) fn dns_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Ok(Some(san)) = self.x.subject_alternative_name() {
            for n in &san.value.general_names {
                match n {
                    GeneralName::DNSName(d) => names.push((*d).to_owned()),
                    GeneralName::IPAddress(b) => names.push(ip_text(b)),
                    _ => {}
                }
            }
        }
        names
    }

    /// The AIA caIssuers URL, where the issuer's certificate can be fetched.
    pub(super) fn ca_issuers_url(&self) -> Option<String> {
        self.x
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    aia.accessdescs
                        .iter()
                        .find_map(|d| match &d.access_location {
                            GeneralName::URI(u)
                                if d.access_method
                                    == oids::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS =>
                            {
                                Some((*u).to_owned())
                            }
                            _ => None,
                        })
                }
                _ => None,
            })
    }

    /// The certificate as the facts show it.
    pub(super) fn summary(&self) -> CertSummary {
        CertSummary {
            issuer: self.x.issuer().to_string(),
            key: key_description(&self.x),
            names: self.dns_names(),
            not_after: rfc3339(self.not_after()),
            not_before: rfc3339(self.not_before()),
            signature: signature_name(&self.x.signature_algorithm.algorithm),
            subject: self.x.subject().to_string(),
            subject_hash: hash::name_hash(self.x.subject()),
        }
    }
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::from([b[0], b[1], b[2], b[3]]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        n => format!("an invalid IP address ({n} bytes)"),
    }
}

/// A Unix time as RFC 3339 (its number when it cannot be).
pub(super) fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts).map_or_else(|_| ts.to_string(), |t| date_text(&t))
}

/// A date as RFC 3339 (its Unix time when it cannot be).
pub(super) fn date_text(t: &OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The named elliptic curves, as reports name them.
const CURVES: &[(Oid<'static>, &str)] = &[
    (oids::OID_EC_P256, "EC P-256"),
    (oids::OID_NIST_EC_P384, "EC P-384"),
    (oids::OID_NIST_EC_P521, "EC P-521"),
];

/// The key's algorithm and size, e.g. `RSA 2048`, `EC P-256`, `Ed25519`.
fn key_description(x: &X509Certificate<'_>) -> String {
    let spki = x.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(oid) => CURVES.iter().find(|(o, _)| *o == oid).map_or_else(
                    || format!("EC {}", oid.to_id_string()),
                    |(_, n)| (*n).to_owned(),
                ),
                None => "EC".to_owned(),
            }
        }
        _ if spki.algorithm.algorithm == oids::OID_SIG_ED25519 => "Ed25519".to_owned(),
        _ => spki.algorithm.algorithm.to_id_string(),
    }
}

pub(super) fn rsa_bits(x: &X509Certificate<'_>) -> Option<usize> {
    match x.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(rsa.key_size()),
        _ => None,
    }
}

/// ecdsa-with-SHA1 (ANSI X9.62), which the registry does not list.
const ECDSA_WITH_SHA1: Oid<'static> = oids::asn1_rs::oid!(1.2.840 .10045 .4 .1);

/// The signature algorithms, by the names OpenSSL prints.
const SIGNATURES: &[(Oid<'static>, &str)] = &[
    (oids::OID_PKCS1_MD5WITHRSAENC, "md5WithRSAEncryption"),
    (oids::OID_PKCS1_SHA1WITHRSA, "sha1WithRSAEncryption"),
    (oids::OID_PKCS1_RSASSAPSS, "rsassaPss"),
    (oids::OID_PKCS1_SHA256WITHRSA, "sha256WithRSAEncryption"),
    (oids::OID_PKCS1_SHA384WITHRSA, "sha384WithRSAEncryption"),
    (oids::OID_PKCS1_SHA512WITHRSA, "sha512WithRSAEncryption"),
    (ECDSA_WITH_SHA1, "ecdsa-with-SHA1"),
    (oids::OID_SIG_ECDSA_WITH_SHA256, "ecdsa-with-SHA256"),
    (oids::OID_SIG_ECDSA_WITH_SHA384, "ecdsa-with-SHA384"),
    (oids::OID_SIG_ECDSA_WITH_SHA512, "ecdsa-with-SHA512"),
    (oids::OID_SIG_ED25519, "Ed25519"),
];

/// A signature algorithm's name; its dotted OID when it has none here.
pub(super) fn signature_name(oid: &Oid<'_>) -> String {
    SIGNATURES
        .iter()
        .find(|(o, _)| o == oid)
        .map_or_else(|| oid.to_id_string(), |(_, n)| (*n).to_owned())
}

/// Whether OpenSSL at its default security level also rejects the chain
/// (SHA-1/MD5 signatures, RSA keys under 2048 bits).
pub(super) fn openssl_rejects_too(certs: &[Cert<'_>]) -> bool {
    certs.iter().any(|c| {
        let sig = signature_name(&c.x.signature_algorithm.algorithm);
        sig.contains("SHA1")
            || sig.contains("sha1")
            || sig.contains("md5")
            || rsa_bits(&c.x).is_some_and(|b| b < 2048)
    })
}

/// Whether each presented certificate is signed by the next one (where the
/// next one names itself as its issuer).
pub(super) fn chain_signatures_ok(certs: &[Cert<'_>]) -> bool {
    certs.windows(2).all(|pair| {
        let (child, parent) = (&pair[0], &pair[1]);
        child.x.issuer().as_raw() != parent.x.subject().as_raw()
            || child
                .x
                .verify_signature(Some(parent.x.public_key()))
                .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let p = rcgen::CertificateParams::new(vec!["a.test".to_owned()]).unwrap();
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn names_of_keys_and_signatures() {
        for (alg, key, sig) in [
            (
                &rcgen::PKCS_ECDSA_P256_SHA256,
                "EC P-256",
                "ecdsa-with-SHA256",
            ),
            (
                &rcgen::PKCS_ECDSA_P384_SHA384,
                "EC P-384",
                "ecdsa-with-SHA384",
            ),
            (&rcgen::PKCS_ED25519, "Ed25519", "Ed25519"),
        ] {
            let der = cert_with(alg);
            let (_, x) = x509_parser::parse_x509_certificate(&der).unwrap();
            assert_eq!(key_description(&x), key);
            assert_eq!(signature_name(&x.signature_algorithm.algorithm), sig);
        }
    }

    #[test]
    fn signature_names_by_oid() {
        let name = |s: &str| signature_name(&s.parse::<Oid<'static>>().unwrap());
        assert_eq!(name("1.2.840.113549.1.1.4"), "md5WithRSAEncryption");
        assert_eq!(name("1.2.840.113549.1.1.5"), "sha1WithRSAEncryption");
        assert_eq!(name("1.2.840.113549.1.1.10"), "rsassaPss");
        assert_eq!(name("1.2.840.113549.1.1.11"), "sha256WithRSAEncryption");
        assert_eq!(name("1.2.840.113549.1.1.12"), "sha384WithRSAEncryption");
        assert_eq!(name("1.2.840.113549.1.1.13"), "sha512WithRSAEncryption");
        assert_eq!(name("1.2.840.10045.4.1"), "ecdsa-with-SHA1");
        assert_eq!(name("1.2.840.10045.4.3.4"), "ecdsa-with-SHA512");
        assert_eq!(name("1.2.3.4"), "1.2.3.4");
    }
}
