//! What a proxy sends back and how it is named: replies to `CONNECT`
//! ([`h1::parse_head`] then [`judge_reply`]/[`reply_facts`]), SOCKS5
//! replies (tokio-socks parses them; netdoctor maps its errors), proxy URLs
//! ([`ProxyUrl::parse`], [`redact_raw`], the variables' findings) and
//! `NO_PROXY` lists ([`matches_no_proxy`], every client's [`decide`]).

use super::{block_on, bytes, config, mutate, texty, timed};
use crate::diagnosis::{Code, Layer};
use crate::probe::h1;
use crate::probe::proxy::{judge_reply, reply_facts, ProxyFacts};
use crate::proxy::env_vars::findings;
use crate::proxy::rules::{decide, matches_no_proxy, Client, Dest, ProxyVars};
use crate::proxy::url::redact_raw;
use crate::proxy::ProxyUrl;
use proptest::prelude::*;
use std::fmt::Write as _;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A password no generated host or user can contain (they are lower case).
fn password() -> impl Strategy<Value = String> {
    "PW[A-Z0-9]{6}"
}

/// A proxy URL close to valid: scheme, userinfo, host, port, path.
fn proxy_url() -> impl Strategy<Value = (String, Option<String>)> {
    (
        prop::sample::select(vec![
            "http://",
            "https://",
            "socks5://",
            "socks5h://",
            "ftp://",
            "",
            "HTTP://",
            "http:/",
        ]),
        prop::option::of(("[a-z0-9._~-]{0,12}", prop::option::of(password()))),
        prop_oneof![
            "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,10}){0,3}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            Just("[::1]".to_owned()),
            Just("[::1".to_owned()),
            Just("[fe80::1%25eth0]".to_owned()),
            Just(String::new()),
        ],
        prop_oneof![
            Just(String::new()),
            (0u32..200_000).prop_map(|p| format!(":{p}")),
            Just(":".to_owned()),
            Just(":x".to_owned())
        ],
        prop::sample::select(vec!["", "/", "/path?q=1", "#frag", " "]),
    )
        .prop_map(|(scheme, userinfo, host, port, tail)| {
            let (user, pw) = match userinfo {
                Some((u, Some(p))) => (format!("{u}:{p}@"), Some(p)),
                Some((u, None)) => (format!("{u}@"), None),
                None => (String::new(), None),
            };
            (format!("{scheme}{user}{host}{port}{tail}"), pw)
        })
}

/// Checks a parse of `raw`: a usable URL or an error of bounded size; the
/// password (if any) shown in neither.
fn check_url(raw: &str, password: Option<&str>) -> Result<(), TestCaseError> {
    let shown = match timed("ProxyUrl::parse", || ProxyUrl::parse(raw)) {
        Ok(url) => {
            prop_assert!(!url.host.is_empty());
            // IDNA maps and punycodes the host: a few bytes per byte of it.
            prop_assert!(url.authority().len() <= 10 * raw.len() + 16);
            format!("{url} {url:?}")
        }
        Err(e) => e.to_string(),
    };
    prop_assert!(shown.len() <= 3 * raw.len() + 300, "{} bytes", shown.len());
    if let Some(pw) = password {
        prop_assert!(!shown.contains(pw), "{shown}");
        prop_assert!(!redact_raw(raw).contains(pw));
    }
    Ok(())
}

/// One `NO_PROXY` entry, close to what people write.
fn no_proxy_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.-]{0,20}",
        "\\*?\\.?[a-z0-9-]{1,10}\\.test(:[0-9]{1,6})?",
        "[0-9]{1,3}(\\.[0-9]{1,3}){3}(/[0-9]{1,3})?",
        "(::1|fe80::[0-9a-f]{1,4}|::ffff:10\\.0\\.0\\.1)(/[0-9]{1,3})?",
        "(all|http|https|socks)://[a-z.*]{0,12}(:[0-9]{1,5})?",
        Just("*".to_owned()),
        Just("localhost".to_owned()),
        texty(16),
    ]
}

