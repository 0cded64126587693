//! The env look's inventory of the clients (issue 15): Python
//! distributions in an image's site-packages, laid out as pip wrote them in
//! /work/wt/repro15 (`httpx-0.28.1.dist-info`, …), and Node's version; the
//! findings `ENV_CLIENT_NO_SOCKS` and `ENV_CLIENT_VERSION_CONFLICT`, with
//! `netdoctor env`'s exit code (10 when a finding fails, else 0).

use serde_json::Value;

use crate::support::snapshot::{assert_human, debian_image, human};
use crate::support::{netdoctor, pki, run_json_with, Run, BOUNDED};

/// The site of the official `python:3.12` images.
const SITE: &str = "/usr/local/lib/python3.12/site-packages";

/// A Debian 12 image (CA bundle, resolver, OpenSSL 3) to add clients to.
struct Image {
    dir: tempfile::TempDir,
}

impl Image {
    fn debian() -> Image {
        Image {
            dir: debian_image(&pki().root_pem()),
        }
    }

    fn write(&self, container_path: &str, text: &str) {
        let p = self.dir.path().join(container_path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// `NAME-VERSION.dist-info/METADATA` in `site`, as pip writes it (the
    /// directory name escapes `-` as `_`; METADATA keeps the real name).
    fn dist(&self, site: &str, name: &str, version: &str) {
        let dir = name.replace('-', "_");
        self.write(
            &format!("{site}/{dir}-{version}.dist-info/METADATA"),
            &format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        );
    }

    /// A virtualenv at `root` (its `pyvenv.cfg` and Python 3.11 site).
    fn venv(&self, root: &str) -> String {
        self.write(
            &format!("{root}/pyvenv.cfg"),
            "home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n",
        );
        let site = format!("{root}/lib/python3.11/site-packages");
        self.write(&format!("{site}/pip/__init__.py"), "");
        site
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = netdoctor();
        cmd.env("NETDOCTOR_SYSROOT", self.dir.path());
        cmd
    }

    /// `netdoctor env --format json` with `vars` set.
    fn env(&self, vars: &[(&str, &str)]) -> Run {
        let mut cmd = self.cmd();
        cmd.envs(vars.iter().copied());
        let run = run_json_with(cmd, &["env"]);
        assert!(run.elapsed < BOUNDED, "{}", run.dump());
        run
    }
}

fn finding<'a>(run: &'a Run, code: &str) -> Option<&'a Value> {
    find(run, code)
}

fn must<'a>(run: &'a Run, code: &str) -> &'a Value {
    find(run, code).unwrap_or_else(|| panic!("no {code}\n{}", run.dump()))
}

fn find<'a>(run: &'a Run, code: &str) -> Option<&'a Value> {
    run.json["env"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == code))
}

fn summary(run: &Run, code: &str) -> String {
    finding(run, code)
        .and_then(|f| f["summary"].as_str())
        .unwrap_or_default()
        .to_owned()
}

const SOCKS: (&str, &str) = ("ALL_PROXY", "socks5://127.0.0.1:1080");

#[test]
fn httpx_without_socksio_behind_a_socks_proxy_fails() {
    let img = Image::debian();
    img.dist(SITE, "httpx", "0.28.1");
    img.dist(SITE, "httpcore", "1.0.9");
    let run = img.env(&[SOCKS]);
    let f = must(&run, "ENV_CLIENT_NO_SOCKS");
    assert_eq!(f["status"], "fail", "{}", run.dump());
    let s = summary(&run, "ENV_CLIENT_NO_SOCKS");
    assert!(
        s.contains("ALL_PROXY") && s.contains("httpx 0.28.1") && s.contains(SITE),
        "{s}"
    );
    assert!(f["hint"]
        .as_str()
        .unwrap()
        .contains("pip install \"httpx[socks]\""));
    assert!(f["client_errors"][0]
        .as_str()
        .unwrap()
        .contains("the 'socksio' package is not installed"));
    assert_eq!(run.code, 10, "{}", run.dump());

    // The same image without the proxy, or with an http:// one: nothing.
    for vars in [vec![], vec![("HTTPS_PROXY", "http://127.0.0.1:3128")]] {
        let run = img.env(&vars);
        assert!(
            finding(&run, "ENV_CLIENT_NO_SOCKS").is_none(),
            "{}",
            run.dump()
        );
        assert_eq!(run.code, 0, "{}", run.dump());
    }
}

