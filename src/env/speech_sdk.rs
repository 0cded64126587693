//! The Azure Speech SDK's install: where it is, its native libraries, and
//! which OpenSSL it will load.
//!
//! The SDK is found by its Python package's `dist-info` (the version) or by
//! `libMicrosoft.CognitiveServices.Speech.core.so`. Its native libraries sit
//! directly in the package directory (`azure/cognitiveservices/speech/`)
//! and are listed with their sizes (one directory listing, no file opened).
//!
//! **OpenSSL is never in the SDK's `DT_NEEDED`**: every SDK since 1.19
//! `dlopen()`s it by a name stored as a string (the real wheels of 1.19,
//! 1.23, 1.24, 1.37, 1.38, 1.44 and 1.53 list only libc, libstdc++,
//! libuuid, … as `DT_NEEDED`; issue 15's reproduction, docs/env.md).
//! What the SDK will load is therefore told, in this order, by:
//!
//! 1. **its libpal files** (1.38+, no read needed): `libpal_azure_c_shared.so`
//!    loads `libssl.so.1.1`, `libpal_azure_c_shared_openssl3.so` loads
//!    `libssl.so.3` — "All Speech SDK libraries must reside in the same
//!    directory" (maintainer, Azure-Samples/cognitive-services-speech-sdk#2436);
//! 2. **the core library** (before 1.38, or no version known): its
//!    `DT_NEEDED` (read for completeness, never seen to name libssl), then the
//!    NUL-terminated `libssl.so.N` strings of its `.rodata` section (about
//!    130 kB of a 3–6 MB file; `libssl.so.1.1` in 1.19–1.37);
//! 3. **the version table** (`super::openssl`) when neither tells.
//!
//! A 1.38+ SDK without its libpal files, or any SDK without its core
//! library, is `ENV_SPEECH_SDK_INCOMPLETE`: 1.44 then prints
//! `Failed to get HTTP platform singleton instance. Error: 27`, 1.53
//! `SPXERR_UNEXPECTED_USP_SITE_FAILURE`. Nothing here runs for an image
//! without the SDK beyond the lookups that find it absent.

use super::facts::{SpeechSdk as SpeechSdkFact, SpeechSdkLibrary};
use super::Look;
use crate::diagnosis::{Code, Status};
use crate::sysroot::Sysroot;

/// The Speech SDK's core native library.
pub(super) const SPEECH_CORE: &str = "libMicrosoft.CognitiveServices.Speech.core.so";

/// The SDK's OpenSSL 1.1 platform library (1.38+).
const PAL_OPENSSL11: &str = "libpal_azure_c_shared.so";

/// The SDK's OpenSSL 3 platform library (1.38+).
const PAL_OPENSSL3: &str = "libpal_azure_c_shared_openssl3.so";

/// The first SDK version whose packages carry the libpal files.
const PAL_FIRST: [u32; 3] = [1, 38, 0];

/// The package directory of the Python SDK inside a site-packages.
const PACKAGE_DIR: &str = "azure/cognitiveservices/speech";

/// The largest `.rodata` read from the core library (real ones: ~130 kB).
const MAX_RODATA: u64 = 8 << 20;

/// The most of the core library scanned when it has no `.rodata` section.
const MAX_SCAN: u64 = 16 << 20;

/// The most native libraries listed (real packages have 5 to 8).
const MAX_LIBRARIES: usize = 64;

/// Where the SDK's choice of OpenSSL comes from.
pub(super) const FROM_LIBPAL: &str = "libpal files";
pub(super) const FROM_NEEDED: &str = "DT_NEEDED";
pub(super) const FROM_STRINGS: &str = "core library strings";
pub(super) const FROM_TABLE: &str = "version table";

