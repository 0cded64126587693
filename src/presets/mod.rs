//! Service presets: `azure-speech`, `openai`, `azure-openai`.
//!
//! A preset knows the URL shapes of a service, so the user gives only a
//! region, endpoint, deployment and key. It expands into ordinary
//! [`Check`]s, each with its own request (method, headers, body); the
//! pipeline probes them like any target. What a preset adds is judgement,
//! through the [`ServiceProfile`] that each of its checks carries
//! ([`Preset`]): it reads a status the service gives for a misconfiguration
//! (a missing deployment, a bad api-version) as a failure, quotes the
//! service's own error, and attaches the service's client strings (the
//! Speech SDK's). [`conclude`] draws the verdicts that need several checks.

pub mod azure_openai;
pub mod azure_speech;
pub mod openai;

use crate::diagnosis::{Code, Diagnosis, Expect};
use crate::probe::profile::{IgnoredProxy, Judged, ServiceProfile, StreamSpec, TokenSlot};
use crate::probe::{Check, ProbeConfig, RequestSpec};
use crate::report::TargetReport;
use crate::target::Target;
use std::fmt::Write as _;
use std::sync::Arc;

/// What a preset's check is for: it decides the verdicts and client strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The Speech-to-text WebSocket upgrade.
    SpeechStt,
    /// The same, as the SDK connects by default when a proxy variable is
    /// set that it ignores (`stt (direct)`).
    SpeechSttDirect,
    /// The same after `SpeechConfig.set_proxy` (`stt (via proxy)`).
    SpeechSttViaProxy,
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
        matches!(
            self,
            Role::SpeechStt
                | Role::SpeechSttDirect
                | Role::SpeechSttViaProxy
                | Role::SpeechTts
                | Role::SpeechToken
        )
    }

    /// The stable id cross-target conclusions key on.
    pub fn id(self) -> &'static str {
        match self {
            Role::SpeechStt => "stt",
            Role::SpeechSttDirect => "stt-direct",
            Role::SpeechSttViaProxy => "stt-via-proxy",
            Role::SpeechTts => "tts",
            Role::SpeechToken => "token",
            Role::OpenaiModels => "models",
            Role::OpenaiRealtime => "realtime",
            Role::AzureDeployment => "deployment",
        }
    }
}

/// A preset's part of a check: its [`ServiceProfile`].
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

