//! The HTTP clients installed in the image (issue 15): the Python
//! distributions that decide how a client connects, and Node's version.
//!
//! Python: every site directory of [`crate::sites::python_sites`] (known
//! places only) is listed once; a distribution's name and version come from
//! its `*.dist-info` / `*.egg-info` directory NAME
//! (`httpx-0.28.1.dist-info`), so no file is opened per package. Only the
//! packages in [`PACKAGES`] are kept. A site under `/usr` or a `~/.local`
//! belongs to the system's Python; any other is its prefix's own (a
//! virtualenv, a pyenv or conda Python): a package needed beside a client
//! counts only in the client's environment. Two findings come from the inventory:
//! `ENV_CLIENT_NO_SOCKS` (a SOCKS proxy variable that an installed client
//! cannot use without its SOCKS package) and `ENV_CLIENT_VERSION_CONFLICT`
//! (a cited known-bad pair, [`CONFLICTS`]).
//!
//! Node is never run: its version is read from `include/node/node_version.h`
//! beside the binary's prefix (official images, NodeSource), else, for
//! `netdoctor env`, from the `nodejs` entry of dpkg's or apk's database
//! (Debian's and Alpine's packages).

use super::facts::{Clients, NodeInstall, PythonSite};
use super::{Depth, Look};
use crate::diagnosis::{Code, Status};
use crate::proxy::rules::{python_var, ProxyVars, Var};
use crate::sysroot::Sysroot;
use std::collections::BTreeMap;

/// The distributions that matter to the clients' connections, by
/// normalised name.
const PACKAGES: &[&str] = &[
    "aiohttp",
    "azure-cognitiveservices-speech",
    "certifi",
    "httpcore",
    "httpx",
    "httpx2",
    "openai",
    "pysocks",
    "python-socks",
    "requests",
    "socksio",
    "urllib3",
    "websockets",
];

/// Entries read from one site directory (a site holds hundreds).
const MAX_ENTRIES: usize = 20_000;

/// Bytes read from a `METADATA`/`PKG-INFO` (only for a name without version).
const MAX_METADATA: u64 = 64 << 10;

/// Bytes read from dpkg's or apk's database for Node's version.
const MAX_STATUS: u64 = 16 << 20;

/// A client that needs a package of its own to use a SOCKS proxy.
struct SocksRule {
    client: &'static str,
    /// The package that brings SOCKS support.
    needs: &'static str,
    /// The proxy schemes that need it (the others fail differently).
    schemes: &'static [&'static str],
    status: Status,
    /// What the client raises.
    prints: &'static str,
    fix: &'static str,
}

/// Reproduced with the real clients (docs/client-errors.md): httpx 0.28.1
/// and httpx2 2.16.2 (openai 3.x) at client construction, requests 2.34.2
/// at the request (so a warning: requests is often only a dependency).
const SOCKS_RULES: &[SocksRule] = &[
    SocksRule {
        client: "httpx",
        needs: "socksio",
        schemes: &["socks5", "socks5h"],
        status: Status::Fail,
        prints: "ImportError: Using SOCKS proxy, but the 'socksio' package is not installed",
        fix: "pip install \"httpx[socks]\"",
    },
    SocksRule {
        client: "httpx2",
        needs: "socksio",
        schemes: &["socks5", "socks5h"],
        status: Status::Fail,
        prints: "ImportError: Using SOCKS proxy, but the 'socksio' package is not installed",
        fix: "pip install socksio",
    },
    SocksRule {
        client: "requests",
        needs: "pysocks",
        schemes: &["socks4", "socks4a", "socks5", "socks5h"],
        status: Status::Warn,
        prints: "requests.exceptions.InvalidSchema: Missing dependencies for SOCKS support.",
        fix: "pip install \"requests[socks]\"",
    },
];

/// A known-bad pair: `package` before `below` with `other` at `from` or later.
pub struct Conflict {
    pub package: &'static str,
    pub below: &'static str,
    pub other: &'static str,
    pub from: &'static str,
    pub prints: &'static str,
    pub fix: &'static str,
    /// The other way out: pin `other` below `from`.
    pub pin: &'static str,
    /// Where the incompatibility is documented.
    pub citation: &'static str,
}

/// The known-bad combinations, each cited (and reproduced: openai 1.54.5 and
/// 1.55.2 with httpx 0.28.1 fail, 1.55.3 works). openai-python's CHANGELOG,
/// 1.55.3 (2024-11-28): "**client:** compat with new httpx 0.28.0 release
/// (#1904)"; httpx 0.28.0: "The deprecated `proxies` argument has now been
/// removed" (quoted in <https://github.com/simonw/llm/issues/709>).
pub const CONFLICTS: &[Conflict] = &[Conflict {
    package: "openai",
    below: "1.55.3",
    other: "httpx",
    from: "0.28",
    prints: "TypeError: Client.__init__() got an unexpected keyword argument 'proxies'",
    fix: "pip install \"openai>=1.55.3\"",
    pin: "pip install \"httpx<0.28\"",
    citation: "https://github.com/openai/openai-python/issues/1903",
}];

