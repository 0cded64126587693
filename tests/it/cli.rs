//! The command line: usage errors (exit 2, naming the flag and the value),
//! which stages a scheme gets, several targets in one run, the JSON schema's
//! basics and the human output.

use crate::support::{
    closed_port, http_server, netdoctor, pinned, run, run_check, ws_server, Response, Run,
    WsOptions,
};

fn usage(args: &[&str]) -> Run {
    let mut cmd = netdoctor();
    cmd.args(args);
    let r = run(&mut cmd);
    assert_eq!(r.code, 2, "usage error exits 2\n{}", r.dump());
    r
}

#[test]
fn malformed_url_is_a_usage_error_naming_it() {
    let r = usage(&["check", "http://[::1/oops", "--format", "json"]);
    assert!(r.stderr.contains("http://[::1/oops"), "{}", r.dump());
}

#[test]
fn unsupported_scheme_is_a_usage_error_naming_it() {
    let r = usage(&["check", "ftp://good.test/file"]);
    assert!(r.stderr.contains("ftp"), "{}", r.dump());
}

#[test]
fn tcp_url_without_port_is_a_usage_error() {
    let r = usage(&["check", "tcp://good.test"]);
    assert!(r.stderr.contains("tcp://good.test"), "{}", r.dump());
}

#[test]
fn bad_timeout_is_a_usage_error_naming_flag_and_value() {
    let r = usage(&["check", "https://good.test/", "--timeout", "soon"]);
    assert!(r.stderr.contains("--timeout"), "{}", r.dump());
    assert!(r.stderr.contains("soon"), "{}", r.dump());
}

#[test]
fn bad_resolve_is_a_usage_error_naming_flag_and_value() {
    let r = usage(&[
        "check",
        "https://good.test/",
        "--resolve",
        "good.test:443:nowhere",
    ]);
    assert!(r.stderr.contains("--resolve"), "{}", r.dump());
    assert!(r.stderr.contains("nowhere"), "{}", r.dump());
}

#[test]
fn no_url_is_a_usage_error() {
    usage(&["check"]);
}

#[test]
fn tcp_target_has_only_dns_and_tcp() {
    let server = http_server(Response::ok());
    let run = run_check(&[
        "check",
        &format!("tcp://good.test:{}", server.port()),
        "--resolve",
        &server.resolve("good.test"),
    ]);
    run.assert_all_pass();
    let layers: Vec<String> = run.statuses(0).into_iter().map(|(l, _)| l).collect();
    assert_eq!(layers, ["dns", "tcp"], "{}", run.dump());
}

#[test]
fn json_report_has_the_schema_basics() {
    let server = http_server(Response::ok());
    let run = run_check(&pinned(&server, "http", "/"));
    let j = &run.json;
    assert_eq!(j["schema"], "netdoctor/v1");
    assert!(j["version"].is_string(), "version\n{}", run.dump());
    assert_eq!(j["ok"], true, "{}", run.dump());
    assert!(j["env"].is_object(), "env\n{}", run.dump());
    let targets = j["targets"].as_array().expect("targets[]");
    assert_eq!(targets.len(), 1);
    let t = &targets[0];
    assert_eq!(
        t["target"],
        server.url("http", "good.test", "/"),
        "{}",
        run.dump()
    );
    assert_eq!(t["ok"], true);
    assert!(t["failed_layer"].is_null(), "{}", run.dump());
    assert!(t["diagnosis"].is_null(), "{}", run.dump());
    assert!(
        t["warnings"].as_array().is_some_and(Vec::is_empty),
        "{}",
        run.dump()
    );
    for stage in t["stages"].as_array().expect("stages[]") {
        assert!(stage["layer"].is_string(), "{stage}");
        assert!(
            ["pass", "warn", "fail", "skipped"].contains(&stage["status"].as_str().unwrap_or("")),
            "{stage}"
        );
        assert!(stage["duration_ms"].is_number(), "{stage}");
        assert!(stage["facts"].is_object(), "{stage}");
    }
    assert!(!run.stdout.contains('\u{1b}'), "JSON is never coloured");
}

