//! The runtimes' own stores beside the container's OpenSSL view: certifi
//! bundles found under site-packages and virtualenvs, `REQUESTS_CA_BUNDLE`,
//! `CURL_CA_BUNDLE`, Node (Mozilla roots + `NODE_EXTRA_CA_CERTS`). One verdict
//! per store in the facts and in the human table; `CERT_RUNTIME_STORE_MISMATCH`
//! when the image's store trusts the chain and a runtime's does not. The
//! verdict stays the container's.

use serde_json::Value;

use crate::support::pki::Pki;
use crate::support::{
    netdoctor, pki, run, run_json_with, Response, Run, Server, TlsServer, GOOD_NAMES,
};

/// A fake image: `files` written under it (container path, contents).
fn image(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    for (path, body) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

fn unrelated_pem() -> String {
    Pki::named(&[(rcgen::DnType::CommonName, "Unrelated Root CA")]).root_pem()
}

const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
const CERTIFI_SYS: &str = "/usr/local/lib/python3.12/site-packages/certifi/cacert.pem";
const CERTIFI_VENV: &str = "/opt/venv/lib/python3.11/site-packages/certifi/cacert.pem";

fn server() -> Server {
    TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok())
}

fn check(root: &tempfile::TempDir, server: &Server, env: &[(&str, &str)]) -> Run {
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_json_with(
        cmd,
        &[
            "check".to_owned(),
            server.url("https", "good.test", "/"),
            "--resolve".to_owned(),
            server.resolve("good.test"),
        ],
    )
}

/// The verdict of the runtime store whose name contains `needle`.
fn runtime_verdict(run: &Run, needle: &str) -> String {
    let stores = run.fact("certificate", "runtime_stores");
    stores
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|s| s["store"].as_str().is_some_and(|n| n.contains(needle)))
        })
        .and_then(|s| s["verdict"].as_str())
        .unwrap_or_else(|| panic!("no runtime store {needle}\n{}", run.dump()))
        .to_owned()
}

fn warning<'a>(run: &'a Run, code: &str) -> &'a Value {
    run.target(0)["warnings"]
        .as_array()
        .and_then(|w| w.iter().find(|d| d["code"] == code))
        .unwrap_or_else(|| panic!("no {code} warning\n{}", run.dump()))
}

#[test]
fn certifi_without_the_ca_warns_and_names_the_clients() {
    let s = server();
    let root = image(&[
        (BUNDLE, pki().root_pem()),
        (CERTIFI_SYS, unrelated_pem()),
        (CERTIFI_VENV, pki().root_pem()),
    ]);
    let run = check(&root, &s, &[]);
    run.assert_warn("certificate", "CERT_RUNTIME_STORE_MISMATCH");
    assert_eq!(
        run.fact("certificate", "stores")[BUNDLE],
        "trusted",
        "{}",
        run.dump()
    );
    assert_eq!(
        runtime_verdict(&run, CERTIFI_SYS),
        "does not hold the issuing CA"
    );
    assert_eq!(runtime_verdict(&run, CERTIFI_VENV), "trusted");
    let d = warning(&run, "CERT_RUNTIME_STORE_MISMATCH");
    let summary = d["summary"].as_str().unwrap();
    assert!(
        summary.contains(CERTIFI_SYS) && summary.contains("requests"),
        "{summary}"
    );
    assert!(!summary.contains(CERTIFI_VENV), "{summary}");
    let hint = d["hint"].as_str().unwrap();
    assert!(
        hint.contains("REQUESTS_CA_BUNDLE=") && hint.contains("truststore"),
        "{hint}"
    );
    // Credentials still go: the container trusts the chain.
    assert_eq!(run.stage("http")["status"], "pass", "{}", run.dump());
}

