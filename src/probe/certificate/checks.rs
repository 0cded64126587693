//! The checks of a chain, in OpenSSL's order: the issuer and the chain
//! (with interception), the validity periods, the host name; then, on a
//! verified path, the runtimes' own stores and the strict verifiers.

use super::fault::{only_webpki_rejects, CertFault, Which};
use super::path::{
    anchor_cert, anchors_cert, intermediates, long_path, stale_path, verify_path, vouched,
    StoreView,
};
use super::x509::{chain_signatures_ok, openssl_rejects_too, Cert};
use super::{Judge, StoreVerdict};
use crate::diagnosis::Diagnosis;
use crate::trust::interception::{self, Interception};
use crate::trust::runtime::{Runtime, RuntimeStore};
use crate::trust::{mozilla_anchors, strict, DatedAnchor};
use rustls_pki_types::{ServerName, TrustAnchor};
use time::OffsetDateTime;
use webpki::EndEntityCert;
use x509_parser::certificate::X509Certificate;

impl Judge<'_, '_> {
    /// Whether the chain (anchored in no public root) is interception.
    pub(super) fn interception(&self) -> Option<Interception> {
        let differs =
            matches!(self.direct, Some(Ok(leaf)) if leaf.as_ref() != self.chain[0].as_ref());
        interception::judge(
            self.certs
                .iter()
                .flat_map(|c| [c.x.subject(), c.x.issuer()]),
            self.host,
            || vouched(self.chain, self.stores, self.at),
            differs,
        )
    }

    /// `CERT_INTERCEPTED`: a warning when the container trusts the
    /// intercepting CA, else a failure.
    fn intercepted(&self, i: &Interception, trusted: bool) -> Diagnosis {
        let ca = self
            .certs
            .last()
            .map(|c| c.x.issuer().to_string())
            .unwrap_or_default();
        let fault = CertFault::Intercepted {
            product: i.product,
            rule: i.rule,
            host: self.host.to_owned(),
            ca,
            trusted,
        };
        let fix = self.stores.image().trust_fix();
        let save = "take the proxy's root CA from the chain (`--save-chain chain.pem`: the last certificate, or its issuer, which your IT can give you) and name it corp-root.crt";
        let hint = if trusted {
            format!(
                "nothing breaks for clients that use the system store; clients with their own stores (certifi for requests/httpx, Node's built-in roots) fail unless they get the CA too: {save}; {fix}"
            )
        } else {
            format!(
                "{save}, then add it to the image: {fix}; or ask for this host to be exempted from TLS inspection"
            )
        };
        fault.diagnosis().with_hint(hint)
    }

    /// The issuer and chain faults, where interception explains them.
    pub(super) fn anchor_faults(
        &self,
        path: &Result<Vec<usize>, webpki::Error>,
        container: &[TrustAnchor<'static>],
        public: bool,
        intercepted: Option<&Interception>,
    ) -> Vec<Diagnosis> {
        let err = match path {
            // The validity windows do not overlap: the validity faults say why.
            Err(webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. })
            | Ok(_) => {
                return intercepted
                    .map(|i| self.intercepted(i, true))
                    .into_iter()
                    .collect();
            }
            Err(e) => e.clone(),
        };
        let fault = self.issuer_fault(err, container, public);
        let d = match (fault, intercepted) {
            (Some(f), Some(i)) if f.is_unanchored() => self.intercepted(i, false),
            // Through a proxy, a private CA may still be an inspecting
            // proxy the comparison could not prove.
            (
                Some(f @ (CertFault::UnknownIssuer { .. } | CertFault::PublicIssuerMissing { .. })),
                None,
            ) if self.direct.is_some() => {
                let d = f.diagnosis();
                let hint = format!(
                    "{} A proxy is in the path: if this CA is your proxy's (TLS inspection), save the chain with --save-chain and add the proxy's root to the image: {}",
                    d.hint,
                    self.stores.image().trust_fix()
                );
                d.with_hint(hint)
            }
            (Some(f), _) => f.diagnosis(),
            (None, _) => return Vec::new(),
        };
        vec![d]
    }

