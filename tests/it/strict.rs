//! `CERT_NOT_STRICT`: chains that OpenSSL accepts by default but Python ≥
//! 3.13 rejects (`VERIFY_X509_STRICT`): a root whose Basic Constraints is not
//! critical (and that has no Subject Key Identifier), a leaf without an
//! Authority Key Identifier. The warning names the certificate and the
//! missing property, and its client_errors hold what Python prints, checked
//! here against python3 with the flag set.

use std::process::Command;

use crate::support::pki::Pki;
use crate::support::{
    netdoctor, pki, run_json_with, Leaf, Response, Run, Server, TlsServer, GOOD_NAMES,
};

/// `check` with `ca`'s root in the image's system bundle.
fn check(ca: &Pki, server: &Server) -> (Run, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let bundle = root.path().join("etc/ssl/certs/ca-certificates.crt");
    std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
    std::fs::write(&bundle, ca.root_pem()).unwrap();
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let run = run_json_with(
        cmd,
        &[
            "check".to_owned(),
            server.url("https", "good.test", "/"),
            "--resolve".to_owned(),
            server.resolve("good.test"),
        ],
    );
    (run, root)
}

/// What python3 with `VERIFY_X509_STRICT` prints connecting to `server`
/// trusting `bundle` (`None` when python3 is missing).
fn python_strict(server: &Server, bundle: &std::path::Path) -> Option<String> {
    let script = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="good.test"):
            print("OK")
except ssl.SSLError as e:
    print(e)
"#;
    let out = Command::new("python3")
        .args(["-c", script, &server.port().to_string()])
        .arg(bundle)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn assert_python_agrees(run: &Run, server: &Server, root: &tempfile::TempDir) {
    let bundle = root.path().join("etc/ssl/certs/ca-certificates.crt");
    let Some(printed) = python_strict(server, &bundle) else {
        crate::support::skip("no python3: the client check did not run", "python3");
        return;
    };
    let d = run.stage("certificate")["diagnosis"].clone();
    let errors: Vec<String> = d["client_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect();
    assert!(
        errors.iter().any(|e| printed.starts_with(e.as_str())),
        "python printed {printed:?}, not among {errors:?}"
    );
}

#[test]
fn root_without_critical_basic_constraints_warns_not_strict() {
    let lax = Pki::lax_root();
    let server = TlsServer::new(&lax.good(GOOD_NAMES)).http(Response::ok());
    let (run, root) = check(&lax, &server);
    run.assert_warn("certificate", "CERT_NOT_STRICT");
    let d = &run.stage("certificate")["diagnosis"];
    let summary = d["summary"].as_str().unwrap();
    assert!(summary.contains("netdoctor lax root CA"), "{summary}");
    assert!(
        summary.contains("Basic Constraints not marked critical"),
        "{summary}"
    );
    assert!(summary.contains("no Subject Key Identifier"), "{summary}");
    // A warning: the chain works for OpenSSL's default mode, so auth goes on.
    assert_eq!(run.stage("http")["status"], "pass", "{}", run.dump());
    assert_python_agrees(&run, &server, &root);
}

#[test]
fn leaf_without_authority_key_identifier_warns_not_strict() {
    let leaf: Leaf = pki().without_aki(GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let (run, root) = check(pki(), &server);
    run.assert_warn("certificate", "CERT_NOT_STRICT");
    let summary = run.stage("certificate")["diagnosis"]["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        summary.contains("CN=good.test: no Authority Key Identifier"),
        "{summary}"
    );
    assert_python_agrees(&run, &server, &root);
}

#[test]
fn the_test_pki_is_strict_clean() {
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let (run, root) = check(pki(), &server);
    run.assert_all_pass();
    let bundle = root.path().join("etc/ssl/certs/ca-certificates.crt");
    if let Some(printed) = python_strict(&server, &bundle) {
        assert_eq!(printed, "OK");
    }
}
