//! Idle WebSockets (`--hold`, `--ping-interval`): who closes a connection
//! that carries nothing — the server with a close frame, or something in
//! between with a bare TCP close or reset — and pings that keep it open.
//! In-process servers, then Debian's nginx as the reverse proxy with a short
//! `proxy_read_timeout` in front of one; usage errors; a check file; the
//! human output of a bare TCP close.

use crate::support::daemon::nginx;
use crate::support::servers::IdleEnd;
use crate::support::snapshot::{assert_human, debian_image, human};
use crate::support::{
    netdoctor, pinned, pki, run, run_check, ws_server, Run, Server, TlsServer, WsOptions, BOUNDED,
};
use std::time::Duration;

/// `check ws://good.test:PORT/ws` pinned to `server`, with `extra`.
fn hold(server: &Server, extra: &[&str]) -> Run {
    let mut args = pinned(server, "ws", "/ws");
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run_check(&args)
}

/// A WebSocket server that ends a connection idle for 1 s as `end` says.
fn idle_server(end: IdleEnd) -> Server {
    ws_server(WsOptions::idle(Duration::from_secs(1), end))
}

fn ms(run: &Run, key: &str) -> f64 {
    run.fact("websocket", key)
        .as_f64()
        .unwrap_or_else(|| panic!("no numeric {key}\n{}", run.dump()))
}

/// `closed_after_ms` lies in `lo..hi` (generous: behaviour, not speed).
fn assert_closed_after(run: &Run, lo: f64, hi: f64) {
    let after = ms(run, "closed_after_ms");
    assert!(
        (lo..hi).contains(&after),
        "closed_after_ms {after} not in {lo}..{hi}\n{}",
        run.dump()
    );
}

