//! CA material: the distribution's bundles (present, readable, how many
//! certificates parse, how many have expired), `SSL_CERT_FILE`,
//! `SSL_CERT_DIR` and its `<subject-hash>.N` links, and the runtimes' own CA
//! variables (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`).
//!
//! The stores are the ones the probes judge certificates against
//! ([`TrustStores`]), so the env verdict and the certificate verdict agree.

use super::container::Container;
use super::facts::{BundleFile, CaBundle, CaDir, CaVariable, CertDir};
use super::{var, Depth, Look};
use crate::diagnosis::{Code, Status};
use crate::sysroot::Sysroot;
use crate::trust::{is_hash_name, TrustStores, BUNDLE_PATHS};
use rustls_pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The variables runtimes read for their own CA bundle.
const CA_VARIABLES: &[(&str, &str)] = &[
    ("REQUESTS_CA_BUNDLE", "Python requests"),
    ("CURL_CA_BUNDLE", "curl"),
    ("NODE_EXTRA_CA_CERTS", "Node.js"),
];

/// How many certificates parse and how many have expired.
#[derive(Debug, Clone, Copy, Default)]
struct Count {
    parsed: usize,
    expired: usize,
}

fn count(certs: &[CertificateDer<'_>], depth: Depth) -> Count {
    if depth == Depth::Quick {
        return Count {
            parsed: certs.len(),
            expired: 0,
        };
    }
    let now = x509_parser::time::ASN1Time::now();
    let mut c = Count::default();
    for der in certs {
        if let Some(cert) = crate::trust::parse_shallow(der) {
            c.parsed += 1;
            if cert.validity().not_after < now {
                c.expired += 1;
            }
        }
    }
    c
}

/// An I/O error in words, without the OS error number.
pub(super) fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "a directory, not a file".to_owned(),
        _ => e.to_string(),
    }
}

/// The PEM certificates of a file, or why it cannot be read.
fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    crate::trust::read_pem(path)
        .map(|certs| certs.to_vec())
        .map_err(|e| io_words(&e))
}

/// Why a CA file is of no use: unreadable, or no PEM certificate in it.
fn file_problem(path: &Path) -> String {
    match read_pem(path) {
        Err(e) => e,
        Ok(c) if c.is_empty() => "holds no PEM certificate".to_owned(),
        Ok(_) => "unusable".to_owned(),
    }
}

/// What a certificate directory holds.
#[derive(Debug, Default)]
struct DirContents {
    exists: bool,
    hashed: usize,
    /// Files that hold a PEM certificate (read only when nothing is hashed).
    cert_files: usize,
}

/// Bundles are not what a directory store is for: they never count as the
/// directory's certificate files.
fn is_bundle(path: &Path, bundles: &[PathBuf]) -> bool {
    bundles.iter().any(|b| b == path)
}

fn scan_dir(dir: &Path, bundles: &[PathBuf]) -> DirContents {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return DirContents::default();
    };
    let mut c = DirContents {
        exists: true,
        ..DirContents::default()
    };
    let mut others = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_hash_name(&name) {
            c.hashed += 1;
        } else {
            others.push(e.path());
        }
    }
    if c.hashed == 0 {
        c.cert_files = others
            .iter()
            .take(4096)
            .filter(|p| {
                p.is_file()
                    && !is_bundle(p, bundles)
                    && crate::sysroot::read_file(p)
                        .is_ok_and(|b| b.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"))
            })
            .count();
    }
    c
}

/// Checks the CA material the container's TLS clients use.
pub fn inspect(
    sysroot: &Sysroot,
    trust: &TrustStores,
    image: &Container,
    depth: Depth,
    look: &mut Look,
) {
    let counted = distribution_bundles(sysroot, depth, look);
    let dir = directory_store(sysroot, trust, look);
    let file_usable = file_store(sysroot, trust, image, &dir, look);
    if let Some(store) = trust.file() {
        let c = counted
            .get(store.source.as_str())
            .copied()
            .unwrap_or_else(|| count(&store.certs, depth));
        look.facts.ca_bundle = Some(CaBundle {
            certificates: store.certs.len(),
            expired: (depth == Depth::Full).then_some(c.expired),
            source: store.source.clone(),
        });
    }

    // A directory of certificates without hash links trusts nothing. The
    // default directory only matters when no bundle serves instead.
    if dir.explicit || !file_usable {
        for (dir, n) in dir.unhashed {
            look.add(
                Code::EnvSslCertDirNotHashed,
                Status::Warn,
                format!("{dir} holds {n} certificate file(s) but no <subject-hash>.N links: OpenSSL finds none of them"),
            );
        }
    }
    ca_variables(sysroot, look);
}

/// Every distribution bundle present, not only the one in use: the
/// `ca_bundles` fact; returns the counts by path.
fn distribution_bundles(
    sysroot: &Sysroot,
    depth: Depth,
    look: &mut Look,
) -> BTreeMap<&'static str, Count> {
    let mut bundles = Vec::new();
    let mut counted = BTreeMap::new();
    for path in BUNDLE_PATHS {
        let real = sysroot.path(path);
        if !real.exists() {
            continue;
        }
        match read_pem(&real) {
            Ok(certs) => {
                let c = count(&certs, depth);
                counted.insert(*path, c);
                let expired = (depth == Depth::Full).then_some(c.expired);
                bundles.push(BundleFile::Readable {
                    certificates: c.parsed,
                    expired,
                    path,
                    readable: true,
                });
            }
            Err(error) => bundles.push(BundleFile::Unreadable {
                error,
                path,
                readable: false,
            }),
        }
    }
    look.facts.ca_bundles = bundles;
    counted
}

