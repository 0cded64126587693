//! The `certificate` stage: each chain fault named, trust from `--cacert` and
//! `SSL_CERT_FILE`, no request (and so no credential) over a failed chain,
//! and `--insecure` turning faults into warnings.

use crate::support::{
    closed_port, netdoctor, pinned, pinned_trusted, pki, run_check, run_json_with, self_signed,
    text, Leaf, Response, TlsServer, WsOptions, GOOD_NAMES,
};

/// Serve `leaf` over HTTPS and check it with the test root trusted.
fn check_trusted(leaf: &Leaf) -> (crate::support::Run, crate::support::Server) {
    let ca = pki().root_file();
    let server = TlsServer::new(leaf).http(Response::ok());
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    (run, server)
}

#[test]
fn trusted_chain_passes() {
    let (run, _server) = check_trusted(&pki().good(GOOD_NAMES));
    run.assert_all_pass();
    assert_eq!(run.stage("certificate")["status"], "pass");
}

#[test]
fn ssl_cert_file_is_a_trust_source() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    // The machine's own runtimes (its Node, its certifi) stay out of it.
    let root = crate::support::sysroot_seeing(&[&ca.path]);
    let mut cmd = netdoctor();
    cmd.env("SSL_CERT_FILE", &ca.path)
        .env("NETDOCTOR_SYSROOT", root.path());
    let run = run_json_with(cmd, &pinned(&server, "https", "/"));
    run.assert_all_pass();
    assert!(
        text(&run.stage("certificate")["facts"]).contains(&ca.arg().to_ascii_lowercase()),
        "the store is named by its source\n{}",
        run.dump()
    );
}

#[test]
fn untrusted_root_is_unknown_issuer_but_tls_facts_are_kept() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let run = run_check(&pinned(&server, "https", "/"));
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER")
        .assert_skipped_after("certificate", &["http", "auth"]);
    // The handshake never aborts on the certificate.
    assert_eq!(run.stage("tls")["status"], "pass", "{}", run.dump());
    assert_eq!(run.fact("tls", "version"), "TLSv1.3", "{}", run.dump());
    assert!(server.requests().is_empty(), "a request was sent");
}

#[test]
fn expired() {
    let (run, _server) = check_trusted(&pki().expired(GOOD_NAMES));
    run.assert_fail(15, "certificate", "CERT_EXPIRED");
    assert!(
        text(&run.target(0)["diagnosis"]["summary"]).contains("day"),
        "the summary says when, in days\n{}",
        run.dump()
    );
}

#[test]
fn not_yet_valid() {
    let (run, _server) = check_trusted(&pki().not_yet_valid(GOOD_NAMES));
    run.assert_fail(15, "certificate", "CERT_NOT_YET_VALID");
}

#[test]
fn hostname_mismatch_lists_the_names_of_the_certificate() {
    let (run, _server) = check_trusted(&pki().wrong_host());
    run.assert_fail(15, "certificate", "CERT_HOSTNAME_MISMATCH");
    assert!(
        text(&run.stage("certificate")["facts"]).contains("other.test"),
        "facts list the certificate's names\n{}",
        run.dump()
    );
}

#[test]
fn leaf_sent_without_its_intermediate_is_incomplete_chain() {
    let (run, _server) = check_trusted(&pki().leaf_only(GOOD_NAMES));
    run.assert_fail(15, "certificate", "CERT_INCOMPLETE_CHAIN");
}

#[test]
fn leaf_with_aia_but_no_intermediate_is_incomplete_chain() {
    let url = format!("http://127.0.0.1:{}/intermediate.der", closed_port());
    let (run, _server) = check_trusted(&pki().leaf_only_with_aia(GOOD_NAMES, &url));
    run.assert_fail(15, "certificate", "CERT_INCOMPLETE_CHAIN");
}

#[test]
fn self_signed_leaf() {
    let (run, _server) = check_trusted(&self_signed(GOOD_NAMES));
    run.assert_fail(15, "certificate", "CERT_SELF_SIGNED");
}

