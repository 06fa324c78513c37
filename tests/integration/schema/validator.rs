//! A small JSON Schema (draft-07) validator for the schema `mqsim schema`
//! prints: it implements exactly the keywords that schema uses (the
//! `schema_uses_only_keywords_the_validator_implements` test checks that),
//! so the tests need no full JSON Schema implementation.
//!
//! Implemented as draft-07 says:
//! - `type` (a name or an array of names; `integer` is any number without
//!   a fractional part, so `1.0` is one), `enum` and `const` (JSON
//!   equality: `1` equals `1.0`);
//! - `properties`, `required`, `additionalProperties` (a boolean or a
//!   schema; "additional" means not named in `properties`, as the schema
//!   has no `patternProperties`);
//! - `items` (one schema for every item, or an array of schemas for the
//!   first items), `minItems`, `maxItems`;
//! - `allOf`, `anyOf`, `oneOf` (exactly one), `$ref` to a JSON pointer in
//!   the same document (`#/definitions/...`; the other keywords of an
//!   object holding `$ref` are ignored, as draft-07 says);
//! - `pattern` (an unanchored search, with the `regex` crate; its syntax
//!   agrees with ECMA 262 on the patterns this schema uses), `minimum`,
//!   `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers, draft-06+
//!   form), `minLength`, `maxLength` (in characters);
//! - boolean schemas (`true` accepts everything, `false` nothing).
//!
//! Annotations, which never reject a value: `$schema`, `$id`, `$comment`,
//! `title`, `description`, `default`, `examples`, `readOnly`, `writeOnly`,
//! `definitions` (a place for `$ref` targets), and `format`: draft-07
//! lets a validator treat `format` as an annotation, and the formats
//! schemars writes (`uint32`, `uint64`, `double`) are not draft-07 formats
//! anyway; the bounds they imply are also written as `minimum`.

use regex::Regex;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The keywords that can reject a value, all implemented below.
pub const VALIDATING: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
];

/// The keywords that only annotate (see the module documentation).
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "definitions",
    "format",
];

/// Every keyword used anywhere in `schema`, walking every place draft-07
/// holds a subschema. A keyword this walk does not know still shows up
/// (and its value is not walked), so an unknown keyword is never missed.
pub fn keywords_used(schema: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect_keywords(schema, &mut found);
    found
}

fn collect_keywords(schema: &Value, found: &mut BTreeSet<String>) {
    let Value::Object(map) = schema else {
        return; // a boolean schema has no keywords
    };
    for (keyword, value) in map {
        found.insert(keyword.clone());
        match (keyword.as_str(), value) {
            // Maps of names to subschemas.
            (
                "properties" | "definitions" | "patternProperties" | "dependencies",
                Value::Object(m),
            ) => m.values().for_each(|s| collect_keywords(s, found)),
            // Arrays of subschemas.
            ("allOf" | "anyOf" | "oneOf" | "items", Value::Array(a)) => {
                a.iter().for_each(|s| collect_keywords(s, found))
            }
            // One subschema.
            (
                "items"
                | "additionalProperties"
                | "additionalItems"
                | "not"
                | "if"
                | "then"
                | "else"
                | "contains"
                | "propertyNames",
                _,
            ) => collect_keywords(value, found),
            _ => {}
        }
    }
}

/// Why a value does not validate, and where in it.
#[derive(Debug, Clone)]
pub struct Complaint {
    /// A JSON pointer into the value (`""` is the whole value).
    pub instance_path: String,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for Complaint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A draft-07 schema, checked and with its patterns compiled.
pub struct Validator {
    root: Value,
    patterns: HashMap<String, Regex>,
}

impl Validator {
    /// Checks that `schema` uses only implemented keywords, that every
    /// `$ref` is local and resolves, and compiles the patterns.
    pub fn new(schema: Value) -> Result<Self, String> {
        if let Some(draft) = schema.get("$schema") {
            let draft = draft.as_str().unwrap_or_default();
            if !draft.contains("draft-07") {
                return Err(format!("not a draft-07 schema: {draft}"));
            }
        }
        let unknown: Vec<String> = keywords_used(&schema)
            .into_iter()
            .filter(|k| !VALIDATING.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("keywords not implemented: {unknown:?}"));
        }
        let mut validator = Validator {
            root: schema,
            patterns: HashMap::new(),
        };
        let mut patterns = HashMap::new();
        validator.prepare(&validator.root, &mut patterns)?;
        validator.patterns = patterns;
        Ok(validator)
    }

