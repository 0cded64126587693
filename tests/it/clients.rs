//! The real clients, next to netdoctor, against the very same fixture: for
//! each fault, netdoctor must name it, and what curl, Python (`ssl`, `urllib`,
//! `requests`) and Node (`https.get`, `fetch`) print for it must be among the
//! `client_errors` netdoctor reports. This is what makes those strings
//! searchable: they are checked against the clients on this machine, not
//! written from memory.
//!
//! Every client is pinned like netdoctor (`--resolve` for curl, a patched
//! resolver for Python and Node) and trusts exactly one CA file (the test root
//! or an unrelated CA): curl gets `--cacert` plus an empty `--capath`, Python
//! `create_default_context(cafile=…)` / `verify=…`, Node `ca:` /
//! `NODE_EXTRA_CA_CERTS` (Node's bundled roots hold no test CA), and netdoctor
//! `--cacert` in an empty sysroot, so the machine's own stores never matter.
//! A client whose binary (or Python module) is missing is skipped, loudly
//! (`support::skip`; a failure under `NETDOCTOR_REQUIRE_ALL=1`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};
use serde_json::Value;

use crate::support::{
    blackhole, closed_port, empty_sysroot, eof_after_client_hello, http_server, netdoctor, pki,
    plaintext_http_on_tls_port, reset_after_client_hello, run_json_with, self_signed,
    tls_alert_handshake_failure, tls_alert_protocol_version, FullBacklog, Leaf, Response, Run,
    Server, TlsServer, GOOD_NAMES, RUN_CEILING,
};

// ---------------------------------------------------------------------------
// The matcher

/// The matcher `netdoctor explain` uses: the literal pieces of a catalogue
/// string, split at its `<…>` placeholders, in order in one line (Python's
/// ` (_ssl.c:NNNN)` suffix ignored). One matcher for both.
pub use netdoctor::explain::matches;

/// The first `(catalogue string, output line)` that match.
pub fn find_match<'a>(client_errors: &'a [String], output: &'a str) -> Option<(&'a str, &'a str)> {
    output.lines().find_map(|line| {
        client_errors
            .iter()
            .find(|p| matches(p, line))
            .map(|p| (p.as_str(), line))
    })
}

#[test]
fn matcher_handles_placeholders_and_the_ssl_c_suffix() {
    let curl = "curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server";
    assert!(matches(
        curl,
        "curl: (7) Failed to connect to good.test port 4431 after 0 ms: Couldn't connect to server"
    ));
    assert!(!matches(
        curl,
        "curl: (7) Failed to connect to good.test port 4431 after 0 ms: Timeout was reached"
    ));
    // A placeholder is never empty.
    assert!(!matches(
        curl,
        "curl: (7) Failed to connect to  port 4431 after 0 ms: Couldn't connect to server"
    ));
    // Pieces must come in order.
    assert!(!matches("a <x> b", "b then a"));
    // A trailing placeholder, and a trailing space in the output (curl's SSL_ERROR_SYSCALL line).
    assert!(matches(
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to <host>:<port>",
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to good.test:8005 "
    ));
    // Python's build-specific suffix, at the end and inside urllib's `<urlopen error …>`.
    let py = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '<host>'.";
    assert!(matches(py, "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'good.test'. (_ssl.c:1006)"));
    assert!(matches(
        "[SSL: WRONG_VERSION_NUMBER] wrong version number",
        "urllib.error.URLError: <urlopen error [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)>"
    ));
    assert_eq!(
        netdoctor::explain::strip_ssl_c_suffix("x (_ssl.c:1006)> y (_ssl.c:) z (_ssl.c:7)"),
        "x> y (_ssl.c:) z"
    );
    // `<` that is not a placeholder is literal.
    assert!(matches("a < b <c d> <e>", "a < b <c d> XYZ"));
    assert!(matches(
        "HTTP Error 401: Unauthorized",
        "urllib.error.HTTPError: HTTP Error 401: Unauthorized"
    ));
    assert!(!matches(
        "HTTP Error 401: Unauthorized",
        "urllib.error.HTTPError: HTTP Error 403: Forbidden"
    ));
}

