//! The command line end to end: every shipped scenario, every error kind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn mqsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mqsim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every scenario file under `scenarios/`.
fn shipped() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("toml" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("scenarios"), &mut out);
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_validates_and_runs_on_a_short_horizon() {
    let files = shipped();
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let f = file.to_str().unwrap();
        let v = mqsim(&["validate", f]);
        assert!(v.status.success(), "{f}: {}", text(&v.stderr));
        let out = tmp(&file.file_stem().unwrap().to_string_lossy());
        let o = out.to_str().unwrap();
        let r = mqsim(&[
            "run",
            f,
            "--out",
            o,
            "--replications",
            "2",
            "--set",
            "horizon=\"30s\"",
            "--set",
            "warmup=\"0s\"",
            "--set",
            "sample_interval=\"1s\"",
        ]);
        assert!(r.status.success(), "{f}: {}", text(&r.stderr));
        assert!(
            text(&r.stdout).contains("end-to-end p99"),
            "{f}: {}",
            text(&r.stdout)
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["conservation"], "ok");
        assert_eq!(summary["scenario"]["horizon"], "30s");
        assert_eq!(summary["outcomes"].as_array().unwrap().len(), 2);
        let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
        assert!(csv.starts_with("time_s,group,depth,"), "{f}");
        assert!(
            csv.lines().count() > 30,
            "{f}: one row per second and group"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn every_bad_fixture_gives_its_expected_message_and_exit_status_2() {
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/fixtures/bad").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let out = mqsim(&["validate", path.to_str().unwrap()]);
        let got = format!("{}exit {}\n", text(&out.stderr), out.status.code().unwrap());
        assert_eq!(got, expected, "{}", path.display());
        assert!(!got.contains("panicked"));
        checked += 1;
    }
    assert!(checked >= 14);
}

#[test]
fn set_overrides_fields_and_reports_bad_paths_with_status_2() {
    let ok = mqsim(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "groups.server.workers=3",
        "--set",
        "topic.policy=drop_oldest",
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let normalised = text(&ok.stdout);
    assert!(
        normalised.contains("workers = 3") && normalised.contains("policy = \"drop_oldest\""),
        "{normalised}"
    );

    let bad = mqsim(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "groups.server.wrkers=3",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).starts_with(
            "error: scenarios/mm1.toml: --set groups.server.wrkers: unknown field; did you mean \"workers\"? (expected one of"
        ),
        "{}",
        text(&bad.stderr)
    );
    let bad = mqsim(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "groups.server.workers=0",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--set groups.server.workers: must be between 1"));
    let bad = mqsim(&["run", "scenarios/mm1.toml", "--set", "no-equals-sign"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("expected path=value"));
}

#[test]
fn validate_shows_what_a_preset_set_and_keeps_the_preset() {
    let out = mqsim(&[
        "validate",
        "scenarios/mm1.toml",
        "--set",
        "topic.preset=rabbitmq",
        "--set",
        "topic.requeue=tail",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let normalised = text(&out.stdout);
    for line in [
        "# preset \"rabbitmq\" set:",
        "preset = \"rabbitmq\"",
        "max_deliveries = 20",
        "policy = \"drop_oldest\"",
        "requeue = \"tail\"",
    ] {
        assert!(normalised.contains(line), "{line}: {normalised}");
    }
    let note: String = normalised
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect();
    assert!(note.contains("topic.max_deliveries") && !note.contains("topic.requeue"));
}

#[test]
fn missing_files_and_unknown_extensions_are_bad_input() {
    let out = mqsim(&["run", "scenarios/does-not-exist.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .starts_with("error: scenarios/does-not-exist.toml:1:1: cannot read the file")
    );
    let out = mqsim(&["validate", "README.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected a .toml or .json file (got extension md)"));
    let out = mqsim(&["run"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn max_queued_is_bounded_so_entry_numbers_suffice() {
    let out = mqsim(&[
        "run",
        "scenarios/mm1.toml",
        "--set",
        "limits.max_queued=2147483649",
        "--out",
        tmp("max-queued").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("limits.max_queued") && err.contains("must be between 1 and 2147483648"),
        "{err}"
    );
}

#[test]
fn a_run_that_grows_without_bound_fails_with_status_1_and_says_why() {
    let out = mqsim(&[
        "run",
        "scenarios/mm1.toml",
        "--set",
        "producers.clients.arrival.poisson.rate_per_s=50",
        "--set",
        "limits.max_queued=10000",
        "--out",
        tmp("runaway").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("grew past limits.max_queued = 10000") && err.contains("group `server`"),
        "{err}"
    );
}

#[test]
fn json_output_equals_the_written_summary() {
    let out = tmp("json");
    let r = mqsim(&[
        "run",
        "scenarios/checkout-fanout.toml",
        "--json",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "horizon=\"60s\"",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(
        text(&r.stdout),
        std::fs::read_to_string(out.join("summary.json")).unwrap()
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn validate_prints_a_normalised_scenario_that_validates_to_itself() {
    let first = mqsim(&["validate", "scenarios/reference.toml"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let body: String = text(&first.stdout)
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tmp("normalised");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("reference.toml");
    std::fs::write(&file, &body).unwrap();
    let second = mqsim(&["validate", file.to_str().unwrap()]);
    let body2: String = text(&second.stdout)
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(body, body2);
    // Every default is written out.
    for field in [
        "seed = 1",
        "warmup = \"0s\"",
        "sample_interval = ",
        "max_queued = 5000000",
        "policy = \"reject\"",
    ] {
        assert!(body.contains(field), "missing {field} in\n{body}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn toml_and_json_are_one_schema() {
    // The same scenario as JSON gives byte-identical results.
    let dir = tmp("json-schema");
    std::fs::create_dir_all(&dir).unwrap();
    // Normalise with the same override: a normalised file spells out derived
    // defaults (sample_interval = horizon / 500).
    let horizon = mqsim::scenario::Override::parse("horizon=\"60s\"").unwrap();
    let scenario =
        mqsim::scenario::Scenario::load(Path::new("scenarios/checkout-fanout.toml"), &[horizon])
            .unwrap();
    let value: serde_json::Value = serde_json::from_str(&scenario.normalised_json()).unwrap();
    let json = serde_json::to_string_pretty(&value).unwrap();
    let file = dir.join("checkout-fanout.json");
    std::fs::write(&file, json).unwrap();
    let run = |f: &str, out: &str| {
        let o = dir.join(out);
        let r = mqsim(&[
            "run",
            f,
            "--out",
            o.to_str().unwrap(),
            "--set",
            "horizon=\"60s\"",
        ]);
        assert!(r.status.success(), "{}", text(&r.stderr));
        std::fs::read_to_string(o.join("summary.json")).unwrap()
    };
    let (from_toml, from_json) = (
        run("scenarios/checkout-fanout.toml", "toml"),
        run(file.to_str().unwrap(), "json"),
    );
    let first_difference = from_toml
        .lines()
        .zip(from_json.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b);
    assert_eq!(first_difference, None);
    assert_eq!(from_toml.len(), from_json.len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqsim"))
        .args(["validate", "scenarios/reference.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn compare_sync_runs_the_direct_call_twin_on_the_same_arrivals() {
    let out = tmp("compare-sync");
    let r = mqsim(&[
        "compare",
        "scenarios/signup-sync-vs-queued.toml",
        "--sync",
        "--replications",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let table = text(&r.stdout);
    assert!(
        table.contains("signup-sync-vs-queued-sync") && table.contains("caller-visible errors (%)"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let columns = json["scenarios"].as_array().unwrap();
    assert_eq!(columns.len(), 2);
    let metric = |i: usize, name: &str| columns[i]["metrics"][name]["mean"].as_f64().unwrap();
    assert_eq!(
        metric(0, "topic.created"),
        metric(1, "topic.created"),
        "same arrivals"
    );
    assert_eq!(metric(0, "topic.caller_errors"), 0.0);
    assert!(metric(1, "topic.caller_error_share") > 0.05);
    assert_eq!(columns[1]["scenario"]["mode"], "sync");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn compare_shows_services_called_directly_beside_groups() {
    let out = tmp("compare-services");
    let r = mqsim(&[
        "compare",
        "scenarios/slow-dependency.toml",
        "scenarios/slow-dependency-queued.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let table = text(&r.stdout);
    // The catalog service is called in both: its rows have numbers.
    let row = (table.lines())
        .find(|l| l.starts_with("catalog: processed"))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = row.split_whitespace().skip(2).collect();
    assert_eq!(cells.len(), 2, "{row}");
    assert!(
        cells.iter().all(|c| c.parse::<u64>().is_ok_and(|n| n > 0)),
        "{row}"
    );
}

#[test]
fn compare_puts_a_group_beside_the_same_service_called_directly_and_the_callers_beside_each_other()
{
    // email is a group reading a topic in one file and a service called
    // directly in the other; the shop's checkouts are its call link in both.
    let out = tmp("compare-chain");
    let r = mqsim(&[
        "compare",
        "scenarios/checkout-chain.toml",
        "scenarios/checkout-chain-direct.toml",
        "--set",
        "horizon=\"60s\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let table = text(&r.stdout);
    let cells = |label: &str| -> Vec<f64> {
        let row = (table.lines())
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label}: {table}"));
        let cells: Vec<f64> = (row[label.len()..].split_whitespace())
            .map(|c| c.parse().unwrap_or_else(|_| panic!("{row}")))
            .collect();
        assert_eq!(cells.len(), 2, "{row}");
        cells
    };
    assert!(cells("email: processed").iter().all(|&n| n > 1000.0));
    let requests = cells("requests / messages");
    assert_eq!(requests[0], requests[1], "the same arrivals");
    assert!(requests[0] > 2000.0, "{requests:?}");
    // Durations print with their unit: `336 ms  0 s`.
    let row = (table.lines())
        .find(|l| l.trim_start().starts_with("answer p50 (request → result)"))
        .unwrap();
    let tokens: Vec<&str> = row["answer p50 (request → result)".len()..]
        .split_whitespace()
        .collect();
    let seconds: Vec<f64> = (tokens.chunks(2))
        .map(|c| {
            let v: f64 = c[0].parse().unwrap_or_else(|_| panic!("{row}"));
            match c[1] {
                "ms" => v / 1e3,
                "s" => v,
                unit => panic!("unit {unit} in {row}"),
            }
        })
        .collect();
    assert_eq!(seconds.len(), 2, "{row}");
    assert!(seconds.iter().all(|&s| s > 0.1), "{row}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_file_whose_producers_call_has_no_topic_and_a_row_per_service() {
    let out = tmp("run-direct-chain");
    let r = mqsim(&[
        "run",
        "scenarios/checkout-chain-direct.toml",
        "--set",
        "horizon=\"30s\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let table = text(&r.stdout);
    assert!(!table.contains("\ntopic "), "no unused topic: {table}");
    assert!(table.contains("call shop -> checkout"), "{table}");
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",workers,place,topic"), "{header}");
    // Nine services, one row each per sample, each saying where it is.
    let at_10s: Vec<&str> = csv.lines().filter(|l| l.starts_with("10,")).collect();
    assert_eq!(at_10s.len(), 9, "{at_10s:?}");
    assert!(
        at_10s
            .iter()
            .all(|l| l.contains(",services.") && l.ends_with(','))
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("shop → checkout: caller latency p99"));
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_sweep_charts_services_called_directly_by_default() {
    let out = tmp("sweep-services");
    let r = mqsim(&[
        "sweep",
        "scenarios/slow-dependency.toml",
        "--vary",
        "groups.pricing.workers=2,3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    for chart in ["groups.api.e2e.p99_s", "services.pricing.max_depth"] {
        assert!(out.join(format!("sweep-{chart}.png")).exists(), "{chart}");
    }
}

#[test]
fn typos_in_names_and_values_get_a_suggestion() {
    // A group name mistyped in --set: not a new group missing its service.
    let r = mqsim(&[
        "validate",
        "scenarios/mm4.toml",
        "--set",
        "groups.worker.workers=8",
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(
        err.contains("no group named \"worker\"; did you mean \"workers\"?"),
        "{err}"
    );
    // An enum value with a dash for an underscore.
    let r = mqsim(&[
        "validate",
        "scenarios/mm4.toml",
        "--set",
        "topic.policy=\"drop-oldest\"",
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(err.contains("did you mean \"drop_oldest\"?"), "{err}");
    // A range written with a dash.
    let out = tmp("vary-dash");
    let r = mqsim(&[
        "sweep",
        "scenarios/mm4.toml",
        "--vary",
        "groups.workers.workers=10-60",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("a range is written 10..60"),
        "{}",
        text(&r.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn the_shipped_scenarios_are_in_the_binary() {
    // Every file under scenarios/ is listed, and shown byte for byte.
    let listed = text(&mqsim(&["example", "list"]).stdout);
    for path in shipped() {
        let name = path
            .strip_prefix("scenarios")
            .unwrap()
            .with_extension("")
            .to_string_lossy()
            .trim_start_matches('/')
            .to_owned();
        assert!(
            listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(&name)),
            "{name} is not built in"
        );
        let shown = mqsim(&["example", "show", &name]);
        assert!(shown.status.success());
        assert_eq!(text(&shown.stdout), std::fs::read_to_string(&path).unwrap());
    }
    assert_eq!(listed.lines().count(), shipped().len());
    let typo = mqsim(&["example", "show", "hedgin"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("did you mean \"hedging\"?"));
}

#[test]
fn init_writes_a_starting_file_that_runs_and_never_overwrites() {
    let dir = tmp("init");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("orders.toml");
    let f = file.to_str().unwrap();
    let r = mqsim(&["init", "orders", "--out", f]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v = mqsim(&["validate", f]);
    assert!(v.status.success(), "{}", text(&v.stderr));
    assert!(text(&v.stdout).contains("description = \"orders\""));
    // A second init to the same path is refused and leaves the file.
    let before = std::fs::read(&file).unwrap();
    let again = mqsim(&["init", "orders", "--out", f, "--from", "mm1"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // From a shipped scenario: its text.
    let copy = dir.join("mine.toml");
    let r = mqsim(&[
        "init",
        "mine",
        "--from",
        "mm1",
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        std::fs::read_to_string("scenarios/mm1.toml").unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completions_and_the_man_page_come_from_the_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let r = mqsim(&["completions", shell]);
        assert!(r.status.success());
        let script = text(&r.stdout);
        // Every subcommand is completed.
        for command in [
            "run", "compare", "sweep", "plan", "fit", "example", "schema",
        ] {
            assert!(script.contains(command), "{shell}: {command}");
        }
    }
    let man = text(&mqsim(&["man"]).stdout);
    assert!(man.contains(".TH mqsim 1"), "{man}");
    assert!(man.contains("completions"));
    assert!(man.contains("schema"));
}
