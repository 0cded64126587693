//! The checked options one target's probe runs with.
//!
//! `args` builds these from the command line or a check file (and presets
//! fill in their requests); the pipeline and its stages only read them.
//! Nothing here knows how the options were spelled: every value is already
//! parsed and validated.

use crate::diagnosis::Expect;
use crate::proxy::ProxySettings;
use crate::sysroot::Sysroot;
use crate::target::Target;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `--resolve HOST:PORT:ADDR[,ADDR…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveEntry {
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

/// `--connect-to HOST:PORT:HOST2:PORT2`; empty fields match any / keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

/// `--resolver ADDR[:PORT]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolverAddr(pub SocketAddr);

/// Which address families to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

/// The request `check` sends (curl's -X, -H, -d).
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    pub method: Option<String>,
    /// Headers whose values are credentials (every `-H` header): masked in
    /// every output and withheld over an unverified chain.
    pub headers: Vec<(String, String)>,
    /// Headers a preset sends that are not credentials (`X-ConnectionId`,
    /// `Content-Type`): shown as sent.
    pub plain_headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// How every target is probed.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub timeout: Duration,
    pub max_time: Option<Duration>,
    pub cacert: Vec<PathBuf>,
    pub resolve: Vec<ResolveEntry>,
    pub connect_to: Vec<ConnectTo>,
    pub resolver: Option<SocketAddr>,
    pub family: Family,
    pub insecure: bool,
    /// `--cert`/`--cert-key`: the client certificate offered when a server
    /// asks for one.
    pub client_cert: Option<super::client_cert::ClientCert>,
    pub expect_status: Option<u16>,
    pub request: RequestSpec,
    pub sysroot: Sysroot,
    /// The proxy variables (read once) and `--proxy`/`--noproxy`.
    pub proxy: ProxySettings,
    /// `--proxy-cacert`: CAs trusted for an https:// proxy's certificate.
    pub proxy_cacert: Vec<PathBuf>,
    /// Set for the checks a preset made: the service's verdicts, client
    /// strings, stream request and token.
    pub profile: Option<Arc<dyn super::profile::ServiceProfile>>,
    /// `--save-chain PATH`: where presented chains are written.
    pub save_chain: Option<PathBuf>,
    /// `--hold` (and `--ping-interval`): WebSocket targets stay open and
    /// idle that long after the upgrade.
    pub hold: Option<super::websocket::hold::Hold>,
}

/// One target with how to probe it and what it should do.
#[derive(Debug, Clone)]
pub struct Check {
    pub target: Target,
    pub probe: Arc<ProbeConfig>,
    pub expect: Expect,
}
