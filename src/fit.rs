//! `mqsim fit`: a scenario from a system's own delivery log. Users have
//! logs, not broker internals: one row per delivery attempt with when the
//! message was created, delivered and done, and how it ended. From them
//! this fits what mqsim needs to replay that system: the arrivals (a trace
//! to replay, and the Poisson rate they would have), the service time
//! (empirical), the overhead a worker spends between deliveries while
//! work waits, the hand-off (the wait for a first delivery when a worker
//! was free), the workers, the failure share and the delivery limit.
//!
//! The log is a CSV file with a header: `id`, `created`, `delivered`,
//! `done` and `outcome` (`ack`, `fail` or `dead`), and optionally `key`
//! and `worker`, in any order. Times are seconds (from any origin).
//! A `dead` row marks a message the broker dead-lettered; its `delivered`
//! and `done` may be empty. Fitting needs every row at once (it sorts
//! them), so memory grows with the log, unlike a run.

use crate::model::arrival::csv::{Csv, CsvError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// How a delivery ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Processed and acknowledged.
    Ack,
    /// The consumer failed it (the broker redelivers or dead-letters it).
    Fail,
    /// The broker dead-lettered the message (not a delivery).
    Dead,
}

/// One row of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The line it came from.
    pub line: usize,
    /// The message.
    pub id: String,
    /// Its key, if logged.
    pub key: Option<String>,
    /// The worker that ran the attempt, if logged.
    pub worker: Option<String>,
    /// When the message was created, seconds.
    pub created: f64,
    /// When the attempt was delivered and done (none on a `dead` row).
    pub delivered: Option<f64>,
    /// When the attempt ended.
    pub done: Option<f64>,
    /// How it ended.
    pub outcome: Outcome,
}

/// The columns a log has, required first.
const COLUMNS: [&str; 7] = [
    "id",
    "created",
    "delivered",
    "done",
    "outcome",
    "key",
    "worker",
];
const REQUIRED: usize = 5;

/// Most rows read (a log of deliveries, not a trace of a year).
const MAX_ROWS: u64 = 50_000_000;

/// Reads and checks the log at `path`.
///
/// # Errors
/// A [`CsvError`] naming the file, the line and the column: a missing or
/// unknown column, a time that is not a number of seconds ≥ 0, a delivery
/// before its creation or a finish before its delivery, an outcome other
/// than `ack`, `fail` or `dead`, a message whose rows disagree on when it
/// was created, or a log with no rows.
pub fn read_log(path: &Path) -> Result<Vec<Row>, CsvError> {
    let mut csv = Csv::read(path)?;
    read_rows(&mut csv)
}

