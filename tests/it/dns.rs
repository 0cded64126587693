//! The `dns` stage: answers from our own DNS server (`--resolver`), names
//! pinned with `--resolve`/`--connect-to`, and every DNS failure code.

use crate::support::{
    empty_sysroot, http_server, netdoctor, pinned, run_check, run_json_with, text, DnsServer,
    Response, SilentDns, BOUNDED,
};

/// `check URL --resolver DNS --timeout 2s`.
fn via_resolver(dns: &DnsServer, url: &str) -> crate::support::Run {
    run_check(&[
        "check",
        url,
        "--resolver",
        &dns.resolver_arg(),
        "--timeout",
        "2s",
    ])
}

/// Assert netdoctor asked our server (and so not the machine's resolver) and
/// says so in the stage's facts.
fn assert_asked(dns: &DnsServer, run: &crate::support::Run, name: &str) {
    assert!(
        dns.queries().iter().any(|q| q.starts_with(name)),
        "our DNS server was not asked for {name}: {:?}\n{}",
        dns.queries(),
        run.dump()
    );
    assert!(
        text(&run.stage("dns")["facts"]).contains(&dns.resolver_arg()),
        "dns facts do not name the resolver asked ({})\n{}",
        dns.resolver_arg(),
        run.dump()
    );
}

#[test]
fn nxdomain() {
    let dns = DnsServer::start();
    let run = via_resolver(&dns, "https://nxdomain.test/");
    run.assert_fail(11, "dns", "DNS_NXDOMAIN");
    assert_asked(&dns, &run, "nxdomain.test");
    run.assert_skipped_after("dns", &["tcp", "tls", "certificate", "http", "auth"]);
}

#[test]
fn name_without_addresses_is_no_records() {
    let dns = DnsServer::start();
    let run = via_resolver(&dns, "https://nodata.test/");
    run.assert_fail(11, "dns", "DNS_NO_RECORDS");
    assert_asked(&dns, &run, "nodata.test");
}

#[test]
fn servfail() {
    let dns = DnsServer::start();
    let run = via_resolver(&dns, "https://servfail.test/");
    run.assert_fail(11, "dns", "DNS_SERVFAIL");
    assert_asked(&dns, &run, "servfail.test");
}

#[test]
fn refused() {
    let dns = DnsServer::start();
    let run = via_resolver(&dns, "https://refused.test/");
    run.assert_fail(11, "dns", "DNS_REFUSED");
    assert_asked(&dns, &run, "refused.test");
}

#[test]
fn silent_server_is_a_timeout_and_does_not_hang() {
    let silent = SilentDns::start();
    let run = run_check(&[
        "check",
        "https://good.test/",
        "--resolver",
        &silent.resolver_arg(),
        "--timeout",
        "1s",
    ]);
    run.assert_fail(11, "dns", "DNS_TIMEOUT")
        .assert_within(BOUNDED);
}

#[test]
fn no_resolv_conf_and_nothing_on_127_0_0_1_53_is_no_resolver() {
    // The fallback must find nothing: skip if something serves 127.0.0.1:53 here.
    if std::net::UdpSocket::bind("127.0.0.1:53").is_err() {
        crate::support::skip(
            "something listens on 127.0.0.1:53 (or binding it is not allowed)",
            "nothing: run as root with 127.0.0.1:53 free (no local resolver)",
        );
        return;
    }
    let root = empty_sysroot();
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let run = run_json_with(cmd, &["check", "https://good.test/", "--timeout", "1s"]);
    run.assert_fail(11, "dns", "DNS_NO_RESOLVER")
        .assert_within(BOUNDED);
}

#[test]
fn pinned_name_passes_and_says_pinned() {
    let server = http_server(Response::ok());
    let run = run_check(&pinned(&server, "http", "/"));
    run.assert_all_pass();
    assert_eq!(run.fact("dns", "pinned"), true, "{}", run.dump());
    assert!(
        text(&run.stage("dns")["facts"]).contains("127.0.0.1"),
        "{}",
        run.dump()
    );
}

#[test]
fn connect_to_pins_and_keeps_the_host_header() {
    let server = http_server(Response::ok());
    let run = run_check(&[
        "check",
        "http://good.test/",
        "--connect-to",
        &format!("good.test:80:127.0.0.1:{}", server.port()),
    ]);
    run.assert_all_pass();
    assert_eq!(run.fact("dns", "pinned"), true, "{}", run.dump());
    let request = server.requests().join("").to_ascii_lowercase();
    assert!(request.contains("host: good.test"), "{request}");
}

#[test]
fn resolved_by_our_server() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let run = via_resolver(&dns, &server.url("http", "good.test", "/"));
    run.assert_all_pass();
    assert_asked(&dns, &run, "good.test");
    assert_ne!(run.fact("dns", "pinned"), true, "{}", run.dump());
    assert!(
        text(&run.stage("dns")["facts"]).contains("127.0.0.1"),
        "{}",
        run.dump()
    );
}

#[test]
fn cname_chain_is_in_the_facts() {
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let run = via_resolver(&dns, &server.url("http", "alias.test", "/"));
    run.assert_all_pass();
    let cnames = run.fact("dns", "cnames");
    assert!(cnames.is_array(), "facts.cnames\n{}", run.dump());
    assert!(text(cnames).contains("good.test"), "{}", run.dump());
}

/// A UDP "nameserver" on loopback that answers every query with a packet
/// cut short after its header and part of the question (what a broken DNS
/// proxy or a truncating middlebox sends). Ends with the test process.
fn cut_answers() -> std::net::SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let addr = socket.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            if n < 12 {
                continue;
            }
            // Same id; QR, RD, RA; 1 question, 1 answer — then the packet ends.
            let mut reply = buf[..2].to_vec();
            reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
            reply.extend_from_slice(&buf[12..n.min(20)]);
            let _ = socket.send_to(&reply, from);
        }
    });
    addr
}

#[test]
fn an_answer_that_cannot_be_decoded_is_dns_malformed_not_servfail() {
    let server = cut_answers();
    let run = run_check(&[
        "check",
        "tcp://cut.example.test:80",
        "--resolver",
        &server.to_string(),
        "--timeout",
        "2s",
    ]);
    run.assert_fail(11, "dns", "DNS_MALFORMED");
    let summary = text(&run.target(0)["diagnosis"]["summary"]);
    assert!(summary.contains("cannot be decoded"), "{}", run.dump());
    assert!(summary.contains(&server.to_string()), "{}", run.dump());
}
