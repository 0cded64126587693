//! Where the container's files are read from.
//!
//! Normally `/`. The hidden variable `NETDOCTOR_SYSROOT` points netdoctor at
//! another root (a fake filesystem in a temporary directory), so that tests
//! can build images with no resolv.conf or no CA bundle without touching the
//! machine's own files.

use std::path::{Path, PathBuf};

/// The root under which absolute container paths are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysroot {
    root: PathBuf,
}

impl Default for Sysroot {
    fn default() -> Self {
        Sysroot {
            root: PathBuf::from("/"),
        }
    }
}

impl Sysroot {
    /// The root given by `NETDOCTOR_SYSROOT`, else `/`.
    pub fn from_env() -> Self {
        match std::env::var_os("NETDOCTOR_SYSROOT") {
            Some(dir) if !dir.is_empty() => Sysroot {
                root: PathBuf::from(dir),
            },
            _ => Sysroot::default(),
        }
    }

    /// A root at `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Sysroot { root: dir.into() }
    }

    /// Whether this is the machine's own root (not a test's fake image).
    pub fn is_host(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Maps an absolute container path (`/etc/hosts`) to the file to read.
    pub fn path(&self, container_path: impl AsRef<Path>) -> PathBuf {
        let p = container_path.as_ref();
        match p.strip_prefix("/") {
            Ok(rel) => self.root.join(rel),
            Err(_) => p.to_path_buf(),
        }
    }
}

/// A file's identity (device and inode): one file under several paths (a
/// merged `/usr`, a symlink, a hash link) is one file.
pub fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}
