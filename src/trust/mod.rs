//! Trust stores, each loaded on its own so that every verdict names its
//! source (DESIGN "Trust: whose view counts").
//!
//! The container's OpenSSL view is the file store (`SSL_CERT_FILE`, else the
//! distribution's bundle) plus the directory store (`SSL_CERT_DIR`, else
//! `/etc/ssl/certs`, looked up by subject hash only, as OpenSSL does), plus
//! `--cacert`. The Mozilla roots (webpki-roots) are a reference that tells a
//! public CA from a private one, never a trust source.
//!
//! The image's stores are read once per run and root ([`ImageStores`]),
//! each part when a verdict first needs it or ahead of time beside the
//! probes ([`TrustStores::prefetch`]); a file's certificates and anchors
//! are parsed once ([`Certs`]), an anchor's dates only when a chain can end
//! in it.

pub mod hash;
pub(crate) mod interception;
pub mod pem;
pub(crate) mod runtime;
pub(crate) mod strict;

use crate::distro::{detect_family, Family};
use crate::sysroot::Sysroot;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

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

/// The certificates of one PEM file (or one list), with their trust
/// anchors parsed on first use: every store, view and target that holds
/// the same file shares one parse.
///
/// An anchor's dates and subject (a full X.509 parse) are read only for
/// the anchors a chain can end in, those whose subject is one of its
/// issuers: no other anchor changes a verdict, and a bundle holds about
/// 150 of them.
#[derive(Debug, Default)]
pub struct Certs {
    list: Vec<CertificateDer<'static>>,
    anchors: OnceLock<Arc<Vec<Anchor>>>,
    dates: OnceLock<Box<[OnceLock<Dates>]>>,
}

/// A trust anchor and its certificate's place in its list.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub anchor: TrustAnchor<'static>,
    pub index: usize,
}

/// A certificate's subject (as reports name it) and validity.
#[derive(Debug, Clone)]
struct Dates {
    subject: String,
    not_before: i64,
    not_after: i64,
}

/// A certificate's fields without its extensions decoded: what a count or
/// a date needs, at a fraction of a full parse (OpenSSL too decodes an
/// extension only when it is used).
pub fn parse_shallow(der: &[u8]) -> Option<x509_parser::certificate::X509Certificate<'_>> {
    use x509_parser::nom::Parser as _;
    x509_parser::certificate::X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(der)
        .ok()
        .map(|(_, x)| x)
}

impl Dates {
    fn of(der: &CertificateDer<'_>) -> Self {
        match parse_shallow(der) {
            Some(x) => Dates {
                subject: x.subject().to_string(),
                not_before: x.validity().not_before.timestamp(),
                not_after: x.validity().not_after.timestamp(),
            },
            None => Dates {
                subject: String::new(),
                not_before: i64::MIN,
                not_after: i64::MAX,
            },
        }
    }
}

impl Certs {
    /// A list whose anchors are not parsed yet.
    pub fn new(list: Vec<CertificateDer<'static>>) -> Arc<Self> {
        Arc::new(Certs {
            list,
            ..Certs::default()
        })
    }

    /// The lists one after the other, their anchors taken from each list
    /// (parsed once per list, not again for the whole).
    pub fn joined(parts: &[&Arc<Certs>]) -> Arc<Self> {
        let mut list = Vec::new();
        let mut anchors = Vec::new();
        for part in parts {
            let offset = list.len();
            anchors.extend(part.anchors().iter().map(|a| Anchor {
                anchor: a.anchor.clone(),
                index: a.index + offset,
            }));
            list.extend(part.list.iter().cloned());
        }
        Arc::new(Certs {
            list,
            anchors: OnceLock::from(Arc::new(anchors)),
            dates: OnceLock::new(),
        })
    }

    /// Every certificate's trust anchor (unparsable ones left out).
    pub fn anchors(&self) -> Arc<Vec<Anchor>> {
        self.anchors
            .get_or_init(|| {
                Arc::new(
                    self.list
                        .iter()
                        .enumerate()
                        .filter_map(|(index, c)| {
                            let anchor = webpki::anchor_from_trusted_cert(c).ok()?.to_owned();
                            Some(Anchor { anchor, index })
                        })
                        .collect(),
                )
            })
            .clone()
    }

