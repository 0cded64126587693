//! A test PKI made with rcgen at test time: a root CA, an intermediate CA and
//! leaves signed by the intermediate, one per certificate fault netdoctor
//! must name. Every key is ECDSA P-256 and every certificate carries an
//! Authority Key Identifier, so the good chain is clean for strict verifiers.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The names the good leaf is valid for.
pub const GOOD_NAMES: &[&str] = &["good.test", "localhost"];

/// A certificate chain as a server presents it, with the leaf's private key.
pub struct Leaf {
    /// What the server sends: the leaf first, then (usually) the intermediate.
    pub chain: Vec<CertificateDer<'static>>,
    /// The same chain as PEM, one string per certificate.
    pub pem: Vec<String>,
    /// The leaf's private key (PKCS#8).
    pub key_der: Vec<u8>,
}

impl Leaf {
    /// The private key in the form rustls wants.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// The leaf certificate alone.
    pub fn cert(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// Writes the chain (`NAME.crt`, leaf first) and the key (`NAME.key`,
    /// PKCS#8 PEM) into `dir`, readable by a daemon's own user, as nginx's
    /// `ssl_certificate` and `ssl_certificate_key` want them; their paths.
    pub fn write_pem(&self, dir: &Path, name: &str) -> (String, String) {
        let key = KeyPair::try_from(self.key_der.as_slice()).expect("the leaf's key");
        let cert = crate::support::daemon::write(dir, &format!("{name}.crt"), &self.pem.concat());
        let key = crate::support::daemon::write(dir, &format!("{name}.key"), &key.serialize_pem());
        (cert, key)
    }
}

/// The test PKI: a root and an intermediate that sign every leaf.
pub struct Pki {
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

/// The process-wide test PKI (generated once; every test trusts the same root).
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::new)
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "netdoctor tests");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("leaf names");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names[0].as_str());
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(90);
    params
}

/// DER of an AuthorityInfoAccess extension value with one caIssuers URI.
fn aia_ca_issuers(url: &str) -> Vec<u8> {
    aia(0x02, url)
}

/// DER of an AuthorityInfoAccess extension value with one URI whose access
/// method is id-ad-`method` (1: OCSP, 2: caIssuers).
fn aia(method: u8, url: &str) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(u8::try_from(len).expect("short length"));
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | u8::try_from(bytes.len() - skip).expect("length of length"));
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }
    // id-ad 1.3.6.1.5.5.7.48.<method>
    let method = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, method]);
    // GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String
    let location = tlv(0x86, url.as_bytes());
    let description = tlv(0x30, &[method, location].concat());
    tlv(0x30, &description)
}

impl Pki {
    /// Generate a fresh root and intermediate.
    pub fn new() -> Pki {
        let root_key = KeyPair::generate().expect("root key");
        let root = CertifiedIssuer::self_signed(ca_params("netdoctor test root CA"), root_key)
            .expect("root cert");
        let int_key = KeyPair::generate().expect("intermediate key");
        let intermediate =
            CertifiedIssuer::signed_by(ca_params("netdoctor test intermediate CA"), int_key, &root)
                .expect("intermediate cert");
        Pki { root, intermediate }
    }

