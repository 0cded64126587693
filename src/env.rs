//! The container look (`env`): offline facts every command reports once.
//!
//! Reads files under the sysroot only; never touches the network. Findings
//! explain probes (a `CERT_UNKNOWN_ISSUER` whose cause is an empty image)
//! but never stop them. This is the minimal look of the core pipeline: CA
//! material and the resolver configuration; `netdoctor env` extends it.

use crate::diagnosis::{Code, Status};
use crate::report::{EnvReport, Finding};
use crate::sysroot::Sysroot;
use crate::trust::TrustStores;
use serde_json::json;

fn finding(code: Code, status: Status, summary: String) -> Finding {
    Finding {
        code,
        status,
        summary,
        hint: code.entry().hint.to_owned(),
    }
}

/// Whether a directory holds any OpenSSL `<hash>.N` entry.
fn has_hashed_entries(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.split_once('.').is_some_and(|(h, n)| {
                h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()) && n.parse::<u32>().is_ok()
            })
        })
    })
}

/// Looks at the container's CA material and resolver configuration.
pub fn inspect(sysroot: &Sysroot, trust: &TrustStores) -> EnvReport {
    let mut findings = Vec::new();
    let mut facts = serde_json::Map::new();
    let dir_has_certs = trust
        .dir
        .dirs
        .iter()
        .any(|(_, real)| has_hashed_entries(real));
    let cert_file = std::env::var("SSL_CERT_FILE")
        .ok()
        .filter(|v| !v.is_empty());
    match (&trust.file, &cert_file) {
        (Some(store), Some(var)) if store.error.is_some() => {
            let status = if dir_has_certs {
                Status::Warn
            } else {
                Status::Fail
            };
            findings.push(finding(
                Code::EnvSslCertFileMissing,
                status,
                format!(
                    "SSL_CERT_FILE={var}: {}",
                    store.error.clone().unwrap_or_default()
                ),
            ));
        }
        (Some(store), _) if store.error.is_some() => {
            findings.push(finding(
                Code::EnvCaBundleUnreadable,
                Status::Fail,
                store.error.clone().unwrap_or_default(),
            ));
        }
        (None, _) if !dir_has_certs => {
            findings.push(finding(
                Code::EnvNoCaBundle,
                Status::Fail,
                "no CA bundle on any distribution path and no hashed CA directory: TLS clients trust nothing".to_owned(),
            ));
        }
        _ => {}
    }
    if let Some(store) = &trust.file {
        facts.insert(
            "ca_bundle".to_owned(),
            json!({ "source": store.source, "certificates": store.certs.len() }),
        );
    }
    if let Ok(v) = std::env::var("SSL_CERT_DIR") {
        for (shown, real) in &trust.dir.dirs {
            if !real.is_dir() {
                findings.push(finding(
                    Code::EnvSslCertDirMissing,
                    Status::Warn,
                    format!("SSL_CERT_DIR={v}: {shown} is not a directory"),
                ));
            }
        }
    }
    facts.insert(
        "ca_dir".to_owned(),
        json!({ "source": trust.dir.source, "hashed": dir_has_certs }),
    );
    let resolv = sysroot.path("/etc/resolv.conf");
    match std::fs::read_to_string(&resolv) {
        Ok(text) => {
            let servers: Vec<&str> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("nameserver"))
                .map(str::trim)
                .collect();
            facts.insert("nameservers".to_owned(), json!(servers));
        }
        Err(_) => findings.push(finding(
            Code::EnvNoResolvConf,
            Status::Warn,
            "/etc/resolv.conf is missing: resolvers fall back to 127.0.0.1:53".to_owned(),
        )),
    }
    let proxies: Vec<&str> = [
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
    if !proxies.is_empty() {
        facts.insert("proxy_variables".to_owned(), json!(proxies));
    }
    findings.extend(crate::proxy::env_vars::inspect());
    let status = if findings.iter().any(|f| f.status == Status::Fail) {
        Status::Fail
    } else if findings.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    };
    EnvReport {
        status: Some(status),
        findings,
        facts,
    }
}
