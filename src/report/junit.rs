//! The JUnit renderer: one `<testsuite>`, one `<testcase>` per target, a
//! `<failure>` for a target that did not meet its expectation (message
//! `CODE: summary`, body: the stage lines and the hint). GitLab's and
//! GitHub's test reporters read this shape.

use super::{Brief, Report, TargetReport};
use crate::diagnosis::Status;
use std::fmt::Write as _;

/// Escapes text for XML attributes and content; drops characters XML 1.0
/// cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            // What could drive or fool a terminal that shows the file (bidi
            // overrides, zero-width marks, C1 controls) is written out.
            c if crate::redact::is_hostile(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

fn seconds(t: &TargetReport) -> f64 {
    t.brief().seconds
}

fn classname(t: &TargetReport) -> String {
    let scheme = t.target.split("://").next().unwrap_or("target");
    format!("netdoctor.{scheme}")
}

fn failure_message(t: &TargetReport) -> String {
    if let Some(e) = &t.internal_error {
        return format!("netdoctor failed: {e}");
    }
    match &t.diagnosis {
        Some(d) if t.expect == "pass" || t.expect != d.code.as_str() => {
            let prefix = if t.expect == "pass" {
                String::new()
            } else {
                format!("expected {}, got ", t.expect)
            };
            format!("{prefix}{}: {}", d.code.as_str(), d.summary)
        }
        _ => format!("expected {}, got pass", t.expect),
    }
}

fn failure_body(t: &TargetReport) -> String {
    let mut body = String::new();
    for s in &t.stages {
        let text = match s.status {
            Status::Skipped => format!("skipped: {}", s.reason.as_deref().unwrap_or("")),
            _ => s.summary.clone().unwrap_or_default(),
        };
        let status = match s.status {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skip",
        };
        let _ = writeln!(body, "{status:<5} {:<12} {text}", s.layer.name());
    }
    if let Some(d) = &t.diagnosis {
        let _ = writeln!(body, "hint: {}", d.hint);
    }
    body
}

/// Renders the report as a JUnit XML document.
#[cfg(test)]
pub fn render(report: &Report) -> String {
    let cases: Vec<String> = report.targets.iter().map(testcase).collect();
    let mut text = String::new();
    document(
        report.targets.iter().map(TargetReport::brief),
        cases.iter().map(String::as_str),
        &mut |t| text.push_str(t),
    );
    text
}

/// One target's `<testcase>`, for a caller that renders targets as they end.
pub fn testcase(t: &TargetReport) -> String {
    let mut out = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
        xml(&t.name),
        xml(&classname(t)),
        seconds(t)
    );
    if t.met {
        out.push_str("/>\n");
        return out;
    }
    if let Some(reason) = &t.not_started {
        let _ = writeln!(
            out,
            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
            xml(reason)
        );
        return out;
    }
    let _ = writeln!(
        out,
        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
        xml(&failure_message(t)),
        xml(&t
            .diagnosis
            .as_ref()
            .map_or_else(|| "EXPECTATION_NOT_MET".to_owned(), |d| d.code.as_str())),
        xml(&failure_body(t))
    );
    out
}

/// The document around the targets' `<testcase>`s, with their totals.
pub fn document<'a>(
    briefs: impl IntoIterator<Item = Brief>,
    cases: impl IntoIterator<Item = &'a str>,
    out: &mut impl FnMut(&str),
) {
    let (mut tests, mut failures, mut skipped, mut total) = (0, 0, 0, 0.0_f64);
    for b in briefs {
        tests += 1;
        if b.unprobed == Some(super::Unprobed::NotStarted) {
            skipped += 1;
        } else if !b.met {
            failures += 1;
        }
        total += b.seconds;
    }
    let mut head = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        head,
        "<testsuites name=\"netdoctor\" tests=\"{tests}\" failures=\"{failures}\" time=\"{total:.3}\">"
    );
    let _ = writeln!(
        head,
        "  <testsuite name=\"netdoctor\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total:.3}\">"
    );
    out(&head);
    for case in cases {
        out(case);
    }
    out("  </testsuite>\n</testsuites>\n");
}

/// Renders `netdoctor env` as JUnit: one testcase per finding, failing
/// when the finding fails (plus one passing case when there is nothing).
pub fn render_env(report: &Report) -> String {
    let findings = &report.env.findings;
    let failures = findings.iter().filter(|f| f.status == Status::Fail).count();
    let tests = findings.len().max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"netdoctor env\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"netdoctor env\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    if findings.is_empty() {
        out.push_str("    <testcase name=\"env\" classname=\"netdoctor.env\"/>\n");
    }
    for f in findings {
        let code = f.code.as_str();
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"netdoctor.env\"",
            xml(&code)
        );
        if f.status == Status::Fail {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">hint: {}</failure>\n    </testcase>",
                xml(&format!("{code}: {}", f.summary)),
                xml(&code),
                xml(&f.hint)
            );
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_controls() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1b}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        // A bidi override or a C1 control would fool a terminal showing the file.
        assert_eq!(xml("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\u{9b}c");
    }
}