/// An installed Azure Speech SDK.
#[derive(Debug, Clone)]
pub(super) struct SpeechSdk {
    /// `1.53.0`, when the install says.
    pub version: Option<String>,
    /// Where it was found (a dist-info directory or the native library).
    pub path: String,
    /// The directory of its native libraries.
    pub dir: String,
    /// The `.so` files in `dir` and their sizes, by name.
    pub libraries: Vec<(String, u64)>,
    /// The libssl sonames it will try (`libssl.so.3`, `libssl.so.1.1`).
    pub wanted: Vec<String>,
    /// Which of the `FROM_*` told `wanted`.
    pub source: Option<&'static str>,
    /// The core library's `DT_NEEDED`, when it was read.
    pub core_needed: Option<Vec<String>>,
}

impl SpeechSdk {
    fn has(&self, name: &str) -> bool {
        self.libraries.iter().any(|(n, _)| n == name)
    }

    /// The version as numbers, when known.
    pub fn parts(&self) -> Option<[u32; 3]> {
        self.version.as_deref().map(version_parts)
    }

    /// The native libraries this install should have and lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.has(SPEECH_CORE) {
            missing.push(SPEECH_CORE);
        }
        if self.parts().is_some_and(|v| v >= PAL_FIRST) {
            missing.extend(
                [PAL_OPENSSL11, PAL_OPENSSL3]
                    .into_iter()
                    .filter(|p| !self.has(p)),
            );
        }
        missing
    }

    /// `wanted` came from the SDK's own files, not from the version table.
    pub fn wanted_from_files(&self) -> bool {
        !self.wanted.is_empty() && self.source.is_some_and(|s| s != FROM_TABLE)
    }

    /// The fact of the JSON report.
    pub fn fact(&self) -> SpeechSdkFact {
        SpeechSdkFact {
            core_needed: self.core_needed.clone(),
            libraries: self
                .libraries
                .iter()
                .map(|(name, size)| SpeechSdkLibrary {
                    name: name.clone(),
                    size: *size,
                })
                .collect(),
            library_dir: self.dir.clone(),
            missing: self.missing().into_iter().map(str::to_owned).collect(),
            openssl_source: self.source,
            openssl_wanted: self.wanted.clone(),
            path: self.path.clone(),
            version: self.version.clone(),
        }
    }
}

/// `1.37.0` → `[1, 37, 0]`.
pub(super) fn version_parts(v: &str) -> [u32; 3] {
    let mut out = [0; 3];
    for (slot, part) in out.iter_mut().zip(v.split('.')) {
        *slot = part
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
    }
    out
}

/// Where the SDK is (its dist-info or core library) and its version.
fn locate(sysroot: &Sysroot, lib_dirs: &[String]) -> Option<(String, Option<String>, String)> {
    let sites = crate::sites::python_sites(sysroot);
    for site in sites.iter() {
        // The package lives under `azure/`: a site without it is not listed
        // (a site-packages holds hundreds of entries).
        if !sysroot.path(format!("{site}/azure")).is_dir() {
            continue;
        }
        let dir = format!("{site}/{PACKAGE_DIR}");
        let dist =
            super::container::entries_starting(sysroot, site, "azure_cognitiveservices_speech-")
                .into_iter()
                .find(|n| n.ends_with(".dist-info"));
        if let Some(dist) = dist {
            let version = dist
                .strip_prefix("azure_cognitiveservices_speech-")
                .and_then(|v| v.strip_suffix(".dist-info"))
                .map(str::to_owned);
            return Some((format!("{site}/{dist}"), version, dir));
        }
        let core = format!("{dir}/{SPEECH_CORE}");
        if sysroot.path(&core).is_file() {
            return Some((core, None, dir));
        }
    }
    lib_dirs
        .iter()
        .find(|d| sysroot.path(format!("{d}/{SPEECH_CORE}")).is_file())
        .map(|d| (format!("{d}/{SPEECH_CORE}"), None, d.clone()))
}

/// The names the SDK's own native libraries start with (its core and
/// extensions, the libpal files, the SWIG binding of the cp38 wheels).
const SDK_LIBRARY_PREFIXES: &[&str] = &[
    "libMicrosoft.CognitiveServices.Speech.",
    "libpal_azure_c_shared",
    "_speech_py_impl",
];

