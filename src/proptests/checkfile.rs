//! Check files (`netdoctor run FILE`) through [`Config::from_run`]: TOML of
//! any shape, keys of the command line with hostile values, deep nesting.

use super::{bytes, config, texty, timed};
use crate::args::flags::{Cli, Command};
use crate::args::Config;
use clap::Parser;
use proptest::prelude::*;
use std::fmt::Write as _;

/// How many targets one `[[check]]` may become (a preset expands into its
/// endpoints: STT, TTS, the token service, the stream…).
const PER_CHECK: usize = 8;

/// Loads `text` as a check file: the checks, or the usage error's message.
fn load(text: &[u8]) -> Result<usize, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, text).expect("the check file");
    let cli = Cli::try_parse_from(["netdoctor".as_ref(), "run".as_ref(), path.as_os_str()])
        .expect("netdoctor run FILE parses");
    let Command::Run(args) = cli.command else {
        unreachable!("run parses as Command::Run");
    };
    timed("Config::from_run", || Config::from_run(args))
        .map(|c| c.checks.len())
        .map_err(|e| e.0)
}

/// The outcome of a check file: a bounded number of checks, or an error
/// message of bounded size naming the file.
fn check(text: &[u8], tables: usize) -> Result<(), TestCaseError> {
    match load(text) {
        Ok(n) => prop_assert!(n <= tables * PER_CHECK, "{n} checks from {tables} tables"),
        Err(message) => {
            prop_assert!(message.contains("checks.toml"), "{message}");
            prop_assert!(
                message.len() <= 4 * text.len() + 4096,
                "{} bytes from {} bytes",
                message.len(),
                text.len()
            );
        }
    }
    Ok(())
}

/// A TOML value: strings (hostile or plausible), numbers at their limits,
/// booleans, arrays, tables, nesting up to far past the parser's limit.
fn value() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        texty(40).prop_map(|s| toml::Value::String(s).to_string()),
        prop::sample::select(vec![
            "\"3s\"",
            "\"0s\"",
            "\"99999999999999999999s\"",
            "\"-1s\"",
            "\"1.5ms\"",
            "\"http://u:p@proxy.test:3128\"",
            "\"socks5h://[::1\"",
            "\"a.test:443:127.0.0.1\"",
            "\"a.test:443:b.test:8443\"",
            "\"X-A: b\"",
            "\"POST\"",
            "\"pass\"",
            "\"TCP_TIMEOUT\"",
            "\"openai\"",
            "\"azure-speech\"",
            "\"azure-openai\"",
            "\"nope\"",
            "9223372036854775807",
            "-9223372036854775808",
            "0",
            "1e308",
            "nan",
            "inf",
            "true",
            "false",
            "1979-05-27T07:32:00Z",
        ])
        .prop_map(str::to_owned),
    ];
    let nested = (
        0usize..300,
        prop::sample::select(vec![("[", "]"), ("{a=", "}")]),
    )
        .prop_map(|(depth, (open, close))| {
            format!("{}1{}", open.repeat(depth), close.repeat(depth))
        });
    prop_oneof![
        6 => scalar.clone(),
        2 => prop::collection::vec(scalar, 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => nested,
    ]
}

/// A key: one `check` takes, one of a `[[check]]`, or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "url", "name", "preset", "expect", "timeout", "max-time", "cacert", "resolve",
            "connect-to", "resolver", "proxy", "noproxy", "proxy-cacert", "insecure",
            "save-chain", "expect-status", "header", "method", "data", "region", "endpoint",
            "deployment", "api-version", "stream", "realtime", "model", "base-url", "key",
            "language", "token", "jobs", "format",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z-]{1,12}",
        1 => texty(10).prop_map(|s| toml::Value::String(s).to_string()),
    ]
}

fn table() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), value()), 0..7).prop_map(|pairs| {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = String::new();
        for (k, v) in pairs {
            if seen.insert(k.clone()) {
                let _ = writeln!(out, "{k} = {v}");
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn arbitrary_bytes_as_a_check_file(text in prop_oneof![bytes(600), texty(600).prop_map(String::into_bytes)]) {
        check(&text, text.len())?;
    }

    #[test]
    fn near_valid_check_files(
        defaults in prop::option::of(table()),
        checks in prop::collection::vec(
            (prop::option::of("https://[a-z]{1,8}\\.test(:[0-9]{1,5})?/[a-z]{0,5}"), table()),
            0..4,
        ),
    ) {
        let mut text = String::new();
        if let Some(d) = defaults {
            text.push_str("[defaults]\n");
            text.push_str(&d);
        }
        for (url, body) in &checks {
            text.push_str("[[check]]\n");
            if let Some(u) = url.as_ref().filter(|_| !body.starts_with("url =")) {
                let _ = writeln!(text, "url = \"{u}\"");
            }
            text.push_str(body);
        }
        check(text.as_bytes(), checks.len())?;
    }
}
