//! The runtimes' own trust stores, found on disk and by their variables
//! (DESIGN "Trust: whose view counts"): Python's certifi bundles (under any
//! site-packages or virtualenv on the usual paths), `REQUESTS_CA_BUNDLE`,
//! `CURL_CA_BUNDLE` (curl's CLI reads it, not `SSL_CERT_FILE`) and Node.js
//! (its built-in Mozilla roots plus `NODE_EXTRA_CA_CERTS`). They never decide
//! the verdict; where they disagree with the container's OpenSSL view, the
//! certificate stage warns `CERT_RUNTIME_STORE_MISMATCH`.

use super::{Certs, FileStore, Image};
use crate::sysroot::{file_id, Sysroot};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Which runtime a store belongs to (it decides the fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// A certifi bundle: requests, httpx, pip, aiohttp with certifi.
    Certifi,
    /// `REQUESTS_CA_BUNDLE`.
    Requests,
    /// `CURL_CA_BUNDLE`.
    Curl,
    /// Node.js: the Mozilla roots plus `NODE_EXTRA_CA_CERTS`.
    Node,
    /// Rust clients that load roots with rustls-native-certs.
    Rust,
}

/// One runtime's store.
#[derive(Debug, Clone)]
pub struct RuntimeStore {
    pub runtime: Runtime,
    /// How reports name it, e.g. `certifi /usr/lib/python3.12/site-packages/certifi/cacert.pem`.
    pub source: String,
    /// The clients that use it, in words.
    pub clients: &'static str,
    /// The store's own certificates (empty for Node without `NODE_EXTRA_CA_CERTS`).
    pub store: Option<FileStore>,
    /// The Mozilla roots are part of this store (Node's built-in set).
    pub mozilla: bool,
}

