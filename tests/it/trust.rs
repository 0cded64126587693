//! The OpenSSL directory store: netdoctor's subject-name hash
//! (`netdoctor::trust::hash::name_hash`) against `openssl x509 -subject_hash`
//! on names built to trip a canonicalisation up, and a hashed `SSL_CERT_DIR`
//! end to end (trusted through `<hash>.0`, not through `root.pem`, trusted
//! again after `openssl rehash`).

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use netdoctor::trust::hash::name_hash;

use crate::support::{
    netdoctor, pinned, pki, run_json_with, sysroot_seeing, Response, TlsServer, GOOD_NAMES,
};

/// Whether `openssl` runs here; prints a note when it does not.
fn openssl_available(what: &str) -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        crate::support::skip(&format!("no openssl binary: {what} did not run"), "openssl");
    }
    ok
}

/// `openssl x509 -noout -subject_hash` of the certificate in `path`
/// (`inform` is `PEM` or `DER`).
fn openssl_subject_hash(path: &Path, inform: &str) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-subject_hash", "-inform", inform, "-in"])
        .arg(path)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl x509 -subject_hash -in {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let hash = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert_eq!(hash.len(), 8, "openssl -subject_hash printed {hash:?}");
    hash
}

/// `name_hash` of the subject of a DER certificate.
fn our_hash(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("parse certificate");
    name_hash(cert.subject())
}

/// The subject as OpenSSL prints it, for messages.
fn openssl_subject(path: &Path, inform: &str) -> String {
    Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253,esc_msb",
            "-inform",
            inform,
            "-in",
        ])
        .arg(path)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A self-signed certificate with subject `dn` (DER).
fn cert_with_subject(dn: DistinguishedName) -> Vec<u8> {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("key");
    params
        .self_signed(&key)
        .expect("self-signed")
        .der()
        .to_vec()
}

