//! The shared harness: the `netdoctor` command builder with a cleared
//! environment, JSON report helpers, and the loopback fixtures (PKI, HTTP /
//! TLS / WebSocket / hostile servers, DNS servers).

#![allow(dead_code)]

pub mod daemon;
pub mod dns_server;
pub mod exposition;
pub mod pki;
pub mod proxy;
pub mod servers;
pub mod snapshot;

use std::time::{Duration, Instant};

use serde_json::Value;

pub use dns_server::{DnsServer, SilentDns};
pub use pki::{pki, self_signed, CaFile, Leaf, GOOD_NAMES};
pub use proxy::{ProxyServer, Socks5Server};
pub use servers::{
    blackhole, closed_port, eof_after_client_hello, garbage_http, http_server, huge_header_http,
    plaintext_http_on_tls_port, reset_after_client_hello, slow_drip_http,
    tls_alert_handshake_failure, tls_alert_protocol_version, ws_server, FullBacklog, Response,
    Server, TlsServer, WsOptions,
};

/// Hard ceiling for one netdoctor run: a hang fails the test instead of the suite.
pub const RUN_CEILING: Duration = Duration::from_secs(60);

/// Generous bound for runs that must end on their own deadline (`--timeout 1s`/`2s`).
pub const BOUNDED: Duration = Duration::from_secs(15);

/// The `netdoctor` binary with an empty environment (only `PATH` is kept), so
/// proxy variables, `SSL_CERT_*` and `NO_COLOR` never leak into a test.
pub fn netdoctor() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_netdoctor"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.timeout(RUN_CEILING);
    cmd
}

