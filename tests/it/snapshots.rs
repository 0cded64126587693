//! Snapshots of the human output, one per diagnosis family (dns, tcp, proxy,
//! tls, certificate, http, auth, websocket; the stream family is in
//! `presets::readme_samples`), a passing check plain and with `-v`, the env
//! block of `netdoctor env` in a fixed image, and `explain`. They pin what a
//! person reads, so that a refactor that changes a line shows up as a diff
//! in `tests/it/snapshots/`.
//!
//! Every run is pinned (`--resolve`, or a `--resolver` on loopback) and sees a
//! fixed image under `NETDOCTOR_SYSROOT`, so neither the machine's resolver
//! nor its CA stores reach the output.

use crate::support::snapshot::{assert_human, debian_image, human};
use crate::support::{
    closed_port, empty_sysroot, http_server, netdoctor, pinned, pki, plaintext_http_on_tls_port,
    self_signed, DnsServer, ProxyServer, Response, TlsServer, GOOD_NAMES,
};

/// `netdoctor` in a Debian 12 image whose CA bundle is `bundle` (PEM), so
/// the env block of `check` is one quiet line.
fn in_debian(bundle: &str) -> (assert_cmd::Command, tempfile::TempDir) {
    let root = debian_image(bundle);
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    (cmd, root)
}

/// [`in_debian`] with the test root as the image's CA bundle.
fn trusting() -> (assert_cmd::Command, tempfile::TempDir) {
    in_debian(&pki().root_pem())
}

fn path_of(dir: &tempfile::TempDir) -> String {
    dir.path().display().to_string()
}

#[test]
fn dns_nxdomain() {
    let dns = DnsServer::start();
    let (cmd, root) = trusting();
    let args = [
        "check",
        "https://nxdomain.test/",
        "--resolver",
        &dns.resolver_arg(),
        "--timeout",
        "2s",
    ];
    let out = human(cmd, &args);
    let port = dns.addr().port().to_string();
    assert_human(
        "dns_nxdomain",
        &out,
        &[(&path_of(&root), "[SYSROOT]"), (&port, "[PORT]")],
    );
}

#[test]
fn tcp_refused() {
    let port = closed_port();
    let (cmd, root) = trusting();
    let args = [
        "check".to_owned(),
        format!("http://good.test:{port}/"),
        "--resolve".to_owned(),
        format!("good.test:{port}:127.0.0.1"),
    ];
    let out = human(cmd, &args);
    assert_human(
        "tcp_refused",
        &out,
        &[
            (&path_of(&root), "[SYSROOT]"),
            (&port.to_string(), "[PORT]"),
        ],
    );
}

#[test]
fn proxy_auth_required() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let proxy = ProxyServer::new()
        .basic_auth("alice", "secret")
        .route("good.test", server.addr())
        .start();
    let (cmd, root) = trusting();
    let args = [
        "check".to_owned(),
        server.url("https", "good.test", "/"),
        "--proxy".to_owned(),
        format!("http://127.0.0.1:{}", proxy.port()),
    ];
    let out = human(cmd, &args);
    assert_human(
        "proxy_auth_required",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn tls_plaintext_response() {
    let server = plaintext_http_on_tls_port();
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human(
        "tls_plaintext_response",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn certificate_unknown_issuer() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (cmd, root) = in_debian(&self_signed(&["unrelated.test"]).pem[0]);
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human(
        "certificate_unknown_issuer",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn certificate_expired() {
    let server = TlsServer::new(&pki().expired(GOOD_NAMES)).http(Response::ok());
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human(
        "certificate_expired",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn certificate_hostname_mismatch() {
    let server = TlsServer::new(&pki().wrong_host()).http(Response::ok());
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human(
        "certificate_hostname_mismatch",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn certificate_self_signed() {
    let server = TlsServer::new(&self_signed(&["good.test"])).http(Response::ok());
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human(
        "certificate_self_signed",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn http_not_found() {
    let server = http_server(Response::new(404).body("no such page"));
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "http", "/missing"));
    assert_human("http_not_found", &out, &[(&path_of(&root), "[SYSROOT]")]);
}

#[test]
fn auth_rejected_with_a_key() {
    let server = http_server(
        Response::new(401)
            .header("WWW-Authenticate", "Bearer realm=\"test\"")
            .header("Content-Type", "application/json")
            .body(r#"{"error":{"code":"401","message":"Access denied due to invalid key."}}"#),
    );
    let (cmd, root) = trusting();
    let mut args = pinned(&server, "http", "/");
    args.extend([
        "-H".to_owned(),
        "Authorization: Bearer nd-secret-0123456789abcdef".to_owned(),
    ]);
    let out = human(cmd, &args);
    let printed = out.split_once('\n').map_or("", |(_, rest)| rest);
    assert!(!printed.contains("nd-secret"), "the key is printed:\n{out}");
    assert_human(
        "auth_rejected_with_a_key",
        &out,
        &[
            (&path_of(&root), "[SYSROOT]"),
            ("nd-secret-0123456789abcdef", "[KEY]"),
        ],
    );
}

#[test]
fn websocket_upgrade_ignored() {
    let server = http_server(Response::upgrade_ignored());
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "ws", "/ws"));
    assert_human(
        "websocket_upgrade_ignored",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn https_pass() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (cmd, root) = trusting();
    let out = human(cmd, &pinned(&server, "https", "/"));
    assert_human("https_pass", &out, &[(&path_of(&root), "[SYSROOT]")]);
}

#[test]
fn https_pass_verbose() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (cmd, root) = trusting();
    let mut args = pinned(&server, "https", "/");
    args.push("-v".to_owned());
    let out = human(cmd, &args);
    assert_human(
        "https_pass_verbose",
        &out,
        &[(&path_of(&root), "[SYSROOT]")],
    );
}

#[test]
fn env_debian_image() {
    let (cmd, root) = trusting();
    let out = human(cmd, &["env"]);
    assert_human("env_debian_image", &out, &[(&path_of(&root), "[SYSROOT]")]);
}

#[test]
fn env_empty_image() {
    let root = empty_sysroot();
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let out = human(cmd, &["env"]);
    assert_human("env_empty_image", &out, &[(&path_of(&root), "[SYSROOT]")]);
}

#[test]
fn explain_curl_unknown_issuer() {
    let out = human(
        netdoctor(),
        &[
            "explain",
            "curl: (60) SSL certificate problem: unable to get local issuer certificate",
        ],
    );
    assert_human("explain_curl_unknown_issuer", &out, &[]);
}

#[test]
fn proxy_not_a_proxy() {
    // Debian's nginx, a plain web server, named as the proxy.
    let Some(site) = crate::support::daemon::nginx(
        "    listen 127.0.0.1:{port};\n    location / { return 200 \"site\\n\"; }",
    ) else {
        return;
    };
    let version = std::process::Command::new("/usr/sbin/nginx")
        .arg("-v")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned())
        .unwrap_or_default();
    let version = version.trim_start_matches("nginx version: ").to_owned();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (cmd, root) = trusting();
    let args = [
        "check".to_owned(),
        server.url("https", "good.test", "/"),
        "--proxy".to_owned(),
        format!("http://127.0.0.1:{}", site.port),
    ];
    let out = human(cmd, &args);
    assert_human(
        "proxy_not_a_proxy",
        &out,
        &[
            (&path_of(&root), "[SYSROOT]"),
            (&version, "nginx/[VERSION]"),
        ],
    );
}
