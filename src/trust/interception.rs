//! Who re-signs TLS: the interception catalogue and the public service hosts
//! (DESIGN "Trust: whose view counts", `CERT_INTERCEPTED`).
//!
//! TLS-inspecting proxies and antivirus products sign the certificates they
//! forge with a CA whose name gives them away. The catalogue matches the
//! common name, organisation and organisational unit of every certificate
//! of a chain (and its issuer) against each product's naming, case-blind.
//! A public service host (the presets' host families) never uses a private
//! CA, so a chain for one that anchors elsewhere than in a public root is
//! re-signed, unless the user vouched for its CA with `--cacert`. Through a
//! proxy, a chain no other rule explains is re-signed when the server
//! presents another certificate on a direct connection.

use serde::{Serialize, Serializer};
use x509_parser::x509::X509Name;

/// The rule that took a chain for interception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A CA of the chain is named like a catalogued product.
    NamedProduct,
    /// A public service host with a chain that anchors in a private CA.
    PublicService,
    /// The certificate seen through the proxy differs from the direct one.
    Resigned,
}

impl Rule {
    /// The rule as reports state it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NamedProduct => "the CA is named like an interception product",
            Rule::PublicService => "a public service host with a chain that ends in a private CA not given with --cacert",
            Rule::Resigned => "the certificate seen through the proxy differs from the one seen on a direct connection",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a chain is taken for TLS interception (DESIGN `CERT_INTERCEPTED`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Interception {
    /// The product its CA names, if the catalogue knows it.
    pub product: Option<&'static str>,
    /// The rule that fired.
    pub rule: Rule,
}

/// Whether a chain that anchors in no public root is interception, by the
/// rules in order: its CA (among `names`, the chain's subjects and issuers)
/// is named like a product; unless the user `vouched` for its anchor with
/// `--cacert`, `host` is a public service; or it `differs_from_direct`.
pub fn judge<'a>(
    names: impl IntoIterator<Item = &'a X509Name<'a>>,
    host: &str,
    vouched: impl FnOnce() -> bool,
    differs_from_direct: bool,
) -> Option<Interception> {
    if let Some(product) = product_of(names) {
        return Some(Interception {
            product: Some(product),
            rule: Rule::NamedProduct,
        });
    }
    if vouched() {
        return None;
    }
    let rule = if is_public_service_host(host) {
        Rule::PublicService
    } else if differs_from_direct {
        Rule::Resigned
    } else {
        return None;
    };
    Some(Interception {
        product: None,
        rule,
    })
}

/// Whether only the direct comparison can tell (for a chain that anchors
/// in no public root): no product named, not vouched for, not a public
/// service host.
pub fn needs_comparison<'a>(
    names: impl IntoIterator<Item = &'a X509Name<'a>>,
    host: &str,
    vouched: impl FnOnce() -> bool,
) -> bool {
    product_of(names).is_none() && !vouched() && !is_public_service_host(host)
}

/// An interception product and how its CAs are named.
#[derive(Debug)]
pub struct Product {
    /// The product as reports name it.
    pub name: &'static str,
    /// Substrings of a CN, O or OU (lower case) that name the product's CA.
    patterns: &'static [&'static str],
}

/// The products whose CAs re-sign TLS traffic, by their CA naming.
pub const CATALOGUE: &[Product] = &[
    Product {
        name: "Zscaler",
        patterns: &["zscaler"],
    },
    Product {
        name: "Netskope",
        patterns: &["netskope", "goskope.com"],
    },
    Product {
        name: "Fortinet FortiGate",
        patterns: &["fortigate", "fortinet"],
    },
    Product {
        name: "Cisco Umbrella",
        patterns: &["cisco umbrella", "opendns"],
    },
    Product {
        name: "Palo Alto Networks",
        patterns: &["palo alto networks", "paloaltonetworks", "pan-os"],
    },
    Product {
        name: "Sophos",
        patterns: &["sophos"],
    },
    Product {
        name: "Check Point",
        patterns: &["check point", "checkpoint"],
    },
    Product {
        name: "Forcepoint",
        patterns: &["forcepoint", "websense"],
    },
    Product {
        name: "Blue Coat / Symantec ProxySG",
        patterns: &["blue coat", "bluecoat", "proxysg"],
    },
    Product {
        name: "Kaspersky",
        patterns: &["kaspersky"],
    },
    Product {
        name: "ESET",
        patterns: &["eset ssl filter", "eset, spol"],
    },
    Product {
        name: "Avast/AVG",
        patterns: &["web/mail shield", "avast", "avg technologies"],
    },
    Product {
        name: "Bitdefender",
        patterns: &["bitdefender"],
    },
    Product {
        name: "mitmproxy",
        patterns: &["mitmproxy"],
    },
    Product {
        name: "Charles Proxy",
        patterns: &["charles proxy", "xk72"],
    },
    Product {
        name: "Fiddler",
        patterns: &["fiddlerroot", "do_not_trust_fiddler", "fiddler"],
    },
    Product {
        name: "Burp Suite",
        patterns: &["portswigger"],
    },
];

