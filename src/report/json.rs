//! The JSON renderer: the report, pretty-printed, never coloured.
//!
//! A long run renders each target as it ends ([`target`]) and joins them
//! under the run's head at the end ([`document`]): the same text as
//! [`render`] of the whole report, without holding every target's report.

use super::{EnvReport, Report, TargetReport};
use serde::Serialize;

/// Renders the report as the `netdoctor/v1` JSON document.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!("{{\"schema\":\"netdoctor/v1\",\"error\":\"cannot serialise report: {e}\"}}")
    });
    s.push('\n');
    s
}

/// One target as it stands in the document's `targets` array (indented
/// for its place there).
pub fn target(t: &TargetReport) -> String {
    let text = serde_json::to_string_pretty(t).unwrap_or_else(|e| {
        format!("{{\"name\":\"?\",\"error\":\"cannot serialise target: {e}\"}}")
    });
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("    ");
        out.push_str(line);
    }
    out
}

/// The run's head fields, in the document's key order.
#[derive(Serialize)]
struct Head<'a> {
    schema: &'static str,
    version: &'static str,
    ok: bool,
    env: &'a EnvReport,
}

/// JSON Lines (`--format jsonl`): one target as one line.
pub fn target_line(t: &TargetReport) -> String {
    let mut line = serde_json::to_string(t).unwrap_or_else(|e| {
        format!("{{\"name\":\"?\",\"error\":\"cannot serialise target: {e}\"}}")
    });
    line.push('\n');
    line
}

/// JSON Lines: the run's last line, the document's head without its
/// targets (they came before, one a line).
pub fn head_line(ok: bool, env: &EnvReport) -> String {
    let head = Head {
        schema: "netdoctor/v1",
        version: env!("CARGO_PKG_VERSION"),
        ok,
        env,
    };
    let mut line = serde_json::to_string(&head).unwrap_or_else(|_| {
        "{\"schema\":\"netdoctor/v1\",\"error\":\"cannot serialise report\"}".to_owned()
    });
    line.push('\n');
    line
}

/// The whole document from its head and the targets rendered by [`target`],
/// in report order, written piece by piece into `out`.
pub fn document<'a>(
    ok: bool,
    env: &EnvReport,
    targets: impl IntoIterator<Item = &'a str>,
    out: &mut impl FnMut(&str),
) {
    let head = Head {
        schema: "netdoctor/v1",
        version: env!("CARGO_PKG_VERSION"),
        ok,
        env,
    };
    let Ok(mut open) = serde_json::to_string_pretty(&head) else {
        out("{\"schema\":\"netdoctor/v1\",\"error\":\"cannot serialise report\"}\n");
        return;
    };
    // Reopen the head's object for the `targets` member.
    open.truncate(open.trim_end_matches('}').trim_end().len());
    open.push_str(",\n  \"targets\": [");
    out(&open);
    let mut any = false;
    for t in targets {
        out(if any { ",\n" } else { "\n" });
        out(t);
        any = true;
    }
    out(if any { "\n  ]\n}\n" } else { "]\n}\n" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvReport;

    fn report(targets: usize) -> Report {
        let stages = vec![crate::probe::StageReport::skipped(
            crate::diagnosis::Layer::Dns,
            "a \"quoted\"\nreason",
        )];
        let targets = (0..targets)
            .map(|i| {
                TargetReport::from_stages(format!("t{i}"), format!("https://t{i}/"), stages.clone())
            })
            .collect();
        Report::new(EnvReport::default(), targets)
    }

    #[test]
    fn a_document_joined_from_rendered_targets_is_the_whole_reports_text() {
        for n in [0, 1, 3] {
            let r = report(n);
            let parts: Vec<String> = r.targets.iter().map(target).collect();
            let mut joined = String::new();
            document(r.ok, &r.env, parts.iter().map(String::as_str), &mut |t| {
                joined.push_str(t);
            });
            assert_eq!(joined, render(&r), "{n} targets");
        }
    }
}
