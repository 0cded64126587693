//! The value parsers clap calls for the flags whose values have a shape:
//! `--resolve`, `--connect-to`, `--resolver`, `--proxy` (and, from
//! [`crate::duration`], every duration). A value they reject is a usage
//! error that names the flag; what they return is the checked type the
//! pipeline reads.

use crate::probe::{ConnectTo, ResolveEntry, ResolverAddr};
use crate::proxy::ProxyUrl;
use std::net::{IpAddr, SocketAddr};

/// A value parser whose usage error quotes the value with its userinfo
/// masked ([`crate::redact::text`]): clap's own error quotes the value as
/// given, which for `--proxy http://u:PASSWORD@host:99999` is the password.
/// The parser's own message must not quote the raw value either.
#[derive(Clone, Copy)]
pub(crate) struct Masked<F>(pub(crate) F);

impl<T, F> clap::builder::TypedValueParser for Masked<F>
where
    F: Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let raw = value.to_string_lossy();
        (self.0)(&raw).map_err(|e| {
            let arg = arg.map_or_else(|| "...".to_owned(), ToString::to_string);
            // clap's own layout, without the usage block a raw error adds.
            let message = format!(
                "invalid value '{}' for '{arg}': {e}\n\nFor more information, try '--help'.\n",
                crate::redact::text(&raw)
            );
            let _ = cmd;
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message)
        })
    }
}

fn parse_port(s: &str, what: &str) -> Result<u16, String> {
    s.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
        format!(
            "`{}` is not a valid {what} (1-65535)",
            crate::redact::text(s)
        )
    })
}

fn parse_ip(s: &str) -> Result<IpAddr, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    inner
        .parse()
        .map_err(|_| format!("`{}` is not an IP address", crate::redact::text(s)))
}

/// Parses curl's `--resolve HOST:PORT:ADDR[,ADDR…]`.
pub(crate) fn parse_resolve(s: &str) -> Result<ResolveEntry, String> {
    let mut parts = s.splitn(3, ':');
    let (Some(host), Some(port), Some(addrs)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected HOST:PORT:ADDR[,ADDR…]".to_owned());
    };
    if host.is_empty() {
        return Err("the HOST part is empty".to_owned());
    }
    let addrs = addrs
        .split(',')
        .map(parse_ip)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ResolveEntry {
        host: host.trim_start_matches('+').to_ascii_lowercase(),
        port: parse_port(port, "port")?,
        addrs,
    })
}

/// Splits on `:` outside `[…]`, so that IPv6 literals stay whole; the
/// brackets are dropped.
fn split_host_port_fields(s: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut in_brackets = false;
    for c in s.chars() {
        match c {
            '[' if !in_brackets => in_brackets = true,
            ']' if in_brackets => in_brackets = false,
            ':' if !in_brackets => fields.push(String::new()),
            _ => fields.last_mut().map_or((), |f| f.push(c)),
        }
    }
    fields
}

/// Parses curl's `--connect-to HOST:PORT:HOST2:PORT2` (empty fields allowed).
pub(crate) fn parse_connect_to(s: &str) -> Result<ConnectTo, String> {
    let f = split_host_port_fields(s);
    if f.len() != 4 {
        return Err("expected HOST:PORT:HOST2:PORT2 (fields may be empty)".to_owned());
    }
    let opt_port = |p: &str, what: &str| -> Result<Option<u16>, String> {
        if p.is_empty() {
            Ok(None)
        } else {
            parse_port(p, what).map(Some)
        }
    };
    let opt_host = |h: &str| (!h.is_empty()).then(|| h.to_ascii_lowercase());
    Ok(ConnectTo {
        host: opt_host(&f[0]),
        port: opt_port(&f[1], "port")?,
        to_host: opt_host(&f[2]),
        to_port: opt_port(&f[3], "port")?,
    })
}

/// Parses `--proxy URL` (a missing scheme means `http://`, as in curl).
pub(crate) fn parse_proxy(s: &str) -> Result<ProxyUrl, String> {
    ProxyUrl::parse(s).map_err(|e| e.to_string())
}

/// Parses `--resolver ADDR[:PORT]` (`[::1]:5353` for IPv6 with a port).
pub(crate) fn parse_resolver(s: &str) -> Result<ResolverAddr, String> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(ResolverAddr(sa));
    }
    parse_ip(s).map(|ip| ResolverAddr(SocketAddr::new(ip, 53)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_entries() {
        let r = parse_resolve("Good.test:443:127.0.0.1,[::1]").unwrap();
        assert_eq!(r.host, "good.test");
        assert_eq!(r.addrs.len(), 2);
        assert!(parse_resolve("good.test:443").is_err());
        assert!(parse_resolve("good.test:x:127.0.0.1").is_err());
        assert!(parse_resolve("good.test:443:nope").is_err());
    }

    #[test]
    fn connect_to_entries() {
        let c = parse_connect_to("a.test:443:127.0.0.1:8443").unwrap();
        assert_eq!(c.to_port, Some(8443));
        let c = parse_connect_to("::[::1]:").unwrap();
        assert_eq!(
            (c.host, c.port, c.to_host.as_deref(), c.to_port),
            (None, None, Some("::1"), None)
        );
        assert!(parse_connect_to("a:1:b").is_err());
    }

    #[test]
    fn resolver_addrs() {
        assert_eq!(parse_resolver("127.0.0.1").unwrap().0.port(), 53);
        assert_eq!(parse_resolver("127.0.0.1:5353").unwrap().0.port(), 5353);
        assert_eq!(parse_resolver("[::1]:5353").unwrap().0.port(), 5353);
        assert!(parse_resolver("dns.test").is_err());
    }
}
