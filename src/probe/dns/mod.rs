//! The `dns` stage: from a host name to addresses, as the container would.
//!
//! Order, as glibc does it: an IP literal needs no lookup; `--connect-to`
//! and `--resolve` pin names (curl semantics); `/etc/hosts` comes first;
//! then the nameservers of `/etc/resolv.conf` (with its search, ndots,
//! timeout and attempts options) or of `--resolver`. With no nameserver
//! configured, glibc asks 127.0.0.1:53, and so does this stage.
//!
//! [`NameResolver`] is built once per run and resolves every name
//! netdoctor needs (targets now, proxies and `--connect-to` hosts too), so
//! the same pins and resolver apply everywhere. The DNS client inside it is
//! built on the first lookup that needs a nameserver, never for names that
//! are literals, pinned or in `/etc/hosts`: building it seeds a random
//! generator (query IDs, source ports), and a root without `/dev` has no
//! entropy source for a static binary (see [`entropy`]), which is then
//! `DNS_NO_ENTROPY` rather than an abort.
//!
//! The search list is walked here, not by the DNS client, so that the stage
//! knows which name answered: an answer for a search-domain expansion
//! (`name.search.domain`) is a warning, `DNS_SEARCH_DOMAIN` ([`search`]).

mod search;
mod settings;

pub(crate) use search::note as note_search_answer;

use super::StageResult;
use super::{ConnectTo, Family, ProbeConfig, ResolveEntry};
use crate::diagnosis::{Code, Diagnosis};
use crate::target::Target;
use hickory_resolver::config::{LookupIpStrategy, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use serde::Serialize;
use settings::{name_server, server_settings};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Where the nameservers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerSource {
    Flag,
    ResolvConf,
    /// No nameserver configured: glibc's 127.0.0.1:53 fallback.
    Fallback,
}

impl ServerSource {
    fn describe(self) -> &'static str {
        match self {
            ServerSource::Flag => "--resolver",
            ServerSource::ResolvConf => "/etc/resolv.conf",
            ServerSource::Fallback => "fallback 127.0.0.1:53 (no nameserver configured)",
        }
    }
}

/// A name resolution failure, with the name and the servers asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    #[error("{name} does not exist (NXDOMAIN from {servers})")]
    NxDomain { name: String, servers: String },
    #[error("{name} exists but has no A/AAAA record (answer from {servers})")]
    NoRecords { name: String, servers: String },
    #[error("{servers} answered SERVFAIL for {name}")]
    ServFail { name: String, servers: String },
    #[error("{servers} refused to answer for {name} (REFUSED)")]
    Refused { name: String, servers: String },
    #[error("no answer from {servers} for {name} within {} ms", after.as_millis())]
    Timeout {
        name: String,
        servers: String,
        after: Duration,
    },
    #[error("no nameserver is configured and nothing answers on 127.0.0.1:53 ({detail})")]
    NoResolver { name: String, detail: String },
    #[error("{servers} sent an answer for {name} that cannot be decoded: {detail}")]
    Malformed {
        name: String,
        servers: String,
        detail: String,
    },
    #[error("cannot ask {servers} for {name}: netdoctor has no entropy source for random query IDs and ports ({detail})")]
    NoEntropy {
        name: String,
        servers: String,
        detail: String,
    },
    #[error("looking up {name} at {servers} failed: {detail}")]
    Failed {
        name: String,
        servers: String,
        detail: String,
    },
}

impl DnsError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            DnsError::NxDomain { .. } => Code::DnsNxdomain,
            DnsError::NoRecords { .. } => Code::DnsNoRecords,
            DnsError::ServFail { .. } | DnsError::Failed { .. } => Code::DnsServfail,
            DnsError::Refused { .. } => Code::DnsRefused,
            DnsError::Timeout { .. } => Code::DnsTimeout,
            DnsError::NoResolver { .. } => Code::DnsNoResolver,
            DnsError::Malformed { .. } => Code::DnsMalformed,
            DnsError::NoEntropy { .. } => Code::DnsNoEntropy,
        }
    }
}

