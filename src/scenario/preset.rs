//! Broker presets: `topic.preset = "kafka"` gives a scenario the documented
//! semantics and defaults of a real system. Each preset is a TOML fragment
//! in `presets/`, every value commented with its source, with a `[topic]`
//! table and optionally `[group_defaults]` (applied to every group) and
//! `[producer_defaults]` (applied to every producer).
//!
//! The fragment is merged *under* the scenario's value tree after `--set`
//! overrides and before decoding: a field the file or `--set` wrote keeps
//! its value, and a field only the preset sets is inserted. Sections
//! (`[topic]`, each group and producer, and their `retry`, `crash` and
//! `autoscale` tables) merge field by field; any other value (a policy
//! with its options, a distribution, a backoff, an arrival) is replaced
//! whole, since mixing the fields of two variants would make neither.

use super::decode::closest;
use super::document::{Document, Format};
use super::error::Issue;
use super::path::FieldPath;
use serde_json::{Map, Value};

/// A preset's name and its fragment.
struct Preset {
    name: &'static str,
    fragment: &'static str,
}

/// Every preset, in the order the documentation lists them.
const PRESETS: [Preset; 11] = [
    preset("kafka", include_str!("presets/kafka.toml")),
    preset("rabbitmq", include_str!("presets/rabbitmq.toml")),
    preset("sqs", include_str!("presets/sqs.toml")),
    preset("sqs_fifo", include_str!("presets/sqs_fifo.toml")),
    preset("nats_core", include_str!("presets/nats_core.toml")),
    preset(
        "nats_jetstream",
        include_str!("presets/nats_jetstream.toml"),
    ),
    preset("redis_streams", include_str!("presets/redis_streams.toml")),
    preset("pulsar", include_str!("presets/pulsar.toml")),
    preset(
        "postgres_queue",
        include_str!("presets/postgres_queue.toml"),
    ),
    preset("outbox", include_str!("presets/outbox.toml")),
    preset("in_process", include_str!("presets/in_process.toml")),
];

const fn preset(name: &'static str, fragment: &'static str) -> Preset {
    Preset { name, fragment }
}

/// Tables inside a section that are sections themselves (structs, merged
/// field by field); every other table is one value.
const SUBSECTIONS: [&str; 3] = ["retry", "crash", "autoscale"];

/// The names of every preset.
pub fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}

/// The TOML fragment of preset `name`, with the source of each value.
pub fn fragment(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.name == name).map(|p| p.fragment)
}

/// What a preset put into a scenario, to explain errors in those values.
#[derive(Debug, Default)]
pub(super) struct Applied {
    name: String,
    inserted: Vec<FieldPath>,
}

impl Applied {
    /// The paths of the fields the preset filled in.
    pub(super) fn fields(&self) -> Vec<String> {
        self.inserted.iter().map(FieldPath::to_string).collect()
    }

    /// Notes on each issue about a value the preset inserted that it came
    /// from the preset, and how to override it.
    pub(super) fn annotate(&self, issues: &mut [Issue]) {
        for issue in issues {
            let Ok(path) = FieldPath::parse(&issue.path) else {
                continue;
            };
            if let Some(field) = self
                .inserted
                .iter()
                .find(|p| path.segments().starts_with(p.segments()))
            {
                issue.message.push_str(&format!(
                    "; {field} was set by preset \"{}\" (a value in the file or --set replaces it)",
                    self.name
                ));
            }
        }
    }
}

