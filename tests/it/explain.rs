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

// ---------------------------------------------------------------------------
// Issue 15: the clients' own installs. Every string is a real run's output
// (docs/client-errors.md, "The clients' own installs"), verbatim; the
// session ids are the runs' own.

/// (what the client printed, the code that must be among the first three
/// matches, its layer, the command that match sends to).
const ISSUE_15: &[(&str, &str, &str, &str)] = &[
    // Speech SDK 1.19 / 1.23 / 1.24 on OpenSSL 3 only; 1.53 with no OpenSSL.
    ("Runtime error: Failed to initialize platform (azure-c-shared) SessionId: 6009a57887884dce8e478d6dd4ab7307", "ENV_OPENSSL_VERSION", "env", "netdoctor env"),
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2153 SessionId: 1d01c4288c8e450d869572a99b5de3c6", "ENV_OPENSSL_VERSION", "env", "netdoctor env"),
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2153 SessionId: 1d01c4288c8e450d869572a99b5de3c6", "ENV_OPENSSL_MISSING", "env", "netdoctor env"),
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2153 SessionId: 1d01c4288c8e450d869572a99b5de3c6", "ENV_SPEECH_SDK_OUTDATED", "env", "netdoctor env"),
    ("Failed to initialize platform (azure-c-shared). Error: 2153", "ENV_OPENSSL_VERSION", "env", "netdoctor env"),
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2407 SessionId: 4067c2fd0fb740d7b4c4ed51916edf28", "ENV_OPENSSL_MISSING", "env", "netdoctor env"),
    // The 1.44 log's form (and RHEL 8's public reports).
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2176", "ENV_OPENSSL_MISSING", "env", "netdoctor env"),
    ("Runtime error: Failed to initialize platform (azure-c-shared). Error: 2176", "ENV_OPENSSL_VERSION", "env", "netdoctor env"),
    // 1.44: libpal files missing, or no OpenSSL at all.
    ("Failed to get HTTP platform singleton instance. Error: 27 SessionId: 08a8b8ebb27543baade32d29e0a18157", "ENV_SPEECH_SDK_INCOMPLETE", "env", "netdoctor env"),
    ("Failed to get HTTP platform singleton instance. Error: 27 SessionId: 08a8b8ebb27543baade32d29e0a18157", "ENV_OPENSSL_MISSING", "env", "netdoctor env"),
    // 1.53 with the libpal files missing.
    ("Exception with an error code: 0x17 (SPXERR_UNEXPECTED_USP_SITE_FAILURE) SessionId: 6e9a27a1d0834d0cbbb8d61ed0522ba8", "ENV_SPEECH_SDK_INCOMPLETE", "env", "netdoctor env"),
    // The SDK's CRL check (its log, Speech_LogFilename).
    ("[52555]: 1131ms SPX_TRACE_ERROR: AZ_LOG_ERROR:  tlsio_openssl.c:1030 Error loading CRL from http://127.0.0.1:9/pki/leaf.crl", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1077 Error loading CRL from http://127.0.0.1:9/pki/leaf.crl", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("Error loading CRL from http://www.microsoft.com/pkiops/crl/Microsoft%20Azure%20TLS%20Issuing%20CA%2001.crl", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("Error loading CRL from http://www.microsoft.com/pkiops/crl/Microsoft%20Azure%20TLS%20Issuing%20CA%2001.crl", "ENV_SPEECH_SDK_OUTDATED", "env", "netdoctor env"),
    ("AZ_LOG_INFO:  tlsio_openssl.c:1616 No CRL distribution points defined on non self-issued cert, CRL check may fail.", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("No CRL distribution points defined on non self-issued cert, CRL check may fail.", "CERT_INTERCEPTED", "certificate", "netdoctor check 'wss://REGION.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US'"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1624 Unable to retrieve CRL, CRL check may fail.", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1727 No CRL could be retrieved from any distribution point.", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1786 Unable to retrieve any CRL, CRL check may fail.", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1573 No CRL dist point qualified for downloading.", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:1854 Non-root CRL error 3 - failing verification", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    ("AZ_LOG_ERROR:  tlsio_openssl.c:726 TLS handshake failed for localhost with SSL error: error:0A000086:SSL routines::certificate verify failed (verify result: 3 - unable to get certificate CRL)", "CERT_REVOCATION_UNREACHABLE", "certificate", "netdoctor azure-speech --region REGION"),
    // httpx 0.28.1 (and openai 1.55.3, openai 3.57.0's httpx2) without socksio.
    ("ImportError: Using SOCKS proxy, but the 'socksio' package is not installed. Make sure to install httpx using `pip install httpx[socks]`.", "ENV_CLIENT_NO_SOCKS", "env", "netdoctor env"),
    // requests 2.34.2 without PySocks; websockets 17.4 without python-socks.
    ("requests.exceptions.InvalidSchema: Missing dependencies for SOCKS support.", "ENV_CLIENT_NO_SOCKS", "env", "netdoctor env"),
    ("ImportError: connecting through a SOCKS proxy requires python-socks", "ENV_CLIENT_NO_SOCKS", "env", "netdoctor env"),
    // openai 1.54.5 / 1.55.2 with httpx 0.28.1.
    ("TypeError: Client.__init__() got an unexpected keyword argument 'proxies'", "ENV_CLIENT_VERSION_CONFLICT", "env", "netdoctor env"),
    ("TypeError: AsyncClient.__init__() got an unexpected keyword argument 'proxies'", "ENV_CLIENT_VERSION_CONFLICT", "env", "netdoctor env"),
    // Node v20.20.2, NODE_EXTRA_CA_CERTS=/nonexistent (stderr, exit 0).
    ("Warning: Ignoring extra certs from `/nonexistent`, load failed: error:80000002:system library::No such file or directory", "ENV_CA_VAR_MISSING", "env", "netdoctor env"),
    // A chunked stream cut before its last chunk.
    ("httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)", "STREAM_TRUNCATED", "stream", "netdoctor openai --stream"),
    ("httpcore.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)", "STREAM_TRUNCATED", "stream", "netdoctor openai --stream"),
    ("httpx2.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)", "STREAM_TRUNCATED", "stream", "netdoctor openai --stream"),
    ("h11._util.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)", "STREAM_TRUNCATED", "stream", "netdoctor openai --stream"),
    // openai 3.57.0's wrapper alone: a cut stream is one of its causes.
    ("openai.APIConnectionError: Connection error.", "CERT_UNKNOWN_ISSUER", "certificate", "netdoctor check https://api.openai.com/v1/models"),
];

/// Whether `code` is among the first three matches with `layer` and `command`.
fn in_first_three(e: &Explanation, code: &str, layer: &str, command: &str) -> Result<(), String> {
    let top = &e.matches[..e.matches.len().min(3)];
    let Some(m) = top.iter().find(|m| m.code == code) else {
        return Err(format!("{code} not in the first three: {:?}", codes(e)));
    };
    if m.layer.name() != layer || m.command != command {
        return Err(format!(
            "{code}: layer {} command {:?}, expected {layer} {command:?}",
            m.layer.name(),
            m.command
        ));
    }
    Ok(())
}

#[test]
fn the_install_messages_map_to_their_code_and_command() {
    let mut failures = Vec::new();
    for (text, code, layer, command) in ISSUE_15 {
        if let Err(why) = in_first_three(&explain(text), code, layer, command) {
            failures.push(format!("{text}\n  {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The wrapper alone also lists the cut stream (openai 3.x), with --stream.
    let e = explain("openai.APIConnectionError: Connection error.");
    let m = e
        .matches
        .iter()
        .find(|m| m.code == "STREAM_TRUNCATED")
        .expect("STREAM_TRUNCATED listed");
    assert_eq!(m.command, "netdoctor openai --stream");
}

/// The Speech SDK's `RuntimeError` from `SpeechSynthesizer(...)`, as the
/// 1.19, 1.24 and 1.44 runs printed it (`scripts/speech_synth.py`; the
/// virtualenv's path shortened to /app/.venv).
const SPEECH_119: &str = r#"Traceback (most recent call last):
  File "scripts/speech_synth.py", line 10, in <module>
    syn = speechsdk.SpeechSynthesizer(speech_config=cfg, audio_config=out)
  File "/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/speech.py", line 1515, in __init__
    self._impl = self._get_impl(impl.SpeechSynthesizer, speech_config, audio_config, auto_detect_source_language_config)
  File "/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/speech.py", line 1619, in _get_impl
    _impl = synth_type._from_config(speech_config._impl, None if audio_config is None else audio_config._impl)
RuntimeError: Runtime error: Failed to initialize platform (azure-c-shared)
[CALL STACK BEGIN]

/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x182012) [0x7f3759b82012]
/lib/x86_64-linux-gnu/libc.so.6(+0x8e057) [0x7f375acac057]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1829d9) [0x7f3759b829d9]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x17192f) [0x7f3759b7192f]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x16b88b) [0x7f3759b6b88b]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x18d028) [0x7f3759b8d028]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x14ba7a) [0x7f3759b4ba7a]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1562b2) [0x7f3759b562b2]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0xcc4e9) [0x7f3759acc4e9]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x18d028) [0x7f3759b8d028]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x144813) [0x7f3759b44813]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1b36d7) [0x7f3759bb36d7]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(synthesizer_create_speech_synthesizer_from_config+0xf3) [0x7f3759ab607d]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/_speech_py_impl.so(+0x6bf8b) [0x7f375a26bf8b]
/app/.venv/lib/python3.8/site-packages/azure/cognitiveservices/speech/_speech_py_impl.so(+0x9f438) [0x7f375a29f438]
/root/.pyenv/versions/3.8.18/lib/libpython3.8.so.1.0(+0x970f8) [0x7f375ae970f8]
/root/.pyenv/versions/3.8.18/lib/libpython3.8.so.1.0(_PyObject_MakeTpCall+0x9d) [0x7f375ae9777d]
[CALL STACK END]"#;
const SPEECH_124: &str = r#"Traceback (most recent call last):
  File "/app/speech_synth.py", line 10, in <module>
    syn = speechsdk.SpeechSynthesizer(speech_config=cfg, audio_config=out)
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/speech.py", line 2108, in __init__
    _call_hr_fn(fn=_sdk_lib.synthesizer_create_speech_synthesizer_from_config, *[
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 62, in _call_hr_fn
    _raise_if_failed(hr)
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 55, in _raise_if_failed
    __try_get_error(_spx_handle(hr))
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 50, in __try_get_error
    raise RuntimeError(message)
RuntimeError: Exception with error code: 
[CALL STACK BEGIN]

/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1b9787) [0x7fb541fb9787]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1dd4b1) [0x7fb541fdd4b1]
/lib/x86_64-linux-gnu/libc.so.6(+0x8e057) [0x7fb542aac057]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1de66e) [0x7fb541fde66e]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1a7399) [0x7fb541fa7399]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1a5877) [0x7fb541fa5877]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1c0099) [0x7fb541fc0099]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1d832a) [0x7fb541fd832a]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x17ff00) [0x7fb541f7ff00]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0xe087d) [0x7fb541ee087d]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1c0099) [0x7fb541fc0099]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x177dd3) [0x7fb541f77dd3]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x1eb0b5) [0x7fb541feb0b5]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(synthesizer_create_speech_synthesizer_from_config+0xf3) [0x7fb541ec5c02]
/lib/x86_64-linux-gnu/libffi.so.8(+0x6f7a) [0x7fb542696f7a]
/lib/x86_64-linux-gnu/libffi.so.8(+0x640e) [0x7fb54269640e]
/lib/x86_64-linux-gnu/libffi.so.8(ffi_call+0xcd) [0x7fb542696b0d]
[CALL STACK END]

