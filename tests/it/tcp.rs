//! The `tcp` stage: refused, timed out, unreachable, and IPv6 broken while
//! IPv4 works.

use crate::support::{
    closed_port, http_server, run, run_check, DnsServer, FullBacklog, Response, BOUNDED,
};

fn tcp_target(port: u16) -> Vec<String> {
    vec![
        "check".to_owned(),
        format!("tcp://good.test:{port}"),
        "--resolve".to_owned(),
        format!("good.test:{port}:127.0.0.1"),
    ]
}

#[test]
fn closed_port_is_refused() {
    let port = closed_port();
    let run = run_check(&tcp_target(port));
    run.assert_fail(12, "tcp", "TCP_REFUSED");
    assert!(
        crate::support::text(&run.stage("tcp")["facts"]).contains(&format!("127.0.0.1:{port}")),
        "tcp facts name the address\n{}",
        run.dump()
    );
}

#[test]
fn refused_over_http_skips_the_rest() {
    let port = closed_port();
    let run = run_check(&[
        "check",
        &format!("https://good.test:{port}/"),
        "--resolve",
        &format!("good.test:{port}:127.0.0.1"),
    ]);
    run.assert_fail(12, "tcp", "TCP_REFUSED")
        .assert_skipped_after("tcp", &["tls", "certificate", "http", "auth"]);
}

#[test]
fn full_accept_queue_is_a_timeout_and_does_not_hang() {
    let backlog = FullBacklog::new();
    let mut args = tcp_target(backlog.port());
    args.extend(["--timeout".to_owned(), "1s".to_owned()]);
    run_check(&args)
        .assert_fail(12, "tcp", "TCP_TIMEOUT")
        .assert_within(BOUNDED);
}

#[test]
fn no_route_in_an_empty_network_namespace_is_unreachable() {
    let unshare_works = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !unshare_works {
        crate::support::skip(
            "`unshare -n` does not run here (it needs root)",
            "util-linux and run as root",
        );
        return;
    }
    // In a fresh network namespace even `lo` is down: connect gets ENETUNREACH.
    let mut cmd = assert_cmd::Command::new("unshare");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.timeout(crate::support::RUN_CEILING);
    cmd.arg("-n").arg(env!("CARGO_BIN_EXE_netdoctor"));
    cmd.args(tcp_target(443))
        .args(["--format", "json", "--timeout", "2s"]);
    let run = run(&mut cmd);
    assert_eq!(run.json["schema"], "netdoctor/v1", "{}", run.dump());
    run.assert_fail(12, "tcp", "TCP_UNREACHABLE")
        .assert_within(BOUNDED);
}

#[test]
fn dead_ipv6_with_working_ipv4_is_a_warning() {
    // The server listens on 127.0.0.1 only; ::1 on that port refuses (or has no
    // IPv6 at all): either way v6 fails and v4 works.
    let server = http_server(Response::ok());
    let port = server.port();
    assert!(
        std::net::TcpStream::connect(("::1", port)).is_err(),
        "something listens on [::1]:{port}"
    );
    let run = run_check(&[
        "check",
        &format!("http://good.test:{port}/"),
        "--resolve",
        &format!("good.test:{port}:::1,127.0.0.1"),
    ]);
    run.assert_warn("tcp", "TCP_IPV6_BROKEN");
    assert_eq!(run.stage("http")["status"], "pass", "{}", run.dump());
    let facts = crate::support::text(&run.stage("tcp")["facts"]);
    assert!(
        facts.contains("::1") && facts.contains("127.0.0.1"),
        "{}",
        run.dump()
    );
}

#[test]
fn ipv4_only_flag_skips_the_dead_ipv6_address() {
    let server = http_server(Response::ok());
    let port = server.port();
    let run = run_check(&[
        "check",
        &format!("http://good.test:{port}/"),
        "--resolve",
        &format!("good.test:{port}:::1,127.0.0.1"),
        "-4",
    ]);
    run.assert_all_pass();
}

#[test]
fn dead_ipv6_from_real_aaaa_answers_is_a_warning() {
    // dual.test has A 127.0.0.1 and AAAA ::1 in the test zone.
    let dns = DnsServer::start();
    let server = http_server(Response::ok());
    let run = run_check(&[
        "check",
        &server.url("http", "dual.test", "/"),
        "--resolver",
        &dns.resolver_arg(),
        "--timeout",
        "2s",
    ]);
    run.assert_warn("tcp", "TCP_IPV6_BROKEN");
    let answers = crate::support::text(&run.stage("dns")["facts"]);
    assert!(
        answers.contains("::1") && answers.contains("127.0.0.1"),
        "{}",
        run.dump()
    );
}