#[test]
fn httpx_with_socksio_is_fine_and_httpx2_and_requests_are_checked_too() {
    let img = Image::debian();
    img.dist(SITE, "httpx", "0.28.1");
    img.dist(SITE, "socksio", "1.0.0");
    let run = img.env(&[("all_proxy", "socks5h://127.0.0.1:1080")]);
    assert!(
        finding(&run, "ENV_CLIENT_NO_SOCKS").is_none(),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 0, "{}", run.dump());

    // openai 3.x's httpx2 without socksio (in a venv at /app/.venv), and
    // requests without PySocks (a warning: it fails only when used).
    let img = Image::debian();
    let site = img.venv("/app/.venv");
    img.dist(&site, "openai", "3.57.0");
    img.dist(&site, "httpx2", "2.16.2");
    img.dist(&site, "requests", "2.34.2");
    let run = img.env(&[("HTTPS_PROXY", "socks5h://127.0.0.1:1080")]);
    let all: Vec<&Value> = run.json["env"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "ENV_CLIENT_NO_SOCKS")
        .collect();
    assert_eq!(all.len(), 2, "{}", run.dump());
    assert!(
        all.iter()
            .any(|f| f["status"] == "fail"
                && f["summary"].as_str().unwrap().contains("httpx2 2.16.2"))
    );
    assert!(all.iter().any(|f| f["status"] == "warn"
        && f["summary"].as_str().unwrap().contains("requests 2.34.2")
        && f["hint"].as_str().unwrap().contains("requests[socks]")));
}

#[test]
fn requests_without_pysocks_alone_is_a_warning_and_env_exits_0() {
    let img = Image::debian();
    img.dist(SITE, "requests", "2.34.2");
    img.dist(SITE, "urllib3", "2.8.0");
    let run = img.env(&[("all_proxy", "socks5h://127.0.0.1:1080")]);
    assert_eq!(must(&run, "ENV_CLIENT_NO_SOCKS")["status"], "warn");
    assert_eq!(run.json["env"]["status"], "warn", "{}", run.dump());
    assert_eq!(run.code, 0, "{}", run.dump());
    img.dist(SITE, "PySocks", "1.7.1");
    let run = img.env(&[("all_proxy", "socks5h://127.0.0.1:1080")]);
    assert!(
        finding(&run, "ENV_CLIENT_NO_SOCKS").is_none(),
        "{}",
        run.dump()
    );
}

#[test]
fn socksio_in_another_virtualenv_does_not_count() {
    let img = Image::debian();
    let app = img.venv("/opt/venv");
    img.dist(&app, "httpx", "0.28.1");
    let other = img.venv("/venv");
    img.dist(&other, "httpx", "0.28.1");
    img.dist(&other, "socksio", "1.0.0");
    let run = img.env(&[SOCKS]);
    let socks: Vec<&Value> = run.json["env"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "ENV_CLIENT_NO_SOCKS")
        .collect();
    assert_eq!(socks.len(), 1, "{}", run.dump());
    assert!(socks[0]["summary"]
        .as_str()
        .unwrap()
        .contains("in /opt/venv/lib/python3.11/site-packages"));
}

#[test]
fn openai_before_1_55_3_with_httpx_0_28_is_a_version_conflict() {
    let img = Image::debian();
    img.dist(SITE, "openai", "1.54.5");
    img.dist(SITE, "httpx", "0.28.1");
    let run = img.env(&[]);
    let f = must(&run, "ENV_CLIENT_VERSION_CONFLICT");
    assert_eq!(f["status"], "fail");
    let s = summary(&run, "ENV_CLIENT_VERSION_CONFLICT");
    assert!(
        s.contains("openai 1.54.5") && s.contains("httpx 0.28.1") && s.contains("1.55.3"),
        "{s}"
    );
    assert!(f["hint"].as_str().unwrap().contains("openai>=1.55.3"));
    assert!(f["client_errors"][0]
        .as_str()
        .unwrap()
        .contains("unexpected keyword argument 'proxies'"));
    assert_eq!(run.code, 10);

    for (openai, httpx) in [("1.55.3", "0.28.1"), ("1.54.5", "0.27.2")] {
        let img = Image::debian();
        img.dist(SITE, "openai", openai);
        img.dist(SITE, "httpx", httpx);
        let run = img.env(&[]);
        assert!(
            finding(&run, "ENV_CLIENT_VERSION_CONFLICT").is_none(),
            "{openai} + {httpx}\n{}",
            run.dump()
        );
        assert_eq!(run.code, 0, "{}", run.dump());
    }
}

