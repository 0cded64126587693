//! The one HTTP/1.1 client of the probes: every request netdoctor writes
//! itself (the http stage's exchange, the stream stage's chat completion,
//! the proxy's `CONNECT`, the revocation fetches) goes through here.
//!
//! - [`Request`] writes a request: origin-form (`GET /path`), absolute-form
//!   for a plain proxy (`GET http://host/path`) or authority-form for
//!   `CONNECT host:port`; headers in the order given, `Content-Length` for a
//!   body. CR, LF or NUL in any part is refused (no request smuggling).
//! - [`read_head`] reads a response head with httparse under [`MAX_HEAD`]
//!   bytes, skipping interim responses (`100 Continue`, `103 Early Hints`;
//!   `101` is final), and hands back the bytes read past it.
//! - [`BodyReader`] reads the body its head announces (RFC 9112 §6.3:
//!   `Content-Length`, `chunked` via [`httparse::parse_chunk_size`], or up
//!   to the close), optionally gunzipping it, under a byte budget (of
//!   decoded bytes) and a deadline: incrementally ([`BodyReader::next`],
//!   for the stream stage's events) or whole ([`BodyReader::read_to_end`]).
//!
//! Every failure is an [`Error`] saying what happened; the stages map them
//! onto their diagnoses. Reading never panics on what a server sends: sizes
//! are `u64` counted down, never added to.

use crate::redact;
use std::io::{self, Write as _};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most response headers accepted (the 64 KiB head limit binds first).
const MAX_HEADERS: usize = 4096;
/// The header slots tried first (most heads fit).
const FEW_HEADERS: usize = 128;
/// The longest chunk-size line (with its extensions).
const MAX_CHUNK_LINE: usize = 4096;
/// The largest trailer section of a chunked body.
const MAX_TRAILERS: usize = 16 * 1024;
/// How many of the first bytes an error keeps, to quote.
const START: usize = 40;

/// What went wrong writing a request or reading a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("the request's {0} contains CR, LF or NUL")]
    Invalid(&'static str),
    #[error("sending the request failed: {0}")]
    Write(#[source] io::Error),
    #[error("reading the response failed after {received} byte(s): {source}")]
    Read {
        received: usize,
        #[source]
        source: io::Error,
    },
    /// The peer reset (or aborted) the connection.
    #[error("reading the response failed after {received} byte(s): {source}")]
    Reset {
        received: usize,
        #[source]
        source: io::Error,
    },
    #[error("the deadline passed after {received} byte(s)")]
    Timeout { received: usize },
    #[error("the server closed the connection without a response")]
    Empty,
    #[error(
        "the server closed the connection after {received} byte(s), before the response head was complete"
    )]
    Truncated { received: usize, start: Vec<u8> },
    #[error("the response head is larger than {} KiB", limit / 1024)]
    HeadTooLarge { limit: usize, start: Vec<u8> },
    #[error(
        "the response is not HTTP/1.x: {reason} (first bytes: \"{}\")",
        shown(start)
    )]
    Malformed {
        reason: httparse::Error,
        start: Vec<u8>,
    },
    #[error("the body is larger than {budget} bytes")]
    BodyTooLarge { budget: usize },
    #[error("the body ended after {received} byte(s), before its announced end")]
    BodyTruncated { received: u64 },
    #[error("a chunk size line is not valid: \"{}\"", shown(line))]
    BadChunkSize { line: Vec<u8> },
    #[error("a chunk's data is not followed by CRLF")]
    BadChunkEnd,
    #[error("the chunked body's trailers are larger than {limit} bytes")]
    TrailersTooLarge { limit: usize },
    #[error("the gzip'd body does not decode: {0}")]
    Gzip(#[source] io::Error),
}

impl Error {
    /// The first bytes the server sent, when the head could not be read.
    pub fn start(&self) -> Option<&[u8]> {
        match self {
            Error::Truncated { start, .. }
            | Error::HeadTooLarge { start, .. }
            | Error::Malformed { start, .. } => Some(start),
            _ => None,
        }
    }
}

/// The first bytes, as text safe to print.
fn shown(start: &[u8]) -> String {
    redact::terminal_safe(&String::from_utf8_lossy(start), START)
}

fn start_of(buf: &[u8]) -> Vec<u8> {
    buf[..buf.len().min(START)].to_vec()
}

