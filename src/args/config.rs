//! From parsed arguments to a checked [`Config`].
//!
//! The value parsers here are used by clap (so a bad value is a usage error
//! naming the flag); [`Config::from_check`] then validates what needs more
//! than one value at a time (URLs, headers) and fills in the pipeline's
//! [`ProbeConfig`]; the preset commands hand their values to `presets`.

use super::flags::{
    AzureOpenaiArgs, AzureSpeechArgs, CheckArgs, ColorChoice, Format, OpenaiArgs, OutputArgs,
    ProbeArgs, RunArgs,
};
use super::UsageError;
use crate::diagnosis::Expect;
use crate::presets;
use crate::probe::{
    Check, ConnectTo, Family, ProbeConfig, RequestSpec, ResolveEntry, ResolverAddr,
};
use crate::proxy::rules::ProxyVars;
use crate::proxy::{ProxySettings, ProxyUrl};
use crate::sysroot::Sysroot;
use crate::target::Target;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How the run is reported and repeated.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) format: Format,
    pub(crate) color: ColorChoice,
    pub(crate) verbose: bool,
    pub(crate) jobs: usize,
    pub(crate) repeat: u32,
    pub(crate) interval: Option<Duration>,
}

impl From<OutputArgs> for Output {
    fn from(o: OutputArgs) -> Self {
        Output {
            format: o.format,
            color: o.color,
            verbose: o.verbose,
            jobs: usize::from(o.jobs),
            repeat: o.repeat,
            interval: o.interval,
        }
    }
}

/// A checked run.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) checks: Vec<Check>,
    pub(crate) output: Output,
}

impl Config {
    /// Validates `netdoctor check` arguments: every URL shares the options.
    pub(crate) fn from_check(args: CheckArgs) -> Result<Self, UsageError> {
        let output = Output::from(args.output);
        let (targets, probe) =
            targets_and_probe(args.urls, args.headers, args.method, args.data, args.probe)?;
        let probe = Arc::new(probe);
        let mut checks: Vec<Check> = targets
            .into_iter()
            .map(|target| Check {
                target,
                probe: probe.clone(),
                expect: Expect::Pass,
            })
            .collect();
        assign_chain_files(&mut checks);
        Ok(Config { checks, output })
    }

    /// Validates `netdoctor azure-speech`.
    pub(crate) fn from_azure_speech(args: AzureSpeechArgs) -> Result<Self, UsageError> {
        use presets::azure_speech;
        let key = azure_speech::key(args.key);
        let targets = azure_speech::targets(&azure_speech::Options {
            region: args.region.as_deref(),
            endpoint: args.endpoint.as_deref(),
            language: &args.language,
            key: key.as_deref(),
            token: args.token,
        })?;
        let (_, base) = targets_and_probe(Vec::new(), Vec::new(), None, None, args.probe)?;
        let mut checks = presets::into_checks(&base, targets);
        azure_speech::split_for_proxy(&mut checks);
        azure_speech::link_token(&mut checks);
        Ok(Config {
            checks,
            output: Output::from(args.output),
        })
    }

    /// Validates `netdoctor openai`.
    pub(crate) fn from_openai(args: OpenaiArgs) -> Result<Self, UsageError> {
        let targets = presets::openai::targets(&presets::openai::Options {
            base_url: &args.base_url,
            key: args.key.as_deref().filter(|k| !k.trim().is_empty()),
            stream: args.stream,
            realtime: args.realtime,
            model: args.model.as_deref(),
        })?;
        let (_, base) = targets_and_probe(Vec::new(), Vec::new(), None, None, args.probe)?;
        Ok(Config {
            checks: presets::into_checks(&base, targets),
            output: Output::from(args.output),
        })
    }

    /// Validates `netdoctor azure-openai`.
    pub(crate) fn from_azure_openai(args: AzureOpenaiArgs) -> Result<Self, UsageError> {
        let targets = presets::azure_openai::targets(&presets::azure_openai::Options {
            endpoint: &args.endpoint,
            deployment: &args.deployment,
            api_version: &args.api_version,
            key: args.key.as_deref().filter(|k| !k.trim().is_empty()),
            stream: args.stream,
        })?;
        let (_, base) = targets_and_probe(Vec::new(), Vec::new(), None, None, args.probe)?;
        Ok(Config {
            checks: presets::into_checks(&base, targets),
            output: Output::from(args.output),
        })
    }

