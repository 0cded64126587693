//! `/etc/hosts`: one parser for the dns stage (which answers from it) and
//! the env look (which reports the public names it pins), so that the two
//! cannot disagree about what the file says.

use std::net::IpAddr;

/// The entries of a hosts file: address, then its names (lowercased); `#`
/// starts a comment; a line without an address or without names is skipped.
pub fn parse(text: &str) -> Vec<(IpAddr, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            let names: Vec<String> = words.map(str::to_ascii_lowercase).collect();
            (!names.is_empty()).then_some((ip, names))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn hosts_file_parsing() {
        let h = parse("127.0.0.1 localhost Local # c\n# x\n::1 ip6-localhost\nbad line\n");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].1, vec!["localhost", "local"]);
    }
}
