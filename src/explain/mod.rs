//! `netdoctor explain TEXT|-`: which layers can cause an error message a
//! client printed, most likely first, and the netdoctor command that tells
//! them apart.
//!
//! Pure: text in, an [`Explanation`] out; rendering is `report::explain`.
//!
//! One catalogue: every code's `client_errors` (`diagnosis.rs`) are searched,
//! line by line, with the same rule the client tests use (the literal pieces
//! of a string in order, each `<placeholder>` standing for at least one
//! character, Python's ` (_ssl.c:NNNN)` suffix ignored). Beside them,
//! [`RULES`] holds what is not (yet) the `client_errors` of one code: bare
//! tokens (`ECONNREFUSED`, `curl: (60)`), wrappers that hide their cause
//! (`APIConnectionError: Connection error.`), and strings that several
//! layers print (the Speech SDK's `code=2859`), each with its causes in order
//! of likelihood.
//!
//! Ranking: a more specific match (more literal characters) comes first, and
//! hides a less specific one whose text it contains (`self-signed certificate
//! in certificate chain` hides `self-signed certificate`); at equal
//! specificity a rule comes before the catalogue (a rule that copies a
//! catalogue string exists to order its causes), and catalogue codes whose
//! default severity is `fail` before `warn` ones. A wrapper rule
//! (`generic`) only counts when nothing more specific is left anywhere in
//! the text: in a traceback the underlying error wins.

mod rules;

use crate::diagnosis::{Code, Layer, Status};
pub use rules::{Cause, Rule, RULES};
use rules::{IO_OPEN_FAILED, MEANINGS};
use serde::Serialize;
use url::Url;

/// How much of stdin `explain -` reads (1 MiB); the rest is ignored.
pub const MAX_INPUT: usize = 1 << 20;

/// One way the pasted text can arise.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The diagnosis code netdoctor reports for this cause.
    pub code: String,
    pub layer: Layer,
    /// What this cause means.
    pub why: String,
    /// The catalogue's fix for the code, when the code is in the catalogue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    /// The netdoctor command that tells this cause from the others.
    pub command: String,
    /// The catalogue or rule string that matched.
    pub pattern: &'static str,
    /// The input line it matched (secrets masked, cut to 300 characters).
    pub evidence: String,
}

/// What `explain` found.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The causes, most likely first; empty when nothing matched.
    pub matches: Vec<Match>,
    /// The command to run next (also for unknown text).
    pub command: String,
    /// Which client printed it, when the text says (`azure-speech`, `openai`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<&'static str>,
    /// A note about the service (its preset, its quirks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

// The matcher (the one `tests/it/clients.rs` uses for real clients' output)

