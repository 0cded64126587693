//! MTU black holes (`TCP_PATH_MTU`): a real one, made as root in a network
//! namespace of the test's own (`unshare -n`): loopback's MTU set to 1500
//! (its default, 65536, would carry anything), a TLS server whose chain is
//! over 1 KB, and an iptables rule that drops every packet of 700
//! bytes or more from the server. The server's certificate flight is then
//! lost, and a connection announcing MSS 536 (segments of 588 bytes) gets
//! it. The server is Debian's nginx (concurrent, as real servers are:
//! `openssl s_server` serves one connection at a time, so the retry would
//! wait for the stalled one). Where the namespace cannot be made (not root,
//! no `unshare`, `ip`, `iptables` or nginx) the test says so through
//! `support::skip`, never silently.
//!
//! Without a namespace (and without root): a server that answers only
//! connections announcing a small MSS (what a black hole lets through) is
//! `TCP_PATH_MTU`; a silent server is not (the retry stalls too:
//! `TLS_TIMEOUT`, within its deadline); through a proxy nothing is retried;
//! and a server that answers costs no second connection.

use crate::support::daemon::{shared_dir, write};
use crate::support::servers::{serve_http, spawn_server};
use crate::support::snapshot::{assert_human, debian_image};
use crate::support::{
    blackhole, pinned, pinned_trusted, pki, run_check, skip, text, Response, Run, Server,
    TlsServer, BOUNDED, GOOD_NAMES,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The port of the TLS server inside the namespace (nothing else listens there).
const PORT: u16 = 8443;

/// What runs inside the namespace: the black hole, the server, then
/// netdoctor twice (`--format json`, then the human output); each output
/// and exit code goes to a file in `$D`. Exit 97 when the namespace cannot
/// be set up (the reason on stderr).
const SCRIPT: &str = r#"
set -u
D="$1"; shift
fail() { echo "$1" >&2; exit 97; }
ip link set lo up || fail "ip link set lo up failed"
ip link set lo mtu 1500 || fail "ip link set lo mtu 1500 failed"
# One segment per packet, as on a real link: with GSO, iptables sees
# loopback's 64 KB super-packets instead of the segments.
ip link set lo gso_max_segs 1 2>/dev/null || true
/usr/sbin/nginx -p "$D" -c "$D/nginx.conf" >"$D/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null' EXIT
up=""
for _ in $(seq 200); do
  if (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null; then up=1; break; fi
  sleep 0.05
done
[ -n "$up" ] || fail "nginx did not listen: $(cat "$D/server.log" "$D/error.log")"
iptables -A OUTPUT -o lo -p tcp --sport 8443 -m length --length 700:65535 -j DROP \
  || fail "iptables could not add the rule"
"$ND" "$@" --format json >"$D/json" 2>"$D/json.err"; echo $? >"$D/json.rc"
"$ND" "$@" --color never >"$D/human" 2>"$D/human.err"; echo $? >"$D/human.rc"
"#;

/// What the namespace run left: the JSON run and the human output.
struct Outputs {
    run: Run,
    human: String,
}

/// Runs [`SCRIPT`] in a new network namespace with netdoctor's `args`, in
/// the image at `sysroot` (`NETDOCTOR_SYSROOT`, so that the machine's own
/// stores and resolver stay out of the output); `None` (said loudly) when
/// the namespace cannot be made here.
fn in_black_hole(dir: &Path, sysroot: &Path, args: &[String]) -> Option<Outputs> {
    let root = Command::new("id").arg("-u").output().ok();
    if root.is_none_or(|o| String::from_utf8_lossy(&o.stdout).trim() != "0") {
        skip(
            "an MTU black hole needs root (unshare -n, iptables)",
            "iptables iproute2 util-linux (and run as root)",
        );
        return None;
    }
    for (tool, package) in [
        ("unshare", "util-linux"),
        ("ip", "iproute2"),
        ("iptables", "iptables"),
        ("/usr/sbin/nginx", "nginx-light"),
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool} >/dev/null")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            skip(&format!("{tool} is not installed"), package);
            return None;
        }
    }
    let started = Instant::now();
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "--", "bash", "-c", SCRIPT, "bash"])
        .arg(dir)
        .args(args)
        .env_clear()
        .env("ND", env!("CARGO_BIN_EXE_netdoctor"))
        .env("NETDOCTOR_SYSROOT", sysroot);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let out = cmd.output().expect("spawn unshare");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() != Some(0) {
        skip(
            &format!(
                "no MTU black hole in a network namespace here (unshare -n exit {:?}): {}",
                out.status.code(),
                stderr.trim()
            ),
            "iptables iproute2 util-linux",
        );
        return None;
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let stdout = read("json");
    let run = Run {
        code: read("json.rc").trim().parse().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: read("json.err"),
        elapsed,
    };
    let human = format!(
        "$ netdoctor {}\n{}{}(exit {})\n",
        args.join(" "),
        read("human"),
        match read("human.err") {
            e if e.is_empty() => String::new(),
            e => format!("--- stderr ---\n{e}"),
        },
        read("human.rc").trim()
    );
    eprintln!("{}\n{human}", run.dump());
    Some(Outputs { run, human })
}

