//! The Prometheus tier: the example configuration of `examples/prometheus/`
//! checked by Debian's `promtool check config` / `check rules` (and its
//! rules by `promtool test rules` on synthetic series), and a real
//! Prometheus (Debian's `prometheus`) scraping a real `netdoctor serve` with
//! that example's multi-target relabelling and alerting rules, against an
//! expired-certificate fixture on loopback — the stored series and the
//! alerts read back through Prometheus' HTTP API. Without the binaries,
//! `support::skip` says so.

use crate::serve::Exporter;
use crate::support::{closed_port, pki, Response, TlsServer, GOOD_NAMES};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Prometheus may take to start, scrape and evaluate.
const PATIENCE: Duration = Duration::from_secs(30);

/// `examples/prometheus/` in the source tree.
fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus")
}

/// A child process, killed (and reaped) on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `tool` can be run; said loudly through `support::skip` if not.
fn installed(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        crate::support::skip(&format!("{tool} is not installed"), "prometheus (Debian)");
    }
    found
}

/// `promtool VERB WHAT FILE` succeeds; its output is the panic message.
fn promtool(verb: &str, what: &str, file: &Path) {
    let out = Command::new("promtool")
        .args([verb, what])
        .arg(file)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool {verb} {what} {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_the_example_config_and_rules() {
    if !installed("promtool") {
        return;
    }
    // `check config` also checks the rule files it names (rules.yml).
    promtool("check", "config", &examples().join("prometheus.yml"));
    promtool("check", "rules", &examples().join("rules.yml"));
    // The alerts, their labels and annotations, on synthetic series.
    promtool("test", "rules", &examples().join("rules_test.yml"));
}

/// The example prometheus.yml made to point at this test's exporter and
/// target, every interval one second: each edit must find its text, so a
/// changed example changes this test rather than silently escaping it.
fn config_from_example(exporter: u16, target: &str) -> String {
    let mut text = std::fs::read_to_string(examples().join("prometheus.yml")).unwrap();
    let edits = [
        ("scrape_interval: 30s", "scrape_interval: 1s".to_owned()),
        ("scrape_timeout: 10s", "scrape_timeout: 1s".to_owned()),
        (
            "evaluation_interval: 30s",
            "evaluation_interval: 1s".to_owned(),
        ),
        (
            "          - https://westeurope.stt.speech.microsoft.com/\n\
             \x20         - https://example.openai.azure.com/\n",
            format!("          - {target}\n"),
        ),
        ("127.0.0.1:9116", format!("127.0.0.1:{exporter}")),
    ];
    for (from, to) in edits {
        assert!(text.contains(from), "the example has no {from:?}");
        text = text.replace(from, &to);
    }
    text
}

/// `GET path` from Prometheus on loopback (HTTP/1.0: no chunking); the body,
/// or None when nothing answered.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .ok()?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

/// The instant vector of `query` (`/api/v1/query`): each series' labels
/// and value; empty until Prometheus answers.
fn query(port: u16, query: &str) -> Vec<(Value, String)> {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let Some(body) = get(port, &format!("/api/v1/query?query={q}")) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return Vec::new();
    };
    v["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let value = s["value"][1].as_str().unwrap_or_default().to_owned();
            (s["metric"].clone(), value)
        })
        .collect()
}

/// What the test waits for, each a PromQL query and the one value its one
/// series must have (with `instance` = the target where the query says so).
fn expectations(target: &str) -> Vec<(String, &'static str)> {
    vec![
        (
            format!(
                "netdoctor_probe_failure_info{{code=\"CERT_EXPIRED\",layer=\"certificate\",\
                 job=\"netdoctor\",instance=\"{target}\"}}"
            ),
            "1",
        ),
        (
            format!("probe_success{{job=\"netdoctor\",instance=\"{target}\"}}"),
            "0",
        ),
        // The exporter's own metrics, from its own job.
        (
            "sum(up{job=\"netdoctor_exporter\"})".to_owned(),
            "1",
        ),
        // The example's rules, evaluated: pending (they have a `for:`).
        (
            format!(
                "count(ALERTS{{alertname=\"NetdoctorCertificateFails\",code=\"CERT_EXPIRED\",\
                 instance=\"{target}\"}})"
            ),
            "1",
        ),
        (
            format!(
                "count(ALERTS{{alertname=\"NetdoctorCertificateExpiresSoon\",instance=\"{target}\"}})"
            ),
            "1",
        ),
    ]
}

