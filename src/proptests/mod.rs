//! Property tests of every parser that reads bytes from the network or a
//! file (issue 11's fuzzing harness: `cargo fuzz` needs a nightly toolchain,
//! proptest runs on stable inside `cargo test`).
//!
//! Each property feeds a parser arbitrary bytes and inputs close to valid
//! (a valid head with one field mutated, chunk sizes near `u64::MAX`, deep
//! or huge values) and asserts: no panic; bounded time (every call under
//! [`LIMIT`] of wall clock, a hang detector far above the real cost);
//! bounded memory (what comes out is bounded by a function of what went
//! in, or by the parser's own limit); and a failure that is an error value
//! with a stable code where the parser's error has one.
//!
//! One file per parser family: [`h1`] (response heads, bodies: length,
//! chunked, close, gzip), [`sse`] (event framing), [`proxy`] (CONNECT
//! replies, SOCKS5 replies, proxy URLs, NO_PROXY lists), [`checkfile`],
//! [`pem`] (PEM bundles, DER chains through the certificate stage),
//! [`resolver`] (hosts, resolv.conf) and [`explain`].
//!
//! Case counts are fixed in code ([`config`]) so that `cargo test` stays
//! fast in CI; `PROPTEST_CASES=100000 cargo test --lib proptests` runs
//! longer locally. Failures are never persisted to files.

mod checkfile;
mod explain;
mod h1;
mod pem;
mod proxy;
mod resolver;
mod sse;

use proptest::prelude::*;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};

/// The wall-clock bound of one parse: far above its real cost (well under
/// a millisecond for most inputs here), so that only a hang or a quadratic
/// blow-up trips it, even on a loaded 2-core machine.
pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// The config of a property: `cases` in CI, `PROPTEST_CASES` when set; no
/// failure files written into the tree.
pub(crate) fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The config of a costly property (megabytes per case): `cases` in CI,
/// a 250th of `PROPTEST_CASES` (at least `cases`) when set.
pub(crate) fn heavy(cases: u32) -> ProptestConfig {
    let mut c = config(cases);
    if c.cases != cases {
        c.cases = (c.cases / 250).max(cases);
    }
    c
}

/// Runs `f`, failing the case when it takes longer than [`LIMIT`].
pub(crate) fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < LIMIT, "{what} took {took:?}");
    out
}

/// Runs a future to its end on a current-thread runtime (with time, for
/// the readers' deadlines).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
        .block_on(f)
}

/// A reader that hands out its bytes in the given pieces (then the end of
/// the stream), so that the parsers meet every split of their input.
pub(crate) struct Drip {
    pieces: std::collections::VecDeque<Vec<u8>>,
}

impl Drip {
    /// `wire` cut at the given lengths (cycled; a zero length counts as 1).
    pub(crate) fn new(wire: &[u8], cuts: &[usize]) -> Drip {
        let mut pieces = std::collections::VecDeque::new();
        let mut rest = wire;
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts
                .get(i % cuts.len().max(1))
                .copied()
                .unwrap_or(rest.len())
                .clamp(1, rest.len());
            pieces.push_back(rest[..n].to_vec());
            rest = &rest[n..];
            i += 1;
        }
        Drip { pieces }
    }
}

impl AsyncRead for Drip {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(mut piece) = self.pieces.pop_front() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            if n < piece.len() {
                self.pieces.push_front(piece.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Arbitrary bytes up to `max` long.
pub(crate) fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

/// Where to cut a stream: piece lengths, mostly small.
pub(crate) fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1usize..8, 1usize..600, Just(8192)], 1..6)
}

/// Text that looks like protocol text: mostly printable ASCII, with the
/// bytes parsers trip on (CR, LF, NUL, `:`, `%`, `@`, high bytes).
pub(crate) fn texty(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::char::range(' ', '~'),
            1 => prop::sample::select(vec!['\r', '\n', '\0', '\t', ':', '%', '@', '[', ']', '/', ',', '*', '.', 'é', '\u{1b}', '\u{202e}']),
        ],
        0..=max,
    )
    .prop_map(|c| c.into_iter().collect())
}

/// `input` with one byte replaced, one inserted or one removed at `at`
/// (modulo its length): a near-valid mutation.
pub(crate) fn mutate(mut input: Vec<u8>, kind: u8, at: usize, byte: u8) -> Vec<u8> {
    if input.is_empty() {
        return vec![byte];
    }
    let at = at % input.len();
    match kind % 4 {
        0 => input[at] = byte,
        1 => input.insert(at, byte),
        2 => {
            input.remove(at);
        }
        _ => input.truncate(at),
    }
    input
}
