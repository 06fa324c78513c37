//! `compare` over time (issue 15): every column's depth, oldest message
//! and failures on one time axis, saved in `compare.json` and redrawn from
//! it byte for byte.

use crate::support::{SMALL, ok, plot, tmp, write};
use serde_json::Value;
use std::path::Path;

/// The new charts of a compare folder.
const OVER_TIME: [&str; 3] = ["compare-depth", "compare-age", "compare-failures"];

/// A column's series field as numbers.
fn numbers(column: &Value, field: &str) -> Vec<f64> {
    (column["series"][field].as_array())
        .unwrap_or_else(|| panic!("{}: no series.{field}", column["label"]))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// A column's metric mean.
fn metric(column: &Value, name: &str) -> f64 {
    (column["metrics"][name]["mean"].as_f64()).unwrap_or_else(|| panic!("no {name}"))
}

fn read_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("compare.json")).unwrap()).unwrap()
}

#[test]
fn compare_saves_each_columns_series_and_draws_them_on_one_time_axis() {
    let dir = tmp("compare-series");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("cmp");
    // One replication from time 0: the series (replication 0) and the
    // summary's counts then cover the same messages.
    ok(&[
        "compare",
        &file,
        "--sync",
        "--replications",
        "1",
        "--set",
        "warmup=\"0s\"",
        // Sync callers give up after 500 ms: the burst turns into errors.
        "--set",
        "sync.timeout=\"500ms\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    let json = read_json(&out);
    let columns = json["scenarios"].as_array().unwrap();
    assert_eq!(columns.len(), 2);
    for column in columns {
        let time = numbers(column, "time_s");
        // 6 s at 100 ms, then the drain.
        assert!((61..=1000).contains(&time.len()), "{}", time.len());
        assert!(time.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(column["series"]["horizon_s"], 6.0);
        assert!(*time.last().unwrap() >= 6.0);
        for field in ["depth", "oldest_age_s"] {
            assert_eq!(numbers(column, field).len(), time.len(), "{field}");
        }
        // The sampled depth never passes the peak the run tracked, and
        // meets it: both fill their buffer during the burst.
        let peak = numbers(column, "depth").into_iter().fold(0.0, f64::max);
        let max_depth = metric(column, "groups.workers.max_depth");
        assert!(peak <= max_depth, "{peak} > {max_depth}");
        assert!(peak >= 0.98 * max_depth, "{peak} against {max_depth}");
        assert!(numbers(column, "oldest_age_s").iter().any(|&a| a > 0.0));
    }
    let (queued, sync) = (&columns[0], &columns[1]);
    assert_eq!(sync["scenario"]["mode"], "sync");
    // Queued: the messages dropped per interval add up to the group's
    // drops (the burst's refused publishes); no producer calls.
    let dropped: f64 = numbers(queued, "dropped").iter().sum();
    assert_eq!(dropped, metric(queued, "groups.workers.dropped"));
    assert!(dropped > 0.0);
    assert!(queued["series"].get("caller_errors").is_none());
    // Sync: the requests whose caller saw an error, per interval, add up
    // to the callers' errors; its service's attempts are not messages.
    let errors: f64 = numbers(sync, "caller_errors").iter().sum();
    assert_eq!(errors, metric(sync, "topic.caller_errors"));
    assert!(errors > 0.0);
    assert!(sync["series"].get("dropped").is_none());
    // Each chart has a line per column, and the horizon.
    for chart in OVER_TIME {
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
        for label in ["small", "small-sync", "horizon", "simulated time (s)"] {
            assert!(svg.contains(label), "{chart}: {label}");
        }
        assert!(std::fs::read(out.join(format!("{chart}.png"))).is_ok());
    }
    // The legend says what each line counts, with its total.
    let failures = std::fs::read_to_string(out.join("compare-failures.svg")).unwrap();
    assert!(failures.contains(&format!("in all: {dropped} dropped")));
    assert!(failures.contains(&format!("in all: {errors} caller errors")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for chart in OVER_TIME {
        assert!(
            html.contains(&format!("<figure id=\"chart-{chart}\">")),
            "{chart}"
        );
    }
    // Redrawn from compare.json alone: the same bytes.
    let again = dir.join("again");
    plot(&out, &again);
    for name in OVER_TIME
        .iter()
        .flat_map(|c| [format!("{c}.svg"), format!("{c}.png")])
        .chain(["report.html".to_owned()])
    {
        assert!(
            std::fs::read(out.join(&name)).unwrap() == std::fs::read(again.join(&name)).unwrap(),
            "{name} differs after plot"
        );
    }
}

#[test]
fn a_compare_json_without_series_still_plots_without_the_charts_over_time() {
    let dir = tmp("compare-series-old");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("cmp");
    ok(&["compare", &file, "--out", out.to_str().unwrap()]);
    let mut json = read_json(&out);
    for column in json["scenarios"].as_array_mut().unwrap() {
        column.as_object_mut().unwrap().remove("series");
    }
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("compare.json"), json.to_string()).unwrap();
    let drawn = dir.join("drawn");
    plot(&old, &drawn);
    assert!(drawn.join("compare-latency.svg").exists());
    for chart in OVER_TIME {
        assert!(!drawn.join(format!("{chart}.svg")).exists(), "{chart}");
    }
}

#[test]
fn compare_series_are_the_same_at_any_thread_count() {
    let dir = tmp("compare-series-threads");
    let file = write(&dir, "small.toml", SMALL);
    let run = |threads: &str| {
        let out = dir.join(format!("t{threads}"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_mqsim"))
            .args(["compare", &file, "--sync", "--out", out.to_str().unwrap()])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(status.status.success());
        out
    };
    let (one, four) = (run("1"), run("4"));
    for name in ["compare.json", "report.html"]
        .into_iter()
        .map(str::to_owned)
        .chain(OVER_TIME.iter().map(|c| format!("{c}.png")))
    {
        assert!(
            std::fs::read(one.join(&name)).unwrap() == std::fs::read(four.join(&name)).unwrap(),
            "{name} differs between 1 and 4 threads"
        );
    }
}
