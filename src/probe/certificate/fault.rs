//! [`CertFault`]: what is wrong with a chain, carrying what rustls and
//! webpki carry (the dates, the names, the issuer), and the diagnosis each
//! fault makes.

use super::x509::date_text;
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::trust::interception::Rule;
use std::fmt;
use time::OffsetDateTime;

/// A fault of the presented chain, in the words of the report.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CertFault {
    /// A certificate is not X.509 (or there is none).
    #[error("the server's certificate cannot be parsed as X.509")]
    Unparsable,
    /// webpki rejects the chain for another reason than its issuer.
    #[error("the chain is invalid: {}", describe(.error))]
    Invalid {
        error: webpki::Error,
        /// OpenSSL at its default security level may accept it.
        openssl_may_accept: bool,
    },
    #[error("the server presents a self-signed certificate ({subject})")]
    SelfSigned { subject: String },
    /// The issuer is a public CA missing from the container's stores.
    #[error("the chain ends in a public CA ({issuer}) that this container does not trust")]
    PublicIssuerMissing { issuer: String },
    /// The server omits its intermediate (or its issuer is unknown
    /// everywhere).
    #[error("{}", incomplete(.issuer, .ca_issuers_url.as_deref()))]
    IncompleteChain {
        issuer: String,
        /// Where the leaf says its issuer can be fetched (AIA caIssuers).
        ca_issuers_url: Option<String>,
    },
    #[error("the chain ends in a CA this container does not trust: {issuer}")]
    UnknownIssuer { issuer: String },
    #[error("{which} expired {} day(s) ago, on {}", days(.now, .not_after), date_text(.not_after))]
    Expired {
        which: Which,
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("{which} is valid only from {} ({} day(s) from now by this container's clock)", date_text(.not_before), days(.not_before, .now))]
    NotYetValid {
        which: Which,
        not_before: OffsetDateTime,
        now: OffsetDateTime,
    },
    /// The leaf is not valid for the host: the names it presents.
    #[error("the certificate is not valid for {expected}; it is valid for: {}", listed(.presented))]
    HostnameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    /// A proxy or antivirus re-signs the connection.
    #[error("{}; {}", interceptor(*.product, *.rule, .host, .ca), if *.trusted { "this container trusts that CA, so the proxy can read the traffic" } else { "this container does not trust that CA" })]
    Intercepted {
        /// The product its CA names, if the catalogue knows it.
        product: Option<&'static str>,
        rule: Rule,
        host: String,
        /// The issuer the chain ends in.
        ca: String,
        /// The container trusts that CA.
        trusted: bool,
    },
    /// The container trusts the chain; these runtimes' own stores do not
    /// (`<store> (used by <clients>): <verdict>` each).
    #[error("the container's OpenSSL store trusts this chain, but not every runtime's own store does: {}", .stores.join("; "))]
    RuntimeStoreMismatch { stores: Vec<String> },
    /// Strict verifiers reject the chain: what each certificate lacks.
    #[error("strict verifiers (Python ≥ 3.13, whose default context sets VERIFY_X509_STRICT) reject this chain: {}", .findings.join("; "))]
    NotStrict {
        findings: Vec<String>,
        /// What Python prints for them.
        python_errors: Vec<&'static str>,
    },
    /// The chain is longer than rustls-webpki can check (a fixed limit),
    /// and the container's stores hold its anchor: OpenSSL-based clients
    /// accept it.
    #[error("netdoctor's verifier cannot check a chain this long ({intermediates} intermediates; rustls-webpki stops at {max}); OpenSSL-based clients such as curl and Python accept up to {openssl}", max = super::path::WEBPKI_MAX_INTERMEDIATES, openssl = super::path::OPENSSL_MAX_DEPTH)]
    VerifierLimit { intermediates: usize },
    /// rustls could not check the handshake signature: why.
    #[error("{why}: rustls cannot prove this server holds the key")]
    UnverifiedSignature {
        why: String,
        /// OpenSSL at its default security level may accept the key.
        openssl_may_accept: bool,
    },
}

/// Which certificate of the chain a fault is about.
#[derive(Debug, Clone)]
pub enum Which {
    /// The server's own certificate.
    Leaf,
    /// The `index`th certificate of the presented chain.
    Chain { index: usize, subject: String },
    /// The CA certificate in a store that the chain ends in.
    Anchor { subject: String, store: String },
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Which::Leaf => f.write_str("the server's certificate"),
            Which::Chain { index, subject } => write!(f, "chain certificate #{index} ({subject})"),
            Which::Anchor { subject, store } => {
                write!(
                    f,
                    "the CA certificate the chain ends in ({subject}, in {store})"
                )
            }
        }
    }
}

