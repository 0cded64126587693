//! The `tls` stage: what a handshake reports when it works (TLS 1.3 and 1.2),
//! and how each way of failing is named.

use crate::support::{
    blackhole, eof_after_client_hello, pinned, pinned_trusted, pki, plaintext_http_on_tls_port,
    reset_after_client_hello, run_check, text, tls_alert_handshake_failure,
    tls_alert_protocol_version, Response, TlsServer, BOUNDED, GOOD_NAMES,
};

#[test]
fn tls13_handshake_reports_version_cipher_and_alpn() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    run.assert_all_pass();
    assert_eq!(run.fact("tls", "version"), "TLSv1.3", "{}", run.dump());
    let cipher = run.fact("tls", "cipher_suite");
    assert!(
        cipher.as_str().is_some_and(|c| !c.is_empty()),
        "cipher_suite\n{}",
        run.dump()
    );
    assert_eq!(run.fact("tls", "alpn"), "http/1.1", "{}", run.dump());
    let layers: Vec<String> = run.statuses(0).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        layers,
        ["dns", "tcp", "tls", "certificate", "http", "auth"],
        "{}",
        run.dump()
    );
}

#[test]
fn tls12_only_server_reports_tls12() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES))
        .tls12_only()
        .http(Response::ok());
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    run.assert_all_pass();
    assert_eq!(run.fact("tls", "version"), "TLSv1.2", "{}", run.dump());
    assert!(
        run.fact("tls", "cipher_suite")
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{}",
        run.dump()
    );
}

#[test]
fn http_answer_to_a_client_hello_is_plaintext_response() {
    let server = plaintext_http_on_tls_port();
    run_check(&pinned(&server, "https", "/"))
        .assert_fail(14, "tls", "TLS_PLAINTEXT_RESPONSE")
        .assert_skipped_after("tls", &["certificate", "http", "auth"]);
}

#[test]
fn protocol_version_alert() {
    let server = tls_alert_protocol_version();
    run_check(&pinned(&server, "https", "/")).assert_fail(14, "tls", "TLS_PROTOCOL_VERSION");
}

#[test]
fn handshake_failure_alert_is_named() {
    let server = tls_alert_handshake_failure();
    let run = run_check(&pinned(&server, "https", "/"));
    run.assert_fail(14, "tls", "TLS_HANDSHAKE_FAILURE");
    let stage = run.stage("tls");
    let said = format!(
        "{}{}",
        text(&stage["facts"]),
        text(&stage["diagnosis"]["summary"])
    )
    .replace(['_', ' ', '-'], "");
    assert!(
        said.contains("handshakefailure"),
        "the alert is not named in facts or summary\n{}",
        run.dump()
    );
}

#[test]
fn reset_after_client_hello_is_reset() {
    let server = reset_after_client_hello();
    run_check(&pinned(&server, "https", "/")).assert_fail(14, "tls", "TLS_RESET");
}

#[test]
fn clean_close_after_client_hello_is_unexpected_eof() {
    let server = eof_after_client_hello();
    run_check(&pinned(&server, "https", "/")).assert_fail(14, "tls", "TLS_UNEXPECTED_EOF");
}

#[test]
fn silent_server_is_a_timeout_and_does_not_hang() {
    let server = blackhole();
    let mut args = pinned(&server, "https", "/");
    args.extend(["--timeout".to_owned(), "1s".to_owned()]);
    run_check(&args)
        .assert_fail(14, "tls", "TLS_TIMEOUT")
        .assert_within(BOUNDED);
}

#[test]
fn max_time_bounds_the_whole_target() {
    let server = blackhole();
    let mut args = pinned(&server, "https", "/");
    args.extend(["--timeout", "30s", "--max-time", "2s"].map(String::from));
    let run = run_check(&args);
    run.assert_within(BOUNDED);
    assert_eq!(run.code, 14, "{}", run.dump());
    assert_eq!(run.target(0)["failed_layer"], "tls", "{}", run.dump());
}

/// rustls reads handshake messages of at most 64 KiB; OpenSSL (curl,
/// Python) takes a 78 KB certificate. netdoctor's own limit is a warning,
/// the later stages are skipped saying why, and the exit code blames no one.
#[test]
fn a_78_kb_leaf_is_a_verifier_limit_warning_not_a_handshake_failure() {
    let ca = pki().root_file();
    let leaf = pki().huge(GOOD_NAMES, 78_000);
    assert!(leaf.cert().as_ref().len() > 78_000);
    let server = unchecked_tls_server(&leaf);
    let mut args = pinned_trusted(&server, "https", "/", &ca);
    args.extend([
        "-H".to_owned(),
        "Authorization: Bearer nd-secret-huge".to_owned(),
    ]);
    let run = run_check(&args);
    assert_ne!(run.code, 14, "{}", run.dump());
    run.assert_warn("tls", "TLS_VERIFIER_LIMIT")
        .assert_skipped_after("tls", &["certificate", "http", "auth"]);
    let reason = text(&run.stage("http")["reason"]);
    assert!(reason.contains("netdoctor's tls library"), "{}", run.dump());
    let d = &run.stage("tls")["diagnosis"];
    assert!(text(&d["summary"]).contains("64 kib"), "{}", run.dump());
    assert!(
        d["client_errors"].as_array().is_none_or(Vec::is_empty),
        "no invented client errors\n{}",
        run.dump()
    );
    assert!(server.requests().is_empty(), "a request was sent");
}

/// An HTTPS server presenting `leaf` as is: rustls' `with_single_cert`
/// parses the certificate with webpki, which refuses one over 64 KiB (curl
/// and Python accept it), so the key is loaded without that check.
fn unchecked_tls_server(leaf: &crate::support::Leaf) -> crate::support::Server {
    use rustls::sign::{CertifiedKey, SingleCertAndKey};
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(leaf.key())
        .expect("leaf key");
    let certified = CertifiedKey::new(leaf.chain.clone(), key);
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let response = Arc::new(Response::ok());
    crate::support::servers::spawn_server(
        crate::support::servers::bind_loopback(),
        move |stream, log| {
            let acceptor = acceptor.clone();
            let response = response.clone();
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    crate::support::servers::serve_http(tls, &response, &log).await;
                }
            }
        },
    )
}