#[test]
fn a_self_signed_ca_certificate_as_the_leaf_is_self_signed_unless_trusted() {
    // `openssl req -x509` certificates are CA:TRUE: webpki rejects them as
    // a leaf before it looks for an anchor. Before, that rejection was a
    // warning ("OpenSSL-based clients may accept it") and the target
    // passed, though curl fails (60) "self-signed certificate".
    let leaf = crate::support::pki::self_signed_ca(GOOD_NAMES);
    let (run, _server) = check_trusted(&leaf);
    run.assert_fail(15, "certificate", "CERT_SELF_SIGNED");
    // Trusted by --cacert, OpenSSL accepts it (curl exits 0): a warning.
    let ca = leaf.as_ca_file();
    let server = TlsServer::new(&leaf).http(Response::ok());
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    assert_eq!(run.code, 0, "{}", run.dump());
    run.assert_warn("certificate", "CERT_INVALID");
}

#[test]
fn failed_chain_skips_http_auth_and_websocket_and_sends_no_credential() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().expired(GOOD_NAMES)).websocket(WsOptions::echo());
    let mut args = pinned_trusted(&server, "wss", "/ws", &ca);
    args.extend([
        "-H".to_owned(),
        "Authorization: Bearer nd-secret-cert".to_owned(),
    ]);
    let run = run_check(&args);
    run.assert_fail(15, "certificate", "CERT_EXPIRED")
        .assert_skipped_after("certificate", &["http", "auth", "websocket"]);
    assert!(
        server.requests().is_empty(),
        "a request was sent over a failed chain"
    );
    assert!(!run.stdout.contains("nd-secret-cert"), "{}", run.dump());
}

#[test]
fn insecure_makes_the_fault_a_warning_and_sends_no_credential() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().expired(GOOD_NAMES)).http(Response::ok());
    let mut args = pinned_trusted(&server, "https", "/", &ca);
    args.extend(
        [
            "--insecure",
            "-H",
            "Authorization: Bearer nd-secret-insecure",
        ]
        .map(String::from),
    );
    let run = run_check(&args);
    run.assert_warn("certificate", "CERT_EXPIRED");
    assert_eq!(run.stage("http")["status"], "pass", "{}", run.dump());
    let requests = server.requests().join("\n");
    assert!(!requests.is_empty(), "http did not run");
    assert!(
        !requests.contains("nd-secret-insecure"),
        "credential sent over an unverified chain:\n{requests}"
    );
    assert!(!run.stdout.contains("nd-secret-insecure"), "{}", run.dump());
}

/// OpenSSL's directory store is looked up by subject hash: a certificate there
/// with the same subject but another key is not the issuer. (Found on a
/// machine whose snakeoil certificate is `CN=localhost`.)
#[test]
fn same_named_certificate_in_the_directory_store_is_not_the_issuer() {
    let leaf = self_signed(&["good.test"]);
    let decoy = self_signed(&["good.test"]);
    let dir = tempfile::tempdir().unwrap();
    let decoy_path = dir.path().join("decoy.pem");
    std::fs::write(&decoy_path, &decoy.pem[0]).unwrap();
    let Ok(out) = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject_hash", "-in"])
        .arg(&decoy_path)
        .output()
    else {
        crate::support::skip("no openssl binary to compute the subject hash", "openssl");
        return;
    };
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(hash.len(), 8, "openssl -subject_hash: {hash:?}");
    std::fs::rename(&decoy_path, dir.path().join(format!("{hash}.0"))).unwrap();

    let server = TlsServer::new(&leaf).http(Response::ok());
    let mut cmd = netdoctor();
    cmd.env("SSL_CERT_DIR", dir.path());
    let run = run_json_with(cmd, &pinned(&server, "https", "/"));
    run.assert_fail(15, "certificate", "CERT_SELF_SIGNED");
}

/// Serve `leaf` over HTTPS, trust `ca` with `--cacert`, send a credential:
/// the JSON run and the human text of the same check.
fn check_with_secret(
    leaf: &Leaf,
    ca: &crate::support::CaFile,
    secret: &str,
) -> (crate::support::Run, String, crate::support::Server) {
    let server = TlsServer::new(leaf).http(Response::ok());
    let mut args = pinned_trusted(&server, "https", "/", ca);
    args.extend(["-H".to_owned(), format!("Authorization: Bearer {secret}")]);
    let run = run_check(&args);
    let human = crate::support::snapshot::human(netdoctor(), &args);
    (run, human, server)
}

