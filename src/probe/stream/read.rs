//! Reading the events of a stream that is `text/event-stream`, up to
//! `data: [DONE]`, under the stage's deadline and netdoctor's limits, and
//! the verdict on what arrived: a pass, buffered (warn), or why it stopped
//! short (`STREAM_TRUNCATED`, `STREAM_ERROR_EVENT`, `STREAM_TIMEOUT`,
//! `STREAM_TOO_LARGE`).

use super::error::{Limit, StreamError, StreamFacts};
use super::sse::{self, Event};
use super::{Answer, MAX_STREAM};
use crate::probe::{h1, StageResult};
use std::time::{Duration, Instant};

/// Events closer together than this, after a wait, count as buffered.
const TOGETHER: Duration = Duration::from_millis(20);

/// Why reading stopped before `[DONE]`.
#[derive(Debug)]
pub(super) enum Break {
    /// The body ended.
    Ended,
    /// The body broke (a reset, a cut chunk, gzip that does not decode).
    Cut(String),
    /// The stage's deadline passed.
    Deadline,
    /// Over one of netdoctor's limits.
    TooLarge(Limit),
}

impl From<h1::Error> for Break {
    fn from(e: h1::Error) -> Break {
        match e {
            h1::Error::Timeout { .. } => Break::Deadline,
            h1::Error::BodyTooLarge { budget } => Break::TooLarge(Limit::Total(budget)),
            e => Break::Cut(e.to_string()),
        }
    }
}

/// The events of a stream: when each arrived, when `[DONE]` did, the
/// first error streamed, and why reading stopped early.
#[derive(Debug, Default)]
pub(super) struct Events {
    pub(super) at: Vec<Duration>,
    pub(super) done_at: Option<Duration>,
    /// The first error event's data, as sent.
    pub(super) error: Option<String>,
    /// Body bytes read (after gunzipping).
    pub(super) bytes: usize,
    pub(super) stop: Option<Break>,
}

impl Events {
    /// Records events that arrived `at`; whether reading goes on.
    fn take(&mut self, got: &mut Vec<Event>, at: Duration) -> bool {
        for e in got.drain(..) {
            match e {
                Event::Data => self.at.push(at),
                Event::Done => self.done_at = Some(at),
                Event::Error(data) => self.error = Some(data),
            }
            if self.done_at.is_some() || self.error.is_some() {
                return false;
            }
        }
        true
    }
}

/// Reads events as they arrive, up to `data: [DONE]` or an error event.
pub(super) async fn read_events(a: &mut Answer, gzip: bool, deadline: Instant) -> Events {
    let mut body = a.body(MAX_STREAM).gunzip(gzip);
    let mut parser = sse::Parser::default();
    let mut got = Vec::new();
    let mut ev = Events::default();
    loop {
        let data = match body.next(&mut a.stream, Some(deadline)).await {
            Ok(Some(data)) => data,
            Ok(None) => {
                parser.finish(&mut got);
                if ev.take(&mut got, a.started.elapsed()) {
                    ev.stop = Some(Break::Ended);
                }
                return ev;
            }
            Err(e) => {
                ev.stop = Some(e.into());
                return ev;
            }
        };
        ev.bytes += data.len();
        let fed = parser.feed(&data, &mut got);
        if !ev.take(&mut got, a.started.elapsed()) {
            return ev;
        }
        if fed.is_err() {
            ev.stop = Some(Break::TooLarge(Limit::Line(sse::MAX_LINE)));
            return ev;
        }
    }
}

/// How the deadline is named: the stage's `--timeout`, or `--max-time`
/// when the run's end came first.
pub(super) struct DeadlineName {
    pub(super) after: Duration,
    pub(super) limit: String,
}

/// The verdict on the events read: a pass, buffered, or why they stopped.
pub(super) fn judge(
    ev: Events,
    gzip: bool,
    quote: impl FnOnce(&str) -> String,
    deadline: &DeadlineName,
    mut facts: StreamFacts,
) -> StageResult<()> {
    let ms = crate::duration::millis;
    let events = ev.at.len();
    facts.events = Some(events);
    facts.bytes = Some(ev.bytes);
    facts.done = Some(ev.done_at.is_some());
    if let (Some(first), Some(last)) = (ev.at.first(), ev.at.last()) {
        facts.first_event_ms = Some(ms(*first));
        facts.last_event_ms = Some(ms(*last));
    }
    let failure = if let Some(data) = &ev.error {
        let quoted = quote(data);
        facts.error_event = Some(quoted.clone());
        Some(StreamError::ErrorEvent { events, quoted })
    } else if ev.done_at.is_some() {
        None
    } else {
        Some(match ev.stop.unwrap_or(Break::Ended) {
            Break::Ended => StreamError::Truncated {
                events,
                bytes: ev.bytes,
                why: None,
            },
            Break::Cut(why) => StreamError::Truncated {
                events,
                bytes: ev.bytes,
                why: Some(why),
            },
            Break::Deadline => StreamError::Timeout {
                events,
                bytes: ev.bytes,
                after_ms: deadline.after.as_millis(),
                limit: deadline.limit.clone(),
            },
            Break::TooLarge(limit) => StreamError::TooLarge { events, limit },
        })
    };
    if let Some(err) = failure {
        return StageResult::fail(err.diagnosis(), facts);
    }
    let (Some(first), Some(last)) = (ev.at.first().copied(), ev.at.last().copied()) else {
        return StageResult::pass(
            "data: [DONE] with no events before it".to_owned(),
            facts,
            (),
        );
    };
    let spread = last.saturating_sub(first);
    if events >= 3 && spread < TOGETHER && first > TOGETHER * 5 {
        let d = StreamError::Buffered {
            events,
            first_ms: ms(first),
            spread_ms: ms(spread),
            gzip,
        }
        .diagnosis();
        let s = d.summary.clone();
        return StageResult::warn(d, s, facts, ());
    }
    let summary = format!(
        "{events} events, first after {:.0} ms, last after {:.0} ms{}",
        ms(first),
        ms(last),
        if gzip { " (gzip)" } else { "" }
    );
    StageResult::pass(summary, facts, ())
}