/// What the directory store holds, for the file store's verdict.
struct DirStoreLook {
    /// `SSL_CERT_DIR` is set.
    explicit: bool,
    /// Hash links over all its directories.
    hashed: usize,
    /// Directories with certificate files but no hash links, and how many.
    unhashed: Vec<(String, usize)>,
}

/// The directory store, as OpenSSL looks it up: the `ca_dir` fact and
/// `ENV_SSL_CERT_DIR_MISSING`.
fn directory_store(sysroot: &Sysroot, trust: &TrustStores, look: &mut Look) -> DirStoreLook {
    let explicit_dir = var("SSL_CERT_DIR");
    let mut dir_hashed = 0;
    let mut unhashed = Vec::new();
    let mut dir_facts = Vec::new();
    let bundle_files: Vec<PathBuf> = BUNDLE_PATHS
        .iter()
        .map(|p| sysroot.path(p))
        .chain(var("SSL_CERT_FILE").map(|p| sysroot.path(p)))
        .collect();
    for (shown, real) in &trust.dir().dirs {
        let c = scan_dir(real, &bundle_files);
        dir_hashed += c.hashed;
        dir_facts.push(CertDir {
            exists: c.exists,
            hash_links: c.hashed,
            path: shown.clone(),
        });
        if !c.exists {
            if let Some(v) = &explicit_dir {
                look.add(
                    Code::EnvSslCertDirMissing,
                    Status::Warn,
                    format!("SSL_CERT_DIR={v}: {shown} is not a directory"),
                );
            }
        } else if c.hashed == 0 && c.cert_files > 0 {
            unhashed.push((shown.clone(), c.cert_files));
        }
    }
    look.facts.ca_dir = CaDir {
        directories: dir_facts,
        hashed: dir_hashed > 0,
        source: trust.dir().source.clone(),
    };
    DirStoreLook {
        explicit: explicit_dir.is_some(),
        hashed: dir_hashed,
        unhashed,
    }
}

/// The file store (`SSL_CERT_FILE`, else the first distribution bundle):
/// its findings; returns whether it is usable.
fn file_store(
    sysroot: &Sysroot,
    trust: &TrustStores,
    image: &Container,
    dir: &DirStoreLook,
    look: &mut Look,
) -> bool {
    let file_usable = trust
        .file()
        .is_some_and(|s| s.error.is_none() && !s.certs.is_empty());
    match (trust.file(), var("SSL_CERT_FILE")) {
        (Some(_), Some(v)) if !file_usable => {
            let (status, why) = if dir.hashed > 0 {
                (Status::Warn, "OpenSSL's default paths (Python's ssl) still find CAs through the hashed directory, but a client that loads this file by itself fails")
            } else {
                (Status::Fail, "the directory store holds nothing either: OpenSSL-based clients trust nothing")
            };
            look.add(
                Code::EnvSslCertFileMissing,
                status,
                format!("SSL_CERT_FILE={v}: {}; {why}", file_problem(&sysroot.path(&v))),
            );
        }
        (Some(store), _) if !file_usable => look.add(
            Code::EnvCaBundleUnreadable,
            Status::Fail,
            format!(
                "{}: {}: TLS clients that use it trust nothing",
                store.source,
                file_problem(&sysroot.path(&store.source))
            ),
        ),
        (None, _) if dir.hashed == 0 => look.add_hinted(
            Code::EnvNoCaBundle,
            Status::Fail,
            "no CA bundle on any distribution path and no hashed CA directory: TLS clients trust nothing",
            format!("install the CA bundle in the image: {}", image.install_ca_certificates()),
        ),
        _ => {}
    }
    file_usable
}

/// The runtimes' own CA variables: the `ca_variables` fact and
/// `ENV_CA_VAR_MISSING`.
fn ca_variables(sysroot: &Sysroot, look: &mut Look) {
    let mut vars = BTreeMap::new();
    for (name, client) in CA_VARIABLES {
        let Some(v) = var(name) else { continue };
        let real = sysroot.path(&v);
        let found = if real.is_file() {
            read_pem(&real).map(|c| c.len())
        } else if real.is_dir() && *name == "REQUESTS_CA_BUNDLE" {
            // requests hands a directory to OpenSSL as a CA path.
            Ok(scan_dir(&real, &[]).hashed)
        } else {
            Err("no such file".to_owned())
        };
        match found {
            Ok(n) => {
                let fact = CaVariable {
                    certificates: Some(n),
                    error: None,
                    path: v,
                };
                vars.insert((*name).to_owned(), fact);
            }
            Err(e) => {
                look.add(
                    Code::EnvCaVarMissing,
                    Status::Warn,
                    format!("{name}={v}: {e}: {client} cannot load its CA bundle"),
                );
                let fact = CaVariable {
                    certificates: None,
                    error: Some(e),
                    path: v,
                };
                vars.insert((*name).to_owned(), fact);
            }
        }
    }
    look.facts.ca_variables = vars;
}