/// Writes nginx's configuration, the good chain (over 1 KB, so that its
/// flight cannot pass the black hole), its key and the test root into `dir`.
fn write_server_files(dir: &Path) -> String {
    let leaf = pki().huge(GOOD_NAMES, 600);
    let size: usize = leaf.chain.iter().map(|c| c.as_ref().len()).sum();
    assert!(size > 1024, "the chain is {size} bytes");
    let key = rcgen::KeyPair::try_from(leaf.key_der.as_slice()).expect("the leaf's key");
    write(dir, "fullchain.pem", &leaf.pem.concat());
    write(dir, "key.pem", &key.serialize_pem());
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         server {{\n    listen 127.0.0.1:{PORT} ssl;\n\
         ssl_certificate {d}/fullchain.pem;\n    ssl_certificate_key {d}/key.pem;\n\
         ssl_protocols TLSv1.2 TLSv1.3;\n\
         location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n"
    );
    write(dir, "nginx.conf", &conf);
    write(dir, "root.pem", &pki().root_pem())
}

/// The handshake's certificate flight is lost at full size and passes with
/// MSS 536: `TCP_PATH_MTU`, reported by the tls stage (exit 14), with the
/// MSS that worked and what the default connection got.
#[test]
fn a_black_hole_is_tcp_path_mtu_on_the_tls_stage() {
    let dir = shared_dir();
    let ca = write_server_files(dir.path());
    let args: Vec<String> = [
        "check",
        &format!("https://good.test:{PORT}/"),
        "--resolve",
        &format!("good.test:{PORT}:127.0.0.1"),
        "--cacert",
        &ca,
        "--timeout",
        "4s",
    ]
    .map(String::from)
    .to_vec();
    let image = debian_image(&pki().root_pem());
    let Some(Outputs { run, human }) = in_black_hole(dir.path(), image.path(), &args) else {
        return;
    };
    let t = run.target(0);
    assert_eq!(run.code, 14, "exit code\n{}", run.dump());
    assert_eq!(t["failed_layer"], "tls", "{}", run.dump());
    assert_eq!(t["diagnosis"]["code"], "TCP_PATH_MTU", "{}", run.dump());
    // The code's own layer is tcp (the path); the stage that stalled is tls.
    assert_eq!(t["diagnosis"]["layer"], "tcp", "{}", run.dump());
    let stage = run.stage("tls");
    assert_eq!(stage["status"], "fail", "{}", run.dump());
    assert_eq!(stage["diagnosis"]["code"], "TCP_PATH_MTU", "{}", run.dump());
    let mtu = &stage["facts"]["path_mtu"];
    assert_eq!(mtu["mss"], 536, "{}", run.dump());
    assert_eq!(mtu["retry"], "completed", "{}", run.dump());
    assert_eq!(mtu["default_bytes_received"], 0, "{}", run.dump());
    assert!(
        mtu["default_waited_ms"].as_f64().is_some(),
        "{}",
        run.dump()
    );
    // The small-MSS handshake's own parameters are there too.
    assert_eq!(stage["facts"]["chain_length"], 2, "{}", run.dump());
    let summary = text(&stage["diagnosis"]["summary"]);
    assert!(summary.contains("mss 536"), "{}", run.dump());
    let hint = text(&stage["diagnosis"]["hint"]);
    for fix in [
        "--mtu",
        "com.docker.network.driver.mtu",
        "clamp-mss-to-pmtu",
    ] {
        assert!(hint.contains(fix), "{fix} not in the hint\n{}", run.dump());
    }
    run.assert_within(BOUNDED);
    let sysroot = image.path().display().to_string();
    assert_human(
        "mtu_black_hole",
        &human,
        &[(ca.as_str(), "[CA]"), (sysroot.as_str(), "[SYSROOT]")],
    );
}

/// A server that accepts and never answers is not an MTU black hole: the
/// small-MSS retry stalls too, and the stage is `TLS_TIMEOUT` at its
/// deadline, its facts saying so.
#[test]
fn a_silent_server_is_still_a_tls_timeout_within_its_deadline() {
    let server = blackhole();
    let mut args = pinned(&server, "https", "/");
    args.extend(["--timeout".to_owned(), "2s".to_owned()]);
    let run = run_check(&args);
    run.assert_fail(14, "tls", "TLS_TIMEOUT")
        .assert_within(BOUNDED);
    let mtu = &run.stage("tls")["facts"]["path_mtu"];
    assert_eq!(mtu["mss"], 536, "{}", run.dump());
    assert_eq!(mtu["retry"], "stalled", "{}", run.dump());
    assert!(
        run.stage("tls")["facts"]["timeout_ms"].as_u64().is_some(),
        "{}",
        run.dump()
    );
    // One extra attempt, no extra time: the stage ends at its own deadline.
    let took = run.stage("tls")["duration_ms"].as_f64().unwrap_or_default();
    assert!(
        took < 3_000.0,
        "the tls stage took {took} ms\n{}",
        run.dump()
    );
}

/// A TLS server that counts the connections it accepts.
fn counting_tls_server() -> Server {
    let acceptor =
        tokio_rustls::TlsAcceptor::from(TlsServer::new(&pki().good(GOOD_NAMES)).config());
    spawn_server(
        crate::support::servers::bind_loopback(),
        move |stream, log| {
            let acceptor = acceptor.clone();
            async move {
                log.lock().unwrap().push("accepted".to_owned());
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                else {
                    return;
                };
                serve_http(tls, &Response::ok(), &log).await;
            }
        },
    )
}

/// A handshake that completes pays nothing: one connection, no retry facts.
#[test]
fn a_server_that_answers_gets_one_connection() {
    let ca = pki().root_file();
    let server = counting_tls_server();
    let run = run_check(&pinned_trusted(&server, "https", "/", &ca));
    run.assert_all_pass();
    let accepted = server
        .requests()
        .iter()
        .filter(|r| *r == "accepted")
        .count();
    assert_eq!(
        accepted,
        1,
        "connections: {:?}\n{}",
        server.requests(),
        run.dump()
    );
    assert!(run.fact("tls", "path_mtu").is_null(), "{}", run.dump());
}

/// A TLS server that answers the connections `answers(n, mss)` picks (`n`
/// counting from 0, `mss` the one the peer announced) and holds the others
/// silent, logging `connection N` and `mss M` for each.
fn selective_tls_server(answers: fn(usize, u32) -> bool) -> Server {
    let acceptor =
        tokio_rustls::TlsAcceptor::from(TlsServer::new(&pki().good(GOOD_NAMES)).config());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    spawn_server(
        crate::support::servers::bind_loopback(),
        move |mut stream, log| {
            let acceptor = acceptor.clone();
            let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                let mss = socket2::SockRef::from(&stream).tcp_mss().unwrap_or(0);
                log.lock().unwrap().push(format!("connection {n}"));
                log.lock().unwrap().push(format!("mss {mss}"));
                if !answers(n, mss) {
                    let mut sink = [0u8; 4096];
                    while let Ok(k) = tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await {
                        if k == 0 {
                            break;
                        }
                    }
                    return;
                }
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                else {
                    return;
                };
                serve_http(tls, &Response::ok(), &log).await;
            }
        },
    )
}

