//! The JSON renderer: the report, pretty-printed, never coloured.

use super::Report;

/// Renders the report as the `netdoctor/v1` JSON document.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!("{{\"schema\":\"netdoctor/v1\",\"error\":\"cannot serialise report: {e}\"}}")
    });
    s.push('\n');
    s
}
