//! The `proxy` stage and the proxy rules, against the CONNECT proxy fixture
//! (`support::proxy`): each code with its exit code (13), failed layer and
//! key facts; the environment rules next to the real Python clients; and
//! what curl, requests, httpx and urllib print for each fault, which must be
//! among the `client_errors` netdoctor reports.

use crate::support::{
    closed_port, http_server, netdoctor, pki, run_json_with, self_signed, text, CaFile, DnsServer,
    ProxyServer, Response, Run, Server, Socks5Server, TlsServer, WsOptions, BOUNDED, GOOD_NAMES,
};
use serde_json::Value;

/// A TLS origin for `good.test`, and the test root that trusts it.
fn origin() -> (Server, CaFile) {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    (server, pki().root_file())
}

/// A proxy that routes `good.test` to `server`.
fn proxy_for(server: &Server, p: ProxyServer) -> Server {
    p.route("good.test", server.addr()).start()
}

/// `check https://good.test:PORT/ --proxy URL --cacert ROOT` plus `extra`,
/// in a clean environment plus `env`.
fn check(server: &Server, ca: &CaFile, proxy: &str, env: &[(&str, &str)], extra: &[&str]) -> Run {
    let mut cmd = netdoctor();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut args = vec![
        "check".to_owned(),
        server.url("https", "good.test", "/"),
        "--cacert".to_owned(),
        ca.arg(),
    ];
    if !proxy.is_empty() {
        args.extend(["--proxy".to_owned(), proxy.to_owned()]);
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run_json_with(cmd, &args)
}

fn assert_resolved_by_proxy(run: &Run) {
    for layer in ["dns", "tcp"] {
        let s = run.stage(layer);
        assert_eq!(s["status"], "skipped", "{layer}\n{}", run.dump());
        assert_eq!(s["reason"], "resolved by the proxy", "{}", run.dump());
    }
}

fn order(run: &Run) -> Vec<String> {
    run.statuses(0).into_iter().map(|(l, _)| l).collect()
}

#[test]
fn open_proxy_tunnels_https_and_the_target_is_resolved_by_the_proxy() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new());
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        order(&run),
        ["dns", "tcp", "proxy", "tls", "certificate", "http", "auth"]
    );
    assert_resolved_by_proxy(&run);
    assert_eq!(run.stage("proxy")["status"], "pass", "{}", run.dump());
    assert_eq!(run.fact("proxy", "source"), "--proxy");
    assert_eq!(
        run.fact("proxy", "connect"),
        &Value::from(format!("good.test:{}", server.port()))
    );
    assert_eq!(run.fact("proxy", "status"), 200);
    assert_eq!(run.stage("certificate")["status"], "pass");
    assert_eq!(run.fact("http", "status"), 200);
    assert!(
        proxy.requests()[0]
            .starts_with(&format!("CONNECT good.test:{} HTTP/1.1\r\n", server.port())),
        "{:?}",
        proxy.requests()
    );
}

#[test]
fn the_variable_chooses_and_the_proxy_name_goes_through_the_pins() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new());
    let url = format!("http://proxy.test:{}", proxy.port());
    let pin = format!("proxy.test:{}:127.0.0.1", proxy.port());
    let run = check(
        &server,
        &ca,
        "",
        &[("HTTPS_PROXY", &url)],
        &["--resolve", &pin],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.fact("proxy", "source"), "HTTPS_PROXY");
    assert_eq!(run.fact("proxy", "proxy"), &Value::from(url));
    assert_eq!(run.fact("proxy", "proxy_addresses")[0], "127.0.0.1");
    // Every client agrees here.
    assert!(
        run.fact("proxy", "clients_differ").is_null(),
        "{}",
        run.dump()
    );
}

#[test]
fn basic_auth_with_a_percent_encoded_password_authenticates_and_is_never_shown() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().basic_auth("alice", "p@ss:w/rd"));
    let url = format!("http://alice:p%40ss%3Aw%2Frd@127.0.0.1:{}", proxy.port());
    let run = check(&server, &ca, &url, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.fact("proxy", "credentials_sent"), true);
    assert_eq!(
        run.fact("proxy", "proxy"),
        &Value::from(format!("http://***@127.0.0.1:{}", proxy.port()))
    );
    // base64("alice:p@ss:w/rd")
    assert!(proxy.requests()[0].contains("Proxy-Authorization: Basic YWxpY2U6cEBzczp3L3Jk\r\n"));
    for secret in ["p@ss", "p%40ss", "w/rd", "YWxpY2U6cEBzczp3L3Jk"] {
        assert!(
            !run.stdout.contains(secret),
            "{secret} leaked\n{}",
            run.dump()
        );
    }
    // The human output masks it too.
    let out = netdoctor()
        .args([
            "check",
            &server.url("https", "good.test", "/"),
            "--cacert",
            &ca.arg(),
        ])
        .args(["--proxy", &url, "--format", "human", "-v"])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("http://***@127.0.0.1"), "{human}");
    assert!(
        !human.contains("p%40ss") && !human.contains("p@ss"),
        "{human}"
    );
}

#[test]
fn missing_credentials_are_proxy_auth_required_with_the_schemes() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().basic_auth("alice", "secret"));
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED")
        .assert_skipped_after("proxy", &["tls", "certificate", "http", "auth"]);
    assert_eq!(run.fact("proxy", "status"), 407);
    assert_eq!(run.fact("proxy", "credentials_sent"), false);
    let summary = run.target(0)["diagnosis"]["summary"].as_str().unwrap();
    assert!(summary.contains("Proxy-Authenticate: Basic"), "{summary}");
    assert!(summary.contains("no credentials were sent"), "{summary}");
}

