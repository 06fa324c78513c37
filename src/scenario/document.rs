//! A scenario file parsed into a format-neutral value tree plus the source
//! position of every field, so later errors can name a line and column.

mod json_spans;

use super::error::{Issue, Origin};
use super::path::FieldPath;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use toml::de::{DeTable, DeValue};

/// The two accepted file formats, one schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TOML: comments, human editing.
    Toml,
    /// JSON: for generated scenarios.
    Json,
}

/// A parsed file: its values and where each field was written.
#[derive(Clone, Debug)]
pub struct Document {
    /// The value tree, in JSON's data model.
    pub value: Value,
    /// Byte offset of each field path's key (or array element).
    spans: HashMap<String, usize>,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
    /// The source, to count characters for columns.
    text: String,
}

impl Document {
    /// Parses `text` in `format`.
    ///
    /// # Errors
    /// Every syntax error found, with its position.
    pub fn parse(text: &str, format: Format) -> Result<Document, Vec<Issue>> {
        let mut doc = Document {
            value: Value::Null,
            spans: HashMap::new(),
            line_starts: line_starts(text),
            text: text.to_owned(),
        };
        match format {
            Format::Toml => doc.parse_toml(text)?,
            Format::Json => doc.parse_json(text)?,
        }
        Ok(doc)
    }

    fn parse_toml(&mut self, text: &str) -> Result<(), Vec<Issue>> {
        let (table, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(|e| Issue {
                    origin: self.origin(e.span().map_or(0, |s| s.start)),
                    path: String::new(),
                    message: format!("invalid TOML: {}", e.message().trim()),
                })
                .collect());
        }
        let mut issues = Vec::new();
        let root = FieldPath::root();
        self.value = self.toml_table(table.get_ref(), &root, &mut issues);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }

    fn toml_table(
        &mut self,
        table: &DeTable<'_>,
        path: &FieldPath,
        issues: &mut Vec<Issue>,
    ) -> Value {
        let mut map = Map::new();
        for (key, value) in table.iter() {
            let child = path.key(key.get_ref());
            self.spans.insert(child.to_string(), key.span().start);
            let converted = self.toml_value(value.get_ref(), value.span().start, &child, issues);
            map.insert(key.get_ref().to_string(), converted);
        }
        Value::Object(map)
    }

    fn toml_value(
        &mut self,
        value: &DeValue<'_>,
        at: usize,
        path: &FieldPath,
        issues: &mut Vec<Issue>,
    ) -> Value {
        let mut bad = |message: String| {
            issues.push(Issue {
                origin: self.origin(at),
                path: path.to_string(),
                message,
            });
            Value::Null
        };
        match value {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Value::Number(n.into()),
                // Seeds use the whole unsigned range.
                Err(_) => match u64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => Value::Number(n.into()),
                    Err(_) => bad(format!(
                        "expected an integer that fits in 64 bits (got {})",
                        i.as_str()
                    )),
                },
            },
            DeValue::Float(f) => match f
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => bad(format!("expected a finite number (got {})", f.as_str())),
            },
            DeValue::Datetime(d) => bad(format!(
                "expected a number, string or table (got the date-time {d})"
            )),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let child = path.index(i);
                    self.spans.insert(child.to_string(), item.span().start);
                    out.push(self.toml_value(item.get_ref(), item.span().start, &child, issues));
                }
                Value::Array(out)
            }
            DeValue::Table(table) => self.toml_table(table, path, issues),
        }
    }

    fn parse_json(&mut self, text: &str) -> Result<(), Vec<Issue>> {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                self.value = value;
                json_spans::collect(text, &mut self.spans);
                Ok(())
            }
            Err(e) => Err(vec![Issue {
                origin: Origin::File {
                    line: e.line().max(1),
                    column: e.column().max(1),
                },
                path: String::new(),
                message: format!("invalid JSON: {}", strip_position(&e.to_string())),
            }]),
        }
    }

    /// Where `path` was written: the closest enclosing field that has a
    /// position (a default has none, so its parent is named).
    pub fn locate(&self, path: &FieldPath) -> Origin {
        let mut p = path.clone();
        loop {
            if let Some(&offset) = self.spans.get(&p.to_string()) {
                return self.origin(offset);
            }
            if !p.pop() {
                return Origin::File { line: 1, column: 1 };
            }
        }
    }

    /// Locates `path` where `like` is written: a value inserted on behalf
    /// of another field (a preset's values, at `topic.preset`).
    pub(super) fn locate_like(&mut self, path: &FieldPath, like: &FieldPath) {
        if let Some(&offset) = self.spans.get(&like.to_string()) {
            self.spans.insert(path.to_string(), offset);
        }
    }

    /// Marks `path` as set on the command line rather than in the file.
    pub fn mark_override(&mut self, path: &FieldPath) {
        self.spans.insert(path.to_string(), usize::MAX);
    }

    fn origin(&self, offset: usize) -> Origin {
        if offset == usize::MAX {
            return Origin::Override;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        Origin::File { line, column }
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// serde_json appends " at line L column C"; the position is shown already.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_fields_are_located_at_their_keys() {
        let text = "horizon = \"1h\"\n[groups.email]\nworkers = 4\n";
        let doc = Document::parse(text, Format::Toml).unwrap();
        let path = FieldPath::parse("groups.email.workers").unwrap();
        assert_eq!(doc.locate(&path), Origin::File { line: 3, column: 1 });
        assert_eq!(doc.value["groups"]["email"]["workers"], 4);
        // A field that is not written is located at its closest parent.
        let missing = FieldPath::parse("groups.email.service").unwrap();
        assert_eq!(doc.locate(&missing), Origin::File { line: 2, column: 9 });
    }

    #[test]
    fn json_fields_are_located_at_their_keys() {
        let text = "{\n  \"groups\": {\"email\": {\"workers\": 4}},\n  \"xs\": [1, 2]\n}";
        let doc = Document::parse(text, Format::Json).unwrap();
        let path = FieldPath::parse("groups.email.workers").unwrap();
        assert_eq!(
            doc.locate(&path),
            Origin::File {
                line: 2,
                column: 24
            }
        );
        let item = FieldPath::parse("xs[1]").unwrap();
        assert_eq!(
            doc.locate(&item),
            Origin::File {
                line: 3,
                column: 13
            }
        );
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let issues = Document::parse("a = 1\nb = = 2\n", Format::Toml).unwrap_err();
        assert!(
            matches!(issues[0].origin, Origin::File { line: 2, .. }),
            "{issues:?}"
        );
        let issues = Document::parse("{\"a\": 1,,}", Format::Json).unwrap_err();
        assert_eq!(issues[0].origin, Origin::File { line: 1, column: 9 });
        assert!(issues[0].message.starts_with("invalid JSON"));
    }

    #[test]
    fn datetimes_and_huge_integers_are_reported() {
        let issues = Document::parse("a = 1979-05-27\nb = 99999999999999999999\n", Format::Toml)
            .unwrap_err();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[1].path, "b");
    }
}
