//! The env block of the human output: the one-line verdict at the top of
//! every command, the findings, and the fact lines of `netdoctor env`.

use super::{mark, Style};
use crate::diagnosis::{Code, Status};
use crate::env::facts::{BundleFile, EnvFacts};
use crate::redact::terminal_safe;
use crate::report::{EnvReport, Report};
use std::fmt::Write as _;

pub(super) fn render_env(out: &mut String, env: &EnvReport, style: Style) {
    render_env_head(out, env, style);
    render_findings(out, env, style);
}

fn render_env_head(out: &mut String, env: &EnvReport, style: Style) {
    let status = env.status.unwrap_or(Status::Pass);
    let f = &env.facts;
    let mut parts = Vec::new();
    match &f.ca_bundle {
        Some(b) => parts.push(format!(
            "CA bundle {} ({} certificates)",
            b.source, b.certificates
        )),
        None => parts.push("no CA bundle".to_owned()),
    }
    if env.findings.iter().any(|f| f.code == Code::EnvNoResolvConf) {
        parts.push("no /etc/resolv.conf".to_owned());
    }
    if let Some(ns) = &f.nameservers {
        parts.push(format!("nameserver {}", or_none(ns.join(", "))));
    }
    let _ = writeln!(
        out,
        "{} env  {}",
        style.paint(mark(status), status),
        terminal_safe(&parts.join(" · "), 300)
    );
}

fn render_findings(out: &mut String, env: &EnvReport, style: Style) {
    for f in &env.findings {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            style.paint(mark(f.status), f.status),
            style.bold(&f.code.as_str()),
            terminal_safe(&f.summary, 600)
        );
        if style.verbose && !f.client_errors.is_empty() {
            let _ = writeln!(out, "    {}", style.dim("what clients print for this:"));
            for c in &f.client_errors {
                let _ = writeln!(out, "      {c}");
            }
        }
        let _ = writeln!(
            out,
            "    {} {}",
            style.dim("hint:"),
            terminal_safe(&f.hint, usize::MAX)
        );
    }
}

/// `none` for an empty list.
fn or_none(list: String) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list
    }
}

/// A count that `netdoctor env` always has (the JSON's `null` otherwise).
fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}

