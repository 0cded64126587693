//! Who re-signs TLS: the interception catalogue and the public service hosts
//! (DESIGN "Trust: whose view counts", `CERT_INTERCEPTED`).
//!
//! TLS-inspecting proxies and antivirus products sign the certificates they
//! forge with a CA whose name gives them away. The catalogue matches the
//! common name, organisation and organisational unit of every certificate
//! of a chain (and its issuer) against each product's naming, case-blind.
//! A public service host (the presets' host families) never uses a private
//! CA, so a chain for one that anchors elsewhere than in a public root is
//! re-signed, unless the user vouched for its CA with `--cacert`.

use x509_parser::x509::X509Name;

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
