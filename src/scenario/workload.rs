//! Workload files for `mqsim decide`: the producers' arrivals, the
//! consumers' work, the story to survive, what the caller needs and the
//! objectives. Read with the scenario files' machinery, so a bad value is
//! reported with its file, line, column and field path; the arrival, key,
//! size and service-time values are the scenario file's own types.

use super::decode::decode;
use super::document::{Document, Format};
use super::duration::Dur;
use super::error::{Issue, Origin, ScenarioError};
use super::path::FieldPath;
use super::raw::{RawArrival, RawDist, RawKeys};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A workload file as written.
#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    /// The question, in words.
    #[serde(default)]
    description: Option<String>,
    /// Seed of every random stream (the same for every alternative).
    #[serde(default = "one")]
    seed: u64,
    /// Simulated time during which the producers publish.
    horizon: Dur,
    /// Time-series interval (default: horizon / 500).
    #[serde(default)]
    sample_interval: Option<Dur>,
    /// Independent runs of each alternative.
    #[serde(default = "three")]
    #[schemars(range(min = 2))]
    replications: u32,
    /// The producers' messages.
    arrivals: RawArrivals,
    /// The services that react to each message, by name (more than one:
    /// fan-out).
    consumers: BTreeMap<String, RawConsumer>,
    /// What the caller needs.
    #[serde(default)]
    caller: RawCaller,
    /// `none`, or `per_key`: messages with the same key processed in order.
    #[serde(default)]
    ordering: Ordering,
    /// What the design must survive.
    #[serde(default)]
    story: RawStory,
    /// Objectives, as `--slo` takes them (`e2e.p99 < 30s`, `lost == 0`).
    #[serde(default)]
    objectives: Vec<String>,
    /// Prices (defaults documented in `mqsim decide --help` and the README).
    #[serde(default)]
    prices: Prices,
    /// Only these alternatives (default: every one that applies).
    #[serde(default)]
    alternatives: Option<Vec<String>>,
}

fn one() -> u64 {
    1
}

fn three() -> u32 {
    3
}

#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct RawArrivals {
    arrival: RawArrival,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    size: Option<RawDist<f64>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct RawConsumer {
    service: RawDist<Dur>,
    /// Workers it runs with today (the direct call's capacity).
    workers: u32,
    /// The most workers it can scale to (the sizing's upper bound).
    #[serde(default)]
    max_workers: Option<u32>,
    #[serde(default)]
    failure_probability: f64,
    #[serde(default)]
    poison_share: f64,
}

/// What the caller needs back.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Needs {
    /// Only an acknowledgement that the work will be done.
    #[default]
    Ack,
    /// The answer of the work, now.
    Answer,
}

/// Ordering the consumers need.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ordering {
    /// None.
    #[default]
    None,
    /// Messages with the same key are processed in the order sent.
    PerKey,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct RawCaller {
    #[serde(default)]
    needs: Needs,
    /// How long a direct caller waits for each attempt (default 30s).
    #[serde(default)]
    timeout: Option<Dur>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
struct RawStory {
    #[serde(default)]
    burst: Option<Burst>,
    #[serde(default)]
    outage: Option<Outage>,
    #[serde(default)]
    producer_crash: Option<ProducerCrash>,
    #[serde(default)]
    consumer_crash: Option<ConsumerCrash>,
}

/// A one-shot burst on top of the arrivals.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// When it starts.
    pub at: Dur,
    /// Extra messages.
    pub count: u64,
    /// Spread evenly over this long.
    pub over: Dur,
}

/// Every consumer's dependency down (it refuses or cannot work).
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// When it starts.
    pub at: Dur,
    /// How long it lasts.
    #[serde(rename = "for")]
    pub lasts: Dur,
    /// The consumers it strikes (default: every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<String>,
}

/// The producer crashes (a redeploy, an OOM kill).
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerCrash {
    /// When.
    pub at: Dur,
    /// How long it stays down (its arrivals meanwhile are lost).
    #[serde(default)]
    pub down: Dur,
}

/// Consumer workers crash now and then, some between the side effect and
/// the ack.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerCrash {
    /// Mean time between crashes of each worker (exponential).
    pub every: Dur,
    /// How long a crashed worker stays down.
    pub down: Dur,
    /// Share of crashes after the side effect and before the ack.
    #[serde(default = "half")]
    pub after_side_effect: f64,
}

fn half() -> f64 {
    0.5
}

