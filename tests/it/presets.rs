//! The presets (`azure-speech`, `openai`, `azure-openai`) and the `stream`
//! stage, against loopback fixtures that speak the services' shapes: every
//! host a preset touches is pinned with `--connect-to ::127.0.0.1:PORT`, the
//! test root given with `--cacert`.

use crate::support::servers::{bind_loopback, read_request, spawn_server};
use crate::support::{netdoctor, pki, run_json_with, Run, Server, TlsServer, WsOptions};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;

const SPEECH_KEY: &str = "speechkey0123456789abcdef";
pub(crate) const OPENAI_KEY: &str = "sk-test-0123456789abcdef";
const AZURE_KEY: &str = "azurekey0123456789abcdef";

const SPEECH_HOSTS: &[&str] = &[
    "westeurope.stt.speech.microsoft.com",
    "westeurope.tts.speech.microsoft.com",
    "westeurope.api.cognitive.microsoft.com",
];

/// What the API fixture answers.
#[derive(Clone)]
enum Reply {
    Json(u16, &'static str),
    /// 302 to another host.
    Redirect(&'static str),
    /// SSE events `gap` apart (zero: all at once after `gap_before`), optionally gzip'd.
    Sse {
        gap: Duration,
        before: Duration,
        gzip: bool,
    },
}

/// An HTTPS API on loopback: `route(request text)` picks the reply.
fn api_server(names: &[&str], route: fn(&str) -> Reply) -> Server {
    let config = TlsServer::new(&pki().good(names)).config();
    let acceptor = TlsAcceptor::from(config);
    spawn_server(bind_loopback(), move |stream, log| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            let Some(req) = read_request(&mut tls).await else {
                return;
            };
            log.lock().unwrap().push(req.clone());
            match route(&req) {
                Reply::Json(status, body) => {
                    let reason = match status {
                        200 => "OK",
                        400 => "Bad Request",
                        401 => "Unauthorized",
                        _ => "Not Found",
                    };
                    let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                    let _ = tls.write_all(head.as_bytes()).await;
                }
                Reply::Redirect(to) => {
                    let head = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    let _ = tls.write_all(head.as_bytes()).await;
                }
                Reply::Sse { gap, before, gzip } => {
                    let enc = if gzip {
                        "Content-Encoding: gzip\r\n"
                    } else {
                        ""
                    };
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n{enc}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
                    let _ = tls.write_all(head.as_bytes()).await;
                    tokio::time::sleep(before).await;
                    let mut events: Vec<String> = (1..=5)
                        .map(|i| format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{i} \"}}}}]}}\n\n"))
                        .collect();
                    events.push("data: [DONE]\n\n".to_owned());
                    if gzip {
                        use std::io::Write as _;
                        let mut enc = flate2::write::GzEncoder::new(
                            Vec::new(),
                            flate2::Compression::default(),
                        );
                        enc.write_all(events.concat().as_bytes()).unwrap();
                        let all = enc.finish().unwrap();
                        let _ = tls
                            .write_all(format!("{:x}\r\n", all.len()).as_bytes())
                            .await;
                        let _ = tls.write_all(&all).await;
                        let _ = tls.write_all(b"\r\n").await;
                    } else {
                        for e in events {
                            let _ = tls
                                .write_all(format!("{:x}\r\n{e}\r\n", e.len()).as_bytes())
                                .await;
                            let _ = tls.flush().await;
                            tokio::time::sleep(gap).await;
                        }
                    }
                    let _ = tls.write_all(b"0\r\n\r\n").await;
                }
            }
            let _ = tls.flush().await;
            let _ = tls.shutdown().await;
        }
    })
}

fn openai_routes(req: &str) -> Reply {
    let authed = req.contains(&format!("authorization: Bearer {OPENAI_KEY}"))
        || req.contains(&format!("Authorization: Bearer {OPENAI_KEY}"));
    if !req.to_ascii_lowercase().contains("authorization: bearer") {
        return Reply::Json(
            401,
            r#"{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).","type":"invalid_request_error","param":null,"code":null}}"#,
        );
    }
    if !authed {
        return Reply::Json(
            401,
            r#"{
    "error": {
        "message": "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": null,
        "code": "invalid_api_key"
    }
}"#,
        );
    }
    if req.starts_with("GET /v1/models ") {
        return Reply::Json(
            200,
            r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model"}]}"#,
        );
    }
    if req.starts_with("POST /v1/chat/completions ") {
        if req.contains("\"stream\":true") {
            return Reply::Sse {
                gap: Duration::from_millis(60),
                before: Duration::ZERO,
                gzip: false,
            };
        }
        return Reply::Json(200, r#"{"choices":[{"message":{"content":"1 2 3"}}]}"#);
    }
    Reply::Json(
        404,
        r#"{"error":{"message":"not found","code":"unknown_url"}}"#,
    )
}

/// A buffering proxy in front of the API: events all arrive at the end, gzip'd.
/// A loopback api.openai.com (models, chat, stream) for other modules' tests.
pub(crate) fn openai_server() -> Server {
    api_server(&["api.openai.com"], openai_routes)
}

