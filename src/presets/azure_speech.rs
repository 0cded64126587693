//! `netdoctor azure-speech`: the Speech-to-text WebSocket, the Text-to-speech
//! WebSocket and (with `--token`) the token service, as the Speech SDK
//! reaches them, with the SDK's own error strings.
//!
//! The strings below are what the Python Speech SDK 1.53 printed against
//! local servers: every DNS, TCP, TLS and certificate fault is one
//! `WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED`, told apart only by the `code=`
//! of its verbose log; netdoctor turns that one opaque code into the layer
//! and the fix.

use super::{PresetCheck, PresetError, PresetTarget, Role};
use crate::diagnosis::{Code, Diagnosis};
use crate::probe::profile::TokenSlot;
use crate::probe::RequestSpec;

/// The name of the STT target when no proxy variable matters.
pub const STT: &str = "stt";
/// The name of the token service's target.
pub const TOKEN: &str = "token";
/// The STT target as the SDK connects by default (ignoring proxy variables).
pub const STT_DIRECT: &str = "stt (direct)";
/// The STT target after `SpeechConfig.set_proxy(host, port)`.
pub const STT_VIA_PROXY: &str = "stt (via proxy)";

/// The hint of `PROXY_IGNORED_BY_CLIENT` for the Speech SDK.
pub const PROXY_HINT: &str = "the Speech SDK ignores HTTPS_PROXY/https_proxy: set the proxy in code, `speech_config.set_proxy(\"proxy.corp\", 3128)` (host without http://, then the port), or let the direct path through the firewall";

const OPEN_FAILED: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED";
const TLS_2859: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=2859: Unknown error 2859)";
const REFUSED_111: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=111: [CONNECTION] Connection refused - no service listening on the target port …)";
const DNS_2: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=-2: [DNS] DNS resolution failed - hostname not found …)";
const UNREACHABLE_101: &str = "Connection failed (no connection to the remote host). Internal error: 1. Error details: Failed with error: WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED (code=101: …)";
const UPGRADE_200: &str = "WebSocket upgrade failed: Unspecified connection error (200).";
const AUTH_401: &str = "WebSocket upgrade failed: Authentication error (401). Please check subscription information and region name.";
const CONNECTION_FAILURE: &str = "CancellationErrorCode.ConnectionFailure";
const AUTHENTICATION_FAILURE: &str = "CancellationErrorCode.AuthenticationFailure";

/// What the Speech SDK prints for a code, or nothing when it is not a
/// connection fault the SDK reports.
pub fn sdk_errors(code: Code) -> &'static [&'static str] {
    use Code as C;
    match code {
        C::DnsNxdomain | C::DnsNoRecords => &[DNS_2, CONNECTION_FAILURE],
        C::DnsServfail | C::DnsRefused | C::DnsTimeout | C::DnsNoResolver | C::DnsMalformed => {
            &[OPEN_FAILED, CONNECTION_FAILURE]
        }
        C::TcpRefused => &[REFUSED_111, CONNECTION_FAILURE],
        C::TcpUnreachable => &[UNREACHABLE_101, CONNECTION_FAILURE],
        C::TcpTimeout
        | C::ProxyUnreachable
        | C::ProxyAuthRequired
        | C::ProxyDenied
        | C::ProxyTlsToPlaintext
        | C::ProxyPlaintextToTls
        | C::ProxyTlsUntrusted
        | C::ProxyMalformed
        | C::ProxyTimeout => &[OPEN_FAILED, CONNECTION_FAILURE],
        C::TlsPlaintextResponse
        | C::TlsProtocolVersion
        | C::TlsHandshakeFailure
        | C::TlsReset
        | C::TlsTimeout
        | C::TlsUnexpectedEof
        | C::CertUnknownIssuer
        | C::CertIntercepted
        | C::CertExpired
        | C::CertNotYetValid
        | C::CertHostnameMismatch
        | C::CertIncompleteChain
        | C::CertSelfSigned
        | C::CertInvalid => &[TLS_2859, CONNECTION_FAILURE],
        C::WsUpgradeIgnored => &[UPGRADE_200, CONNECTION_FAILURE],
        C::AuthRejected | C::AuthMissingKey | C::AuthForbidden => {
            &[AUTH_401, AUTHENTICATION_FAILURE]
        }
        _ => &[],
    }
}

