//! Certificates from files and from the wire: PEM bundles
//! ([`FileStore::load`], the parse every store, `--cacert` and the env look
//! share), and DER chains through the certificate stage ([`stage`],
//! [`wants_direct_comparison`]) with the OpenSSL subject hash
//! ([`name_hash`]) and the strict lint ([`lint`]) on what parses.

use super::{bytes, config, mutate, texty, timed};
use crate::distro::Family;
use crate::probe::certificate::{stage, wants_direct_comparison};
use crate::trust::hash::name_hash;
use crate::trust::strict::lint;
use crate::trust::{anchors_of, Certs, DirStore, FileStore, Image, TrustStores};
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::sync::OnceLock;

/// A root and a leaf it issued for `a.test`, made once.
struct Pki {
    root: CertificateDer<'static>,
    root_pem: String,
    leaf: CertificateDer<'static>,
    leaf_pem: String,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "proptest root");
        dn.push(DnType::OrganizationName, "Ünïcödé  Org");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("root key")).expect("root");
        let leaf_params = CertificateParams::new(vec!["a.test".to_owned()]).expect("leaf params");
        let leaf = leaf_params
            .signed_by(&KeyPair::generate().expect("leaf key"), &root)
            .expect("leaf");
        Pki {
            root: root.der().clone(),
            root_pem: root.pem(),
            leaf: leaf.der().clone(),
            leaf_pem: leaf.pem(),
        }
    })
}

/// One part of a bundle: a certificate, a damaged one, or what else files
/// hold (comments, keys, text, unterminated blocks, endless lines).
fn part() -> impl Strategy<Value = String> {
    let pem = prop_oneof![Just(pki().root_pem.clone()), Just(pki().leaf_pem.clone())];
    prop_oneof![
        4 => pem.clone(),
        2 => (pem, any::<u8>(), any::<usize>(), any::<u8>()).prop_map(|(p, kind, at, byte)| {
            String::from_utf8_lossy(&mutate(p.into_bytes(), kind, at, byte)).into_owned()
        }),
        1 => texty(200),
        1 => Just("-----BEGIN CERTIFICATE-----\nMIIB".to_owned()),
        1 => Just("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned()),
        1 => (0usize..100_000).prop_map(|n| format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "A".repeat(n))),
        1 => "-----BEGIN [A-Z ]{0,20}-----\n[A-Za-z0-9+/=\n]{0,80}\n-----END [A-Z ]{0,20}-----\n",
    ]
}

/// What CA bundles hold: certificates (wrapped at 64 or 76 columns, CRLF
/// or LF), comments, blank lines, and now and then one odd character.
fn plain_part() -> impl Strategy<Value = String> {
    let pem = prop_oneof![Just(pki().root_pem.clone()), Just(pki().leaf_pem.clone())];
    prop_oneof![
        4 => (pem.clone(), any::<bool>(), any::<bool>()).prop_map(|(p, crlf, wide)| {
            let body: String = p.lines().filter(|l| !l.starts_with("-----")).collect();
            let width = if wide { 76 } else { 64 };
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut out = format!("-----BEGIN CERTIFICATE-----{nl}");
            for chunk in body.as_bytes().chunks(width) {
                out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                out.push_str(nl);
            }
            out.push_str("-----END CERTIFICATE-----");
            out.push_str(nl);
            out
        }),
        2 => "# [A-Za-z: =]{0,40}\n",
        1 => Just("\n".to_owned()),
        1 => (pem, any::<usize>(), prop::sample::select(vec![' ', '\t', '*', '=', '-'])).prop_map(|(p, at, c)| {
            let mut p = p;
            let at = at % p.len();
            if p.is_char_boundary(at) {
                p.insert(at, c);
            }
            p
        }),
    ]
}

/// The stores of a container that trusts the test root.
fn stores() -> TrustStores {
    TrustStores::of_parts(
        // Not the host: no Rust view (it would read the machine's files).
        &crate::sysroot::Sysroot::at("/nonexistent-netdoctor-root"),
        Some(FileStore {
            source: "proptest".to_owned(),
            certs: Certs::new(vec![pki().root.clone()]),
            error: None,
        }),
        DirStore {
            source: "none".to_owned(),
            dirs: Vec::new(),
        },
        Image {
            family: Family::Unknown,
            python: false,
            node: false,
        },
    )
}

/// Every check of one certificate's DER that netdoctor runs on it.
fn inspect(der: &[u8]) {
    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) {
        let hash = name_hash(cert.subject());
        assert_eq!(hash.len(), 8, "{hash}");
        let _ = lint(&[&cert, &cert]);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn pem_bundles(parts in prop::collection::vec(part(), 0..6), noise in bytes(64)) {
        let mut file = parts.concat().into_bytes();
        file.extend_from_slice(&noise);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bundle.pem");
        std::fs::write(&path, &file).expect("the bundle");
        let store = timed("FileStore::load", || FileStore::load("proptest".to_owned(), &path));
        let begins = file.windows(11).filter(|w| w == b"-----BEGIN ").count();
        prop_assert!(store.certs.len() <= begins);
        prop_assert_eq!(store.error.is_some(), store.certs.is_empty());
        for c in store.certs.iter() {
            prop_assert!(c.len() <= file.len());
            timed("inspect", || inspect(c));
        }
        prop_assert!(timed("anchors_of", || anchors_of(&store.certs)).len() <= store.certs.len());
        // The fast reader of plain files gives rustls-pki-types' result.
        let reference: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&file).filter_map(Result::ok).collect();
        prop_assert_eq!(&store.certs[..], &reference[..]);
    }

    #[test]
    fn plain_pem_bundles_read_alike(parts in prop::collection::vec(plain_part(), 0..6)) {
        let file = parts.concat().into_bytes();
        let reference: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&file).filter_map(Result::ok).collect();
        prop_assert_eq!(crate::trust::pem::certificates(&file), reference);
    }
}

/// A chain as a server sends it: real certificates, damaged ones, bytes.
fn chain() -> impl Strategy<Value = Vec<CertificateDer<'static>>> {
    let der = prop_oneof![
        3 => Just(pki().leaf.to_vec()),
        2 => Just(pki().root.to_vec()),
        4 => (prop_oneof![Just(pki().leaf.to_vec()), Just(pki().root.to_vec())], prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..4))
            .prop_map(|(mut d, edits)| {
                for (kind, at, byte) in edits {
                    // Replace, mostly: the DER keeps its shape, its content breaks.
                    d = mutate(d, if kind % 8 == 0 { kind } else { 0 }, at, byte);
                }
                d
            }),
        1 => bytes(600),
    ];
    prop::collection::vec(der.prop_map(CertificateDer::from), 1..5)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn certificate_chains(chain in chain(), host in prop_oneof![Just("a.test".to_owned()), "[a-z.]{1,20}", texty(20)], insecure in any::<bool>()) {
        let stores = stores();
        for der in &chain {
            inspect(der);
        }
        timed("wants_direct_comparison", || wants_direct_comparison(&chain, &host, &stores));
        timed("certificate stage", || {
            drop(stage(&chain, &host, &stores, insecure, None, None));
        });
    }
}