    /// The anchors whose subject (DER contents, as webpki's anchors hold
    /// it) is one of `subjects`, with their certificates' dates.
    pub fn dated_for(&self, subjects: &[&[u8]]) -> Vec<DatedAnchor> {
        let dates = self
            .dates
            .get_or_init(|| (0..self.list.len()).map(|_| OnceLock::new()).collect());
        self.anchors()
            .iter()
            .filter(|a| subjects.contains(&a.anchor.subject.as_ref()))
            .map(|a| {
                let d = dates[a.index].get_or_init(|| Dates::of(&self.list[a.index]));
                DatedAnchor {
                    anchor: a.anchor.clone(),
                    index: a.index,
                    subject: d.subject.clone(),
                    not_before: d.not_before,
                    not_after: d.not_after,
                }
            })
            .collect()
    }
}

impl std::ops::Deref for Certs {
    type Target = [CertificateDer<'static>];

    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

/// A store of certificates loaded from one source.
#[derive(Debug, Clone)]
pub struct FileStore {
    /// How the store is named in reports, e.g. `SSL_CERT_FILE=/x.pem`.
    pub source: String,
    pub certs: Arc<Certs>,
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
                certs,
                Some(format!("{} holds no PEM certificate", path.display())),
            ),
            Ok(certs) => (certs, None),
            Err(e) => (
                Arc::default(),
                Some(format!("cannot read {}: {e}", path.display())),
            ),
        };
        FileStore {
            source,
            certs,
            error,
        }
    }

    /// Trust anchors from the store's certificates.
    pub fn anchors(&self) -> Vec<TrustAnchor<'static>> {
        self.certs
            .anchors()
            .iter()
            .map(|a| a.anchor.clone())
            .collect()
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
    /// The certificate's place in the list it was made from.
    pub index: usize,
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

type Loaded = Result<Arc<Certs>, Arc<std::io::Error>>;
type Cell = Arc<OnceLock<Loaded>>;
type Found = Arc<Vec<CertificateDer<'static>>>;

/// The files read so far, by path (see [`read_pem`]).
static FILES: Mutex<Vec<(PathBuf, Cell)>> = Mutex::new(Vec::new());
/// The directory lookups so far (see [`lookup_hashed`]).
static ASKED: Mutex<Vec<(PathBuf, String, Found)>> = Mutex::new(Vec::new());
/// The image stores of each root (see [`ImageStores::of`]).
static ROOTS: Mutex<Vec<Arc<ImageStores>>> = Mutex::new(Vec::new());

/// The PEM certificates of a file, read and parsed once per path and run
/// (the env look, every target's stores and the runtime views share it;
/// a second thread asking for a file being read waits for that read).
pub fn read_pem(path: &Path) -> Loaded {
    let cell: Cell = {
        let mut files = FILES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, cell)) = files.iter().find(|(p, _)| p == path) {
            cell.clone()
        } else {
            let cell = Cell::default();
            files.push((path.to_path_buf(), cell.clone()));
            cell
        }
    };
    cell.get_or_init(|| {
        crate::sysroot::read_file(path)
            .map(|bytes| Certs::new(pem::certificates(&bytes)))
            .map_err(Arc::new)
    })
    .clone()
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
        lookup_hashed(self.dirs.iter().map(|(_, d)| d.as_path()), hash)
    }
}

/// Whether a file name is an OpenSSL `<hash>.N` (or CRL `<hash>.rN`) entry.
pub fn is_hash_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(h, n)| {
        h.len() == 8
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && n.trim_start_matches('r').parse::<u32>().is_ok()
    })
}

