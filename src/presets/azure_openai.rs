//! `netdoctor azure-openai`: proves a deployment exists at no token cost.
//!
//! The probe is `POST …/deployments/D/chat/completions?api-version=V` with
//! an empty JSON object: the service rejects the body with 400 when the
//! deployment exists (no tokens are spent), answers 404 `DeploymentNotFound`
//! when it does not, and 404 "Resource not found" (or 400 "API version not
//! supported") for an api-version it does not serve. With `--api-version v1`
//! the v1 API is used instead: `POST /openai/v1/chat/completions` with the
//! deployment as `model`.

use super::{PresetError, PresetTarget, Role};
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::probe::profile::{Judged, StreamSpec};
use crate::probe::RequestSpec;

/// The api-version used unless `--api-version`/`OPENAI_API_VERSION` says
/// otherwise: the latest GA data-plane inference version.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

/// Versions to suggest when the service rejects the api-version.
const TRY_VERSIONS: &str = "2024-10-21 (GA), 2025-01-01-preview, or `v1` (the /openai/v1/ API)";

/// What the user gave.
pub struct Options<'a> {
    pub endpoint: &'a str,
    pub deployment: &'a str,
    pub api_version: &'a str,
    pub key: Option<&'a str>,
    pub stream: bool,
}

/// The preset's one target (the deployment), with the stream stage.
pub fn targets(o: &Options<'_>) -> Result<Vec<PresetTarget>, PresetError> {
    let deployment = o.deployment.trim();
    if deployment.is_empty()
        || !deployment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(PresetError(format!(
            "invalid value '{deployment}' for '--deployment <NAME>': a deployment name (letters, digits, - _ .)"
        )));
    }
    let version = o.api_version.trim();
    if version.is_empty()
        || !version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(PresetError(format!(
            "invalid value '{version}' for '--api-version <VERSION>': e.g. {DEFAULT_API_VERSION} or v1"
        )));
    }
    let base = o.endpoint.trim().trim_end_matches('/');
    let v1 = version == "v1";
    let url = if v1 {
        format!("{base}/openai/v1/chat/completions")
    } else {
        format!("{base}/openai/deployments/{deployment}/chat/completions?api-version={version}")
    };
    let target = super::target(&url, "--endpoint <URL>")?;
    let headers: Vec<(String, String)> = o
        .key
        .map(|k| vec![("api-key".to_owned(), k.to_owned())])
        .unwrap_or_default();
    let model = v1.then_some(deployment);
    let probe_body = match model {
        Some(m) => serde_json::json!({ "model": m }).to_string(),
        None => "{}".to_owned(),
    };
    let stream = o.stream.then(|| StreamSpec {
        target: target.clone(),
        headers: headers.clone(),
        stream_body: super::openai::chat_body(model, true),
        plain_body: super::openai::chat_body(model, false),
    });
    Ok(vec![PresetTarget {
        name: "deployment",
        target,
        role: Role::AzureDeployment,
        request: RequestSpec {
            method: Some("POST".to_owned()),
            headers,
            plain_headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: Some(probe_body.into_bytes()),
        },
        stream,
    }])
}

/// Reads the deployment probe's status.
pub fn judge(status: u16, body: &[u8]) -> Judged {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let err = super::service_error(&text);
    let quoted = err.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
    let api_version = lower.contains("api version") || lower.contains("api-version");
    let fail = |code: Code, summary: String, hint: Option<String>| {
        let d = Diagnosis::new(code, summary).with_status(Status::Fail);
        Some((
            Some(match hint {
                Some(h) => d.with_hint(h),
                None => d,
            }),
            None,
        ))
    };
    match status {
        404 if lower.contains("deploymentnotfound") => fail(
            Code::HttpNotFound,
            format!("the deployment does not exist on this resource{quoted}"),
            Some("check --deployment: it is the deployment name (Azure AI Foundry → Deployments), not the model name; a deployment created in the last minutes may not be ready yet".to_owned()),
        ),
        400 | 404 if api_version || (status == 404 && lower.contains("resource not found")) => fail(
            Code::HttpApiVersion,
            format!("the service does not serve this api-version ({status}){quoted}"),
            Some(format!("pass a supported api-version with --api-version (or OPENAI_API_VERSION): try {TRY_VERSIONS}; if those fail too, check that --endpoint is an Azure OpenAI resource")),
        ),
        404 => fail(
            Code::HttpNotFound,
            format!("404: nothing at this path{quoted}"),
            Some("check --endpoint (https://NAME.openai.azure.com or https://NAME.cognitiveservices.azure.com)".to_owned()),
        ),
        400 => Some((
            None,
            Some(format!(
                "the deployment exists: the service rejected the empty request body (400{}), no tokens spent",
                err.map(|e| format!(", {e}")).unwrap_or_default()
            )),
        )),
        200..=299 => Some((None, Some("the deployment answered".to_owned()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let nf = br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#;
        let j = judge(404, nf);
        assert_eq!(
            j.as_ref().unwrap().0.as_ref().unwrap().code,
            Code::HttpNotFound
        );
        let j = judge(
            404,
            br#"{"error":{"code":"404","message":"Resource not found"}}"#,
        );
        assert_eq!(
            j.as_ref().unwrap().0.as_ref().unwrap().code,
            Code::HttpApiVersion
        );
        let j = judge(
            400,
            br#"{"error":{"code":"BadRequest","message":"'messages' is a required property"}}"#,
        );
        assert!(j.unwrap().0.is_none());
        assert!(judge(401, b"").is_none());
    }

    #[test]
    fn urls() {
        let t = targets(&Options {
            endpoint: "https://r.openai.azure.com/",
            deployment: "gpt4o",
            api_version: DEFAULT_API_VERSION,
            key: None,
            stream: false,
        })
        .unwrap();
        assert_eq!(
            t[0].target.url.as_str(),
            "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
        );
    }
}