/// A request to write.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// An origin-form request: `GET /path?query HTTP/1.1`.
    pub fn origin(method: &str, path: &str) -> Request {
        Request::with_target(method, path.to_owned())
    }

    /// An absolute-form request, for a plain-http proxy:
    /// `GET http://authority/path HTTP/1.1`.
    pub fn absolute(method: &str, authority: &str, path: &str) -> Request {
        Request::with_target(method, format!("http://{authority}{path}"))
    }

    /// An authority-form `CONNECT authority HTTP/1.1`.
    pub fn connect(authority: &str) -> Request {
        Request::with_target("CONNECT", authority.to_owned())
    }

    fn with_target(method: &str, target: String) -> Request {
        Request {
            method: method.to_owned(),
            target,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header (in order; names are sent as given).
    pub fn header(&mut self, name: &str, value: &str) -> &mut Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body; `Content-Length` goes last among the headers unless
    /// one was set.
    pub fn body(&mut self, body: &[u8]) -> &mut Request {
        self.body = Some(body.to_vec());
        self
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if self.method.is_empty() || bad(&self.method) || self.method.contains(' ') {
            return Err(Error::Invalid("method"));
        }
        if bad(&self.target) || self.target.contains(' ') {
            return Err(Error::Invalid("request target"));
        }
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            if name.is_empty() || bad(name) || name.contains(':') {
                return Err(Error::Invalid("header name"));
            }
            if bad(value) {
                return Err(Error::Invalid("header value"));
            }
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if let Some(body) = &self.body {
            let set = self
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
            if !set {
                out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        if let Some(body) = &self.body {
            out.extend_from_slice(body);
        }
        Ok(out)
    }
}

/// Writes `request` and flushes it (the caller's deadline cuts a stall).
pub async fn send<S>(stream: &mut S, request: &Request) -> Result<(), Error>
where
    S: AsyncWrite + Unpin + ?Sized,
{
    let bytes = request.encode()?;
    stream.write_all(&bytes).await.map_err(Error::Write)?;
    stream.flush().await.map_err(Error::Write)
}

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub reason: String,
    /// The minor version: 1 for HTTP/1.1.
    pub version: u8,
    /// Names as sent; values decoded lossily.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// How the body after this head ends, for a request of `method`
    /// (RFC 9112 §6.3).
    pub fn framing(&self, method: &str) -> Framing {
        if method.eq_ignore_ascii_case("HEAD") || matches!(self.status, 100..=199 | 204 | 304) {
            return Framing::Empty;
        }
        if let Some(last) = self.all("transfer-encoding").last() {
            let coding = last.rsplit(',').next().unwrap_or("").trim();
            return if coding.eq_ignore_ascii_case("chunked") {
                Framing::Chunked
            } else {
                Framing::Close
            };
        }
        match self.header("content-length").map(|v| v.trim().parse()) {
            Some(Ok(n)) => Framing::Length(n),
            _ => Framing::Close,
        }
    }
}

/// Parses a complete head at the start of `buf` (and its length), `None`
/// while it is incomplete.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, Error> {
    match parse_head_with(buf, FEW_HEADERS) {
        Err(httparse::Error::TooManyHeaders) => parse_head_with(buf, MAX_HEADERS),
        other => other,
    }
    .map_err(|reason| Error::Malformed {
        reason,
        start: start_of(buf),
    })
}

fn parse_head_with(buf: &[u8], slots: usize) -> Result<Option<(Head, usize)>, httparse::Error> {
    let mut storage = vec![httparse::EMPTY_HEADER; slots];
    let mut resp = httparse::Response::new(&mut storage);
    Ok(match resp.parse(buf)? {
        httparse::Status::Complete(len) => Some((
            Head {
                status: resp.code.unwrap_or(0),
                reason: resp.reason.unwrap_or("").to_owned(),
                version: resp.version.unwrap_or(1),
                headers: resp
                    .headers
                    .iter()
                    .map(|h| {
                        let value = String::from_utf8_lossy(h.value).into_owned();
                        (h.name.to_owned(), value)
                    })
                    .collect(),
            },
            len,
        )),
        httparse::Status::Partial => None,
    })
}

/// One read, cut at `deadline`; `received` is for the error.
async fn read_some<S>(
    stream: &mut S,
    buf: &mut [u8],
    deadline: Option<Instant>,
    received: usize,
) -> Result<usize, Error>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let read = stream.read(buf);
    let result = match deadline {
        Some(d) => tokio::time::timeout_at(d.into(), read)
            .await
            .map_err(|_| Error::Timeout { received })?,
        None => read.await,
    };
    result.map_err(|source| match source.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            Error::Reset { received, source }
        }
        _ => Error::Read { received, source },
    })
}