/// The certificates of `<hash>.0`, `<hash>.1`, … in `dirs`, as OpenSSL
/// looks a subject up in a directory: never a file more. Each directory is
/// asked for a hash once per run (every target of a run asks for the same
/// issuers).
pub fn lookup_hashed<'a>(
    dirs: impl Iterator<Item = &'a Path>,
    hash: &str,
) -> Vec<CertificateDer<'static>> {
    let mut out = Vec::new();
    for dir in dirs {
        let asked = ASKED.lock().ok().and_then(|a| {
            a.iter()
                .find(|(d, h, _)| d == dir && h == hash)
                .map(|(_, _, f)| f.clone())
        });
        let found = asked.unwrap_or_else(|| {
            let mut found = Vec::new();
            for n in 0..MAX_HASH_LINKS {
                let Ok(bytes) = crate::sysroot::read_file(&dir.join(format!("{hash}.{n}"))) else {
                    break;
                };
                found.extend(pem::certificates(&bytes));
            }
            let found = Arc::new(found);
            if let Ok(mut a) = ASKED.lock() {
                if a.len() < MAX_ASKED {
                    a.push((dir.to_path_buf(), hash.to_owned(), found.clone()));
                }
            }
            found
        });
        out.extend(found.iter().cloned());
    }
    out
}

/// Directory lookups remembered in a run, at most.
const MAX_ASKED: usize = 4096;

/// OpenSSL stops at the first missing `<hash>.N`; a directory with more
/// links for one subject than this is not a store anyone keeps.
const MAX_HASH_LINKS: usize = 256;

/// The stores a run judges certificates against: the image's (shared by
/// every target of the run, see [`ImageStores`]) and the `--cacert` files.
///
/// Nothing is read when the stores are made: each part is loaded when a
/// verdict first needs it, or ahead of time by [`TrustStores::prefetch`]
/// on another thread while the first probes connect.
#[derive(Debug)]
pub struct TrustStores {
    image: Arc<ImageStores>,
    cacert_paths: Vec<PathBuf>,
    cacert: OnceLock<Vec<FileStore>>,
}

/// The image's own stores under one root, loaded once per run and shared
/// by every [`TrustStores`] of that root.
#[derive(Debug)]
pub struct ImageStores {
    sysroot: Sysroot,
    /// The file store; `None` when no bundle exists and `SSL_CERT_FILE` is unset.
    file: OnceLock<Option<FileStore>>,
    dir: DirStore,
    /// The image's kind and the runtimes' own stores (they are found
    /// together: a certifi bundle says Python is there).
    found: OnceLock<(Image, Vec<runtime::RuntimeStore>)>,
    /// What Rust clients with native roots trust (the machine's root only).
    rust: OnceLock<Option<runtime::RustView>>,
}

impl ImageStores {
    fn new(sysroot: &Sysroot) -> Self {
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
        ImageStores {
            sysroot: sysroot.clone(),
            file: OnceLock::new(),
            dir,
            found: OnceLock::new(),
            rust: OnceLock::new(),
        }
    }

    /// The image stores of `sysroot` for this run (made on first call).
    fn of(sysroot: &Sysroot) -> Arc<Self> {
        let mut roots = ROOTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = roots.iter().find(|r| r.sysroot == *sysroot) {
            return found.clone();
        }
        let made = Arc::new(ImageStores::new(sysroot));
        roots.push(made.clone());
        made
    }

    fn file(&self) -> Option<&FileStore> {
        self.file
            .get_or_init(|| {
                let sysroot = &self.sysroot;
                match std::env::var("SSL_CERT_FILE") {
                    Ok(p) if !p.is_empty() => Some(FileStore::load(
                        format!("SSL_CERT_FILE={p}"),
                        &sysroot.path(&p),
                    )),
                    _ => BUNDLE_PATHS
                        .iter()
                        .map(|p| (p, sysroot.path(p)))
                        .find(|(_, real)| real.is_file())
                        .map(|(p, real)| FileStore::load((*p).to_owned(), &real)),
                }
            })
            .as_ref()
    }

    fn found(&self) -> &(Image, Vec<runtime::RuntimeStore>) {
        self.found.get_or_init(|| {
            let mut image = Image::detect(&self.sysroot);
            let runtimes = runtime::discover(&self.sysroot, &image);
            if runtimes
                .iter()
                .any(|r| r.runtime == runtime::Runtime::Certifi)
            {
                image.python = true;
            }
            (image, runtimes)
        })
    }