/// Prices behind the cost column, in dollars. Defaults: AWS us-east-1 list
/// prices (see the README's `decide` section for the sources).
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Prices {
    /// One worker (1 vCPU, 2 GB on Fargate: 0.04048 + 2 × 0.004445).
    pub worker_hour: f64,
    /// One self-run broker node (2 vCPU, 8 GB on Fargate).
    pub broker_node_hour: f64,
    /// SQS standard, per million requests (3 per message: send, receive,
    /// delete).
    pub sqs_per_million_requests: f64,
    /// SQS FIFO, per million requests.
    pub sqs_fifo_per_million_requests: f64,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            worker_hour: 0.04937,
            broker_node_hour: 0.11652,
            sqs_per_million_requests: 0.40,
            sqs_fifo_per_million_requests: 0.50,
        }
    }
}

/// One consumer of the workload, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    /// Its name.
    pub name: String,
    /// Its service time, as a scenario's `service` value.
    pub service: Value,
    /// Mean service time in seconds.
    pub mean_service_s: f64,
    /// Workers today.
    pub workers: u32,
    /// The most it can scale to.
    pub max_workers: u32,
    /// Transient failure probability per delivery.
    pub failure_probability: f64,
    /// Share of poison messages.
    pub poison_share: f64,
}

/// A workload, validated.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The file it came from.
    pub file: PathBuf,
    /// Its name (the file's stem).
    pub name: String,
    /// The question.
    pub description: Option<String>,
    /// Seed.
    pub seed: u64,
    /// Horizon.
    pub horizon: Dur,
    /// Sample interval.
    pub sample_interval: Option<Dur>,
    /// Replications.
    pub replications: u32,
    /// The arrival process, as a scenario's `arrival` value.
    pub arrival: Value,
    /// Keys, as a scenario's `keys` value.
    pub keys: Value,
    /// Whether messages have keys.
    pub keyed: bool,
    /// Sizes, as a scenario's `size` value.
    pub size: Option<Value>,
    /// The consumers, in name order.
    pub consumers: Vec<Consumer>,
    /// What the caller needs.
    pub needs: Needs,
    /// A direct caller's timeout per attempt.
    pub timeout: Dur,
    /// Ordering.
    pub ordering: Ordering,
    /// The burst.
    pub burst: Option<Burst>,
    /// The outage.
    pub outage: Option<Outage>,
    /// The producer crash.
    pub producer_crash: Option<ProducerCrash>,
    /// The consumer crashes.
    pub consumer_crash: Option<ConsumerCrash>,
    /// Objectives, as written.
    pub objectives: Vec<String>,
    /// Prices.
    pub prices: Prices,
    /// The alternatives asked for, if restricted.
    pub alternatives: Option<Vec<String>>,
    doc: Document,
}

/// The largest default for `max_workers`: 8 × today's workers, at most this.
const MAX_DEFAULT_WORKERS: u32 = 256;