fn buffered_routes(req: &str) -> Reply {
    if req.starts_with("POST /v1/chat/completions ") && req.contains("\"stream\":true") {
        return Reply::Sse {
            gap: Duration::ZERO,
            before: Duration::from_millis(400),
            gzip: true,
        };
    }
    openai_routes(req)
}

fn azure_routes(req: &str) -> Reply {
    if !req.contains(&format!("api-key: {AZURE_KEY}")) {
        return Reply::Json(
            401,
            r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#,
        );
    }
    let line = req.lines().next().unwrap_or("");
    if line.starts_with("POST /openai/v1/chat/completions ") {
        if req.contains("\"model\":\"missing\"") {
            return Reply::Json(
                404,
                r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
            );
        }
        return Reply::Json(
            400,
            r#"{"error":{"code":"BadRequest","message":"'messages' is a required property"}}"#,
        );
    }
    if !line.contains("api-version=2024-10-21") {
        return Reply::Json(
            404,
            r#"{"error":{"code":"404","message":"Resource not found"}}"#,
        );
    }
    if line.starts_with("POST /openai/deployments/missing/") {
        return Reply::Json(
            404,
            r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#,
        );
    }
    if req.contains("\"messages\"") {
        if req.contains("\"stream\":true") {
            if line.starts_with("POST /openai/deployments/nostream/") {
                return Reply::Json(
                    400,
                    r#"{"error":{"code":"OperationNotSupported","message":"The streaming operation is not supported by this deployment."}}"#,
                );
            }
            return Reply::Sse {
                gap: Duration::from_millis(60),
                before: Duration::ZERO,
                gzip: false,
            };
        }
        return Reply::Json(200, r#"{"choices":[{"message":{"content":"1 2 3"}}]}"#);
    }
    Reply::Json(
        400,
        r#"{"error":{"code":"BadRequest","message":"'messages' is a required property"}}"#,
    )
}

pub(crate) fn pin(server: &Server) -> Vec<String> {
    vec![
        "--connect-to".to_owned(),
        format!(":443:127.0.0.1:{}", server.port()),
    ]
}

fn preset(args: &[String], ca: &crate::support::CaFile) -> Run {
    let mut all = args.to_vec();
    all.extend([
        "--cacert".to_owned(),
        ca.arg(),
        "--timeout".to_owned(),
        "5s".to_owned(),
    ]);
    run_json_with(netdoctor(), &all)
}

fn assert_no_secret(r: &Run, secret: &str) {
    assert!(!r.stdout.contains(secret), "key in stdout\n{}", r.stdout);
    assert!(!r.stderr.contains(secret), "key in stderr\n{}", r.stderr);
}

fn speech_server() -> Server {
    TlsServer::new(&pki().good(SPEECH_HOSTS)).websocket(WsOptions::require_header(
        "Ocp-Apim-Subscription-Key",
        SPEECH_KEY,
    ))
}

#[test]
fn speech_with_key_passes_stt_then_tts_with_sdk_headers() {
    let server = speech_server();
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.target(0)["name"], "stt");
    assert_eq!(r.target(1)["name"], "tts");
    assert_eq!(r.stage_of(0, "websocket")["status"], "pass", "{}", r.dump());
    let reqs = server.requests();
    let stt = reqs
        .iter()
        .find(|q| q.contains("/speech/recognition/"))
        .expect("stt request");
    assert!(
        stt.starts_with(
            "GET /speech/recognition/conversation/cognitiveservices/v1?language=en-US "
        ),
        "{stt}"
    );
    assert!(
        stt.to_ascii_lowercase()
            .contains("host: westeurope.stt.speech.microsoft.com"),
        "{stt}"
    );
    let id = stt
        .lines()
        .find_map(|l| {
            l.strip_prefix("x-connectionid: ")
                .or_else(|| l.strip_prefix("X-ConnectionId: "))
        })
        .expect("X-ConnectionId sent");
    assert_eq!(id.trim().len(), 32, "{id}");
    assert!(
        reqs.iter()
            .any(|q| q.starts_with("GET /cognitiveservices/websocket/v1 ")),
        "{reqs:?}"
    );
    // A public host whose CA the user vouched for with --cacert is not interception.
    assert!(!r.stdout.contains("CERT_INTERCEPTED"), "{}", r.dump());
    assert_no_secret(&r, SPEECH_KEY);
}