/// DER to PEM (the form `openssl x509 -in` reads by default).
fn pem_of(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).expect("ascii"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Replace the tag of every `from_tag LEN content` TLV in `der` by `to_tag`
/// (same length, so the structure stays valid; the signature breaks, which
/// neither `-subject_hash` nor the parser checks). At least one must exist.
fn retag(der: &[u8], from_tag: u8, to_tag: u8, content: &[u8]) -> Vec<u8> {
    let len = u8::try_from(content.len()).expect("short content");
    assert!(len < 0x80, "short-form length only");
    let needle = [&[from_tag, len][..], content].concat();
    let mut out = der.to_vec();
    let mut found = 0;
    let mut i = 0;
    while i + needle.len() <= out.len() {
        if out[i..i + needle.len()] == needle[..] {
            out[i] = to_tag;
            found += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    assert!(
        found > 0,
        "no {from_tag:#04x} {content:?} in the certificate"
    );
    out
}

/// One certificate whose subject hash is compared.
struct Case {
    label: String,
    der: Vec<u8>,
}

impl Case {
    fn new(label: &str, der: Vec<u8>) -> Case {
        Case {
            label: label.to_owned(),
            der,
        }
    }

    fn from_dn(label: &str, entries: Vec<(DnType, DnValue)>) -> Case {
        let mut dn = DistinguishedName::new();
        for (ty, value) in entries {
            dn.push(ty, value);
        }
        Case::new(label, cert_with_subject(dn))
    }
}

/// Compare every case with OpenSSL (PEM for rcgen's certificates, DER for the
/// re-tagged ones: both are what `openssl x509` reads); report all mismatches
/// at once.
fn assert_hashes_agree(cases: &[Case], inform: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut mismatches = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let path = dir
            .path()
            .join(format!("{i}.{}", inform.to_ascii_lowercase()));
        if inform == "PEM" {
            std::fs::write(&path, pem_of(&case.der)).expect("write pem");
        } else {
            std::fs::write(&path, &case.der).expect("write der");
        }
        let theirs = openssl_subject_hash(&path, inform);
        let ours = our_hash(&case.der);
        eprintln!(
            "{theirs} {}: {}",
            case.label,
            openssl_subject(&path, inform)
        );
        if ours != theirs {
            mismatches.push(format!(
                "{}: name_hash {ours}, openssl {theirs} ({})",
                case.label,
                openssl_subject(&path, inform)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "name_hash disagrees with `openssl x509 -subject_hash`:\n{}",
        mismatches.join("\n")
    );
}

fn utf8(s: &str) -> DnValue {
    DnValue::Utf8String(s.to_owned())
}

fn printable(s: &str) -> DnValue {
    DnValue::PrintableString(s.try_into().expect("printable"))
}

const EMAIL: &[u64] = &[1, 2, 840, 113_549, 1, 9, 1];
const SERIAL_NUMBER: &[u64] = &[2, 5, 4, 5];
const DOMAIN_COMPONENT: &[u64] = &[0, 9, 2342, 19_200_300, 100, 1, 25];

#[test]
fn name_hash_matches_openssl_on_tricky_names() {
    if !openssl_available("the subject-hash comparison") {
        return;
    }
    let mut cases = case_and_space_names();
    cases.extend(string_type_and_structure_names());
    assert_hashes_agree(&cases, "PEM");
}

/// Subjects that test lowercasing and white-space folding.
fn case_and_space_names() -> Vec<Case> {
    vec![
        Case::from_dn(
            "mixed case",
            vec![
                (DnType::OrganizationName, utf8("NetDoctor TESTS Inc")),
                (DnType::CommonName, utf8("MiXeD CaSe Root CA")),
            ],
        ),
        Case::from_dn(
            "leading, trailing and inner runs of spaces",
            vec![(DnType::CommonName, utf8("   lots    of     space   "))],
        ),
        Case::from_dn(
            "every ASCII white-space character",
            vec![(DnType::CommonName, utf8("\t a\t\tb\n\nc\r\x0bd\x0c e \n"))],
        ),
        Case::from_dn(
            "a value that is only spaces",
            vec![
                (DnType::OrganizationName, utf8("   ")),
                (DnType::CommonName, utf8("x")),
            ],
        ),
        Case::from_dn(
            "UTF-8 non-ASCII (not lowercased) next to ASCII (lowercased)",
            vec![
                (DnType::CountryName, printable("DE")),
                (DnType::LocalityName, utf8("MÜNCHEN Straße")),
                (DnType::OrganizationName, utf8("Ünïcödé  GmbH  ÄÖÜ")),
                (DnType::CommonName, utf8("東京  Root 🙂 CA")),
            ],
        ),
    ]
}

/// Subjects that test the string types, several RDNs, odd OIDs and lengths.
fn string_type_and_structure_names() -> Vec<Case> {
    vec![
        Case::from_dn(
            "PrintableString values",
            vec![
                (DnType::CountryName, printable("US")),
                (DnType::OrganizationName, printable("  Example   Corp  ")),
                (DnType::CommonName, printable("Example Root (G2)")),
            ],
        ),
        Case::from_dn(
            "IA5String, TeletexString, BMPString and UniversalString values",
            vec![
                (
                    DnType::CustomDnType(EMAIL.to_vec()),
                    DnValue::Ia5String("  Admin@Example.COM ".try_into().unwrap()),
                ),
                (
                    DnType::OrganizationalUnitName,
                    DnValue::TeletexString("Teletex  UNIT".try_into().unwrap()),
                ),
                (
                    DnType::OrganizationName,
                    DnValue::BmpString("BMP Ärger  ORG".try_into().unwrap()),
                ),
                (
                    DnType::CommonName,
                    DnValue::UniversalString("Universal 🙂  NAME".try_into().unwrap()),
                ),
            ],
        ),
        Case::from_dn(
            "several RDNs, the same attribute type twice",
            vec![
                (DnType::CountryName, printable("GB")),
                (DnType::StateOrProvinceName, utf8("Greater London")),
                (DnType::LocalityName, utf8("London")),
                (DnType::OrganizationName, utf8("Example Ltd")),
                (DnType::OrganizationalUnitName, utf8("Platform")),
                (
                    DnType::CustomDnType(vec![2, 5, 4, 11]),
                    utf8("  Security  "),
                ),
                (
                    DnType::CustomDnType(DOMAIN_COMPONENT.to_vec()),
                    DnValue::Ia5String("Example".try_into().unwrap()),
                ),
                (
                    DnType::CustomDnType(SERIAL_NUMBER.to_vec()),
                    printable("0042"),
                ),
                (DnType::CommonName, utf8("Example Issuing CA 01")),
            ],
        ),
        Case::from_dn(
            "unusual OIDs (private arc, large arcs)",
            vec![
                (
                    DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99_999, 7, 1]),
                    utf8("Custom  VALUE"),
                ),
                (
                    DnType::CustomDnType(vec![2, 999, 1_234_567, 89]),
                    printable("Big Arcs"),
                ),
                (DnType::CommonName, utf8("odd oids")),
            ],
        ),
        Case::from_dn(
            "a value longer than 127 bytes (long-form DER lengths)",
            vec![
                (DnType::OrganizationName, utf8(&"Long  Org ".repeat(20))),
                (
                    DnType::CommonName,
                    utf8(&format!("  {}  ", "ABCDEFGHIJ ".repeat(30))),
                ),
            ],
        ),
        Case::from_dn("an empty subject", vec![]),
    ]
}

/// Types rcgen cannot write, made by re-tagging a value of the same length:
/// NumericString (not canonicalised by OpenSSL: kept as is), and IA5String /
/// T61String holding bytes ≥ 0x80 (read as Latin-1 by OpenSSL).
#[test]
fn name_hash_matches_openssl_on_retagged_values() {
    if !openssl_available("the re-tagged subject-hash comparison") {
        return;
    }
    let der = cert_with_subject({
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CustomDnType(SERIAL_NUMBER.to_vec()),
            printable("0123 4567 89"),
        );
        dn.push(DnType::CommonName, utf8("Numeric Test"));
        dn
    });
    let numeric = retag(&der, 0x13, 0x12, b"0123 4567 89");

    let latin1 = "Caf\u{e9} \u{c4}RGER";
    let der = cert_with_subject({
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, utf8(latin1));
        dn.push(DnType::CommonName, utf8(latin1));
        dn
    });
    // Same bytes (UTF-8 of é and Ä), now read by OpenSSL one byte per character.
    let t61 = retag(&der, 0x0c, 0x14, latin1.as_bytes());
    let ia5 = retag(&der, 0x0c, 0x16, latin1.as_bytes());

    let cases = vec![
        Case::new("NumericString (copied, not canonicalised)", numeric),
        Case::new("T61String with high bytes", t61),
        Case::new("IA5String with high bytes", ia5),
    ];
    assert_hashes_agree(&cases, "DER");
}

/// Multi-valued RDNs (`CN=a+O=b`), which rcgen cannot write, made by
/// `openssl req`: OpenSSL sorts the entries of a set by their canonical
/// encoding, which can differ from the order in the certificate.
#[test]
fn name_hash_matches_openssl_on_multi_valued_rdns() {
    if !openssl_available("the multi-valued RDN comparison") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let subjects = [
        // Encoded OU first (shorter), canonically CN first ("x y" is shorter).
        "/CN=X          Y+OU=abcdefg/O=Example",
        "/CN=Zed+CN=alpha+CN=  Mid  /C=DE",
        "/O=ÄÖÜ  Org+OU=unit/CN=Multi  Valued+emailAddress=Foo@Example.COM",
    ];
    let mut cases = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let cert = dir.path().join(format!("mv{i}.pem"));
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-multivalue-rdn",
                "-utf8",
                "-subj",
                subject,
                "-keyout",
            ])
            .arg(dir.path().join(format!("mv{i}.key")))
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("run openssl req");
        assert!(
            out.status.success(),
            "openssl req -subj {subject}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pem = std::fs::read(&cert).expect("read cert");
        let der = CertificateDer::from_pem_slice(&pem).expect("PEM certificate");
        cases.push(Case::new(subject, der.to_vec()));
    }
    assert_hashes_agree(&cases, "PEM");
}