/// Merges the fragment of the preset named by `topic.preset` under `doc`.
/// An unknown name is an issue; a `topic.preset` that is not a string is
/// left for the decoder to report.
pub(super) fn apply(doc: &mut Document, issues: &mut Vec<Issue>) -> Applied {
    let root = FieldPath::root();
    let topics: Vec<String> = match doc.value.get("topics") {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if topics.is_empty() {
        return apply_one(doc, &root.key("topic"), None, issues);
    }
    // Each named topic's preset, over its own readers and producers.
    let mut applied = Applied::default();
    for t in &topics {
        let one = apply_one(
            doc,
            &root.key("topics").key(t),
            Some((t, topics.len())),
            issues,
        );
        if applied.name.is_empty() {
            applied.name = one.name;
        }
        applied.inserted.extend(one.inserted);
    }
    applied
}

/// The preset named at `topic`'s `preset`, merged under that topic and
/// the groups and producers on it (`named`: the topic's name and how many
/// topics the file names; `None` for the one `[topic]`).
fn apply_one(
    doc: &mut Document,
    topic: &FieldPath,
    named: Option<(&String, usize)>,
    issues: &mut Vec<Issue>,
) -> Applied {
    let at = topic.key("preset");
    let Some(Value::String(name)) = at.get(&doc.value).cloned() else {
        return Applied::default();
    };
    match fragment(&name) {
        Some(text) => apply_fragment(doc, topic, named, &name, text, issues),
        None => {
            let known = names()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = closest(&name, &known)
                .map(|k| format!("; did you mean \"{k}\"?"))
                .unwrap_or_default();
            issues.push(Issue {
                origin: doc.locate(&at),
                path: at.to_string(),
                message: format!("unknown preset \"{name}\"{hint} (expected one of {known})"),
            });
            Applied::default()
        }
    }
}

/// Merges fragment `text` of preset `name` under the topic at `topic` of
/// `doc`, and its group and producer defaults under the groups and
/// producers on that topic. Inserted values are located at the topic's
/// `preset`, where the preset was named.
fn apply_fragment(
    doc: &mut Document,
    topic: &FieldPath,
    named: Option<(&String, usize)>,
    name: &str,
    text: &str,
    issues: &mut Vec<Issue>,
) -> Applied {
    let at = topic.key("preset");
    let mut applied = Applied {
        name: name.to_owned(),
        inserted: Vec::new(),
    };
    let fragment = match Document::parse(text, Format::Toml) {
        Ok(fragment) => fragment.value,
        Err(errors) => {
            // A shipped fragment always parses (tested); never panic anyway.
            issues.extend(errors.into_iter().map(|e| Issue {
                origin: doc.locate(&at),
                path: at.to_string(),
                message: format!("preset \"{name}\" is broken: {}", e.message),
            }));
            return applied;
        }
    };
    let root = FieldPath::root();
    merge_into(&mut doc.value, topic, &fragment["topic"], &mut applied);
    let called = called(&doc.value);
    for (section, defaults) in [
        ("groups", "group_defaults"),
        ("producers", "producer_defaults"),
    ] {
        let members: Vec<String> = match doc.value.get(section) {
            Some(Value::Object(map)) => (map.iter())
                .filter(|(key, _)| section != "groups" || !called.contains(key.as_str()))
                .filter(|(_, member)| on_topic(member, named))
                .map(|(key, _)| key.clone())
                .collect(),
            _ => Vec::new(),
        };
        for member in members {
            let path = root.key(section).key(&member);
            merge_into(&mut doc.value, &path, &fragment[defaults], &mut applied);
        }
    }
    for path in &applied.inserted {
        doc.locate_like(path, &at);
    }
    applied
}

/// The groups some group calls directly (`call = [{ service = … }]`):
/// they read no topic, so no topic's preset applies to them.
fn called(root: &Value) -> std::collections::BTreeSet<String> {
    let members = |table: &str| match root.get(table) {
        Some(Value::Object(members)) => members.values().cloned().collect(),
        _ => Vec::new(),
    };
    let by_groups = (members("groups").into_iter())
        .filter_map(|g| g.get("call")?.as_array().cloned())
        .flatten();
    let by_producers = (members("producers").into_iter()).filter_map(|p| p.get("call").cloned());
    (by_groups.chain(by_producers))
        .filter_map(|link| link.get("service")?.as_str().map(str::to_owned))
        .collect()
}

/// Whether a group or producer is on the topic `named` (its `topic` names
/// it, or it names none and the file has one topic); every member is on
/// the one `[topic]`.
fn on_topic(member: &Value, named: Option<(&String, usize)>) -> bool {
    if member.get("call").is_some_and(Value::is_object) {
        return false; // A producer that calls a service publishes nowhere.
    }
    let Some((name, topics)) = named else {
        return true;
    };
    match member.get("topic") {
        Some(Value::String(t)) => t == name,
        None => topics == 1,
        Some(_) => false,
    }
}

/// Merges `preset` under the section at `path` of `root`, when both are
/// tables (a section of the wrong type is left for the decoder).
fn merge_into(root: &mut Value, path: &FieldPath, preset: &Value, applied: &mut Applied) {
    let Value::Object(preset) = preset else {
        return;
    };
    if path.get(root).is_none() && path.set(root, Value::Object(Map::new())).is_err() {
        return;
    }
    if let Some(Value::Object(section)) = path.get_mut(root) {
        merge(section, preset, path, &mut applied.inserted);
    }
}

/// Inserts each field of `preset` that `user` lacks; merges subsections.
fn merge(
    user: &mut Map<String, Value>,
    preset: &Map<String, Value>,
    path: &FieldPath,
    inserted: &mut Vec<FieldPath>,
) {
    for (key, value) in preset {
        let child = path.key(key);
        match (user.get_mut(key), value) {
            (None, _) => {
                user.insert(key.clone(), value.clone());
                inserted.push(child);
            }
            (Some(Value::Object(mine)), Value::Object(theirs))
                if SUBSECTIONS.contains(&key.as_str()) =>
            {
                merge(mine, theirs, &child, inserted);
            }
            (Some(_), _) => {} // The user's value wins, whole.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::raw::RawTopic;

    fn doc(text: &str) -> Document {
        Document::parse(text, Format::Toml).unwrap()
    }

    fn merged(user: &str, fragment: &str) -> (Value, Applied) {
        let mut d = doc(user);
        let mut issues = Vec::new();
        let applied = apply_fragment(
            &mut d,
            &FieldPath::root().key("topic"),
            None,
            "test",
            fragment,
            &mut issues,
        );
        assert!(issues.is_empty(), "{issues:?}");
        (d.value, applied)
    }

    #[test]
    fn every_fragment_parses_and_sets_only_sections_it_may() {
        for name in names() {
            let text = fragment(name).unwrap();
            let value = doc(text).value;
            let Value::Object(map) = &value else {
                panic!("{name}: not a table")
            };
            for key in map.keys() {
                assert!(
                    ["topic", "group_defaults", "producer_defaults"].contains(&key.as_str()),
                    "{name}: unexpected [{key}]"
                );
            }
            // The topic table decodes on its own: every field exists.
            let topic: Result<RawTopic, _> = serde_json::from_value(value["topic"].clone());
            assert!(topic.is_ok(), "{name}: {topic:?}");
            assert!(text.contains('#'), "{name}: every value needs its source");
        }
        assert_eq!(names().count(), 11);
    }

    #[test]
    fn a_value_the_user_set_beats_the_preset_and_the_rest_is_inserted() {
        let (value, applied) = merged(
            "[topic]\nmax_deliveries = 3\n[groups.g]\nworkers = 2\n[groups.h]\nworkers = 1\nconsumption = \"competing\"\n",
            "[topic]\nmax_deliveries = 20\nrequeue = \"head\"\n[group_defaults]\nconsumption = \"partitioned\"\n",
        );
        assert_eq!(value["topic"]["max_deliveries"], 3);
        assert_eq!(value["topic"]["requeue"], "head");
        assert_eq!(value["groups"]["g"]["consumption"], "partitioned");
        assert_eq!(value["groups"]["h"]["consumption"], "competing");
        assert_eq!(value["groups"]["g"]["workers"], 2);
        let inserted: Vec<String> = applied.inserted.iter().map(|p| p.to_string()).collect();
        assert_eq!(inserted, ["topic.requeue", "groups.g.consumption"]);
    }

    #[test]
    fn sections_merge_deeply_and_other_tables_are_replaced_whole() {
        let (value, _) = merged(
            "[topic]\nredelivery_backoff = { exponential = { initial = \"1s\", max = \"1m\" } }\n\
             policy = { spill = { disk_capacity = 10 } }\n[producers.p]\nretry = { attempts = 3 }\n",
            "[topic]\nredelivery_backoff = { fixed = { delay = \"1m\" } }\n\
             policy = { block = { max_block = \"30s\" } }\n\
             [producer_defaults]\nretry = { attempts = 9, backoff = { fixed = { delay = \"100ms\" } } }\n",
        );
        // A backoff is one value: mixing fixed and exponential would be neither.
        let backoff = value["topic"]["redelivery_backoff"].as_object().unwrap();
        assert_eq!(backoff.keys().collect::<Vec<_>>(), ["exponential"]);
        // So is a policy with its options.
        let policy = value["topic"]["policy"].as_object().unwrap();
        assert_eq!(policy.keys().collect::<Vec<_>>(), ["spill"]);
        assert_eq!(value["topic"]["policy"]["spill"]["disk_capacity"], 10);
        assert_eq!(value["producers"]["p"]["retry"]["attempts"], 3);
        assert_eq!(
            value["producers"]["p"]["retry"]["backoff"]["fixed"]["delay"],
            "100ms"
        );
    }

    #[test]
    fn a_missing_topic_table_is_created_and_a_malformed_one_left_alone() {
        let (value, _) = merged("horizon = \"1m\"\n", "[topic]\ndlq = false\n");
        assert_eq!(value["topic"]["dlq"], false);
        let (value, applied) = merged("topic = 3\n", "[topic]\ndlq = false\n");
        assert_eq!(value["topic"], 3);
        assert!(applied.inserted.is_empty());
    }

    #[test]
    fn inserted_values_are_located_at_the_preset_and_explained() {
        let mut d = doc("horizon = \"1m\"\n[topic]\nname = \"t\"\npreset = \"x\"\n");
        let mut issues = Vec::new();
        let applied = apply_fragment(
            &mut d,
            &FieldPath::root().key("topic"),
            None,
            "x",
            "[topic]\ncapacity = 0\n",
            &mut issues,
        );
        let path = FieldPath::parse("topic.capacity").unwrap();
        assert_eq!(
            d.locate(&path),
            crate::scenario::Origin::File { line: 4, column: 1 }
        );
        let mut issues = vec![Issue {
            origin: d.locate(&path),
            path: "topic.capacity".into(),
            message: "must be at least 1 (got 0)".into(),
        }];
        applied.annotate(&mut issues);
        assert_eq!(
            issues[0].message,
            "must be at least 1 (got 0); topic.capacity was set by preset \"x\" \
             (a value in the file or --set replaces it)"
        );
    }

    #[test]
    fn a_producer_that_calls_gets_no_producer_defaults() {
        use crate::scenario::Scenario;
        // Kafka's producer defaults (retries, idempotence) are a
        // publish's: the producer that calls a service gets none of them.
        let text = "horizon = \"1m\"\n[topic]\npreset = \"kafka\"\n\
                    [producers.p]\narrival = { poisson = { rate_per_s = 1 } }\n\
                    [producers.q]\narrival = { poisson = { rate_per_s = 1 } }\n\
                    call = { service = \"api\" }\n\
                    [groups.g]\nworkers = 1\nservice = { constant = { value = \"1s\" } }\n\
                    [groups.api]\nworkers = 1\nservice = { constant = { value = \"1s\" } }\n";
        let s = Scenario::from_text(text, Format::Toml, "t.toml".as_ref(), &[])
            .unwrap_or_else(|e| panic!("{e:?}"));
        let (p, q) = (&s.normalised.producers["p"], &s.normalised.producers["q"]);
        assert!(
            p.retry.is_some(),
            "the publishing producer has kafka's retries"
        );
        assert!(q.retry.is_none() && !q.idempotent);
        assert!(s.normalised.groups["api"].topic.is_none());
    }

    #[test]
    fn set_beats_the_preset_and_the_file_and_can_name_the_preset() {
        use crate::scenario::{Override, RawPolicy, Scenario};
        let text = "horizon = \"1m\"\n[topic]\nmax_deliveries = 5\nttl = \"1h\"\n\
                    [producers.p]\narrival = { poisson = { rate_per_s = 1 } }\n\
                    [groups.g]\nworkers = 1\nservice = { constant = { value = \"1s\" } }\n";
        let sets = ["topic.preset=rabbitmq", "topic.max_deliveries=7"]
            .map(|s| Override::parse(s).unwrap());
        let s = Scenario::from_text(text, Format::Toml, "t.toml".as_ref(), &sets).unwrap();
        let topic = s.normalised.topic.as_ref().unwrap();
        assert_eq!(topic.preset.as_deref(), Some("rabbitmq"));
        assert_eq!(topic.max_deliveries, Some(7), "--set beats file and preset");
        let ttl = match topic.ttl {
            Some(crate::scenario::raw::RawDelay::Fixed(d)) => Some(d.to_string()),
            _ => None,
        };
        assert_eq!(ttl.as_deref(), Some("1h"));
        assert!(
            matches!(topic.policy, RawPolicy::DropOldest),
            "from the preset"
        );
        assert!(s.from_preset.contains(&"topic.policy".to_owned()));
        assert!(!s.from_preset.iter().any(|f| f == "topic.max_deliveries"));
    }

    #[test]
    fn an_unknown_preset_names_the_valid_ones() {
        let mut d = doc("[topic]\npreset = \"kafak\"\n");
        let mut issues = Vec::new();
        apply(&mut d, &mut issues);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].path, "topic.preset");
        assert!(
            issues[0].message.starts_with(
                "unknown preset \"kafak\"; did you mean \"kafka\"? (expected one of \"kafka\", \"rabbitmq\""
            ),
            "{}",
            issues[0].message
        );
        assert!(issues[0].message.ends_with("\"in_process\")"));
    }
}
