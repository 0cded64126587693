//! Renders `netdoctor explain` (human and JSON).
//!
//! JSON schema (`netdoctor/v1-explain`, additive changes only):
//! - `schema`, `version`, `matched` (whether any cause was found),
//!   `truncated` (stdin was longer than 1 MiB and only its start was read),
//!   `command` (the netdoctor command to run next), `service`? (`azure-speech`,
//!   `openai`: the client the text comes from), `note`? (about that client)
//! - `matches`[], most likely first: `code`, `layer`, `why`, `hint`? (the
//!   catalogue's fix), `command`, `pattern` (the catalogue or rule string that
//!   matched), `evidence` (the input line, secrets masked)

use crate::explain::Explanation;
use owo_colors::OwoColorize;
use serde::Serialize;
use std::fmt::Write as _;

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    schema: &'static str,
    version: &'static str,
    matched: bool,
    truncated: bool,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

/// Renders the explanation as the `netdoctor/v1-explain` JSON document.
pub fn render_json(explanation: &Explanation, truncated: bool) -> String {
    let doc = Document {
        schema: "netdoctor/v1-explain",
        version: env!("CARGO_PKG_VERSION"),
        matched: !explanation.matches.is_empty(),
        truncated,
        explanation,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
        format!("{{\"schema\":\"netdoctor/v1-explain\",\"error\":\"cannot serialise: {e}\"}}")
    });
    s.push('\n');
    s
}

/// Renders the explanation for a person: what matched, the causes most
/// likely first, the command that tells them apart.
pub fn render_human(explanation: &Explanation, truncated: bool, color: bool) -> String {
    let bold = |s: &str| {
        if color {
            s.bold().to_string()
        } else {
            s.to_owned()
        }
    };
    let dim = |s: &str| {
        if color {
            s.dimmed().to_string()
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    if truncated {
        let _ = writeln!(out, "{}", dim("(only the first 1 MiB of stdin was read)"));
    }
    let matches = &explanation.matches;
    if matches.is_empty() {
        let _ = writeln!(
            out,
            "{} netdoctor does not know this error: it matches none of the messages it catalogues\n  (curl, Python/OpenSSL, requests, httpx/openai, Node, Go, WebSocket clients, the Azure Speech SDK).",
            bold("unknown:")
        );
        let _ = writeln!(out, "\nprobe the connection to find the layer that breaks:");
        let _ = writeln!(out, "  {}", bold(&explanation.command));
        return out;
    }
    let mut seen: Vec<&str> = Vec::new();
    for m in matches {
        if !seen.contains(&m.evidence.as_str()) {
            seen.push(&m.evidence);
        }
    }
    for line in seen.iter().take(3) {
        let _ = writeln!(out, "{} {line}", dim("your client printed:"));
    }
    let n = matches.len();
    let _ = writeln!(
        out,
        "\n{} {}, most likely first:",
        bold("explain:"),
        if n == 1 {
            "1 cause".to_owned()
        } else {
            format!("{n} possible causes")
        }
    );
    for (i, m) in matches.iter().enumerate() {
        let code = if color {
            m.code.yellow().bold().to_string()
        } else {
            m.code.clone()
        };
        let _ = writeln!(out, "\n  {}. {:<12} {code}", i + 1, m.layer.name());
        let _ = writeln!(out, "     {}", m.why);
        if let Some(hint) = m.hint.filter(|h| *h != m.why) {
            let _ = writeln!(out, "     {} {hint}", dim("fix:"));
        }
    }
    let mut commands: Vec<&str> = Vec::new();
    for m in matches {
        if !commands.contains(&m.command.as_str()) {
            commands.push(&m.command);
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if n == 1 {
            "confirm it (the failing stage names the code):"
        } else {
            "tell them apart (the failing stage names the code):"
        }
    );
    for c in commands {
        let _ = writeln!(out, "  {}", bold(c));
    }
    if let Some(note) = explanation.note {
        let _ = writeln!(out, "\n{} {note}", dim("note:"));
    }
    out
}
