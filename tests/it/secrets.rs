//! Secrets never in output (issue 11, item 4): a proxy URL that fails
//! validation, a lone proxy user (a token), and a request body the server
//! reflects, in every format (human, `-v`, JSON, JUnit) and on stderr.

use crate::support::proxy::ProxyServer;
use crate::support::servers::{bind_loopback, read_request, spawn_server};
use crate::support::{netdoctor, pinned, run, Response, Server};
use tokio::io::AsyncWriteExt;

/// The formats a report is written in (`-v` is the human one, verbose).
const FORMATS: &[&[&str]] = &[
    &["--format", "human"],
    &["--format", "human", "-v"],
    &["--format", "json"],
    &["--format", "junit"],
];

/// Runs netdoctor with `args` plus each format (and `env`), and asserts that
/// no `secret` shows on stdout or stderr; the exit codes, in format order.
fn assert_hidden(args: &[String], env: &[(&str, &str)], secrets: &[&str]) -> Vec<i32> {
    let mut codes = Vec::new();
    for format in FORMATS {
        let mut cmd = netdoctor();
        cmd.args(args).args(*format).envs(env.iter().copied());
        let r = run(&mut cmd);
        let all = format!("{}\n{}", r.stdout, r.stderr);
        for s in secrets {
            assert!(!all.contains(s), "{s} shows with {format:?}:\n{}", r.dump());
        }
        codes.push(r.code);
    }
    codes
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_proxy_value_that_fails_validation_is_masked_whole() {
    for (value, secrets) in [
        ("ftp://u:s3cretPW@127.0.0.1:21", &["s3cretPW", "u:"][..]),
        ("http://u:s3cretPW@[::1", &["s3cretPW"]),
        ("http://u:s3cretPW@127.0.0.1:99999", &["s3cretPW"]),
        ("u:s3cretPW@127.0.0.1:99999", &["s3cretPW"]),
        ("http://TOKEN123abc@127.0.0.1:99999", &["TOKEN123abc"]),
        ("http://u:p@ss3cret@ho st:1", &["ss3cret", "p@ss"]),
        ("http://u:pa/ss3cret@127.0.0.1", &["ss3cret"]),
    ] {
        let args = strings(&["check", "http://a.test/", "--proxy", value]);
        let codes = assert_hidden(&args, &[], secrets);
        assert!(codes.iter().all(|c| *c == 2), "{value}: {codes:?}");
    }
    // --resolve, --connect-to and the target URL too.
    for args in [
        &[
            "check",
            "http://a.test/",
            "--resolve",
            "a.test:80:u:s3cretPW@x",
        ][..],
        &[
            "check",
            "http://a.test/",
            "--connect-to",
            "a.test:80:u:s3cretPW@x:1",
        ],
        &["check", "http://u:s3cretPW@a.test:99999/"],
        &["check", "u:s3cretPW@a.test"],
    ] {
        let codes = assert_hidden(&strings(args), &[], &["s3cretPW"]);
        assert!(codes.iter().all(|c| *c == 2), "{args:?}: {codes:?}");
    }
}

#[test]
fn a_check_file_with_a_bad_proxy_is_masked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("checks.toml");
    std::fs::write(
        &file,
        "[[check]]\nurl = \"http://a.test/\"\nproxy = \"http://u:s3cretPW@127.0.0.1:99999\"\n",
    )
    .expect("write");
    let args = strings(&["run", file.to_str().expect("utf-8 path")]);
    let codes = assert_hidden(&args, &[], &["s3cretPW"]);
    assert!(codes.iter().all(|c| *c == 2), "{codes:?}");
}

#[test]
fn a_lone_proxy_user_is_a_secret() {
    // A proxy that wants other credentials: its 407 names the user sent.
    let proxy = ProxyServer::new().basic_auth("alice", "pw").start();
    let server = crate::support::http_server(Response::ok());
    let token = "TOKENs3cret42";
    let url = format!("http://{token}@127.0.0.1:{}", proxy.port());
    let mut args = pinned(&server, "http", "/");
    args.extend(["--proxy".to_owned(), url.clone()]);
    // Basic of `TOKEN:`, as a proxy or server may echo it.
    let basic = "VE9LRU5zM2NyZXQ0Mjo=";
    let codes = assert_hidden(&args, &[], &[token, basic]);
    assert!(codes.iter().all(|c| *c == 13), "{codes:?}");

    // From a variable: the env findings and the route's facts.
    let args = pinned(&server, "http", "/");
    let env = [
        ("http_proxy", url.as_str()),
        ("HTTP_PROXY", "http://127.0.0.1:9"),
    ];
    assert_hidden(&args, &env, &[token, basic]);
}

/// A server that reflects the request (head and body) in a reply header,
/// the reason phrase and the body, like httpbin's `/anything`.
fn reflecting() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        if let Some(request) = read_request(&mut stream).await {
            log.lock().unwrap().push(request.clone());
            let body_start = request.find("\r\n\r\n").map_or(0, |i| i + 4);
            let sent = request[body_start..].to_owned();
            let json = serde_json::json!({ "data": sent, "request": request }).to_string();
            let head = format!(
                "HTTP/1.1 400 {sent}\r\nX-Echo: {sent}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                json.len() + request.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(json.as_bytes()).await;
            let _ = stream.write_all(request.as_bytes()).await;
        }
    })
}

