//! Servers on loopback for the black-box tests: HTTP (plain or behind TLS),
//! WebSocket (plain or behind TLS) and hostile servers that misbehave on
//! purpose. Each one listens on `127.0.0.1:0`, runs in a background thread with
//! its own tokio runtime and stops when its [`Server`] handle is dropped.

use std::fmt::Write as _;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as WsRequest, Response as WsResponse,
};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::pki::Leaf;

/// What every server recorded: the request heads (and bodies) it received.
pub type RequestLog = Arc<Mutex<Vec<String>>>;

/// A running server. Dropping it stops the server and closes its sockets.
pub struct Server {
    addr: SocketAddr,
    requests: RequestLog,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `SCHEME://HOST:PORT/PATH` for this server (`path` starts with `/`).
    pub fn url(&self, scheme: &str, host: &str, path: &str) -> String {
        format!("{scheme}://{host}:{}{path}", self.port())
    }

    /// `HOST:PORT:127.0.0.1`, the `--resolve` argument pinning `host` to this server.
    pub fn resolve(&self, host: &str) -> String {
        format!("{host}:{}:{}", self.port(), self.addr.ip())
    }

    /// Everything the server received so far (request heads, then bodies).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Bind a listener on `127.0.0.1:0`.
pub fn bind_loopback() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0")
}

/// Run `handler` for every connection accepted on `listener`, in a background
/// thread with its own runtime.
pub fn spawn_server<F, Fut>(listener: std::net::TcpListener, handler: F) -> Server
where
    F: Fn(TcpStream, RequestLog) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().expect("local addr");
    listener.set_nonblocking(true).expect("nonblocking");
    let requests = RequestLog::default();
    let log = requests.clone();
    let (tx, mut rx) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            tokio::spawn(handler(stream, log.clone()));
                        }
                    }
                }
            }
        });
        // Dropping the runtime cancels every connection task.
        drop(rt);
    });
    Server {
        addr,
        requests,
        shutdown: Some(tx),
        thread: Some(thread),
    }
}

// ---------------------------------------------------------------------------
// HTTP

/// A fixed HTTP/1.1 response. `Content-Length` and `Connection: close` are added
/// when written.
#[derive(Clone, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Extra headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

impl Response {
    /// A response with `status` and its usual reason phrase, no body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            reason: reason_phrase(status).to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `200 OK` with a short text body.
    pub fn ok() -> Response {
        Response::new(200)
            .header("Content-Type", "text/plain")
            .body("hello from the netdoctor test server\n")
    }

    /// What nginx answers to a request it cannot use (e.g. a WebSocket upgrade
    /// it was not configured to forward).
    pub fn nginx_400() -> Response {
        Response::new(400)
            .header("Server", "nginx/1.25.3")
            .header("Content-Type", "text/html")
            .body(
                "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n\
                 <center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n\
                 </body>\r\n</html>\r\n",
            )
    }

