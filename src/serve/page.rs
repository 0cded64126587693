//! The landing page (`/`): the modules, and the last probes with their
//! result, diagnosis code and a link to each probe's JSON report. Every
//! piece of text is HTML-escaped (module names come from the check file,
//! targets from whoever scrapes); targets are shown redacted.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;

/// How many probes the page remembers.
const KEPT: usize = 100;

/// One probe, as the page lists it.
pub(crate) struct Entry {
    /// Seconds since the Unix epoch when it ended.
    pub(crate) at: u64,
    pub(crate) module: Option<String>,
    /// The redacted target URL (none: the module's own).
    pub(crate) target: Option<String>,
    pub(crate) success: bool,
    pub(crate) code: String,
    pub(crate) seconds: f64,
}

/// The last [`KEPT`] probes, newest last.
#[derive(Default)]
pub(crate) struct History(Mutex<VecDeque<Entry>>);

impl History {
    /// Remembers a probe, forgetting the oldest beyond [`KEPT`].
    pub(crate) fn push(&self, entry: Entry) {
        let mut list = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if list.len() == KEPT {
            list.pop_front();
        }
        list.push_back(entry);
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `/probe?…&format=json` for a module and a target, query-encoded.
fn json_link(module: Option<&str>, target: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(t) = target {
        query.append_pair("target", t);
    }
    if let Some(m) = module {
        query.append_pair("module", m);
    }
    query.append_pair("format", "json");
    format!("/probe?{}", query.finish())
}

/// The page.
pub(crate) fn render(modules: &[String], history: &History) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>netdoctor serve</title></head>\n\
         <body><h1>netdoctor serve</h1>\n<p><a href=\"/metrics\">/metrics</a> · \
         <a href=\"/-/healthy\">/-/healthy</a></p>\n<h2>Modules</h2>\n<ul>\n",
    );
    for m in modules {
        let link = json_link(Some(m), None);
        let _ = writeln!(
            html,
            "<li><a href=\"{}\">{}</a></li>",
            escape(&link),
            escape(m)
        );
    }
    html.push_str("</ul>\n<h2>Last probes</h2>\n<table>\n<tr><th>ended (unix)</th><th>module</th><th>target</th><th>result</th><th>code</th><th>seconds</th><th>report</th></tr>\n");
    let list = history
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for e in list.iter().rev() {
        let link = json_link(e.module.as_deref(), e.target.as_deref());
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td><a href=\"{}\">json</a></td></tr>",
            e.at,
            escape(e.module.as_deref().unwrap_or("")),
            escape(e.target.as_deref().unwrap_or("")),
            if e.success { "success" } else { "failure" },
            escape(&e.code),
            e.seconds,
            escape(&link),
        );
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        let history = History::default();
        history.push(Entry {
            at: 1,
            module: Some("<script>x</script>".into()),
            target: Some("https://h/?a=\"'><b>".into()),
            success: false,
            code: "TCP_REFUSED".into(),
            seconds: 0.5,
        });
        let page = render(&["<img src=x onerror=alert(1)>".to_owned()], &history);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("'><b>"), "{page}");
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"), "{page}");
    }

    #[test]
    fn history_keeps_the_last_hundred() {
        let history = History::default();
        for i in 0..150 {
            history.push(Entry {
                at: i,
                module: None,
                target: None,
                success: true,
                code: "none".into(),
                seconds: 0.0,
            });
        }
        let list = history.0.lock().unwrap();
        assert_eq!(list.len(), KEPT);
        assert_eq!(list.front().map(|e| e.at), Some(50));
    }
}
