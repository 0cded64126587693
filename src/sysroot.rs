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

/// The most any configuration or CA file of the image is read: a CA bundle
/// is a few hundred KiB, `ld.so.cache` tens of KiB.
pub const MAX_FILE: u64 = 64 << 20;

/// A regular file's bytes, at most [`MAX_FILE`]. Anything else — a FIFO,
/// whose opening would block, a device such as `/dev/zero`, a directory —
/// is an error of kind `InvalidInput` that says so, as is a larger file.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read as _};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_large = || Error::new(ErrorKind::InvalidInput, "larger than 64 MiB");
    if meta.len() > MAX_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)?
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"ok").unwrap();
        assert_eq!(read_file(&file).unwrap(), b"ok");
        let e = read_file(dir.path()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        let e = read_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            assert_eq!(
                read_file(&fifo).unwrap_err().to_string(),
                "not a regular file"
            );
        }
        assert!(read_file(&dir.path().join("missing")).is_err());
    }
}
