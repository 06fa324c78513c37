//! Which queueing formula applies to a scenario, and the values it gives,
//! to print beside the simulated ones.
//!
//! A formula applies only when the scenario is exactly its model: queued
//! (not sync) mode, one Poisson producer publishing over the whole horizon without faults or
//! retries, no publish latency, no TTL, no ack timeout, and then per group
//! (without failures, outages or crashes):
//! - M/M/c (Erlang C): exponential service, unbounded topic, λ < cμ;
//! - M/G/1 (Pollaczek–Khinchine): one worker, any service distribution
//!   (its variance is known), unbounded topic, ρ < 1;
//! - M/M/1/K: one worker, exponential service, `reject` with a capacity
//!   in messages (K = capacity + 1, the one in service), one group.
//!
//! With an unbounded topic the groups do not interact, so each group of a
//! fan-out is its own queue.

use crate::engine::SimTime;
use crate::model::arrival::ArrivalProcess;
use crate::model::distribution::Distribution;
use crate::model::group::GroupSpec;
use crate::model::topic::Policy;
use crate::scenario::Scenario;
use crate::stats::theory::{erlang_c, mg1_wait, mm1k_blocking, mm1k_mean_in_system, mmc_wait};

/// One analytic value and the metric it predicts.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalyticRow {
    /// The model, e.g. `M/M/4 (Erlang C)`.
    pub model: String,
    /// What is predicted, with its unit, e.g. `mean wait in queue Wq (s)`.
    pub quantity: &'static str,
    /// The predicted value, in the metric's unit.
    pub theory: f64,
    /// The metric holding the simulated value.
    pub metric: String,
}

/// The analytic rows for `scenario` (empty when no formula applies).
///
/// ```
/// use mqsim::experiment::analytic_rows;
/// use mqsim::scenario::{Format, Scenario};
/// let text = r#"
///     horizon = "1000s"
///     [producers.p]
///     arrival = { poisson = { rate_per_s = 0.8 } }
///     [groups.g]
///     workers = 1
///     service = { exponential = { mean = "1s" } }
/// "#;
/// let s = Scenario::from_text(text, Format::Toml, "mm1.toml".as_ref(), &[]).unwrap();
/// let rows = analytic_rows(&s);
/// let wq = rows.iter().find(|r| r.metric == "groups.g.queue_wait.mean_s").unwrap();
/// assert!((wq.theory - 4.0).abs() < 1e-12);
/// ```
pub fn analytic_rows(scenario: &Scenario) -> Vec<AnalyticRow> {
    // Sync mode has caller timeouts and retries: not these models.
    // A network (publish links, several topics) is not one queue either.
    // Nor is a file with services called directly.
    let one_queue = scenario.system.call().is_none()
        && !scenario.system.tracks_paths()
        && scenario.system.services.is_empty();
    let Some(lambda) = poisson_rate(scenario).filter(|_| one_queue) else {
        return Vec::new();
    };
    let topic = &scenario.system.topic();
    let faults = scenario.system.groups.iter().any(|g| !g.faults.is_none());
    // Partitioned (in-order) groups are not one shared queue.
    let partitioned = topic.partitions > 1 && scenario.system.groups.iter().any(|g| g.partitioned);
    if partitioned
        || topic.publish_latency.is_some()
        || topic.handoff_latency.is_some()
        || topic.ttl.is_some()
        || topic.delivery.ack_timeout.is_some()
        || faults
    {
        return Vec::new();
    }
    let unbounded = topic.capacity == u64::MAX && topic.capacity_bytes == u64::MAX;
    if unbounded {
        return scenario
            .system
            .groups
            .iter()
            .flat_map(|g| unbounded_rows(lambda, g))
            .collect();
    }
    match (&topic.policy, scenario.system.groups.as_slice()) {
        (Policy::Reject(_), [g]) if topic.capacity_bytes == u64::MAX => {
            mm1k_rows(lambda, topic.capacity, g)
        }
        _ => Vec::new(),
    }
}

