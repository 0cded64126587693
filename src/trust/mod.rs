//! Trust stores, each loaded on its own so that every verdict names its
//! source (DESIGN "Trust: whose view counts").
//!
//! The container's OpenSSL view is the file store (`SSL_CERT_FILE`, else the
//! distribution's bundle) plus the directory store (`SSL_CERT_DIR`, else
//! `/etc/ssl/certs`, looked up by subject hash only, as OpenSSL does), plus
//! `--cacert`. The Mozilla roots (webpki-roots) are a reference that tells a
//! public CA from a private one, never a trust source.

pub mod hash;
pub(crate) mod interception;
pub(crate) mod runtime;
pub(crate) mod strict;

use crate::distro::{detect_family, Family};
use crate::sysroot::Sysroot;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Distribution CA bundles, in the order OpenSSL builds and Go look for them.
pub const BUNDLE_PATHS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The default OpenSSL certificate directory.
pub const DEFAULT_CERT_DIR: &str = "/etc/ssl/certs";

/// A store of certificates loaded from one source.
#[derive(Debug, Clone)]
pub struct FileStore {
    /// How the store is named in reports, e.g. `SSL_CERT_FILE=/x.pem`.
    pub source: String,
    pub certs: Vec<CertificateDer<'static>>,
    /// Why the store could not be read, if it could not.
    pub error: Option<String>,
}

impl FileStore {
    /// Loads every PEM certificate of `path`. A file is read and parsed once
    /// per run: the env look, every target's stores and the runtime views
    /// share it.
    pub fn load(source: String, path: &Path) -> Self {
        let (certs, error) = match read_pem(path) {
            Ok(certs) if certs.is_empty() => (
                Vec::new(),
                Some(format!("{} holds no PEM certificate", path.display())),
            ),
            Ok(certs) => (certs.to_vec(), None),
            Err(e) => (
                Vec::new(),
                Some(format!("cannot read {}: {e}", path.display())),
            ),
        };
        FileStore {
            source,
            certs,
            error,
        }
    }

    /// Trust anchors from the store's certificates (parsed once per file
    /// content and run).
    pub fn anchors(&self) -> Vec<TrustAnchor<'static>> {
        self.dated_anchors()
            .iter()
            .map(|a| a.anchor.clone())
            .collect()
    }

    /// The store's anchors with their certificates' validity (parsed once
    /// per file content and run).
    pub fn dated_anchors(&self) -> Arc<Vec<DatedAnchor>> {
        static ANCHORS: Mutex<Vec<(u64, Arc<Vec<DatedAnchor>>)>> = Mutex::new(Vec::new());
        let key = fingerprint(&self.certs);
        if let Ok(cache) = ANCHORS.lock() {
            if let Some((_, a)) = cache.iter().find(|(k, _)| *k == key) {
                return a.clone();
            }
        }
        let anchors = Arc::new(dated_anchors_of(&self.certs));
        if let Ok(mut cache) = ANCHORS.lock() {
            cache.push((key, anchors.clone()));
        }
        anchors
    }
}

/// A trust anchor and the validity of the certificate it was made from.
///
/// webpki's anchors carry no dates (it never checks an anchor's validity);
/// OpenSSL does, so the container's view must: an expired CA certificate
/// in a store anchors nothing for curl or Python.
#[derive(Debug, Clone)]
pub struct DatedAnchor {
    pub anchor: TrustAnchor<'static>,
    /// The certificate's subject, as reports name it.
    pub subject: String,
    /// Unix seconds (`i64::MIN` when the dates cannot be read).
    pub not_before: i64,
    /// Unix seconds (`i64::MAX` when the dates cannot be read).
    pub not_after: i64,
}

impl DatedAnchor {
    /// Whether the certificate is within its validity at `now`.
    pub fn in_date(&self, now: i64) -> bool {
        (self.not_before..=self.not_after).contains(&now)
    }
}

