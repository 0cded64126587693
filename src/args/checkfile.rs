//! Check files (`netdoctor run FILE`): many targets, their options and
//! their expectations, in TOML (DESIGN "Check files").
//!
//! ```toml
//! [defaults]              # any option `check` takes, by its long name
//! timeout = "3s"
//! cacert = "certs/corp-root.pem"      # relative to this file
//!
//! [[check]]
//! name = "speech"
//! url = "wss://westeurope.stt.speech.microsoft.com/…"
//! resolve = ["host:443:10.0.0.5"]     # lists for repeatable options
//! expect = "pass"                     # or a diagnosis code that must occur
//!
//! [[check]]
//! name = "openai"
//! preset = "openai"                   # or azure-speech / azure-openai
//! stream = true                       # the preset's options as keys
//! ```
//!
//! A `preset` check is parsed by the preset's own command line and expands
//! into the preset's targets (`openai: models`, `speech: stt`, …), each
//! with the check's `expect`.
//!
//! Each check's options (defaults first, then its own) are turned into the
//! arguments of `netdoctor check` (or of the preset's command) once, and
//! parsed by the same clap definition, so a value means exactly what it
//! means on the command line. Every error names the file, the line and the
//! key; nothing runs when one is found.

use super::config::{assign_chain_files, require_websocket, targets_and_probe, Config, Output};
use super::flags::{Cli, Command, RunArgs};
use super::UsageError;
use crate::diagnosis::{Code, Expect};
use crate::probe::Check;
use clap::{CommandFactory, Parser};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

type Options = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: Options,
    #[serde(default)]
    check: Vec<Options>,
    /// Only for `netdoctor serve`; `run` ignores it.
    #[serde(default)]
    serve: ServeTable,
}

/// `[serve]`: the target hosts `/probe` may reach (globs).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServeTable {
    #[serde(default)]
    allow: Vec<String>,
}

/// Keys of a `[[check]]` that are not `check` options.
const CHECK_KEYS: &[&str] = &["name", "url", "preset", "expect"];
/// `check` options that describe the run, not a target: given to `run`.
const RUN_LEVEL: &[&str] = &[
    "format", "color", "verbose", "jobs", "repeat", "interval", "help", "version",
];
/// Options whose values are paths, read relative to the check file.
const PATH_OPTIONS: &[&str] = &["cacert", "proxy-cacert", "cert", "cert-key", "save-chain"];

/// Where in the file something is, for error messages.
struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn error(&self, offset: usize, message: impl std::fmt::Display) -> UsageError {
        UsageError(format!(
            "{}:{}: {message}",
            self.file.display(),
            self.line(offset)
        ))
    }
}

/// The presets a `[[check]]` can name.
const PRESETS: &[&str] = &["azure-speech", "openai", "azure-openai"];

/// The long names of the per-target options of a subcommand.
fn option_names(cli: &clap::Command, subcommand: &str) -> Vec<String> {
    let Some(check) = cli.find_subcommand(subcommand) else {
        return Vec::new();
    };
    check
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .filter(|l| !RUN_LEVEL.contains(&l.as_str()))
        .collect()
}

impl Config {
    /// Validates `netdoctor run FILE`: every check has its own options.
    pub(crate) fn from_run(args: RunArgs) -> Result<Self, UsageError> {
        let mut checks = load(&args.file)?;
        assign_chain_files(&mut checks);
        Ok(Config {
            checks,
            output: Output::from(args.output),
        })
    }
}

/// Reads and checks a check file.
fn load(path: &Path) -> Result<Vec<Check>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read check file {}: {e}", path.display())))?;
    let raw = parse_raw(path, &text)?;
    build_all(path, &text, &raw)
}

fn parse_raw(path: &Path, text: &str) -> Result<RawFile, UsageError> {
    let loc = Locator { file: path, text };
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        loc.error(offset, e.message())
    })
}

/// Every check of a parsed file, validated.
fn build_all(path: &Path, text: &str, raw: &RawFile) -> Result<Vec<Check>, UsageError> {
    let loc = Locator { file: path, text };
    if raw.check.is_empty() {
        return Err(UsageError(format!(
            "{}: no [[check]] table",
            path.display()
        )));
    }
    let cli = Cli::command();
    let known = option_names(&cli, "check");
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    validate_keys(&raw.defaults, &known, &[], &loc, "[defaults]")?;
    let mut checks = Vec::new();
    for (i, entry) in raw.check.iter().enumerate() {
        let table = format!("[[check]] #{}", i + 1);
        if let Some((preset, offset)) = string_value(entry, "preset", &loc)? {
            if !PRESETS.contains(&preset) {
                return Err(loc.error(
                    offset,
                    format!("unknown preset `{preset}` (known: {})", PRESETS.join(", ")),
                ));
            }
            validate_keys(entry, &option_names(&cli, preset), CHECK_KEYS, &loc, &table)?;
            checks.extend(preset_checks(&raw.defaults, entry, preset, &base, &loc)?);
        } else {
            validate_keys(entry, &known, CHECK_KEYS, &loc, &table)?;
            checks.push(one_check(&raw.defaults, entry, &base, &loc, i)?);
        }
    }
    Ok(checks)
}

