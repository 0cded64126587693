//! Proxies: which one applies to a target, and what the clients would do.
//!
//! The verdict follows Python's httpx (DESIGN "Proxies"); [`rules`] models
//! httpx, requests, urllib and curl side by side, so that a report can say
//! which clients would decide otherwise. `--proxy` replaces the proxy
//! variables and `--noproxy` replaces `NO_PROXY` (both as in curl); the
//! clients are compared only when neither flag is given, since the clients
//! never see netdoctor's flags. [`env_vars`] holds the `env` findings about
//! the variables themselves; the `proxy` stage lives in
//! `probe::proxy`.

pub mod env_vars;
pub mod rules;
pub mod url;

use crate::target::{Scheme, Target};
use rules::{Bypass, Client, Decision, Dest, ProxyVars, Var};
use serde::Serialize;
use std::collections::BTreeMap;
pub use url::{ProxyScheme, ProxyUrl, ProxyUrlError};

/// The proxy settings of a run: the variables, read once, and the flags.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    pub vars: ProxyVars,
    /// `--proxy URL`.
    pub proxy: Option<ProxyUrl>,
    /// `--noproxy LIST`.
    pub noproxy: Option<String>,
}

impl ProxySettings {
    /// The credentials of every proxy URL the run knows (`--proxy` and
    /// every proxy variable, parsed or not), to scrub from what is echoed.
    pub fn add_secrets(&self, secrets: &mut crate::redact::Secrets) {
        if let Some(p) = &self.proxy {
            p.add_secrets(secrets);
        }
        for (_, value) in self.vars.iter() {
            if let Ok(p) = ProxyUrl::parse(value) {
                p.add_secrets(secrets);
            } else {
                // Unparsable: its raw userinfo, whatever it holds.
                let rest = value.split_once("://").map_or(value, |(_, r)| r);
                if let Some((userinfo, _)) = rest.rsplit_once('@') {
                    secrets.add(userinfo);
                }
            }
        }
    }
}

/// Whether the target goes through the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Through the proxy.
    Proxy,
    /// Direct: a `NO_PROXY` (or `--noproxy`) entry matched.
    Bypassed(Bypass),
    /// Direct: httpx reads none of the variables set, other clients do
    /// (e.g. `https_proxy=` empty beside `HTTPS_PROXY`: curl uses the latter).
    OtherClientsOnly,
}

/// How a target is routed when a proxy is configured for its scheme.
#[derive(Debug, Clone)]
pub struct Route {
    /// Where the proxy came from: a variable name or `--proxy`.
    pub source: String,
    /// The proxy URL, or why it cannot be used.
    pub url: Result<ProxyUrl, ProxyUrlError>,
    /// What netdoctor does (httpx's decision, or the flags').
    pub verdict: Verdict,
    /// Each client's decision (empty when flags decided).
    pub clients: Vec<(Client, Decision)>,
    /// Where clients part from the verdict, and why.
    pub notes: Vec<String>,
}

impl Route {
    /// Whether the target goes through the proxy.
    pub fn proxied(&self) -> bool {
        self.verdict == Verdict::Proxy
    }

    /// The proxy as shown in reports (password masked).
    pub fn shown(&self) -> String {
        match &self.url {
            Ok(u) => u.to_string(),
            Err(e) => match e {
                ProxyUrlError::Malformed { shown, .. }
                | ProxyUrlError::Scheme { shown, .. }
                | ProxyUrlError::NoHost { shown } => shown.clone(),
            },
        }
    }

    /// The clients whose decision parts from the first one's (httpx's).
    pub fn clients_differ(&self) -> Vec<&'static str> {
        let Some((_, reference)) = self.clients.first() else {
            return Vec::new();
        };
        self.clients
            .iter()
            .filter(|(_, d)| !d.same_route(reference))
            .map(|(c, _)| c.name())
            .collect()
    }

    /// The facts every proxy stage reports about the choice.
    pub fn facts(&self) -> RouteFacts {
        let url = self.url.as_ref().ok();
        let scheme_assumed = url.filter(|u| u.assumed_scheme).map(|_| {
            "http:// (the value has no scheme; httpx, requests, urllib and curl assume http)"
        });
        let port_assumed = url
            .filter(|u| {
                !u.explicit_port
                    && u.scheme != ProxyScheme::Socks5
                    && u.scheme != ProxyScheme::Socks5h
            })
            .map(|u| {
                format!(
                    "{} (httpx's default for {}://; curl assumes 1080)",
                    u.port,
                    u.scheme.as_str()
                )
            });
        let bypassed_by = match &self.verdict {
            Verdict::Bypassed(b) => Some(BypassFacts {
                entry: b.entry.clone(),
                variable: b.var.clone(),
            }),
            _ => None,
        };
        let direct = (self.verdict == Verdict::OtherClientsOnly)
            .then_some("httpx reads none of the proxy variables set for this scheme");
        let clients = (!self.clients.is_empty()).then(|| {
            self.clients
                .iter()
                .map(|(c, d)| (c.name(), describe(d)))
                .collect()
        });
        RouteFacts {
            bypassed_by,
            clients,
            clients_differ: self.clients_differ(),
            direct,
            notes: self.notes.clone(),
            port_assumed,
            proxy: self.shown(),
            scheme_assumed,
            source: self.source.clone(),
        }
    }
}