#[test]
fn speech_without_key_warns_missing_key_and_exits_0() {
    let server = speech_server();
    let ca = pki().root_file();
    let mut args = crate::args!["azure-speech", "--region", "westeurope"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    r.assert_warn("auth", "AUTH_MISSING_KEY");
}

#[test]
fn speech_wrong_key_is_rejected_with_the_sdk_string_and_region_hint() {
    let server = speech_server();
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        "wrong-key-123"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(17, "auth", "AUTH_REJECTED");
    let d = &r.target(0)["diagnosis"];
    assert_eq!(
        d["client_errors"][0],
        "WebSocket upgrade failed: Authentication error (401). Please check subscription information and region name."
    );
    assert!(d["hint"].as_str().unwrap().contains("region"), "{d}");
    assert_no_secret(&r, "wrong-key-123");
}

#[test]
fn speech_key_from_azure_speech_key_variable() {
    let server = speech_server();
    let ca = pki().root_file();
    let mut args = crate::args!["azure-speech", "--region", "westeurope"];
    args.extend(pin(&server));
    let mut cmd = netdoctor();
    cmd.env("AZURE_SPEECH_KEY", SPEECH_KEY);
    args.extend(["--cacert".to_owned(), ca.arg()]);
    let r = run_json_with(cmd, &args);
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.stage_of(0, "auth")["status"], "pass", "{}", r.dump());
    assert_no_secret(&r, SPEECH_KEY);
}

#[test]
fn speech_untrusted_chain_gives_code_2859_and_withholds_the_key() {
    let server = speech_server();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY,
        "--format",
        "json"
    ];
    args.extend(pin(&server));
    let r = crate::support::run(netdoctor().args(&args));
    assert_eq!(r.code, 15, "{}", r.dump());
    let d = &r.target(0)["diagnosis"];
    assert_eq!(
        d["client_errors"][0],
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)"
    );
    assert!(
        server.requests().is_empty(),
        "no request over an untrusted chain"
    );
}

#[test]
fn speech_refused_port_gives_code_111() {
    let port = crate::support::closed_port();
    let args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--format",
        "json",
        "--connect-to",
        format!(":443:127.0.0.1:{port}")
    ];
    let r = crate::support::run(netdoctor().args(&args));
    assert_eq!(r.code, 12, "{}", r.dump());
    let e = r.target(0)["diagnosis"]["client_errors"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        e.contains("(code=111: [CONNECTION] Connection refused"),
        "{e}"
    );
}

#[test]
fn speech_with_proxy_variable_reports_direct_and_via_proxy() {
    let server = speech_server();
    let ca = pki().root_file();
    let proxy = crate::support::ProxyServer::new().start();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY
    ];
    args.extend(pin(&server));
    args.extend(["--cacert".to_owned(), ca.arg()]);
    let mut cmd = netdoctor();
    cmd.env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port()));
    let r = run_json_with(cmd, &args);
    assert_eq!(r.target(0)["name"], "stt (direct)", "{}", r.dump());
    assert_eq!(r.target(1)["name"], "stt (via proxy)", "{}", r.dump());
    let w = r.target(0)["warnings"].to_string();
    assert!(w.contains("PROXY_IGNORED_BY_CLIENT"), "{}", r.dump());
    assert!(w.contains("set_proxy"), "{w}");
    assert!(w.contains("both paths work"), "{w}");
    assert_no_secret(&r, SPEECH_KEY);
}

/// A named preset in a check file renames its targets (`speech: stt
/// (direct)`); the direct-vs-proxy conclusion keys on the checks' roles, so
/// it is still drawn.
#[test]
fn named_speech_preset_in_a_check_file_still_concludes_direct_vs_proxy() {
    let server = speech_server();
    let ca = pki().root_file();
    let proxy = crate::support::ProxyServer::new().start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("checks.toml");
    let text = format!(
        "[[check]]\nname = \"speech\"\npreset = \"azure-speech\"\nregion = \"westeurope\"\n\
         key = \"{SPEECH_KEY}\"\nconnect-to = [\":443:127.0.0.1:{}\"]\ncacert = {:?}\n",
        server.port(),
        ca.arg()
    );
    std::fs::write(&file, text).expect("write the check file");
    let mut cmd = netdoctor();
    cmd.env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port()));
    let r = run_json_with(cmd, &["run".to_owned(), file.display().to_string()]);
    assert_eq!(r.target(0)["name"], "speech: stt (direct)", "{}", r.dump());
    assert_eq!(
        r.target(1)["name"],
        "speech: stt (via proxy)",
        "{}",
        r.dump()
    );
    let w = r.target(0)["warnings"].to_string();
    assert!(w.contains("PROXY_IGNORED_BY_CLIENT"), "{}", r.dump());
    assert!(
        w.contains("both paths work"),
        "the conclusion is drawn for renamed checks too\n{}",
        r.dump()
    );
    assert_no_secret(&r, SPEECH_KEY);
}

#[test]
fn openai_models_with_key_and_stream_pass() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY, "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    let s = r.stage_of(0, "stream");
    assert_eq!(s["status"], "pass", "{}", r.dump());
    assert_eq!(s["facts"]["events"], 5, "{s}");
    assert_eq!(s["facts"]["done"], true, "{s}");
    let reqs = server.requests();
    assert!(reqs[0].starts_with("GET /v1/models "), "{reqs:?}");
    let chat = reqs
        .iter()
        .find(|q| q.starts_with("POST /v1/chat/completions "))
        .expect("chat");
    assert!(chat.contains("Accept-Encoding: gzip, deflate"), "{chat}");
    assert!(chat.contains("\"model\":\"gpt-4o-mini\""), "{chat}");
    assert_no_secret(&r, OPENAI_KEY);
}

