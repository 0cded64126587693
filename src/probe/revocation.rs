//! `CERT_REVOCATION_UNREACHABLE`: whether the chain's CRL and OCSP URLs can
//! be fetched from here, through the path the target used.
//!
//! Older Speech SDKs (< 1.48.2) download the CRLs of the server's chain over
//! plain HTTP (port 80) and fail the connection when they cannot; the SDK's
//! error is the same opaque `WS_OPEN_ERROR_UNDERLYING_IO_OPEN_FAILED` as for
//! any TLS fault. So for the Speech targets, once the chain is trusted, each
//! `http://` CRL Distribution Point and AIA OCSP URL is asked for its status
//! line with the run's resolver settings (`--resolve`, `--connect-to`) and,
//! when the target went through a proxy, through the same proxy. Only a
//! warning: the target never fails for it.

use super::connect::{self, Opened};
use super::http::USER_AGENT;
use super::tcp::SocketOptions;
use super::{h1, Context, Io, Pipeline, StageResult};
use crate::diagnosis::{Code, Diagnosis};
use crate::proxy::Route;
use crate::target::Target;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use std::time::{Duration, Instant};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};

/// The longest a revocation check waits (it is a side check).
pub const MAX_WAIT: Duration = Duration::from_secs(3);

/// What a URL is for (`crl` or `ocsp` in the facts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Crl,
    Ocsp,
}

/// The revocation check's facts (the certificate stage's `revocation`),
/// fields in alphabetical order as the report writes them.
#[derive(Debug, Clone, Serialize)]
pub struct RevocationFacts {
    /// URLs not fetched, and why.
    pub not_checked: Vec<NotChecked>,
    /// `direct`, or `through the proxy URL (SOURCE)`.
    pub path: String,
    /// URLs that answered, with their status line.
    pub reachable: Vec<Reachable>,
    /// The longest the check waited.
    pub timeout_ms: u64,
    /// URLs that could not be fetched, with the failing layer's code.
    pub unreachable: Vec<Unreachable>,
}

/// A URL that was not fetched.
#[derive(Debug, Clone, Serialize)]
pub struct NotChecked {
    pub kind: Kind,
    pub url: String,
    pub why: &'static str,
}

/// A URL that answered.
#[derive(Debug, Clone, Serialize)]
pub struct Reachable {
    pub kind: Kind,
    /// Its status line, e.g. `HTTP/1.1 200 OK`.
    pub status: String,
    pub url: String,
}

/// A URL that could not be fetched.
#[derive(Debug, Clone, Serialize)]
pub struct Unreachable {
    /// The code of the layer that failed.
    pub code: Code,
    pub detail: String,
    pub kind: Kind,
    pub url: String,
}

