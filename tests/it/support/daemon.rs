//! Real daemons for the interop tier (squid, tinyproxy, dante, nginx,
//! dnsmasq), run in the foreground on a free loopback port for one test and killed on
//! drop. A daemon that is not installed is skipped loudly
//! ([`installed`] → `support::skip`), a failure under
//! `NETDOCTOR_REQUIRE_ALL=1` (`.ci/run` installs them all).

use std::path::Path;
use std::time::{Duration, Instant};

/// A daemon run in the foreground for one test; killed on drop.
pub struct Daemon {
    child: std::process::Child,
    /// The loopback port it listens on.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Daemon {
    /// The daemon's own directory (its configuration and logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A directory the daemon's own user can read and write.
pub fn shared_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

/// Writes `text` to `dir/name`, readable by all; its path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path.display().to_string()
}

/// Start `program args` and wait (up to 10 s) until it listens on `port`.
pub fn start(program: &str, args: &[&str], port: u16, dir: tempfile::TempDir) -> Option<Daemon> {
    let child = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let daemon = Daemon { child, port, dir };
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(daemon);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{program} did not listen on 127.0.0.1:{port} within 10 s");
}

/// Start `program args`, a DNS server, and wait (up to 10 s) until it
/// answers a query over UDP on `127.0.0.1:port` (a UDP port cannot be
/// probed by connecting, as [`start`] does).
pub fn start_udp(
    program: &str,
    args: &[&str],
    port: u16,
    dir: tempfile::TempDir,
) -> Option<Daemon> {
    let child = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let daemon = Daemon { child, port, dir };
    // id 0x4e44, RD, one question: `example.` A IN.
    let query = b"\x4e\x44\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x00\x00\x01\x00\x01";
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    let until = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    while Instant::now() < until {
        let _ = socket.send_to(query, ("127.0.0.1", port));
        if matches!(socket.recv_from(&mut buf), Ok((n, _)) if n >= 2 && buf[..2] == query[..2]) {
            return Some(daemon);
        }
    }
    panic!("{program} did not answer DNS on udp 127.0.0.1:{port} within 10 s");
}

/// Whether `path` (of the Debian package `package`) is installed; says it
/// loudly when not.
pub fn installed(path: &str, package: &str) -> bool {
    let ok = Path::new(path).exists();
    if !ok {
        crate::support::skip(
            &format!("{path} is not installed (`.ci/run` installs it)"),
            package,
        );
    }
    ok
}

/// Debian's nginx (nginx-light) in the foreground on a free loopback port,
/// its prefix, pid file, logs and temp paths in its own directory.
/// `server` is the body of one `server { … }` block, where `{port}` stands
/// for the port and `{dir}` for the directory (write certificates there
/// first with [`nginx_dir`] and pass the directory back). `None`, said
/// loudly, when nginx is not installed.
pub fn nginx(server: &str) -> Option<Daemon> {
    nginx_in(nginx_dir(), server)
}

/// A directory for [`nginx_in`]: write the files `server` names into it.
pub fn nginx_dir() -> tempfile::TempDir {
    shared_dir()
}

/// [`nginx`] in a directory prepared by the caller.
pub fn nginx_in(dir: tempfile::TempDir, server: &str) -> Option<Daemon> {
    const NGINX: &str = "/usr/sbin/nginx";
    if !installed(NGINX, "nginx-light") {
        return None;
    }
    let port = free_port();
    let d = dir.path().display().to_string();
    let server = server
        .replace("{port}", &port.to_string())
        .replace("{dir}", &d);
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
         uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         server {{\n{server}\n  }}\n}}\n"
    );
    let conf = write(dir.path(), "nginx.conf", &conf);
    start(NGINX, &["-p", &d, "-c", &conf], port, dir)
}

#[test]
fn nginx_fixture_serves_on_its_port() {
    let Some(nginx) =
        nginx("    listen 127.0.0.1:{port};\n    location / { return 200 \"ok\\n\"; }")
    else {
        return;
    };
    let url = format!("http://127.0.0.1:{}/", nginx.port);
    let run = crate::support::run_check(&["check", url.as_str()]);
    run.assert_all_pass();
    assert_eq!(run.fact("http", "status"), 200, "{}", run.dump());
}