#[test]
fn openai_wrong_key_quotes_invalid_api_key() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", "sk-wrong"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(17, "auth", "AUTH_REJECTED");
    let s = r.target(0)["diagnosis"]["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(s.contains("invalid_api_key"), "{s}");
}

#[test]
fn openai_without_key_quotes_the_service() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    r.assert_warn("auth", "AUTH_MISSING_KEY");
    assert!(
        r.stdout.contains("You didn't provide an API key"),
        "{}",
        r.dump()
    );
    assert_eq!(r.stage_of(0, "stream")["status"], "skipped", "{}", r.dump());
}

#[test]
fn openai_buffered_gzip_stream_warns() {
    let server = api_server(&["api.openai.com"], buffered_routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY, "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    r.assert_warn("stream", "STREAM_BUFFERED");
    assert_eq!(r.stage_of(0, "stream")["facts"]["content_encoding"], "gzip");
}

#[test]
fn azure_openai_deployment_proven_by_400() {
    let server = api_server(&["res.openai.azure.com"], azure_routes);
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-openai",
        "--endpoint",
        "https://res.openai.azure.com",
        "--deployment",
        "gpt4o",
        "--key",
        AZURE_KEY,
        "--stream"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.stage_of(0, "stream")["status"], "pass", "{}", r.dump());
    let reqs = server.requests();
    assert!(
        reqs[0]
            .starts_with("POST /openai/deployments/gpt4o/chat/completions?api-version=2024-10-21 "),
        "{reqs:?}"
    );
    assert!(reqs[0].ends_with("\r\n\r\n{}"), "{reqs:?}");
    assert_no_secret(&r, AZURE_KEY);
}

#[test]
fn azure_openai_missing_deployment_fails_quoting_it() {
    let server = api_server(&["res.openai.azure.com"], azure_routes);
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-openai",
        "--endpoint",
        "https://res.openai.azure.com",
        "--deployment",
        "missing",
        "--key",
        AZURE_KEY
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(16, "http", "HTTP_NOT_FOUND");
    assert!(
        r.target(0)["diagnosis"]["summary"]
            .as_str()
            .unwrap()
            .contains("DeploymentNotFound"),
        "{}",
        r.dump()
    );
}

#[test]
fn azure_openai_bad_api_version_fails() {
    let server = api_server(&["res.openai.azure.com"], azure_routes);
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-openai",
        "--endpoint",
        "https://res.openai.azure.com",
        "--deployment",
        "gpt4o",
        "--key",
        AZURE_KEY,
        "--api-version",
        "2023-01-01"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(16, "http", "HTTP_API_VERSION");
}

#[test]
fn azure_openai_stream_rejected_when_only_stream_fails() {
    let server = api_server(&["res.openai.azure.com"], azure_routes);
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-openai",
        "--endpoint",
        "https://res.openai.azure.com",
        "--deployment",
        "nostream",
        "--key",
        AZURE_KEY,
        "--stream"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(19, "stream", "STREAM_REJECTED");
    assert!(r.stdout.contains("OperationNotSupported"), "{}", r.dump());
}