impl CertFault {
    /// The diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            CertFault::Unparsable
            | CertFault::Invalid { .. }
            | CertFault::UnverifiedSignature { .. } => Code::CertInvalid,
            CertFault::SelfSigned { .. } => Code::CertSelfSigned,
            CertFault::PublicIssuerMissing { .. } | CertFault::UnknownIssuer { .. } => {
                Code::CertUnknownIssuer
            }
            CertFault::IncompleteChain { .. } => Code::CertIncompleteChain,
            CertFault::Expired { .. } => Code::CertExpired,
            CertFault::NotYetValid { .. } => Code::CertNotYetValid,
            CertFault::HostnameMismatch { .. } => Code::CertHostnameMismatch,
            CertFault::Intercepted { .. } => Code::CertIntercepted,
            CertFault::RuntimeStoreMismatch { .. } => Code::CertRuntimeStoreMismatch,
            CertFault::NotStrict { .. } => Code::CertNotStrict,
            CertFault::VerifierLimit { .. } => Code::CertVerifierLimit,
        }
    }

    /// The diagnosis, with the severity and hint the fault itself implies
    /// (callers add hints that depend on the image).
    pub fn diagnosis(&self) -> Diagnosis {
        let d = Diagnosis::new(self.code(), self.to_string());
        match self {
            CertFault::Invalid {
                openssl_may_accept: true,
                ..
            } => d.with_status(Status::Warn).with_hint(
                "rustls-webpki rejects this chain but OpenSSL-based clients may accept it; reissue the certificate with common algorithms (RSA ≥ 2048 or ECDSA P-256/P-384, SHA-256)",
            ),
            CertFault::UnverifiedSignature {
                openssl_may_accept: true,
                ..
            } => d.with_status(Status::Warn).with_hint(
                "OpenSSL-based clients may accept this key, others (rustls, Go with strict settings) do not; reissue the certificate with RSA ≥ 2048 or ECDSA P-256/P-384",
            ),
            CertFault::PublicIssuerMissing { .. } => d.with_hint("the image lacks the public CA bundle: `RUN apt-get update && apt-get install -y ca-certificates` (Debian/Ubuntu) or `RUN apk add ca-certificates` (Alpine); if SSL_CERT_FILE/SSL_CERT_DIR is set, point it at that bundle"),
            CertFault::IncompleteChain { .. } => d.with_hint(
                "configure the full chain on the server (leaf then intermediates, e.g. nginx `ssl_certificate fullchain.pem`); browsers hide this by fetching the intermediate, most clients do not. If the issuer is your organisation's private CA, trust it instead: `COPY corp-ca.crt /usr/local/share/ca-certificates/` then `RUN update-ca-certificates`",
            ),
            CertFault::Intercepted { trusted: true, .. } => d.with_status(Status::Warn),
            CertFault::Expired {
                which: Which::Anchor { store, .. },
                ..
            } => d.with_hint(format!(
                "the CA certificate in {store} has expired, and OpenSSL-based clients no longer anchor a chain in it: replace it with the CA's renewed certificate (a root renewed with the same key keeps the server's chain valid); ask whoever runs the CA for it"
            )),
            CertFault::NotYetValid {
                which: Which::Anchor { store, .. },
                ..
            } => d.with_hint(format!(
                "the CA certificate in {store} is not valid yet: this container's clock is probably behind (check `date -u`), or the CA was issued with a start date in the future"
            )),
            CertFault::NotStrict { python_errors, .. } => Diagnosis {
                client_errors: python_errors.clone(),
                ..d
            },
            _ => d,
        }
    }

    /// The chain does not anchor in the container's stores (the faults
    /// interception explains).
    pub(super) fn is_unanchored(&self) -> bool {
        matches!(
            self,
            CertFault::UnknownIssuer { .. }
                | CertFault::PublicIssuerMissing { .. }
                | CertFault::IncompleteChain { .. }
                | CertFault::SelfSigned { .. }
        )
    }
}

/// Whole days from `earlier` to `later`.
fn days(later: &OffsetDateTime, earlier: &OffsetDateTime) -> i64 {
    (later.unix_timestamp() - earlier.unix_timestamp()) / 86_400
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "no subjectAltName at all".to_owned()
    } else {
        names.join(", ")
    }
}

fn incomplete(issuer: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => format!(
            "the server did not send the intermediate CA ({issuer}) that its certificate names at {}",
            crate::redact::bounded(url, 200)
        ),
        None => format!(
            "the server sent only its own certificate, and its issuer ({issuer}) is in no store here nor among public CAs: the server probably omits its intermediate CA, or that issuer is a private CA this container does not trust"
        ),
    }
}

/// Who re-signs the connection, and how we know.
fn interceptor(product: Option<&str>, rule: Rule, host: &str, ca: &str) -> String {
    match (product, rule) {
        (Some(p), _) => format!("{p} re-signs this connection: the chain ends in its CA ({ca})"),
        (None, Rule::Resigned) => format!(
            "the proxy re-signs this connection: the certificate seen through it (issued by {ca}) differs from the one {host} presents on a direct connection"
        ),
        (None, _) => format!(
            "{host} is a public service whose certificates come from public CAs, but this chain ends in {ca}: a TLS-inspecting proxy or antivirus on the path re-signs it"
        ),
    }
}