    /// An application route answering 200 to a WebSocket upgrade request
    /// (it ignores `Upgrade`).
    pub fn upgrade_ignored() -> Response {
        Response::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body("<!doctype html><html><body>Welcome to the app</body></html>\n")
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        let _ = write!(
            out,
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        );
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Read an HTTP request head (up to 64 KiB) and its `Content-Length` body.
/// Returns the text read, or `None` if the peer closed or sent too much.
pub async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let content_length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    while buf.len() < head_end + content_length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Read until the peer closes (or `limit` passes), so that closing our side
/// does not turn into a reset.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S, limit: Duration) {
    let mut chunk = [0u8; 4096];
    let _ = tokio::time::timeout(limit, async {
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

pub async fn serve_http<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    response: &Response,
    log: &RequestLog,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    log.lock().unwrap().push(request);
    if stream.write_all(&response.to_bytes()).await.is_err() {
        return;
    }
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
    drain(&mut stream, Duration::from_secs(2)).await;
}

/// A plaintext HTTP server answering every request with `response`.
pub fn http_server(response: Response) -> Server {
    let response = Arc::new(response);
    spawn_server(bind_loopback(), move |stream, log| {
        let response = response.clone();
        async move { serve_http(stream, &response, &log).await }
    })
}

// ---------------------------------------------------------------------------
// WebSocket

/// How the WebSocket server behaves once a client asks for an upgrade.
#[derive(Clone, Debug, Default)]
pub struct WsOptions {
    /// Answer 401 unless the request carries this header with this value.
    pub require_header: Option<(String, String)>,
    /// Accept the upgrade, then close at once with this close code.
    pub close_with: Option<u16>,
    /// After this long with no frame from the client (pings count), end
    /// the connection as [`WsOptions::idle_end`] says.
    pub idle_after: Option<Duration>,
    /// How an idle connection ends (default: a bare TCP close).
    pub idle_end: IdleEnd,
    /// Wait this long before answering the upgrade request.
    pub upgrade_delay: Option<Duration>,
}

/// How the WebSocket server ends a connection idle for `idle_after`.
#[derive(Clone, Debug, Default)]
pub enum IdleEnd {
    /// Close the TCP connection (FIN) with no close frame.
    #[default]
    TcpClose,
    /// Reset the TCP connection (RST) with no close frame (plain `ws_server` only).
    TcpReset,
    /// Send a close frame with this code and reason.
    CloseFrame(u16, String),
}

impl WsOptions {
    /// Accept every upgrade; echo messages, answer pings.
    pub fn echo() -> WsOptions {
        WsOptions::default()
    }

    /// Answer `401` (with a JSON body) unless `name: value` was sent.
    pub fn require_header(name: &str, value: &str) -> WsOptions {
        WsOptions {
            require_header: Some((name.to_owned(), value.to_owned())),
            ..WsOptions::default()
        }
    }

    /// Accept the upgrade, then close immediately with `code` (e.g. 1008).
    pub fn close_immediately(code: u16) -> WsOptions {
        WsOptions {
            close_with: Some(code),
            ..WsOptions::default()
        }
    }

    /// Echo, but end a connection idle for `after` as `end` says.
    pub fn idle(after: Duration, end: IdleEnd) -> WsOptions {
        WsOptions {
            idle_after: Some(after),
            idle_end: end,
            ..WsOptions::default()
        }
    }
}

fn request_head(req: &WsRequest) -> String {
    let mut head = format!("{} {} {:?}\r\n", req.method(), req.uri(), req.version());
    for (name, value) in req.headers() {
        let _ = write!(
            head,
            "{}: {}\r\n",
            name,
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    head.push_str("\r\n");
    head
}

async fn serve_ws<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    options: &WsOptions,
    log: &RequestLog,
) {
    let required = options.require_header.clone();
    let log = log.clone();
    // The callback's signature is tungstenite's (its error is a whole response).
    #[allow(clippy::result_large_err)]
    let callback = move |req: &WsRequest, resp: WsResponse| -> Result<WsResponse, ErrorResponse> {
        log.lock().unwrap().push(request_head(req));
        if let Some((name, value)) = required {
            let given = req
                .headers()
                .get(name.as_str())
                .map(http::HeaderValue::as_bytes);
            if given != Some(value.as_bytes()) {
                let body = r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}"#;
                let resp = http::Response::builder()
                    .status(401)
                    .header("Content-Type", "application/json")
                    .header("Content-Length", body.len().to_string())
                    .header("Connection", "close")
                    .body(Some(body.to_owned()))
                    .expect("401 response");
                return Err(resp);
            }
        }
        Ok(resp)
    };
    if let Some(delay) = options.upgrade_delay {
        tokio::time::sleep(delay).await;
    }
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    if let Some(code) = options.close_with {
        let _ = ws
            .close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: "policy violation".into(),
            }))
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
        return;
    }
    loop {
        let next = match options.idle_after {
            Some(after) => {
                let Ok(next) = tokio::time::timeout(after, ws.next()).await else {
                    end_idle(&mut ws, &options.idle_end).await;
                    return;
                };
                next
            }
            None => ws.next().await,
        };
        let Some(Ok(message)) = next else {
            break;
        };
        let sent = match message {
            Message::Text(_) | Message::Binary(_) => ws.send(message).await,
            // tungstenite queues the pong; flushing sends it.
            Message::Ping(_) => ws.flush().await,
            Message::Close(_) => {
                let _ = ws.flush().await;
                break;
            }
            _ => Ok(()),
        };
        if sent.is_err() {
            break;
        }
    }
}