/// A `preset = "…"` check: the preset's options as keys, parsed by the
/// preset's own command line; it expands into the preset's targets, named
/// `NAME: stt` etc. when the check has a name.
fn preset_checks(
    defaults: &Options,
    entry: &Options,
    preset: &str,
    base: &Path,
    loc: &Locator<'_>,
) -> Result<Vec<Check>, UsageError> {
    let at = entry.keys().next().map_or(0, |k| k.span().start);
    if let Some((_, offset)) = string_value(entry, "url", loc)? {
        return Err(loc.error(offset, "a check has either `url` or `preset`, not both"));
    }
    let expect = expect_of(entry, loc)?;
    let config = match parse_check(&[preset], defaults, entry, base, loc, at)? {
        Command::AzureSpeech(args) => Config::from_azure_speech(*args),
        Command::Openai(args) => Config::from_openai(*args),
        Command::AzureOpenai(args) => Config::from_azure_openai(*args),
        _ => return Err(loc.error(at, "internal: not a preset")),
    }
    .map_err(|e| loc.error(at, e))?;
    let name = string_value(entry, "name", loc)?.map(|(n, _)| n.to_owned());
    Ok(config
        .checks
        .into_iter()
        .map(|mut c| {
            if let Some(name) = &name {
                let sub = c.target.name.take().unwrap_or_default();
                c.target.name = Some(format!("{name}: {sub}"));
            }
            c.expect = expect;
            c
        })
        .collect())
}

fn expect_of(entry: &Options, loc: &Locator<'_>) -> Result<Expect, UsageError> {
    Ok(match string_value(entry, "expect", loc)? {
        None | Some(("pass", _)) => Expect::Pass,
        Some((code, offset)) => Expect::Code(
            serde_json::from_value::<Code>(serde_json::Value::String(code.to_owned())).map_err(
                |_| {
                    loc.error(
                        offset,
                        format!("`expect = \"{code}\"` is neither \"pass\" nor a diagnosis code"),
                    )
                },
            )?,
        ),
    })
}

fn validate_keys(
    options: &Options,
    known: &[String],
    extra: &[&str],
    loc: &Locator<'_>,
    table: &str,
) -> Result<(), UsageError> {
    for key in options.keys() {
        let k = key.get_ref();
        if !known.iter().any(|n| n == k) && !extra.contains(&k.as_str()) {
            let hint = if RUN_LEVEL.contains(&k.as_str()) {
                format!(" (`{k}` applies to the whole run: pass --{k} to `netdoctor run`)")
            } else {
                format!(" (known: {})", known.join(", "))
            };
            return Err(loc.error(
                key.span().start,
                format!("unknown key `{k}` in {table}{hint}"),
            ));
        }
    }
    Ok(())
}

fn string_value<'a>(
    entry: &'a Options,
    key: &str,
    loc: &Locator<'_>,
) -> Result<Option<(&'a str, usize)>, UsageError> {
    let Some((_, v)) = entry.iter().find(|(k, _)| k.get_ref() == key) else {
        return Ok(None);
    };
    match v.get_ref() {
        toml::Value::String(s) => Ok(Some((s.as_str(), v.span().start))),
        other => Err(loc.error(
            v.span().start,
            format!("`{key}` must be a string, not {}", other.type_str()),
        )),
    }
}

fn one_check(
    defaults: &Options,
    entry: &Options,
    base: &Path,
    loc: &Locator<'_>,
    index: usize,
) -> Result<Check, UsageError> {
    let at = entry.keys().next().map_or(0, |k| k.span().start);
    let Some((url, _)) = string_value(entry, "url", loc)? else {
        return Err(loc.error(at, format!("[[check]] #{} has no `url`", index + 1)));
    };
    let expect = expect_of(entry, loc)?;
    let Command::Check(args) = parse_check(&["check", url], defaults, entry, base, loc, at)? else {
        return Err(loc.error(at, "internal: not a check"));
    };
    let (mut targets, mut probe) = targets_and_probe(
        &args.urls,
        &args.headers,
        args.method,
        args.data.as_deref(),
        args.probe,
    )
    .map_err(|e| loc.error(at, e))?;
    // `hold` in [defaults] is for the file's WebSocket checks; in a check's
    // own table it must fit that check.
    let own_hold = entry.keys().any(|k| k.get_ref() == "hold");
    if !own_hold && !targets.iter().any(|t| t.scheme.is_websocket()) {
        probe.hold = None;
    }
    require_websocket(probe.hold.as_ref(), &targets).map_err(|e| loc.error(at, e))?;
    let mut target = targets.remove(0);
    if let Some((name, _)) = string_value(entry, "name", loc)? {
        target.name = Some(name.to_owned());
    }
    Ok(Check {
        target,
        probe: Arc::new(probe),
        expect,
    })
}

