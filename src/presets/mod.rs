//! Service presets: `azure-speech`, `openai`, `azure-openai`.
//!
//! A preset knows the URL shapes of a service, so the user gives only a
//! region, endpoint, deployment and key. It expands into ordinary
//! [`Check`]s, each with its own request (method,
//! headers, body); the pipeline probes them like any target. What a preset
//! adds is judgement: [`judge_http`] reads a status the service gives for a
//! misconfiguration (a missing deployment, a bad api-version) as a failure,
//! and [`decorate`] attaches the service's own client strings (the Speech
//! SDK's) and quotes the service's error in the summaries.

pub mod azure_openai;
pub mod azure_speech;
pub mod openai;

use crate::diagnosis::{Code, Diagnosis, Expect, Layer};
use crate::probe::{Check, ProbeConfig, RequestSpec};
use crate::report::{StageReport, TargetReport};
use crate::target::Target;
use std::sync::Arc;

/// What a preset's check is for: it decides the verdicts and client strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The Speech-to-text WebSocket upgrade.
    SpeechStt,
    /// The Text-to-speech WebSocket upgrade.
    SpeechTts,
    /// The Speech token service (`issueToken`).
    SpeechToken,
    /// OpenAI's `GET /models`.
    OpenaiModels,
    /// OpenAI's Realtime WebSocket upgrade.
    OpenaiRealtime,
    /// An Azure OpenAI deployment, proven by a chat request with an empty body.
    AzureDeployment,
}

impl Role {
    /// Whether the Speech SDK is the client whose view counts.
    pub fn is_speech(self) -> bool {
        matches!(self, Role::SpeechStt | Role::SpeechTts | Role::SpeechToken)
    }
}

/// The streaming request of `--stream` (the `stream` stage).
#[derive(Debug, Clone)]
pub struct StreamSpec {
    /// Where the chat completion is sent.
    pub target: Target,
    /// Credential headers (masked, never sent over an unverified chain).
    pub headers: Vec<(String, String)>,
    /// The request body with `"stream": true`.
    pub stream_body: Vec<u8>,
    /// The same request without `stream`, to tell STREAM_REJECTED.
    pub plain_body: Vec<u8>,
}

/// A preset's part of a check's options.
#[derive(Debug, Clone)]
pub struct Preset {
    pub role: Role,
    /// `--stream`: the stream stage runs after http/auth of this check.
    pub stream: Option<StreamSpec>,
    /// Set on `stt (direct)` when a proxy variable is set that the client
    /// ignores: the variable and the proxy URL (password masked).
    pub ignored_proxy: Option<(String, String)>,
    /// `azure-speech --token`: the token the token service issues, shared
    /// between the token check (which issues it) and the upgrades (which
    /// send it as `Authorization: Bearer`).
    pub token: Option<TokenSlot>,
}

/// A token handed from one check to others: set once (`None` when the
/// token service gave none), awaited until a deadline.
#[derive(Debug, Clone)]
pub struct TokenSlot {
    cell: Arc<tokio::sync::watch::Sender<Option<Option<String>>>>,
    /// This check fetches the token (the others wait for it).
    pub issues: bool,
}

impl TokenSlot {
    /// A new, empty slot, for the check that issues the token.
    pub fn new() -> Self {
        TokenSlot {
            cell: Arc::new(tokio::sync::watch::channel(None).0),
            issues: true,
        }
    }

    /// The same slot, for a check that waits for the token.
    #[must_use]
    pub fn waiter(&self) -> Self {
        TokenSlot {
            cell: self.cell.clone(),
            issues: false,
        }
    }

    /// Sets the token once (later calls are ignored).
    pub fn set(&self, token: Option<String>) {
        self.cell.send_if_modified(|v| {
            if v.is_none() {
                *v = Some(token);
                true
            } else {
                false
            }
        });
    }