/// λ when the only producer is Poisson over the whole horizon.
fn poisson_rate(scenario: &Scenario) -> Option<f64> {
    match scenario.system.producers.as_slice() {
        [p] if p.call.is_none()
            && p.start == SimTime::ZERO
            && p.stop >= SimTime::ZERO + scenario.system.horizon
            && p.faults.ack_loss == 0.0
            && p.faults.retry_attempts == 0
            && p.faults.crashes.is_empty() =>
        {
            match p.arrival {
                ArrivalProcess::Poisson(rate) if rate > 0.0 => Some(rate),
                _ => None,
            }
        }
        _ => None,
    }
}

fn row(
    model: &str,
    quantity: &'static str,
    theory: f64,
    group: &GroupSpec,
    field: &str,
) -> AnalyticRow {
    AnalyticRow {
        model: model.to_owned(),
        quantity,
        theory,
        metric: format!("groups.{}.{field}", group.name),
    }
}

fn unbounded_rows(lambda: f64, g: &GroupSpec) -> Vec<AnalyticRow> {
    let (s, c) = (g.service.mean(), g.workers);
    let rho = lambda * s / f64::from(c);
    if s <= 0.0 || rho >= 1.0 {
        return Vec::new();
    }
    let (wq, extra) = match g.service {
        Distribution::Exponential(_) => (mmc_wait(c, lambda, 1.0 / s), mmc_percentiles(lambda, g)),
        _ if c == 1 => (mg1_wait(lambda, s, g.service.variance()), Vec::new()),
        _ => return Vec::new(),
    };
    let model = match g.service {
        Distribution::Exponential(_) if c == 1 => "M/M/1".to_owned(),
        Distribution::Exponential(_) => format!("M/M/{c} (Erlang C)"),
        _ => "M/G/1 (Pollaczek–Khinchine)".to_owned(),
    };
    let mut rows = vec![
        row(&model, "utilisation ρ", rho, g, "utilisation"),
        row(
            &model,
            "mean wait in queue Wq (s)",
            wq,
            g,
            "queue_wait.mean_s",
        ),
        row(&model, "mean time in system W (s)", wq + s, g, "e2e.mean_s"),
        row(&model, "mean queue length Lq", lambda * wq, g, "mean_depth"),
        row(
            &model,
            "mean number in system L",
            lambda * (wq + s),
            g,
            "littles_law.l",
        ),
    ];
    rows.extend(extra.into_iter().map(|mut r| {
        r.model = model.clone();
        r
    }));
    rows
}

/// M/M/c wait percentiles (P(Wq > t) = C·e^{−(cμ−λ)t}) and, for c = 1,
/// sojourn percentiles (W is exponential with rate μ − λ).
fn mmc_percentiles(lambda: f64, g: &GroupSpec) -> Vec<AnalyticRow> {
    let (mu, c) = (1.0 / g.service.mean(), g.workers);
    let decay = f64::from(c) * mu - lambda;
    let wait_prob = erlang_c(c, lambda / mu);
    let wait_q = |p: f64| (wait_prob / (1.0 - p)).ln().max(0.0) / decay;
    let mut rows = vec![
        row(
            "",
            "wait in queue p90 (s)",
            wait_q(0.9),
            g,
            "queue_wait.p90_s",
        ),
        row(
            "",
            "wait in queue p99 (s)",
            wait_q(0.99),
            g,
            "queue_wait.p99_s",
        ),
    ];
    if c == 1 {
        let sojourn = |p: f64| -(1.0 - p).ln() / decay;
        rows.push(row(
            "",
            "time in system p50 (s)",
            sojourn(0.5),
            g,
            "e2e.p50_s",
        ));
        rows.push(row(
            "",
            "time in system p99 (s)",
            sojourn(0.99),
            g,
            "e2e.p99_s",
        ));
    }
    rows
}