Runtime error: Failed to initialize platform (azure-c-shared). Error: 2153"#;
const SPEECH_144: &str = r#"Traceback (most recent call last):
  File "/app/speech_synth.py", line 10, in <module>
    syn = speechsdk.SpeechSynthesizer(speech_config=cfg, audio_config=out)
          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/speech.py", line 2438, in __init__
    _call_hr_fn(fn=_sdk_lib.synthesizer_create_speech_synthesizer_from_config, *[
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 62, in _call_hr_fn
    _raise_if_failed(hr)
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 55, in _raise_if_failed
    __try_get_error(_spx_handle(hr))
  File "/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/interop.py", line 50, in __try_get_error
    raise RuntimeError(message)
RuntimeError: Exception with error code: 
[CALL STACK BEGIN]

/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x88044) [0x7fbfa8488044]
/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(synthesizer_create_speech_synthesizer_from_config+0x274) [0x7fbfa85d29cc]
/lib/x86_64-linux-gnu/libffi.so.8(+0x6f7a) [0x7fbfa97c0f7a]
/lib/x86_64-linux-gnu/libffi.so.8(+0x640e) [0x7fbfa97c040e]
/lib/x86_64-linux-gnu/libffi.so.8(ffi_call+0xcd) [0x7fbfa97c0b0d]
/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so(+0x1117a) [0x7fbfa8bcc17a]
/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so(+0xbd9e) [0x7fbfa8bc6d9e]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyObject_Call+0x54) [0x7fbfa9358384]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyEval_EvalFrameDefault+0x3598) [0x7fbfa92fe108]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(+0x250a40) [0x7fbfa9450a40]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyObject_Call+0x118) [0x7fbfa9358448]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyEval_EvalFrameDefault+0x3598) [0x7fbfa92fe108]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(+0x250a40) [0x7fbfa9450a40]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyObject_FastCallDictTstate+0xc2) [0x7fbfa93587f2]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyObject_Call_Prepend+0xe0) [0x7fbfa9358a70]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(+0x1caf76) [0x7fbfa93caf76]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(+0x1c1461) [0x7fbfa93c1461]
/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0(_PyObject_MakeTpCall+0x7d) [0x7fbfa935861d]
[CALL STACK END]

