//! The `websocket` stage: a working upgrade with a ping over ws:// and wss://,
//! and the ways an upgrade goes wrong.

use crate::support::{
    http_server, pinned, pinned_trusted, pki, run_check, text, ws_server, Response, Run, TlsServer,
    WsOptions, GOOD_NAMES,
};

/// The facts carry a ping round trip: a numeric fact whose name speaks of it.
fn assert_ping_fact(run: &Run) {
    let facts = run.stage("websocket")["facts"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let found = facts.iter().any(|(key, value)| {
        let key = key.to_ascii_lowercase();
        (key.contains("rtt") || key.contains("round") || key.contains("ping"))
            && (value.is_number() || value.is_object() || value.is_string())
    });
    assert!(found, "no ping round-trip fact\n{}", run.dump());
}

#[test]
fn ws_upgrade_and_ping_pass() {
    let server = ws_server(WsOptions::echo());
    let run = run_check(&pinned(&server, "ws", "/ws"));
    run.assert_all_pass();
    let layers: Vec<String> = run.statuses(0).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        layers,
        ["dns", "tcp", "http", "auth", "websocket"],
        "{}",
        run.dump()
    );
    assert_eq!(run.fact("http", "status"), 101, "{}", run.dump());
    assert_ping_fact(&run);
}

#[test]
fn wss_upgrade_and_ping_pass() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::echo());
    let run = run_check(&pinned_trusted(&server, "wss", "/ws", &ca));
    run.assert_all_pass();
    let layers: Vec<String> = run.statuses(0).into_iter().map(|(l, _)| l).collect();
    assert_eq!(
        layers,
        [
            "dns",
            "tcp",
            "tls",
            "certificate",
            "http",
            "auth",
            "websocket"
        ],
        "{}",
        run.dump()
    );
    assert_ping_fact(&run);
}

#[test]
fn ok_instead_of_101_is_upgrade_ignored() {
    let server = http_server(Response::upgrade_ignored());
    run_check(&pinned(&server, "ws", "/ws")).assert_fail(18, "websocket", "WS_UPGRADE_IGNORED");
    let request = server.requests().join("").to_ascii_lowercase();
    assert!(request.contains("upgrade: websocket"), "{request}");
}

#[test]
fn nginx_400_is_upgrade_rejected_and_quoted() {
    let server = http_server(Response::nginx_400());
    let run = run_check(&pinned(&server, "ws", "/ws"));
    run.assert_fail(18, "websocket", "WS_UPGRADE_REJECTED");
    let said = format!(
        "{}{}",
        text(&run.stage("websocket")["facts"]),
        text(&run.target(0)["diagnosis"])
    );
    assert!(
        said.contains("nginx"),
        "the Server header is quoted\n{}",
        run.dump()
    );
    assert!(said.contains("400"), "the status is quoted\n{}", run.dump());
}

#[test]
fn immediate_close_1008_is_closed_with_its_code() {
    let server = ws_server(WsOptions::close_immediately(1008));
    let run = run_check(&pinned(&server, "ws", "/ws"));
    run.assert_fail(18, "websocket", "WS_CLOSED");
    let facts = &run.stage("websocket")["facts"];
    let has_code = facts
        .as_object()
        .is_some_and(|f| f.values().any(|v| v == 1008 || v == "1008"))
        || text(facts).contains("1008");
    assert!(has_code, "facts carry the close code\n{}", run.dump());
}

#[test]
fn wrong_key_on_upgrade_is_auth_rejected() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::require_header(
        "Ocp-Apim-Subscription-Key",
        "good",
    ));
    let mut args = pinned_trusted(&server, "wss", "/ws", &ca);
    args.extend([
        "-H".to_owned(),
        "Ocp-Apim-Subscription-Key: nd-wrong-key".to_owned(),
    ]);
    let run = run_check(&args);
    run.assert_fail(17, "auth", "AUTH_REJECTED")
        .assert_skipped_after("auth", &["websocket"]);
    assert!(!run.stdout.contains("nd-wrong-key"), "{}", run.dump());
}

#[test]
fn right_key_on_upgrade_passes() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::require_header(
        "Ocp-Apim-Subscription-Key",
        "good",
    ));
    let mut args = pinned_trusted(&server, "wss", "/ws", &ca);
    args.extend([
        "-H".to_owned(),
        "Ocp-Apim-Subscription-Key: good".to_owned(),
    ]);
    run_check(&args).assert_all_pass();
}

#[test]
fn missing_key_on_upgrade_warns_missing_key() {
    let server = ws_server(WsOptions::require_header(
        "Ocp-Apim-Subscription-Key",
        "good",
    ));
    let run = run_check(&pinned(&server, "ws", "/ws"));
    // What the websocket stage then says is left open by the contract; auth warns.
    let auth = run.stage("auth");
    assert_eq!(auth["status"], "warn", "{}", run.dump());
    assert_eq!(
        auth["diagnosis"]["code"],
        "AUTH_MISSING_KEY",
        "{}",
        run.dump()
    );
}