    /// Waits for the token until `deadline` (none then).
    pub async fn wait(&self, deadline: std::time::Instant) -> Option<String> {
        let mut rx = self.cell.subscribe();
        let got = tokio::time::timeout_at(deadline.into(), rx.wait_for(Option::is_some)).await;
        match got {
            Ok(Ok(v)) => v.clone().flatten(),
            _ => None,
        }
    }
}

impl Default for TokenSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// One check of a preset, before it gets its options.
pub struct PresetTarget {
    pub name: &'static str,
    pub target: Target,
    pub role: Role,
    pub request: RequestSpec,
    pub stream: Option<StreamSpec>,
}

/// Turns a preset's targets into checks, each with its own options (its
/// request) over the shared base options.
pub fn into_checks(base: &ProbeConfig, targets: Vec<PresetTarget>) -> Vec<Check> {
    targets
        .into_iter()
        .map(|t| {
            let mut cfg = base.clone();
            cfg.request = t.request;
            cfg.preset = Some(Preset {
                role: t.role,
                stream: t.stream,
                ignored_proxy: None,
                token: None,
            });
            let mut target = t.target;
            target.name = Some(t.name.to_owned());
            Check {
                target,
                probe: Arc::new(cfg),
                expect: Expect::Pass,
            }
        })
        .collect()
}

/// A value a preset cannot use: the message names the flag and the value
/// (the command line reports it as a usage error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PresetError(pub String);

/// A URL built by a preset from the user's values; a bad value is an error
/// naming the flag.
pub fn target(url: &str, flag: &str) -> Result<Target, PresetError> {
    Target::parse(url).map_err(|e| PresetError(format!("invalid value for '{flag}': the URL {e}")))
}

/// A preset's http verdict: `None` leaves the status to the generic rules;
/// otherwise the diagnosis (none: pass) and a note for the facts.
pub type Judged = Option<(Option<Diagnosis>, Option<String>)>;

/// Reads a status as the service means it.
pub fn judge_http(preset: &Preset, status: u16, body: &[u8]) -> Judged {
    match preset.role {
        Role::OpenaiModels => openai::judge(status, body),
        Role::AzureDeployment => azure_openai::judge(status, body),
        _ => None,
    }
}

/// The service's own error in a JSON body: `code: message` (OpenAI and
/// Azure shape `{"error": {"code", "message"}}`).
pub fn service_error(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let err = v.get("error")?;
    let message = err
        .get("message")
        .and_then(|m| m.as_str())
        .map(|m| crate::redact::terminal_safe(m, 200));
    // Azure repeats the status as `"code": "401"`: only names are worth quoting.
    let code = err
        .get("code")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty() && !c.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .or_else(|| err.get("type").and_then(|t| t.as_str()).map(str::to_owned));
    match (code, message) {
        (Some(c), Some(m)) => Some(format!("{c}: \"{m}\"")),
        (Some(c), None) => Some(c),
        (None, Some(m)) => Some(format!("\"{m}\"")),
        (None, None) => None,
    }
}

