//! The runtimes' own trust stores, found on disk and by their variables
//! (DESIGN "Trust: whose view counts"): Python's certifi bundles (under any
//! site-packages or virtualenv on the usual paths), `REQUESTS_CA_BUNDLE`,
//! `CURL_CA_BUNDLE` (curl's CLI reads it, not `SSL_CERT_FILE`) and Node.js
//! (its built-in Mozilla roots plus `NODE_EXTRA_CA_CERTS`). They never decide
//! the verdict; where they disagree with the container's OpenSSL view, the
//! certificate stage warns `CERT_RUNTIME_STORE_MISMATCH`.

use super::{FileStore, Image};
use crate::sysroot::Sysroot;
use std::path::PathBuf;

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

/// Where Python packages live in images, with `*` for one path segment's
/// varying part (`python3*` matches `python3.12`).
const SITE_PACKAGES: &[&str] = &[
    "/usr/lib/python3*/site-packages",
    "/usr/lib/python3*/dist-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/local/lib/python3*/site-packages",
    "/usr/local/lib/python3*/dist-packages",
    "/opt/*/lib/python3*/site-packages",
    "/opt/*/*/lib/python3*/site-packages",
    "/venv/lib/python3*/site-packages",
    "/app/.venv/lib/python3*/site-packages",
    "/app/venv/lib/python3*/site-packages",
    "/root/.local/lib/python3*/site-packages",
    "/home/*/.local/lib/python3*/site-packages",
    "/home/*/.venv/lib/python3*/site-packages",
];

/// Whether `name` matches a segment pattern with at most one `*`.
fn segment_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => {
            name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post)
        }
    }
}

/// The container paths matching `pattern` under `sysroot` (sorted).
fn expand(sysroot: &Sysroot, pattern: &str) -> Vec<String> {
    let mut found = vec![String::new()];
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for base in &found {
            if seg.contains('*') {
                let dir = sysroot.path(if base.is_empty() { "/" } else { base });
                let Ok(rd) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = rd
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| segment_matches(seg, n))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|n| format!("{base}/{n}")));
            } else {
                next.push(format!("{base}/{seg}"));
            }
        }
        found = next;
    }
    found
}

/// The certifi bundles of the image (container paths).
pub fn certifi_bundles(sysroot: &Sysroot) -> Vec<String> {
    let mut patterns: Vec<String> = SITE_PACKAGES.iter().map(|s| (*s).to_owned()).collect();
    if let Ok(venv) = std::env::var("VIRTUAL_ENV") {
        if venv.starts_with('/') {
            patterns.insert(
                0,
                format!("{}/lib/python3*/site-packages", venv.trim_end_matches('/')),
            );
        }
    }
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        for site in expand(sysroot, &p) {
            let bundle = format!("{site}/certifi/cacert.pem");
            if sysroot.path(&bundle).is_file() && !out.contains(&bundle) {
                out.push(bundle);
            }
        }
    }
    out
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

/// What Rust clients built on rustls-native-certs trust: `SSL_CERT_FILE`
/// and every certificate file of `SSL_CERT_DIR` (hash links or not), else
/// the distribution bundle. The crate reads the machine's own files, so the
/// view exists only on the real root, not under a test's fake image.
pub(crate) fn rust_native_view(sysroot: &Sysroot) -> Option<RuntimeStore> {
    if !sysroot.is_host() {
        return None;
    }
    let source = "rustls-native-certs".to_owned();
    let loaded = rustls_native_certs::load_native_certs();
    let error = (loaded.certs.is_empty()).then(|| {
        let why: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        if why.is_empty() {
            "no certificate found".to_owned()
        } else {
            why.join("; ")
        }
    });
    Some(RuntimeStore {
        runtime: Runtime::Rust,
        source: source.clone(),
        clients: "Rust clients with native roots (reqwest `rustls-tls-native-roots`, ureq `native-certs`, …)",
        store: Some(FileStore {
            source,
            certs: loaded.certs,
            error,
        }),
        mozilla: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert!(segment_matches("python3*", "python3.12"));
        assert!(!segment_matches("python3*", "python2.7"));
        assert!(segment_matches("site-packages", "site-packages"));
        assert!(segment_matches("*", "venv"));
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
