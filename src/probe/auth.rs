//! The `auth` stage: the credential verdict, read from the http response.
//!
//! 401/403 with no credential sent is a warning (`AUTH_MISSING_KEY`: the
//! service is reachable, authentication is untested); with a credential,
//! 401 fails `AUTH_REJECTED` and 403 `AUTH_FORBIDDEN`. Anything else passes.

use super::http::{quote_body, Exchange};
use super::StageResult;
use crate::diagnosis::{Code, Diagnosis};
use crate::redact;
use serde_json::json;

/// Judges the exchange's credential.
pub fn stage(ex: &Exchange) -> StageResult<()> {
    let mut facts = json!({ "credential_sent": ex.credential_sent, "status": ex.status });
    if let Some(scheme) = ex.header("www-authenticate") {
        facts["www_authenticate"] = json!(redact::terminal_safe(scheme, 200));
    }
    let quoted = quote_body(ex);
    match (ex.status, ex.credential_sent) {
        (401 | 403, false) => {
            let why = if ex.credentials_withheld {
                " (credentials were withheld: the certificate chain is not trusted)"
            } else {
                ""
            };
            let d = Diagnosis::new(
                Code::AuthMissingKey,
                format!("the service answered {} and no credential was sent{why}: reachable, authentication untested{quoted}", ex.status),
            );
            let summary = d.summary.clone();
            StageResult::warn(d, summary, facts, ())
        }
        (401, true) => StageResult::fail(
            Diagnosis::new(
                Code::AuthRejected,
                format!("the credential was rejected (401){quoted}"),
            ),
            facts,
        ),
        (403, true) => StageResult::fail(
            Diagnosis::new(
                Code::AuthForbidden,
                format!("the credential is not allowed here (403){quoted}"),
            ),
            facts,
        ),
        (_, true) => StageResult::pass("credential accepted".to_owned(), facts, ()),
        (_, false) => StageResult::pass("no credential needed".to_owned(), facts, ()),
    }
}