/// The certifi bundles of the image (container paths).
pub fn certifi_bundles(sysroot: &Sysroot) -> Vec<String> {
    crate::sites::python_sites(sysroot)
        .iter()
        .map(|site| format!("{site}/certifi/cacert.pem"))
        .filter(|bundle| sysroot.path(bundle).is_file())
        .collect()
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn load(sysroot: &Sysroot, source: String, path: &str) -> FileStore {
    FileStore::load(source, &sysroot.path(PathBuf::from(path)))
}

/// Finds the runtimes' stores of the image under `sysroot` (all but the
/// Rust view, which [`super::TrustStores::runtimes`] loads when a chain is
/// judged: it reads every file of the certificate directory).
pub fn discover(sysroot: &Sysroot, image: &Image) -> Vec<RuntimeStore> {
    let mut out = Vec::new();
    for bundle in certifi_bundles(sysroot) {
        out.push(RuntimeStore {
            runtime: Runtime::Certifi,
            source: format!("certifi {bundle}"),
            clients: "Python requests, httpx, pip (certifi)",
            store: Some(load(sysroot, format!("certifi {bundle}"), &bundle)),
            mozilla: false,
        });
    }
    if let Some(p) = var("REQUESTS_CA_BUNDLE") {
        let source = format!("REQUESTS_CA_BUNDLE={p}");
        out.push(RuntimeStore {
            runtime: Runtime::Requests,
            store: Some(load(sysroot, source.clone(), &p)),
            source,
            clients: "Python requests",
            mozilla: false,
        });
    }
    if let Some(p) = var("CURL_CA_BUNDLE") {
        let source = format!("CURL_CA_BUNDLE={p}");
        out.push(RuntimeStore {
            runtime: Runtime::Curl,
            store: Some(load(sysroot, source.clone(), &p)),
            source,
            clients: "curl (and requests when REQUESTS_CA_BUNDLE is unset)",
            mozilla: false,
        });
    }
    let extra = var("NODE_EXTRA_CA_CERTS");
    if image.node || extra.is_some() {
        let (source, store) = match extra {
            Some(p) => {
                let source = format!("node: Mozilla roots + NODE_EXTRA_CA_CERTS={p}");
                (source.clone(), Some(load(sysroot, source, &p)))
            }
            None => ("node: built-in Mozilla roots".to_owned(), None),
        };
        out.push(RuntimeStore {
            runtime: Runtime::Node,
            source,
            clients: "Node.js (https, fetch, ws)",
            store,
            mozilla: true,
        });
    }
    out
}

/// The files of `dir` that no `<hash>.N` entry names and that are not
/// `read` already, with their identity.
///
/// A hash link is read (`readlink`), not followed: the entry it names in
/// the same directory is covered without a `stat` (Debian's and Alpine's
/// layout: `4042bcee.0 -> ISRG_Root_X1.pem`). The other entries are
/// `stat`ed; only when some are files are the links followed, to tell a
/// file that a link reaches by another path.
fn unlinked_files(
    dir: &std::path::Path,
    read: &std::collections::HashSet<(u64, u64)>,
) -> Vec<((u64, u64), PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let entries: Vec<(String, PathBuf)> = rd
        .flatten()
        .take(MAX_UNLINKED * 4)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    let (hashed, others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(name, _)| super::is_hash_name(name));
    let named: std::collections::HashSet<String> = hashed
        .iter()
        .filter_map(|(_, path)| std::fs::read_link(path).ok())
        .filter(|target| target.components().count() == 1)
        .map(|target| target.to_string_lossy().into_owned())
        .collect();
    let files: Vec<((u64, u64), PathBuf)> = others
        .into_iter()
        .filter(|(name, _)| !named.contains(name))
        .filter_map(|(_, path)| {
            let m = std::fs::metadata(&path)
                .ok()
                .filter(std::fs::Metadata::is_file)?;
            Some((file_id(&m), path)).filter(|(id, _)| !read.contains(id))
        })
        .collect();
    if files.is_empty() {
        return files;
    }
    let linked: std::collections::HashSet<(u64, u64)> = hashed
        .iter()
        .filter_map(|(_, path)| std::fs::metadata(path).ok())
        .map(|m| file_id(&m))
        .collect();
    files
        .into_iter()
        .filter(|(id, _)| !linked.contains(id))
        .collect()
}

/// What Rust clients built on rustls-native-certs trust: `SSL_CERT_FILE`
/// and every certificate file of `SSL_CERT_DIR` (hash links or not), else
/// the distribution bundle and directory that openssl-probe finds. The
/// crate reads the machine's own files, so the view exists only on the
/// real root, not under a test's fake image.
///
/// The crate reads every file of the directory; a verdict needs only the
/// certificates that can anchor the chain, those whose subject is one of
/// its issuers. [`RustView::judge`] asks the file first, then the
/// directory's `<hash>.N` links for the issuers' subject hashes, and only
/// then the files that no hash link names (a directory nobody rehashed, a
/// bundle beside the links): the directory is listed and its entries
/// `stat`ed, but the linked certificates of other subjects are never
/// opened. A hash link is taken to name its certificate's subject, as
/// OpenSSL takes it.
#[derive(Debug)]
pub struct RustView {
    /// How reports name the view (its `store` is never judged).
    named: RuntimeStore,
    /// The file the crate reads.
    file: Option<PathBuf>,
    /// The directories it reads every file of.
    dirs: Vec<PathBuf>,
    /// The directories' files that no hash link names (read once).
    unlinked: OnceLock<Arc<Certs>>,
}

const RUST_SOURCE: &str = "rustls-native-certs";
const RUST_CLIENTS: &str =
    "Rust clients with native roots (reqwest `rustls-tls-native-roots`, ureq `native-certs`, …)";

/// Files of a directory read as unlinked certificates, at most.
const MAX_UNLINKED: usize = 4096;

impl RustView {
    /// The view on the machine's own root (`None` under a fake image).
    pub fn find(sysroot: &Sysroot) -> Option<Self> {
        if !sysroot.is_host() {
            return None;
        }
        // rustls-native-certs 0.8: the variables when either is set, else
        // the paths openssl-probe finds.
        let mut file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let mut dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
            .map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if file.is_none() && dirs.is_empty() {
            let probed = openssl_probe::probe();
            file = probed.cert_file;
            dirs = probed.cert_dir;
        }
        Some(RustView {
            named: RuntimeStore {
                runtime: Runtime::Rust,
                source: RUST_SOURCE.to_owned(),
                clients: RUST_CLIENTS,
                store: None,
                mozilla: false,
            },
            file,
            dirs,
            unlinked: OnceLock::new(),
        })
    }

    /// A view of a given file and directories (tests).
    #[cfg(test)]
    fn at(file: Option<PathBuf>, dirs: Vec<PathBuf>) -> Self {
        let mut view = RustView::find(&Sysroot::default()).unwrap_or_else(|| unreachable!());
        view.file = file;
        view.dirs = dirs;
        view
    }

    /// How reports name the view.
    pub fn named(&self) -> &RuntimeStore {
        &self.named
    }

    /// Certificates of the view as a store of their own.
    fn store(&self, certs: Arc<Certs>, error: Option<String>) -> RuntimeStore {
        RuntimeStore {
            store: Some(FileStore {
                source: RUST_SOURCE.to_owned(),
                certs,
                error,
            }),
            ..self.named.clone()
        }
    }

    /// The file's certificates (shared with every store of that file).
    fn file_part(&self) -> Arc<Certs> {
        self.file
            .as_deref()
            .and_then(|f| super::read_pem(f).ok())
            .unwrap_or_default()
    }

    /// The directories' `<hash>.N` certificates for `issuers`.
    fn hashed_part(&self, issuers: &[String]) -> Arc<Certs> {
        Certs::new(
            issuers
                .iter()
                .flat_map(|h| super::lookup_hashed(self.dirs.iter().map(PathBuf::as_path), h))
                .collect(),
        )
    }

    /// The directories' files that are neither hash links nor the target
    /// of one, nor the file itself (the crate skips a file it read).
    fn unlinked_part(&self) -> &Arc<Certs> {
        self.unlinked.get_or_init(|| {
            let file = self.file.as_ref().and_then(|f| std::fs::metadata(f).ok());
            let mut seen: std::collections::HashSet<(u64, u64)> =
                file.iter().map(file_id).collect();
            let files: Vec<PathBuf> = self
                .dirs
                .iter()
                .flat_map(|dir| unlinked_files(dir, &seen))
                .collect::<Vec<_>>()
                .into_iter()
                .filter(|(id, _)| seen.insert(*id))
                .map(|(_, path)| path)
                .take(MAX_UNLINKED)
                .collect();
            let certs = files
                .iter()
                .filter_map(|path| crate::sysroot::read_file(path).ok())
                .flat_map(|bytes| super::pem::certificates(&bytes))
                .collect();
            Certs::new(certs)
        })
    }

    /// The view's verdict (`judge`) on a chain whose issuers' subject
    /// hashes are `issuers`, reading no more than it needs: a part that
    /// trusts the chain gives the whole view's verdict (more anchors never
    /// unmake a path), and the certificates no part holds have other
    /// subjects, so they anchor nothing for this chain.
    pub fn judge<V>(
        &self,
        issuers: &[String],
        judge: impl Fn(&RuntimeStore) -> V,
        trusted: impl Fn(&V) -> bool,
    ) -> V {
        let file = self.file_part();
        let hashed = self.hashed_part(issuers);
        for part in [&file, &hashed] {
            if part.is_empty() {
                continue;
            }
            let verdict = judge(&self.store(part.clone(), None));
            if trusted(&verdict) {
                return verdict;
            }
        }
        let all = Certs::joined(&[&file, &hashed, self.unlinked_part()]);
        if all.is_empty() {
            // Nothing anywhere: the crate says why, in its own words.
            return judge(&self.crate_view());
        }
        judge(&self.store(all, None))
    }

    /// The view as the crate loads it (every file of the directories).
    fn crate_view(&self) -> RuntimeStore {
        let loaded = rustls_native_certs::load_native_certs();
        let error = (loaded.certs.is_empty()).then(|| {
            let why: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
            if why.is_empty() {
                "no certificate found".to_owned()
            } else {
                why.join("; ")
            }
        });
        self.store(Certs::new(loaded.certs), error)
    }

    /// Reads and parses what every verdict needs, ahead of the first one.
    pub fn prefetch(&self) {
        self.file_part().anchors();
        self.unlinked_part().anchors();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;

    /// The parts of the Rust view hold every certificate of the crate's
    /// own view of this machine whose subject is asked for, and nothing
    /// the crate does not load.
    #[test]
    fn the_rust_views_parts_hold_what_the_crate_loads_for_a_subject() {
        use crate::trust::hash::name_hash;
        let Some(view) = RustView::find(&Sysroot::default()) else {
            unreachable!("the host root always has a Rust view");
        };
        let whole = rustls_native_certs::load_native_certs().certs;
        if whole.is_empty() {
            use std::io::Write as _;
            let why = "SKIPPED the_rust_views_parts_hold_what_the_crate_loads_for_a_subject: this machine has no CA store; install ca-certificates";
            assert!(
                std::env::var_os("NETDOCTOR_REQUIRE_ALL").is_none_or(|v| v != "1"),
                "{why}"
            );
            let _ = writeln!(std::io::stderr(), "{why}");
            return;
        }
        let subject = |c: &CertificateDer<'_>| {
            x509_parser::parse_x509_certificate(c)
                .ok()
                .map(|(_, x)| name_hash(x.subject()))
        };
        let hashes: Vec<String> = whole.iter().step_by(7).filter_map(subject).collect();
        let mut parts: Vec<CertificateDer<'static>> = view.file_part().to_vec();
        parts.extend(view.hashed_part(&hashes).iter().cloned());
        parts.extend(view.unlinked_part().iter().cloned());
        for c in &parts {
            assert!(
                whole.contains(c),
                "a part holds a certificate the crate does not load"
            );
        }
        for c in &whole {
            if subject(c).is_some_and(|h| hashes.contains(&h)) {
                assert!(
                    parts.contains(c),
                    "the parts miss a certificate of an asked subject"
                );
            }
        }
    }

    /// A CA certificate of its own subject, as PEM, and its subject hash.
    fn ca(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = p.self_signed(&key).unwrap();
        let (_, x) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
        (cert.pem(), crate::trust::hash::name_hash(x.subject()))
    }

    /// A directory as people leave them: hash links to certificate files,
    /// a certificate nobody rehashed, a bundle beside the links, a link to
    /// a file elsewhere, a CRL, a dangling link; the view's parts hold
    /// exactly the crate's certificates of each subject asked for.
    #[test]
    fn the_rust_views_parts_match_the_crate_on_a_mixed_directory() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("certs");
        std::fs::create_dir(&dir).unwrap();
        let cas: Vec<(String, String)> = (0..6).map(|i| ca(&format!("CA {i}"))).collect();
        std::fs::write(dir.join("linked.pem"), &cas[0].0).unwrap();
        symlink("linked.pem", dir.join(format!("{}.0", cas[0].1))).unwrap();
        std::fs::write(dir.join("unhashed.crt"), &cas[1].0).unwrap();
        std::fs::write(dir.join("bundle.pem"), format!("{}{}", cas[2].0, cas[3].0)).unwrap();
        std::fs::write(tmp.path().join("elsewhere.pem"), &cas[4].0).unwrap();
        symlink(
            tmp.path().join("elsewhere.pem"),
            dir.join(format!("{}.0", cas[4].1)),
        )
        .unwrap();
        std::fs::write(dir.join(format!("{}.r0", cas[4].1)), "not a certificate").unwrap();
        symlink("gone.pem", dir.join("dangling.pem")).unwrap();
        let file = tmp.path().join("file.pem");
        std::fs::write(&file, &cas[5].0).unwrap();
        let view = RustView::at(Some(file.clone()), vec![dir.clone()]);
        let whole = rustls_native_certs::load_certs_from_paths(Some(&file), Some(&dir)).certs;
        assert_eq!(whole.len(), 6);
        for (_, hash) in &cas {
            let asked = [hash.clone()];
            let mut parts: Vec<CertificateDer<'static>> = view.file_part().to_vec();
            parts.extend(view.hashed_part(&asked).iter().cloned());
            parts.extend(view.unlinked_part().iter().cloned());
            let of_subject = |c: &&CertificateDer<'static>| {
                let (_, x) = x509_parser::parse_x509_certificate(c).unwrap();
                crate::trust::hash::name_hash(x.subject()) == *hash
            };
            let mut ours: Vec<_> = parts.iter().filter(of_subject).cloned().collect();
            let mut theirs: Vec<_> = whole.iter().filter(of_subject).cloned().collect();
            ours.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            ours.dedup();
            theirs.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            assert_eq!(ours, theirs, "subject {hash}");
            assert!(parts.iter().all(|c| whole.contains(c)));
        }
        // The linked certificates of other subjects are never read.
        assert_eq!(view.unlinked_part().len(), 3);
    }

    #[test]
    fn finds_certifi_under_site_packages_and_virtualenvs() {
        let dir = tempfile::tempdir().unwrap();
        for p in [
            "usr/local/lib/python3.12/site-packages/certifi",
            "opt/venv/lib/python3.11/site-packages/certifi",
            "usr/lib/python3/dist-packages/certifi",
        ] {
            std::fs::create_dir_all(dir.path().join(p)).unwrap();
            std::fs::write(dir.path().join(p).join("cacert.pem"), "").unwrap();
        }
        let found = certifi_bundles(&Sysroot::at(dir.path()));
        assert_eq!(
            found,
            vec![
                "/usr/lib/python3/dist-packages/certifi/cacert.pem",
                "/usr/local/lib/python3.12/site-packages/certifi/cacert.pem",
                "/opt/venv/lib/python3.11/site-packages/certifi/cacert.pem",
            ]
        );
    }
}