/// Python appends the C source line of its build to every `ssl` error
/// (` (_ssl.c:1006)`); the catalogue leaves it out. Removes every occurrence.
pub fn strip_ssl_c_suffix(line: &str) -> String {
    const MARK: &str = " (_ssl.c:";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            out.push_str(&rest[..at]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..at + MARK.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A catalogue string split at its `<name>` placeholders: the literal pieces
/// (one more than the placeholders) and the placeholder names. A `<` that
/// does not open such a placeholder is literal text.
fn split_pattern(pattern: &str) -> (Vec<&str>, Vec<&str>) {
    let mut pieces = Vec::new();
    let mut names = Vec::new();
    let mut start = 0;
    let mut search = 0;
    while let Some(rel) = pattern[search..].find('<') {
        let open = search + rel;
        let close = pattern[open + 1..].find('>').and_then(|len| {
            let name = &pattern[open + 1..open + 1 + len];
            (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then_some((name, open + 1 + len + 1))
        });
        match close {
            Some((name, end)) => {
                pieces.push(&pattern[start..open]);
                names.push(name);
                start = end;
                search = end;
            }
            None => search = open + 1,
        }
    }
    pieces.push(&pattern[start..]);
    (pieces, names)
}

/// Matches `pattern` against one line (already stripped of Python's suffix):
/// the literal pieces in order, each placeholder at least one character.
/// Returns the placeholders' values.
fn match_line<'p>(pattern: &'p str, line: &str) -> Option<Vec<(&'p str, String)>> {
    // Cheap test first: the text before the first `<` is in any match.
    let head = &pattern[..pattern.find('<').unwrap_or(pattern.len())];
    if !line.contains(head) {
        return None;
    }
    let (pieces, names) = split_pattern(pattern);
    let mut captures = Vec::with_capacity(names.len());
    let mut pos = 0;
    for (i, piece) in pieces.iter().enumerate() {
        if i == 0 {
            let at = line.find(piece)?;
            pos = at + piece.len();
            continue;
        }
        let value_start = pos;
        pos += line[pos..].chars().next()?.len_utf8();
        let at = if piece.is_empty() && i == pieces.len() - 1 {
            line.len() - pos
        } else {
            line[pos..].find(piece)?
        };
        captures.push((names[i - 1], line[value_start..pos + at].to_owned()));
        pos += at + piece.len();
    }
    Some(captures)
}

/// Whether a client's output `line` shows the catalogue string `pattern`.
pub fn matches(pattern: &str, line: &str) -> bool {
    match_line(pattern, &strip_ssl_c_suffix(line)).is_some()
}

/// How specific a pattern is: its literal characters.
fn specificity(pattern: &str) -> usize {
    split_pattern(pattern).0.iter().map(|p| p.len()).sum()
}

// ---------------------------------------------------------------------------
// Explaining

/// Which client printed the text, guessed from words only it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Speech,
    OpenAi,
}

impl Service {
    fn detect(text: &str) -> Option<Service> {
        const SPEECH: &[&str] = &[
            IO_OPEN_FAILED,
            "azure-c-shared",
            "HTTP platform singleton",
            "SPXERR_",
            "tlsio_openssl",
            "Error loading CRL from",
            "CRL check may fail",
            "No CRL could be retrieved",
            "WebSocket upgrade failed:",
            "CancellationErrorCode",
            "CancellationReason",
            "azure.cognitiveservices.speech",
            "speech.microsoft.com",
            "speechsdk",
        ];
        let lower = text.to_ascii_lowercase();
        if SPEECH
            .iter()
            .any(|w| lower.contains(&w.to_ascii_lowercase()))
        {
            Some(Service::Speech)
        } else if lower.contains("openai") {
            Some(Service::OpenAi)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Speech => "azure-speech",
            Service::OpenAi => "openai",
        }
    }

    fn note(self) -> &'static str {
        match self {
            Service::Speech => "the Azure Speech SDK prints the same WS_OPEN_ERROR for every DNS, TCP, proxy, TLS and certificate fault, and ignores HTTPS_PROXY (set a proxy with SpeechConfig.set_proxy(host, port)); `netdoctor azure-speech --region REGION` probes the SDK's STT, TTS and token endpoints with its own paths and headers",
            Service::OpenAi => "the openai SDK (httpx) wraps every connection fault in APIConnectionError: the lines above it in the traceback name the real one; `netdoctor openai` and `netdoctor azure-openai --endpoint URL --deployment D` probe the API as the SDK calls it",
        }
    }

    fn default_url(self) -> &'static str {
        match self {
            Service::Speech => "wss://REGION.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1?language=en-US",
            Service::OpenAi => "https://api.openai.com/v1/models",
        }
    }
}

/// One matched pattern, before ranking.
struct Candidate<'a> {
    pattern: &'static str,
    specificity: usize,
    /// 0 for a rule, 1 for a catalogue `fail` code, 2 for a catalogue `warn`.
    rank: u8,
    order: usize,
    generic: bool,
    causes: Vec<(String, Layer, String, Option<&'static str>)>,
    line: &'a str,
    captures: Vec<(&'static str, String)>,
}

/// The catalogue's fix for a code; `None` for a code the catalogue does not
/// (yet) carry, such as a DESIGN code a rule names before its entry lands:
/// the match then shows what it means and its command, without a fix.
fn hint_of(code: &str) -> Option<&'static str> {
    code_named(code).map(|c| c.entry().hint)
}