/// What a route's facts say about the choice of proxy (the keys every
/// proxy stage reports), in alphabetical order as the report writes them.
#[derive(Debug, Clone, Serialize)]
pub struct RouteFacts {
    /// The `NO_PROXY` (or `--noproxy`) entry that sends the target direct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypassed_by: Option<BypassFacts>,
    /// Each client's decision in words, by client name (absent when flags
    /// decided).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<BTreeMap<&'static str, String>>,
    /// The clients that would decide otherwise than httpx.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients_differ: Vec<&'static str>,
    /// Why the target goes direct when only other clients use the proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<&'static str>,
    /// Where clients part from the verdict, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The port assumed when the URL names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_assumed: Option<String>,
    /// The proxy as shown (password masked).
    pub proxy: String,
    /// The scheme assumed when the value has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_assumed: Option<&'static str>,
    /// A variable name or `--proxy`.
    pub source: String,
}

/// The entry that sends a target direct.
#[derive(Debug, Clone, Serialize)]
pub struct BypassFacts {
    pub entry: String,
    /// `NO_PROXY`, `no_proxy` or `--noproxy`.
    pub variable: String,
}

/// A client's decision in words, the proxy password masked.
fn describe(d: &Decision) -> String {
    if let Some(e) = &d.error {
        return format!("fails: {e}");
    }
    match (&d.proxy, &d.bypass) {
        (Some(v), None) => format!("proxy {} ({})", shown_value(&v.value), v.name),
        (Some(_), Some(b)) => format!("direct ({} entry {})", b.var, b.entry),
        (None, _) => "direct (no proxy variable it reads)".to_owned(),
    }
}

/// A variable's value with the password masked, parsed or not.
pub fn shown_value(raw: &str) -> String {
    ProxyUrl::parse(raw).map_or_else(|_| url::redact_raw(raw), |u| u.to_string())
}

/// Where `target` goes, as the proxy rules see it.
pub fn dest(target: &Target) -> Option<Dest> {
    let scheme = match target.scheme {
        Scheme::Http | Scheme::Ws => "http",
        Scheme::Https | Scheme::Wss => "https",
        Scheme::Tcp => return None,
    };
    Some(Dest {
        scheme,
        host: target.host.to_ascii_lowercase(),
        port: target.port,
        explicit_port: target.url.port().is_some(),
    })
}

/// The route of `target`, or `None` when no proxy is configured for it
/// (`tcp://` targets are never proxied: clients do not proxy raw TCP).
pub fn route(settings: &ProxySettings, target: &Target) -> Option<Route> {
    let dest = dest(target)?;
    let mut notes = Vec::new();
    let noproxy_flag = settings.noproxy.as_ref().map(|list| Var {
        name: "--noproxy".to_owned(),
        value: list.clone(),
    });
    let (source, url, clients) = if let Some(p) = &settings.proxy {
        ("--proxy".to_owned(), Ok(p.clone()), Vec::new())
    } else {
        let decisions: Vec<(Client, Decision)> = Client::ALL
            .into_iter()
            .map(|c| (c, rules::decide(c, &settings.vars, &dest)))
            .collect();
        let verdict = &decisions[0].1;
        let chosen = verdict.proxy.clone().or_else(|| {
            // httpx reads no variable for this target, another client might.
            decisions.iter().find_map(|(_, d)| d.proxy.clone())
        })?;
        notes.extend(differences(&decisions, &dest));
        if verdict.proxy.is_none() {
            // Only other clients would use a proxy: report, but go direct.
            let shown = shown_value(&chosen.value);
            notes.insert(
                0,
                format!("httpx reads no proxy variable for this target; {chosen_name}={shown} applies to other clients only", chosen_name = chosen.name),
            );
            return Some(Route {
                source: chosen.name.clone(),
                url: ProxyUrl::parse(&chosen.value),
                verdict: Verdict::OtherClientsOnly,
                clients: if settings.noproxy.is_some() {
                    Vec::new()
                } else {
                    decisions
                },
                notes,
            });
        }
        let clients = if settings.noproxy.is_some() {
            Vec::new()
        } else {
            decisions
        };
        (chosen.name.clone(), ProxyUrl::parse(&chosen.value), clients)
    };
    let no_proxy = noproxy_flag.or_else(|| rules::python_var(&settings.vars, "no"));
    let bypass = match no_proxy {
        Some(np) => match rules::matches_no_proxy(&np.value, &dest) {
            Ok(entry) => entry.map(|entry| Bypass {
                var: np.name.clone(),
                entry,
            }),
            Err(e) => {
                notes.push(e);
                None
            }
        },
        None => None,
    };
    Some(Route {
        source,
        url,
        verdict: bypass.map_or(Verdict::Proxy, Verdict::Bypassed),
        clients,
        notes,
    })
}

