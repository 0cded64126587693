//! What a service preset tells the pipeline: the [`ServiceProfile`] trait.
//!
//! Stages know nothing of services. A preset (`azure-speech`, `openai`,
//! `azure-openai`) implements this trait for each of its checks, and the
//! pipeline asks it: how to read the service's HTTP replies, which error a
//! reply body carries, what the service's clients print for a fault and how
//! to fix it there, whether its client fetches revocation lists, the stream
//! request of `--stream`, and the token handed between its checks.

use crate::diagnosis::Diagnosis;
use crate::target::Target;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

/// A preset's reading of an HTTP status: `None` leaves it to the generic
/// rules; otherwise the diagnosis (none: pass) and a note for the summary.
pub type Judged = Option<(Option<Diagnosis>, Option<String>)>;

/// A service's knowledge, as the pipeline asks for it.
pub trait ServiceProfile: Debug + Send + Sync {
    /// A stable id of this check within its preset (`stt`, `stt-via-proxy`,
    /// `token`, `models`…): cross-target conclusions key on it, never on a
    /// check's display name, which a check file may change.
    fn id(&self) -> &'static str;

    /// Reads a status as the service means it.
    fn judge_http(&self, status: u16, body: &[u8]) -> Judged;

    /// The service's own error in a reply body, as quoted in summaries.
    fn service_error(&self, body: &str) -> Option<String>;

    /// Adds what the service's own clients print for this fault, and the
    /// fix as it applies to this service.
    fn decorate(&self, d: &mut Diagnosis);

    /// Whether the service's client downloads the chain's CRLs (older
    /// Speech SDKs), so their URLs must be reachable.
    fn checks_revocation(&self) -> bool {
        false
    }

    /// The `--stream` request, when the check has a stream stage.
    fn stream(&self) -> Option<&StreamSpec> {
        None
    }

    /// The token handed between this service's checks.
    fn token(&self) -> Option<&TokenSlot> {
        None
    }

    /// A proxy variable this check's client does not read: the warning
    /// (`PROXY_IGNORED_BY_CLIENT`) and its facts (variable, proxy, client).
    fn ignored_proxy(&self) -> Option<IgnoredProxy> {
        None
    }
}

/// A proxy variable the client ignores, reported as the proxy stage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IgnoredProxy {
    /// The client that ignores it.
    pub client: &'static str,
    /// The proxy URL (password masked).
    pub proxy: String,
    /// The variable that is set.
    pub variable: String,
    /// The warning.
    #[serde(skip)]
    pub diagnosis: Diagnosis,
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
    pub async fn wait(&self, deadline: Instant) -> Option<String> {
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
