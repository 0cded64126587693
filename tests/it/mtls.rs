//! Client certificates (mutual TLS): `--cert`/`--cert-key`, and the
//! diagnoses `TLS_CLIENT_CERT_REQUIRED` / `TLS_CLIENT_CERT_REJECTED` in each
//! shape a server refuses in — a rustls server (`WebPkiClientVerifier`)
//! sends an alert during the handshake under TLS 1.2 and right after it
//! under TLS 1.3; Debian's nginx (`ssl_verify_client on`) completes the
//! handshake and answers 400.
//!
//! The client PKI is made here with rcgen: a client CA the servers trust, a
//! client certificate it signs, and one signed by another CA.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::AsyncReadExt as _;
use tokio_rustls::TlsAcceptor;

use crate::support::daemon::{nginx_dir, nginx_in, write};
use crate::support::servers::{bind_loopback, serve_http, spawn_server};
use crate::support::snapshot::{assert_human, debian_image, human};
use crate::support::{
    netdoctor, pinned_trusted, pki, run_check, run_json_with, CaFile, Response, Run, Server,
    TlsServer, BOUNDED, GOOD_NAMES,
};

/// The client CA's subject as the reports write it.
const CLIENT_CA: &str = "O=netdoctor tests, CN=netdoctor client CA";

fn ca(org: &str, cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("ca key")).expect("ca")
}

/// A client certificate and its key, PEM.
struct ClientCert {
    cert: String,
    key: String,
}

