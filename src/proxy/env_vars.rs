//! `env` findings about the proxy variables themselves (offline):
//! `ENV_PROXY_CONFLICT` when the lower- and upper-case names differ (which
//! client reads which), `ENV_PROXY_BAD_URL` when a value cannot be used as
//! written (unparseable, an unsupported scheme, no scheme, credentials with
//! an unescaped `@`, `:` or `/`). Values are shown with the password masked.

use super::rules::ProxyVars;
use super::url::{redact_raw, ProxyUrl, ProxyUrlError};
use crate::diagnosis::{Code, Diagnosis as Finding, Status};

fn finding(code: Code, status: Status, summary: String) -> Finding {
    Finding::new(code, summary).with_status(status)
}

/// The findings for the process environment.
pub fn inspect() -> Vec<Finding> {
    findings(&ProxyVars::from_env())
}

/// The findings for a snapshot of the variables.
pub fn findings(vars: &ProxyVars) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in ["https", "http", "all", "no"] {
        let lower = format!("{key}_proxy");
        let upper = lower.to_ascii_uppercase();
        if let (Some(l), Some(u)) = (vars.get(&lower), vars.get(&upper)) {
            if l != u {
                out.push(conflict(key, &lower, l, &upper, u));
            }
        }
    }
    for (name, value) in vars.iter() {
        if name.eq_ignore_ascii_case("no_proxy") || value.is_empty() {
            continue;
        }
        if let Some(f) = bad_url(name, value) {
            out.push(f);
        }
    }
    out
}

fn shown(key: &str, value: &str) -> String {
    if key == "no" {
        format!("\"{value}\"")
    } else if value.is_empty() {
        "\"\"".to_owned()
    } else {
        super::shown_value(value)
    }
}

fn conflict(key: &str, lower: &str, l: &str, upper: &str, u: &str) -> Finding {
    let who = match (key, l.is_empty()) {
        ("no", true) => format!(
            "httpx and urllib take the empty {lower} as no NO_PROXY at all; requests and curl use {upper}"
        ),
        ("http", true) => format!(
            "Python clients (httpx, requests, urllib) take the empty {lower} as no proxy; curl never reads {upper}"
        ),
        (_, true) => format!(
            "Python clients (httpx, requests, urllib) take the empty {lower} as no proxy; curl uses {upper}"
        ),
        ("http", false) => format!(
            "httpx, requests, urllib and curl use {lower} (curl never reads {upper}); tools that read {upper} first get the other value"
        ),
        _ => format!(
            "httpx, requests, urllib and curl use {lower}; tools that read {upper} first get the other value"
        ),
    };
    finding(
        Code::EnvProxyConflict,
        Status::Warn,
        format!(
            "{lower}={} and {upper}={} differ: {who}",
            shown(key, l),
            shown(key, u)
        ),
    )
}

fn bad_url(name: &str, value: &str) -> Option<Finding> {
    let masked = redact_raw(value);
    let after_scheme = value.split_once("://").map_or(value, |(_, r)| r);
    let slash = after_scheme.find('/');
    let last_at = after_scheme.rfind('@');
    if let (Some(slash), Some(at)) = (slash, last_at) {
        if slash < at {
            return Some(finding(
                Code::EnvProxyBadUrl,
                Status::Fail,
                format!(
                    "{name}={masked}: the credentials hold an unescaped '/', so clients read the proxy host from the user name; write it as %2F"
                ),
            ));
        }
    }
    let parsed = ProxyUrl::parse(value);
    match &parsed {
        Err(
            e @ (ProxyUrlError::Malformed { .. }
            | ProxyUrlError::NoHost { .. }
            | ProxyUrlError::Scheme { .. }),
        ) => {
            return Some(finding(
                Code::EnvProxyBadUrl,
                Status::Fail,
                format!("{name}: {e}"),
            ));
        }
        Ok(_) => {}
    }
    let authority = &after_scheme[..slash.unwrap_or(after_scheme.len())];
    if let Some(at) = authority.rfind('@') {
        let userinfo = &authority[..at];
        let mut unescaped = Vec::new();
        if userinfo.contains('@') {
            unescaped.push("'@' (%40)");
        }
        if userinfo.matches(':').count() > 1 {
            unescaped.push("':' (%3A)");
        }
        if !unescaped.is_empty() {
            return Some(finding(
                Code::EnvProxyBadUrl,
                Status::Warn,
                format!(
                    "{name}={masked}: the credentials hold an unescaped {}; clients split such URLs differently: percent-encode it",
                    unescaped.join(" and ")
                ),
            ));
        }
    }
    if parsed.as_ref().is_ok_and(|u| u.assumed_scheme) {
        return Some(finding(
            Code::EnvProxyBadUrl,
            Status::Warn,
            format!(
                "{name}={masked} has no scheme: httpx, requests, urllib and curl assume http://; write http://{masked} so that every tool agrees"
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(pairs: &[(&str, &str)]) -> Vec<(Code, Status, String)> {
        findings(&ProxyVars::from_pairs(pairs))
            .into_iter()
            .map(|f| (f.code, f.status, f.summary))
            .collect()
    }

    #[test]
    fn conflicts_say_who_reads_what() {
        let f = codes(&[
            ("https_proxy", "http://a.test:3128"),
            ("HTTPS_PROXY", "http://b.test:3128"),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, Code::EnvProxyConflict);
        assert!(f[0].2.contains("use https_proxy"), "{}", f[0].2);
        let f = codes(&[("https_proxy", ""), ("HTTPS_PROXY", "http://b.test:3128")]);
        assert!(f[0].2.contains("curl uses HTTPS_PROXY"), "{}", f[0].2);
        assert!(codes(&[("http_proxy", "http://a:1"), ("HTTP_PROXY", "http://a:1")]).is_empty());
    }

    #[test]
    fn bad_urls() {
        let f = codes(&[("HTTPS_PROXY", "http://alice:pa/ss@proxy.test:3128")]);
        assert_eq!((f[0].0, f[0].1), (Code::EnvProxyBadUrl, Status::Fail));
        assert!(!f[0].2.contains("pa/ss"), "{}", f[0].2);
        let f = codes(&[("HTTPS_PROXY", "http://alice:p@ss@proxy.test:3128")]);
        assert_eq!((f[0].0, f[0].1), (Code::EnvProxyBadUrl, Status::Warn));
        assert!(
            f[0].2.contains("'@'") && !f[0].2.contains("p@ss"),
            "{}",
            f[0].2
        );
        let f = codes(&[("HTTPS_PROXY", "proxy.test:3128")]);
        assert!(f[0].2.contains("no scheme"), "{}", f[0].2);
        let f = codes(&[("ALL_PROXY", "ftp://proxy.test:21")]);
        assert_eq!(f[0].1, Status::Fail);
        assert!(codes(&[("HTTPS_PROXY", "http://alice:p%40ss@proxy.test:3128")]).is_empty());
        assert!(codes(&[("NO_PROXY", "localhost,.corp")]).is_empty());
    }
}
