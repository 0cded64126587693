//! Faults an independent review found: forged and padded chains, interim
//! responses, stalled bodies, many headers, secrets echoed or sent where
//! they must not be, banners that are not HTTP, malformed arguments.

use crate::support::servers::{bind_loopback, read_request, spawn_server};
use crate::support::{
    http_server, netdoctor, pinned, pinned_trusted, pki, run, run_check, self_signed, Leaf,
    Response, Server, TlsServer, GOOD_NAMES,
};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A server that answers any request with `bytes`, then holds the
/// connection open for `hold`.
fn raw_http(bytes: &'static [u8], hold: Duration) -> Server {
    spawn_server(bind_loopback(), move |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request);
            let _ = stream.write_all(bytes).await;
            tokio::time::sleep(hold).await;
        }
    })
}

/// A server that echoes the request it got in a 401 body (like httpbin).
fn echo_401() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request.clone());
            let response = Response::new(401).body(request).to_bytes();
            let _ = stream.write_all(&response).await;
        }
    })
}

fn forged(mut leaf: Leaf) -> Leaf {
    let der = leaf.chain[0].as_ref().to_vec();
    let mut bad = der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    leaf.chain[0] = bad.into();
    leaf
}

#[test]
fn forged_leaf_signature_fails_and_no_request_is_sent() {
    let ca = pki().root_file();
    let server = TlsServer::new(&forged(pki().good(GOOD_NAMES))).http(Response::ok());
    let mut args = pinned_trusted(&server, "https", "/", &ca);
    args.extend(["-H".into(), "Authorization: Bearer SUPERSECRET".into()]);
    let run = run_check(&args);
    run.assert_fail(15, "certificate", "CERT_INVALID");
    assert!(
        server.requests().is_empty(),
        "a request went out over a forged chain"
    );
    assert!(!run.stdout.contains("SUPERSECRET"));
}

#[test]
fn extra_expired_certificate_off_the_path_is_ignored() {
    let ca = pki().root_file();
    let mut leaf = pki().good(GOOD_NAMES);
    let stale = pki().expired(&["stale.test"]).chain[0].clone();
    leaf.chain.push(stale);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    run.assert_all_pass();
}

#[test]
fn interim_103_is_followed_to_the_final_response() {
    let server = raw_http(
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        Duration::ZERO,
    );
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_all_pass();
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
}

#[test]
fn a_stalled_body_does_not_fail_a_complete_head() {
    let server = raw_http(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 100\r\n\r\nabc",
        Duration::from_secs(10),
    );
    let mut args = pinned(&server, "http", "/");
    args.extend(["--timeout".into(), "1s".into()]);
    let run = run_check(&args);
    run.assert_warn("http", "HTTP_NOT_FOUND");
}

#[test]
fn two_hundred_headers_are_fine() {
    let mut response = Response::ok();
    for i in 0..200 {
        response = response.header(&format!("X-H{i}"), "v");
    }
    let server = http_server(response);
    run_check(&pinned(&server, "http", "/")).assert_all_pass();
}

#[test]
fn insecure_never_sends_secret_query_parameters() {
    let server = TlsServer::new(&self_signed(GOOD_NAMES)).http(Response::ok());
    let url = format!(
        "https://good.test:{}/p?api-key=QUERYSECRET&x=1",
        server.port()
    );
    let run = run_check(&[
        "check".to_owned(),
        url,
        "--resolve".to_owned(),
        server.resolve("good.test"),
        "-k".to_owned(),
    ]);
    assert_eq!(run.code, 0, "{}", run.dump());
    let requests = server.requests().join("\n");
    assert!(requests.starts_with("GET /p?x=1 "), "{requests}");
    assert!(!requests.contains("QUERYSECRET"), "{requests}");
    assert!(!run.stdout.contains("QUERYSECRET"), "{}", run.dump());
}

#[test]
fn secrets_the_server_echoes_are_masked() {
    let server = echo_401();
    let mut args = pinned(&server, "http", "/?api-key=QUERYSECRET");
    args.extend(["-H".into(), "Authorization: Bearer SUPERSECRET".into()]);
    let run = run_check(&args);
    run.assert_fail(17, "auth", "AUTH_REJECTED");
    assert!(
        server.requests()[0].contains("SUPERSECRET"),
        "the secret was sent"
    );
    for secret in ["SUPERSECRET", "QUERYSECRET"] {
        assert!(
            !run.stdout.contains(secret),
            "{secret} leaked:\n{}",
            run.dump()
        );
    }
    let human = run_check_human(&args);
    assert!(
        !human.contains("SUPERSECRET") && !human.contains("QUERYSECRET"),
        "{human}"
    );
}

