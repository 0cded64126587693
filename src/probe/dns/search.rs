//! Search-domain answers (`DNS_SEARCH_DOMAIN`).
//!
//! With `search corp.example` and `options ndots:5` (every Kubernetes pod),
//! a name with fewer than five dots is first asked as
//! `name.corp.example.`; a record there — typically a wildcard
//! `*.corp.example` — answers, and the client connects to that address, not
//! to the name's. This module builds the names glibc asks, in its order
//! ([`candidates`]); when the answer came for an expansion, the stage also
//! asks the name itself (`name.`, no search list) within its deadline,
//! records what it resolves to ([`AbsoluteFacts`]) and warns; every later
//! diagnosis of the target then gets a note in its hint ([`note`], called by
//! the pipeline), since a refused port or a wrong certificate there is the
//! wrong host's.
//!
//! Names meant for the search list are left alone: a single label
//! (`redis`), and a Kubernetes service name (the expansion is the cluster's
//! `svc` domain and the name itself does not exist).

use super::{Answer, DnsError, DnsFacts, NameResolver, Via};
use crate::diagnosis::{Code, Diagnosis, Layer};
use crate::probe::{Facts, StageReport};
use serde::Serialize;
use std::net::IpAddr;
use std::time::Instant;

/// The names glibc's `res_search` asks for `name`, in order, each absolute
/// (with the root dot): `name.` alone when it ends with a dot; else the
/// name itself first when it has at least `ndots` dots, then `name.domain.`
/// for each search domain, and the name itself last otherwise.
pub(super) fn candidates(name: &str, search: &[String], ndots: usize) -> Vec<String> {
    if name.ends_with('.') {
        return vec![name.to_owned()];
    }
    let own = format!("{name}.");
    let mut names: Vec<String> = Vec::new();
    for domain in search.iter().filter(|d| !d.is_empty()) {
        let expanded = format!("{name}.{domain}.");
        if expanded != own && !names.contains(&expanded) {
            names.push(expanded);
        }
    }
    if name.matches('.').count() >= ndots {
        names.insert(0, own);
    } else {
        names.push(own);
    }
    names
}

/// Whether an error ends the search list (glibc goes on after NXDOMAIN,
/// NODATA and SERVFAIL only).
pub(super) fn ends_search(e: &DnsError) -> bool {
    !matches!(
        e,
        DnsError::NxDomain { .. } | DnsError::NoRecords { .. } | DnsError::ServFail { .. }
    )
}

/// Whether `answer` came from a nameserver for a search-domain expansion of
/// `host` (a name with a dot: a single label is meant for the search list).
pub(super) fn expanded(answer: &Answer, host: &str) -> bool {
    let own = host.trim_end_matches('.').to_ascii_lowercase();
    matches!(answer.via, Via::Dns { .. }) && own.contains('.') && answer.name != own
}

/// What the name itself (`name.`, no search list) resolves to, beside an
/// answer that came for a search-domain expansion.
#[derive(Debug, Clone, Serialize)]
pub struct AbsoluteFacts {
    /// The name asked, with its root dot.
    pub name: String,
    /// Its addresses, when it has some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<String>>,
    /// Whether they differ from the expansion's (the client's) addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differs: Option<bool>,
    /// Whether the name exists (false: NXDOMAIN; absent: unknown, the
    /// lookup failed otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// The code its lookup ended with, when it has no address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Code>,
}

impl NameResolver {
    /// Asks for `host.` (no search list) before `deadline`, beside
    /// `answer`, which came for an expansion.
    pub(super) async fn absolute(
        &self,
        host: &str,
        answer: &Answer,
        deadline: Instant,
    ) -> AbsoluteFacts {
        let fqdn = format!("{}.", host.trim_end_matches('.').to_ascii_lowercase());
        let started = Instant::now();
        let asked = async {
            let resolver = self.client_for(&fqdn).await?;
            self.lookup(resolver, &fqdn, &fqdn).await
        };
        let result = tokio::time::timeout_at(deadline.into(), asked)
            .await
            .unwrap_or_else(|_| Err(self.timed_out(&fqdn, started.elapsed())));
        match result {
            Ok(own) => {
                let sorted = |a: &[IpAddr]| {
                    let mut v = a.to_vec();
                    v.sort();
                    v
                };
                AbsoluteFacts {
                    name: fqdn,
                    addresses: Some(own.addrs.iter().map(ToString::to_string).collect()),
                    differs: Some(sorted(&own.addrs) != sorted(&answer.addrs)),
                    exists: Some(true),
                    error: None,
                }
            }
            Err(e) => AbsoluteFacts {
                name: fqdn,
                addresses: None,
                differs: None,
                exists: match e {
                    DnsError::NxDomain { .. } => Some(false),
                    DnsError::NoRecords { .. } => Some(true),
                    _ => None,
                },
                error: Some(e.code()),
            },
        }
    }
}

