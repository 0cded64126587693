//! The HTTP/1.1 client's parsers: response heads ([`h1::parse_head`],
//! [`h1::read_head`]) and bodies ([`h1::BodyReader`]: `Content-Length`,
//! chunked, close-delimited, gzip'd), over every split of the wire.

use super::{block_on, bytes, config, cuts, heavy, mutate, texty, timed, Drip};
use crate::diagnosis::Code;
use crate::probe::h1::{self, BodyReader, Framing};
use crate::probe::http::HttpError;
use proptest::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// How many bytes of the server's an error may quote.
const QUOTE: usize = 40;

/// An error of the client: a stable code, and a message of bounded size.
fn check_error(e: h1::Error) -> Result<(), TestCaseError> {
    prop_assert!(e.start().is_none_or(|s| s.len() <= QUOTE));
    let message = e.to_string();
    prop_assert!(message.len() <= 400, "message of {} bytes", message.len());
    let code = HttpError::from(e).code();
    // Nothing here resets or stalls: every failure is the answer's fault.
    prop_assert_eq!(code, Code::HttpMalformed);
    Ok(())
}

/// A header name: a token, sometimes not one.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z][A-Za-z0-9-]{0,20}",
        1 => prop::sample::select(vec![
            "Content-Length".to_owned(),
            "Transfer-Encoding".to_owned(),
            "Content-Encoding".to_owned(),
        ]),
        1 => texty(12),
    ]
}

/// A response head close to valid: interim responses, then a final one.
fn head() -> impl Strategy<Value = Vec<u8>> {
    let one = (
        0u8..=2,
        prop_oneof![100u16..=599, 0u16..=9999],
        texty(30),
        prop::collection::vec((name(), texty(60)), 0..12),
    )
        .prop_map(|(minor, status, reason, headers)| {
            let mut h = format!("HTTP/1.{minor} {status:03} {reason}\r\n");
            for (n, v) in headers {
                let _ = write!(h, "{n}: {v}\r\n");
            }
            h.push_str("\r\n");
            h.into_bytes()
        });
    prop::collection::vec(one, 1..4).prop_map(|heads| heads.concat())
}

/// A head with many (or long) headers around the 64 KiB limit.
fn huge_head() -> impl Strategy<Value = Vec<u8>> {
    (1usize..6000, 1usize..40, any::<bool>()).prop_map(|(count, len, end)| {
        let mut h = b"HTTP/1.1 200 OK\r\n".to_vec();
        let value = "v".repeat(len);
        for i in 0..count {
            h.extend_from_slice(format!("X-{i}: {value}\r\n").as_bytes());
        }
        if end {
            h.extend_from_slice(b"\r\n");
        }
        h
    })
}

