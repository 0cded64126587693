//! The `auth` stage: the credential verdict, read from the http response.
//!
//! 401/403 with no credential sent is a warning (`AUTH_MISSING_KEY`: the
//! service is reachable, authentication is untested); with a credential,
//! 401 fails `AUTH_REJECTED` and 403 `AUTH_FORBIDDEN`. Anything else passes.

use super::http::{quote_body, Exchange};
use super::StageResult;
use crate::diagnosis::{Code, Diagnosis};
use crate::redact;
use serde::Serialize;

/// The auth stage's facts, as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct AuthFacts {
    pub credential_sent: bool,
    /// The http status judged.
    pub status: u16,
    /// The `WWW-Authenticate` challenge, if the service sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
}

/// A credential verdict other than a pass. `quoted` is the reply's body as
/// the summary quotes it (`: "…"`, or empty).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// 401/403 with no credential sent (a warning); `withheld` when one was
    /// configured but not sent because the chain is not trusted.
    #[error("the service answered {status} and no credential was sent{}: reachable, authentication untested{quoted}", if *withheld { WITHHELD } else { "" })]
    MissingKey {
        status: u16,
        withheld: bool,
        quoted: String,
    },
    /// 401 with a credential.
    #[error("the credential was rejected (401){quoted}")]
    Rejected { quoted: String },
    /// 403 with a credential.
    #[error("the credential is not allowed here (403){quoted}")]
    Forbidden { quoted: String },
}

const WITHHELD: &str = " (credentials were withheld: the certificate chain is not trusted)";

impl AuthError {
    /// The stable diagnosis code.
    pub fn code(&self) -> Code {
        match self {
            AuthError::MissingKey { .. } => Code::AuthMissingKey,
            AuthError::Rejected { .. } => Code::AuthRejected,
            AuthError::Forbidden { .. } => Code::AuthForbidden,
        }
    }
}

/// The verdict on the exchange's credential: a pass's summary, or why not.
fn verdict(ex: &Exchange) -> Result<&'static str, AuthError> {
    match (ex.status, ex.credential_sent) {
        (401 | 403, false) => Err(AuthError::MissingKey {
            status: ex.status,
            withheld: ex.credentials_withheld,
            quoted: quote_body(ex),
        }),
        (401, true) => Err(AuthError::Rejected {
            quoted: quote_body(ex),
        }),
        (403, true) => Err(AuthError::Forbidden {
            quoted: quote_body(ex),
        }),
        (_, true) => Ok("credential accepted"),
        (_, false) => Ok("no credential needed"),
    }
}

/// Judges the exchange's credential.
pub fn stage(ex: &Exchange) -> StageResult<()> {
    let facts = AuthFacts {
        credential_sent: ex.credential_sent,
        status: ex.status,
        www_authenticate: ex
            .header("www-authenticate")
            .map(|scheme| redact::bounded(scheme, 200)),
    };
    match verdict(ex) {
        Ok(summary) => StageResult::pass(summary.to_owned(), facts, ()),
        Err(e @ AuthError::MissingKey { .. }) => {
            let d = Diagnosis::new(e.code(), e.to_string());
            let summary = d.summary.clone();
            StageResult::warn(d, summary, facts, ())
        }
        Err(e) => StageResult::fail(Diagnosis::new(e.code(), e.to_string()), facts),
    }
}
