//! SSE framing of the stream stage ([`Parser`]): events split anywhere on
//! the wire, arbitrary bytes, endless lines, floods of blank lines.

use super::{bytes, config, cuts, heavy, timed, Drip};
use crate::probe::stream::sse::{Event, LineTooLong, Parser, MAX_LINE};
use proptest::prelude::*;

/// Feeds `wire` to a parser in `cuts`-sized pieces, then ends the body:
/// the events, or the line limit.
fn frame(wire: &[u8], cuts: &[usize]) -> Result<Vec<Event>, LineTooLong> {
    let mut parser = Parser::default();
    let mut out = Vec::new();
    let Drip { pieces } = Drip::new(wire, cuts);
    for piece in pieces {
        parser.feed(&piece, &mut out)?;
    }
    parser.finish(&mut out);
    Ok(out)
}

/// How many times `needle` occurs in `hay`.
fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// One `data:` payload: `[DONE]`, or a JSON object that is no error
/// (its keys cannot spell `error`).
fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("[DONE]".to_owned()),
        1 => Just(" [DONE] ".to_owned()),
        6 => "\\{\"[a-d]{0,8}\":\"[ -~&&[^\\[\\]\"\\\\]]{0,40}\"\\}",
    ]
}

/// One event's lines (`data:`, comments, other fields), and its `data:`
/// payloads.
fn event() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    prop::collection::vec(
        prop_oneof![
            6 => payload().prop_map(|p| (format!("data:{p}"), Some(p))),
            1 => "[a-z ]{0,20}".prop_map(|c| (format!(": {c}"), None)),
            1 => "(id|retry): [a-z0-9]{0,10}".prop_map(|f| (f, None)),
        ],
        1..4,
    )
    .prop_map(|lines| {
        let data = lines.iter().filter_map(|(_, p)| p.clone()).collect();
        (lines.into_iter().map(|(l, _)| l).collect(), data)
    })
}

/// What the parser must make of one event's payloads.
fn expected(payloads: &[String]) -> Option<Event> {
    if payloads.is_empty() {
        return None;
    }
    // `data:` lines are joined with LF; the space after `data:` is not
    // part of the value, but these payloads carry their own.
    let joined = payloads.join("\n");
    Some(if joined.trim() == "[DONE]" {
        Event::Done
    } else {
        Event::Data
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_as_events(wire in bytes(4096), cuts in cuts()) {
        let events = timed("events", || frame(&wire, &cuts));
        // Short input: no line can be over the limit.
        let events = events.expect("no line over the limit");
        prop_assert!(events.len() <= occurrences(&wire, b"data") + 1);
    }

    #[test]
    fn events_over_any_split(
        events in prop::collection::vec((event(), 0u8..3), 0..12),
        cuts in cuts(),
    ) {
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for ((lines, payloads), eol) in &events {
            let eol = ["\n", "\r\n", "\r"][usize::from(*eol)];
            for line in lines {
                wire.extend_from_slice(format!("{line}{eol}").as_bytes());
            }
            wire.extend_from_slice(eol.as_bytes());
            want.extend(expected(payloads));
        }
        let got = frame(&wire, &cuts).expect("no line over the limit");
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #![proptest_config(heavy(8))]

    /// A line that never ends costs a scan per read and stops at the limit.
    #[test]
    fn an_endless_line(
        len in 1usize..(256 << 10),
        byte in prop::sample::select(vec![b'a', b'\r']),
        cut in prop::sample::select(vec![8192usize, 1 << 20]),
    ) {
        let mut wire = b"data: ".to_vec();
        wire.resize(len, byte);
        let r = timed("an endless line", || frame(&wire, &[cut]));
        if byte == b'a' {
            prop_assert_eq!(r.is_err(), len > MAX_LINE);
        } else {
            prop_assert!(r.is_ok());
        }
    }
}

/// Found by this harness in the stream stage's earlier framing: a read of
/// blank lines cost a scan of the rest of the text per event (quadratic,
/// 24 s for 64 KiB in a debug build). The parser now reads each byte once.
#[test]
fn a_flood_of_blank_lines() {
    for byte in [b'\n', b'\r'] {
        let wire = vec![byte; 1 << 20];
        let events = timed("blank lines", || frame(&wire, &[1 << 20])).expect("no line");
        assert!(events.is_empty());
    }
}