/// Dated trust anchors from certificates; unparsable ones are left out.
pub fn dated_anchors_of(certs: &[CertificateDer<'_>]) -> Vec<DatedAnchor> {
    certs
        .iter()
        .filter_map(|c| {
            let anchor = webpki::anchor_from_trusted_cert(c).ok()?.to_owned();
            let parsed = x509_parser::parse_x509_certificate(c).ok();
            let (subject, not_before, not_after) = parsed.map_or_else(
                || (String::new(), i64::MIN, i64::MAX),
                |(_, x)| {
                    let v = x.validity();
                    (
                        x.subject().to_string(),
                        v.not_before.timestamp(),
                        v.not_after.timestamp(),
                    )
                },
            );
            Some(DatedAnchor {
                anchor,
                subject,
                not_before,
                not_after,
            })
        })
        .collect()
}

type Loaded = Result<Arc<Vec<CertificateDer<'static>>>, Arc<std::io::Error>>;

/// The PEM certificates of a file, read and parsed once per path and run
/// (the env look, every target's stores and the runtime views share it).
pub fn read_pem(path: &Path) -> Loaded {
    static FILES: Mutex<Vec<(PathBuf, Loaded)>> = Mutex::new(Vec::new());
    if let Ok(cache) = FILES.lock() {
        if let Some((_, loaded)) = cache.iter().find(|(p, _)| p == path) {
            return loaded.clone();
        }
    }
    let loaded: Loaded = std::fs::read(path)
        .map(|bytes| {
            Arc::new(
                CertificateDer::pem_slice_iter(&bytes)
                    .filter_map(Result::ok)
                    .collect(),
            )
        })
        .map_err(Arc::new);
    if let Ok(mut cache) = FILES.lock() {
        cache.push((path.to_path_buf(), loaded.clone()));
    }
    loaded
}

/// An identity of a certificate list (a hash of its bytes), to share parsed
/// anchors between stores with the same content.
fn fingerprint(certs: &[CertificateDer<'_>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    certs.len().hash(&mut h);
    for c in certs {
        c.as_ref().hash(&mut h);
    }
    h.finish()
}

/// OpenSSL's hashed directory store: `<subject-hash>.N` lookups only.
#[derive(Debug, Clone)]
pub struct DirStore {
    pub source: String,
    /// The directories as the container sees them, and where they are read.
    pub dirs: Vec<(String, PathBuf)>,
}

impl DirStore {
    /// The certificates whose subject hashes to `hash` (files `hash.0`, `hash.1`, …).
    pub fn lookup(&self, hash: &str) -> Vec<CertificateDer<'static>> {
        let mut out = Vec::new();
        for (_, dir) in &self.dirs {
            for n in 0.. {
                let Ok(bytes) = std::fs::read(dir.join(format!("{hash}.{n}"))) else {
                    break;
                };
                out.extend(CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok));
            }
        }
        out
    }
}

/// The stores a run judges certificates against.
#[derive(Debug, Clone)]
pub struct TrustStores {
    /// The file store; `None` when no bundle exists and `SSL_CERT_FILE` is unset.
    pub file: Option<FileStore>,
    pub dir: DirStore,
    pub cacert: Vec<FileStore>,
    /// What the image holds that the trust hints depend on.
    pub image: Image,
    /// The runtimes' own stores (certifi, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
    /// Node): judged beside the container's view, never deciding the verdict.
    /// See [`TrustStores::runtimes`] for all of them.
    pub runtimes: Vec<runtime::RuntimeStore>,
    /// The root the stores were read under (for the Rust view).
    pub sysroot: Sysroot,
    /// What Rust clients with native roots trust, loaded on first use: the
    /// crate reads every file of the certificate directory, which the env
    /// look and plain-http targets never need.
    pub rust_view: std::sync::OnceLock<Option<runtime::RuntimeStore>>,
}

impl TrustStores {
    /// Every runtime's own store, the Rust view last (loaded on first call).
    pub fn runtimes(&self) -> Vec<&runtime::RuntimeStore> {
        let rust = self
            .rust_view
            .get_or_init(|| runtime::rust_native_view(&self.sysroot));
        self.runtimes.iter().chain(rust.iter()).collect()
    }
}

/// The parts of the image a trust fix depends on: the distribution and the
/// runtimes that keep their own stores.
#[derive(Debug, Clone)]
pub struct Image {
    pub family: Family,
    /// A Python interpreter (or a certifi bundle) is present.
    pub python: bool,
    /// A Node.js binary is present.
    pub node: bool,
}

const PYTHON_PATHS: &[&str] = &[
    "/usr/bin/python3",
    "/usr/local/bin/python3",
    "/usr/bin/python",
    "/usr/local/bin/python",
    "/opt/venv/bin/python3",
];

const NODE_PATHS: &[&str] = &[
    "/usr/bin/node",
    "/usr/local/bin/node",
    "/opt/nodejs/bin/node",
];

impl Image {
    /// Looks at the image under `sysroot`.
    pub fn detect(sysroot: &Sysroot) -> Self {
        let any = |paths: &[&str]| paths.iter().any(|p| sysroot.path(p).exists());
        Image {
            family: detect_family(sysroot),
            python: any(PYTHON_PATHS),
            node: any(NODE_PATHS),
        }
    }