Failed to get HTTP platform singleton instance. Error: 27"#;

/// openai 3.57.0 (httpx2) reading a stream cut before its last chunk.
const OPENAI_CUT: &str = r#"Traceback (most recent call last):
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_exceptions.py", line 12, in map_exceptions
    yield
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/http11.py", line 197, in _receive_event
    event = self._h11_state.next_event()
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/h11/_connection.py", line 481, in next_event
    event = self._extract_next_receive_event()
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/h11/_connection.py", line 431, in _extract_next_receive_event
    event = self._reader.read_eof()
            ^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/h11/_readers.py", line 207, in read_eof
    raise RemoteProtocolError(
h11._util.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_transports/default.py", line 95, in map_httpcore_exceptions
    yield
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_transports/default.py", line 121, in __iter__
    yield from self._httpcore_stream
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/connection_pool.py", line 427, in __iter__
    for chunk in iterator:
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/http11.py", line 320, in __iter__
    raise exc
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/http11.py", line 312, in __iter__
    for chunk in iterator:
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/http11.py", line 188, in _receive_response_body
    event = self._receive_event(timeout=timeout)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_sync/http11.py", line 196, in _receive_event
    with map_exceptions({h11.RemoteProtocolError: RemoteProtocolError}):
  File "/root/.pyenv/versions/3.11.7/lib/python3.11/contextlib.py", line 158, in __exit__
    self.gen.throw(typ, value, traceback)
  File "/app/.venv/lib/python3.11/site-packages/httpcore2/_exceptions.py", line 16, in map_exceptions
    raise to_exc(exc) from exc
httpcore2.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/.venv/lib/python3.11/site-packages/openai/_streaming.py", line 57, in _iter_events
    yield from self._decoder.iter_bytes(self.response.iter_bytes())
  File "/app/.venv/lib/python3.11/site-packages/openai/_streaming.py", line 373, in iter_bytes
    for chunk in iterator:
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_models.py", line 906, in iter_bytes
    for raw_bytes in self.iter_raw():
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_models.py", line 961, in iter_raw
    for raw_stream_bytes in self.stream:
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_client.py", line 138, in __iter__
    yield from self._stream
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_transports/default.py", line 120, in __iter__
    with map_httpcore_exceptions():
  File "/root/.pyenv/versions/3.11.7/lib/python3.11/contextlib.py", line 158, in __exit__
    self.gen.throw(typ, value, traceback)
  File "/app/.venv/lib/python3.11/site-packages/httpx2/_transports/default.py", line 112, in map_httpcore_exceptions
    raise mapped_exc(message) from exc
httpx2.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read)

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/openai_stream.py", line 7, in <module>
    for ev in s:
  File "/app/.venv/lib/python3.11/site-packages/openai/_streaming.py", line 52, in __iter__
    for item in self._iterator:
  File "/app/.venv/lib/python3.11/site-packages/openai/_streaming.py", line 71, in __stream__
    for sse in iterator:
  File "/app/.venv/lib/python3.11/site-packages/openai/_streaming.py", line 61, in _iter_events
    raise APIConnectionError(request=self.response.request) from err
