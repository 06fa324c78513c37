//! Scenario files: TOML or JSON text → value tree with positions → raw
//! structs → a validated [`Scenario`]. Every problem is reported at once
//! with its file, line, column and field path.

mod decode;
pub use decode::edit_distance;
mod document;
mod duration;
mod error;
pub(crate) mod name;
mod path;
pub mod preset;
mod raw;
mod schema;
mod sync_graph;
mod validate;
pub mod workload;

pub use document::{Document, Format};
pub use duration::Dur;
pub use error::{Issue, Origin, ScenarioError};
pub use path::{FieldPath, Segment};
pub(crate) use raw::*;
pub use schema::{scenario_schema, scenario_schema_text};

use crate::model::system::System;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A validated scenario: the system it simulates, and what the scenario
/// file adds around it (its name, replications, the normalised text).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name of the output folder.
    pub name: String,
    /// Independent runs.
    pub replications: u32,
    /// What each replication simulates.
    pub system: System,
    /// The scenario with every default written out (see
    /// [`Scenario::normalised_toml`]).
    pub(crate) normalised: RawScenario,
    /// The fields whose value came from the broker preset, by path.
    pub from_preset: Vec<String>,
    /// The files the scenario reads, with their digests.
    pub inputs: Vec<crate::input::InputFile>,
}

/// A `--set path=value` override.
#[derive(Clone, Debug)]
pub struct Override {
    /// The field.
    pub path: FieldPath,
    /// The new value (TOML syntax; plain text is taken as a string).
    pub value: Value,
}

impl Override {
    /// Parses `path=value`; the value is read as a TOML value (`8`, `2.5`,
    /// `"250ms"`, `{ exponential = { mean = "1s" } }`), or else as a string.
    ///
    /// # Errors
    /// If there is no `=` or the path is malformed.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!("expected path=value, e.g. groups.email.workers=8 (got \"{text}\")")
        })?;
        let path = FieldPath::parse(path.trim())?;
        Ok(Override {
            path,
            value: parse_value(value.trim()),
        })
    }
}

/// A value given on the command line: TOML if it parses, else a string.
pub fn parse_value(text: &str) -> Value {
    let wrapped = format!("v = {text}");
    Document::parse(&wrapped, Format::Toml)
        .ok()
        .and_then(|doc| doc.value.get("v").cloned())
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

impl Scenario {
    /// The scenario with every default written out, as TOML: what
    /// `mqsim validate` prints.
    ///
    /// # Errors
    /// If a value has no TOML form.
    pub fn normalised_toml(&self) -> Result<String, String> {
        toml::to_string(&self.normalised).map_err(|e| e.to_string())
    }

    /// The scenario with every default written out, as JSON text: what
    /// `summary.json` records.
    pub fn normalised_json(&self) -> String {
        serde_json::to_string(&self.normalised).unwrap_or_default()
    }

    /// The broker preset the scenario names (`topic.preset`), if any.
    pub fn preset(&self) -> Option<&str> {
        self.normalised.topic.as_ref()?.preset.as_deref()
    }

    /// Loads and validates a scenario file (`.toml` or `.json`), applying
    /// `overrides` first, then the broker preset named by `topic.preset`
    /// under both (see [`preset`]).
    ///
    /// # Errors
    /// A [`ScenarioError`] listing every problem, each with its position.
    ///
    /// ```no_run
    /// use mqsim::scenario::Scenario;
    /// let scenario = Scenario::load("scenarios/mm1.toml".as_ref(), &[]).unwrap();
    /// assert!(scenario.system.horizon.as_secs_f64() > 0.0);
    /// ```
    pub fn load(file: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        let format = match file.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("toml") => Format::Toml,
            other => {
                let got = other.unwrap_or("none");
                return Err(ScenarioError::single(
                    file.to_owned(),
                    Origin::File { line: 1, column: 1 },
                    "",
                    format!("expected a .toml or .json file (got extension {got})"),
                ));
            }
        };
        let text = crate::input::read_text_at_most(file, crate::input::MAX_SCENARIO_BYTES)
            .map_err(|e| {
                ScenarioError::single(
                    file.to_owned(),
                    Origin::File { line: 1, column: 1 },
                    "",
                    format!("cannot read the file: {e}"),
                )
            })?;
        Scenario::from_text(&text, format, file, overrides)
    }

    /// Validates scenario `text`; `file` names it in errors, gives the
    /// default name, and anchors relative CSV paths.
    ///
    /// # Errors
    /// A [`ScenarioError`] listing every problem, each with its position.
    pub fn from_text(
        text: &str,
        format: Format,
        file: &Path,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let fail = |issues| ScenarioError::new(PathBuf::from(file), issues);
        let mut doc = Document::parse(text, format).map_err(fail)?;
        let mut issues = Vec::new();
        for o in overrides {
            if let Some(message) = unknown_name(&doc.value, &o.path) {
                issues.push(Issue {
                    origin: Origin::Override,
                    path: o.path.to_string(),
                    message,
                });
                continue;
            }
            // The field, and every table the override creates, come from --set.
            let mut prefix = FieldPath::root();
            for seg in o.path.segments() {
                prefix.push(seg.clone());
                if prefix.get(&doc.value).is_none() {
                    doc.mark_override(&prefix);
                }
            }
            doc.mark_override(&o.path);
            if let Err(message) = o.path.set(&mut doc.value, o.value.clone()) {
                issues.push(Issue {
                    origin: Origin::Override,
                    path: o.path.to_string(),
                    message,
                });
            }
        }
        let applied = preset::apply(&mut doc, &mut issues);
        let (raw, decode_issues) = decode::decode::<RawScenario>(&doc);
        issues.extend(decode_issues);
        let scenario = raw.and_then(|raw| validate::validate(raw, &doc, file, &mut issues));
        match scenario {
            Some(mut s) if issues.is_empty() => {
                s.from_preset = applied.fields();
                Ok(s)
            }
            _ => {
                applied.annotate(&mut issues);
                Err(fail(issues))
            }
        }
    }
}

/// Why `--set` at `path` names a group, producer, topic or service the
/// file does not have, with the closest name it does: a field set inside
/// a table that is not there would make a new one, missing everything
/// else (set a new one whole: `groups.x={...}`).
fn unknown_name(value: &serde_json::Value, path: &FieldPath) -> Option<String> {
    use path::Segment;
    let [Segment::Key(table), Segment::Key(name), _, ..] = path.segments() else {
        return None;
    };
    let (kind, plural) = match table.as_str() {
        "groups" => ("group", "groups"),
        "producers" => ("producer", "producers"),
        "topics" => ("topic", "topics"),
        "services" => ("service", "services"),
        _ => return None,
    };
    let names: Vec<&str> = match value.get(table) {
        Some(serde_json::Value::Object(map)) => map.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    if names.contains(&name.as_str()) {
        return None;
    }
    let hint = decode::closest(name, &names.join(", "))
        .map(|k| format!("; did you mean \"{k}\"?"))
        .unwrap_or_default();
    let listed = if names.is_empty() {
        format!("the file has no {plural}")
    } else {
        format!("{plural}: {}", names.join(", "))
    };
    Some(format!(
        "no {kind} named \"{name}\"{hint} ({listed}); to add one, set it whole: --set '{table}.{name}={{...}}'"
    ))
}