/// webpki ignores a trust anchor's dates; OpenSSL (curl, Python) does not:
/// `curl: (60) SSL certificate problem: certificate has expired`.
#[test]
fn expired_anchor_given_with_cacert_is_cert_expired_naming_the_anchor() {
    let root = crate::support::pki::Pki::expired_root();
    let ca = root.root_file();
    let (run, human, server) =
        check_with_secret(&root.good(GOOD_NAMES), &ca, "nd-secret-stale-anchor");
    run.assert_fail(15, "certificate", "CERT_EXPIRED")
        .assert_skipped_after("certificate", &["http", "auth"]);
    let summary = text(&run.target(0)["diagnosis"]["summary"]);
    assert!(
        summary.contains("netdoctor expired root ca") && summary.contains("expired"),
        "the summary names the anchor\n{}",
        run.dump()
    );
    let verdict = text(&run.fact("certificate", "stores")[format!("--cacert {}", ca.arg())]);
    assert!(verdict.contains("expired on"), "{}", run.dump());
    assert!(server.requests().is_empty(), "a request was sent");
    // The store table speaks words, not Rust debug text.
    assert!(human.contains("expired on"), "{human}");
    assert!(
        !human.contains('{') && !human.contains("UnixTime"),
        "debug text in the human output:\n{human}"
    );
}

#[test]
fn not_yet_valid_anchor_is_cert_not_yet_valid() {
    let root = crate::support::pki::Pki::future_root();
    let ca = root.root_file();
    let (run, _human, server) =
        check_with_secret(&root.good(GOOD_NAMES), &ca, "nd-secret-future-anchor");
    run.assert_fail(15, "certificate", "CERT_NOT_YET_VALID");
    assert!(
        text(&run.target(0)["diagnosis"]["summary"]).contains("netdoctor future root ca"),
        "{}",
        run.dump()
    );
    assert!(server.requests().is_empty(), "a request was sent");
}

/// The same root also in date in another store anchors the chain: OpenSSL
/// prefers the valid certificate.
#[test]
fn expired_anchor_beside_a_valid_copy_of_the_same_key_is_not_a_fault() {
    let root = crate::support::pki::Pki::expired_root();
    let expired = root.root_file();
    let server = TlsServer::new(&root.good(GOOD_NAMES)).http(Response::ok());
    let mut args = pinned_trusted(&server, "https", "/", &expired);
    // A chain anchored in the test PKI's (valid) root passes beside it.
    let valid = pki().root_file();
    args.extend(["--cacert".to_owned(), valid.arg()]);
    let run = run_check(&args);
    run.assert_fail(15, "certificate", "CERT_EXPIRED");
    let good = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let mut args = pinned_trusted(&good, "https", "/", &expired);
    args.extend(["--cacert".to_owned(), valid.arg()]);
    run_check(&args).assert_all_pass();
}

/// rustls-webpki stops at 6 intermediates, OpenSSL at 100: curl and Python
/// accept 7. A warning of netdoctor's own limit, the rest run without
/// credentials.
#[test]
fn seven_intermediates_are_a_verifier_limit_warning_not_cert_invalid() {
    let (leaf, ca) = crate::support::pki::long_chain(7, GOOD_NAMES);
    let (run, human, server) = check_with_secret(&leaf, &ca, "nd-secret-long-chain");
    run.assert_warn("certificate", "CERT_VERIFIER_LIMIT");
    let summary = text(&run.stage("certificate")["diagnosis"]["summary"]);
    assert!(
        summary.contains("7 intermediates") && summary.contains("stops at 6"),
        "{}",
        run.dump()
    );
    assert!(
        run.stage("certificate")["diagnosis"]["client_errors"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "no invented client errors\n{}",
        run.dump()
    );
    assert_eq!(run.stage("http")["status"], "pass", "{}", run.dump());
    let requests = server.requests().join("\n");
    assert!(!requests.is_empty(), "http did not run");
    assert!(
        !requests.contains("nd-secret-long-chain"),
        "credential sent over an unverified chain:\n{requests}"
    );
    assert!(!human.contains('{'), "debug text:\n{human}");
    assert!(!human.contains("MaximumPathDepthExceeded"), "{human}");
}

#[test]
fn six_intermediates_pass() {
    let (leaf, ca) = crate::support::pki::long_chain(6, GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    run_check(&pinned_trusted(&server, "https", "/", &ca)).assert_all_pass();
}

/// Beyond webpki's limit, an anchor no store holds is still an unknown issuer.
#[test]
fn seven_intermediates_from_an_unknown_root_are_unknown_issuer() {
    let (leaf, _ca) = crate::support::pki::long_chain(7, GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let run = run_check(&pinned(&server, "https", "/"));
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
}
