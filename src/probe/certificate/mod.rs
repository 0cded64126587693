//! The `certificate` stage: judge the chain the TLS stage recorded against
//! the container's trust stores, as its OpenSSL-based clients would.
//!
//! Faults are collected in OpenSSL's order — issuer/chain first, then the
//! validity period, then the host name — and the first one is the verdict;
//! every fault goes into the facts. Each store gets its own verdict, named
//! by its source. The chain path is built at a moment inside every
//! certificate's validity, so that an expired certificate from an unknown CA
//! reports both faults, issuer first.

use super::StageResult;
use crate::diagnosis::{Code, Diagnosis, Status};
use crate::trust::runtime::{Runtime, RuntimeStore};
use crate::trust::{anchors_of, hash, interception, mozilla_anchors, strict, TrustStores};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::public_key::PublicKey;

/// What the pipeline needs to know after the judgement.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    /// The container trusts the chain for this host (no failing fault).
    pub trusted: bool,
}

/// One parsed certificate of the chain.
struct Cert<'a> {
    x: X509Certificate<'a>,
}

impl Cert<'_> {
    fn self_issued(&self) -> bool {
        self.x.subject().as_raw() == self.x.issuer().as_raw()
    }

    fn not_before(&self) -> i64 {
        self.x.validity().not_before.timestamp()
    }

    fn not_after(&self) -> i64 {
        self.x.validity().not_after.timestamp()
    }

    fn dns_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Ok(Some(san)) = self.x.subject_alternative_name() {
            for n in &san.value.general_names {
                match n {
                    GeneralName::DNSName(d) => names.push((*d).to_owned()),
                    GeneralName::IPAddress(b) => names.push(ip_text(b)),
                    _ => {}
                }
            }
        }
        names
    }

    /// The AIA caIssuers URL, where the issuer's certificate can be fetched.
    fn ca_issuers_url(&self) -> Option<String> {
        self.x
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.iter().find_map(|d| {
                    match (&d.access_location, d.access_method.to_id_string().as_str()) {
                        (GeneralName::URI(u), "1.3.6.1.5.5.7.48.2") => Some((*u).to_owned()),
                        _ => None,
                    }
                }),
                _ => None,
            })
    }

    fn facts(&self) -> Value {
        json!({
            "subject": self.x.subject().to_string(),
            "issuer": self.x.issuer().to_string(),
            "not_before": rfc3339(self.not_before()),
            "not_after": rfc3339(self.not_after()),
            "names": self.dns_names(),
            "key": key_description(&self.x),
            "signature": signature_name(&self.x.signature_algorithm.algorithm.to_id_string()),
            "subject_hash": hash::name_hash(self.x.subject()),
        })
    }
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::from([b[0], b[1], b[2], b[3]]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("{b:?}"),
    }
}

fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

fn key_description(x: &X509Certificate<'_>) -> String {
    let spki = x.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "EC P-256".to_owned(),
                Some("1.3.132.0.34") => "EC P-384".to_owned(),
                Some("1.3.132.0.35") => "EC P-521".to_owned(),
                Some(other) => format!("EC {other}"),
                None => "EC".to_owned(),
            }
        }
        _ => match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "Ed25519".to_owned(),
            other => other.to_owned(),
        },
    }
}

fn rsa_bits(x: &X509Certificate<'_>) -> Option<usize> {
    match x.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(rsa.key_size()),
        _ => None,
    }
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        other => other,
    }
    .to_owned()
}