    /// A root named like an interception product (`dn`: the root's subject)
    /// with an intermediate under it (`<first value> Intermediate`): what a
    /// TLS-inspecting proxy signs with.
    pub fn named(dn: &[(DnType, &str)]) -> Pki {
        let mut params = ca_params("x");
        let mut name = DistinguishedName::new();
        for (t, v) in dn {
            name.push(t.clone(), *v);
        }
        params.distinguished_name = name;
        let root = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("root key"))
            .expect("root cert");
        let first = dn.first().map_or("proxy", |(_, v)| *v);
        let intermediate = CertifiedIssuer::signed_by(
            ca_params(&format!("{first} Intermediate")),
            KeyPair::generate().expect("intermediate key"),
            &root,
        )
        .expect("intermediate cert");
        Pki { root, intermediate }
    }

    /// A root whose Basic Constraints extension is not marked critical (and
    /// that carries no Subject Key Identifier), with an intermediate under
    /// it: what Python ≥ 3.13's `VERIFY_X509_STRICT` rejects.
    pub fn lax_root() -> Pki {
        let mut params = ca_params("netdoctor lax root CA");
        params.is_ca = IsCa::NoCa;
        // rcgen writes neither Basic Constraints nor a Subject Key Identifier
        // for a non-CA; add basicConstraints CA:TRUE, not critical.
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[2, 5, 29, 19],
                vec![0x30, 0x03, 0x01, 0x01, 0xff],
            ));
        let root = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("root key"))
            .expect("root cert");
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("netdoctor strict intermediate CA"),
            KeyPair::generate().expect("intermediate key"),
            &root,
        )
        .expect("intermediate cert");
        Pki { root, intermediate }
    }

    /// Write the root and return a [`CaFile`] for it.
    pub fn ca_file(&self) -> CaFile {
        self.root_file()
    }

    /// The root CA certificate, PEM.
    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    /// The root CA certificate, DER.
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.der().clone()
    }

    /// The intermediate CA certificate, PEM.
    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// The intermediate CA certificate, DER.
    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.der().clone()
    }

    /// Write the root as PEM to `dir/root.pem` and return the path.
    pub fn write_root(&self, dir: &Path) -> PathBuf {
        let path = dir.join("root.pem");
        std::fs::write(&path, self.root_pem()).expect("write root.pem");
        path
    }

    /// A temporary directory holding `root.pem`; keep it alive while it is used.
    pub fn root_file(&self) -> CaFile {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = self.write_root(dir.path());
        CaFile { _dir: dir, path }
    }

    fn sign(&self, params: &CertificateParams, with_intermediate: bool) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.intermediate)
            .expect("sign leaf");
        let mut chain = vec![cert.der().clone()];
        let mut pem = vec![cert.pem()];
        if with_intermediate {
            chain.push(self.intermediate_der());
            pem.push(self.intermediate_pem());
        }
        Leaf {
            chain,
            pem,
            key_der: key.serialize_der(),
        }
    }

    /// A valid leaf for `names`, served with its intermediate.
    pub fn good(&self, names: &[&str]) -> Leaf {
        self.sign(&leaf_params(names), true)
    }

    /// A leaf that expired 40 days ago (valid for `names`), with its intermediate.
    pub fn expired(&self, names: &[&str]) -> Leaf {
        let mut params = leaf_params(names);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(130);
        params.not_after = now - Duration::days(40);
        self.sign(&params, true)
    }

    /// A leaf that becomes valid in 30 days (valid for `names`), with its intermediate.
    pub fn not_yet_valid(&self, names: &[&str]) -> Leaf {
        let mut params = leaf_params(names);
        let now = OffsetDateTime::now_utc();
        params.not_before = now + Duration::days(30);
        params.not_after = now + Duration::days(120);
        self.sign(&params, true)
    }

    /// A valid leaf for `other.test` only, with its intermediate.
    pub fn wrong_host(&self) -> Leaf {
        self.sign(&leaf_params(&["other.test"]), true)
    }

    /// A valid leaf for `names`, served WITHOUT its intermediate.
    pub fn leaf_only(&self, names: &[&str]) -> Leaf {
        self.sign(&leaf_params(names), false)
    }

    /// A valid leaf for `names` without an Authority Key Identifier, with
    /// its intermediate (strict verifiers reject it).
    pub fn without_aki(&self, names: &[&str]) -> Leaf {
        let mut params = leaf_params(names);
        params.use_authority_key_identifier_extension = false;
        self.sign(&params, true)
    }

    /// A leaf served without its intermediate that carries an AIA caIssuers URL.
    pub fn leaf_only_with_aia(&self, names: &[&str], ca_issuers_url: &str) -> Leaf {
        let mut params = leaf_params(names);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                aia_ca_issuers(ca_issuers_url),
            ));
        self.sign(&params, false)
    }

    /// A valid leaf for `names` with its intermediate, naming a CRL
    /// Distribution Point and (optionally) an AIA OCSP responder.
    pub fn good_with_revocation(
        &self,
        names: &[&str],
        crl_url: &str,
        ocsp_url: Option<&str>,
    ) -> Leaf {
        let mut params = leaf_params(names);
        params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec![crl_url.to_owned()],
        }];
        if let Some(ocsp) = ocsp_url {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                    aia(0x01, ocsp),
                ));
        }
        self.sign(&params, true)
    }
}