/// PEP 503: lower case, every run of `-`, `_`, `.` one `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `httpx-0.28.1.dist-info` → (`httpx`, `0.28.1`); `foo-1.0-py3.11.egg-info`
/// → (`foo`, `1.0`); `foo.egg-info` → (`foo`, none). `None` for any other
/// entry.
pub fn parse_dist(entry: &str) -> Option<(String, Option<String>)> {
    let stem = entry
        .strip_suffix(".dist-info")
        .or_else(|| entry.strip_suffix(".egg-info"))?;
    let mut parts = stem.split('-');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let version = parts
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned);
    Some((normalise(name), version))
}

/// `1.55.3` → `[1, 55, 3]` (the release segment; `0.28.1rc1` → `[0, 28, 1]`).
fn release(v: &str) -> Vec<u64> {
    v.split('.')
        .map_while(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// `a < b` on release segments, missing parts being 0.
fn older(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (release(a), release(b));
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    a < b
}

/// The version a `METADATA` or `PKG-INFO` file states.
fn metadata_version(sysroot: &Sysroot, dir: &str) -> Option<String> {
    ["METADATA", "PKG-INFO"].iter().find_map(|f| {
        let text = read_bounded(sysroot, &format!("{dir}/{f}"), MAX_METADATA)?;
        text.lines()
            .find_map(|l| l.strip_prefix("Version:"))
            .map(|v| v.trim().to_owned())
    })
}

/// The packages that matter in one site: one directory listing.
fn site_packages(sysroot: &Sysroot, site: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(sysroot.path(site)) else {
        return found;
    };
    for entry in rd.flatten().take(MAX_ENTRIES) {
        let entry = entry.file_name().to_string_lossy().into_owned();
        let Some((name, version)) = parse_dist(&entry) else {
            continue;
        };
        if !PACKAGES.contains(&name.as_str()) || found.contains_key(&name) {
            continue;
        }
        let version = version
            .or_else(|| metadata_version(sysroot, &format!("{site}/{entry}")))
            .unwrap_or_else(|| "unknown".to_owned());
        found.insert(name, version);
    }
    found
}

/// The environment a site belongs to: the system's Python (`/usr/…` and
/// the users' `~/.local`, which it also reads), else the prefix that owns
/// the site (a virtualenv with its `pyvenv.cfg`, a pyenv or conda Python).
fn environment(site: &str) -> String {
    let system = site.starts_with("/usr/") || site.contains("/.local/lib/python");
    match site.rfind("/lib/python") {
        Some(i) if !system => site[..i].to_owned(),
        _ => "system".to_owned(),
    }
}

/// One site and its environment.
struct Site {
    fact: PythonSite,
    env: String,
}

fn python_inventory(sysroot: &Sysroot) -> Vec<Site> {
    crate::sites::python_sites(sysroot)
        .iter()
        .filter_map(|site| {
            let packages = site_packages(sysroot, site);
            (!packages.is_empty()).then(|| Site {
                env: environment(site),
                fact: PythonSite {
                    packages,
                    site: site.clone(),
                },
            })
        })
        .collect()
}

/// Whether `package` is installed in environment `env`.
fn in_env<'a>(sites: &'a [Site], env: &str, package: &str) -> Option<&'a String> {
    sites
        .iter()
        .filter(|s| s.env == env)
        .find_map(|s| s.fact.packages.get(package))
}

/// The first proxy variable (Python's reading: lower case wins) whose
/// scheme is one of `schemes`.
fn socks_var(vars: &ProxyVars, schemes: &[&str]) -> Option<Var> {
    ["all", "https", "http"].iter().find_map(|key| {
        python_var(vars, key).filter(|v| {
            v.value
                .split_once("://")
                .is_some_and(|(s, _)| schemes.contains(&s.to_ascii_lowercase().as_str()))
        })
    })
}

fn socks_findings(sites: &[Site], vars: &ProxyVars, look: &mut Look) {
    for site in sites {
        for rule in SOCKS_RULES {
            let Some(version) = site.fact.packages.get(rule.client) else {
                continue;
            };
            if in_env(sites, &site.env, rule.needs).is_some() {
                continue;
            }
            let Some(var) = socks_var(vars, rule.schemes) else {
                continue;
            };
            look.add_hinted(
                Code::EnvClientNoSocks,
                rule.status,
                format!(
                    "{}={} is a SOCKS proxy, but {} {version} in {} has no {} beside it: {}",
                    var.name,
                    crate::proxy::shown_value(&var.value),
                    rule.client,
                    site.fact.site,
                    rule.needs,
                    rule.prints
                ),
                format!(
                    "install its SOCKS support in that environment: `RUN {}`; or give an http:// proxy",
                    rule.fix
                ),
            );
        }
    }
}

