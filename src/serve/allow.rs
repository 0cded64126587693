//! The allow-list of `[serve] allow`: the target hosts `/probe` may reach,
//! as globs (`*.openai.azure.com`, `api.openai.com`, `127.0.0.1`).
//!
//! A glob matches a host whole, ASCII case-insensitively; `*` stands for
//! any run of characters (dots included) and is the only wildcard. An
//! empty list allows nothing (then only the checks' own URLs are probed).

/// Whether `host` matches one of `globs`.
pub(crate) fn allows(globs: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    globs.iter().any(|g| {
        matches(
            g.trim_end_matches('.').to_ascii_lowercase().as_bytes(),
            host.as_bytes(),
        )
    })
}

/// Glob match with `*` only: the classic greedy algorithm with one
/// backtrack point, linear in practice.
fn matches(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && glob[g] == b'*' {
            star = Some((g, t));
            g += 1;
        } else if g < glob.len() && glob[g] == text[t] {
            g += 1;
            t += 1;
        } else if let Some((sg, st)) = star {
            g = sg + 1;
            t = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::allows;

    fn list(globs: &[&str]) -> Vec<String> {
        globs.iter().map(|g| (*g).to_owned()).collect()
    }

    #[test]
    fn globs_match_whole_hosts() {
        let l = list(&["*.openai.azure.com", "api.openai.com"]);
        assert!(allows(&l, "x.openai.azure.com"));
        assert!(allows(&l, "a.b.openai.azure.com"));
        assert!(allows(&l, "API.OpenAI.com."));
        assert!(!allows(&l, "openai.azure.com"));
        assert!(!allows(&l, "x.openai.azure.com.evil.example"));
        assert!(!allows(&l, "api.openai.com.evil.example"));
        assert!(!allows(&l, "evilapi.openai.com"));
        assert!(!allows(&[], "api.openai.com"));
        assert!(allows(&list(&["*"]), "anything"));
        assert!(allows(&list(&["127.0.0.*"]), "127.0.0.1"));
    }
}
