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

mod body;

pub use body::{BodyReader, Framing};

use crate::redact;
use std::io;
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
    redact::bounded(&String::from_utf8_lossy(start), START)
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

/// A control byte that curl and Python accept inside a header value
/// (an escape, a bell…) though httparse rejects it: not NUL, CR, LF or HTAB.
fn lenient_control(b: u8) -> bool {
    matches!(b, 0x01..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f)
}

/// `buf` as httparse is given it: the control bytes of [`lenient_control`]
/// after the status line become an obs-text byte (0x80), which httparse
/// takes in a value and still refuses in a name; the values are then read
/// from `buf` itself by offset, so they keep the bytes sent (the renderers
/// escape them). `None` when there is nothing to replace.
fn lenient_copy(buf: &[u8]) -> Option<Vec<u8>> {
    let first_line = buf.iter().position(|b| *b == b'\n')? + 1;
    if !buf[first_line..].iter().copied().any(lenient_control) {
        return None;
    }
    let mut copy = buf.to_vec();
    for b in &mut copy[first_line..] {
        if lenient_control(*b) {
            *b = 0x80;
        }
    }
    Some(copy)
}

fn parse_head_with(buf: &[u8], slots: usize) -> Result<Option<(Head, usize)>, httparse::Error> {
    let copy = lenient_copy(buf);
    let parsed: &[u8] = copy.as_deref().unwrap_or(buf);
    // A slice of `parsed` read from `buf` at the same place.
    let original = |s: &[u8]| -> Vec<u8> {
        let at = (s.as_ptr() as usize).saturating_sub(parsed.as_ptr() as usize);
        buf.get(at..at + s.len()).unwrap_or(s).to_vec()
    };
    let mut storage = vec![httparse::EMPTY_HEADER; slots];
    let mut resp = httparse::Response::new(&mut storage);
    Ok(match resp.parse(parsed)? {
        httparse::Status::Complete(len) => Some((
            Head {
                status: resp.code.unwrap_or(0),
                reason: resp.reason.unwrap_or("").to_owned(),
                version: resp.version.unwrap_or(1),
                headers: resp
                    .headers
                    .iter()
                    .map(|h| {
                        let value = String::from_utf8_lossy(&original(h.value)).into_owned();
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

/// How much of a head is parsed on every read, so that bytes that are not
/// HTTP fail at once; past it, a head is parsed again only once its end
/// may have come (else a head arriving a byte at a time costs a parse of
/// the whole buffer per byte: quadratic).
const EARLY: usize = 1024;

/// Whether `buf` (of which `before` bytes were there already) should be
/// parsed now: while it is short, or when the new bytes may end the head.
fn worth_parsing(buf: &[u8], before: usize) -> bool {
    if buf.len() <= EARLY {
        return true;
    }
    let fresh = &buf[before.saturating_sub(3)..];
    memchr::memmem::find(fresh, b"\n\r\n").is_some()
        || memchr::memmem::find(fresh, b"\n\n").is_some()
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
        let before = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        if !worth_parsing(&buf, before) {
            if buf.len() > MAX_HEAD {
                return Err(Error::HeadTooLarge {
                    limit: MAX_HEAD,
                    start: start_of(&buf),
                });
            }
            continue;
        }
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

#[cfg(test)]
mod tests;
