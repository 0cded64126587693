//! Reading a proxy's reply: its facts (status, reason, the headers that
//! tell about the proxy) and, for a non-2xx reply, which mistake it is — a
//! 407 with the schemes offered, nginx's plain-HTTP-to-HTTPS-port 400, or a
//! refusal quoting `Server`, `Via` and `X-Squid-Error`. For plain http/ws
//! targets, [`judge_reply`] tells a reply of the proxy from one of the
//! origin.

use super::{ProxyError, ProxyFacts};
use crate::probe::h1;
use crate::proxy::ProxyUrl;
use crate::redact;
use std::collections::BTreeMap;

/// What nginx answers a plain request on a TLS port.
const NGINX: &str = "plain HTTP request was sent to HTTPS port";

/// The reply's headers that tell about the proxy, as the facts show them.
const SHOWN_HEADERS: [&str; 5] = [
    "server",
    "via",
    "x-squid-error",
    "proxy-status",
    "proxy-authenticate",
];

/// Records the reply's status, reason and telling headers.
pub(super) fn record_reply(facts: &mut ProxyFacts, reply: &h1::Head) {
    facts.status = Some(reply.status);
    facts.reason = Some(redact::bounded(&reply.reason, 80));
    let mut shown = BTreeMap::new();
    for name in SHOWN_HEADERS {
        let values = reply.all(name);
        if !values.is_empty() {
            let text: Vec<String> = values.iter().map(|v| redact::bounded(v, 120)).collect();
            shown.insert(name, text.join(", "));
        }
    }
    facts.headers = Some(shown);
}

/// The schemes of `Proxy-Authenticate` challenges (`Basic`, `NTLM`, …).
fn schemes(reply: &h1::Head) -> Vec<String> {
    reply
        .all("proxy-authenticate")
        .iter()
        .filter_map(|v| v.split_whitespace().next())
        .map(|s| redact::bounded(s.trim_end_matches(','), 30))
        .collect()
}

/// `, Name: value` for a header the diagnosis quotes, or nothing.
fn quote(reply: &h1::Head, name: &str, shown: &str, max: usize) -> String {
    reply
        .header(name)
        .map(|s| format!(", {shown}: {}", redact::bounded(s, max)))
        .unwrap_or_default()
}

/// The error for a proxy's non-2xx reply to `operation` (CONNECT or an
/// absolute-form request).
pub(super) fn judge_status(
    reply: &h1::Head,
    body: &[u8],
    url: &ProxyUrl,
    operation: &str,
    credentials_sent: bool,
) -> ProxyError {
    let server = quote(reply, "server", "Server", 60);
    let status = format!("{} {}", reply.status, redact::bounded(&reply.reason, 60));
    if reply.status == 407 {
        return ProxyError::AuthRequired {
            proxy: url.to_string(),
            operation: operation.to_owned(),
            status,
            offered: schemes(reply),
            server,
            user: url.shown_user(),
            credentials_sent,
        };
    }
    if says_plain_http_to_tls(reply, body) {
        return ProxyError::PlainHttpToHttpsPort {
            proxy: url.authority(),
            operation: operation.to_owned(),
            server,
        };
    }
    let via = quote(reply, "via", "Via", 80);
    let squid = quote(reply, "x-squid-error", "X-Squid-Error", 60);
    ProxyError::Denied {
        proxy: url.to_string(),
        operation: operation.to_owned(),
        reply: format!("{status}{server}{via}{squid}"),
    }
}

/// Whether the reply is nginx's 400 for plain HTTP on its TLS port.
pub(super) fn says_plain_http_to_tls(reply: &h1::Head, body: &[u8]) -> bool {
    reply.status == 400
        && (String::from_utf8_lossy(body).contains(NGINX) || reply.reason.contains(NGINX))
}

/// For absolute-form requests: whether the reply to the target's request
/// came from the proxy (a 407, or an error the proxy marks as its own with
/// `X-Squid-Error` or `Proxy-Status`) rather than from the origin.
pub fn judge_reply(
    url: &ProxyUrl,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials_sent: bool,
) -> Option<ProxyError> {
    let reply = head(status, reason, headers);
    let own_error =
        reply.header("x-squid-error").is_some() || reply.header("proxy-status").is_some();
    (status == 407 || (status >= 400 && own_error))
        .then(|| judge_status(&reply, body, url, "the request", credentials_sent))
}

/// The facts of an absolute-form reply judged by [`judge_reply`].
pub fn reply_facts(
    facts: &mut ProxyFacts,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
) {
    record_reply(facts, &head(status, reason, headers));
}

/// The head of an absolute-form reply, from the http stage's exchange.
fn head(status: u16, reason: &str, headers: &[(String, String)]) -> h1::Head {
    h1::Head {
        status,
        reason: reason.to_owned(),
        version: 1,
        headers: headers.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::Code;

    #[test]
    fn replies_are_classified() {
        let url = ProxyUrl::parse("http://p.test:3128").unwrap();
        let (r, _) = h1::parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n")
            .unwrap()
            .unwrap();
        let d = judge_status(&r, b"", &url, "CONNECT a:443", false).diagnosis();
        assert_eq!(d.code, Code::ProxyAuthRequired);
        assert!(d.summary.contains("NTLM, Negotiate"), "{}", d.summary);
        assert!(d.hint.contains("NTLM"), "{}", d.hint);
        let (r, _) = h1::parse_head(
            b"HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nVia: 1.1 p (squid/5.7)\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        let d = judge_status(&r, b"", &url, "CONNECT a:443", false).diagnosis();
        assert_eq!(d.code, Code::ProxyDenied);
        assert!(
            d.summary
                .contains("403 Forbidden, Server: squid/5.7, Via: 1.1 p"),
            "{}",
            d.summary
        );
        assert!(h1::parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[test]
    fn reply_facts_keep_the_report_order() {
        let (r, _) = h1::parse_head(
            b"HTTP/1.1 403 Forbidden\r\nVia: 1.1 p\r\nServer: squid\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        let mut facts = ProxyFacts::default();
        record_reply(&mut facts, &r);
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(
            json,
            r#"{"headers":{"server":"squid","via":"1.1 p","x-squid-error":"ERR_ACCESS_DENIED 0"},"proxy":"","reason":"Forbidden","source":"","status":403}"#
        );
    }
}
