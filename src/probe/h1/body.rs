//! Response bodies: the framing (RFC 9112 §6.3), gunzipping and the byte
//! budget without I/O ([`Decoder`]), and the reader over a stream.
//!
//! The budget counts decoded bytes — after gunzipping — so a small gzip'd
//! body that inflates to gigabytes stops at the budget ([`Capped`]), and
//! inflating goes in steps of at most 32 KiB of output (one `write` to
//! flate2's decoder: its buffer's size) with the deadline checked between
//! them, not only between reads.

use super::{read_some, start_of, Error, MAX_CHUNK_LINE, MAX_TRAILERS};
use std::io::{self, Write as _};
use std::time::Instant;
use tokio::io::AsyncRead;

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
pub(super) enum State {
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

/// How many wire bytes a body may take per byte of its budget (framing,
/// compression headers) before it is cut as too large.
const WIRE_FACTOR: u64 = 4;

/// The least a body may take on the wire, whatever its budget.
const MIN_WIRE_BUDGET: u64 = 64 * 1024;

/// The body decoder without I/O: framing, then gzip, then the budget.
pub(super) struct Decoder {
    pub(super) state: State,
    /// Framing bytes not consumed yet (a partial chunk-size line, …).
    buf: Vec<u8>,
    gzip: Option<flate2::write::GzDecoder<Capped>>,
    budget: usize,
    produced: usize,
    /// Body bytes received (framing included).
    pub(super) received: u64,
    /// When decoding (inflating) must stop.
    pub(super) deadline: Option<Instant>,
}

impl Decoder {
    pub(super) fn new(framing: Framing, budget: usize) -> Decoder {
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
            deadline: None,
        }
    }

    /// Decodes `input`, appending what it carries to `out`.
    pub(super) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.received += input.len() as u64;
        // Framing (chunk sizes and extensions, empty deflate blocks) can carry
        // next to nothing: the bytes read from the wire are bounded too.
        let wire_budget = u64::try_from(self.budget)
            .unwrap_or(u64::MAX)
            .saturating_mul(WIRE_FACTOR)
            .max(MIN_WIRE_BUDGET);
        if self.received > wire_budget {
            return Err(Error::BodyTooLarge {
                budget: self.budget,
            });
        }
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
        // One `write` inflates at most one buffer (32 KiB) of flate2's, so
        // the deadline is checked between bounded steps.
        let mut rest = data;
        while !rest.is_empty() {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                let received = usize::try_from(self.received).unwrap_or(usize::MAX);
                self.take_gunzipped(out, Ok(()))?;
                return Err(Error::Timeout { received });
            }
            match gz.write(rest) {
                Ok(0) => {
                    let e = io::Error::from(io::ErrorKind::WriteZero);
                    return self.take_gunzipped(out, Err(e));
                }
                Ok(n) => rest = &rest[n..],
                Err(e) => return self.take_gunzipped(out, Err(e)),
            }
        }
        let flushed = gz.flush();
        self.take_gunzipped(out, flushed)
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
    pub(super) decoder: Decoder,
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
            self.decoder.deadline = deadline;
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
