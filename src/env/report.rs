//! The env look's part of the report: its status, its findings (diagnoses of
//! layer `env`, shown in their own JSON shape) and its facts.

use super::facts::EnvFacts;
use crate::diagnosis::{Code, Diagnosis, Status};
use serde::Serialize;

/// The container look (`env`); findings never stop a probe.
#[derive(Debug, Serialize, Default)]
pub struct EnvReport {
    pub status: Option<Status>,
    /// Env findings are diagnoses of layer `env`; the JSON keeps their own
    /// shape (no `layer`, `client_errors` only when there are some).
    #[serde(serialize_with = "findings_json")]
    pub findings: Vec<Diagnosis>,
    pub facts: EnvFacts,
}

/// How an env finding appears in the JSON: `code, status, summary, hint,
/// client_errors?` (a diagnosis without its layer, which is always `env`).
#[derive(Serialize)]
struct FindingJson<'a> {
    code: Code,
    status: Status,
    summary: &'a str,
    hint: &'a str,
    /// What clients print for this fault (real runs; see `docs/client-errors.md`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    client_errors: &'a [&'static str],
}

fn findings_json<S: serde::Serializer>(findings: &[Diagnosis], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(findings.iter().map(|d| FindingJson {
        code: d.code,
        status: d.status,
        summary: &d.summary,
        hint: &d.hint,
        client_errors: &d.client_errors,
    }))
}
