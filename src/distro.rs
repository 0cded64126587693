//! The image's distribution, from `/etc/os-release`: which family of
//! package tools it has. Whoever writes a Dockerfile hint (the env look,
//! the trust stores' fix lines) tailors it with this; it knows nothing of
//! either.

use crate::sysroot::Sysroot;

/// How packages are installed in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Debian,
    Alpine,
    /// RHEL, UBI, Fedora, CentOS, Rocky, Alma, Amazon Linux, Oracle Linux.
    Redhat,
    Suse,
    Unknown,
}

/// The text of `/etc/os-release` (or `/usr/lib/os-release`) under the
/// sysroot; empty when there is none.
pub fn os_release_text(sysroot: &Sysroot) -> String {
    std::fs::read_to_string(sysroot.path("/etc/os-release"))
        .or_else(|_| std::fs::read_to_string(sysroot.path("/usr/lib/os-release")))
        .unwrap_or_default()
}

/// The `KEY=value` pairs of an os-release file, quotes removed.
pub fn os_release(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|l| {
        let (k, v) = l.trim().split_once('=')?;
        Some((k.trim(), v.trim().trim_matches(|c| c == '"' || c == '\'')))
    })
}

/// The family of an os-release `ID` and `ID_LIKE`.
pub fn family_of(id: &str, id_like: &str) -> Family {
    let ids: Vec<&str> = std::iter::once(id)
        .chain(id_like.split_whitespace())
        .collect();
    let any = |names: &[&str]| ids.iter().any(|i| names.contains(i));
    if any(&["debian", "ubuntu"]) {
        Family::Debian
    } else if any(&["alpine", "wolfi", "chainguard"]) {
        Family::Alpine
    } else if any(&[
        "rhel",
        "fedora",
        "centos",
        "rocky",
        "almalinux",
        "amzn",
        "ol",
        "mariner",
        "azurelinux",
    ]) {
        Family::Redhat
    } else if any(&[
        "suse",
        "opensuse",
        "sles",
        "opensuse-leap",
        "opensuse-tumbleweed",
    ]) {
        Family::Suse
    } else {
        Family::Unknown
    }
}

/// The distribution family from `/etc/os-release` (or `/usr/lib/os-release`).
pub fn detect_family(sysroot: &Sysroot) -> Family {
    let text = os_release_text(sysroot);
    let field = |key: &str| {
        os_release(&text)
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v)
    };
    family_of(field("ID"), field("ID_LIKE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_id_and_id_like() {
        assert_eq!(family_of("debian", ""), Family::Debian);
        assert_eq!(family_of("linuxmint", "ubuntu debian"), Family::Debian);
        assert_eq!(family_of("rhel", "fedora"), Family::Redhat);
        assert_eq!(family_of("almalinux", "rhel centos fedora"), Family::Redhat);
        assert_eq!(family_of("alpine", ""), Family::Alpine);
        assert_eq!(family_of("opensuse-leap", "suse opensuse"), Family::Suse);
        assert_eq!(family_of("", ""), Family::Unknown);
    }

    #[test]
    fn os_release_strips_quotes() {
        let pairs: Vec<_> = os_release("ID=\"rhel\"\nVERSION_ID='9.4'\n# c\n").collect();
        assert_eq!(pairs, vec![("ID", "rhel"), ("VERSION_ID", "9.4")]);
    }
}