// ---------------------------------------------------------------------------
// The clients

/// The clients this module knows how to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    /// `curl -sS -f` with `--resolve` and `--cacert`.
    Curl,
    /// Python `ssl`: `create_default_context(cafile=…)`, a socket to
    /// 127.0.0.1, `wrap_socket(server_hostname=…)`.
    PySsl,
    /// Python `urllib.request.urlopen`.
    PyUrllib,
    /// Python `requests.get` (when the module is installed).
    PyRequests,
    /// Node `https.get` / `http.get` with `ca:`.
    NodeHttps,
    /// Node's global `fetch` with `NODE_EXTRA_CA_CERTS`.
    NodeFetch,
}

use Client::{Curl, NodeFetch, NodeHttps, PyRequests, PySsl, PyUrllib};

/// Every client, for faults all of them report.
const ALL: &[Client] = &[Curl, PySsl, PyUrllib, PyRequests, NodeHttps, NodeFetch];

/// argv: MODE URL HOST PORT CAFILE HEADER TIMEOUT. The host name resolves to
/// 127.0.0.1 (as curl's `--resolve` does); everything else is the client's own
/// behaviour.
const PYTHON: &str = r#"
import socket, ssl, sys
mode, url, host, port, cafile, header, timeout = sys.argv[1:8]
timeout = float(timeout)
_getaddrinfo = socket.getaddrinfo
def _pinned(name, *args, **kwargs):
    return _getaddrinfo("127.0.0.1" if name == host else name, *args, **kwargs)
socket.getaddrinfo = _pinned
headers = {"Authorization": header} if header else {}
if mode == "ssl":
    ctx = ssl.create_default_context(cafile=cafile)
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
    tls = ctx.wrap_socket(sock, server_hostname=host)
    print("ok", tls.version())
elif mode == "urllib":
    import urllib.request
    ctx = ssl.create_default_context(cafile=cafile)
    req = urllib.request.Request(url, headers=headers)
    r = urllib.request.urlopen(req, context=ctx, timeout=timeout)
    print("status", r.status)
elif mode == "requests":
    import requests
    r = requests.get(url, verify=cafile, headers=headers, timeout=timeout)
    print("status", r.status_code)
    r.raise_for_status()
"#;

/// argv: MODE URL HOST CAFILE HEADER (fetch reads its CA from
/// `NODE_EXTRA_CA_CERTS`). Prints what docs/client-errors.md's harness prints.
const NODE: &str = r#"
const dns = require("dns");
const fs = require("fs");
const [mode, url, host, ca, header] = process.argv.slice(1);
const lookup = dns.lookup;
dns.lookup = function (name, options, callback) {
  if (typeof options === "function") { callback = options; options = {}; }
  if (name !== host) return lookup.call(dns, name, options, callback);
  if (options && options.all) return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
  return process.nextTick(callback, null, "127.0.0.1", 4);
};
const headers = header ? { Authorization: header } : {};
if (mode === "https") {
  const mod = url.startsWith("https") ? require("https") : require("http");
  const req = mod.get(url, { ca: fs.readFileSync(ca), headers }, (res) => {
    console.log(`https.get status=${res.statusCode} ${res.statusMessage}`);
    res.resume();
  });
  req.on("error", (err) => console.log(`https.get err.code=${err.code} err.message=${err.message}`));
} else {
  fetch(url, { headers }).then(
    (res) => console.log(`fetch status=${res.status} ${res.statusText} ok=${res.ok}`),
    (err) => {
      console.log(`fetch err.name=${err.name} err.message=${err.message}`);
      const c = err.cause;
      if (c) console.log(`fetch err.cause.code=${c.code} err.cause.message=${c.message}`);
    });
}
"#;