#[test]
fn a_virtualenv_named_by_virtual_env_is_inventoried() {
    let img = Image::debian();
    let site = img.venv("/srv/app/env");
    img.dist(&site, "openai", "1.55.2");
    img.dist(&site, "httpx", "0.28.1");
    img.dist(&site, "azure-cognitiveservices-speech", "1.53.0");
    // Not a known place: found only through VIRTUAL_ENV.
    let run = img.env(&[]);
    assert_eq!(
        run.json["env"]["facts"]["clients"]["python"],
        serde_json::json!([])
    );
    let run = img.env(&[("VIRTUAL_ENV", "/srv/app/env")]);
    let python = &run.json["env"]["facts"]["clients"]["python"];
    assert_eq!(python[0]["site"], site, "{}", run.dump());
    assert_eq!(
        python[0]["packages"],
        serde_json::json!({
            "azure-cognitiveservices-speech": "1.53.0",
            "httpx": "0.28.1",
            "openai": "1.55.2",
        })
    );
    assert!(summary(&run, "ENV_CLIENT_VERSION_CONFLICT").contains("openai 1.55.2"));
}

#[test]
fn node_version_comes_from_its_header_or_the_package_database() {
    let img = Image::debian();
    img.write("/usr/local/bin/node", "\x7fELF");
    img.write(
        "/usr/local/include/node/node_version.h",
        "#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 2\n",
    );
    let run = img.env(&[]);
    let node = &run.json["env"]["facts"]["clients"]["node"];
    assert_eq!(node["path"], "/usr/local/bin/node", "{}", run.dump());
    assert_eq!(node["version"], "20.20.2");

    // Debian's nodejs: no header, dpkg's status says.
    let img = Image::debian();
    img.write("/usr/bin/node", "\x7fELF");
    img.write(
        "/var/lib/dpkg/status",
        "Package: libc6\nVersion: 2.36-9\n\nPackage: nodejs\nStatus: install ok installed\nVersion: 18.19.0+dfsg-6~deb12u2\n\n",
    );
    let run = img.env(&[]);
    let node = &run.json["env"]["facts"]["clients"]["node"];
    assert_eq!(node["version"], "18.19.0", "{}", run.dump());
    assert_eq!(node["version_from"], "/var/lib/dpkg/status");

    // No node: no fact.
    let run = Image::debian().env(&[]);
    assert!(run.json["env"]["facts"]["clients"]["node"].is_null());
}

#[test]
fn env_verbose_lists_the_clients() {
    let img = Image::debian();
    img.dist(SITE, "openai", "1.54.5");
    img.dist(SITE, "httpx", "0.28.1");
    img.dist(SITE, "certifi", "2026.10.19.post1");
    img.dist(SITE, "anyio", "4.16.0");
    img.write("/usr/local/bin/node", "\x7fELF");
    img.write(
        "/usr/local/include/node/node_version.h",
        "#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 2\n",
    );
    let mut cmd = img.cmd();
    cmd.env("ALL_PROXY", "socks5://127.0.0.1:1080");
    let out = human(cmd, &["env", "-v"]);
    let root = img.dir.path().to_string_lossy().into_owned();
    assert_human("env_clients", &out, &[(&root, "[SYSROOT]")]);
}