fn conflict_findings(sites: &[Site], look: &mut Look) {
    for site in sites {
        for c in CONFLICTS {
            let Some(version) = site.fact.packages.get(c.package) else {
                continue;
            };
            let Some(other) = in_env(sites, &site.env, c.other) else {
                continue;
            };
            // A version that cannot be read proves nothing either way.
            let known = |v: &str| !release(v).is_empty();
            if !known(version) || !known(other) {
                continue;
            }
            if !older(version, c.below) || older(other, c.from) {
                continue;
            }
            look.add_hinted(
                Code::EnvClientVersionConflict,
                Status::Fail,
                format!(
                    "{} {version} ({}) does not work with {} {other}: before {} it fails with `{}` ({})",
                    c.package, site.fact.site, c.other, c.below, c.prints, c.citation
                ),
                format!("`RUN {}` (or pin the other: `RUN {}`)", c.fix, c.pin),
            );
        }
    }
}

/// Where `node` is installed, by image kind; the first that exists wins.
const NODE_BINARIES: &[&str] = &[
    "/usr/local/bin/node",
    "/usr/bin/node",
    "/bin/node",
    "/usr/bin/nodejs",
];

/// `20.20.2` from node_version.h's `NODE_{MAJOR,MINOR,PATCH}_VERSION`.
pub fn header_version(text: &str) -> Option<String> {
    let part = |name: &str| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("#define")?.trim_start();
            let value = rest.strip_prefix(name)?;
            value
                .starts_with(char::is_whitespace)
                .then(|| value.trim().to_owned())
                .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        })
    };
    Some(format!(
        "{}.{}.{}",
        part("NODE_MAJOR_VERSION")?,
        part("NODE_MINOR_VERSION")?,
        part("NODE_PATCH_VERSION")?
    ))
}

/// The upstream version of package `nodejs` in dpkg's status
/// (`Package:`/`Version:`) or apk's installed db (`P:`/`V:`) text.
pub fn package_version(db: &str, package_key: &str, version_key: &str) -> Option<String> {
    let mut in_node = false;
    for line in db.lines() {
        if line.is_empty() {
            in_node = false;
        } else if let Some(name) = line.strip_prefix(package_key) {
            in_node = name.trim() == "nodejs";
        } else if let Some(v) = line.strip_prefix(version_key).filter(|_| in_node) {
            let v = v.trim();
            let v = v.split_once(':').map_or(v, |(_, v)| v);
            let upstream: String = v
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            return (!upstream.is_empty()).then_some(upstream);
        }
    }
    None
}