/// The well-known reasons clients part from httpx, in words.
fn differences(decisions: &[(Client, Decision)], dest: &Dest) -> Vec<String> {
    let reference = &decisions[0].1;
    let mut notes = Vec::new();
    for (client, d) in &decisions[1..] {
        if d.same_route(reference) {
            continue;
        }
        let why = match (client, &reference.proxy) {
            (Client::Curl, Some(v)) if v.name == "HTTP_PROXY" && dest.scheme == "http" => {
                "curl ignores upper-case HTTP_PROXY (set http_proxy)".to_owned()
            }
            (Client::Urllib, Some(v)) if v.name.eq_ignore_ascii_case("all_proxy") => {
                "urllib ignores ALL_PROXY".to_owned()
            }
            _ => format!("{} would go {}", client.name(), describe(d)),
        };
        notes.push(why);
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> ProxySettings {
        ProxySettings {
            vars: ProxyVars::from_pairs(pairs),
            ..ProxySettings::default()
        }
    }

    #[test]
    fn no_variable_means_no_route() {
        let t = Target::parse("https://api.test/").unwrap();
        assert!(route(&settings(&[]), &t).is_none());
        let tcp = Target::parse("tcp://api.test:22").unwrap();
        assert!(route(&settings(&[("ALL_PROXY", "http://p:1")]), &tcp).is_none());
    }

    #[test]
    fn route_names_the_variable_and_masks_the_password() {
        let t = Target::parse("https://api.test/").unwrap();
        let r = route(
            &settings(&[("HTTPS_PROXY", "http://alice:s3cret@p.test:3128")]),
            &t,
        )
        .unwrap();
        assert!(r.proxied());
        assert_eq!(r.source, "HTTPS_PROXY");
        let facts = serde_json::to_string(&r.facts()).unwrap();
        assert!(!facts.contains("s3cret"), "{facts}");
        assert!(facts.contains("http://***@p.test:3128"), "{facts}");
    }

    #[test]
    fn curl_difference_is_explained() {
        let t = Target::parse("http://api.test/").unwrap();
        let r = route(&settings(&[("HTTP_PROXY", "http://p.test:3128")]), &t).unwrap();
        assert!(r.proxied());
        let facts = serde_json::to_value(r.facts()).unwrap();
        assert_eq!(
            facts["clients_differ"],
            serde_json::Value::from(vec!["curl"])
        );
        assert!(r.notes[0].contains("curl ignores upper-case HTTP_PROXY"));
    }

    #[test]
    fn facts_are_written_in_alphabetical_order() {
        let t = Target::parse("http://api.corp.test/").unwrap();
        let r = route(
            &settings(&[("HTTP_PROXY", "p.test"), ("NO_PROXY", "other.test")]),
            &t,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&r.facts()).unwrap(),
            concat!(
                r#"{"clients":{"curl":"direct (no proxy variable it reads)","#,
                r#""httpx":"proxy http://p.test:80 (HTTP_PROXY)","#,
                r#""requests":"proxy http://p.test:80 (HTTP_PROXY)","#,
                r#""urllib":"proxy http://p.test:80 (HTTP_PROXY)"},"#,
                r#""clients_differ":["curl"],"#,
                r#""notes":["curl ignores upper-case HTTP_PROXY (set http_proxy)"],"#,
                r#""port_assumed":"80 (httpx's default for http://; curl assumes 1080)","#,
                r#""proxy":"http://p.test:80","#,
                r#""scheme_assumed":"http:// (the value has no scheme; httpx, requests, urllib and curl assume http)","#,
                r#""source":"HTTP_PROXY"}"#
            )
        );
        let bypassed = route(
            &settings(&[
                ("HTTPS_PROXY", "http://p.test:3128"),
                ("NO_PROXY", "corp.test"),
            ]),
            &Target::parse("https://api.corp.test/").unwrap(),
        )
        .unwrap();
        let json = serde_json::to_string(&bypassed.facts()).unwrap();
        assert!(
            json.starts_with(
                r#"{"bypassed_by":{"entry":"corp.test","variable":"NO_PROXY"},"clients":{"#
            ),
            "{json}"
        );
    }

    #[test]
    fn flags_override_the_environment() {
        let t = Target::parse("https://api.corp.test/").unwrap();
        let mut s = settings(&[
            ("HTTPS_PROXY", "http://env.test:1"),
            ("NO_PROXY", "corp.test"),
        ]);
        s.proxy = Some(ProxyUrl::parse("http://flag.test:3128").unwrap());
        let r = route(&s, &t).unwrap();
        assert_eq!(r.source, "--proxy");
        assert!(matches!(&r.verdict, Verdict::Bypassed(b) if b.entry == "corp.test"));
        s.noproxy = Some("other.test".to_owned());
        let r = route(&s, &t).unwrap();
        assert!(r.proxied());
        assert!(r.clients.is_empty());
    }
}