/// Ends a connection that stayed idle: a close frame (and a moment for
/// the reply), or nothing (dropping the stream closes or resets it).
async fn end_idle<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
    end: &IdleEnd,
) {
    if let IdleEnd::CloseFrame(code, reason) = end {
        let _ = ws
            .close(Some(CloseFrame {
                code: CloseCode::from(*code),
                reason: reason.clone().into(),
            }))
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    }
}

/// A plaintext WebSocket server (`ws://`).
pub fn ws_server(options: WsOptions) -> Server {
    let options = Arc::new(options);
    spawn_server(bind_loopback(), move |stream, log| {
        let options = options.clone();
        if matches!(options.idle_end, IdleEnd::TcpReset) {
            // Closing a socket that lingers 0 s sends RST instead of FIN.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        async move { serve_ws(stream, &options, &log).await }
    })
}

// ---------------------------------------------------------------------------
// TLS

/// Builds a TLS server: a chain and key, optionally TLS 1.2 only, then an HTTP
/// responder or a WebSocket acceptor behind it.
pub struct TlsServer {
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    tls12_only: bool,
    alpn: Vec<Vec<u8>>,
}

/// What runs behind the TLS handshake.
enum App {
    Http(Response),
    WebSocket(WsOptions),
}

impl TlsServer {
    /// A TLS 1.2 + 1.3 server presenting `leaf.chain`, offering ALPN `http/1.1`.
    pub fn new(leaf: &Leaf) -> TlsServer {
        TlsServer {
            chain: leaf.chain.clone(),
            key: leaf.key(),
            tls12_only: false,
            alpn: vec![b"http/1.1".to_vec()],
        }
    }

    /// Speak TLS 1.2 only.
    pub fn tls12_only(mut self) -> TlsServer {
        self.tls12_only = true;
        self
    }

    /// The rustls configuration this builder describes.
    pub fn config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&'static rustls::SupportedProtocolVersion] = if self.tls12_only {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .expect("server certificate");
        config.alpn_protocols.clone_from(&self.alpn);
        Arc::new(config)
    }

    /// Answer every request with `response`.
    pub fn http(self, response: Response) -> Server {
        self.start(App::Http(response))
    }

    /// Accept WebSocket upgrades as `options` say.
    pub fn websocket(self, options: WsOptions) -> Server {
        self.start(App::WebSocket(options))
    }

    fn start(self, app: App) -> Server {
        let acceptor = TlsAcceptor::from(self.config());
        let app = Arc::new(app);
        spawn_server(bind_loopback(), move |stream, log| {
            let acceptor = acceptor.clone();
            let app = app.clone();
            async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                else {
                    return;
                };
                match &*app {
                    App::Http(response) => serve_http(tls, response, &log).await,
                    App::WebSocket(options) => serve_ws(tls, options, &log).await,
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------
// Hostile servers

/// Read one TLS record (the ClientHello) or whatever arrives first (up to 16 KiB).
pub async fn read_client_hello(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).await?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]])).min(16 * 1024);
    let mut body = vec![0u8; len];
    if header[0] == 0x16 {
        stream.read_exact(&mut body).await?;
    } else {
        let n = stream.read(&mut body).await?;
        body.truncate(n);
    }
    Ok([header.as_slice(), &body].concat())
}

