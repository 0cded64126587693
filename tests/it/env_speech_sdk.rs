//! The Speech SDK's own native libraries (issue 15): images laid out like
//! the real `azure-cognitiveservices-speech` wheels (file names and sizes
//! from issue 15's reproduction, `/work/wt/repro15/REPORT.md`; the sizes
//! as sparse files, so the images cost no disk), under `NETDOCTOR_SYSROOT`:
//! a 1.38+ SDK without its `libpal_azure_c_shared*.so` is
//! `ENV_SPEECH_SDK_INCOMPLETE`; the OpenSSL it loads comes from its libpal
//! files, else from the `libssl.so.N` string of its core library, and is
//! compared with the image's. The real wheels' files are used too when the
//! reproduction's virtualenvs are on this machine (symlinked, never copied
//! or committed); elsewhere those tests say loudly that they skip.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::snapshot::{assert_human, debian_image, human};
use crate::support::{netdoctor, pki, run_json_with, Run};

const SITE: &str = "usr/local/lib/python3.11/site-packages";
const PKG: &str = "azure/cognitiveservices/speech";
const CORE: &str = "libMicrosoft.CognitiveServices.Speech.core.so";
const PAL: &str = "libpal_azure_c_shared.so";
const PAL3: &str = "libpal_azure_c_shared_openssl3.so";

/// The `.so` files of the 1.44.0 wheel and their sizes (`ls -l`).
const WHEEL_1_44: &[(&str, u64)] = &[
    (CORE, 90_165_416),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.audio.sys.so",
        3_140_272,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.codec.so",
        3_242_048,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.kws.ort.so",
        1_722_712,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.kws.so",
        5_310_400,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.lu.so",
        11_861_632,
    ),
    (PAL, 8_048_336),
    (PAL3, 8_053_024),
];

/// The `.so` files of the 1.53.0 wheel (no `lu`).
const WHEEL_1_53: &[(&str, u64)] = &[
    (CORE, 2_679_856),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.audio.sys.so",
        119_672,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.codec.so",
        89_256,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.kws.ort.so",
        2_743_384,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.kws.so",
        493_696,
    ),
    (PAL, 461_256),
    (PAL3, 461_256),
];

/// The `.so` files of the 1.24.0 wheel (no libpal; the core embeds
/// `libssl.so.1.1`).
const WHEEL_1_24: &[(&str, u64)] = &[
    (CORE, 5_616_192),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.audio.sys.so",
        169_216,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.codec.so",
        123_600,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.kws.so",
        1_907_520,
    ),
    (
        "libMicrosoft.CognitiveServices.Speech.extension.lu.so",
        500_240,
    ),
];

/// A Debian 12 image (OpenSSL 3 only) to install an SDK into.
fn image() -> tempfile::TempDir {
    debian_image(&pki().root_pem())
}

fn pkg_dir(root: &Path) -> PathBuf {
    root.join(SITE).join(PKG)
}

/// The SDK `version` laid out as its wheel, without the files in `without`:
/// the dist-info, and each library as an ELF-magic file of its real size
/// (sparse); the core library holds `core` at its start.
fn install(root: &Path, version: &str, wheel: &[(&str, u64)], without: &[&str], core: &[u8]) {
    let site = root.join(SITE);
    let dist = site.join(format!(
        "azure_cognitiveservices_speech-{version}.dist-info"
    ));
    std::fs::create_dir_all(&dist).expect("mkdir dist-info");
    std::fs::write(
        dist.join("METADATA"),
        format!("Name: azure-cognitiveservices-speech\nVersion: {version}\n"),
    )
    .expect("METADATA");
    let dir = pkg_dir(root);
    std::fs::create_dir_all(&dir).expect("mkdir package");
    std::fs::write(dir.join("__init__.py"), "").expect("__init__.py");
    for (name, size) in wheel.iter().filter(|(n, _)| !without.contains(n)) {
        let head: &[u8] = if *name == CORE { core } else { b"\x7fELF" };
        std::fs::write(dir.join(name), head).expect("write library");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join(name))
            .expect("open library");
        f.set_len(*size).expect("size");
    }
}