impl Pki {
    /// A root whose own certificate expired 10 days ago (the intermediate
    /// and leaves under it are in date): OpenSSL rejects chains anchored in it.
    pub fn expired_root() -> Pki {
        let now = OffsetDateTime::now_utc();
        Pki::with_root_dates(
            "netdoctor expired root CA",
            now - Duration::days(400),
            now - Duration::days(10),
        )
    }

    /// A root whose own certificate becomes valid in 10 days.
    pub fn future_root() -> Pki {
        let now = OffsetDateTime::now_utc();
        Pki::with_root_dates(
            "netdoctor future root CA",
            now + Duration::days(10),
            now + Duration::days(400),
        )
    }

    fn with_root_dates(
        common_name: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Pki {
        let mut params = ca_params(common_name);
        params.not_before = not_before;
        params.not_after = not_after;
        let root = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("root key"))
            .expect("root cert");
        let intermediate = CertifiedIssuer::signed_by(
            ca_params(&format!("{common_name} intermediate")),
            KeyPair::generate().expect("intermediate key"),
            &root,
        )
        .expect("intermediate cert");
        Pki { root, intermediate }
    }

    /// A valid leaf for `names` carrying a non-critical private extension
    /// of `padding` bytes (a certificate of about that size), with its
    /// intermediate.
    pub fn huge(&self, names: &[&str], padding: usize) -> Leaf {
        let mut params = leaf_params(names);
        let mut octets = vec![0x04, 0x83];
        octets.extend_from_slice(&u32::try_from(padding).expect("padding").to_be_bytes()[1..]);
        octets.resize(octets.len() + padding, 0);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 55555, 1],
                octets,
            ));
        self.sign(&params, true)
    }
}

/// A chain with `n` intermediate CAs under a fresh root: the leaf (valid
/// for `names`) and the intermediates as a server sends them, and a file
/// with the root.
pub fn long_chain(n: usize, names: &[&str]) -> (Leaf, CaFile) {
    let root = CertifiedIssuer::self_signed(
        ca_params("netdoctor long-chain root CA"),
        KeyPair::generate().expect("root key"),
    )
    .expect("root cert");
    let mut issuers = vec![root];
    for i in 1..=n {
        let next = CertifiedIssuer::signed_by(
            ca_params(&format!("netdoctor long-chain intermediate {i}")),
            KeyPair::generate().expect("intermediate key"),
            issuers.last().expect("an issuer"),
        )
        .expect("intermediate cert");
        issuers.push(next);
    }
    let key = KeyPair::generate().expect("leaf key");
    let leaf = leaf_params(names)
        .signed_by(&key, issuers.last().expect("an issuer"))
        .expect("sign leaf");
    let mut chain = vec![leaf.der().clone()];
    let mut pem = vec![leaf.pem()];
    for ca in issuers[1..].iter().rev() {
        chain.push(ca.der().clone());
        pem.push(ca.pem());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("root.pem");
    std::fs::write(&path, issuers[0].pem()).expect("write root.pem");
    let leaf = Leaf {
        chain,
        pem,
        key_der: key.serialize_der(),
    };
    (leaf, CaFile { _dir: dir, path })
}

/// A self-signed leaf for `names` (no CA involved), served alone.
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let mut params = leaf_params(names);
    params.use_authority_key_identifier_extension = false;
    let cert = params.self_signed(&key).expect("self-signed");
    Leaf {
        chain: vec![cert.der().clone()],
        pem: vec![cert.pem()],
        key_der: key.serialize_der(),
    }
}

/// A self-signed certificate that is also a CA (`basicConstraints
/// CA:TRUE`), as `openssl req -x509` makes by default.
pub fn self_signed_ca(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let mut params = leaf_params(names);
    params.use_authority_key_identifier_extension = false;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("self-signed");
    Leaf {
        chain: vec![cert.der().clone()],
        pem: vec![cert.pem()],
        key_der: key.serialize_der(),
    }
}

impl Leaf {
    /// The leaf's own PEM as a `--cacert` file.
    pub fn as_ca_file(&self) -> CaFile {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("self.pem");
        std::fs::write(&path, &self.pem[0]).expect("write pem");
        CaFile { _dir: dir, path }
    }
}

/// A PEM file in a temporary directory (removed on drop).
pub struct CaFile {
    _dir: tempfile::TempDir,
    /// Where the PEM is.
    pub path: PathBuf,
}