    fn issuer_fault(
        &self,
        mut err: webpki::Error,
        container: &[TrustAnchor<'static>],
        public: bool,
    ) -> Option<CertFault> {
        let certs = self.certs;
        let last = certs.last()?;
        // A store CA with the issuer's name but another key is not the issuer:
        // OpenSSL then reports the issuer as missing, and so do we, unless the
        // presented chain itself carries a bad signature.
        if err == webpki::Error::InvalidSignatureForPublicKey && chain_signatures_ok(certs) {
            err = webpki::Error::UnknownIssuer;
        }
        if err == webpki::Error::MaximumPathDepthExceeded {
            match self.beyond_depth(container) {
                Some(fault) => return Some(fault),
                None => err = webpki::Error::UnknownIssuer,
            }
        }
        // webpki judges the leaf (a CA certificate as the leaf, an
        // algorithm outside its set) before it looks for an anchor; OpenSSL
        // still needs one: a chain no store anchors is judged unanchored
        // (a self-signed `openssl req -x509` certificate is CA:TRUE).
        if only_webpki_rejects(&err) && !container.iter().any(|a| anchors_cert(a, last)) {
            err = webpki::Error::UnknownIssuer;
        }
        if err != webpki::Error::UnknownIssuer {
            let openssl_may_accept = only_webpki_rejects(&err) && !openssl_rejects_too(certs);
            return Some(CertFault::Invalid {
                error: err,
                openssl_may_accept,
            });
        }
        let leaf = &certs[0];
        if certs.len() == 1 && leaf.self_issued() {
            return Some(CertFault::SelfSigned {
                subject: leaf.x.subject().to_string(),
            });
        }
        let issuer = last.x.issuer().to_string();
        if public {
            return Some(CertFault::PublicIssuerMissing { issuer });
        }
        let mut everything = container.to_vec();
        everything.extend(mozilla_anchors().iter().cloned());
        let found_nowhere =
            verify_path(self.chain, &everything, self.at) == Err(webpki::Error::UnknownIssuer);
        let aia = leaf.ca_issuers_url();
        if found_nowhere && !last.self_issued() && (certs.len() == 1 || aia.is_some()) {
            return Some(CertFault::IncompleteChain {
                issuer,
                ca_issuers_url: aia,
            });
        }
        Some(CertFault::UnknownIssuer { issuer })
    }

    /// A chain longer than rustls-webpki checks: the path OpenSSL would
    /// build through the presented certificates, and the store CA it ends
    /// in — a verifier limit when the CA is in date, its dates when not;
    /// `None` when no store holds it (an unknown issuer).
    fn beyond_depth(&self, container: &[TrustAnchor<'static>]) -> Option<CertFault> {
        let path = long_path(self.certs);
        let top = self.certs.get(*path.last()?)?;
        if container.iter().any(|a| anchors_cert(a, top)) {
            return Some(CertFault::VerifierLimit {
                intermediates: intermediates(self.certs, &path),
            });
        }
        self.views
            .iter()
            .flat_map(|v| v.stale.iter())
            .find(|a| anchors_cert(&a.anchor, top))
            .map(|a| self.anchor_dates(a))
    }

    /// The chain ends only in CA certificates of the stores that are out of
    /// date now: the path to one, and its fault (OpenSSL, unlike webpki,
    /// checks the anchor's dates).
    pub(super) fn stale_anchor(&self) -> Option<(Vec<usize>, CertFault)> {
        let stale: Vec<DatedAnchor> = self
            .views
            .iter()
            .flat_map(|v| v.stale.iter().cloned())
            .collect();
        let (used, anchor) = stale_path(self.chain, &stale, self.at)?;
        Some((used, self.anchor_dates(anchor)))
    }

    /// The fault of an out-of-date store CA, naming it and its store.
    fn anchor_dates(&self, anchor: &DatedAnchor) -> CertFault {
        let store = self
            .views
            .iter()
            .find(|v| v.stale.iter().any(|a| a.anchor == anchor.anchor))
            .map(|v| v.source.clone())
            .unwrap_or_default();
        let which = Which::Anchor {
            subject: anchor.subject.clone(),
            store,
        };
        let now = at_time(self.now);
        if anchor.not_after < self.now {
            CertFault::Expired {
                which,
                not_after: at_time(anchor.not_after),
                now,
            }
        } else {
            CertFault::NotYetValid {
                which,
                not_before: at_time(anchor.not_before),
                now,
            }
        }
    }

    /// Expired and not-yet-valid certificates: those on the verified path
    /// (servers may send extra, e.g. expired cross-signed, certificates that
    /// no client uses), else all of them.
    pub(super) fn validity_faults(
        &self,
        path: &Result<Vec<usize>, webpki::Error>,
    ) -> Vec<Diagnosis> {
        let judged: Vec<(usize, &Cert<'_>)> = match path {
            Ok(used) => used.iter().map(|i| (*i, &self.certs[*i])).collect(),
            Err(_) => self.certs.iter().enumerate().collect(),
        };
        let now =
            OffsetDateTime::from_unix_timestamp(self.now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let mut out = Vec::new();
        for (i, c) in judged {
            let which = if i == 0 {
                Which::Leaf
            } else {
                Which::Chain {
                    index: i,
                    subject: c.x.subject().to_string(),
                }
            };
            let validity = c.x.validity();
            let fault = if self.now > c.not_after() {
                CertFault::Expired {
                    which,
                    not_after: utc(validity.not_after.to_datetime()),
                    now,
                }
            } else if self.now < c.not_before() {
                CertFault::NotYetValid {
                    which,
                    not_before: utc(validity.not_before.to_datetime()),
                    now,
                }
            } else {
                continue;
            };
            out.push(fault.diagnosis());
        }
        out
    }

    /// The leaf is not valid for the host.
    pub(super) fn hostname_fault(&self) -> Option<Diagnosis> {
        let ee = EndEntityCert::try_from(&self.chain[0]).ok()?;
        let name = ServerName::try_from(self.host).ok()?;
        if ee.verify_is_valid_for_subject_name(&name).is_ok() {
            return None;
        }
        let fault = CertFault::HostnameMismatch {
            expected: self.host.to_owned(),
            presented: self.certs[0].dns_names(),
        };
        Some(fault.diagnosis())
    }

    /// On a verified path: the runtimes' own stores (when the image's own
    /// stores trust the chain) and the strict verifiers.
    pub(super) fn path_faults(
        &self,
        used: &[usize],
        views: &[StoreView],
        runtimes: &[(&RuntimeStore, StoreVerdict)],
    ) -> Vec<Diagnosis> {
        let mut out = Vec::new();
        // Runtimes are compared with the image's own stores: a CA given
        // only with --cacert is not in the image for anyone.
        let own: Vec<TrustAnchor<'static>> = views[..views.len() - self.stores.cacert().len()]
            .iter()
            .flat_map(|v| v.anchors.iter().cloned())
            .collect();
        if verify_path(self.chain, &own, self.at).is_ok() {
            out.extend(self.mismatch(runtimes));
        }
        out.extend(self.not_strict(used));
        out
    }

    /// `CERT_RUNTIME_STORE_MISMATCH`: the container trusts the chain, some
    /// runtimes' own stores do not.
    fn mismatch(&self, verdicts: &[(&RuntimeStore, StoreVerdict)]) -> Option<Diagnosis> {
        let failing: Vec<&(&RuntimeStore, StoreVerdict)> =
            verdicts.iter().filter(|(_, v)| !v.is_trusted()).collect();
        if failing.is_empty() {
            return None;
        }
        let stores = failing
            .iter()
            .map(|(r, v)| format!("{} (used by {}): {v}", r.source, r.clients))
            .collect();
        let bundle = self.stores.image().system_bundle();
        let mut fixes: Vec<String> = Vec::new();
        for (r, _) in &failing {
            let fix = runtime_fix(r.runtime, bundle);
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        let fault = CertFault::RuntimeStoreMismatch { stores };
        Some(fault.diagnosis().with_hint(fixes.join("; ")))
    }

    /// `CERT_NOT_STRICT`: the verified path (and its anchor, when it is a
    /// certificate in a store) as Python ≥ 3.13's strict mode judges it.
    fn not_strict(&self, used: &[usize]) -> Option<Diagnosis> {
        let path: Vec<&Cert<'_>> = used.iter().filter_map(|i| self.certs.get(*i)).collect();
        let top = path.last()?;
        let anchor_der = if top.self_issued() {
            None
        } else {
            anchor_cert(self.stores, top)
        };
        let anchor = anchor_der
            .as_ref()
            .and_then(|d| x509_parser::parse_x509_certificate(d).ok())
            .map(|(_, x)| x);
        let mut chain: Vec<&X509Certificate<'_>> = path.iter().map(|c| &c.x).collect();
        if let Some(a) = &anchor {
            chain.push(a);
        }
        let findings = strict::lint(&chain);
        if findings.is_empty() {
            return None;
        }
        let mut python_errors: Vec<&'static str> = Vec::new();
        for f in &findings {
            if !python_errors.contains(&f.python_error) {
                python_errors.push(f.python_error);
            }
        }
        let fault = CertFault::NotStrict {
            findings: findings
                .iter()
                .map(|f| format!("{}: {}", f.subject, f.missing))
                .collect(),
            python_errors,
        };
        Some(fault.diagnosis())
    }
}

/// A Unix time as a date (the epoch when it cannot be one).
fn at_time(ts: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A date in UTC (as reports print it).
fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

/// How a runtime gets a CA its own store lacks.
fn runtime_fix(runtime: Runtime, bundle: &str) -> String {
    match runtime {
        Runtime::Certifi => format!("requests/httpx use certifi, not the system store: `ENV REQUESTS_CA_BUNDLE={bundle} SSL_CERT_FILE={bundle}` (httpx reads SSL_CERT_FILE), or `pip install truststore` and call `truststore.inject_into_ssl()`"),
        Runtime::Requests => format!("point REQUESTS_CA_BUNDLE at a bundle that holds the CA (e.g. {bundle})"),
        Runtime::Curl => format!("point CURL_CA_BUNDLE at a bundle that holds the CA (e.g. {bundle}), or unset it"),
        Runtime::Node => "Node trusts its built-in Mozilla roots, not the system store: `ENV NODE_EXTRA_CA_CERTS=/path/to/corp-root.crt` (a PEM file with the CA)".to_owned(),
        Runtime::Rust => format!("rustls-native-certs reads SSL_CERT_FILE and SSL_CERT_DIR, else the distribution bundle: add the CA there (e.g. {bundle}) with update-ca-certificates"),
    }
}
