//! `netdoctor openai`: `GET /models` with the key as `Authorization:
//! Bearer`, optionally the Realtime WebSocket upgrade and the SSE stream.
//! The service's own error (`invalid_api_key`, "You didn't provide an API
//! key", an unsupported region) is quoted in the summaries.

use super::{PresetError, PresetTarget, Role};
use crate::diagnosis::{Code, Diagnosis};
use crate::probe::profile::{Judged, StreamSpec};
use crate::probe::RequestSpec;

/// The chat model `--stream` uses unless `--model` says otherwise.
pub const DEFAULT_CHAT_MODEL: &str = "gpt-4o-mini";
/// The Realtime model `--realtime` uses unless `--model` says otherwise.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime";

/// What the user gave.
pub struct Options<'a> {
    pub base_url: &'a str,
    pub key: Option<&'a str>,
    pub stream: bool,
    pub realtime: bool,
    pub model: Option<&'a str>,
}

/// The smallest streaming chat request that still shows buffering: a few
/// short tokens (about 20 output tokens).
pub fn chat_body(model: Option<&str>, stream: bool) -> Vec<u8> {
    let mut body = serde_json::json!({
        "messages": [{"role": "user", "content": "Count from 1 to 10, separated by spaces."}],
        "max_tokens": 20,
    });
    if let Some(m) = model {
        body["model"] = serde_json::json!(m);
    }
    if stream {
        body["stream"] = serde_json::json!(true);
    }
    body.to_string().into_bytes()
}

/// The preset's targets: `/models` (with the stream stage), then Realtime.
pub fn targets(o: &Options<'_>) -> Result<Vec<PresetTarget>, PresetError> {
    let base = o.base_url.trim_end_matches('/');
    let models = super::target(&format!("{base}/models"), "--base-url <URL>")?;
    let headers: Vec<(String, String)> = o
        .key
        .map(|k| vec![("Authorization".to_owned(), format!("Bearer {k}"))])
        .unwrap_or_default();
    let stream = if o.stream {
        Some(StreamSpec {
            target: super::target(&format!("{base}/chat/completions"), "--base-url <URL>")?,
            headers: headers.clone(),
            stream_body: chat_body(Some(o.model.unwrap_or(DEFAULT_CHAT_MODEL)), true),
            plain_body: chat_body(Some(o.model.unwrap_or(DEFAULT_CHAT_MODEL)), false),
        })
    } else {
        None
    };
    let mut out = vec![PresetTarget {
        name: "models",
        target: models,
        role: Role::OpenaiModels,
        request: RequestSpec {
            headers: headers.clone(),
            ..RequestSpec::default()
        },
        stream,
    }];
    if o.realtime {
        let mut url = super::target(&format!("{base}/realtime"), "--base-url <URL>")?.url;
        let scheme = if url.scheme() == "http" { "ws" } else { "wss" };
        let _ = url.set_scheme(scheme);
        url.query_pairs_mut()
            .append_pair("model", o.model.unwrap_or(DEFAULT_REALTIME_MODEL));
        out.push(PresetTarget {
            name: "realtime",
            target: super::target(url.as_str(), "--base-url <URL>")?,
            role: Role::OpenaiRealtime,
            request: RequestSpec {
                headers,
                ..RequestSpec::default()
            },
            stream: None,
        });
    }
    Ok(out)
}

/// `/models` answers 200 with the key; a 404 means the base URL is wrong.
pub fn judge(status: u16, body: &[u8]) -> Judged {
    if status != 404 {
        return None;
    }
    let err = super::service_error(&String::from_utf8_lossy(body))
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    Some((
        Some(
            Diagnosis::new(
                Code::HttpNotFound,
                format!("404 for /models: this base URL is not an OpenAI-compatible API{err}"),
            )
            .with_status(crate::diagnosis::Status::Fail)
            .with_hint("check --base-url / OPENAI_BASE_URL: it names the API root including the version, e.g. https://api.openai.com/v1"),
        ),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = targets(&Options {
            base_url: "https://api.openai.com/v1/",
            key: Some("sk-test"),
            stream: true,
            realtime: true,
            model: None,
        })
        .unwrap();
        assert_eq!(t[0].target.url.as_str(), "https://api.openai.com/v1/models");
        assert_eq!(
            t[1].target.url.as_str(),
            "wss://api.openai.com/v1/realtime?model=gpt-realtime"
        );
        let s = t[0].stream.as_ref().unwrap();
        assert_eq!(s.target.url.path(), "/v1/chat/completions");
        assert!(String::from_utf8_lossy(&s.stream_body).contains("\"stream\":true"));
    }
}