/// Whether `program ARGS` runs and succeeds (cached: a binary, or a Python module).
fn available(program: &str, args: &[&str]) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let key = format!("{program} {}", args.join(" "));
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(known) = cache.lock().unwrap().get(&key) {
        return *known;
    }
    let ok = std::process::Command::new(program)
        .args(args)
        .env_clear()
        .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
        .output()
        .is_ok_and(|o| o.status.success());
    cache.lock().unwrap().insert(key, ok);
    ok
}

/// A command with an empty environment (only `PATH`) and the run ceiling, so
/// proxy variables and CA variables never reach a client.
fn clean(program: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(program);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.timeout(RUN_CEILING);
    cmd
}

/// What one client printed.
struct ClientRun {
    client: Client,
    command: String,
    code: Option<i32>,
    output: String,
}

impl Client {
    /// Run this client against `target`; `None` (with a note) when it is not installed.
    fn run(self, target: &Target) -> Option<ClientRun> {
        let program = self.installed(target)?;
        let mut cmd = clean(program);
        let shown = self.args(target, &mut cmd);
        cmd.args(&shown);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let command = format!(
            "{program} {}",
            shown
                .iter()
                .map(|a| if a.contains('\n') { "<script>" } else { a })
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert!(
            out.status.code().is_some(),
            "{self:?} did not exit by itself (hang?)\n$ {command}\n{output}"
        );
        Some(ClientRun {
            client: self,
            command,
            code: out.status.code(),
            output,
        })
    }

    /// This client's program, or `None` (with a note) when it does not run here.
    fn installed(self, target: &Target) -> Option<&'static str> {
        let (program, probe): (&str, &[&str]) = match self {
            Curl => ("curl", &["--version"]),
            PySsl | PyUrllib => ("python3", &["--version"]),
            PyRequests => ("python3", &["-c", "import requests"]),
            NodeHttps | NodeFetch => ("node", &["--version"]),
        };
        if !available(program, probe) {
            let package = match self {
                Curl => "curl",
                PySsl | PyUrllib => "python3",
                PyRequests => "requests (python3 -m pip install requests)",
                NodeHttps | NodeFetch => "nodejs",
            };
            crate::support::skip(
                &format!(
                    "{self:?} for {}: `{program} {}` does not run here",
                    target.url(),
                    probe.join(" ")
                ),
                package,
            );
            return None;
        }
        Some(program)
    }

    /// The client's arguments against `target` (and the environment it
    /// needs, set on `cmd`).
    fn args(self, target: &Target, cmd: &mut assert_cmd::Command) -> Vec<String> {
        let url = target.url();
        let ca = target.ca.display().to_string();
        let header = target.header.clone().unwrap_or_default();
        match self {
            Curl => {
                let mut args = vec![
                    "-q".to_owned(),
                    "-sS".to_owned(),
                    "-f".to_owned(),
                    "-o".to_owned(),
                    "/dev/null".to_owned(),
                    "--resolve".to_owned(),
                    format!("{}:{}:127.0.0.1", target.host, target.port),
                    "--cacert".to_owned(),
                    ca,
                    "--capath".to_owned(),
                    target.empty_dir.path().display().to_string(),
                ];
                if !header.is_empty() {
                    args.extend(["-H".to_owned(), header]);
                }
                if let Some(t) = target.timeout {
                    args.extend(["--connect-timeout".to_owned(), t.to_string()]);
                }
                args.push(url);
                args
            }
            PySsl | PyUrllib | PyRequests => {
                let mode = match self {
                    PySsl => "ssl",
                    PyUrllib => "urllib",
                    _ => "requests",
                };
                vec![
                    "-I".to_owned(),
                    "-c".to_owned(),
                    PYTHON.to_owned(),
                    mode.to_owned(),
                    url,
                    target.host.to_owned(),
                    target.port.to_string(),
                    ca,
                    header,
                    target.timeout.unwrap_or(20).to_string(),
                ]
            }
            NodeHttps | NodeFetch => {
                let mode = if self == NodeHttps { "https" } else { "fetch" };
                if self == NodeFetch {
                    cmd.env("NODE_EXTRA_CA_CERTS", &target.ca);
                }
                vec![
                    "-e".to_owned(),
                    NODE.to_owned(),
                    mode.to_owned(),
                    url,
                    target.host.to_owned(),
                    ca,
                    header,
                ]
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Targets

/// A CA that signed nothing the fixtures serve: what a "no CA" client trusts.
fn unrelated_ca_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "netdoctor tests");
        dn.push(DnType::CommonName, "netdoctor unrelated CA");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        params.self_signed(&key).expect("unrelated CA").pem()
    })
}

