//! SSE framing of the stream stage ([`Events::take`], [`find_event_end`]):
//! events split anywhere on the wire, arbitrary bytes, endless lines.

use super::{bytes, config, cuts, heavy, timed, Drip};
use crate::probe::stream::{find_event_end, Events};
use proptest::prelude::*;
use std::time::Duration;

/// Feeds `wire` to the framing in `cuts`-sized pieces, as `read_events`
/// does: the events taken and the bytes left waiting for a blank line.
fn frame(wire: &[u8], cuts: &[usize]) -> (Events, Vec<u8>) {
    let mut ev = Events::default();
    let mut text = Vec::new();
    let Drip { pieces } = Drip::new(wire, cuts);
    for (i, piece) in pieces.into_iter().enumerate() {
        text.extend_from_slice(&piece);
        ev.take(&mut text, Duration::from_millis(i as u64));
    }
    (ev, text)
}

/// How many times `needle` occurs in `hay`.
fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// One `data:` payload: `[DONE]`, or text that never trims to it.
fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("[DONE]".to_owned()),
        1 => Just(" [DONE] ".to_owned()),
        6 => "\\{\"[a-z]{0,8}\":\"[ -~&&[^\\[\\]]]{0,40}\"\\}",
    ]
}

/// One event: its lines (`data:`, comments, other fields) and whether each
/// `data:` line is `[DONE]`.
fn event() -> impl Strategy<Value = (Vec<String>, Vec<bool>)> {
    prop::collection::vec(
        prop_oneof![
            6 => payload().prop_map(|p| (format!("data:{p}"), Some(p.trim() == "[DONE]"))),
            1 => "[a-z ]{0,20}".prop_map(|c| (format!(": {c}"), None)),
            1 => "(event|id|retry): [a-z0-9]{0,10}".prop_map(|f| (f, None)),
        ],
        1..4,
    )
    .prop_map(|lines| {
        let done = lines.iter().filter_map(|(_, d)| *d).collect();
        (lines.into_iter().map(|(l, _)| l).collect(), done)
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_as_events(wire in bytes(4096), cuts in cuts()) {
        let (ev, text) = timed("events", || frame(&wire, &cuts));
        prop_assert!(find_event_end(&text).is_none());
        prop_assert!(text.len() <= wire.len());
        prop_assert!(ev.at.len() <= occurrences(&wire, b"data:"));
    }

    #[test]
    fn events_over_any_split(
        events in prop::collection::vec((event(), any::<bool>()), 0..12),
        cuts in cuts(),
    ) {
        let mut wire = Vec::new();
        let (mut data, mut done) = (0, false);
        for ((lines, kinds), crlf) in &events {
            let eol = if *crlf { "\r\n" } else { "\n" };
            for line in lines {
                wire.extend_from_slice(format!("{line}{eol}").as_bytes());
            }
            wire.extend_from_slice(eol.as_bytes());
            data += kinds.iter().filter(|d| !**d).count();
            done |= kinds.iter().any(|d| *d);
        }
        let (ev, text) = frame(&wire, &cuts);
        prop_assert!(text.is_empty(), "left: {:?}", String::from_utf8_lossy(&text));
        prop_assert_eq!(ev.at.len(), data);
        prop_assert_eq!(ev.done_at.is_some(), done);
    }
}

proptest! {
    #![proptest_config(heavy(8))]

    /// A line that never ends costs a scan per read, not more.
    #[test]
    fn an_endless_line(
        len in 1usize..(256 << 10),
        byte in prop::sample::select(vec![b'a', b'\r']),
        cut in prop::sample::select(vec![8192usize, 1 << 20]),
    ) {
        let mut wire = b"data: ".to_vec();
        wire.resize(len, byte);
        let (ev, text) = timed("an endless line", || frame(&wire, &[cut]));
        prop_assert!(ev.at.len() <= 1);
        prop_assert!(text.len() <= wire.len());
    }
}

/// Found by this harness, reported (the stream stage's file is another
/// engineer's): a read of blank lines costs a scan of the rest of the text
/// per event, and a drain of its front, so 64 KiB of `\n` in one read (a
/// gzip'd stream inflates to up to 1 MiB per read) takes 24 s in a debug
/// build, 128 KiB 98 s: quadratic, with no deadline checked inside.
#[test]
#[ignore = "quadratic SSE framing on a flood of blank lines: reported, not fixed here"]
fn a_flood_of_blank_lines() {
    let wire = vec![b'\n'; 64 << 10];
    let (ev, text) = timed("blank lines", || frame(&wire, &[1 << 20]));
    assert!(ev.at.is_empty() && text.len() <= 1);
}