/// The CN, O and OU values of a name.
fn naming_values(name: &X509Name<'_>) -> Vec<String> {
    name.iter_common_name()
        .chain(name.iter_organization())
        .chain(name.iter_organizational_unit())
        .filter_map(|a| a.as_str().ok())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The product whose naming a CN, O or OU of `names` matches.
pub fn product_of<'a>(names: impl IntoIterator<Item = &'a X509Name<'a>>) -> Option<&'static str> {
    let values: Vec<String> = names.into_iter().flat_map(naming_values).collect();
    CATALOGUE
        .iter()
        .find(|p| {
            values
                .iter()
                .any(|v| p.patterns.iter().any(|pat| v.contains(pat)))
        })
        .map(|p| p.name)
}

/// The public services' host families (the presets' hosts), sovereign
/// clouds included.
const PUBLIC_SUFFIXES: &[&str] = &[
    "openai.com",
    "openai.azure.com",
    "openai.azure.cn",
    "openai.azure.us",
    "cognitiveservices.azure.com",
    "cognitiveservices.azure.cn",
    "cognitiveservices.azure.us",
    "api.cognitive.microsoft.com",
    "api.cognitive.azure.cn",
    "api.cognitive.microsoft.us",
    "stt.speech.microsoft.com",
    "tts.speech.microsoft.com",
    "stt.speech.azure.cn",
    "tts.speech.azure.cn",
    "stt.speech.azure.us",
    "tts.speech.azure.us",
];

/// Whether `host` belongs to a public service's host family (a name that
/// never carries a certificate from a private CA).
pub fn is_public_service_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PUBLIC_SUFFIXES
        .iter()
        .any(|s| host == *s || host.strip_suffix(s).is_some_and(|rest| rest.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(der: &[u8]) -> Option<&'static str> {
        let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
        product_of([c.subject(), c.issuer()])
    }

    fn cert(dn: &[(rcgen::DnType, &str)]) -> Vec<u8> {
        let mut p = rcgen::CertificateParams::default();
        let mut d = rcgen::DistinguishedName::new();
        for (t, v) in dn {
            d.push(t.clone(), *v);
        }
        p.distinguished_name = d;
        let key = rcgen::KeyPair::generate().unwrap();
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn products_by_cn_o_and_ou() {
        use rcgen::DnType::{
            CommonName as CN, OrganizationName as O, OrganizationalUnitName as OU,
        };
        assert_eq!(name_of(&cert(&[(CN, "Zscaler Root CA")])), Some("Zscaler"));
        assert_eq!(
            name_of(&cert(&[(CN, "ca.corp"), (O, "Netskope Inc.")])),
            Some("Netskope")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "x"), (OU, "ca.goskope.com")])),
            Some("Netskope")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "FortiGate CA")])),
            Some("Fortinet FortiGate")
        );
        assert_eq!(name_of(&cert(&[(CN, "ESET SSL Filter CA")])), Some("ESET"));
        assert_eq!(
            name_of(&cert(&[(CN, "Avast Web/Mail Shield Root")])),
            Some("Avast/AVG")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "mitmproxy"), (O, "mitmproxy")])),
            Some("mitmproxy")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "Charles Proxy CA (1 Jan 2026, host)")])),
            Some("Charles Proxy")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "DO_NOT_TRUST_FiddlerRoot")])),
            Some("Fiddler")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "PortSwigger CA"), (OU, "PortSwigger CA")])),
            Some("Burp Suite")
        );
        assert_eq!(
            name_of(&cert(&[(CN, "Corp Root CA"), (O, "Example Corp")])),
            None
        );
    }

    #[test]
    fn rules_in_order() {
        use rcgen::DnType::CommonName as CN;
        let zscaler = cert(&[(CN, "Zscaler Root CA")]);
        let corp = cert(&[(CN, "Corp Root CA")]);
        let (_, z) = x509_parser::parse_x509_certificate(&zscaler).unwrap();
        let (_, c) = x509_parser::parse_x509_certificate(&corp).unwrap();
        let rule = |host: &str, vouched: bool, differs: bool| {
            judge([c.subject()], host, || vouched, differs).map(|i| (i.product, i.rule))
        };
        // A named product wins even where the user vouched.
        let named = judge([z.subject()], "good.test", || true, false);
        assert_eq!(
            named.map(|i| (i.product, i.rule)),
            Some((Some("Zscaler"), Rule::NamedProduct))
        );
        assert_eq!(rule("api.openai.com", true, true), None);
        assert_eq!(
            rule("api.openai.com", false, true),
            Some((None, Rule::PublicService))
        );
        assert_eq!(rule("good.test", false, true), Some((None, Rule::Resigned)));
        assert_eq!(rule("good.test", false, false), None);
        assert!(needs_comparison([c.subject()], "good.test", || false));
        assert!(!needs_comparison([c.subject()], "good.test", || true));
        assert!(!needs_comparison([c.subject()], "api.openai.com", || false));
        assert!(!needs_comparison([z.subject()], "good.test", || false));
    }

    #[test]
    fn public_service_hosts() {
        for h in [
            "api.openai.com",
            "myres.openai.azure.com",
            "myres.openai.azure.cn",
            "myres.cognitiveservices.azure.us",
            "westeurope.api.cognitive.microsoft.com",
            "westeurope.stt.speech.microsoft.com",
            "chinaeast2.tts.speech.azure.cn",
            "API.OpenAI.com.",
        ] {
            assert!(is_public_service_host(h), "{h}");
        }
        for h in [
            "good.test",
            "notopenai.com",
            "openai.com.evil.test",
            "speech.microsoft.com",
        ] {
            assert!(!is_public_service_host(h), "{h}");
        }
    }
}