fn read_rows(csv: &mut Csv) -> Result<Vec<Row>, CsvError> {
    let line = csv.header_line();
    if let Some(unknown) = (csv.header().iter()).find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(csv.error(
            Some(line),
            format!(
                "unknown column \"{unknown}\" (expected {}, and optionally key and worker)",
                COLUMNS[..REQUIRED].join(", ")
            ),
        ));
    }
    let mut at = [0usize; REQUIRED];
    for (i, name) in COLUMNS[..REQUIRED].iter().enumerate() {
        at[i] = csv.column(name)?;
    }
    let key = csv.column("key").ok();
    let worker = csv.column("worker").ok();
    let mut rows = Vec::new();
    let mut created_of: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    while csv.advance()? {
        let record = csv.record();
        let line = record.line;
        if rows.len() as u64 >= MAX_ROWS {
            return Err(csv.error(Some(line), format!("more than {MAX_ROWS} rows")));
        }
        let field = |i: usize| record.fields[i].as_str();
        let time = |name: &str, text: &str, required: bool| -> Result<Option<f64>, CsvError> {
            if text.is_empty() && !required {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(csv.error(
                    Some(line),
                    format!(
                        "column \"{name}\": expected a number of seconds >= 0 (got \"{text}\")"
                    ),
                )),
            }
        };
        let id = field(at[0]).to_owned();
        if id.is_empty() {
            return Err(csv.error(
                Some(line),
                "column \"id\": empty (every row names its message)",
            ));
        }
        let outcome = match field(at[4]) {
            "ack" => Outcome::Ack,
            "fail" => Outcome::Fail,
            "dead" => Outcome::Dead,
            other => {
                return Err(csv.error(
                    Some(line),
                    format!("column \"outcome\": expected ack, fail or dead (got \"{other}\")"),
                ));
            }
        };
        let created = time("created", field(at[1]), true)?.unwrap_or_default();
        let delivery = outcome != Outcome::Dead;
        let delivered = time("delivered", field(at[2]), delivery)?;
        let done = time("done", field(at[3]), delivery)?;
        if let Some(d) = delivered
            && d < created
        {
            return Err(csv.error(
                Some(line),
                format!("column \"delivered\": {d} is before the message was created ({created})"),
            ));
        }
        if let (Some(d), Some(f)) = (delivered, done)
            && f < d
        {
            return Err(csv.error(
                Some(line),
                format!("column \"done\": {f} is before the delivery ({d})"),
            ));
        }
        match created_of.get(&id) {
            Some(&(first, first_line)) if first != created => {
                return Err(csv.error(
                    Some(line),
                    format!(
                        "column \"created\": message \"{id}\" was created at {first} on line {first_line}, here at {created}"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                created_of.insert(id.clone(), (created, line));
            }
        }
        let optional = |i: Option<usize>| {
            i.map(|i| record.fields[i].clone())
                .filter(|s| !s.is_empty())
        };
        rows.push(Row {
            line,
            id,
            key: optional(key),
            worker: optional(worker),
            created,
            delivered,
            done,
            outcome,
        });
    }
    if rows.is_empty() {
        return Err(csv.error(None, "no rows (the log has a header and nothing else)"));
    }
    Ok(rows)
}

/// What a log says about the system that wrote it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fit {
    /// Messages in the log.
    pub messages: u64,
    /// Delivery attempts (ack or fail rows).
    pub deliveries: u64,
    /// From the first creation to the last one, seconds.
    pub span_s: f64,
    /// Each message's creation (seconds from the first) and key, in order.
    pub arrivals: Vec<(f64, Option<u64>)>,
    /// Messages per second over the span.
    pub rate_per_s: f64,
    /// The coefficient of variation of the gaps between creations (1 for
    /// Poisson).
    pub gap_cv: f64,
    /// Time from delivery to done of each attempt, seconds.
    pub service: Vec<f64>,
    /// A worker's time from one attempt's done to its next delivery, when
    /// that next message was already waiting: the broker's and client's
    /// part of a delivery (needs `worker`).
    pub overhead: Vec<f64>,
    /// First-delivery waits of messages created while a worker was free
    /// and nothing else waited: the hand-off.
    pub handoff: Vec<f64>,
    /// Workers: distinct `worker` values, else the most attempts ever in
    /// progress at once.
    pub workers: u32,
    /// Whether `workers` counts named workers (else a lower bound).
    pub workers_named: bool,
    /// Failed attempts over all attempts.
    pub failure_share: f64,
    /// Messages dead-lettered.
    pub dead: u64,
    /// The most deliveries a dead-lettered message had.
    pub max_deliveries: Option<u32>,
    /// Messages with no ack and no dead letter at the end of the log.
    pub unfinished: u64,
}

impl Fit {
    /// Fits the rows of a log (see [`read_log`]).
    pub fn of(rows: &[Row]) -> Fit {
        let mut by_id: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in rows {
            by_id.entry(row.id.as_str()).or_default().push(row);
        }
        let t0 = rows.iter().map(|r| r.created).fold(f64::INFINITY, f64::min);
        let mut arrivals: Vec<(f64, Option<u64>)> = by_id
            .values()
            .map(|rs| (rs[0].created - t0, rs[0].key.as_deref().map(key_number)))
            .collect();
        arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
        let span_s = arrivals.last().map_or(0.0, |a| a.0);
        let gaps: Vec<f64> = arrivals.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let attempts: Vec<&Row> = rows.iter().filter(|r| r.outcome != Outcome::Dead).collect();
        let service: Vec<f64> = (attempts.iter())
            .filter_map(|r| Some(r.done? - r.delivered?))
            .collect();
        let failed = attempts
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .count();
        let mut dead = 0;
        let mut max_deliveries = None;
        let mut unfinished = 0;
        for rs in by_id.values() {
            let tries = rs.iter().filter(|r| r.outcome != Outcome::Dead).count() as u32;
            if rs.iter().any(|r| r.outcome == Outcome::Dead) {
                dead += 1;
                max_deliveries = max_deliveries.max(Some(tries));
            } else if !rs.iter().any(|r| r.outcome == Outcome::Ack) {
                unfinished += 1;
            }
        }
        let named: BTreeSet<&str> = attempts
            .iter()
            .filter_map(|r| r.worker.as_deref())
            .collect();
        let workers_named = !named.is_empty();
        // Without worker names, the most attempts ever in progress stand
        // for the workers (a first pass finds it).
        let (busiest, _) = sweep(&by_id, &attempts, 0);
        let workers = if workers_named {
            named.len() as u32
        } else {
            busiest.max(1)
        };
        let (_, handoff) = sweep(&by_id, &attempts, workers as usize);
        Fit {
            messages: by_id.len() as u64,
            deliveries: attempts.len() as u64,
            span_s,
            rate_per_s: if span_s > 0.0 {
                (arrivals.len() - 1) as f64 / span_s
            } else {
                0.0
            },
            gap_cv: cv(&gaps),
            arrivals,
            service,
            overhead: overheads(&attempts, &by_id),
            handoff,
            workers,
            workers_named,
            failure_share: if attempts.is_empty() {
                0.0
            } else {
                failed as f64 / attempts.len() as f64
            },
            dead,
            max_deliveries,
            unfinished,
        }
    }

    /// The files of a runnable scenario replaying the log: `fitted.toml`
    /// and the CSV files it reads, by name. `log` names the log in the
    /// scenario's comments.
    pub fn files(&self, log: &str) -> Vec<(&'static str, String)> {
        let mut files = vec![("fitted.toml", self.scenario(log))];
        let mut arrivals = String::from("timestamp,key\n");
        for (t, key) in &self.arrivals {
            let key = key.map(|k| k.to_string()).unwrap_or_default();
            let _ = writeln!(arrivals, "{t:.9},{key}");
        }
        files.push(("arrivals.csv", arrivals));
        for (name, column, values) in [
            ("service.csv", "service_s", &self.service),
            ("overhead.csv", "overhead_s", &self.overhead),
            ("handoff.csv", "handoff_s", &self.handoff),
        ] {
            // A hand-off of zero everywhere is none (no file, no field).
            if values.iter().any(|&v| v > 0.0) || (name == "service.csv" && !values.is_empty()) {
                let mut text = format!("{column}\n");
                for v in values {
                    let _ = writeln!(text, "{v:.9}");
                }
                files.push((name, text));
            }
        }
        files
    }

    /// The scenario text, its fitted values explained in comments.
    fn scenario(&self, log: &str) -> String {
        let mut s = String::new();
        let q = |v: &[f64], p: f64| quantile(v, p) * 1000.0;
        let _ = writeln!(
            s,
            "# Fitted by `mqsim fit {log}`: {} deliveries of {} messages created over {:.1} s.",
            self.deliveries, self.messages, self.span_s
        );
        let _ = writeln!(
            s,
            "# Add the broker you ran (topic.preset) and check every value below.\n\
             description = \"Replay of {log}\"\nseed = 1\nhorizon = \"{}s\"\ndrain = true\n",
            self.span_s.floor() as u64 + 1
        );
        s.push_str("[topic]\n");
        if self.handoff.iter().any(|&w| w > 0.0) {
            let _ = writeln!(
                s,
                "# First-delivery wait with a worker free and nothing waiting ({} messages):\n\
                 # p50 {:.3} ms, p99 {:.3} ms.\n\
                 handoff_latency = {{ empirical = {{ csv = \"handoff.csv\", column = \"handoff_s\" }} }}",
                self.handoff.len(),
                q(&self.handoff, 0.5),
                q(&self.handoff, 0.99)
            );
        }
        if let Some(m) = self.max_deliveries {
            let _ = writeln!(
                s,
                "# {} messages were dead-lettered, after at most {m} deliveries.\n\
                 max_deliveries = {m}\ndlq = true",
                self.dead
            );
        }
        let _ = writeln!(
            s,
            "\n[producers.log]\n\
             # Replayed as logged. A Poisson process would be rate_per_s = {:.3}\n\
             # (the gaps' coefficient of variation is {:.3}; 1 for Poisson).\n\
             arrival = {{ trace = {{ csv = \"arrivals.csv\" }} }}\n",
            self.rate_per_s, self.gap_cv
        );
        s.push_str("[groups.consumers]\n");
        let _ = writeln!(
            s,
            "{}workers = {}",
            if self.workers_named {
                "# Distinct workers in the log.\n"
            } else {
                "# No worker column: the most deliveries in progress at once (at least this many).\n"
            },
            self.workers
        );
        if !self.service.is_empty() {
            let _ = writeln!(
                s,
                "# Delivery to done, {} attempts: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms.\n\
                 service = {{ empirical = {{ csv = \"service.csv\", column = \"service_s\" }} }}",
                self.service.len(),
                mean(&self.service) * 1000.0,
                q(&self.service, 0.5),
                q(&self.service, 0.99)
            );
        }
        if !self.overhead.is_empty() {
            let _ = writeln!(
                s,
                "# A worker's gap between attempts while work waited, {} gaps: mean {:.3} ms,\n\
                 # p50 {:.3} ms, p99 {:.3} ms.\n\
                 delivery_overhead = {{ empirical = {{ csv = \"overhead.csv\", column = \"overhead_s\" }} }}",
                self.overhead.len(),
                mean(&self.overhead) * 1000.0,
                q(&self.overhead, 0.5),
                q(&self.overhead, 0.99)
            );
        }
        if self.failure_share > 0.0 {
            let _ = writeln!(
                s,
                "# Failed attempts over all attempts.\nfailure_probability = {:.6}",
                self.failure_share
            );
        }
        s
    }
}

/// A key as the trace wants it: the number itself, or a stable hash of
/// the text (FNV-1a, 64 bits).
fn key_number(key: &str) -> u64 {
    key.parse::<u64>().unwrap_or_else(|_| {
        key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    })
}

/// Each worker's gaps from one attempt's done to its next delivery, when
/// the next message had been created by then (it waited for the worker).
fn overheads(attempts: &[&Row], by_id: &BTreeMap<&str, Vec<&Row>>) -> Vec<f64> {
    let mut per_worker: BTreeMap<&str, Vec<(f64, f64, &str)>> = BTreeMap::new();
    for r in attempts {
        if let (Some(w), Some(d), Some(f)) = (r.worker.as_deref(), r.delivered, r.done) {
            per_worker.entry(w).or_default().push((d, f, r.id.as_str()));
        }
    }
    let mut gaps = Vec::new();
    for list in per_worker.values_mut() {
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in list.windows(2) {
            let (prev_done, (next_delivered, next_id)) = (pair[0].1, (pair[1].0, pair[1].2));
            let created = by_id[next_id][0].created;
            if created <= prev_done && next_delivered >= prev_done {
                gaps.push(next_delivered - prev_done);
            }
        }
    }
    gaps
}

/// One pass over the log in time order: the most attempts in progress at
/// once, and the first-delivery waits of messages created while fewer
/// than `workers` attempts ran (`workers` 0: unknown, never) and no other
/// message waited for its first delivery.
fn sweep(by_id: &BTreeMap<&str, Vec<&Row>>, attempts: &[&Row], workers: usize) -> (u32, Vec<f64>) {
    // (time, order at equal times: ends, creations, first deliveries,
    // starts; change in running, change in waiting, the first-delivery
    // wait of a message created here)
    let mut events: Vec<(f64, u8, i64, i64, Option<f64>)> = Vec::new();
    for r in attempts {
        if let (Some(d), Some(f)) = (r.delivered, r.done) {
            events.push((f, 0, -1, 0, None));
            events.push((d, 3, 1, 0, None));
        }
    }
    for rs in by_id.values() {
        let first = rs
            .iter()
            .filter_map(|r| r.delivered)
            .fold(f64::INFINITY, f64::min);
        if first.is_finite() {
            let created = rs[0].created;
            events.push((created, 1, 0, 1, Some(first - created)));
            events.push((first, 2, 0, -1, None));
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut running, mut waiting, mut busiest) = (0i64, 0i64, 0i64);
    let mut handoff = Vec::new();
    for (_, _, run, wait, created) in events {
        if let Some(first_wait) = created
            && workers > 0
            && running < workers as i64
            && waiting == 0
        {
            handoff.push(first_wait);
        }
        running += run;
        waiting += wait;
        busiest = busiest.max(running);
    }
    (u32::try_from(busiest).unwrap_or(u32::MAX), handoff)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The coefficient of variation of `v` (0 with fewer than two values).
fn cv(v: &[f64]) -> f64 {
    let m = mean(v);
    if v.len() < 2 || m <= 0.0 {
        return 0.0;
    }
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    var.sqrt() / m
}

/// The `p` quantile of `v` (nearest rank; 0 when empty).
fn quantile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(text: &str) -> Result<Fit, CsvError> {
        let mut csv = Csv::parse("log.csv", text)?;
        read_rows(&mut csv).map(|rows| Fit::of(&rows))
    }

    #[test]
    fn fits_service_overhead_failures_and_dead_letters() {
        // Worker 0 runs a (0–1 s), fails b (1.5–2.5), runs b again (3–4);
        // b waited from 0.5 s, so both gaps (0.5 s each) are overhead.
        // c is dead-lettered after one delivery on worker 1.
        let f = fit("id,created,delivered,done,outcome,worker\n\
                     a,0,0,1,ack,0\n\
                     b,0.5,1.5,2.5,fail,0\n\
                     b,0.5,3,4,ack,0\n\
                     c,1,1,2,fail,1\n\
                     c,1,,,dead,\n")
        .unwrap();
        assert_eq!((f.messages, f.deliveries, f.workers), (3, 4, 2));
        assert_eq!(f.service, [1.0, 1.0, 1.0, 1.0]);
        assert_eq!(f.overhead, [0.5, 0.5]);
        assert!((f.failure_share - 0.5).abs() < 1e-12);
        assert_eq!((f.dead, f.max_deliveries, f.unfinished), (1, Some(1), 0));
        // a found a worker free and nothing waiting (hand-off 0); so did b,
        // while a ran on worker 0: it waited 1 s. c came while b waited.
        assert_eq!(f.handoff, [0.0, 1.0]);
        assert_eq!(f.arrivals, [(0.0, None), (0.5, None), (1.0, None)]);
    }

    #[test]
    fn bad_logs_name_file_line_and_column() {
        for (text, want) in [
            (
                "id,created,delivered,done\n",
                "log.csv:1: no column named \"outcome\" in the header",
            ),
            (
                "id,created,delivered,done,outcome,user\n",
                "log.csv:1: unknown column \"user\"",
            ),
            (
                "id,created,delivered,done,outcome\na,x,1,2,ack\n",
                "log.csv:2: column \"created\": expected a number of seconds >= 0 (got \"x\")",
            ),
            (
                "id,created,delivered,done,outcome\na,1,0.5,2,ack\n",
                "log.csv:2: column \"delivered\": 0.5 is before the message was created (1)",
            ),
            (
                "id,created,delivered,done,outcome\na,0,1,0.5,ack\n",
                "log.csv:2: column \"done\": 0.5 is before the delivery (1)",
            ),
            (
                "id,created,delivered,done,outcome\na,0,1,2,acked\n",
                "log.csv:2: column \"outcome\": expected ack, fail or dead (got \"acked\")",
            ),
            (
                "id,created,delivered,done,outcome\na,0,1,2,fail\na,0.5,3,4,ack\n",
                "log.csv:3: column \"created\": message \"a\" was created at 0 on line 2, here at 0.5",
            ),
            (
                "id,created,delivered,done,outcome\na,0,,2,ack\n",
                "log.csv:2: column \"delivered\": expected a number of seconds >= 0 (got \"\")",
            ),
            ("id,created,delivered,done,outcome\n", "log.csv: no rows"),
        ] {
            let err = fit(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{err}\nwanted: {want}");
        }
    }

    #[test]
    fn string_keys_hash_stably_and_numbers_stay() {
        assert_eq!(key_number("42"), 42);
        assert_eq!(key_number("user-1"), key_number("user-1"));
        assert_ne!(key_number("user-1"), key_number("user-2"));
    }

    #[test]
    fn the_fitted_scenario_names_its_files() {
        // a waits 0.1 s for its delivery with the worker free (hand-off);
        // b, waiting behind a, follows 0.2 s after a is done (overhead).
        let f = fit("id,created,delivered,done,outcome,worker\n\
                     a,0,0.1,1.1,ack,w\nb,0.5,1.3,2.3,ack,w\n")
        .unwrap();
        let files = f.files("log.csv");
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        let all = [
            "fitted.toml",
            "arrivals.csv",
            "service.csv",
            "overhead.csv",
            "handoff.csv",
        ];
        assert_eq!(names, all);
        // Without those waits, no file and no field for them.
        let plain = fit("id,created,delivered,done,outcome,worker\na,0,0,1,ack,w\nb,2,2,3,ack,w\n")
            .unwrap()
            .files("log.csv");
        assert_eq!(plain.len(), 3);
        assert!(!plain[0].1.contains("handoff_latency"));
        let toml = &files[0].1;
        assert!(toml.contains("workers = 1"), "{toml}");
        assert!(toml.contains("horizon = \"1s\""), "{toml}");
        assert!(toml.contains("delivery_overhead = { empirical"), "{toml}");
        assert!(toml.contains("handoff_latency = { empirical"), "{toml}");
        assert_eq!(files[1].1, "timestamp,key\n0.000000000,\n0.500000000,\n");
        assert_eq!(files[3].1, "overhead_s\n0.200000000\n");
        assert_eq!(files[4].1, "handoff_s\n0.100000000\n");
    }
}
