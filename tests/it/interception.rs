//! `CERT_INTERCEPTED`: chains signed by CAs named like TLS-inspection
//! products (rcgen roots called "Zscaler Root CA", "mitmproxy", …), a
//! CONNECT proxy that re-signs the tunnel with its own root (the mitmproxy
//! situation), and public service names pinned to a private CA. A `fail`
//! when the container does not trust the intercepting root (and then no
//! credential ever leaves: the fixtures' request logs prove it), a `warn`
//! when it does (and then auth is still tested). The hint carries the image
//! fix for the distribution of the (fake) sysroot.

use rcgen::DnType;

use crate::support::pki::Pki;
use crate::support::{
    netdoctor, pki, run_json_with, text, ProxyServer, Response, Run, Server, TlsServer, GOOD_NAMES,
};

const SECRET: &str = "Bearer sk-interception-secret";

/// A fake image root: `/etc/os-release` with `ID=os` (if any), a system
/// bundle holding `bundle` (if any), and empty files at `files`.
fn sysroot(os: Option<&str>, bundle: Option<&str>, files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
    if let Some(id) = os {
        std::fs::write(root.join("etc/os-release"), format!("ID={id}\n")).unwrap();
    }
    if let Some(pem) = bundle {
        std::fs::write(root.join("etc/ssl/certs/ca-certificates.crt"), pem).unwrap();
    }
    for f in files {
        let p = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    dir
}

fn zscaler() -> Pki {
    Pki::named(&[
        (DnType::CommonName, "Zscaler Root CA"),
        (DnType::OrganizationName, "Zscaler Inc."),
        (DnType::OrganizationalUnitName, "Zscaler Inc."),
    ])
}

fn mitmproxy() -> Pki {
    Pki::named(&[
        (DnType::CommonName, "mitmproxy"),
        (DnType::OrganizationName, "mitmproxy"),
    ])
}

/// `check URL --resolve … -H 'Authorization: …' extra…` in `root`.
fn check(root: &tempfile::TempDir, server: &Server, host: &str, extra: &[String]) -> Run {
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let mut args = vec![
        "check".to_owned(),
        server.url("https", host, "/v1/models"),
        "--resolve".to_owned(),
        server.resolve(host),
        "-H".to_owned(),
        format!("Authorization: {SECRET}"),
    ];
    args.extend(extra.iter().cloned());
    run_json_with(cmd, &args)
}

fn assert_no_credential(requests: &[String], run: &Run) {
    for r in requests {
        assert!(
            !r.contains("sk-interception-secret"),
            "a credential crossed a chain that failed: {r}\n{}",
            run.dump()
        );
    }
}

#[test]
fn zscaler_root_not_trusted_fails_and_no_credential_is_sent() {
    let z = zscaler();
    let server = TlsServer::new(&z.good(GOOD_NAMES)).http(Response::ok());
    let root = sysroot(Some("debian"), Some(&pki().root_pem()), &[]);
    let run = check(&root, &server, "good.test", &[]);
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    let d = &run.target(0)["diagnosis"];
    assert_eq!(d["status"], "fail", "{}", run.dump());
    assert!(text(&d["summary"]).contains("zscaler"), "{}", run.dump());
    let hint = d["hint"].as_str().unwrap();
    assert!(hint.contains("update-ca-certificates"), "{hint}");
    assert!(hint.contains("--save-chain"), "{hint}");
    assert_eq!(
        run.fact("certificate", "interception")["product"],
        "Zscaler",
        "{}",
        run.dump()
    );
    assert_eq!(run.stage("http")["status"], "skipped", "{}", run.dump());
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn zscaler_root_trusted_by_the_container_warns_and_auth_is_still_tested() {
    let z = zscaler();
    let server = TlsServer::new(&z.good(GOOD_NAMES)).http(Response::ok());
    let root = sysroot(Some("debian"), Some(&z.root_pem()), &[]);
    let run = check(&root, &server, "good.test", &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    run.assert_warn("certificate", "CERT_INTERCEPTED");
    assert_eq!(run.stage("auth")["status"], "pass", "{}", run.dump());
    let requests = server.requests();
    assert!(
        requests.iter().any(|r| r.contains(SECRET)),
        "auth was not tested behind a trusted interception root: {requests:?}"
    );
}

#[test]
fn product_names_in_o_and_ou_are_recognised() {
    // Neither CN names the product; the organisation does.
    let netskope = Pki::named(&[
        (DnType::CommonName, "ca.corp.example"),
        (DnType::OrganizationName, "Netskope Inc."),
    ]);
    let server = TlsServer::new(&netskope.good(GOOD_NAMES)).http(Response::ok());
    let root = sysroot(None, None, &[]);
    let run = check(&root, &server, "good.test", &[]);
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    assert_eq!(
        run.fact("certificate", "interception")["product"],
        "Netskope"
    );
}

/// An origin for `good.test` with the ordinary test chain, and a CONNECT
/// proxy in front of it that re-signs every tunnel with `forger`'s root.
fn resigning_proxy(forger: &Pki) -> (Server, Server) {
    let origin = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let proxy = ProxyServer::new()
        .route("good.test", origin.addr())
        .intercept(&forger.good(GOOD_NAMES))
        .start();
    (origin, proxy)
}

fn via(proxy: &Server, more: &[&str]) -> Vec<String> {
    let mut v = vec!["--proxy".to_owned(), format!("http://{}", proxy.addr())];
    v.extend(more.iter().map(|s| (*s).to_owned()));
    v
}

#[test]
fn resigning_proxy_with_an_untrusted_root_fails_and_sees_no_credential() {
    let m = mitmproxy();
    let (origin, proxy) = resigning_proxy(&m);
    let ca = pki().root_file();
    let root = sysroot(Some("alpine"), None, &[]);
    let run = check(
        &root,
        &origin,
        "good.test",
        &via(&proxy, &["--cacert", &ca.arg()]),
    );
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    assert_eq!(run.stage("proxy")["status"], "pass", "{}", run.dump());
    assert_eq!(
        run.fact("certificate", "interception")["product"],
        "mitmproxy"
    );
    let hint = run.target(0)["diagnosis"]["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(hint.contains("apk add"), "{hint}");
    // The proxy saw the CONNECT and nothing else; the origin saw nothing.
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("CONNECT "), "{seen:?}");
    assert_no_credential(&seen, &run);
    assert!(origin.requests().is_empty());
}

#[test]
fn resigning_proxy_whose_root_is_trusted_warns_and_auth_goes_through_it() {
    let m = mitmproxy();
    let (origin, proxy) = resigning_proxy(&m);
    let ca = m.root_file();
    let root = sysroot(None, None, &[]);
    let run = check(
        &root,
        &origin,
        "good.test",
        &via(&proxy, &["--cacert", &ca.arg()]),
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    run.assert_warn("certificate", "CERT_INTERCEPTED");
    assert_eq!(run.stage("auth")["status"], "pass", "{}", run.dump());
    let seen = proxy.requests();
    assert!(seen.iter().any(|r| r.contains(SECRET)), "{seen:?}");
}

#[test]
fn private_ca_through_an_ordinary_connect_proxy_is_not_interception() {
    let origin = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let proxy = ProxyServer::new().route("good.test", origin.addr()).start();
    let root = sysroot(None, None, &[]);
    let run = check(&root, &origin, "good.test", &via(&proxy, &[]));
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
    assert!(run.fact("certificate", "interception").is_null());
    let ca = pki().root_file();
    let run = check(
        &root,
        &origin,
        "good.test",
        &via(&proxy, &["--cacert", &ca.arg()]),
    );
    assert_eq!(run.code, 0, "{}", run.dump());
    assert!(
        run.target(0)["warnings"].as_array().unwrap().is_empty(),
        "{}",
        run.dump()
    );
}

const SPEECH: &str = "westeurope.stt.speech.microsoft.com";

#[test]
fn public_service_host_with_a_private_ca_is_interception_unless_vouched_for() {
    let server = TlsServer::new(&pki().good(&[SPEECH])).http(Response::ok());
    // Not trusted anywhere: fail.
    let bare = sysroot(Some("rhel"), None, &["/usr/bin/python3", "/usr/bin/node"]);
    let run = check(&bare, &server, SPEECH, &[]);
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    let hint = run.target(0)["diagnosis"]["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(hint.contains("/etc/pki/ca-trust/source/anchors/"), "{hint}");
    assert!(hint.contains("update-ca-trust"), "{hint}");
    assert!(hint.contains("REQUESTS_CA_BUNDLE="), "{hint}");
    assert!(hint.contains("NODE_EXTRA_CA_CERTS="), "{hint}");
    assert!(server.requests().is_empty());
    // Trusted by the image's store but not vouched for with --cacert: warn.
    let trusting = sysroot(Some("debian"), Some(&pki().root_pem()), &[]);
    let run = check(&trusting, &server, SPEECH, &[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    run.assert_warn("certificate", "CERT_INTERCEPTED");
    assert!(run.fact("certificate", "interception")["product"].is_null());
    // Given with --cacert: the user vouches for it; a plain pass.
    let ca = pki().root_file();
    let run = check(&bare, &server, SPEECH, &["--cacert".to_owned(), ca.arg()]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.stage("certificate")["status"], "pass", "{}", run.dump());
}

#[test]
fn image_fix_follows_the_distribution() {
    let z = zscaler();
    let server = TlsServer::new(&z.good(GOOD_NAMES)).http(Response::ok());
    for (os, want) in [
        ("ubuntu", "/usr/local/share/ca-certificates/"),
        ("alpine", "apk add --no-cache ca-certificates"),
        ("rhel", "update-ca-trust"),
    ] {
        let root = sysroot(Some(os), None, &[]);
        let run = check(&root, &server, "good.test", &[]);
        run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
        let hint = run.target(0)["diagnosis"]["hint"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(hint.contains(want), "{os}: {hint}");
        // No Python or Node in this image: no runtime lines.
        assert!(!hint.contains("REQUESTS_CA_BUNDLE"), "{os}: {hint}");
    }
}

/// The PEM certificates of a file, in order.
fn pem_certs(path: &std::path::Path) -> Vec<Vec<u8>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_file_iter(path)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
        .map(|c| c.expect("PEM certificate").to_vec())
        .collect()
}

#[test]
fn save_chain_writes_the_chain_as_presented_leaf_first() {
    let z = zscaler();
    let leaf = z.good(GOOD_NAMES);
    let server = TlsServer::new(&leaf).http(Response::ok());
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("chain.pem");
    let root = sysroot(None, None, &[]);
    let run = check(
        &root,
        &server,
        "good.test",
        &["--save-chain".to_owned(), file.display().to_string()],
    );
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    assert_eq!(
        run.fact("certificate", "saved_chain"),
        file.display().to_string().as_str()
    );
    let saved = pem_certs(&file);
    let presented: Vec<Vec<u8>> = leaf.chain.iter().map(|c| c.to_vec()).collect();
    assert_eq!(saved, presented, "leaf first, exactly as presented");
    // The proxy's CA is the issuer of the last certificate: the user can
    // take it from there.
    let (_, last) = x509_parser::parse_x509_certificate(saved.last().unwrap()).unwrap();
    assert!(last.issuer().to_string().contains("Zscaler Root CA"));
}

#[test]
fn save_chain_with_several_targets_fills_a_directory() {
    let a_leaf = pki().good(GOOD_NAMES);
    let b_leaf = pki().leaf_only(GOOD_NAMES);
    let a = TlsServer::new(&a_leaf).http(Response::ok());
    let b = TlsServer::new(&b_leaf).http(Response::ok());
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("chains");
    let ca = pki().root_file();
    let mut cmd = netdoctor();
    let root = sysroot(None, None, &[]);
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let run = run_json_with(
        cmd,
        &[
            "check".to_owned(),
            a.url("https", "good.test", "/"),
            b.url("https", "localhost", "/"),
            "--resolve".to_owned(),
            a.resolve("good.test"),
            "--resolve".to_owned(),
            b.resolve("localhost"),
            "--cacert".to_owned(),
            ca.arg(),
            "--save-chain".to_owned(),
            dir.display().to_string(),
        ],
    );
    assert_eq!(run.code, 15, "{}", run.dump());
    let first = pem_certs(&dir.join("1-good.test.pem"));
    assert_eq!(first.len(), 2);
    assert_eq!(first[0], a_leaf.chain[0].to_vec());
    assert_eq!(first[1], pki().intermediate_der().to_vec());
    let second = pem_certs(&dir.join("2-localhost.pem"));
    assert_eq!(second, vec![b_leaf.chain[0].to_vec()]);
}

fn gateway() -> Pki {
    // Named like no product in the catalogue: only the comparison tells.
    Pki::named(&[
        (DnType::CommonName, "Corp Security Gateway CA"),
        (DnType::OrganizationName, "Example Corp"),
    ])
}

#[test]
fn resigning_seen_by_comparing_with_the_direct_path() {
    let g = gateway();
    let (origin, proxy) = resigning_proxy(&g);
    let root = sysroot(Some("debian"), None, &[]);
    let run = check(&root, &origin, "good.test", &via(&proxy, &[]));
    run.assert_fail(15, "certificate", "CERT_INTERCEPTED");
    assert_eq!(
        run.fact("certificate", "direct_comparison")["same_certificate"],
        false,
        "{}",
        run.dump()
    );
    let interception = run.fact("certificate", "interception");
    assert!(interception["product"].is_null());
    assert!(
        text(&interception["rule"]).contains("direct connection"),
        "{}",
        run.dump()
    );
    assert_no_credential(&proxy.requests(), &run);
    // The image trusts the gateway's root (not --cacert): a warning, and
    // the credential goes through it.
    let trusting = sysroot(Some("debian"), Some(&g.root_pem()), &[]);
    let run = check(&trusting, &origin, "good.test", &via(&proxy, &[]));
    assert_eq!(run.code, 0, "{}", run.dump());
    run.assert_warn("certificate", "CERT_INTERCEPTED");
    assert!(proxy.requests().iter().any(|r| r.contains(SECRET)));
}

#[test]
fn same_certificate_on_both_paths_or_no_direct_path_is_not_interception() {
    let origin = TlsServer::new(&pki().good(GOOD_NAMES)).http(Response::ok());
    let proxy = ProxyServer::new().route("good.test", origin.addr()).start();
    let root = sysroot(None, None, &[]);
    let run = check(&root, &origin, "good.test", &via(&proxy, &[]));
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
    assert_eq!(
        run.fact("certificate", "direct_comparison")["same_certificate"],
        true,
        "{}",
        run.dump()
    );
    // The hint still names interception as a possibility.
    let hint = run.target(0)["diagnosis"]["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        hint.contains("TLS inspection") && hint.contains("--save-chain"),
        "{hint}"
    );
    // The direct path is closed (the name is pinned to a closed port): no
    // comparison, no verdict of interception.
    let g = gateway();
    let (origin, proxy) = resigning_proxy(&g);
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let closed = crate::support::closed_port();
    let run = run_json_with(
        cmd,
        &[
            "check".to_owned(),
            origin.url("https", "good.test", "/"),
            "--connect-to".to_owned(),
            format!("good.test:{}:127.0.0.1:{closed}", origin.port()),
            "--proxy".to_owned(),
            format!("http://{}", proxy.addr()),
        ],
    );
    run.assert_fail(15, "certificate", "CERT_UNKNOWN_ISSUER");
    assert!(
        run.fact("certificate", "direct_comparison")["unavailable"].is_string(),
        "{}",
        run.dump()
    );
}