/// At most `max` bytes of a regular file (a FIFO or a device is never
/// opened: opening a FIFO blocks).
fn read_bounded(sysroot: &Sysroot, path: &str, max: u64) -> Option<String> {
    let path = sysroot.path(path);
    if !std::fs::metadata(&path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max), &mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn node(sysroot: &Sysroot, depth: Depth) -> Option<NodeInstall> {
    let path = NODE_BINARIES.iter().find(|p| sysroot.path(p).is_file())?;
    let prefix = path
        .trim_end_matches("/bin/node")
        .trim_end_matches("/bin/nodejs");
    let header = format!("{prefix}/include/node/node_version.h");
    let mut found = read_bounded(sysroot, &header, MAX_METADATA)
        .and_then(|t| header_version(&t))
        .map(|v| (v, header));
    if found.is_none() && depth == Depth::Full {
        let dbs = [
            ("/var/lib/dpkg/status", "Package:", "Version:"),
            ("/lib/apk/db/installed", "P:", "V:"),
        ];
        found = dbs.iter().find_map(|(db, p, v)| {
            let text = read_bounded(sysroot, db, MAX_STATUS)?;
            package_version(&text, p, v).map(|version| (version, (*db).to_owned()))
        });
    }
    let (version, from) = found.unzip();
    Some(NodeInstall {
        path: (*path).to_owned(),
        version,
        version_from: from,
    })
}

/// Inventories the clients and checks them against the proxy variables.
pub fn inspect(sysroot: &Sysroot, depth: Depth, vars: &ProxyVars, look: &mut Look) {
    let sites = python_inventory(sysroot);
    socks_findings(&sites, vars, look);
    conflict_findings(&sites, look);
    look.facts.clients = Clients {
        node: node(sysroot, depth),
        python: sites.into_iter().map(|s| s.fact).collect(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The directory names pip wrote in REPORT.md's venvs (issue 15).
    #[test]
    fn parses_the_real_dist_info_names() {
        let real = [
            ("openai-3.57.0.dist-info", "openai", "3.57.0"),
            ("openai-1.54.5.dist-info", "openai", "1.54.5"),
            ("openai-1.55.3.dist-info", "openai", "1.55.3"),
            ("httpx-0.28.1.dist-info", "httpx", "0.28.1"),
            ("httpx2-2.16.2.dist-info", "httpx2", "2.16.2"),
            ("httpcore-1.0.9.dist-info", "httpcore", "1.0.9"),
            ("socksio-1.0.0.dist-info", "socksio", "1.0.0"),
            ("requests-2.34.2.dist-info", "requests", "2.34.2"),
            ("urllib3-2.8.0.dist-info", "urllib3", "2.8.0"),
            (
                "certifi-2026.10.19.post1.dist-info",
                "certifi",
                "2026.10.19.post1",
            ),
            (
                "azure_cognitiveservices_speech-1.53.0.dist-info",
                "azure-cognitiveservices-speech",
                "1.53.0",
            ),
            ("websockets-17.4.dist-info", "websockets", "17.4"),
            ("aiohttp-3.14.5.dist-info", "aiohttp", "3.14.5"),
            ("PySocks-1.7.1.dist-info", "pysocks", "1.7.1"),
            ("python_socks-2.5.3.dist-info", "python-socks", "2.5.3"),
            ("httpx-0.26.0-py3.11.egg-info", "httpx", "0.26.0"),
        ];
        for (dir, name, version) in real {
            assert_eq!(
                parse_dist(dir),
                Some((name.to_owned(), Some(version.to_owned()))),
                "{dir}"
            );
        }
        assert_eq!(
            parse_dist("mypkg.egg-info"),
            Some(("mypkg".to_owned(), None))
        );
        assert_eq!(parse_dist("httpx"), None);
        assert_eq!(parse_dist("typing_extensions.py"), None);
        assert_eq!(normalise("Typing__Extensions.x"), "typing-extensions-x");
    }

    #[test]
    fn versions_compare_on_their_release_segment() {
        assert!(older("1.54.5", "1.55.3"));
        assert!(older("1.55.2", "1.55.3"));
        assert!(!older("1.55.3", "1.55.3"));
        assert!(!older("3.57.0", "1.55.3"));
        assert!(!older("0.28.1", "0.28"));
        assert!(!older("0.28.0rc1", "0.28"));
        assert!(older("0.27.2", "0.28"));
    }

    #[test]
    fn node_versions_from_header_and_package_databases() {
        let h = "#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 2\n#define NODE_MAJOR_VERSION_X 9\n";
        assert_eq!(header_version(h).as_deref(), Some("20.20.2"));
        let dpkg = "Package: nodejs-doc\nVersion: 1.0\n\nPackage: nodejs\nStatus: install ok installed\nVersion: 18.19.0+dfsg-6~deb12u2\n";
        assert_eq!(
            package_version(dpkg, "Package:", "Version:").as_deref(),
            Some("18.19.0")
        );
        let ns = "Package: nodejs\nVersion: 20.20.2-1nodesource1+repack1\n";
        assert_eq!(
            package_version(ns, "Package:", "Version:").as_deref(),
            Some("20.20.2")
        );
        let apk = "P:musl\nV:1.2.5-r0\n\nP:nodejs\nV:20.15.1-r0\n";
        assert_eq!(package_version(apk, "P:", "V:").as_deref(), Some("20.15.1"));
    }

    #[test]
    fn sites_group_by_the_python_that_reads_them() {
        assert_eq!(environment("/usr/lib/python3/dist-packages"), "system");
        assert_eq!(
            environment("/usr/local/lib/python3.12/site-packages"),
            "system"
        );
        assert_eq!(
            environment("/root/.local/lib/python3.12/site-packages"),
            "system"
        );
        assert_eq!(
            environment("/app/.venv/lib/python3.11/site-packages"),
            "/app/.venv"
        );
        assert_eq!(
            environment("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages"),
            "/root/.pyenv/versions/3.11.7"
        );
    }

    #[test]
    fn socks_schemes_follow_pythons_reading() {
        let vars = ProxyVars::from_pairs(&[
            ("https_proxy", "http://proxy:3128"),
            ("ALL_PROXY", "socks5h://127.0.0.1:1080"),
        ]);
        let v = socks_var(&vars, &["socks5", "socks5h"]).expect("socks");
        assert_eq!(v.name, "ALL_PROXY");
        let none = ProxyVars::from_pairs(&[("all_proxy", "socks4://127.0.0.1:1080")]);
        assert!(socks_var(&none, &["socks5", "socks5h"]).is_none());
        assert!(socks_var(&none, &["socks4"]).is_some());
    }
}