    /// Validates `netdoctor run FILE`: every check has its own options.
    pub(crate) fn from_run(args: RunArgs) -> Result<Self, UsageError> {
        let mut checks = super::checkfile::load(&args.file)?;
        assign_chain_files(&mut checks);
        Ok(Config {
            checks,
            output: Output::from(args.output),
        })
    }
}

/// Gives each check that has `--save-chain` its file: PATH itself when one
/// target saves its chain, else `PATH/<n>-<host>.pem` (n counts from 1 in
/// input order).
fn assign_chain_files(checks: &mut [Check]) {
    let saving = checks
        .iter()
        .filter(|c| c.probe.save_chain.is_some())
        .count();
    for (i, check) in checks.iter_mut().enumerate() {
        let Some(path) = check.probe.save_chain.clone() else {
            continue;
        };
        check.target.save_chain = Some(if saving == 1 {
            path
        } else {
            let host: String = check
                .target
                .host
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            path.join(format!("{}-{host}.pem", i + 1))
        });
    }
}

/// The targets and probe options of `check`-style arguments.
pub(crate) fn targets_and_probe(
    urls: Vec<String>,
    headers: Vec<String>,
    method: Option<String>,
    data: Option<String>,
    p: ProbeArgs,
) -> Result<(Vec<Target>, ProbeConfig), UsageError> {
    let targets = urls
        .iter()
        .map(|u| Target::parse(u).map_err(|e| UsageError(format!("invalid URL {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let headers = headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(m) = &method {
        if m.is_empty()
            || !m
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(UsageError(format!(
                "invalid value '{m}' for '--request <METHOD>': not an HTTP method"
            )));
        }
    }
    let family = match (p.ipv4, p.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    let probe = ProbeConfig {
        timeout: p.timeout,
        max_time: p.max_time,
        cacert: p.cacert,
        resolve: p.resolve,
        connect_to: p.connect_to,
        resolver: p.resolver.map(|r| r.0),
        family,
        insecure: p.insecure,
        expect_status: p.expect_status,
        request: RequestSpec {
            method,
            headers,
            plain_headers: Vec::new(),
            body: data.as_deref().map(read_data).transpose()?,
        },
        sysroot: Sysroot::from_env(),
        proxy: ProxySettings {
            vars: ProxyVars::from_env(),
            proxy: p.proxy,
            noproxy: p.noproxy,
        },
        proxy_cacert: p.proxy_cacert,
        preset: None,
        save_chain: p.save_chain,
    };
    Ok((targets, probe))
}

/// curl's `-d`: `@FILE` (or `@-` for stdin) reads the body from a file with
/// carriage returns and newlines removed; anything else is the body.
fn read_data(data: &str) -> Result<Vec<u8>, UsageError> {
    let Some(path) = data.strip_prefix('@') else {
        return Ok(data.as_bytes().to_vec());
    };
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|e| {
        UsageError(format!(
            "invalid value '{data}' for '--data <DATA>': cannot read {path}: {e}"
        ))
    })?;
    Ok(bytes
        .into_iter()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect())
}

fn parse_header(h: &str) -> Result<(String, String), UsageError> {
    let bad = |why: &str| {
        UsageError(format!(
            "invalid value for '--header <HEADER>': {why} (expected 'Name: value')"
        ))
    };
    let (name, value) = h.split_once(':').ok_or_else(|| bad("no ':'"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(bad("the name is not a valid header name"));
    }
    let value = value.trim();
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(bad("the value has a line break"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_port(s: &str, what: &str) -> Result<u16, String> {
    s.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("`{s}` is not a valid {what} (1-65535)"))
}

fn parse_ip(s: &str) -> Result<IpAddr, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    inner
        .parse()
        .map_err(|_| format!("`{s}` is not an IP address"))
}

/// Parses curl's `--resolve HOST:PORT:ADDR[,ADDR…]`.
pub(crate) fn parse_resolve(s: &str) -> Result<ResolveEntry, String> {
    let mut parts = s.splitn(3, ':');
    let (Some(host), Some(port), Some(addrs)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected HOST:PORT:ADDR[,ADDR…]".to_owned());
    };
    if host.is_empty() {
        return Err("the HOST part is empty".to_owned());
    }
    let addrs = addrs
        .split(',')
        .map(parse_ip)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ResolveEntry {
        host: host.trim_start_matches('+').to_ascii_lowercase(),
        port: parse_port(port, "port")?,
        addrs,
    })
}

/// Splits on `:` outside `[…]`, so that IPv6 literals stay whole; the
/// brackets are dropped.
fn split_host_port_fields(s: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut in_brackets = false;
    for c in s.chars() {
        match c {
            '[' if !in_brackets => in_brackets = true,
            ']' if in_brackets => in_brackets = false,
            ':' if !in_brackets => fields.push(String::new()),
            _ => fields.last_mut().map_or((), |f| f.push(c)),
        }
    }
    fields
}

/// Parses curl's `--connect-to HOST:PORT:HOST2:PORT2` (empty fields allowed).
pub(crate) fn parse_connect_to(s: &str) -> Result<ConnectTo, String> {
    let f = split_host_port_fields(s);
    if f.len() != 4 {
        return Err("expected HOST:PORT:HOST2:PORT2 (fields may be empty)".to_owned());
    }
    let opt_port = |p: &str, what: &str| -> Result<Option<u16>, String> {
        if p.is_empty() {
            Ok(None)
        } else {
            parse_port(p, what).map(Some)
        }
    };
    let opt_host = |h: &str| (!h.is_empty()).then(|| h.to_ascii_lowercase());
    Ok(ConnectTo {
        host: opt_host(&f[0]),
        port: opt_port(&f[1], "port")?,
        to_host: opt_host(&f[2]),
        to_port: opt_port(&f[3], "port")?,
    })
}

/// Parses `--proxy URL` (a missing scheme means `http://`, as in curl).
pub(crate) fn parse_proxy(s: &str) -> Result<ProxyUrl, String> {
    ProxyUrl::parse(s).map_err(|e| e.to_string())
}

/// Parses `--resolver ADDR[:PORT]` (`[::1]:5353` for IPv6 with a port).
pub(crate) fn parse_resolver(s: &str) -> Result<ResolverAddr, String> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(ResolverAddr(sa));
    }
    parse_ip(s).map(|ip| ResolverAddr(SocketAddr::new(ip, 53)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries() {
        let r = parse_resolve("Good.test:443:127.0.0.1,[::1]").unwrap();
        assert_eq!(r.host, "good.test");
        assert_eq!(r.addrs.len(), 2);
        assert!(parse_resolve("good.test:443").is_err());
        assert!(parse_resolve("good.test:x:127.0.0.1").is_err());
        assert!(parse_resolve("good.test:443:nope").is_err());
    }

    #[test]
    fn connect_to_entries() {
        let c = parse_connect_to("a.test:443:127.0.0.1:8443").unwrap();
        assert_eq!(c.to_port, Some(8443));
        let c = parse_connect_to("::[::1]:").unwrap();
        assert_eq!(
            (c.host, c.port, c.to_host.as_deref(), c.to_port),
            (None, None, Some("::1"), None)
        );
        assert!(parse_connect_to("a:1:b").is_err());
    }

    #[test]
    fn resolver_addrs() {
        assert_eq!(parse_resolver("127.0.0.1").unwrap().0.port(), 53);
        assert_eq!(parse_resolver("127.0.0.1:5353").unwrap().0.port(), 5353);
        assert_eq!(parse_resolver("[::1]:5353").unwrap().0.port(), 5353);
        assert!(parse_resolver("dns.test").is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Authorization: Bearer x").unwrap().1,
            "Bearer x"
        );
        assert!(parse_header("nocolon").is_err());
    }
}
