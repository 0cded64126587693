//! What to reach: a URL, its scheme's stages, and the name and port to use.
//!
//! Presets (later) expand into [`Target`]s too; the pipeline only ever sees
//! targets.

use crate::diagnosis::Layer;
use std::fmt;
use url::Url;

/// The protocols netdoctor probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Tcp,
    Http,
    Https,
    Ws,
    Wss,
}

impl Scheme {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "tcp" => Scheme::Tcp,
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            _ => return None,
        })
    }

    /// Whether the scheme runs TLS over TCP.
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Wss)
    }

    /// Whether the scheme is a WebSocket.
    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }

    fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Tcp => None,
            Scheme::Http | Scheme::Ws => Some(80),
            Scheme::Https | Scheme::Wss => Some(443),
        }
    }

    /// The stages of a target of this scheme when a proxy is configured for
    /// it: `proxy` stands between tcp and tls.
    pub fn layers_with_proxy(self) -> Vec<Layer> {
        let mut layers = self.layers();
        layers.insert(2, Layer::Proxy);
        layers
    }

    /// The stages a target of this scheme has, in order, without a proxy.
    pub fn layers(self) -> Vec<Layer> {
        let mut layers = vec![Layer::Dns, Layer::Tcp];
        if self == Scheme::Tcp {
            return layers;
        }
        if self.is_tls() {
            layers.extend([Layer::Tls, Layer::Certificate]);
        }
        layers.extend([Layer::Http, Layer::Auth]);
        if self.is_websocket() {
            layers.push(Layer::Websocket);
        }
        layers
    }
}

/// Why a URL cannot be a target.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    #[error("`{url}` is not a URL: {reason}")]
    Malformed { url: String, reason: String },
    #[error("`{url}`: scheme `{scheme}` is not supported (use https, http, wss, ws or tcp)")]
    Scheme { url: String, scheme: String },
    #[error("`{url}` has no host")]
    NoHost { url: String },
    #[error("`{url}`: port 0 cannot be connected to")]
    PortZero { url: String },
    #[error("`{url}`: tcp:// targets need a port (tcp://host:port)")]
    NoPort { url: String },
}

/// A URL to probe.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    pub scheme: Scheme,
    /// The host as written (no brackets for IPv6), used for SNI and Host.
    pub host: String,
    pub port: u16,
    /// A display name (check files give one; else the redacted URL).
    pub name: Option<String>,
    /// Where `--save-chain` writes this target's presented chain.
    pub save_chain: Option<std::path::PathBuf>,
}

impl Target {
    /// Parses and checks a URL given on the command line.
    pub fn parse(input: &str) -> Result<Self, TargetError> {
        // Error messages show the URL with its secrets masked.
        let shown = crate::redact::text(input);
        let url = Url::parse(input).map_err(|e| TargetError::Malformed {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let scheme = Scheme::parse(url.scheme()).ok_or_else(|| TargetError::Scheme {
            url: shown.clone(),
            scheme: url.scheme().to_owned(),
        })?;
        // The URL standard reads `http:///x` as host `x`; a user meant no host.
        let empty_authority = input
            .split_once("://")
            .is_some_and(|(_, rest)| rest.starts_with('/'));
        let host = match url.host() {
            _ if empty_authority => {
                return Err(TargetError::NoHost { url: shown.clone() });
            }
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(TargetError::NoHost { url: shown.clone() }),
        };
        let port = url
            .port()
            .or(scheme.default_port())
            .ok_or_else(|| TargetError::NoPort { url: shown.clone() })?;
        if port == 0 {
            return Err(TargetError::PortZero { url: shown });
        }
        Ok(Target {
            url,
            scheme,
            host,
            port,
            name: None,
            save_chain: None,
        })
    }

    /// The request target (`/path?query`) for HTTP.
    pub fn request_path(&self) -> String {
        let mut p = self.url.path().to_owned();
        if p.is_empty() {
            p.push('/');
        }
        if let Some(q) = self.url.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    }

    /// The `Host` header value: the name, with the port when not the default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if Some(self.port) == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The URL with secrets masked, for every output.
    pub fn display_url(&self) -> String {
        let s = crate::redact::url(&self.url);
        if self.scheme == Scheme::Tcp {
            s.trim_end_matches('/').to_owned()
        } else {
            s
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schemes_and_default_ports() {
        let t = Target::parse("wss://h.test/ws?x=1").unwrap();
        assert_eq!(
            (t.scheme, t.port, t.request_path().as_str()),
            (Scheme::Wss, 443, "/ws?x=1")
        );
        assert_eq!(Target::parse("tcp://[::1]:22").unwrap().host, "::1");
        assert!(matches!(
            Target::parse("tcp://h.test"),
            Err(TargetError::NoPort { .. })
        ));
        assert!(matches!(
            Target::parse("ftp://h.test"),
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("http:///x"),
            Err(TargetError::NoHost { .. })
        ));
        assert!(matches!(
            Target::parse("tcp://h.test:0"),
            Err(TargetError::PortZero { .. })
        ));
        assert!(matches!(
            Target::parse("not a url"),
            Err(TargetError::Malformed { .. })
        ));
    }

    #[test]
    fn host_header_keeps_non_default_port() {
        assert_eq!(
            Target::parse("https://h.test:8443/").unwrap().host_header(),
            "h.test:8443"
        );
        assert_eq!(
            Target::parse("http://h.test/").unwrap().host_header(),
            "h.test"
        );
    }
}
