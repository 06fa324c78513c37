//! Field paths such as `groups.email.workers` or `producers.web.arrival.mmpp.states[1]`:
//! the one way a field is named in `--set`, `--vary`, `--slo` and errors.

use serde_json::{Map, Value};
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array position.
    Index(usize),
}

/// A path to a field in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The whole scenario.
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// Parses `a.b[0].c` (or `a.b.0.c`).
    ///
    /// # Errors
    /// If a segment is empty or a bracket is malformed.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
            if !name.is_empty() {
                segments.push(match name.parse::<usize>() {
                    Ok(i) => Segment::Index(i),
                    Err(_) => Segment::Key(name.to_owned()),
                });
            } else if rest.is_empty() {
                return Err(format!(
                    "expected a field path such as groups.email.workers (got \"{text}\")"
                ));
            }
            while !rest.is_empty() {
                let (index, after) = rest
                    .split_once(']')
                    .ok_or_else(|| format!("unclosed '[' in field path \"{text}\""))?;
                let index = index.parse().map_err(|_| {
                    format!("expected an array index in \"{text}\" (got \"{index}\")")
                })?;
                segments.push(Segment::Index(index));
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        Ok(FieldPath(segments))
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> FieldPath {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by an array position.
    pub fn index(&self, index: usize) -> FieldPath {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Appends a segment in place.
    pub fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    /// Drops the last segment; false when already at the root.
    pub fn pop(&mut self) -> bool {
        self.0.pop().is_some()
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The value at this path, if present.
    pub fn get<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.0.iter().try_fold(root, |node, seg| match seg {
            Segment::Key(k) => node.get(k),
            Segment::Index(i) => node.get(i),
        })
    }

    /// Removes the value at this path; true if something was removed.
    pub fn remove(&self, root: &mut Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            return false;
        };
        let Some(node) = FieldPath(parent.to_vec()).get_mut(root) else {
            return false;
        };
        match (node, last) {
            (Value::Object(map), Segment::Key(k)) => map.remove(k).is_some(),
            (Value::Array(items), Segment::Index(i)) if *i < items.len() => {
                items[*i] = Value::Null;
                true
            }
            _ => false,
        }
    }

    /// The value at this path, if present, to change it.
    pub(crate) fn get_mut<'v>(&self, root: &'v mut Value) -> Option<&'v mut Value> {
        self.0.iter().try_fold(root, |node, seg| match seg {
            Segment::Key(k) => node.get_mut(k),
            Segment::Index(i) => node.get_mut(i),
        })
    }

    /// Sets the value at this path, creating tables on the way.
    ///
    /// # Errors
    /// If the path runs through a value that is not a table or array, or
    /// names an array position past its end.
    pub fn set(&self, root: &mut Value, value: Value) -> Result<(), String> {
        let mut node = root;
        for seg in &self.0 {
            if node.is_null() {
                *node = Value::Object(Map::new());
            }
            node = match (node, seg) {
                (Value::Object(map), Segment::Key(k)) => {
                    map.entry(k.clone()).or_insert(Value::Null)
                }
                (Value::Object(map), Segment::Index(i)) => {
                    map.entry(i.to_string()).or_insert(Value::Null)
                }
                (Value::Array(items), Segment::Index(i)) => {
                    let len = items.len();
                    items.get_mut(*i).ok_or_else(|| {
                        format!("{self}: index {i} is past the end of an array of {len}")
                    })?
                }
                _ => {
                    return Err(format!(
                        "{self}: cannot set a field inside a value that is not a table"
                    ));
                }
            };
        }
        *node = value;
        Ok(())
    }
}

/// A key as a path segment: as it is when plain, else quoted (an empty
/// key, or one with dots, spaces or brackets, is still visible and
/// unambiguous in a message).
fn key_text(k: &str) -> std::borrow::Cow<'_, str> {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && k.parse::<usize>().is_err();
    if plain {
        k.into()
    } else {
        serde_json::Value::from(k).to_string().into()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{}", key_text(k))?,
                Segment::Key(k) => write!(f, ".{}", key_text(k))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_dots_and_brackets_to_one_canonical_form() {
        for text in ["a.states[1].rate", "a.states.1.rate"] {
            assert_eq!(
                FieldPath::parse(text).unwrap().to_string(),
                "a.states[1].rate"
            );
        }
        assert!(FieldPath::parse("a..b").is_err());
        // Keys that are not plain are quoted, so every field is named.
        let odd = FieldPath::root().key("").key("a.b").key("7").index(2);
        assert_eq!(odd.to_string(), "\"\".\"a.b\".\"7\"[2]");
        assert!(FieldPath::parse("a[1").is_err());
        assert!(FieldPath::parse("a[x]").is_err());
    }

    #[test]
    fn sets_creating_tables_and_refuses_to_go_through_scalars() {
        let mut v = json!({"groups": {"email": {"workers": 1}}, "xs": [1, 2]});
        FieldPath::parse("groups.email.workers")
            .unwrap()
            .set(&mut v, json!(8))
            .unwrap();
        FieldPath::parse("topic.capacity")
            .unwrap()
            .set(&mut v, json!(10))
            .unwrap();
        FieldPath::parse("xs[1]")
            .unwrap()
            .set(&mut v, json!(5))
            .unwrap();
        assert_eq!(
            v,
            json!({"groups": {"email": {"workers": 8}}, "topic": {"capacity": 10}, "xs": [1, 5]})
        );
        assert!(
            FieldPath::parse("xs[7]")
                .unwrap()
                .set(&mut v, json!(0))
                .is_err()
        );
        assert!(
            FieldPath::parse("topic.capacity.x")
                .unwrap()
                .set(&mut v, json!(0))
                .is_err()
        );
    }
}
