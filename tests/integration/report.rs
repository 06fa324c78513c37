//! Charts and report.html: written by `run`, `compare` and `sweep`,
//! self-contained, redrawn byte for byte by `plot`, tolerant of optional
//! time-series columns, with analytic values where a formula applies.

use crate::support;
use mqsim::report::{Mode, OutputSet, RunView, write_run_report};
use std::path::Path;
use support::{SMALL, mqsim, ok, plot, text, tmp, write};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Checks a report page is self-contained and holds every named chart.
fn check_page(html: &str, charts: &[&str]) {
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    for banned in ["<script", "<link", "src=", "@import", "url("] {
        assert!(
            !html.contains(banned),
            "report.html must not fetch anything ({banned})"
        );
    }
    for chart in charts {
        let at = html
            .find(&format!("<figure id=\"chart-{chart}\">"))
            .unwrap_or_else(|| panic!("no {chart} chart"));
        assert!(
            html[at..]
                .trim_start_matches(|c| c != '\n')
                .trim_start()
                .starts_with("<svg"),
            "{chart}: no inline SVG"
        );
    }
    assert_eq!(html.matches("<svg").count(), charts.len());
}

#[test]
fn run_writes_charts_and_a_self_contained_report_that_plot_redraws_identically() {
    let dir = tmp("report-run");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("run");
    ok(&["run", &file, "--out", out.to_str().unwrap()]);
    for chart in ["depth", "age", "latency", "drops"] {
        assert!(
            std::fs::read(out.join(format!("{chart}.png")))
                .unwrap()
                .starts_with(PNG)
        );
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("simulated time (s)") || chart == "latency",
            "{chart}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    check_page(&html, &["topology", "depth", "age", "latency", "drops"]);
    assert!(
        html.contains("workers: end-to-end p99") && html.contains("[groups.workers]"),
        "headline table and scenario"
    );
    assert!(
        !html.contains("queueing theory"),
        "a bounded burst has no closed form"
    );

    // plot redraws the same bytes from the saved files, into another folder or in place.
    let again = dir.join("again");
    plot(&out, &again);
    for name in [
        "report.html",
        "topology.svg",
        "depth.png",
        "depth.svg",
        "latency.svg",
        "drops.png",
    ] {
        assert!(
            std::fs::read(out.join(name)).unwrap() == std::fs::read(again.join(name)).unwrap(),
            "{name} differs after plot"
        );
    }
    let before = support::files(&out);
    ok(&["plot", out.join("summary.json").to_str().unwrap()]);
    assert!(
        before == support::files(&out),
        "plot in place changed a file"
    );
}

#[test]
fn the_report_opens_with_the_architecture_and_marks_its_bottleneck() {
    // slow-dependency: clients → requests → api ⇢ catalog ⇢ pricing; the
    // api's topic fills while its workers wait on calls.
    let dir = tmp("report-topology");
    let out = dir.join("run");
    ok(&[
        "run",
        "scenarios/slow-dependency.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(out.join("topology.svg")).unwrap();
    for node in [
        "clients (producer)",
        "requests (topic)",
        "api (group)",
        "catalog (service)",
        "pricing (service)",
    ] {
        assert!(svg.contains(node), "{node}");
    }
    assert_eq!(svg.matches("bottleneck").count(), 1, "one bottleneck");
    // It is the api (its label is drawn right after the api's title).
    let at = |text: &str| svg.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("api (group)") < at("bottleneck") && at("bottleneck") < at("catalog (service)"));
    assert!(svg.contains("peak depth 2,000"), "the api's topic filled");
    assert!(svg.contains("24,622 refused"), "the topic refused requests");
    // Four links, each with its arrowhead: two direct calls (in the
    // calls' colour, dashed) and two hand-offs.
    let arrows = |colour: &str| {
        svg.matches(&format!("<polygon opacity=\"1\" fill=\"{colour}\""))
            .count()
    };
    assert_eq!((arrows("#756BB1"), arrows("#787878")), (2, 2), "{svg}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let architecture = html.find("<h2>Architecture</h2>").expect("a section");
    let headline = html.find("<h2>Headline numbers</h2>").unwrap();
    assert!(architecture < headline);
    assert!(html.contains("id=\"chart-topology\""));
    // Where the time goes: the one path that ends a chain, by hop.
    let split = std::fs::read_to_string(out.join("time-split.svg")).unwrap();
    assert!(split.contains("requests-api"), "the path");
    assert!(html.contains("id=\"chart-time-split\""));
}

#[test]
fn the_analytic_value_stands_beside_the_simulated_one() {
    let dir = tmp("report-analytic");
    let out = dir.join("mm4");
    ok(&[
        "run",
        "scenarios/mm4.toml",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "horizon=\"2000s\"",
        "--set",
        "warmup=\"100s\"",
    ]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Simulated against queueing theory"),
        "M/M/4 has Erlang C"
    );
    assert!(
        html.contains("<td>M/M/4 (Erlang C)</td><td>mean wait in queue Wq (s)</td>"),
        "{html}"
    );
    assert!(html.contains("<td>0.7455</td>"), "Wq = 0.7455 s");
}

#[test]
fn drops_chart_reads_optional_columns_by_name() {
    let dir = tmp("report-columns");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("run");
    ok(&["run", &file, "--out", out.to_str().unwrap()]);
    // Without the failure columns: one panel.
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    let keep: Vec<usize> = header
        .split(',')
        .enumerate()
        .filter(|(_, c)| {
            !c.starts_with("dead_letter") && !c.contains("duplicate") && *c != "wasted"
        })
        .map(|(i, _)| i)
        .collect();
    let trimmed: String = csv
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&i| cells[i]).collect::<Vec<_>>().join(",") + "\n"
        })
        .collect();
    std::fs::write(out.join("timeseries.csv"), &trimmed).unwrap();
    let view = RunView::load(&out).unwrap();
    let drops = view
        .charts()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "drops")
        .unwrap();
    assert!(drops.svg.contains("workers: dropped") && !drops.svg.contains("so far"));
    // With extra running totals: a second panel naming them.
    let extra: String = trimmed
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},dead_lettered,duplicate_side_effects,wasted,unknown_future_column\n")
            } else {
                format!("{l},{i},0,{},7\n", 2 * i)
            }
        })
        .collect();
    std::fs::write(out.join("timeseries.csv"), extra).unwrap();
    let view = RunView::load(&out).unwrap();
    let mut set = OutputSet::open(&out, "plot", Mode::Redraw).unwrap();
    write_run_report(&mut set, &view).unwrap();
    set.commit().unwrap();
    let svg = std::fs::read_to_string(out.join("drops.svg")).unwrap();
    assert!(
        svg.contains("so far (messages)")
            && svg.contains("workers: dead lettered")
            && svg.contains("workers: wasted work (answered too late)")
    );
    // A running total that stays at zero gets no line.
    assert!(!svg.contains("duplicate side effects"));
    // A broken series is bad input naming the file.
    std::fs::write(out.join("timeseries.csv"), "time_s,group\n1\n").unwrap();
    let r = mqsim(&["plot", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("timeseries.csv: line 2: 1 fields, the header has 2"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn compare_runs_scenarios_side_by_side() {
    let dir = tmp("report-compare");
    let file = write(&dir, "small.toml", SMALL);
    let bigger = write(
        &dir,
        "bigger.toml",
        &SMALL
            .replace("name = \"small\"", "name = \"bigger\"")
            .replace("capacity = 400", "capacity = 4000"),
    );
    let out = dir.join("cmp");
    let stdout = ok(&["compare", &file, &bigger, "--out", out.to_str().unwrap()]);
    let header = stdout.lines().next().unwrap();
    assert!(
        header.contains("small") && header.contains("bigger"),
        "{stdout}"
    );
    for row in [
        "answer p99 (request → result)",
        "publish acknowledged p99",
        "workers: end-to-end p99",
        "workers:   dropped, rejected",
        "workers: peak backlog (messages)",
        "workers: throughput (msg/s)",
    ] {
        assert!(stdout.contains(row), "{row}: {stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["scenarios"][1]["label"], "bigger");
    let peak = |i: usize| {
        json["scenarios"][i]["metrics"]["groups.workers.max_depth"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(
        peak(0) <= 400.0 && peak(1) > 400.0,
        "the bigger buffer holds more"
    );
    check_page(
        &std::fs::read_to_string(out.join("report.html")).unwrap(),
        &[
            "compare-latency",
            "compare-errors",
            "compare-depth",
            "compare-age",
            "compare-failures",
        ],
    );
    let errors = std::fs::read_to_string(out.join("compare-errors.svg")).unwrap();
    for text in [
        "requests whose caller saw an error (%)",
        "dropped (all reasons)",
        "work lost",
        "bigger",
    ] {
        assert!(errors.contains(text), "compare-errors: {text}");
    }
    let again = dir.join("again");
    plot(&out, &again);
    assert!(
        std::fs::read(out.join("report.html")).unwrap()
            == std::fs::read(again.join("report.html")).unwrap()
    );
    // The same file twice gets numbered labels.
    let twice = ok(&[
        "compare",
        &file,
        &file,
        "--out",
        dir.join("twice").to_str().unwrap(),
    ]);
    assert!(twice.lines().next().unwrap().contains("small#2"), "{twice}");
}

#[test]
fn sweep_report_and_plot_of_a_sweep() {
    let dir = tmp("report-sweep");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("sweep");
    ok(&[
        "sweep",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--vary",
        "groups.workers.workers=1..3",
        "--vary",
        "topic.policy=reject,drop_oldest",
    ]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Two varied fields: each metric's curve and heatmap.
    let charts = [
        "sweep-groups.workers.e2e.p99_s",
        "sweep-heatmap-groups.workers.e2e.p99_s",
        "sweep-groups.workers.dropped",
        "sweep-heatmap-groups.workers.dropped",
        "sweep-groups.workers.max_depth",
        "sweep-heatmap-groups.workers.max_depth",
    ];
    check_page(&html, &charts);
    let svg = std::fs::read_to_string(out.join("sweep-groups.workers.e2e.p99_s.svg")).unwrap();
    assert!(
        svg.contains("topic.policy=drop_oldest") && svg.contains("groups.workers.workers"),
        "legend and axis"
    );
    let copy = dir.join("copy");
    plot(&out, &copy);
    for c in charts {
        assert!(
            std::fs::read(out.join(format!("{c}.png"))).unwrap()
                == std::fs::read(copy.join(format!("{c}.png"))).unwrap()
        );
    }
    ok(&[
        "plot",
        out.to_str().unwrap(),
        "--out",
        copy.to_str().unwrap(),
        "--metric",
        "groups.workers.utilisation",
    ]);
    assert!(copy.join("sweep-groups.workers.utilisation.svg").exists());
    let r = mqsim(&[
        "plot",
        out.to_str().unwrap(),
        "--metric",
        "groups.workers.nothing",
    ]);
    assert_eq!(r.status.code(), Some(2));
    let r = mqsim(&["plot", dir.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("no summary.json, sweep.json or compare.json"));
}

#[test]
fn partitioned_runs_chart_the_lag_of_each_partition() {
    let dir = tmp("partition-lag");
    let out = dir.to_str().unwrap();
    ok(&[
        "run",
        "scenarios/hot-partition.toml",
        "--set",
        "horizon=\"60s\"",
        "--out",
        out,
    ]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("Lag per partition over time"),
        "no partition chart"
    );
    assert!(html.contains("projector: partition 7"));
    let svg = std::fs::read(dir.join("partitions.svg")).unwrap();
    // `plot` redraws it from partitions.csv, byte for byte.
    std::fs::remove_file(dir.join("partitions.svg")).unwrap();
    ok(&["plot", out]);
    assert_eq!(std::fs::read(dir.join("partitions.svg")).unwrap(), svg);
    // One partition: no such chart.
    let single = tmp("single-partition");
    ok(&[
        "run",
        "scenarios/mm1.toml",
        "--set",
        "horizon=\"100s\"",
        "--set",
        "warmup=\"0s\"",
        "--out",
        single.to_str().unwrap(),
    ]);
    assert!(!single.join("partitions.svg").exists());
}

#[test]
fn call_links_chart_their_breakers_and_hedges_over_time() {
    let dir = tmp("calls-chart");
    let out = dir.to_str().unwrap();
    ok(&[
        "run",
        "scenarios/brownout-breaker.toml",
        "--set",
        "horizon=\"20m\"",
        "--out",
        out,
    ]);
    let csv = std::fs::read_to_string(dir.join("calls.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains("checkout.payments") && l.contains(",open,"))
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Calls over time"), "no calls chart");
    let svg = std::fs::read(dir.join("calls.svg")).unwrap();
    assert!(text(&svg).contains("checkout.payments: refused by the breaker"));
    // `plot` redraws it from calls.csv, byte for byte.
    std::fs::remove_file(dir.join("calls.svg")).unwrap();
    ok(&["plot", out]);
    assert_eq!(std::fs::read(dir.join("calls.svg")).unwrap(), svg);
    // A file without call links has neither.
    let plain = tmp("no-calls");
    ok(&[
        "run",
        "scenarios/mm1.toml",
        "--set",
        "horizon=\"100s\"",
        "--set",
        "warmup=\"0s\"",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(!plain.join("calls.csv").exists() && !plain.join("calls.svg").exists());
}

#[test]
fn compare_sets_the_answer_beside_the_answer_and_the_publish_apart() {
    // The page needs the quote: queued, its answer is the reader's
    // end-to-end (publish, queue, work), never the 4 ms publish ack.
    let out = tmp("compare-answer");
    let stdout = ok(&[
        "compare",
        "scenarios/caller-needs-answer.toml",
        "--sync",
        "--set",
        "horizon=\"60s\"",
        "--set",
        "replications=1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let cells = |label: &str| -> Vec<String> {
        let row = (stdout.lines())
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label}: {stdout}"));
        let rest: Vec<&str> = row[label.len()..].split_whitespace().collect();
        rest.chunks(2).map(|c| c.join(" ")).collect()
    };
    let ms = |cell: &str| -> f64 {
        let (v, unit) = cell.split_once(' ').unwrap();
        let v: f64 = v.parse().unwrap();
        match unit {
            "ms" => v,
            "s" => v * 1e3,
            other => panic!("{other}"),
        }
    };
    let answer = cells("answer p50 (request → result)");
    let e2e = cells("pricing: end-to-end p50");
    assert_eq!(answer, e2e, "{stdout}");
    // The broker hop only adds: publish (4 ms at p50) plus the same work.
    assert!(ms(&answer[0]) > ms(&answer[1]) + 2.0, "{answer:?}");
    let publish = cells("publish acknowledged p50");
    assert_eq!(publish.len(), 2, "{stdout}");
    assert!(ms(&publish[0]) < ms(&answer[0]));
    assert_eq!(publish[1], "-", "a direct call has no publish: {stdout}");
}

#[test]
fn drops_chart_splits_by_reason_and_is_left_out_when_nothing_dropped() {
    let dir = tmp("report-drop-reasons");
    // SMALL's burst overflows its topic of 400: rejected, nothing else.
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("rejected");
    ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let svg = std::fs::read_to_string(out.join("drops.svg")).unwrap();
    assert!(svg.contains("dropped, by reason") && svg.contains("\nrejected\n"));
    assert!(!svg.contains("\nevicted\n") && !svg.contains("\nexpired\n"));
    // drop_oldest evicts instead: the reason changes with the policy.
    let file = write(
        &dir,
        "evict.toml",
        &SMALL.replace("policy = \"reject\"", "policy = \"drop_oldest\""),
    );
    let out = dir.join("evicted");
    ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let svg = std::fs::read_to_string(out.join("drops.svg")).unwrap();
    assert!(svg.contains("\nevicted\n") && !svg.contains("\nrejected\n"));
    // A topic that never fills drops nothing: no chart, no section, and a
    // run into the same folder removes the old chart.
    let file = write(
        &dir,
        "roomy.toml",
        &SMALL.replace("capacity = 400", "capacity = 1000000"),
    );
    ok(&["run", &file, "--out", out.to_str().unwrap()]);
    assert!(!out.join("drops.svg").exists() && !out.join("drops.png").exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("chart-drops"));
    check_page(&html, &["topology", "depth", "age", "latency"]);
}

#[test]
fn a_sweep_of_two_fields_draws_a_heatmap_with_a_cell_per_point() {
    let dir = tmp("report-heatmap");
    let file = write(&dir, "small.toml", SMALL);
    // Cells are the only rectangles whose number follows the points.
    let rects = |workers: &str| {
        let out = dir.join(format!("sweep-{workers}"));
        ok(&[
            "sweep",
            &file,
            "--out",
            out.to_str().unwrap(),
            "--vary",
            &format!("groups.workers.workers={workers}"),
            "--vary",
            "topic.capacity=100,400",
        ]);
        let svg = std::fs::read_to_string(out.join("sweep-heatmap-groups.workers.max_depth.svg"))
            .unwrap();
        assert!(svg.contains("topic.capacity") && svg.contains("groups.workers.max_depth"));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(html.contains("chart-sweep-heatmap-groups.workers.e2e.p99_s"));
        svg.matches("<rect").count()
    };
    assert_eq!(rects("1..3") - rects("1..2"), 2, "one cell per point");
    // One varied field: no heatmap.
    let out = dir.join("one");
    ok(&[
        "sweep",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--vary",
        "groups.workers.workers=1..2",
    ]);
    assert!(
        !out.join("sweep-heatmap-groups.workers.max_depth.svg")
            .exists()
    );
}

#[test]
fn sweep_objectives_frame_the_cells_and_mark_the_points_that_meet_them() {
    let dir = tmp("report-sweep-slo");
    let file = write(&dir, "small.toml", SMALL);
    let sweep = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "sweep",
            &file,
            "--out",
            out.to_str().unwrap(),
            "--vary",
            "groups.workers.workers=1..4",
            "--vary",
            "topic.capacity=100,400",
        ];
        args.extend(extra);
        ok(&args)
    };
    let plain = dir.join("plain");
    sweep(&plain, &[]);
    // The lag each point reached: an objective half of them meet.
    let jsonl = std::fs::read_to_string(plain.join("sweep.jsonl")).unwrap();
    let lags: Vec<f64> = jsonl
        .lines()
        .map(|line| {
            let point: serde_json::Value = serde_json::from_str(line).unwrap();
            point["metrics"]["groups.workers.max_age_s"]["mean"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let mut sorted = lags.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(sorted[3] < sorted[4], "{sorted:?}");
    let threshold = (sorted[3] + sorted[4]) / 2.0;
    let met: Vec<bool> = lags.iter().map(|&l| l < threshold).collect();
    assert_eq!(met.iter().filter(|&&m| m).count(), 4);

    let marked = dir.join("marked");
    let slo = format!("lag < {threshold:.9}");
    let stdout = sweep(&marked, &["--slo", &slo]);
    assert!(
        stdout.contains("4 of 8 points meet every --slo"),
        "{stdout}"
    );
    let manifest = std::fs::read_to_string(marked.join("sweep.json")).unwrap();
    assert!(
        manifest.contains("\"metric\": \"groups.workers.max_age_s\""),
        "{manifest}"
    );
    // The report's table says which, point by point, in index order.
    let html = std::fs::read_to_string(marked.join("report.html")).unwrap();
    assert!(html.contains("<th>meets every --slo</th>"));
    let said: Vec<bool> = html
        .split("<tr>")
        .filter_map(
            |row| match row.split("</tr>").next()?.rsplit("<td>").next()? {
                "yes</td>" => Some(true),
                "no</td>" => Some(false),
                _ => None,
            },
        )
        .collect();
    assert_eq!(said, met);
    // Each passing cell gets a frame of two rectangles; the metric of the
    // objective gets its own charts.
    let rects = |dir: &Path| {
        std::fs::read_to_string(dir.join("sweep-heatmap-groups.workers.max_depth.svg"))
            .unwrap()
            .matches("<rect")
            .count()
    };
    assert_eq!(rects(&marked) - rects(&plain), 2 * 4);
    assert!(
        marked
            .join("sweep-heatmap-groups.workers.max_age_s.svg")
            .exists()
    );
    assert!(
        !plain
            .join("sweep-heatmap-groups.workers.max_age_s.svg")
            .exists()
    );
}

#[test]
fn the_report_opens_with_the_question_and_a_verdict_per_group() {
    let dir = tmp("report-verdict");
    let text = SMALL
        .replace(
            "name = \"small\"",
            "name = \"small\"\n    description = \"Does a 1500/s burst <fit> in 400 places?\"",
        )
        .replace("replications = 2", "replications = 1");
    let file = write(&dir, "small.toml", &text);
    let out = dir.join("run");
    let stdout = ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let mean = |name: &str| summary["metrics"][name]["mean"].as_f64().unwrap();
    // The burst overflows the topic; the group empties soon after the
    // horizon (its deliveries in progress take milliseconds).
    let lost = mean("groups.workers.work_lost");
    let drain = mean("groups.workers.drain_s");
    assert!(lost > 0.0 && (0.0..0.5).contains(&drain), "{lost} {drain}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let question = html
        .find("<p class=\"question\">Does a 1500/s burst &lt;fit&gt; in 400 places?</p>")
        .expect("the question, escaped");
    let verdict = html.find("<h2>Verdict</h2>").expect("a verdict");
    let architecture = html.find("<h2>Architecture</h2>").unwrap();
    assert!(question < verdict && verdict < architecture);
    // One line for the group, the same in the page and the terminal,
    // with its peak.
    let said = stdout
        .lines()
        .find_map(|l| l.strip_prefix("  verdict: "))
        .expect("a verdict under the group");
    assert!(
        html.contains(&format!("<li><b>workers</b>: {said}</li>")),
        "{said}"
    );
    let peak = mean("groups.workers.max_depth");
    assert!(
        said.starts_with(&format!("kept up: at most {peak} waiting"))
            || said.starts_with(&format!("fell behind: the backlog peaked at {peak} ")),
        "{said}"
    );
    let thousands = |v: f64| {
        let digits = (v as u64).to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let lost_text = format!("; lost {} (", thousands(lost));
    assert!(html.contains(&lost_text), "{lost_text}");
    assert!(stdout.contains("drained after the horizon"), "{stdout}");
}