#[test]
fn wrong_password_says_the_credentials_were_rejected() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().basic_auth("alice", "secret"));
    let url = format!("http://alice:wrong@127.0.0.1:{}", proxy.port());
    let run = check(&server, &ca, &url, &[], &[]);
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    assert_eq!(run.fact("proxy", "credentials_sent"), true);
    assert!(
        text(&run.target(0)["diagnosis"]).contains("rejected"),
        "{}",
        run.dump()
    );
    assert!(!run.stdout.contains("wrong"), "{}", run.dump());
}

#[test]
fn ntlm_only_proxy_gets_the_sdk_hint() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().ntlm_only());
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    let d = &run.target(0)["diagnosis"];
    assert!(
        d["summary"].as_str().unwrap().contains("NTLM, Negotiate"),
        "{}",
        run.dump()
    );
    let hint = d["hint"].as_str().unwrap();
    assert!(
        hint.contains("single-sign-on proxy") && hint.contains("cntlm or px"),
        "{}",
        run.dump()
    );
    // Credentials in the URL go as Basic, which the proxy does not offer.
    let proxy_url = format!("http://alice:secret@127.0.0.1:{}", proxy.port());
    let run = check(&server, &ca, &proxy_url, &[], &[]);
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    let d = &run.target(0)["diagnosis"];
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains("sent as Basic, which this single-sign-on proxy does not accept"),
        "{}",
        run.dump()
    );
    assert!(!run.stdout.contains("secret"), "{}", run.dump());
}

#[test]
fn denied_port_quotes_status_server_and_via() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().deny_port(server.port()));
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_DENIED");
    let summary = run.target(0)["diagnosis"]["summary"].as_str().unwrap();
    for want in [
        "403 Forbidden",
        "Server: squid/5.7",
        "Via: 1.1 proxy.test",
        "ERR_ACCESS_DENIED",
    ] {
        assert!(summary.contains(want), "{want} in {summary}");
    }
    assert_eq!(run.fact("proxy", "headers")["server"], "squid/5.7");
}

#[test]
fn refused_proxy_is_unreachable_with_the_tcp_cause() {
    let (server, ca) = origin();
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", closed_port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_UNREACHABLE");
    assert_eq!(run.fact("proxy", "cause"), "TCP_REFUSED");
    assert_resolved_by_proxy(&run);
}

#[test]
fn proxy_name_that_does_not_exist_is_unreachable_with_the_dns_cause() {
    let (server, ca) = origin();
    let dns = DnsServer::start();
    let run = check(
        &server,
        &ca,
        "http://nxdomain.test:3128",
        &[],
        &["--resolver", &dns.resolver_arg()],
    );
    run.assert_fail(13, "proxy", "PROXY_UNREACHABLE");
    assert_eq!(run.fact("proxy", "cause"), "DNS_NXDOMAIN");
    // The proxy's name went to our resolver; the target's never did.
    let queries = dns.queries().join(" ");
    assert!(queries.contains("nxdomain.test"), "{queries}");
    assert!(!queries.contains("good.test"), "{queries}");
}

#[test]
fn https_proxy_url_to_a_plain_proxy() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new());
    let run = check(
        &server,
        &ca,
        &format!("https://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_TLS_TO_PLAINTEXT");
    let d = &run.target(0)["diagnosis"];
    assert!(
        d["hint"].as_str().unwrap().contains("http://"),
        "{}",
        run.dump()
    );
    assert!(
        d["client_errors"]
            .to_string()
            .contains("WRONG_VERSION_NUMBER"),
        "{}",
        run.dump()
    );
}

#[test]
fn plain_proxy_url_to_a_tls_port() {
    let (server, ca) = origin();
    for p in [
        ProxyServer::new().tls_record(),
        ProxyServer::new().nginx_https_port(),
    ] {
        let proxy = proxy_for(&server, p);
        let run = check(
            &server,
            &ca,
            &format!("http://127.0.0.1:{}", proxy.port()),
            &[],
            &[],
        );
        run.assert_fail(13, "proxy", "PROXY_PLAINTEXT_TO_TLS");
    }
}

#[test]
fn garbage_reply_is_malformed_and_silence_is_a_timeout() {
    let (server, ca) = origin();
    let proxy = proxy_for(&server, ProxyServer::new().garbage());
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_MALFORMED");
    assert!(
        text(run.fact("proxy", "first_bytes")).contains("ssh-2.0"),
        "{}",
        run.dump()
    );
    let silent = proxy_for(&server, ProxyServer::new().silent());
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", silent.port()),
        &[],
        &["--timeout", "1s"],
    );
    run.assert_fail(13, "proxy", "PROXY_TIMEOUT")
        .assert_within(BOUNDED);
}

