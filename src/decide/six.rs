//! "What a defensible yes looks like": six lines for the winner — reason,
//! volume, pick, delivery semantics, ordering, monitoring — each filled in
//! from the runs.

use super::alternative::Kind;
use super::flowchart::{Answer, Question, arrival_peak, count, rate, secs};
use super::monitor::Verified;
use super::rank::Row;
use crate::scenario::workload::{Ordering, Workload};

/// The six lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SixLines {
    /// Why this design.
    pub reason: String,
    /// Peak and average volume.
    pub volume: String,
    /// What to run and how big.
    pub pick: String,
    /// Delivery semantics and the dedup window.
    pub semantics: String,
    /// Ordering: the key, and the lag it costs.
    pub ordering: String,
    /// What to watch and when to page.
    pub monitoring: String,
}

impl SixLines {
    /// The lines with their labels, in order.
    pub fn labelled(&self) -> [(&'static str, &str); 6] {
        [
            ("Reason", &self.reason),
            ("Volume", &self.volume),
            ("Pick", &self.pick),
            ("Delivery semantics", &self.semantics),
            ("Ordering", &self.ordering),
            ("Monitoring", &self.monitoring),
        ]
    }
}

/// The six lines for `rows[0]`.
pub(super) fn lines(
    w: &Workload,
    rows: &[Row],
    flowchart: &[Answer],
    monitoring: &Verified,
) -> SixLines {
    let winner = &rows[0];
    let m = &winner.measures;
    let alt = winner.alternative;
    let reasons: Vec<String> = flowchart
        .iter()
        .filter(|a| a.yes && a.question != Question::Simplest)
        .map(|a| match a.question {
            Question::Durability => "producer-crash durability".to_owned(),
            Question::Burst => "a burst the consumers cannot scale to".to_owned(),
            _ => format!("fan-out to {} consumers", w.consumers.len()),
        })
        .collect();
    let met = if winner.meets_all() {
        format!("meets all {} objectives", winner.checks.len())
    } else {
        format!(
            "meets {} of {} objectives (no alternative meets them all)",
            winner.met(),
            winner.checks.len()
        )
    };
    let reason = if alt.is_direct() || alt.kind == Kind::InProcess {
        format!("No queue: {} {met}, with the least to run.", alt.name())
    } else if reasons.is_empty() {
        format!(
            "{} {met}; the flowchart asks for no queue, but no lighter design meets them.",
            alt.name()
        )
    } else {
        format!(
            "{}; {} {met}.",
            capitalise(&reasons.join(" and ")),
            alt.name()
        )
    };
    let (peak, mean, interval) = arrival_peak(rows);
    let volume = format!(
        "{}/s peak (over {}), {}/s average; backlog at most {}, oldest message at worst {}.",
        rate(peak),
        secs(interval),
        rate(mean),
        count(m.mean("peak_backlog")),
        secs(m.mean("max_age_s"))
    );
    let workers: Vec<String> = w
        .consumers
        .iter()
        .zip(&winner.workers)
        .map(|(c, n)| format!("{} {n}", c.name))
        .collect();
    let mut pick = format!("{}: workers {}", alt.name(), workers.join(", "));
    if let Some(p) = alt.partitions(w) {
        pick += &format!(", {p} partitions");
    }
    if alt.kind == Kind::Autoscaled {
        let most: Vec<String> = w
            .consumers
            .iter()
            .map(|c| c.max_workers.to_string())
            .collect();
        pick += &format!(" scaling up to {}", most.join(", "));
    }
    if alt.broker_nodes() > 0 {
        pick += &format!(", {} broker nodes", alt.broker_nodes());
    }
    pick += &format!("; about ${:.0} a month.", m.mean("cost_per_month"));
    let duplicates = m.mean("duplicates");
    let at_least_once = !matches!(alt.kind, Kind::Direct | Kind::Autoscaled | Kind::InProcess);
    let mut semantics = if at_least_once {
        "At-least-once".to_owned()
    } else if alt.kind == Kind::InProcess {
        "At-most-once (a crash loses what the pool holds)".to_owned()
    } else {
        "At-least-once from the caller's retries".to_owned()
    };
    semantics += &format!("; {} duplicate side effects measured", count(duplicates));
    match (monitoring.dedup_window_s, &monitoring.duplicates_left) {
        (Some(window), Some(left)) => {
            semantics += &format!(
                ": consumers idempotent with a {} dedup window (the worst end-to-end time) leave {}.",
                secs(window),
                count(left.mean)
            );
        }
        _ => semantics += ": consumers should still be idempotent.",
    }
    let ordering = match w.ordering {
        Ordering::PerKey => format!(
            "Per key (arrivals.keys): {} out of order; the lag at worst {}{}.",
            count(m.mean("out_of_order")),
            secs(m.mean("max_age_s")),
            hot_partition(winner)
        ),
        Ordering::None => format!(
            "None needed ({} messages processed before an earlier one of their key).",
            count(m.mean("out_of_order"))
        ),
    };
    let rules: Vec<String> = monitoring
        .proposals
        .iter()
        .map(|p| {
            let threshold = if matches!(p.metric, "oldest_age" | "e2e_p99") {
                secs(p.threshold)
            } else {
                rate(p.threshold)
            };
            let when = match &p.detection.after_fault {
                Some(d) => format!("fires {} after the fault", secs(d.mean)),
                None if p.detection.false_alarms > 0 => "false alarms remain".to_owned(),
                None => "did not fire".to_owned(),
            };
            format!("{} {} > {threshold} ({when})", p.consumer, p.metric)
        })
        .collect();
    let monitoring = if rules.is_empty() {
        "Depth, oldest message age, DLQ rate.".to_owned()
    } else {
        format!("Page on {}.", rules.join("; "))
    };
    SixLines {
        reason,
        volume,
        pick,
        semantics,
        ordering,
        monitoring,
    }
}

/// The busiest partition against the median one (first replication,
/// first consumer), when the winner has several partitions: the cost of
/// a hot key.
fn hot_partition(winner: &Row) -> String {
    let Some(group) = winner.experiment.outcomes[0].groups.first() else {
        return String::new();
    };
    let parts = &group.partitions;
    if parts.len() < 2 {
        return String::new();
    }
    let total: u64 = parts.iter().map(|p| p.processed).sum();
    let Some(hot) = parts.iter().max_by_key(|p| p.processed) else {
        return String::new();
    };
    let mut depths: Vec<u64> = parts.iter().map(|p| p.max_depth).collect();
    depths.sort_unstable();
    let median = depths[depths.len() / 2];
    format!(
        "; the busiest of {} partitions took {:.1}% of the messages (an even share is {:.1}%), peak depth {} against {} for the median partition",
        parts.len(),
        100.0 * hot.processed as f64 / total.max(1) as f64,
        100.0 / parts.len() as f64,
        count(hot.max_depth as f64),
        count(median as f64)
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
