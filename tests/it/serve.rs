//! `netdoctor serve`: the exporter run as a process on a free loopback
//! port, against the loopback fixtures, every answer read over plain TCP:
//! health, probes of allowed and refused targets (a refused one reaches
//! nothing), malformed queries, garbage and oversized heads, the
//! concurrency cap, the exporter's own metrics parsed back, and the landing
//! page's escaping.

use crate::support::servers::{bind_loopback, spawn_server};
use crate::support::{blackhole, pki, Response, TlsServer, GOOD_NAMES};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `netdoctor serve`, killed on drop.
pub(crate) struct Exporter {
    child: Child,
    pub(crate) port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    /// Starts `netdoctor serve FILE --listen 127.0.0.1:0 EXTRA…` and reads
    /// the port it reports on stderr.
    pub(crate) fn start(file: &Path, extra: &[&str]) -> Exporter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netdoctor"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("serve")
            .arg(file)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("netdoctor serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Exporter {
            child,
            port,
            stderr,
        }
    }

    /// Sends raw bytes; the status code of the answer (None: closed
    /// without one) and the body.
    fn raw(&self, request: &[u8], headers: &str) -> (Option<u16>, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = s.write_all(request);
        let _ = s.write_all(headers.as_bytes());
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|t| t.get(..3))
            .and_then(|c| c.parse().ok());
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// `GET path` (with `extra` header lines); status and body.
    fn get_with(&self, path: &str, extra: &str) -> (u16, String) {
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n");
        let (status, body) = self.raw(head.as_bytes(), "");
        (status.expect("an HTTP answer"), body)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, "")
    }
}

/// One sample of the exposition text: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the exposition text (comments skipped); panics on a line that is
/// not `name{labels} value`.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                let labels = inner
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("{line}"));
                        (k.to_owned(), v.trim_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
        };
        out.push((name, labels, value));
    }
    out
}

/// The value of `name` with exactly these labels.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == want)
        .map(|(_, _, v)| *v)
}

/// A server that counts the connections it accepts and answers nothing.
fn counting() -> (crate::support::Server, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = spawn_server(bind_loopback(), move |_stream, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        async {}
    });
    (server, count)
}

/// A check file in a fresh directory, beside the fixture PKI's root.
fn check_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pki().root_pem()).unwrap();
    let path = dir.path().join("checks.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// A file whose module `good` and `[serve] allow` reach the TLS fixture as
/// good.test, plus a module with a hostile name.
fn good_file(port: u16) -> (tempfile::TempDir, std::path::PathBuf) {
    check_file(&format!(
        "[defaults]\ncacert = \"root.pem\"\ntimeout = \"3s\"\nresolve = [\"good.test:{port}:127.0.0.1\"]\n\
         [[check]]\nname = \"good\"\nurl = \"https://good.test:{port}/\"\n\
         [[check]]\nname = \"<script>alert('x')</script>\"\nurl = \"https://good.test:{port}/x\"\n\
         [serve]\nallow = [\"good.test\"]\n"
    ))
}

#[test]
fn healthy_probes_metrics_and_page() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (_dir, file) = good_file(server.port());
    let exporter = Exporter::start(&file, &[]);
    assert_eq!(exporter.get("/-/healthy"), (200, "OK\n".to_owned()));

    let url = format!("https://good.test:{}/", server.port());
    let (status, body) = exporter.get(&format!("/probe?target={url}&module=good"));
    assert_eq!(status, 200, "{body}");
    let probe = samples(&body);
    assert_eq!(value(&probe, "probe_success", &[]), Some(1.0), "{body}");
    // The metrics of --format prometheus, without `target` (Prometheus
    // labels the scrape), the module's check named.
    assert_eq!(
        value(&probe, "netdoctor_probe_success", &[("check", "good")]),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(
            &probe,
            "netdoctor_stage_status",
            &[
                ("check", "good"),
                ("layer", "certificate"),
                ("status", "pass")
            ]
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(&probe, "netdoctor_http_status_code", &[("check", "good")]),
        Some(200.0),
        "{body}"
    );
    assert!(!body.contains("target="), "{body}");
    assert!(value(&probe, "probe_duration_seconds", &[]).is_some_and(|d| d > 0.0));

    // `module` alone runs the check as written; `target` alone, [defaults].
    let (status, body) = exporter.get("/probe?module=good");
    assert_eq!(
        (status, value(&samples(&body), "probe_success", &[])),
        (200, Some(1.0)),
        "{body}"
    );
    let (status, body) = exporter.get(&format!("/probe?target={url}"));
    assert_eq!(
        (status, value(&samples(&body), "probe_success", &[])),
        (200, Some(1.0)),
        "{body}"
    );

    // The JSON report of that one target.
    let (status, body) = exporter.get("/probe?module=good&format=json");
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON report");
    assert_eq!(json["schema"], "netdoctor/v1");
    assert_eq!(json["targets"][0]["ok"], true, "{body}");

    let (status, body) = exporter.get("/metrics");
    assert_eq!(status, 200);
    let own = samples(&body);
    let success = [("result", "success"), ("code", "none")];
    assert_eq!(
        value(&own, "netdoctor_exporter_probes_total", &success),
        Some(4.0),
        "{body}"
    );
    assert_eq!(
        value(&own, "netdoctor_exporter_probes_in_flight", &[]),
        Some(0.0)
    );
    assert_eq!(
        value(&own, "netdoctor_exporter_probe_duration_seconds_count", &[]),
        Some(4.0)
    );

    let (status, page) = exporter.get("/");
    assert_eq!(status, 200);
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("/probe?module=good&amp;format=json"),
        "{page}"
    );
    // Successes are quiet at the default log level.
    assert!(!exporter.stderr.lock().unwrap().contains("probe"));
}