    fn rust(&self) -> Option<&runtime::RustView> {
        self.rust
            .get_or_init(|| runtime::RustView::find(&self.sysroot))
            .as_ref()
    }
}

impl TrustStores {
    /// The container's stores (under `sysroot`) and `--cacert` files; reads
    /// nothing yet.
    pub fn load(sysroot: &Sysroot, cacert: &[PathBuf]) -> Self {
        TrustStores {
            image: ImageStores::of(sysroot),
            cacert_paths: cacert.to_vec(),
            cacert: OnceLock::new(),
        }
    }

    /// Stores made of the given parts (tests: no file is read).
    #[cfg(test)]
    pub fn of_parts(
        sysroot: &Sysroot,
        file: Option<FileStore>,
        dir: DirStore,
        image: Image,
    ) -> Self {
        let stores = ImageStores {
            sysroot: sysroot.clone(),
            file: OnceLock::from(file),
            dir,
            found: OnceLock::from((image, Vec::new())),
            rust: OnceLock::from(None),
        };
        TrustStores {
            image: Arc::new(stores),
            cacert_paths: Vec::new(),
            cacert: OnceLock::from(Vec::new()),
        }
    }

    /// The file store (`SSL_CERT_FILE`, else the first distribution bundle);
    /// `None` when neither exists.
    pub fn file(&self) -> Option<&FileStore> {
        self.image.file()
    }

    /// The directory store (`SSL_CERT_DIR`, else `/etc/ssl/certs`).
    pub fn dir(&self) -> &DirStore {
        &self.image.dir
    }

    /// The `--cacert` files' stores.
    pub fn cacert(&self) -> &[FileStore] {
        self.cacert.get_or_init(|| {
            self.cacert_paths
                .iter()
                .map(|p| FileStore::load(format!("--cacert {}", p.display()), p))
                .collect()
        })
    }

    /// What the image holds that the trust hints depend on.
    pub fn image(&self) -> &Image {
        &self.image.found().0
    }

    /// The runtimes' own stores (certifi, `REQUESTS_CA_BUNDLE`,
    /// `CURL_CA_BUNDLE`, Node): judged beside the container's view, never
    /// deciding the verdict. The Rust view is judged by
    /// [`TrustStores::runtime_verdicts`].
    pub fn runtimes(&self) -> &[runtime::RuntimeStore] {
        &self.image.found().1
    }

    /// Every runtime's verdict on a chain (`judge`), the Rust view last.
    /// `issuers` are the subject hashes of the chain's issuers: the Rust
    /// view is read only as far as its verdict needs (see
    /// [`runtime::RustView::judge`]).
    pub fn runtime_verdicts<V>(
        &self,
        issuers: &[String],
        judge: impl Fn(&runtime::RuntimeStore) -> V,
        trusted: impl Fn(&V) -> bool,
    ) -> Vec<(&runtime::RuntimeStore, V)> {
        let mut out: Vec<(&runtime::RuntimeStore, V)> =
            self.runtimes().iter().map(|r| (r, judge(r))).collect();
        if let Some(rust) = self.image.rust() {
            out.push((rust.named(), rust.judge(issuers, &judge, &trusted)));
        }
        out
    }

    /// Finds the runtimes' own stores and parses their anchors, ahead of
    /// the first verdict (see [`TrustStores::prefetch`]).
    pub fn prefetch_runtimes(&self) {
        for r in self.runtimes() {
            if let Some(s) = &r.store {
                s.certs.anchors();
            }
        }
    }

    /// Loads what every https target's verdict needs from the image's CA
    /// files (the file store and its anchors, `--cacert`, the Rust view's
    /// files), so that a thread beside the probes does it while they
    /// connect; [`TrustStores::prefetch_runtimes`] does the rest on another.
    pub fn prefetch(&self) {
        if let Some(f) = self.file() {
            f.certs.anchors();
        }
        if let Some(rust) = self.image.rust() {
            rust.prefetch();
        }
    }
}