/// Which CA file netdoctor and every client are given.
enum Trust {
    /// The test root that signs the fixtures' chains.
    Root,
    /// A CA that has nothing to do with the chain.
    Unrelated,
}

/// One URL, as netdoctor and every client reach it.
struct Target {
    scheme: &'static str,
    host: &'static str,
    port: u16,
    /// The one CA file everyone trusts.
    ca: PathBuf,
    /// An `Authorization` header value to send, if any.
    header: Option<String>,
    /// A short timeout in seconds for everyone (netdoctor `--timeout`, curl
    /// `--connect-timeout`, Python `timeout=`); Node keeps its own defaults.
    timeout: Option<u32>,
    /// For curl's `--capath`, so that its compiled-in directory is not used.
    empty_dir: tempfile::TempDir,
    _files: tempfile::TempDir,
}

impl Target {
    fn new(scheme: &'static str, port: u16, trust: &Trust) -> Target {
        let files = tempfile::tempdir().expect("tempdir");
        let ca = files.path().join("ca.pem");
        let pem = match trust {
            Trust::Root => pki().root_pem(),
            Trust::Unrelated => unrelated_ca_pem().to_owned(),
        };
        std::fs::write(&ca, pem).expect("write ca.pem");
        Target {
            scheme,
            host: "good.test",
            port,
            ca,
            header: None,
            timeout: None,
            empty_dir: tempfile::tempdir().expect("tempdir"),
            _files: files,
        }
    }

    /// `https://good.test:PORT/` on `server`, everyone trusting `trust`.
    fn https(server: &Server, trust: &Trust) -> Target {
        Target::new("https", server.port(), trust)
    }

    /// A TLS server presenting `leaf`, answering 200.
    fn serving(leaf: &Leaf, trust: &Trust) -> (Target, Server) {
        let server = TlsServer::new(leaf).http(Response::ok());
        (Target::https(&server, trust), server)
    }

    fn with_header(mut self, value: &str) -> Target {
        self.header = Some(value.to_owned());
        self
    }

    fn with_timeout(mut self, secs: u32) -> Target {
        self.timeout = Some(secs);
        self
    }

    fn url(&self) -> String {
        format!("{}://{}:{}/", self.scheme, self.host, self.port)
    }

    /// `netdoctor check URL --resolve … --cacert CA [-H …] --format json` in an
    /// empty sysroot (no machine CA store, no resolv.conf).
    fn netdoctor(&self) -> Run {
        let root = empty_sysroot();
        let mut cmd = netdoctor();
        cmd.env("NETDOCTOR_SYSROOT", root.path());
        let mut args = vec![
            "check".to_owned(),
            self.url(),
            "--resolve".to_owned(),
            format!("{}:{}:127.0.0.1", self.host, self.port),
            "--cacert".to_owned(),
            self.ca.display().to_string(),
        ];
        if let Some(h) = &self.header {
            args.extend(["-H".to_owned(), format!("Authorization: {h}")]);
        }
        if let Some(t) = self.timeout {
            args.extend(["--timeout".to_owned(), format!("{t}s")]);
        }
        run_json_with(cmd, &args)
    }
}

