//! Chain paths and the stores' view of a chain: the anchors each store
//! offers for it, whether a path verifies to them, and each store's verdict.
//!
//! Paths are built at one moment inside every certificate's validity (see
//! [`path_time`]) so that the issuer is judged apart from the dates. The
//! anchors' own dates are judged now, as OpenSSL does (webpki does not):
//! a store's out-of-date anchors are kept apart and anchor nothing.
//!
//! rustls-webpki builds paths of at most [`WEBPKI_MAX_INTERMEDIATES`]
//! intermediates (a constant, `MAX_SUB_CA_COUNT`); OpenSSL goes to
//! [`OPENSSL_MAX_DEPTH`]. Beyond webpki's limit, [`long_path`] follows the
//! presented chain by name and signature to tell whether a store holds its
//! anchor.

use super::facts::StoreVerdict;
use super::x509::Cert;
use crate::trust::runtime::RuntimeStore;
use crate::trust::{hash, mozilla_anchors, Certs, DatedAnchor, FileStore, TrustStores};
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

/// rustls-webpki's limit on the intermediates of a path (`MAX_SUB_CA_COUNT`
/// in rustls-webpki 0.103; not configurable).
pub(super) const WEBPKI_MAX_INTERMEDIATES: usize = 6;

/// OpenSSL's default verify depth (curl, Python): the intermediates it accepts.
pub(super) const OPENSSL_MAX_DEPTH: usize = 100;

/// Builds and verifies a path from the presented chain to `anchors`.
/// On success, the indices of the presented certificates on the path (the
/// leaf first); extra certificates a server sends are not on it.
pub(super) fn verify_path(
    chain: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'_>],
    at: i64,
) -> Result<Vec<usize>, webpki::Error> {
    verify_path_to(chain, anchors, at).map(|(used, _)| used)
}

/// [`verify_path`], and the anchor the path ends in.
fn verify_path_to(
    chain: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'_>],
    at: i64,
) -> Result<(Vec<usize>, TrustAnchor<'static>), webpki::Error> {
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
    Ok((used, path.anchor().to_owned()))
}

/// The path to one of the out-of-date anchors `stale`, if the chain has
/// one: the indices on it and the anchor (the container's current anchors
/// were tried first).
pub(super) fn stale_path<'s>(
    chain: &[CertificateDer<'static>],
    stale: &'s [DatedAnchor],
    at: i64,
) -> Option<(Vec<usize>, &'s DatedAnchor)> {
    if stale.is_empty() {
        return None;
    }
    let anchors: Vec<TrustAnchor<'static>> = stale.iter().map(|s| s.anchor.clone()).collect();
    let (used, anchor) = verify_path_to(chain, &anchors, at).ok()?;
    let dated = stale.iter().find(|s| s.anchor == anchor)?;
    Some((used, dated))
}

