//! The certificates of a PEM file, fast for the files CA stores are made
//! of, exact for every other.
//!
//! rustls-pki-types' reader decodes base64 a byte at a time through its own
//! table: about 1 ms for Debian's 220 KB bundle and as much again for each
//! certifi bundle, on every run. The CA files of every distribution,
//! certifi and `update-ca-certificates` are plain: `-----BEGIN
//! CERTIFICATE-----`, lines of base64, `-----END CERTIFICATE-----`, with
//! anything outside the blocks ignored. Such a file is decoded here with
//! the `base64` crate's strict standard engine, whose output on canonical
//! base64 is the only decoding there is. Anything else — another label,
//! a stray character in a block, an unterminated block, base64 the strict
//! engine refuses — sends the whole file to rustls-pki-types' reader, so
//! the result is always the reader's (a property test compares the two).

use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const BEGIN: &[u8] = b"-----BEGIN ";
const BEGIN_CERT: &[u8] = b"-----BEGIN CERTIFICATE-----";
const END_CERT: &[u8] = b"-----END CERTIFICATE-----";

/// Every certificate of a PEM file, as rustls-pki-types reads them
/// (blocks it cannot read are left out).
pub fn certificates(bytes: &[u8]) -> Vec<CertificateDer<'static>> {
    plain(bytes).unwrap_or_else(|| {
        CertificateDer::pem_slice_iter(bytes)
            .filter_map(Result::ok)
            .collect()
    })
}

/// The certificates of a plain file, or `None` when it is not plain.
fn plain(bytes: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    // The open block's base64 (one buffer for every block of the file).
    let mut b64 = Vec::with_capacity(4096);
    let mut open = false;
    // Lines end at `\n` or `\r`, as rustls-pki-types splits them (CRLF
    // makes empty lines, which change nothing).
    for line in bytes.split(|b| *b == b'\n' || *b == b'\r') {
        match open {
            false if line == BEGIN_CERT => open = true,
            false if line.starts_with(BEGIN) => return None,
            false => {}
            true if line == END_CERT => {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(&b64)
                    .ok()?;
                out.push(CertificateDer::from(der));
                b64.clear();
                open = false;
            }
            true => {
                if !line
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                {
                    return None;
                }
                b64.extend_from_slice(line);
            }
        }
    }
    (!open).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow(bytes: &[u8]) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(bytes)
            .filter_map(Result::ok)
            .collect()
    }

    /// The machine's own bundle is plain, and both readers agree on it.
    #[test]
    fn a_distribution_bundle_is_plain_and_read_alike() {
        let Ok(bundle) = std::fs::read("/etc/ssl/certs/ca-certificates.crt") else {
            return;
        };
        let fast = plain(&bundle).expect("Debian's bundle is plain");
        assert!(!fast.is_empty());
        assert_eq!(fast, slow(&bundle));
    }

    #[test]
    fn anything_unusual_goes_to_the_slow_reader() {
        let cert = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
        assert!(plain(cert.as_bytes()).is_some());
        for odd in [
            cert.replace("MAMCAQA=", "MAMC AQA="),
            cert.replace("\n-----END CERTIFICATE-----\n", ""),
            format!("-----BEGIN TRUSTED CERTIFICATE-----\n{cert}"),
            cert.replace("MAMCAQA=", "MAMCAQB="),
        ] {
            assert!(plain(odd.as_bytes()).is_none(), "{odd}");
            assert_eq!(certificates(odd.as_bytes()), slow(odd.as_bytes()));
        }
        let comments = format!("# Issuer: CN=x\n\n{cert}# label\n{cert}");
        assert_eq!(plain(comments.as_bytes()).map(|c| c.len()), Some(2));
        assert_eq!(certificates(comments.as_bytes()), slow(comments.as_bytes()));
    }
}
