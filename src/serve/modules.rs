//! Module lookup: a `/probe` query (and the scrape-timeout header) to the
//! checks it runs, or the refusal it gets.
//!
//! `module=NAME` picks a `[[check]]` of the file by name (its options);
//! `target=URL` replaces its URL (without `module`, `[defaults]` apply);
//! `module` alone runs the check as written. A target must match
//! `[serve] allow` or be one of the checks' own URLs, else 403: nothing
//! is probed. Malformed queries are 400 with the reason.

use super::allow;
use crate::args::checkfile::ServeFile;
use crate::probe::Check;
use crate::target::Target;
use hyper::StatusCode;
use std::time::Duration;

/// What the scrape timeout leaves to the probe is this much less (as
/// blackbox_exporter's `--timeout-offset`).
const SCRAPE_MARGIN: Duration = Duration::from_millis(500);

/// A probe to run.
pub(crate) struct Plan {
    pub(crate) checks: Vec<Check>,
    /// The module's name, when one was asked for.
    pub(crate) module: Option<String>,
    /// The target as given, redacted (none: the module's own).
    pub(crate) target: Option<String>,
    /// `format=json`: the JSON report instead of metrics.
    pub(crate) json: bool,
    /// The scrape's bound on the probe, when Prometheus sent one.
    pub(crate) bound: Option<Duration>,
}

/// Why a `/probe` request is not probed: its status and the reason.
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) String);

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, reason.into())
}

/// The parameters `/probe` reads; others are ignored (Prometheus may add
/// its own).
#[derive(Default)]
struct Params {
    target: Option<String>,
    module: Option<String>,
    format: Option<String>,
}

fn params(query: &str) -> Result<Params, Refusal> {
    let mut p = Params::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "target" => &mut p.target,
            "module" => &mut p.module,
            "format" => &mut p.format,
            _ => continue,
        };
        if slot.is_some() {
            return Err(bad(format!("`{key}` is given twice")));
        }
        *slot = Some(value.into_owned());
    }
    Ok(p)
}

/// `X-Prometheus-Scrape-Timeout-Seconds` less the margin (the whole value
/// when it is smaller than twice the margin).
pub(crate) fn scrape_bound(header: Option<&str>) -> Result<Option<Duration>, Refusal> {
    let Some(text) = header else {
        return Ok(None);
    };
    let seconds: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
        .ok_or_else(|| {
            bad("X-Prometheus-Scrape-Timeout-Seconds is not a positive number of seconds")
        })?;
    let whole = Duration::from_secs_f64(seconds);
    Ok(Some(if whole > SCRAPE_MARGIN * 2 {
        whole.saturating_sub(SCRAPE_MARGIN)
    } else {
        whole
    }))
}

/// The probe a query asks for, or why not.
pub(crate) fn plan(
    file: &ServeFile,
    query: &str,
    bound: Option<Duration>,
) -> Result<Plan, Refusal> {
    let p = params(query)?;
    let json = match p.format.as_deref() {
        None | Some("prometheus") => false,
        Some("json") => true,
        Some(other) => {
            return Err(bad(format!(
                "unknown format `{}` (known: prometheus, json)",
                crate::redact::bounded(other, 40)
            )))
        }
    };
    if p.target.is_none() && p.module.is_none() {
        return Err(bad("give target=URL, module=NAME, or both"));
    }
    let index = match &p.module {
        None => None,
        Some(name) => Some(file.names().iter().position(|n| n == name).ok_or_else(|| {
            bad(format!(
                "unknown module `{}` (known: {})",
                crate::redact::bounded(name, 100),
                file.names().join(", ")
            ))
        })?),
    };
    let shown = match &p.target {
        None => None,
        Some(url) => Some(allowed(file, url)?),
    };
    let checks = file
        .checks(index, p.target.as_deref())
        .map_err(|e| bad(crate::redact::text(&e.to_string())))?;
    Ok(Plan {
        checks,
        module: p.module,
        target: shown,
        json,
        bound,
    })
}

/// Checks a target URL: 400 when malformed, 403 when not allowed; its
/// redacted form when it may be probed.
fn allowed(file: &ServeFile, url: &str) -> Result<String, Refusal> {
    let target = Target::parse(url).map_err(|e| bad(format!("target: {e}")))?;
    let shown = target.display_url();
    if allow::allows(file.allow(), &target.host) || file.is_own_url(&target.url) {
        Ok(shown)
    } else {
        Err(Refusal(
            StatusCode::FORBIDDEN,
            format!(
                "target host `{}` is not in [serve] allow, and {shown} is not a check's own URL",
                target.host
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scrape_timeout_keeps_a_margin() {
        assert_eq!(scrape_bound(None).unwrap(), None);
        assert_eq!(
            scrape_bound(Some("10")).unwrap(),
            Some(Duration::from_millis(9500))
        );
        assert_eq!(
            scrape_bound(Some("0.6")).unwrap(),
            Some(Duration::from_millis(600))
        );
        assert!(scrape_bound(Some("-1")).is_err());
        assert!(scrape_bound(Some("NaN")).is_err());
        assert!(scrape_bound(Some("x")).is_err());
    }

    #[test]
    fn queries_without_a_target_or_module_are_refused() {
        let file = ServeFile::default();
        let refusal = plan(&file, "", None).err().unwrap();
        assert_eq!(refusal.0, StatusCode::BAD_REQUEST);
        let refusal = plan(&file, "module=x", None).err().unwrap();
        assert!(refusal.1.contains("unknown module"), "{}", refusal.1);
        let refusal = plan(&file, "target=ftp://h/", None).err().unwrap();
        assert_eq!(refusal.0, StatusCode::BAD_REQUEST, "{}", refusal.1);
        let refusal = plan(&file, "target=https://h/&target=https://g/", None)
            .err()
            .unwrap();
        assert_eq!(refusal.0, StatusCode::BAD_REQUEST);
        let refusal = plan(&file, "target=https://u:pw@h/", None).err().unwrap();
        assert_eq!(refusal.0, StatusCode::FORBIDDEN);
        assert!(!refusal.1.contains("pw"), "{}", refusal.1);
    }
}