/// Answers only connections whose peer announced an MSS of 536 or less:
/// what a black hole lets through, without root.
fn small_mss_only_tls_server() -> Server {
    selective_tls_server(|_, mss| mss <= 536)
}

/// The retry's rule without a namespace: the default handshake hears
/// nothing, the one announcing MSS 536 completes.
#[test]
fn a_server_reachable_only_with_a_small_mss_is_tcp_path_mtu() {
    let ca = pki().root_file();
    let server = small_mss_only_tls_server();
    let mut args = pinned_trusted(&server, "https", "/", &ca);
    args.extend(["--timeout".to_owned(), "2s".to_owned()]);
    let run = run_check(&args);
    assert_eq!(run.code, 14, "{}", run.dump());
    let t = run.target(0);
    assert_eq!(t["failed_layer"], "tls", "{}", run.dump());
    assert_eq!(t["diagnosis"]["code"], "TCP_PATH_MTU", "{}", run.dump());
    let mtu = run.fact("tls", "path_mtu");
    assert_eq!(mtu["mss"], 536, "{}", run.dump());
    assert_eq!(mtu["retry"], "completed", "{}", run.dump());
    assert_eq!(mtu["default_bytes_received"], 0, "{}", run.dump());
    run.assert_skipped_after("tls", &["certificate", "http", "auth"])
        .assert_within(BOUNDED);
    let seen = server.requests();
    assert_eq!(
        seen.iter().filter(|r| r.starts_with("mss ")).count(),
        3,
        "the default connection, the small-MSS retry and its default-MSS control: {seen:?}"
    );
    assert_eq!(mtu["control"], "stalled", "{}", run.dump());
}