/// Issue 12: the inventory is one directory read per site, never a file per
/// package — a site with hundreds of distributions opens nothing inside it.
#[test]
fn the_inventory_opens_no_file_inside_a_site() {
    let img = Image::debian();
    for i in 0..300 {
        img.dist(SITE, &format!("pkg{i:03}"), "1.0.0");
    }
    img.dist(SITE, "httpx", "0.28.1");
    img.dist(SITE, "openai", "1.54.5");
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("trace");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_netdoctor"))
        .arg("env")
        .env_clear()
        .env("NETDOCTOR_SYSROOT", img.dir.path())
        .env("ALL_PROXY", "socks5://127.0.0.1:1080")
        .stdout(std::process::Stdio::null())
        .status();
    let Ok(status) = status else {
        crate::support::skip("no strace: files opened not counted", "strace");
        return;
    };
    assert_eq!(status.code(), Some(10));
    let trace = std::fs::read_to_string(&log).unwrap_or_default();
    let inside: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("site-packages/"))
        .collect();
    assert!(inside.is_empty(), "opened inside the site: {inside:?}");
    let listed = trace
        .lines()
        .filter(|l| l.contains("site-packages\""))
        .count();
    assert!(
        (1..=2).contains(&listed),
        "the site was listed {listed} times:\n{trace}"
    );
}

/// `pip install --no-deps --target SITE PACKAGES…` from PyPI with the
/// machine's own pip: the real wheels' `*.dist-info`, as pip writes them.
/// `false`, said loudly, when pip or the index cannot be reached.
fn pip_install(site: &std::path::Path, packages: &[&str]) -> bool {
    let attempt = |extra: &[&str]| {
        std::process::Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-cache-dir",
            ])
            .args(["--disable-pip-version-check", "--no-compile", "--target"])
            .arg(site)
            .args(extra)
            .args(packages)
            .env("PIP_DEFAULT_TIMEOUT", "30")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if attempt(&[]) || attempt(&["--break-system-packages"]) {
        return true;
    }
    crate::support::skip(
        &format!(
            "pip could not install {packages:?} from PyPI (no pip, or no network to the index)"
        ),
        "python3-pip and network access to PyPI",
    );
    false
}

/// The same faults from the real wheels, installed by pip into a
/// virtualenv of the image (`/app/.venv`): what `pip install` of a pinned
/// requirements file leaves behind, not a layout written by hand.
#[test]
fn real_wheels_installed_by_pip_give_the_same_findings() {
    let img = Image::debian();
    let site = img.venv("/app/.venv");
    let host_site = img.dir.path().join(site.trim_start_matches('/'));
    if !pip_install(&host_site, &["openai==1.54.5", "httpx==0.28.1"]) {
        return;
    }
    let run = img.env(&[SOCKS]);
    let conflict = summary(&run, "ENV_CLIENT_VERSION_CONFLICT");
    assert!(
        conflict.contains("openai 1.54.5") && conflict.contains("httpx 0.28.1"),
        "{}",
        run.dump()
    );
    assert!(
        summary(&run, "ENV_CLIENT_NO_SOCKS").contains("socksio"),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 10, "{}", run.dump());
    // The fixes, installed the same way, clear both findings.
    if !pip_install(
        &host_site,
        &["--upgrade", "openai==1.55.3", "socksio==1.0.0"],
    ) {
        return;
    }
    let run = img.env(&[SOCKS]);
    for code in ["ENV_CLIENT_VERSION_CONFLICT", "ENV_CLIENT_NO_SOCKS"] {
        assert!(finding(&run, code).is_none(), "{code}\n{}", run.dump());
    }
    assert_eq!(run.code, 0, "{}", run.dump());
}

/// A version that cannot be read proves no conflict, and a FIFO where
/// `PKG-INFO` should be never blocks the look (opening a FIFO blocks).
#[test]
fn unknown_versions_and_fifos_are_not_findings() {
    let img = Image::debian();
    img.write(&format!("{SITE}/openai.egg-info/top_level.txt"), "openai\n");
    img.dist(SITE, "httpx", "0.28.1");
    let fifo = img
        .dir
        .path()
        .join(SITE.trim_start_matches('/'))
        .join("openai.egg-info/PKG-INFO");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo {}", fifo.display());
    let run = img.env(&[]);
    assert!(
        finding(&run, "ENV_CLIENT_VERSION_CONFLICT").is_none(),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, 0, "{}", run.dump());
}