/// The dns stage's facts, as the report shows them (keys in alphabetical
/// order, as before they were typed). The answer's fields are absent when
/// the lookup failed; the resolver's configuration is present only when a
/// nameserver was (or would have been) asked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsFacts {
    /// What the name itself (`name.`, no search list) resolves to, when the
    /// answer came for a search-domain expansion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absolute: Option<search::AbsoluteFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnames: Option<Vec<String>>,
    /// `host:port` when `--connect-to` rewrote the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_to: Option<String>,
    /// The name looked up (after `--connect-to`).
    pub host: String,
    /// Whether `/etc/hosts` was readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts_file: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ndots: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_name: Option<String>,
    /// The nameservers asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<Vec<String>>,
    /// How the answer was found (literal, pin, hosts file, resolver).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// How an answer was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Literal,
    Resolve,
    Hosts,
    Dns { servers: String },
}

/// Addresses for one name.
#[derive(Debug, Clone)]
pub struct Answer {
    pub addrs: Vec<IpAddr>,
    pub via: Via,
    pub cnames: Vec<String>,
    /// The name that answered (after the search list).
    pub name: String,
}

impl Answer {
    /// Whether the addresses were pinned (literal, `--resolve`).
    pub fn pinned(&self) -> bool {
        matches!(self.via, Via::Literal | Via::Resolve)
    }
}

/// Resolves names under the run's settings (pins, hosts file, resolver).
pub struct NameResolver {
    pins: Vec<ResolveEntry>,
    hosts: Vec<(IpAddr, Vec<String>)>,
    hosts_present: bool,
    servers: Vec<SocketAddr>,
    source: ServerSource,
    search: Vec<String>,
    ndots: usize,
    family: Family,
    /// What the DNS client is built from, on the first lookup that needs it.
    setup: (ResolverConfig, ResolverOpts),
    /// The DNS client, or why it cannot be built; shared by the run.
    resolver: tokio::sync::OnceCell<Result<TokioResolver, DnsSetupError>>,
    timeout: Duration,
}

/// Why the DNS client could not be built.
#[derive(Debug, Clone)]
enum DnsSetupError {
    /// No entropy source (see [`entropy`]).
    NoEntropy(String),
    /// hickory refused the configuration.
    Build(String),
}

/// Whether this process can have random bytes, asked the way the DNS
/// client's random generator asks (the `getrandom` crate). A static glibc
/// binary cannot find libc's `getrandom` (getrandom's `dlsym` finds nothing
/// in a static executable) and falls back to polling `/dev/random` and
/// reading `/dev/urandom`: in a root without `/dev` that fails, and the
/// generator would panic. Asking first turns that into an error.
fn entropy() -> Result<(), String> {
    let mut probe = [0u8; 16];
    getrandom::fill(&mut probe)
        .map_err(|e| format!("{e}: the root has no /dev/random or /dev/urandom"))
}

impl NameResolver {
    /// Reads `/etc/resolv.conf` and `/etc/hosts` (under the sysroot) once.
    pub fn new(cfg: &ProbeConfig) -> Self {
        let hosts_text = std::fs::read_to_string(cfg.sysroot.path("/etc/hosts")).ok();
        let hosts = hosts_text
            .as_deref()
            .map(crate::hosts::parse)
            .unwrap_or_default();
        let (servers, source, search, mut opts) = server_settings(cfg);
        opts.ip_strategy = match cfg.family {
            Family::Any => LookupIpStrategy::Ipv4AndIpv6,
            Family::V4 => LookupIpStrategy::Ipv4Only,
            Family::V6 => LookupIpStrategy::Ipv6Only,
        };
        opts.use_hosts_file = ResolveHosts::Never;
        opts.cache_size = 0;
        opts.preserve_intermediates = true;
        opts.timeout = opts.timeout.min(cfg.timeout);
        let ndots = opts.ndots;
        // Every name is asked absolute: the search list is walked here.
        let config = ResolverConfig::from_parts(
            None,
            vec![],
            servers.iter().map(|sa| name_server(*sa)).collect(),
        );
        NameResolver {
            pins: cfg.resolve.clone(),
            hosts,
            hosts_present: hosts_text.is_some(),
            servers,
            source,
            search,
            ndots,
            family: cfg.family,
            setup: (config, opts),
            resolver: tokio::sync::OnceCell::new(),
            timeout: cfg.timeout,
        }
    }