/// Names that differ only in what OpenSSL canonicalises away hash alike, in
/// netdoctor as in OpenSSL.
#[test]
fn equivalent_names_hash_alike() {
    let a = cert_with_subject({
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, printable("Example   CORP"));
        dn.push(DnType::CommonName, printable("Root CA"));
        dn
    });
    let b = cert_with_subject({
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, utf8("  example corp "));
        dn.push(
            DnType::CommonName,
            DnValue::BmpString("ROOT\tca".try_into().unwrap()),
        );
        dn
    });
    let c = cert_with_subject({
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, utf8("example corp"));
        dn.push(DnType::CommonName, utf8("root ca 2"));
        dn
    });
    assert_eq!(our_hash(&a), our_hash(&b));
    assert_ne!(our_hash(&a), our_hash(&c));
    if openssl_available("the OpenSSL side of the equivalence") {
        assert_hashes_agree(
            &[Case::new("a", a), Case::new("b", b), Case::new("c", c)],
            "PEM",
        );
    }
}

// ---------------------------------------------------------------------------
// SSL_CERT_DIR end to end

/// A directory store and a file store that holds an unrelated CA, so the
/// machine's own bundle plays no part.
struct Stores {
    dir: tempfile::TempDir,
    cert_file: PathBuf,
    _files: tempfile::TempDir,
}