openai.APIConnectionError: Connection error."#;

#[test]
fn a_whole_traceback_finds_the_message_on_its_last_line() {
    let cases: [(&str, &[&str], &str); 4] = [
        (
            SPEECH_119,
            &[
                "ENV_OPENSSL_VERSION",
                "ENV_OPENSSL_MISSING",
                "ENV_SPEECH_SDK_OUTDATED",
            ],
            "Runtime error: Failed to initialize platform",
        ),
        (
            SPEECH_124,
            &[
                "ENV_OPENSSL_VERSION",
                "ENV_OPENSSL_MISSING",
                "ENV_SPEECH_SDK_OUTDATED",
            ],
            "Runtime error: Failed to initialize platform (azure-c-shared). Error: 2153",
        ),
        (
            SPEECH_144,
            &["ENV_SPEECH_SDK_INCOMPLETE", "ENV_OPENSSL_MISSING"],
            "Failed to get HTTP platform singleton instance. Error: 27",
        ),
        (
            OPENAI_CUT,
            &["STREAM_TRUNCATED"],
            "peer closed connection without sending complete message body",
        ),
    ];
    for (paste, expected, evidence) in cases {
        let e = explain(paste);
        assert_eq!(codes(&e), expected, "{paste}");
        assert!(
            e.matches[0].evidence.contains(evidence),
            "{:?}",
            e.matches[0]
        );
    }
    // Through the CLI, on stdin: the install faults send to `netdoctor env` only.
    let r = run(netdoctor().args(["explain", "-"]).write_stdin(SPEECH_144));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert!(
        r.stdout.contains(
            "your client printed: Failed to get HTTP platform singleton instance. Error: 27"
        ),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout
            .contains("1. env          ENV_SPEECH_SDK_INCOMPLETE"),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout
            .contains("tell them apart (the failing stage names the code):\n  netdoctor env\n"),
        "{}",
        r.dump()
    );
    assert!(!r.stdout.contains("netdoctor check"), "{}", r.dump());
    let r = run(netdoctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin(OPENAI_CUT));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(
        r.json["matches"][0]["code"],
        "STREAM_TRUNCATED",
        "{}",
        r.dump()
    );
    assert_eq!(r.json["matches"][0]["layer"], "stream", "{}", r.dump());
    assert_eq!(
        r.json["matches"][0]["command"],
        "netdoctor openai --stream",
        "{}",
        r.dump()
    );
    assert_eq!(r.json["service"], "openai");
}

