//! Snapshots of the human output: one run of `netdoctor ARGS --color never`
//! rendered as the command line, stdout, stderr (when any) and the exit code,
//! with everything that varies from run to run (durations, ports, temporary
//! paths, dates, fingerprints, serials) replaced by a placeholder, then
//! compared with `insta` against `tests/it/snapshots/`.
//!
//! A missing snapshot fails under CI (`.ci/run` sets `INSTA_UPDATE=no`); to
//! accept new or changed output: `INSTA_UPDATE=always cargo test --test it
//! snapshots::` and review the `.snap` diff in git.

use std::ffi::OsStr;
use std::fmt::Write as _;

/// The regular expressions insta applies to every snapshot, in order:
/// what varies per run becomes a bracketed placeholder.
const FILTERS: &[(&str, &str)] = &[
    // Temporary directories (sysroots, CA files, check files).
    (r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]"),
    // Dates and times (certificate validity, a server's Date header).
    (
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}| UTC| \+00:00:00)?",
        "[DATETIME]",
    ),
    (
        r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
        "[DATETIME]",
    ),
    // A bare date, but not a value after `=` (Azure's `api-version=2024-10-21`).
    (r"([^=])\b\d{4}-\d{2}-\d{2}\b", "$1[DATE]"),
    // SHA-256 fingerprints and serials, with or without colons.
    (r"\b[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){7,}\b", "[HEX]"),
    (r"\b[0-9a-fA-F]{16,}\b", "[HEX]"),
    // Ephemeral ports on loopback names and addresses (well-known ports such
    // as 53 or 443 stay).
    (
        r"(127\.0\.0\.1|localhost|\[::1\]|\.test|\.com|\.net):\d{4,5}\b",
        "$1:[PORT]",
    ),
    (r"\bport \d{4,5}\b", "port [PORT]"),
    // Timings among the facts of `-v`: `"ms":0.525`, `ttfb_ms: 10.703`.
    (r#""(\w*ms)":\d+(\.\d+)?"#, r#""$1":[N]"#),
    (r"\b(\w*_ms): \d+(\.\d+)?", "$1: [N]"),
    // Durations elsewhere: `0.4 ms`, `12 ms`, `1.2 s`, `3ms` (the stage
    // rows' duration column is masked first, keeping its alignment).
    (r"\b\d+(\.\d+)? ?(ms|µs|us|s)\b", "[DURATION]"),
];

/// Runs `cmd ARGS --color never` and renders what a person sees: the command
/// line, stdout, stderr when not empty, and the exit code.
pub fn human<S: AsRef<OsStr>>(mut cmd: assert_cmd::Command, args: &[S]) -> String {
    cmd.args(args).args(["--color", "never"]);
    let out = cmd.output().expect("spawn netdoctor");
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let mut text = format!("$ netdoctor {}\n", shown.join(" "));
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if !out.stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let _ = writeln!(text, "(exit {})", out.status.code().unwrap_or(-1));
    text
}

/// Assert `text` matches the snapshot `name` once the per-run values are
/// filtered out (see [`FILTERS`]); `literals` are replaced first, for values
/// only the test knows (a port the filters cannot recognise, a path).
pub fn assert_human(name: &str, text: &str, literals: &[(&str, &str)]) {
    let mut text = mask_stage_durations(text);
    for (from, to) in literals {
        if !from.is_empty() {
            text = text.replace(from, to);
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (re, with) in FILTERS {
        settings.add_filter(re, *with);
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// A Debian 12 image: `bundle` as its CA bundle, Docker's embedded DNS, OpenSSL 3.
pub fn debian_image(bundle: &str) -> tempfile::TempDir {
    let root = super::empty_sysroot();
    let write = |path: &str, text: &str| {
        let p = root.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write(
        "etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    write("etc/ssl/certs/ca-certificates.crt", bundle);
    write(
        "etc/resolv.conf",
        "nameserver 127.0.0.11\noptions ndots:0\n",
    );
    write(
        "etc/hosts",
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n172.18.0.2\t0f3c2a1b\n",
    );
    write("etc/nsswitch.conf", "hosts:          files dns\n");
    write("lib64/ld-linux-x86-64.so.2", "");
    let lib = "usr/lib/x86_64-linux-gnu";
    write(&format!("{lib}/libssl.so.3"), "\x7fELF libssl");
    write(
        &format!("{lib}/libcrypto.so.3"),
        "\x7fELF\0OpenSSL 3.0.19  11 Feb 2025\0",
    );
    root
}

/// The duration column of the stage rows (`  ✓ tcp          0.4 ms  …`:
/// mark, layer padded to 12, duration right-aligned in 9) becomes `[TIME]`
/// right-aligned in the same 9 columns, so the summaries stay aligned.
fn mask_stage_durations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask_row(line).unwrap_or_else(|| line.to_owned()));
    }
    out
}

fn mask_row(line: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let is_mark = matches!(chars.get(2), Some('✓' | '✗' | '!' | '·'));
    if !line.starts_with("  ") || !is_mark || chars.get(3) != Some(&' ') || chars.len() < 18 {
        return None;
    }
    let head: String = chars[..17].iter().collect();
    let rest: String = chars[17..].iter().collect();
    let lead = rest.len() - rest.trim_start().len();
    let (field, summary) = rest[lead..].split_once("  ")?;
    let number = field
        .trim()
        .trim_end_matches("ms")
        .trim_end_matches('s')
        .trim_end();
    let is_duration = field.trim().ends_with('s')
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.');
    is_duration.then(|| format!("{head}{:>9}  {summary}", "[TIME]"))
}
