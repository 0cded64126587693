//! An `https://` proxy's own TLS handshake and certificate, judged like a
//! target's chain against the container's stores plus `--proxy-cacert`. A
//! plain HTTP answer to the ClientHello is `PROXY_TLS_TO_PLAINTEXT`.

use super::{unreachable, ProxyError, ProxyFacts};
use crate::diagnosis::{Code, Diagnosis};
use crate::probe::{certificate, tls, Context, Facts, Io};
use crate::proxy::ProxyUrl;
use crate::redact;

/// TLS to an `https://` proxy, its chain judged: the encrypted stream.
pub(super) async fn handshake(
    ctx: &Context,
    url: &ProxyUrl,
    stream: Box<dyn Io>,
    facts: &mut ProxyFacts,
) -> Result<Box<dyn Io>, ProxyError> {
    let hs = tls::stage(stream, &url.host).await;
    let tls_facts = match hs.facts {
        Facts::Tls(f) => Some(f),
        _ => None,
    };
    let first_bytes = tls_facts
        .as_ref()
        .and_then(|f| f.first_bytes.clone())
        .unwrap_or_default();
    facts.proxy_tls = tls_facts;
    let Some(session) = hs.product else {
        let d = hs
            .diagnosis
            .unwrap_or_else(|| Diagnosis::new(Code::TlsHandshakeFailure, ""));
        if d.code == Code::TlsPlaintextResponse {
            let first_line = first_bytes.split("\\r\\n").next().unwrap_or("");
            return Err(ProxyError::TlsToPlaintext {
                proxy: url.authority(),
                first_line: redact::bounded(first_line, 60),
            });
        }
        return Err(unreachable(url, d.code, d.summary));
    };
    let trust = ctx.proxy_trust.as_ref().unwrap_or(&ctx.trust);
    let verdict = certificate::stage(
        &session.chain,
        &url.host,
        trust,
        false,
        session.unverified_signature.as_deref(),
        None,
    );
    facts.proxy_certificate = match verdict.facts {
        Facts::Certificate(c) => Some(c),
        _ => None,
    };
    if !verdict.product.as_ref().is_some_and(|v| v.trusted) {
        let (cause, why) = verdict
            .diagnosis
            .map_or((Code::CertUnknownIssuer, String::new()), |d| {
                (d.code, d.summary)
            });
        return Err(ProxyError::TlsUntrusted {
            proxy: url.authority(),
            cause,
            why,
        });
    }
    Ok(Box::new(session.stream))
}