impl CaFile {
    /// The path as a string, for `--cacert`.
    pub fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::{CertificateError, RootCertStore};

    use super::*;

    fn verify(leaf: &Leaf, name: &str) -> Result<(), rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.add(pki().root_der()).unwrap();
        let verifier = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap();
        verifier
            .verify_server_cert(
                leaf.cert(),
                &leaf.chain[1..],
                &ServerName::try_from(name.to_owned()).unwrap(),
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
    }

    fn cert_error(result: Result<(), rustls::Error>) -> CertificateError {
        match result {
            Err(rustls::Error::InvalidCertificate(e)) => e,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn good_chain_verifies() {
        verify(&pki().good(GOOD_NAMES), "good.test").unwrap();
        verify(&pki().good(GOOD_NAMES), "localhost").unwrap();
    }

    #[test]
    fn every_certificate_has_an_authority_key_identifier() {
        let leaf = pki().good(GOOD_NAMES);
        for der in leaf.chain.iter().chain([&pki().root_der()]) {
            let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
            assert!(
                cert.extensions()
                    .iter()
                    .any(|e| e.oid.to_id_string() == "2.5.29.35"),
                "no AKI in {}",
                cert.subject()
            );
        }
    }

    #[test]
    fn faulty_leaves_fail_as_intended() {
        let p = pki();
        assert!(matches!(
            cert_error(verify(&p.expired(GOOD_NAMES), "good.test")),
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ));
        assert!(matches!(
            cert_error(verify(&p.not_yet_valid(GOOD_NAMES), "good.test")),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
        ));
        assert!(matches!(
            cert_error(verify(&p.wrong_host(), "good.test")),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ));
        assert!(matches!(
            cert_error(verify(&p.leaf_only(GOOD_NAMES), "good.test")),
            CertificateError::UnknownIssuer
        ));
        assert!(matches!(
            cert_error(verify(&self_signed(GOOD_NAMES), "good.test")),
            CertificateError::UnknownIssuer
        ));
    }

    #[test]
    fn aia_extension_is_well_formed() {
        let leaf = pki().leaf_only_with_aia(GOOD_NAMES, "http://127.0.0.1:9/int.der");
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.cert()).unwrap();
        let aia = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::AuthorityInfoAccess(aia) => Some(aia),
                _ => None,
            })
            .expect("AIA parsed");
        let uris: Vec<String> = aia
            .accessdescs
            .iter()
            .map(|d| format!("{} {:?}", d.access_method.to_id_string(), d.access_location))
            .collect();
        assert!(uris[0].starts_with("1.3.6.1.5.5.7.48.2"), "{uris:?}");
        assert!(uris[0].contains("http://127.0.0.1:9/int.der"), "{uris:?}");
    }

    /// OpenSSL (what the container's clients use) agrees, in strict mode.
    #[test]
    fn openssl_x509_strict_agrees() {
        let Ok(version) = std::process::Command::new("openssl")
            .arg("version")
            .output()
        else {
            crate::support::skip("no openssl binary", "openssl");
            return;
        };
        assert!(version.status.success());
        let dir = tempfile::tempdir().unwrap();
        let root = pki().write_root(dir.path());
        let verify = |leaf: &Leaf| {
            let leaf_path = dir.path().join("leaf.pem");
            let int_path = dir.path().join("int.pem");
            std::fs::write(&leaf_path, &leaf.pem[0]).unwrap();
            std::fs::write(&int_path, pki().intermediate_pem()).unwrap();
            let out = std::process::Command::new("openssl")
                .args([
                    "verify",
                    "-x509_strict",
                    "-verify_hostname",
                    "good.test",
                    "-CAfile",
                ])
                .arg(&root)
                .arg("-untrusted")
                .arg(&int_path)
                .arg(&leaf_path)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr)
        };
        let good = verify(&pki().good(GOOD_NAMES));
        assert!(good.contains(": OK"), "{good}");
        let expired = verify(&pki().expired(GOOD_NAMES));
        assert!(expired.contains("certificate has expired"), "{expired}");
        let wrong = verify(&pki().wrong_host());
        assert!(wrong.contains("hostname mismatch"), "{wrong}");
    }

    #[test]
    fn root_file_is_pem() {
        let f = pki().root_file();
        let text = std::fs::read_to_string(&f.path).unwrap();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