/// The SDK's `.so` files in `dir` and their sizes (one listing, no file
/// opened): only its own, as `dir` may be a system library directory.
fn inventory(sysroot: &Sysroot, dir: &str) -> Vec<(String, u64)> {
    let Ok(rd) = std::fs::read_dir(sysroot.path(dir)) else {
        return Vec::new();
    };
    let mut libs: Vec<(String, u64)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // Loader names are case-sensitive: `.SO` is no library.
            let is_lib = name.split('.').any(|part| part == "so")
                && SDK_LIBRARY_PREFIXES.iter().any(|p| name.starts_with(p));
            // Follows a symlink: a dangling one is not a library.
            let meta = std::fs::metadata(e.path()).ok()?;
            (is_lib && meta.is_file()).then_some((name, meta.len()))
        })
        .take(MAX_LIBRARIES)
        .collect();
    libs.sort();
    libs
}

/// The `libssl.so.N` names stored as whole NUL-terminated strings in
/// `bytes` (`libssl.so.1.1`, not `Trying to load libssl.so.3`), sorted,
/// without duplicates.
pub(super) fn libssl_names(bytes: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = bytes
        .split(|b| *b == 0)
        .filter_map(|s| {
            let version = s.strip_prefix(b"libssl.so.")?;
            let ok = !version.is_empty()
                && version
                    .split(|b| *b == b'.')
                    .all(|p| !p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_digit));
            ok.then(|| String::from_utf8_lossy(s).into_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The core library's strings: its `.rodata`, else its first `MAX_SCAN`
/// bytes (a library without section headers).
fn core_strings(path: &std::path::Path) -> Vec<String> {
    use std::io::Read as _;
    // Only a regular file is opened (opening a FIFO blocks).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    if let Some(rodata) = super::elf::section_bytes(path, ".rodata", MAX_RODATA) {
        return libssl_names(&rodata);
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    // Not an ELF file at all: its bytes say nothing about a library.
    let mut bytes = Vec::new();
    let magic = (&mut file).take(4).read_to_end(&mut bytes).is_ok();
    if !magic || bytes != b"\x7fELF" {
        return Vec::new();
    }
    if file.take(MAX_SCAN).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    libssl_names(&bytes)
}

/// Which libssl the SDK will load, and what tells it (see the module doc).
fn openssl_wanted(sysroot: &Sysroot, sdk: &mut SpeechSdk) {
    let pal: Vec<String> = [
        (PAL_OPENSSL3, "libssl.so.3"),
        (PAL_OPENSSL11, "libssl.so.1.1"),
    ]
    .into_iter()
    .filter(|(pal, _)| sdk.has(pal))
    .map(|(_, ssl)| ssl.to_owned())
    .collect();
    if !pal.is_empty() {
        sdk.wanted = pal;
        sdk.source = Some(FROM_LIBPAL);
        return;
    }
    let version = sdk.parts();
    // A 1.38+ core loads OpenSSL through the libpal files only (its
    // strings name none): reading it (90 MB for 1.44) would tell nothing.
    if sdk.has(SPEECH_CORE) && version.is_none_or(|v| v < PAL_FIRST) {
        let core = sysroot.path(format!("{}/{SPEECH_CORE}", sdk.dir));
        let needed = super::elf::needed(&core);
        let from_needed: Vec<String> = needed
            .iter()
            .flatten()
            .filter(|n| n.starts_with("libssl.so."))
            .cloned()
            .collect();
        sdk.core_needed = needed;
        if !from_needed.is_empty() {
            sdk.wanted = from_needed;
            sdk.source = Some(FROM_NEEDED);
            return;
        }
        let strings = core_strings(&core);
        if !strings.is_empty() {
            sdk.wanted = strings;
            sdk.source = Some(FROM_STRINGS);
            return;
        }
    }
    if let Some(v) = version {
        sdk.wanted = if v < PAL_FIRST {
            vec!["libssl.so.1.1".to_owned()]
        } else {
            vec!["libssl.so.3".to_owned(), "libssl.so.1.1".to_owned()]
        };
        sdk.source = Some(FROM_TABLE);
    }
}

/// The installed Speech SDK, its libraries and the OpenSSL it wants.
pub(super) fn find(sysroot: &Sysroot, lib_dirs: &[String]) -> Option<SpeechSdk> {
    let (path, version, dir) = locate(sysroot, lib_dirs)?;
    let mut sdk = SpeechSdk {
        libraries: inventory(sysroot, &dir),
        version,
        path,
        dir,
        wanted: Vec::new(),
        source: None,
        core_needed: None,
    };
    openssl_wanted(sysroot, &mut sdk);
    Some(sdk)
}

/// `ENV_SPEECH_SDK_INCOMPLETE` when native libraries are missing.
pub(super) fn check_complete(sdk: &SpeechSdk, look: &mut Look) {
    let missing = sdk.missing();
    if missing.is_empty() {
        return;
    }
    let version = sdk.version.as_deref().unwrap_or("(version unknown)");
    let pinned = sdk
        .version
        .as_deref()
        .map_or_else(String::new, |v| format!("=={v}"));
    look.add_hinted(
        Code::EnvSpeechSdkIncomplete,
        Status::Fail,
        format!(
            "the Azure Speech SDK {version} lacks {} in {}: it cannot load its platform and OpenSSL libraries (1.44 prints `Failed to get HTTP platform singleton instance. Error: 27`, 1.53 `SPXERR_UNEXPECTED_USP_SITE_FAILURE`)",
            missing.join(", "),
            sdk.dir
        ),
        format!(
            "reinstall the wheel (`pip install --force-reinstall azure-cognitiveservices-speech{pinned}`); all of the SDK's libraries must stay in the same directory: do not strip or delete its `*.so` files to slim the image"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_libssl_names_only() {
        let rodata = b"\0libssl.so.1.1\0libssl could not be loaded\n\0Trying to load libssl.so.3\0libcrypto.so.1.1\0libssl.so.1.1\0";
        assert_eq!(libssl_names(rodata), ["libssl.so.1.1"]);
        assert_eq!(
            libssl_names(b"x\0libssl.so.3\0libssl.so.1.0.2\0"),
            ["libssl.so.1.0.2", "libssl.so.3"]
        );
        // At the very start or end of the bytes, too.
        assert_eq!(libssl_names(b"libssl.so.3"), ["libssl.so.3"]);
        for no in [
            &b"\0libssl.so\0"[..],
            b"\0libssl.so.\0",
            b"\0libssl.so.3x\0",
            b"\0libssl.so.1..1\0",
            b"\0libssl.so.99999\0",
            b"",
        ] {
            assert!(libssl_names(no).is_empty(), "{no:?}");
        }
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(version_parts("1.48.1"), [1, 48, 1]);
        assert!(version_parts("1.9.0") < version_parts("1.38.0"));
        assert_eq!(version_parts("1.38.0"), PAL_FIRST);
        assert_eq!(version_parts("1.40.0b1"), [1, 40, 0]);
    }

    fn sdk(version: Option<&str>, libs: &[&str]) -> SpeechSdk {
        SpeechSdk {
            version: version.map(str::to_owned),
            path: String::new(),
            dir: "/d".to_owned(),
            libraries: libs.iter().map(|l| ((*l).to_owned(), 1)).collect(),
            wanted: Vec::new(),
            source: None,
            core_needed: None,
        }
    }

    #[test]
    fn missing_libraries_follow_the_1_38_boundary() {
        assert!(sdk(Some("1.37.0"), &[SPEECH_CORE]).missing().is_empty());
        assert_eq!(
            sdk(Some("1.38.0"), &[SPEECH_CORE]).missing(),
            [PAL_OPENSSL11, PAL_OPENSSL3]
        );
        assert_eq!(
            sdk(Some("1.44.0"), &[SPEECH_CORE, PAL_OPENSSL11]).missing(),
            [PAL_OPENSSL3]
        );
        assert_eq!(sdk(Some("1.53.0"), &[]).missing().len(), 3);
        assert!(sdk(None, &[SPEECH_CORE]).missing().is_empty());
    }
}
