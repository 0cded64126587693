//! `netdoctor explain`: table tests with real client output (verbatim from
//! `docs/client-errors.md` and issue 6), a traceback on stdin, unknown text,
//! the exit codes and the JSON contract.

use netdoctor::diagnosis::Code;
use netdoctor::explain::{explain, Explanation};
use serde_json::Value;

use crate::support::{netdoctor, run};

fn codes(e: &Explanation) -> Vec<&str> {
    e.matches.iter().map(|m| m.code.as_str()).collect()
}

/// (what the client printed, the expected causes in order: the first ones
/// exactly, most likely first, then its layer).
const TABLE: &[(&str, &[&str], &str)] = &[
    // Azure Speech SDK 1.53 (issue 6).
    (
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "CERT_EXPIRED", "TLS_PLAINTEXT_RESPONSE"],
        "certificate",
    ),
    (
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=111: [CONNECTION] Connection refused - no service listening on the target port",
        &["TCP_REFUSED"],
        "tcp",
    ),
    (
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=-2: [DNS] DNS resolution failed - hostname not found",
        &["DNS_NXDOMAIN"],
        "dns",
    ),
    (
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "DNS_NXDOMAIN", "TCP_REFUSED", "TCP_TIMEOUT", "PROXY_IGNORED_BY_CLIENT"],
        "certificate",
    ),
    (
        "WebSocket upgrade failed: Authentication error (401). Please check subscription information and region name.",
        &["AUTH_REJECTED", "AUTH_MISSING_KEY"],
        "auth",
    ),
    ("WebSocket upgrade failed: Unspecified connection error (200).", &["WS_UPGRADE_IGNORED"], "websocket"),
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get certificate CRL (_ssl.c:1006)",
        &["CERT_REVOCATION_UNREACHABLE"],
        "certificate",
    ),
    // curl 7.88.1 (docs/client-errors.md) and bare exit codes.
    ("curl: (6) Could not resolve host: nxdomain.test", &["DNS_NXDOMAIN"], "dns"),
    (
        "curl: (7) Failed to connect to good.test port 4431 after 0 ms: Couldn't connect to server",
        &["TCP_REFUSED", "TCP_UNREACHABLE", "PROXY_UNREACHABLE"],
        "tcp",
    ),
    (
        "curl: (28) Failed to connect to blackhole.test port 443 after 2001 ms: Timeout was reached",
        &["TCP_TIMEOUT"],
        "tcp",
    ),
    ("curl: (28) SSL connection timeout", &["TLS_TIMEOUT"], "tls"),
    (
        "curl: (35) OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number",
        &["TLS_PLAINTEXT_RESPONSE", "PROXY_TLS_TO_PLAINTEXT"],
        "tls",
    ),
    ("curl: (35) Recv failure: Connection reset by peer", &["TLS_RESET"], "tls"),
    ("curl: (52) Empty reply from server", &["HTTP_MALFORMED"], "http"),
    ("curl: (56) CONNECT tunnel failed, response 407", &["PROXY_AUTH_REQUIRED"], "proxy"),
    (
        "curl: (60) SSL certificate problem: unable to get local issuer certificate",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "CERT_INCOMPLETE_CHAIN"],
        "certificate",
    ),
    (
        "curl: (60) SSL certificate problem: self-signed certificate in certificate chain",
        &["CERT_INTERCEPTED", "CERT_UNKNOWN_ISSUER"],
        "certificate",
    ),
    ("curl: (60) SSL certificate problem: certificate has expired", &["CERT_EXPIRED"], "certificate"),
    ("curl: (77) error setting certificate file: /nowhere/ca.pem", &["ENV_CA_VAR_MISSING"], "env"),
    ("curl: (5) Could not resolve proxy: proxy.corp.test", &["PROXY_UNREACHABLE"], "proxy"),
    ("curl: (56)", &["TLS_RESET", "PROXY_DENIED"], "tls"),
    // Python 3.11 / OpenSSL 3.0.
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "CERT_INCOMPLETE_CHAIN", "ENV_NO_CA_BUNDLE"],
        "certificate",
    ),
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)",
        &["CERT_INTERCEPTED", "CERT_UNKNOWN_ISSUER"],
        "certificate",
    ),
    (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)",
        &["CERT_SELF_SIGNED"],
        "certificate",
    ),
    (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'other.test'. (_ssl.c:1006)",
        &["CERT_HOSTNAME_MISMATCH"],
        "certificate",
    ),
    (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Basic Constraints of CA cert not marked critical (_ssl.c:1028)",
        &["CERT_NOT_STRICT"],
        "certificate",
    ),
    (
        "urllib.error.URLError: <urlopen error [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)>",
        &["TLS_PLAINTEXT_RESPONSE", "PROXY_TLS_TO_PLAINTEXT"],
        "tls",
    ),
    ("ssl.SSLError: [SSL] record layer failure (_ssl.c:1000)", &["TLS_PLAINTEXT_RESPONSE", "PROXY_TLS_TO_PLAINTEXT"], "tls"),
    (
        "ssl.SSLEOFError: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)",
        &["TLS_UNEXPECTED_EOF"],
        "tls",
    ),
    (
        "ssl.SSLError: [SSL: UNSAFE_LEGACY_RENEGOTIATION_DISABLED] unsafe legacy renegotiation disabled (_ssl.c:1006)",
        &["TLS_HANDSHAKE_FAILURE", "CERT_INTERCEPTED"],
        "tls",
    ),
    ("socket.gaierror: [Errno -2] Name or service not known", &["DNS_NXDOMAIN"], "dns"),
    ("ConnectionRefusedError: [Errno 111] Connection refused", &["TCP_REFUSED"], "tcp"),
    // httpx / openai.
    ("openai.APIConnectionError: Connection error.", &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "PROXY_UNREACHABLE"], "certificate"),
    ("httpx.ConnectError: [Errno 111] Connection refused", &["TCP_REFUSED", "PROXY_UNREACHABLE"], "tcp"),
    ("httpx.ProxyError: 407 Proxy Authentication Required", &["PROXY_AUTH_REQUIRED"], "proxy"),
    ("httpx.ProxyError: 403 Forbidden", &["PROXY_DENIED"], "proxy"),
    ("httpcore.ConnectError: All connection attempts failed", &["DNS_NXDOMAIN", "TCP_REFUSED"], "dns"),
    // Node 20.
    ("getaddrinfo ENOTFOUND nxdomain.test", &["DNS_NXDOMAIN", "DNS_NO_RECORDS"], "dns"),
    ("connect ECONNREFUSED 127.0.0.1:4431", &["TCP_REFUSED"], "tcp"),
    ("connect ETIMEDOUT 10.255.255.1:443", &["TCP_TIMEOUT"], "tcp"),
    ("Error: ECONNREFUSED", &["TCP_REFUSED", "PROXY_UNREACHABLE"], "tcp"),
    (
        "write EPROTO 40A8F1E7F07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number",
        &["TLS_PLAINTEXT_RESPONSE"],
        "tls",
    ),
    ("Error: write EPROTO", &["TLS_PLAINTEXT_RESPONSE", "TLS_PROTOCOL_VERSION"], "tls"),
    (
        "https.get err.code=UNABLE_TO_GET_ISSUER_CERT_LOCALLY err.message=unable to get local issuer certificate",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED"],
        "certificate",
    ),
    ("Error: self-signed certificate in certificate chain code: 'SELF_SIGNED_CERT_IN_CHAIN'", &["CERT_INTERCEPTED", "CERT_UNKNOWN_ISSUER"], "certificate"),
    // Go.
    (
        "Get \"https://api.test/\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
        &["CERT_UNKNOWN_ISSUER", "CERT_INTERCEPTED", "CERT_INCOMPLETE_CHAIN"],
        "certificate",
    ),
    (
        "dial tcp: lookup nxdomain.test on 127.0.0.11:53: no such host",
        &["DNS_NXDOMAIN"],
        "dns",
    ),
    // WebSocket clients.
    ("Error during WebSocket handshake: Unexpected response code: 400", &["WS_UPGRADE_REJECTED"], "websocket"),
    ("Error during WebSocket handshake: Unexpected response code: 200", &["WS_UPGRADE_IGNORED"], "websocket"),
    ("websocket._exceptions.WebSocketBadStatusException: Handshake status 200 OK", &["WS_UPGRADE_IGNORED"], "websocket"),
];

