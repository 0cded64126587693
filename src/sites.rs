//! Where an image's Python packages live: one bounded look per root and
//! run, shared by the certifi views ([`crate::trust::runtime`]) and the
//! Speech SDK finder ([`crate::env::speech_sdk`]).
//!
//! Only known places are looked at (the distributions' site-packages,
//! common virtualenv and pyenv paths, `VIRTUAL_ENV`, `PYTHONPATH`), each
//! `*` matching one path component, and every directory listing is capped:
//! a container with a huge `/opt` or `/home` costs a few directory reads,
//! never a walk.

use crate::sysroot::Sysroot;
use std::sync::{Arc, Mutex};

/// Where Python packages are installed in images; `*` matches within one
/// path component (`python3*` matches `python3.12`).
const SITE_PACKAGES: &[&str] = &[
    "/usr/lib/python3*/site-packages",
    "/usr/lib/python3*/dist-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/local/lib/python3*/site-packages",
    "/usr/local/lib/python3*/dist-packages",
    "/opt/*/lib/python3*/site-packages",
    "/opt/*/*/lib/python3*/site-packages",
    "/venv/lib/python3*/site-packages",
    "/.venv/lib/python3*/site-packages",
    "/app/.venv/lib/python3*/site-packages",
    "/app/venv/lib/python3*/site-packages",
    "/root/.local/lib/python3*/site-packages",
    "/root/.pyenv/versions/*/lib/python3*/site-packages",
    "/home/*/.local/lib/python3*/site-packages",
    "/home/*/.venv/lib/python3*/site-packages",
];

/// Names one `*` may match in one directory (sorted, the first kept).
const MAX_MATCHES: usize = 64;

/// Site directories kept in all.
const MAX_SITES: usize = 256;

/// Whether `name` matches a component pattern with at most one `*`.
pub fn component_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((pre, post)) => {
            name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post)
        }
    }
}

/// The container paths matching `pattern` under `sysroot`, in name order
/// within each directory, at most [`MAX_MATCHES`] per `*`.
pub fn expand(sysroot: &Sysroot, pattern: &str) -> Vec<String> {
    let mut found = vec![String::new()];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &found {
            if !comp.contains('*') {
                next.push(format!("{base}/{comp}"));
                continue;
            }
            let dir = sysroot.path(if base.is_empty() { "/" } else { base });
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| component_matches(comp, n))
                .collect();
            names.sort();
            names.truncate(MAX_MATCHES);
            next.extend(names.into_iter().map(|n| format!("{base}/{n}")));
        }
        found = next;
    }
    found
}

/// The image's Python site directories that exist: `VIRTUAL_ENV`'s first,
/// then the known places, then `PYTHONPATH`'s entries (container paths,
/// without duplicates). Looked up once per root and run.
pub fn python_sites(sysroot: &Sysroot) -> Arc<Vec<String>> {
    let mut found = FOUND
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, sites)) = found.iter().find(|(root, _)| root == sysroot) {
        return sites.clone();
    }
    let sites = Arc::new(look(sysroot));
    found.push((sysroot.clone(), sites.clone()));
    sites
}

/// The sites found so far, by root.
static FOUND: Mutex<Vec<(Sysroot, Arc<Vec<String>>)>> = Mutex::new(Vec::new());

/// Forgets the sites found so far (a long-lived process reloading).
pub fn forget() {
    if let Ok(mut found) = FOUND.lock() {
        found.clear();
    }
}

fn look(sysroot: &Sysroot) -> Vec<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut patterns: Vec<String> = Vec::new();
    if let Some(venv) = var("VIRTUAL_ENV").filter(|v| v.starts_with('/')) {
        patterns.push(format!(
            "{}/lib/python3*/site-packages",
            venv.trim_end_matches('/')
        ));
    }
    patterns.extend(SITE_PACKAGES.iter().map(|p| (*p).to_owned()));
    let mut sites: Vec<String> = patterns.iter().flat_map(|p| expand(sysroot, p)).collect();
    if let Some(pp) = var("PYTHONPATH") {
        sites.extend(
            pp.split(':')
                .filter(|d| d.starts_with('/'))
                .map(str::to_owned),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    sites.retain(|s| seen.insert(s.clone()) && sysroot.path(s).is_dir());
    sites.truncate(MAX_SITES);
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert!(component_matches("python3*", "python3.12"));
        assert!(!component_matches("python3*", "python2.7"));
        assert!(component_matches("site-packages", "site-packages"));
        assert!(component_matches("*", "venv"));
    }

    #[test]
    fn finds_sites_in_known_places_only_and_caps_each_listing() {
        let dir = tempfile::tempdir().unwrap();
        for p in [
            "usr/local/lib/python3.12/site-packages",
            "opt/venv/lib/python3.11/site-packages",
            "usr/lib/python3/dist-packages",
            "srv/deep/lib/python3.11/site-packages",
        ] {
            std::fs::create_dir_all(dir.path().join(p)).unwrap();
        }
        for i in 0..100 {
            std::fs::create_dir_all(dir.path().join(format!("opt/x{i:03}"))).unwrap();
        }
        let sites = look(&Sysroot::at(dir.path()));
        assert_eq!(
            sites,
            vec![
                "/usr/lib/python3/dist-packages",
                "/usr/local/lib/python3.12/site-packages",
                "/opt/venv/lib/python3.11/site-packages",
            ]
        );
        let opt = expand(&Sysroot::at(dir.path()), "/opt/*");
        assert_eq!(opt.len(), MAX_MATCHES);
    }
}