/// The chain's CRL Distribution Point and AIA OCSP URLs, each once, in
/// chain order.
pub fn urls(chain: &[CertificateDer<'static>]) -> Vec<(Kind, String)> {
    let mut out: Vec<(Kind, String)> = Vec::new();
    let mut add = |kind: Kind, url: &str| {
        if !out.iter().any(|(_, u)| u == url) {
            out.push((kind, url.to_owned()));
        }
    };
    for der in chain {
        let Ok((_, x)) = x509_parser::parse_x509_certificate(der) else {
            continue;
        };
        for ext in x.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CRLDistributionPoints(points) => {
                    for p in points.iter() {
                        if let Some(DistributionPointName::FullName(names)) = &p.distribution_point
                        {
                            for n in names {
                                if let GeneralName::URI(u) = n {
                                    add(Kind::Crl, u);
                                }
                            }
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for d in &aia.accessdescs {
                        if let (GeneralName::URI(u), "1.3.6.1.5.5.7.48.1") =
                            (&d.access_location, d.access_method.to_id_string().as_str())
                        {
                            add(Kind::Ocsp, u);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Why a URL could not be fetched: the code of the layer that failed and
/// what it said.
type Cause = (Code, String);

/// Fetches the status line of `target` (plain http) directly or through
/// `route`'s proxy: the response head, read by the one HTTP/1.1 client.
async fn status_line(
    ctx: &Context,
    route: Option<&Route>,
    target: &Target,
    deadline: Instant,
) -> Result<String, Cause> {
    let mut scratch = Pipeline::scratch(ctx, deadline);
    let (mut stream, absolute, authorization): (Box<dyn Io>, bool, Option<String>) =
        match connect::open(&mut scratch, target, route, SocketOptions::default()).await {
            Some(Opened::Plain(stream)) => (stream, false, None),
            Some(Opened::Tls(session)) => (Box::new(session.stream), false, None),
            Some(Opened::Forward(hop)) => (hop.stream, true, hop.authorization),
            None => {
                let failed = scratch.failed_with();
                return Err((failed.code, failed.summary));
            }
        };
    let path = target.request_path();
    let host = target.host_header();
    let mut request = if absolute {
        h1::Request::absolute("GET", &host, &path)
    } else {
        h1::Request::origin("GET", &path)
    };
    request
        .header("Host", &host)
        .header("User-Agent", USER_AGENT)
        .header("Accept", "*/*")
        .header("Connection", "close");
    if let Some(auth) = &authorization {
        request.header("Proxy-Authorization", auth);
    }
    let exchange = async {
        h1::send(&mut stream, &request).await?;
        h1::read_head(&mut stream, None).await
    };
    match tokio::time::timeout_at(deadline.into(), exchange).await {
        Err(_) => Err((
            Code::HttpTimeout,
            "no status line before the deadline".to_owned(),
        )),
        Ok(Ok((head, _))) => {
            let line = format!("HTTP/1.{} {} {}", head.version, head.status, head.reason);
            Ok(crate::redact::bounded(line.trim_end(), 120))
        }
        Ok(Err(h1::Error::Reset { source: e, .. })) => Err((
            Code::HttpReset,
            format!("the connection was reset before a status line: {e}"),
        )),
        Ok(Err(h1::Error::Write(e) | h1::Error::Read { source: e, .. })) => Err((
            Code::HttpMalformed,
            format!("the connection broke before a status line: {e}"),
        )),
        Ok(Err(h1::Error::Empty)) => Err((
            Code::HttpMalformed,
            "the connection closed without a status line".to_owned(),
        )),
        Ok(Err(_)) => Err((Code::HttpMalformed, "the reply is not HTTP".to_owned())),
    }
}

/// Checks the chain's revocation URLs: the facts (`revocation`) and the
/// warning when any cannot be fetched; nothing when the chain names none.
pub async fn check(
    ctx: &Context,
    chain: &[CertificateDer<'static>],
    route: Option<&Route>,
    deadline: Instant,
) -> Option<(RevocationFacts, Option<Diagnosis>)> {
    let all = urls(chain);
    if all.is_empty() {
        return None;
    }
    let wait = ctx.cfg.timeout.min(MAX_WAIT);
    let deadline = deadline.min(Instant::now() + wait);
    let path = route.map_or_else(
        || "direct".to_owned(),
        |r| format!("through the proxy {} ({})", r.shown(), r.source),
    );
    let mut not_checked = Vec::new();
    let mut checks = Vec::new();
    for (kind, url) in &all {
        match Target::parse(url) {
            Ok(t) if t.url.scheme() == "http" => checks.push((*kind, url.clone(), t)),
            _ => not_checked.push(NotChecked {
                kind: *kind,
                url: url.clone(),
                why: "only http:// URLs are fetched by the Speech SDK's OpenSSL",
            }),
        }
    }
    let results = futures_util::future::join_all(
        checks
            .iter()
            .map(|(_, _, t)| status_line(ctx, route, t, deadline)),
    )
    .await;
    let mut reachable = Vec::new();
    let mut unreachable = Vec::new();
    let mut named = Vec::new();
    for ((kind, url, _), result) in checks.iter().zip(results) {
        match result {
            Ok(status) => {
                reachable.push(Reachable {
                    kind: *kind,
                    status,
                    url: url.clone(),
                });
            }
            Err((code, detail)) => {
                named.push(format!("{url} ({code}: {detail})"));
                unreachable.push(Unreachable {
                    code,
                    detail,
                    kind: *kind,
                    url: url.clone(),
                });
            }
        }
    }
    let facts = RevocationFacts {
        not_checked,
        path,
        reachable,
        timeout_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        unreachable,
    };
    let warning = (!named.is_empty()).then(|| {
        Diagnosis::new(
            Code::CertRevocationUnreachable,
            format!(
                "the chain's revocation URLs cannot be fetched from here ({}): {}; Speech SDKs before 1.48.2 download CRLs over plain HTTP and fail the connection when they cannot",
                facts.path,
                named.join(", ")
            ),
        )
    });
    Some((facts, warning))
}

/// Adds the revocation facts and warning to a certificate stage's result
/// (a passing stage becomes a warning; a warning stage gets another one).
pub fn attach<T>(r: &mut StageResult<T>, facts: RevocationFacts, warning: Option<Diagnosis>) {
    if let super::Facts::Certificate(c) = &mut r.facts {
        c.set_revocation(facts);
    }
    if let Some(w) = warning {
        if r.diagnosis.is_none() {
            r.summary.clone_from(&w.summary);
            r.diagnosis = Some(w);
        } else {
            r.warnings.push(w);
        }
    }
}