#[test]
fn a_target_outside_allow_is_403_and_reaches_nothing() {
    let (target, connections) = counting();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (_dir, file) = good_file(server.port());
    let exporter = Exporter::start(&file, &["--log-level", "info"]);
    for query in [
        format!("/probe?target=http://127.0.0.1:{}/", target.port()),
        format!(
            "/probe?target=tcp://127.0.0.1:{}&module=good",
            target.port()
        ),
        format!(
            "/probe?target=https://u:hunter2@evil.test:{}/",
            target.port()
        ),
    ] {
        let (status, body) = exporter.get(&query);
        assert_eq!(status, 403, "{query}: {body}");
        assert!(body.contains("allow"), "{body}");
        assert!(!body.contains("hunter2"), "{body}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a refused target was reached"
    );
    let own = samples(&exporter.get("/metrics").1);
    assert_eq!(
        value(
            &own,
            "netdoctor_exporter_refused_requests_total",
            &[("status", "403")]
        ),
        Some(3.0)
    );
    assert!(!exporter.stderr.lock().unwrap().contains("hunter2"));
}

#[test]
fn malformed_queries_are_400_with_the_reason() {
    let (_dir, file) = check_file("[[check]]\nname = \"a\"\nurl = \"tcp://a.test:1\"\n");
    let exporter = Exporter::start(&file, &[]);
    for (query, reason) in [
        ("/probe", "target=URL"),
        ("/probe?module=nope", "unknown module"),
        ("/probe?target=not%20a%20url", "target"),
        ("/probe?target=ftp://a.test/", "scheme"),
        ("/probe?module=a&format=xml", "unknown format"),
    ] {
        let (status, body) = exporter.get(query);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(reason), "{query}: {body}");
    }
    let (status, body) = exporter.get_with(
        "/probe?module=a",
        "X-Prometheus-Scrape-Timeout-Seconds: soon\r\n",
    );
    assert_eq!(status, 400, "{body}");
    let (status, _) = exporter.raw(b"POST /probe?module=a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "");
    assert_eq!(status, Some(405));
}

#[test]
fn garbage_and_huge_heads_do_not_stop_the_server() {
    let (_dir, file) = check_file("[[check]]\nname = \"a\"\nurl = \"tcp://a.test:1\"\n");
    let exporter = Exporter::start(&file, &[]);
    let (status, _) = exporter.raw(b"\x16\x03\x01\x00\xffnot http at all\r\n\r\n", "");
    assert!(matches!(status, None | Some(400)), "{status:?}");
    assert_eq!(exporter.get("/-/healthy").0, 200);
    let huge = format!("X-Big: {}\r\n\r\n", "a".repeat(100 * 1024));
    let (status, _) = exporter.raw(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n", &huge);
    assert!(matches!(status, None | Some(400 | 431)), "{status:?}");
    assert_eq!(exporter.get("/-/healthy").0, 200);
}

#[test]
fn over_max_concurrent_is_503_and_the_scrape_timeout_bounds_the_probe() {
    let hole = blackhole();
    let (_dir, file) = check_file(&format!(
        "[[check]]\nname = \"slow\"\nurl = \"http://127.0.0.1:{}/\"\ntimeout = \"20s\"\n",
        hole.port()
    ));
    let exporter = Arc::new(Exporter::start(&file, &["--max-concurrent", "1"]));
    let first = {
        let exporter = exporter.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let answer = exporter.get_with(
                "/probe?module=slow",
                "X-Prometheus-Scrape-Timeout-Seconds: 2.5\r\n",
            );
            (answer, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = exporter.get("/probe?module=slow");
    assert_eq!(status, 503, "{body}");
    let ((status, body), took) = first.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&samples(&body), "probe_success", &[]),
        Some(0.0),
        "{body}"
    );
    // 2.5 s less the 0.5 s margin; well under the check's own 20 s.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A CA given to a module that changes on disk (a rotated bundle) is read
/// afresh: the same probe fails before the change and passes after it,
/// with no restart.
#[test]
fn a_changed_ca_file_is_read_afresh_without_a_restart() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (dir, file) = good_file(server.port());
    let other = crate::support::pki::Pki::new();
    std::fs::write(dir.path().join("root.pem"), other.root_pem()).unwrap();
    let exporter = Exporter::start(&file, &[]);
    let (status, body) = exporter.get("/probe?module=good");
    let probe = samples(&body);
    assert_eq!(
        (status, value(&probe, "probe_success", &[])),
        (200, Some(0.0)),
        "{body}"
    );
    std::fs::write(dir.path().join("root.pem"), pki().root_pem()).unwrap();
    // Checked at most once a second: a bounded wait, never a timed assert.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = exporter.get("/probe?module=good");
        if value(&samples(&body), "probe_success", &[]) == Some(1.0) {
            assert_eq!(status, 200);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new CA file was never read: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}
