//! Secret redaction and terminal-safe text.
//!
//! Secrets (keys, passwords, header values, sensitive query parameters) never
//! reach any output; untrusted text (certificate subjects, server headers,
//! bodies) is escaped before it reaches a terminal.

use url::Url;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "api-key",
    "api_key",
    "apikey",
    "key",
    "subscription-key",
    "ocp-apim-subscription-key",
    "sig",
    "token",
    "access_token",
    "code",
    "password",
    "secret",
];

/// Whether a query parameter's value is a secret.
pub fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// The URL with its password and secret query values replaced by `***`.
pub fn url(u: &Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some(MASK));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let secret = is_secret_param(&k);
                (
                    k.into_owned(),
                    if secret {
                        MASK.to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Escapes control characters so that untrusted text cannot drive the
/// terminal, and cuts it to `max` characters.
pub fn terminal_safe(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() && c != ' ' {
            out.extend(c.escape_default());
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
    fn url_masks_password_and_secret_params() {
        let u = Url::parse("https://alice:s3cret@h.test/p?api-key=abc&lang=en&sig=zz").unwrap();
        let r = url(&u);
        assert!(!r.contains("s3cret"), "{r}");
        assert!(!r.contains("abc"), "{r}");
        assert!(!r.contains("zz"), "{r}");
        assert!(r.contains("lang=en"), "{r}");
    }

    #[test]
    fn terminal_safe_escapes_escape_sequences() {
        assert_eq!(terminal_safe("a\x1b[31mb", 100), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("abcdef", 3), "abc…");
    }
}