/// The catalogue code with this name, if the catalogue has it.
pub fn code_named(name: &str) -> Option<Code> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Explains `text`: every line is matched against the catalogue and the rules.
pub fn explain(text: &str) -> Explanation {
    let lines: Vec<(String, &str)> = text.lines().map(|l| (strip_ssl_c_suffix(l), l)).collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (stripped, raw) in lines.iter().filter(|(s, _)| !s.trim().is_empty()) {
        rule_candidates(stripped, raw, &mut candidates);
        catalogue_candidates(stripped, raw, &mut candidates);
    }
    let kept = rank(candidates);
    let service = Service::detect(text);
    let url = target_url(text, &kept, service);
    let commands = Commands {
        check: format!("netdoctor check {}", shell_quote(&url)),
        speech: speech_command(text),
        stream: stream_command(text),
    };
    let matches = matches_of(&kept, &commands);
    // The service's note is about the network path: moot when every cause
    // is the install (`netdoctor env`).
    let on_path = matches.is_empty() || matches.iter().any(|m| m.layer != Layer::Env);
    Explanation {
        matches,
        command: commands.check,
        service: service.map(Service::name),
        note: service.filter(|_| on_path).map(Service::note),
    }
}

/// The netdoctor commands a match can send to, by what tells its causes apart.
struct Commands {
    /// `netdoctor check URL`: the layers of one connection.
    check: String,
    /// `netdoctor azure-speech …`: the only run with the revocation check.
    speech: String,
    /// `netdoctor openai --stream` (or `azure-openai … --stream`): reads a
    /// streamed completion to its end.
    stream: String,
}

impl Commands {
    /// The command for a cause: the offline look for the install
    /// (`env`), the Speech preset for revocation (only its targets fetch
    /// CRLs), `--stream` for the stream layer, else `check`.
    fn of(&self, code: &str, layer: Layer) -> &str {
        match layer {
            Layer::Env => "netdoctor env",
            Layer::Stream => &self.stream,
            _ if code == "CERT_REVOCATION_UNREACHABLE" => &self.speech,
            _ => &self.check,
        }
    }
}

/// `netdoctor azure-speech` with the region (or custom domain) the text
/// names, else a `REGION` placeholder.
fn speech_command(text: &str) -> String {
    for url in text.lines().filter_map(first_url) {
        let Some(host) = Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
        else {
            continue;
        };
        for suffix in [".stt.speech.microsoft.com", ".tts.speech.microsoft.com"] {
            if let Some(region) = host
                .strip_suffix(suffix)
                .filter(|r| clean_host(r).is_some())
            {
                return format!("netdoctor azure-speech --region {}", shell_quote(region));
            }
        }
        if host.ends_with(".cognitiveservices.azure.com") {
            return format!("netdoctor azure-speech --endpoint https://{host}");
        }
    }
    "netdoctor azure-speech --region REGION".to_owned()
}

/// `netdoctor openai --stream`, or `azure-openai … --stream` when the text
/// is about Azure OpenAI (with its endpoint when it names one).
fn stream_command(text: &str) -> String {
    let azure_host = text.lines().filter_map(first_url).find_map(|u| {
        let host = Url::parse(&u).ok()?.host_str()?.to_owned();
        host.ends_with(".openai.azure.com").then_some(host)
    });
    if let Some(host) = azure_host {
        return format!(
            "netdoctor azure-openai --endpoint https://{host} --deployment DEPLOYMENT --stream"
        );
    }
    let lower = text.to_ascii_lowercase();
    if [
        "azureopenai",
        "azure_openai",
        "openai.azure.com",
        "azure_endpoint",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        return "netdoctor azure-openai --endpoint URL --deployment DEPLOYMENT --stream".to_owned();
    }
    "netdoctor openai --stream".to_owned()
}

/// The rules that match a line (`stripped`, from the input line `raw`).
fn rule_candidates<'a>(stripped: &str, raw: &'a str, out: &mut Vec<Candidate<'a>>) {
    for (order, rule) in RULES.iter().enumerate() {
        if let Some(captures) = match_line(rule.pattern, stripped) {
            out.push(Candidate {
                pattern: rule.pattern,
                specificity: specificity(rule.pattern),
                rank: 0,
                order,
                generic: rule.generic,
                causes: rule
                    .causes
                    .iter()
                    .map(|c| {
                        (
                            c.code.to_owned(),
                            c.layer,
                            c.why.to_owned(),
                            hint_of(c.code),
                        )
                    })
                    .collect(),
                line: raw,
                captures,
            });
        }
    }
}