#[test]
fn keys_from_env_are_hidden_in_help() {
    let out = netdoctor()
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .args(["openai", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OPENAI_API_KEY"), "{text}");
    assert!(!text.contains(OPENAI_KEY), "{text}");
}

/// The token service and the Speech upgrade behind one TLS port: the
/// upgrade needs the issued token as a Bearer.
fn speech_token_server() -> Server {
    let config = TlsServer::new(&pki().good(SPEECH_HOSTS)).config();
    let acceptor = TlsAcceptor::from(config);
    spawn_server(bind_loopback(), move |stream, log| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            let Some(req) = read_request(&mut tls).await else {
                return;
            };
            log.lock().unwrap().push(req.clone());
            let reply = if req.starts_with("POST /sts/v1.0/issueToken ") {
                if req.contains(&format!("Ocp-Apim-Subscription-Key: {SPEECH_KEY}")) {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ISSUED}", ISSUED.len())
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_owned()
                }
            } else if req.contains(&format!("Authorization: Bearer {ISSUED}")) {
                // Enough of an upgrade for the test: 200 (the SDK's "Unspecified connection error (200)").
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_owned()
            } else {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = tls.write_all(reply.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    })
}

const ISSUED: &str = "eyJhbGciOiJIUzI1NiJ9.issued-token-for-tests.c2lnbmF0dXJl";

#[test]
fn speech_token_is_issued_then_sent_as_bearer_and_reported_last() {
    let server = speech_token_server();
    let ca = pki().root_file();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY,
        "--token"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    let names: Vec<String> = (0..3)
        .map(|i| r.target(i)["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["stt", "tts", "token"], "{}", r.dump());
    assert_eq!(r.stage_of(2, "http")["status"], "pass", "{}", r.dump());
    // The upgrade carried the token (the fixture then answers 200, not 101).
    assert_eq!(r.stage_of(0, "auth")["status"], "pass", "{}", r.dump());
    r.assert_fail(18, "websocket", "WS_UPGRADE_IGNORED");
    assert_eq!(
        r.target(0)["diagnosis"]["client_errors"][0],
        "WebSocket upgrade failed: Unspecified connection error (200)."
    );
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .any(|q| q.starts_with("GET /speech/") && q.contains(ISSUED)),
        "{reqs:?}"
    );
    assert!(
        !reqs
            .iter()
            .any(|q| q.starts_with("GET /speech/") && q.contains(SPEECH_KEY)),
        "{reqs:?}"
    );
    assert_no_secret(&r, SPEECH_KEY);
    assert_no_secret(&r, ISSUED);
}

/// The human reports quoted in the README, pinned as snapshots
/// (`tests/it/snapshots/readme_*.snap`): the README shows real output, and a
/// change to it shows up here. Each runs in a Debian image trusting the test
/// root, so the machine's own stores and resolver stay out of it. The
/// `--stream` samples are the stream family's snapshots.
#[test]
fn readme_samples() {
    use crate::support::snapshot::{assert_human, debian_image, human};
    let ca = pki().root_file();
    let image = debian_image(&pki().root_pem());
    let sample = |name: &str, mut args: Vec<String>, env: &[(&str, String)]| {
        let mut cmd = netdoctor();
        cmd.env("NETDOCTOR_SYSROOT", image.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        args.extend(["--cacert".to_owned(), ca.arg()]);
        let out = human(cmd, &args);
        for secret in [SPEECH_KEY, OPENAI_KEY, AZURE_KEY] {
            assert!(!out.contains(secret), "{name} prints a key:\n{out}");
        }
        assert_human(
            name,
            &out,
            &[
                (&ca.arg(), "[CA]"),
                (&image.path().display().to_string(), "[SYSROOT]"),
            ],
        );
    };
    let speech = speech_server();
    let proxy = crate::support::ProxyServer::new().start();
    let mut a = crate::args!["azure-speech", "--region", "westeurope"];
    a.extend(pin(&speech));
    sample(
        "readme_azure_speech_via_proxy",
        a,
        &[
            ("SPEECH_KEY", SPEECH_KEY.to_owned()),
            ("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port())),
        ],
    );
    let mut a = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        "wrong-key-123"
    ];
    a.extend(pin(&speech));
    sample("readme_azure_speech_wrong_key", a, &[]);
    let api = api_server(&["api.openai.com"], buffered_routes);
    let mut a = crate::args!["openai", "--stream"];
    a.extend(pin(&api));
    sample(
        "readme_openai_stream",
        a,
        &[("OPENAI_API_KEY", OPENAI_KEY.to_owned())],
    );
    let az = api_server(&["res.openai.azure.com"], azure_routes);
    let azure = |deployment: &str, stream: bool| {
        let mut a = crate::args![
            "azure-openai",
            "--endpoint",
            "https://res.openai.azure.com",
            "--deployment",
            deployment
        ];
        if stream {
            a.push("--stream".to_owned());
        }
        a.extend(pin(&az));
        a
    };
    let key = [("AZURE_OPENAI_API_KEY", AZURE_KEY.to_owned())];
    sample(
        "readme_azure_openai_missing_deployment",
        azure("missing", false),
        &key,
    );
    sample("readme_azure_openai_stream", azure("gpt4o", true), &key);
    sample(
        "readme_azure_openai_stream_unsupported",
        azure("nostream", true),
        &key,
    );
}

#[test]
fn check_file_presets_expand_with_their_options_as_keys() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let ca = pki().root_file();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(
        &file,
        format!(
            "[defaults]\ntimeout = \"5s\"\ncacert = {:?}\nconnect-to = [\":443:127.0.0.1:{}\"]\n\n\
             [[check]]\nname = \"openai\"\npreset = \"openai\"\nkey = \"{OPENAI_KEY}\"\nstream = true\n\n\
             [[check]]\nname = \"bad key\"\npreset = \"openai\"\nkey = \"sk-wrong\"\nexpect = \"AUTH_REJECTED\"\n",
            ca.arg(),
            server.port()
        ),
    )
    .unwrap();
    let r = run_json_with(
        netdoctor(),
        &[String::from("run"), file.display().to_string()],
    );
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.target(0)["name"], "openai: models");
    assert_eq!(r.stage_of(0, "stream")["status"], "pass", "{}", r.dump());
    assert_eq!(r.target(1)["expect"], "AUTH_REJECTED");
    assert_eq!(r.target(1)["met"], true, "{}", r.dump());
    assert_no_secret(&r, OPENAI_KEY);

    std::fs::write(&file, "[[check]]\npreset = \"openai\"\nregion = \"x\"\n").unwrap();
    let r = crate::support::run(netdoctor().args(["run", &file.display().to_string()]));
    assert_eq!(r.code, 2, "{}", r.dump());
    assert!(r.stderr.contains("unknown key `region`"), "{}", r.stderr);
}

#[test]
fn openai_realtime_upgrades_with_the_bearer_key() {
    let server = TlsServer::new(&pki().good(&["api.openai.com"])).websocket(
        WsOptions::require_header("Authorization", &format!("Bearer {OPENAI_KEY}")),
    );
    let ca = pki().root_file();
    let mut args = crate::args![
        "openai",
        "--key",
        OPENAI_KEY,
        "--realtime",
        "--model",
        "gpt-test-rt"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.target(1)["name"], "realtime", "{}", r.dump());
    assert_eq!(r.stage_of(1, "websocket")["status"], "pass", "{}", r.dump());
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .any(|q| q.starts_with("GET /v1/realtime?model=gpt-test-rt ")),
        "{reqs:?}"
    );
    assert_no_secret(&r, OPENAI_KEY);
}

const SDK_2859: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)";

