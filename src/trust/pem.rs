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
///
/// The markers are found with `memchr`'s vectorised search and a block's
/// lines are joined with one copy each; the base64 engine checks every
/// character (a space, a lone `\r`, a `-` make it refuse the block, and
/// the file goes to the exact reader).
fn plain(bytes: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let at_line_end = |i: usize| bytes.get(i).is_none_or(|b| matches!(b, b'\n' | b'\r'));
    let at_line_start = |i: usize| i == 0 || matches!(bytes[i - 1], b'\n' | b'\r');
    let mut out = Vec::new();
    // One base64 buffer for every block of the file.
    let mut b64 = Vec::with_capacity(4096);
    let mut from = 0;
    for begin in memchr::memmem::find_iter(bytes, BEGIN) {
        let body = begin + BEGIN_CERT.len();
        if begin < from
            || !at_line_start(begin)
            || !bytes[begin..].starts_with(BEGIN_CERT)
            || !at_line_end(body)
        {
            return None;
        }
        let end = body + memchr::memmem::find(&bytes[body..], END_CERT)?;
        if !at_line_start(end) || !at_line_end(end + END_CERT.len()) {
            return None;
        }
        b64.clear();
        let mut line = body;
        for nl in memchr::memchr_iter(b'\n', &bytes[body..end]).map(|i| body + i) {
            let text = &bytes[line..nl];
            b64.extend_from_slice(text.strip_suffix(b"\r").unwrap_or(text));
            line = nl + 1;
        }
        let last = &bytes[line..end];
        b64.extend_from_slice(last.strip_suffix(b"\r").unwrap_or(last));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .ok()?;
        out.push(CertificateDer::from(der));
        from = end + END_CERT.len();
    }
    Some(out)
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
