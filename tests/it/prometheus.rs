//! `--format prometheus`: the metrics of DESIGN "Serving metrics" for
//! every target, parsed back by a strict parser (support::exposition) and
//! linted by Debian's `promtool check metrics` when it is
//! installed.

// The values compared are whole numbers (1, 0, 200, a timestamp) that the
// exposition writes exactly: equality is the check.
#![allow(clippy::float_cmp)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::support::exposition::{self, Sample};
use crate::support::{
    closed_port, netdoctor, pinned_trusted, pki, run, Response, TlsServer, WsOptions, GOOD_NAMES,
};

/// The exposition parsed back strictly (support::exposition), every family
/// a gauge with a HELP and every series with a `target` label.
fn parse(text: &str) -> Vec<Sample> {
    let e = exposition::parse(text).unwrap_or_else(|why| panic!("{why}\n{text}"));
    for s in &e.samples {
        assert_eq!(e.types[&s.metric], "gauge", "{}\n{text}", s.metric);
        assert!(!e.help[&s.metric].is_empty(), "{} has no HELP", s.metric);
        assert!(s.labels.contains_key("target"), "{s:?} has no target label");
    }
    e.samples
}

/// The series of `metric` whose labels include `labels`.
fn find<'a>(series: &'a [Sample], metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    series
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

/// The value of the one series of `metric` with `labels`.
fn value(series: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(series, metric, labels);
    assert_eq!(found.len(), 1, "{metric}{labels:?}: {found:?}");
    found[0].value
}

/// Each stage's status label, by layer.
fn statuses(series: &[Sample]) -> BTreeMap<String, String> {
    find(series, "netdoctor_stage_status", &[])
        .into_iter()
        .map(|s| (s.labels["layer"].clone(), s.labels["status"].clone()))
        .collect()
}

/// `promtool check metrics` on `text`; skipped loudly without promtool.
fn promtool_accepts(text: &str) {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        crate::support::skip("promtool is not installed", "prometheus (Debian)");
        return;
    };
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(text.as_bytes()).expect("write to promtool");
    drop(stdin);
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `netdoctor ARGS --format prometheus`: the exit code and the output.
fn prometheus<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String) {
    let mut cmd = netdoctor();
    cmd.args(args).args(["--format", "prometheus"]);
    let r = run(&mut cmd);
    promtool_accepts(&r.stdout);
    (r.code, r.stdout)
}

/// The leaf's notAfter, unix seconds, read from the certificate itself.
fn not_after(leaf: &crate::support::Leaf) -> f64 {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.cert()).expect("leaf");
    #[allow(clippy::cast_precision_loss)]
    let t = cert.validity().not_after.timestamp() as f64;
    t
}

