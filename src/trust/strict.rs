//! The strict-X.509 lint (`CERT_NOT_STRICT`): what OpenSSL's
//! `X509_V_FLAG_X509_STRICT` rejects, which Python ≥ 3.13 sets by default
//! (`ssl.VERIFY_X509_STRICT` in `create_default_context()`).
//!
//! The checks follow OpenSSL 3's `check_extensions` for chains of more than
//! one certificate: a CA's Basic Constraints must be critical, a CA must carry
//! Key Usage and a Subject Key Identifier, and every certificate but a
//! self-signed one must carry an Authority Key Identifier with a key id.
//! The error strings are the ones Python prints (captured from real runs of
//! Python 3.11 with `VERIFY_X509_STRICT` set; see `docs/client-errors.md`).

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

/// One property a strict verifier misses in one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The certificate, as its subject.
    pub subject: String,
    /// What is missing, in words.
    pub missing: &'static str,
    /// What Python prints for it.
    pub python_error: &'static str,
}

/// What Python prints for a CA whose Basic Constraints is not critical.
pub const BC_NOT_CRITICAL: &str = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Basic Constraints of CA cert not marked critical";
/// What Python prints for a certificate without an Authority Key Identifier.
pub const MISSING_AKI: &str =
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Missing Authority Key Identifier";
/// What Python prints for a CA without a Subject Key Identifier.
pub const MISSING_SKI: &str =
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Missing Subject Key Identifier";
/// What Python prints for a CA without Key Usage.
pub const CA_NO_KEY_USAGE: &str = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: CA cert does not include key usage extension";

/// The strict-mode faults of a verified chain (leaf first, the anchor last
/// when known). A chain of one certificate is not checked (OpenSSL neither).
pub fn lint(chain: &[&X509Certificate<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    if chain.len() < 2 {
        return out;
    }
    for x in chain {
        let subject = x.subject().to_string();
        let mut add = |missing, python_error| {
            out.push(Finding {
                subject: subject.clone(),
                missing,
                python_error,
            });
        };
        let mut bc = None;
        let mut key_usage = false;
        let mut ski = false;
        let mut aki_keyid = false;
        for ext in x.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(b) => bc = Some((b.ca, ext.critical)),
                ParsedExtension::KeyUsage(_) => key_usage = true,
                ParsedExtension::SubjectKeyIdentifier(_) => ski = true,
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki_keyid = a.key_identifier.is_some();
                }
                _ => {}
            }
        }
        let is_ca = bc.is_some_and(|(ca, _)| ca);
        let self_signed =
            x.subject().as_raw() == x.issuer().as_raw() && x.verify_signature(None).is_ok();
        if is_ca && bc.is_some_and(|(_, critical)| !critical) {
            add("Basic Constraints not marked critical", BC_NOT_CRITICAL);
        }
        if is_ca && !key_usage {
            add("no Key Usage extension on a CA", CA_NO_KEY_USAGE);
        }
        if !self_signed && !aki_keyid {
            add("no Authority Key Identifier (key id)", MISSING_AKI);
        }
        if is_ca && !ski {
            add("no Subject Key Identifier on a CA", MISSING_SKI);
        }
    }
    out
}
