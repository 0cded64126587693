//! SSE framing (the WHATWG "event stream" format) without I/O: lines end
//! with LF, CR or CRLF; `data:` lines accumulate, `event:` names the
//! event, a blank line dispatches it; comments (`:`) and other fields are
//! skipped. Every line is bounded by [`MAX_LINE`], so a stream without
//! newlines stops there, whatever the body's budget.
//!
//! Each dispatched event is classified for the stream stage: the end
//! (`data: [DONE]`), an error the service streams (`event: error`, or a
//! JSON `data:` with a non-null top-level `error`, as OpenAI and Azure send
//! them), or an ordinary event.

/// The longest line accepted.
pub const MAX_LINE: usize = 128 * 1024;

/// A dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An ordinary `data:` event.
    Data,
    /// `data: [DONE]`.
    Done,
    /// An error the service streamed: its `data:` as sent.
    Error(String),
}

/// A line longer than [`MAX_LINE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

/// The parser's state between chunks of the body.
#[derive(Debug, Default)]
pub struct Parser {
    /// The current line, not ended yet.
    line: Vec<u8>,
    /// The last byte was a CR: an LF right after it ends nothing.
    after_cr: bool,
    /// The current event's `event:` field.
    kind: Vec<u8>,
    /// The current event's `data:` lines, joined with LF.
    data: Vec<u8>,
    /// Whether a `data:` line came (an empty one counts).
    has_data: bool,
}

impl Parser {
    /// Takes the next bytes of the body, appending the events they end.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Event>) -> Result<(), LineTooLong> {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            self.push(&bytes[..end])?;
            let cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let line = std::mem::take(&mut self.line);
            self.take_line(&line, out);
        }
        self.push(bytes)
    }

    /// The end of the body: a last line or event without its blank line
    /// still counts (clients are lenient about it too).
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.take_line(&line, out);
        }
        self.take_line(b"", out);
    }

    /// Appends to the current line, within [`MAX_LINE`].
    fn push(&mut self, bytes: &[u8]) -> Result<(), LineTooLong> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(LineTooLong);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// One complete line.
    fn take_line(&mut self, line: &[u8], out: &mut Vec<Event>) {
        if line.is_empty() {
            if let Some(event) = self.dispatch() {
                out.push(event);
            }
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => value.clone_into(&mut self.kind),
            _ => {}
        }
    }

    /// The event that a blank line ends, if it has data.
    fn dispatch(&mut self) -> Option<Event> {
        let kind = std::mem::take(&mut self.kind);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        let text = String::from_utf8_lossy(&data);
        if kind == b"error" || is_error_object(&text) {
            return Some(Event::Error(text.into_owned()));
        }
        Some(if text.trim() == "[DONE]" {
            Event::Done
        } else {
            Event::Data
        })
    }
}

/// Whether `data` is a JSON object with a non-null `error`.
fn is_error_object(data: &str) -> bool {
    if !data.contains("\"error\"") {
        return false;
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
        return v.get("error").is_some_and(|e| !e.is_null());
    }
    // Not JSON as sent (a raw control byte in the message, say), but an
    // object whose first member is an error object: still the service's
    // error, not an ordinary event.
    let rest = data.trim_start().strip_prefix('{').map(str::trim_start);
    rest.and_then(|r| r.strip_prefix("\"error\""))
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix(':'))
        .is_some_and(|r| r.trim_start().starts_with('{'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Result<Vec<Event>, LineTooLong> {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out)?;
        }
        p.finish(&mut out);
        Ok(out)
    }

    #[test]
    fn an_error_object_that_is_not_valid_json_is_still_an_error() {
        assert!(is_error_object(
            "{\"error\":{\"message\":\"boom \u{1b}[31m\"}}"
        ));
        assert!(is_error_object("{ \"error\" : {\"message\":\"cut"));
        assert!(!is_error_object(
            "{\"choices\":[{\"delta\":{\"content\":\"\\\"error\\\"\"}}]}"
        ));
        assert!(!is_error_object("{\"error\":null}"));
    }

    #[test]
    fn lines_end_with_lf_cr_or_crlf_even_split_across_chunks() {
        let want = vec![Event::Data, Event::Data, Event::Data, Event::Done];
        let all: &[u8] = b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: [DONE]\n\n";
        assert_eq!(events(&[all]).unwrap(), want);
        // A byte at a time (a CRLF split between chunks is one line end).
        let bytes: Vec<&[u8]> = all.chunks(1).collect();
        assert_eq!(events(&bytes).unwrap(), want);
    }

    #[test]
    fn comments_fields_and_multi_line_data() {
        let got =
            events(&[b": keep-alive\n\nid: 1\nretry: 10\n\nevent: message\ndata: {\ndata: }\n\n"]);
        assert_eq!(got.unwrap(), vec![Event::Data]);
        // No blank line at the end of the body: the last event still counts.
        assert_eq!(
            events(&[b"data: x\n\ndata: [DONE]"]).unwrap(),
            vec![Event::Data, Event::Done]
        );
    }

    #[test]
    fn error_events() {
        let openai = br#"data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}

"#;
        let got = events(&[openai]).unwrap();
        assert!(
            matches!(&got[..], [Event::Error(m)] if m.contains("server_error")),
            "{got:?}"
        );
        let named = events(&[b"event: error\ndata: overloaded\n\n"]).unwrap();
        assert_eq!(named, vec![Event::Error("overloaded".to_owned())]);
        // A null error, or the word in content, is an ordinary event.
        let fine = events(&[
            br#"data: {"error":null,"choices":[{"delta":{"content":"\"error\""}}]}

"#,
        ])
        .unwrap();
        assert_eq!(fine, vec![Event::Data]);
    }

    #[test]
    fn a_line_over_the_limit_is_refused() {
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(events(&[b"data: ", &long]), Err(LineTooLong));
        // Lines at the limit, many of them, are fine.
        let mut p = Parser::default();
        let mut out = Vec::new();
        let line = [b"data: ".as_slice(), &vec![b'a'; MAX_LINE - 6], b"\n\n"].concat();
        for _ in 0..4 {
            p.feed(&line, &mut out).unwrap();
        }
        assert_eq!(out.len(), 4);
    }
}