#[test]
fn https_proxy_is_verified_against_the_stores_and_proxy_cacert() {
    let (server, ca) = origin();
    // Trusted through the same stores as the target (--cacert).
    let proxy = proxy_for(&server, ProxyServer::new().tls(&pki().good(GOOD_NAMES)));
    let url = format!("https://localhost:{}", proxy.port());
    let pin = format!("localhost:{}:127.0.0.1", proxy.port());
    let run = check(&server, &ca, &url, &[], &["--resolve", &pin]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.fact("proxy", "proxy_tls")["version"], "TLSv1.3");
    // A self-signed proxy certificate is not trusted.
    let bad = proxy_for(&server, ProxyServer::new().tls(&self_signed(GOOD_NAMES)));
    let url = format!("https://localhost:{}", bad.port());
    let pin = format!("localhost:{}:127.0.0.1", bad.port());
    let run = check(&server, &ca, &url, &[], &["--resolve", &pin]);
    run.assert_fail(13, "proxy", "PROXY_TLS_UNTRUSTED");
    assert_eq!(
        run.fact("proxy", "cause"),
        "CERT_SELF_SIGNED",
        "{}",
        run.dump()
    );
    // A plain http:// target through an https:// proxy: --proxy-cacert alone
    // trusts the proxy.
    let plain = http_server(Response::ok());
    let proxy2 = ProxyServer::new()
        .route("good.test", plain.addr())
        .tls(&pki().good(GOOD_NAMES))
        .start();
    let url = format!("https://localhost:{}", proxy2.port());
    let pin = format!("localhost:{}:127.0.0.1", proxy2.port());
    let base = [
        "check".to_owned(),
        plain.url("http", "good.test", "/"),
        "--proxy".to_owned(),
        url,
        "--resolve".to_owned(),
        pin,
    ];
    let run = run_json_with(netdoctor(), &base);
    run.assert_fail(13, "proxy", "PROXY_TLS_UNTRUSTED");
    assert_eq!(
        run.fact("proxy", "cause"),
        "CERT_UNKNOWN_ISSUER",
        "{}",
        run.dump()
    );
    let mut with_ca = base.to_vec();
    with_ca.extend(["--proxy-cacert".to_owned(), ca.arg()]);
    let run = run_json_with(netdoctor(), &with_ca);
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn connect_to_rewrites_the_connect_authority_and_keeps_sni() {
    let (server, ca) = origin();
    let proxy = ProxyServer::new()
        .route("backend.test", server.addr())
        .start();
    let rule = format!("good.test:{0}:backend.test:{0}", server.port());
    let run = check(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", proxy.port()),
        &[],
        &["--connect-to", &rule],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        proxy.requests()[0].starts_with(&format!("CONNECT backend.test:{} ", server.port())),
        "{:?}",
        proxy.requests()
    );
    assert_eq!(run.fact("tls", "sni"), "good.test");
}

#[test]
fn plain_http_goes_in_absolute_form_and_a_407_is_the_proxys() {
    let plain = http_server(Response::ok());
    let proxy = ProxyServer::new().route("good.test", plain.addr()).start();
    let target = plain.url("http", "good.test", "/x?y=1");
    let run = run_json_with(
        netdoctor(),
        &[
            "check",
            &target,
            "--proxy",
            &format!("http://127.0.0.1:{}", proxy.port()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(order(&run), ["dns", "tcp", "proxy", "http", "auth"]);
    assert!(
        proxy.requests()[0].starts_with(&format!(
            "GET http://good.test:{}/x?y=1 HTTP/1.1\r\n",
            plain.port()
        )),
        "{:?}",
        proxy.requests()
    );
    assert_eq!(plain.requests().len(), 1, "the origin got the request");
    let auth = ProxyServer::new()
        .route("good.test", plain.addr())
        .basic_auth("alice", "secret")
        .start();
    let run = run_json_with(
        netdoctor(),
        &[
            "check",
            &target,
            "--proxy",
            &format!("http://127.0.0.1:{}", auth.port()),
        ],
    );
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED")
        .assert_skipped_after("proxy", &["http", "auth"]);
    let run = run_json_with(
        netdoctor(),
        &[
            "check",
            &target,
            "--proxy",
            &format!("http://alice:secret@127.0.0.1:{}", auth.port()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn websocket_targets_go_through_the_proxy_too() {
    let ws = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::echo());
    let ca = pki().root_file();
    let proxy = proxy_for(&ws, ProxyServer::new());
    let run = run_json_with(
        netdoctor(),
        &[
            "check",
            &ws.url("wss", "good.test", "/ws"),
            "--cacert",
            &ca.arg(),
            "--proxy",
            &format!("http://127.0.0.1:{}", proxy.port()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("websocket")["status"], "pass", "{}", run.dump());
    assert_eq!(run.stage("proxy")["status"], "pass", "{}", run.dump());
}

#[test]
fn no_proxy_match_is_a_bypass_warning_naming_the_entry() {
    let (server, ca) = origin();
    let pin = server.resolve("good.test");
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let env = [
        ("HTTPS_PROXY", dead.as_str()),
        ("NO_PROXY", "localhost,.test"),
    ];
    let run = check(&server, &ca, "", &env, &["--resolve", &pin]);
    run.assert_warn("proxy", "PROXY_BYPASSED");
    assert_eq!(run.fact("proxy", "bypassed_by")["entry"], ".test");
    assert_eq!(run.fact("proxy", "bypassed_by")["variable"], "NO_PROXY");
    assert_eq!(run.stage("dns")["status"], "pass");
    assert_eq!(run.stage("tls")["status"], "pass");
    // --noproxy replaces NO_PROXY.
    let env = [("HTTPS_PROXY", dead.as_str()), ("NO_PROXY", "other.test")];
    let run = check(
        &server,
        &ca,
        "",
        &env,
        &["--resolve", &pin, "--noproxy", "good.test"],
    );
    run.assert_warn("proxy", "PROXY_BYPASSED");
    assert_eq!(run.fact("proxy", "bypassed_by")["variable"], "--noproxy");
}

#[test]
fn env_findings_for_conflicts_and_bad_urls_mask_passwords() {
    let (server, ca) = origin();
    let pin = server.resolve("good.test");
    let env = [
        ("https_proxy", "http://alice:hunter2@a.test:3128"),
        ("HTTPS_PROXY", "http://b.test:3128"),
        ("HTTP_PROXY", "http://bob:pa/ss@c.test:3128"),
        ("NO_PROXY", "*"),
    ];
    let run = check(&server, &ca, "", &env, &["--resolve", &pin]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let findings = &run.json["env"]["findings"];
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"ENV_PROXY_CONFLICT"), "{}", run.dump());
    assert!(codes.contains(&"ENV_PROXY_BAD_URL"), "{}", run.dump());
    assert!(
        text(findings).contains("http://***@a.test"),
        "{}",
        run.dump()
    );
    for secret in ["hunter2", "pa/ss"] {
        assert!(!run.stdout.contains(secret), "{secret}\n{}", run.dump());
    }
}

#[test]
fn upper_case_http_proxy_is_reported_as_ignored_by_curl() {
    let plain = http_server(Response::ok());
    let proxy = ProxyServer::new().route("good.test", plain.addr()).start();
    let url = format!("http://127.0.0.1:{}", proxy.port());
    let mut cmd = netdoctor();
    cmd.env("HTTP_PROXY", &url);
    let run = run_json_with(cmd, &["check", &plain.url("http", "good.test", "/")]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.fact("proxy", "source"), "HTTP_PROXY");
    assert_eq!(
        run.fact("proxy", "clients_differ"),
        &serde_json::json!(["curl"])
    );
    assert!(text(run.fact("proxy", "notes")).contains("curl ignores upper-case http_proxy"));
    // And curl does: it goes direct (to the --connect-to address) rather than
    // to the proxy.
    let Ok(out) = std::process::Command::new("curl")
        .args(["-v", "-sS", "-o", "/dev/null", "--max-time", "5"])
        .args(["--connect-to", &format!("::127.0.0.1:{}", plain.port())])
        .arg(plain.url("http", "good.test", "/"))
        .env_clear()
        .env("HTTP_PROXY", &url)
        .output()
    else {
        crate::support::skip("curl not found: the curl half did not run", "curl");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        proxy.requests().len() == 1,
        "curl used the proxy: {:?}",
        proxy.requests()
    );
}

// ---------------------------------------------------------------------------
// The rules next to the real Python clients

/// Prints urllib's, requests' and httpx's decision for argv[1] under the
/// environment: `{"urllib": proxy|"direct", ...}`.
const DECIDE: &str = r#"
import sys, json
from urllib.parse import urlsplit
url = sys.argv[1]
out = {}
sp = urlsplit(url)
import urllib.request
p = urllib.request.getproxies().get(sp.scheme)
if p and urllib.request.proxy_bypass(sp.netloc):
    p = None
out["urllib"] = p or "direct"
try:
    import requests
    s = requests.Session()
    px = s.merge_environment_settings(url, {}, None, None, None)["proxies"]
    out["requests"] = requests.utils.select_proxy(url, px) or "direct"
except ImportError:
    pass
try:
    import httpx
    try:
        c = httpx.Client()
        u = httpx.URL(url)
        env = httpx._utils.get_environment_proxies()
        res = "direct"
        for pat, tr in c._mounts.items():
            if pat.matches(u):
                res = "direct" if tr is None else env[pat.pattern]
                break
        out["httpx"] = res
    except Exception as e:
        out["httpx"] = "error"
except ImportError:
    pass
print(json.dumps(out))
"#;

#[test]
fn python_clients_decide_as_the_report_says() {
    let rows: &[(&[(&str, &str)], &str)] = &[
        (
            &[("HTTP_PROXY", "http://127.0.0.1:9")],
            "http://example.test/",
        ),
        (
            &[("https_proxy", ""), ("HTTPS_PROXY", "http://127.0.0.1:9")],
            "https://example.test/",
        ),
        (
            &[("ALL_PROXY", "http://127.0.0.1:9")],
            "https://example.test/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("NO_PROXY", ".example.test"),
            ],
            "https://example.test/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("NO_PROXY", "10.0.0.0/8"),
            ],
            "https://10.1.2.3/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("NO_PROXY", "example.test:8443"),
            ],
            "https://example.test:8443/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("NO_PROXY", "localhost,*"),
            ],
            "https://example.test/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("no_proxy", ""),
                ("NO_PROXY", "example.test"),
            ],
            "https://example.test/",
        ),
        (
            &[
                ("HTTPS_PROXY", "http://127.0.0.1:9"),
                ("NO_PROXY", "fd00::/8"),
            ],
            "https://[fd00::1]/",
        ),
    ];
    for (env, url) in rows {
        let mut py = std::process::Command::new("python3");
        py.args(["-c", DECIDE, url]).env_clear();
        for var in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(var) {
                py.env(var, v);
            }
        }
        let mut nd = netdoctor();
        for (k, v) in *env {
            py.env(k, v);
            nd.env(k, v);
        }
        let Ok(out) = py.output() else {
            crate::support::skip("python3 not found", "python3");
            return;
        };
        let real: Value = serde_json::from_slice(&out.stdout).expect("decide.py output");
        // netdoctor with the same environment; the target never answers.
        let run = run_json_with(
            nd,
            &[
                "check",
                url,
                "--timeout",
                "1s",
                "--connect-to",
                "::127.0.0.1:9",
            ],
        );
        let clients = &run.fact("proxy", "clients");
        for (name, decision) in real.as_object().unwrap() {
            let ours = clients[name].as_str().unwrap_or_default();
            let agrees = match decision.as_str().unwrap() {
                "direct" => ours.starts_with("direct"),
                "error" => ours.starts_with("fails"),
                proxy => ours.starts_with(&format!("proxy {proxy}")),
            };
            assert!(
                agrees,
                "{name} under {env:?} for {url}: real {decision}, netdoctor says {ours}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// What the real clients print, against the same fixtures

/// argv: CLIENT URL CAFILE. Proxies come from the environment.
const CLIENT: &str = r#"
import sys
client, url, cafile = sys.argv[1:4]
if client == "requests":
    import requests
    r = requests.get(url, verify=cafile, timeout=5)
elif client == "httpx":
    import httpx, ssl
    r = httpx.get(url, verify=ssl.create_default_context(cafile=cafile), timeout=5)
elif client == "urllib":
    import urllib.request, ssl
    r = urllib.request.urlopen(url, context=ssl.create_default_context(cafile=cafile), timeout=5)
print("no error")
"#;

/// Every line curl and the Python clients print for `url` through `proxy`.
fn client_outputs(proxy: &str, url: &str, ca: &str) -> Vec<(String, String)> {
    let mut outs = Vec::new();
    let curl = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "--max-time",
            "5",
            "--cacert",
            ca,
            "-x",
            proxy,
            url,
        ])
        .env_clear()
        .output();
    match curl {
        Ok(o) => outs.push((
            "curl".to_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )),
        Err(_) => crate::support::skip("curl not found: its output is not compared", "curl"),
    }
    for client in ["requests", "httpx", "urllib"] {
        let mut py = std::process::Command::new("python3");
        py.args(["-c", CLIENT, client, url, ca])
            .env_clear()
            .env("HTTPS_PROXY", proxy);
        for var in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(var) {
                py.env(var, v);
            }
        }
        let Ok(o) = py.output() else {
            crate::support::skip("python3 not found: its clients are not compared", "python3");
            continue;
        };
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        if err.contains("ModuleNotFoundError") {
            crate::support::skip(
                &format!("python {client} is not installed"),
                &format!("{client} (python3 -m pip install {client})"),
            );
            continue;
        }
        outs.push((client.to_owned(), err));
    }
    outs
}

/// netdoctor's verdict for `proxy` must be `code`, and each client's output
/// (of those in `clients`) must show one of its `client_errors`.
fn clients_agree(server: &Server, ca: &CaFile, proxy: &str, code: &str, clients: &[&str]) {
    let run = check(server, ca, proxy, &[], &[]);
    run.assert_fail(13, "proxy", code);
    let errors: Vec<String> = run.target(0)["diagnosis"]["client_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let url = server.url("https", "good.test", "/");
    for (client, output) in client_outputs(proxy, &url, &ca.arg()) {
        if !clients.contains(&client.as_str()) {
            continue;
        }
        assert!(
            crate::clients::find_match(&errors, &output).is_some(),
            "{code}: {client} printed\n{output}\nnone of {errors:?}"
        );
    }
}

#[test]
fn client_errors_are_what_the_clients_print() {
    let (server, ca) = origin();
    let all = ["curl", "requests", "httpx", "urllib"];
    let auth = proxy_for(&server, ProxyServer::new().basic_auth("alice", "secret"));
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", auth.port()),
        "PROXY_AUTH_REQUIRED",
        &all,
    );
    let deny = proxy_for(&server, ProxyServer::new().deny_port(server.port()));
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", deny.port()),
        "PROXY_DENIED",
        &all,
    );
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", closed_port()),
        "PROXY_UNREACHABLE",
        &all,
    );
    let open = proxy_for(&server, ProxyServer::new());
    // urllib talks plain HTTP to an https:// proxy, so it never fails here.
    clients_agree(
        &server,
        &ca,
        &format!("https://127.0.0.1:{}", open.port()),
        "PROXY_TLS_TO_PLAINTEXT",
        &["curl", "requests", "httpx"],
    );
    let tls = proxy_for(&server, ProxyServer::new().tls_record());
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", tls.port()),
        "PROXY_PLAINTEXT_TO_TLS",
        &["curl", "requests", "httpx"],
    );
    let nginx = proxy_for(&server, ProxyServer::new().nginx_https_port());
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", nginx.port()),
        "PROXY_PLAINTEXT_TO_TLS",
        &all,
    );
    let garbage = proxy_for(&server, ProxyServer::new().garbage());
    clients_agree(
        &server,
        &ca,
        &format!("http://127.0.0.1:{}", garbage.port()),
        "PROXY_MALFORMED",
        &all,
    );
}

