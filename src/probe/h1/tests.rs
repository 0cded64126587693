//! Unit tests of the HTTP/1.1 client: heads, bodies, framing, limits.

use super::body::{Decoder, State};
use super::*;
use std::io::Write as _;
use std::time::Duration;

/// Reads a head then the whole body from `wire` (a close at its end).
async fn exchange(wire: &[u8], budget: usize) -> (Head, Vec<u8>, Result<(), Error>) {
    let mut stream = wire;
    let (head, rest) = read_head(&mut stream, None).await.expect("head");
    let mut body = Vec::new();
    let framing = head.framing("GET");
    let gzip = head.header("content-encoding") == Some("gzip");
    let result = BodyReader::new(framing, rest, budget)
        .gunzip(gzip)
        .read_to_end(&mut stream, None, &mut body)
        .await;
    (head, body, result)
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn writes_the_three_request_forms() {
    let mut r = Request::origin("POST", "/v1?a=1");
    r.header("Host", "h.test").body(b"{}");
    assert_eq!(
        r.encode().unwrap(),
        b"POST /v1?a=1 HTTP/1.1\r\nHost: h.test\r\nContent-Length: 2\r\n\r\n{}"
    );
    let r = Request::absolute("GET", "h.test:80", "/x.crl");
    assert!(r
        .encode()
        .unwrap()
        .starts_with(b"GET http://h.test:80/x.crl HTTP/1.1\r\n"));
    let mut r = Request::connect("[::1]:443");
    r.header("Host", "[::1]:443");
    assert_eq!(
        r.encode().unwrap(),
        b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n"
    );
    let mut r = Request::origin("GET", "/");
    r.header("X", "a\r\nInjected: 1");
    assert!(matches!(r.encode(), Err(Error::Invalid("header value"))));
}

#[test]
fn head_parsing() {
    let (h, len) = parse_head(b"HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\nbody")
        .unwrap()
        .unwrap();
    assert_eq!((h.status, len, h.header("SERVER")), (404, 37, Some("x")));
    assert!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
    assert!(parse_head(b"\x00\x01garbage\r\n\r\n").is_err());
}

#[test]
fn interim_responses_are_skipped() {
    let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let (head, body, result) = run(exchange(wire, 1024));
    assert_eq!((head.status, head.reason.as_str()), (200, "OK"));
    assert_eq!(body, b"ok");
    result.unwrap();
    // 101 is final.
    let mut s: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00";
    let (head, rest) = run(read_head(&mut s, None)).unwrap();
    assert_eq!((head.status, rest.as_slice()), (101, &b"\x81\x00"[..]));
}

#[test]
fn a_head_over_the_limit_is_refused() {
    let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
    while wire.len() <= MAX_HEAD + 8192 {
        wire.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let mut s = wire.as_slice();
    let err = run(read_head(&mut s, None)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::HeadTooLarge {
                limit: MAX_HEAD,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.to_string(), "the response head is larger than 64 KiB");
    let mut s: &[u8] = b"SSH-2.0-OpenSSH_9.6\r\n\r\n";
    let err = run(read_head(&mut s, None)).unwrap_err();
    assert_eq!(err.start(), Some(&b"SSH-2.0-OpenSSH_9.6\r\n\r\n"[..]));
    let mut s: &[u8] = b"";
    assert!(matches!(run(read_head(&mut s, None)), Err(Error::Empty)));
    let mut s: &[u8] = b"HTTP/1.1 200 OK\r\n";
    let err = run(read_head(&mut s, None)).unwrap_err();
    assert!(
        matches!(err, Error::Truncated { received: 17, .. }),
        "{err}"
    );
}

#[test]
fn chunked_with_extensions_and_trailers() {
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\nExpires: never\r\nX-T: 1\r\n\r\nNEXT";
    // (gzip named but not asked for: the bytes stay as they are)
    let mut stream: &[u8] = wire;
    let (head, rest) = run(read_head(&mut stream, None)).unwrap();
    assert_eq!(head.framing("GET"), Framing::Chunked);
    let mut reader = BodyReader::new(Framing::Chunked, rest, 1024);
    let mut body = Vec::new();
    run(reader.read_to_end(&mut stream, None, &mut body)).unwrap();
    assert_eq!(body, b"hello world");
    assert_eq!(reader.decoder.state, State::Done);
    // Fed a byte at a time, the same.
    let mut d = Decoder::new(Framing::Chunked, 1024);
    let mut out = Vec::new();
    for b in b"5;a=\"b\"\r\nhello\r\n0\r\n\r\n" {
        d.feed(&[*b], &mut out).unwrap();
    }
    assert_eq!((out.as_slice(), d.state), (&b"hello"[..], State::Done));
}

#[test]
fn a_chunk_size_near_u64_max_is_an_error() {
    for size in ["ffffffffffffffff", "fffffffffffffffff", "fffffffffffffffe"] {
        let wire = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n{}",
            "a".repeat(100)
        );
        let (_, body, result) = run(exchange(wire.as_bytes(), 64));
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::BodyTooLarge { budget: 64 } | Error::BadChunkSize { .. }
            ),
            "{size}: {err}"
        );
        assert!(body.len() <= 64);
    }
    // Without the data it promises: truncated, never an overflow.
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc";
    let (_, body, result) = run(exchange(wire, 1024));
    assert_eq!(body, b"abc");
    assert!(matches!(result, Err(Error::BodyTruncated { .. })));
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    let (_, _, result) = run(exchange(wire, 1024));
    assert!(matches!(result, Err(Error::BadChunkSize { .. })));
}

