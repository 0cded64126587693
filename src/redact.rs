//! Secret redaction and terminal-safe text.
//!
//! Secrets (keys, passwords, header values, sensitive query parameters) never
//! reach any output; untrusted text (certificate subjects, server headers,
//! bodies) is escaped before it reaches a terminal.

use url::Url;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Words that make a query parameter's value a secret, matched anywhere in
/// its name (`api-key`, `X-Amz-Signature`, `client_secret`, `sig`, …).
const SECRET_WORDS: &[&str] = &[
    "key",
    "sig",
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "code",
    "auth",
    "session",
];

/// Whether a query parameter's value is a secret.
pub fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| n.contains(w))
}

/// The URL with its userinfo replaced whole by `***` (a lone user name is
/// often a token: `http://TOKEN@proxy:3128`), its secret query values
/// masked and its fragment dropped.
pub fn url(u: &Url) -> String {
    let mut u = u.clone();
    u.set_fragment(None);
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_password(None);
        let _ = u.set_username(MASK);
    }
    if u.query().is_some() {
        let q = masked_query(&u, Some(MASK));
        u.set_query(q.as_deref());
    }
    u.to_string()
}

/// A URL-like value, parsed or not, with its userinfo replaced whole by
/// `***`: everything between `://` (or the start, when there is no scheme,
/// as proxy values may omit it) and the last `@`. The last `@` anywhere, not
/// only before the first `/`, `?` or `#`: a password may hold those
/// unescaped (`http://u:pa/ss@host`), and over-masking a value that does
/// not parse hides no secret.
pub fn userinfo(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    match raw[start..].rfind('@') {
        Some(at) => format!("{}{MASK}{}", &raw[..start], &raw[start + at..]),
        None => raw.to_owned(),
    }
}

/// The query with secret values replaced by `replacement`, or with secret
/// parameters dropped when it is `None`; `None` when nothing is left.
fn masked_query(u: &Url, replacement: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter_map(|(k, v)| match (is_secret_param(&k), replacement) {
            (false, _) => Some((k.into_owned(), v.into_owned())),
            (true, Some(r)) => Some((k.into_owned(), r.to_owned())),
            (true, None) => None,
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    Some(
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish(),
    )
}

/// `path?query` of a URL with secret query values replaced by `replacement`,
/// or dropped (`None`): what is shown, or what is sent over an unverified
/// chain.
pub fn request_target(u: &Url, replacement: Option<&str>) -> String {
    let mut p = u.path().to_owned();
    if p.is_empty() {
        p.push('/');
    }
    if u.query().is_some() {
        if let Some(q) = masked_query(u, replacement) {
            p.push('?');
            p.push_str(&q);
        }
    }
    p
}

/// A `Location` header, resolved against the request URL and redacted.
pub fn location(base: &Url, location: &str) -> String {
    match base.join(location) {
        Ok(u) => bounded(&url(&u), 200),
        Err(_) => bounded(&text(location), 200),
    }
}

/// Best-effort redaction of a value that may be a URL that does not parse
/// (usage errors, check files, variables): the userinfo is masked whole
/// ([`userinfo`]) and secret query values too.
pub fn text(raw: &str) -> String {
    if let Ok(u) = Url::parse(raw) {
        // `u:pw@host` parses as scheme `u` with no host: masked as text.
        if u.has_host() {
            return url(&u);
        }
    }
    let mut out = userinfo(raw);
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_param(k) => format!("{k}={MASK}"),
                _ => pair.to_owned(),
            })
            .collect();
        out = format!("{head}{}", masked.join("&"));
    }
    out
}

/// The secret values of one request (keys, header values, URL and proxy
/// credentials, the request body): whatever the other end echoes of them
/// is replaced by `***` before it is recorded. Every quote of a reply (its
/// headers, reason, body) goes through [`Secrets::scrub`].
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so that a body holding a key is masked whole.
    values: Vec<String>,
}

/// Secrets shorter than this are not scrubbed: they would mask ordinary
/// words (a one-letter user, a `-d x`).
const MIN_SECRET: usize = 3;
/// The most values of a request body added as secrets of their own.
const MAX_BODY_PARTS: usize = 256;

impl Secrets {
    /// Adds a secret, and the forms a server echoes it in: as a JSON string
    /// (`httpbin`'s `"data": "{\"a\":1}"`) and percent-encoded.
    pub fn add(&mut self, secret: &str) {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned();
        let encoded =
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        for form in [secret.to_owned(), json, encoded] {
            if form.chars().count() >= MIN_SECRET && !self.values.contains(&form) {
                self.values.push(form);
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Adds a request body (`-d`) and the values inside it that a server
    /// may echo on their own: a form's decoded values and a JSON body's
    /// string values (httpbin-style echoes quote them as parsed fields).
    pub fn add_body(&mut self, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        self.add(&text);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            let mut stack = vec![&value];
            let mut budget = MAX_BODY_PARTS;
            while let Some(v) = stack.pop() {
                match v {
                    serde_json::Value::String(s) if budget > 0 => {
                        budget -= 1;
                        self.add(s);
                    }
                    serde_json::Value::Array(items) => stack.extend(items),
                    serde_json::Value::Object(map) => stack.extend(map.values()),
                    _ => {}
                }
            }
            return;
        }
        let pairs = url::form_urlencoded::parse(body).take(MAX_BODY_PARTS);
        for (_, value) in pairs {
            self.add(&value);
        }
    }

    /// Adds a header value, and the credential after its scheme word
    /// (`Bearer TOKEN`: a server may echo the token alone).
    pub fn add_header_value(&mut self, value: &str) {
        self.add(value);
        if let Some((_, credential)) = value.trim().split_once(char::is_whitespace) {
            self.add(credential.trim());
        }
    }

    /// Adds the secrets of a URL's userinfo (as sent: percent-decoded) and
    /// the `Basic` token they make.
    pub fn add_userinfo(&mut self, user: &str, password: Option<&str>) {
        use base64::Engine as _;
        self.add(user);
        if let Some(p) = password {
            self.add(p);
        }
        let pair = format!("{user}:{}", password.unwrap_or(""));
        self.add(&pair);
        self.add(&base64::engine::general_purpose::STANDARD.encode(pair));
    }

    /// `text` with every secret replaced by `***`, and a secret's start
    /// that ends the text (a reply cut at a read limit) masked too.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.values {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        for s in &self.values {
            if let Some(cut) = cut_prefix_at_end(&out, s) {
                out.truncate(cut);
                out.push_str(MASK);
            }
        }
        out
    }
}

