//! The certificate stage's facts, as the JSON report shows them: the chain,
//! each store's verdict, the faults, interception, the runtimes' stores.
//!
//! Fields are declared in alphabetical order, the order the report has
//! always written them in.

use crate::diagnosis::{Code, Diagnosis};
use crate::trust::interception::Interception;
use crate::trust::runtime::RuntimeStore;
use rustls_pki_types::CertificateDer;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// What the certificate stage found.
///
/// When the chain cannot be parsed, only `chain` (empty) is reported: the
/// fields that judge a chain are `None` then and left out.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateFacts {
    /// The presented chain, leaf first.
    pub chain: Vec<CertSummary>,
    /// The comparison with the certificate seen on a direct connection
    /// (`Some(None)`, shown as `null`: none was made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_comparison: Option<Option<DirectComparison>>,
    /// Every fault, in OpenSSL's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faults: Option<Vec<FaultFacts>>,
    /// Why the chain is taken for TLS interception (`Some(None)`, shown as
    /// `null`: it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interception: Option<Option<Interception>>,
    /// The chain anchors in a public (Mozilla) root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ca: Option<bool>,
    /// The revocation check's facts (Speech SDK targets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<crate::probe::revocation::RevocationFacts>,
    /// The verdicts of the runtimes' own stores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_stores: Option<Vec<RuntimeStoreFacts>>,
    /// Why `--save-chain` could not write the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_chain_error: Option<String>,
    /// Where `--save-chain` wrote the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_chain: Option<String>,
    /// Each container store's verdict by its source, and the Mozilla
    /// reference's.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stores: BTreeMap<String, StoreVerdict>,
}

impl CertificateFacts {
    /// The facts of a chain that cannot be parsed.
    pub(super) fn unparsable() -> Self {
        CertificateFacts {
            chain: Vec::new(),
            direct_comparison: None,
            faults: None,
            interception: None,
            public_ca: None,
            revocation: None,
            runtime_stores: None,
            save_chain_error: None,
            saved_chain: None,
            stores: BTreeMap::new(),
        }
    }

    /// Adds the revocation check's facts.
    pub fn set_revocation(&mut self, facts: crate::probe::revocation::RevocationFacts) {
        self.revocation = Some(facts);
    }

    /// Records where `--save-chain` wrote the chain, or why it could not.
    pub fn set_saved_chain(
        &mut self,
        path: &std::path::Path,
        saved: Result<(), super::SaveChainError>,
    ) {
        match saved {
            Ok(()) => self.saved_chain = Some(path.display().to_string()),
            Err(e) => self.save_chain_error = Some(e.to_string()),
        }
    }
}

/// One certificate of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    pub issuer: String,
    /// E.g. `RSA 2048`, `EC P-256`.
    pub key: String,
    /// The subjectAltName's DNS names and IP addresses.
    pub names: Vec<String>,
    pub not_after: String,
    pub not_before: String,
    /// The signature algorithm as OpenSSL names it.
    pub signature: String,
    pub subject: String,
    /// OpenSSL's subject hash (the `<hash>.0` name in a CA directory).
    pub subject_hash: String,
}

/// A store's verdict on the chain.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StoreVerdict {
    /// A path verifies to one of the store's CAs.
    Trusted,
    /// The store offers no CA for this chain.
    Empty,
    /// The store holds CAs, not the one that issued the chain.
    LacksIssuer,
    /// A path was found and rejected.
    Rejected(webpki::Error),
    /// The chain ends in a CA of the store whose certificate has expired.
    AnchorExpired { subject: String, not_after: i64 },
    /// The chain ends in a CA of the store whose certificate is not valid yet.
    AnchorNotYetValid { subject: String, not_before: i64 },
    /// The store holds the chain's anchor, but the path is longer than
    /// rustls-webpki can check.
    TooLong { intermediates: usize },
    /// The store cannot be read: why.
    Unreadable(String),
    /// The Mozilla reference: the chain does not anchor in a public root.
    NotPublic,
}

impl StoreVerdict {
    /// Whether the store trusts the chain.
    pub fn is_trusted(&self) -> bool {
        *self == StoreVerdict::Trusted
    }
}

impl fmt::Display for StoreVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreVerdict::Trusted => f.write_str("trusted"),
            StoreVerdict::Empty => f.write_str("empty"),
            StoreVerdict::LacksIssuer => f.write_str("does not hold the issuing CA"),
            StoreVerdict::Rejected(e) => write!(f, "rejected: {}", super::fault::describe(e)),
            StoreVerdict::AnchorExpired { subject, not_after } => write!(
                f,
                "its CA certificate ({subject}) expired on {}",
                super::x509::rfc3339(*not_after)
            ),
            StoreVerdict::AnchorNotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "its CA certificate ({subject}) is valid only from {}",
                super::x509::rfc3339(*not_before)
            ),
            StoreVerdict::TooLong { intermediates } => write!(
                f,
                "holds the issuing CA; netdoctor cannot check a path of {intermediates} intermediates (rustls-webpki stops at {})",
                super::path::WEBPKI_MAX_INTERMEDIATES
            ),
            StoreVerdict::Unreadable(why) => f.write_str(why),
            StoreVerdict::NotPublic => f.write_str("not a public CA"),
        }
    }
}

/// As the report has always shown it: the verdict in words.
impl Serialize for StoreVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A runtime's own store and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeStoreFacts {
    /// The clients that use it, in words.
    pub clients: &'static str,
    /// How reports name it.
    pub store: String,
    pub verdict: StoreVerdict,
}

/// The chain seen through a proxy against the one seen directly.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum DirectComparison {
    Compared { same_certificate: bool },
    Unavailable { unavailable: String },
}

impl From<(&RuntimeStore, StoreVerdict)> for RuntimeStoreFacts {
    fn from((r, verdict): (&RuntimeStore, StoreVerdict)) -> Self {
        RuntimeStoreFacts {
            clients: r.clients,
            store: r.source.clone(),
            verdict,
        }
    }
}

impl DirectComparison {
    /// The direct path's outcome against the `leaf` seen through the proxy.
    pub(super) fn of(direct: &super::Direct, leaf: &CertificateDer<'_>) -> Self {
        match direct {
            Ok(seen) => DirectComparison::Compared {
                same_certificate: seen.as_ref() == leaf.as_ref(),
            },
            Err(why) => DirectComparison::Unavailable {
                unavailable: why.clone(),
            },
        }
    }
}

/// One fault, as the facts list them.
#[derive(Debug, Clone, Serialize)]
pub struct FaultFacts {
    pub code: Code,
    pub summary: String,
}

impl From<&Diagnosis> for FaultFacts {
    fn from(d: &Diagnosis) -> Self {
        FaultFacts {
            code: d.code,
            summary: d.summary.clone(),
        }
    }
}