#[test]
fn a_reflected_request_body_is_scrubbed() {
    let server = reflecting();
    let body = r#"{"prompt":"b0dyS3cret","n":1}"#;
    let mut args = pinned(&server, "http", "/anything");
    args.extend(
        ["-d", body, "-H", "X-Api-Key: k3yS3cret"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let codes = assert_hidden(&args, &[], &["b0dyS3cret", "k3yS3cret"]);
    assert!(codes.iter().all(|c| *c == 0 || *c == 16), "{codes:?}");
    assert_eq!(server.requests().len(), FORMATS.len());
    assert!(
        server.requests()[0].contains("b0dyS3cret"),
        "the body was sent"
    );
}

/// A server that echoes the credential of the request's `Authorization`
/// (or `X-Key`) header alone, without its scheme word: for the
/// streaming completion in a plain-text 200, in a WebSocket close reason
/// after a 101, else in a plain-text body.
fn echoing_the_token() -> Server {
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    spawn_server(bind_loopback(), |mut stream, log| async move {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        log.lock().unwrap().push(request.clone());
        let header = |name: &str| {
            request.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        let token = header("authorization")
            .or_else(|| header("x-key"))
            .unwrap_or_default();
        let token = token.rsplit(' ').next().unwrap_or_default().to_owned();
        let reply = if let Some(key) = header("sec-websocket-key") {
            let accept = derive_accept_key(key.as_bytes());
            let reason = format!("bad key {token}");
            let mut frame = vec![
                0x88,
                u8::try_from(reason.len() + 2).unwrap_or(0),
                0x03,
                0xf0,
            ];
            frame.extend_from_slice(reason.as_bytes());
            let mut out = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").into_bytes();
            out.extend(frame);
            out
        } else if request.starts_with("GET /v1/models ") {
            let json = r#"{"object":"list","data":[]}"#;
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}", json.len()).into_bytes()
        } else {
            let body = format!("the token was {token}, the request {request}");
            format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).into_bytes()
        };
        let _ = stream.write_all(&reply).await;
        let _ = stream.shutdown().await;
    })
}

#[test]
fn a_token_echoed_without_its_scheme_is_scrubbed_in_every_stage() {
    let token = "sk-t0kenS3cret";
    let server = echoing_the_token();
    // The http stage's body (-H Authorization: Bearer TOKEN).
    let mut args = pinned(&server, "http", "/x");
    args.extend(strings(&["-H", &format!("Authorization: Bearer {token}")]));
    assert_hidden(&args, &[], &[token]);
    // The stream stage's quote of a reply that is not an event stream.
    let args = strings(&[
        "openai",
        "--stream",
        "--key",
        token,
        "--base-url",
        &format!("http://api.test:{}/v1", server.port()),
        "--resolve",
        &server.resolve("api.test"),
        "--timeout",
        "2s",
    ]);
    let codes = assert_hidden(&args, &[], &[token]);
    assert!(codes.iter().all(|c| *c == 19), "{codes:?}");
    // A WebSocket close reason.
    let mut args = pinned(&server, "ws", "/ws");
    args.extend(strings(&["-H", &format!("X-Key: {token}")]));
    let codes = assert_hidden(&args, &[], &[token]);
    assert!(codes.iter().all(|c| *c == 18), "{codes:?}");
}

/// A server that echoes the body's parsed fields, as httpbin's `/post`
/// does (`form` for a form, `json` for JSON), in a 400.
fn echoing_parsed_fields() -> Server {
    spawn_server(bind_loopback(), |mut stream, _| async move {
        if let Some(request) = read_request(&mut stream).await {
            let body_start = request.find("\r\n\r\n").map_or(0, |i| i + 4);
            let sent = &request[body_start..];
            let json: serde_json::Value = serde_json::from_str(sent).unwrap_or_default();
            let form: serde_json::Map<String, serde_json::Value> =
                url::form_urlencoded::parse(sent.as_bytes())
                    .map(|(k, v)| (k.into_owned(), serde_json::Value::from(v.into_owned())))
                    .collect();
            let reply = serde_json::json!({ "form": form, "json": json }).to_string();
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reply.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    })
}

#[test]
fn the_parsed_fields_of_a_request_body_are_scrubbed_when_echoed() {
    let server = echoing_parsed_fields();
    for body in [
        "user=bob&password=hunter2xyz%21",
        r#"{"user":"bob","auth":{"password":"hunter2xyz!"}}"#,
    ] {
        let mut args = pinned(&server, "http", "/post");
        args.extend(["-d".to_owned(), body.to_owned()]);
        let codes = assert_hidden(&args, &[], &["hunter2xyz"]);
        assert!(codes.iter().all(|c| *c == 0), "{codes:?}");
    }
}