impl Workload {
    /// Reads and validates a workload file (`.toml` or `.json`).
    ///
    /// # Errors
    /// Every problem found, each with its line, column and field path.
    pub fn load(file: &Path) -> Result<Workload, ScenarioError> {
        let single = |message: String| {
            ScenarioError::single(
                file.to_owned(),
                Origin::File { line: 1, column: 1 },
                "",
                message,
            )
        };
        let format = match file.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("toml") => Format::Toml,
            other => {
                return Err(single(format!(
                    "expected a .toml or .json workload file (got extension {})",
                    other.unwrap_or("none")
                )));
            }
        };
        let text = crate::input::read_text_at_most(file, crate::input::MAX_SCENARIO_BYTES)
            .map_err(|e| single(format!("cannot read the file: {e}")))?;
        Workload::from_text(&text, format, file)
    }

    /// Validates workload `text`; `file` names it in errors.
    ///
    /// # Errors
    /// As [`Workload::load`].
    pub fn from_text(text: &str, format: Format, file: &Path) -> Result<Workload, ScenarioError> {
        let fail = |issues| ScenarioError::new(file.to_owned(), issues);
        let doc = Document::parse(text, format).map_err(fail)?;
        let (raw, mut issues) = decode::<RawWorkload>(&doc);
        let Some(raw) = raw else {
            return Err(fail(issues));
        };
        let mut problem = |path: &str, message: String| {
            let origin = FieldPath::parse(path)
                .map_or(Origin::File { line: 1, column: 1 }, |p| doc.locate(&p));
            issues.push(Issue {
                origin,
                path: path.to_owned(),
                message,
            });
        };
        if raw.consumers.is_empty() {
            problem(
                "consumers",
                "expected at least one consumer: [consumers.<name>] with service and workers"
                    .into(),
            );
        }
        if raw.replications < 2 {
            problem(
                "replications",
                format!(
                    "expected at least 2 (the ranking's intervals need them), got {}",
                    raw.replications
                ),
            );
        }
        let mut consumers = Vec::new();
        for (name, c) in &raw.consumers {
            let at = |field: &str| format!("consumers.{name}.{field}");
            if c.workers == 0 {
                problem(&at("workers"), "expected at least 1 worker, got 0".into());
            }
            let max_workers = c.max_workers.unwrap_or_else(|| {
                (c.workers.saturating_mul(8)).clamp(c.workers, MAX_DEFAULT_WORKERS)
            });
            if max_workers < c.workers {
                problem(
                    &at("max_workers"),
                    format!(
                        "expected at least workers ({}), got {max_workers}",
                        c.workers
                    ),
                );
            }
            for (field, p) in [
                ("failure_probability", c.failure_probability),
                ("poison_share", c.poison_share),
            ] {
                if !(0.0..=1.0).contains(&p) {
                    problem(
                        &at(field),
                        format!("expected a probability from 0 to 1, got {p}"),
                    );
                }
            }
            let service = serde_json::to_value(&c.service).unwrap_or(Value::Null);
            consumers.push(Consumer {
                name: name.clone(),
                service,
                mean_service_s: f64::NAN,
                workers: c.workers,
                max_workers,
                failure_probability: c.failure_probability,
                poison_share: c.poison_share,
            });
        }
        let keyed = !matches!(raw.arrivals.keys, RawKeys::None);
        if raw.ordering == Ordering::PerKey && !keyed {
            problem(
                "ordering",
                "per_key ordering needs keys: set arrivals.keys (e.g. { uniform = { n = 10000 } })"
                    .into(),
            );
        }
        if let Some(c) = raw.story.consumer_crash
            && !(0.0..=1.0).contains(&c.after_side_effect)
        {
            problem(
                "story.consumer_crash.after_side_effect",
                format!(
                    "expected a probability from 0 to 1, got {}",
                    c.after_side_effect
                ),
            );
        }
        let horizon = raw.horizon.0.as_secs_f64();
        let mut within = |path: &str, at: Dur| {
            if at.0.as_secs_f64() >= horizon {
                problem(
                    path,
                    format!(
                        "expected a time before the horizon ({}), got {at}",
                        raw.horizon
                    ),
                );
            }
        };
        if let Some(b) = raw.story.burst {
            within("story.burst.at", b.at);
        }
        if let Some(o) = &raw.story.outage {
            within("story.outage.at", o.at);
        }
        if let Some(p) = raw.story.producer_crash {
            within("story.producer_crash.at", p.at);
        }
        if let Some(o) = &raw.story.outage {
            for (i, name) in o.consumers.iter().enumerate() {
                if !raw.consumers.contains_key(name) {
                    problem(
                        &format!("story.outage.consumers[{i}]"),
                        format!(
                            "unknown consumer \"{name}\": expected one of {}",
                            raw.consumers.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
        }
        let prices = raw.prices;
        for (field, v) in [
            ("worker_hour", prices.worker_hour),
            ("broker_node_hour", prices.broker_node_hour),
            ("sqs_per_million_requests", prices.sqs_per_million_requests),
            (
                "sqs_fifo_per_million_requests",
                prices.sqs_fifo_per_million_requests,
            ),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                problem(
                    &format!("prices.{field}"),
                    format!("expected a price of 0 or more, got {v}"),
                );
            }
        }
        if !issues.is_empty() {
            return Err(fail(issues));
        }
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("workload")
            .to_owned();
        Ok(Workload {
            file: file.to_owned(),
            name,
            description: raw.description,
            seed: raw.seed,
            horizon: raw.horizon,
            sample_interval: raw.sample_interval,
            replications: raw.replications,
            arrival: serde_json::to_value(&raw.arrivals.arrival).unwrap_or(Value::Null),
            keys: serde_json::to_value(&raw.arrivals.keys).unwrap_or(Value::Null),
            keyed,
            size: raw
                .arrivals
                .size
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok()),
            consumers,
            needs: raw.caller.needs,
            timeout: raw
                .caller
                .timeout
                .unwrap_or(Dur(crate::engine::SimDuration::from_secs(30))),
            ordering: raw.ordering,
            burst: raw.story.burst,
            outage: raw.story.outage,
            producer_crash: raw.story.producer_crash,
            consumer_crash: raw.story.consumer_crash,
            objectives: raw.objectives,
            prices,
            alternatives: raw.alternatives,
            doc,
        })
    }

    /// Where `path` (a workload field path) is in the file.
    pub fn locate(&self, path: &str) -> Origin {
        FieldPath::parse(path).map_or(Origin::File { line: 1, column: 1 }, |p| self.doc.locate(&p))
    }

    /// A problem with `path` of this file, as an error.
    pub fn error(&self, path: &str, message: String) -> ScenarioError {
        ScenarioError::single(self.file.clone(), self.locate(path), path, message)
    }
}
