//! `decide`'s outputs: the terminal's ranked table, flowchart and six
//! lines, `decision.json`, and `report.html` with the chosen
//! architecture's diagram and every alternative over time.

use super::{Decision, MEASURES, Row};
use crate::experiment::{Entry, metric_values};
use crate::report::ReportError;
use crate::report::chart::{Rendered, render};
use crate::report::duration::human;
use crate::report::html::Page;
use serde_json::{Value, json};

/// The columns of the ranked table besides the objectives: measure,
/// heading.
const COLUMNS: [(&str, &str); 10] = [
    ("lost", "lost"),
    ("crash_lost", "lost in crashes"),
    ("duplicates", "duplicates"),
    ("caller_error_share", "caller errors"),
    ("caller.p99_s", "caller p99"),
    ("e2e.p99_s", "e2e p99"),
    ("peak_backlog", "peak backlog"),
    ("max_age_s", "worst lag"),
    ("worker_hours", "worker-hours"),
    ("cost_per_month", "$/month"),
];

/// A measure's mean ± half-width, for people.
fn value(row: &Row, name: &str) -> String {
    let Some(ci) = row.measures.ci(name) else {
        return "-".into();
    };
    let (m, h) = (ci.mean, ci.half_width);
    if name == "out_of_order" && m.is_nan() {
        return "not kept".into();
    }
    if name.ends_with("_s") {
        return crate::report::duration::human_ci(m, h);
    }
    if name.ends_with("_share") {
        return if h > 0.0 {
            format!("{:.2} ± {:.2}%", 100.0 * m, 100.0 * h)
        } else {
            format!("{:.2}%", 100.0 * m)
        };
    }
    if name == "cost_per_month" {
        return format!("{m:.0}");
    }
    if name == "worker_hours" {
        return format!("{m:.1}");
    }
    let round = |v: f64| super::count(v);
    if h >= 0.5 {
        format!("{} ± {}", round(m), round(h))
    } else {
        round(m)
    }
}

/// An objective's verdict in a cell: the value, met or missed, margin.
fn objective_cell(row: &Row, i: usize) -> String {
    let (slo, check) = &row.checks[i];
    let text = value(row, &slo.metric);
    if !check.margin.is_finite() {
        return format!("✗ {text}");
    }
    let margin = if slo.metric.ends_with("_s") {
        human(check.margin.abs())
    } else if slo.metric.ends_with("_share") {
        format!("{:.2} pt", 100.0 * check.margin.abs())
    } else {
        super::count(check.margin.abs())
    };
    if check.met {
        format!("✓ {text} (+{margin})")
    } else {
        format!("✗ {text} (−{margin})")
    }
}

/// The ranked table: header and rows.
pub fn ranked(d: &Decision) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["#".to_owned(), "alternative".into(), "workers".into()];
    header.extend(d.objectives.iter().map(|s| s.text.clone()));
    header.extend(COLUMNS.iter().map(|(_, h)| (*h).to_owned()));
    header.push("weight".into());
    let rows = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![
                (i + 1).to_string(),
                r.alternative.name().to_owned(),
                r.workers
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join("/"),
            ];
            cells.extend((0..r.checks.len()).map(|k| objective_cell(r, k)));
            cells.extend(COLUMNS.iter().map(|(m, _)| value(r, m)));
            cells.push(format!("{} {}", r.weight(), r.alternative.weight().1));
            cells
        })
        .collect();
    (header, rows)
}