fn client_cert(issuer: &CertifiedIssuer<'static, KeyPair>, cn: &str) -> ClientCert {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().expect("client key");
    let cert = params.signed_by(&key, issuer).expect("client cert");
    ClientCert {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// The client PKI: the CA servers trust, a certificate it signed, and one
/// signed by an unrelated CA; their files in a directory.
struct Clients {
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    dir: tempfile::TempDir,
}

impl Clients {
    fn new() -> Clients {
        let ca = ca("netdoctor tests", "netdoctor client CA");
        let other = ca_other();
        let good = client_cert(&ca, "app");
        let wrong = client_cert(&other, "stranger");
        let dir = tempfile::tempdir().expect("tempdir");
        let put = |name: &str, text: &str| write(dir.path(), name, text);
        put("client.pem", &good.cert);
        put("client.key", &good.key);
        put("combined.pem", &format!("{}{}", good.cert, good.key));
        put("wrong.pem", &wrong.cert);
        put("wrong.key", &wrong.key);
        put("client-ca.pem", &ca.pem());
        Clients {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `--cert DIR/NAME.pem --cert-key DIR/NAME.key`.
    fn args(&self, name: &str) -> Vec<String> {
        vec![
            "--cert".to_owned(),
            self.path(&format!("{name}.pem")),
            "--cert-key".to_owned(),
            self.path(&format!("{name}.key")),
        ]
    }
}

fn ca_other() -> CertifiedIssuer<'static, KeyPair> {
    ca("elsewhere", "unrelated CA")
}

/// The configuration of a rustls server that requires a client certificate
/// from `clients`' CA (TLS 1.3 and 1.2, or 1.2 only).
fn mtls_config(clients: &Clients, tls12_only: bool) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(clients.ca_der.clone()).expect("client CA");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("client verifier");
    let versions: &[&'static rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let leaf = pki().good(GOOD_NAMES);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(leaf.chain.clone(), leaf.key())
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A server of [`mtls_config`] answering 200 to a request; a refusal is
/// its alert.
fn mtls_server(clients: &Clients, tls12_only: bool) -> Server {
    let acceptor = TlsAcceptor::from(mtls_config(clients, tls12_only));
    let response = Arc::new(Response::ok());
    spawn_server(bind_loopback(), move |stream, log| {
        let acceptor = acceptor.clone();
        let response = response.clone();
        async move {
            let accept = acceptor.accept(stream).into_fallible();
            match tokio::time::timeout(Duration::from_secs(10), accept).await {
                Ok(Ok(tls)) => serve_http(tls, &response, &log).await,
                // The alert is out: read what the client still sends until
                // it closes, so that closing here sends no reset that could
                // overtake the alert (the summary names the alert).
                Ok(Err((_, mut tcp))) => {
                    let mut sink = [0u8; 4096];
                    let drain =
                        async { while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {} };
                    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                }
                Err(_) => {}
            }
        }
    })
}

/// A server of [`mtls_config`] that refuses with a reset instead of the
/// alert: it drives the handshake itself and, when rustls refuses the
/// client's certificate (or its absence), closes with `SO_LINGER` 0.
fn resetting_mtls_server(clients: &Clients, tls12_only: bool) -> Server {
    let config = mtls_config(clients, tls12_only);
    spawn_server(bind_loopback(), move |stream, _log| {
        let config = config.clone();
        async move {
            if let Ok(tcp) = stream.into_std() {
                std::thread::spawn(move || reset_on_refusal(tcp, config));
            }
        }
    })
}

fn reset_on_refusal(mut tcp: std::net::TcpStream, config: Arc<ServerConfig>) {
    let _ = tcp.set_nonblocking(false);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    loop {
        while conn.wants_write() {
            if conn.write_tls(&mut tcp).is_err() {
                return;
            }
        }
        if !matches!(conn.read_tls(&mut tcp), Ok(n) if n > 0) {
            return;
        }
        if conn.process_new_packets().is_err() {
            let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
            return;
        }
    }
}

fn check(server: &Server, ca: &CaFile, extra: &[String]) -> Run {
    let mut args = pinned_trusted(server, "https", "/", ca);
    args.extend(extra.iter().cloned());
    let run = run_check(&args);
    run.assert_within(BOUNDED);
    run
}

fn assert_names_client_ca(run: &Run) {
    let cas = run.fact("tls", "acceptable_cas");
    assert!(
        cas.as_array()
            .is_some_and(|a| a.iter().any(|n| n == CLIENT_CA)),
        "acceptable_cas\n{}",
        run.dump()
    );
    let summary = run.target(0)["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.contains(CLIENT_CA), "summary\n{}", run.dump());
}

#[test]
fn no_certificate_is_required_under_tls13_and_tls12() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    for tls12 in [false, true] {
        let server = mtls_server(&clients, tls12);
        let run = check(&server, &ca, &[]);
        run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REQUIRED");
        assert_names_client_ca(&run);
        assert_eq!(run.fact("tls", "client_cert_requested"), true);
        assert!(
            run.fact("tls", "client_cert_sent").is_null(),
            "{}",
            run.dump()
        );
        let hint = run.target(0)["diagnosis"]["hint"].as_str().unwrap_or("");
        assert!(hint.contains("--cert-key") && hint.contains("load_cert_chain"));
        assert_eq!(run.stage("http")["status"], "skipped", "{}", run.dump());
    }
}

#[test]
fn a_reset_after_the_certificate_request_is_required_or_rejected() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    for tls12 in [false, true] {
        let server = resetting_mtls_server(&clients, tls12);
        let run = check(&server, &ca, &[]);
        run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REQUIRED");
        assert_names_client_ca(&run);
        let summary = crate::support::text(&run.target(0)["diagnosis"]["summary"]);
        assert!(summary.contains("reset"), "{}", run.dump());
        let run = check(&server, &ca, &clients.args("wrong"));
        run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REJECTED");
    }
}

#[test]
fn a_certificate_from_another_ca_is_rejected_under_tls13_and_tls12() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    for tls12 in [false, true] {
        let server = mtls_server(&clients, tls12);
        let run = check(&server, &ca, &clients.args("wrong"));
        run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REJECTED");
        assert_names_client_ca(&run);
        assert_eq!(run.fact("tls", "client_cert_sent"), true, "{}", run.dump());
        assert!(
            crate::support::text(run.fact("tls", "client_cert")).contains("cn=stranger"),
            "{}",
            run.dump()
        );
    }
}

#[test]
fn the_right_certificate_passes_with_the_key_apart_or_inside() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    for tls12 in [false, true] {
        let server = mtls_server(&clients, tls12);
        let run = check(&server, &ca, &clients.args("client"));
        run.assert_all_pass();
        assert_eq!(run.fact("tls", "client_cert_sent"), true);
        assert_eq!(run.fact("http", "status"), 200);
    }
    let server = mtls_server(&clients, false);
    let run = check(
        &server,
        &ca,
        &["--cert".to_owned(), clients.path("combined.pem")],
    );
    run.assert_all_pass();
    assert_eq!(run.fact("tls", "client_cert_sent"), true);
}

#[test]
fn a_certificate_the_server_never_asks_for_is_only_a_fact() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    let server = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let run = check(&server, &ca, &clients.args("client"));
    run.assert_all_pass();
    assert!(run.fact("tls", "client_cert_requested").is_null());
    assert!(crate::support::text(run.fact("tls", "client_cert")).contains("cn=app"));
}

