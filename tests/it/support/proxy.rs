//! A forward proxy on loopback, built like the real ones answer: `CONNECT`
//! tunnels and absolute-form requests, with Basic auth on or off, a denied
//! port (squid's 403 with its `Server`/`Via`), an NTLM/Negotiate-only 407,
//! and hostile variants (garbage, a TLS record, silence). `ProxyServer::tls`
//! makes it an `https://` proxy (TLS to the proxy itself);
//! `ProxyServer::intercept` makes it a TLS-inspecting proxy (the mitmproxy
//! situation): after `200` to CONNECT it terminates the client's TLS with its
//! own forged chain and answers the decrypted request itself.
//!
//! The proxy never resolves names: a CONNECT authority must be an IP
//! address or a name given to [`ProxyServer::route`]; anything else gets
//! squid's `503` for a failed DNS lookup. Every request head it receives is
//! logged (so tests can check `Proxy-Authorization` and the authority).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::servers::{
    alert_record, bind_loopback, read_request, serve_http, spawn_server, RequestLog,
};
use super::{Leaf, Response, Server, TlsServer};

/// How the proxy behaves.
#[derive(Clone, Default)]
pub struct ProxyServer {
    basic: Option<(String, String)>,
    ntlm_only: bool,
    deny_ports: Vec<u16>,
    routes: Vec<(String, SocketAddr)>,
    tls: Option<Arc<rustls::ServerConfig>>,
    hostile: Option<Hostile>,
    intercept: Option<Arc<rustls::ServerConfig>>,
}

/// Replies that are not an HTTP proxy's.
#[derive(Clone, Copy)]
enum Hostile {
    Garbage,
    TlsRecord,
    Silent,
    Nginx400,
}

/// squid's identity in its replies.
const SQUID: &str = "squid/5.7";

impl ProxyServer {
    /// An open proxy (no auth, every port).
    pub fn new() -> ProxyServer {
        ProxyServer::default()
    }

    /// Require `Proxy-Authorization: Basic` with these credentials.
    pub fn basic_auth(mut self, user: &str, password: &str) -> ProxyServer {
        self.basic = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Answer 407 with only `NTLM` and `Negotiate` challenges.
    pub fn ntlm_only(mut self) -> ProxyServer {
        self.ntlm_only = true;
        self
    }

    /// Refuse CONNECT to this port with squid's 403.
    pub fn deny_port(mut self, port: u16) -> ProxyServer {
        self.deny_ports.push(port);
        self
    }

    /// Resolve `host` to `addr` (the proxy's own "DNS").
    pub fn route(mut self, host: &str, addr: SocketAddr) -> ProxyServer {
        self.routes.push((host.to_ascii_lowercase(), addr));
        self
    }

    /// Speak TLS (with `leaf`) before anything else: an `https://` proxy.
    pub fn tls(mut self, leaf: &Leaf) -> ProxyServer {
        self.tls = Some(TlsServer::new(leaf).config());
        self
    }

    /// Re-sign every CONNECT tunnel with `forged` (a chain from the proxy's
    /// own CA): terminate the client's TLS and answer `200 OK` to the
    /// decrypted request, which is logged like every request head.
    pub fn intercept(mut self, forged: &Leaf) -> ProxyServer {
        self.intercept = Some(TlsServer::new(forged).config());
        self
    }

    /// Answer the first bytes with an SSH banner and binary junk.
    pub fn garbage(mut self) -> ProxyServer {
        self.hostile = Some(Hostile::Garbage);
        self
    }

    /// Answer the first bytes with a TLS alert record (a TLS port).
    pub fn tls_record(mut self) -> ProxyServer {
        self.hostile = Some(Hostile::TlsRecord);
        self
    }

    /// Read and never answer.
    pub fn silent(mut self) -> ProxyServer {
        self.hostile = Some(Hostile::Silent);
        self
    }

    /// Answer like nginx's TLS port does to plain HTTP.
    pub fn nginx_https_port(mut self) -> ProxyServer {
        self.hostile = Some(Hostile::Nginx400);
        self
    }

    /// Start it on `127.0.0.1:0`.
    pub fn start(self) -> Server {
        let cfg = Arc::new(self);
        spawn_server(bind_loopback(), move |stream, log| {
            let cfg = cfg.clone();
            async move {
                match cfg.tls.clone() {
                    Some(tls) => {
                        let accept = TlsAcceptor::from(tls).accept(stream);
                        if let Ok(Ok(s)) =
                            tokio::time::timeout(Duration::from_secs(10), accept).await
                        {
                            cfg.serve(s, &log).await;
                        }
                    }
                    None => cfg.serve(stream, &log).await,
                }
            }
        })
    }

    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(&self, mut client: S, log: &RequestLog) {
        if let Some(h) = self.hostile {
            return hostile(client, h).await;
        }
        let mut first = [0u8; 1];
        if client.read_exact(&mut first).await.is_err() {
            return;
        }
        if !first[0].is_ascii_uppercase() {
            // Not a request line (e.g. a TLS ClientHello): squid answers 400.
            return reply(client, &squid(400)).await;
        }
        let mut prefixed = Prefixed {
            first: Some(first[0]),
            inner: &mut client,
        };
        let Some(request) = read_request(&mut prefixed).await else {
            return;
        };
        log.lock().unwrap().push(request.clone());
        if let Some(refusal) = self.refusal(&request) {
            return reply(client, &refusal).await;
        }
        let (addr, rest) = match self.destination(&request) {
            Ok(d) => d,
            Err(refusal) => return reply(client, &refusal).await,
        };
        if let (Some(forged), None) = (self.intercept.clone(), &rest) {
            let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
            if client.write_all(ok).await.is_err() {
                return;
            }
            let accept = TlsAcceptor::from(forged).accept(client);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), accept).await {
                serve_http(tls, &Response::ok(), log).await;
            }
            return;
        }
        let Ok(mut upstream) = TcpStream::connect(addr).await else {
            return reply(
                client,
                &squid(503).header("X-Squid-Error", "ERR_CONNECT_FAIL 111"),
            )
            .await;
        };
        match rest {
            None => {
                let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
                if client.write_all(ok).await.is_err() {
                    return;
                }
            }
            Some(origin) => {
                if upstream.write_all(origin.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }

    /// The reply refusing a request for want of (the right) credentials.
    fn refusal(&self, request: &str) -> Option<Response> {
        if self.ntlm_only {
            return Some(
                squid(407)
                    .header("Proxy-Authenticate", "NTLM")
                    .header("Proxy-Authenticate", "Negotiate"),
            );
        }
        let (user, password) = self.basic.as_ref()?;
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let given = request.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case("proxy-authorization")
                .then(|| v.trim().to_owned())
        });
        (given.as_deref() != Some(want.as_str())).then(|| {
            squid(407).header("Proxy-Authenticate", "Basic realm=\"netdoctor test proxy\"")
        })
    }