    /// The DNS client, built on first use (after checking for entropy).
    async fn client(&self) -> &Result<TokioResolver, DnsSetupError> {
        self.resolver
            .get_or_init(|| async {
                entropy().map_err(DnsSetupError::NoEntropy)?;
                let (config, opts) = self.setup.clone();
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                    .with_options(opts)
                    .build()
                    .map_err(|e| DnsSetupError::Build(e.to_string()))
            })
            .await
    }

    fn servers_text(&self) -> String {
        let list: Vec<String> = self.servers.iter().map(ToString::to_string).collect();
        list.join(", ")
    }

    /// Resolves `host` (for a connection to `port`).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Answer, DnsError> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(Answer {
                addrs: self.filter_family(vec![ip]),
                via: Via::Literal,
                cnames: vec![],
                name: literal.to_owned(),
            });
        }
        // Pins and /etc/hosts match without the root dot; the lookup keeps
        // it, so that `name.` skips the search list, as in glibc.
        let lower = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(pin) = self.pins.iter().find(|p| p.host == lower && p.port == port) {
            return Ok(Answer {
                addrs: self.filter_family(pin.addrs.clone()),
                via: Via::Resolve,
                cnames: vec![],
                name: lower.clone(),
            });
        }
        let from_hosts: Vec<IpAddr> = self
            .hosts
            .iter()
            .filter(|(_, names)| names.contains(&lower))
            .map(|(ip, _)| *ip)
            .collect();
        let from_hosts = self.filter_family(from_hosts);
        if !from_hosts.is_empty() {
            return Ok(Answer {
                addrs: from_hosts,
                via: Via::Hosts,
                cnames: vec![],
                name: lower.clone(),
            });
        }
        self.query(&host.to_ascii_lowercase()).await
    }

    fn filter_family(&self, addrs: Vec<IpAddr>) -> Vec<IpAddr> {
        addrs
            .into_iter()
            .filter(|ip| match self.family {
                Family::Any => true,
                Family::V4 => ip.is_ipv4(),
                Family::V6 => ip.is_ipv6(),
            })
            .collect()
    }

    /// The DNS client, or the error that it cannot be built.
    async fn client_for(&self, name: &str) -> Result<&TokioResolver, DnsError> {
        let servers = self.servers_text();
        match self.client().await {
            Ok(r) => Ok(r),
            Err(DnsSetupError::NoEntropy(detail)) => Err(DnsError::NoEntropy {
                name: name.to_owned(),
                servers,
                detail: detail.clone(),
            }),
            Err(DnsSetupError::Build(detail)) => Err(DnsError::Failed {
                name: name.to_owned(),
                servers,
                detail: detail.clone(),
            }),
        }
    }

    /// Asks the nameservers as glibc does: the search list and ndots decide
    /// the names tried, in order ([`search::candidates`]), and the first
    /// that has addresses answers. NXDOMAIN, no records and SERVFAIL go on
    /// to the next name; a server that cannot be asked (a timeout, REFUSED,
    /// an answer that cannot be decoded) ends the search list, though the
    /// name itself is still tried. When nothing answers, the error is the
    /// name's own, as glibc reports it, not the last expansion's.
    async fn query(&self, name: &str) -> Result<Answer, DnsError> {
        let resolver = self.client_for(name).await?;
        let mut own = None;
        let mut stopped = false;
        for candidate in search::candidates(name, &self.search, self.ndots) {
            let is_own = candidate.trim_end_matches('.') == name.trim_end_matches('.');
            if stopped && !is_own {
                continue;
            }
            match self.lookup(resolver, &candidate, name).await {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    stopped |= search::ends_search(&e);
                    if is_own {
                        own = Some(e);
                    }
                }
            }
        }
        Err(own.unwrap_or_else(|| DnsError::Failed {
            name: name.to_owned(),
            servers: self.servers_text(),
            detail: "no name to ask".to_owned(),
        }))
    }

    /// One absolute name (`fqdn`, with its root dot) asked of the
    /// nameservers; errors name `asked`, the name as the user wrote it.
    async fn lookup(
        &self,
        resolver: &TokioResolver,
        fqdn: &str,
        asked: &str,
    ) -> Result<Answer, DnsError> {
        let servers = self.servers_text();
        match resolver.lookup_ip(fqdn).await {
            Ok(lookup) => {
                let addrs: Vec<IpAddr> = lookup.iter().collect();
                let cnames = lookup
                    .as_lookup()
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::CNAME(c) => Some(c.0.to_string().trim_end_matches('.').to_owned()),
                        _ => None,
                    })
                    .collect();
                if addrs.is_empty() {
                    return Err(DnsError::NoRecords {
                        name: asked.to_owned(),
                        servers,
                    });
                }
                Ok(Answer {
                    addrs,
                    via: Via::Dns { servers },
                    cnames,
                    name: fqdn.trim_end_matches('.').to_owned(),
                })
            }
            Err(e) => Err(self.classify(asked, &e)),
        }
    }

    fn classify(&self, name: &str, e: &NetError) -> DnsError {
        let name = name.to_owned();
        let servers = self.servers_text();
        let unreachable = matches!(
            e,
            NetError::Timeout | NetError::NoConnections | NetError::Io(_)
        );
        if self.source == ServerSource::Fallback && unreachable {
            return DnsError::NoResolver {
                name,
                detail: e.to_string(),
            };
        }
        match e {
            NetError::Dns(HickoryDnsError::NoRecordsFound(nr)) => {
                if nr.response_code == ResponseCode::NXDomain {
                    DnsError::NxDomain { name, servers }
                } else {
                    DnsError::NoRecords { name, servers }
                }
            }
            NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::Refused)) => {
                DnsError::Refused { name, servers }
            }
            NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::ServFail)) => {
                DnsError::ServFail { name, servers }
            }
            NetError::Timeout => DnsError::Timeout {
                name,
                servers,
                after: self.timeout,
            },
            NetError::Proto(p) => DnsError::Malformed {
                name,
                servers,
                detail: p.to_string(),
            },
            other => DnsError::Failed {
                name,
                servers,
                detail: other.to_string(),
            },
        }
    }

    /// The error for a lookup that did not finish in time.
    fn timed_out(&self, name: &str, after: Duration) -> DnsError {
        if self.source == ServerSource::Fallback {
            return DnsError::NoResolver {
                name: name.to_owned(),
                detail: format!("no answer within {} ms", after.as_millis()),
            };
        }
        DnsError::Timeout {
            name: name.to_owned(),
            servers: self.servers_text(),
            after,
        }
    }

    /// Adds the resolver configuration to the stage's facts.
    fn add_config(&self, facts: &mut DnsFacts) {
        facts.resolver = Some(self.servers.iter().map(ToString::to_string).collect());
        facts.resolver_source = Some(self.source.describe());
        facts.search = Some(self.search.clone());
        facts.ndots = Some(self.ndots);
        facts.hosts_file = Some(self.hosts_present);
    }
}