/// Exit 2, stderr naming `flag` and `file`, never a panic nor the key.
fn assert_usage(args: &[String], flag: &str, file: &str, key: &str) {
    let mut cmd = netdoctor();
    cmd.arg("check").arg("https://good.test/").args(args);
    let run = crate::support::run(&mut cmd);
    assert_eq!(run.code, 2, "{}", run.dump());
    assert!(
        run.stderr.contains(flag) && run.stderr.contains(file),
        "{}",
        run.dump()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.dump());
    let body: String = key.lines().nth(1).unwrap_or("x").chars().take(20).collect();
    assert!(
        !run.stderr.contains(&body),
        "the key leaked\n{}",
        run.dump()
    );
}

#[test]
fn bad_certificate_files_are_usage_errors() {
    let clients = Clients::new();
    let key = std::fs::read_to_string(clients.path("client.key")).expect("key");
    let missing = clients.path("missing.pem");
    assert_usage(
        &["--cert".into(), missing.clone()],
        "--cert",
        &missing,
        &key,
    );
    // The key as the certificate: no certificate in it.
    let as_cert = clients.path("client.key");
    assert_usage(
        &["--cert".into(), as_cert.clone()],
        "--cert",
        &as_cert,
        &key,
    );
    // A certificate without its key.
    let bare = clients.path("client.pem");
    assert_usage(&["--cert".into(), bare.clone()], "--cert-key", &bare, &key);
    // Another certificate's key.
    let other = clients.path("wrong.key");
    assert_usage(
        &["--cert".into(), bare, "--cert-key".into(), other.clone()],
        "--cert-key",
        &other,
        &key,
    );
    // A device or a FIFO is refused before it is read (never read forever).
    let zero = "/dev/zero".to_owned();
    assert_usage(&["--cert".into(), zero.clone()], "--cert", &zero, &key);
    // The key alone.
    let run = crate::support::run(
        netdoctor()
            .args(["check", "https://good.test/", "--cert-key"])
            .arg(clients.path("client.key")),
    );
    assert_eq!(run.code, 2, "{}", run.dump());
}

#[test]
fn a_check_file_takes_cert_and_cert_key() {
    let clients = Clients::new();
    let ca = pki().ca_file();
    let server = mtls_server(&clients, false);
    let file = write(
        clients.dir.path(),
        "checks.toml",
        &format!(
            "[defaults]\ncacert = \"{}\"\ncert = \"client.pem\"\n\n\
             [[check]]\nname = \"with\"\nurl = \"{}\"\nresolve = [\"{}\"]\ncert-key = \"client.key\"\n\n\
             [[check]]\nname = \"wrong\"\nurl = \"{}\"\nresolve = [\"{}\"]\ncert = \"wrong.pem\"\ncert-key = \"wrong.key\"\nexpect = \"TLS_CLIENT_CERT_REJECTED\"\n",
            ca.arg(),
            server.url("https", "good.test", "/"),
            server.resolve("good.test"),
            server.url("https", "good.test", "/"),
            server.resolve("good.test"),
        ),
    );
    let run = run_json_with(netdoctor(), &["run", file.as_str()]);
    run.assert_within(BOUNDED);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage_of(0, "tls")["facts"]["client_cert_sent"], true);
    assert_eq!(
        run.target(1)["diagnosis"]["code"],
        "TLS_CLIENT_CERT_REJECTED"
    );
}