    /// Where a request goes, and for a plain-HTTP (absolute-form) request the
    /// origin-form request to send there; or squid's reply refusing it.
    fn destination(&self, request: &str) -> Result<(SocketAddr, Option<String>), Response> {
        let request_line = request.lines().next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let (authority, rest) = if method == "CONNECT" {
            (target.to_owned(), None)
        } else if let Some(abs) = target.strip_prefix("http://") {
            let (auth, path) = abs.split_at(abs.find('/').unwrap_or(abs.len()));
            let auth = if auth.contains(':') {
                auth.to_owned()
            } else {
                format!("{auth}:80")
            };
            let path = if path.is_empty() { "/" } else { path };
            let origin = request.replacen(target, path, 1);
            (auth, Some(origin))
        } else {
            return Err(squid(400));
        };
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(squid(400));
        };
        let port: u16 = port.parse().unwrap_or(0);
        if self.deny_ports.contains(&port) {
            return Err(squid(403).header("X-Squid-Error", "ERR_ACCESS_DENIED 0"));
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        host.parse()
            .ok()
            .map(|ip| SocketAddr::new(ip, port))
            .or_else(|| {
                self.routes
                    .iter()
                    .find(|(h, _)| *h == host)
                    .map(|(_, a)| SocketAddr::new(a.ip(), port))
            })
            .map(|addr| (addr, rest))
            .ok_or_else(|| squid(503).header("X-Squid-Error", "ERR_DNS_FAIL 0"))
    }
}

/// Gives back one byte already read, then reads on.
struct Prefixed<'a, S> {
    first: Option<u8>,
    inner: &'a mut S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<'_, S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(b) = self.first.take() {
            buf.put_slice(&[b]);
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut *self.inner).poll_read(cx, buf)
    }
}

/// A reply as squid words it.
fn squid(status: u16) -> Response {
    let mut r = Response::new(status)
        .header("Server", SQUID)
        .header("Via", "1.1 proxy.test (squid/5.7)")
        .header("Content-Type", "text/html;charset=utf-8")
        .body(format!("<html><body>squid error {status}</body></html>\n"));
    if status == 407 {
        "Proxy Authentication Required".clone_into(&mut r.reason);
    }
    r
}

async fn reply<S: AsyncWrite + AsyncRead + Unpin>(mut client: S, r: &Response) {
    let _ = client.write_all(&r.to_bytes()).await;
    let _ = client.flush().await;
    let _ = client.shutdown().await;
    drain(&mut client).await;
}

async fn hostile<S: AsyncRead + AsyncWrite + Unpin>(mut client: S, h: Hostile) {
    let mut chunk = [0u8; 4096];
    if !matches!(client.read(&mut chunk).await, Ok(n) if n > 0) {
        return;
    }
    let bytes: Vec<u8> = match h {
        Hostile::Garbage => b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x01\x14\x0a\x14junk\r\n\r\n".to_vec(),
        Hostile::TlsRecord => alert_record(10).to_vec(),
        Hostile::Nginx400 => Response::new(400)
            .header("Server", "nginx/1.25.3")
            .header("Content-Type", "text/html")
            .body("<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n")
            .to_bytes(),
        Hostile::Silent => {
            drain(&mut client).await;
            return;
        }
    };
    let _ = client.write_all(&bytes).await;
    let _ = client.shutdown().await;
    drain(&mut client).await;
}