impl Stores {
    fn new() -> Stores {
        let files = tempfile::tempdir().expect("tempdir");
        let cert_file = files.path().join("unrelated.pem");
        let unrelated = cert_with_subject({
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, "netdoctor unrelated CA");
            dn
        });
        std::fs::write(&cert_file, pem_of(&unrelated)).expect("write unrelated CA");
        Stores {
            dir: tempfile::tempdir().expect("tempdir"),
            cert_file,
            _files: files,
        }
    }

    /// `netdoctor check` of a server with the good chain, with
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` set to these stores.
    fn check(&self, server: &crate::support::Server) -> crate::support::Run {
        let root = sysroot_seeing(&[&self.cert_file, self.dir.path()]);
        let mut cmd = netdoctor();
        cmd.env("SSL_CERT_FILE", &self.cert_file)
            .env("SSL_CERT_DIR", self.dir.path())
            .env("NETDOCTOR_SYSROOT", root.path());
        run_json_with(cmd, &pinned(server, "https", "/"))
    }
}

fn root_hash() -> String {
    our_hash(&pki().root_der())
}

#[test]
fn hashed_cert_dir_entry_is_trusted() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let stores = Stores::new();
    std::fs::write(
        stores.dir.path().join(format!("{}.0", root_hash())),
        pki().root_pem(),
    )
    .expect("write <hash>.0");
    let run = stores.check(&server);
    run.assert_all_pass();
    assert_eq!(run.stage("certificate")["status"], "pass", "{}", run.dump());
}

#[test]
fn unhashed_cert_dir_trusts_nothing_until_rehashed() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let stores = Stores::new();
    std::fs::write(stores.dir.path().join("root.pem"), pki().root_pem()).expect("write root.pem");

    // As in OpenSSL, a certificate under another name is never looked up.
    stores
        .check(&server)
        .assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");

    let rehash = Command::new("openssl")
        .arg("rehash")
        .arg(stores.dir.path())
        .output();
    let rehash = match rehash {
        Ok(out) if !String::from_utf8_lossy(&out.stderr).contains("Invalid command") => out,
        _ => {
            crate::support::skip(
                "`openssl rehash` is not available: the rehash half did not run",
                "openssl (1.1.0 or later)",
            );
            return;
        }
    };
    assert!(
        rehash.status.success() && rehash.stderr.is_empty(),
        "openssl rehash: {}",
        String::from_utf8_lossy(&rehash.stderr)
    );
    // OpenSSL named the link with its hash: the one netdoctor computes.
    let link = stores.dir.path().join(format!("{}.0", root_hash()));
    assert!(
        link.exists(),
        "openssl rehash made no {} (entries: {:?})",
        link.display(),
        std::fs::read_dir(stores.dir.path())
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            .unwrap_or_default()
    );
    stores.check(&server).assert_all_pass();
}
