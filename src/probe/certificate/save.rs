//! `--save-chain`: the presented chain written out as PEM.

use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};

/// Why the chain could not be saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveChainError {
    #[error("cannot create {}: {source}", .dir.display())]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes the presented chain to `path` exactly as presented, as PEM, leaf
/// first (`--save-chain`); creates the directory it goes in.
pub fn save_chain(path: &Path, chain: &[CertificateDer<'static>]) -> Result<(), SaveChainError> {
    let mut pem = String::new();
    for der in chain {
        pem.push_str(&pem_of(der));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SaveChainError::CreateDir {
            dir: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, pem).map_err(|source| SaveChainError::Write {
        path: path.to_owned(),
        source,
    })
}

/// One certificate as PEM (64-column base64).
fn pem_of(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