#[test]
fn a_real_prometheus_stores_why_the_probe_failed() {
    if !installed("prometheus") {
        return;
    }
    let server = TlsServer::new(&pki().expired(GOOD_NAMES)).http(Response::ok());
    let port = server.port();
    let target = format!("https://good.test:{port}/");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pki().root_pem()).unwrap();
    let checks = dir.path().join("checks.toml");
    std::fs::write(
        &checks,
        format!(
            "[defaults]\ncacert = \"root.pem\"\ntimeout = \"3s\"\n\
             resolve = [\"good.test:{port}:127.0.0.1\"]\n\
             [[check]]\nname = \"https\"\nurl = \"{target}\"\n\
             [serve]\nallow = [\"good.test\"]\n"
        ),
    )
    .unwrap();
    let exporter = Exporter::start(&checks, &[]);
    let exporter_port = exporter.port;

    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_from_example(exporter_port, &target)).unwrap();
    std::fs::copy(examples().join("rules.yml"), dir.path().join("rules.yml")).unwrap();
    let web = closed_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts"),
    );

    wait_for(web, &expectations(&target), || {
        format!(
            "prometheus.yml:\n{}\nlog:\n{}",
            std::fs::read_to_string(&config).unwrap_or_default(),
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        )
    });
}

/// Queries Prometheus every half second until every expectation holds
/// (then prints what it answered); panics after [`PATIENCE`] with what is
/// still missing and `context()`.
fn wait_for(web: u16, wanted: &[(String, &str)], context: impl Fn() -> String) {
    let started = Instant::now();
    loop {
        let answers: Vec<_> = wanted.iter().map(|(q, v)| (q, *v, query(web, q))).collect();
        let missing = answers
            .iter()
            .filter(|(_, v, got)| !(got.len() == 1 && got[0].1 == *v))
            .map(|(q, v, got)| format!("{q} = {v}: got {got:?}"))
            .collect::<Vec<_>>();
        if missing.is_empty() {
            for (q, _, got) in &answers {
                eprintln!("{q} -> {} {}", got[0].0, got[0].1);
            }
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "after {PATIENCE:?}, still missing:\n{}\n{}",
            missing.join("\n"),
            context()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The check file in the Kubernetes example's ConfigMap is one `netdoctor
/// serve` starts with (it refuses a bad file before it listens), and the
/// Probe asks for a module that file has.
#[test]
fn the_kubernetes_examples_check_file_starts_the_exporter() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes/netdoctor.yaml"),
    )
    .expect("the Kubernetes example");
    let start = manifest
        .find("checks.toml: |\n")
        .expect("a ConfigMap with checks.toml")
        + "checks.toml: |\n".len();
    let mut toml = String::new();
    for line in manifest[start..]
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with("    "))
    {
        toml.push_str(line.get(4..).unwrap_or(""));
        toml.push('\n');
    }
    let module = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("module: "))
        .expect("the Probe's module");
    assert!(
        toml.contains(&format!("name = \"{module}\"")),
        "the Probe's module {module} is not a check of the ConfigMap:\n{toml}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(&file, &toml).unwrap();
    let exporter = Exporter::start(&file, &[]);
    let port = exporter.port;
    assert_eq!(
        get(port, "/-/healthy").map(|b| b.trim().to_owned()),
        Some("OK".to_owned())
    );
}