/// The path OpenSSL would build through the presented certificates, by
/// issuer name and signature, up to its depth: their indices, leaf first.
pub(super) fn long_path(certs: &[Cert<'_>]) -> Vec<usize> {
    let mut path = vec![0];
    while path.len() <= OPENSSL_MAX_DEPTH + 1 {
        let Some(cur) = path.last().and_then(|i| certs.get(*i)) else {
            break;
        };
        if cur.self_issued() {
            break;
        }
        let next = (0..certs.len()).find(|i| {
            let c = &certs[*i];
            !path.contains(i)
                && c.x.subject().as_raw() == cur.x.issuer().as_raw()
                && cur.x.verify_signature(Some(c.x.public_key())).is_ok()
        });
        match next {
            Some(i) => path.push(i),
            None => break,
        }
    }
    path
}

/// The intermediates on a [`long_path`] (a self-signed root the server
/// sends along is not one).
pub(super) fn intermediates(certs: &[Cert<'_>], path: &[usize]) -> usize {
    let top_is_root = path.len() > 1
        && path
            .last()
            .and_then(|i| certs.get(*i))
            .is_some_and(Cert::self_issued);
    path.len().saturating_sub(1 + usize::from(top_is_root))
}

/// Whether `anchor` issued `top` (its name and key), as a store lookup of
/// `top`'s issuer finds it. A self-signed `top` matches its own anchor.
pub(super) fn anchors_cert(anchor: &TrustAnchor<'_>, top: &Cert<'_>) -> bool {
    use x509_parser::prelude::FromDer;
    if anchor.subject.as_ref() != der_contents(top.x.issuer().as_raw()) {
        return false;
    }
    let spki = der_sequence(anchor.subject_public_key_info.as_ref());
    x509_parser::x509::SubjectPublicKeyInfo::from_der(&spki)
        .is_ok_and(|(_, key)| top.x.verify_signature(Some(&key)).is_ok())
}

/// The contents of a DER value (its tag and length skipped).
fn der_contents(der: &[u8]) -> &[u8] {
    let Some(&first) = der.get(1) else {
        return &[];
    };
    let start = if first < 0x80 {
        2
    } else {
        2 + usize::from(first & 0x7f)
    };
    der.get(start..).unwrap_or_default()
}

/// `contents` wrapped as a DER SEQUENCE.
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    crate::trust::hash::der(0x30, contents)
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

/// One of the container's stores, as far as this chain is concerned: the
/// anchors it can end in (those named like one of the chain's issuers).
pub(super) struct StoreView {
    pub(super) source: String,
    /// Why the store could not be read, if it could not.
    pub(super) error: Option<String>,
    /// The anchors whose certificates are in date now.
    pub(super) anchors: Vec<TrustAnchor<'static>>,
    /// The anchors whose certificates are expired or not yet valid now:
    /// OpenSSL does not anchor a chain in them.
    pub(super) stale: Vec<DatedAnchor>,
    /// The store holds any anchor at all (for this chain or not).
    pub(super) held: bool,
}

impl StoreView {
    fn new(
        source: String,
        error: Option<String>,
        store: &Certs,
        certs: &[Cert<'_>],
        now: i64,
    ) -> Self {
        let subjects: Vec<&[u8]> = certs
            .iter()
            .map(|c| der_contents(c.x.issuer().as_raw()))
            .collect();
        let (current, stale): (Vec<DatedAnchor>, Vec<DatedAnchor>) = store
            .dated_for(&subjects)
            .into_iter()
            .partition(|a| a.in_date(now));
        StoreView {
            source,
            error,
            anchors: current.into_iter().map(|a| a.anchor).collect(),
            stale,
            held: !store.anchors().is_empty(),
        }
    }
}

/// The container's stores for this chain: the file store, the directory
/// store looked up by the chain's issuer hashes, and `--cacert` (last);
/// anchors judged in date at `now`.
pub(super) fn store_views(stores: &TrustStores, certs: &[Cert<'_>], now: i64) -> Vec<StoreView> {
    let mut views = Vec::new();
    if let Some(f) = stores.file() {
        views.push(StoreView::new(
            f.source.clone(),
            f.error.clone(),
            &f.certs,
            certs,
            now,
        ));
    }
    let found: Vec<CertificateDer<'static>> = issuer_hashes(certs)
        .iter()
        .flat_map(|h| stores.dir().lookup(h))
        .collect();
    let dir = Certs::new(found);
    views.push(StoreView::new(
        stores.dir().source.clone(),
        None,
        &dir,
        certs,
        now,
    ));
    for c in stores.cacert() {
        views.push(StoreView::new(
            c.source.clone(),
            c.error.clone(),
            &c.certs,
            certs,
            now,
        ));
    }
    views
}

/// The subject hashes of the chain's issuers (each once): the names a
/// directory store is asked for.
pub(super) fn issuer_hashes(certs: &[Cert<'_>]) -> Vec<String> {
    let mut hashes: Vec<String> = Vec::new();
    for c in certs {
        let h = hash::name_hash(c.x.issuer());
        if !hashes.contains(&h) {
            hashes.push(h);
        }
    }
    hashes
}

/// A store's verdict on the chain, from the anchors it offers: those in
/// date, else an out-of-date one the chain ends in, else why not.
pub(super) fn store_verdict(
    chain: &[CertificateDer<'static>],
    certs: &[Cert<'_>],
    anchors: &[TrustAnchor<'_>],
    stale: &[DatedAnchor],
    held: bool,
    at: i64,
) -> StoreVerdict {
    let Err(err) = verify_path(chain, anchors, at) else {
        return StoreVerdict::Trusted;
    };
    if let Some((_, a)) = stale_path(chain, stale, at) {
        return if a.not_after < now_unix() {
            StoreVerdict::AnchorExpired {
                subject: a.subject.clone(),
                not_after: a.not_after,
            }
        } else {
            StoreVerdict::AnchorNotYetValid {
                subject: a.subject.clone(),
                not_before: a.not_before,
            }
        };
    }
    let empty = !held;
    match err {
        webpki::Error::UnknownIssuer if empty => StoreVerdict::Empty,
        webpki::Error::UnknownIssuer => StoreVerdict::LacksIssuer,
        webpki::Error::MaximumPathDepthExceeded => {
            let path = long_path(certs);
            let top = path.last().and_then(|i| certs.get(*i));
            let held = top.is_some_and(|top| {
                anchors
                    .iter()
                    .chain(stale.iter().map(|s| &s.anchor))
                    .any(|a| anchors_cert(a, top))
            });
            match (held, empty) {
                (true, _) => StoreVerdict::TooLong {
                    intermediates: intermediates(certs, &path),
                },
                (false, true) => StoreVerdict::Empty,
                (false, false) => StoreVerdict::LacksIssuer,
            }
        }
        e => StoreVerdict::Rejected(e),
    }
}

/// A container store's verdict (why it cannot be read, if it cannot).
pub(super) fn view_verdict(
    chain: &[CertificateDer<'static>],
    certs: &[Cert<'_>],
    view: &StoreView,
    at: i64,
) -> StoreVerdict {
    match &view.error {
        Some(why) => StoreVerdict::Unreadable(why.clone()),
        None => store_verdict(chain, certs, &view.anchors, &view.stale, view.held, at),
    }
}

/// A runtime store's verdict on the chain (its anchors judged at `now`).
pub(super) fn runtime_verdict(
    chain: &[CertificateDer<'static>],
    certs: &[Cert<'_>],
    r: &RuntimeStore,
    at: i64,
    now: i64,
) -> StoreVerdict {
    let mut view = StoreView::new(String::new(), None, &Certs::default(), certs, now);
    if let Some(store) = &r.store {
        if let (Some(e), false) = (&store.error, r.mozilla) {
            return StoreVerdict::Unreadable(e.clone());
        }
        view = StoreView::new(String::new(), None, &store.certs, certs, now);
    }
    if r.mozilla {
        view.anchors.extend(mozilla_anchors().iter().cloned());
        view.held = true;
    }
    store_verdict(chain, certs, &view.anchors, &view.stale, view.held, at)
}

/// Whether the chain's anchor was given with `--cacert` (the user vouches).
pub(super) fn vouched(chain: &[CertificateDer<'static>], stores: &TrustStores, at: i64) -> bool {
    let cacert: Vec<TrustAnchor<'static>> = stores
        .cacert()
        .iter()
        .flat_map(FileStore::anchors)
        .collect();
    !cacert.is_empty() && verify_path(chain, &cacert, at).is_ok()
}

/// The anchor certificate that issued `top` in the container's stores, if
/// one is there as a certificate (the file store, the directory store or
/// `--cacert`).
pub(super) fn anchor_cert(stores: &TrustStores, top: &Cert<'_>) -> Option<CertificateDer<'static>> {
    let held = |store: &FileStore| {
        store
            .certs
            .anchors()
            .iter()
            .find(|a| anchors_cert(&a.anchor, top))
            .and_then(|a| store.certs.get(a.index).cloned())
    };
    if let Some(found) = stores.file().and_then(held) {
        return Some(found);
    }
    let dir = stores.dir().lookup(&hash::name_hash(top.x.issuer()));
    let from_dir = dir.into_iter().find(|der| {
        x509_parser::parse_x509_certificate(der).is_ok_and(|(_, ca)| {
            ca.subject().as_raw() == top.x.issuer().as_raw()
                && top.x.verify_signature(Some(ca.public_key())).is_ok()
        })
    });
    from_dir.or_else(|| stores.cacert().iter().find_map(held))
}
