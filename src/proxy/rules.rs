//! Which proxy a client takes from the environment, and whether `NO_PROXY`
//! sends it direct: one model per client, each checked against the real
//! client (httpx 0.28, requests 2.34 and urllib of Python 3.11, curl 7.88;
//! the table tests below are the outcomes of those runs).
//!
//! What they share (Python's `getproxies()`, used by httpx, requests and
//! urllib): `https_proxy`/`HTTPS_PROXY` for https (and wss),
//! `http_proxy`/`HTTP_PROXY` for http (and ws), `all_proxy`/`ALL_PROXY` as
//! the fallback, the lower-case name first. Where they part:
//! - an empty lower-case variable hides the upper-case one in Python
//!   (`https_proxy=` means no proxy); curl and requests' own `NO_PROXY`
//!   lookup treat empty as unset;
//! - curl never reads upper-case `HTTP_PROXY`; urllib never reads
//!   `ALL_PROXY`;
//! - `NO_PROXY`: httpx stops at any `*` entry, makes `.example.com` match
//!   subdomains only, matches IP literals exactly (a CIDR entry matches its
//!   network address only; an IPv6 CIDR makes `httpx.Client()` raise) and
//!   honours `host:port` for explicit non-default ports; requests adds IPv4
//!   CIDR ranges and `host:port`; urllib matches suffixes only and `*` only
//!   as the whole value; curl splits on commas and blanks, matches IPv4 CIDR
//!   ranges, never ports, and `*` only as the whole value.

use std::net::{IpAddr, Ipv4Addr};