// ---------------------------------------------------------------------------
// Interop: Debian's squid (with basic_ncsa_auth), tinyproxy and dante-server,
// when installed (`.ci/run` installs them); skipped loudly otherwise
// (`support::skip`), and a failure under `NETDOCTOR_REQUIRE_ALL=1`.

use crate::support::daemon::{free_port, installed, shared_dir, start, write, Daemon};

/// squid 5 on a free port: Basic auth (alice / `p@ss:w/rd`) through
/// basic_ncsa_auth, CONNECT to `deny` refused, `good.test` in its hosts
/// file and no other DNS (its resolver is 127.0.0.1, where nothing answers).
fn start_squid(deny: u16) -> Option<Daemon> {
    const NCSA: &str = "/usr/lib/squid/basic_ncsa_auth";
    if !installed("/usr/sbin/squid", "squid") || !installed(NCSA, "squid") {
        return None;
    }
    let hash = std::process::Command::new("openssl")
        .args(["passwd", "-1", "p@ss:w/rd"])
        .output()
        .ok()?;
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_owned();
    let dir = shared_dir();
    let d = dir.path();
    let passwd = write(d, "passwd", &format!("alice:{hash}\n"));
    let hosts = write(d, "hosts", "127.0.0.1 good.test\n");
    let port = free_port();
    let conf = write(
        d,
        "squid.conf",
        &format!(
            "http_port 127.0.0.1:{port}\npid_filename none\ncache deny all\ncache_mem 8 MB\n\
             access_log stdio:{dir}/access.log\ncache_log {dir}/cache.log\ncache_store_log none\n\
             coredump_dir {dir}\nhosts_file {hosts}\ndns_nameservers 127.0.0.1\n\
             auth_param basic program {NCSA} {passwd}\nauth_param basic realm netdoctor interop\n\
             acl authed proxy_auth REQUIRED\nacl denied_port port {deny}\nacl CONNECT method CONNECT\n\
             http_access deny CONNECT denied_port\nhttp_access allow authed\nhttp_access deny all\n\
             shutdown_lifetime 0 seconds\n",
            dir = d.display()
        ),
    );
    start("/usr/sbin/squid", &["-N", "-f", &conf], port, dir)
}

