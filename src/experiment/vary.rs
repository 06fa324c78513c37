//! `--vary path=VALUES`: one scenario field and the values a sweep gives it.
//!
//! VALUES is a comma list (`1,2,4`, `reject,drop_oldest`, `"250ms","1s"`),
//! an inclusive integer range (`1..32`), a range with a step (`1..32:4`), or
//! the powers of two in a range (`log:1..1024`). List items are read like
//! `--set` values: TOML if they parse, else plain strings.

use crate::scenario::{FieldPath, parse_value};
use serde_json::Value;

/// Most values one `--vary` may list (a guard against typos like `1..1e9`).
pub const MAX_VALUES: usize = 100_000;

/// One varied field and its values, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The field, as in `--set`.
    pub path: FieldPath,
    /// The values, in the order written (cheapest first, for `plan`).
    pub values: Vec<Value>,
    /// The VALUES text as written.
    pub spec: String,
}

impl Vary {
    /// Parses `path=VALUES`.
    ///
    /// # Errors
    /// A message naming what is malformed and what was expected.
    ///
    /// ```
    /// use mqsim::experiment::Vary;
    /// let v = Vary::parse("groups.email.workers=log:1..16").unwrap();
    /// assert_eq!(v.path.to_string(), "groups.email.workers");
    /// assert_eq!(v.values, [1, 2, 4, 8, 16].map(serde_json::Value::from));
    /// ```
    pub fn parse(text: &str) -> Result<Vary, String> {
        let (path, spec) = text.split_once('=').ok_or_else(|| {
            format!("expected path=VALUES, e.g. groups.email.workers=1..8 (got \"{text}\")")
        })?;
        let path = FieldPath::parse(path.trim())?;
        let spec = spec.trim();
        Ok(Vary {
            path,
            values: parse_values(spec)?,
            spec: spec.to_owned(),
        })
    }
}

/// Parses VALUES into the list of values it stands for.
///
/// # Errors
/// A message naming the malformed part and the accepted forms.
pub fn parse_values(spec: &str) -> Result<Vec<Value>, String> {
    let values = if let Some(range) = spec.strip_prefix("log:") {
        powers_of_two(range)?
    } else if let Some(range) = as_range(spec) {
        range?
    } else if let Some((a, b)) = dashed_range(spec) {
        return Err(format!(
            "a range is written {a}..{b} (got \"{spec}\"); a list is 1,2,4, powers of two log:1..1024"
        ));
    } else {
        list(spec)?
    };
    if values.len() > MAX_VALUES {
        return Err(format!(
            "\"{spec}\" gives {} values; at most {MAX_VALUES} are allowed",
            values.len()
        ));
    }
    Ok(values)
}

/// `A-B` with A and B whole numbers: a range written as people write
/// one, which mqsim writes `A..B`.
fn dashed_range(spec: &str) -> Option<(&str, &str)> {
    let (a, b) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    (digits(a) && digits(b)).then_some((a, b))
}

/// `A..B` or `A..B:S`, if `spec` looks like a range at all.
fn as_range(spec: &str) -> Option<Result<Vec<Value>, String>> {
    let (from, rest) = spec.split_once("..")?;
    if from.contains(',') || from.trim_start_matches('-').parse::<f64>().is_err() {
        return None;
    }
    let (to, step) = rest.split_once(':').map_or((rest, "1"), |(t, s)| (t, s));
    let parsed = (|| {
        let (from, to) = (integer(spec, from)?, integer(spec, to)?);
        let step = integer(spec, step)?;
        if step < 1 || from > to {
            return Err(format!(
                "in \"{spec}\": expected A..B with A <= B and a step of at least 1"
            ));
        }
        let count = (to - from) / step + 1;
        if count > MAX_VALUES as i64 {
            return Err(format!(
                "\"{spec}\" gives {count} values; at most {MAX_VALUES} are allowed"
            ));
        }
        Ok((0..count).map(|i| Value::from(from + i * step)).collect())
    })();
    Some(parsed)
}

fn integer(spec: &str, text: &str) -> Result<i64, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "in \"{spec}\": expected an integer (got \"{}\"); ranges are integers, \
             list fractional values instead: 0.5,0.75,1",
            text.trim()
        )
    })
}

/// `log:A..B`: A, 2A, 4A, … up to B.
fn powers_of_two(range: &str) -> Result<Vec<Value>, String> {
    let bad =
        || format!("expected log:A..B with 1 <= A <= B, e.g. log:1..1024 (got \"log:{range}\")");
    let (from, to) = range.split_once("..").ok_or_else(bad)?;
    let (from, to): (u64, u64) = match (from.trim().parse(), to.trim().parse()) {
        (Ok(f), Ok(t)) if f >= 1 && f <= t => (f, t),
        _ => return Err(bad()),
    };
    Ok(std::iter::successors(Some(from), |v| v.checked_mul(2))
        .take_while(|v| *v <= to)
        .map(Value::from)
        .collect())
}

/// A comma list, splitting only at commas outside quotes and brackets.
fn list(spec: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in spec.char_indices() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (_, Some(_)) => {}
            ('{' | '[', None) => depth += 1,
            ('}' | ']', None) => depth -= 1,
            (',', None) if depth == 0 => {
                items.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&spec[start..]);
    items
        .into_iter()
        .map(|item| match item.trim() {
            "" => Err(format!(
                "empty value in \"{spec}\"; expected e.g. 1,2,4 or 1..32 or log:1..1024"
            )),
            item => Ok(parse_value(item)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(spec: &str) -> Vec<Value> {
        parse_values(spec).unwrap()
    }

    #[test]
    fn every_form_of_values() {
        assert_eq!(values("1,2,4"), [json!(1), json!(2), json!(4)]);
        assert_eq!(values("1..5"), (1..=5).map(Value::from).collect::<Vec<_>>());
        assert_eq!(
            values("1..32:4"),
            [1, 5, 9, 13, 17, 21, 25, 29].map(Value::from)
        );
        assert_eq!(values("log:1..1024").len(), 11);
        assert_eq!(values("log:3..20"), [3, 6, 12].map(Value::from));
        assert_eq!(
            values("reject,drop_oldest,block"),
            [json!("reject"), json!("drop_oldest"), json!("block")]
        );
        assert_eq!(values("0.5, 2.5"), [json!(0.5), json!(2.5)]);
        assert_eq!(values("250ms,\"1s\""), [json!("250ms"), json!("1s")]);
        assert_eq!(
            values("{ exponential = { mean = \"1s\" } },{ constant = { value = \"1s\" } }"),
            [
                json!({"exponential": {"mean": "1s"}}),
                json!({"constant": {"value": "1s"}})
            ]
        );
    }

    #[test]
    fn malformed_values_say_what_was_expected() {
        for (spec, says) in [
            ("5..1", "A <= B"),
            ("1..8:0", "step of at least 1"),
            ("1..x", "expected an integer"),
            ("0.5..2", "list fractional values"),
            ("log:0..8", "log:A..B"),
            ("log:1-8", "log:A..B"),
            ("10-60", "a range is written 10..60"),
            ("1,,2", "empty value"),
            ("1..1000000000", "at most"),
        ] {
            let err = parse_values(spec).unwrap_err();
            assert!(err.contains(says), "{spec}: {err}");
        }
        assert!(Vary::parse("workers").unwrap_err().contains("path=VALUES"));
    }
}
