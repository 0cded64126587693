//! OpenSSL libraries and the Azure Speech SDK.
//!
//! netdoctor itself needs no OpenSSL, but the clients it stands in for do:
//! Python's `ssl`, curl, and the Speech SDK, which loads `libssl` at run
//! time and cannot start without a version it accepts. The libraries are
//! looked for where the dynamic loader looks (`/etc/ld.so.cache`, the
//! standard library directories, `LD_LIBRARY_PATH`); a version comes from the
//! file name (`libssl.so.3`, `libssl.so.1.1`) and from libcrypto's version
//! string (`OpenSSL 3.0.19 27 Jan 2026`). The SDK and the OpenSSL it wants
//! are found by [`super::speech_sdk`]; the rules that compare the two are
//! here: the libssl sonames the SDK's own files name first (its libpal files,
//! its core library's strings), then the version table of Microsoft's
//! requirements (`sdk_accepts`).

use super::container::{Container, Libc};
use super::facts::{OpensslConf, OpensslLibrary};
use super::speech_sdk::{self, version_parts, SpeechSdk};
use super::{var, Depth, Look};
use crate::diagnosis::{Code, Status};
use crate::sysroot::Sysroot;
use std::collections::BTreeSet;

/// Where the dynamic loader looks when the cache does not say.
const LIB_DIRS: &[&str] = &[
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/local/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
];

/// The first SDK version that no longer breaks on Microsoft's CRL change of
/// 2026-07-01.
const SDK_CRL_FIXED: [u32; 3] = [1, 48, 2];

/// One OpenSSL library found.
#[derive(Debug, Clone)]
struct Library {
    /// `libssl.so.3`.
    name: String,
    /// The container path.
    path: String,
    /// `3`, `1.1`, `1.0.2`: the soname's version.
    soname: String,
    /// `3.0.19`, from libcrypto's version string.
    version: Option<String>,
}

impl Library {
    fn shown(&self) -> String {
        match &self.version {
            Some(v) => format!("{} ({v})", self.name),
            None => self.name.clone(),
        }
    }

    /// The OpenSSL line this library belongs to: `1.1`, `3.0`, `3.2`, `3`, `1.0`.
    fn line(&self) -> String {
        if let Some(v) = &self.version {
            let mut parts = v.split('.');
            if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
                return format!("{a}.{b}");
            }
        }
        self.soname.clone()
    }
}

/// The directories of the libraries listed in `/etc/ld.so.cache`: its
/// NUL-terminated absolute paths, whatever the cache format's version.
fn cache_dirs(sysroot: &Sysroot) -> Vec<String> {
    let Ok(bytes) = crate::sysroot::read_file(&sysroot.path("/etc/ld.so.cache")) else {
        return Vec::new();
    };
    let mut dirs = BTreeSet::new();
    for s in bytes.split(|b| *b == 0) {
        if s.first() == Some(&b'/') && s.windows(3).any(|w| w == b".so") {
            if let Ok(text) = std::str::from_utf8(s) {
                if let Some((dir, _)) = text.rsplit_once('/') {
                    dirs.insert(if dir.is_empty() { "/" } else { dir }.to_owned());
                }
            }
        }
    }
    dirs.into_iter().collect()
}

