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

/// The URL with its userinfo and secret query values replaced by `***` and
/// its fragment dropped.
pub fn url(u: &Url) -> String {
    let mut u = u.clone();
    u.set_fragment(None);
    if !u.username().is_empty() {
        let _ = u.set_username(MASK);
    }
    if u.password().is_some() {
        let _ = u.set_password(Some(MASK));
    }
    if u.query().is_some() {
        let q = masked_query(&u, Some(MASK));
        u.set_query(q.as_deref());
    }
    u.to_string()
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

/// Best-effort redaction of text that may hold a URL that does not parse
/// (usage errors): userinfo and secret query values are masked.
pub fn text(raw: &str) -> String {
    if let Ok(u) = Url::parse(raw) {
        return url(&u);
    }
    let mut out = raw.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            out.replace_range(scheme_end + 3..scheme_end + 3 + at, MASK);
        }
    }
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
