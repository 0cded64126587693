//! The committed completion scripts must be what the binary prints now.

use crate::support::netdoctor;

const SCRIPTS: &[(&str, &str)] = &[
    ("bash", "netdoctor.bash"),
    ("zsh", "_netdoctor"),
    ("fish", "netdoctor.fish"),
    ("powershell", "_netdoctor.ps1"),
    ("elvish", "netdoctor.elv"),
];

#[test]
fn committed_completions_are_current() {
    for (shell, file) in SCRIPTS {
        let out = netdoctor().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "completions {shell} failed");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run `netdoctor completions {shell} > completions/{file}`"
        );
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = netdoctor().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
