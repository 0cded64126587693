//! Proxy URLs: `http://`, `https://`, `socks5://`, `socks5h://`, with
//! percent-encoded credentials, as the proxy variables and `--proxy` give them.
//!
//! A value without `://` is taken as `http://` (httpx, requests, urllib and
//! curl all do). The default port follows httpx (80 for `http`, 443 for
//! `https`, 1080 for SOCKS); curl assumes 1080 for every scheme, which the
//! facts say when the port is left out.

use crate::redact::MASK;
use percent_encoding::percent_decode_str;
use std::fmt;

/// How netdoctor talks to the proxy (the scheme of its URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyScheme {
    /// Plain HTTP to the proxy, `CONNECT` (or absolute-form) through it.
    Http,
    /// TLS to the proxy itself, then `CONNECT` inside it.
    Https,
    /// SOCKS5, the client resolves the target name.
    Socks5,
    /// SOCKS5, the proxy resolves the target name.
    Socks5h,
}

impl ProxyScheme {
    /// The scheme as written in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyScheme::Http => "http",
            ProxyScheme::Https => "https",
            ProxyScheme::Socks5 => "socks5",
            ProxyScheme::Socks5h => "socks5h",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            ProxyScheme::Https => 443,
            ProxyScheme::Socks5 | ProxyScheme::Socks5h => 1080,
        }
    }

    /// Whether the target's name is resolved here rather than by the proxy.
    pub fn resolves_locally(self) -> bool {
        self == ProxyScheme::Socks5
    }
}

/// Why a proxy URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyUrlError {
    #[error("`{shown}` is not a URL: {reason}")]
    Malformed { shown: String, reason: String },
    #[error(
        "`{shown}`: proxy scheme `{scheme}` is not supported (use http, https, socks5 or socks5h)"
    )]
    Scheme { shown: String, scheme: String },
    #[error("`{shown}` has no host")]
    NoHost { shown: String },
}

/// A parsed proxy URL. Its `Display` masks the userinfo whole.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    pub scheme: ProxyScheme,
    /// Host name or IP address (no brackets).
    pub host: String,
    pub port: u16,
    /// Whether the URL gave the port (else the scheme's default).
    pub explicit_port: bool,
    /// Whether the URL had no scheme and `http://` was assumed.
    pub assumed_scheme: bool,
    /// Percent-decoded credentials.
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

impl fmt::Display for ProxyUrl {
    /// `http://***@proxy.test:3128`: neither the password nor the user
    /// shows (a lone user name is often a token).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        if self.username.is_some() || self.password.is_some() {
            write!(f, "{MASK}@")?;
        }
        write!(f, "{}:{}", self.host_for_authority(), self.port)
    }
}

impl ProxyUrl {
    /// Parses a proxy URL as httpx does (a missing scheme means `http://`).
    pub fn parse(raw: &str) -> Result<Self, ProxyUrlError> {
        let raw = raw.trim();
        let assumed_scheme = !raw.contains("://");
        let full = if assumed_scheme {
            format!("http://{raw}")
        } else {
            raw.to_owned()
        };
        let shown = redact_raw(raw);
        let url = url::Url::parse(&full).map_err(|e| ProxyUrlError::Malformed {
            shown: shown.clone(),
            reason: e.to_string(),
        })?;
        let scheme = match url.scheme() {
            "http" => ProxyScheme::Http,
            "https" => ProxyScheme::Https,
            "socks5" => ProxyScheme::Socks5,
            "socks5h" => ProxyScheme::Socks5h,
            other => {
                return Err(ProxyUrlError::Scheme {
                    shown,
                    scheme: other.to_owned(),
                })
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(ProxyUrlError::NoHost { shown }),
        };
        let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
        let password = url.password().map(percent_decode);
        Ok(ProxyUrl {
            scheme,
            host,
            port: url.port().unwrap_or(scheme.default_port()),
            explicit_port: url.port().is_some(),
            assumed_scheme,
            username,
            password,
        })
    }

    /// The user name as messages may name it: never (`***`); a lone user
    /// name (`http://TOKEN@proxy`) is often a token.
    pub fn shown_user(&self) -> Option<String> {
        // The userinfo is masked whole in every message (a user name may be
        // a token, and says who to attack): only that one was sent.
        self.username.as_ref().map(|_| MASK.to_owned())
    }

    /// Every secret of the URL (user, password, the `Basic` token): to
    /// scrub from what the proxy or the server echoes.
    pub fn add_secrets(&self, secrets: &mut crate::redact::Secrets) {
        if let Some(user) = &self.username {
            secrets.add_userinfo(user, self.password.as_deref());
        }
    }

    /// `host:port` with brackets around IPv6 literals.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host_for_authority(), self.port)
    }

    fn host_for_authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// URL userinfo as clients decode it (`%40` is `@`; `+` stays a plus; bytes
/// that are not UTF-8 become U+FFFD).
pub(crate) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// A raw proxy value, parsed or not, with its userinfo masked whole (see
/// [`crate::redact::userinfo`]), for messages about values that do not
/// even parse.
pub fn redact_raw(raw: &str) -> String {
    crate::redact::userinfo(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_redacts() {
        let p = ProxyUrl::parse("http://alice:p%40ss%3Aw%2Frd@proxy.test:3128").unwrap();
        assert_eq!(p.scheme, ProxyScheme::Http);
        assert_eq!(p.authority(), "proxy.test:3128");
        assert_eq!(p.username.as_deref(), Some("alice"));
        assert_eq!(p.password.as_deref(), Some("p@ss:w/rd"));
        assert_eq!(p.to_string(), "http://***@proxy.test:3128");
        let token = ProxyUrl::parse("http://TOKEN123@proxy.test:3128").unwrap();
        assert_eq!(token.to_string(), "http://***@proxy.test:3128");
        assert_eq!(token.shown_user().as_deref(), Some("***"));
    }

    #[test]
    fn missing_scheme_is_http_and_default_ports_follow_httpx() {
        let p = ProxyUrl::parse("proxy.test:3128").unwrap();
        assert!(p.assumed_scheme);
        assert_eq!(p.to_string(), "http://proxy.test:3128");
        assert_eq!(ProxyUrl::parse("http://p.test").unwrap().port, 80);
        assert_eq!(ProxyUrl::parse("https://p.test").unwrap().port, 443);
        assert_eq!(ProxyUrl::parse("socks5h://p.test").unwrap().port, 1080);
        assert_eq!(
            ProxyUrl::parse("http://[::1]:8080").unwrap().authority(),
            "[::1]:8080"
        );
    }

    #[test]
    fn rejects_what_clients_cannot_use() {
        assert!(matches!(
            ProxyUrl::parse("ftp://p.test:21"),
            Err(ProxyUrlError::Scheme { .. })
        ));
        assert!(matches!(
            ProxyUrl::parse("http://:3128"),
            Err(ProxyUrlError::Malformed { .. } | ProxyUrlError::NoHost { .. })
        ));
        let e = ProxyUrl::parse("http://alice:se cret@p .test:3128").unwrap_err();
        assert!(!e.to_string().contains("se cret"), "{e}");
    }

    #[test]
    fn raw_redaction() {
        assert_eq!(
            redact_raw("http://alice:p@ss@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(redact_raw("TOKEN@proxy:3128"), "***@proxy:3128");
        assert_eq!(redact_raw("proxy:3128"), "proxy:3128");
    }
}
