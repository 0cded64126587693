//! `netdoctor explain` input ([`explain`]): any text a user pastes, the
//! catalogue's and the rules' strings with their placeholders filled in
//! and buried in a traceback, and long pastes up to the 1 MiB it reads.

use super::{bytes, config, heavy, texty, timed};
use crate::diagnosis::Code;
use crate::explain::{code_named, explain, Explanation, RULES};
use proptest::prelude::*;

/// Every pattern `explain` knows: the catalogue's client strings and the rules'.
fn patterns() -> Vec<&'static str> {
    let catalogue = Code::ALL
        .iter()
        .flat_map(|c| c.entry().client_errors.iter().copied());
    catalogue.chain(RULES.iter().map(|r| r.pattern)).collect()
}

/// A known pattern with its `<placeholders>` filled with `fill`.
fn filled(pattern: &str, fill: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').map(|c| open + c);
        let name = close.map(|c| &rest[open + 1..c]);
        match (close, name) {
            (Some(c), Some(n))
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                out.push_str(&rest[..open]);
                out.push_str(fill);
                rest = &rest[c + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The explanation of `text`, checked: bounded, every code a known one.
fn check(text: &str) -> Result<Explanation, TestCaseError> {
    let e = timed("explain", || explain(text));
    let rule_codes = || RULES.iter().flat_map(|r| r.causes.iter().map(|c| c.code));
    prop_assert!(e.matches.len() <= Code::ALL.len() + rule_codes().count());
    for m in &e.matches {
        prop_assert!(
            code_named(&m.code).is_some() || rule_codes().any(|c| c == m.code),
            "unknown code {}",
            m.code
        );
        prop_assert!(
            m.evidence.len() <= 3000,
            "evidence of {} bytes",
            m.evidence.len()
        );
    }
    prop_assert!(e.command.len() <= 3 * text.len() + 300, "{}", e.command);
    Ok(e)
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn arbitrary_text(text in prop_oneof![texty(2000), bytes(2000).prop_map(|b| String::from_utf8_lossy(&b).into_owned())]) {
        check(&text)?;
    }

    #[test]
    fn known_strings_in_a_traceback(
        pick in any::<prop::sample::Index>(),
        fill in prop_oneof!["[a-z0-9.]{1,12}", "https://[a-z]{1,8}\\.test(:[0-9]{1,5})?/", texty(20)],
        before in prop::collection::vec(texty(60), 0..5),
        after in prop::collection::vec(texty(60), 0..5),
        suffix in prop::sample::select(vec!["", " (_ssl.c:1006)", " (_ssl.c:)", "\r"]),
    ) {
        let all = patterns();
        let pattern = all[pick.index(all.len())];
        let fill = fill.replace(['\n', '\r'], " ");
        // A placeholder stands for at least one character.
        let fill = if fill.is_empty() { "x".to_owned() } else { fill };
        let line = format!("{}{suffix}", filled(pattern, &fill));
        let text = [before, vec![line], after].concat().join("\n");
        let e = check(&text)?;
        prop_assert!(!e.matches.is_empty(), "{pattern:?} unexplained in {text:?}");
    }
}

proptest! {
    #![proptest_config(heavy(4))]

    /// A long paste of matching lines (up to 384 KiB: explain reads 1 MiB,
    /// whose matching costs seconds in a debug build): the ranking is not
    /// quadratic in the lines.
    #[test]
    fn long_pastes(pick in any::<prop::sample::Index>(), kb in 64usize..384) {
        let all = patterns();
        let line = filled(all[pick.index(all.len())], "x.test");
        let mut text = String::new();
        while text.len() < kb << 10 {
            text.push_str(&line);
            text.push('\n');
        }
        check(&text)?;
    }
}