    fn prepare(&self, schema: &Value, patterns: &mut HashMap<String, Regex>) -> Result<(), String> {
        let Value::Object(map) = schema else {
            return match schema {
                Value::Bool(_) => Ok(()),
                other => Err(format!("not a schema: {other}")),
            };
        };
        for (keyword, value) in map {
            match keyword.as_str() {
                "properties" | "definitions" => {
                    let m = value
                        .as_object()
                        .ok_or(format!("{keyword}: not an object"))?;
                    for s in m.values() {
                        self.prepare(s, patterns)?;
                    }
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let a = value.as_array().ok_or(format!("{keyword}: not an array"))?;
                    if a.is_empty() {
                        return Err(format!("{keyword}: empty"));
                    }
                    for s in a {
                        self.prepare(s, patterns)?;
                    }
                }
                "items" if value.is_array() => {
                    for s in value.as_array().unwrap() {
                        self.prepare(s, patterns)?;
                    }
                }
                "items" | "additionalProperties" => self.prepare(value, patterns)?,
                "$ref" => {
                    let r = value.as_str().ok_or("$ref: not a string")?;
                    self.resolve(r)?;
                }
                "pattern" => {
                    let p = value.as_str().ok_or("pattern: not a string")?;
                    let re = Regex::new(p).map_err(|e| format!("pattern {p:?}: {e}"))?;
                    patterns.insert(p.to_owned(), re);
                }
                "type" => {
                    let names: Vec<&Value> = match value {
                        Value::Array(a) => a.iter().collect(),
                        one => vec![one],
                    };
                    for n in names {
                        let known = [
                            "null", "boolean", "object", "array", "number", "integer", "string",
                        ];
                        if !n.as_str().is_some_and(|n| known.contains(&n)) {
                            return Err(format!("type: unknown type {n}"));
                        }
                    }
                }
                "required" | "enum" => {
                    value.as_array().ok_or(format!("{keyword}: not an array"))?;
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    value
                        .as_number()
                        .ok_or(format!("{keyword}: not a number"))?;
                }
                "minItems" | "maxItems" | "minLength" | "maxLength" => {
                    value.as_u64().ok_or(format!("{keyword}: not a count"))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The schema a local `$ref` points at.
    fn resolve(&self, reference: &str) -> Result<&Value, String> {
        let pointer = (reference.strip_prefix('#'))
            .ok_or_else(|| format!("$ref {reference:?}: only local references"))?;
        (self.root.pointer(pointer)).ok_or_else(|| format!("$ref {reference:?}: nothing there"))
    }

    /// Everything wrong with `value`.
    pub fn errors(&self, value: &Value) -> Vec<Complaint> {
        let mut out = Vec::new();
        self.check(&self.root, value, &mut String::new(), &mut out);
        out
    }

    /// Whether `value` validates.
    pub fn is_valid(&self, value: &Value) -> bool {
        self.errors(value).is_empty()
    }

    fn check(&self, schema: &Value, value: &Value, path: &mut String, out: &mut Vec<Complaint>) {
        let mut complain = |message: String| {
            out.push(Complaint {
                instance_path: path.clone(),
                message,
            })
        };
        let map = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return complain("no value is allowed here".into()),
            Value::Object(map) => map,
            _ => unreachable!("checked by prepare"),
        };
        // Draft-07: the other keywords of an object holding `$ref` are
        // ignored.
        if let Some(r) = map.get("$ref") {
            let target = self.resolve(r.as_str().unwrap()).unwrap();
            return self.check(target, value, path, out);
        }
        if let Some(t) = map.get("type") {
            let names: Vec<&str> = match t {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                one => one.as_str().into_iter().collect(),
            };
            if !names.iter().any(|n| has_type(value, n)) {
                complain(format!("{value} is not of type {}", names.join(" or ")));
            }
        }
        if let Some(Value::Array(values)) = map.get("enum")
            && !values.iter().any(|v| json_eq(v, value))
        {
            complain(format!(
                "{value} is not one of {}",
                Value::Array(values.clone())
            ));
        }
        if let Some(c) = map.get("const")
            && !json_eq(c, value)
        {
            complain(format!("{value} is not {c}"));
        }
        if let Value::Number(n) = value {
            let bound = |k: &str| map.get(k).and_then(Value::as_number);
            if let Some(b) = bound("minimum")
                && num_cmp(n, b) == Ordering::Less
            {
                complain(format!("{n} is less than the minimum {b}"));
            }
            if let Some(b) = bound("maximum")
                && num_cmp(n, b) == Ordering::Greater
            {
                complain(format!("{n} is greater than the maximum {b}"));
            }
            if let Some(b) = bound("exclusiveMinimum")
                && num_cmp(n, b) != Ordering::Greater
            {
                complain(format!("{n} is not greater than {b}"));
            }
            if let Some(b) = bound("exclusiveMaximum")
                && num_cmp(n, b) != Ordering::Less
            {
                complain(format!("{n} is not less than {b}"));
            }
        }
        if let Value::String(s) = value {
            if let Some(Value::String(p)) = map.get("pattern")
                && !self.patterns[p].is_match(s)
            {
                complain(format!("{value} does not match {p:?}"));
            }
            let chars = s.chars().count() as u64;
            if let Some(min) = map.get("minLength").and_then(Value::as_u64)
                && chars < min
            {
                complain(format!("{value} is shorter than {min} characters"));
            }
            if let Some(max) = map.get("maxLength").and_then(Value::as_u64)
                && chars > max
            {
                complain(format!("{value} is longer than {max} characters"));
            }
        }
        if let Value::Array(items) = value {
            if let Some(min) = map.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                complain(format!("fewer than {min} items"));
            }
            if let Some(max) = map.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                complain(format!("more than {max} items"));
            }
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            let Some(Value::Array(subs)) = map.get(keyword) else {
                continue;
            };
            let results: Vec<Vec<Complaint>> = (subs.iter())
                .map(|s| {
                    let mut inner = Vec::new();
                    self.check(s, value, path, &mut inner);
                    inner
                })
                .collect();
            let passing = results.iter().filter(|r| r.is_empty()).count();
            match keyword {
                "allOf" => out.extend(results.into_iter().flatten()),
                "anyOf" if passing == 0 => out.push(Complaint {
                    instance_path: path.clone(),
                    message: format!("{value} matches none of anyOf: {}", summary(&results)),
                }),
                "oneOf" if passing != 1 => out.push(Complaint {
                    instance_path: path.clone(),
                    message: if passing == 0 {
                        format!("{value} matches none of oneOf: {}", summary(&results))
                    } else {
                        format!("{value} matches {passing} of oneOf, not exactly one")
                    },
                }),
                _ => {}
            }
        }
        if let Value::Object(object) = value {
            self.check_object(map, object, path, out);
        }
        if let (Value::Array(items), Some(each)) = (value, map.get("items")) {
            for (i, item) in items.iter().enumerate() {
                let sub = match each {
                    Value::Array(tuple) => match tuple.get(i) {
                        Some(s) => s,
                        None => break, // no additionalItems: the rest go
                    },
                    one => one,
                };
                let len = path.len();
                path.push_str(&format!("/{i}"));
                self.check(sub, item, path, out);
                path.truncate(len);
            }
        }
    }

    fn check_object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &mut String,
        out: &mut Vec<Complaint>,
    ) {
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    out.push(Complaint {
                        instance_path: path.clone(),
                        message: format!("{name:?} is a required property"),
                    });
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (name, v) in object {
            let sub = match properties.and_then(|p| p.get(name)) {
                Some(s) => s,
                None => match additional {
                    None | Some(Value::Bool(true)) => continue,
                    Some(Value::Bool(false)) => {
                        out.push(Complaint {
                            instance_path: path.clone(),
                            message: format!("additional property {name:?} is not allowed"),
                        });
                        continue;
                    }
                    Some(s) => s,
                },
            };
            let len = path.len();
            path.push('/');
            path.push_str(&name.replace('~', "~0").replace('/', "~1"));
            self.check(sub, v, path, out);
            path.truncate(len);
        }
    }
}

