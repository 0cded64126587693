//! Where the dns stage's nameservers, search list and options come from:
//! `/etc/resolv.conf` under the sysroot, `--resolver`, or glibc's
//! 127.0.0.1:53 fallback.

use super::ServerSource;
use crate::probe::ProbeConfig;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverOpts};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The DNS client's configuration of one nameserver: UDP and TCP on its port.
pub(super) fn name_server(sa: SocketAddr) -> NameServerConfig {
    let conn = |protocol| {
        let mut c = ConnectionConfig::new(protocol);
        c.port = sa.port();
        c
    };
    let mut ns = NameServerConfig::udp_and_tcp(sa.ip());
    ns.connections = vec![conn(ProtocolConfig::Udp), conn(ProtocolConfig::Tcp)];
    ns
}

pub(super) type ServerSettings = (Vec<SocketAddr>, ServerSource, Vec<String>, ResolverOpts);

/// The nameservers, their source, the search list and options.
///
/// `--resolver` replaces the nameservers only: names are still formed with
/// `/etc/resolv.conf`'s search list and ndots (as `nslookup NAME SERVER` and
/// `host NAME SERVER` do), so pointing it at a cluster's DNS asks what the
/// pod's clients ask; `name.` skips the search list. Its timeout and
/// attempts stay the client's defaults (they belong to the replaced servers).
pub(super) fn server_settings(cfg: &ProbeConfig) -> ServerSettings {
    let fallback = || vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)];
    let text = crate::sysroot::read_file(&cfg.sysroot.path("/etc/resolv.conf")).ok();
    // Lines glibc would skip are skipped; the rest still counts.
    let conf = text
        .as_deref()
        .map(|t| resolv_conf::Config::parse_with_errors(t).0);
    let search: Vec<String> = conf.as_ref().map_or_else(Vec::new, |conf| {
        conf.get_last_search_or_domain()
            .filter(|d| *d != "--")
            .map(|d| d.trim_end_matches('.').to_owned())
            .collect()
    });
    let mut opts = ResolverOpts::default();
    if let Some(conf) = &conf {
        opts.ndots = usize::try_from(conf.ndots).unwrap_or(1);
    }
    if let Some(addr) = cfg.resolver {
        return (vec![addr], ServerSource::Flag, search, opts);
    }
    let Some(conf) = conf else {
        return (fallback(), ServerSource::Fallback, vec![], opts);
    };
    opts.timeout = Duration::from_secs(u64::from(conf.timeout.max(1)));
    opts.attempts = usize::try_from(conf.attempts.max(1)).unwrap_or(2);
    let servers: Vec<SocketAddr> = conf
        .nameservers
        .iter()
        .map(|ip| SocketAddr::new(IpAddr::from(ip.clone()), 53))
        .collect();
    if servers.is_empty() {
        return (fallback(), ServerSource::Fallback, search, opts);
    }
    (servers, ServerSource::ResolvConf, search, opts)
}