/// One opaque SDK `code=2859`, several diagnoses.
#[test]
fn speech_code_2859_becomes_distinct_diagnoses() {
    let ca = pki().root_file();
    let expired = TlsServer::new(&pki().expired(SPEECH_HOSTS)).websocket(
        WsOptions::require_header("Ocp-Apim-Subscription-Key", SPEECH_KEY),
    );
    let plaintext = crate::support::plaintext_http_on_tls_port();
    for (server, exit, layer, code) in [
        (&expired, 15, "certificate", "CERT_EXPIRED"),
        (&plaintext, 14, "tls", "TLS_PLAINTEXT_RESPONSE"),
    ] {
        let mut args = crate::args![
            "azure-speech",
            "--region",
            "westeurope",
            "--key",
            SPEECH_KEY
        ];
        args.extend(pin(server));
        let r = preset(&args, &ca);
        r.assert_fail(exit, layer, code);
        assert_eq!(
            r.target(0)["diagnosis"]["client_errors"][0],
            SDK_2859,
            "{}",
            r.dump()
        );
        assert_eq!(
            r.target(0)["diagnosis"]["client_errors"][1],
            "CancellationErrorCode.ConnectionFailure"
        );
        assert_no_secret(&r, SPEECH_KEY);
    }
}

#[test]
fn speech_nxdomain_gives_code_minus_2() {
    let dns = crate::support::DnsServer::start();
    let args = crate::args![
        "azure-speech",
        "--endpoint",
        "https://nxdomain.test",
        "--format",
        "json",
        "--resolver",
        dns.resolver_arg()
    ];
    let r = crate::support::run(netdoctor().args(&args));
    assert_eq!(r.code, 11, "{}", r.dump());
    assert_eq!(
        r.target(0)["target"],
        "wss://nxdomain.test/stt/speech/recognition/conversation/cognitiveservices/v1?language=en-US"
    );
    let e = r.target(0)["diagnosis"]["client_errors"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        e.ends_with("(code=-2: [DNS] DNS resolution failed - hostname not found …)"),
        "{e}"
    );
}

#[test]
fn openai_region_not_supported_is_quoted() {
    fn routes(_: &str) -> Reply {
        Reply::Json(
            403,
            r#"{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}"#,
        )
    }
    let server = api_server(&["api.openai.com"], routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(17, "auth", "AUTH_FORBIDDEN");
    let s = r.target(0)["diagnosis"]["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        s.contains(
            "unsupported_country_region_territory: \"Country, region, or territory not supported\""
        ),
        "{s}"
    );
}