/// What the image's CA files and directories looked like when a run read
/// them (modification time, size and inode of each, or "missing"): a stamp
/// that differs means something changed — a CA added to the image, a
/// rotated bundle, a new certifi — and a long-lived process (`netdoctor
/// serve`) reloads with [`forget`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp(Vec<(PathBuf, Option<Seen>)>);

/// A file's modification time (seconds, nanoseconds), size and inode.
type Seen = (i64, i64, u64, u64);

impl Stamp {
    fn of(paths: Vec<PathBuf>) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stamp(
            paths
                .into_iter()
                .map(|p| {
                    let m = std::fs::metadata(&p).ok();
                    let seen = m.map(|m| (m.mtime(), m.mtime_nsec(), m.size(), m.ino()));
                    (p, seen)
                })
                .collect(),
        )
    }
}

impl TrustStores {
    /// The stamp of every file and directory these stores read or would
    /// read: the distribution bundles, `SSL_CERT_FILE`, the certificate
    /// directories, `--cacert`, the runtimes' variables' files, the Python
    /// sites and their certifi bundles.
    pub fn stamp(&self) -> Stamp {
        let sysroot = &self.image.sysroot;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut paths: Vec<PathBuf> = BUNDLE_PATHS.iter().map(|p| sysroot.path(p)).collect();
        for name in [
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        ] {
            paths.extend(var(name).map(|p| sysroot.path(p)));
        }
        paths.extend(self.dir().dirs.iter().map(|(_, real)| real.clone()));
        paths.extend(self.cacert_paths.iter().cloned());
        for site in crate::sites::python_sites(sysroot).iter() {
            paths.push(sysroot.path(site));
            paths.push(sysroot.path(format!("{site}/certifi/cacert.pem")));
        }
        Stamp::of(paths)
    }
}

/// Forgets every file, lookup and store read so far, so that the next
/// [`TrustStores::load`] reads the image afresh (stores already handed out
/// keep what they read).
pub fn forget() {
    fn clear<T>(m: &Mutex<Vec<T>>) {
        if let Ok(mut v) = m.lock() {
            v.clear();
        }
    }
    clear(&ROOTS);
    clear(&FILES);
    clear(&ASKED);
    crate::sites::forget();
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

#[cfg(test)]
mod tests {
    use super::{forget, is_hash_name, TrustStores};
    use crate::sysroot::Sysroot;

    fn ca_pem(name: &str) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.self_signed(&key).unwrap().pem()
    }

    /// A CA added to the image's bundle changes the stamp; after `forget`
    /// the next load reads it.
    #[test]
    fn a_changed_bundle_changes_the_stamp_and_is_read_after_forget() {
        let root = tempfile::tempdir().unwrap();
        let bundle = root.path().join("etc/ssl/certs/ca-certificates.crt");
        std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
        std::fs::write(&bundle, ca_pem("one")).unwrap();
        let sysroot = Sysroot::at(root.path());
        let stores = TrustStores::load(&sysroot, &[]);
        assert_eq!(stores.file().map(|f| f.certs.len()), Some(1));
        let before = stores.stamp();
        assert_eq!(before, TrustStores::load(&sysroot, &[]).stamp());
        std::fs::write(&bundle, format!("{}{}", ca_pem("one"), ca_pem("two"))).unwrap();
        assert_ne!(before, stores.stamp());
        // Without forget, the run's stores are the ones already read.
        let same = TrustStores::load(&sysroot, &[]);
        assert_eq!(same.file().map(|f| f.certs.len()), Some(1));
        forget();
        let fresh = TrustStores::load(&sysroot, &[]);
        assert_eq!(fresh.file().map(|f| f.certs.len()), Some(2));
    }

    #[test]
    fn hash_names() {
        assert!(is_hash_name("9d6523ce.0"));
        assert!(is_hash_name("9d6523ce.12"));
        assert!(is_hash_name("9d6523ce.r0"));
        assert!(!is_hash_name("ca-certificates.crt"));
        assert!(!is_hash_name("9d6523c.0"));
        assert!(!is_hash_name("9d6523ce.pem"));
    }
}