type Lines = Vec<(&'static str, String)>;

/// The facts of the env look, one line each, for `netdoctor env`.
fn env_fact_lines(env: &EnvReport) -> Lines {
    let f = &env.facts;
    let mut lines = Vec::new();
    image_lines(f, &mut lines);
    ca_lines(f, &mut lines);
    openssl_lines(f, &mut lines);
    clients_lines(f, &mut lines);
    resolver_lines(f, &mut lines);
    lines.push((
        "clock",
        format!(
            "{} (binary built {})",
            f.clock.now,
            f.clock.build_date.as_deref().unwrap_or("?")
        ),
    ));
    lines
}

/// The container runtime, the distribution and the C library.
fn image_lines(f: &EnvFacts, lines: &mut Lines) {
    let container = &f.container;
    lines.push((
        "container",
        match (container.runtime, &container.evidence) {
            (Some(r), Some(e)) => format!("{r} ({e})"),
            (Some(r), None) => r.to_owned(),
            _ => "no sign of a container runtime".to_owned(),
        },
    ));
    let distro = f
        .distribution_name
        .as_deref()
        .or(f.distribution.as_deref())
        .unwrap_or("unknown (no /etc/os-release)");
    let libc = if f.libc.is_empty() { "?" } else { f.libc };
    lines.push(("image", format!("{distro} · libc: {libc}")));
}

/// The CA bundles, the file and directory stores, the runtimes' variables.
fn ca_lines(f: &EnvFacts, lines: &mut Lines) {
    let bundles: Vec<String> = f
        .ca_bundles
        .iter()
        .map(|b| match b {
            BundleFile::Readable {
                certificates,
                expired,
                path,
                ..
            } => format!(
                "{path}: {certificates} certificates, {} expired",
                count(*expired)
            ),
            BundleFile::Unreadable { error, path, .. } => format!("{path}: {error}"),
        })
        .collect();
    lines.push((
        "CA bundles",
        if bundles.is_empty() {
            "none on the distribution paths".to_owned()
        } else {
            bundles.join("; ")
        },
    ));
    if let Some(b) = &f.ca_bundle {
        lines.push((
            "CA file store",
            format!("{} ({} certificates)", b.source, b.certificates),
        ));
    }
    let dirs: Vec<String> = f
        .ca_dir
        .directories
        .iter()
        .map(|d| {
            if d.exists {
                format!("{}: {} hash links", d.path, d.hash_links)
            } else {
                format!("{}: absent", d.path)
            }
        })
        .collect();
    lines.push(("CA directory", dirs.join("; ")));
    for (name, v) in &f.ca_variables {
        let what = match &v.error {
            Some(e) => e.clone(),
            None => format!("{} certificates", count(v.certificates)),
        };
        lines.push(("CA variable", format!("{name}={} ({what})", v.path)));
    }
}

/// libssl, `OPENSSL_CONF` and the Speech SDK.
fn openssl_lines(f: &EnvFacts, lines: &mut Lines) {
    lines.push((
        "OpenSSL",
        if f.libssl.is_empty() {
            "no libssl".to_owned()
        } else {
            f.libssl.join(", ")
        },
    ));
    if let Some(c) = &f.openssl_conf {
        let absent = if c.exists { "" } else { " (absent)" };
        lines.push(("OPENSSL_CONF", format!("{}{absent}", c.path)));
    }
    if let Some(sdk) = &f.speech_sdk {
        lines.push((
            "Speech SDK",
            format!(
                "{} ({})",
                sdk.version.as_deref().unwrap_or("version unknown"),
                sdk.path
            ),
        ));
        // `libMicrosoft.CognitiveServices.Speech.core.so` → `core.so`: the
        // JSON has the full names.
        let libs: Vec<String> = sdk
            .libraries
            .iter()
            .map(|l| {
                let name = l
                    .name
                    .strip_prefix("libMicrosoft.CognitiveServices.Speech.")
                    .unwrap_or(&l.name);
                #[allow(clippy::cast_precision_loss)]
                let mb = l.size as f64 / 1e6;
                format!("{name} {mb:.1} MB")
            })
            .collect();
        lines.push((
            "SDK libraries",
            format!("{} · in {}", or_none(libs.join(" · ")), sdk.library_dir),
        ));
        if !sdk.missing.is_empty() {
            lines.push(("SDK missing", sdk.missing.join(", ")));
        }
        if let Some(source) = sdk.openssl_source {
            lines.push((
                "SDK OpenSSL",
                format!(
                    "loads {} (source: {source})",
                    sdk.openssl_wanted.join(" or ")
                ),
            ));
        }
    }
}

/// The Python packages that matter, one line per site, and Node.
fn clients_lines(f: &EnvFacts, lines: &mut Lines) {
    for site in &f.clients.python {
        let packages: Vec<String> = site
            .packages
            .iter()
            .map(|(name, version)| format!("{name} {version}"))
            .collect();
        lines.push(("Python", format!("{} ({})", packages.join(", "), site.site)));
    }
    if let Some(node) = &f.clients.node {
        lines.push((
            "Node",
            format!(
                "{} ({})",
                node.version.as_deref().unwrap_or("version unknown"),
                node.path
            ),
        ));
    }
}

/// resolv.conf (nameservers and their roles, search, ndots) and nsswitch.
fn resolver_lines(f: &EnvFacts, lines: &mut Lines) {
    if let Some(ns) = &f.nameservers {
        let list: Vec<String> = ns
            .iter()
            .map(|n| match f.nameserver_roles.get(n) {
                Some(role) => format!("{n} ({role})"),
                None => n.clone(),
            })
            .collect();
        let search = f.search.as_deref().unwrap_or_default().join(" ");
        let ndots = f.ndots.map_or_else(|| "null".to_owned(), |n| n.to_string());
        lines.push((
            "resolver",
            format!(
                "nameserver {} · search {} · ndots {ndots}",
                or_none(list.join(", ")),
                or_none(search)
            ),
        ));
    } else {
        lines.push(("resolver", "no /etc/resolv.conf".to_owned()));
    }
    lines.push((
        "nsswitch",
        f.nsswitch_hosts.as_deref().map_or_else(
            || "no /etc/nsswitch.conf".to_owned(),
            |h| format!("hosts: {h}"),
        ),
    ));
}

/// Renders `netdoctor env`: the verdict line, every fact, the findings.
pub fn render_env_command(report: &Report, style: Style) -> String {
    let env = &report.env;
    let mut out = String::new();
    render_env_head(&mut out, env, style);
    for (label, text) in env_fact_lines(env) {
        let _ = writeln!(
            out,
            "  {} {}",
            style.dim(&format!("{label:<14}")),
            terminal_safe(&text, 600)
        );
    }
    if !env.findings.is_empty() {
        out.push('\n');
        render_findings(&mut out, env, style);
    }
    let fails = env
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .count();
    let warns = env
        .findings
        .iter()
        .filter(|f| f.status == Status::Warn)
        .count();
    out.push('\n');
    let line = if fails > 0 {
        style.paint(
            &format!("env: {fails} failed, {warns} warning(s)"),
            Status::Fail,
        )
    } else if warns > 0 {
        style.paint(&format!("env: OK with {warns} warning(s)"), Status::Warn)
    } else {
        style.paint("env: OK", Status::Pass)
    };
    let _ = writeln!(out, "{line}");
    out
}
