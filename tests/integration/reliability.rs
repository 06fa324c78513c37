//! Issue 9: no input exhausts memory, hangs, or writes outside its output
//! folder. Each test is named after the issue and tests the mechanism (a
//! budget, a path rule), not only the example that found it.

use crate::common::scenario;
use crate::support::{mqsim, ok, text, tmp, write};
use mqsim::model::sim::{LogKind, RunError, Simulation};
use std::path::Path;

/// The first line of stderr of a run that must fail with `code`.
fn fails(args: &[&str], code: i32) -> String {
    let out = mqsim(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "mqsim {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// The scenario error of `body`, as one string.
fn invalid(body: &str) -> String {
    mqsim::scenario::Scenario::from_text(
        body,
        mqsim::scenario::Format::Toml,
        Path::new("x.toml"),
        &[],
    )
    .unwrap_err()
    .to_string()
}

const GROUP: &str = "[groups.g]\nworkers = 4\nservice = { exponential = { mean = \"10ms\" } }\n";

#[test]
fn issue_9_a_batch_larger_than_can_be_held_is_refused_at_validation() {
    let body = format!(
        "horizon = \"60s\"\n[producers.p]\narrival = {{ batch = {{ rate_per_s = 1, size = {{ constant = {{ value = 100000000 }} }} }} }}\n{GROUP}"
    );
    let err = invalid(&body);
    assert!(
        err.contains("producers.p.arrival.batch.size: a batch brings 100000000 messages; at most limits.max_queued = 5000000"),
        "{err}"
    );
    // What cannot be represented is refused, whatever the limit.
    let huge = body.replace("100000000", "1e12").replace(
        "horizon = \"60s\"",
        "horizon = \"60s\"\nlimits = { max_queued = 10000000000000 }",
    );
    let err = invalid(&huge);
    assert!(
        err.contains("at most 4294967295 messages can arrive at once"),
        "{err}"
    );
    // The same for a burst that arrives at one instant.
    let burst = format!(
        "horizon = \"60s\"\n[producers.p]\narrival = {{ burst = {{ count = 6000000, at = \"1s\", over = \"0s\" }} }}\n{GROUP}"
    );
    let err = invalid(&burst);
    assert!(err.contains("producers.p.arrival.burst.count"), "{err}");
    assert!(err.contains("spread the burst"), "{err}");
}

/// The runaway guard sees every message of a batch as it goes in, not
/// the whole batch afterwards.
#[test]
fn issue_9_the_runaway_guard_stops_inside_a_batch() {
    let s = scenario(
        r#"
        horizon = "60s"
        limits = { max_queued = 1000 }
        [producers.p]
        arrival = { batch = { rate_per_s = 10, size = { constant = { value = 900 } } } }
        [groups.g]
        workers = 1
        service = { constant = { value = "1s" } }
    "#,
    );
    let err = Simulation::new(&s.system, 0, false).run().unwrap_err();
    assert!(matches!(err, RunError::Runaway { .. }), "{err}");
    // 1001 held: the limit plus the one message that passed it.
    assert!(err.to_string().contains("; 1001 ready messages"), "{err}");
}

/// A batch into a full buffer is rejected in one step; the counts are
/// exactly those of rejecting each message in turn (the per-message path
/// runs when the log is kept).
#[test]
fn issue_9_a_batch_into_a_full_buffer_costs_one_step() {
    let text = r#"
        horizon = "2s"
        [topic]
        capacity = 10
        partitions = 3
        partitioner = "round_robin"
        [producers.p]
        arrival = { batch = { rate_per_s = 5, size = { constant = { value = 1000 } } } }
        [groups.g]
        workers = 1
        service = { constant = { value = "10ms" } }
    "#;
    let s = scenario(text);
    let bulk = Simulation::new(&s.system, 0, false).run().unwrap();
    let each = Simulation::new(&s.system, 0, false)
        .with_log()
        .run()
        .unwrap();
    assert!(bulk.topic.rejected > 5_000, "{}", bulk.topic.rejected);
    assert_eq!(bulk.topic, each.topic);
    assert_eq!(bulk.groups, each.groups);
    assert_eq!(
        each.log
            .iter()
            .filter(|e| e.kind == LogKind::Rejected)
            .count() as u64,
        bulk.topic.rejected
    );
    // Four billion messages cost no more than a few batches: 100 batches of
    // 4 M into a buffer of 10.
    let big = scenario(
        &text
            .replace("value = 1000", "value = 4000000")
            .replace("rate_per_s = 5", "rate_per_s = 50"),
    );
    let o = Simulation::new(&big.system, 0, false).run().unwrap();
    assert!(o.topic.published > 300_000_000, "{}", o.topic.published);
    // Nearly all of them refused in one step per batch, not one by one.
    assert!(
        o.diagnostics.bulk_rejected * 100 > o.topic.rejected * 99,
        "{} of {}",
        o.diagnostics.bulk_rejected,
        o.topic.rejected
    );
    assert_eq!(
        o.topic.published,
        o.topic.rejected + o.groups[0].processed + o.groups[0].queued + o.groups[0].in_flight
    );
}

/// However long the drain, the time series stays within its budget: the
/// drain gets as many samples as the horizon (at least 1,000), coarser as
/// it goes, and the outputs stay small.
#[test]
fn issue_9_a_day_long_drain_stays_within_the_series_budget() {
    let dir = tmp("issue-9-drain");
    for (interval, horizon_rows) in [("20ms", 51), ("1ms", 1001)] {
        let body = format!(
            r#"
            horizon = "1s"
            drain = true
            sample_interval = "{interval}"
            [topic]
            dlq = false
            [producers.p]
            arrival = {{ constant = {{ rate_per_s = 10 }} }}
            poison = true
            [groups.g]
            workers = 1
            service = {{ exponential = {{ mean = "20ms" }} }}
        "#
        );
        let s = scenario(&body);
        let o = Simulation::new(&s.system, 0, true).run().unwrap();
        // The poison messages never leave: the drain runs its full day.
        assert!(o.end_s > 86_400.0 && o.end_s <= 86_401.0, "{}", o.end_s);
        let drain_rows = o.series.len() - horizon_rows;
        assert!(
            (1..=horizon_rows.max(1000) + 2).contains(&drain_rows),
            "{interval}: {} rows",
            o.series.len()
        );
        assert!(o.series.windows(2).all(|w| w[0].time_s < w[1].time_s));
        // The horizon's own last row is kept: the drain is what is thinned.
        assert_eq!(o.series[horizon_rows - 1].time_s, 1.0);
        let file = write(&dir, &format!("drain-{interval}.toml"), &body);
        let out = dir.join(interval);
        ok(&["run", &file, "--out", out.to_str().unwrap()]);
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            let size = std::fs::metadata(&path).unwrap().len();
            assert!(size < 1 << 20, "{}: {size} bytes", path.display());
        }
    }
}

/// Many partitions sample `partitions.csv` less often, and the table,
/// chart and report show the hottest partitions only.
#[test]
fn issue_9_many_partitions_stay_within_the_budget() {
    let dir = tmp("issue-9-partitions");
    let out = dir.join("out");
    let stdout = ok(&[
        "run",
        "scenarios/burst-into-bounded-topic.toml",
        "--set",
        "topic.partitions=8192",
        "--set",
        "sample_interval=\"100ms\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = std::fs::read_to_string(out.join("partitions.csv"))
        .unwrap()
        .lines()
        .count();
    assert!((8192..=1_000_001).contains(&rows), "{rows} rows");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["time_series"]["partition_sample_interval_s"],
        serde_json::json!(1.6)
    );
    // Too many partitions to name each in summary.json: their extremes.
    let metrics = summary["metrics"].as_object().unwrap();
    assert!(metrics.contains_key("groups.workers.partitions.max.max_depth"));
    assert!(!metrics.keys().any(|k| k.contains("partitions.0.")));
    let shown = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert!(
        (1..=20).contains(&shown),
        "{shown} partition rows\n{stdout}"
    );
    assert!(stdout.contains("partition (rep. 0)"), "{stdout}");
    assert!(stdout.contains("more partitions"), "{stdout}");
    for name in ["report.html", "partitions.svg", "depth.svg"] {
        let size = std::fs::metadata(out.join(name)).unwrap().len();
        assert!(size < 2 << 20, "{name}: {size} bytes");
    }
}

/// A fast clock is not a stuck one: 100 M messages a second run.
#[test]
fn issue_9_a_fast_workload_is_not_called_stuck() {
    let s = scenario(
        r#"
        horizon = "150ms"
        [topic]
        capacity = 1000
        [producers.p]
        arrival = { poisson = { rate_per_s = 1e8 } }
        [groups.g]
        workers = 4
        service = { exponential = { mean = "10ms" } }
    "#,
    );
    let o = Simulation::new(&s.system, 0, false).run().unwrap();
    assert!(o.topic.published > 14_000_000, "{}", o.topic.published);
    // A billion a second for a minute is refused before it starts, naming
    // the producer and the limit, not a loop.
    let err = invalid(
        "horizon = \"60s\"\n[topic]\ncapacity = 1000\n[producers.p]\narrival = { poisson = { rate_per_s = 1e9 } }\n\
         [groups.g]\nworkers = 4\nservice = { exponential = { mean = \"10ms\" } }\n",
    );
    assert!(
        err.contains("producers.p.arrival: arrives about 6.000e10 times")
            && err.contains("limits.max_events = 1000000000"),
        "{err}"
    );
}

/// A real loop (time stands still) is stuck, and the error names it.
#[test]
fn issue_9_a_stuck_run_names_what_loops() {
    let s = scenario(
        r#"
        horizon = "5s"
        [topic]
        dlq = false
        [producers.p]
        arrival = { constant = { rate_per_s = 1 } }
        poison = true
        [groups.g]
        workers = 1
        service = { constant = { value = "0s" } }
    "#,
    );
    let err = Simulation::new(&s.system, 0, false).run().unwrap_err();
    assert!(matches!(err, RunError::Stuck { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("simulated time stopped advancing at t = 1.000s")
            && message.contains("deliveries finishing in group `g`")
            && message.contains("redelivery_backoff"),
        "{message}"
    );
}

/// Devices and FIFOs are refused before they are opened (a FIFO blocks
/// the reader until a writer comes, /dev/zero never ends), whether a
/// scenario names them or is one.
#[test]
fn issue_9_only_regular_files_are_read() {
    let dir = tmp("issue-9-fifo");
    let fifo = dir.join("fifo.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for csv in [fifo.to_str().unwrap(), "/dev/zero"] {
        let body = format!(
            "horizon = \"1s\"\n[producers.p]\narrival = {{ trace = {{ csv = \"{csv}\" }} }}\n{GROUP}"
        );
        let file = write(&dir, "trace.toml", &body);
        let err = fails(&["validate", &file], 2);
        assert!(err.contains("not a regular file"), "{err}");
        let body = format!(
            "horizon = \"1s\"\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n[groups.g]\nworkers = 1\n\
             service = {{ empirical = {{ csv = \"{csv}\", column = \"ms\" }} }}\n"
        );
        let file = write(&dir, "empirical.toml", &body);
        assert!(fails(&["validate", &file], 2).contains("not a regular file"));
    }
    let fifo_toml = dir.join("fifo.toml");
    std::process::Command::new("mkfifo")
        .arg(&fifo_toml)
        .status()
        .unwrap();
    let err = fails(&["validate", fifo_toml.to_str().unwrap()], 2);
    assert!(err.contains("not a regular file"), "{err}");
    // A line longer than any CSV needs is an error, not an allocation.
    let long = dir.join("long.csv");
    let mut bytes = b"timestamp\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'1', 17 << 20));
    std::fs::write(&long, bytes).unwrap();
    let body = format!(
        "horizon = \"1s\"\n[producers.p]\narrival = {{ trace = {{ csv = \"long.csv\" }} }}\n{GROUP}"
    );
    let file = write(&dir, "long.toml", &body);
    let err = fails(&["validate", &file], 2);
    assert!(
        err.contains("long.csv:2: the line is longer than 16 MiB"),
        "{err}"
    );
}

/// A trace is read as a stream: validating a 3-million-row trace (56 MB)
/// fits in 200 MB of address space, where holding its rows took 15 times
/// the file.
#[test]
fn issue_9_traces_are_read_as_streams() {
    let dir = tmp("issue-9-stream");
    let mut csv = String::from("timestamp,key,size\n");
    for i in 0..3_000_000u32 {
        csv.push_str(&format!(
            "{}.{:06},{},{}\n",
            i / 100_000,
            i % 100_000,
            i % 977,
            100 + i % 50
        ));
    }
    std::fs::write(dir.join("big.csv"), &csv).unwrap();
    let body = format!(
        "horizon = \"30s\"\n[producers.p]\narrival = {{ trace = {{ csv = \"big.csv\" }} }}\n{GROUP}"
    );
    let file = write(&dir, "big.toml", &body);
    let script = format!(
        "ulimit -v 200000 && exec {} validate {file} > /dev/null",
        env!("CARGO_BIN_EXE_mqsim")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn issue_9_jobs_are_bounded() {
    let err = fails(
        &[
            "sweep",
            "scenarios/mm1.toml",
            "--vary",
            "groups.server.workers=1,2",
            "--jobs",
            "10000",
        ],
        2,
    );
    assert!(err.contains("10000 is not in 0..=256"), "{err}");
    let err = mqsim::experiment::with_jobs(10_000, || ()).unwrap_err();
    assert!(err.to_string().contains("between 0 (one per core) and 256"));
}

/// Names follow one rule everywhere: in the file, in `--set`, and when a
/// file's name is the scenario's.
#[test]
fn issue_9_a_name_cannot_leave_the_output_folder() {
    let dir = tmp("issue-9-names");
    let body = format!(
        "name = \"../../escaped-run\"\nhorizon = \"1s\"\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n{GROUP}"
    );
    let file = write(&dir, "x.toml", &body);
    let err = fails(&["run", &file], 2);
    assert!(
        err.contains("x.toml:1:1: name: names must start with a letter"),
        "{err}"
    );
    let plain = write(
        &dir,
        "plain.toml",
        &body.replace("name = \"../../escaped-run\"\n", ""),
    );
    let err = fails(&["run", &plain, "--set", "name=\"../../x\""], 2);
    assert!(err.contains("--set name: names must start"), "{err}");
    for absolute in ["/tmp/abs", "a/b"] {
        let set = format!("name=\"{absolute}\"");
        assert_eq!(
            mqsim(&["validate", &plain, "--set", &set]).status.code(),
            Some(2)
        );
    }
    // A file named "...toml" has the stem "..": its name becomes plain.
    let dots = dir.join("...toml");
    std::fs::copy(&plain, &dots).unwrap();
    let s = mqsim::scenario::Scenario::load(&dots, &[]).unwrap();
    assert_eq!(s.name, "scenario-__");
    assert!(!dir.join("escaped-run").exists() && !Path::new("../../escaped-run").exists());
}

/// Saved results are checked when read back: a crafted `sweep.json` or
/// `--metric` cannot make `merge` or `plot` write outside the folder.
#[test]
fn issue_9_saved_results_are_checked_when_read_back() {
    let dir = tmp("issue-9-saved");
    let file = write(&dir, "small.toml", crate::support::SMALL);
    let sweep = dir.join("sweep");
    let s = sweep.to_str().unwrap();
    ok(&[
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
    ]);
    let manifest = std::fs::read_to_string(sweep.join("sweep.json")).unwrap();
    let crafted = dir.join("crafted");
    std::fs::create_dir_all(&crafted).unwrap();
    let c = crafted.to_str().unwrap();
    std::fs::copy(sweep.join("sweep.jsonl"), crafted.join("sweep.jsonl")).unwrap();
    let cases = [
        (
            manifest.replace(
                "\"scenario_name\": \"small\"",
                "\"scenario_name\": \"../../x\"",
            ),
            "scenario_name: names must start",
        ),
        (
            manifest.replace("\"workers\": {", "\"a/../../../../x\": {"),
            "scenario: names must start",
        ),
        (
            manifest.replace("\"points\": 2", "\"points\": 99"),
            "points: 99 is not the product",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(text, manifest, "{expected}");
        std::fs::write(crafted.join("sweep.json"), text).unwrap();
        let err = fails(
            &["merge", c, "--out", dir.join("merged").to_str().unwrap()],
            2,
        );
        assert!(err.contains(expected), "{err}");
        let err = fails(
            &["plot", c, "--out", dir.join("plotted").to_str().unwrap()],
            2,
        );
        assert!(err.contains(expected), "{err}");
    }
    assert!(!Path::new("output/x-sweep").exists() && !dir.join("x").exists());
    let err = fails(&["plot", s, "--metric", "x/../../y"], 2);
    assert!(err.contains("--metric: metric \"x/../../y\""), "{err}");
    assert!(!dir.join("y.svg").exists());
}

/// A point is its metrics or its error; a line with neither is refused by
/// `--resume` and `merge`, naming the file and line.
#[test]
fn issue_9_a_point_without_metrics_is_refused() {
    let dir = tmp("issue-9-points");
    let file = write(&dir, "small.toml", crate::support::SMALL);
    let sweep = dir.join("sweep");
    let s = sweep.to_str().unwrap();
    ok(&[
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
    ]);
    let jsonl = std::fs::read_to_string(sweep.join("sweep.jsonl")).unwrap();
    let first = jsonl.lines().next().unwrap();
    let cut = &first[..first.find(",\"metrics\"").unwrap()];
    std::fs::write(sweep.join("sweep.jsonl"), format!("{cut}}}\n")).unwrap();
    let expected = "sweep.jsonl: line 1: a point needs its \"metrics\" or its \"error\"";
    let args = [
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
        "--resume",
    ];
    assert!(fails(&args, 2).contains(expected));
    let merged = dir.join("merged");
    assert!(fails(&["merge", s, "--out", merged.to_str().unwrap()], 2).contains(expected));
}

/// `sweep.csv` never holds a cell a spreadsheet would run as a formula;
/// numbers are left alone.
#[test]
fn issue_9_sweep_csv_cells_are_never_formulas() {
    let dir = tmp("issue-9-csv");
    let file = write(&dir, "small.toml", crate::support::SMALL);
    let out = dir.join("sweep");
    ok(&[
        "sweep",
        &file,
        "--vary",
        "description==HYPERLINK(\"x\"),+1+2,@x,-cmd",
        "--vary",
        "seed=-0,5",
        "--out",
        out.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    for cell in ["'=HYPERLINK", "'+1+2", "'@x", "'-cmd"] {
        assert!(csv.contains(cell), "{cell} in\n{csv}");
    }
    let risky = |line: &str| {
        line.split(',').any(|c| {
            c.starts_with(['=', '+', '@']) || (c.starts_with('-') && c.parse::<f64>().is_err())
        })
    };
    assert!(!csv.lines().any(risky), "{csv}");
}

/// Output folders hold one set of outputs: a new run replaces the old one
/// whole, stale temporary files go, and a sweep's results are never
/// replaced by another command.
#[test]
fn issue_9_a_folder_never_holds_outputs_of_two_runs() {
    let dir = tmp("issue-9-folder");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&["run", "scenarios/hot-partition.toml", "--out", o]);
    assert!(out.join("partitions.csv").exists());
    std::fs::write(out.join(".summary.json.tmp-99999"), "stale").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    ok(&["run", "scenarios/mm1.toml", "--out", o]);
    assert!(!out.join("partitions.csv").exists() && !out.join("partitions.svg").exists());
    assert!(!out.join(".summary.json.tmp-99999").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let plotted = ok(&["plot", o]);
    assert!(!plotted.contains("partitions"), "{plotted}");
    // A sweep's results are never replaced by a run.
    let file = write(&dir, "small.toml", crate::support::SMALL);
    let sweep = dir.join("sweep");
    let s = sweep.to_str().unwrap();
    ok(&[
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
    ]);
    std::fs::write(sweep.join(".sweep.jsonl.tmp-123-4"), "stale").unwrap();
    let err = fails(&["run", &file, "--out", s], 2);
    assert!(err.contains("holds the results of a sweep"), "{err}");
    ok(&[
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
        "--resume",
    ]);
    assert!(!sweep.join(".sweep.jsonl.tmp-123-4").exists());
    // Outputs of an earlier version, which no marker lists, are not mixed.
    let legacy = dir.join("legacy");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(legacy.join("summary.json"), "{}").unwrap();
    let err = fails(&["run", &file, "--out", legacy.to_str().unwrap()], 2);
    assert!(
        err.contains("holds outputs that mqsim did not record"),
        "{err}"
    );
}

/// A write that fails says so once (it used to repeat the system's
/// message).
#[test]
fn issue_9_a_failed_write_says_why_once() {
    let err = mqsim::report::ReportError::Write {
        path: "out/summary.json".into(),
        error: std::io::Error::from_raw_os_error(28),
    };
    let message = err.to_string();
    assert_eq!(
        message.matches("No space left on device").count(),
        1,
        "{message}"
    );
    assert!(std::error::Error::source(&err).is_none());
}

/// `--resume` and `merge` refuse results made with an input file whose
/// content has changed since.
#[test]
fn issue_9_results_are_tied_to_the_content_of_their_inputs() {
    let dir = tmp("issue-9-digest");
    std::fs::write(dir.join("lat.csv"), "ms\n2\n4\n5\n").unwrap();
    let body = crate::support::SMALL.replace(
        "service = { exponential = { mean = \"5ms\" } }",
        "service = { empirical = { csv = \"lat.csv\", column = \"ms\", scale = 0.001 } }",
    );
    let file = write(&dir, "small.toml", &body);
    let vary = ["--vary", "groups.workers.workers=1..4"];
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec!["sweep", &file[..], vary[0], vary[1], "--out", out];
        args.extend_from_slice(extra);
        mqsim(&args)
    };
    let s1 = dir.join("s1");
    let s2 = dir.join("s2");
    assert!(
        run(s1.to_str().unwrap(), &["--shard", "1/2"])
            .status
            .success()
    );
    std::fs::write(dir.join("lat.csv"), "ms\n200\n400\n500\n").unwrap();
    let resumed = run(s1.to_str().unwrap(), &["--shard", "1/2", "--resume"]);
    assert_eq!(resumed.status.code(), Some(2));
    let err = text(&resumed.stderr);
    assert!(
        err.contains("the sweep definition changed (the content of lat.csv)"),
        "{err}"
    );
    assert!(
        run(s2.to_str().unwrap(), &["--shard", "2/2"])
            .status
            .success()
    );
    let merged = dir.join("merged");
    let err = fails(
        &[
            "merge",
            s1.to_str().unwrap(),
            s2.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
        2,
    );
    assert!(err.contains("different sweep"), "{err}");
    assert!(err.contains("the content of lat.csv"), "{err}");
}

/// Every message names its field, even one whose name is empty.
#[test]
fn issue_9_every_message_names_its_field() {
    let err = invalid(&format!(
        "\"\" = 1\nhorizon = \"1s\"\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n{GROUP}"
    ));
    assert!(err.starts_with("x.toml:1:1: \"\": unknown field"), "{err}");
    let err = invalid(&format!(
        "horizon = \"1s\"\n[producers.\"a.b\"]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n{GROUP}"
    ));
    assert!(err.contains("producers.\"a.b\": names must start"), "{err}");
}

/// Issue 9 (review): the marker is checked, an interrupted replacement is
/// refused by readers and cleaned by the next writer, `plot --out` never
/// replaces another run's data, and a user's files are never touched.
#[test]
fn issue_9_output_folders_survive_interruptions_and_crafted_markers() {
    let dir = tmp("issue-9-marker");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    ok(&["run", "scenarios/hot-partition.toml", "--out", o]);
    // A failure while the files are put in place: report.html cannot be
    // replaced (a folder holding a file stands where it goes).
    std::fs::remove_file(out.join("report.html")).unwrap();
    std::fs::create_dir_all(out.join("report.html").join("x")).unwrap();
    let err = fails(&["run", "scenarios/mm1.toml", "--out", o], 1);
    assert!(err.contains("report.html"), "{err}");
    let err = fails(&["plot", o], 2);
    assert!(err.contains("interrupted"), "{err}");
    let other = dir.join("other");
    let err = fails(&["plot", o, "--out", other.to_str().unwrap()], 2);
    assert!(err.contains("interrupted"), "{err}");
    std::fs::remove_dir_all(out.join("report.html")).unwrap();
    ok(&["run", "scenarios/mm1.toml", "--out", o]);
    assert!(!out.join("partitions.csv").exists(), "the old set is gone");
    // plot never replaces another run's data.
    let mm1 = dir.join("mm1");
    ok(&["run", "scenarios/mm1.toml", "--out", mm1.to_str().unwrap()]);
    let err = fails(&["plot", o, "--out", mm1.to_str().unwrap()], 2);
    assert!(err.contains("plot writes charts only"), "{err}");
    assert!(mm1.join("summary.json").exists());
    // A crafted marker cannot name the user's files for removal.
    std::fs::write(out.join("thesis.docx"), "mine").unwrap();
    let marker = out.join(".mqsim-outputs.json");
    std::fs::write(
        &marker,
        r#"{"command":"run","complete":true,"files":["summary.json","thesis.docx"]}"#,
    )
    .unwrap();
    let err = fails(&["run", "scenarios/mm1.toml", "--out", o], 2);
    assert!(err.contains("not a file mqsim writes"), "{err}");
    assert!(out.join("thesis.docx").exists());
    // Without a marker, a file named like mqsim's output is not overwritten.
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("depth.png"), "my chart").unwrap();
    let err = fails(
        &["run", "scenarios/mm1.toml", "--out", mine.to_str().unwrap()],
        2,
    );
    assert!(err.contains("depth.png"), "{err}");
    assert_eq!(
        std::fs::read_to_string(mine.join("depth.png")).unwrap(),
        "my chart"
    );
}

/// Issue 9 (review): a trace rewritten during a run (same size, new
/// content) ends the run with an error, not with results that disagree
/// with the digest recorded for it.
#[test]
fn issue_9_a_trace_changed_during_a_replay_stops_the_run() {
    let dir = tmp("issue-9-trace-change");
    let csv = dir.join("t.csv");
    std::fs::write(&csv, "timestamp\n0.1\n0.2\n0.3\n").unwrap();
    let body = format!(
        "horizon = \"1s\"\n[producers.p]\narrival = {{ trace = {{ csv = \"t.csv\" }} }}\n{GROUP}"
    );
    let file = write(&dir, "t.toml", &body);
    let s = mqsim::scenario::Scenario::load(Path::new(&file), &[]).unwrap();
    // Same size, other times, and a later modification time.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&csv, "timestamp\n0.4\n0.5\n0.6\n").unwrap();
    let err = Simulation::new(&s.system, 0, false).run().unwrap_err();
    assert!(matches!(err, RunError::Input { .. }), "{err}");
    assert!(err.to_string().contains("was modified"), "{err}");
}

/// Issue 9 (review): points of a sweep that read one file share it, so a
/// sweep holds one copy of a large empirical distribution, not one per
/// point.
#[test]
fn issue_9_sweep_points_share_their_input_files() {
    let dir = tmp("issue-9-shared");
    let mut csv = String::from("ms\n");
    for i in 0..2_000_000u32 {
        csv.push_str(&format!("{}\n", 1 + i % 9));
    }
    std::fs::write(dir.join("lat.csv"), csv).unwrap();
    let body = "horizon = \"1s\"\n[producers.p]\narrival = { poisson = { rate_per_s = 10 } }\n[groups.g]\nworkers = 1\n\
                service = { empirical = { csv = \"lat.csv\", column = \"ms\", scale = 0.001 } }\n";
    let file = write(&dir, "e.toml", body);
    // 40 points × 16 MB of samples would need 640 MB; one shared copy fits.
    let script = format!(
        "ulimit -v 400000 && exec {} sweep {file} --vary seed=1..40 --jobs 1 --out {} > /dev/null",
        env!("CARGO_BIN_EXE_mqsim"),
        dir.join("out").display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Issue 9 (review): saved files larger than mqsim writes are refused by
/// size before they are parsed, and results are checked against their
/// sweep as they are read.
#[test]
fn issue_9_saved_files_are_bounded_before_parsing() {
    let dir = tmp("issue-9-bounds");
    let big = format!(
        "horizon = \"1s\"\nx = [{}0]\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1 }} }}\n{GROUP}",
        "0,".repeat(600_000)
    );
    let file = write(&dir, "big.toml", &big);
    let err = fails(&["validate", &file], 2);
    assert!(err.contains("larger than 1 MiB"), "{err}");
    let small = write(&dir, "small.toml", crate::support::SMALL);
    let sweep = dir.join("sweep");
    let s = sweep.to_str().unwrap();
    ok(&[
        "sweep",
        &small,
        "--vary",
        "groups.workers.workers=1,2",
        "--out",
        s,
    ]);
    let jsonl = std::fs::read_to_string(sweep.join("sweep.jsonl")).unwrap();
    let first = jsonl.lines().next().unwrap();
    std::fs::write(sweep.join("sweep.jsonl"), format!("{first}\n{first}\n")).unwrap();
    let err = fails(&["plot", s], 2);
    assert!(
        err.contains("sweep.jsonl: line 2: point 0 appears twice"),
        "{err}"
    );
    let manifest = std::fs::read_to_string(sweep.join("sweep.json")).unwrap();
    let padded = manifest.replacen('{', &format!("{{\"pad\": \"{}\",", "x".repeat(17 << 20)), 1);
    std::fs::write(sweep.join("sweep.json"), padded).unwrap();
    let err = fails(&["merge", s, "--out", dir.join("m").to_str().unwrap()], 2);
    assert!(err.contains("larger than 16 MiB"), "{err}");
}

/// Issue 9 (review): the event budget counts what producers publish within
/// the horizon, not past it.
#[test]
fn issue_9_the_event_budget_counts_within_the_horizon() {
    let body = format!(
        "horizon = \"10s\"\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 1e7 }} }}\nstop = \"1000s\"\n{GROUP}"
    );
    assert!(
        mqsim::scenario::Scenario::from_text(
            &body,
            mqsim::scenario::Format::Toml,
            Path::new("x.toml"),
            &[]
        )
        .is_ok()
    );
}