/// Read until the peer closes (at most a few seconds), so that closing
/// does not become a reset.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut chunk = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------
// SOCKS5

/// A SOCKS5 proxy (RFC 1928, user/password per RFC 1929) on loopback. It
/// logs each CONNECT destination as `name:port` (the client sent a name:
/// socks5h) or `ip:port` (the client resolved it: socks5).
#[derive(Clone, Default)]
pub struct Socks5Server {
    auth: Option<(String, String)>,
    deny_ports: Vec<u16>,
    routes: Vec<(String, SocketAddr)>,
}

impl Socks5Server {
    /// An open SOCKS5 proxy.
    pub fn new() -> Socks5Server {
        Socks5Server::default()
    }

    /// Require user/password authentication.
    pub fn auth(mut self, user: &str, password: &str) -> Socks5Server {
        self.auth = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Refuse CONNECT to this port (reply 0x02, not allowed by ruleset).
    pub fn deny_port(mut self, port: u16) -> Socks5Server {
        self.deny_ports.push(port);
        self
    }

    /// Resolve `host` to `addr`'s IP (the proxy's own "DNS").
    pub fn route(mut self, host: &str, addr: SocketAddr) -> Socks5Server {
        self.routes.push((host.to_ascii_lowercase(), addr));
        self
    }

    /// Start it on `127.0.0.1:0`.
    pub fn start(self) -> Server {
        let cfg = Arc::new(self);
        spawn_server(bind_loopback(), move |stream, log| {
            let cfg = cfg.clone();
            async move {
                let _ = cfg.serve(stream, &log).await;
            }
        })
    }

    async fn serve(&self, mut c: TcpStream, log: &RequestLog) -> std::io::Result<()> {
        let mut head = [0u8; 2];
        c.read_exact(&mut head).await?;
        let mut methods = vec![0u8; usize::from(head[1])];
        c.read_exact(&mut methods).await?;
        let want = if self.auth.is_some() { 2 } else { 0 };
        if head[0] != 5 || !methods.contains(&want) {
            c.write_all(&[5, 0xff]).await?;
            return Ok(());
        }
        c.write_all(&[5, want]).await?;
        if let Some((user, password)) = &self.auth {
            let mut v = [0u8; 2];
            c.read_exact(&mut v).await?;
            let mut u = vec![0u8; usize::from(v[1])];
            c.read_exact(&mut u).await?;
            let mut plen = [0u8; 1];
            c.read_exact(&mut plen).await?;
            let mut p = vec![0u8; usize::from(plen[0])];
            c.read_exact(&mut p).await?;
            let ok = u == user.as_bytes() && p == password.as_bytes();
            // RFC 1929: status 0 is success, anything else a failure.
            c.write_all(&[1, u8::from(!ok)]).await?;
            if !ok {
                return Ok(());
            }
        }
        let mut req = [0u8; 4];
        c.read_exact(&mut req).await?;
        let (name, ip) = match req[3] {
            1 => {
                let mut a = [0u8; 4];
                c.read_exact(&mut a).await?;
                (None, Some(std::net::IpAddr::from(a)))
            }
            4 => {
                let mut a = [0u8; 16];
                c.read_exact(&mut a).await?;
                (None, Some(std::net::IpAddr::from(a)))
            }
            _ => {
                let mut len = [0u8; 1];
                c.read_exact(&mut len).await?;
                let mut n = vec![0u8; usize::from(len[0])];
                c.read_exact(&mut n).await?;
                (Some(String::from_utf8_lossy(&n).to_ascii_lowercase()), None)
            }
        };
        let mut port = [0u8; 2];
        c.read_exact(&mut port).await?;
        let port = u16::from_be_bytes(port);
        let shown = name
            .clone()
            .unwrap_or_else(|| ip.map(|i| i.to_string()).unwrap_or_default());
        log.lock().unwrap().push(format!("{shown}:{port}"));
        let reply = |code: u8| [5, code, 0, 1, 127, 0, 0, 1, 0, 0];
        if self.deny_ports.contains(&port) {
            c.write_all(&reply(2)).await?;
            return Ok(());
        }
        let ip = ip.or_else(|| {
            let n = name.as_deref()?;
            self.routes
                .iter()
                .find(|(h, _)| h == n)
                .map(|(_, a)| a.ip())
        });
        let Some(ip) = ip else {
            c.write_all(&reply(4)).await?;
            return Ok(());
        };
        let Ok(mut upstream) = TcpStream::connect(SocketAddr::new(ip, port)).await else {
            c.write_all(&reply(5)).await?;
            return Ok(());
        };
        c.write_all(&reply(0)).await?;
        let _ = tokio::io::copy_bidirectional(&mut c, &mut upstream).await;
        Ok(())
    }
}
