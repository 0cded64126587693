//! The `certificate` stage: judge the chain the TLS stage recorded against
//! the container's trust stores, as its OpenSSL-based clients would.
//!
//! Faults are collected in OpenSSL's order — issuer/chain first, then the
//! validity period, then the host name — and the first one is the verdict;
//! every fault goes into the facts. Each store gets its own verdict, named
//! by its source. The chain path is built at a moment inside every
//! certificate's validity, so that an expired certificate from an unknown CA
//! reports both faults, issuer first.
//!
//! Here: the stage and its verdict. Beside it: [`CertificateFacts`] (the
//! facts), [`CertFault`] (the faults and their diagnoses), the checks in
//! OpenSSL's order (`checks`), paths and store verdicts (`path`), how a
//! certificate's parts are named (`x509`), `--save-chain` (`save`). The
//! interception rules live in [`crate::trust::interception`].

mod checks;
mod facts;
mod fault;
mod path;
mod save;
mod x509;

pub use facts::{CertificateFacts, DirectComparison, FaultFacts, RuntimeStoreFacts, StoreVerdict};
pub use fault::CertFault;
pub use save::{save_chain, SaveChainError};

use super::StageResult;
use crate::diagnosis::{Diagnosis, Status};
use crate::trust::runtime::RuntimeStore;
use crate::trust::{interception, mozilla_anchors, TrustStores};
use path::{
    issuer_hashes, now_unix, path_time, runtime_verdict, store_views, verify_path, view_verdict,
    vouched,
};
use rustls_pki_types::{CertificateDer, TrustAnchor};
use std::collections::BTreeMap;
use x509::{openssl_rejects_too, parse_chain, Cert};

/// What the pipeline needs to know after the judgement.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    /// The container trusts the chain for this host (no failing fault).
    pub trusted: bool,
}

/// The server's certificate as seen on a direct connection (bypassing the
/// proxy), or why the direct path could not be used.
pub type Direct = Result<CertificateDer<'static>, String>;

/// What the judgement of one chain works from.
struct Judge<'a, 'c> {
    chain: &'a [CertificateDer<'static>],
    certs: &'a [Cert<'c>],
    host: &'a str,
    stores: &'a TrustStores,
    /// The moment paths are built at (see [`path_time`]).
    at: i64,
    now: i64,
    direct: Option<&'a Direct>,
    /// The container's stores as far as this chain is concerned.
    views: &'a [path::StoreView],
}