/// A webpki rejection in words a user can act on (never Rust debug text).
pub(super) fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    let text = match e {
        E::InvalidSignatureForPublicKey => "a signature in the chain does not verify: a certificate was altered, or signed by another key than its issuer's",
        E::RequiredEkuNotFoundContext(_) => "the certificate is not for TLS servers (its Extended Key Usage lacks serverAuth)",
        E::EmptyEkuExtension => "a certificate has an empty Extended Key Usage extension",
        E::EndEntityUsedAsCa => "a certificate that is not a CA (Basic Constraints CA:FALSE or missing) signed another one",
        E::CaUsedAsEndEntity => "the server's certificate is a CA certificate",
        E::PathLenConstraintViolated => "the chain is longer than a CA's pathLenConstraint allows",
        E::NameConstraintViolation => "the certificate's name is outside its CA's name constraints",
        E::UnsupportedCriticalExtension => "a certificate carries a critical extension clients do not know",
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "the chain uses a signature algorithm or key rustls-webpki does not support"
        }
        E::SignatureAlgorithmMismatch => "a certificate's signature algorithm does not match the one its body names",
        E::CertExpired { .. } => "a certificate of the chain has expired",
        E::CertNotValidYet { .. } => "a certificate of the chain is not valid yet",
        E::InvalidCertValidity => "a certificate's validity period ends before it begins",
        E::CertNotValidForName(_) => "the certificate is not valid for this host name",
        E::CertRevoked => "a certificate of the chain is revoked",
        E::CertDistrusted => "the chain's CA is distrusted",
        E::UnknownIssuer => "the store does not hold the issuing CA",
        E::MaximumPathDepthExceeded => "the chain is longer than rustls-webpki can check (6 intermediates)",
        E::MaximumSignatureChecksExceeded | E::MaximumPathBuildCallsExceeded => {
            "building a path took more work than rustls-webpki allows (too many candidate certificates)"
        }
        E::MaximumNameConstraintComparisonsExceeded => "checking the name constraints took more work than rustls-webpki allows",
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions | E::ExtensionValueInvalid => {
            "a certificate is not well-formed DER"
        }
        E::MalformedDnsIdentifier => "a certificate names a malformed DNS name",
        E::MalformedNameConstraint | E::InvalidNetworkMaskConstraint => "a CA's name constraints are malformed",
        E::InvalidSerialNumber => "a certificate's serial number is invalid",
        E::UnsupportedCertVersion => "a certificate is not X.509 version 3",
        E::UnsupportedNameType => "a certificate names a kind of name rustls-webpki does not support",
        _ => return format!("rustls-webpki rejects it ({})", variant_words(e)),
    };
    text.to_owned()
}

/// An error's variant name in words (`BadDer` → `bad der`), for the rare
/// rejection without words of its own: never its fields.
fn variant_words(e: &webpki::Error) -> String {
    let debug = format!("{e:?}");
    let name: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Rejections rustls-webpki makes that OpenSSL at its default security
/// level does not (e.g. P-521 or other algorithms outside webpki's set).
pub(super) fn only_webpki_rejects(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | webpki::Error::CaUsedAsEndEntity
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ts: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(ts).unwrap()
    }

    #[test]
    fn webpki_rejections_are_words_not_debug_text() {
        use rustls_pki_types::UnixTime;
        let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1));
        for e in [
            webpki::Error::CertExpired {
                time: t,
                not_after: t,
            },
            webpki::Error::MaximumPathDepthExceeded,
            webpki::Error::BadDer,
            webpki::Error::CrlExpired {
                time: t,
                next_update: t,
            },
        ] {
            let text = describe(&e);
            assert!(!text.contains('{') && !text.contains("UnixTime"), "{text}");
        }
        assert_eq!(
            describe(&webpki::Error::CrlExpired {
                time: t,
                next_update: t
            }),
            "rustls-webpki rejects it (crl expired)"
        );
    }

    #[test]
    fn texts_carry_the_dates_and_names() {
        let expired = CertFault::Expired {
            which: Which::Leaf,
            not_after: at(1_000_000_000),
            now: at(1_000_000_000 + 3 * 86_400 + 5),
        };
        assert_eq!(
            expired.to_string(),
            "the server's certificate expired 3 day(s) ago, on 2001-09-09T01:46:40Z"
        );
        assert_eq!(expired.code(), Code::CertExpired);
        let early = CertFault::NotYetValid {
            which: Which::Chain {
                index: 1,
                subject: "CN=Int".to_owned(),
            },
            not_before: at(1_000_000_000),
            now: at(1_000_000_000 - 2 * 86_400),
        };
        assert_eq!(
            early.to_string(),
            "chain certificate #1 (CN=Int) is valid only from 2001-09-09T01:46:40Z (2 day(s) from now by this container's clock)"
        );
        let names = CertFault::HostnameMismatch {
            expected: "a.test".to_owned(),
            presented: vec![],
        };
        assert_eq!(
            names.to_string(),
            "the certificate is not valid for a.test; it is valid for: no subjectAltName at all"
        );
    }
}
