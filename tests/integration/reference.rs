//! `scenarios/reference.toml` documents every field and every variant.

use mqsim::scenario::{Format, Scenario};
use std::path::Path;

const REFERENCE: &str = "scenarios/reference.toml";

fn every_key(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                every_key(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| every_key(v, out)),
        _ => {}
    }
}

/// The variant names the decoder lists when given an unknown one at `field`.
fn variants(field: &str, bad: &str) -> Vec<String> {
    let body = "horizon = \"1m\"\n[producers.p]\narrival = { poisson = { rate_per_s = 1 } }\n\
                [groups.g]\nworkers = 1\nservice = { constant = { value = \"1s\" } }\n";
    // Dotted keys must come before the first table; tables go after.
    let text = if field.starts_with('[') {
        format!("{body}{field} = {bad}\n")
    } else {
        format!("{field} = {bad}\n{body}")
    };
    let err = Scenario::from_text(&text, Format::Toml, Path::new("v.toml"), &[]).unwrap_err();
    let message = &err.issues[0].message;
    let list = message
        .split("expected ")
        .nth(1)
        .unwrap_or_else(|| panic!("{message}"));
    let list = list.split(" (got").next().unwrap();
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn reference_parses_and_mentions_every_field_and_variant() {
    let text = std::fs::read_to_string(REFERENCE).unwrap();
    let scenario = Scenario::load(Path::new(REFERENCE), &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut keys = Vec::new();
    every_key(
        &serde_json::from_str(&scenario.normalised_json()).unwrap(),
        &mut keys,
    );
    for key in &keys {
        assert!(
            text.contains(key.as_str()),
            "reference.toml does not mention `{key}`"
        );
    }
    let lists = [
        variants("topic.policy", "\"nope\""),
        variants(
            "[producers.k]\narrival = { poisson = { rate_per_s = 1 } }\nkeys",
            "\"nope\"",
        ),
        variants("[producers.q]\narrival", "{ nope = {} }"),
        variants("[groups.h]\nworkers = 1\nservice", "{ nope = {} }"),
    ];
    for list in &lists {
        assert!(list.len() >= 4, "{list:?}");
        for variant in list {
            assert!(
                text.contains(variant.as_str()),
                "reference.toml does not mention `{variant}`"
            );
        }
    }
    for name in mqsim::scenario::preset::names() {
        assert!(
            text.contains(name),
            "reference.toml does not mention preset `{name}`"
        );
    }
    // Every field a variant can take, too.
    for field in [
        "start_on",
        "mean_sojourn",
        "steps",
        "poisson",
        "count",
        "over",
        "amplitude_per_s",
        "period",
        "phase",
    ] {
        assert!(
            text.contains(field),
            "reference.toml does not mention `{field}`"
        );
    }
    for field in [
        "low",
        "high",
        "k",
        "shape",
        "cv",
        "p50",
        "p99",
        "phases",
        "probability",
        "samples",
        "csv",
        "column",
        "scale",
        "time_scale",
    ] {
        assert!(
            text.contains(field),
            "reference.toml does not mention `{field}`"
        );
    }
}
