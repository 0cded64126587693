//! The `http` stage: status verdicts, `--expect-status`, what `check` sends,
//! and hostile servers that must not make netdoctor hang.

use crate::support::{
    garbage_http, http_server, huge_header_http, pinned, run_check, slow_drip_http, Response, Run,
    BOUNDED,
};

fn check_status(response: Response) -> Run {
    let server = http_server(response);
    run_check(&pinned(&server, "http", "/"))
}

#[test]
fn ok_passes() {
    let server = http_server(Response::ok());
    let run = run_check(&pinned(&server, "http", "/hello?x=1"));
    run.assert_all_pass();
    let layers: Vec<String> = run.statuses(0).into_iter().map(|(l, _)| l).collect();
    assert_eq!(layers, ["dns", "tcp", "http", "auth"], "{}", run.dump());
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
    let request = server.requests().join("");
    assert!(
        request.starts_with("GET /hello?x=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request
            .to_ascii_lowercase()
            .contains(&format!("host: good.test:{}", server.port())),
        "Host is the original name: {request}"
    );
}

#[test]
fn not_found_warns() {
    check_status(Response::new(404).body("no such page")).assert_warn("http", "HTTP_NOT_FOUND");
}

#[test]
fn server_error_warns() {
    check_status(Response::new(500).body("boom")).assert_warn("http", "HTTP_SERVER_ERROR");
}

#[test]
fn rate_limited_warns() {
    check_status(Response::new(429).header("Retry-After", "30"))
        .assert_warn("http", "HTTP_RATE_LIMITED");
}

#[test]
fn redirect_warns() {
    check_status(Response::new(301).header("Location", "https://good.test/"))
        .assert_warn("http", "HTTP_REDIRECT");
}

#[test]
fn other_4xx_warns_http_status() {
    check_status(Response::new(418)).assert_warn("http", "HTTP_STATUS");
}

#[test]
fn expect_status_mismatch_fails() {
    let server = http_server(Response::ok());
    let mut args = pinned(&server, "http", "/");
    args.extend(["--expect-status".to_owned(), "201".to_owned()]);
    let run = run_check(&args);
    assert_eq!(run.code, 16, "{}", run.dump());
    assert_eq!(run.target(0)["failed_layer"], "http", "{}", run.dump());
    assert_eq!(run.stage("http")["status"], "fail", "{}", run.dump());
    let code = run.target(0)["diagnosis"]["code"].as_str().unwrap_or("");
    assert!(code.starts_with("HTTP_"), "{}", run.dump());
}

#[test]
fn expect_status_match_passes() {
    let server = http_server(Response::new(201));
    let mut args = pinned(&server, "http", "/");
    args.extend(["--expect-status".to_owned(), "201".to_owned()]);
    let run = run_check(&args);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.target(0)["ok"], true, "{}", run.dump());
}

#[test]
fn method_header_and_data_are_sent() {
    let server = http_server(Response::ok());
    let mut args = pinned(&server, "http", "/api");
    args.extend(["-X", "PUT", "-H", "X-Test: yes", "-d", "{\"a\":1}"].map(String::from));
    let run = run_check(&args);
    run.assert_all_pass();
    let request = server.requests().join("");
    assert!(request.starts_with("PUT /api HTTP/1.1\r\n"), "{request}");
    assert!(
        request.to_ascii_lowercase().contains("x-test: yes"),
        "{request}"
    );
    assert!(request.ends_with("{\"a\":1}"), "{request}");
}

#[test]
fn data_without_method_posts() {
    let server = http_server(Response::ok());
    let mut args = pinned(&server, "http", "/");
    args.extend(["-d".to_owned(), "k=v".to_owned()]);
    run_check(&args).assert_all_pass();
    let request = server.requests().join("");
    assert!(request.starts_with("POST / HTTP/1.1\r\n"), "{request}");
    assert!(request.ends_with("k=v"), "{request}");
}

#[test]
fn bytes_that_are_not_http_are_malformed() {
    let server = garbage_http();
    run_check(&pinned(&server, "http", "/")).assert_fail(16, "http", "HTTP_MALFORMED");
}

/// A hostile response must end within the deadline with an `http` failure
/// (HTTP_MALFORMED, or a timeout code).
fn assert_bounded_http_failure(run: &Run) {
    run.assert_within(BOUNDED);
    assert_eq!(run.code, 16, "{}", run.dump());
    assert_eq!(run.target(0)["failed_layer"], "http", "{}", run.dump());
    let code = run.target(0)["diagnosis"]["code"].as_str().unwrap_or("");
    assert!(
        code == "HTTP_MALFORMED" || (code.starts_with("HTTP_") && code.contains("TIMEOUT")),
        "expected HTTP_MALFORMED or an HTTP timeout code\n{}",
        run.dump()
    );
}

#[test]
fn slow_drip_response_ends_within_the_timeout() {
    let server = slow_drip_http();
    let mut args = pinned(&server, "http", "/");
    args.extend(["--timeout".to_owned(), "2s".to_owned()]);
    assert_bounded_http_failure(&run_check(&args));
}

#[test]
fn one_mebibyte_header_is_refused() {
    let server = huge_header_http();
    let mut args = pinned(&server, "http", "/");
    args.extend(["--timeout".to_owned(), "2s".to_owned()]);
    assert_bounded_http_failure(&run_check(&args));
}

/// Reads the request, then answers with `close`: a reset (SO_LINGER 0) or
/// a clean close (FIN) before any byte of a reply.
fn closes_after_the_request(reset: bool) -> crate::support::Server {
    use crate::support::servers::{bind_loopback, read_request, spawn_server};
    use tokio::io::AsyncWriteExt as _;
    spawn_server(bind_loopback(), move |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request);
            if reset {
                let _ = stream.set_zero_linger();
            } else {
                let _ = stream.shutdown().await;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    })
}

/// A reset while waiting for the reply is not a malformed answer: something
/// on the path cut the connection (HTTP_RESET, with what clients print).
#[test]
fn a_reset_after_the_request_is_http_reset() {
    let server = closes_after_the_request(true);
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_fail(16, "http", "HTTP_RESET");
    let d = &run.target(0)["diagnosis"];
    assert!(
        d["summary"].as_str().unwrap_or("").contains("reset"),
        "{}",
        run.dump()
    );
    assert!(
        d["client_errors"]
            .to_string()
            .contains("curl: (56) Recv failure: Connection reset by peer"),
        "{}",
        run.dump()
    );
    assert_eq!(server.requests().len(), 1);
}

/// A clean close before any byte of a reply stays HTTP_MALFORMED.
#[test]
fn a_close_before_any_reply_byte_stays_malformed() {
    let server = closes_after_the_request(false);
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_fail(16, "http", "HTTP_MALFORMED");
    assert!(
        run.stdout
            .contains("the server closed the connection without a response"),
        "{}",
        run.dump()
    );
}
