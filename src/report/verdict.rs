//! One line per group or service saying how it fared, from a run's
//! metrics: it kept up, it fell behind (by how much, and when it drained),
//! and what it lost.

use super::duration::human;
use super::topology::count;

/// How a group or service fared, from its metrics' means (`get` reads
/// `<place>.<field>`). `None` when the run has none of its metrics.
///
/// A delivery's mean time in a worker, `S`, is busy workers over
/// throughput (utilisation × mean workers / messages per second). The
/// group **fell behind** when a message waited more than 100 `S` (and
/// more than a second), when a backlog was left at the end (more than
/// twice its mean depth plus one message per worker), or, with `drain`,
/// when it emptied more than 10 `S` after the horizon (longer than the
/// deliveries in progress take); otherwise it **kept up**. The line gives
/// the peak and the worst wait, when it drained or what was left, and what
/// it **lost** (`work_lost`: dropped or dead-lettered) with its share of
/// what it handled.
pub(super) fn verdict(get: impl Fn(&str) -> Option<f64>) -> Option<String> {
    let queued = get("queued")?;
    let peak = get("max_depth").unwrap_or(0.0);
    let age = get("max_age_s").unwrap_or(0.0);
    let mean_depth = get("mean_depth").unwrap_or(0.0);
    let workers = get("workers_max").unwrap_or(0.0);
    let left = queued + get("in_flight").unwrap_or(0.0);
    let throughput = get("throughput_per_s").unwrap_or(0.0);
    let busy = get("utilisation").unwrap_or(0.0) * get("workers_mean").unwrap_or(0.0);
    let service = if throughput > 0.0 {
        busy / throughput
    } else {
        0.0
    };
    let drain = get("drain_s");
    let waited_long = age > (100.0 * service).max(1.0);
    let backlog_left = match drain {
        Some(_) => queued >= 0.5,
        None => left > 2.0 * mean_depth + workers + 1.0,
    };
    let drained_late = drain.is_some_and(|d| d > (10.0 * service).max(1e-3));
    let mut line = if waited_long || backlog_left || drained_late {
        format!(
            "fell behind: the backlog peaked at {} (oldest waited {})",
            count(peak),
            human(age)
        )
    } else {
        format!(
            "kept up: at most {} waiting, none longer than {}",
            count(peak),
            human(age)
        )
    };
    match drain {
        Some(_) if backlog_left => line.push_str(&format!(
            "; did not drain: {} still queued when the run stopped",
            count(queued)
        )),
        Some(d) if drained_late => {
            line.push_str(&format!("; drained {} after the horizon", human(d)));
        }
        Some(_) if waited_long => line.push_str("; drained by the horizon"),
        None if backlog_left => {
            line.push_str(&format!("; {} still queued at the end", count(queued)));
        }
        None if waited_long => line.push_str("; caught up by the end"),
        _ => {}
    }
    let lost = get("work_lost").unwrap_or(0.0);
    if lost < 0.5 {
        line.push_str("; lost nothing");
        return Some(line);
    }
    let handled = get("processed").unwrap_or(0.0) + lost + left;
    let share = if handled > 0.0 { lost / handled } else { 0.0 };
    line.push_str(&format!("; lost {} ({})", count(lost), percent(share)));
    Some(line)
}

/// A share as a percentage a person reads: `41%`, `2.3%`, `0.04%`.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p >= 10.0 {
        format!("{p:.0}% of what it handled")
    } else if p >= 0.1 {
        format!("{p:.1}% of what it handled")
    } else {
        format!("{p:.2}% of what it handled")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: &[(&str, f64)]) -> Option<String> {
        verdict(|f| pairs.iter().find(|(n, _)| *n == f).map(|(_, v)| *v))
    }

    #[test]
    fn kept_up_fell_behind_drained_and_lost() {
        // 4 workers, 80% busy, 3.2/s: a delivery takes 1 s.
        let steady = [
            ("queued", 3.0),
            ("in_flight", 4.0),
            ("max_depth", 40.0),
            ("max_age_s", 14.0),
            ("mean_depth", 2.5),
            ("workers_max", 4.0),
            ("workers_mean", 4.0),
            ("utilisation", 0.8),
            ("throughput_per_s", 3.2),
            ("processed", 10_000.0),
        ];
        let line = of(&steady).unwrap();
        assert_eq!(
            line,
            "kept up: at most 40 waiting, none longer than 14.0 s; lost nothing"
        );
        // A backlog left at the end.
        let mut behind = steady.to_vec();
        behind[0].1 = 12_345.0;
        let line = of(&behind).unwrap();
        assert!(
            line.starts_with("fell behind: the backlog peaked at 40"),
            "{line}"
        );
        assert!(
            line.ends_with("; 12,345 still queued at the end; lost nothing"),
            "{line}"
        );
        // A long wait that caught up; then the same, drained by the horizon.
        let mut caught_up = steady.to_vec();
        caught_up[3].1 = 2040.0;
        assert!(
            of(&caught_up)
                .unwrap()
                .contains("(oldest waited 34m00s); caught up by the end")
        );
        let mut drained = caught_up.clone();
        drained[0].1 = 0.0;
        drained.push(("drain_s", 0.2));
        drained.push(("work_lost", 250.0));
        let line = of(&drained).unwrap();
        assert!(
            line.contains("; drained by the horizon; lost 250 (2.4% of what it handled)"),
            "{line}"
        );
        // Emptied long after the horizon.
        let mut late = drained.clone();
        late.retain(|(n, _)| *n != "drain_s");
        late.push(("drain_s", 754.0));
        assert!(
            of(&late)
                .unwrap()
                .contains("; drained 12m34s after the horizon")
        );
        // Stopped by max_drain with messages left.
        let mut stuck = late.clone();
        stuck[0].1 = 7.0;
        assert!(
            of(&stuck)
                .unwrap()
                .contains("; did not drain: 7 still queued when the run stopped")
        );
        // In-flight deliveries finishing past the horizon are not a backlog.
        let mut finishing = steady.to_vec();
        finishing[0].1 = 0.0;
        finishing.push(("drain_s", 0.9));
        assert!(of(&finishing).unwrap().starts_with("kept up"));
        assert_eq!(of(&[("processed", 1.0)]), None);
    }
}