/// The host and port actually connected to, after `--connect-to`.
pub fn connect_endpoint(target: &Target, rules: &[ConnectTo]) -> (String, u16, bool) {
    let host = target.host.to_ascii_lowercase();
    for rule in rules {
        let host_ok = rule.host.as_deref().is_none_or(|h| h == host);
        let port_ok = rule.port.is_none_or(|p| p == target.port);
        if host_ok && port_ok {
            let to_host = rule.to_host.clone().unwrap_or_else(|| target.host.clone());
            return (to_host, rule.to_port.unwrap_or(target.port), true);
        }
    }
    (target.host.clone(), target.port, false)
}

/// Runs the dns stage for a target: the addresses to connect to.
pub async fn stage(
    resolver: &NameResolver,
    target: &Target,
    cfg: &ProbeConfig,
    deadline: Instant,
) -> StageResult<Vec<SocketAddr>> {
    let (host, port, rewritten) = connect_endpoint(target, &cfg.connect_to);
    let mut facts = DnsFacts {
        connect_to: rewritten.then(|| format!("{host}:{port}")),
        host: host.clone(),
        ..DnsFacts::default()
    };
    let started = Instant::now();
    let lookup = tokio::time::timeout_at(deadline.into(), resolver.resolve(&host, port)).await;
    let result = lookup.unwrap_or_else(|_| Err(resolver.timed_out(&host, started.elapsed())));
    match result {
        Ok(answer) => {
            // An answer for a search-domain expansion: what does the name
            // itself resolve to? (Within the same deadline.)
            if search::expanded(&answer, &host) {
                facts.absolute = Some(resolver.absolute(&host, &answer, deadline).await);
            }
            answered(resolver, answer, facts, port, rewritten)
        }
        Err(e) => {
            resolver.add_config(&mut facts);
            let d = Diagnosis::new(e.code(), e.to_string());
            StageResult::fail(d, facts)
        }
    }
}