/// Whether OpenSSL at its default security level also rejects the chain
/// (SHA-1/MD5 signatures, RSA keys under 2048 bits).
fn openssl_rejects_too(certs: &[Cert<'_>]) -> bool {
    certs.iter().any(|c| {
        let sig = signature_name(&c.x.signature_algorithm.algorithm.to_id_string());
        sig.contains("SHA1")
            || sig.contains("sha1")
            || sig.contains("md5")
            || rsa_bits(&c.x).is_some_and(|b| b < 2048)
    })
}

fn now_unix() -> i64 {
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
fn verify_path(
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
fn path_time(certs: &[Cert<'_>], now: i64) -> i64 {
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
struct StoreView {
    source: String,
    /// Why the store could not be read, if it could not.
    error: Option<String>,
    anchors: Vec<TrustAnchor<'static>>,
}

/// The container's stores for this chain: the file store, the directory
/// store looked up by the chain's issuer hashes, and `--cacert`.
fn store_views(stores: &TrustStores, certs: &[Cert<'_>]) -> Vec<StoreView> {
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

fn store_verdict(
    chain: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'_>],
    at: i64,
) -> String {
    match verify_path(chain, anchors, at) {
        Ok(_) => "trusted".to_owned(),
        Err(webpki::Error::UnknownIssuer) if anchors.is_empty() => "empty".to_owned(),
        Err(webpki::Error::UnknownIssuer) => "does not hold the issuing CA".to_owned(),
        Err(e) => format!("rejected: {e}"),
    }
}

/// Writes the presented chain to `path` exactly as presented, as PEM, leaf
/// first (`--save-chain`); creates the directory it goes in.
pub fn save_chain(path: &std::path::Path, chain: &[CertificateDer<'static>]) -> Result<(), String> {
    let mut pem = String::new();
    for der in chain {
        pem.push_str(&pem_of(der));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// One certificate as PEM (64-column base64).
fn pem_of(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
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
    let parsed: Vec<Cert<'_>> = chain
        .iter()
        .filter_map(|der| {
            x509_parser::parse_x509_certificate(der)
                .ok()
                .map(|(_, x)| Cert { x })
        })
        .collect();
    if chain.is_empty() || parsed.len() != chain.len() {
        let d = Diagnosis::new(
            Code::CertInvalid,
            "the server's certificate cannot be parsed as X.509",
        );
        return finish(vec![d], json!({ "chain": [] }), insecure, false);
    }
    let now = now_unix();
    let at = path_time(&parsed, now);
    let views = store_views(stores, &parsed);
    let container: Vec<TrustAnchor<'static>> = views
        .iter()
        .flat_map(|v| v.anchors.iter().cloned())
        .collect();
    let mut stores_facts = serde_json::Map::new();
    for view in &views {
        let verdict = view
            .error
            .clone()
            .unwrap_or_else(|| store_verdict(chain, &view.anchors, at));
        stores_facts.insert(view.source.clone(), json!(verdict));
    }
    let public = verify_path(chain, mozilla_anchors(), at).is_ok();
    stores_facts.insert(
        "mozilla (reference)".to_owned(),
        json!(if public { "trusted" } else { "not a public CA" }),
    );
    let path = verify_path(chain, &container, at);
    let runtime_verdicts: Vec<(&RuntimeStore, String)> = stores
        .runtimes
        .iter()
        .map(|r| (r, runtime_verdict(chain, r, at)))
        .collect();
    let mut faults = Vec::new();
    let intercepted = (!public)
        .then(|| interception_of(chain, &parsed, host, stores, at, direct))
        .flatten();
    match &path {
        // The validity windows do not overlap: the validity faults say why.
        Err(webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }) | Ok(_) => {
            if let Some(i) = &intercepted {
                faults.push(i.diagnosis(&parsed, stores, true));
            }
        }
        Err(e) => {
            let fault = issuer_fault(e.clone(), chain, &parsed, &container, at, public);
            faults.extend(match (fault, &intercepted) {
                (Some(f), Some(i))
                    if matches!(
                        f.code,
                        Code::CertUnknownIssuer | Code::CertIncompleteChain | Code::CertSelfSigned
                    ) =>
                {
                    Some(i.diagnosis(&parsed, stores, false))
                }
                // Through a proxy, a private CA may still be an inspecting
                // proxy the comparison could not prove.
                (Some(f), None) if direct.is_some() && f.code == Code::CertUnknownIssuer => {
                    let hint = format!(
                        "{} A proxy is in the path: if this CA is your proxy's (TLS inspection), save the chain with --save-chain and add the proxy's root to the image: {}",
                        f.hint,
                        stores.image.trust_fix()
                    );
                    Some(f.with_hint(hint))
                }
                (f, _) => f,
            });
        }
    }
    // Validity counts for the certificates on the path only: servers may send
    // extra (e.g. expired cross-signed) certificates that no client uses.
    let judged: Vec<(usize, &Cert<'_>)> = match &path {
        Ok(used) => used.iter().map(|i| (*i, &parsed[*i])).collect(),
        Err(_) => parsed.iter().enumerate().collect(),
    };
    faults.extend(validity_faults(&judged, now));
    if let Some(d) = hostname_fault(&parsed[0], chain, host) {
        faults.push(d);
    }
    if let Ok(used) = &path {
        // Runtimes are compared with the image's own stores: a CA given
        // only with --cacert is not in the image for anyone.
        let own: Vec<TrustAnchor<'static>> = views[..views.len() - stores.cacert.len()]
            .iter()
            .flat_map(|v| v.anchors.iter().cloned())
            .collect();
        if verify_path(chain, &own, at).is_ok() {
            faults.extend(mismatch(&runtime_verdicts, stores));
        }
        faults.extend(not_strict(&parsed, used, stores));
    }
    if let Some(why) = unverified_signature {
        let d = Diagnosis::new(
            Code::CertInvalid,
            format!("{why}: rustls cannot prove this server holds the key"),
        );
        faults.push(if openssl_rejects_too(&parsed) {
            d
        } else {
            d.with_status(Status::Warn).with_hint(
                "OpenSSL-based clients may accept this key, others (rustls, Go with strict settings) do not; reissue the certificate with RSA ≥ 2048 or ECDSA P-256/P-384",
            )
        });
    }
    let facts = json!({
        "chain": parsed.iter().map(Cert::facts).collect::<Vec<_>>(),
        "stores": stores_facts,
        "runtime_stores": runtime_verdicts
            .iter()
            .map(|(r, v)| json!({ "store": r.source, "clients": r.clients, "verdict": v }))
            .collect::<Vec<_>>(),
        "public_ca": public,
        "interception": intercepted.as_ref().map(Interception::facts),
        "direct_comparison": direct.map(|d| match d {
            Ok(leaf) => json!({ "same_certificate": leaf.as_ref() == chain[0].as_ref() }),
            Err(why) => json!({ "unavailable": why }),
        }),
        "faults": faults.iter().map(|d| json!({"code": d.code, "summary": d.summary})).collect::<Vec<_>>(),
    });
    finish(
        faults,
        facts,
        insecure,
        path.is_ok() && unverified_signature.is_none(),
    )
}

/// A runtime store's verdict on the chain.
fn runtime_verdict(chain: &[CertificateDer<'static>], r: &RuntimeStore, at: i64) -> String {
    let mut anchors = Vec::new();
    if let Some(store) = &r.store {
        if let (Some(e), false) = (&store.error, r.mozilla) {
            return e.clone();
        }
        anchors.extend(store.anchors());
    }
    if r.mozilla {
        anchors.extend(mozilla_anchors().iter().cloned());
    }
    store_verdict(chain, &anchors, at)
}

/// `CERT_RUNTIME_STORE_MISMATCH`: the container trusts the chain, some
/// runtimes' own stores do not.
fn mismatch(verdicts: &[(&RuntimeStore, String)], stores: &TrustStores) -> Option<Diagnosis> {
    let failing: Vec<&(&RuntimeStore, String)> =
        verdicts.iter().filter(|(_, v)| v != "trusted").collect();
    if failing.is_empty() {
        return None;
    }
    let which: Vec<String> = failing
        .iter()
        .map(|(r, v)| format!("{} (used by {}): {v}", r.source, r.clients))
        .collect();
    let bundle = stores.image.system_bundle();
    let mut fixes: Vec<String> = Vec::new();
    for (r, _) in &failing {
        let fix = match r.runtime {
            Runtime::Certifi => format!("requests/httpx use certifi, not the system store: `ENV REQUESTS_CA_BUNDLE={bundle} SSL_CERT_FILE={bundle}` (httpx reads SSL_CERT_FILE), or `pip install truststore` and call `truststore.inject_into_ssl()`"),
            Runtime::Requests => format!("point REQUESTS_CA_BUNDLE at a bundle that holds the CA (e.g. {bundle})"),
            Runtime::Curl => format!("point CURL_CA_BUNDLE at a bundle that holds the CA (e.g. {bundle}), or unset it"),
            Runtime::Node => "Node trusts its built-in Mozilla roots, not the system store: `ENV NODE_EXTRA_CA_CERTS=/path/to/corp-root.crt` (a PEM file with the CA)".to_owned(),
            Runtime::Rust => format!("rustls-native-certs reads SSL_CERT_FILE and SSL_CERT_DIR, else the distribution bundle: add the CA there (e.g. {bundle}) with update-ca-certificates"),
        };
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    Some(
        Diagnosis::new(
            Code::CertRuntimeStoreMismatch,
            format!(
                "the container's OpenSSL store trusts this chain, but not every runtime's own store does: {}",
                which.join("; ")
            ),
        )
        .with_hint(fixes.join("; ")),
    )
}

/// The anchor certificate that issued `top` in the container's stores, if
/// one is there as a certificate (the file store, the directory store or
/// `--cacert`).
fn anchor_cert(stores: &TrustStores, top: &Cert<'_>) -> Option<CertificateDer<'static>> {
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

/// `CERT_NOT_STRICT`: the verified path (and its anchor, when it is a
/// certificate in a store) as Python ≥ 3.13's strict mode judges it.
fn not_strict(certs: &[Cert<'_>], used: &[usize], stores: &TrustStores) -> Option<Diagnosis> {
    let path: Vec<&Cert<'_>> = used.iter().filter_map(|i| certs.get(*i)).collect();
    let top = path.last()?;
    let anchor_der = if top.self_issued() {
        None
    } else {
        anchor_cert(stores, top)
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
    let what: Vec<String> = findings
        .iter()
        .map(|f| format!("{}: {}", f.subject, f.missing))
        .collect();
    let mut errors: Vec<&'static str> = Vec::new();
    for f in &findings {
        if !errors.contains(&f.python_error) {
            errors.push(f.python_error);
        }
    }
    let mut d = Diagnosis::new(
        Code::CertNotStrict,
        format!(
            "strict verifiers (Python ≥ 3.13, whose default context sets VERIFY_X509_STRICT) reject this chain: {}",
            what.join("; ")
        ),
    );
    d.client_errors = errors;
    Some(d)
}

/// Why a chain is taken for TLS interception (DESIGN `CERT_INTERCEPTED`).
struct Interception {
    /// The product its CA names, if the catalogue knows it.
    product: Option<&'static str>,
    /// The rule that fired.
    rule: &'static str,
    host: String,
}

impl Interception {
    fn facts(&self) -> Value {
        json!({ "product": self.product, "rule": self.rule })
    }

    /// The diagnosis: a warning when the container trusts the intercepting
    /// CA, else a failure.
    fn diagnosis(&self, certs: &[Cert<'_>], stores: &TrustStores, trusted: bool) -> Diagnosis {
        let ca = certs
            .last()
            .map(|c| c.x.issuer().to_string())
            .unwrap_or_default();
        let who = match self.product {
            Some(p) => format!("{p} re-signs this connection: the chain ends in its CA ({ca})"),
            None if self.rule == RESIGNED => format!(
                "the proxy re-signs this connection: the certificate seen through it (issued by {ca}) differs from the one {} presents on a direct connection",
                self.host
            ),
            None => format!(
                "{} is a public service whose certificates come from public CAs, but this chain ends in {ca}: a TLS-inspecting proxy or antivirus on the path re-signs it",
                self.host
            ),
        };
        let fix = stores.image.trust_fix();
        let save = "take the proxy's root CA from the chain (`--save-chain chain.pem`: the last certificate, or its issuer, which your IT can give you) and name it corp-root.crt";
        if trusted {
            Diagnosis::new(
                Code::CertIntercepted,
                format!("{who}; this container trusts that CA, so the proxy can read the traffic"),
            )
            .with_status(Status::Warn)
            .with_hint(format!(
                "nothing breaks for clients that use the system store; clients with their own stores (certifi for requests/httpx, Node's built-in roots) fail unless they get the CA too: {save}; {fix}"
            ))
        } else {
            Diagnosis::new(
                Code::CertIntercepted,
                format!("{who}; this container does not trust that CA"),
            )
            .with_hint(format!(
                "{save}, then add it to the image: {fix}; or ask for this host to be exempted from TLS inspection"
            ))
        }
    }
}

/// Whether an unanchored-in-Mozilla chain is interception: its CA is named
/// like a known product, or the host is a public service and its anchor
/// was not given with `--cacert`.
fn interception_of(
    chain: &[CertificateDer<'static>],
    certs: &[Cert<'_>],
    host: &str,
    stores: &TrustStores,
    at: i64,
    direct: Option<&Direct>,
) -> Option<Interception> {
    let product =
        interception::product_of(certs.iter().flat_map(|c| [c.x.subject(), c.x.issuer()]));
    if product.is_some() {
        return Some(Interception {
            product,
            rule: "the CA is named like an interception product",
            host: host.to_owned(),
        });
    }
    if vouched(chain, stores, at) {
        return None;
    }
    if interception::is_public_service_host(host) {
        return Some(Interception {
            product: None,
            rule: "a public service host with a chain that ends in a private CA not given with --cacert",
            host: host.to_owned(),
        });
    }
    match direct {
        Some(Ok(leaf)) if leaf.as_ref() != chain[0].as_ref() => Some(Interception {
            product: None,
            rule: RESIGNED,
            host: host.to_owned(),
        }),
        _ => None,
    }
}

/// The rule that proves re-signing by comparison.
const RESIGNED: &str =
    "the certificate seen through the proxy differs from the one seen on a direct connection";

/// The server's certificate as seen on a direct connection (bypassing the
/// proxy), or why the direct path could not be used.
pub type Direct = Result<CertificateDer<'static>, String>;

/// Whether the chain's anchor was given with `--cacert` (the user vouches).
fn vouched(chain: &[CertificateDer<'static>], stores: &TrustStores, at: i64) -> bool {
    let cacert: Vec<TrustAnchor<'static>> =
        stores.cacert.iter().flat_map(|c| c.anchors()).collect();
    !cacert.is_empty() && verify_path(chain, &cacert, at).is_ok()
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
    let parsed: Vec<Cert<'_>> = chain
        .iter()
        .filter_map(|der| {
            x509_parser::parse_x509_certificate(der)
                .ok()
                .map(|(_, x)| Cert { x })
        })
        .collect();
    if chain.is_empty() || parsed.len() != chain.len() {
        return false;
    }
    let at = path_time(&parsed, now_unix());
    verify_path(chain, mozilla_anchors(), at).is_err()
        && interception::product_of(parsed.iter().flat_map(|c| [c.x.subject(), c.x.issuer()]))
            .is_none()
        && !vouched(chain, stores, at)
        && !interception::is_public_service_host(host)
}

/// The verdict: the first failing fault in OpenSSL's order, else the first
/// warning. Only a verified path with no failing fault is trusted; anything
/// else withholds credentials.
fn finish(
    mut faults: Vec<Diagnosis>,
    facts: Value,
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

fn issuer_fault(
    mut err: webpki::Error,
    chain: &[CertificateDer<'static>],
    certs: &[Cert<'_>],
    container: &[TrustAnchor<'static>],
    at: i64,
    public: bool,
) -> Option<Diagnosis> {
    let last = certs.last()?;
    // A store CA with the issuer's name but another key is not the issuer:
    // OpenSSL then reports the issuer as missing, and so do we, unless the
    // presented chain itself carries a bad signature.
    if is_signature_error(&err) && chain_signatures_ok(certs) {
        err = webpki::Error::UnknownIssuer;
    }
    if err != webpki::Error::UnknownIssuer {
        let d = Diagnosis::new(
            Code::CertInvalid,
            format!("the chain is invalid: {}", describe(&err)),
        );
        return Some(
            if only_webpki_rejects(&err) && !openssl_rejects_too(certs) {
                d.with_status(Status::Warn).with_hint(
                "rustls-webpki rejects this chain but OpenSSL-based clients may accept it; reissue the certificate with common algorithms (RSA ≥ 2048 or ECDSA P-256/P-384, SHA-256)",
            )
            } else {
                d
            },
        );
    }
    let leaf = &certs[0];
    if certs.len() == 1 && leaf.self_issued() {
        return Some(Diagnosis::new(
            Code::CertSelfSigned,
            format!(
                "the server presents a self-signed certificate ({})",
                leaf.x.subject()
            ),
        ));
    }
    let issuer = last.x.issuer().to_string();
    if public {
        return Some(
            Diagnosis::new(
                Code::CertUnknownIssuer,
                format!("the chain ends in a public CA ({issuer}) that this container does not trust"),
            )
            .with_hint("the image lacks the public CA bundle: `RUN apt-get update && apt-get install -y ca-certificates` (Debian/Ubuntu) or `RUN apk add ca-certificates` (Alpine); if SSL_CERT_FILE/SSL_CERT_DIR is set, point it at that bundle"),
        );
    }
    let mut everything = container.to_vec();
    everything.extend(mozilla_anchors().iter().cloned());
    let found_nowhere = verify_path(chain, &everything, at) == Err(webpki::Error::UnknownIssuer);
    let aia = leaf.ca_issuers_url();
    if found_nowhere && !last.self_issued() && (certs.len() == 1 || aia.is_some()) {
        let summary = match &aia {
            Some(url) => format!(
                "the server did not send the intermediate CA ({issuer}) that its certificate names at {}",
                crate::redact::terminal_safe(url, 200)
            ),
            None => format!(
                "the server sent only its own certificate, and its issuer ({issuer}) is in no store here nor among public CAs: the server probably omits its intermediate CA, or that issuer is a private CA this container does not trust"
            ),
        };
        return Some(Diagnosis::new(Code::CertIncompleteChain, summary).with_hint(
            "configure the full chain on the server (leaf then intermediates, e.g. nginx `ssl_certificate fullchain.pem`); browsers hide this by fetching the intermediate, most clients do not. If the issuer is your organisation's private CA, trust it instead: `COPY corp-ca.crt /usr/local/share/ca-certificates/` then `RUN update-ca-certificates`",
        ));
    }
    Some(Diagnosis::new(
        Code::CertUnknownIssuer,
        format!("the chain ends in a CA this container does not trust: {issuer}"),
    ))
}

/// A webpki rejection in words a user can act on.
fn describe(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::InvalidSignatureForPublicKey => "a signature in the chain does not verify: a certificate was altered, or signed by another key than its issuer's".to_owned(),
        E::RequiredEkuNotFoundContext(_) => "the certificate is not for TLS servers (its Extended Key Usage lacks serverAuth)".to_owned(),
        E::EndEntityUsedAsCa => "a certificate that is not a CA (Basic Constraints CA:FALSE or missing) signed another one".to_owned(),
        E::CaUsedAsEndEntity => "the server's certificate is a CA certificate".to_owned(),
        E::PathLenConstraintViolated => "the chain is longer than a CA's pathLenConstraint allows".to_owned(),
        E::NameConstraintViolation => "the certificate's name is outside its CA's name constraints".to_owned(),
        E::UnsupportedCriticalExtension => "a certificate carries a critical extension clients do not know".to_owned(),
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "the chain uses a signature algorithm or key rustls-webpki does not support".to_owned()
        }
        other => format!("{other:?}"),
    }
}

fn is_signature_error(e: &webpki::Error) -> bool {
    matches!(e, webpki::Error::InvalidSignatureForPublicKey)
}

/// Rejections rustls-webpki makes that OpenSSL at its default security
/// level does not (e.g. P-521 or other algorithms outside webpki's set).
fn only_webpki_rejects(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | webpki::Error::CaUsedAsEndEntity
    )
}

/// Whether each presented certificate is signed by the next one (where the
/// next one names itself as its issuer).
fn chain_signatures_ok(certs: &[Cert<'_>]) -> bool {
    certs.windows(2).all(|pair| {
        let (child, parent) = (&pair[0], &pair[1]);
        child.x.issuer().as_raw() != parent.x.subject().as_raw()
            || child
                .x
                .verify_signature(Some(parent.x.public_key()))
                .is_ok()
    })
}

fn validity_faults(certs: &[(usize, &Cert<'_>)], now: i64) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    for &(i, c) in certs {
        let which = if i == 0 {
            "the server's certificate".to_owned()
        } else {
            format!("chain certificate #{i} ({})", c.x.subject())
        };
        if now > c.not_after() {
            let days = (now - c.not_after()) / 86_400;
            out.push(Diagnosis::new(
                Code::CertExpired,
                format!(
                    "{which} expired {days} day(s) ago, on {}",
                    rfc3339(c.not_after())
                ),
            ));
        } else if now < c.not_before() {
            let days = (c.not_before() - now) / 86_400;
            out.push(Diagnosis::new(
                Code::CertNotYetValid,
                format!("{which} is valid only from {} ({days} day(s) from now by this container's clock)", rfc3339(c.not_before())),
            ));
        }
    }
    out
}

fn hostname_fault(
    leaf: &Cert<'_>,
    chain: &[CertificateDer<'static>],
    host: &str,
) -> Option<Diagnosis> {
    let ee = EndEntityCert::try_from(&chain[0]).ok()?;
    let name = ServerName::try_from(host).ok()?;
    if ee.verify_is_valid_for_subject_name(&name).is_ok() {
        return None;
    }
    let names = leaf.dns_names();
    let listed = if names.is_empty() {
        "no subjectAltName at all".to_owned()
    } else {
        names.join(", ")
    };
    Some(Diagnosis::new(
        Code::CertHostnameMismatch,
        format!("the certificate is not valid for {host}; it is valid for: {listed}"),
    ))
}