fn mm1k_rows(lambda: f64, capacity: u64, g: &GroupSpec) -> Vec<AnalyticRow> {
    let Ok(k) = u32::try_from(capacity.saturating_add(1)) else {
        return Vec::new();
    };
    if g.workers != 1 || !matches!(g.service, Distribution::Exponential(_)) {
        return Vec::new();
    }
    let rho = lambda * g.service.mean();
    let blocking = mm1k_blocking(k, rho);
    let model = format!("M/M/1/{k}");
    vec![
        row(
            &model,
            "utilisation 1 − P₀",
            rho * (1.0 - blocking),
            g,
            "utilisation",
        ),
        row(
            &model,
            "mean number in system L",
            mm1k_mean_in_system(k, rho),
            g,
            "littles_law.l",
        ),
        row(
            &model,
            "throughput λ(1 − P_K) (msg/s)",
            lambda * (1.0 - blocking),
            g,
            "throughput_per_s",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Format;

    fn rows(extra: &str, service: &str, workers: u32) -> Vec<AnalyticRow> {
        let text = format!(
            "horizon = \"100s\"\n{extra}\n[producers.p]\narrival = {{ poisson = {{ rate_per_s = 3.2 }} }}\n\
             [groups.g]\nworkers = {workers}\nservice = {service}\n"
        );
        let s = Scenario::from_text(&text, Format::Toml, "t.toml".as_ref(), &[]).unwrap();
        analytic_rows(&s)
    }

    const EXP: &str = "{ exponential = { mean = \"1s\" } }";

    #[test]
    fn picks_the_model_that_matches() {
        let mm4 = rows("", EXP, 4);
        assert_eq!(mm4[0].model, "M/M/4 (Erlang C)");
        let wq = mm4
            .iter()
            .find(|r| r.metric == "groups.g.queue_wait.mean_s")
            .unwrap();
        assert!((wq.theory - 0.7455).abs() < 1e-3, "{}", wq.theory);
        let md1 = rows("", "{ constant = { value = \"250ms\" } }", 1);
        assert_eq!(md1[0].model, "M/G/1 (Pollaczek–Khinchine)");
        let mm1k = rows(
            "[topic]\ncapacity = 4\npolicy = \"reject\"",
            "{ exponential = { mean = \"250ms\" } }",
            1,
        );
        assert_eq!(mm1k[0].model, "M/M/1/5");
    }

    /// Every row names a metric a run reports.
    #[test]
    fn every_row_names_a_metric() {
        let all = [
            rows("", EXP, 4),
            rows("", "{ constant = { value = \"250ms\" } }", 1),
            rows(
                "[topic]\ncapacity = 4\npolicy = \"reject\"",
                "{ exponential = { mean = \"250ms\" } }",
                1,
            ),
        ];
        for r in all.iter().flatten() {
            assert!(
                crate::model::sim::fields::is_metric(&r.metric),
                "{}",
                r.metric
            );
        }
    }

    #[test]
    fn nothing_applies_outside_the_models() {
        assert!(rows("", EXP, 3).is_empty(), "unstable: λ = 3.2 > 3μ");
        assert!(
            rows("", "{ constant = { value = \"1s\" } }", 4).is_empty(),
            "M/D/4"
        );
        assert!(rows("[topic]\ncapacity = 4\npolicy = \"drop_oldest\"", EXP, 4).is_empty());
        assert!(rows("[topic]\nttl = \"1s\"", EXP, 4).is_empty());
        let flaky = rows(
            "",
            "{ exponential = { mean = \"1s\" } }\nfailure_probability = 0.1",
            4,
        );
        assert!(flaky.is_empty(), "failures change the service process");
        assert!(
            rows("mode = \"sync\"", EXP, 4).is_empty(),
            "callers time out and retry"
        );
    }
}