/// The stage's result once the name has addresses.
fn answered(
    resolver: &NameResolver,
    answer: Answer,
    mut facts: DnsFacts,
    port: u16,
    rewritten: bool,
) -> StageResult<Vec<SocketAddr>> {
    let addrs: Vec<String> = answer.addrs.iter().map(ToString::to_string).collect();
    let source = match &answer.via {
        Via::Literal => "IP address (no lookup)".to_owned(),
        Via::Resolve => "pinned by --resolve".to_owned(),
        Via::Hosts => "/etc/hosts".to_owned(),
        Via::Dns { servers } => {
            resolver.add_config(&mut facts);
            format!("resolver {servers}")
        }
    };
    facts.addresses = Some(addrs.clone());
    facts.pinned = Some(answer.pinned() || rewritten);
    facts.cnames = Some(answer.cnames.clone());
    facts.resolved_name = Some(answer.name);
    facts.source = Some(source.clone());
    let host = facts.host.clone();
    if answer.addrs.is_empty() {
        let d = Diagnosis::new(
            Code::DnsNoRecords,
            format!("{host} has no address of the family asked for (-4/-6)"),
        );
        return StageResult::fail(d, facts);
    }
    let mut summary = format!("{} ({source})", addrs.join(", "));
    if rewritten {
        summary = format!("--connect-to {host}:{port} → {summary}");
    }
    if !answer.cnames.is_empty() {
        summary = format!("{summary} via CNAME {}", answer.cnames.join(" → "));
    }
    let sockets = answer
        .addrs
        .iter()
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    if let Some(d) = search::diagnosis(&facts) {
        let line = search::stage_line(&facts, &summary);
        return StageResult::warn(d, line, facts, sockets);
    }
    StageResult::pass(summary, facts, sockets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_rules_match_like_curl() {
        let t = Target::parse("https://a.test:443/").unwrap();
        let any = ConnectTo {
            host: None,
            port: None,
            to_host: Some("b.test".into()),
            to_port: Some(8443),
        };
        assert_eq!(connect_endpoint(&t, &[any]), ("b.test".into(), 8443, true));
        let other = ConnectTo {
            host: Some("c.test".into()),
            port: None,
            to_host: None,
            to_port: Some(1),
        };
        assert_eq!(
            connect_endpoint(&t, &[other]),
            ("a.test".into(), 443, false)
        );
    }
}