/// The terminal's text.
pub fn table(d: &Decision) -> String {
    let w = &d.workload;
    let mut out = format!(
        "decide {}  seed {}  replications {}  (mean ± 95% CI; workers per consumer: {})\n",
        w.name,
        w.seed,
        w.replications,
        w.consumers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    );
    if let Some(q) = &w.description {
        out += &format!("question: {q}\n");
    }
    let (header, rows) = ranked(d);
    // The terminal keeps the alternative, workers, objectives, lost,
    // duplicates, caller errors and cost; report.html has every column.
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| {
            i < 3 + d.objectives.len()
                || ["lost", "duplicates", "caller errors", "$/month", "weight"]
                    .contains(&header[i].as_str())
        })
        .collect();
    let pick = |cells: &[String]| keep.iter().map(|&i| cells[i].clone()).collect::<Vec<_>>();
    let mut all = vec![pick(&header)];
    all.extend(rows.iter().map(|r| pick(r)));
    out += &crate::report::columns(&all);
    out += "\nthe flowchart, answered:\n";
    for (i, a) in d.flowchart.iter().enumerate() {
        out += &format!(
            "  {}. {} {} → {}\n     {}\n",
            i + 1,
            a.question.text(),
            if a.yes { "yes" } else { "no" },
            a.leads_to(),
            a.evidence
        );
        if let Some(dis) = &a.disagreement {
            out += &format!("     rule of thumb vs measured: {dis}\n");
        }
    }
    out += &format!("\nthe decision: {}\n", d.rows[0].alternative.name());
    for (label, line) in d.six.labelled() {
        out += &format!("  {label}: {line}\n");
    }
    out
}

