//! Turns a value tree into raw structs, collecting every type error and
//! unknown field rather than stopping at the first: each bad value is
//! recorded and removed, and decoding is tried again.

use super::document::Document;
use super::error::Issue;
use super::path::{FieldPath, Segment};
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment as SerdeSegment;
use std::collections::HashSet;

/// Fields that moved, and how to write them now.
const MOVED: [(&str, &str); 2] = [
    (
        "topic.max_block",
        "belongs to the block policy now: write policy = { block = { max_block = \"2s\" } }",
    ),
    (
        "topic.spill",
        "belongs to the spill policy now: write policy = { spill = { disk_capacity = 5000 } } \
         (with disk_capacity_bytes and read_latency as before)",
    ),
];

/// Enough passes for any hand-written file; each pass removes one value.
const MAX_PASSES: usize = 200;

/// Decodes `doc` into `T`. Returns the decoded value (when what remains
/// after removing bad values still decodes) and the problems found.
pub(super) fn decode<T: DeserializeOwned>(doc: &Document) -> (Option<T>, Vec<Issue>) {
    let mut value = doc.value.clone();
    let mut issues = Vec::new();
    let mut reported: HashSet<FieldPath> = HashSet::new();
    for _ in 0..MAX_PASSES {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(decoded) => return (Some(decoded), issues),
            Err(err) => err,
        };
        let mut path = convert(err.path());
        let raw = err.inner().to_string();
        let (field, mut message) = explain(&raw);
        if let Some((_, hint)) = MOVED.iter().find(|(p, _)| path.to_string() == *p)
            && raw.starts_with("unknown field")
        {
            message = (*hint).to_owned();
        }
        if let Some(field) = field {
            path = path.key(&field);
        }
        // A field missing because we removed it was reported already.
        // A value missing because we removed it (or its parent, or a child
        // whose removal left it malformed) was reported already.
        if !reported
            .iter()
            .any(|p| is_prefix(p, &path) || is_prefix(&path, p))
        {
            issues.push(Issue {
                origin: doc.locate(&path),
                path: path.to_string(),
                message,
            });
        }
        reported.insert(path.clone());
        // Remove the value, or, if it is absent, its parent, until something goes.
        while !path.remove(&mut value) {
            if !path.pop() {
                return (None, issues);
            }
            reported.insert(path.clone());
        }
    }
    (None, issues)
}

fn is_prefix(prefix: &FieldPath, path: &FieldPath) -> bool {
    path.segments().starts_with(prefix.segments())
}

fn convert(path: &serde_path_to_error::Path) -> FieldPath {
    let mut out = FieldPath::root();
    for seg in path.iter() {
        match seg {
            SerdeSegment::Seq { index } => out.push(Segment::Index(*index)),
            SerdeSegment::Map { key } => out.push(Segment::Key(key.clone())),
            SerdeSegment::Enum { variant } => out.push(Segment::Key(variant.clone())),
            SerdeSegment::Unknown => {}
        }
    }
    out
}

/// Rewrites serde's message as "what was expected (got what)"; for a
/// missing field also returns its name to extend the path (an unknown
/// field's path already ends with it).
fn explain(raw: &str) -> (Option<String>, String) {
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    let expected_list = |s: &str| {
        s.split_once(", expected ")
            .map(|(_, e)| e.replace('`', "\""))
    };
    if let Some(rest) = raw.strip_prefix("unknown field ") {
        let field = quoted(rest);
        let known = expected_list(rest).unwrap_or_else(|| "no fields here".into());
        let hint = field
            .as_deref()
            .and_then(|f| closest(f, &known))
            .map(|k| format!("; did you mean \"{k}\"?"))
            .unwrap_or_default();
        return (None, format!("unknown field{hint} (expected {known})"));
    }
    if let Some(rest) = raw.strip_prefix("missing field ") {
        return (quoted(rest), "required field is missing".to_owned());
    }
    if let Some(rest) = raw.strip_prefix("unknown variant ") {
        let got = quoted(rest).unwrap_or_default();
        let known = expected_list(rest).unwrap_or_default();
        let hint = closest(&got, &known)
            .map(|k| format!("; did you mean \"{k}\"?"))
            .unwrap_or_default();
        return (None, format!("expected {known} (got \"{got}\"){hint}"));
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = raw.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            let got = got.replace('`', "");
            return (
                None,
                format!("expected {} (got {got})", plain_type(expected)),
            );
        }
    }
    (None, raw.to_owned())
}

/// Rust type names in serde's messages, as a user would say them.
fn plain_type(expected: &str) -> &str {
    match expected {
        "map with a single key" => "exactly one kind here, such as { poisson = { … } }",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number >= 0",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        other => other,
    }
}

/// The known name within two edits of `field`, if any.
pub(super) fn closest(field: &str, known: &str) -> Option<String> {
    known
        .split(", ")
        .flat_map(|k| k.split(" or "))
        .map(|k| k.trim_start_matches("one of ").trim_matches('"'))
        .filter(|k| !k.is_empty())
        .map(|k| (edit_distance(field, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.to_owned())
}

/// Levenshtein distance: the edits that turn `a` into `b` (for "did you
/// mean" hints).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (prev + cost).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::document::Format;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        workers: u32,
        #[serde(default)]
        note: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        a: std::collections::BTreeMap<String, Inner>,
        #[serde(default)]
        b: u32,
    }

    fn run(text: &str) -> (Option<Outer>, Vec<Issue>) {
        decode::<Outer>(&Document::parse(text, Format::Toml).unwrap())
    }

    #[test]
    fn reports_every_problem_in_one_pass() {
        let text = "b = \"x\"\ntypo = 1\n[a.one]\nworkers = -1\n[a.two]\nworkers = 2\nnote = 3\n";
        let (_, issues) = run(text);
        let shown: Vec<String> = issues
            .iter()
            .map(|i| format!("{}: {}", i.path, i.message))
            .collect();
        assert_eq!(
            shown,
            [
                "a.one.workers: expected a whole number >= 0 (got integer -1)",
                "a.two.note: expected a string (got integer 3)",
                "b: expected a whole number >= 0 (got string \"x\")",
                "typo: unknown field (expected \"a\" or \"b\")",
            ]
        );
    }

    #[test]
    fn suggests_the_closest_known_field() {
        let (_, issues) = run("[a.one]\nworkers = 1\nworkrs = 2\n");
        assert_eq!(issues[0].path, "a.one.workrs");
        assert!(
            issues[0]
                .message
                .starts_with("unknown field; did you mean \"workers\"?"),
            "{}",
            issues[0].message
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_missing_required_field_is_one_problem() {
        let (decoded, issues) = run("[a.one]\nnote = \"n\"\n[a.two]\nworkers = 1\n");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].path, "a.one.workers");
        assert_eq!(issues[0].message, "required field is missing");
        // What is left still decodes, so later checks can run on it.
        assert!(decoded.is_some_and(|d| d.a.contains_key("two")));
    }
}