/// Debian's nginx requiring a client certificate from `clients`' CA, under
/// `protocols` (`TLSv1.3`, `TLSv1.2`).
fn nginx_mtls(clients: &Clients, protocols: &str) -> Option<crate::support::daemon::Daemon> {
    let dir = nginx_dir();
    let leaf = pki().good(GOOD_NAMES);
    write(dir.path(), "server.pem", &leaf.pem.concat());
    write(dir.path(), "server.key", &pem_key(&leaf.key_der));
    write(dir.path(), "client-ca.pem", &clients.ca_pem);
    nginx_in(
        dir,
        &format!(
            "    listen 127.0.0.1:{{port}} ssl;\n    server_name good.test;\n\
             ssl_certificate {{dir}}/server.pem;\n    ssl_certificate_key {{dir}}/server.key;\n\
             ssl_protocols {protocols};\n    ssl_verify_client on;\n\
             ssl_client_certificate {{dir}}/client-ca.pem;\n\
             location / {{ return 200 \"ok\\n\"; }}"
        ),
    )
}

/// A PKCS#8 key as PEM.
fn pem_key(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn nginx_check(nginx: &crate::support::daemon::Daemon, ca: &CaFile, extra: &[String]) -> Run {
    let url = format!("https://good.test:{}/", nginx.port);
    let resolve = format!("good.test:{}:127.0.0.1", nginx.port);
    let mut args = vec![
        "check".to_owned(),
        url,
        "--resolve".to_owned(),
        resolve,
        "--cacert".to_owned(),
        ca.arg(),
    ];
    args.extend(extra.iter().cloned());
    let run = run_check(&args);
    run.assert_within(BOUNDED);
    run
}

#[test]
fn nginx_tls13_requires_rejects_and_accepts() {
    let clients = Clients::new();
    let Some(nginx) = nginx_mtls(&clients, "TLSv1.3") else {
        return;
    };
    let ca = pki().ca_file();
    let run = nginx_check(&nginx, &ca, &[]);
    run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REQUIRED");
    assert_names_client_ca(&run);
    assert_eq!(run.fact("tls", "version"), "TLSv1.3");
    assert!(
        crate::support::text(run.fact("tls", "client_cert_refusal"))
            .contains("no required ssl certificate was sent"),
        "{}",
        run.dump()
    );
    let run = nginx_check(&nginx, &ca, &clients.args("wrong"));
    run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REJECTED");
    assert_names_client_ca(&run);
    let run = nginx_check(&nginx, &ca, &clients.args("client"));
    run.assert_all_pass();
    assert_eq!(run.fact("http", "status"), 200);
}

#[test]
fn nginx_tls12_requires_a_certificate() {
    let clients = Clients::new();
    let Some(nginx) = nginx_mtls(&clients, "TLSv1.2") else {
        return;
    };
    let ca = pki().ca_file();
    let run = nginx_check(&nginx, &ca, &[]);
    run.assert_fail(14, "tls", "TLS_CLIENT_CERT_REQUIRED");
    assert_names_client_ca(&run);
    assert_eq!(run.fact("tls", "version"), "TLSv1.2");
    let run = nginx_check(&nginx, &ca, &clients.args("client"));
    run.assert_all_pass();
}

#[test]
fn human_output_of_a_required_certificate() {
    let clients = Clients::new();
    // TLS 1.2: the alert comes during the handshake, so the summary never
    // depends on whether it or the close reaches the client first.
    let server = mtls_server(&clients, true);
    let root = debian_image(&pki().root_pem());
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let args = crate::support::pinned(&server, "https", "/");
    let out = human(cmd, &args);
    assert_human(
        "tls_client_cert_required",
        &out,
        &[(&root.path().display().to_string(), "[SYSROOT]")],
    );
}