/// The complaints of each alternative, in brief.
fn summary(results: &[Vec<Complaint>]) -> String {
    let each: Vec<String> = (results.iter().enumerate())
        .map(|(i, r)| {
            let lines: Vec<String> = (r.iter())
                .map(|c| format!("{}: {}", c.instance_path, c.message))
                .collect();
            format!("[{i}] {}", lines.join("; "))
        })
        .collect();
    each.join(" | ")
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => false,
    }
}

/// Numbers in order: exactly for integers, as `f64` otherwise.
fn num_cmp(a: &Number, b: &Number) -> Ordering {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x.cmp(&y),
        (_, _, Some(x), Some(y)) => x.cmp(&y),
        // One is a u64 above i64::MAX and the other a negative i64.
        (Some(_), None, _, Some(_)) => Ordering::Less,
        (None, Some(_), Some(_), _) => Ordering::Greater,
        _ => {
            let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// JSON equality: numbers by value (`1` equals `1.0`), objects regardless
/// of key order.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(schema: Value) -> Validator {
        Validator::new(schema).unwrap()
    }

    /// `schema` accepts every one of `good` and rejects every one of `bad`.
    fn judges(schema: Value, good: &[Value], bad: &[Value]) {
        let val = v(schema.clone());
        for g in good {
            assert!(val.is_valid(g), "{schema} rejects {g}: {:?}", val.errors(g));
        }
        for b in bad {
            assert!(!val.is_valid(b), "{schema} accepts {b}");
        }
    }

    #[test]
    fn type_one_name_or_several() {
        judges(
            json!({"type": "string"}),
            &[json!("a")],
            &[json!(1), json!(null)],
        );
        judges(
            json!({"type": "object"}),
            &[json!({})],
            &[json!([]), json!("x")],
        );
        judges(json!({"type": "array"}), &[json!([1])], &[json!({})]);
        judges(json!({"type": "boolean"}), &[json!(false)], &[json!(0)]);
        judges(json!({"type": "null"}), &[json!(null)], &[json!(false)]);
        judges(
            json!({"type": "number"}),
            &[json!(1), json!(-2.5)],
            &[json!("1")],
        );
        judges(
            json!({"type": "integer"}),
            &[json!(3), json!(-3), json!(1.0), json!(u64::MAX)],
            &[json!(1.5), json!("3")],
        );
        judges(
            json!({"type": ["integer", "null"]}),
            &[json!(2), json!(null)],
            &[json!(2.5), json!("x")],
        );
    }

    #[test]
    fn enum_and_const_use_json_equality() {
        judges(
            json!({"enum": ["a", 1, {"k": [1]}]}),
            &[json!("a"), json!(1.0), json!({"k": [1.0]})],
            &[json!("b"), json!(2), json!({"k": [2]})],
        );
        judges(
            json!({"const": 5}),
            &[json!(5), json!(5.0)],
            &[json!(6), json!("5")],
        );
        judges(json!({"const": "fifo"}), &[json!("fifo")], &[json!("lifo")]);
    }

    #[test]
    fn properties_required_and_additional_properties() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": false
        });
        judges(
            schema.clone(),
            &[json!({"a": 1}), json!({"a": 1, "b": "x"})],
            &[
                json!({}),
                json!({"a": "1"}),
                json!({"a": 1, "b": 2}),
                json!({"a": 1, "c": 0}),
            ],
        );
        let val = v(schema);
        let e = val.errors(&json!({"a": 1, "c": 0}));
        assert_eq!(e[0].instance_path, "");
        let e = val.errors(&json!({"a": "1"}));
        assert_eq!(e[0].instance_path, "/a");
        // `required` and `properties` say nothing of what is not an object.
        judges(
            json!({"required": ["a"]}),
            &[json!(3), json!("s")],
            &[json!({})],
        );
        // A schema for additional properties.
        judges(
            json!({"properties": {"a": true}, "additionalProperties": {"type": "number"}}),
            &[json!({"a": "x", "n": 1, "m": 2.5})],
            &[json!({"a": "x", "n": "1"})],
        );
        judges(
            json!({"additionalProperties": true}),
            &[json!({"any": null})],
            &[],
        );
    }

    #[test]
    fn instance_paths_escape_names() {
        let val = v(json!({"additionalProperties": {"type": "string"}}));
        let e = val.errors(&json!({"a/b~c": 1}));
        assert_eq!(e[0].instance_path, "/a~1b~0c");
    }

    #[test]
    fn items_min_and_max_items() {
        judges(
            json!({"items": {"type": "integer"}, "minItems": 1, "maxItems": 2}),
            &[json!([1]), json!([1, 2])],
            &[json!([]), json!([1, 2, 3]), json!([1, "2"])],
        );
        judges(
            json!({"items": [{"type": "string"}, {"type": "integer"}]}),
            &[json!(["a", 1]), json!(["a"]), json!(["a", 1, null])],
            &[json!([1, 1]), json!(["a", "b"])],
        );
        let e = v(json!({"items": {"type": "integer"}})).errors(&json!([0, "x"]));
        assert_eq!(e[0].instance_path, "/1");
    }

    #[test]
    fn all_of_any_of_one_of() {
        judges(
            json!({"allOf": [{"type": "integer"}, {"minimum": 2}]}),
            &[json!(2)],
            &[json!(1), json!(2.5)],
        );
        judges(
            json!({"anyOf": [{"type": "string"}, {"minimum": 2}]}),
            &[json!("a"), json!(3)],
            &[json!(1)],
        );
        // Exactly one: none and both are rejected.
        judges(
            json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]}),
            &[json!(1), json!(2.5)],
            &[json!(3), json!(1.5)],
        );
    }

    #[test]
    fn refs_resolve_locally_and_hide_their_siblings() {
        let schema = json!({
            "definitions": {"pos": {"type": "number", "exclusiveMinimum": 0}},
            "properties": {"rate": {"$ref": "#/definitions/pos"}}
        });
        judges(
            schema,
            &[json!({"rate": 1}), json!({})],
            &[json!({"rate": 0}), json!({"rate": "1"})],
        );
        // Draft-07 ignores the keywords beside `$ref`.
        judges(
            json!({"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 1}),
            &[json!("long")],
            &[json!(1)],
        );
        assert!(Validator::new(json!({"$ref": "#/definitions/missing"})).is_err());
        assert!(Validator::new(json!({"$ref": "other.json#/a"})).is_err());
    }

    #[test]
    fn numeric_bounds() {
        judges(
            json!({"minimum": 0, "maximum": 1}),
            &[json!(0), json!(0.5), json!(1), json!("not a number")],
            &[json!(-0.1), json!(1.5), json!(-1)],
        );
        judges(
            json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1.5}),
            &[json!(1e-9), json!(1)],
            &[json!(0), json!(0.0), json!(1.5), json!(-3)],
        );
        judges(
            json!({"minimum": 0}),
            &[json!(u64::MAX)],
            &[json!(i64::MIN)],
        );
    }

    #[test]
    fn pattern_searches_and_lengths_count_characters() {
        judges(
            json!({"pattern": "b+"}),
            &[json!("abba"), json!(3)],
            &[json!("aca")],
        );
        judges(
            json!({"pattern": r"^\s*[0-9]+(ms|µs)\s*$"}),
            &[json!("10ms"), json!(" 3µs ")],
            &[json!("10 s"), json!("x10ms")],
        );
        judges(
            json!({"minLength": 2, "maxLength": 3}),
            &[json!("µs"), json!("abc")],
            &[json!("a"), json!("abcd")],
        );
        assert!(Validator::new(json!({"pattern": "("})).is_err());
    }

    #[test]
    fn boolean_schemas() {
        judges(json!(true), &[json!(1), json!(null), json!({})], &[]);
        judges(json!(false), &[], &[json!(1), json!(null), json!({})]);
        judges(
            json!({"properties": {"no": false}}),
            &[json!({"yes": 1})],
            &[json!({"no": 1})],
        );
    }

    #[test]
    fn annotations_never_reject() {
        judges(
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "t", "description": "d", "default": 3, "examples": [1],
                "writeOnly": true, "readOnly": false, "$comment": "c",
                "format": "uint32", "definitions": {"x": {"type": "string"}}
            }),
            &[json!(-1), json!("s"), json!(null), json!(1.5)],
            &[],
        );
    }

    #[test]
    fn unknown_keywords_and_other_drafts_are_refused() {
        let e = Validator::new(json!({"not": {"type": "string"}}))
            .err()
            .unwrap();
        assert!(e.contains("not"), "{e}");
        let e = Validator::new(json!({"properties": {"a": {"uniqueItems": true}}}))
            .err()
            .unwrap();
        assert!(e.contains("uniqueItems"), "{e}");
        let e = Validator::new(json!({"$schema": "https://json-schema.org/draft/2020-12/schema"}))
            .err()
            .unwrap();
        assert!(e.contains("draft-07"), "{e}");
    }

    #[test]
    fn keywords_used_walks_every_subschema_place() {
        let schema = json!({
            "properties": {"type": {"minimum": 1}},
            "definitions": {"d": {"maxLength": 2}},
            "items": [{"pattern": "a"}],
            "additionalProperties": {"anyOf": [{"not": {"const": 1}}]},
            "default": {"enum": "is a value, not a schema"}
        });
        let found: Vec<String> = keywords_used(&schema).into_iter().collect();
        assert_eq!(
            found,
            [
                "additionalProperties",
                "anyOf",
                "const",
                "default",
                "definitions",
                "items",
                "maxLength",
                "minimum",
                "not",
                "pattern",
                "properties",
            ]
        );
    }
}