/// The command line of one `[[check]]`, parsed: `netdoctor` and `head`
/// (the command, and the URL for `check`), then the options of `[defaults]`
/// and of the check itself (the later wins), built and parsed once. A clap
/// error is pinned to the key it came from (`at`: the check, when none).
fn parse_check(
    head: &[&str],
    defaults: &Options,
    entry: &Options,
    base: &Path,
    loc: &Locator<'_>,
    at: usize,
) -> Result<Command, UsageError> {
    let mut argv: Vec<String> = std::iter::once("netdoctor")
        .chain(head.iter().copied())
        .map(str::to_owned)
        .collect();
    let mut lines: Vec<(String, usize)> = Vec::new();
    for options in [defaults, entry] {
        for (key, value) in options
            .iter()
            .filter(|(k, _)| !CHECK_KEYS.contains(&k.get_ref().as_str()))
        {
            lines.push((key.get_ref().clone(), value.span().start));
            push_option(&mut argv, key.get_ref(), value, base, loc)?;
        }
    }
    Cli::try_parse_from(&argv)
        .map(|cli| cli.command)
        .map_err(|e| clap_error(&e, &lines, loc, at))
}

/// Appends `--key value` (or `--key` for `true`, once per list item).
fn push_option(
    argv: &mut Vec<String>,
    key: &str,
    value: &Spanned<toml::Value>,
    base: &Path,
    loc: &Locator<'_>,
) -> Result<(), UsageError> {
    let flag = format!("--{key}");
    let scalar = |v: &toml::Value| -> Result<Option<String>, UsageError> {
        match v {
            toml::Value::String(s) if PATH_OPTIONS.contains(&key) => {
                Ok(Some(resolve_path(base, s)))
            }
            toml::Value::String(s) => Ok(Some(s.clone())),
            toml::Value::Integer(i) => Ok(Some(i.to_string())),
            toml::Value::Float(f) => Ok(Some(f.to_string())),
            toml::Value::Boolean(_) => Ok(None),
            other => Err(loc.error(
                value.span().start,
                format!("`{key}` cannot be {}", other.type_str()),
            )),
        }
    };
    match value.get_ref() {
        toml::Value::Boolean(true) => argv.push(flag),
        toml::Value::Boolean(false) => {}
        toml::Value::Array(items) => {
            for item in items {
                if let Some(v) = scalar(item)? {
                    argv.extend([flag.clone(), v]);
                }
            }
        }
        other => {
            if let Some(v) = scalar(other)? {
                argv.extend([flag, v]);
            }
        }
    }
    Ok(())
}

fn resolve_path(base: &Path, p: &str) -> String {
    let path = PathBuf::from(p);
    if path.is_absolute() {
        p.to_owned()
    } else {
        base.join(path).to_string_lossy().into_owned()
    }
}

/// A clap error on a generated command line, pinned to the key it came from.
fn clap_error(
    e: &clap::Error,
    lines: &[(String, usize)],
    loc: &Locator<'_>,
    at: usize,
) -> UsageError {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_owned();
    let offset = lines
        .iter()
        .rev()
        .find(|(key, _)| first.contains(&format!("--{key}")))
        .map_or(at, |(_, offset)| *offset);
    loc.error(offset, first)
}

/// The key of a preset check that takes the URL a `/probe?target=` gives.
const PRESET_URL_KEYS: &[(&str, &str)] = &[
    ("openai", "base-url"),
    ("azure-openai", "endpoint"),
    ("azure-speech", "endpoint"),
];

/// A check file kept for `netdoctor serve` (DESIGN "Serving metrics"): its
/// `[[check]]` tables are the modules, rebuilt for each probe through the
/// same path as `run` (with the probe's URL in place of the check's own),
/// and `[serve] allow` lists the hosts a probe may reach.
#[derive(Default)]
pub(crate) struct ServeFile {
    path: PathBuf,
    text: String,
    raw: RawFile,
    /// The modules' names: the check's `name`, else its `url` or preset.
    names: Vec<String>,
    /// The URLs of the checks as written (presets: the targets they expand to).
    own: Vec<url::Url>,
}