#[test]
fn content_length_body() {
    let wire = b"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
    let (head, body, result) = run(exchange(wire, 1024));
    assert_eq!((head.status, body.as_slice()), (404, &b"hello"[..]));
    result.unwrap();
    // Cut short by the close.
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
    let (_, body, result) = run(exchange(wire, 1024));
    assert_eq!(body, b"abc");
    assert!(matches!(result, Err(Error::BodyTruncated { received: 3 })));
}

#[test]
fn a_stalled_body_keeps_what_came_before_the_deadline() {
    run(async {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .unwrap();
        let (head, rest) = read_head(&mut client, None).await.unwrap();
        let mut body = Vec::new();
        let until = Instant::now() + Duration::from_millis(50);
        let result = BodyReader::new(head.framing("GET"), rest, 1024)
            .read_to_end(&mut client, Some(until), &mut body)
            .await;
        assert_eq!(body, b"abc");
        assert!(matches!(result, Err(Error::Timeout { received: 3 })));
    });
}

#[test]
fn a_close_delimited_body_over_the_budget() {
    let mut wire = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
    wire.extend(std::iter::repeat_n(b'x', 10_000));
    let (head, body, result) = run(exchange(&wire, 4096));
    assert_eq!((head.version, head.framing("GET")), (0, Framing::Close));
    assert_eq!(body.len(), 4096);
    assert!(matches!(result, Err(Error::BodyTooLarge { budget: 4096 })));
    // Within the budget, the close ends it.
    let (_, body, result) = run(exchange(b"HTTP/1.1 200 OK\r\n\r\nall", 4096));
    assert_eq!(body, b"all");
    result.unwrap();
}

