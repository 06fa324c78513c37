//! `mqsim schema`: the JSON Schema of scenario files accepts every shipped
//! scenario, rejects the bad fixtures it can judge, and is the checked-in
//! `docs/scenario.schema.json`. The schema is checked with the small
//! draft-07 validator in `schema/validator.rs`, which implements every
//! keyword the schema uses (tested below).

mod validator;

use crate::support::{ok, tmp, write};
use mqsim::scenario::{Document, Dur, Format};
use serde_json::Value;
use std::path::{Path, PathBuf};
use validator::Validator;

const SHIPPED_COPY: &str = "docs/scenario.schema.json";

/// The schema `mqsim schema` prints.
fn schema() -> Value {
    serde_json::from_str(&ok(&["schema"])).unwrap()
}

/// The schema `mqsim schema` prints, compiled.
fn validator() -> Validator {
    Validator::new(schema()).unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

/// The value tree of a scenario file, as the loader reads it.
fn value_of(path: &Path) -> Value {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        _ => Format::Toml,
    };
    let text = std::fs::read_to_string(path).unwrap();
    match Document::parse(&text, format) {
        Ok(doc) => doc.value,
        Err(e) => panic!("{}: {e:?}", path.display()),
    }
}

/// The schema's complaints about `value`, one line each.
fn complaints(validator: &Validator, value: &Value) -> Vec<String> {
    (validator.errors(value).into_iter())
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn schema_uses_only_keywords_the_validator_implements() {
    let used = validator::keywords_used(&schema());
    let missing: Vec<&String> = (used.iter())
        .filter(|k| {
            !validator::VALIDATING.contains(&k.as_str())
                && !validator::ANNOTATIONS.contains(&k.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the schema uses keywords the test validator does not implement: {missing:?}"
    );
    // The walk does reach the schema's subschemas.
    for k in ["$ref", "oneOf", "pattern", "exclusiveMinimum", "maximum"] {
        assert!(used.contains(k), "{k} not found in {used:?}");
    }
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let validator = validator();
    let files = [
        scenario_files("scenarios"),
        scenario_files("scenarios/presets"),
    ]
    .concat();
    assert!(files.len() > 40, "{files:?}");
    let mut failures = Vec::new();
    for file in &files {
        for c in complaints(&validator, &value_of(file)) {
            failures.push(format!("{}: {c}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn normalised_scenarios_and_the_init_template_validate_too() {
    // `mqsim validate` writes every default out: the serialised forms
    // (durations, policies, delays) must be ones the schema accepts.
    let validator = validator();
    let dir = tmp("schema-normalised");
    let mut failures = Vec::new();
    let files = [
        scenario_files("scenarios"),
        scenario_files("scenarios/presets"),
    ]
    .concat();
    for file in &files {
        let normalised = ok(&["validate", file.to_str().unwrap()]);
        let path = write(&dir, "normalised.toml", &normalised);
        for c in complaints(&validator, &value_of(Path::new(&path))) {
            failures.push(format!("{} (normalised): {c}", file.display()));
        }
    }
    let template = dir.join("template.toml");
    ok(&["init", "template", "--out", template.to_str().unwrap()]);
    for c in complaints(&validator, &value_of(&template)) {
        failures.push(format!("init template: {c}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_fixtures_the_schema_can_judge_are_rejected() {
    let validator = validator();
    // (fixture, where the schema's complaint points)
    let cases = [
        ("unknown-field.toml", "/topic"),
        ("missing-field.toml", "/groups/workers"),
        ("wrong-type.toml", "/groups/workers/workers"),
        ("unknown-policy.toml", "/topic/policy"),
        ("bad-duration.toml", "/horizon"),
        ("negative-rate.toml", "/producers/web/arrival"),
        ("probability-out-of-range.toml", "/producers/web/keys"),
    ];
    for (name, at) in cases {
        let file = Path::new("tests/fixtures/bad").join(name);
        let found = complaints(&validator, &value_of(&file));
        assert!(!found.is_empty(), "{name}: the schema accepts it");
        // At the field, or at the table holding it.
        let near = |c: &String| {
            let (place, _) = c.split_once(": ").unwrap_or_default();
            !place.is_empty() && at.starts_with(place)
        };
        assert!(
            found.iter().any(near),
            "{name}: no complaint at {at}: {found:?}"
        );
    }
}

#[test]
fn the_duration_pattern_agrees_with_the_parser() {
    let validator = validator();
    let texts = [
        "250ms",
        "1.5s",
        "5m",
        "2h",
        "1d",
        "10us",
        "10µs",
        "1500ns",
        "0s",
        "3 min",
        " 2s ",
        "1_000ms",
        "1e3ms",
        ".5s",
        "1.s",
        "+1s",
        "forever",
        "5",
        "-1s",
        "fast",
        "1y",
        "",
        "s",
        "1E3s",
        "5 parsecs",
        "1.2.3s",
        "ms5",
        "e3s",
        "forever s",
    ];
    for t in texts {
        let scenario = serde_json::json!({ "horizon": t, "producers": {}, "groups": {} });
        assert_eq!(
            validator.is_valid(&scenario),
            Dur::parse(t).is_ok(),
            "{t:?}: {:?}",
            complaints(&validator, &scenario)
        );
    }
}

#[test]
fn a_json_scenario_may_name_its_schema() {
    let dir = tmp("schema-dollar");
    let file = write(
        &dir,
        "s.json",
        r#"{
  "$schema": "../docs/scenario.schema.json",
  "horizon": "1m",
  "producers": {"web": {"arrival": {"poisson": {"rate_per_s": 10}}}},
  "groups": {"workers": {"workers": 2, "service": {"exponential": {"mean": "100ms"}}}}
}"#,
    );
    assert!(complaints(&validator(), &value_of(Path::new(&file))).is_empty());
    let normalised = ok(&["validate", &file]);
    assert!(!normalised.contains("$schema"), "{normalised}");
}

#[test]
fn schema_output_is_deterministic_and_is_the_shipped_copy() {
    let first = ok(&["schema"]);
    assert_eq!(first, ok(&["schema"]));
    let dir = tmp("schema-out");
    let out = dir.join("scenario.schema.json");
    let said = ok(&["schema", "--out", out.to_str().unwrap()]);
    assert!(said.starts_with("wrote "), "{said}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first);
    let shipped = std::fs::read_to_string(SHIPPED_COPY).unwrap_or_default();
    assert!(
        shipped == first,
        "{SHIPPED_COPY} is out of date: run `mqsim schema --out {SHIPPED_COPY}`"
    );
}