/// The variables every client reads, lower case first.
pub const VARIABLES: [&str; 8] = [
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// A snapshot of the proxy variables.
#[derive(Debug, Clone, Default)]
pub struct ProxyVars {
    values: Vec<(String, String)>,
}

impl ProxyVars {
    /// Reads the process environment once.
    pub fn from_env() -> Self {
        let values = VARIABLES
            .iter()
            .filter_map(|name| {
                std::env::var_os(name)
                    .map(|v| ((*name).to_owned(), v.to_string_lossy().into_owned()))
            })
            .collect();
        ProxyVars { values }
    }

    /// A snapshot from pairs (tests).
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        ProxyVars {
            values: pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The value of `name`, if set (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every variable set, in [`VARIABLES`] order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A variable that was read: its name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub value: String,
}

/// The clients modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Httpx,
    Requests,
    Urllib,
    Curl,
}

impl Client {
    /// Every client, the verdict's (httpx) first.
    pub const ALL: [Client; 4] = [
        Client::Httpx,
        Client::Requests,
        Client::Urllib,
        Client::Curl,
    ];

    /// The client's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Client::Httpx => "httpx",
            Client::Requests => "requests",
            Client::Urllib => "urllib",
            Client::Curl => "curl",
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub struct Dest {
    /// `http` or `https` (ws and wss map to them).
    pub scheme: &'static str,
    /// Lower-case host, IPv6 without brackets.
    pub host: String,
    pub port: u16,
    /// Whether the URL names a non-default port.
    pub explicit_port: bool,
}

/// The `NO_PROXY` entry that sent a request direct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bypass {
    /// `NO_PROXY`, `no_proxy` or `--noproxy`.
    pub var: String,
    pub entry: String,
}

/// One client's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The proxy variable it would use (none: direct).
    pub proxy: Option<Var>,
    /// Set when a proxy variable applied but `NO_PROXY` matched.
    pub bypass: Option<Bypass>,
    /// The client fails before connecting (e.g. httpx on an IPv6 CIDR).
    pub error: Option<String>,
}

impl Decision {
    fn direct() -> Self {
        Decision {
            proxy: None,
            bypass: None,
            error: None,
        }
    }

    /// Whether the request goes through a proxy.
    pub fn proxied(&self) -> bool {
        self.proxy.is_some() && self.bypass.is_none() && self.error.is_none()
    }

    /// Whether two clients end up doing the same thing.
    pub fn same_route(&self, other: &Decision) -> bool {
        self.error.is_some() == other.error.is_some()
            && self.proxied() == other.proxied()
            && (!self.proxied()
                || self.proxy.as_ref().map(|v| &v.value) == other.proxy.as_ref().map(|v| &v.value))
    }
}

/// Python's `getproxies()`: the lower-case variable wins, and an empty
/// lower-case variable means "none" even when the upper-case one is set.
pub fn python_var(vars: &ProxyVars, key: &str) -> Option<Var> {
    let lower = format!("{key}_proxy");
    match vars.get(&lower) {
        Some("") => None,
        Some(v) => Some(Var {
            name: lower,
            value: v.to_owned(),
        }),
        None => {
            let upper = lower.to_ascii_uppercase();
            vars.get(&upper).filter(|v| !v.is_empty()).map(|v| Var {
                name: upper,
                value: v.to_owned(),
            })
        }
    }
}

/// `lower or UPPER`: an empty value counts as unset (curl; requests' own
/// `NO_PROXY` lookup).
fn either_var(vars: &ProxyVars, lower: &str) -> Option<Var> {
    let upper = lower.to_ascii_uppercase();
    let found = [lower, upper.as_str()].into_iter().find_map(|name| {
        vars.get(name).filter(|v| !v.is_empty()).map(|v| Var {
            name: name.to_owned(),
            value: v.to_owned(),
        })
    });
    found
}

/// What `client` does for `dest` under `vars`.
pub fn decide(client: Client, vars: &ProxyVars, dest: &Dest) -> Decision {
    let proxy = match client {
        Client::Httpx | Client::Requests => {
            python_var(vars, dest.scheme).or_else(|| python_var(vars, "all"))
        }
        Client::Urllib => python_var(vars, dest.scheme),
        Client::Curl if dest.scheme == "http" => vars
            .get("http_proxy")
            .filter(|v| !v.is_empty())
            .map(|v| Var {
                name: "http_proxy".to_owned(),
                value: v.to_owned(),
            })
            .or_else(|| either_var(vars, "all_proxy")),
        Client::Curl => either_var(vars, "https_proxy").or_else(|| either_var(vars, "all_proxy")),
    };
    let Some(proxy) = proxy else {
        return Decision::direct();
    };
    let mut decision = Decision {
        proxy: Some(proxy),
        bypass: None,
        error: None,
    };
    let no_proxy = match client {
        Client::Httpx | Client::Urllib => python_var(vars, "no"),
        Client::Requests | Client::Curl => either_var(vars, "no_proxy"),
    };
    let Some(no_proxy) = no_proxy else {
        return decision;
    };
    let matched = match client {
        Client::Httpx => match httpx_no_proxy(&no_proxy.value, dest) {
            Ok(m) => m,
            Err(e) => {
                decision.error = Some(e);
                None
            }
        },
        Client::Requests => requests_no_proxy(&no_proxy.value, dest).or_else(|| {
            // requests then asks urllib, with Python's own NO_PROXY lookup
            // and the host name without its port.
            let fallback = python_var(vars, "no")?;
            urllib_no_proxy(&fallback.value, &dest.host)
        }),
        Client::Urllib => urllib_no_proxy(&no_proxy.value, &urllib_host(dest)),
        Client::Curl => curl_no_proxy(&no_proxy.value, dest),
    };
    decision.bypass = matched.map(|entry| Bypass {
        var: no_proxy.name.clone(),
        entry,
    });
    decision
}

/// netdoctor's own `NO_PROXY` verdict (httpx's rules), for `--noproxy` and
/// for `--proxy` with the environment's `NO_PROXY`.
pub fn matches_no_proxy(list: &str, dest: &Dest) -> Result<Option<String>, String> {
    httpx_no_proxy(list, dest)
}

fn split_port(entry: &str) -> (&str, Option<u16>) {
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && !p.is_empty() => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

fn ip_eq(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// httpx `get_environment_proxies()` + `URLPattern`: the first matching entry.
fn httpx_no_proxy(list: &str, dest: &Dest) -> Result<Option<String>, String> {
    let entries: Vec<&str> = list.split(',').map(str::trim).collect();
    if entries.contains(&"*") {
        return Ok(Some("*".to_owned()));
    }
    let mut found = None;
    for entry in entries.into_iter().filter(|e| !e.is_empty()) {
        let ip_part = entry.split('/').next().unwrap_or("");
        let hit = if let Some((scheme, rest)) = entry.split_once("://") {
            (scheme == "all" || scheme == dest.scheme) && httpx_host_match(rest, dest, false)
        } else if ip_part.parse::<Ipv4Addr>().is_ok() {
            ip_eq(ip_part, &dest.host)
        } else if ip_part.parse::<std::net::Ipv6Addr>().is_ok() {
            if entry.contains('/') {
                return Err(format!(
                    "httpx.Client() raises \"Invalid port\" on the NO_PROXY entry {entry} (IPv6 ranges are not supported)"
                ));
            }
            ip_eq(ip_part, &dest.host)
        } else if entry.eq_ignore_ascii_case("localhost") {
            dest.host == "localhost"
        } else {
            httpx_host_match(entry, dest, true)
        };
        if hit && found.is_none() {
            found = Some(entry.to_owned());
        }
    }
    Ok(found)
}

/// An httpx URL pattern host (`*` prefix added for plain NO_PROXY names).
fn httpx_host_match(entry: &str, dest: &Dest, star: bool) -> bool {
    let (host, port) = split_port(entry);
    let host = host.to_ascii_lowercase();
    let host = if star { format!("*{host}") } else { host };
    let host_ok = if host == "*" || host.is_empty() {
        true
    } else if let Some(domain) = host.strip_prefix("*.") {
        dest.host.len() > domain.len() + 1 && dest.host.ends_with(&format!(".{domain}"))
    } else if let Some(domain) = host.strip_prefix('*') {
        dest.host == domain || dest.host.ends_with(&format!(".{domain}"))
    } else {
        dest.host == host
    };
    // httpx drops a default port from URLs, so only explicit ports compare.
    let port_ok = port.is_none_or(|p| dest.explicit_port && dest.port == p);
    host_ok && port_ok
}

/// urllib `proxy_bypass_environment(host)`: `*` as the whole value, else
/// suffixes (a leading dot ignored), against `host` (as urllib is given it:
/// the URL's netloc host, with its port when the URL names one) and against
/// that host without the port (`_splitport`).
fn urllib_no_proxy(list: &str, host: &str) -> Option<String> {
    if list == "*" {
        return Some("*".to_owned());
    }
    let host = host.to_ascii_lowercase();
    let hostonly = match host.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
        _ => host.clone(),
    };
    list.split(',').map(str::trim).find_map(|entry| {
        let name = entry.trim_start_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            return None;
        }
        let dotted = format!(".{name}");
        (hostonly == name || host == name || hostonly.ends_with(&dotted) || host.ends_with(&dotted))
            .then(|| entry.to_owned())
    })
}

/// The host as urllib's `Request.host` holds it.
fn urllib_host(dest: &Dest) -> String {
    let host = if dest.host.contains(':') {
        format!("[{}]", dest.host)
    } else {
        dest.host.clone()
    };
    if dest.explicit_port {
        format!("{host}:{}", dest.port)
    } else {
        host
    }
}

/// requests `should_bypass_proxies` (its own loop, before the urllib fallback).
fn requests_no_proxy(list: &str, dest: &Dest) -> Option<String> {
    let squeezed = list.replace(' ', "");
    let entries = squeezed.split(',').filter(|e| !e.is_empty());
    if let Ok(ip) = dest.host.parse::<Ipv4Addr>() {
        return entries
            .into_iter()
            .find(|e| match cidr4(e) {
                Some((net, bits)) if (1..=32).contains(&bits) => in_net4(ip, net, bits),
                Some(_) => false,
                None => *e == dest.host,
            })
            .map(str::to_owned);
    }
    let with_port = if dest.explicit_port {
        format!("{}:{}", dest.host, dest.port)
    } else {
        dest.host.clone()
    };
    entries
        .into_iter()
        .find(|e| {
            let name = e.trim_start_matches('.');
            let dotted = format!(".{name}");
            dest.host == name
                || with_port == name
                || dest.host.ends_with(&dotted)
                || with_port.ends_with(&dotted)
        })
        .map(str::to_owned)
}

/// `a.b.c.d/bits`.
fn cidr4(entry: &str) -> Option<(Ipv4Addr, u32)> {
    let (net, bits) = entry.split_once('/')?;
    Some((net.parse().ok()?, bits.parse().ok()?))
}

fn in_net4(ip: Ipv4Addr, net: Ipv4Addr, bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// curl 7.88 `Curl_check_noproxy`: `*` as the whole value; entries split on
/// commas and blanks; IPv4 targets against addresses and CIDR ranges, IPv6
/// targets against exact addresses; names by label-aligned suffix, leading
/// and trailing dots ignored; never ports.
fn curl_no_proxy(list: &str, dest: &Dest) -> Option<String> {
    if list.trim() == "*" {
        return Some("*".to_owned());
    }
    let tokens = list
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty());
    let v4 = dest.host.parse::<Ipv4Addr>().ok();
    let v6 = dest.host.parse::<std::net::Ipv6Addr>().ok();
    for token in tokens {
        let hit = if let Some(ip) = v4 {
            match token.split_once('/') {
                Some((net, bits)) => match (net.parse::<Ipv4Addr>(), bits.parse::<u32>()) {
                    (Ok(net), Ok(bits)) if bits <= 32 => in_net4(ip, net, bits),
                    _ => false,
                },
                None => token.parse::<Ipv4Addr>().is_ok_and(|t| t == ip),
            }
        } else if let Some(ip) = v6 {
            let t = token.trim_start_matches('[').trim_end_matches(']');
            !t.contains('/') && t.parse::<std::net::Ipv6Addr>().is_ok_and(|t| t == ip)
        } else {
            let t = token.trim_end_matches('.');
            let t = t.strip_prefix('.').unwrap_or(t).to_ascii_lowercase();
            !t.is_empty()
                && (dest.host == t
                    || (dest.host.len() > t.len()
                        && dest.host.ends_with(&t)
                        && dest.host.as_bytes()[dest.host.len() - t.len() - 1] == b'.'))
        };
        if hit {
            return Some(token.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "http://127.0.0.1:9";
    const P2: &str = "http://127.0.0.2:9";

    fn dest(url: &str) -> Dest {
        let u = url::Url::parse(url).unwrap();
        let host = match u.host().unwrap() {
            url::Host::Domain(d) => d.to_ascii_lowercase(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        Dest {
            scheme: if u.scheme() == "http" {
                "http"
            } else {
                "https"
            },
            host,
            port: u.port_or_known_default().unwrap(),
            explicit_port: u.port().is_some(),
        }
    }

    /// What each client printed, in `[httpx, requests, urllib, curl]` order:
    /// the proxy value used, `-` for direct, `!` for an error.
    fn row(env: &[(&str, &str)], url: &str, want: [&str; 4]) {
        let vars = ProxyVars::from_pairs(env);
        let d = dest(url);
        for (client, want) in Client::ALL.into_iter().zip(want) {
            let got = decide(client, &vars, &d);
            let shown = if got.error.is_some() {
                "!".to_owned()
            } else if got.proxied() {
                got.proxy.unwrap().value
            } else {
                "-".to_owned()
            };
            assert_eq!(shown, want, "{} for {url} under {env:?}", client.name());
        }
    }

    // Every row below is a real run: tests/it/proxy.rs re-runs the Python
    // clients on a subset, and the curl rows come from `curl -v` 7.88.1.
    #[test]
    fn which_variable_applies() {
        row(
            &[("HTTP_PROXY", P1)],
            "http://example.test/",
            [P1, P1, P1, "-"],
        );
        row(
            &[("http_proxy", P1), ("HTTP_PROXY", P2)],
            "http://example.test/",
            [P1, P1, P1, P1],
        );
        row(
            &[("HTTPS_PROXY", P1), ("https_proxy", P2)],
            "https://example.test/",
            [P2, P2, P2, P2],
        );
        row(
            &[("https_proxy", ""), ("HTTPS_PROXY", P1)],
            "https://example.test/",
            ["-", "-", "-", P1],
        );
        row(
            &[("ALL_PROXY", P1)],
            "https://example.test/",
            [P1, P1, "-", P1],
        );
        row(
            &[("ALL_PROXY", P1)],
            "http://example.test/",
            [P1, P1, "-", P1],
        );
        row(
            &[("all_proxy", P1), ("HTTPS_PROXY", P2)],
            "https://example.test/",
            [P2, P2, P2, P2],
        );
        row(
            &[("all_proxy", P1), ("ALL_PROXY", P2)],
            "https://example.test/",
            [P1, P1, "-", P1],
        );
    }

    #[test]
    fn no_proxy_names() {
        let env = |np: &'static str| [("HTTPS_PROXY", P1), ("NO_PROXY", np)];
        row(&env("example.test"), "https://example.test/", ["-"; 4]);
        row(&env("example.test"), "https://www.example.test/", ["-"; 4]);
        row(&env("example.test"), "https://notexample.test/", [P1; 4]);
        row(
            &env(".example.test"),
            "https://example.test/",
            [P1, "-", "-", "-"],
        );
        row(&env(".example.test"), "https://www.example.test/", ["-"; 4]);
        row(&env("ample.test"), "https://example.test/", [P1; 4]);
        row(&env("*.example.test"), "https://www.example.test/", [P1; 4]);
        row(
            &env("example.test."),
            "https://example.test/",
            [P1, P1, P1, "-"],
        );
        row(
            &env("a.test, EXAMPLE.TEST"),
            "https://example.test/",
            ["-"; 4],
        );
        row(
            &env("a.test example.test"),
            "https://example.test/",
            [P1, P1, P1, "-"],
        );
    }

    #[test]
    fn no_proxy_wildcards_ports_and_addresses() {
        let env = |np: &'static str| [("HTTPS_PROXY", P1), ("NO_PROXY", np)];
        row(&env("*"), "https://example.test/", ["-"; 4]);
        row(
            &env("localhost,*"),
            "https://example.test/",
            ["-", P1, P1, P1],
        );
        row(
            &env("example.test:8443"),
            "https://example.test:8443/",
            ["-", "-", "-", P1],
        );
        row(&env("example.test:8443"), "https://example.test/", [P1; 4]);
        row(&env("example.test:443"), "https://example.test/", [P1; 4]);
        row(&env("10.0.0.0/8"), "https://10.1.2.3/", [P1, "-", P1, "-"]);
        row(&env("10.1.2.3"), "https://10.1.2.3/", ["-"; 4]);
        row(&env("::1"), "https://[::1]:8443/", ["-", "-", P1, "-"]);
        row(&env("fd00::/8"), "https://[fd00::1]/", ["!", P1, P1, P1]);
        row(
            &[
                ("HTTPS_PROXY", P1),
                ("no_proxy", ""),
                ("NO_PROXY", "example.test"),
            ],
            "https://example.test/",
            [P1, "-", P1, "-"],
        );
    }

    #[test]
    fn bypass_names_the_entry_and_the_variable() {
        let vars = ProxyVars::from_pairs(&[("HTTPS_PROXY", P1), ("no_proxy", "a.test,.corp.test")]);
        let d = decide(Client::Httpx, &vars, &dest("https://api.corp.test/"));
        assert_eq!(
            d.bypass,
            Some(Bypass {
                var: "no_proxy".into(),
                entry: ".corp.test".into()
            })
        );
    }
}
