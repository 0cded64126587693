//! `netdoctor env` and the env look of `check`: fake filesystems under
//! `NETDOCTOR_SYSROOT` (an empty image, a Debian-like one, a Kubernetes
//! pod's resolver, an image with the Speech SDK and the wrong OpenSSL), the
//! exit code (10 when a finding fails, else 0), and the binary itself in an
//! empty root under `chroot`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use netdoctor::trust::hash::name_hash;

use crate::support::{
    empty_sysroot, http_server, netdoctor, pinned, pki, run, run_json_with, Response, Run,
};

/// A fake image in a temporary directory.
struct Image {
    dir: tempfile::TempDir,
}

impl Image {
    /// An empty root (only `/etc`).
    fn empty() -> Image {
        Image {
            dir: empty_sysroot(),
        }
    }

    /// A Debian 12 image with the test root as its CA bundle and Docker's
    /// embedded DNS in resolv.conf.
    fn debian() -> Image {
        let img = Image::empty();
        img.write(
            "/etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        );
        img.write("/etc/ssl/certs/ca-certificates.crt", &pki().root_pem());
        img.write(
            "/etc/resolv.conf",
            "nameserver 127.0.0.11\noptions ndots:0\n",
        );
        img.write(
            "/etc/hosts",
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n172.18.0.2\t0f3c2a1b\n",
        );
        img.write(
            "/etc/nsswitch.conf",
            "passwd: files\nhosts:          files dns\n",
        );
        img.write("/lib64/ld-linux-x86-64.so.2", "");
        img.openssl("3", "3.0.19");
        img
    }

    fn path(&self, container_path: &str) -> PathBuf {
        self.dir.path().join(container_path.trim_start_matches('/'))
    }

    fn write(&self, container_path: &str, text: &str) {
        let p = self.path(container_path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// `libssl.so.SONAME` and `libcrypto.so.SONAME` carrying OpenSSL's
    /// version string, as the real libcrypto does.
    fn openssl(&self, soname: &str, version: &str) {
        let dir = "/usr/lib/x86_64-linux-gnu";
        self.write(&format!("{dir}/libssl.so.{soname}"), "\x7fELF libssl");
        self.write(
            &format!("{dir}/libcrypto.so.{soname}"),
            &format!("\x7fELF\0OpenSSL {version}  11 Feb 2025\0"),
        );
    }

    /// The Python package of the Azure Speech SDK, version `version`, with
    /// the libpal files beside the core library from 1.38 on, as the real
    /// wheels have them (see tests/it/env_speech_sdk.rs).
    fn speech_sdk(&self, version: &str) {
        let site = "/usr/local/lib/python3.11/site-packages";
        self.write(
            &format!("{site}/azure_cognitiveservices_speech-{version}.dist-info/METADATA"),
            &format!("Name: azure-cognitiveservices-speech\nVersion: {version}\n"),
        );
        let dir = format!("{site}/azure/cognitiveservices/speech");
        self.write(
            &format!("{dir}/libMicrosoft.CognitiveServices.Speech.core.so"),
            "\x7fELF",
        );
        let minor: u32 = version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if minor >= 38 {
            for pal in [
                "libpal_azure_c_shared.so",
                "libpal_azure_c_shared_openssl3.so",
            ] {
                self.write(&format!("{dir}/{pal}"), "\x7fELF");
            }
        }
    }

    /// `netdoctor` with `NETDOCTOR_SYSROOT` pointing here.
    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = netdoctor();
        cmd.env("NETDOCTOR_SYSROOT", self.dir.path());
        cmd
    }

    /// `netdoctor env --format json` here, with `vars` set.
    fn env(&self, vars: &[(&str, &str)]) -> Run {
        let mut cmd = self.cmd();
        cmd.envs(vars.iter().copied());
        run_json_with(cmd, &["env"])
    }
}

/// The env finding with `code` (`Value::Null` when absent).
fn finding<'a>(run: &'a Run, code: &str) -> &'a Value {
    run.json["env"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == code))
        .unwrap_or(&Value::Null)
}