/// Accepts and never answers: reads and holds every connection.
pub fn blackhole() -> Server {
    spawn_server(bind_loopback(), |mut stream, _| async move {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
}

/// Reads the ClientHello, then resets the connection (SO_LINGER 0, close).
pub fn reset_after_client_hello() -> Server {
    spawn_server(bind_loopback(), |mut stream, _| async move {
        let _ = read_client_hello(&mut stream).await;
        let _ = stream.set_zero_linger();
        drop(stream);
    })
}

/// Reads the ClientHello, then closes cleanly (FIN, no TLS alert).
pub fn eof_after_client_hello() -> Server {
    spawn_server(bind_loopback(), |mut stream, _| async move {
        if read_client_hello(&mut stream).await.is_ok() {
            let _ = stream.shutdown().await;
            drain(&mut stream, Duration::from_secs(5)).await;
        }
    })
}

/// The TLS alert record sent by [`tls_alert`]: fatal, `description`.
pub fn alert_record(description: u8) -> [u8; 7] {
    [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, description]
}

/// Answers the ClientHello with a fatal TLS alert (`70` protocol_version,
/// `40` handshake_failure, ...), then closes.
pub fn tls_alert(description: u8) -> Server {
    spawn_server(bind_loopback(), move |mut stream, _| async move {
        if read_client_hello(&mut stream).await.is_ok() {
            let _ = stream.write_all(&alert_record(description)).await;
            let _ = stream.shutdown().await;
            drain(&mut stream, Duration::from_secs(5)).await;
        }
    })
}

/// Answers a `protocol_version` alert (70): a server that only speaks TLS <= 1.1.
pub fn tls_alert_protocol_version() -> Server {
    tls_alert(70)
}

/// Answers a `handshake_failure` alert (40).
pub fn tls_alert_handshake_failure() -> Server {
    tls_alert(40)
}

/// A plain HTTP server where TLS was expected: answers the first bytes,
/// whatever they are, with `400 Bad Request`.
pub fn plaintext_http_on_tls_port() -> Server {
    spawn_server(bind_loopback(), |mut stream, _| async move {
        let mut chunk = [0u8; 4096];
        if matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {
            let response = Response::new(400)
                .header("Server", "nginx/1.25.3")
                .header("Content-Type", "text/html")
                .body("<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n");
            let _ = stream.write_all(&response.to_bytes()).await;
            let _ = stream.shutdown().await;
            drain(&mut stream, Duration::from_secs(5)).await;
        }
    })
}

/// Reads a request, answers with bytes that are not HTTP, closes.
pub fn garbage_http() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request);
            let _ = stream
                .write_all(
                    b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x01\x14\x0a\x14garbage, not HTTP\r\n\r\n",
                )
                .await;
            let _ = stream.shutdown().await;
            drain(&mut stream, Duration::from_secs(2)).await;
        }
    })
}

/// Reads a request, sends `HTTP/1.1 200 OK` and then one byte of a header
/// every 250 ms, forever (a slowloris response).
pub fn slow_drip_http() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request);
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                .await
                .is_err()
            {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if stream.write_all(b"a").await.is_err() {
                    return;
                }
            }
        }
    })
}

/// Reads a request, answers `200 OK` with a single 1 MiB header.
pub fn huge_header_http() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request);
            let mut response = b"HTTP/1.1 200 OK\r\nX-Huge: ".to_vec();
            response.resize(response.len() + (1 << 20), b'a');
            response.extend_from_slice(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
            drain(&mut stream, Duration::from_secs(2)).await;
        }
    })
}

/// A loopback port where nothing listens (bound, then closed).
pub fn closed_port() -> u16 {
    let listener = bind_loopback();
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}

/// A listener (`listen(0)`) whose accept queue is full: it never accepts, and
/// further SYNs are dropped, so connecting to it times out.
pub struct FullBacklog {
    addr: SocketAddr,
    _listener: socket2::Socket,
    _fillers: Vec<StdTcpStream>,
}