/// `decision.json`: the objectives, every alternative's measures and
/// checks, the flowchart, the six lines and the monitoring proposals.
pub fn json(d: &Decision) -> String {
    let rows: Vec<Value> = d
        .rows
        .iter()
        .map(|r| {
            let measures: serde_json::Map<String, Value> = r
                .measures
                .all
                .iter()
                .map(|(n, c)| {
                    (
                        n.clone(),
                        json!({ "mean": finite(c.mean), "ci95_half_width": finite(c.half_width) }),
                    )
                })
                .collect();
            json!({
                "alternative": r.alternative.name(),
                "workers": d.workload.consumers.iter().zip(&r.workers)
                    .map(|(c, n)| (c.name.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "partitions": r.alternative.partitions(&d.workload),
                "meets_all": r.meets_all(),
                "objectives": r.checks.iter().map(|(s, c)| json!({
                    "objective": s.text, "met": c.met, "mean": finite(c.mean),
                    "ci95_half_width": finite(c.half_width), "margin": finite(c.margin),
                })).collect::<Vec<_>>(),
                "measures": measures,
                "operational_weight": r.weight(),
                "scenario": format!("alternative-{}.toml", r.alternative.name()),
            })
        })
        .collect();
    let flowchart: Vec<Value> = d
        .flowchart
        .iter()
        .map(|a| {
            json!({ "question": a.question.text(), "yes": a.yes, "then": a.leads_to(),
                    "evidence": a.evidence, "disagreement": a.disagreement })
        })
        .collect();
    let six: serde_json::Map<String, Value> = d
        .six
        .labelled()
        .iter()
        .map(|(l, t)| ((*l).to_owned(), json!(t)))
        .collect();
    let alerts: Vec<Value> = d
        .monitoring
        .proposals
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "consumer": p.consumer, "metric": p.metric,
                "above": finite(p.threshold), "for_s": p.hold_s, "quiet_peak": finite(p.quiet_peak),
                "detected_in": p.detection.detected, "false_alarms": p.detection.false_alarms,
                "after_fault_s": p.detection.after_fault.map(|c| json!({
                    "mean": finite(c.mean), "ci95_half_width": finite(c.half_width) })),
                "firings_per_replication": p.detection.firings,
                "per_fault": p.detection.per_fault.iter().map(|f| json!({
                    "fault": f.fault, "at_s": f.at_s, "detected_in": f.detected,
                    "after_s": f.after.map(|c| json!({
                        "mean": finite(c.mean), "ci95_half_width": finite(c.half_width) })),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "mqsim_version": env!("CARGO_PKG_VERSION"),
        "workload": d.workload.name,
        "seed": d.workload.seed,
        "replications": d.workload.replications,
        "decision": d.rows[0].alternative.name(),
        "ranked": rows,
        "flowchart": flowchart,
        "six_lines": six,
        "monitoring": {
            "first_fault_s": d.monitoring.fault_s,
            "alerts": alerts,
            "dedup_window_s": d.monitoring.dedup_window_s,
            "duplicates_left": d.monitoring.duplicates_left.map(|c| finite(c.mean)),
        },
        "measures": MEASURES.iter().map(|(n, m)| (n.to_string(), json!(m))).collect::<serde_json::Map<_, _>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

/// The winner's architecture diagram, and every alternative over time
/// and side by side (the compare charts).
///
/// # Errors
/// [`ReportError::Chart`] if a chart cannot be drawn.
pub fn charts(d: &Decision) -> Result<Vec<Rendered>, ReportError> {
    let winner = &d.rows[0];
    let metrics = metric_values(&winner.experiment.metrics);
    let diagram = crate::report::topology::topology(
        &winner.scenario.name,
        &winner.scenario.normalised,
        &metrics,
    );
    let mut charts = vec![render(
        "decision",
        "The chosen architecture, as it ran: what each part handled, the bottleneck in red",
        &diagram,
    )?];
    let entries: Vec<Entry> = d
        .rows
        .iter()
        .map(|r| Entry {
            label: r.alternative.name().to_owned(),
            scenario: r.scenario.clone(),
            experiment: r.experiment.clone(),
        })
        .collect();
    charts.extend(crate::report::CompareView::of(&entries).charts()?);
    Ok(charts)
}

/// The self-contained `report.html`.
pub fn html(d: &Decision, charts: &[Rendered]) -> String {
    let w = &d.workload;
    let mut page = Page::new(&format!("mqsim decide: {}", w.name));
    if let Some(q) = &w.description {
        page.question(q);
    }
    page.paragraph(&format!(
        "Decision: {}. {} alternatives, each on the same arrivals and story (seed {}, {} replications; mean ± 95% interval), queued ones sized to the fewest workers meeting the objectives.",
        d.rows[0].alternative.name(),
        d.rows.len(),
        w.seed,
        w.replications
    ));
    page.heading("The six lines");
    let six: Vec<(String, String)> = d
        .six
        .labelled()
        .iter()
        .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
        .collect();
    page.named_list(&six);
    page.heading("Ranked");
    let (header, rows) = ranked(d);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    page.table(&header, &rows);
    page.paragraph("Ranked by: every objective met, then operational weight (0 nothing to run … 4 a cluster), then cost, then the caller's p99. Cost: workers and broker nodes at the prices of the workload's [prices], plus per-request prices of managed queues, for a month at this load.");
    page.heading("The flowchart, answered from the runs");
    page.drawing(
        "flowchart",
        &super::drawing::svg(&d.flowchart),
        "The articles' decision flowchart, each question answered by the runs' numbers; the path taken in bold",
    );
    page.heading("Monitoring, measured");
    let alerts: Vec<Vec<String>> = d
        .monitoring
        .proposals
        .iter()
        .map(|p| {
            let threshold = if matches!(p.metric, "oldest_age" | "e2e_p99") {
                human(p.threshold)
            } else {
                super::rate(p.threshold)
            };
            vec![
                p.consumer.clone(),
                p.metric.to_owned(),
                format!("> {threshold} for {}", human(p.hold_s)),
                p.detection.after_fault.map_or("-".into(), |c| {
                    crate::report::duration::human_ci(c.mean, c.half_width)
                }),
                format!("{}/{}", p.detection.detected, w.replications),
                p.detection.false_alarms.to_string(),
                format!("{:.1}", p.detection.firings),
                p.detection
                    .per_fault
                    .iter()
                    .map(|f| {
                        let after = f.after.map_or("never".into(), |c| {
                            crate::report::duration::human_ci(c.mean, c.half_width)
                        });
                        format!(
                            "{} at {}: {after} ({}/{})",
                            f.fault,
                            human(f.at_s),
                            f.detected,
                            w.replications
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    page.table(
        &[
            "consumer",
            "metric",
            "rule",
            "fires after the fault",
            "detected in",
            "false alarms",
            "firings per run",
            "each fault of the story: fired after (replications)",
        ],
        &alerts,
    );
    for c in charts {
        page.figure(c);
    }
    page.heading("The alternatives' scenarios");
    page.paragraph("Each alternative ran as the scenario in alternative-<name>.toml: run one alone with mqsim run to see all its charts.");
    page.finish(&format!("mqsim decide: {}", w.name))
}
