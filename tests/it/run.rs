//! `netdoctor run FILE`: check files, expectations, exit codes, JUnit
//! parsed back with an XML parser, concurrency, bad files, `--repeat`, and
//! the committed man page.

use crate::support::servers::{bind_loopback, read_request, spawn_server};
use crate::support::{
    blackhole, closed_port, http_server, netdoctor, pki, plaintext_http_on_tls_port, run, Response,
    Run, Server, TlsServer, GOOD_NAMES,
};
use quick_xml::events::Event;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// Writes `text` as `checks.toml` in a fresh directory.
fn check_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn run_file(path: &PathBuf, extra: &[&str]) -> Run {
    let mut cmd = netdoctor();
    cmd.arg("run").arg(path).args(extra);
    run(&mut cmd)
}

/// A testcase of a JUnit document: name and failure message, if any.
#[derive(Debug)]
struct Case {
    name: String,
    failure: Option<String>,
}

fn junit_cases(xml: &str) -> Vec<Case> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let name = e
                    .try_get_attribute("name")
                    .unwrap()
                    .map(|a| a.unescape_value().unwrap().into_owned())
                    .unwrap_or_default();
                cases.push(Case {
                    name,
                    failure: None,
                });
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"failure" => {
                let message = e
                    .try_get_attribute("message")
                    .unwrap()
                    .map(|a| a.unescape_value().unwrap().into_owned());
                cases.last_mut().expect("failure inside a testcase").failure = message;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

fn three_checks() -> (tempfile::TempDir, PathBuf, Server, Server) {
    let web = http_server(Response::ok());
    let plain = plaintext_http_on_tls_port();
    let refused = closed_port();
    let text = format!(
        r#"
[defaults]
timeout = "2s"
resolve = ["good.test:{web}:127.0.0.1", "plain.test:{plain}:127.0.0.1", "gone.test:{refused}:127.0.0.1"]

[[check]]
name = "web"
url = "http://good.test:{web}/"

[[check]]
name = "blocked egress"
url = "tcp://gone.test:{refused}"
expect = "TCP_REFUSED"

[[check]]
name = "tls on a plain port"
url = "https://plain.test:{plain}/"
"#,
        web = web.port(),
        plain = plain.port(),
    );
    let (dir, path) = check_file(&text);
    (dir, path, web, plain)
}

#[test]
fn a_check_file_reports_each_check_and_exits_by_the_missed_one() {
    let (_dir, path, _web, _plain) = three_checks();
    let run = run_file(&path, &["--format", "json"]);
    assert_eq!(run.code, 14, "{}", run.dump());
    let names: Vec<&str> = (0..3)
        .map(|i| run.target(i)["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "blocked egress", "tls on a plain port"]);
    assert_eq!(run.target(0)["met"], true);
    assert_eq!(run.target(1)["expect"], "TCP_REFUSED");
    assert_eq!(run.target(1)["met"], true, "{}", run.dump());
    assert_eq!(run.target(1)["ok"], false);
    assert_eq!(run.target(2)["met"], false);
    assert_eq!(run.target(2)["diagnosis"]["code"], "TLS_PLAINTEXT_RESPONSE");
}

#[test]
fn junit_has_one_case_per_check_and_a_failure_for_the_miss() {
    let (_dir, path, _web, _plain) = three_checks();
    let run = run_file(&path, &["--format", "junit"]);
    assert_eq!(run.code, 14, "{}", run.dump());
    let cases = junit_cases(&run.stdout);
    assert_eq!(cases.len(), 3, "{}", run.stdout);
    assert_eq!(cases[0].name, "web");
    assert!(
        cases[0].failure.is_none() && cases[1].failure.is_none(),
        "{cases:?}"
    );
    let message = cases[2].failure.as_deref().unwrap_or_default();
    assert!(message.starts_with("TLS_PLAINTEXT_RESPONSE: "), "{message}");
}

#[test]
fn an_expected_failure_that_does_not_happen_exits_3() {
    let web = http_server(Response::ok());
    let text = format!(
        "[[check]]\nname = \"should be blocked\"\nurl = \"tcp://good.test:{p}\"\nresolve = [\"good.test:{p}:127.0.0.1\"]\nexpect = \"TCP_REFUSED\"\n",
        p = web.port()
    );
    let (_dir, path) = check_file(&text);
    let json = run_file(&path, &["--format", "json"]);
    assert_eq!(json.code, 3, "{}", json.dump());
    assert_eq!(json.target(0)["met"], false);
    let junit = run_file(&path, &["--format", "junit"]);
    let cases = junit_cases(&junit.stdout);
    assert_eq!(
        cases[0].failure.as_deref(),
        Some("expected TCP_REFUSED, got pass")
    );
}

#[test]
fn checks_run_concurrently() {
    let servers: Vec<Server> = (0..8).map(|_| blackhole()).collect();
    let mut text = String::from("[defaults]\ntimeout = \"1s\"\n");
    for s in &servers {
        let _ = write!(
            text,
            "[[check]]\nurl = \"https://good.test:{p}/\"\nresolve = [\"good.test:{p}:127.0.0.1\"]\n",
            p = s.port()
        );
    }
    let (_dir, path) = check_file(&text);
    let started = Instant::now();
    let run = run_file(&path, &["--format", "json"]);
    assert_eq!(run.code, 14, "{}", run.dump());
    // Eight 1 s timeouts one after another would take 8 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn relative_cacert_is_read_next_to_the_file() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pki().root_pem()).unwrap();
    let text = format!(
        "[defaults]\ncacert = \"root.pem\"\n[[check]]\nurl = \"https://good.test:{p}/\"\nresolve = [\"good.test:{p}:127.0.0.1\"]\n",
        p = server.port()
    );
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, text).unwrap();
    let run = run_file(&path, &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn bad_files_name_the_file_line_and_key_and_run_nothing() {
    let cases = [
        (
            "[[check]]\nurl = \"tcp://a.test:1\"\ntimout = \"2s\"\n",
            3,
            "timout",
        ),
        (
            "[[check]]\nurl = \"tcp://a.test:1\"\ntimeout = \"fast\"\n",
            3,
            "--timeout",
        ),
        (
            "[defaults]\nresolve = [\"nonsense\"]\n[[check]]\nurl = \"tcp://a.test:1\"\n",
            2,
            "--resolve",
        ),
        ("[[check]]\nname = \"x\"\n", 2, "url"),
        (
            "[[check]]\nurl = \"tcp://a.test:1\"\nexpect = \"NOT_A_CODE\"\n",
            3,
            "NOT_A_CODE",
        ),
        ("[[check]]\nurl = \"ftp://a.test/\"\n", 2, "scheme"),
        ("[[check]\nurl = 1\n", 1, ""),
    ];
    for (text, line, mention) in cases {
        let (_dir, path) = check_file(text);
        let run = run_file(&path, &[]);
        assert_eq!(run.code, 2, "{text}\n{}", run.dump());
        let needle = format!("checks.toml:{line}:");
        assert!(
            run.stderr.contains(&needle),
            "want {needle} in: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(mention),
            "want {mention} in: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "nothing runs: {}", run.stdout);
    }
}

/// Answers 200 to every other connection and closes the others at once.
fn flaky_http() -> Server {
    let count = Arc::new(AtomicUsize::new(0));
    spawn_server(bind_loopback(), move |mut stream, _| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            if read_request(&mut stream).await.is_some() && n % 2 == 0 {
                let _ = stream.write_all(&Response::ok().to_bytes()).await;
            }
        }
    })
}

#[test]
fn repeat_counts_intermittent_failures_per_layer() {
    let server = flaky_http();
    let url = format!("http://good.test:{}/", server.port());
    let mut cmd = netdoctor();
    cmd.args([
        "check",
        &url,
        "--resolve",
        &server.resolve("good.test"),
        "--repeat",
        "6",
        "--format",
        "json",
    ]);
    let result = run(&mut cmd);
    assert_eq!(
        result.code,
        16,
        "any failing run fails the target\n{}",
        result.dump()
    );
    let repeat = &result.target(0)["repeat"];
    assert_eq!(repeat["runs"], 6, "{}", result.dump());
    assert_eq!(repeat["passed"], 3);
    assert_eq!(repeat["outcomes"]["pass"], 3);
    assert_eq!(repeat["outcomes"]["HTTP_MALFORMED"], 3);
    let http = repeat["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["layer"] == "http")
        .unwrap();
    assert_eq!(http["outcomes"]["pass"], 3);
    assert!(
        http["latency_ms"]["p95"].as_f64().unwrap() >= http["latency_ms"]["min"].as_f64().unwrap()
    );
    let mut human = netdoctor();
    human.args([
        "check",
        &url,
        "--resolve",
        &server.resolve("good.test"),
        "--repeat",
        "4",
    ]);
    let out = run(&mut human);
    assert!(
        out.stdout.contains("repeat:") && out.stdout.contains("p95"),
        "{}",
        out.stdout
    );
}

#[test]
fn committed_man_page_is_current() {
    let out = netdoctor().arg("man").output().unwrap();
    assert!(out.status.success());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("doc/netdoctor.1");
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == out.stdout,
        "doc/netdoctor.1 is stale: run `netdoctor man > doc/netdoctor.1`"
    );
}

#[test]
fn env_junit_has_a_failing_case_per_failing_finding() {
    let root = crate::support::empty_sysroot();
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path())
        .args(["env", "--format", "junit"]);
    let result = run(&mut cmd);
    assert_eq!(result.code, 10, "{}", result.dump());
    let cases = junit_cases(&result.stdout);
    let no_bundle = cases
        .iter()
        .find(|c| c.name == "ENV_NO_CA_BUNDLE")
        .expect("a case per finding");
    assert!(no_bundle
        .failure
        .as_deref()
        .unwrap_or_default()
        .starts_with("ENV_NO_CA_BUNDLE: "));
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let server = blackhole();
    let url = format!("https://good.test:{}/", server.port());
    let pin = server.resolve("good.test");
    // Not a terminal: nothing on stderr, whatever the format.
    for format in ["human", "json", "junit"] {
        let mut cmd = netdoctor();
        cmd.args([
            "check",
            &url,
            "--resolve",
            &pin,
            "--timeout",
            "1s",
            "--format",
            format,
        ]);
        let out = run(&mut cmd);
        assert!(out.stderr.is_empty(), "{format}: {}", out.stderr);
    }
    // A terminal (a pty from util-linux `script`): the spinner names the layer.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::support::skip(
            "no `script` command: the terminal half did not run",
            "bsdutils (util-linux's `script`)",
        );
        return;
    }
    let line = format!(
        "{} check {url} --resolve {pin} --timeout 1s",
        env!("CARGO_BIN_EXE_netdoctor")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\u{1b}[2K") && text.contains(" tls"),
        "{text}"
    );
}