/// The directories the loader searches, in order, without duplicates.
fn library_dirs(sysroot: &Sysroot) -> Vec<String> {
    let mut dirs: Vec<String> = var("LD_LIBRARY_PATH")
        .map(|v| {
            v.split(':')
                .filter(|d| d.starts_with('/'))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    dirs.extend(cache_dirs(sysroot));
    dirs.extend(LIB_DIRS.iter().map(|d| (*d).to_owned()));
    let mut seen = BTreeSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// `OpenSSL 3.0.19` → `3.0.19`, from the bytes of a libcrypto.
fn version_string(bytes: &[u8]) -> Option<String> {
    memchr::memmem::find_iter(bytes, b"OpenSSL ").find_map(|pos| {
        let v: String = bytes[pos + 8..]
            .iter()
            .take(16)
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.')
            .map(|b| char::from(*b))
            .collect();
        (v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.')).then_some(v)
    })
}

/// The largest library read whole when its sections cannot be found.
const MAX_LIBRARY: u64 = 64 << 20;

/// libcrypto's version, from its `.rodata` section (a tenth of the file),
/// else from the whole file.
fn crypto_version(path: &std::path::Path) -> Option<String> {
    if let Some(rodata) = super::elf::section_bytes(path, ".rodata", MAX_LIBRARY) {
        if let Some(v) = version_string(&rodata) {
            return Some(v);
        }
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_LIBRARY), &mut bytes).ok()?;
    version_string(&bytes)
}

/// Every `libssl.so.*` and `libcrypto.so.*` the loader can find.
fn find_libraries(sysroot: &Sysroot, dirs: &[String], versions: bool) -> Vec<Library> {
    let mut libs: Vec<Library> = Vec::new();
    let mut seen_files = BTreeSet::new();
    let mut seen_dirs = BTreeSet::new();
    for dir in dirs {
        // `/lib/x86_64-linux-gnu` is `/usr/lib/x86_64-linux-gnu` in a
        // merged-/usr image: a directory is listed once.
        let real_dir = sysroot.path(dir);
        match std::fs::metadata(&real_dir) {
            Ok(m) if seen_dirs.insert(crate::sysroot::file_id(&m)) => {}
            _ => continue,
        }
        let Ok(rd) = std::fs::read_dir(real_dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let Some(soname) = name
                .strip_prefix("libssl.so.")
                .or_else(|| name.strip_prefix("libcrypto.so."))
            else {
                continue;
            };
            let real = sysroot.path(format!("{dir}/{name}"));
            // The same file through a merged /usr or a symlink counts once.
            match std::fs::metadata(&real) {
                Ok(m) if m.is_file() && seen_files.insert(crate::sysroot::file_id(&m)) => {}
                _ => continue,
            }
            libs.push(Library {
                name: name.clone(),
                path: format!("{dir}/{name}"),
                soname: soname.to_owned(),
                version: None,
            });
        }
    }
    if !versions {
        return libs;
    }
    // libssl carries no version string; its libcrypto of the same soname
    // does (read once per directory and soname: it is megabytes).
    let mut read: std::collections::BTreeMap<String, Option<String>> =
        std::collections::BTreeMap::default();
    for lib in &mut libs {
        let dir = lib.path.rsplit_once('/').map_or("", |(d, _)| d);
        let crypto = format!("{dir}/libcrypto.so.{}", lib.soname);
        let major = lib.soname.split('.').next().unwrap_or("");
        lib.version = read
            .entry(crypto)
            .or_insert_with_key(|p| crypto_version(&sysroot.path(p)))
            .clone()
            .filter(|v| v.split('.').next() == Some(major));
    }
    libs
}

/// Whether SDK `sdk` can load one of `libs`, per Microsoft's requirements:
/// before 1.38 OpenSSL 1.1; 1.38 and 1.39 1.1 or 3.0.x; 1.40+ 1.1 or any
/// 3.x. `None` when the libraries' versions do not tell.
fn sdk_accepts(sdk: [u32; 3], libs: &[&Library]) -> Option<bool> {
    let mut unknown = false;
    for lib in libs {
        let line = lib.line();
        let ok = if line == "1.1" {
            true
        } else if sdk < [1, 38, 0] {
            false
        } else if line.starts_with("3.") || line == "3" {
            if sdk >= [1, 40, 0] {
                true
            } else if line == "3" {
                unknown = true;
                false
            } else {
                line == "3.0"
            }
        } else {
            false
        };
        if ok {
            return Some(true);
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

/// What an SDK version needs, in words.
fn sdk_needs(sdk: [u32; 3]) -> &'static str {
    if sdk < [1, 38, 0] {
        "OpenSSL 1.1 (libssl.so.1.1)"
    } else if sdk < [1, 40, 0] {
        "OpenSSL 1.1 or 3.0.x"
    } else {
        "OpenSSL 1.1 or 3.x"
    }
}

/// The libraries, `OPENSSL_CONF` and the Speech SDK as facts.
fn record_facts(sysroot: &Sysroot, libs: &[Library], sdk: Option<&SpeechSdk>, look: &mut Look) {
    let shown = |prefix: &str| {
        libs.iter()
            .filter(|l| l.name.starts_with(prefix))
            .map(Library::shown)
            .collect()
    };
    look.facts.libssl = shown("libssl");
    look.facts.libcrypto = shown("libcrypto");
    look.facts.openssl_libraries = libs
        .iter()
        .map(|l| OpensslLibrary {
            path: l.path.clone(),
            version: l.version.clone(),
        })
        .collect();
    look.facts.openssl_conf = var("OPENSSL_CONF").map(|conf| OpensslConf {
        exists: sysroot.path(&conf).is_file(),
        path: conf,
    });
    look.facts.speech_sdk = sdk.map(SpeechSdk::fact);
}

/// Checks the OpenSSL libraries and, when installed, the Speech SDK.
pub fn inspect(sysroot: &Sysroot, image: &Container, depth: Depth, look: &mut Look) {
    let dirs = library_dirs(sysroot);
    let sdk = speech_sdk::find(sysroot, &dirs);
    let libs = find_libraries(sysroot, &dirs, depth == Depth::Full || sdk.is_some());
    let ssl: Vec<&Library> = libs
        .iter()
        .filter(|l| l.name.starts_with("libssl"))
        .collect();
    let crypto: Vec<&Library> = libs
        .iter()
        .filter(|l| l.name.starts_with("libcrypto"))
        .collect();
    record_facts(sysroot, &libs, sdk.as_ref(), look);
    // A usable OpenSSL needs both halves of the same soname.
    let usable: Vec<&Library> = ssl
        .iter()
        .copied()
        .filter(|s| crypto.iter().any(|c| c.soname == s.soname))
        .collect();
    if usable.is_empty() {
        let what = if libs.is_empty() {
            "no libssl.so.* or libcrypto.so.* on the loader's paths".to_owned()
        } else {
            format!(
                "no libssl.so.N with its libcrypto.so.N (found: {})",
                libs.iter()
                    .map(|l| l.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        match &sdk {
            Some(sdk) => look.add_hinted(
                Code::EnvOpensslMissing,
                Status::Fail,
                format!("{what}: the Azure Speech SDK ({}) cannot start", sdk.path),
                format!("install OpenSSL: {}", image.install_openssl()),
            ),
            None => look.add_hinted(
                Code::EnvOpensslMissing,
                Status::Warn,
                format!("{what}: OpenSSL-based clients (Python's ssl, curl, the Azure Speech SDK) cannot run here"),
                format!(
                    "only if this image runs such a client: {}",
                    image.install_openssl()
                ),
            ),
        }
    }
    let Some(sdk) = sdk else { return };
    speech_sdk::check_complete(&sdk, look);
    if !usable.is_empty() {
        check_sdk_openssl(&sdk, &usable, look);
    }
    if let Some(version) = &sdk.version {
        if version_parts(version) < SDK_CRL_FIXED {
            look.add(
                Code::EnvSpeechSdkOutdated,
                Status::Warn,
                format!("the Azure Speech SDK {version} is older than 1.48.2: Microsoft's CRL change of 2026-07-01 breaks its connections when it checks revocation (its default before 1.48.1)"),
            );
        }
    }
    if image.libc == Libc::Musl {
        look.facts.speech_sdk_note =
            Some("the Speech SDK is built for glibc; this image uses musl");
    }
}

/// `ENV_OPENSSL_VERSION`: the SDK cannot load any of the `usable`
/// libraries, told by its own files (the libssl names they carry) and
/// else by its version ([`sdk_accepts`]); one finding at most.
fn check_sdk_openssl(sdk: &SpeechSdk, usable: &[&Library], look: &mut Look) {
    let has = usable
        .iter()
        .map(|l| l.shown())
        .collect::<Vec<_>>()
        .join(", ");
    let version = sdk.version.as_deref().unwrap_or("(version unknown)");
    if sdk.wanted_from_files() && !usable.iter().any(|l| sdk.wanted.contains(&l.name)) {
        look.add(
            Code::EnvOpensslVersion,
            Status::Fail,
            format!(
                "the Azure Speech SDK {version} loads {} (source: its {}, in {}); this image has {has}",
                sdk.wanted.join(" or "),
                sdk.source.unwrap_or_default(),
                sdk.dir
            ),
        );
        return;
    }
    let Some(v) = sdk.parts() else { return };
    if sdk_accepts(v, usable) == Some(false) {
        look.add(
            Code::EnvOpensslVersion,
            Status::Fail,
            format!(
                "the Azure Speech SDK {version} needs {}; this image has {has}",
                sdk_needs(v)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(soname: &str, version: Option<&str>) -> Library {
        Library {
            name: format!("libssl.so.{soname}"),
            path: format!("/usr/lib/libssl.so.{soname}"),
            soname: soname.to_owned(),
            version: version.map(str::to_owned),
        }
    }

    #[test]
    fn sdk_openssl_rules() {
        let v11 = lib("1.1", Some("1.1.1w"));
        let v30 = lib("3", Some("3.0.19"));
        let v33 = lib("3", Some("3.3.2"));
        let v3 = lib("3", None);
        assert_eq!(sdk_accepts([1, 37, 0], &[&v30]), Some(false));
        assert_eq!(sdk_accepts([1, 37, 0], &[&v11]), Some(true));
        assert_eq!(sdk_accepts([1, 38, 0], &[&v30]), Some(true));
        assert_eq!(sdk_accepts([1, 39, 0], &[&v33]), Some(false));
        assert_eq!(sdk_accepts([1, 39, 0], &[&v3]), None);
        assert_eq!(sdk_accepts([1, 40, 0], &[&v33]), Some(true));
        assert_eq!(sdk_accepts([1, 53, 0], &[&v3]), Some(true));
    }

    #[test]
    fn version_strings() {
        assert_eq!(
            version_string(b"\0xOpenSSL 3.0.19 27 Jan 2026\0").as_deref(),
            Some("3.0.19")
        );
        assert_eq!(
            version_string(b"OpenSSL error\0OpenSSL 1.1.1w  11 Sep 2023").as_deref(),
            Some("1.1.1w")
        );
        assert_eq!(version_string(b"no version here"), None);
        assert_eq!(version_parts("1.48.1"), [1, 48, 1]);
        assert!(version_parts("1.48.1") < SDK_CRL_FIXED);
        assert!(version_parts("1.48.2") >= SDK_CRL_FIXED);
    }
}