#[test]
fn openai_wrong_base_url_fails_not_found() {
    fn routes(_: &str) -> Reply {
        Reply::Json(
            404,
            r#"{"error":{"message":"Invalid URL (GET /v2/models)","type":"invalid_request_error","code":null}}"#,
        )
    }
    let server = api_server(&["api.openai.com"], routes);
    let ca = pki().root_file();
    let mut args = crate::args![
        "openai",
        "--key",
        OPENAI_KEY,
        "--base-url",
        "https://api.openai.com/v2"
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    // A wrong base URL is a misconfiguration: the preset fails it.
    r.assert_fail(16, "http", "HTTP_NOT_FOUND");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_redirect_to_another_host_is_reported_not_followed() {
    fn routes(_: &str) -> Reply {
        Reply::Redirect("https://collector.example/v1/models")
    }
    let server = api_server(&["api.openai.com"], routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY, "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 19, "{}", r.dump());
    assert_eq!(
        r.stage_of(0, "http")["diagnosis"]["code"],
        "HTTP_REDIRECT",
        "{}",
        r.dump()
    );
    let s = r.stage_of(0, "stream")["diagnosis"]["summary"].to_string();
    assert!(
        s.contains("redirect to https://collector.example/v1/models"),
        "{s}"
    );
    // Requests only to the named host (models, stream, stream without
    // `stream`); the key goes nowhere else.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    assert!(
        reqs.iter().all(|q| q.contains("Host: api.openai.com")),
        "{reqs:?}"
    );
    assert_no_secret(&r, OPENAI_KEY);
}

#[test]
fn azure_openai_v1_path_sends_the_deployment_as_model() {
    let server = api_server(&["res.cognitiveservices.azure.com"], azure_routes);
    let ca = pki().root_file();
    for (deployment, exit) in [("gpt4o", 0), ("missing", 16)] {
        let mut args = crate::args![
            "azure-openai",
            "--endpoint",
            "https://res.cognitiveservices.azure.com/",
            "--deployment",
            deployment,
            "--api-version",
            "v1",
            "--key",
            AZURE_KEY
        ];
        args.extend(pin(&server));
        let r = preset(&args, &ca);
        assert_eq!(r.code, exit, "{}", r.dump());
    }
    let reqs = server.requests();
    assert!(
        reqs[0].starts_with("POST /openai/v1/chat/completions HTTP/1.1"),
        "{reqs:?}"
    );
    assert!(reqs[0].ends_with("{\"model\":\"gpt4o\"}"), "{reqs:?}");
}

#[test]
fn openai_stream_answered_with_json_is_not_sse() {
    fn routes(req: &str) -> Reply {
        if req.starts_with("POST /v1/chat/completions ") {
            // A gateway that answers the streaming request in one JSON piece.
            return Reply::Json(200, r#"{"choices":[{"message":{"content":"1 2 3"}}]}"#);
        }
        openai_routes(req)
    }
    let server = api_server(&["api.openai.com"], routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY, "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(19, "stream", "STREAM_NOT_SSE");
    assert_eq!(
        r.stage_of(0, "stream")["facts"]["content_type"],
        "application/json"
    );
}

#[test]
fn insecure_withholds_the_key_and_skips_the_stream() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let mut args = crate::args![
        "openai",
        "--key",
        OPENAI_KEY,
        "--stream",
        "--insecure",
        "--format",
        "json"
    ];
    args.extend(pin(&server));
    let r = crate::support::run(netdoctor().args(&args));
    assert_eq!(r.stage_of(0, "stream")["status"], "skipped", "{}", r.dump());
    assert!(
        server.requests().iter().all(|q| !q.contains(OPENAI_KEY)),
        "the key went over an untrusted chain"
    );
    assert_no_secret(&r, OPENAI_KEY);
}

#[test]
fn speech_with_proxy_flag_goes_through_it_without_a_split() {
    let server = speech_server();
    let ca = pki().root_file();
    let proxy = crate::support::ProxyServer::new().start();
    let mut args = crate::args![
        "azure-speech",
        "--region",
        "westeurope",
        "--key",
        SPEECH_KEY,
        "--proxy",
        format!("http://127.0.0.1:{}", proxy.port())
    ];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.target(0)["name"], "stt", "{}", r.dump());
    assert_eq!(r.stage_of(0, "proxy")["status"], "pass", "{}", r.dump());
    assert!(
        !r.stdout.contains("PROXY_IGNORED_BY_CLIENT"),
        "{}",
        r.dump()
    );
}

/// The chat request fails with and without `stream` (here: a model the
/// account cannot use): the stream stage's diagnosis is a `STREAM_` code
/// (the request, not streaming, is refused), quoting the service's error.
#[test]
fn stream_failing_with_and_without_stream_is_stream_request_failed() {
    fn routes(req: &str) -> Reply {
        if req.starts_with("POST /v1/chat/completions ") {
            return Reply::Json(
                404,
                r#"{"error":{"message":"The model `gpt-4o-mini` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            );
        }
        openai_routes(req)
    }
    let server = api_server(&["api.openai.com"], routes);
    let ca = pki().root_file();
    let mut args = crate::args!["openai", "--key", OPENAI_KEY, "--stream"];
    args.extend(pin(&server));
    let r = preset(&args, &ca);
    r.assert_fail(19, "stream", "STREAM_REQUEST_FAILED");
    let d = &r.stage_of(0, "stream")["diagnosis"];
    assert_eq!(d["layer"], "stream", "{}", r.dump());
    let s = d["summary"].as_str().unwrap_or("");
    assert!(
        s.contains("fails with and without stream (404 / 404)"),
        "{s}"
    );
    assert!(s.contains("model_not_found"), "{s}");
    assert_eq!(
        r.stage_of(0, "stream")["facts"]["without_stream_status"],
        404,
        "{}",
        r.dump()
    );
    assert_no_secret(&r, OPENAI_KEY);
}

/// A plain-http OpenAI-style API on loopback (`openai_routes`; events 60 ms
/// apart), for `--base-url http://…`.
fn plain_api_server() -> Server {
    spawn_server(bind_loopback(), |mut stream, log| async move {
        let Some(req) = read_request(&mut stream).await else {
            return;
        };
        log.lock().unwrap().push(req.clone());
        match openai_routes(&req) {
            Reply::Sse { gap, .. } => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                let _ = stream.write_all(head.as_bytes()).await;
                let mut events: Vec<String> = (1..=5)
                    .map(|i| {
                        format!(
                            "data: {{\"choices\":[{{\"delta\":{{\"content\":\"{i} \"}}}}]}}\n\n"
                        )
                    })
                    .collect();
                events.push("data: [DONE]\n\n".to_owned());
                for e in events {
                    let chunk = format!("{:x}\r\n{e}\r\n", e.len());
                    let _ = stream.write_all(chunk.as_bytes()).await;
                    let _ = stream.flush().await;
                    tokio::time::sleep(gap).await;
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
            }
            Reply::Json(status, body) => {
                let head = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = stream.write_all(head.as_bytes()).await;
            }
            Reply::Redirect(_) => {}
        }
        let _ = stream.shutdown().await;
    })
}

/// `--stream` against a plain-http base URL through an `http_proxy`: the
/// stream stage's own request goes to the proxy in absolute-form (with the
/// proxy's credentials), as the http stage's does, and the stage passes.
#[test]
fn stream_through_a_plain_http_proxy_passes() {
    let api = plain_api_server();
    let proxy = crate::support::ProxyServer::new()
        .basic_auth("bob", "s3cret")
        .route("api.test", api.addr())
        .start();
    let base = format!("http://api.test:{}/v1", api.port());
    let args = crate::args![
        "openai",
        "--key",
        OPENAI_KEY,
        "--base-url",
        base,
        "--stream"
    ];
    let mut cmd = netdoctor();
    cmd.env(
        "http_proxy",
        format!("http://bob:s3cret@127.0.0.1:{}", proxy.port()),
    );
    let r = run_json_with(cmd, &args);
    assert_eq!(r.code, 0, "{}", r.dump());
    let s = r.stage_of(0, "stream");
    assert_eq!(s["status"], "pass", "{}", r.dump());
    assert_eq!(s["facts"]["events"], 5, "{s}");
    let via_proxy = proxy.requests();
    let chat = via_proxy
        .iter()
        .find(|q| q.contains("/v1/chat/completions"))
        .expect("the stream request went through the proxy");
    assert!(
        chat.starts_with(&format!(
            "POST http://api.test:{}/v1/chat/completions HTTP/1.1\r\n",
            api.port()
        )),
        "{chat}"
    );
    assert!(chat.contains("Proxy-Authorization: Basic "), "{chat}");
    assert_no_secret(&r, OPENAI_KEY);
    assert_no_secret(&r, "s3cret");
}

/// A resolver that answers the first `A` query for any name with 127.0.0.1
/// and NXDOMAIN after that: two nameservers behind one address, only one of
/// which has the (private) zone. Its UDP port, for `--resolver`.
fn flapping_resolver() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut answered = false;
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let q = &buf[..n];
            // The question: labels up to the root, then type and class.
            let mut end = 12;
            while end < n && q[end] != 0 {
                end += 1 + usize::from(q[end]);
            }
            if end + 5 > n {
                continue;
            }
            let qtype = u16::from_be_bytes([q[end + 1], q[end + 2]]);
            let answer = qtype == 1 && !answered;
            answered |= qtype == 1;
            let rcode = if qtype == 1 && !answer { 3 } else { 0 };
            let mut r = q[..2].to_vec();
            r.extend_from_slice(&[0x81, 0x80 | rcode, 0, 1, 0, u8::from(answer), 0, 0, 0, 0]);
            r.extend_from_slice(&q[12..end + 5]);
            if answer {
                r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
            }
            let _ = socket.send_to(&r, from);
        }
    });
    port
}

