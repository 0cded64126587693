//! The clock. Offline, the only thing known for sure is a lower bound: the
//! date this binary was built (embedded by `build.rs`); a clock before it is
//! wrong, and every certificate issued since then looks "not yet valid".
//! During `check`, a server's `Date` header (captured by the http stage)
//! gives a second opinion: more than five minutes apart is `ENV_CLOCK_SKEW`.

use super::facts::{Clock, ClockSkew};
use super::EnvReport;
use super::{add_finding, Look};
use crate::diagnosis::{Code, Diagnosis, Status};
use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::OffsetDateTime;

/// The build date, seconds since the epoch (see `build.rs`).
const BUILD_EPOCH: Option<&str> = option_env!("NETDOCTOR_BUILD_EPOCH");

/// How far a server's clock may be from ours before it matters.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// The build date of this binary.
pub fn build_date() -> Option<OffsetDateTime> {
    BUILD_EPOCH
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

/// A span in human terms: `3 d 4 h`, `2 h 5 min`, `7 min 3 s`.
pub fn span(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// Checks the clock against the binary's build date.
pub fn inspect(now: SystemTime, look: &mut Look) {
    let now = unix(now);
    let build = build_date().map(OffsetDateTime::unix_timestamp);
    look.facts.clock = Clock {
        build_date: build.map(rfc3339),
        now: rfc3339(now),
    };
    if let Some(build) = build {
        if now < build {
            look.add(
                Code::EnvClockSkew,
                Status::Fail,
                format!(
                    "the clock says {}, {} before this netdoctor binary was built ({}): it is wrong, and certificates issued since then look \"not yet valid\"",
                    rfc3339(now),
                    span(build.abs_diff(now)),
                    rfc3339(build)
                ),
            );
        }
    }
}

/// The seconds the local clock is ahead of a server's `Date` (negative:
/// behind), when the header parses.
pub fn skew(date_header: &str, now: SystemTime) -> Option<i64> {
    let server = OffsetDateTime::parse(date_header.trim(), &Rfc2822).ok()?;
    Some(unix(now) - server.unix_timestamp())
}

/// After a `check`: adds `ENV_CLOCK_SKEW` (warn) when a server's `Date`
/// header is more than five minutes from the local clock. The first such
/// target is named; the pipeline's verdicts are untouched.
pub fn check_server_dates<'a>(
    env: &mut EnvReport,
    dates: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: SystemTime,
) {
    for (target, date) in dates {
        let Some(secs) = skew(date, now) else {
            continue;
        };
        if secs.abs() <= MAX_SKEW_SECS {
            continue;
        }
        let way = if secs > 0 { "ahead of" } else { "behind" };
        env.facts.clock_skew = Some(ClockSkew {
            local_minus_server_s: secs,
            server_date: date.to_owned(),
            target: target.to_owned(),
        });
        add_finding(
            env,
            Diagnosis::new(
                Code::EnvClockSkew,
                format!(
                    "this container's clock is {} {way} {}'s (its Date header says {date}): certificates can look \"not yet valid\" or expired when they are not",
                    span(secs.unsigned_abs()),
                    target
                ),
            )
            .with_status(Status::Warn),
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn skew_from_an_http_date() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
        assert_eq!(
            skew("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777)),
            Some(0)
        );
        assert_eq!(
            skew("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 + 600)),
            Some(600)
        );
        assert_eq!(skew("not a date", at(0)), None);
    }

    #[test]
    fn spans() {
        assert_eq!(span(42), "42 s");
        assert_eq!(span(7 * 60 + 3), "7 min 3 s");
        assert_eq!(span(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(span(3 * 86400 + 4 * 3600), "3 d 4 h");
    }

    #[test]
    fn build_date_is_embedded() {
        assert!(build_date().is_some_and(|d| d.year() >= 2025));
    }

    #[test]
    fn a_clock_before_the_build_fails() {
        let mut look = Look::default();
        inspect(UNIX_EPOCH + Duration::from_secs(86400), &mut look);
        assert!(look.has(Code::EnvClockSkew));
        let mut look = Look::default();
        inspect(SystemTime::now(), &mut look);
        assert!(!look.has(Code::EnvClockSkew));
    }
}