#[test]
fn real_client_errors_map_to_the_right_layer_first() {
    let mut failures = Vec::new();
    for (text, expected, layer) in TABLE {
        let e = explain(text);
        let got = codes(&e);
        let prefix_ok = got.len() >= expected.len() && got[..expected.len()] == **expected;
        let layer_ok = e.matches.first().is_some_and(|m| m.layer.name() == *layer);
        if !prefix_ok || !layer_ok {
            failures.push(format!(
                "{text}\n  expected {expected:?} ({layer}) first, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every catalogue string, with its placeholders filled in, is explained
/// with its own code among the causes: the catalogue and `explain` agree.
#[test]
fn every_catalogue_client_error_explains_to_its_code() {
    let mut failures = Vec::new();
    for &code in Code::ALL {
        // The Speech SDK prints this one token for some twenty codes: explain
        // lists the likely ones and the command that tells them apart.
        // CERT_RUNTIME_STORE_MISMATCH is a warning whose strings are what a
        // runtime with another store prints: CERT_UNKNOWN_ISSUER's strings,
        // which explain names.
        if code == Code::CertRuntimeStoreMismatch {
            continue;
        }
        for pattern in code
            .entry()
            .client_errors
            .iter()
            .filter(|p| **p != "WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED")
        {
            let text = fill(pattern);
            let e = explain(&text);
            if !codes(&e).contains(&code.as_str().as_str()) {
                failures.push(format!("{code}: {text:?} → {:?}", codes(&e)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn fill(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').map(|c| open + c);
        match close {
            Some(close)
                if rest[open + 1..close]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && close > open + 1 =>
            {
                out.push_str(&rest[..open]);
                out.push_str(match &rest[open + 1..close] {
                    "host" => "api.example.test",
                    "ip" => "192.0.2.7",
                    "port" => "8443",
                    _ => "17",
                });
                rest = &rest[close + 1..];
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

#[test]
fn the_command_probes_the_host_the_error_names() {
    let e = explain("curl: (7) Failed to connect to api.example.test port 8443 after 3 ms: Couldn't connect to server");
    assert_eq!(e.command, "netdoctor check https://api.example.test:8443/");
    let e = explain("requests.exceptions.SSLError: HTTPSConnectionPool(host='untrusted.test', port=9101): Max retries exceeded with url: / (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))");
    assert_eq!(e.command, "netdoctor check https://untrusted.test:9101/");
    // A Speech error names no host: the SDK's URL shape, with the preset in the note.
    let e = explain("WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)");
    assert!(
        e.command
            .starts_with("netdoctor check 'wss://REGION.stt.speech.microsoft.com/"),
        "{}",
        e.command
    );
    assert_eq!(e.service, Some("azure-speech"));
    assert!(e
        .note
        .unwrap()
        .contains("netdoctor azure-speech --region REGION"));
    // Secrets in a URL the client printed are masked.
    let e = explain("websocket._exceptions.WebSocketBadStatusException: Handshake status 200 OK -+-+- wss://x.test/ws?subscription-key=SECRET123");
    assert!(!e.command.contains("SECRET123"), "{}", e.command);
    assert!(e.matches.iter().all(|m| !m.evidence.contains("SECRET123")));
    // Env causes point at the offline look.
    let e = explain("curl: (77) error setting certificate file: /nowhere/ca.pem");
    assert_eq!(e.matches[0].command, "netdoctor env");
}

const TRACEBACK: &str = r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 101, in map_httpcore_exceptions
    yield
  File "/usr/local/lib/python3.12/site-packages/httpcore/_backends/sync.py", line 154, in start_tls
    raise exc
httpcore.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/main.py", line 9, in <module>
    client.chat.completions.create(model="gpt-4o-mini", messages=[])
  File "/usr/local/lib/python3.12/site-packages/openai/_base_client.py", line 1002, in request
    raise APIConnectionError(request=request) from err
openai.APIConnectionError: Connection error.
"#;

#[test]
fn a_traceback_on_stdin_is_explained_by_its_underlying_error() {
    let r = run(netdoctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin(TRACEBACK));
    assert_eq!(r.code, 0, "{}", r.dump());
    let j = &r.json;
    assert_eq!(j["schema"], "netdoctor/v1-explain");
    assert_eq!(j["matched"], true);
    assert_eq!(j["truncated"], false);
    let matches = j["matches"].as_array().unwrap();
    let got: Vec<&str> = matches
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    // The wrapper's generic list gives way to the real error.
    assert_eq!(
        got,
        ["CERT_INTERCEPTED", "CERT_UNKNOWN_ISSUER"],
        "{}",
        r.dump()
    );
    for m in matches {
        for key in ["code", "layer", "why", "command", "pattern", "evidence"] {
            assert!(m[key].is_string(), "{key} missing in {m}");
        }
        assert_eq!(m["layer"], "certificate");
    }
    assert_eq!(j["service"], "openai");
    assert_eq!(
        j["command"],
        "netdoctor check https://api.openai.com/v1/models"
    );
}

#[test]
fn human_output_lists_causes_and_the_command() {
    let r = run(netdoctor().args([
        "explain",
        "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)",
    ]));
    assert_eq!(r.code, 0, "{}", r.dump());
    let out = &r.stdout;
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} missing:\n{out}"));
    assert!(at("1. certificate  CERT_UNKNOWN_ISSUER") < at("2. certificate  CERT_INTERCEPTED"));
    assert!(at("CERT_INTERCEPTED") < at("tls          TLS_PLAINTEXT_RESPONSE"));
    at("tell them apart");
    at("netdoctor check 'wss://REGION.stt.speech.microsoft.com/");
    at("netdoctor azure-speech --region REGION");
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn several_words_are_one_text() {
    let r = run(netdoctor().args([
        "explain", "curl:", "(6)", "Could", "not", "resolve", "host:", "x.test",
    ]));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert!(r.stdout.contains("DNS_NXDOMAIN"), "{}", r.dump());
}

#[test]
fn unknown_text_says_so_and_exits_4() {
    let r = run(netdoctor().args(["explain", "the coffee machine is out of beans"]));
    assert_eq!(r.code, 4, "{}", r.dump());
    assert!(
        r.stdout.contains("does not know this error"),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout.contains("netdoctor check https://HOST/"),
        "{}",
        r.dump()
    );

    let r = run(netdoctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin("everything is fine\nreally\n"));
    assert_eq!(r.code, 4, "{}", r.dump());
    assert_eq!(r.json["matched"], false);
    assert_eq!(r.json["matches"], Value::Array(Vec::new()));
    assert_eq!(r.json["command"], "netdoctor check https://HOST/");
}

#[test]
fn empty_text_is_a_usage_error() {
    let r = run(netdoctor().args(["explain", "-"]).write_stdin(""));
    assert_eq!(r.code, 2, "{}", r.dump());
    let r = run(netdoctor().args(["explain", "  "]));
    assert_eq!(r.code, 2, "{}", r.dump());
    let r = run(netdoctor().args(["explain", "x", "--format", "junit"]));
    assert_eq!(r.code, 2, "{}", r.dump());
}

#[test]
fn stdin_is_read_up_to_one_mebibyte() {
    let mut big = "curl: (6) Could not resolve host: x.test\n".to_owned();
    big.push_str(&"filler line\n".repeat(200_000));
    let r = run(netdoctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin(big));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.json["truncated"], true);
    assert_eq!(r.json["matches"][0]["code"], "DNS_NXDOMAIN");
}