impl ServiceProfile for Preset {
    fn id(&self) -> &'static str {
        self.role.id()
    }

    fn judge_http(&self, status: u16, body: &[u8]) -> Judged {
        match self.role {
            Role::OpenaiModels => openai::judge(status, body),
            Role::AzureDeployment => azure_openai::judge(status, body),
            _ => None,
        }
    }

    fn service_error(&self, body: &str) -> Option<String> {
        service_error(body)
    }

    fn decorate(&self, d: &mut Diagnosis) {
        if self.role.is_speech() {
            azure_speech::decorate(d);
        }
    }

    fn checks_revocation(&self) -> bool {
        matches!(
            self.role,
            Role::SpeechStt | Role::SpeechSttDirect | Role::SpeechSttViaProxy | Role::SpeechTts
        )
    }

    fn stream(&self) -> Option<&StreamSpec> {
        self.stream.as_ref()
    }

    fn token(&self) -> Option<&TokenSlot> {
        self.token.as_ref()
    }

    fn ignored_proxy(&self) -> Option<IgnoredProxy> {
        let (var, url) = self.ignored_proxy.as_ref()?;
        let diagnosis = Diagnosis::new(
            Code::ProxyIgnoredByClient,
            format!("{var}={url} is set, but the Speech SDK does not read proxy variables: it connects directly, as this target does (`stt (via proxy)` is the path after SpeechConfig.set_proxy)"),
        )
        .with_hint(azure_speech::PROXY_HINT);
        Some(IgnoredProxy {
            client: "Azure Speech SDK",
            proxy: url.clone(),
            variable: var.clone(),
            diagnosis,
        })
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

/// A preset's check while the preset still arranges its checks (splits the
/// direct and proxy paths, links the token): its [`Preset`] is concrete
/// until [`finish`] hands it to the pipeline as a profile.
#[derive(Debug, Clone)]
pub struct PresetCheck {
    pub target: Target,
    pub probe: ProbeConfig,
    pub preset: Preset,
}

/// Gives a preset's targets their options (their request) over the shared
/// base options.
pub fn into_checks(base: &ProbeConfig, targets: Vec<PresetTarget>) -> Vec<PresetCheck> {
    targets
        .into_iter()
        .map(|t| {
            let mut probe = base.clone();
            probe.request = t.request;
            let mut target = t.target;
            target.name = Some(t.name.to_owned());
            PresetCheck {
                target,
                probe,
                preset: Preset {
                    role: t.role,
                    stream: t.stream,
                    ignored_proxy: None,
                    token: None,
                },
            }
        })
        .collect()
}

/// The checks the pipeline runs, each with its preset as its profile.
pub fn finish(checks: Vec<PresetCheck>) -> Vec<Check> {
    checks
        .into_iter()
        .map(|c| {
            let mut probe = c.probe;
            probe.profile = Some(Arc::new(c.preset));
            Check {
                target: c.target,
                probe: Arc::new(probe),
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

/// The service's own error in a JSON body: `code: message` (OpenAI and
/// Azure shape `{"error": {"code", "message"}}`).
pub fn service_error(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let err = v.get("error")?;
    let message = err
        .get("message")
        .and_then(|m| m.as_str())
        .map(|m| crate::redact::bounded(m, 200));
    // Azure repeats the status as `"code": "401"`: only names are worth quoting.
    let code = err
        .get("code")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty() && !c.bytes().all(|b| b.is_ascii_digit()))
        .map(|c| crate::redact::bounded(c, 80))
        .or_else(|| {
            err.get("type")
                .and_then(|t| t.as_str())
                .map(|t| crate::redact::bounded(t, 80))
        });
    match (code, message) {
        (Some(c), Some(m)) => Some(format!("{c}: \"{m}\"")),
        (Some(c), None) => Some(c),
        (None, Some(m)) => Some(format!("\"{m}\"")),
        (None, None) => None,
    }
}

/// The order the checks are reported in, by index: as given, except that
/// the speech token check, which runs first (the upgrades wait for its
/// token), is reported last. `ids` are the checks' profile ids.
pub fn report_order(ids: &[Option<&'static str>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    let token_first = ids
        .first()
        .is_some_and(|id| *id == Some(Role::SpeechToken.id()));
    let stt = ids
        .iter()
        .any(|id| id.is_some_and(|i| i.starts_with("stt")));
    if token_first && stt {
        order.rotate_left(1);
    }
    order
}

/// Cross-target verdicts once every check has run: which of `stt (direct)`
/// and `stt (via proxy)` works, and what to change. `ids` are the checks'
/// profile ids and `reports` their reports, by index (`None`: a check
/// without a profile, whose report is not kept): conclusions key on ids,
/// never on names (a check file may rename a preset's checks).
pub fn conclude(ids: &[Option<&'static str>], reports: &mut [Option<&mut TargetReport>]) {
    let find = |want: Role| ids.iter().position(|id| *id == Some(want.id()));
    let (Some(direct), Some(via)) = (find(Role::SpeechSttDirect), find(Role::SpeechSttViaProxy))
    else {
        return;
    };
    let failed = |r: &Option<&mut TargetReport>| {
        r.as_ref()
            .map(|r| r.failed_layer.map(|l| format!("fails at {l}")))
    };
    let (Some(direct_failed), Some(via_failed)) = (
        reports.get(direct).and_then(failed),
        reports.get(via).and_then(failed),
    ) else {
        return;
    };
    let verdict = match (direct_failed, via_failed) {
        (None, None) => "both paths work: the SDK's default direct connection is fine; set_proxy is optional".to_owned(),
        (Some(d), None) => format!("the SDK's default direct path {d} and the proxy path works: call speech_config.set_proxy(host, port) (host without http://)"),
        (None, Some(v)) => format!("the SDK's default direct path works; the proxy path {v}: do not call set_proxy"),
        (Some(d), Some(v)) => format!("neither path works: direct {d}, via the proxy {v}"),
    };
    let Some(Some(r)) = reports.get_mut(direct) else {
        return;
    };
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
    bytes.iter().fold(String::with_capacity(32), |mut id, b| {
        let _ = write!(id, "{b:02X}");
        id
    })
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
