//! A strict parser of the Prometheus text exposition (format 0.0.4), for
//! reading `--format prometheus` back: every line a `# HELP`, a `# TYPE` or
//! a sample; label values unescaped (`\\`, `\"`, `\n`); each family
//! described once, before its samples, and its samples together; no series
//! twice. Anything else is an error naming the line.

// The values compared are whole numbers (1, 0, 200, a timestamp) that the
// exposition writes exactly: equality is the check.
#![allow(clippy::float_cmp)]

use std::collections::{BTreeMap, HashMap, HashSet};

/// One sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub metric: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Each family's HELP text.
    pub help: HashMap<String, String>,
    /// Each family's TYPE.
    pub types: HashMap<String, String>,
    pub samples: Vec<Sample>,
}

/// Whether `s` is a metric or label name.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `text` strictly.
pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut e = Exposition::default();
    let mut done: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut series = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: &str| format!("line {}: {why}: {line:?}", i + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest
                .split_once(' ')
                .ok_or_else(|| at("HELP without text"))?;
            if !is_name(name) || e.help.insert(name.into(), help.into()).is_some() {
                return Err(at("a bad or second HELP"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| at("TYPE without type"))?;
            let known = ["counter", "gauge", "histogram", "summary", "untyped"];
            if !is_name(name) || !known.contains(&kind) || done.contains(name) {
                return Err(at("a bad or second TYPE"));
            }
            e.types.insert(name.into(), kind.into());
            if let Some(previous) = current.replace(name.into()) {
                done.insert(previous);
            }
            continue;
        }
        let sample = sample(line).map_err(|why| at(&why))?;
        if current.as_deref() != Some(sample.metric.as_str()) {
            return Err(at("a sample outside its family's block"));
        }
        if !series.insert((sample.metric.clone(), sample.labels.clone())) {
            return Err(at("a series twice"));
        }
        e.samples.push(sample);
    }
    Ok(e)
}

/// One sample line: `name{label="value",...} value [timestamp]`.
fn sample(line: &str) -> Result<Sample, String> {
    let end = line.find(['{', ' ']).ok_or("no value")?;
    let metric = &line[..end];
    if !is_name(metric) {
        return Err("a bad metric name".into());
    }
    let mut rest = &line[end..];
    let mut labels = BTreeMap::new();
    if let Some(body) = rest.strip_prefix('{') {
        rest = label_set(body, &mut labels)?;
    }
    let mut fields = rest
        .strip_prefix(' ')
        .ok_or("no space before the value")?
        .split(' ');
    let value = match fields.next().ok_or("no value")? {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("a bad value {v:?}"))?,
    };
    if let Some(ts) = fields.next() {
        ts.parse::<i64>().map_err(|_| "a bad timestamp")?;
    }
    if fields.next().is_some() {
        return Err("more after the timestamp".into());
    }
    Ok(Sample {
        metric: metric.into(),
        labels,
        value,
    })
}

/// Reads `name="value",...}` into `labels`; returns what follows the `}`.
fn label_set<'a>(mut s: &'a str, labels: &mut BTreeMap<String, String>) -> Result<&'a str, String> {
    loop {
        if let Some(after) = s.strip_prefix('}') {
            return Ok(after);
        }
        let (name, after) = s.split_once("=\"").ok_or("a label without =\"")?;
        if !is_name(name) {
            return Err(format!("a bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let close = loop {
            match chars.next().ok_or("an unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("a lone backslash")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    c => return Err(format!("a bad escape \\{c}")),
                },
                (_, c) => value.push(c),
            }
        };
        if labels.insert(name.into(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        s = &after[close + 1..];
        s = s.strip_prefix(',').unwrap_or(s);
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_escapes_and_refuses_what_is_not_the_format() {
        let text = "# HELP a_b x\n# TYPE a_b gauge\na_b{t=\"q=1,r\\\"\\\\\"} 1\na_b 2.5\n";
        let e = parse(text).expect("parse");
        assert_eq!(e.samples[0].labels["t"], "q=1,r\"\\");
        assert_eq!(e.samples[1].value, 2.5);
        for bad in [
            "a 1\n",
            "# TYPE a gauge\na{t=\"x} 1\n",
            "# TYPE a gauge\na 1\na 2\n",
            "# TYPE a gauge\n# TYPE b gauge\na 1\n",
            "# TYPE a gauge\na{t=x} 1\n",
            "# TYPE a gauge\n\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