/// The `client_errors` of a diagnosis object.
fn client_errors_of(diagnosis: &Value, run: &Run) -> Vec<String> {
    let list: Vec<String> = diagnosis["client_errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no client_errors in the diagnosis\n{}", run.dump()))
        .iter()
        .map(|v| v.as_str().expect("client_errors are strings").to_owned())
        .collect();
    assert!(!list.is_empty(), "client_errors is empty\n{}", run.dump());
    list
}

/// Every client in `clients` printed a line that `client_errors` lists.
fn assert_clients_match(code: &str, target: &Target, client_errors: &[String], clients: &[Client]) {
    for client in clients {
        let Some(ran) = client.run(target) else {
            continue;
        };
        match find_match(client_errors, &ran.output) {
            Some((pattern, line)) => {
                eprintln!("{code} {:?}: {line:?} ~ {pattern:?}", ran.client);
            }
            None => panic!(
                "{code}: {:?} printed nothing that netdoctor's client_errors lists\n\
                 $ {}\n(exit {:?})\n--- output ---\n{}\n--- client_errors ---\n{}",
                ran.client,
                ran.command,
                ran.code,
                ran.output,
                client_errors.join("\n")
            ),
        }
    }
}

/// netdoctor fails `target` at `layer` with `code` (exit `exit`), and each of
/// `clients` prints one of that diagnosis' `client_errors`.
fn same_fault(target: &Target, exit: i32, layer: &str, code: &str, clients: &[Client]) {
    let run = target.netdoctor();
    run.assert_fail(exit, layer, code);
    let errors = client_errors_of(&run.target(0)["diagnosis"], &run);
    assert_clients_match(code, target, &errors, clients);
}

/// netdoctor warns `code` at `layer` for `target`, and each of `clients`
/// prints one of that warning's `client_errors`.
fn same_warning(target: &Target, layer: &str, code: &str, clients: &[Client]) {
    let run = target.netdoctor();
    run.assert_warn(layer, code);
    let errors = client_errors_of(&run.stage(layer)["diagnosis"], &run);
    assert_clients_match(code, target, &errors, clients);
}

// ---------------------------------------------------------------------------
// control

/// The setup itself works: with the good chain every client connects (so the
/// failures below are the faults, not the pinning or the trust options).
#[test]
fn control_every_client_succeeds_on_the_good_chain() {
    let (target, _server) = Target::serving(&pki().good(GOOD_NAMES), &Trust::Root);
    target.netdoctor().assert_all_pass();
    for client in ALL {
        let Some(ran) = client.run(&target) else {
            continue;
        };
        let success = match client {
            Curl => ran.code == Some(0) && ran.output.is_empty(),
            PySsl => ran.output.starts_with("ok TLSv1.3"),
            PyUrllib | PyRequests => ran.output.starts_with("status 200"),
            NodeHttps => ran.output.starts_with("https.get status=200"),
            NodeFetch => ran.output.starts_with("fetch status=200"),
        };
        assert!(
            success,
            "{client:?} failed on the good chain\n$ {}\n(exit {:?})\n{}",
            ran.command, ran.code, ran.output
        );
    }
}

// ---------------------------------------------------------------------------
// tcp

#[test]
fn tcp_refused() {
    let target = Target::new("https", closed_port(), &Trust::Root);
    same_fault(&target, 12, "tcp", "TCP_REFUSED", ALL);
}

/// Python `ssl`/`urllib` with a timeout print only `TimeoutError: timed out`
/// (too generic for the catalogue, see docs/client-errors.md); Node `https.get`
/// waits for the kernel (minutes). `fetch` gives up after undici's 10 s.
#[test]
fn tcp_timeout() {
    let backlog = FullBacklog::new();
    let target = Target::new("https", backlog.port(), &Trust::Root).with_timeout(2);
    same_fault(
        &target,
        12,
        "tcp",
        "TCP_TIMEOUT",
        &[Curl, PyRequests, NodeFetch],
    );
}