/// Puts the SDK's strings first (the bare SDK token of the generic
/// catalogue is dropped: the full string replaces it) and adds the Speech
/// hints.
pub fn decorate(d: &mut Diagnosis) {
    let sdk = sdk_errors(d.code);
    if !sdk.is_empty() {
        let rest: Vec<&'static str> = d
            .client_errors
            .iter()
            .copied()
            .filter(|e| *e != "WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED" && !sdk.contains(e))
            .collect();
        d.client_errors = sdk.iter().copied().chain(rest).collect();
    }
    match d.code {
        Code::AuthRejected | Code::AuthForbidden => {
            "Speech keys are scoped to one resource and its region: use a key of the resource in this region (--region must be the resource's region, e.g. `westeurope`, not the display name), or the resource's custom domain with --endpoint; regenerate the key if it was rotated".clone_into(&mut d.hint);
        }
        Code::AuthMissingKey => {
            "pass the resource's key with --key or SPEECH_KEY (also read: AZURE_SPEECH_KEY) to test authentication".clone_into(&mut d.hint);
        }
        Code::CertUnknownIssuer
        | Code::CertIncompleteChain
        | Code::CertExpired
        | Code::CertNotYetValid => {
            d.hint = format!("{} (the Speech SDK reads the system store through OpenSSL: SSL_CERT_FILE/SSL_CERT_DIR; older SDKs also fetch CRLs over plain HTTP port 80: set OPENSSL_CONTINUE_ON_CRL_DOWNLOAD_FAILURE=true or upgrade to ≥ 1.48.2)", d.hint);
        }
        _ => {}
    }
}

/// The host names of a region: (stt, tts, token).
fn region_hosts(region: &str) -> (String, String, String) {
    if region.starts_with("china") {
        (
            format!("{region}.stt.speech.azure.cn"),
            format!("{region}.tts.speech.azure.cn"),
            format!("{region}.api.cognitive.azure.cn"),
        )
    } else if let Some(gov) = region.strip_prefix("usgov") {
        (
            format!("{gov}.stt.speech.azure.us"),
            format!("{gov}.tts.speech.azure.us"),
            format!("{gov}.api.cognitive.microsoft.us"),
        )
    } else {
        (
            format!("{region}.stt.speech.microsoft.com"),
            format!("{region}.tts.speech.microsoft.com"),
            format!("{region}.api.cognitive.microsoft.com"),
        )
    }
}

/// What the user gave.
pub struct Options<'a> {
    pub region: Option<&'a str>,
    pub endpoint: Option<&'a str>,
    pub language: &'a str,
    pub key: Option<&'a str>,
    pub token: bool,
}

const STT_PATH: &str = "/speech/recognition/conversation/cognitiveservices/v1";
const TTS_PATH: &str = "/cognitiveservices/websocket/v1";
const TOKEN_PATH: &str = "/sts/v1.0/issueToken";

/// The preset's targets: STT, TTS, then the token service.
pub fn targets(o: &Options<'_>) -> Result<Vec<PresetTarget>, PresetError> {
    let lang = url::form_urlencoded::byte_serialize(o.language.as_bytes()).collect::<String>();
    let (stt, tts, token) = match (o.region, o.endpoint) {
        (Some(region), _) => {
            let region = region.trim().to_ascii_lowercase();
            if region.is_empty()
                || !region
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(PresetError(format!(
                    "invalid value '{region}' for '--region <REGION>': a region name such as westeurope, eastus or chinaeast2"
                )));
            }
            let (s, t, k) = region_hosts(&region);
            (
                format!("wss://{s}{STT_PATH}?language={lang}"),
                format!("wss://{t}{TTS_PATH}"),
                format!("https://{k}{TOKEN_PATH}"),
            )
        }
        (None, Some(endpoint)) => {
            let base = super::target(endpoint, "--endpoint <URL>")?;
            let host = base.host_header();
            let custom_stt = format!("wss://{host}/stt{STT_PATH}?language={lang}");
            let stt = if base.scheme.is_websocket() && base.url.path() != "/" {
                endpoint.to_owned()
            } else {
                custom_stt
            };
            (
                stt,
                format!("wss://{host}/tts{TTS_PATH}"),
                format!("https://{host}{TOKEN_PATH}"),
            )
        }
        (None, None) => {
            return Err(PresetError(
                "azure-speech needs --region REGION or --endpoint URL".to_owned(),
            ))
        }
    };
    let key_headers: Vec<(String, String)> = o
        .key
        .map(|k| vec![("Ocp-Apim-Subscription-Key".to_owned(), k.to_owned())])
        .unwrap_or_default();
    let ws_request = || RequestSpec {
        method: None,
        headers: key_headers.clone(),
        plain_headers: vec![("X-ConnectionId".to_owned(), super::connection_id())],
        body: None,
    };
    let mut out = vec![
        PresetTarget {
            name: STT,
            target: super::target(&stt, "--region/--endpoint")?,
            role: Role::SpeechStt,
            request: ws_request(),
            stream: None,
        },
        PresetTarget {
            name: "tts",
            target: super::target(&tts, "--region/--endpoint")?,
            role: Role::SpeechTts,
            request: ws_request(),
            stream: None,
        },
    ];
    if o.token {
        out.push(PresetTarget {
            name: TOKEN,
            target: super::target(&token, "--region/--endpoint")?,
            role: Role::SpeechToken,
            request: RequestSpec {
                method: Some("POST".to_owned()),
                headers: key_headers.clone(),
                plain_headers: Vec::new(),
                body: Some(Vec::new()),
            },
            stream: None,
        });
    }
    Ok(out)
}

