//! The `proxy` stage and the proxy rules, against the CONNECT proxy fixture.

use crate::support::{pki, ProxyServer, Response, TlsServer, GOOD_NAMES};

/// argv: CLIENT URL CAFILE. Proxies come from the environment.
pub const PYTHON: &str = r#"
import sys
client, url, cafile = sys.argv[1:4]
if client == "requests":
    import requests
    r = requests.get(url, verify=cafile, timeout=5)
    print("status", r.status_code)
elif client == "httpx":
    import httpx, ssl
    ctx = ssl.create_default_context(cafile=cafile)
    r = httpx.get(url, verify=ctx, timeout=5)
    print("status", r.status_code)
elif client == "urllib":
    import urllib.request, ssl
    ctx = ssl.create_default_context(cafile=cafile)
    r = urllib.request.urlopen(url, context=ctx, timeout=5)
    print("status", r.status)
"#;

fn capture(name: &str, proxy: &str, url: &str, ca: &str) {
    let curl = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "--cacert",
            ca,
            "--proxy-cacert",
            ca,
            "-x",
            proxy,
            url,
        ])
        .env_clear()
        .output()
        .unwrap();
    eprintln!(
        "### {name} curl: {}",
        String::from_utf8_lossy(&curl.stderr).trim()
    );
    for client in ["requests", "httpx", "urllib"] {
        let out = std::process::Command::new("python3")
            .args(["-c", PYTHON, client, url, ca])
            .env_clear()
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HTTPS_PROXY", proxy)
            .env("HTTP_PROXY", proxy)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .join(" | ")
            .escape_debug()
            .to_string();
        eprintln!(
            "### {name} {client}: {} {last}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
}

#[test]
#[ignore = "capture run"]
fn capture_client_errors() {
    let ca = pki().root_file();
    let ca = ca.arg();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let url = format!("https://good.test:{}/", server.port());
    let route = |p: ProxyServer| p.route("good.test", server.addr()).start();
    let open = route(ProxyServer::new());
    capture(
        "open",
        &format!("http://127.0.0.1:{}", open.port()),
        &url,
        &ca,
    );
    let auth = route(ProxyServer::new().basic_auth("alice", "p@ss:w/rd"));
    capture(
        "auth-none",
        &format!("http://127.0.0.1:{}", auth.port()),
        &url,
        &ca,
    );
    capture(
        "auth-ok",
        &format!("http://alice:p%40ss%3Aw%2Frd@127.0.0.1:{}", auth.port()),
        &url,
        &ca,
    );
    capture(
        "auth-bad",
        &format!("http://alice:wrong@127.0.0.1:{}", auth.port()),
        &url,
        &ca,
    );
    let ntlm = route(ProxyServer::new().ntlm_only());
    capture(
        "ntlm",
        &format!("http://127.0.0.1:{}", ntlm.port()),
        &url,
        &ca,
    );
    let deny = route(ProxyServer::new().deny_port(server.port()));
    capture(
        "deny",
        &format!("http://127.0.0.1:{}", deny.port()),
        &url,
        &ca,
    );
    capture(
        "tls-to-plain",
        &format!("https://127.0.0.1:{}", open.port()),
        &url,
        &ca,
    );
    let tlsrec = route(ProxyServer::new().tls_record());
    capture(
        "plain-to-tls-record",
        &format!("http://127.0.0.1:{}", tlsrec.port()),
        &url,
        &ca,
    );
    let nginx = route(ProxyServer::new().nginx_https_port());
    capture(
        "plain-to-nginx",
        &format!("http://127.0.0.1:{}", nginx.port()),
        &url,
        &ca,
    );
    let garbage = route(ProxyServer::new().garbage());
    capture(
        "garbage",
        &format!("http://127.0.0.1:{}", garbage.port()),
        &url,
        &ca,
    );
    let closed = crate::support::closed_port();
    capture("refused", &format!("http://127.0.0.1:{closed}"), &url, &ca);
    let tls_proxy = route(ProxyServer::new().tls(&pki().good(GOOD_NAMES)));
    capture(
        "https-proxy",
        &format!("https://localhost:{}", tls_proxy.port()),
        &url,
        &ca,
    );
    let untrusted = route(ProxyServer::new().tls(&crate::support::self_signed(&["localhost"])));
    capture(
        "https-proxy-untrusted",
        &format!("https://localhost:{}", untrusted.port()),
        &url,
        &ca,
    );
    let plain_server = crate::support::http_server(Response::ok());
    let purl = format!("http://good.test:{}/", plain_server.port());
    let open2 = ProxyServer::new()
        .route("good.test", plain_server.addr())
        .start();
    capture(
        "absolute-form",
        &format!("http://127.0.0.1:{}", open2.port()),
        &purl,
        &ca,
    );
    eprintln!("log {:?}", open2.requests());
    let silent = route(ProxyServer::new().silent());
    capture(
        "silent",
        &format!("http://127.0.0.1:{}", silent.port()),
        &url,
        &ca,
    );
}