/// Judges the presented `chain` for `host`.
pub fn stage(
    chain: &[CertificateDer<'static>],
    host: &str,
    stores: &TrustStores,
    insecure: bool,
    unverified_signature: Option<&str>,
    direct: Option<&Direct>,
) -> StageResult<Verdict> {
    let Some(certs) = parse_chain(chain) else {
        let d = CertFault::Unparsable.diagnosis();
        return finish(vec![d], CertificateFacts::unparsable(), insecure, false);
    };
    let now = now_unix();
    let views = store_views(stores, &certs, now);
    let j = Judge {
        chain,
        certs: &certs,
        host,
        stores,
        at: path_time(&certs, now),
        now,
        direct,
        views: &views,
    };
    let (store_verdicts, public) = j.store_verdicts();
    let container: Vec<TrustAnchor<'static>> = views
        .iter()
        .flat_map(|v| v.anchors.iter().cloned())
        .collect();
    let path = verify_path(chain, &container, j.at);
    // A path to an out-of-date anchor is judged like one to a current
    // anchor, with the anchor's dates as its first fault (OpenSSL's order:
    // it checks the chain from the anchor down).
    let stale = path.is_err().then(|| j.stale_anchor()).flatten();
    let judged = match &stale {
        Some((used, _)) => Ok(used.clone()),
        None => path.clone(),
    };
    let runtime_verdicts: Vec<(&RuntimeStore, StoreVerdict)> = stores.runtime_verdicts(
        &issuer_hashes(&certs),
        |r| runtime_verdict(chain, &certs, r, j.at, now),
        StoreVerdict::is_trusted,
    );
    let intercepted = (!public).then(|| j.interception()).flatten();
    let mut faults = j.anchor_faults(&judged, &container, public, intercepted.as_ref());
    faults.extend(stale.map(|(_, fault)| fault.diagnosis()));
    faults.extend(j.validity_faults(&judged));
    faults.extend(j.hostname_fault());
    if let Ok(used) = &judged {
        faults.extend(j.path_faults(used, &views, &runtime_verdicts));
    }
    if let Some(why) = unverified_signature {
        let fault = CertFault::UnverifiedSignature {
            why: why.to_owned(),
            openssl_may_accept: !openssl_rejects_too(&certs),
        };
        faults.push(fault.diagnosis());
    }
    let facts = CertificateFacts {
        chain: certs.iter().map(Cert::summary).collect(),
        direct_comparison: Some(direct.map(|d| DirectComparison::of(d, &chain[0]))),
        faults: Some(faults.iter().map(FaultFacts::from).collect()),
        interception: Some(intercepted),
        public_ca: Some(public),
        revocation: None,
        runtime_stores: Some(
            runtime_verdicts
                .into_iter()
                .map(RuntimeStoreFacts::from)
                .collect(),
        ),
        save_chain_error: None,
        saved_chain: None,
        stores: store_verdicts,
    };
    let verified = path.is_ok() && unverified_signature.is_none();
    finish(faults, facts, insecure, verified)
}

impl Judge<'_, '_> {
    /// Each container store's verdict by its source, and the Mozilla
    /// reference's; whether the chain anchors in a public root.
    fn store_verdicts(&self) -> (BTreeMap<String, StoreVerdict>, bool) {
        let mut verdicts: BTreeMap<String, StoreVerdict> = self
            .views
            .iter()
            .map(|v| {
                let verdict = view_verdict(self.chain, self.certs, v, self.at);
                (v.source.clone(), verdict)
            })
            .collect();
        let public = verify_path(self.chain, mozilla_anchors(), self.at).is_ok();
        let reference = if public {
            StoreVerdict::Trusted
        } else {
            StoreVerdict::NotPublic
        };
        verdicts.insert("mozilla (reference)".to_owned(), reference);
        (verdicts, public)
    }
}

/// Whether a chain seen through a proxy is worth comparing with the direct
/// path: not anchored in a public root, not named like a product, not
/// vouched for with `--cacert`, not for a public service host (those rules
/// decide already).
pub fn wants_direct_comparison(
    chain: &[CertificateDer<'static>],
    host: &str,
    stores: &TrustStores,
) -> bool {
    let Some(certs) = parse_chain(chain) else {
        return false;
    };
    let at = path_time(&certs, now_unix());
    verify_path(chain, mozilla_anchors(), at).is_err()
        && interception::needs_comparison(
            certs.iter().flat_map(|c| [c.x.subject(), c.x.issuer()]),
            host,
            || vouched(chain, stores, at),
        )
}

/// The verdict: the first failing fault in OpenSSL's order, else the first
/// warning. Only a verified path with no failing fault is trusted; anything
/// else withholds credentials.
fn finish(
    mut faults: Vec<Diagnosis>,
    facts: CertificateFacts,
    insecure: bool,
    path_verified: bool,
) -> StageResult<Verdict> {
    let trusted = path_verified && !faults.iter().any(|d| d.status == Status::Fail);
    let first_fail = faults
        .iter()
        .position(|d| d.status == Status::Fail)
        .unwrap_or(0);
    if faults.is_empty() {
        return StageResult::pass(
            "trusted by the container".to_owned(),
            facts,
            Verdict { trusted: true },
        );
    }
    let primary = faults.remove(first_fail);
    // Warnings beside the verdict are reported too (failing faults after the
    // first one are in the facts).
    let others: Vec<Diagnosis> = faults
        .into_iter()
        .filter(|d| d.status == Status::Warn)
        .collect();
    if primary.status == Status::Warn {
        let mut summary = primary.summary.clone();
        if !trusted {
            summary.push_str(" (credentials withheld: the chain is not verified)");
        }
        return StageResult::warn(primary, summary, facts, Verdict { trusted })
            .with_warnings(others);
    }
    if insecure {
        let d = primary.with_status(Status::Warn);
        let summary = format!("{} (--insecure: going on without credentials)", d.summary);
        return StageResult::warn(d, summary, facts, Verdict { trusted: false })
            .with_warnings(others);
    }
    StageResult::fail(primary, facts).with_warnings(others)
}
