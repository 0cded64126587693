//! The `auth` stage: 401/403 with and without a credential, and secrets never
//! printed.

use crate::support::{
    http_server, netdoctor, pinned, pinned_trusted, pki, run, run_check, Response, TlsServer,
    GOOD_NAMES,
};

const SECRET: &str = "nd-secret-0123456789abcdef";

fn unauthorized() -> Response {
    Response::new(401)
        .header("WWW-Authenticate", "Bearer realm=\"test\"")
        .header("Content-Type", "application/json")
        .body(r#"{"error":{"code":"401","message":"Access denied due to invalid key."}}"#)
}

fn forbidden() -> Response {
    Response::new(403)
        .header("Content-Type", "application/json")
        .body(r#"{"error":{"code":"Forbidden","message":"This key may not call this API."}}"#)
}

fn with_header(mut args: Vec<String>, header: &str) -> Vec<String> {
    args.extend(["-H".to_owned(), header.to_owned()]);
    args
}

#[test]
fn unauthorized_without_credential_warns_missing_key() {
    let server = http_server(unauthorized());
    run_check(&pinned(&server, "http", "/")).assert_warn("auth", "AUTH_MISSING_KEY");
}

#[test]
fn forbidden_without_credential_warns_missing_key() {
    let server = http_server(forbidden());
    run_check(&pinned(&server, "http", "/")).assert_warn("auth", "AUTH_MISSING_KEY");
}

#[test]
fn unauthorized_with_credential_is_rejected() {
    let server = http_server(unauthorized());
    let args = with_header(
        pinned(&server, "http", "/"),
        &format!("Authorization: Bearer {SECRET}"),
    );
    let run = run_check(&args);
    run.assert_fail(17, "auth", "AUTH_REJECTED");
    // The credential was sent (the server saw it) ...
    assert!(server.requests().join("").contains(SECRET));
    // ... and the report says so without its value.
    assert!(
        !run.stdout.contains(SECRET),
        "secret in stdout\n{}",
        run.dump()
    );
    assert!(
        !run.stderr.contains(SECRET),
        "secret in stderr\n{}",
        run.dump()
    );
}

#[test]
fn forbidden_with_credential_is_forbidden() {
    let server = http_server(forbidden());
    let args = with_header(
        pinned(&server, "http", "/"),
        &format!("Ocp-Apim-Subscription-Key: {SECRET}"),
    );
    let run = run_check(&args);
    run.assert_fail(17, "auth", "AUTH_FORBIDDEN");
    assert!(
        !run.stdout.contains(SECRET),
        "secret in stdout\n{}",
        run.dump()
    );
}

#[test]
fn accepted_credential_passes() {
    let server = http_server(Response::ok());
    let args = with_header(
        pinned(&server, "http", "/"),
        &format!("Authorization: Bearer {SECRET}"),
    );
    let run = run_check(&args);
    run.assert_all_pass();
    assert!(
        !run.stdout.contains(SECRET),
        "secret in stdout\n{}",
        run.dump()
    );
}

#[test]
fn rejected_over_https_with_a_trusted_chain() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(unauthorized());
    let args = with_header(
        pinned_trusted(&server, "https", "/", &ca),
        &format!("Authorization: Bearer {SECRET}"),
    );
    run_check(&args).assert_fail(17, "auth", "AUTH_REJECTED");
    assert!(server.requests().join("").contains(SECRET));
}

#[test]
fn secret_never_appears_in_human_output_either() {
    let server = http_server(unauthorized());
    let mut cmd = netdoctor();
    cmd.args(with_header(
        pinned(&server, "http", "/"),
        &format!("Authorization: Bearer {SECRET}"),
    ))
    .arg("-v");
    let run = run(&mut cmd);
    assert_eq!(run.code, 17, "{}", run.dump());
    assert!(run.stdout.contains("AUTH_REJECTED"), "{}", run.dump());
    assert!(
        !run.stdout.contains(SECRET),
        "secret in stdout\n{}",
        run.dump()
    );
    assert!(
        !run.stderr.contains(SECRET),
        "secret in stderr\n{}",
        run.dump()
    );
}