/// When a proxy applies to the STT URL, the SDK still connects directly:
/// `stt (direct)` (what it does) and `stt (via proxy)` (after set_proxy).
/// The other targets follow the SDK's default, direct.
pub fn split_for_proxy(checks: &mut Vec<PresetCheck>) {
    let Some(first) = checks.first() else {
        return;
    };
    let Some(route) = crate::proxy::route(&first.probe.proxy, &first.target) else {
        return;
    };
    // `--proxy` is the proxy the user would give set_proxy: every target
    // goes through it, as the SDK then does.
    if !route.proxied() || route.source == "--proxy" {
        return;
    }
    let shown = route
        .url
        .as_ref()
        .map_or_else(ToString::to_string, ToString::to_string);
    let mut via = checks[0].clone();
    for (i, check) in checks.iter_mut().enumerate() {
        if check.preset.role == Role::SpeechToken {
            // The token is fetched by the app's HTTP client, which reads the variables.
            continue;
        }
        check.probe.proxy = crate::proxy::ProxySettings::default();
        if i == 0 {
            check.preset.ignored_proxy = Some((route.source.clone(), shown.clone()));
            check.preset.role = Role::SpeechSttDirect;
            check.target.name = Some(STT_DIRECT.to_owned());
        }
    }
    via.preset.role = Role::SpeechSttViaProxy;
    via.target.name = Some(STT_VIA_PROXY.to_owned());
    checks.insert(1, via);
}

/// With `--token`: the token check goes first (the upgrades wait for its
/// token, sent as `Authorization: Bearer` instead of the key); it is
/// reported last.
pub fn link_token(checks: &mut Vec<PresetCheck>) {
    let Some(at) = checks
        .iter()
        .position(|c| c.preset.role == Role::SpeechToken)
    else {
        return;
    };
    let slot = TokenSlot::new();
    for (i, check) in checks.iter_mut().enumerate() {
        check.preset.token = Some(if i == at { slot.clone() } else { slot.waiter() });
    }
    let token = checks.remove(at);
    checks.insert(0, token);
}

/// The key: `--key`/`SPEECH_KEY` (read by the command line), else `AZURE_SPEECH_KEY`.
pub fn key(given: Option<String>) -> Option<String> {
    given
        .or_else(|| std::env::var("AZURE_SPEECH_KEY").ok())
        .filter(|k| !k.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(region: &str) -> Vec<String> {
        targets(&Options {
            region: Some(region),
            endpoint: None,
            language: "en-US",
            key: None,
            token: true,
        })
        .unwrap()
        .into_iter()
        .map(|t| t.target.url.to_string())
        .collect()
    }

    #[test]
    fn region_urls() {
        assert_eq!(
            urls("westeurope"),
            [
                "wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US",
                "wss://westeurope.tts.speech.microsoft.com/cognitiveservices/websocket/v1",
                "https://westeurope.api.cognitive.microsoft.com/sts/v1.0/issueToken",
            ]
        );
        assert!(urls("chinaeast2")[0].starts_with("wss://chinaeast2.stt.speech.azure.cn/"));
        assert!(urls("usgovvirginia")[1].starts_with("wss://virginia.tts.speech.azure.us/"));
        assert!(
            urls("usgovvirginia")[2].starts_with("https://virginia.api.cognitive.microsoft.us/")
        );
    }

    #[test]
    fn custom_domain() {
        let t = targets(&Options {
            region: None,
            endpoint: Some("https://my-speech.cognitiveservices.azure.com"),
            language: "de-DE",
            key: None,
            token: false,
        })
        .unwrap();
        assert_eq!(
            t[0].target.url.as_str(),
            "wss://my-speech.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1?language=de-DE"
        );
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn connection_id_is_32_hex() {
        let id = super::super::connection_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