#[test]
fn the_stream_and_revocation_commands_name_what_the_text_names() {
    let e = explain("httpx.RemoteProtocolError: peer closed connection without sending complete message body (incomplete chunked read) POST https://my-aoai.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
    assert_eq!(
        e.matches[0].command,
        "netdoctor azure-openai --endpoint https://my-aoai.openai.azure.com --deployment DEPLOYMENT --stream"
    );
    let paste = "AZ_LOG_ERROR:  tlsio_openssl.c:1030 Error loading CRL from http://www.microsoft.com/pkiops/crl/Microsoft%20Azure%20TLS%20Issuing%20CA%2001.crl\nwss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-us";
    let e = explain(paste);
    assert_eq!(e.matches[0].code, "CERT_REVOCATION_UNREACHABLE");
    assert_eq!(
        e.matches[0].command,
        "netdoctor azure-speech --region westeurope"
    );
    // The CRL's own URL is never the target to probe.
    let e = explain("Error loading CRL from http://127.0.0.1:9/pki/leaf.crl");
    assert!(!e.command.contains("leaf.crl"), "{}", e.command);
}

/// The README's explain example is the binary's real output.
#[test]
fn the_readme_example_is_real_output() {
    const CMD: &str =
        "$ netdoctor explain 'Failed to initialize platform (azure-c-shared). Error: 2153'\n";
    let readme = include_str!("../../README.md");
    let at = readme.find(CMD).expect("the README shows the example") + CMD.len();
    let shown = &readme[at..at + readme[at..].find("```").unwrap()];
    let r = run(netdoctor().args([
        "explain",
        "Failed to initialize platform (azure-c-shared). Error: 2153",
    ]));
    assert_eq!(r.code, 0, "{}", r.dump());
    assert_eq!(r.stdout, shown);
}