/// The catalogue's `client_errors` that match a line.
fn catalogue_candidates<'a>(stripped: &str, raw: &'a str, out: &mut Vec<Candidate<'a>>) {
    for (order, &code) in Code::ALL.iter().enumerate() {
        let entry = code.entry();
        for &pattern in entry.client_errors {
            if let Some(captures) = match_line(pattern, stripped) {
                out.push(Candidate {
                    pattern,
                    specificity: specificity(pattern),
                    rank: if entry.severity == Status::Fail { 1 } else { 2 },
                    order,
                    generic: false,
                    causes: vec![(
                        code.as_str(),
                        entry.layer,
                        MEANINGS
                            .iter()
                            .find(|m| m.code == code.as_str())
                            .map_or(entry.hint, |m| m.why)
                            .to_owned(),
                        Some(entry.hint),
                    )],
                    line: raw,
                    captures,
                });
            }
        }
    }
}

/// The candidates that count, most likely first: hidden and (when anything
/// specific matched) generic ones dropped.
fn rank(candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    // A match hides a less specific one whose text it contains (at equal
    // specificity, a rule hides the catalogue string it copies). Decided once
    // per distinct pattern: a long paste repeats the same few on many lines,
    // and comparing every candidate with every other was quadratic in them.
    let mut kinds: Vec<(&'static str, usize, u8)> = candidates
        .iter()
        .map(|c| (c.pattern, c.specificity, c.rank))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let hidden: Vec<bool> = kinds
        .iter()
        .map(|&(pattern, specificity, rank)| {
            let pieces = split_pattern(pattern).0;
            kinds.iter().any(|&(other, other_specificity, other_rank)| {
                let stronger = other_specificity > specificity
                    || (other_specificity == specificity && other_rank == 0 && rank > 0);
                stronger && pieces.iter().all(|p| other.contains(p))
            })
        })
        .collect();
    let is_hidden = |c: &Candidate<'_>| {
        kinds
            .binary_search(&(c.pattern, c.specificity, c.rank))
            .is_ok_and(|i| hidden[i])
    };
    let mut kept: Vec<Candidate> = candidates.into_iter().filter(|c| !is_hidden(c)).collect();
    // A wrapper only counts when nothing specific matched.
    if kept.iter().any(|c| !c.generic) {
        kept.retain(|c| !c.generic);
    }
    kept.sort_by(|a, b| {
        b.specificity
            .cmp(&a.specificity)
            .then(a.rank.cmp(&b.rank))
            .then(a.order.cmp(&b.order))
    });
    kept
}

/// One match per code, in the candidates' order, each with the command
/// that tells it from the others ([`Commands::of`]).
fn matches_of(kept: &[Candidate<'_>], commands: &Commands) -> Vec<Match> {
    let mut matches: Vec<Match> = Vec::new();
    for c in kept {
        for (code, layer, why, hint) in &c.causes {
            if matches.iter().any(|m| &m.code == code) {
                continue;
            }
            matches.push(Match {
                code: code.clone(),
                layer: *layer,
                why: why.clone(),
                hint: *hint,
                command: commands.of(code, *layer).to_owned(),
                pattern: c.pattern,
                evidence: evidence(c.line),
            });
        }
    }
    matches
}

/// Hosts of documentation links that tracebacks print (never the target).
const DOC_HOSTS: &[&str] = &[
    "readthedocs.io",
    "aka.ms",
    "python.org",
    "github.com",
    "microsoft.com/",
    "learn.microsoft.com",
    "nodejs.org",
    "curl.se",
    "pydantic.dev",
];

/// The URL to probe: one in a matched line, else a host a pattern captured
/// or a `host='…', port=N` of urllib3, else any URL in the text, else the
/// service's or a placeholder.
fn target_url(text: &str, kept: &[Candidate], service: Option<Service>) -> String {
    let from_lines = kept.iter().find_map(|c| first_url(c.line));
    if let Some(u) = from_lines {
        return u;
    }
    let captured = kept.iter().find_map(|c| {
        let host = c
            .captures
            .iter()
            .find(|(n, _)| *n == "host" || *n == "ip")?;
        let host = clean_host(&host.1)?;
        let port = c
            .captures
            .iter()
            .find(|(n, _)| *n == "port")
            .and_then(|(_, p)| p.trim().parse::<u16>().ok());
        Some((host, port))
    });
    if let Some((host, port)) = captured.or_else(|| urllib3_host(text)) {
        return host_url(&host, port, service);
    }
    if let Some(u) = text.lines().find_map(first_url) {
        return u;
    }
    service
        .map_or("https://HOST/", Service::default_url)
        .to_owned()
}

fn host_url(host: &str, port: Option<u16>, service: Option<Service>) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    match port {
        Some(80) => format!("http://{host}/"),
        Some(443) | None => match service {
            Some(Service::OpenAi) if host.contains("openai") => format!("https://{host}/v1/models"),
            _ => format!("https://{host}/"),
        },
        Some(p) => format!("https://{host}:{p}/"),
    }
}