#[test]
fn node_trusts_mozilla_plus_node_extra_ca_certs() {
    let s = server();
    let files = [
        (BUNDLE, pki().root_pem()),
        ("/usr/bin/node", String::new()),
        ("/corp/root.pem", pki().root_pem()),
    ];
    let root = image(&files);
    let run = check(&root, &s, &[]);
    run.assert_warn("certificate", "CERT_RUNTIME_STORE_MISMATCH");
    assert_eq!(
        runtime_verdict(&run, "node: built-in Mozilla roots"),
        "does not hold the issuing CA"
    );
    let hint = warning(&run, "CERT_RUNTIME_STORE_MISMATCH")["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(hint.contains("NODE_EXTRA_CA_CERTS="), "{hint}");
    let run = check(&root, &s, &[("NODE_EXTRA_CA_CERTS", "/corp/root.pem")]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("certificate")["status"], "pass", "{}", run.dump());
    assert_eq!(
        runtime_verdict(&run, "NODE_EXTRA_CA_CERTS=/corp/root.pem"),
        "trusted"
    );
}

#[test]
fn curl_ca_bundle_and_requests_ca_bundle_are_judged_each() {
    let s = server();
    let root = image(&[(BUNDLE, pki().root_pem()), ("/other.pem", unrelated_pem())]);
    let run = check(
        &root,
        &s,
        &[
            ("CURL_CA_BUNDLE", "/other.pem"),
            ("REQUESTS_CA_BUNDLE", BUNDLE),
        ],
    );
    run.assert_warn("certificate", "CERT_RUNTIME_STORE_MISMATCH");
    assert_eq!(
        runtime_verdict(&run, "CURL_CA_BUNDLE=/other.pem"),
        "does not hold the issuing CA"
    );
    assert_eq!(runtime_verdict(&run, "REQUESTS_CA_BUNDLE="), "trusted");
    let summary = warning(&run, "CERT_RUNTIME_STORE_MISMATCH")["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.contains("curl"), "{summary}");
    assert!(!summary.contains("REQUESTS_CA_BUNDLE="), "{summary}");
}

#[test]
fn the_verdict_is_the_containers_even_when_certifi_trusts() {
    let s = server();
    let root = image(&[(CERTIFI_SYS, pki().root_pem())]);
    let run = check(&root, &s, &[]);
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
    assert_eq!(runtime_verdict(&run, CERTIFI_SYS), "trusted");
}

#[test]
fn unhashed_ssl_cert_dir_trusts_nothing_and_says_so_per_store() {
    let s = server();
    let root = image(&[("/certs/root.pem", pki().root_pem())]);
    let run = check(&root, &s, &[("SSL_CERT_DIR", "/certs")]);
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
    assert_eq!(
        run.fact("certificate", "stores")["SSL_CERT_DIR=/certs"],
        "empty",
        "{}",
        run.dump()
    );
}

#[test]
fn human_output_shows_the_store_table() {
    let s = server();
    let root = image(&[(BUNDLE, pki().root_pem()), (CERTIFI_SYS, unrelated_pem())]);
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path()).args([
        "check".to_owned(),
        s.url("https", "good.test", "/"),
        "--resolve".to_owned(),
        s.resolve("good.test"),
        "--color".to_owned(),
        "never".to_owned(),
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let line = |needle: &str| {
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(needle))
            .unwrap_or_else(|| panic!("no line with {needle}:\n{}", out.stdout))
            .to_owned()
    };
    assert!(
        out.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("store") && l.trim_end().ends_with("verdict")),
        "{}",
        out.stdout
    );
    assert!(line(BUNDLE).contains("trusted"), "{}", out.stdout);
    assert!(
        line(&format!("certifi {CERTIFI_SYS}")).contains("does not hold the issuing CA"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("warning[CERT_RUNTIME_STORE_MISMATCH]"),
        "{}",
        out.stdout
    );
}

/// On the real root, the view of Rust clients (rustls-native-certs) is
/// listed: it follows SSL_CERT_FILE, as the crate does.
#[test]
fn rust_native_certs_view_follows_ssl_cert_file() {
    let ca = pki().root_file();
    let server = server();
    let mut cmd = netdoctor();
    cmd.env("SSL_CERT_FILE", &ca.path);
    let run = run_json_with(
        cmd,
        &[
            "check".to_owned(),
            format!("https://good.test:{}/", server.port()),
            "--resolve".to_owned(),
            server.resolve("good.test"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(
        runtime_verdict(&run, "rustls-native-certs"),
        "trusted",
        "{}",
        run.dump()
    );
}

/// Under a fake image the crate cannot be pointed at it, so no Rust view.
#[test]
fn rust_native_certs_view_is_absent_under_a_fake_image() {
    let root = image(&[(BUNDLE, pki().root_pem())]);
    let server = server();
    let run = check(&root, &server, &[]);
    let stores = run.fact("certificate", "runtime_stores").to_string();
    assert!(!stores.contains("rustls-native-certs"), "{stores}");
}
