//! The resolver configuration: `/etc/resolv.conf` (nameservers, with
//! Docker's embedded DNS and Kubernetes' cluster DNS named as such,
//! `search`, `options ndots`), `/etc/hosts` entries that pin public names,
//! and the `hosts:` line of `/etc/nsswitch.conf`.

use super::facts::HostsOverride;
use super::Look;
use crate::diagnosis::{Code, Status};
use crate::sysroot::Sysroot;
use std::net::IpAddr;

/// ndots from which every external name costs several lookups.
const NDOTS_WARN: u32 = 5;

/// What `/etc/resolv.conf` says, as the dns stage reads it (the
/// `resolv-conf` crate; lines glibc would skip are skipped).
#[derive(Debug, Default, PartialEq, Eq)]
struct ResolvConf {
    nameservers: Vec<String>,
    /// The last `search` or `domain` line, as in glibc.
    search: Vec<String>,
    /// `options ndots:N`; glibc's default is 1.
    ndots: u32,
    /// The options in effect that differ from glibc's defaults (`ndots:5`).
    options: Vec<String>,
}

fn parse_resolv_conf(bytes: &[u8]) -> ResolvConf {
    let (conf, _skipped) = resolv_conf::Config::parse_with_errors(bytes);
    // The crate writes the options that differ from the defaults back as
    // `options …` lines, one each.
    let options = conf
        .to_string()
        .lines()
        .filter_map(|l| l.strip_prefix("options "))
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect();
    ResolvConf {
        nameservers: conf.nameservers.iter().map(ToString::to_string).collect(),
        search: conf.get_last_search_or_domain().cloned().collect(),
        ndots: conf.ndots,
        options,
    }
}

/// Whether the search list is a Kubernetes pod's (`<ns>.svc.<cluster-domain>`).
fn is_kubernetes(search: &[String]) -> bool {
    search
        .iter()
        .any(|d| d.contains(".svc.") || d.starts_with("svc."))
}

/// What a nameserver is, when it is a well-known one.
fn role(ns: &str, kubernetes: bool) -> Option<&'static str> {
    match ns {
        "127.0.0.11" => Some("Docker's embedded DNS (user-defined network)"),
        "127.0.0.53" => Some("systemd-resolved stub"),
        "168.63.129.16" => Some("Azure DNS"),
        "169.254.169.253" => Some("Amazon VPC DNS"),
        _ if kubernetes => Some("Kubernetes cluster DNS"),
        _ => None,
    }
}

/// Whether a name in `/etc/hosts` is one the world resolves through DNS:
/// dotted, not an address, not a private or reserved suffix, not this host.
fn is_public_name(name: &str, hostname: &str) -> bool {
    const PRIVATE: &[&str] = &[
        ".local",
        ".localdomain",
        ".localhost",
        ".internal",
        ".test",
        ".example",
        ".invalid",
        ".lan",
        ".home",
        ".arpa",
        ".corp",
        ".svc",
        ".cluster.local",
    ];
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    lower.contains('.')
        && lower.parse::<IpAddr>().is_err()
        && !PRIVATE.iter().any(|s| lower.ends_with(s))
        && !lower.starts_with("ip6-")
        && (hostname.is_empty() || lower != hostname.to_ascii_lowercase())
}

/// `(name, address)` of the hosts entries that pin public names.
fn hosts_overrides(text: &str, hostname: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (addr, names) in crate::hosts::parse(text) {
        for name in names {
            if is_public_name(&name, hostname) {
                out.push((name, addr.to_string()));
            }
        }
    }
    out
}

/// Checks the resolver configuration.
pub fn inspect(sysroot: &Sysroot, look: &mut Look) {
    resolver(sysroot, look);
    hosts(sysroot, look);
    let nss = std::fs::read_to_string(sysroot.path("/etc/nsswitch.conf"))
        .ok()
        .map(|text| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("hosts:").map(|v| v.trim().to_owned()))
                .unwrap_or_default()
        });
    look.facts.nsswitch_hosts = nss;
}

