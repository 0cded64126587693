//! What a run reads from disk (issue 12): files opened, counted with
//! strace, never timed. The view of Rust clients (rustls-native-certs)
//! reads every file of the certificate directory, so it is loaded only when
//! a chain is judged: the env look and plain-http targets never open the
//! directory's files.

use crate::support::{http_server, skip, Response};

/// The files `netdoctor ARGS` opens (strace's `openat` lines), or `None`
/// without strace.
fn files_opened(args: &[&str]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trace");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_netdoctor"))
        .args(args)
        .env_clear()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let Ok(status) = status else {
        skip("no strace: files opened not counted", "strace");
        return None;
    };
    assert!(status.code().is_some(), "netdoctor did not exit by itself");
    let text = std::fs::read_to_string(&log).unwrap();
    Some(
        text.lines()
            .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
            .collect(),
    )
}

/// Files opened inside the certificate directory (the bundle file beside
/// the hash links does not count).
fn in_cert_dir(files: &[String]) -> Vec<&String> {
    files
        .iter()
        .filter(|f| f.starts_with("/etc/ssl/certs/") && !f.ends_with("ca-certificates.crt"))
        .collect()
}

#[test]
fn a_plain_http_check_and_the_env_look_open_no_file_of_the_certificate_directory() {
    let web = http_server(Response::ok());
    let url = format!("http://127.0.0.1:{}/", web.port());
    for args in [vec!["check", url.as_str(), "--format", "json"], vec!["env"]] {
        let Some(files) = files_opened(&args) else {
            return;
        };
        // Before: every file of /etc/ssl/certs (293 here) on every run.
        let read = in_cert_dir(&files);
        assert!(
            read.len() <= 2,
            "{args:?} opened {} files: {read:?}",
            read.len()
        );
        assert!(files.len() < 250, "{args:?} opened {} files", files.len());
    }
}