/// Holds its first connection silent and answers the others: a load
/// balancer's dead backend, not the MTU.
fn first_connection_silent_tls_server() -> Server {
    selective_tls_server(|n, _| n > 0)
}

/// One stalled connection is not an MTU black hole when a fresh connection
/// with the default MSS completes too: the plain `TLS_TIMEOUT`, saying so.
#[test]
fn a_single_stalled_connection_is_not_tcp_path_mtu() {
    let ca = pki().root_file();
    let server = first_connection_silent_tls_server();
    let mut args = pinned_trusted(&server, "https", "/", &ca);
    args.extend(["--timeout".to_owned(), "2s".to_owned()]);
    let run = run_check(&args);
    run.assert_fail(14, "tls", "TLS_TIMEOUT")
        .assert_within(BOUNDED);
    let mtu = run.fact("tls", "path_mtu");
    assert_eq!(mtu["control"], "completed", "{}", run.dump());
    let summary = text(&run.target(0)["diagnosis"]["summary"]);
    assert!(summary.contains("not the mtu"), "{}", run.dump());
}

/// Through a proxy the MSS of our hop says nothing about the far side:
/// a silent server behind a CONNECT tunnel is the plain `TLS_TIMEOUT`,
/// with no retry.
#[test]
fn through_a_proxy_a_stalled_handshake_is_not_retried() {
    let server = blackhole();
    let proxy = crate::support::ProxyServer::new()
        .route("good.test", server.addr())
        .start();
    let args = [
        "check".to_owned(),
        server.url("https", "good.test", "/"),
        "--proxy".to_owned(),
        format!("http://127.0.0.1:{}", proxy.port()),
        "--timeout".to_owned(),
        "2s".to_owned(),
    ];
    let run = run_check(&args);
    run.assert_fail(14, "tls", "TLS_TIMEOUT")
        .assert_within(BOUNDED);
    assert!(run.fact("tls", "path_mtu").is_null(), "{}", run.dump());
}
