//! Search-domain answers (`DNS_SEARCH_DOMAIN`): an image whose
//! `/etc/resolv.conf` has `search corp.example` and `options ndots:5` (a
//! Kubernetes pod's shape), and a nameserver with a wildcard
//! `*.corp.example` → 127.0.0.2, so `api.example.test` is first asked — and
//! answered — as `api.example.test.corp.example`. `--resolver` points
//! netdoctor at the nameserver; the image's search list and ndots still
//! apply, as in the pod. The nameserver is our hickory fixture
//! (`support::dns_server`: `api.example.test` → 127.0.0.1, other names of
//! `example.test` do not exist) and, for interop, Debian's dnsmasq.

use crate::support::daemon::{self, Daemon};
use crate::support::snapshot::{assert_human, human};
use crate::support::{
    empty_sysroot, http_server, netdoctor, run_json_with, text, DnsServer, Response, Run,
};
use tempfile::TempDir;

/// An image root whose resolv.conf is `conf`.
fn image(conf: &str) -> TempDir {
    let root = empty_sysroot();
    std::fs::write(root.path().join("etc/resolv.conf"), conf).expect("resolv.conf");
    root
}

/// A Kubernetes pod's resolver settings with `corp.example` as its search domain.
const POD: &str = "search corp.example\nnameserver 10.96.0.10\noptions ndots:5\n";

/// `check URL --resolver ADDR --timeout 2s` in `root`.
fn check(root: &TempDir, resolver: &str, url: &str) -> Run {
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    run_json_with(
        cmd,
        &["check", url, "--resolver", resolver, "--timeout", "2s"],
    )
}

/// The facts every search-domain answer has: asked, answered, the
/// expansion's address.
fn assert_expansion(run: &Run, name: &str) {
    run.assert_fail(12, "tcp", "TCP_REFUSED");
    let dns = run.stage("dns");
    assert_eq!(dns["status"], "warn", "{}", run.dump());
    assert_eq!(
        dns["diagnosis"]["code"],
        "DNS_SEARCH_DOMAIN",
        "{}",
        run.dump()
    );
    assert_eq!(
        run.fact("dns", "resolved_name"),
        format!("{name}.corp.example").as_str(),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.fact("dns", "addresses")[0],
        "127.0.0.2",
        "{}",
        run.dump()
    );
    let line = dns["summary"].as_str().unwrap_or_default();
    let asked = format!(
        "{name} answered as {name}.corp.example → 127.0.0.2 (search corp.example, ndots:5)"
    );
    assert_eq!(line, asked, "{}", run.dump());
    let summary = dns["diagnosis"]["summary"].as_str().unwrap_or_default();
    let asked = format!("{name} answered as {name}.corp.example (search corp.example, ndots:5) → 127.0.0.2; the absolute name {name}. ");
    assert!(summary.starts_with(&asked), "{}", run.dump());
    let warned = run.target(0)["warnings"]
        .as_array()
        .is_some_and(|w| w.iter().any(|d| d["code"] == "DNS_SEARCH_DOMAIN"));
    assert!(warned, "DNS_SEARCH_DOMAIN not in warnings\n{}", run.dump());
    // The later failure (the wrong address refuses) names the expansion.
    let hint = run.target(0)["diagnosis"]["hint"]
        .as_str()
        .unwrap_or_default();
    let note =
        format!("note: {name} was answered by the search-domain expansion {name}.corp.example");
    assert!(hint.contains(&note), "{}", run.dump());
}

#[test]
fn wildcard_answers_the_expansion_and_the_absolute_name_differs() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let root = image(POD);
    let run = check(
        &root,
        &dns.resolver_arg(),
        &server.url("http", "api.example.test", "/"),
    );
    assert_expansion(&run, "api.example.test");
    let absolute = run.fact("dns", "absolute");
    assert_eq!(absolute["name"], "api.example.test.", "{}", run.dump());
    assert_eq!(absolute["addresses"][0], "127.0.0.1", "{}", run.dump());
    assert_eq!(absolute["differs"], true, "{}", run.dump());
    let hint = text(&run.target(0)["diagnosis"]["hint"]);
    assert!(
        hint.contains("connects to the wrong address"),
        "{}",
        run.dump()
    );
    // glibc's order: the expansion first, the name itself last (and once more, absolute).
    let asked = dns.queries();
    let first = asked
        .iter()
        .position(|q| q.starts_with("api.example.test.corp.example"));
    let own = asked
        .iter()
        .position(|q| q.starts_with("api.example.test "));
    assert!(first.is_some() && own.is_some() && first < own, "{asked:?}");
}

#[test]
fn wildcard_answers_a_name_that_does_not_exist() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let root = image(POD);
    let run = check(
        &root,
        &dns.resolver_arg(),
        &server.url("http", "gone.example.test", "/"),
    );
    assert_expansion(&run, "gone.example.test");
    let absolute = run.fact("dns", "absolute");
    assert_eq!(absolute["exists"], false, "{}", run.dump());
    assert_eq!(absolute["error"], "DNS_NXDOMAIN", "{}", run.dump());
    assert!(absolute.get("addresses").is_none(), "{}", run.dump());
    let summary = text(&run.stage("dns")["diagnosis"]["summary"]);
    assert!(summary.contains("does not exist either"), "{}", run.dump());
}

