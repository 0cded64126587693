//! From parsed arguments to a checked [`Config`].
//!
//! clap has already parsed each value (with [`super::values`]);
//! [`Config::from_check`] then validates what needs more than one value at a
//! time or a file (URLs, headers, the method, `--data @FILE`) and fills in
//! the pipeline's [`ProbeConfig`]; the preset commands hand their values to
//! `presets`. `Config::from_run` lives with the check files (`checkfile`).

use super::flags::{
    AzureOpenaiArgs, AzureSpeechArgs, CheckArgs, ColorChoice, Format, OpenaiArgs, OutputArgs,
    ProbeArgs,
};
use super::UsageError;
use crate::diagnosis::Expect;
use crate::presets;
use crate::probe::client_cert::ClientCert;
use crate::probe::websocket::hold::Hold;
use crate::probe::{Check, Family, ProbeConfig, RequestSpec};
use crate::proxy::rules::ProxyVars;
use crate::proxy::ProxySettings;
use crate::sysroot::Sysroot;
use crate::target::Target;
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
        let (targets, probe) = targets_and_probe(
            &args.urls,
            &args.headers,
            args.method,
            args.data.as_deref(),
            args.probe,
        )?;
        require_websocket(probe.hold.as_ref(), &targets)?;
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
        let (_, base) = targets_and_probe(&[], &[], None, None, args.probe)?;
        let mut checks = presets::into_checks(&base, targets);
        require_websocket(base.hold.as_ref(), checks.iter().map(|c| &c.target))?;
        azure_speech::split_for_proxy(&mut checks);
        azure_speech::link_token(&mut checks);
        Ok(Config {
            checks: presets::finish(checks),
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
        let (_, base) = targets_and_probe(&[], &[], None, None, args.probe)?;
        require_websocket(base.hold.as_ref(), targets.iter().map(|t| &t.target))?;
        Ok(Config {
            checks: presets::finish(presets::into_checks(&base, targets)),
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
        let (_, base) = targets_and_probe(&[], &[], None, None, args.probe)?;
        require_websocket(base.hold.as_ref(), targets.iter().map(|t| &t.target))?;
        Ok(Config {
            checks: presets::finish(presets::into_checks(&base, targets)),
            output: Output::from(args.output),
        })
    }
}

/// Gives each check that has `--save-chain` its file: PATH itself when one
/// target saves its chain, else `PATH/<n>-<host>.pem` (n counts from 1 in
/// input order).
pub(super) fn assign_chain_files(checks: &mut [Check]) {
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
    urls: &[String],
    headers: &[String],
    method: Option<String>,
    data: Option<&str>,
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
        client_cert: p
            .cert
            .as_deref()
            .map(|cert| ClientCert::load(cert, p.cert_key.as_deref()))
            .transpose()
            .map_err(UsageError)?,
        expect_status: p.expect_status,
        request: RequestSpec {
            method,
            headers,
            plain_headers: Vec::new(),
            body: data.map(read_data).transpose()?,
        },
        sysroot: Sysroot::from_env(),
        proxy: ProxySettings {
            vars: ProxyVars::from_env(),
            proxy: p.proxy,
            noproxy: p.noproxy,
        },
        proxy_cacert: p.proxy_cacert,
        profile: None,
        save_chain: p.save_chain,
        hold: hold(p.hold, p.ping_interval, p.max_time)?,
    };
    Ok((targets, probe))
}

/// `--hold` and `--ping-interval`, checked: pings need a hold and come
/// more often than it lasts; the hold ends before `--max-time`.
/// The shortest `--ping-interval`: a ping and its pong must fit between two
/// pings, or they pile up unanswered.
const MIN_PING_INTERVAL: Duration = Duration::from_millis(100);

fn hold(
    hold: Option<Duration>,
    ping_interval: Option<Duration>,
    max_time: Option<Duration>,
) -> Result<Option<Hold>, UsageError> {
    let secs = |d: Duration| format!("{}s", d.as_secs_f64());
    let Some(duration) = hold else {
        return match ping_interval {
            Some(_) => Err(UsageError(
                "'--ping-interval <DURATION>' needs '--hold <DURATION>': the pings are sent while the WebSocket is held open".to_owned(),
            )),
            None => Ok(None),
        };
    };
    if let Some(i) = ping_interval.filter(|i| *i < MIN_PING_INTERVAL) {
        return Err(UsageError(format!(
            "invalid value '{}' for '--ping-interval <DURATION>': at least {}s (clients ping every few seconds; faster only floods the connection)",
            secs(i),
            MIN_PING_INTERVAL.as_secs_f64()
        )));
    }
    if let Some(i) = ping_interval.filter(|i| *i >= duration) {
        return Err(UsageError(format!(
            "invalid value '{}' for '--ping-interval <DURATION>': it must be shorter than --hold {}, or no ping would be sent",
            secs(i),
            secs(duration)
        )));
    }
    if let Some(m) = max_time.filter(|m| *m <= duration) {
        return Err(UsageError(format!(
            "invalid value '{}' for '--hold <DURATION>': it must be shorter than --max-time {} (the run ends at --max-time, and the connection takes time too)",
            secs(duration),
            secs(m)
        )));
    }
    Ok(Some(Hold {
        duration,
        ping_interval,
    }))
}

/// `--hold` is for WebSocket targets: a command (or check) with none is a
/// usage error; among several targets it applies to the ws:// and wss://
/// ones.
pub(super) fn require_websocket<'a>(
    hold: Option<&Hold>,
    targets: impl IntoIterator<Item = &'a Target>,
) -> Result<(), UsageError> {
    if hold.is_none() || targets.into_iter().any(|t| t.scheme.is_websocket()) {
        return Ok(());
    }
    Err(UsageError(
        "'--hold <DURATION>' applies to WebSocket targets (ws://, wss://, azure-speech, openai --realtime), and none of the targets is one".to_owned(),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Authorization: Bearer x").unwrap().1,
            "Bearer x"
        );
        assert!(parse_header("nocolon").is_err());
    }
}