fn env_json(root: &Path) -> Run {
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root);
    run_json_with(cmd, &["env"])
}

fn finding<'a>(run: &'a Run, code: &str) -> &'a Value {
    run.json["env"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == code))
        .unwrap_or(&Value::Null)
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

fn summary<'a>(run: &'a Run, code: &str) -> &'a str {
    finding(run, code)["summary"].as_str().unwrap_or("")
}

fn sdk_fact(run: &Run) -> &Value {
    &run.json["env"]["facts"]["speech_sdk"]
}

#[test]
fn sdk_1_44_without_its_libpal_files_is_incomplete() {
    let root = image();
    install(root.path(), "1.44.0", WHEEL_1_44, &[PAL, PAL3], b"\x7fELF");
    let run = env_json(root.path());
    let f = finding(&run, "ENV_SPEECH_SDK_INCOMPLETE");
    assert_eq!(f["status"], "fail", "{}", run.dump());
    assert_eq!(run.code, 10, "{}", run.dump());
    let s = summary(&run, "ENV_SPEECH_SDK_INCOMPLETE");
    assert!(
        s.contains(PAL) && s.contains(PAL3) && s.contains(&format!("/{SITE}/{PKG}")),
        "names the missing files and the directory\n{}",
        run.dump()
    );
    let hint = f["hint"].as_str().unwrap_or("");
    assert!(
        hint.contains("pip install --force-reinstall azure-cognitiveservices-speech==1.44.0"),
        "{}",
        run.dump()
    );
    assert_eq!(sdk_fact(&run)["missing"], serde_json::json!([PAL, PAL3]));
    assert_eq!(
        sdk_fact(&run)["libraries"].as_array().map(Vec::len),
        Some(6),
        "{}",
        run.dump()
    );
    assert_eq!(sdk_fact(&run)["libraries"][0]["size"], 90_165_416);

    // Only the OpenSSL 3 one removed (REPORT: the same `Error: 27`).
    let root = image();
    install(root.path(), "1.44.0", WHEEL_1_44, &[PAL3], b"\x7fELF");
    let run = env_json(root.path());
    assert_eq!(
        finding(&run, "ENV_SPEECH_SDK_INCOMPLETE")["status"],
        "fail",
        "{}",
        run.dump()
    );
    assert_eq!(sdk_fact(&run)["missing"], serde_json::json!([PAL3]));
    // What is left names only OpenSSL 1.1, which this image lacks.
    assert_eq!(
        sdk_fact(&run)["openssl_wanted"],
        serde_json::json!(["libssl.so.1.1"])
    );
    assert!(
        summary(&run, "ENV_OPENSSL_VERSION").contains("libssl.so.1.1"),
        "{}",
        run.dump()
    );
}

#[test]
fn sdk_without_its_core_library_is_incomplete() {
    let root = image();
    install(root.path(), "1.53.0", WHEEL_1_53, &[CORE], b"");
    let run = env_json(root.path());
    assert_eq!(
        finding(&run, "ENV_SPEECH_SDK_INCOMPLETE")["status"],
        "fail",
        "{}",
        run.dump()
    );
    assert!(summary(&run, "ENV_SPEECH_SDK_INCOMPLETE").contains(CORE));
}

#[test]
fn sdk_1_53_intact_on_an_openssl_3_image_passes() {
    let root = image();
    install(root.path(), "1.53.0", WHEEL_1_53, &[], b"\x7fELF");
    let run = env_json(root.path());
    assert!(codes(&run).is_empty(), "{}", run.dump());
    assert_eq!(run.code, 0, "{}", run.dump());
    let sdk = sdk_fact(&run);
    assert_eq!(sdk["version"], "1.53.0");
    assert_eq!(sdk["openssl_source"], "libpal files");
    assert_eq!(
        sdk["openssl_wanted"],
        serde_json::json!(["libssl.so.3", "libssl.so.1.1"])
    );
    assert_eq!(sdk["library_dir"], format!("/{SITE}/{PKG}"));
    assert!(sdk.get("missing").is_none(), "{}", run.dump());
    assert!(
        sdk.get("core_needed").is_none(),
        "a 1.53 core is not read\n{}",
        run.dump()
    );
}