#[test]
fn a_name_with_enough_dots_is_asked_as_is_and_passes() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let root = image("search corp.example\nnameserver 10.96.0.10\noptions ndots:2\n");
    let run = check(
        &root,
        &dns.resolver_arg(),
        &server.url("http", "api.example.test", "/"),
    );
    run.assert_all_pass();
    assert_eq!(
        run.fact("dns", "resolved_name"),
        "api.example.test",
        "{}",
        run.dump()
    );
    assert!(
        run.stage("dns")["facts"].get("absolute").is_none(),
        "{}",
        run.dump()
    );
}

#[test]
fn pinned_names_are_untouched() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let root = image(POD);
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let run = run_json_with(
        cmd,
        &[
            "check",
            &server.url("http", "api.example.test", "/"),
            "--resolver",
            &dns.resolver_arg(),
            "--resolve",
            &server.resolve("api.example.test"),
        ],
    );
    run.assert_all_pass();
    assert_eq!(run.fact("dns", "pinned"), true, "{}", run.dump());
    assert!(dns.queries().is_empty(), "{:?}", dns.queries());
}

#[test]
fn a_failure_keeps_the_names_own_code_under_a_search_list() {
    // servfail.test SERVFAILs, servfail.test.example.org is NXDOMAIN: glibc
    // reports the name's own error, so does netdoctor.
    let dns = DnsServer::start();
    let root = image("search example.org\nnameserver 10.96.0.10\n");
    let run = check(&root, &dns.resolver_arg(), "https://servfail.test/");
    run.assert_fail(11, "dns", "DNS_SERVFAIL");
    assert!(
        dns.queries()
            .iter()
            .any(|q| q.starts_with("servfail.test.example.org")),
        "the search list was not applied with --resolver: {:?}",
        dns.queries()
    );
}

#[test]
fn human_output() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let root = image(POD);
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let url = server.url("http", "api.example.test", "/");
    let out = human(
        cmd,
        &[
            "check",
            &url,
            "--resolver",
            &dns.resolver_arg(),
            "--timeout",
            "2s",
        ],
    );
    let port = format!(":{}", server.port());
    assert_human("search_domain_wildcard", &out, &[(&port, ":[PORT]")]);
}

/// Debian's dnsmasq as the nameserver: `corp.example` and everything under
/// it → 127.0.0.2, `api.example.test` → 127.0.0.1, the rest of
/// `example.test` local (NXDOMAIN). `None`, said loudly, without dnsmasq.
fn dnsmasq() -> Option<Daemon> {
    const DNSMASQ: &str = "/usr/sbin/dnsmasq";
    if !daemon::installed(DNSMASQ, "dnsmasq-base") {
        return None;
    }
    let port = daemon::free_port();
    let port_arg = format!("--port={port}");
    daemon::start_udp(
        DNSMASQ,
        &[
            "--no-daemon",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            &port_arg,
            "--address=/corp.example/127.0.0.2",
            "--address=/api.example.test/127.0.0.1",
            "--local=/example.test/",
        ],
        port,
        daemon::shared_dir(),
    )
}

#[test]
fn interop_dnsmasq_wildcard_under_the_search_domain() {
    let Some(dnsmasq) = dnsmasq() else {
        return;
    };
    let server = http_server(Response::ok());
    let root = image(POD);
    let resolver = format!("127.0.0.1:{}", dnsmasq.port);
    let run = check(
        &root,
        &resolver,
        &server.url("http", "api.example.test", "/"),
    );
    assert_expansion(&run, "api.example.test");
    let absolute = run.fact("dns", "absolute");
    assert_eq!(absolute["addresses"][0], "127.0.0.1", "{}", run.dump());
    assert_eq!(absolute["differs"], true, "{}", run.dump());

    let run = check(
        &root,
        &resolver,
        &server.url("http", "gone.example.test", "/"),
    );
    assert_expansion(&run, "gone.example.test");
    assert_eq!(
        run.fact("dns", "absolute")["exists"],
        false,
        "{}",
        run.dump()
    );
}

/// A plain HTTP server on 127.0.0.2 (the wildcard's address: the wrong
/// host) answering one request with a 404; its port.
fn wrong_host_404() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}

#[test]
fn a_later_warning_notes_the_expansion_too() {
    let dns = DnsServer::start();
    let port = wrong_host_404();
    let root = image(POD);
    let url = format!("http://api.example.test:{port}/");
    let run = check(&root, &dns.resolver_arg(), &url);
    run.assert_warn("http", "HTTP_NOT_FOUND");
    assert_eq!(
        run.stage("dns")["diagnosis"]["code"],
        "DNS_SEARCH_DOMAIN",
        "{}",
        run.dump()
    );
    let hint = run.stage("http")["diagnosis"]["hint"]
        .as_str()
        .unwrap_or_default();
    assert!(
        hint.contains("note: api.example.test was answered by the search-domain expansion api.example.test.corp.example"),
        "{}",
        run.dump()
    );
}
