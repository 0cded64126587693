//! The proxy stage's facts, as the JSON report shows them: the route's
//! (which proxy, from where, what the clients would do), the proxy's own
//! addresses, TCP, TLS and certificate, and its reply to CONNECT, to the
//! SOCKS5 handshake or to an absolute-form request.
//!
//! One flat object whose keys the report has always written in alphabetical
//! order, the route's among the stage's: so the route's fields are copied in
//! ([`From<RouteFacts>`]) rather than nested, and every field is declared
//! in alphabetical order.

use crate::diagnosis::Code;
use crate::probe::certificate::CertificateFacts;
use crate::probe::tcp::TcpFacts;
use crate::probe::tls::TlsFacts;
use crate::proxy::{BypassFacts, RouteFacts};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What the proxy stage found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProxyFacts {
    /// The `NO_PROXY` entry that sends the target direct (route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypassed_by: Option<BypassFacts>,
    /// The code of the layer that failed under `PROXY_UNREACHABLE` or
    /// `PROXY_TLS_UNTRUSTED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Code>,
    /// What the proxy's address answered a TLS ClientHello, when its reply
    /// to CONNECT was a web server's page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_hello: Option<String>,
    /// Each client's decision, by client name (route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<BTreeMap<&'static str, String>>,
    /// The clients that would decide otherwise (route).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients_differ: Vec<&'static str>,
    /// The authority asked for (CONNECT or SOCKS5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<String>,
    /// How long the proxy took to answer CONNECT or the SOCKS5 handshake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    /// How `--connect-to` rewrote the authority asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_to: Option<String>,
    /// Whether credentials from the URL were sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_sent: Option<bool>,
    /// Why the target goes direct when only other clients use a proxy
    /// (route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<&'static str>,
    /// The start of a reply to CONNECT that is not HTTP, escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bytes: Option<String>,
    /// The reply's headers that tell about the proxy, by lower-case name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<&'static str, String>>,
    /// Where clients part from the verdict (route).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The port assumed when the URL names none (route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_assumed: Option<String>,
    /// The proxy URL as shown, password masked (route).
    pub proxy: String,
    /// The proxy's own addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_addresses: Option<Vec<IpAddr>>,
    /// An `https://` proxy's certificate, judged like a target's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_certificate: Option<Box<CertificateFacts>>,
    /// The proxy's own TCP connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_tcp: Option<TcpFacts>,
    /// An `https://` proxy's own TLS handshake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_tls: Option<Box<TlsFacts>>,
    /// The reply's reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The bytes received when CONNECT's reply did not come in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<usize>,
    /// How a plain http/ws request travels (absolute-form, no CONNECT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_form: Option<&'static str>,
    /// Who resolves the target's name through a SOCKS5 proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<&'static str>,
    /// The scheme assumed when the value has none (route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_assumed: Option<&'static str>,
    /// What tokio-socks said when the SOCKS5 handshake failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socks_error: Option<String>,
    /// Where the proxy came from: a variable name or `--proxy` (route).
    pub source: String,
    /// The reply's status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl From<RouteFacts> for ProxyFacts {
    fn from(route: RouteFacts) -> Self {
        let RouteFacts {
            bypassed_by,
            clients,
            clients_differ,
            direct,
            notes,
            port_assumed,
            proxy,
            scheme_assumed,
            source,
        } = route;
        ProxyFacts {
            bypassed_by,
            clients,
            clients_differ,
            direct,
            notes,
            port_assumed,
            proxy,
            scheme_assumed,
            source,
            ..ProxyFacts::default()
        }
    }
}