// ---------------------------------------------------------------------------
// tls

/// The clients whose strings the catalogue holds for OpenSSL alerts and
/// record errors. Node's `https.get` prints `EPROTO` and OpenSSL's long form
/// instead: see the ignored `*_node_https` tests.
const TLS_ALERT_CLIENTS: &[Client] = &[Curl, PySsl, PyUrllib, PyRequests, NodeFetch];

fn tls_fault(server: &Server, code: &str, clients: &[Client]) {
    let target = Target::https(server, &Trust::Root);
    same_fault(&target, 14, "tls", code, clients);
}

#[test]
fn tls_plaintext_response() {
    let server = plaintext_http_on_tls_port();
    tls_fault(&server, "TLS_PLAINTEXT_RESPONSE", TLS_ALERT_CLIENTS);
}

#[test]
fn tls_plaintext_response_node_https() {
    let server = plaintext_http_on_tls_port();
    tls_fault(&server, "TLS_PLAINTEXT_RESPONSE", &[NodeHttps]);
}

#[test]
fn tls_protocol_version() {
    let server = tls_alert_protocol_version();
    tls_fault(&server, "TLS_PROTOCOL_VERSION", TLS_ALERT_CLIENTS);
}

#[test]
fn tls_protocol_version_node_https() {
    let server = tls_alert_protocol_version();
    tls_fault(&server, "TLS_PROTOCOL_VERSION", &[NodeHttps]);
}

#[test]
fn tls_handshake_failure() {
    let server = tls_alert_handshake_failure();
    tls_fault(&server, "TLS_HANDSHAKE_FAILURE", TLS_ALERT_CLIENTS);
}

#[test]
fn tls_handshake_failure_node_https() {
    let server = tls_alert_handshake_failure();
    tls_fault(&server, "TLS_HANDSHAKE_FAILURE", &[NodeHttps]);
}

#[test]
fn tls_reset() {
    tls_fault(&reset_after_client_hello(), "TLS_RESET", ALL);
}

#[test]
fn tls_unexpected_eof() {
    tls_fault(&eof_after_client_hello(), "TLS_UNEXPECTED_EOF", ALL);
}

/// Node `https.get` without a timeout hangs on a silent server: left out.
#[test]
fn tls_timeout() {
    let server = blackhole();
    let target = Target::https(&server, &Trust::Root).with_timeout(2);
    same_fault(
        &target,
        14,
        "tls",
        "TLS_TIMEOUT",
        &[Curl, PySsl, PyUrllib, PyRequests, NodeFetch],
    );
}

// ---------------------------------------------------------------------------
// certificate

fn cert_fault(leaf: &Leaf, trust: &Trust, code: &str) {
    let (target, _server) = Target::serving(leaf, trust);
    same_fault(&target, 15, "certificate", code, ALL);
}

#[test]
fn cert_unknown_issuer() {
    // Everyone trusts only a CA that has nothing to do with the chain.
    cert_fault(
        &pki().good(GOOD_NAMES),
        &Trust::Unrelated,
        "CERT_UNKNOWN_ISSUER",
    );
}

#[test]
fn cert_intercepted() {
    // A chain from a CA named like Zscaler's (leaf + intermediate, as
    // inspecting proxies send it); everyone trusts only an unrelated CA.
    let zscaler = crate::support::pki::Pki::named(&[
        (DnType::CommonName, "Zscaler Root CA"),
        (DnType::OrganizationName, "Zscaler Inc."),
    ]);
    cert_fault(
        &zscaler.good(GOOD_NAMES),
        &Trust::Unrelated,
        "CERT_INTERCEPTED",
    );
}