impl FullBacklog {
    /// Fill the queue, and check that one more connect really times out.
    pub fn new() -> FullBacklog {
        use socket2::{Domain, Socket, Type};
        for _attempt in 0..5 {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
            socket.bind(&bind.into()).expect("bind");
            socket.listen(0).expect("listen(0)");
            let addr = socket
                .local_addr()
                .expect("local addr")
                .as_socket()
                .expect("inet addr");
            let mut fillers = Vec::new();
            let mut full = false;
            for _ in 0..8 {
                match StdTcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                    Ok(s) => fillers.push(s),
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                        full = true;
                        break;
                    }
                    Err(e) => panic!("unexpected connect error while filling backlog: {e}"),
                }
            }
            if full {
                return FullBacklog {
                    addr,
                    _listener: socket,
                    _fillers: fillers,
                };
            }
        }
        panic!("could not fill a listen(0) accept queue on this kernel");
    }

    /// The address that times out.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, RootCertStore};
    use tokio_rustls::TlsConnector;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    use super::super::pki::{pki, self_signed, GOOD_NAMES};
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn client_config(alpn: bool) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(pki().root_der()).unwrap();
        let mut config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        if alpn {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        Arc::new(config)
    }

    async fn tls_connect(
        addr: SocketAddr,
        name: &str,
    ) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(addr).await?;
        TlsConnector::from(client_config(true))
            .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
            .await
    }

    fn raw_exchange(addr: SocketAddr, send: &[u8]) -> io::Result<Vec<u8>> {
        let mut s = StdTcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.write_all(send)?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        Ok(out)
    }

    /// A syntactically plausible TLS record header plus a few bytes.
    const FAKE_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00];

    #[test]
    fn http_server_answers_and_records() {
        let server = http_server(Response::new(404).body("nope"));
        let out = raw_exchange(
            server.addr(),
            b"GET /x HTTP/1.1\r\nHost: good.test\r\nContent-Length: 3\r\n\r\nabc",
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nnope"), "{text}");
        let requests = server.requests();
        assert!(requests[0].starts_with("GET /x HTTP/1.1"));
        assert!(requests[0].ends_with("abc"));
    }

    #[test]
    fn nginx_400_looks_like_nginx() {
        let bytes = Response::nginx_400().to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text.contains("Server: nginx"));
        assert!(text.contains("<html>"));
    }

    #[test]
    fn tls_server_speaks_tls13_and_http() {
        let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
        rt().block_on(async {
            let mut tls = tls_connect(server.addr(), "good.test").await.unwrap();
            let (_, conn) = tls.get_ref();
            assert_eq!(
                conn.protocol_version(),
                Some(rustls::ProtocolVersion::TLSv1_3)
            );
            assert_eq!(conn.alpn_protocol(), Some(&b"http/1.1"[..]));
            tls.write_all(b"GET / HTTP/1.1\r\nHost: good.test\r\n\r\n")
                .await
                .unwrap();
            let mut out = Vec::new();
            tls.read_to_end(&mut out).await.unwrap();
            assert!(out.starts_with(b"HTTP/1.1 200 OK\r\n"));
        });
    }

    #[test]
    fn tls12_only_server_negotiates_tls12() {
        let server = TlsServer::new(&pki().good(GOOD_NAMES))
            .tls12_only()
            .http(Response::ok());
        rt().block_on(async {
            let tls = tls_connect(server.addr(), "good.test").await.unwrap();
            let (_, conn) = tls.get_ref();
            assert_eq!(
                conn.protocol_version(),
                Some(rustls::ProtocolVersion::TLSv1_2)
            );
        });
    }

    #[test]
    fn tls_server_with_bad_chains_is_rejected_by_a_verifying_client() {
        for leaf in [
            pki().expired(GOOD_NAMES),
            pki().leaf_only(GOOD_NAMES),
            self_signed(GOOD_NAMES),
        ] {
            let server = TlsServer::new(&leaf).http(Response::ok());
            rt().block_on(async {
                let err = tls_connect(server.addr(), "good.test").await.unwrap_err();
                assert!(err.to_string().contains("certificate"), "{err}");
            });
        }
    }

    #[test]
    fn ws_server_answers_ping_and_echoes() {
        let server = ws_server(WsOptions::echo());
        rt().block_on(async {
            let tcp = TcpStream::connect(server.addr()).await.unwrap();
            let (mut ws, resp) =
                tokio_tungstenite::client_async(server.url("ws", "good.test", "/ws"), tcp)
                    .await
                    .unwrap();
            assert_eq!(resp.status(), 101);
            ws.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
            let pong = ws.next().await.unwrap().unwrap();
            assert_eq!(pong, Message::Pong(b"hi".to_vec().into()));
            ws.send(Message::text("echo")).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("echo"));
            ws.close(None).await.unwrap();
        });
    }

    #[test]
    fn wss_server_requires_its_header() {
        let server = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::require_header(
            "Ocp-Apim-Subscription-Key",
            "good",
        ));
        rt().block_on(async {
            // Without the header: 401 with a body.
            let tls = tls_connect(server.addr(), "good.test").await.unwrap();
            let err = tokio_tungstenite::client_async(server.url("wss", "good.test", "/ws"), tls)
                .await
                .unwrap_err();
            match err {
                tokio_tungstenite::tungstenite::Error::Http(resp) => {
                    assert_eq!(resp.status(), 401);
                }
                other => panic!("expected 401, got {other:?}"),
            }
            // With it: 101 and a pong.
            let tls = tls_connect(server.addr(), "good.test").await.unwrap();
            let mut request = server
                .url("wss", "good.test", "/ws")
                .into_client_request()
                .unwrap();
            request
                .headers_mut()
                .insert("Ocp-Apim-Subscription-Key", "good".parse().unwrap());
            let (mut ws, _) = tokio_tungstenite::client_async(request, tls).await.unwrap();
            ws.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
            assert!(matches!(ws.next().await, Some(Ok(Message::Pong(_)))));
        });
        assert!(server.requests()[1].contains("ocp-apim-subscription-key: good"));
    }

    #[test]
    fn ws_server_can_close_with_1008() {
        let server = ws_server(WsOptions::close_immediately(1008));
        rt().block_on(async {
            let tcp = TcpStream::connect(server.addr()).await.unwrap();
            let (mut ws, _) =
                tokio_tungstenite::client_async(server.url("ws", "good.test", "/"), tcp)
                    .await
                    .unwrap();
            match ws.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(u16::from(frame.code), 1008);
                }
                other => panic!("expected close 1008, got {other:?}"),
            }
        });
    }

    #[test]
    fn alert_servers_send_the_alert_record() {
        let server = tls_alert_protocol_version();
        let out = raw_exchange(server.addr(), FAKE_HELLO).unwrap();
        assert_eq!(out, [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
        let server = tls_alert_handshake_failure();
        let out = raw_exchange(server.addr(), FAKE_HELLO).unwrap();
        assert_eq!(out, [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);
    }

    #[test]
    fn rustls_client_sees_the_alerts() {
        let server = tls_alert_protocol_version();
        rt().block_on(async {
            let err = tls_connect(server.addr(), "good.test").await.unwrap_err();
            assert!(err.to_string().contains("ProtocolVersion"), "{err}");
        });
    }

    #[test]
    fn reset_server_resets() {
        let server = reset_after_client_hello();
        let err = raw_exchange(server.addr(), FAKE_HELLO).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    }

    #[test]
    fn eof_server_closes_cleanly() {
        let server = eof_after_client_hello();
        assert!(raw_exchange(server.addr(), FAKE_HELLO).unwrap().is_empty());
    }

    #[test]
    fn plaintext_server_answers_tls_with_http() {
        let server = plaintext_http_on_tls_port();
        let out = raw_exchange(server.addr(), FAKE_HELLO).unwrap();
        assert!(out.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn blackhole_never_answers() {
        let server = blackhole();
        let mut s = StdTcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        s.write_all(FAKE_HELLO).unwrap();
        let err = s.read(&mut [0u8; 16]).unwrap_err();
        assert!(matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
    }

    #[test]
    fn garbage_slow_and_huge_servers_misbehave() {
        let server = garbage_http();
        let out = raw_exchange(server.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(out.starts_with(b"SSH-2.0"));

        let server = huge_header_http();
        let out = raw_exchange(server.addr(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(out.len() > 1 << 20);

        let server = slow_drip_http();
        let mut s = StdTcpStream::connect(server.addr()).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut got = Vec::new();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(900) {
            let mut buf = [0u8; 64];
            if let Ok(n) = s.read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
            }
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\nX-Drip: a"));
        assert!(!got.windows(4).any(|w| w == b"\r\n\r\n"));
    }

    #[test]
    fn closed_port_refuses() {
        let port = closed_port();
        let err = StdTcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn full_backlog_times_out() {
        let backlog = FullBacklog::new();
        let err =
            StdTcpStream::connect_timeout(&backlog.addr(), Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    }
}