#[test]
fn failing_json_report_has_a_full_diagnosis_and_skip_reasons() {
    let port = closed_port();
    let run = run_check(&[
        "check",
        &format!("http://good.test:{port}/"),
        "--resolve",
        &format!("good.test:{port}:127.0.0.1"),
    ]);
    run.assert_fail(12, "tcp", "TCP_REFUSED");
    assert_eq!(run.json["ok"], false);
    let d = &run.target(0)["diagnosis"];
    assert_eq!(d["status"], "fail", "{}", run.dump());
    for key in ["summary", "hint"] {
        assert!(
            d[key].as_str().is_some_and(|s| !s.is_empty()),
            "diagnosis.{key}\n{}",
            run.dump()
        );
    }
    assert!(d["client_errors"].is_array(), "{}", run.dump());
    let http = run.stage("http");
    assert_eq!(http["status"], "skipped", "{}", run.dump());
    assert!(
        http["reason"].as_str().is_some_and(|s| !s.is_empty()),
        "skipped stages say why\n{}",
        run.dump()
    );
}

#[test]
fn several_urls_give_one_target_each_in_argument_order() {
    let ok = http_server(Response::ok());
    let missing = http_server(Response::new(404));
    let ws = ws_server(WsOptions::echo());
    let closed = closed_port();
    let urls = [
        ws.url("ws", "good.test", "/ws"),
        format!("tcp://good.test:{closed}"),
        ok.url("http", "good.test", "/"),
        missing.url("http", "good.test", "/gone"),
    ];
    let mut args: Vec<String> = vec!["check".to_owned()];
    args.extend(urls.iter().cloned());
    for server in [&ok, &missing, &ws] {
        args.extend(["--resolve".to_owned(), server.resolve("good.test")]);
    }
    args.extend([
        "--resolve".to_owned(),
        format!("good.test:{closed}:127.0.0.1"),
    ]);
    let run = run_check(&args);
    let targets = run.json["targets"].as_array().expect("targets[]");
    assert_eq!(targets.len(), urls.len(), "{}", run.dump());
    for (target, url) in targets.iter().zip(&urls) {
        assert_eq!(&target["target"], url, "{}", run.dump());
    }
    assert_eq!(targets[0]["ok"], true, "{}", run.dump());
    assert_eq!(targets[1]["failed_layer"], "tcp", "{}", run.dump());
    assert_eq!(targets[2]["ok"], true, "{}", run.dump());
    assert_eq!(targets[3]["ok"], true, "{}", run.dump());
    assert_eq!(run.json["ok"], false, "{}", run.dump());
    assert_eq!(run.code, 12, "{}", run.dump());
}

#[test]
fn exit_code_is_the_most_fundamental_failing_layer() {
    let unauthorized = http_server(Response::new(401));
    let closed = closed_port();
    let run = run_check(&[
        "check",
        &unauthorized.url("http", "good.test", "/"),
        &format!("tcp://good.test:{closed}"),
        "--resolve",
        &unauthorized.resolve("good.test"),
        "--resolve",
        &format!("good.test:{closed}:127.0.0.1"),
        "-H",
        "Authorization: Bearer nd-secret-exit",
    ]);
    assert_eq!(run.target(0)["failed_layer"], "auth", "{}", run.dump());
    assert_eq!(run.target(1)["failed_layer"], "tcp", "{}", run.dump());
    assert_eq!(run.code, 12, "{}", run.dump());
}

#[test]
fn human_output_names_the_code_without_colour_when_not_a_terminal() {
    let port = closed_port();
    let mut cmd = netdoctor();
    cmd.args([
        "check",
        &format!("tcp://good.test:{port}"),
        "--resolve",
        &format!("good.test:{port}:127.0.0.1"),
    ]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 12, "{}", r.dump());
    assert!(r.stdout.contains("TCP_REFUSED"), "{}", r.dump());
    assert!(r.stdout.contains("tcp"), "{}", r.dump());
    assert!(
        !r.stdout.contains('\u{1b}'),
        "colour on a pipe\n{}",
        r.dump()
    );
}

#[test]
fn color_always_colours_human_output() {
    let port = closed_port();
    let mut cmd = netdoctor();
    cmd.args([
        "check",
        &format!("tcp://good.test:{port}"),
        "--resolve",
        &format!("good.test:{port}:127.0.0.1"),
        "--color",
        "always",
    ]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 12, "{}", r.dump());
    assert!(
        r.stdout.contains('\u{1b}'),
        "no colour with --color always\n{}",
        r.dump()
    );
}