    /// The distribution's system bundle, as runtimes should be pointed at it.
    pub fn system_bundle(&self) -> &'static str {
        match self.family {
            Family::Redhat => "/etc/pki/tls/certs/ca-bundle.crt",
            Family::Suse => "/etc/ssl/ca-bundle.pem",
            _ => "/etc/ssl/certs/ca-certificates.crt",
        }
    }

    /// The Dockerfile lines that make the image trust a CA (`corp-root.crt`),
    /// for this distribution, plus the runtimes' variables when they are present.
    pub fn trust_fix(&self) -> String {
        let (system, anchor) = match self.family {
            Family::Debian => (
                "`COPY corp-root.crt /usr/local/share/ca-certificates/corp-root.crt` then `RUN update-ca-certificates` (PEM, and the file name must end in .crt)".to_owned(),
                "/usr/local/share/ca-certificates/corp-root.crt",
            ),
            Family::Alpine => (
                "`RUN apk add --no-cache ca-certificates`, `COPY corp-root.crt /usr/local/share/ca-certificates/corp-root.crt`, then `RUN update-ca-certificates` (PEM, the file name must end in .crt)".to_owned(),
                "/usr/local/share/ca-certificates/corp-root.crt",
            ),
            Family::Redhat => (
                "`COPY corp-root.crt /etc/pki/ca-trust/source/anchors/corp-root.crt` then `RUN update-ca-trust`".to_owned(),
                "/etc/pki/ca-trust/source/anchors/corp-root.crt",
            ),
            Family::Suse => (
                "`COPY corp-root.crt /etc/pki/trust/anchors/corp-root.crt` then `RUN update-ca-certificates`".to_owned(),
                "/etc/pki/trust/anchors/corp-root.crt",
            ),
            Family::Unknown => (
                "Debian/Ubuntu: `COPY corp-root.crt /usr/local/share/ca-certificates/corp-root.crt` then `RUN update-ca-certificates` (the file name must end in .crt); Alpine: the same after `RUN apk add ca-certificates`; RHEL/UBI: `COPY corp-root.crt /etc/pki/ca-trust/source/anchors/` then `RUN update-ca-trust`".to_owned(),
                "/usr/local/share/ca-certificates/corp-root.crt",
            ),
        };
        let mut fix = system;
        if self.python {
            let _ = write!(
                fix,
                "; Python (requests/httpx use certifi, not the system store): `ENV REQUESTS_CA_BUNDLE={b} SSL_CERT_FILE={b}`",
                b = self.system_bundle()
            );
        }
        if self.node {
            let _ = write!(
                fix,
                "; Node.js (its own Mozilla roots): `ENV NODE_EXTRA_CA_CERTS={anchor}`"
            );
        }
        fix
    }
}

impl TrustStores {
    /// Loads the container's stores (under `sysroot`) and `--cacert` files.
    pub fn load(sysroot: &Sysroot, cacert: &[PathBuf]) -> Self {
        let file = match std::env::var("SSL_CERT_FILE") {
            Ok(p) if !p.is_empty() => Some(FileStore::load(
                format!("SSL_CERT_FILE={p}"),
                &sysroot.path(&p),
            )),
            _ => BUNDLE_PATHS
                .iter()
                .map(|p| (p, sysroot.path(p)))
                .find(|(_, real)| real.is_file())
                .map(|(p, real)| FileStore::load((*p).to_owned(), &real)),
        };
        let dir = match std::env::var("SSL_CERT_DIR") {
            Ok(v) if !v.is_empty() => DirStore {
                source: format!("SSL_CERT_DIR={v}"),
                dirs: v
                    .split(':')
                    .filter(|d| !d.is_empty())
                    .map(|d| (d.to_owned(), sysroot.path(d)))
                    .collect(),
            },
            _ => DirStore {
                source: DEFAULT_CERT_DIR.to_owned(),
                dirs: vec![(DEFAULT_CERT_DIR.to_owned(), sysroot.path(DEFAULT_CERT_DIR))],
            },
        };
        let cacert = cacert
            .iter()
            .map(|p| FileStore::load(format!("--cacert {}", p.display()), p))
            .collect();
        let mut image = Image::detect(sysroot);
        let runtimes = runtime::discover(sysroot, &image);
        if runtimes
            .iter()
            .any(|r| r.runtime == runtime::Runtime::Certifi)
        {
            image.python = true;
        }
        TrustStores {
            file,
            dir,
            cacert,
            image,
            runtimes,
            sysroot: sysroot.clone(),
            rust_view: std::sync::OnceLock::new(),
        }
    }
}

/// Trust anchors from certificates; unparsable ones are left out.
pub fn anchors_of(certs: &[CertificateDer<'_>]) -> Vec<TrustAnchor<'static>> {
    certs
        .iter()
        .filter_map(|c| {
            webpki::anchor_from_trusted_cert(c)
                .ok()
                .map(|a| a.to_owned())
        })
        .collect()
}

/// The public Mozilla roots: a reference, not a trust source.
pub fn mozilla_anchors() -> &'static [TrustAnchor<'static>] {
    webpki_roots::TLS_SERVER_ROOTS
}