#[test]
fn a_passing_https_target_has_its_tls_certificate_and_http_facts() {
    let ca = pki().root_file();
    let leaf = pki().good(GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let (code, text) = prometheus(&pinned_trusted(&server, "https", "/", &ca));
    assert_eq!(code, 0, "{text}");
    let s = parse(&text);
    let url = server.url("https", "good.test", "/");
    let target = [("target", url.as_str())];
    assert_eq!(value(&s, "netdoctor_probe_success", &target), 1.0);
    assert_eq!(value(&s, "probe_success", &target), 1.0);
    assert!(value(&s, "netdoctor_probe_duration_seconds", &target) > 0.0);
    assert!(value(&s, "probe_duration_seconds", &target) > 0.0);
    assert!(
        find(&s, "netdoctor_probe_failure_info", &[]).is_empty(),
        "{text}"
    );
    for layer in ["dns", "tcp", "tls", "certificate", "http"] {
        assert_eq!(statuses(&s)[layer], "pass", "{layer}\n{text}");
        let d = value(&s, "netdoctor_stage_duration_seconds", &[("layer", layer)]);
        assert!(d >= 0.0, "{layer}");
    }
    let tls = find(&s, "netdoctor_tls_info", &target);
    assert_eq!(tls.len(), 1, "{text}");
    assert_eq!(tls[0].labels["version"], "TLSv1.3");
    assert!(tls[0].labels["cipher"].starts_with("TLS13_"), "{text}");
    assert_eq!(tls[0].value, 1.0);
    assert_eq!(value(&s, "netdoctor_http_status_code", &target), 200.0);
    assert_eq!(
        value(&s, "netdoctor_cert_not_after_timestamp_seconds", &target),
        not_after(&leaf)
    );
    assert!(find(&s, "netdoctor_cert_interception_info", &[]).is_empty());
    assert!(s.iter().all(|x| !x.labels.contains_key("check")), "{text}");
}

#[test]
fn an_expired_certificate_is_the_failure_with_its_layer_and_code() {
    let ca = pki().root_file();
    let leaf = pki().expired(GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let (code, text) = prometheus(&pinned_trusted(&server, "https", "/", &ca));
    assert_eq!(code, 15, "exit codes are the format's own\n{text}");
    let s = parse(&text);
    assert_eq!(value(&s, "netdoctor_probe_success", &[]), 0.0);
    assert_eq!(value(&s, "probe_success", &[]), 0.0);
    let failure = [("layer", "certificate"), ("code", "CERT_EXPIRED")];
    assert_eq!(value(&s, "netdoctor_probe_failure_info", &failure), 1.0);
    assert_eq!(find(&s, "netdoctor_probe_failure_info", &[]).len(), 1);
    let st = statuses(&s);
    assert_eq!(st["tls"], "pass", "{text}");
    assert_eq!(st["certificate"], "fail", "{text}");
    assert_eq!(st["http"], "skipped", "{text}");
    // A skipped stage has a status and no duration.
    assert!(find(&s, "netdoctor_stage_duration_seconds", &[("layer", "http")]).is_empty());
    assert!(
        find(&s, "netdoctor_http_status_code", &[]).is_empty(),
        "{text}"
    );
    assert_eq!(
        value(&s, "netdoctor_cert_not_after_timestamp_seconds", &[]),
        not_after(&leaf)
    );
}

#[test]
fn a_refused_port_fails_at_tcp() {
    let url = format!("tcp://127.0.0.1:{}", closed_port());
    let (code, text) = prometheus(&["check", url.as_str()]);
    assert_eq!(code, 12, "{text}");
    let s = parse(&text);
    let target = [("target", url.as_str())];
    assert_eq!(value(&s, "netdoctor_probe_success", &target), 0.0);
    let failure = [("layer", "tcp"), ("code", "TCP_REFUSED")];
    assert_eq!(value(&s, "netdoctor_probe_failure_info", &failure), 1.0);
    assert_eq!(statuses(&s)["tcp"], "fail");
    assert!(find(&s, "netdoctor_tls_info", &[]).is_empty(), "{text}");
    assert!(find(&s, "netdoctor_cert_not_after_timestamp_seconds", &[]).is_empty());
}

#[test]
fn a_check_file_labels_each_check_and_repeats_no_series() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let refused = format!("tcp://127.0.0.1:{}", closed_port());
    let https = server.url("https", "good.test", "/");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("checks.toml");
    let toml = format!(
        "[defaults]\ncacert = {ca:?}\nresolve = [{resolve:?}]\n\n\
         [[check]]\nname = \"web\"\nurl = {https:?}\n\n\
         [[check]]\nname = \"db\"\nurl = {refused:?}\n",
        ca = ca.arg(),
        resolve = server.resolve("good.test"),
    );
    std::fs::write(&file, toml).expect("write the check file");
    let (code, text) = prometheus(&[std::ffi::OsStr::new("run"), file.as_os_str()]);
    assert_eq!(code, 12, "{text}");
    let s = parse(&text);
    let web = [("target", https.as_str()), ("check", "web")];
    let db = [("target", refused.as_str()), ("check", "db")];
    assert_eq!(value(&s, "netdoctor_probe_success", &web), 1.0);
    assert_eq!(value(&s, "netdoctor_probe_success", &db), 0.0);
    assert_eq!(find(&s, "probe_success", &[]).len(), 2);
    assert!(s.iter().all(|x| x.labels.contains_key("check")), "{text}");
    let failure = [("check", "db"), ("layer", "tcp"), ("code", "TCP_REFUSED")];
    assert_eq!(value(&s, "netdoctor_probe_failure_info", &failure), 1.0);
    // Each family is described once, however many targets it has.
    let helps = text
        .lines()
        .filter(|l| l.starts_with("# HELP probe_success "))
        .count();
    assert_eq!(helps, 1, "{text}");
}

#[test]
fn secrets_in_the_url_never_reach_a_label() {
    let port = closed_port();
    let url = format!("https://user:hunter2@127.0.0.1:{port}/v1?api-key=hunter3");
    let (_, text) = prometheus(&["check", url.as_str()]);
    assert!(!text.contains("hunter"), "{text}");
    let s = parse(&text);
    assert!(!find(&s, "netdoctor_probe_success", &[]).is_empty());
}

#[test]
fn a_websocket_target_has_its_upgrade_time() {
    let ca = pki().root_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).websocket(WsOptions::echo());
    let (code, text) = prometheus(&pinned_trusted(&server, "wss", "/ws", &ca));
    assert_eq!(code, 0, "{text}");
    let s = parse(&text);
    assert_eq!(statuses(&s)["websocket"], "pass", "{text}");
    let upgrade = value(&s, "netdoctor_websocket_upgrade_seconds", &[]);
    let http = value(&s, "netdoctor_stage_duration_seconds", &[("layer", "http")]);
    assert!(upgrade > 0.0 && upgrade == http, "{text}");
}

#[test]
fn a_preset_names_its_checks_and_has_the_stream_facts() {
    use crate::presets::{openai_server, pin, OPENAI_KEY};
    let server = openai_server();
    let ca = pki().root_file();
    let mut args = vec![
        "openai".to_owned(),
        "--key".to_owned(),
        OPENAI_KEY.to_owned(),
    ];
    args.extend(["--stream".to_owned(), "--cacert".to_owned(), ca.arg()]);
    args.extend(pin(&server));
    let (code, text) = prometheus(&args);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains(OPENAI_KEY), "{text}");
    let s = parse(&text);
    assert!(
        value(&s, "netdoctor_stream_first_event_seconds", &[]) > 0.0,
        "{text}"
    );
    assert_eq!(
        value(&s, "netdoctor_http_status_code", &[]),
        200.0,
        "{text}"
    );
    assert_eq!(
        value(&s, "probe_success", &[("check", "models")]),
        1.0,
        "{text}"
    );
}