/// `/etc/resolv.conf`: the resolver facts, `ENV_DNS_NDOTS`,
/// `ENV_NO_RESOLV_CONF`.
fn resolver(sysroot: &Sysroot, look: &mut Look) {
    let rc = match crate::sysroot::read_file(&sysroot.path("/etc/resolv.conf")) {
        Ok(bytes) => parse_resolv_conf(&bytes),
        Err(e) => {
            look.add(
                Code::EnvNoResolvConf,
                Status::Warn,
                format!(
                    "/etc/resolv.conf: {}: resolvers fall back to 127.0.0.1:53",
                    super::ca::io_words(&e)
                ),
            );
            return;
        }
    };
    let k8s = is_kubernetes(&rc.search);
    look.facts.nameserver_roles = rc
        .nameservers
        .iter()
        .filter_map(|ns| role(ns, k8s).map(|r| (ns.clone(), r)))
        .collect();
    if rc.nameservers.is_empty() {
        look.facts.nameserver_note =
            Some("no nameserver line: resolvers fall back to 127.0.0.1:53");
    }
    let ndots = rc.ndots;
    if ndots >= NDOTS_WARN && !rc.search.is_empty() {
        let n = rc.search.len();
        look.add(
            Code::EnvDnsNdots,
            Status::Warn,
            format!(
                "options ndots:{ndots} with {n} search domain(s) ({}): a name with fewer than {ndots} dots, such as api.openai.com, is first tried as api.openai.com.{}: up to {n} extra lookups (each A and AAAA) before the real one",
                rc.search.join(" "),
                rc.search[0]
            ),
        );
    }
    look.facts.nameservers = Some(rc.nameservers);
    look.facts.search = Some(rc.search);
    look.facts.ndots = Some(ndots);
    look.facts.resolver_options = rc.options;
}

/// `/etc/hosts`: the public names it pins (`ENV_HOSTS_OVERRIDE`).
fn hosts(sysroot: &Sysroot, look: &mut Look) {
    let hostname = std::fs::read_to_string(sysroot.path("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let Ok(text) = std::fs::read_to_string(sysroot.path("/etc/hosts")) else {
        look.facts.hosts_file = Some("absent");
        return;
    };
    let pinned = hosts_overrides(&text, &hostname);
    if pinned.is_empty() {
        return;
    }
    let list: Vec<String> = pinned.iter().map(|(n, a)| format!("{n} → {a}")).collect();
    look.add(
        Code::EnvHostsOverride,
        Status::Warn,
        format!(
            "/etc/hosts pins public name(s): {}; every client skips DNS for them",
            list.join(", ")
        ),
    );
    look.facts.hosts_overrides = pinned
        .into_iter()
        .map(|(name, address)| HostsOverride { address, name })
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_of_a_kubernetes_pod() {
        let rc = parse_resolv_conf(
            b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5 # comment\n",
        );
        assert_eq!(rc.nameservers, vec!["10.96.0.10"]);
        assert_eq!(rc.search.len(), 3);
        assert_eq!(rc.ndots, 5);
        assert_eq!(rc.options, vec!["ndots:5"]);
        assert!(is_kubernetes(&rc.search));
        assert_eq!(role("10.96.0.10", true), Some("Kubernetes cluster DNS"));
        assert_eq!(role("10.96.0.10", false), None);
        assert!(role("127.0.0.11", false).is_some_and(|r| r.contains("Docker")));
    }

    #[test]
    fn hosts_overrides_skip_local_names() {
        let hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n\
                     172.17.0.2 3f2a1b web.example.com\n10.0.0.5 api.openai.com # pinned\n\
                     10.0.0.6 db.svc.cluster.local host.docker.internal\n";
        assert_eq!(
            hosts_overrides(hosts, "web.example.com"),
            vec![("api.openai.com".to_owned(), "10.0.0.5".to_owned())]
        );
    }
}