impl ServeFile {
    /// Reads and checks a check file for `serve`: every check is built
    /// once, so a broken file stops the server before it listens.
    pub(crate) fn load(path: &Path) -> Result<Self, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read check file {}: {e}", path.display())))?;
        let raw = parse_raw(path, &text)?;
        let loc = Locator {
            file: path,
            text: &text,
        };
        // A file of `[defaults]` and `[serve]` alone serves `?target=` only.
        let checks = if raw.check.is_empty() {
            let known = option_names(&Cli::command(), "check");
            validate_keys(&raw.defaults, &known, &[], &loc, "[defaults]")?;
            Vec::new()
        } else {
            build_all(path, &text, &raw)?
        };
        let mut names = Vec::with_capacity(raw.check.len());
        for entry in &raw.check {
            let name = ["name", "url", "preset"]
                .iter()
                .find_map(|k| string_value(entry, k, &loc).ok().flatten())
                .map_or_else(String::new, |(v, _)| v.to_owned());
            names.push(name);
        }
        let own = checks.into_iter().map(|c| c.target.url).collect();
        Ok(ServeFile {
            path: path.to_path_buf(),
            text,
            raw,
            names,
            own,
        })
    }

    /// The modules' names, in file order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// `[serve] allow`: host globs.
    pub(crate) fn allow(&self) -> &[String] {
        &self.raw.serve.allow
    }

    /// Whether `url` is one of the checks' own URLs.
    pub(crate) fn is_own_url(&self, url: &url::Url) -> bool {
        self.own.iter().any(|u| u == url)
    }

    /// The checks of module `module` (an index into [`Self::names`]; none:
    /// `[defaults]` alone), with `url` in place of the check's own URL.
    pub(crate) fn checks(
        &self,
        module: Option<usize>,
        url: Option<&str>,
    ) -> Result<Vec<Check>, UsageError> {
        let loc = Locator {
            file: &self.path,
            text: &self.text,
        };
        let base = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut entry = module
            .and_then(|i| self.raw.check.get(i))
            .cloned()
            .unwrap_or_default();
        let preset = string_value(&entry, "preset", &loc)?.map(|(p, _)| p.to_owned());
        if let Some(url) = url {
            let key = match &preset {
                Some(p) => PRESET_URL_KEYS
                    .iter()
                    .find(|(name, _)| name == p)
                    .map_or("url", |(_, key)| key),
                None => "url",
            };
            let value = toml::Value::String(url.to_owned());
            entry.remove(&Spanned::new(0..0, key.to_owned()));
            entry.insert(
                Spanned::new(0..0, key.to_owned()),
                Spanned::new(0..0, value),
            );
        }
        match preset {
            Some(p) => preset_checks(&self.raw.defaults, &entry, &p, &base, &loc),
            None => Ok(vec![one_check(
                &self.raw.defaults,
                &entry,
                &base,
                &loc,
                module.unwrap_or(0),
            )?]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/checks.toml");
        let checks = load(&path).expect("examples/checks.toml loads");
        let last = checks.last().expect("checks");
        assert!(checks.len() >= 5, "presets expand into several targets");
        assert_eq!(last.expect, Expect::Code(Code::TcpTimeout));
        assert_eq!(last.probe.timeout, std::time::Duration::from_secs(3));
    }

    #[test]
    fn serve_modules_take_the_probes_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checks.toml");
        std::fs::write(
            &path,
            "[defaults]\ntimeout = \"3s\"\n\
             [[check]]\nname = \"plain\"\nurl = \"https://a.test/\"\ntimeout = \"2s\"\n\
             [[check]]\nname = \"oai\"\npreset = \"openai\"\n\
             [serve]\nallow = [\"*.test\"]\n",
        )
        .unwrap();
        let file = ServeFile::load(&path).unwrap();
        assert_eq!(file.names(), ["plain", "oai"]);
        assert_eq!(file.allow(), ["*.test"]);
        let own = file.checks(Some(0), None).unwrap();
        assert!(file.is_own_url(&own[0].target.url));
        let moved = file.checks(Some(0), Some("https://b.test/x")).unwrap();
        assert_eq!(moved[0].target.url.as_str(), "https://b.test/x");
        assert_eq!(moved[0].target.name.as_deref(), Some("plain"));
        assert_eq!(moved[0].probe.timeout, std::time::Duration::from_secs(2));
        let defaults = file.checks(None, Some("tcp://c.test:1")).unwrap();
        assert_eq!(defaults[0].probe.timeout, std::time::Duration::from_secs(3));
        let preset = file.checks(Some(1), Some("https://d.test/v1")).unwrap();
        assert!(preset[0]
            .target
            .url
            .as_str()
            .starts_with("https://d.test/v1/"));
    }
}
