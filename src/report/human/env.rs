//! The env block of the human output: the one-line verdict at the top of
//! every command, the findings, and the fact lines of `netdoctor env`.

use super::{mark, Style};
use crate::diagnosis::{Code, Status};
use crate::redact::terminal_safe;
use crate::report::{EnvReport, Report};
use serde_json::Value;
use std::fmt::Write as _;

pub(super) fn render_env(out: &mut String, env: &EnvReport, style: Style) {
    render_env_head(out, env, style);
    render_findings(out, env, style);
}

fn render_env_head(out: &mut String, env: &EnvReport, style: Style) {
    let status = env.status.unwrap_or(Status::Pass);
    let mut parts = Vec::new();
    match env.facts.get("ca_bundle") {
        Some(b) => parts.push(format!(
            "CA bundle {} ({} certificates)",
            b["source"].as_str().unwrap_or("?"),
            b["certificates"].as_u64().unwrap_or(0)
        )),
        None => parts.push("no CA bundle".to_owned()),
    }
    if env.findings.iter().any(|f| f.code == Code::EnvNoResolvConf) {
        parts.push("no /etc/resolv.conf".to_owned());
    }
    if let Some(ns) = env.facts.get("nameservers").and_then(|v| v.as_array()) {
        let list: Vec<&str> = ns.iter().filter_map(|v| v.as_str()).collect();
        parts.push(format!(
            "nameserver {}",
            if list.is_empty() {
                "none".to_owned()
            } else {
                list.join(", ")
            }
        ));
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
        let _ = writeln!(out, "    {} {}", style.dim("hint:"), f.hint);
    }
}

/// The strings of a JSON array, joined.
fn joined(v: Option<&Value>, sep: &str) -> Option<String> {
    let list: Vec<&str> = v?.as_array()?.iter().filter_map(Value::as_str).collect();
    (!list.is_empty()).then(|| list.join(sep))
}

/// The facts of the env look, one line each, for `netdoctor env`.
fn env_fact_lines(env: &EnvReport) -> Vec<(&'static str, String)> {
    let f = &env.facts;
    let mut lines = Vec::new();
    let container = &f["container"];
    lines.push((
        "container",
        match (
            container["runtime"].as_str(),
            container["evidence"].as_str(),
        ) {
            (Some(r), Some(e)) => format!("{r} ({e})"),
            (Some(r), None) => r.to_owned(),
            _ => "no sign of a container runtime".to_owned(),
        },
    ));
    let distro = f
        .get("distribution_name")
        .or_else(|| f.get("distribution"))
        .and_then(Value::as_str)
        .unwrap_or("unknown (no /etc/os-release)");
    let libc = f.get("libc").and_then(Value::as_str).unwrap_or("?");
    lines.push(("image", format!("{distro} · libc: {libc}")));
    let bundles: Vec<String> = f
        .get("ca_bundles")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|b| {
                    let path = b["path"].as_str().unwrap_or("?");
                    if b["readable"] == true {
                        format!(
                            "{path}: {} certificates, {} expired",
                            b["certificates"], b["expired"]
                        )
                    } else {
                        format!("{path}: {}", b["error"].as_str().unwrap_or("unreadable"))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    lines.push((
        "CA bundles",
        if bundles.is_empty() {
            "none on the distribution paths".to_owned()
        } else {
            bundles.join("; ")
        },
    ));
    if let Some(b) = f.get("ca_bundle") {
        lines.push((
            "CA file store",
            format!(
                "{} ({} certificates)",
                b["source"].as_str().unwrap_or("?"),
                b["certificates"]
            ),
        ));
    }
    if let Some(dirs) = f["ca_dir"]["directories"].as_array() {
        let text: Vec<String> = dirs
            .iter()
            .map(|d| {
                let path = d["path"].as_str().unwrap_or("?");
                if d["exists"] == true {
                    format!("{path}: {} hash links", d["hash_links"])
                } else {
                    format!("{path}: absent")
                }
            })
            .collect();
        lines.push(("CA directory", text.join("; ")));
    }
    if let Some(vars) = f.get("ca_variables").and_then(Value::as_object) {
        for (name, v) in vars {
            lines.push((
                "CA variable",
                format!(
                    "{name}={} ({})",
                    v["path"].as_str().unwrap_or("?"),
                    v["error"].as_str().map_or_else(
                        || format!("{} certificates", v["certificates"]),
                        str::to_owned
                    )
                ),
            ));
        }
    }
    lines.push((
        "OpenSSL",
        joined(f.get("libssl"), ", ").unwrap_or_else(|| "no libssl".to_owned()),
    ));
    if let Some(c) = f.get("openssl_conf") {
        lines.push((
            "OPENSSL_CONF",
            format!(
                "{}{}",
                c["path"].as_str().unwrap_or("?"),
                if c["exists"] == true { "" } else { " (absent)" }
            ),
        ));
    }
    if let Some(sdk) = f.get("speech_sdk") {
        lines.push((
            "Speech SDK",
            format!(
                "{} ({})",
                sdk["version"].as_str().unwrap_or("version unknown"),
                sdk["path"].as_str().unwrap_or("?")
            ),
        ));
    }
    if let Some(ns) = f.get("nameservers").and_then(Value::as_array) {
        let roles = f.get("nameserver_roles");
        let list: Vec<String> = ns
            .iter()
            .filter_map(Value::as_str)
            .map(|n| match roles.and_then(|r| r[n].as_str()) {
                Some(role) => format!("{n} ({role})"),
                None => n.to_owned(),
            })
            .collect();
        let search = joined(f.get("search"), " ").unwrap_or_else(|| "none".to_owned());
        lines.push((
            "resolver",
            format!(
                "nameserver {} · search {search} · ndots {}",
                if list.is_empty() {
                    "none".to_owned()
                } else {
                    list.join(", ")
                },
                f.get("ndots").unwrap_or(&Value::Null)
            ),
        ));
    } else {
        lines.push(("resolver", "no /etc/resolv.conf".to_owned()));
    }
    lines.push((
        "nsswitch",
        f.get("nsswitch_hosts").and_then(Value::as_str).map_or_else(
            || "no /etc/nsswitch.conf".to_owned(),
            |h| format!("hosts: {h}"),
        ),
    ));
    if let Some(c) = f.get("clock") {
        lines.push((
            "clock",
            format!(
                "{} (binary built {})",
                c["now"].as_str().unwrap_or("?"),
                c["build_date"].as_str().unwrap_or("?")
            ),
        ));
    }
    lines
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