#[test]
fn a_close_frame_while_idle_names_the_server_its_code_and_reason() {
    let server = idle_server(IdleEnd::CloseFrame(1001, "idle timeout".to_owned()));
    let run = hold(&server, &["--hold", "3s"]);
    run.assert_fail(18, "websocket", "WS_IDLE_CLOSED")
        .assert_within(BOUNDED);
    assert_eq!(run.fact("websocket", "closed_by"), "server_close_frame");
    assert_eq!(run.fact("websocket", "close_code"), 1001, "{}", run.dump());
    assert_eq!(run.fact("websocket", "close_reason"), "idle timeout");
    assert_closed_after(&run, 500.0, 2900.0);
    let summary = run.target(0)["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.contains("1001"), "{}", run.dump());
}

#[test]
fn a_bare_tcp_close_while_idle_blames_something_in_between() {
    let server = idle_server(IdleEnd::TcpClose);
    let run = hold(&server, &["--hold", "3s"]);
    run.assert_fail(18, "websocket", "WS_IDLE_CLOSED")
        .assert_within(BOUNDED);
    assert_eq!(
        run.fact("websocket", "closed_by"),
        "tcp_close",
        "{}",
        run.dump()
    );
    assert!(run.fact("websocket", "close_code").is_null());
    assert_closed_after(&run, 500.0, 2900.0);
    let d = &run.target(0)["diagnosis"];
    let text = format!("{} {}", d["summary"], d["hint"]);
    assert!(text.contains("reverse proxy"), "{}", run.dump());
    assert!(text.contains("proxy_read_timeout"), "{}", run.dump());
}

#[test]
fn a_reset_while_idle_is_a_tcp_reset() {
    let server = idle_server(IdleEnd::TcpReset);
    let run = hold(&server, &["--hold", "3s"]);
    run.assert_fail(18, "websocket", "WS_IDLE_CLOSED")
        .assert_within(BOUNDED);
    assert_eq!(
        run.fact("websocket", "closed_by"),
        "tcp_reset",
        "{}",
        run.dump()
    );
}

#[test]
fn a_connection_that_stays_open_passes_with_held_ms() {
    let server = ws_server(WsOptions::echo());
    let run = hold(&server, &["--hold", "2s"]);
    run.assert_all_pass().assert_within(BOUNDED);
    assert!(ms(&run, "held_ms") >= 1900.0, "{}", run.dump());
    let summary = run.stage("websocket")["summary"].as_str().unwrap_or("");
    assert!(summary.contains("held idle for 2.0 s"), "{}", run.dump());
    assert!(run.fact("websocket", "closed_by").is_null());
}

#[test]
fn pings_more_often_than_the_idle_limit_keep_it_open() {
    let server = idle_server(IdleEnd::TcpClose);
    let run = hold(&server, &["--hold", "3s", "--ping-interval", "300ms"]);
    run.assert_all_pass().assert_within(BOUNDED);
    let pings = run.fact("websocket", "pings").as_u64().unwrap_or(0);
    assert!(pings >= 5, "{}", run.dump());
    let rtt = run.fact("websocket", "pong_rtt_ms");
    assert_eq!(rtt["count"].as_u64(), Some(pings), "{}", run.dump());
    for key in ["min", "avg", "max"] {
        assert!(rtt[key].is_number(), "{key}\n{}", run.dump());
    }
}

#[test]
fn max_time_cutting_the_hold_short_is_a_warning_naming_it() {
    let server = ws_server(WsOptions {
        upgrade_delay: Some(Duration::from_millis(1500)),
        ..WsOptions::echo()
    });
    let run = hold(&server, &["--hold", "2s", "--max-time", "3s"]);
    run.assert_warn("websocket", "WS_PING_TIMEOUT")
        .assert_within(BOUNDED);
    let summary = run.stage("websocket")["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains("still open when --max-time 3s"),
        "{}",
        run.dump()
    );
    assert!(ms(&run, "held_ms") < 2000.0, "{}", run.dump());
}

/// Debian's nginx proxying WebSockets to `upstream` with a 2 s read timeout.
fn nginx_in_front(upstream: &Server) -> Option<crate::support::daemon::Daemon> {
    nginx(&format!(
        "    listen 127.0.0.1:{{port}};\n    location / {{\n      proxy_pass http://127.0.0.1:{};\n      \
         proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      \
         proxy_set_header Connection \"upgrade\";\n      proxy_read_timeout 2s;\n    }}",
        upstream.port()
    ))
}

fn through(nginx: &crate::support::daemon::Daemon, extra: &[&str]) -> Run {
    let mut args = vec![
        "check".to_owned(),
        format!("ws://good.test:{}/ws", nginx.port),
        "--resolve".to_owned(),
        format!("good.test:{}:127.0.0.1", nginx.port),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run_check(&args)
}

#[test]
fn nginx_proxy_read_timeout_closes_an_idle_websocket_with_no_close_frame() {
    let upstream = ws_server(WsOptions::echo());
    let Some(nginx) = nginx_in_front(&upstream) else {
        return;
    };
    let run = through(&nginx, &["--hold", "4s"]);
    run.assert_fail(18, "websocket", "WS_IDLE_CLOSED")
        .assert_within(BOUNDED);
    assert_eq!(
        run.fact("websocket", "closed_by"),
        "tcp_close",
        "{}",
        run.dump()
    );
    assert_closed_after(&run, 1000.0, 3900.0);
}

#[test]
fn pings_keep_an_idle_websocket_open_through_nginx() {
    let upstream = ws_server(WsOptions::echo());
    let Some(nginx) = nginx_in_front(&upstream) else {
        return;
    };
    let run = through(&nginx, &["--hold", "4s", "--ping-interval", "500ms"]);
    run.assert_all_pass().assert_within(BOUNDED);
    assert!(ms(&run, "held_ms") >= 3900.0, "{}", run.dump());
    assert!(
        run.fact("websocket", "pings").as_u64().unwrap_or(0) >= 6,
        "{}",
        run.dump()
    );
}

/// `netdoctor ARGS` is a usage error (exit 2) whose message names `flags`.
fn assert_usage(args: &[&str], flags: &[&str]) {
    let r = run(netdoctor().args(args));
    assert_eq!(r.code, 2, "usage error exits 2\n{}", r.dump());
    for flag in flags {
        assert!(r.stderr.contains(flag), "names {flag}\n{}", r.dump());
    }
}

#[test]
fn hold_and_ping_interval_usage_errors() {
    let ws = "ws://good.test:1/ws";
    assert_usage(
        &["check", ws, "--ping-interval", "1s"],
        &["--ping-interval", "--hold"],
    );
    assert_usage(
        &["check", "https://good.test/", "--hold", "2s"],
        &["--hold", "WebSocket"],
    );
    assert_usage(
        &["check", ws, "--hold", "3s", "--max-time", "2s"],
        &["--hold", "--max-time"],
    );
    assert_usage(
        &["check", ws, "--hold", "2s", "--ping-interval", "2s"],
        &["--ping-interval", "--hold"],
    );
    assert_usage(
        &["check", ws, "--hold", "3s", "--ping-interval", "1ms"],
        &["--ping-interval", "0.1s"],
    );
    assert_usage(&["check", ws, "--hold", "soon"], &["--hold", "soon"]);
    assert_usage(&["openai", "--hold", "2s"], &["--hold"]);
}

#[test]
fn a_check_file_holds_its_websocket_checks() {
    let server = idle_server(IdleEnd::TcpClose);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checks.toml");
    std::fs::write(
        &path,
        format!(
            "[[check]]\nname = \"idle\"\nurl = \"ws://good.test:{port}/ws\"\n\
             resolve = [\"good.test:{port}:127.0.0.1\"]\nhold = \"3s\"\n\
             expect = \"WS_IDLE_CLOSED\"\n",
            port = server.port()
        ),
    )
    .unwrap();
    let r = run(netdoctor().arg("run").arg(&path).args(["--format", "json"]));
    r.assert_within(BOUNDED);
    assert_eq!(r.code, 0, "the expectation is met\n{}", r.dump());
    let t = r.target(0);
    assert_eq!(t["diagnosis"]["code"], "WS_IDLE_CLOSED", "{}", r.dump());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[check]]\nurl = \"https://good.test/\"\nhold = \"3s\"\n",
    )
    .unwrap();
    let r = run(netdoctor().arg("run").arg(&bad));
    assert_eq!(r.code, 2, "{}", r.dump());
    assert!(r.stderr.contains("bad.toml:"), "{}", r.dump());
    // In [defaults], `hold` applies to the WebSocket checks only.
    let mixed = dir.path().join("mixed.toml");
    std::fs::write(
        &mixed,
        format!(
            "[defaults]
hold = \"3s\"
resolve = [\"good.test:{port}:127.0.0.1\"]
\n\
             [[check]]\nurl = \"ws://good.test:{port}/ws\"\nexpect = \"WS_IDLE_CLOSED\"\n\n\
             [[check]]\nurl = \"tcp://good.test:{port}\"\n",
            port = server.port()
        ),
    )
    .unwrap();
    let r = run(netdoctor()
        .arg("run")
        .arg(&mixed)
        .args(["--format", "json"]));
    r.assert_within(BOUNDED);
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(
        r.target(0)["diagnosis"]["code"],
        "WS_IDLE_CLOSED",
        "{}",
        r.dump()
    );
    assert_eq!(r.target(1)["ok"], true, "{}", r.dump());
}

#[test]
fn snapshot_idle_closed_by_a_bare_tcp_close() {
    let server = idle_server(IdleEnd::TcpClose);
    let root = debian_image(&pki().root_pem());
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let mut args = pinned(&server, "ws", "/ws");
    args.extend(["--hold".to_owned(), "2s".to_owned()]);
    let out = human(cmd, &args);
    assert_human(
        "idle_ws_tcp_close",
        &out,
        &[
            (&root.path().display().to_string(), "[SYSROOT]"),
            (&server.port().to_string(), "[PORT]"),
        ],
    );
}

/// `--connect-to :443:127.0.0.1:PORT --cacert ROOT` for a preset.
fn preset_at(server: &Server, ca: &crate::support::CaFile, args: &[&str]) -> Run {
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    all.extend([
        "--connect-to".to_owned(),
        format!(":443:127.0.0.1:{}", server.port()),
        "--cacert".to_owned(),
        ca.arg(),
    ]);
    run_check(&all)
}

#[test]
fn the_speech_preset_holds_its_websockets() {
    let server = TlsServer::new(&pki().good(&[
        "westeurope.stt.speech.microsoft.com",
        "westeurope.tts.speech.microsoft.com",
    ]))
    .websocket(WsOptions::idle(Duration::from_secs(1), IdleEnd::TcpClose));
    let ca = pki().root_file();
    let r = preset_at(
        &server,
        &ca,
        &[
            "azure-speech",
            "--region",
            "westeurope",
            "--key",
            "k",
            "--hold",
            "3s",
        ],
    );
    r.assert_within(BOUNDED);
    assert_eq!(r.code, 18, "{}", r.dump());
    for i in 0..2 {
        let ws = r.stage_of(i, "websocket");
        assert_eq!(ws["diagnosis"]["code"], "WS_IDLE_CLOSED", "{}", r.dump());
        assert_eq!(ws["facts"]["closed_by"], "tcp_close", "{}", r.dump());
    }
}

#[test]
fn openai_realtime_holds_with_pings() {
    let server = TlsServer::new(&pki().good(&["api.openai.com"]))
        .websocket(WsOptions::idle(Duration::from_secs(1), IdleEnd::TcpClose));
    let ca = pki().root_file();
    let r = preset_at(
        &server,
        &ca,
        &[
            "openai",
            "--key",
            "k",
            "--realtime",
            "--hold",
            "2s",
            "--ping-interval",
            "300ms",
        ],
    );
    r.assert_within(BOUNDED);
    assert_eq!(r.target(1)["name"], "realtime", "{}", r.dump());
    let ws = r.stage_of(1, "websocket");
    assert_eq!(ws["status"], "pass", "{}", r.dump());
    assert!(ws["facts"]["held_ms"].as_f64().unwrap_or(0.0) >= 1900.0);
    assert!(
        ws["facts"]["pings"].as_u64().unwrap_or(0) >= 3,
        "{}",
        r.dump()
    );
}
