//! Container facts: whether this is a container (and whose), the
//! distribution (`/etc/os-release`) and the C library (glibc, musl or none).
//!
//! The other env checks use these facts to tailor their hints: the install
//! line for the detected distribution, or the `COPY --from=…` line for an
//! image with no package manager at all.

use super::facts::ContainerRuntime;
use super::Look;
use crate::distro;
pub use crate::distro::Family;
use crate::sysroot::Sysroot;

/// The C library the image's dynamically linked programs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
    /// No dynamic loader: only static binaries run (scratch, distroless/static).
    None,
}

impl Libc {
    /// The name used in facts.
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::None => "none",
        }
    }
}

/// What the env look knows about the image itself.
#[derive(Debug, Clone)]
pub struct Container {
    pub family: Family,
    pub libc: Libc,
    /// The RHEL-family installer present (`microdnf`, `dnf`, `yum`).
    installer: &'static str,
}

impl Container {
    /// The Dockerfile line that installs `ca-certificates` here.
    pub fn install_ca_certificates(&self) -> String {
        match self.family {
            Family::Debian => {
                "`RUN apt-get update && apt-get install -y ca-certificates`".to_owned()
            }
            Family::Alpine => "`RUN apk add --no-cache ca-certificates`".to_owned(),
            Family::Redhat => format!("`RUN {} install -y ca-certificates`", self.installer),
            Family::Suse => "`RUN zypper install -y ca-certificates`".to_owned(),
            Family::Unknown if self.libc == Libc::None => {
                "this image has no package manager (scratch/distroless): copy a bundle from a build stage, `COPY --from=debian:12 /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt`".to_owned()
            }
            Family::Unknown => "install the distribution's ca-certificates package: `RUN apt-get update && apt-get install -y ca-certificates` (Debian/Ubuntu), `RUN apk add ca-certificates` (Alpine), `RUN microdnf install ca-certificates` (UBI)".to_owned(),
        }
    }

    /// The Dockerfile line that installs OpenSSL 3's libraries here.
    pub fn install_openssl(&self) -> String {
        match self.family {
            Family::Debian => "`RUN apt-get update && apt-get install -y libssl3` (Debian 12, Ubuntu 22.04; `libssl3t64` on Ubuntu 24.04)".to_owned(),
            Family::Alpine => "`RUN apk add --no-cache libssl3` (the Speech SDK needs glibc: use a Debian/Ubuntu/UBI base image)".to_owned(),
            Family::Redhat => format!("`RUN {} install -y openssl-libs`", self.installer),
            Family::Suse => "`RUN zypper install -y libopenssl3`".to_owned(),
            Family::Unknown => "use a base image with OpenSSL (e.g. python:3.12-slim or debian:12-slim) and install its libssl package".to_owned(),
        }
    }
}

/// Entries of `dir` (under the sysroot) whose names start with `prefix`.
pub(super) fn entries_starting(sysroot: &Sysroot, dir: &str, prefix: &str) -> Vec<String> {
    std::fs::read_dir(sysroot.path(dir))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

fn detect_libc(sysroot: &Sysroot) -> Libc {
    if !entries_starting(sysroot, "/lib", "ld-musl-").is_empty() {
        return Libc::Musl;
    }
    let glibc = [
        "/lib64/ld-linux-x86-64.so.2",
        "/lib/ld-linux-aarch64.so.1",
        "/lib/ld-linux-armhf.so.3",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/aarch64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/lib64/libc.so.6",
        "/usr/lib/libc.so.6",
    ];
    if glibc.iter().any(|p| sysroot.path(p).exists()) {
        Libc::Glibc
    } else {
        Libc::None
    }
}

fn detect_runtime(sysroot: &Sysroot) -> (Option<&'static str>, Option<String>) {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return (
            Some("kubernetes"),
            Some("KUBERNETES_SERVICE_HOST is set".to_owned()),
        );
    }
    if sysroot.path("/.dockerenv").exists() {
        return (Some("docker"), Some("/.dockerenv".to_owned()));
    }
    if sysroot.path("/run/.containerenv").exists() {
        return (Some("podman"), Some("/run/.containerenv".to_owned()));
    }
    let cgroup = std::fs::read_to_string(sysroot.path("/proc/1/cgroup")).unwrap_or_default();
    for (needle, name) in [
        ("kubepods", "kubernetes"),
        ("docker", "docker"),
        ("libpod", "podman"),
        ("containerd", "containerd"),
    ] {
        if cgroup.contains(needle) {
            return (
                Some(name),
                Some(format!("/proc/1/cgroup mentions {needle}")),
            );
        }
    }
    (None, None)
}

/// Looks at the image itself; records the facts and returns them for the
/// other checks' hints.
pub fn inspect(sysroot: &Sysroot, look: &mut Look) -> Container {
    let (runtime, evidence) = detect_runtime(sysroot);
    let text = distro::os_release_text(sysroot);
    let field = |key: &str| {
        distro::os_release(&text)
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_owned())
    };
    let id = field("ID");
    let distribution = id.as_ref().map(|id| match field("VERSION_ID") {
        Some(v) => format!("{id} {v}"),
        None => id.clone(),
    });
    let family = distro::family_of(
        id.as_deref().unwrap_or(""),
        field("ID_LIKE").as_deref().unwrap_or(""),
    );
    let libc = detect_libc(sysroot);
    let installer = ["microdnf", "dnf", "yum"]
        .into_iter()
        .find(|b| sysroot.path(format!("/usr/bin/{b}")).exists())
        .unwrap_or("microdnf");
    look.facts.container = ContainerRuntime { evidence, runtime };
    look.facts.distribution = distribution;
    look.facts.distribution_name = field("PRETTY_NAME");
    look.facts.libc = libc.name();
    Container {
        family,
        libc,
        installer,
    }
}