/// Asserts that `code` was found with `status`.
fn assert_finding(run: &Run, code: &str, status: &str) {
    let f = finding(run, code);
    assert_eq!(f["status"], status, "{code}\n{}", run.dump());
    assert!(
        f["summary"].as_str().is_some_and(|s| !s.is_empty())
            && f["hint"].as_str().is_some_and(|s| !s.is_empty()),
        "{code} has a summary and a hint\n{}",
        run.dump()
    );
}

fn codes(run: &Run) -> Vec<String> {
    run.json["env"]["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_empty_image_fails_with_no_ca_bundle() {
    let img = Image::empty();
    let run = img.env(&[]);
    assert_eq!(run.code, 10, "{}", run.dump());
    assert_eq!(run.json["ok"], false, "{}", run.dump());
    assert_eq!(run.json["env"]["status"], "fail", "{}", run.dump());
    assert_finding(&run, "ENV_NO_CA_BUNDLE", "fail");
    assert_finding(&run, "ENV_NO_RESOLV_CONF", "warn");
    assert_finding(&run, "ENV_OPENSSL_MISSING", "warn");
    let facts = &run.json["env"]["facts"];
    assert_eq!(facts["libc"], "none", "{}", run.dump());
    assert!(facts["distribution"].is_null(), "{}", run.dump());
    assert_eq!(facts["ca_bundles"], serde_json::json!([]), "{}", run.dump());
    // No package manager: the hint copies a bundle from a build stage.
    let hint = finding(&run, "ENV_NO_CA_BUNDLE")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(hint.contains("COPY --from="), "{}", run.dump());
    assert!(run.json["targets"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn a_debian_image_passes_and_names_dockers_dns() {
    let img = Image::debian();
    let run = img.env(&[]);
    assert_eq!(run.code, 0, "{}", run.dump());
    assert_eq!(run.json["ok"], true, "{}", run.dump());
    assert_eq!(run.json["env"]["status"], "pass", "{}", run.dump());
    assert!(codes(&run).is_empty(), "{}", run.dump());
    let facts = &run.json["env"]["facts"];
    assert_eq!(facts["distribution"], "debian 12", "{}", run.dump());
    assert_eq!(facts["libc"], "glibc", "{}", run.dump());
    assert_eq!(facts["ca_bundle"]["certificates"], 1, "{}", run.dump());
    assert_eq!(facts["ca_bundle"]["expired"], 0, "{}", run.dump());
    assert_eq!(
        facts["ca_bundles"][0]["path"],
        "/etc/ssl/certs/ca-certificates.crt"
    );
    assert_eq!(facts["nameservers"], serde_json::json!(["127.0.0.11"]));
    assert!(
        facts["nameserver_roles"]["127.0.0.11"]
            .as_str()
            .is_some_and(|r| r.contains("Docker")),
        "{}",
        run.dump()
    );
    assert_eq!(facts["libssl"], serde_json::json!(["libssl.so.3 (3.0.19)"]));
    assert_eq!(facts["nsswitch_hosts"], "files dns", "{}", run.dump());
    assert!(facts["clock"]["build_date"].is_string(), "{}", run.dump());
}

#[test]
fn distribution_tailors_the_install_line() {
    let img = Image::empty();
    img.write("/etc/os-release", "ID=alpine\nVERSION_ID=3.20.1\n");
    img.write("/lib/ld-musl-x86_64.so.1", "");
    let run = img.env(&[]);
    assert_eq!(run.code, 10, "{}", run.dump());
    assert_eq!(run.json["env"]["facts"]["libc"], "musl", "{}", run.dump());
    let hint = finding(&run, "ENV_NO_CA_BUNDLE")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(hint.contains("apk add"), "{}", run.dump());

    let img = Image::empty();
    img.write(
        "/etc/os-release",
        "ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
    );
    img.write("/usr/bin/microdnf", "");
    let run = img.env(&[]);
    let hint = finding(&run, "ENV_NO_CA_BUNDLE")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(hint.contains("microdnf install"), "{}", run.dump());
}

#[test]
fn an_unhashed_cert_dir_is_flagged() {
    let img = Image::debian();
    img.write("/opt/certs/corp-root.pem", &pki().root_pem());
    let run = img.env(&[("SSL_CERT_DIR", "/opt/certs")]);
    assert_finding(&run, "ENV_SSL_CERT_DIR_NOT_HASHED", "warn");
    assert_eq!(run.code, 0, "a warning only\n{}", run.dump());

    // Once hashed, OpenSSL finds it.
    let der = pki().root_der();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parse root");
    img.write(
        &format!("/opt/certs/{}.0", name_hash(cert.subject())),
        &pki().root_pem(),
    );
    let run = img.env(&[("SSL_CERT_DIR", "/opt/certs")]);
    assert!(codes(&run).is_empty(), "{}", run.dump());
    assert_eq!(run.json["env"]["facts"]["ca_dir"]["hashed"], true);
}

#[test]
fn ssl_cert_dir_pointing_nowhere_warns() {
    let run = Image::debian().env(&[("SSL_CERT_DIR", "/nonexistent/certs")]);
    assert_finding(&run, "ENV_SSL_CERT_DIR_MISSING", "warn");
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn ssl_cert_file_missing_fails_only_without_a_hashed_dir() {
    // Nothing else to fall back on: OpenSSL trusts nothing.
    let run = Image::empty().env(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    assert_finding(&run, "ENV_SSL_CERT_FILE_MISSING", "fail");
    assert_eq!(run.code, 10, "{}", run.dump());
    assert!(
        finding(&run, "ENV_SSL_CERT_FILE_MISSING")["summary"]
            .as_str()
            .is_some_and(|s| s.contains("/nonexistent/ca.pem") && !s.contains("os error")),
        "{}",
        run.dump()
    );

    // A hashed /etc/ssl/certs still serves OpenSSL's default paths.
    let img = Image::empty();
    let der = pki().root_der();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parse root");
    img.write(
        &format!("/etc/ssl/certs/{}.0", name_hash(cert.subject())),
        &pki().root_pem(),
    );
    let run = img.env(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    assert_finding(&run, "ENV_SSL_CERT_FILE_MISSING", "warn");
    assert!(!codes(&run).contains(&"ENV_NO_CA_BUNDLE".to_owned()));
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn an_unreadable_bundle_fails() {
    let img = Image::debian();
    img.write("/etc/ssl/certs/ca-certificates.crt", "not a certificate\n");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_CA_BUNDLE_UNREADABLE", "fail");
    assert_eq!(run.code, 10, "{}", run.dump());
}

#[test]
fn runtime_ca_variables_pointing_nowhere_warn() {
    let img = Image::debian();
    let run = img.env(&[
        ("REQUESTS_CA_BUNDLE", "/nonexistent/requests.pem"),
        ("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"),
    ]);
    assert_finding(&run, "ENV_CA_VAR_MISSING", "warn");
    let f = finding(&run, "ENV_CA_VAR_MISSING");
    assert!(
        f["summary"]
            .as_str()
            .is_some_and(|s| s.contains("REQUESTS_CA_BUNDLE") && !s.contains("CURL")),
        "{}",
        run.dump()
    );
    assert!(
        f["client_errors"].as_array().is_some_and(|c| !c.is_empty()),
        "{}",
        run.dump()
    );
    let vars = &run.json["env"]["facts"]["ca_variables"];
    assert_eq!(vars["CURL_CA_BUNDLE"]["certificates"], 1, "{}", run.dump());
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn kubernetes_ndots_and_cluster_dns() {
    let img = Image::debian();
    img.write(
        "/etc/resolv.conf",
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
    );
    let run = img.env(&[]);
    assert_finding(&run, "ENV_DNS_NDOTS", "warn");
    let facts = &run.json["env"]["facts"];
    assert_eq!(facts["ndots"], 5, "{}", run.dump());
    assert_eq!(
        facts["nameserver_roles"]["10.96.0.10"],
        "Kubernetes cluster DNS",
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn hosts_pinning_a_public_name_warns() {
    let img = Image::debian();
    img.write(
        "/etc/hosts",
        "127.0.0.1 localhost\n10.1.2.3 api.openai.com\n172.18.0.2 web.example.com\n",
    );
    img.write("/etc/hostname", "web.example.com\n");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_HOSTS_OVERRIDE", "warn");
    assert_eq!(
        run.json["env"]["facts"]["hosts_overrides"],
        serde_json::json!([{ "name": "api.openai.com", "address": "10.1.2.3" }]),
        "the container's own name is not an override\n{}",
        run.dump()
    );
}

#[test]
fn speech_sdk_without_openssl_cannot_start() {
    let img = Image::debian();
    std::fs::remove_dir_all(img.path("/usr/lib/x86_64-linux-gnu")).expect("rm libs");
    img.speech_sdk("1.53.0");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_OPENSSL_MISSING", "fail");
    assert_eq!(run.code, 10, "{}", run.dump());
    assert_eq!(
        run.json["env"]["facts"]["speech_sdk"]["version"],
        "1.53.0",
        "{}",
        run.dump()
    );
    let hint = finding(&run, "ENV_OPENSSL_MISSING")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(
        hint.contains("apt-get install -y libssl3"),
        "{}",
        run.dump()
    );
}

#[test]
fn old_speech_sdk_needs_openssl_1_1() {
    let img = Image::debian();
    img.speech_sdk("1.37.0");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_OPENSSL_VERSION", "fail");
    assert_finding(&run, "ENV_SPEECH_SDK_OUTDATED", "warn");
    assert_eq!(run.code, 10, "{}", run.dump());

    // With libssl1.1 installed beside OpenSSL 3 it can start.
    img.openssl("1.1", "1.1.1w");
    let run = img.env(&[]);
    assert!(
        finding(&run, "ENV_OPENSSL_VERSION").is_null(),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn speech_sdk_1_39_takes_only_openssl_3_0() {
    let img = Image::debian();
    std::fs::remove_dir_all(img.path("/usr/lib/x86_64-linux-gnu")).expect("rm libs");
    img.openssl("3", "3.2.2");
    img.speech_sdk("1.39.0");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_OPENSSL_VERSION", "fail");

    let img = Image::debian();
    img.speech_sdk("1.39.0");
    let run = img.env(&[]);
    assert!(
        finding(&run, "ENV_OPENSSL_VERSION").is_null(),
        "3.0.19\n{}",
        run.dump()
    );
}

#[test]
fn current_speech_sdk_passes() {
    let img = Image::debian();
    img.speech_sdk("1.48.2");
    let run = img.env(&[]);
    assert!(codes(&run).is_empty(), "{}", run.dump());
    assert_eq!(run.code, 0, "{}", run.dump());

    let img = Image::debian();
    img.speech_sdk("1.48.1");
    let run = img.env(&[]);
    assert_finding(&run, "ENV_SPEECH_SDK_OUTDATED", "warn");
    assert_eq!(run.code, 0, "{}", run.dump());
}

#[test]
fn human_env_output_names_the_failure_and_its_fix() {
    let img = Image::empty();
    let r = run(img.cmd().args(["env", "--color", "never"]));
    assert_eq!(r.code, 10, "{}", r.dump());
    assert!(r.stdout.starts_with("✗ env"), "{}", r.stdout);
    assert!(r.stdout.contains("✗ ENV_NO_CA_BUNDLE: "), "{}", r.stdout);
    assert!(
        r.stdout.contains("hint: install the CA bundle"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("env: 1 failed"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'), "no colour: {}", r.stdout);

    let r = run(Image::debian().cmd().args(["env", "--color", "never"]));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert!(
        r.stdout.contains("debian") || r.stdout.contains("Debian"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.trim_end().ends_with("env: OK"), "{}", r.stdout);
}

#[test]
fn check_reports_env_once_and_never_stops_on_it() {
    let img = Image::empty();
    let server = http_server(Response::ok());
    let run = run_json_with(img.cmd(), &pinned(&server, "http", "/"));
    run.assert_all_pass();
    assert_eq!(run.json["env"]["status"], "fail", "{}", run.dump());
    assert_finding(&run, "ENV_NO_CA_BUNDLE", "fail");
}

#[test]
fn a_server_date_far_from_the_local_clock_is_clock_skew() {
    let img = Image::debian();
    let server = http_server(Response::ok().header("Date", "Sun, 06 Nov 1994 08:49:37 GMT"));
    let run = run_json_with(img.cmd(), &pinned(&server, "http", "/"));
    run.assert_all_pass();
    assert_finding(&run, "ENV_CLOCK_SKEW", "warn");
    assert_eq!(run.json["env"]["status"], "warn", "{}", run.dump());
    assert!(
        run.json["env"]["facts"]["clock_skew"]["local_minus_server_s"]
            .as_i64()
            .is_some_and(|s| s > 300),
        "{}",
        run.dump()
    );

    // A server that agrees with us is no finding.
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .expect("format date");
    let server = http_server(Response::ok().header("Date", &now));
    let run = run_json_with(img.cmd(), &pinned(&server, "http", "/"));
    assert!(finding(&run, "ENV_CLOCK_SKEW").is_null(), "{}", run.dump());
}

/// Copies the test build of netdoctor (static-pie) into `dir` as `/netdoctor`.
fn install_binary(dir: &Path) {
    let dest = dir.join("netdoctor");
    std::fs::copy(env!("CARGO_BIN_EXE_netdoctor"), &dest).expect("copy netdoctor");
}

/// `chroot DIR /netdoctor ARGS` with a cleared environment; `None` (and a
/// note) when chroot is not permitted here.
fn chroot(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    // Found on this process's PATH (the child's environment is cleared).
    let path = std::env::var_os("PATH").unwrap_or_default();
    let chroot = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join("chroot"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("chroot"));
    let out = Command::new(chroot)
        .arg(dir)
        .arg("/netdoctor")
        .args(args)
        .env_clear()
        .output();
    match out {
        Ok(o)
            if o.status.code() == Some(125)
                || String::from_utf8_lossy(&o.stderr).contains("chroot: cannot change root") =>
        {
            crate::support::skip(
                &format!(
                    "chroot cannot change root: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
                "coreutils (chroot) and run as root",
            );
            None
        }
        Ok(o) => Some(o),
        Err(e) => {
            crate::support::skip(
                &format!("cannot run chroot: {e}"),
                "coreutils (chroot) and run as root",
            );
            None
        }
    }
}

#[test]
fn the_binary_runs_in_an_empty_root() {
    let root = tempfile::tempdir().expect("tempdir");
    install_binary(root.path());
    let Some(out) = chroot(root.path(), &["env", "--format", "json"]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let dump = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(10), "{dump}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON report");
    let codes: Vec<&str> = json["env"]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"ENV_NO_CA_BUNDLE"), "{dump}");

    // Only a CA bundle added: no failure left, the missing resolv.conf warns.
    let bundle = root.path().join("etc/ssl/certs");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    std::fs::write(bundle.join("ca-certificates.crt"), pki().root_pem()).expect("bundle");
    let Some(out) = chroot(root.path(), &["env", "--format", "json"]) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let dump = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{dump}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON report");
    let codes: Vec<&str> = json["env"]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"ENV_NO_RESOLV_CONF"), "{dump}");
    assert!(!codes.contains(&"ENV_NO_CA_BUNDLE"), "{dump}");
    assert_eq!(
        json["env"]["facts"]["ca_bundle"]["certificates"], 1,
        "{dump}"
    );

    // The human output too, with no terminal and no locale.
    let Some(out) = chroot(root.path(), &["env"]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ENV_NO_RESOLV_CONF"));
}

#[test]
fn check_reports_the_same_findings_as_env() {
    let img = Image::debian();
    img.speech_sdk("1.37.0");
    img.write("/opt/certs/corp-root.pem", &pki().root_pem());
    let env = img.env(&[("SSL_CERT_DIR", "/opt/certs")]);
    let server = http_server(Response::ok());
    let mut cmd = img.cmd();
    cmd.env("SSL_CERT_DIR", "/opt/certs");
    let check = run_json_with(cmd, &pinned(&server, "http", "/"));
    check.assert_all_pass();
    let mut want = codes(&env);
    let mut got = codes(&check);
    want.sort();
    got.sort();
    assert_eq!(got, want, "{}\n{}", env.dump(), check.dump());
    assert!(want.contains(&"ENV_OPENSSL_VERSION".to_owned()));
    assert!(want.contains(&"ENV_SSL_CERT_DIR_NOT_HASHED".to_owned()));
}

/// `netdoctor ARGS` chrooted into `root`: its exit code, stdout, and
/// stdout with stderr for messages (`None`: chroot is not possible here).
fn in_root(root: &std::path::Path, args: &[&str]) -> Option<(Option<i32>, String, String)> {
    let out = chroot(root, args)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let dump = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    Some((out.status.code(), stdout, dump))
}

/// A root without `/dev` (issue 11, item 10): a `tcp://` target pinned with
/// `--resolve` needs no resolver and passes; a name asked of a nameserver
/// that does not answer fails the dns stage; a name a real nameserver
/// answers resolves. Before, the DNS client was built (and its random
/// generator seeded from `/dev/urandom`, which the static binary fell back
/// to) for every run, and the run aborted with a panic.
#[test]
fn a_root_without_dev_never_aborts() {
    let root = tempfile::tempdir().expect("tempdir");
    install_binary(root.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("tcp://name.test:{port}");
    let pin = format!("name.test:{port}:127.0.0.1");
    let Some((code, _, dump)) = in_root(
        root.path(),
        &["check", &url, "--resolve", &pin, "--format", "json"],
    ) else {
        return;
    };
    assert_eq!(code, Some(0), "{dump}");
    assert!(!dump.contains("panicked"), "{dump}");

    // A lookup that needs a nameserver (nothing listens on port 9): a
    // diagnosis of the dns stage, never an abort.
    let args = [
        "check",
        &url,
        "--resolver",
        "127.0.0.1:9",
        "--timeout",
        "2s",
        "--format",
        "json",
    ];
    let Some((code, stdout, dump)) = in_root(root.path(), &args) else {
        return;
    };
    assert!(!dump.contains("panicked"), "{dump}");
    assert_eq!(code, Some(11), "{dump}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(json["targets"][0]["failed_layer"], "dns", "{dump}");

    // A real lookup in that root: the random source of the DNS client is
    // the kernel's getrandom(), not a file under /dev (.cargo/config.toml).
    let dns = crate::support::dns_server::DnsServer::start();
    let url = format!("tcp://good.test:{port}");
    let resolver = dns.resolver_arg();
    let args = ["check", &url, "--resolver", &resolver, "--format", "json"];
    let Some((code, _, dump)) = in_root(root.path(), &args) else {
        return;
    };
    assert_eq!(code, Some(0), "{dump}");
    drop(listener);
}