/// One finished run of netdoctor.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// stdout parsed as JSON (`Value::Null` when it was not JSON).
    pub json: Value,
    /// stdout as text.
    pub stdout: String,
    /// stderr as text.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Run {
    /// The report pretty-printed (or the raw output), for assertion messages.
    pub fn dump(&self) -> String {
        let body = if self.json.is_null() {
            self.stdout.clone()
        } else {
            serde_json::to_string_pretty(&self.json).unwrap_or_default()
        };
        format!(
            "exit code {}\n--- stdout ---\n{body}\n--- stderr ---\n{}",
            self.code, self.stderr
        )
    }

    /// `targets[i]`.
    pub fn target(&self, i: usize) -> &Value {
        let t = &self.json["targets"][i];
        assert!(t.is_object(), "no targets[{i}] in:\n{}", self.dump());
        t
    }

    /// The stage `layer` of `targets[0]`.
    pub fn stage(&self, layer: &str) -> &Value {
        self.stage_of(0, layer)
    }

    /// The stage `layer` of `targets[i]`.
    pub fn stage_of(&self, i: usize, layer: &str) -> &Value {
        self.target(i)["stages"]
            .as_array()
            .and_then(|stages| stages.iter().find(|s| s["layer"] == layer))
            .unwrap_or_else(|| panic!("no stage {layer} in targets[{i}]:\n{}", self.dump()))
    }

    /// `(layer, status)` of every stage of `targets[i]`, in order.
    pub fn statuses(&self, i: usize) -> Vec<(String, String)> {
        self.target(i)["stages"]
            .as_array()
            .map(|stages| {
                stages
                    .iter()
                    .map(|s| {
                        (
                            s["layer"].as_str().unwrap_or("?").to_owned(),
                            s["status"].as_str().unwrap_or("?").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The fact `key` of stage `layer` of `targets[0]` (`Value::Null` if absent).
    pub fn fact(&self, layer: &str, key: &str) -> &Value {
        &self.stage(layer)["facts"][key]
    }

    /// Assert: exit `exit`, `targets[0]` failed at `layer` with `code`, and that
    /// stage is `fail` carrying the same diagnosis.
    pub fn assert_fail(&self, exit: i32, layer: &str, code: &str) -> &Self {
        let t = self.target(0);
        assert_eq!(self.code, exit, "exit code\n{}", self.dump());
        assert_eq!(t["ok"], false, "target ok\n{}", self.dump());
        assert_eq!(t["failed_layer"], layer, "failed_layer\n{}", self.dump());
        assert_eq!(
            t["diagnosis"]["code"],
            code,
            "diagnosis.code\n{}",
            self.dump()
        );
        assert_eq!(
            t["diagnosis"]["layer"],
            layer,
            "diagnosis.layer\n{}",
            self.dump()
        );
        let stage = self.stage(layer);
        assert_eq!(stage["status"], "fail", "stage status\n{}", self.dump());
        assert_eq!(
            stage["diagnosis"]["code"],
            code,
            "stage diagnosis\n{}",
            self.dump()
        );
        self
    }

    /// Assert: exit 0, `targets[0]` ok, stage `layer` is `warn` with `code`,
    /// and `code` is among the target's warnings.
    pub fn assert_warn(&self, layer: &str, code: &str) -> &Self {
        let t = self.target(0);
        assert_eq!(self.code, 0, "exit code\n{}", self.dump());
        assert_eq!(t["ok"], true, "target ok\n{}", self.dump());
        assert!(t["failed_layer"].is_null(), "failed_layer\n{}", self.dump());
        assert!(t["diagnosis"].is_null(), "diagnosis\n{}", self.dump());
        let stage = self.stage(layer);
        assert_eq!(stage["status"], "warn", "stage status\n{}", self.dump());
        assert_eq!(
            stage["diagnosis"]["code"],
            code,
            "stage diagnosis\n{}",
            self.dump()
        );
        let warned = t["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|d| d["code"] == code));
        assert!(warned, "{code} not in warnings\n{}", self.dump());
        self
    }

    /// Assert: exit 0 and every stage of every target passed.
    pub fn assert_all_pass(&self) -> &Self {
        assert_eq!(self.code, 0, "exit code\n{}", self.dump());
        assert_eq!(self.json["ok"], true, "report ok\n{}", self.dump());
        let n = self.json["targets"].as_array().map_or(0, Vec::len);
        assert!(n > 0, "no targets\n{}", self.dump());
        for i in 0..n {
            for (layer, status) in self.statuses(i) {
                assert_eq!(
                    status,
                    "pass",
                    "stage {layer} of targets[{i}]\n{}",
                    self.dump()
                );
            }
        }
        self
    }

    /// Assert: every stage after `layer` (in order) is `skipped`, and each of
    /// `layers` is present among them.
    pub fn assert_skipped_after(&self, layer: &str, layers: &[&str]) -> &Self {
        let statuses = self.statuses(0);
        let pos = statuses
            .iter()
            .position(|(l, _)| l == layer)
            .unwrap_or_else(|| panic!("no stage {layer}\n{}", self.dump()));
        for (l, status) in &statuses[pos + 1..] {
            assert_eq!(
                status,
                "skipped",
                "stage {l} after {layer}\n{}",
                self.dump()
            );
        }
        for want in layers {
            assert!(
                statuses[pos + 1..].iter().any(|(l, _)| l == want),
                "stage {want} missing after {layer}\n{}",
                self.dump()
            );
        }
        self
    }

    /// Assert the run ended within `bound`.
    pub fn assert_within(&self, bound: Duration) -> &Self {
        assert!(
            self.elapsed < bound,
            "took {:?} (bound {bound:?})\n{}",
            self.elapsed,
            self.dump()
        );
        self
    }
}

/// Run `cmd` as is and collect the result.
pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    let start = Instant::now();
    let output = cmd.output().expect("spawn netdoctor");
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let Some(code) = output.status.code() else {
        panic!(
            "netdoctor did not exit by itself after {elapsed:?} (killed: hang or crash)\n\
             --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        );
    };
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    let run = Run {
        code,
        json,
        stdout,
        stderr,
        elapsed,
    };
    // `NETDOCTOR_TEST_DUMP=1 cargo test --test it NAME -- --nocapture` shows every report.
    if std::env::var_os("NETDOCTOR_TEST_DUMP").is_some() {
        eprintln!("{:?} {}", cmd.get_program(), run.dump());
    }
    if let Some(dir) = std::env::var_os("NETDOCTOR_TEST_JSON_DIR") {
        keep_json(std::path::Path::new(&dir), &run);
    }
    run
}

/// Keeps every JSON report of a test run as `<test name>.<n>.json` in `dir`,
/// so that two builds' reports can be compared field by field
/// (`NETDOCTOR_TEST_JSON_DIR=/tmp/a cargo test`; see `.ci/json-diff`).
fn keep_json(dir: &std::path::Path, run: &Run) {
    if run.json.is_null() {
        return;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .replace("::", ".");
    let _ = std::fs::create_dir_all(dir);
    for n in 0.. {
        let path = dir.join(format!("{test}.{n}.json"));
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            use std::io::Write as _;
            let _ = f.write_all(run.stdout.as_bytes());
            return;
        }
    }
}

/// Run `cmd` with `args` and `--format json` appended; stdout must be the JSON report.
pub fn run_json_with<S: AsRef<std::ffi::OsStr>>(mut cmd: assert_cmd::Command, args: &[S]) -> Run {
    cmd.args(args).args(["--format", "json"]);
    let r = run(&mut cmd);
    assert!(
        r.json.is_object(),
        "stdout is not a JSON report\n{}",
        r.dump()
    );
    assert_eq!(r.json["schema"], "netdoctor/v1", "schema\n{}", r.dump());
    r
}

/// `netdoctor ARGS --format json` in a clean environment.
pub fn run_check<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    run_json_with(netdoctor(), args)
}

/// `netdoctor ARGS --format json`: the exit code and the parsed report.
pub fn run_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, Value) {
    let r = run_check(args);
    (r.code, r.json)
}

/// `["check", "SCHEME://good.test:PORT/PATH", "--resolve", "good.test:PORT:127.0.0.1"]`
/// for `server`: the name is pinned, no resolver is asked.
pub fn pinned(server: &Server, scheme: &str, path: &str) -> Vec<String> {
    vec![
        "check".to_owned(),
        server.url(scheme, "good.test", path),
        "--resolve".to_owned(),
        server.resolve("good.test"),
    ]
}

/// Like [`pinned`] for an `https`/`wss` server, trusting the test root via
/// `--cacert` (keep `ca` alive during the run).
pub fn pinned_trusted(server: &Server, scheme: &str, path: &str, ca: &CaFile) -> Vec<String> {
    let mut args = pinned(server, scheme, path);
    args.extend(["--cacert".to_owned(), ca.arg()]);
    args
}

/// A JSON value as compact lower-case text, for lenient "mentions" checks on
/// facts whose key names the contract does not fix.
pub fn text(value: &Value) -> String {
    value.to_string().to_ascii_lowercase()
}

/// A temporary directory to use as `NETDOCTOR_SYSROOT` (an empty root: no
/// resolv.conf, no hosts file, no CA bundle).
pub fn empty_sysroot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("etc")).expect("mkdir etc");
    dir
}

/// An empty image root (like [`empty_sysroot`]) in which the top-level
/// directories of `paths` (e.g. `/tmp`) are links to the machine's, so that
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` can name temporary files while the
/// machine's own runtimes (its Node, its certifi) stay out of the run.
pub fn sysroot_seeing(paths: &[&std::path::Path]) -> tempfile::TempDir {
    let root = empty_sysroot();
    for p in paths {
        let Some(std::path::Component::Normal(top)) = p.components().nth(1) else {
            continue;
        };
        let link = root.path().join(top);
        if !link.exists() {
            std::os::unix::fs::symlink(std::path::Path::new("/").join(top), &link)
                .expect("symlink into the sysroot");
        }
    }
    root
}

/// Says loudly that the running test skips (part of) its work because a tool
/// is missing: `SKIPPED <test>: <why>; install <install>` straight to the
/// process's stderr, past the test harness's capture, so `cargo test` shows
/// it. With `NETDOCTOR_REQUIRE_ALL=1` (`.ci/run` sets it) it panics instead:
/// CI installs every tool and can never pass a skipped interop test.
/// The caller returns (or moves on) after it.
pub fn skip(why: &str, install: &str) {
    use std::io::Write as _;
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_owned();
    let line = format!("SKIPPED {test}: {why}; install {install}");
    assert!(
        std::env::var_os("NETDOCTOR_REQUIRE_ALL").is_none_or(|v| v != "1"),
        "{line} (NETDOCTOR_REQUIRE_ALL=1: nothing may be skipped)"
    );
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The syscalls `calls` (strace's `-e trace=` list) that `netdoctor ARGS`
/// made, one line each (`-f`: every thread, the thread id first), in an
/// empty environment; `None`, said loudly, without strace. netdoctor must
/// exit by itself; its exit code is returned beside the lines.
pub fn strace<S: AsRef<std::ffi::OsStr>>(args: &[S], calls: &str) -> Option<(Option<i32>, String)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("trace");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", &format!("trace={calls}"), "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_netdoctor"))
        .args(args)
        .env_clear()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let Ok(status) = status else {
        skip(&format!("no strace: {calls} not traced"), "strace");
        return None;
    };
    Some((
        status.code(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    ))
}

/// Build `vec![String]` from string-likes.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        vec![$(::std::string::String::from(AsRef::<str>::as_ref(&$a))),*]
    };
}
