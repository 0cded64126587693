//! A client certificate for mutual TLS (`--cert FILE`, `--cert-key FILE`),
//! read and checked once, before anything runs.
//!
//! curl's `--cert`/`--key` semantics: the certificate file is PEM, the leaf
//! first and then any intermediates (all are sent); the private key (PKCS#8,
//! PKCS#1 or SEC1 PEM) sits in `--cert-key`'s file or, without it, in the
//! certificate file itself. A file that cannot be read or holds no usable
//! PEM, an encrypted key, or a key that does not belong to the certificate
//! is refused with a message naming the flag and the file, never the key's
//! contents (the messages are written here, not taken from the PEM
//! parser, which may quote a line of the file).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The flag of the certificate file.
pub const CERT_FLAG: &str = "--cert <FILE>";
/// The flag of the key file.
pub const KEY_FLAG: &str = "--cert-key <FILE>";

/// A checked client certificate and its key.
#[derive(Clone)]
pub struct ClientCert {
    /// The chain and signing key, as rustls sends them.
    pub key: Arc<CertifiedKey>,
    /// The certificate file, as given.
    pub file: PathBuf,
    /// The leaf's subject, e.g. `CN=client, O=Example`.
    pub subject: String,
    /// The leaf's issuer.
    pub issuer: String,
}

impl fmt::Debug for ClientCert {
    // Never the key: only where it came from and whose it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("file", &self.file)
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl ClientCert {
    /// `CN=client (issued by CN=Client CA)`: how reports name it.
    pub fn describe(&self) -> String {
        format!("{} (issued by {})", self.subject, self.issuer)
    }

    /// Reads `cert` (and the key from `key`, else from `cert`) and checks
    /// that the key is the certificate's. The error is the usage message.
    pub fn load(cert: &Path, key: Option<&Path>) -> Result<ClientCert, String> {
        let cert_bytes = read(CERT_FLAG, cert)?;
        let chain = crate::trust::pem::certificates(&cert_bytes);
        let Some(leaf) = chain.first() else {
            return Err(invalid(
                CERT_FLAG,
                cert,
                "no PEM certificate in it (-----BEGIN CERTIFICATE-----)",
            ));
        };
        let (subject, issuer, spki) = names(leaf).ok_or_else(|| {
            invalid(
                CERT_FLAG,
                cert,
                "its first certificate is not a valid X.509 certificate",
            )
        })?;
        let (key_flag, key_path, key_bytes) = match key {
            Some(path) => (KEY_FLAG, path, read(KEY_FLAG, path)?),
            None => (CERT_FLAG, cert, cert_bytes),
        };
        let private = private_key(&key_bytes).map_err(|why| {
            let why = if key.is_none() && why == NO_KEY {
                "no private key in it: give the key with --cert-key FILE".to_owned()
            } else {
                why.to_owned()
            };
            invalid(key_flag, key_path, &why)
        })?;
        let provider = rustls::crypto::ring::default_provider();
        let signing = provider
            .key_provider
            .load_private_key(private)
            .map_err(|_| {
                invalid(
                    key_flag,
                    key_path,
                    "the private key is not an RSA, ECDSA or Ed25519 key this client can sign with",
                )
            })?;
        // Compared here rather than by rustls, whose check needs a
        // certificate webpki parses (curl also sends X.509 v1 ones).
        if signing.public_key().is_some_and(|k| k.as_ref() != spki) {
            return Err(invalid(
                key_flag,
                key_path,
                &format!(
                    "the private key does not belong to the certificate in {}",
                    cert.display()
                ),
            ));
        }
        let certified = CertifiedKey::new(chain, signing);
        Ok(ClientCert {
            key: Arc::new(certified),
            file: cert.to_path_buf(),
            subject,
            issuer,
        })
    }
}

const NO_KEY: &str = "no PEM private key in it (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)";

/// The usage message: clap's layout, naming the flag and the file.
fn invalid(flag: &str, file: &Path, why: &str) -> String {
    format!("invalid value '{}' for '{flag}': {why}", file.display())
}

/// The most a certificate or key file may hold: a chain of a few
/// certificates is a few KiB; anything larger is not one.
const MAX_FILE: u64 = 1 << 20;

/// A regular file's bytes, at most [`MAX_FILE`] (a FIFO or a device such as
/// `/dev/zero` is refused before it is opened).
fn read(flag: &str, file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let fail = |e: std::io::Error| invalid(flag, file, &format!("cannot read it: {e}"));
    let meta = std::fs::metadata(file).map_err(fail)?;
    if !meta.is_file() {
        return Err(invalid(flag, file, "not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(invalid(
            flag,
            file,
            "over 1 MiB: not a certificate or key file",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(invalid(
            flag,
            file,
            "over 1 MiB: not a certificate or key file",
        ));
    }
    Ok(bytes)
}

/// The first private key of a PEM file.
fn private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, &'static str> {
    if memchr::memmem::find(bytes, b"-----BEGIN ENCRYPTED PRIVATE KEY-----").is_some()
        || memchr::memmem::find(bytes, b"Proc-Type: 4,ENCRYPTED").is_some()
    {
        return Err("the private key is encrypted: netdoctor reads unencrypted keys only (decrypt a copy: `openssl pkey -in KEY -out plain.key`)");
    }
    PrivateKeyDer::from_pem_slice(bytes).map_err(|_| NO_KEY)
}

/// The subject and issuer of a certificate, as the reports write names,
/// and its public key (the DER SubjectPublicKeyInfo).
fn names(cert: &CertificateDer<'_>) -> Option<(String, String, Vec<u8>)> {
    let (_, x) = x509_parser::parse_x509_certificate(cert).ok()?;
    Some((
        x.subject().to_string(),
        x.issuer().to_string(),
        x.public_key().raw.to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_names_the_flag_and_the_file() {
        let e = ClientCert::load(Path::new("/nonexistent/c.pem"), None).unwrap_err();
        assert!(
            e.contains("'--cert <FILE>'") && e.contains("/nonexistent/c.pem"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "SECRET-LOOKING TEXT\n").unwrap();
        let e = ClientCert::load(&junk, None).unwrap_err();
        assert!(
            e.contains("no PEM certificate") && !e.contains("SECRET"),
            "{e}"
        );
    }

    #[test]
    fn an_encrypted_key_is_refused() {
        let e = private_key(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(e.contains("encrypted"));
    }
}