fn no_proxy_list() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(no_proxy_entry(), 0..8),
        prop::sample::select(vec![",", ", ", " ", ",,"]),
    )
        .prop_map(|(entries, sep)| entries.join(sep))
}

fn dest() -> impl Strategy<Value = Dest> {
    (
        prop::sample::select(vec!["http", "https"]),
        prop_oneof![
            "[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,2}(\\.test)?",
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
            Just("::1".to_owned()),
            Just("localhost".to_owned()),
        ],
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(|(scheme, host, port, explicit_port)| Dest {
            scheme,
            host,
            port,
            explicit_port,
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_text_as_a_proxy_url(raw in prop_oneof![texty(120), bytes(120).prop_map(|b| String::from_utf8_lossy(&b).into_owned())]) {
        check_url(&raw, None)?;
    }

    #[test]
    fn near_valid_proxy_urls((raw, password) in proxy_url()) {
        check_url(&raw, password.as_deref())?;
        // The variables' findings show the value: never its password.
        let vars = ProxyVars::from_pairs(&[("https_proxy", &raw), ("HTTPS_PROXY", "http://p.test:1")]);
        for f in timed("findings", || findings(&vars)) {
            prop_assert!(matches!(f.code, Code::EnvProxyBadUrl | Code::EnvProxyConflict), "{:?}", f.code);
            prop_assert!(f.summary.len() <= 3 * raw.len() + 1000);
            if let Some(pw) = &password {
                prop_assert!(!f.summary.contains(pw.as_str()), "{}", f.summary);
            }
        }
    }

    #[test]
    fn no_proxy_lists(list in no_proxy_list(), dest in dest(), proxy in proxy_url()) {
        match timed("matches_no_proxy", || matches_no_proxy(&list, &dest)) {
            Ok(Some(entry)) => prop_assert!(list.contains(&entry), "{entry:?} not in {list:?}"),
            Ok(None) => {}
            Err(e) => prop_assert!(e.len() <= list.len() + 200),
        }
        let vars = ProxyVars::from_pairs(&[
            ("https_proxy", &proxy.0),
            ("http_proxy", &proxy.0),
            ("no_proxy", &list),
            ("NO_PROXY", "*"),
        ]);
        for client in Client::ALL {
            let d = timed("decide", || decide(client, &vars, &dest));
            if let Some(b) = &d.bypass {
                prop_assert!(list.contains(&b.entry) || b.entry == "*", "{:?}", b);
            }
        }
    }
}

/// A proxy's reply head, close to what proxies send.
fn reply() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(200u16),
            Just(407),
            Just(403),
            Just(400),
            Just(502),
            100u16..=999
        ],
        texty(40),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "Server",
                    "Via",
                    "X-Squid-Error",
                    "Proxy-Status",
                    "Proxy-Authenticate",
                    "Content-Length",
                    "X",
                ]),
                prop_oneof![
                    texty(80),
                    "(Basic|NTLM|Negotiate|Digest)( realm=\"[a-z]{0,10}\")?,? ?"
                ],
            ),
            0..8,
        ),
        prop_oneof![
            texty(200),
            Just("<h1>400</h1> The plain HTTP request was sent to HTTPS port".to_owned())
        ],
    )
        .prop_map(|(status, reason, headers, body)| {
            let mut h = format!("HTTP/1.1 {status} {reason}\r\n");
            for (n, v) in headers {
                let _ = write!(h, "{n}: {v}\r\n");
            }
            h.push_str("\r\n");
            h.push_str(&body);
            h.into_bytes()
        })
}

