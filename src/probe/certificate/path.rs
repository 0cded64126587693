//! Chain paths and the stores' view of a chain: the anchors each store
//! offers for it, whether a path verifies to them, and each store's verdict.
//!
//! Paths are built at one moment inside every certificate's validity (see
//! [`path_time`]) so that the issuer is judged apart from the dates.

use super::facts::StoreVerdict;
use super::x509::Cert;
use crate::trust::runtime::RuntimeStore;
use crate::trust::{anchors_of, hash, mozilla_anchors, FileStore, TrustStores};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use webpki::{EndEntityCert, KeyUsage};

pub(super) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn unix_time(ts: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(ts).unwrap_or(0)))
}

/// Builds and verifies a path from the presented chain to `anchors`.
/// On success, the indices of the presented certificates on the path (the
/// leaf first); extra certificates a server sends are not on it.
pub(super) fn verify_path(
    chain: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'_>],
    at: i64,
) -> Result<Vec<usize>, webpki::Error> {
    let ee = EndEntityCert::try_from(&chain[0])?;
    let path = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        &chain[1..],
        unix_time(at),
        KeyUsage::server_auth(),
        None,
        None,
    )?;
    let mut used = vec![0];
    for cert in path.intermediate_certificates() {
        let der = cert.der();
        if let Some(i) = chain.iter().position(|c| c.as_ref() == der.as_ref()) {
            used.push(i);
        }
    }
    Ok(used)
}

/// A moment inside every certificate's validity, if there is one; else now.
pub(super) fn path_time(certs: &[Cert<'_>], now: i64) -> i64 {
    let start = certs.iter().map(Cert::not_before).max().unwrap_or(now);
    let end = certs.iter().map(Cert::not_after).min().unwrap_or(now);
    if (start..=end).contains(&now) {
        now
    } else if start <= end {
        start.saturating_add(1)
    } else {
        now
    }
}

/// One of the container's stores, as far as this chain is concerned.
pub(super) struct StoreView {
    pub(super) source: String,
    /// Why the store could not be read, if it could not.
    pub(super) error: Option<String>,
    pub(super) anchors: Vec<TrustAnchor<'static>>,
}

/// The container's stores for this chain: the file store, the directory
/// store looked up by the chain's issuer hashes, and `--cacert` (last).
pub(super) fn store_views(stores: &TrustStores, certs: &[Cert<'_>]) -> Vec<StoreView> {
    let mut views = Vec::new();
    if let Some(f) = &stores.file {
        views.push(StoreView {
            source: f.source.clone(),
            error: f.error.clone(),
            anchors: f.anchors(),
        });
    }
    views.push(StoreView {
        source: stores.dir.source.clone(),
        error: None,
        anchors: dir_anchors(stores, certs),
    });
    for c in &stores.cacert {
        views.push(StoreView {
            source: c.source.clone(),
            error: c.error.clone(),
            anchors: c.anchors(),
        });
    }
    views
}

fn dir_anchors(stores: &TrustStores, certs: &[Cert<'_>]) -> Vec<TrustAnchor<'static>> {
    let mut hashes: Vec<String> = certs
        .iter()
        .map(|c| hash::name_hash(c.x.issuer()))
        .collect();
    hashes.dedup();
    let found: Vec<CertificateDer<'static>> =
        hashes.iter().flat_map(|h| stores.dir.lookup(h)).collect();
    anchors_of(&found)
}

/// A store's verdict on the chain, from the anchors it offers.
pub(super) fn store_verdict(
    chain: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'_>],
    at: i64,
) -> StoreVerdict {
    match verify_path(chain, anchors, at) {
        Ok(_) => StoreVerdict::Trusted,
        Err(webpki::Error::UnknownIssuer) if anchors.is_empty() => StoreVerdict::Empty,
        Err(webpki::Error::UnknownIssuer) => StoreVerdict::LacksIssuer,
        Err(e) => StoreVerdict::Rejected(e),
    }
}

/// A container store's verdict (why it cannot be read, if it cannot).
pub(super) fn view_verdict(
    chain: &[CertificateDer<'static>],
    view: &StoreView,
    at: i64,
) -> StoreVerdict {
    match &view.error {
        Some(why) => StoreVerdict::Unreadable(why.clone()),
        None => store_verdict(chain, &view.anchors, at),
    }
}

/// A runtime store's verdict on the chain.
pub(super) fn runtime_verdict(
    chain: &[CertificateDer<'static>],
    r: &RuntimeStore,
    at: i64,
) -> StoreVerdict {
    let mut anchors = Vec::new();
    if let Some(store) = &r.store {
        if let (Some(e), false) = (&store.error, r.mozilla) {
            return StoreVerdict::Unreadable(e.clone());
        }
        anchors.extend(store.anchors());
    }
    if r.mozilla {
        anchors.extend(mozilla_anchors().iter().cloned());
    }
    store_verdict(chain, &anchors, at)
}

/// Whether the chain's anchor was given with `--cacert` (the user vouches).
pub(super) fn vouched(chain: &[CertificateDer<'static>], stores: &TrustStores, at: i64) -> bool {
    let cacert: Vec<TrustAnchor<'static>> =
        stores.cacert.iter().flat_map(FileStore::anchors).collect();
    !cacert.is_empty() && verify_path(chain, &cacert, at).is_ok()
}

/// The anchor certificate that issued `top` in the container's stores, if
/// one is there as a certificate (the file store, the directory store or
/// `--cacert`).
pub(super) fn anchor_cert(stores: &TrustStores, top: &Cert<'_>) -> Option<CertificateDer<'static>> {
    let mut candidates: Vec<CertificateDer<'static>> = Vec::new();
    if let Some(f) = &stores.file {
        candidates.extend(f.certs.iter().cloned());
    }
    candidates.extend(stores.dir.lookup(&hash::name_hash(top.x.issuer())));
    for c in &stores.cacert {
        candidates.extend(c.certs.iter().cloned());
    }
    candidates.into_iter().find(|der| {
        x509_parser::parse_x509_certificate(der).is_ok_and(|(_, ca)| {
            ca.subject().as_raw() == top.x.issuer().as_raw()
                && top.x.verify_signature(Some(ca.public_key())).is_ok()
        })
    })
}