/// A name that stops resolving between the http stage and the stream
/// stage's own connection: the stream stage reports the dns step's own
/// code (DNS_NXDOMAIN), not an http one.
#[test]
fn stream_connection_that_does_not_resolve_is_a_dns_code() {
    let server = api_server(&["api.openai.com"], openai_routes);
    let ca = pki().root_file();
    let dns = flapping_resolver();
    let base = format!("https://api.openai.com:{}/v1", server.port());
    let args = crate::args![
        "openai",
        "--key",
        OPENAI_KEY,
        "--base-url",
        base,
        "--stream",
        "--resolver",
        format!("127.0.0.1:{dns}"),
        "-4"
    ];
    let r = preset(&args, &ca);
    assert_eq!(r.stage_of(0, "dns")["status"], "pass", "{}", r.dump());
    assert_eq!(r.stage_of(0, "http")["status"], "pass", "{}", r.dump());
    let s = r.stage_of(0, "stream");
    assert_eq!(s["status"], "fail", "{}", r.dump());
    assert_eq!(s["diagnosis"]["code"], "DNS_NXDOMAIN", "{}", r.dump());
    assert_eq!(s["diagnosis"]["layer"], "dns", "{}", r.dump());
    // The stage that failed is the stream stage (exit 19), its cause DNS.
    assert_eq!(r.code, 19, "{}", r.dump());
    assert_eq!(r.target(0)["failed_layer"], "stream", "{}", r.dump());
    assert_eq!(
        r.target(0)["diagnosis"]["code"],
        "DNS_NXDOMAIN",
        "{}",
        r.dump()
    );
}
