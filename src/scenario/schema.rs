//! The JSON Schema of scenario files (`mqsim schema`), generated from the
//! raw structs the decoder reads, so editors complete and check scenarios:
//! TOML through taplo (`#:schema` or a schema association), JSON through
//! `$schema`.
//!
//! The derived parts follow the serde attributes: a field with a default is
//! optional, `deny_unknown_fields` forbids other keys, and an enum lists
//! its values. The types with hand-written deserializers (durations,
//! policies, delays, windows) have hand-written schemas below. The schema
//! checks shape, types, names and the simple bounds; what needs several
//! fields at once (a topic the file does not name, a lognormal given half
//! its parameters) is left to `mqsim validate`.
//!
//! Optional fields do not take `null` (see [`drop_null`]).
//!
//! Presets: a preset fills fields under the ones the file writes, so no
//! field a preset may fill is required here. The only such case among the
//! required fields is a producer's `retry.attempts` (kafka's and outbox's
//! producers retry): a producer's `retry` requires nothing.

use super::duration::Dur;
use super::raw::RawWindow;
use super::raw::{RawBlock, RawDelay, RawDist, RawPolicy, RawRetry, RawScenario, RawSpill};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A duration as text, as [`Dur::parse`] reads it: a non-negative number
/// (digits, `_`, a fraction, an exponent) and a unit, or `forever`.
const DURATION_PATTERN: &str = r"^\s*(forever|\+?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9][0-9_]*)(e[+-]?[0-9]+)?\s*(ns|us|µs|ms|s|m|min|h|d))\s*$";

/// The JSON Schema (draft-07, the draft editors support best) of a
/// scenario file.
pub fn scenario_schema() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawScenario>();
    let mut value = schema.to_value();
    if let Value::Object(root) = &mut value {
        root.insert("title".into(), "mqsim scenario".into());
        root.insert(
            "description".into(),
            "A scenario file of mqsim (TOML or JSON), as `mqsim schema` prints it. \
             `mqsim validate FILE` checks what the schema cannot: names that must \
             exist, fields that go together, limits that depend on others."
                .into(),
        );
    }
    rename_definitions(&mut value);
    drop_null(&mut value);
    value
}

/// The schema as pretty JSON text with a final newline: what `mqsim
/// schema` prints. The same every time (keys in a fixed order).
pub fn scenario_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&scenario_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Drops the `Raw` prefix of the raw structs' names in `definitions` and
/// in every `$ref`, so editors show `Topic`, not `RawTopic`; the
/// distributions of plain numbers are `NumberDistribution`, not
/// `doubleDistribution`.
fn rename_definitions(value: &mut Value) {
    fn plain(name: &str) -> String {
        let name = name.strip_prefix("Raw").unwrap_or(name);
        match name.strip_prefix("double") {
            Some(rest) => format!("Number{rest}"),
            None => name.to_owned(),
        }
    }
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/definitions/")
            {
                *r = format!("#/definitions/{}", plain(name));
            }
            if let Some(Value::Object(defs)) = map.get_mut("definitions") {
                let renamed: Map<String, Value> = std::mem::take(defs)
                    .into_iter()
                    .map(|(k, v)| (plain(&k), v))
                    .collect();
                *defs = renamed;
            }
            map.values_mut().for_each(rename_definitions);
        }
        Value::Array(items) => items.iter_mut().for_each(rename_definitions),
        _ => {}
    }
}

/// Takes out the `null` schemars allows in an optional field: TOML has
/// none, an editor should not offer it, and an `anyOf` with `null` turns
/// a precise error inside the field into "not valid under any of the
/// schemas". (The JSON loader reads a `null` as the field left out.)
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(drop_null);
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            let null = serde_json::json!({ "type": "null" });
            if let Some(Value::Array(any)) = map.get("anyOf")
                && any.contains(&null)
            {
                let mut rest: Vec<Value> = any.iter().filter(|s| **s != null).cloned().collect();
                map.remove("anyOf");
                match rest.pop() {
                    // In draft-07 a `$ref` ignores its siblings (the description).
                    Some(only @ Value::Object(_))
                        if rest.is_empty() && only.get("$ref").is_some() =>
                    {
                        map.insert("allOf".into(), Value::Array(vec![only]));
                    }
                    Some(Value::Object(only)) if rest.is_empty() => {
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                    last => {
                        rest.extend(last);
                        map.insert("anyOf".into(), Value::Array(rest));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// The schema of a producer's `retry`: as [`RawRetry`], but `attempts`
/// may come from the topic's preset.
pub(super) fn preset_retry(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = RawRetry::json_schema(generator);
    schema.remove("required");
    schema
}

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit (ns, us, ms, s, m or min, h, d) such as \"250ms\", \"1.5s\", \"2h\"; \"forever\"; or a number of seconds.",
            "anyOf": [
                { "type": "string", "pattern": DURATION_PATTERN },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

impl JsonSchema for RawDelay {
    fn schema_name() -> Cow<'static, str> {
        "Delay".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "One duration (\"30s\"), or a distribution each draw comes from ({ exponential = { mean = \"30s\" } }).",
            "anyOf": [
                generator.subschema_for::<Dur>(),
                generator.subschema_for::<RawDist<Dur>>()
            ]
        })
    }
}

impl JsonSchema for RawWindow {
    fn schema_name() -> Cow<'static, str> {
        "Window".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A breaker's sliding window: the last N attempts (100), or a span such as \"60s\".",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": DURATION_PATTERN }
            ]
        })
    }
}

impl JsonSchema for RawPolicy {
    fn schema_name() -> Cow<'static, str> {
        "Policy".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let tagged = |name: &str, options: Schema| {
            json_schema!({
                "type": "object",
                "properties": { name: options },
                "required": [name],
                "additionalProperties": false
            })
        };
        let none = json_schema!({ "type": "object", "additionalProperties": false });
        json_schema!({
            "description": "What happens to a publish when the buffer is full: \"reject\", \"drop_oldest\", \"block\", \"spill\", or a table with the policy's options such as { block = { max_block = \"2s\" } }.",
            "oneOf": [
                {
                    "type": "string",
                    "enum": ["reject", "drop_oldest", "block", "spill"]
                },
                tagged("reject", none.clone()),
                tagged("drop_oldest", none),
                tagged("block", generator.subschema_for::<RawBlock>()),
                tagged("spill", generator.subschema_for::<RawSpill>())
            ]
        })
    }
}