/// Where a start of `secret` (at least [`MIN_SECRET`] characters, not all
/// of it) begins at the end of `text`, if one does.
fn cut_prefix_at_end(text: &str, secret: &str) -> Option<usize> {
    let longest = secret.len().saturating_sub(1).min(text.len());
    (MIN_SECRET..=longest)
        .rev()
        .filter(|n| secret.is_char_boundary(*n) && text.is_char_boundary(text.len() - n))
        .find(|n| text.ends_with(&secret[..*n]))
        .map(|n| text.len() - n)
}

/// Whether a character could reorder or hide text on a terminal: controls,
/// bidirectional overrides and isolates, zero-width characters.
pub(crate) fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Cuts untrusted text to `max` characters (`…` marks the cut), keeping it
/// as it is otherwise: what stages record. The renderers escape it for the
/// terminal ([`terminal_safe`]) when they show it.
pub fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Escapes characters that could drive or fool the terminal, and cuts the
/// text to `max` characters.
pub fn terminal_safe(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if is_hostile(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_masks_userinfo_secret_params_and_fragment() {
        let u = Url::parse(
            "https://sk-USER:s3cret@h.test/p?api-key=abc&lang=en&X-Amz-Signature=zz&client_secret=cs#access_token=frag",
        )
        .unwrap();
        let r = url(&u);
        for secret in ["sk-USER", "s3cret", "abc", "zz", "cs", "frag"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(r.contains("lang=en"), "{r}");
    }

    #[test]
    fn request_target_drops_or_masks_secrets() {
        let u = Url::parse("https://h.test/a?api-key=abc&x=1").unwrap();
        assert_eq!(request_target(&u, None), "/a?x=1");
        assert_eq!(request_target(&u, Some(MASK)), "/a?api-key=***&x=1");
    }

    #[test]
    fn userinfo_is_masked_whole_parsed_or_not() {
        for (raw, secrets) in [
            ("ftp://u:s3cretPW@host", &["u:", "s3cretPW"][..]),
            ("http://u:pw@[::1", &["pw", "u:"]),
            ("http://u:s3cretPW@host:99999", &["s3cretPW"]),
            ("http://TOKEN123@proxy:3128", &["TOKEN123"]),
            ("http://u:p@ss@ho st:1", &["p@ss", "ss@"]),
            ("http://u:pa/ss@host", &["pa/ss"]),
            ("TOKEN123@proxy:3128", &["TOKEN123"]),
            ("u:pw@host", &["pw"]),
        ] {
            let r = text(raw);
            for s in secrets {
                assert!(!r.contains(s), "{s} in {r}");
            }
            assert!(r.contains(MASK), "{r}");
        }
        let u = Url::parse("http://TOKEN123@proxy:3128/").unwrap();
        assert_eq!(url(&u), "http://***@proxy:3128/");
    }

    #[test]
    fn secrets_are_scrubbed_in_their_echoed_forms() {
        let mut s = Secrets::default();
        s.add("{\"prompt\":\"s3cret body\"}");
        s.add_userinfo("TOKEN", None);
        let echoed = "{\"data\": \"{\\\"prompt\\\":\\\"s3cret body\\\"}\", \"raw\": {\"prompt\":\"s3cret body\"}} TOKEN VE9LRU46";
        let r = s.scrub(echoed);
        assert!(
            !r.contains("s3cret") && !r.contains("TOKEN") && !r.contains("VE9LRU46"),
            "{r}"
        );
        // A reply cut in the middle of an echoed secret.
        assert_eq!(s.scrub("echo: {\"prompt\":\"s3c"), "echo: ***");
    }

    #[test]
    fn unparsable_urls_are_masked_too() {
        let r = text("https://u:PASSWORD@p.test:99999/?api-key=QKEY&a=b");
        assert!(!r.contains("PASSWORD") && !r.contains("QKEY"), "{r}");
        assert!(r.contains("a=b"), "{r}");
    }

    #[test]
    fn terminal_safe_escapes_controls_and_bidi() {
        assert_eq!(terminal_safe("a\x1b[31mb", 100), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("x\u{202E}y", 100), "x\\u{202e}y");
        assert_eq!(terminal_safe("abcdef", 3), "abc…");
    }
}