#[test]
fn a_chunked_body_of_mostly_framing_is_cut_on_the_wire_too() {
    // One byte per chunk behind 1 KiB of chunk extension: the decoded body
    // stays tiny while the wire bytes grow without end.
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let ext = "e".repeat(1000);
    for _ in 0..200 {
        wire.extend_from_slice(format!("1;x={ext}\r\nx\r\n").as_bytes());
    }
    let (_, body, result) = run(exchange(&wire, 1024));
    assert!(body.len() < 1024, "decoded {}", body.len());
    assert!(
        matches!(result, Err(Error::BodyTooLarge { budget: 1024 })),
        "{result:?}"
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_body() {
    let text = b"data: one\n\ndata: [DONE]\n\n".repeat(10);
    let packed = gzip(&text);
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        packed.len()
    )
    .into_bytes();
    wire.extend_from_slice(&packed);
    wire.extend_from_slice(b"\r\n0\r\n\r\n");
    let (_, body, result) = run(exchange(&wire, 1 << 20));
    result.unwrap();
    assert_eq!(body, text);
    // A bomb stops at the budget.
    let bomb = gzip(&vec![0u8; 1 << 20]);
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    wire.extend_from_slice(&bomb);
    let (_, body, result) = run(exchange(&wire, 1000));
    assert_eq!(body.len(), 1000);
    assert!(matches!(result, Err(Error::BodyTooLarge { budget: 1000 })));
    // Not gzip at all.
    let wire = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!";
    let (_, _, result) = run(exchange(wire, 1000));
    assert!(matches!(result, Err(Error::Gzip(_))), "{result:?}");
}

#[test]
fn incremental_reads_give_bytes_as_they_come() {
    run(async {
        let (mut client, mut server) = tokio::io::duplex(1024);
        server
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n")
            .await
            .unwrap();
        let (head, rest) = read_head(&mut client, None).await.unwrap();
        let mut body = BodyReader::new(head.framing("GET"), rest, 1024);
        let first = body.next(&mut client, None).await.unwrap();
        assert_eq!(first.as_deref(), Some(&b"one"[..]));
        server.write_all(b"3\r\ntwo\r\n0\r\n\r\n").await.unwrap();
        let second = body.next(&mut client, None).await.unwrap();
        assert_eq!(second.as_deref(), Some(&b"two"[..]));
        assert_eq!(body.next(&mut client, None).await.unwrap(), None);
    });
}

/// A gzip'd body that inflates to `mib` MiB of zeros, about 1 KiB on the
/// wire per MiB: one raw-deflate segment of 1 MiB ended by a full flush
/// (which resets the dictionary, so the segment stands alone), repeated,
/// behind a gzip header. Never finished: the trailer is never reached.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let mut segment = Vec::with_capacity(64 * 1024);
    c.compress_vec(
        &vec![0u8; 1 << 20],
        &mut segment,
        flate2::FlushCompress::Full,
    )
    .unwrap();
    assert_eq!(c.total_in(), 1 << 20);
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    for _ in 0..mib {
        bomb.extend_from_slice(&segment);
    }
    bomb
}

#[test]
fn a_gzip_bomb_of_a_gibibyte_stops_at_the_budget_of_decoded_bytes() {
    let bomb = gzip_bomb(1024);
    assert!(bomb.len() < 2 << 20, "{} bytes on the wire", bomb.len());
    // The segments decode (a small bomb, whole, within a big budget).
    let small = gzip_bomb(3);
    let mut wire = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    wire.extend_from_slice(&small);
    let (_, body, _) = run(exchange(&wire, 8 << 20));
    assert_eq!(body.len(), 3 << 20);
    assert!(body.iter().all(|b| *b == 0));
    // The gibibyte: cut at the budget, with a few KiB read off the wire.
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        bomb.len()
    )
    .into_bytes();
    wire.extend_from_slice(&bomb);
    let started = Instant::now();
    let mut stream = wire.as_slice();
    let (head, rest) = run(read_head(&mut stream, None)).unwrap();
    let mut reader = BodyReader::new(head.framing("GET"), rest, 1 << 20).gunzip(true);
    let mut body = Vec::new();
    let result = run(reader.read_to_end(&mut stream, None, &mut body));
    assert_eq!(body.len(), 1 << 20);
    assert!(
        matches!(result, Err(Error::BodyTooLarge { budget: 1_048_576 })),
        "{result:?}"
    );
    assert!(
        reader.decoder.received < 64 * 1024,
        "{}",
        reader.decoder.received
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn inflating_stops_at_the_deadline_not_only_between_reads() {
    // A budget too big to bind: only the deadline can stop the inflating.
    let mut wire = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    wire.extend_from_slice(&gzip_bomb(1024));
    let mut stream = wire.as_slice();
    let (head, rest) = run(read_head(&mut stream, None)).unwrap();
    let mut reader = BodyReader::new(head.framing("GET"), rest, 2 << 30).gunzip(true);
    let mut body = Vec::new();
    let started = Instant::now();
    let until = started + Duration::from_millis(100);
    let result = run(reader.read_to_end(&mut stream, Some(until), &mut body));
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    assert!(body.len() < 1 << 30, "inflated {} bytes", body.len());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