/// Adds the preset's knowledge to a finished report: the service's error
/// quoted whole, the Speech SDK's strings and hints, and the
/// `PROXY_IGNORED_BY_CLIENT` stage of `stt (direct)`.
pub fn decorate(preset: &Preset, report: &mut TargetReport) {
    let body = report
        .stages
        .iter()
        .find(|s| s.layer == Layer::Http)
        .and_then(|s| s.facts.as_ref())
        .and_then(|f| f.as_json()?.get("body"))
        .and_then(|b| b.as_str())
        .and_then(service_error);
    if let Some((var, url)) = &preset.ignored_proxy {
        let d = Diagnosis::new(
            Code::ProxyIgnoredByClient,
            format!("{var}={url} is set, but the Speech SDK does not read proxy variables: it connects directly, as this target does (`stt (via proxy)` is the path after SpeechConfig.set_proxy)"),
        )
        .with_hint(azure_speech::PROXY_HINT);
        let stage = StageReport::ran(
            Layer::Proxy,
            std::time::Duration::ZERO,
            d.summary.clone(),
            crate::probe::Facts::Json(serde_json::Map::from_iter([
                ("variable".to_owned(), serde_json::json!(var)),
                ("proxy".to_owned(), serde_json::json!(url)),
                ("client".to_owned(), serde_json::json!("Azure Speech SDK")),
            ])),
            Some(d.clone()),
        );
        let at = report
            .stages
            .iter()
            .position(|s| s.layer > Layer::Tcp)
            .unwrap_or(report.stages.len());
        report.stages.insert(at, stage);
        report.warnings.insert(0, d);
    }
    let role = preset.role;
    let fix = |d: &mut Diagnosis| {
        if let Some(err) = &body {
            if matches!(d.layer, Layer::Http | Layer::Auth)
                && !d.summary.contains(&format!(": {err}"))
            {
                if let Some(cut) = d.summary.find(": \"") {
                    d.summary.truncate(cut);
                }
                d.summary.push_str(&format!(": {err}"));
            }
        }
        if role.is_speech() {
            azure_speech::decorate(d);
        }
    };
    for s in &mut report.stages {
        if let Some(d) = s.diagnosis.as_mut() {
            let shown = s.summary.as_deref() == Some(d.summary.as_str());
            fix(d);
            if shown {
                s.summary = Some(d.summary.clone());
            }
        }
    }
    if let Some(d) = report.diagnosis.as_mut() {
        fix(d);
    }
    for d in &mut report.warnings {
        fix(d);
    }
}

/// Cross-target verdicts once every check has run: which of `stt (direct)`
/// and `stt (via proxy)` works, and what to change.
pub fn conclude(reports: &mut Vec<TargetReport>) {
    // The token check runs first (the upgrades wait for its token) and is
    // reported last.
    if reports
        .first()
        .is_some_and(|r| r.name == azure_speech::TOKEN)
        && reports
            .iter()
            .any(|r| r.name.starts_with(azure_speech::STT))
    {
        let token = reports.remove(0);
        reports.push(token);
    }
    let find = |reports: &[TargetReport], name: &str| reports.iter().position(|r| r.name == name);
    let (Some(direct), Some(via)) = (
        find(reports, azure_speech::STT_DIRECT),
        find(reports, azure_speech::STT_VIA_PROXY),
    ) else {
        return;
    };
    let failed = |r: &TargetReport| r.failed_layer.map(|l| format!("fails at {l}"));
    let verdict = match (failed(&reports[direct]), failed(&reports[via])) {
        (None, None) => "both paths work: the SDK's default direct connection is fine; set_proxy is optional".to_owned(),
        (Some(d), None) => format!("the SDK's default direct path {d} and the proxy path works: call speech_config.set_proxy(host, port) (host without http://)"),
        (None, Some(v)) => format!("the SDK's default direct path works; the proxy path {v}: do not call set_proxy"),
        (Some(d), Some(v)) => format!("neither path works: direct {d}, via the proxy {v}"),
    };
    let r = &mut reports[direct];
    let update = |d: &mut Diagnosis| {
        if d.code == Code::ProxyIgnoredByClient {
            d.summary = format!("{}; {verdict}", d.summary);
        }
    };
    for s in &mut r.stages {
        if let Some(d) = s.diagnosis.as_mut() {
            update(d);
            if d.code == Code::ProxyIgnoredByClient {
                s.summary = Some(d.summary.clone());
            }
        }
    }
    r.warnings.iter_mut().for_each(update);
}

/// `X-ConnectionId`-style id: 32 hex digits from the system's randomness.
pub fn connection_id() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Whether a status is a success.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors() {
        assert_eq!(
            service_error(r#"{"error":{"code":"401","message":"Access denied."}}"#).as_deref(),
            Some("\"Access denied.\"")
        );
        assert_eq!(
            service_error(r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#).as_deref(),
            Some("invalid_api_key: \"Incorrect API key provided\"")
        );
        assert_eq!(service_error("<html>"), None);
    }
}
