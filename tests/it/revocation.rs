//! `CERT_REVOCATION_UNREACHABLE`: for the Speech targets, the chain's CRL
//! Distribution Point and AIA OCSP URLs are fetched (status line only)
//! through the path the target used. Every name is pinned: `--connect-to`
//! for the Speech hosts, `--resolve` for the CRL/OCSP hosts, or a proxy
//! that routes them.

use crate::support::servers::{closed_port, http_server};
use crate::support::{
    netdoctor, pki, run_json_with, DnsServer, Response, Run, Server, TlsServer, WsOptions,
};

const SPEECH_KEY: &str = "speechkey0123456789abcdef";

const SPEECH_HOSTS: &[&str] = &[
    "westeurope.stt.speech.microsoft.com",
    "westeurope.tts.speech.microsoft.com",
];

/// The Speech fixture serving a chain whose leaf names `crl` (and `ocsp`).
fn speech_server(crl: &str, ocsp: Option<&str>) -> Server {
    TlsServer::new(&pki().good_with_revocation(SPEECH_HOSTS, crl, ocsp)).websocket(
        WsOptions::require_header("Ocp-Apim-Subscription-Key", SPEECH_KEY),
    )
}

fn speech(server: &Server, extra: Vec<String>) -> Run {
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY,
        "--connect-to",
        format!(":443:127.0.0.1:{}", server.port()),
        "--cacert",
        ca.arg(),
        "--timeout",
        "5s"
    ];
    args.extend(extra);
    run_json_with(netdoctor(), &args)
}

fn urls(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["url"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn reachable_crl_and_ocsp_urls_are_facts_and_no_warning() {
    let crl_server = http_server(Response::ok());
    let crl = crl_server.url("http", "crl.test", "/x.crl");
    let ocsp = crl_server.url("http", "ocsp.test", "/ocsp");
    let server = speech_server(&crl, Some(&ocsp));
    let r = speech(
        &server,
        crate::args![
            "--resolve",
            crl_server.resolve("crl.test"),
            "--resolve",
            crl_server.resolve("ocsp.test")
        ],
    );
    assert_eq!(r.code, 0, "{}", r.dump());
    assert!(
        !r.stdout.contains("CERT_REVOCATION_UNREACHABLE"),
        "{}",
        r.dump()
    );
    assert_eq!(r.stage("certificate")["status"], "pass", "{}", r.dump());
    let rev = r.fact("certificate", "revocation");
    assert_eq!(urls(&rev["reachable"]), [crl.clone(), ocsp], "{}", r.dump());
    assert_eq!(rev["reachable"][0]["kind"], "crl", "{}", r.dump());
    assert_eq!(rev["reachable"][1]["kind"], "ocsp", "{}", r.dump());
    assert_eq!(
        rev["reachable"][0]["status"],
        "HTTP/1.1 200 OK",
        "{}",
        r.dump()
    );
    assert_eq!(rev["path"], "direct", "{}", r.dump());
    assert!(urls(&rev["unreachable"]).is_empty(), "{}", r.dump());
    assert!(
        crl_server
            .requests()
            .iter()
            .any(|q| q.starts_with("GET /x.crl HTTP/1.1")),
        "{:?}",
        crl_server.requests()
    );
}

#[test]
fn closed_crl_port_warns_revocation_unreachable_and_exits_0() {
    let port = closed_port();
    let crl = format!("http://crl.test:{port}/x.crl");
    let server = speech_server(&crl, None);
    let r = speech(
        &server,
        crate::args!["--resolve", format!("crl.test:{port}:127.0.0.1")],
    );
    r.assert_warn("certificate", "CERT_REVOCATION_UNREACHABLE");
    // The upgrade still ran: a warning never stops the target.
    assert_eq!(r.stage("websocket")["status"], "pass", "{}", r.dump());
    let d = &r.stage("certificate")["diagnosis"];
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(summary.contains(&crl), "{summary}");
    assert!(summary.contains("TCP_REFUSED"), "{summary}");
    let hint = d["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("OPENSSL_CONTINUE_ON_CRL_DOWNLOAD_FAILURE=true"),
        "{hint}"
    );
    assert!(hint.contains("1.48.2"), "{hint}");
    let rev = r.fact("certificate", "revocation");
    assert_eq!(urls(&rev["unreachable"]), [crl], "{}", r.dump());
    assert_eq!(rev["unreachable"][0]["code"], "TCP_REFUSED", "{}", r.dump());
}

#[test]
fn nxdomain_crl_host_names_the_dns_cause() {
    // Our DNS server answers NXDOMAIN for nxdomain.test (never the machine's resolver).
    let dns = DnsServer::start();
    let crl = "http://nxdomain.test/x.crl";
    let server = speech_server(crl, None);
    let r = speech(&server, crate::args!["--resolver", dns.resolver_arg()]);
    r.assert_warn("certificate", "CERT_REVOCATION_UNREACHABLE");
    let rev = r.fact("certificate", "revocation");
    assert_eq!(
        rev["unreachable"][0]["code"],
        "DNS_NXDOMAIN",
        "{}",
        r.dump()
    );
    assert!(
        dns.queries().iter().any(|q| q.starts_with("nxdomain.test")),
        "{:?}",
        dns.queries()
    );
}

#[test]
fn through_the_proxy_the_crl_is_fetched_via_the_same_proxy() {
    let crl_server = http_server(Response::ok());
    let crl = crl_server.url("http", "crl.test", "/x.crl");
    let server = speech_server(&crl, None);
    // Only the proxy knows crl.test: reachable through it, not directly.
    let proxy = crate::support::ProxyServer::new()
        .route("crl.test", crl_server.addr())
        .start();
    let r = speech(
        &server,
        crate::args!["--proxy", format!("http://127.0.0.1:{}", proxy.port())],
    );
    assert_eq!(r.code, 0, "{}", r.dump());
    let rev = r.fact("certificate", "revocation");
    assert_eq!(
        urls(&rev["reachable"]),
        std::slice::from_ref(&crl),
        "{}",
        r.dump()
    );
    assert!(
        rev["path"].as_str().unwrap_or_default().contains("proxy"),
        "{}",
        r.dump()
    );
    assert!(
        proxy
            .requests()
            .iter()
            .any(|q| q.starts_with(&format!("GET {crl} HTTP/1.1"))),
        "{:?}",
        proxy.requests()
    );
}
