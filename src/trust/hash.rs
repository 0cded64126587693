//! The OpenSSL subject-name hash (`openssl x509 -subject_hash`).
//!
//! OpenSSL's directory store finds a CA only through files named
//! `<hash>.N`, where the hash is the first four bytes (little-endian) of the
//! SHA-1 of the name's canonical encoding: every string value converted to
//! UTF-8, trimmed, inner runs of white space folded to one space, ASCII
//! lowercased, re-encoded as UTF8String; the RDN sets concatenated without
//! the outer SEQUENCE.

use x509_parser::x509::X509Name;

/// DER tags of the string types OpenSSL canonicalises (ASN1_MASK_CANON).
const UTF8: u32 = 12;
const PRINTABLE: u32 = 19;
const T61: u32 = 20;
const IA5: u32 = 22;
const VISIBLE: u32 = 26;
const UNIVERSAL: u32 = 28;
const BMP: u32 = 30;

/// The subject hash of a name, as `openssl x509 -subject_hash` prints it
/// (`%08x`).
pub fn name_hash(name: &X509Name<'_>) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        &canonical_encoding(name),
    );
    let b = digest.as_ref();
    let h = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    format!("{h:08x}")
}

fn canonical_encoding(name: &X509Name<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for rdn in name.iter_rdn() {
        let mut entries: Vec<Vec<u8>> = rdn
            .iter()
            .map(|atv| {
                let oid = der(0x06, atv.attr_type().as_bytes());
                let value = atv.attr_value();
                let tag = value.header.tag().0;
                let encoded = match to_utf8(tag, value.data) {
                    Some(text) => der(0x0c, canonical_text(&text).as_bytes()),
                    None => der_raw_any(value),
                };
                der(0x30, &[oid, encoded].concat())
            })
            .collect();
        entries.sort();
        out.extend(der(0x31, &entries.concat()));
    }
    out
}

/// The value re-encoded with its own tag (types OpenSSL does not canonicalise).
fn der_raw_any(value: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Vec<u8> {
    let tag = value.header.tag().0;
    let class = value.header.class() as u8;
    let constructed = if value.header.is_constructed() {
        0x20
    } else {
        0
    };
    match u8::try_from(tag) {
        Ok(t) if t < 31 => der((class << 6) | constructed | t, value.data),
        _ => der(0x04, value.data),
    }
}

fn to_utf8(tag: u32, data: &[u8]) -> Option<String> {
    match tag {
        UTF8 => Some(String::from_utf8_lossy(data).into_owned()),
        PRINTABLE | IA5 | VISIBLE | T61 => Some(data.iter().map(|&b| char::from(b)).collect()),
        BMP => {
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        UNIVERSAL => Some(
            data.chunks_exact(4)
                .filter_map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        _ => None,
    }
}

/// OpenSSL's `asn1_string_canon` on the UTF-8 bytes.
fn canonical_text(text: &str) -> String {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !is_space(*b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(*b))
        .map_or(start, |i| i + 1);
    let mut out = Vec::with_capacity(end - start);
    let mut i = start;
    while i < end {
        let b = bytes[i];
        if !b.is_ascii() {
            out.push(b);
            i += 1;
        } else if is_space(b) {
            out.push(b' ');
            while i < end && is_space(bytes[i]) {
                i += 1;
            }
        } else {
            out.push(b.to_ascii_lowercase());
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A DER TLV.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_folds_space_and_case() {
        assert_eq!(canonical_text("  Hello   World\t"), "hello world");
        assert_eq!(canonical_text("ÄBC"), "Äbc");
    }

    #[test]
    fn der_lengths() {
        assert_eq!(der(0x04, &[0; 3])[..2], [0x04, 3]);
        assert_eq!(der(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der(0x04, &[0; 300])[..4], [0x04, 0x82, 1, 44]);
    }

    /// The machine's own OpenSSL made the `<hash>.0` links in /etc/ssl/certs:
    /// every one must match ours.
    #[test]
    fn matches_openssl_hash_links_in_system_store() {
        use rustls_pki_types::pem::PemObject;
        let Ok(dir) = std::fs::read_dir("/etc/ssl/certs") else {
            return;
        };
        let mut checked = 0;
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((hash, n)) = name.split_once('.') else {
                continue;
            };
            if hash.len() != 8 || n.parse::<u32>().is_err() {
                continue;
            }
            let Ok(pem) = crate::sysroot::read_file(&entry.path()) else {
                continue;
            };
            let Ok(cert) = rustls_pki_types::CertificateDer::from_pem_slice(&pem) else {
                continue;
            };
            let (_, x) = x509_parser::parse_x509_certificate(&cert).unwrap();
            assert_eq!(name_hash(x.subject()), hash, "{name}");
            checked += 1;
        }
        assert!(
            checked > 0 || !std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").exists()
        );
    }
}