/// Reads the final response head (interim 1xx skipped, `101` kept) under
/// [`MAX_HEAD`], and the bytes read past it. Without a deadline, the
/// caller's cuts a slow server.
pub async fn read_head<S>(
    stream: &mut S,
    deadline: Option<Instant>,
) -> Result<(Head, Vec<u8>), Error>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = read_some(stream, &mut chunk, deadline, buf.len()).await?;
        if n == 0 {
            return Err(if buf.is_empty() {
                Error::Empty
            } else {
                Error::Truncated {
                    received: buf.len(),
                    start: start_of(&buf),
                }
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        while let Some((head, len)) = parse_head(&buf)? {
            let rest = buf.split_off(len);
            if (100..200).contains(&head.status) && head.status != 101 {
                buf = rest;
                continue;
            }
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(Error::HeadTooLarge {
                limit: MAX_HEAD,
                start: start_of(&buf),
            });
        }
    }
}

/// How a body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything up to the close.
    Close,
}

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length(u64),
    Close,
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    Done,
}

/// A writer that takes at most `room` bytes (gunzipping under a budget).
struct Capped {
    out: Vec<u8>,
    room: usize,
    over: bool,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 && !buf.is_empty() {
            self.over = true;
            return Err(io::Error::other("over the body budget"));
        }
        let n = buf.len().min(self.room);
        self.out.extend_from_slice(&buf[..n]);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The body decoder without I/O: framing, then gzip, then the budget.
struct Decoder {
    state: State,
    /// Framing bytes not consumed yet (a partial chunk-size line, …).
    buf: Vec<u8>,
    gzip: Option<flate2::write::GzDecoder<Capped>>,
    budget: usize,
    produced: usize,
    /// Body bytes received (framing included).
    received: u64,
}

impl Decoder {
    fn new(framing: Framing, budget: usize) -> Decoder {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::Close => State::Close,
        };
        Decoder {
            state,
            buf: Vec::new(),
            gzip: None,
            budget,
            produced: 0,
            received: 0,
        }
    }

    /// Decodes `input`, appending what it carries to `out`.
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.received += input.len() as u64;
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(input);
        let result = self.frame(&buf, out);
        let used = *result.as_ref().unwrap_or(&buf.len());
        buf.drain(..used);
        self.buf = buf;
        result?;
        if self.state == State::Done {
            self.finish_gzip(out)?;
        }
        Ok(())
    }

    /// Runs the framing over `buf`: how much of it was consumed.
    fn frame(&mut self, buf: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
        let mut pos = 0;
        loop {
            let avail = &buf[pos..];
            match self.state {
                State::Done => return Ok(pos),
                State::Close => {
                    self.emit(avail, out)?;
                    return Ok(buf.len());
                }
                State::Length(left) | State::ChunkData(left) => {
                    let take = usize::try_from(left).map_or(avail.len(), |l| l.min(avail.len()));
                    let left = left - take as u64;
                    self.state = match self.state {
                        State::Length(_) if left == 0 => State::Done,
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::ChunkEnd,
                        _ => State::ChunkData(left),
                    };
                    pos += take;
                    self.emit(&avail[..take], out)?;
                    if take == avail.len() && self.state != State::Done {
                        return Ok(pos);
                    }
                }
                State::ChunkSize => match httparse::parse_chunk_size(avail) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        pos += used;
                        self.state = if size == 0 {
                            State::Trailers
                        } else {
                            State::ChunkData(size)
                        };
                    }
                    Ok(httparse::Status::Partial) if avail.len() <= MAX_CHUNK_LINE => {
                        return Ok(pos)
                    }
                    _ => {
                        let end = memchr::memmem::find(avail, b"\r\n").unwrap_or(avail.len());
                        return Err(Error::BadChunkSize {
                            line: start_of(&avail[..end]),
                        });
                    }
                },
                State::ChunkEnd => {
                    if avail.len() < 2 {
                        return Ok(pos);
                    }
                    if &avail[..2] != b"\r\n" {
                        return Err(Error::BadChunkEnd);
                    }
                    pos += 2;
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let end = if avail.starts_with(b"\r\n") {
                        Some(2)
                    } else {
                        memchr::memmem::find(avail, b"\r\n\r\n").map(|i| i + 4)
                    };
                    match end {
                        Some(n) => {
                            pos += n;
                            self.state = State::Done;
                        }
                        None if avail.len() > MAX_TRAILERS => {
                            return Err(Error::TrailersTooLarge {
                                limit: MAX_TRAILERS,
                            })
                        }
                        None => return Ok(pos),
                    }
                }
            }
        }
    }

    /// Passes body bytes on (gunzipped when asked), within the budget.
    fn emit(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if data.is_empty() {
            return Ok(());
        }
        let room = self.budget - self.produced;
        let Some(gz) = &mut self.gzip else {
            let take = data.len().min(room);
            out.extend_from_slice(&data[..take]);
            self.produced += take;
            return if take < data.len() {
                Err(Error::BodyTooLarge {
                    budget: self.budget,
                })
            } else {
                Ok(())
            };
        };
        gz.get_mut().room = room;
        let written = gz.write_all(data).and_then(|()| gz.flush());
        self.take_gunzipped(out, written)
    }

    fn take_gunzipped(&mut self, out: &mut Vec<u8>, written: io::Result<()>) -> Result<(), Error> {
        let Some(gz) = &mut self.gzip else {
            return Ok(());
        };
        let sink = gz.get_mut();
        let got = std::mem::take(&mut sink.out);
        let over = sink.over;
        self.produced += got.len();
        out.extend_from_slice(&got);
        match written {
            Err(_) if over => Err(Error::BodyTooLarge {
                budget: self.budget,
            }),
            Err(e) => Err(Error::Gzip(e)),
            Ok(()) => Ok(()),
        }
    }

    /// At the end of the body: the rest of the gzip stream, checked.
    fn finish_gzip(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let finished = match &mut self.gzip {
            Some(gz) => {
                gz.get_mut().room = self.budget - self.produced;
                gz.try_finish()
            }
            None => return Ok(()),
        };
        let result = self.take_gunzipped(out, finished);
        self.gzip = None;
        result
    }

    /// The connection closed: the end of a close-delimited body, a
    /// truncation of any other.
    fn eof(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self.state {
            State::Done => Ok(()),
            State::Close => {
                self.state = State::Done;
                self.finish_gzip(out)
            }
            _ => {
                self.state = State::Done;
                Err(Error::BodyTruncated {
                    received: self.received,
                })
            }
        }
    }
}