/// Reads a head from `wire` cut at `cuts`, checking the outcome.
fn read_head_of(wire: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let mut stream = Drip::new(wire, cuts);
    let deadline = Some(Instant::now() + Duration::from_secs(60));
    let result = timed("read_head", || {
        block_on(h1::read_head(&mut stream, deadline))
    });
    match result {
        Ok((head, rest)) => {
            prop_assert!(rest.len() <= wire.len());
            prop_assert!(head.status == 101 || !(100..200).contains(&head.status));
            // Values are decoded lossily: at most 3 bytes (U+FFFD) per byte.
            let kept: usize = head.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
            prop_assert!(kept <= 3 * wire.len());
            prop_assert!(head.headers.len() <= 4096);
            let _ = head.framing("GET");
            Ok(())
        }
        Err(e) => check_error(e),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_as_a_head(wire in bytes(2048)) {
        match timed("parse_head", || h1::parse_head(&wire)) {
            Ok(Some((head, len))) => {
                prop_assert!(len <= wire.len());
                let kept: usize = head.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
                prop_assert!(kept <= 3 * len);
            }
            Ok(None) => {}
            Err(e) => check_error(e)?,
        }
    }

    #[test]
    fn near_valid_heads_over_any_split(
        wire in head(),
        body in bytes(64),
        mutation in (any::<bool>(), any::<u8>(), any::<usize>(), any::<u8>()),
        cuts in cuts(),
    ) {
        let (on, kind, at, byte) = mutation;
        let mut wire = [wire, body].concat();
        if on {
            wire = mutate(wire, kind, at, byte);
        }
        read_head_of(&wire, &cuts)?;
    }

    #[test]
    fn arbitrary_bytes_as_a_response(wire in bytes(4096), cuts in cuts()) {
        read_head_of(&wire, &cuts)?;
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Reads of at least 512 bytes: smaller ones meet the quadratic cost
    /// below.
    #[test]
    fn heads_around_the_size_limit(
        wire in huge_head(),
        cuts in prop::collection::vec(prop_oneof![512usize..4096, Just(8192)], 1..4),
    ) {
        read_head_of(&wire, &cuts)?;
    }
}

/// Found by this harness: `read_head` parsed the whole buffer again after
/// every read, so a head that arrived a byte per read cost a parse per byte:
/// 64 KiB (2,000 headers) took 43 s in a debug build, 32 KiB 12 s. Past its
/// first KiB a head is now parsed only once its end may have come.
#[test]
fn a_head_a_byte_at_a_time() {
    let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..1800 {
        wire.extend_from_slice(format!("X-{i}: vvvvvvvvvvvvvvvvvvvvvvvv\r\n").as_bytes());
    }
    wire.extend_from_slice(b"\r\n");
    let mut stream = Drip::new(&wire, &[1]);
    let head = timed("read_head", || block_on(h1::read_head(&mut stream, None)));
    assert!(head.is_ok(), "{:?}", head.err());
}

/// A chunk-size line: the size in hex (or a hostile one), an extension.
fn size_line(len: usize, style: u8, ext: &str) -> String {
    match style % 8 {
        0 => format!("{len:X}"),
        1 => format!("{len:x};{ext}"),
        2 => format!("000{len:x} "),
        3 => format!("{:x}", u64::MAX - (len as u64)),
        4 => format!("1{len:016x}"),
        5 => "ffffffffffffffff".to_owned(),
        6 => format!("{len:x};{}", "e".repeat(5000)),
        _ => format!("{len:x}"),
    }
}

/// A chunked body: its wire form, the data it carries, and whether every
/// size line is honest (styles 0, 1 and 7).
fn chunked() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, bool)> {
    (
        prop::collection::vec((bytes(300), prop_oneof![6 => Just(0u8), 4 => 0u8..8]), 0..8),
        texty(20),
        prop::collection::vec((name(), texty(30)), 0..3),
    )
        .prop_map(|(chunks, ext, trailers)| {
            let mut wire = Vec::new();
            let mut data = Vec::new();
            let mut honest = true;
            for (chunk, style) in chunks.into_iter().filter(|(c, _)| !c.is_empty()) {
                honest &= matches!(style, 0 | 1 | 7) && !ext.contains(['\r', '\n']);
                wire.extend_from_slice(size_line(chunk.len(), style, &ext).as_bytes());
                wire.extend_from_slice(b"\r\n");
                wire.extend_from_slice(&chunk);
                wire.extend_from_slice(b"\r\n");
                data.extend_from_slice(&chunk);
            }
            wire.extend_from_slice(b"0\r\n");
            for (n, v) in trailers {
                honest &= !v.contains(['\r', '\n']) && !n.contains(['\r', '\n', ':']);
                wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
            (wire, data, honest)
        })
}

/// Reads a body framed as `framing` from `wire` (the first `head` bytes as
/// the head's leftover), under `budget`: the bytes and the outcome.
fn body_of(
    framing: Framing,
    wire: &[u8],
    leftover: usize,
    cuts: &[usize],
    budget: usize,
    gzip: bool,
) -> (Vec<u8>, Result<(), h1::Error>) {
    let split = leftover.min(wire.len());
    let mut stream = Drip::new(&wire[split..], cuts);
    let mut out = Vec::new();
    let deadline = Some(Instant::now() + Duration::from_secs(60));
    let result = timed("body", || {
        block_on(
            BodyReader::new(framing, wire[..split].to_vec(), budget)
                .gunzip(gzip)
                .read_to_end(&mut stream, deadline, &mut out),
        )
    });
    (out, result)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn chunked_bodies(
        (wire, data, honest) in chunked(),
        mutation in (any::<bool>(), any::<u8>(), any::<usize>(), any::<u8>()),
        leftover in 0usize..64,
        cuts in cuts(),
        budget in prop_oneof![Just(1usize << 20), 0usize..2000],
    ) {
        let (on, kind, at, byte) = mutation;
        let wire = if on { mutate(wire, kind, at, byte) } else { wire };
        let (out, result) = body_of(Framing::Chunked, &wire, leftover, &cuts, budget, false);
        prop_assert!(out.len() <= budget);
        prop_assert!(out.len() <= wire.len());
        if !on && honest && data.len() <= budget {
            prop_assert!(result.is_ok(), "{:?}", result);
            prop_assert_eq!(out, data);
        } else if let Err(e) = result {
            check_error(e)?;
        }
    }

    #[test]
    fn arbitrary_bytes_as_a_body(
        wire in bytes(4096),
        framing in prop_oneof![
            Just(Framing::Chunked),
            Just(Framing::Close),
            Just(Framing::Empty),
            any::<u64>().prop_map(Framing::Length),
            (0u64..64).prop_map(|n| Framing::Length(u64::MAX - n)),
        ],
        gzip in any::<bool>(),
        cuts in cuts(),
        budget in 0usize..8192,
    ) {
        let (out, result) = body_of(framing, &wire, 0, &cuts, budget, gzip);
        prop_assert!(out.len() <= budget);
        if !gzip {
            prop_assert!(out.len() <= wire.len());
        }
        if let Err(e) = result {
            check_error(e)?;
        }
    }

    #[test]
    fn gzip_bodies(
        data in prop_oneof![bytes(3000), (0usize..200_000).prop_map(|n| vec![b'a'; n])],
        mutation in (any::<bool>(), any::<u8>(), any::<usize>(), any::<u8>()),
        chunked in any::<bool>(),
        cuts in cuts(),
        budget in prop_oneof![Just(1usize << 20), 0usize..5000],
    ) {
        let (on, kind, at, byte) = mutation;
        let mut wire = gzip(&data);
        if on {
            wire = mutate(wire, kind, at, byte);
        }
        let framing = if chunked {
            wire = [format!("{:x}\r\n", wire.len()).as_bytes(), &wire, b"\r\n0\r\n\r\n"].concat();
            Framing::Chunked
        } else {
            Framing::Close
        };
        let (out, result) = body_of(framing, &wire, 0, &cuts, budget, true);
        prop_assert!(out.len() <= budget);
        if !on && data.len() <= budget {
            prop_assert!(result.is_ok(), "{:?}", result);
            prop_assert_eq!(out, data);
        } else if !on {
            prop_assert!(matches!(result, Err(h1::Error::BodyTooLarge { .. })), "{:?}", result);
        } else if let Err(e) = result {
            check_error(e)?;
        }
    }
}

proptest! {
    #![proptest_config(heavy(6))]

    /// A small gzip stream that inflates to megabytes: cut at the budget,
    /// whatever the split.
    #[test]
    fn gzip_bombs_stop_at_the_budget(megabytes in 1usize..16, cuts in cuts(), budget in 0usize..(1 << 20)) {
        let wire = gzip(&vec![0u8; megabytes << 20]);
        let (out, result) = body_of(Framing::Close, &wire, 0, &cuts, budget, true);
        prop_assert!(out.len() <= budget);
        prop_assert!(matches!(result, Err(h1::Error::BodyTooLarge { .. })), "{:?}", result);
    }
}