/// Judges a reply read from `wire` as the proxy stage does.
fn judge(wire: &[u8], credentials: bool) -> Result<(), TestCaseError> {
    let url = ProxyUrl::parse("http://user:PWsecret@proxy.test:3128").expect("a proxy URL");
    let Ok(Some((head, len))) = h1::parse_head(wire) else {
        return Ok(());
    };
    let body = &wire[len..];
    let mut facts = ProxyFacts::default();
    reply_facts(&mut facts, head.status, &head.reason, &head.headers);
    let json = serde_json::to_string(&facts).expect("facts serialise");
    // Five headers of at most 120 characters each (escaped: 6 bytes each),
    // joined per name, plus the reason.
    prop_assert!(
        json.len() <= 6 * (80 + 5 * 121 * head.headers.len().max(1)) + 200,
        "{} bytes",
        json.len()
    );
    // As an absolute-form reply, and as a CONNECT reply (a proxy's own
    // error header makes any 4xx/5xx the proxy's).
    let mut own = head.headers.clone();
    own.push(("X-Squid-Error".to_owned(), "ERR_ACCESS_DENIED 0".to_owned()));
    for headers in [&head.headers, &own] {
        let judged = timed("judge_reply", || {
            judge_reply(&url, head.status, &head.reason, headers, body, credentials)
        });
        if let Some(e) = judged {
            let d = e.diagnosis();
            prop_assert_eq!(d.layer, Layer::Proxy);
            prop_assert!(
                matches!(
                    d.code,
                    Code::ProxyAuthRequired | Code::ProxyDenied | Code::ProxyPlaintextToTls
                ),
                "{:?}",
                d.code
            );
            prop_assert!(d.summary.len() <= 2000, "{} bytes", d.summary.len());
            prop_assert!(!d.summary.contains("PWsecret"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn connect_replies(
        wire in reply(),
        mutation in (any::<bool>(), any::<u8>(), any::<usize>(), any::<u8>()),
        credentials in any::<bool>(),
    ) {
        let (on, kind, at, byte) = mutation;
        let wire = if on { mutate(wire, kind, at, byte) } else { wire };
        judge(&wire, credentials)?;
    }

    #[test]
    fn arbitrary_bytes_as_a_connect_reply(wire in bytes(1024), credentials in any::<bool>()) {
        judge(&wire, credentials)?;
    }
}

/// A SOCKS5 server's answers close to valid: the method choice, then the
/// reply to CONNECT (with a bound address of any type).
fn socks_reply() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0x00u8, 0x02, 0xff, 0x01]),
        0u8..10,
        prop::sample::select(vec![0x01u8, 0x03, 0x04, 0x02]),
        bytes(40),
        any::<bool>(),
    )
        .prop_map(|(method, rep, atyp, addr, auth_ok)| {
            let mut w = vec![0x05, method];
            if method == 0x02 {
                w.extend_from_slice(&[0x01, u8::from(!auth_ok)]);
            }
            w.extend_from_slice(&[0x05, rep, 0x00, atyp]);
            if atyp == 0x03 {
                w.push(u8::try_from(addr.len()).unwrap_or(0));
            }
            w.extend_from_slice(&addr);
            w.extend_from_slice(&[0x01, 0xbb]);
            w
        })
}

/// Runs tokio-socks' handshake against a server that answers `wire` (with
/// credentials or not), then closes.
fn socks(wire: &[u8], credentials: bool) -> Result<(), TestCaseError> {
    let result = timed("socks5", || {
        block_on(async {
            let (client, mut server) = tokio::io::duplex(1 << 16);
            server.write_all(wire).await.expect("into the pipe");
            drop(server);
            let handshake = async {
                if credentials {
                    tokio_socks::tcp::Socks5Stream::connect_with_password_and_socket(
                        client,
                        ("t.test", 443),
                        "u",
                        "p",
                    )
                    .await
                    .map(drop)
                } else {
                    tokio_socks::tcp::Socks5Stream::connect_with_socket(client, ("t.test", 443))
                        .await
                        .map(drop)
                }
            };
            tokio::time::timeout(Duration::from_secs(5), handshake).await
        })
    });
    prop_assert!(result.is_ok(), "the handshake hung on a closed pipe");
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn socks5_replies(
        wire in socks_reply(),
        mutation in (any::<bool>(), any::<u8>(), any::<usize>(), any::<u8>()),
        credentials in any::<bool>(),
    ) {
        let (on, kind, at, byte) = mutation;
        let wire = if on { mutate(wire, kind, at, byte) } else { wire };
        socks(&wire, credentials)?;
    }

    #[test]
    fn arbitrary_bytes_as_socks5_replies(wire in bytes(300), credentials in any::<bool>()) {
        socks(&wire, credentials)?;
    }
}
