//! The resolver's files: `/etc/hosts` ([`hosts::parse`], shared by the dns
//! stage and the env look) and `/etc/resolv.conf`, `/etc/hostname`,
//! `/etc/nsswitch.conf` through the env look ([`dns::inspect`], under a
//! temporary root).

use super::{bytes, config, texty, timed};
use crate::env::dns;
use crate::env::Look;
use crate::hosts;
use crate::sysroot::Sysroot;
use proptest::prelude::*;
use std::fmt::Write as _;

/// A hosts file close to valid: addresses (good and bad), names, comments.
fn hosts_file() -> impl Strategy<Value = String> {
    let line = (
        prop_oneof![
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            Just("::1".to_owned()),
            Just("fe80::1%eth0".to_owned()),
            "[0-9a-f:]{2,20}",
            texty(10),
        ],
        prop::collection::vec(prop_oneof!["[a-zA-Z0-9.-]{1,30}", texty(12)], 0..5),
        prop::option::of(texty(20)),
        prop::sample::select(vec![" ", "\t", "  \t"]),
    )
        .prop_map(|(addr, names, comment, sep)| {
            let mut l = format!("{addr}{sep}{}", names.join(sep));
            if let Some(c) = comment {
                let _ = write!(l, " #{c}");
            }
            l
        });
    (
        prop::collection::vec(line, 0..20),
        prop::sample::select(vec!["\n", "\r\n"]),
    )
        .prop_map(|(lines, eol)| lines.join(eol))
}

/// A resolv.conf close to valid, with the options the look reads.
fn resolv_conf() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "nameserver [0-9]{1,3}(\\.[0-9]{1,3}){3}",
        "nameserver (::1|fe80::1%eth0|[0-9a-f:]{2,20})",
        "(search|domain)( [a-z0-9.-]{1,20}){0,8}",
        "options( (ndots|timeout|attempts):[0-9]{1,12}| rotate| edns0| [a-z-]{1,10}(:[0-9a-z]{0,4})?){0,5}",
        "(sortlist|lookup|family) [a-z0-9/. ]{0,20}",
        "[#;][ -~]{0,30}",
        texty(40),
    ];
    prop::collection::vec(line, 0..16).prop_map(|lines| lines.join("\n"))
}

/// Runs the env look's resolver checks on these files.
fn look(resolv: &[u8], hosts: &[u8], hostname: &[u8], nsswitch: &[u8]) -> String {
    let root = tempfile::tempdir().expect("a temporary root");
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).expect("etc");
    for (name, bytes) in [
        ("resolv.conf", resolv),
        ("hosts", hosts),
        ("hostname", hostname),
        ("nsswitch.conf", nsswitch),
    ] {
        std::fs::write(etc.join(name), bytes).expect("a file under etc");
    }
    let mut look = Look::default();
    timed("env dns look", || {
        dns::inspect(&Sysroot::at(root.path()), &mut look);
    });
    format!("{look:?}")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn hosts_files(text in prop_oneof![hosts_file(), texty(800)]) {
        let entries = timed("hosts::parse", || hosts::parse(&text));
        prop_assert!(entries.len() <= text.lines().count());
        let names: usize = entries.iter().flat_map(|(_, n)| n).map(String::len).sum();
        prop_assert!(names <= text.len());
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn resolver_files(
        resolv in prop_oneof![resolv_conf().prop_map(String::into_bytes), bytes(600)],
        hosts in prop_oneof![hosts_file().prop_map(String::into_bytes), bytes(300)],
        hostname in prop_oneof!["[a-z0-9.-]{0,20}".prop_map(String::into_bytes), bytes(40)],
        nsswitch in prop_oneof!["hosts: (files|dns|myhostname|\\[NOTFOUND=return\\]| ){0,6}".prop_map(String::into_bytes), bytes(100)],
    ) {
        let shown = look(&resolv, &hosts, &hostname, &nsswitch);
        // Findings and facts quote what the files say: bounded by them
        // (Debug escapes a byte into at most 10 characters).
        let input = resolv.len() + hosts.len() + hostname.len() + nsswitch.len();
        prop_assert!(shown.len() <= 10 * 3 * input + 8192, "{} bytes from {}", shown.len(), input);
    }
}