#[test]
fn interop_squid_basic_auth_denial_and_absolute_form() {
    let (server, ca) = origin();
    let Some(squid) = start_squid(closed_port()) else {
        return;
    };
    let open = format!("http://127.0.0.1:{}", squid.port);
    let authed = format!("http://alice:p%40ss%3Aw%2Frd@127.0.0.1:{}", squid.port);
    let run = check(&server, &ca, &open, &[], &[]);
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    assert!(
        text(&run.target(0)["diagnosis"]).contains("proxy-authenticate: basic"),
        "{}",
        run.dump()
    );
    let run = check(&server, &ca, &authed, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("certificate")["status"], "pass", "{}", run.dump());
    // A denied port: squid's 403 with its Server and X-Squid-Error.
    let denied = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    drop(squid);
    let Some(squid) = start_squid(denied.port()) else {
        return;
    };
    let authed = format!("http://alice:p%40ss%3Aw%2Frd@127.0.0.1:{}", squid.port);
    let run = check(&denied, &ca, &authed, &[], &[]);
    run.assert_fail(13, "proxy", "PROXY_DENIED");
    let summary = run.target(0)["diagnosis"]["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        summary.contains("403") && summary.contains("squid/"),
        "{summary}"
    );
    assert!(summary.contains("ERR_ACCESS_DENIED"), "{summary}");
    // Plain http: absolute-form through squid.
    let plain = http_server(Response::ok());
    let run = run_json_with(
        netdoctor(),
        &[
            "check",
            &plain.url("http", "good.test", "/"),
            "--proxy",
            &authed,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
}

#[test]
fn interop_tinyproxy_basic_auth_and_connect_ports() {
    if !installed("/usr/bin/tinyproxy", "tinyproxy") {
        return;
    }
    // tinyproxy resolves with getaddrinfo: `localhost` comes from /etc/hosts.
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let ca = pki().root_file();
    let dir = shared_dir();
    let port = free_port();
    let conf = write(
        dir.path(),
        "tinyproxy.conf",
        &format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 10\nMaxClients 20\nBasicAuth alice secret\nConnectPort {}\n",
            server.port()
        ),
    );
    let Some(tp) = start("/usr/bin/tinyproxy", &["-d", "-c", &conf], port, dir) else {
        return;
    };
    let target = server.url("https", "localhost", "/");
    let run_with = |proxy: &str, url: &str| {
        run_json_with(
            netdoctor(),
            &["check", url, "--cacert", &ca.arg(), "--proxy", proxy],
        )
    };
    let run = run_with(
        &format!("http://alice:secret@127.0.0.1:{}", tp.port),
        &target,
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    let run = run_with(&format!("http://127.0.0.1:{}", tp.port), &target);
    run.assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    // A port outside ConnectPort: tinyproxy's 403 "Access violation".
    let other = format!("https://localhost:{}/", closed_port());
    let run = run_with(
        &format!("http://alice:secret@127.0.0.1:{}", tp.port),
        &other,
    );
    run.assert_fail(13, "proxy", "PROXY_DENIED");
    assert!(
        text(&run.target(0)["diagnosis"]).contains("tinyproxy"),
        "{}",
        run.dump()
    );
}

/// Debian's dante-server on a free port, in the foreground (`-N 1`): no
/// SOCKS authentication, loopback clients only, CONNECT to `deny` blocked by
/// a `socks block` rule. It resolves with getaddrinfo, so the names it gets
/// must be in /etc/hosts (`localhost`).
fn start_dante(deny: u16) -> Option<Daemon> {
    if !installed("/usr/sbin/danted", "dante-server") {
        return None;
    }
    let dir = shared_dir();
    let d = dir.path();
    let port = free_port();
    let conf = write(
        d,
        "danted.conf",
        &format!(
            "logoutput: stderr\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
             clientmethod: none\nsocksmethod: none\n\
             client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
             socks block {{ from: 0.0.0.0/0 to: 0.0.0.0/0 port = {deny} }}\n\
             socks pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n"
        ),
    );
    let pid = d.join("danted.pid").display().to_string();
    start(
        "/usr/sbin/danted",
        &["-f", &conf, "-N", "1", "-p", &pid],
        port,
        dir,
    )
}

#[test]
fn interop_dante_socks5h_socks5_and_a_blocked_port() {
    let plain = http_server(Response::ok());
    let denied = http_server(Response::ok());
    let Some(dante) = start_dante(denied.port()) else {
        return;
    };
    let run_with = |proxy: &str, url: &str, extra: &[&str]| {
        let mut args = vec!["check", url, "--proxy", proxy];
        args.extend(extra);
        run_json_with(netdoctor(), &args)
    };
    // socks5h: dante resolves `localhost` itself (its /etc/hosts).
    let socks5h = format!("socks5h://127.0.0.1:{}", dante.port);
    let run = run_with(&socks5h, &plain.url("http", "localhost", "/"), &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_resolved_by_proxy(&run);
    assert!(
        text(run.fact("proxy", "resolution")).contains("the proxy resolves"),
        "{}",
        run.dump()
    );
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
    // socks5: `good.test` is pinned here; dante only ever sees the address.
    let socks5 = format!("socks5://127.0.0.1:{}", dante.port);
    let pin = plain.resolve("good.test");
    let run = run_with(
        &socks5,
        &plain.url("http", "good.test", "/"),
        &["--resolve", &pin],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("dns")["status"], "pass", "{}", run.dump());
    assert_eq!(
        run.stage("tcp")["reason"],
        "connected by the proxy",
        "{}",
        run.dump()
    );
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
    // The blocked port: dante's reply 0x02 (not allowed by ruleset).
    let run = run_with(&socks5h, &denied.url("http", "localhost", "/"), &[]);
    run.assert_fail(13, "proxy", "PROXY_DENIED");
    assert_eq!(denied.requests(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// SOCKS5

#[test]
fn socks5h_lets_the_proxy_resolve_and_socks5_resolves_here() {
    let (server, ca) = origin();
    let socks = Socks5Server::new()
        .route("good.test", server.addr())
        .start();
    let pin = server.resolve("good.test");
    // socks5h: the name goes to the proxy; dns and tcp are the proxy's.
    let run = check(
        &server,
        &ca,
        &format!("socks5h://127.0.0.1:{}", socks.port()),
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_resolved_by_proxy(&run);
    assert!(text(run.fact("proxy", "resolution")).contains("the proxy resolves"));
    // socks5: the dns stage runs here (pinned), the proxy gets the address.
    let run = check(
        &server,
        &ca,
        &format!("socks5://127.0.0.1:{}", socks.port()),
        &[],
        &["--resolve", &pin],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("dns")["status"], "pass", "{}", run.dump());
    assert_eq!(
        run.stage("tcp")["reason"],
        "connected by the proxy",
        "{}",
        run.dump()
    );
    assert_eq!(
        socks.requests(),
        [
            format!("good.test:{}", server.port()),
            format!("127.0.0.1:{}", server.port())
        ]
    );
}

#[test]
fn socks5_auth_denial_and_an_http_proxy_behind_a_socks_url() {
    let (server, ca) = origin();
    let socks = Socks5Server::new()
        .route("good.test", server.addr())
        .auth("alice", "p@ss")
        .start();
    let url = |creds: &str| format!("socks5h://{creds}127.0.0.1:{}", socks.port());
    check(&server, &ca, &url(""), &[], &[]).assert_fail(13, "proxy", "PROXY_AUTH_REQUIRED");
    check(&server, &ca, &url("alice:nope@"), &[], &[]).assert_fail(
        13,
        "proxy",
        "PROXY_AUTH_REQUIRED",
    );
    let run = check(&server, &ca, &url("alice:p%40ss@"), &[], &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let deny = Socks5Server::new()
        .route("good.test", server.addr())
        .deny_port(server.port())
        .start();
    let run = check(
        &server,
        &ca,
        &format!("socks5h://127.0.0.1:{}", deny.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_DENIED");
    // An HTTP proxy where the URL says socks5h://.
    let http = proxy_for(&server, ProxyServer::new());
    let run = check(
        &server,
        &ca,
        &format!("socks5h://127.0.0.1:{}", http.port()),
        &[],
        &[],
    );
    run.assert_fail(13, "proxy", "PROXY_MALFORMED");
    assert!(
        text(&run.target(0)["diagnosis"]).contains("http://"),
        "{}",
        run.dump()
    );
}

#[test]
fn an_unusable_proxy_url_fails_the_proxy_stage_with_the_env_code() {
    let mut cmd = netdoctor();
    cmd.env("HTTPS_PROXY", "ftp://alice:pw@proxy.test:21");
    let run = run_json_with(cmd, &["check", "https://api.example.test/"]);
    assert_eq!(run.code, 13, "{}", run.dump());
    let t = run.target(0);
    assert_eq!(t["failed_layer"], "proxy", "{}", run.dump());
    // The cause lives in the environment: the code keeps its env layer.
    assert_eq!(
        t["diagnosis"]["code"],
        "ENV_PROXY_BAD_URL",
        "{}",
        run.dump()
    );
    assert!(!run.stdout.contains(":pw@"), "{}", run.dump());
    assert_resolved_by_proxy(&run);
}

// ---------------------------------------------------------------------------
// A web server used as the proxy (Debian's nginx): its HTML 400 to CONNECT
// is not a refusal by a proxy. A ClientHello on the same port tells a TLS
// site (PROXY_PLAINTEXT_TO_TLS) from a plain one (PROXY_NOT_A_PROXY).

/// nginx serving a page on one TLS port and one plain port: (TLS, plain).
fn nginx_web_server() -> Option<(Daemon, Daemon)> {
    let dir = crate::support::daemon::nginx_dir();
    let (cert, key) = pki().good(GOOD_NAMES).write_pem(dir.path(), "site");
    let tls = crate::support::daemon::nginx_in(
        dir,
        &format!(
            "    listen 127.0.0.1:{{port}} ssl;\n    ssl_certificate {cert};\n    \
             ssl_certificate_key {key};\n    location / {{ return 200 \"site\\n\"; }}"
        ),
    )?;
    let plain = crate::support::daemon::nginx(
        "    listen 127.0.0.1:{port};\n    location / { return 200 \"site\\n\"; }",
    )?;
    Some((tls, plain))
}

/// `check` through `proxy` (a web server) must be `code`, and the four
/// clients must print one of its `client_errors`; the run.
fn web_server_as_proxy(proxy: &str, code: &str) -> Run {
    let (server, ca) = origin();
    let run = check(&server, &ca, proxy, &[], &[]);
    run.assert_fail(13, "proxy", code);
    clients_agree(
        &server,
        &ca,
        proxy,
        code,
        &["curl", "requests", "httpx", "urllib"],
    );
    run
}

/// The `client_hello` fact and the diagnosis's summary and hint.
fn hello_summary_hint(run: &Run) -> (String, String, String) {
    let d = &run.target(0)["diagnosis"];
    let hello = run
        .fact("proxy", "client_hello")
        .as_str()
        .unwrap_or_default();
    let field = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
    (hello.to_owned(), field("summary"), field("hint"))
}

#[test]
fn interop_nginx_tls_port_as_proxy_is_plaintext_to_tls() {
    let Some((site, _)) = nginx_web_server() else {
        return;
    };
    let proxy = format!("http://127.0.0.1:{}", site.port);
    let run = web_server_as_proxy(&proxy, "PROXY_PLAINTEXT_TO_TLS");
    assert_eq!(run.fact("proxy", "status"), 400, "{}", run.dump());
    let (hello, summary, hint) = hello_summary_hint(&run);
    assert!(
        hello.starts_with("a TLS handshake (TLSv1."),
        "{}",
        run.dump()
    );
    assert!(
        hint.contains("an HTTPS web site, not a proxy"),
        "{}",
        run.dump()
    );
    assert!(
        summary.contains("as a web server does (400 Bad Request, Server: nginx/")
            && summary.contains("TLS web server"),
        "{}",
        run.dump()
    );
}

#[test]
fn interop_nginx_plain_port_as_proxy_is_not_a_proxy() {
    let Some((_, site)) = nginx_web_server() else {
        return;
    };
    let proxy = format!("http://127.0.0.1:{}", site.port);
    let run = web_server_as_proxy(&proxy, "PROXY_NOT_A_PROXY");
    let (hello, _, hint) = hello_summary_hint(&run);
    assert!(
        hello.starts_with("plain HTTP: \"HTTP/1.1 400 Bad Request"),
        "{}",
        run.dump()
    );
    assert!(hint.contains("not a proxy"), "{}", run.dump());
    assert!(
        !text(&run.target(0)["diagnosis"]).contains("allow-list"),
        "{}",
        run.dump()
    );
}

#[test]
fn interop_nginx_https_site_as_https_proxy_is_not_a_proxy() {
    let Some((site, _)) = nginx_web_server() else {
        return;
    };
    let (server, ca) = origin();
    let proxy = format!("https://localhost:{}", site.port);
    let run = check(
        &server,
        &ca,
        &proxy,
        &[],
        &["--resolve", &format!("localhost:{}:127.0.0.1", site.port)],
    );
    run.assert_fail(13, "proxy", "PROXY_NOT_A_PROXY");
    let summary = run.target(0)["diagnosis"]["summary"].as_str().unwrap();
    assert!(summary.contains("an HTTPS web server"), "{}", run.dump());
}

#[test]
fn python_http_server_as_proxy_is_not_a_proxy() {
    // Python's http.server answers CONNECT with an HTML 501.
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let Some(site) = start(
        "python3",
        &[
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
            &root,
        ],
        port,
        dir,
    ) else {
        crate::support::skip("python3 did not start", "python3");
        return;
    };
    let proxy = format!("http://127.0.0.1:{}", site.port);
    let run = web_server_as_proxy(&proxy, "PROXY_NOT_A_PROXY");
    assert_eq!(run.fact("proxy", "status"), 501, "{}", run.dump());
    let (hello, _, _) = hello_summary_hint(&run);
    assert!(hello.starts_with("plain HTTP"), "{}", run.dump());
}
