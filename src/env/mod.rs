//! The container look (`env`): offline facts every command reports once.
//!
//! Reads files under the sysroot only (see [`crate::sysroot`]); never
//! touches the network. Findings explain probes (a `CERT_UNKNOWN_ISSUER`
//! whose cause is an empty image) but never stop them; only `netdoctor env`
//! turns a failing finding into exit code 10. Every file that is missing is
//! a finding or a fact, never an error.
//!
//! One concern per submodule: [`container`] (runtime, distribution, libc:
//! they tailor the other hints), [`ca`] (CA bundles, `SSL_CERT_*` and the
//! runtimes' CA variables), [`clients`] (the Python and Node clients
//! installed), [`openssl`] (libssl/libcrypto and the Azure Speech SDK's
//! OpenSSL), [`speech_sdk`] (the Speech SDK's own native libraries),
//! [`dns`] (resolv.conf, hosts, nsswitch) and [`clock`].
//! What they find is typed in [`facts`] (the JSON's `env.facts`).

pub mod ca;
pub mod clients;
pub mod clock;
pub mod container;
pub mod dns;
mod elf;
pub mod facts;
pub mod openssl;
mod report;
pub mod speech_sdk;

use crate::diagnosis::{Code, Diagnosis, Status};
use crate::sysroot::Sysroot;
use crate::trust::TrustStores;
use facts::EnvFacts;
pub use report::EnvReport;
use std::time::SystemTime;

/// Findings and facts as the checks add them.
#[derive(Debug, Default)]
pub struct Look {
    findings: Vec<Diagnosis>,
    facts: EnvFacts,
}

impl Look {
    /// Adds a finding with the catalogue's hint.
    pub fn add(&mut self, code: Code, status: Status, summary: impl Into<String>) {
        self.add_hinted(code, status, summary, code.entry().hint);
    }

    /// Adds a finding with a hint tailored to this image.
    pub fn add_hinted(
        &mut self,
        code: Code,
        status: Status,
        summary: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.findings.push(
            Diagnosis::new(code, summary)
                .with_status(status)
                .with_hint(hint),
        );
    }

    /// The codes found so far.
    #[cfg(test)]
    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    /// Takes the findings and facts of the libraries' look, made apart.
    fn absorb_libraries(&mut self, own: Look) {
        self.findings.extend(own.findings);
        let f = own.facts;
        self.facts.libssl = f.libssl;
        self.facts.libcrypto = f.libcrypto;
        self.facts.openssl_libraries = f.openssl_libraries;
        self.facts.openssl_conf = f.openssl_conf;
        self.facts.speech_sdk = f.speech_sdk;
        self.facts.speech_sdk_note = f.speech_sdk_note;
    }

    fn into_report(self) -> EnvReport {
        let mut report = EnvReport {
            status: None,
            findings: self.findings,
            facts: self.facts,
        };
        report.status = Some(status_of(&report.findings));
        report
    }
}

/// `fail` when a finding fails, `warn` when there are findings, else `pass`.
pub fn status_of(findings: &[Diagnosis]) -> Status {
    if findings.iter().any(|f| f.status == Status::Fail) {
        Status::Fail
    } else if findings.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    }
}

/// Adds a finding found after the look (e.g. the clock skew a server's
/// `Date` header shows) and updates the status.
pub fn add_finding(env: &mut EnvReport, finding: Diagnosis) {
    env.findings.push(finding);
    env.status = Some(status_of(&env.findings));
}

/// The variable's value when it is set and not empty.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// How much the look reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `netdoctor env`: every fact, including the expired-certificate
    /// counts and libcrypto's version string (megabytes to read).
    Full,
    /// The top of a probing command: the same findings, without the costly
    /// facts that no finding needs (libcrypto is still read when the Speech
    /// SDK is installed, since its verdict depends on the version).
    Quick,
}

/// Looks at the container: the image, its CA material, its OpenSSL
/// libraries, its resolver configuration and its clock.
pub fn inspect(sysroot: &Sysroot, trust: &TrustStores, depth: Depth) -> EnvReport {
    let mut look = Look::default();
    let image = container::inspect(sysroot, &mut look);
    if depth == Depth::Full {
        // The libraries' look (directory listings, libcrypto's version) and
        // the CA look are most of `netdoctor env` and share nothing: on two
        // cores they run at once. (A probing command's look already runs
        // beside the probes.)
        let libraries = std::thread::scope(|s| {
            let libraries = s.spawn(|| {
                let mut own = Look::default();
                openssl::inspect(sysroot, &image, depth, &mut own);
                own
            });
            ca::inspect(sysroot, trust, &image, depth, &mut look);
            libraries.join()
        });
        match libraries {
            Ok(own) => look.absorb_libraries(own),
            Err(_) => openssl::inspect(sysroot, &image, depth, &mut look),
        }
    } else {
        ca::inspect(sysroot, trust, &image, depth, &mut look);
        openssl::inspect(sysroot, &image, depth, &mut look);
    }
    dns::inspect(sysroot, &mut look);
    let proxy_vars = crate::proxy::rules::ProxyVars::from_env();
    clients::inspect(sysroot, depth, &proxy_vars, &mut look);
    clock::inspect(SystemTime::now(), &mut look);
    look.facts.proxy_variables = [
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ]
    .into_iter()
    .filter(|v| std::env::var_os(v).is_some())
    .collect();
    look.findings.extend(crate::proxy::env_vars::inspect());
    look.into_report()
}