/// An answer for a search-domain expansion, read from the stage's facts.
struct Expansion<'a> {
    host: String,
    resolved: &'a str,
    domain: &'a str,
    ndots: usize,
    addresses: String,
    absolute: &'a AbsoluteFacts,
}

impl<'a> Expansion<'a> {
    fn of(facts: &'a DnsFacts) -> Option<Self> {
        let absolute = facts.absolute.as_ref()?;
        let host = facts.host.trim_end_matches('.').to_ascii_lowercase();
        let resolved = facts.resolved_name.as_deref()?;
        let domain = resolved.strip_prefix(&host)?.strip_prefix('.')?;
        Some(Expansion {
            host,
            resolved,
            domain,
            ndots: facts.ndots.unwrap_or(1),
            addresses: facts.addresses.as_deref().unwrap_or_default().join(", "),
            absolute,
        })
    }

    /// `NAME answered as NAME.DOMAIN (search DOMAIN, ndots:N)`.
    fn asked(&self) -> String {
        format!(
            "{} answered as {} (search {}, ndots:{})",
            self.host, self.resolved, self.domain, self.ndots
        )
    }

    /// What the name itself resolves to, and what that means.
    fn absolute_clause(&self) -> String {
        let a = self.absolute;
        match (&a.addresses, a.differs, a.exists, a.error) {
            (Some(addrs), Some(true), ..) => format!(
                "the absolute name {} resolves to {}: the client connects to the wrong address",
                a.name,
                addrs.join(", ")
            ),
            (Some(_), ..) => format!(
                "the absolute name {} resolves to the same address, one search-domain lookup later",
                a.name
            ),
            (None, _, Some(false), _) => {
                format!("the absolute name {} does not exist either", a.name)
            }
            (None, _, Some(true), _) => {
                format!("the absolute name {} has no address either", a.name)
            }
            (None, _, None, code) => format!(
                "the absolute name {} could not be checked ({})",
                a.name,
                code.map_or_else(|| "no answer".to_owned(), Code::as_str)
            ),
        }
    }

    /// A Kubernetes service name: the expansion is the cluster's `svc`
    /// domain and the name itself does not exist.
    fn is_service_name(&self) -> bool {
        let svc = self.domain.contains(".svc.") || self.domain.starts_with("svc.");
        svc && self.absolute.exists == Some(false)
    }

    /// The fix, for this shape.
    fn hint(&self) -> String {
        let dots = self.host.matches('.').count();
        let fixes = format!(
            "write the name with a trailing dot (`{host}.`) in the client's URL or configuration, \
             or lower ndots to {dots} (Kubernetes: `dnsConfig: {{options: [{{name: ndots, value: \"{dots}\"}}]}}` \
             in the pod spec; Docker: `--dns-option ndots:{dots}`), or remove the record under {domain} \
             (often a wildcard `*.{domain}`)",
            host = self.host,
            domain = self.domain,
        );
        match (self.absolute.differs, self.absolute.exists) {
            (Some(true), _) => format!(
                "the client reaches {}'s address, not {}'s: {fixes}",
                self.resolved, self.host
            ),
            (Some(false), _) => format!(
                "harmless here (same address), but every lookup asks {} first: {fixes}",
                self.resolved
            ),
            _ => format!(
                "{} exists only through the search domain {} (a wildcard answers any name there): check the name's spelling and its DNS zone; to see the real failure, {fixes}",
                self.host, self.domain
            ),
        }
    }
}

/// The `DNS_SEARCH_DOMAIN` warning, when the answer came for an expansion
/// of a name that was not meant for the search list.
pub(super) fn diagnosis(facts: &DnsFacts) -> Option<Diagnosis> {
    let e = Expansion::of(facts)?;
    if e.is_service_name() {
        return None;
    }
    let summary = format!("{} → {}; {}", e.asked(), e.addresses, e.absolute_clause());
    Some(Diagnosis::new(Code::DnsSearchDomain, summary).with_hint(e.hint()))
}

