//! The exporter's log: one line per probe on stderr (target, module,
//! result, code, duration), filtered by `--log-level`: `error` logs only
//! netdoctor's own faults, `warn` failed probes too, `info` every probe.
//! Targets are logged redacted (no userinfo, no secret query values).

use crate::args::flags::LogLevel;
use std::io::Write;

/// What one probe's log line says.
pub(crate) struct ProbeLine<'a> {
    pub(crate) target: &'a str,
    pub(crate) module: Option<&'a str>,
    pub(crate) success: bool,
    pub(crate) code: &'a str,
    pub(crate) seconds: f64,
    /// netdoctor itself failed on the probe.
    pub(crate) internal: bool,
}

/// Logs a probe when `level` asks for it.
pub(crate) fn probe(level: LogLevel, line: &ProbeLine<'_>) {
    let wanted = match level {
        LogLevel::Info => true,
        LogLevel::Warn => !line.success || line.internal,
        LogLevel::Error => line.internal,
    };
    if !wanted {
        return;
    }
    let severity = if line.internal {
        "error"
    } else if line.success {
        "info"
    } else {
        "warn"
    };
    let text = format!(
        "netdoctor serve: level={severity} probe target={} module={} result={} code={} duration={:.3}s\n",
        crate::redact::terminal_safe(line.target, 300),
        crate::redact::terminal_safe(line.module.unwrap_or("-"), 100),
        if line.success { "success" } else { "failure" },
        line.code,
        line.seconds,
    );
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A line said whatever the level (the address listened on, a fatal error).
pub(crate) fn always(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "netdoctor serve: {message}");
}
