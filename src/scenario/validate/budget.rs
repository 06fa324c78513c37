//! Bounds decided before a run starts: how many messages one arrival may
//! bring, how many events the arrivals alone make, and how often the
//! partitions are sampled, so that no scenario exhausts memory or runs for
//! hours without saying so first.

use super::Checker;
use crate::engine::SimDuration;
use crate::model::arrival::ArrivalProcess;
use crate::model::producer::ProducerSpec;
use crate::model::series::MAX_PARTITION_ROWS;
use crate::scenario::path::FieldPath;
use crate::scenario::raw::RawLimits;

/// Checks that one tick of `arrival` (at `path`) brings at most
/// `max_queued` messages, and cuts batch draws there.
pub(super) fn ticks(
    c: &mut Checker<'_>,
    path: &FieldPath,
    mut arrival: ArrivalProcess,
    max_queued: u64,
) -> Option<ArrivalProcess> {
    let cap = max_queued.min(u64::from(u32::MAX));
    let largest = arrival.largest_tick();
    if largest > cap as f64 {
        let (field, what, fix) = match &arrival {
            ArrivalProcess::Batch(_) => (
                path.key("batch").key("size"),
                "a batch",
                "use smaller batches",
            ),
            _ => (
                path.key("burst").key("count"),
                "a burst with over = 0 (all at one instant)",
                "spread the burst (over = \"1s\")",
            ),
        };
        let why = if max_queued > cap {
            format!("at most {cap} messages can arrive at once")
        } else {
            format!("at most limits.max_queued = {max_queued} messages can arrive at once")
        };
        c.fail(
            &field,
            format!("{what} brings {largest} messages; {why}: {fix}, or raise limits.max_queued"),
        );
        return None;
    }
    arrival.cap_ticks(cap as u32);
    Some(arrival)
}

/// Refuses a scenario whose arrivals alone exceed `limits.max_events` per
/// replication: it would run for hours. Blames the busiest producer.
pub(super) fn events(
    c: &mut Checker<'_>,
    producers: &[ProducerSpec],
    limits: &RawLimits,
    horizon: SimDuration,
) {
    // Producers publish within the horizon only.
    let end = crate::engine::SimTime::ZERO + horizon;
    let span = |p: &ProducerSpec| p.stop.min(end).since(p.start);
    let ticks: Vec<f64> = producers
        .iter()
        .map(|p| p.arrival.expected_ticks(span(p).as_secs_f64()))
        .collect();
    let total: f64 = ticks.iter().sum();
    if total <= limits.max_events as f64 {
        return;
    }
    let busiest = (0..producers.len())
        .max_by(|&a, &b| ticks[a].total_cmp(&ticks[b]))
        .unwrap_or(0);
    let Some(p) = producers.get(busiest) else {
        return;
    };
    let path = FieldPath::root()
        .key("producers")
        .key(&p.name)
        .key("arrival");
    c.fail(
        &path,
        format!(
            "arrives about {:.3e} times over its {} of publishing (all producers: {total:.3e}), more than \
             limits.max_events = {} events per replication: the run would take hours. Shorten \
             the horizon, lower the rate, or raise limits.max_events",
            ticks[busiest],
            crate::scenario::Dur(span(p)),
            limits.max_events
        ),
    );
}

/// How often `partitions.csv` samples: every interval when the horizon's
/// rows fit in half of [`MAX_PARTITION_ROWS`] (the drain gets the other
/// half), else every k-th interval (a power of two); 0 when even four
/// samples would not fit.
pub(super) fn partition_every(
    partitions: u32,
    groups: u64,
    horizon: SimDuration,
    interval: SimDuration,
) -> u64 {
    if partitions <= 1 || interval == SimDuration::ZERO {
        return 1;
    }
    let per_sample = u64::from(partitions) * groups;
    let half = MAX_PARTITION_ROWS / 2;
    if per_sample.saturating_mul(2) > half {
        return 0;
    }
    let samples = horizon.as_nanos() / interval.as_nanos() + 1;
    samples
        .saturating_mul(per_sample)
        .div_ceil(half)
        .max(1)
        .next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_sampled_less_often_when_many() {
        let (h, i) = (SimDuration::from_secs(60), SimDuration::from_millis(120));
        assert_eq!(partition_every(1, 1, h, i), 1);
        assert_eq!(partition_every(12, 3, h, i), 1);
        // 501 samples × 65535 partitions: every 128th interval, 4 samples.
        assert_eq!(partition_every(65_535, 1, h, i), 128);
        assert_eq!(partition_every(100_000, 3, h, i), 0);
    }
}
