//! The env look's facts, typed: the `env.facts` object of the JSON report
//! and what the human renderer reads.
//!
//! Field names are the JSON keys. They are declared in alphabetical order,
//! the order the report has always had (it was a sorted map); a fact the
//! look may not find is skipped when absent, exactly where it always was.

use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the env look found, one field per fact.
#[derive(Debug, Default, Clone, Serialize)]
pub struct EnvFacts {
    /// The file store (`SSL_CERT_FILE`, else the first distribution bundle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<CaBundle>,
    /// Every distribution bundle present.
    pub ca_bundles: Vec<BundleFile>,
    /// The directory store.
    pub ca_dir: CaDir,
    /// The runtimes' own CA variables that are set, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ca_variables: BTreeMap<String, CaVariable>,
    /// The HTTP clients installed: Python distributions, Node.
    pub clients: Clients,
    pub clock: Clock,
    /// A server's `Date` far from the local clock (added after a `check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<ClockSkew>,
    pub container: ContainerRuntime,
    /// `ID VERSION_ID` from os-release, e.g. `debian 12`.
    pub distribution: Option<String>,
    /// os-release's `PRETTY_NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_name: Option<String>,
    /// `absent` when there is no `/etc/hosts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts_file: Option<&'static str>,
    /// `/etc/hosts` entries that pin public names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts_overrides: Vec<HostsOverride>,
    /// `glibc`, `musl` or `none`.
    pub libc: &'static str,
    /// `libcrypto.so.3 (3.0.19)`.
    pub libcrypto: Vec<String>,
    /// `libssl.so.3 (3.0.19)`.
    pub libssl: Vec<String>,
    /// Set when resolv.conf has no nameserver line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameserver_note: Option<&'static str>,
    /// Well-known nameservers and what they are.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub nameserver_roles: BTreeMap<String, &'static str>,
    /// resolv.conf's nameservers (absent without resolv.conf).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameservers: Option<Vec<String>>,
    /// resolv.conf's `ndots` (absent without resolv.conf).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ndots: Option<u32>,
    /// The `hosts:` line of nsswitch.conf (null without the file).
    pub nsswitch_hosts: Option<String>,
    /// `OPENSSL_CONF`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openssl_conf: Option<OpensslConf>,
    pub openssl_libraries: Vec<OpensslLibrary>,
    /// The proxy variables that are set (names only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proxy_variables: Vec<&'static str>,
    /// resolv.conf's options that differ from the defaults.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolver_options: Vec<String>,
    /// resolv.conf's search list (absent without resolv.conf).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech_sdk: Option<SpeechSdk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech_sdk_note: Option<&'static str>,
}

/// The file store and how many certificates it holds.
#[derive(Debug, Clone, Serialize)]
pub struct CaBundle {
    pub certificates: usize,
    /// Counted by `netdoctor env` only (null otherwise).
    pub expired: Option<usize>,
    pub source: String,
}

/// A distribution bundle: its counts, or why it cannot be read.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum BundleFile {
    Readable {
        certificates: usize,
        /// Counted by `netdoctor env` only (null otherwise).
        expired: Option<usize>,
        path: &'static str,
        /// Always `true`.
        readable: bool,
    },
    Unreadable {
        error: String,
        path: &'static str,
        /// Always `false`.
        readable: bool,
    },
}

/// The directory store.
#[derive(Debug, Default, Clone, Serialize)]
pub struct CaDir {
    pub directories: Vec<CertDir>,
    /// Any of its directories has hash links.
    pub hashed: bool,
    /// `SSL_CERT_DIR=…` or the default directory.
    pub source: String,
}

/// One directory of the directory store.
#[derive(Debug, Clone, Serialize)]
pub struct CertDir {
    pub exists: bool,
    pub hash_links: usize,
    pub path: String,
}

/// A runtime's CA variable: what it points at holds so many certificates,
/// or cannot be loaded.
#[derive(Debug, Clone, Serialize)]
pub struct CaVariable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub path: String,
}

/// The local clock and the binary's build date (RFC 3339).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Clock {
    pub build_date: Option<String>,
    pub now: String,
}

/// A server's `Date` header far from the local clock.
#[derive(Debug, Clone, Serialize)]
pub struct ClockSkew {
    pub local_minus_server_s: i64,
    pub server_date: String,
    pub target: String,
}

/// The container runtime and what shows it (both null when no sign).
#[derive(Debug, Default, Clone, Serialize)]
pub struct ContainerRuntime {
    pub evidence: Option<String>,
    pub runtime: Option<&'static str>,
}

/// A hosts entry that pins a public name.
#[derive(Debug, Clone, Serialize)]
pub struct HostsOverride {
    pub address: String,
    pub name: String,
}

/// `OPENSSL_CONF` and whether its file exists.
#[derive(Debug, Clone, Serialize)]
pub struct OpensslConf {
    pub exists: bool,
    pub path: String,
}

/// A libssl or libcrypto found on the loader's paths.
#[derive(Debug, Clone, Serialize)]
pub struct OpensslLibrary {
    pub path: String,
    pub version: Option<String>,
}

/// The Azure Speech SDK's install.
#[derive(Debug, Clone, Serialize)]
pub struct SpeechSdk {
    /// The core library's `DT_NEEDED`, when it was read (it never names
    /// libssl: the SDK `dlopen()`s OpenSSL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_needed: Option<Vec<String>>,
    /// The native libraries beside it, by name.
    pub libraries: Vec<SpeechSdkLibrary>,
    /// The directory of its native libraries.
    pub library_dir: String,
    /// The native libraries it should have and lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// What tells `openssl_wanted`: `libpal files`, `DT_NEEDED`,
    /// `core library strings` or `version table`.
    pub openssl_source: Option<&'static str>,
    /// The libssl sonames it will try to load, in its order.
    pub openssl_wanted: Vec<String>,
    pub path: String,
    pub version: Option<String>,
}

/// One of the Speech SDK's native libraries.
#[derive(Debug, Clone, Serialize)]
pub struct SpeechSdkLibrary {
    pub name: String,
    /// In bytes.
    pub size: u64,
}

/// The HTTP clients installed in the image ([`crate::env::clients`]).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Clients {
    /// Node, when a `node` binary is on the usual paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeInstall>,
    /// The Python sites holding a package that matters, in search order.
    pub python: Vec<PythonSite>,
}

/// A `node` binary and its version (never from running it).
#[derive(Debug, Clone, Serialize)]
pub struct NodeInstall {
    pub path: String,
    /// `20.20.2`, when a file says so.
    pub version: Option<String>,
    /// The file the version comes from (`node_version.h`, dpkg or apk status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_from: Option<String>,
}

/// One site-packages directory and the packages that matter in it, by
/// normalised name (PEP 503), with their versions.
#[derive(Debug, Clone, Serialize)]
pub struct PythonSite {
    pub packages: BTreeMap<String, String>,
    pub site: String,
}