#[test]
fn cert_expired() {
    cert_fault(&pki().expired(GOOD_NAMES), &Trust::Root, "CERT_EXPIRED");
}

#[test]
fn cert_not_yet_valid() {
    cert_fault(
        &pki().not_yet_valid(GOOD_NAMES),
        &Trust::Root,
        "CERT_NOT_YET_VALID",
    );
}

#[test]
fn cert_hostname_mismatch() {
    cert_fault(&pki().wrong_host(), &Trust::Root, "CERT_HOSTNAME_MISMATCH");
}

#[test]
fn cert_self_signed() {
    cert_fault(&self_signed(GOOD_NAMES), &Trust::Root, "CERT_SELF_SIGNED");
}

#[test]
fn cert_incomplete_chain() {
    // The root is trusted; the leaf comes without its intermediate.
    cert_fault(
        &pki().leaf_only(GOOD_NAMES),
        &Trust::Root,
        "CERT_INCOMPLETE_CHAIN",
    );
}

// ---------------------------------------------------------------------------
// auth and http (Node reports a status, not an error: left out)

const HTTP_CLIENTS: &[Client] = &[Curl, PyUrllib, PyRequests];

fn unauthorized() -> Response {
    Response::new(401)
        .header("WWW-Authenticate", "Bearer realm=\"test\"")
        .header("Content-Type", "application/json")
        .body(r#"{"error":{"code":"401","message":"Access denied due to invalid key."}}"#)
}

/// An `http://` target on a server answering `response`.
fn http_target(response: Response) -> (Target, Server) {
    let server = http_server(response);
    (Target::new("http", server.port(), &Trust::Root), server)
}

#[test]
fn auth_rejected() {
    let (target, _server) = http_target(unauthorized());
    let target = target.with_header("Bearer x");
    same_fault(&target, 17, "auth", "AUTH_REJECTED", HTTP_CLIENTS);
}

#[test]
fn auth_forbidden() {
    let (target, _server) = http_target(Response::new(403).body("forbidden"));
    let target = target.with_header("Bearer x");
    same_fault(&target, 17, "auth", "AUTH_FORBIDDEN", HTTP_CLIENTS);
}

#[test]
fn auth_missing_key() {
    let (target, _server) = http_target(unauthorized());
    same_warning(&target, "auth", "AUTH_MISSING_KEY", HTTP_CLIENTS);
}

#[test]
fn http_not_found() {
    let (target, _server) = http_target(Response::new(404).body("no such page"));
    same_warning(&target, "http", "HTTP_NOT_FOUND", HTTP_CLIENTS);
}

fn rate_limited() -> Response {
    Response::new(429).header("Retry-After", "30")
}

#[test]
fn http_rate_limited() {
    let (target, _server) = http_target(rate_limited());
    same_warning(&target, "http", "HTTP_RATE_LIMITED", &[Curl, PyRequests]);
}

#[test]
fn http_rate_limited_urllib() {
    let (target, _server) = http_target(rate_limited());
    same_warning(&target, "http", "HTTP_RATE_LIMITED", &[PyUrllib]);
}

#[test]
fn http_server_error_500() {
    let (target, _server) = http_target(Response::new(500));
    same_warning(&target, "http", "HTTP_SERVER_ERROR", &[Curl, PyRequests]);
}

#[test]
fn http_server_error_500_urllib() {
    let (target, _server) = http_target(Response::new(500));
    same_warning(&target, "http", "HTTP_SERVER_ERROR", &[PyUrllib]);
}

#[test]
fn http_server_error_503() {
    let (target, _server) = http_target(Response::new(503));
    same_warning(&target, "http", "HTTP_SERVER_ERROR", &[PyUrllib]);
}

#[test]
fn http_server_error_503_curl_and_requests() {
    let (target, _server) = http_target(Response::new(503));
    same_warning(&target, "http", "HTTP_SERVER_ERROR", &[Curl, PyRequests]);
}