#[test]
fn sdk_1_24_whose_core_names_openssl_1_1_fails_on_an_openssl_3_image() {
    let root = image();
    install(
        root.path(),
        "1.24.0",
        WHEEL_1_24,
        &[],
        b"\x7fELF\0Cannot get required symbol SSL_new from libssl\n\0libssl.so.1.1\0",
    );
    let run = env_json(root.path());
    let f = finding(&run, "ENV_OPENSSL_VERSION");
    assert_eq!(f["status"], "fail", "{}", run.dump());
    let s = summary(&run, "ENV_OPENSSL_VERSION");
    assert!(
        s.contains("libssl.so.1.1") && s.contains("libssl.so.3 (3.0.19)"),
        "wants vs has\n{}",
        run.dump()
    );
    assert!(codes(&run).contains(&"ENV_SPEECH_SDK_OUTDATED".to_owned()));
    assert!(!codes(&run).contains(&"ENV_SPEECH_SDK_INCOMPLETE".to_owned()));
    assert_eq!(sdk_fact(&run)["openssl_source"], "core library strings");

    // No dist-info: the core's string alone tells it.
    std::fs::remove_dir_all(
        root.path()
            .join(SITE)
            .join("azure_cognitiveservices_speech-1.24.0.dist-info"),
    )
    .expect("rm dist-info");
    let run = env_json(root.path());
    assert_eq!(
        finding(&run, "ENV_OPENSSL_VERSION")["status"],
        "fail",
        "{}",
        run.dump()
    );
    assert!(sdk_fact(&run)["version"].is_null(), "{}", run.dump());
}