fn run_check_human(args: &[String]) -> String {
    let out = netdoctor().args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redirect_location_is_redacted() {
    let server = http_server(
        Response::new(302).header("Location", "https://blob.test/x?sig=TOPSECRETSIG&y=1"),
    );
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_warn("http", "HTTP_REDIRECT");
    assert!(!run.stdout.contains("TOPSECRETSIG"), "{}", run.dump());
}

#[test]
fn a_non_http_banner_is_not_called_plain_http() {
    let server = spawn_server(bind_loopback(), |mut stream, _| async move {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let run = run_check(&pinned(&server, "https", "/"));
    run.assert_fail(14, "tls", "TLS_PLAINTEXT_RESPONSE");
    let hint = run.target(0)["diagnosis"]["hint"]
        .as_str()
        .unwrap_or_default();
    assert!(!hint.contains("plain HTTP"), "{hint}");
    assert!(run.stdout.contains("SSH-2.0"), "{}", run.dump());
}

#[test]
fn malformed_arguments_are_usage_errors_without_secrets() {
    for url in [
        "tcp://127.0.0.1:0",
        "http:///x",
        "https://u:PASSWORD@p.test:99999/?api-key=QKEY",
    ] {
        let mut cmd = netdoctor();
        cmd.args(["check", url]);
        let r = run(&mut cmd);
        assert_eq!(r.code, 2, "{url}: {}", r.dump());
        assert!(
            !r.stderr.contains("PASSWORD") && !r.stderr.contains("QKEY"),
            "{}",
            r.stderr
        );
    }
}

/// An escape byte in a header value (issue 11, item 11): curl and Python
/// accept the response, so does netdoctor; the human output shows it
/// escaped, the JSON keeps it (`\u001b`). A NUL in a value, or a control
/// byte in a name, is still malformed.
#[test]
fn an_escape_byte_in_a_header_value_is_accepted_and_shown_escaped() {
    let server = raw_http(
        b"HTTP/1.1 200 OK\r\nServer: evil\x1b[31mred\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        Duration::ZERO,
    );
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_all_pass();
    assert_eq!(
        run.fact("http", "headers")["server"],
        "evil\u{1b}[31mred",
        "{}",
        run.dump()
    );
    assert!(run.stdout.contains("\\u001b"), "{}", run.stdout);
    for verbose in [&[][..], &["-v"]] {
        let out = netdoctor()
            .args(pinned(&server, "http", "/"))
            .args(verbose)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0));
        assert!(!out.stdout.contains(&0x1b), "raw escape on stdout");
        if !verbose.is_empty() {
            let human = String::from_utf8_lossy(&out.stdout);
            assert!(
                human.contains("evil\\u{1b}[31mred") || human.contains("evil\\u001b[31mred"),
                "{human}"
            );
        }
    }
    for wire in [
        &b"HTTP/1.1 200 OK\r\nServer: a\0b\r\nContent-Length: 0\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nSer\x1bver: ab\r\nContent-Length: 0\r\n\r\n",
    ] {
        let wire: &'static [u8] = Box::leak(wire.to_vec().into_boxed_slice());
        let server = raw_http(wire, Duration::ZERO);
        let run = run_check(&pinned(&server, "http", "/"));
        run.assert_fail(16, "http", "HTTP_MALFORMED");
    }
}

/// A FIFO where the image's CA bundle or resolv.conf should be (opening a
/// FIFO blocks until someone writes) never hangs a run: the files are read
/// only when they are regular files, and the look says what it found.
#[test]
fn fifos_in_the_image_never_block_a_run() {
    let root = crate::support::snapshot::debian_image(&crate::support::pki().root_pem());
    for file in ["etc/ssl/certs/ca-certificates.crt", "etc/resolv.conf"] {
        let path = root.path().join(file);
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(made, "mkfifo {}", path.display());
    }
    let mut cmd = crate::support::netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let run = crate::support::run_json_with(cmd, &["env"]);
    run.assert_within(crate::support::BOUNDED);
    let findings = crate::support::text(&run.json["env"]["findings"]);
    assert!(findings.contains("env_no_ca_bundle"), "{}", run.dump());
    assert!(
        findings.contains("env_no_resolv_conf") && findings.contains("not a regular file"),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 10, "{}", run.dump());
    // A check in that image ends too (the resolver is the FIFO's fallback).
    let web = crate::support::http_server(crate::support::Response::ok());
    let mut cmd = crate::support::netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let url = format!("http://127.0.0.1:{}/", web.port());
    let run = crate::support::run_json_with(cmd, &["check", url.as_str()]);
    run.assert_within(crate::support::BOUNDED).assert_all_pass();
}