/// Reads a response body after [`read_head`].
pub struct BodyReader {
    decoder: Decoder,
    /// Bytes read past the head, not decoded yet.
    pending: Vec<u8>,
    /// An error met after decoding some bytes, for the next call.
    held: Option<Error>,
}

impl BodyReader {
    /// A reader for a body framed as `framing`, starting with `leftover`
    /// (the bytes [`read_head`] read past the head), keeping at most
    /// `budget` decoded bytes.
    pub fn new(framing: Framing, leftover: Vec<u8>, budget: usize) -> BodyReader {
        BodyReader {
            decoder: Decoder::new(framing, budget),
            pending: leftover,
            held: None,
        }
    }

    /// Gunzips the body (`Content-Encoding: gzip`) when `on`.
    #[must_use]
    pub fn gunzip(mut self, on: bool) -> BodyReader {
        if on {
            let sink = Capped {
                out: Vec::new(),
                room: self.decoder.budget,
                over: false,
            };
            self.decoder.gzip = Some(flate2::write::GzDecoder::new(sink));
        }
        self
    }

    /// The next decoded bytes as they arrive, `None` at the end of the
    /// body. An error comes after the bytes decoded before it.
    pub async fn next<S>(
        &mut self,
        stream: &mut S,
        deadline: Option<Instant>,
    ) -> Result<Option<Vec<u8>>, Error>
    where
        S: AsyncRead + Unpin + ?Sized,
    {
        if let Some(e) = self.held.take() {
            return Err(e);
        }
        let mut chunk = [0u8; 8192];
        loop {
            if self.decoder.state == State::Done {
                return Ok(None);
            }
            let mut out = Vec::new();
            let result = if self.pending.is_empty() {
                let received = usize::try_from(self.decoder.received).unwrap_or(usize::MAX);
                match read_some(stream, &mut chunk, deadline, received).await? {
                    0 => self.decoder.eof(&mut out),
                    n => self.decoder.feed(&chunk[..n], &mut out),
                }
            } else {
                let pending = std::mem::take(&mut self.pending);
                self.decoder.feed(&pending, &mut out)
            };
            match result {
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    self.decoder.state = State::Done;
                    self.held = Some(e);
                    return Ok(Some(out));
                }
                Ok(()) if out.is_empty() => {}
                Ok(()) => return Ok(Some(out)),
            }
        }
    }

    /// Reads the whole body into `out`; on an error, `out` keeps what came
    /// before it.
    pub async fn read_to_end<S>(
        &mut self,
        stream: &mut S,
        deadline: Option<Instant>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error>
    where
        S: AsyncRead + Unpin + ?Sized,
    {
        while let Some(data) = self.next(stream, deadline).await? {
            out.extend_from_slice(&data);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut s: &[u8] =
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00";
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
        let wire =
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!";
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
}