/// A host name or address as a client printed it, without quotes and
/// trailing punctuation; `None` when it does not look like one.
fn clean_host(raw: &str) -> Option<String> {
    let token = raw.split_whitespace().next()?;
    let host = token.trim_matches(|c: char| "'\"`()[]<>,;.".contains(c));
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    ok.then(|| host.to_owned())
}

/// urllib3's `HTTPSConnectionPool(host='api.openai.com', port=443)`.
fn urllib3_host(text: &str) -> Option<(String, Option<u16>)> {
    let at = text.find("ConnectionPool(host='")?;
    let rest = &text[at + "ConnectionPool(host='".len()..];
    let host = clean_host(&rest[..rest.find('\'')?])?;
    let port = rest
        .split_once("port=")
        .and_then(|(_, p)| p.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    Some((host, port))
}

/// The first probeable URL in a line (redacted), skipping documentation
/// links and CRLs.
fn first_url(line: &str) -> Option<String> {
    for scheme in ["wss://", "https://", "ws://", "http://"] {
        let mut search = 0;
        while let Some(rel) = line[search..].find(scheme) {
            let start = search + rel;
            search = start + scheme.len();
            let end = line[start..]
                .find(|c: char| c.is_whitespace() || "'\"`<>)]},".contains(c))
                .map_or(line.len(), |e| start + e);
            let raw = line[start..end].trim_end_matches(['.', ':', ';']);
            if DOC_HOSTS.iter().any(|d| raw.contains(d)) && !raw.contains("speech.microsoft.com") {
                continue;
            }
            // A CRL the Speech SDK could not load is not the target.
            if raw.to_ascii_lowercase().ends_with(".crl") {
                continue;
            }
            if let Ok(u) = Url::parse(raw) {
                if u.host_str().is_some_and(|h| clean_host(h).is_some()) {
                    return Some(crate::redact::url(&u));
                }
            }
        }
    }
    None
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_quote(arg: &str) -> String {
    if arg
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:/=@%+,".contains(&b))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The matched input line, trimmed, with secrets masked and cut to 300 characters.
fn evidence(line: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut mask_next = false;
    for word in line.split_whitespace() {
        let masked = if mask_next {
            crate::redact::MASK.to_owned()
        } else if word.contains("://") {
            crate::redact::text(word)
        } else if word.starts_with("sk-") {
            crate::redact::MASK.to_owned()
        } else if let Some((k, _)) = word.split_once('=').filter(|(k, v)| {
            let k = k.trim_start_matches(['?', '&', '\'', '"', '(']);
            // The Speech SDK's `(code=2859:` is an error number, not a secret.
            let errno = k == "code" && v.starts_with(|c: char| c == '-' || c.is_ascii_digit());
            crate::redact::is_secret_param(k) && !errno
        }) {
            format!("{k}={}", crate::redact::MASK)
        } else {
            word.to_owned()
        };
        mask_next = word.eq_ignore_ascii_case("bearer")
            || word.to_ascii_lowercase().ends_with("key:")
            || word.eq_ignore_ascii_case("api-key:");
        out.push(masked);
    }
    crate::redact::terminal_safe(&out.join(" "), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_placeholders() {
        let c = match_line(
            "curl: (7) Failed to connect to <host> port <port> after <N> ms: Couldn't connect to server",
            "curl: (7) Failed to connect to api.test port 8443 after 3 ms: Couldn't connect to server",
        )
        .unwrap();
        assert_eq!(c[0], ("host", "api.test".to_owned()));
        assert_eq!(c[1], ("port", "8443".to_owned()));
        assert!(match_line("getaddrinfo ENOTFOUND <host>", "getaddrinfo ENOTFOUND ").is_none());
    }

    /// A code's prefix (`ENV_`, `CERT_`): the same for every code of a layer.
    fn prefix(code: &str) -> &str {
        &code[..=code.find('_').unwrap_or(0)]
    }

    #[test]
    fn rule_causes_agree_with_the_catalogue_layer() {
        for rule in RULES {
            for cause in rule.causes {
                if let Some(code) = code_named(cause.code) {
                    assert_eq!(code.entry().layer, cause.layer, "{}", cause.code);
                    continue;
                }
                // A DESIGN code the catalogue does not carry yet: named
                // like the catalogue's codes of its layer.
                let same_layer = Code::ALL.iter().find(|c| c.entry().layer == cause.layer);
                assert!(
                    same_layer.is_some_and(|c| prefix(&c.as_str()) == prefix(cause.code)),
                    "{} is not in the catalogue and not named like a {} code",
                    cause.code,
                    cause.layer.name()
                );
            }
        }
    }

    #[test]
    fn a_code_outside_the_catalogue_has_no_hint_but_a_command() {
        assert_eq!(hint_of("ENV_NOT_A_REAL_CODE"), None);
        let e =
            explain("TypeError: Client.__init__() got an unexpected keyword argument 'proxies'");
        let m = &e.matches[0];
        assert_eq!(m.code, "ENV_CLIENT_VERSION_CONFLICT");
        assert_eq!(m.layer, Layer::Env);
        assert_eq!(m.command, "netdoctor env");
        assert_eq!(m.hint, hint_of("ENV_CLIENT_VERSION_CONFLICT"));
        assert!(!m.why.is_empty());
    }

    #[test]
    fn commands_follow_the_layer_and_the_code() {
        let c = Commands {
            check: "netdoctor check https://HOST/".to_owned(),
            speech: speech_command(""),
            stream: stream_command(""),
        };
        assert_eq!(c.of("ENV_OPENSSL_MISSING", Layer::Env), "netdoctor env");
        assert_eq!(
            c.of("CERT_REVOCATION_UNREACHABLE", Layer::Certificate),
            "netdoctor azure-speech --region REGION"
        );
        assert_eq!(
            c.of("STREAM_TRUNCATED", Layer::Stream),
            "netdoctor openai --stream"
        );
        assert_eq!(
            c.of("CERT_EXPIRED", Layer::Certificate),
            "netdoctor check https://HOST/"
        );
        assert_eq!(
            speech_command("wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1"),
            "netdoctor azure-speech --region westeurope"
        );
        assert_eq!(
            speech_command(
                "POST https://my-speech.cognitiveservices.azure.com/sts/v1.0/issueToken"
            ),
            "netdoctor azure-speech --endpoint https://my-speech.cognitiveservices.azure.com"
        );
        assert_eq!(
            stream_command("POST https://my-aoai.openai.azure.com/openai/deployments/gpt/chat/completions?api-version=2024-06-01"),
            "netdoctor azure-openai --endpoint https://my-aoai.openai.azure.com --deployment DEPLOYMENT --stream"
        );
        assert_eq!(
            stream_command("client = AzureOpenAI(azure_endpoint=endpoint)"),
            "netdoctor azure-openai --endpoint URL --deployment DEPLOYMENT --stream"
        );
    }

    /// The Speech SDK's `RuntimeError` from a constructor: the message is
    /// the last line, after the native call stack (docs/client-errors.md).
    #[test]
    fn a_speech_traceback_is_read_to_its_last_line() {
        let paste = "RuntimeError: Exception with error code: \n[CALL STACK BEGIN]\n\n/app/.venv/lib/python3.11/site-packages/azure/cognitiveservices/speech/libMicrosoft.CognitiveServices.Speech.core.so(+0x88044) [0x7fbfa8488044]\n/lib/x86_64-linux-gnu/libffi.so.8(ffi_call+0xcd) [0x7fbfa97c0b0d]\n[CALL STACK END]\n\nFailed to get HTTP platform singleton instance. Error: 27";
        let e = explain(paste);
        let codes: Vec<&str> = e.matches.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["ENV_SPEECH_SDK_INCOMPLETE", "ENV_OPENSSL_MISSING"]);
        assert!(e.matches[0]
            .evidence
            .starts_with("Failed to get HTTP platform"));
        assert_eq!(e.service, Some("azure-speech"));
        assert_eq!(e.note, None, "the path's note is moot for install faults");
    }

    #[test]
    fn secrets_are_masked_in_evidence() {
        let e = evidence(
            "GET https://x.test/v1?api-key=abc Authorization: Bearer sk-123 subscription-key=zzz",
        );
        assert!(
            !e.contains("abc") && !e.contains("sk-123") && !e.contains("zzz"),
            "{e}"
        );
    }
}