/// The stage's line for an answer that came for an expansion: what was
/// asked, what answered and its addresses, first, for a line that is cut at
/// 100 characters (the resolver is in the facts, the absolute name in the
/// diagnosis).
pub(super) fn stage_line(facts: &DnsFacts, summary: &str) -> String {
    match Expansion::of(facts) {
        Some(e) => format!(
            "{} answered as {} → {} (search {}, ndots:{})",
            e.host, e.resolved, e.addresses, e.domain, e.ndots
        ),
        None => summary.to_owned(),
    }
}

/// Adds to `d` (a later stage's diagnosis of the same target) a note that
/// the dns stage's answer came for a search-domain expansion, when it did
/// (`stages`: the target's stages recorded so far).
pub fn note(stages: &[StageReport], d: &mut Diagnosis) {
    if d.layer == Layer::Dns {
        return;
    }
    let warned = |s: &&StageReport| {
        s.layer == Layer::Dns
            && s.diagnosis
                .as_ref()
                .is_some_and(|d| d.code == Code::DnsSearchDomain)
    };
    let Some(Facts::Dns(facts)) = stages.iter().find(warned).and_then(|s| s.facts.as_ref()) else {
        return;
    };
    let Some(e) = Expansion::of(facts) else {
        return;
    };
    let note = format!(
        "note: {} was answered by the search-domain expansion {} (search {}, ndots:{}) → {}; {}",
        e.host,
        e.resolved,
        e.domain,
        e.ndots,
        e.addresses,
        e.absolute_clause()
    );
    if !d.hint.contains(&note) {
        d.hint = format!("{}; {note}", d.hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search() -> Vec<String> {
        vec!["corp.example".to_owned(), "example.org".to_owned()]
    }

    #[test]
    fn names_are_asked_in_glibc_order() {
        assert_eq!(
            candidates("api.openai.com", &search(), 5),
            [
                "api.openai.com.corp.example.",
                "api.openai.com.example.org.",
                "api.openai.com."
            ]
        );
        assert_eq!(
            candidates("api.openai.com", &search(), 2),
            [
                "api.openai.com.",
                "api.openai.com.corp.example.",
                "api.openai.com.example.org."
            ]
        );
        assert_eq!(
            candidates("api.openai.com.", &search(), 5),
            ["api.openai.com."]
        );
        assert_eq!(candidates("redis", &[], 1), ["redis."]);
    }

    #[test]
    fn only_unreachable_servers_end_the_search_list() {
        let n = || ("n".to_owned(), "s".to_owned());
        let (name, servers) = n();
        assert!(!ends_search(&DnsError::NxDomain { name, servers }));
        let (name, servers) = n();
        assert!(!ends_search(&DnsError::ServFail { name, servers }));
        let (name, servers) = n();
        assert!(ends_search(&DnsError::Refused { name, servers }));
    }

    fn facts(absolute: AbsoluteFacts, domain: &str) -> DnsFacts {
        DnsFacts {
            absolute: Some(absolute),
            addresses: Some(vec!["127.0.0.2".to_owned()]),
            host: "api.example.test".to_owned(),
            ndots: Some(5),
            resolved_name: Some(format!("api.example.test.{domain}")),
            ..DnsFacts::default()
        }
    }

    fn absent() -> AbsoluteFacts {
        AbsoluteFacts {
            name: "api.example.test.".to_owned(),
            addresses: None,
            differs: None,
            exists: Some(false),
            error: Some(Code::DnsNxdomain),
        }
    }

    #[test]
    fn a_wildcard_answer_warns_with_the_absolute_names_address() {
        let abs = AbsoluteFacts {
            addresses: Some(vec!["127.0.0.1".to_owned()]),
            differs: Some(true),
            exists: Some(true),
            error: None,
            ..absent()
        };
        let d = diagnosis(&facts(abs, "corp.example")).unwrap();
        assert_eq!(d.code, Code::DnsSearchDomain);
        assert!(d.summary.contains("answered as api.example.test.corp.example (search corp.example, ndots:5) → 127.0.0.2"), "{}", d.summary);
        assert!(
            d.summary
                .contains("resolves to 127.0.0.1: the client connects to the wrong address"),
            "{}",
            d.summary
        );
        assert!(d.hint.contains("`api.example.test.`"), "{}", d.hint);
    }

    #[test]
    fn kubernetes_service_names_do_not_warn() {
        let f = facts(absent(), "default.svc.cluster.local");
        assert!(diagnosis(&f).is_none());
        let d = diagnosis(&facts(absent(), "corp.example")).unwrap();
        assert!(d.summary.contains("does not exist either"), "{}", d.summary);
    }
}
