//! The SOCKS5 handshake (tokio-socks), with RFC 1929 credentials from the
//! URL. `socks5://` sends the address the dns stage resolved here;
//! `socks5h://` sends the name for the proxy to resolve.

use super::{authority, Passed, ProxyError, ProxyFacts, Trip};
use crate::duration::millis;
use crate::probe::dns;
use crate::proxy::ProxyUrl;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio_socks::tcp::Socks5Stream;
use tokio_socks::Error as E;

/// The SOCKS5 handshake over `tcp` (the connection to the proxy); for
/// `socks5://`, `resolved` holds the target's addresses.
pub(super) async fn handshake(
    trip: &Trip<'_>,
    tcp: TcpStream,
    resolved: Option<&[SocketAddr]>,
    facts: &mut ProxyFacts,
) -> Result<Passed, ProxyError> {
    let (url, target) = (trip.url, trip.target);
    let (host, port, rewritten) = dns::connect_endpoint(target, &trip.ctx.cfg.connect_to);
    let local = url.scheme.resolves_locally();
    let addr = resolved.and_then(|a| a.first().copied()).filter(|_| local);
    let requested = match addr {
        Some(a) => a.to_string(),
        None => authority(&host, port),
    };
    facts.connect = Some(requested.clone());
    facts.resolution = Some(if local {
        "socks5://: the name was resolved here (dns stage); the proxy gets the address"
    } else {
        "socks5h://: the proxy resolves the name"
    });
    if rewritten {
        facts.connect_to = Some(format!(
            "--connect-to rewrote {}:{} to {}",
            target.host,
            target.port,
            authority(&host, port)
        ));
    }
    facts.credentials_sent = Some(url.username.is_some());
    let started = Instant::now();
    let handshake = async {
        let password = url.password.as_deref().unwrap_or("");
        match (&url.username, addr) {
            (Some(u), Some(a)) => {
                Socks5Stream::connect_with_password_and_socket(tcp, a, u, password).await
            }
            (Some(u), None) => {
                let to = (host.as_str(), port);
                Socks5Stream::connect_with_password_and_socket(tcp, to, u, password).await
            }
            (None, Some(a)) => Socks5Stream::connect_with_socket(tcp, a).await,
            (None, None) => Socks5Stream::connect_with_socket(tcp, (host.as_str(), port)).await,
        }
    };
    let Ok(result) = tokio::time::timeout_at(trip.deadline.into(), handshake).await else {
        return Err(ProxyError::Timeout {
            proxy: url.to_string(),
            operation: "finish the SOCKS5 handshake".to_owned(),
            after_ms: started.elapsed().as_millis(),
        });
    };
    facts.connect_ms = Some(millis(started.elapsed()));
    match result {
        Ok(s) => Ok(Passed {
            summary: format!(
                "SOCKS5 CONNECT {requested} via {url} ({}) → granted",
                trip.route.source
            ),
            stream: Box::new(s),
            authorization: None,
        }),
        Err(e) => {
            facts.socks_error = Some(e.to_string());
            Err(refusal(&e, url, &requested))
        }
    }
}

/// The error for a failed SOCKS5 handshake asking for `requested`.
fn refusal(e: &E, url: &ProxyUrl, requested: &str) -> ProxyError {
    match e {
        E::NoAcceptableAuthMethods | E::AuthorizationRequired => ProxyError::SocksAuthNotOffered {
            proxy: url.to_string(),
            error: e.to_string(),
            credentials_sent: url.username.is_some(),
        },
        E::PasswordAuthFailure(_) => ProxyError::SocksCredentialsRejected {
            proxy: url.to_string(),
            user: url.shown_user().unwrap_or_default(),
        },
        E::ConnectionNotAllowedByRuleset
        | E::GeneralSocksServerFailure
        | E::NetworkUnreachable
        | E::HostUnreachable
        | E::ConnectionRefused
        | E::TtlExpired => ProxyError::Denied {
            proxy: url.to_string(),
            operation: format!("SOCKS5 CONNECT {requested}"),
            reply: e.to_string(),
        },
        E::InvalidResponseVersion | E::InvalidReservedByte | E::UnknownAddressType => {
            ProxyError::NotASocksProxy {
                proxy: url.authority(),
                error: e.to_string(),
            }
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => ProxyError::SocksClosed {
            proxy: url.authority(),
        },
        _ => ProxyError::SocksFailed {
            proxy: url.authority(),
            error: e.to_string(),
        },
    }
}