#[test]
fn sdk_in_a_system_library_directory_lists_only_its_own_libraries() {
    // The C/C++ SDK's layout: its libraries among the system's.
    let root = image();
    let lib = root.path().join("usr/lib/x86_64-linux-gnu");
    std::fs::write(lib.join(CORE), b"\x7fELF").expect("core");
    std::fs::write(lib.join(PAL), b"\x7fELF").expect("pal");
    std::fs::write(lib.join(PAL3), b"\x7fELF").expect("pal3");
    std::fs::write(lib.join("libz.so.1"), b"\x7fELF").expect("libz");
    let run = env_json(root.path());
    assert!(codes(&run).is_empty(), "{}", run.dump());
    let names: Vec<&str> = sdk_fact(&run)["libraries"]
        .as_array()
        .map(|l| l.iter().filter_map(|l| l["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, [CORE, PAL, PAL3], "{}", run.dump());
    assert_eq!(sdk_fact(&run)["openssl_source"], "libpal files");
    assert_eq!(sdk_fact(&run)["library_dir"], "/usr/lib/x86_64-linux-gnu");

    // Without them: no version, so only the missing core would say
    // incomplete; the OpenSSL rule still reads the core's strings.
    std::fs::remove_file(lib.join(PAL)).expect("rm");
    std::fs::remove_file(lib.join(PAL3)).expect("rm");
    std::fs::write(lib.join(CORE), b"\x7fELF\0libssl.so.1.1\0").expect("core");
    let run = env_json(root.path());
    assert_eq!(codes(&run), ["ENV_OPENSSL_VERSION"], "{}", run.dump());
}

#[test]
fn env_verbose_lists_the_sdk_libraries() {
    let root = image();
    install(root.path(), "1.44.0", WHEEL_1_44, &[PAL, PAL3], b"\x7fELF");
    let mut cmd = netdoctor();
    cmd.env("NETDOCTOR_SYSROOT", root.path());
    let out = human(cmd, &["env", "-v"]);
    assert_human(
        "env_speech_sdk_incomplete",
        &out,
        &[(&root.path().display().to_string(), "[SYSROOT]")],
    );
}

/// The reproduction's virtualenvs (`NETDOCTOR_REPRO15` or
/// `/work/wt/repro15`), when on this machine.
fn repro() -> Option<PathBuf> {
    let dir = std::env::var_os("NETDOCTOR_REPRO15").map(PathBuf::from);
    if let Some(dir) = dir.filter(|d| d.join("venv-cur").is_dir()) {
        return Some(dir);
    }
    crate::support::skip(
        "NETDOCTOR_REPRO15 names no directory of issue 15's Speech SDK virtualenvs (tests/clients/issue15/README.md)",
        "the Speech SDK wheels into those virtualenvs",
    );
    None
}

/// An OpenSSL-3 image whose site-packages links the real SDK of `venv`
/// (its package dir's files, its dist-info).
fn real_image(venv: &Path) -> Option<tempfile::TempDir> {
    let site = std::fs::read_dir(venv.join("lib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.join(PKG).is_dir())?;
    let root = image();
    let dir = pkg_dir(root.path());
    std::fs::create_dir_all(&dir).expect("mkdir package");
    for e in std::fs::read_dir(site.join(PKG)).expect("list").flatten() {
        std::os::unix::fs::symlink(e.path(), dir.join(e.file_name())).expect("symlink");
    }
    for e in std::fs::read_dir(&site).expect("list site").flatten() {
        let name = e.file_name();
        if name
            .to_string_lossy()
            .starts_with("azure_cognitiveservices_speech-")
        {
            std::os::unix::fs::symlink(e.path(), root.path().join(SITE).join(name))
                .expect("symlink dist-info");
        }
    }
    Some(root)
}

#[test]
#[ignore = "needs issue 15's Speech SDK virtualenvs (20-100 MB wheels each): NETDOCTOR_REPRO15=DIR cargo test --test it env_speech_sdk -- --ignored"]
fn the_real_wheels_agree() {
    let Some(repro) = repro() else { return };
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "venv-1.44-nopal",
            &["ENV_SPEECH_SDK_INCOMPLETE", "ENV_SPEECH_SDK_OUTDATED"],
            "version table",
        ),
        (
            "venv-1.44.0-no3",
            &[
                "ENV_OPENSSL_VERSION",
                "ENV_SPEECH_SDK_INCOMPLETE",
                "ENV_SPEECH_SDK_OUTDATED",
            ],
            "libpal files",
        ),
        (
            "venv-1.53.0-no3",
            &["ENV_OPENSSL_VERSION", "ENV_SPEECH_SDK_INCOMPLETE"],
            "libpal files",
        ),
        (
            "venv-nopal",
            &["ENV_SPEECH_SDK_INCOMPLETE"],
            "version table",
        ),
        ("venv-cur", &[], "libpal files"),
        ("venv-1.44", &["ENV_SPEECH_SDK_OUTDATED"], "libpal files"),
        (
            "venv-1.24",
            &["ENV_OPENSSL_VERSION", "ENV_SPEECH_SDK_OUTDATED"],
            "core library strings",
        ),
        (
            "venv-old",
            &["ENV_OPENSSL_VERSION", "ENV_SPEECH_SDK_OUTDATED"],
            "core library strings",
        ),
    ];
    for (venv, want, source) in cases {
        let Some(root) = real_image(&repro.join(venv)) else {
            panic!("{venv}: no Speech SDK package under {}", repro.display());
        };
        let run = env_json(root.path());
        let mut got = codes(&run);
        got.sort();
        assert_eq!(&got, want, "{venv}\n{}", run.dump());
        assert_eq!(
            sdk_fact(&run)["openssl_source"],
            *source,
            "{venv}\n{}",
            run.dump()
        );
        if *source == "core library strings" {
            // Read, and OpenSSL is not among the libraries it needs.
            let needed = sdk_fact(&run)["core_needed"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                needed.iter().any(|n| n == "libc.so.6")
                    && !needed
                        .iter()
                        .any(|n| n.as_str().unwrap_or("").starts_with("libssl")),
                "{venv}\n{}",
                run.dump()
            );
            assert_eq!(
                sdk_fact(&run)["openssl_wanted"],
                serde_json::json!(["libssl.so.1.1"])
            );
        }
    }
}
