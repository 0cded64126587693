//! What a run reads from disk (issue 12): files opened, counted with
//! strace, never timed. The directory store is looked up by subject hash
//! (`<hash>.N`), as OpenSSL looks it up; the Rust clients' view
//! (rustls-native-certs reads every file of the directory) is judged from
//! its bundle, its hash links and the files no link names: an https check
//! opens a few hash names, never the directory's certificates, and the env
//! look and plain-http targets open none.

use crate::support::{http_server, pki, strace, Response, TlsServer, GOOD_NAMES};

/// The files `netdoctor ARGS` opens (strace's `openat` lines), or `None`
/// without strace.
fn files_opened(args: &[&str]) -> Option<Vec<String>> {
    let (code, text) = strace(args, "openat,open")?;
    assert!(code.is_some(), "netdoctor did not exit by itself");
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

#[test]
fn an_https_check_opens_hash_names_not_every_certificate_of_the_directory() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let ca = pki().ca_file();
    let url = server.url("https", "good.test", "/");
    let pin = server.resolve("good.test");
    let cacert = ca.arg();
    let args = [
        "check",
        url.as_str(),
        "--resolve",
        pin.as_str(),
        "--cacert",
        cacert.as_str(),
        "--format",
        "json",
    ];
    let Some(files) = files_opened(&args) else {
        return;
    };
    // Before: every file of /etc/ssl/certs (about 290 on Debian) for the
    // Rust view, on every https check.
    let read = in_cert_dir(&files);
    assert!(
        read.iter().all(|f| {
            let name = f.trim_start_matches("/etc/ssl/certs/");
            name.len() > 9 && name.as_bytes()[8] == b'.'
        }),
        "a certificate file was opened by name, not by hash: {read:?}"
    );
    assert!(
        read.len() <= 12,
        "opened {} hash names: {read:?}",
        read.len()
    );
    assert!(files.len() < 150, "opened {} files: {files:?}", files.len());
}
