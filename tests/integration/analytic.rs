//! Validation against queueing theory (release mode: `cargo test --release`).
//!
//! Each check runs independent replications and asserts that the analytic
//! value lies inside the replications' two-sided 99.9% Student-t confidence
//! interval: for a correct simulator a single check fails with probability
//! about 0.1% (the seeds are fixed, so the outcome is reproducible). Each
//! check also requires the interval to be narrow (relative half-width below
//! `precision`), so a check cannot pass merely by being vague. Quantiles
//! come from a histogram with 0.1% relative resolution, which is added to
//! their tolerance. Warm-up deletion removes the empty-start bias.

#![cfg_attr(debug_assertions, allow(unused))]

use crate::common;
use common::scenario;
use mqsim::experiment::Experiment;
use mqsim::model::sim::RunOutcome;
use mqsim::stats::ConfidenceInterval;
use mqsim::stats::theory::{
    cobham_waits, erlang_a_abandonment, erlang_b, mg1_wait, mm1k_blocking, mm1k_mean_in_system,
    mmc_sojourn, mmc_wait, mmck,
};

const LEVEL: f64 = 0.999;
/// Relative resolution of histogram quantiles (3 significant digits).
const HISTOGRAM_RESOLUTION: f64 = 1e-3;

fn outcomes(text: &str) -> Vec<RunOutcome> {
    Experiment::run(&scenario(text))
        .unwrap_or_else(|e| panic!("{e}"))
        .outcomes
}

/// Asserts `theory` is inside the interval of `per_run(outcome)`, widened by
/// `resolution · theory`, and that the interval is narrower than `precision`.
fn check(
    label: &str,
    outs: &[RunOutcome],
    per_run: impl Fn(&RunOutcome) -> f64,
    theory: f64,
    resolution: f64,
    precision: f64,
) {
    let values: Vec<f64> = outs.iter().map(per_run).collect();
    let ci = ConfidenceInterval::of(&values, LEVEL);
    let tolerance = ci.half_width + resolution * theory.abs();
    eprintln!(
        "{label:<40} sim {:.5} ± {:.5}   theory {theory:.5}",
        ci.mean, ci.half_width
    );
    assert!(
        (ci.mean - theory).abs() <= tolerance,
        "{label}: theory {theory} outside {:.6} ± {:.6}",
        ci.mean,
        tolerance
    );
    assert!(
        ci.half_width <= precision * theory.abs(),
        "{label}: interval ±{} too wide to test anything",
        ci.half_width
    );
}

/// Little's law on every case: L measured over time, and λW measured over
/// messages, each against the theoretical L.
fn check_little(label: &str, outs: &[RunOutcome], l_theory: f64, precision: f64) {
    check(
        &format!("{label} L (time average)"),
        outs,
        |o| o.groups[0].littles_law.l,
        l_theory,
        0.0,
        precision,
    );
    let lw = |o: &RunOutcome| o.groups[0].littles_law.lambda_per_s * o.groups[0].littles_law.w_s;
    check(&format!("{label} λW"), outs, lw, l_theory, 0.0, precision);
}

fn single_server(lambda: f64, service: &str, horizon_s: u32, workers: u32, topic: &str) -> String {
    format!(
        r#"
        seed = 2024
        horizon = "{horizon_s}s"
        warmup = "{}s"
        replications = 20
        sample_interval = "1000s"
        {topic}
        [producers.p]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        [groups.g]
        workers = {workers}
        service = {service}
        "#,
        horizon_s / 10
    )
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn mm1_matches_theory() {
    let (lambda, mu) = (0.8, 1.0);
    let outs = outcomes(&single_server(
        lambda,
        r#"{ exponential = { mean = "1s" } }"#,
        400_000,
        1,
        "",
    ));
    let g = |o: &RunOutcome| o.groups[0].clone();
    check(
        "M/M/1 W",
        &outs,
        |o| g(o).end_to_end.mean_s,
        mmc_sojourn(1, lambda, mu),
        0.0,
        0.05,
    );
    check(
        "M/M/1 Wq",
        &outs,
        |o| g(o).queue_wait.mean_s,
        mmc_wait(1, lambda, mu),
        0.0,
        0.05,
    );
    check(
        "M/M/1 utilisation",
        &outs,
        |o| g(o).utilisation,
        0.8,
        0.0,
        0.01,
    );
    // Sojourn is exponential with rate μ − λ: p50 = ln 2 / 0.2, p90 = ln 10 / 0.2.
    let res = HISTOGRAM_RESOLUTION;
    check(
        "M/M/1 W p50",
        &outs,
        |o| g(o).end_to_end.p50_s,
        2f64.ln() / 0.2,
        res,
        0.05,
    );
    check(
        "M/M/1 W p90",
        &outs,
        |o| g(o).end_to_end.p90_s,
        10f64.ln() / 0.2,
        res,
        0.05,
    );
    check_little("M/M/1", &outs, lambda * mmc_sojourn(1, lambda, mu), 0.05);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn mmc_matches_erlang_c() {
    let (lambda, mu, c) = (3.2, 1.0, 4);
    let outs = outcomes(&single_server(
        lambda,
        r#"{ exponential = { mean = "1s" } }"#,
        200_000,
        c,
        "",
    ));
    let wq = mmc_wait(c, lambda, mu);
    check(
        "M/M/4 Wq (Erlang C)",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        wq,
        0.0,
        0.05,
    );
    check(
        "M/M/4 W",
        &outs,
        |o| o.groups[0].end_to_end.mean_s,
        mmc_sojourn(c, lambda, mu),
        0.0,
        0.02,
    );
    check(
        "M/M/4 utilisation",
        &outs,
        |o| o.groups[0].utilisation,
        0.8,
        0.0,
        0.01,
    );
    // P(Wq > t) = C e^{−(cμ−λ)t}: the 90th percentile of the wait.
    let c_wait = mqsim::stats::theory::erlang_c(c, lambda / mu);
    let p90 = (c_wait / 0.1).ln() / (f64::from(c) * mu - lambda);
    check(
        "M/M/4 Wq p90",
        &outs,
        |o| o.groups[0].queue_wait.p90_s,
        p90,
        HISTOGRAM_RESOLUTION,
        0.05,
    );
    check_little("M/M/4", &outs, lambda * mmc_sojourn(c, lambda, mu), 0.02);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn mm1k_with_reject_matches_the_blocking_probability() {
    // capacity counts ready messages; K adds the one in service.
    let (lambda, mu, capacity) = (1.0, 1.25, 4);
    let k = capacity + 1;
    let rho = lambda / mu;
    let topic = format!("[topic]\ncapacity = {capacity}\npolicy = \"reject\"");
    let outs = outcomes(&single_server(
        lambda,
        r#"{ exponential = { mean = "800ms" } }"#,
        200_000,
        1,
        &topic,
    ));
    let blocked = |o: &RunOutcome| o.topic.rejected as f64 / o.topic.published as f64;
    check(
        "M/M/1/5 blocking probability",
        &outs,
        blocked,
        mm1k_blocking(k, rho),
        0.0,
        0.05,
    );
    let l = mm1k_mean_in_system(k, rho);
    check_little("M/M/1/5", &outs, l, 0.02);
    // Throughput is λ(1 − P_K).
    let throughput = lambda * (1.0 - mm1k_blocking(k, rho));
    check(
        "M/M/1/5 throughput",
        &outs,
        |o| o.groups[0].throughput_per_s,
        throughput,
        0.0,
        0.01,
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn md1_matches_pollaczek_khinchine() {
    let lambda = 0.8;
    let outs = outcomes(&single_server(
        lambda,
        r#"{ constant = { value = "1s" } }"#,
        400_000,
        1,
        "",
    ));
    let wq = mg1_wait(lambda, 1.0, 0.0);
    check(
        "M/D/1 Wq",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        wq,
        0.0,
        0.05,
    );
    check(
        "M/D/1 W",
        &outs,
        |o| o.groups[0].end_to_end.mean_s,
        wq + 1.0,
        0.0,
        0.05,
    );
    check_little("M/D/1", &outs, lambda * (wq + 1.0), 0.05);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn mg1_matches_pollaczek_khinchine_above_and_below_cv_one() {
    // Hyperexponential: mean 1 s, E[S²] = 0.9·2·0.25 + 0.1·2·30.25 = 6.5.
    let lambda = 0.5;
    let h2 = r#"{ hyperexponential = { phases = [ { probability = 0.9, mean = "500ms" },
                                                   { probability = 0.1, mean = "5500ms" } ] } }"#;
    let outs = outcomes(&single_server(lambda, h2, 800_000, 1, ""));
    let wq = mg1_wait(lambda, 1.0, 6.5 - 1.0);
    check(
        "M/H2/1 Wq (cv² = 5.5)",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        wq,
        0.0,
        0.05,
    );
    check_little("M/H2/1", &outs, lambda * (wq + 1.0), 0.05);

    // Uniform on [0, 2 s]: mean 1, variance 1/3.
    let lambda = 0.7;
    let outs = outcomes(&single_server(
        lambda,
        r#"{ uniform = { low = "0s", high = "2s" } }"#,
        400_000,
        1,
        "",
    ));
    let wq = mg1_wait(lambda, 1.0, 1.0 / 3.0);
    check(
        "M/U/1 Wq (cv² = 1/3)",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        wq,
        0.0,
        0.05,
    );
    check_little("M/U/1", &outs, lambda * (wq + 1.0), 0.05);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn transient_failures_match_the_geometric_closed_forms() {
    // Each delivery fails independently with probability p; after m
    // deliveries a message is dead-lettered. DLQ share = pᵐ; mean deliveries
    // per message = (1 − pᵐ)/(1 − p); utilisation = λ E[S] (1 − pᵐ)/(1 − p).
    let (lambda, p, m) = (0.4, 0.3f64, 3);
    let text = format!(
        r#"
        seed = 77
        horizon = "200000s"
        warmup = "1000s"
        replications = 20
        sample_interval = "1000s"
        [topic]
        max_deliveries = {m}
        [producers.p]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        [groups.g]
        workers = 1
        service = {{ exponential = {{ mean = "1s" }} }}
        failure_probability = {p}
        "#
    );
    let outs = outcomes(&text);
    let settled = |o: &RunOutcome| (o.groups[0].processed + o.groups[0].dead_lettered) as f64;
    let dlq_share = |o: &RunOutcome| o.groups[0].dead_lettered as f64 / settled(o);
    let deliveries = |o: &RunOutcome| o.groups[0].deliveries as f64 / settled(o);
    let factor = (1.0 - p.powi(m)) / (1.0 - p);
    check("DLQ share p^m", &outs, dlq_share, p.powi(m), 0.0, 0.05);
    check(
        "deliveries per message",
        &outs,
        deliveries,
        factor,
        0.0,
        0.01,
    );
    check(
        "utilisation λE[S](1−p^m)/(1−p)",
        &outs,
        |o| o.groups[0].utilisation,
        lambda * factor,
        0.0,
        0.01,
    );
}

/// A Jackson network's stations, each fed Poisson traffic at the rate
/// its traffic equations give, as independent M/M/c queues (product
/// form): `(arrival rate, workers, service rate)`.
fn jackson_l(stations: &[(f64, u32, f64)]) -> Vec<f64> {
    stations
        .iter()
        .map(|&(lambda, c, mu)| lambda * mmc_sojourn(c, lambda, mu))
        .collect()
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn jackson_tandem_sojourn_is_the_sum_of_its_stations() {
    // orders → billing (M/M/1, μ 1) → receipts → mailer (M/M/2, μ 0.5 each).
    let lambda = 0.6;
    let outs = outcomes(&format!(
        r#"
        seed = 12
        horizon = "200000s"
        warmup = "20000s"
        replications = 20
        sample_interval = "1000s"
        [topics.orders]
        [topics.receipts]
        [producers.web]
        topic = "orders"
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        [groups.billing]
        topic = "orders"
        workers = 1
        service = {{ exponential = {{ mean = "1s" }} }}
        publish = [{{ topic = "receipts" }}]
        [groups.mailer]
        topic = "receipts"
        workers = 2
        service = {{ exponential = {{ mean = "2s" }} }}
        "#
    ));
    let (w1, w2) = (mmc_sojourn(1, lambda, 1.0), mmc_sojourn(2, lambda, 0.5));
    let path = |o: &RunOutcome, name: &str| {
        let p = o.paths.iter().find(|p| p.name == name);
        p.unwrap_or_else(|| panic!("no path {name}")).clone()
    };
    check(
        "tandem: root to billing",
        &outs,
        |o| path(o, "orders-billing").e2e.mean_s,
        w1,
        0.0,
        0.03,
    );
    check(
        "tandem: root to the end (Σ 1/(μᵢ−λ))",
        &outs,
        |o| path(o, "all").e2e.mean_s,
        w1 + w2,
        0.0,
        0.03,
    );
    check(
        "tandem: mailer queue wait (Erlang C)",
        &outs,
        |o| o.groups[1].queue_wait.mean_s,
        mmc_wait(2, lambda, 0.5),
        0.0,
        0.05,
    );
    let l = jackson_l(&[(lambda, 1, 1.0), (lambda, 2, 0.5)]);
    for (g, l) in l.iter().enumerate() {
        check(
            &format!("tandem: L at station {g}"),
            &outs,
            |o| o.groups[g].littles_law.l,
            *l,
            0.0,
            0.03,
        );
    }
    for o in &outs {
        // Every processing at billing published one child, accepted.
        let link = &o.links[0];
        assert_eq!(link.sent, o.groups[0].processed);
        assert_eq!((link.accepted, link.refused), (link.sent, 0));
        assert_eq!(o.topics[1].published, link.sent);
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn jackson_network_with_feedback_matches_its_traffic_equations() {
    // λ₀ 0.3 → in → first (μ 1) → loop → second (μ 1.25) → back to `in`
    // with probability 0.4, else out. Traffic equations: λ₁ = λ₀ + 0.4 λ₂,
    // λ₂ = λ₁, so λ₁ = λ₂ = 0.3 / 0.6 = 0.5: ρ₁ 0.5, ρ₂ 0.4.
    let (lambda0, p) = (0.3, 0.4);
    let outs = outcomes(&format!(
        r#"
        seed = 7
        horizon = "200000s"
        warmup = "20000s"
        replications = 20
        sample_interval = "1000s"
        [topics.in]
        [topics.loop]
        [producers.arrivals]
        topic = "in"
        arrival = {{ poisson = {{ rate_per_s = {lambda0} }} }}
        [groups.first]
        topic = "in"
        workers = 1
        service = {{ exponential = {{ mean = "1s" }} }}
        publish = [{{ topic = "loop" }}]
        [groups.second]
        topic = "loop"
        workers = 1
        service = {{ exponential = {{ mean = "0.8s" }} }}
        publish = [{{ topic = "in", probability = {p} }}]
        "#
    ));
    let lambda = lambda0 / (1.0 - p);
    let l = jackson_l(&[(lambda, 1, 1.0), (lambda, 1, 1.25)]);
    for (g, (l, rho)) in l.iter().zip([0.5, 0.4]).enumerate() {
        check(
            &format!("feedback: L at station {g}"),
            &outs,
            |o| o.groups[g].littles_law.l,
            *l,
            0.0,
            0.03,
        );
        check(
            &format!("feedback: utilisation at station {g}"),
            &outs,
            |o| o.groups[g].utilisation,
            rho,
            0.0,
            0.02,
        );
    }
    // Little's law over the whole network: time from the root to its
    // exit is the mean number in the network over λ₀.
    check(
        "feedback: root to exit (ΣL / λ₀)",
        &outs,
        |o| o.paths.iter().find(|p| p.name == "all").unwrap().e2e.mean_s,
        (l[0] + l[1]) / lambda0,
        0.0,
        0.03,
    );
}

/// `front` (many workers, exponential `front_s`) calls `b`, which calls
/// `c`; `b` and `c` have `workers` each, exponential means `b_s` and `c_s`
/// and failure probabilities `pb` and `pc`.
fn call_chain(lambda: f64, front_s: f64, b: (u32, f64, f64), c: (u32, f64, f64)) -> String {
    format!(
        r#"
        seed = 31
        horizon = "40000s"
        warmup = "4000s"
        replications = 20
        sample_interval = "1000s"
        [topic]
        max_deliveries = 1
        dlq = true
        [producers.web]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        [groups.front]
        workers = 200
        service = {{ exponential = {{ mean = "{front_s}s" }} }}
        call = [{{ service = "b", timeout = "1h" }}]
        [groups.b]
        workers = {}
        service = {{ exponential = {{ mean = "{}s" }} }}
        failure_probability = {}
        call = [{{ service = "c", timeout = "1h" }}]
        [groups.c]
        workers = {}
        service = {{ exponential = {{ mean = "{}s" }} }}
        failure_probability = {}
        "#,
        b.0, b.1, b.2, c.0, c.1, c.2
    )
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_call_chain_at_low_load_takes_the_sum_of_its_services_and_fails_as_one_minus_the_product() {
    // Workers enough that nothing waits: a processing's time is the sum
    // of the chain's service times, and with independent failures a
    // request fails with probability 1 − (1 − p_b)(1 − p_c).
    let (pb, pc) = (0.1, 0.2);
    let outs = outcomes(&call_chain(1.0, 0.05, (200, 0.1, pb), (200, 0.2, pc)));
    let call =
        |o: &RunOutcome, name: &str| o.calls.iter().find(|c| c.name == name).unwrap().clone();
    check(
        "chain: front's time, root to answer (Σ Sᵢ)",
        &outs,
        |o| o.paths.iter().find(|p| p.name == "all").unwrap().e2e.mean_s,
        0.05 + 0.1 + 0.2,
        0.0,
        0.03,
    );
    check(
        "chain: b's processed attempts (S_b + S_c)",
        &outs,
        |o| o.services[0].end_to_end.mean_s,
        0.1 + 0.2,
        0.0,
        0.03,
    );
    check(
        "chain: error rate 1 − ∏(1 − pᵢ)",
        &outs,
        |o| {
            let c = call(o, "front.b");
            c.errors as f64 / c.requests as f64
        },
        1.0 - (1.0 - pb) * (1.0 - pc),
        0.0,
        0.03,
    );
    for o in &outs {
        // Each failed request dead-lettered the message that made it.
        let front = &o.groups[0];
        assert_eq!(front.failures.failed, call(o, "front.b").errors);
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_called_single_server_answers_in_the_m_m_1_sojourn() {
    // b has one worker (μ 1) and a FIFO queue of calls: each call's
    // latency is an M/M/1 sojourn 1/(μ − λ), its queue wait ρ/(μ − λ).
    let lambda = 0.6;
    let outs = outcomes(&call_chain(
        lambda,
        0.001,
        (1, 1.0, 0.0),
        (50, 0.000_001, 0.0),
    ));
    check(
        "called M/M/1: call latency 1/(μ − λ)",
        &outs,
        |o| o.calls[0].latency.mean_s,
        mmc_sojourn(1, lambda, 1.0),
        0.0,
        0.05,
    );
    check(
        "called M/M/1: queue wait ρ/(μ − λ)",
        &outs,
        |o| o.services[0].queue_wait.mean_s,
        mmc_wait(1, lambda, 1.0),
        0.0,
        0.06,
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_producer_calling_an_m_m_c_service_waits_its_erlang_c_sojourn() {
    // Each message of the producer is a request to `s` (3 workers, μ 1,
    // FIFO): the caller's latency is an M/M/3 sojourn, and the service's
    // queue wait the Erlang C wait.
    let lambda = 2.4;
    let outs = outcomes(&format!(
        r#"
        seed = 47
        horizon = "20000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [producers.web]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        call = {{ service = "s", timeout = "10h" }}
        [groups.s]
        workers = 3
        service = {{ exponential = {{ mean = "1s" }} }}
        "#
    ));
    check(
        "producer calls M/M/3: caller latency W",
        &outs,
        |o| o.calls[0].latency.mean_s,
        mmc_sojourn(3, lambda, 1.0),
        0.0,
        0.05,
    );
    check(
        "producer calls M/M/3: queue wait Wq",
        &outs,
        |o| o.services[0].queue_wait.mean_s,
        mmc_wait(3, lambda, 1.0),
        0.0,
        0.08,
    );
    for o in &outs {
        assert_eq!(o.calls[0].name, "web.s");
        assert_eq!(o.calls[0].errors, 0);
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_called_service_publishing_to_a_topic_forms_a_tandem_jackson_network() {
    // The producer calls `front` (M/M/1, μ 2), which publishes each
    // processed request to a topic read by `back` (M/M/1, μ 1.5). By
    // Burke's theorem front's departures are Poisson, so the path from
    // the request to back's processing takes 1/(μ₁ − λ) + 1/(μ₂ − λ).
    let lambda = 1.0;
    let outs = outcomes(&format!(
        r#"
        seed = 53
        horizon = "40000s"
        warmup = "4000s"
        replications = 20
        sample_interval = "1000s"
        [topics.events]
        [producers.web]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        call = {{ service = "front", timeout = "10h" }}
        [groups.front]
        workers = 1
        service = {{ exponential = {{ mean = "0.5s" }} }}
        publish = [{{ topic = "events" }}]
        [groups.back]
        topic = "events"
        workers = 1
        service = {{ exponential = {{ mean = "{}s" }} }}
        "#,
        1.0 / 1.5
    ));
    let path =
        |o: &RunOutcome, name: &str| o.paths.iter().find(|p| p.name == name).unwrap().e2e.mean_s;
    check(
        "called front: request to its processing 1/(μ₁ − λ)",
        &outs,
        |o| path(o, "front"),
        1.0 / (2.0 - lambda),
        0.0,
        0.05,
    );
    check(
        "tandem via a publish: request to back 1/(μ₁ − λ) + 1/(μ₂ − λ)",
        &outs,
        |o| path(o, "front-events-back"),
        1.0 / (2.0 - lambda) + 1.0 / (1.5 - lambda),
        0.0,
        0.05,
    );
    let hop = |o: &RunOutcome, name: &str, wait: bool| {
        let p = o.paths.iter().find(|p| p.name == name).unwrap();
        let summary = if wait { &p.queue_wait } else { &p.processing };
        summary.as_ref().unwrap().mean_s
    };
    check(
        "tandem, back's hop: wait ρ₂/(μ₂ − λ)",
        &outs,
        |o| hop(o, "front-events-back", true),
        (lambda / 1.5) / (1.5 - lambda),
        0.0,
        0.08,
    );
    check(
        "tandem, back's hop: processing 1/μ₂",
        &outs,
        |o| hop(o, "front-events-back", false),
        1.0 / 1.5,
        0.0,
        0.02,
    );
    for o in &outs {
        // Every processed request published one event, which back read.
        let link = o.links.iter().find(|l| l.name == "front.events").unwrap();
        assert_eq!(link.sent, o.services[0].processed);
        assert_eq!(link.refused, 0);
        assert_eq!(o.calls[0].errors, 0);
    }
}

/// A producer at `lambda` calling `s`: `c` workers with exponential
/// service (μ 1) and an accept queue of `queue_extra` settings.
fn called_loss_system(lambda: f64, c: u32, queue_extra: &str) -> String {
    format!(
        r#"
        seed = 61
        horizon = "20000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [producers.web]
        arrival = {{ poisson = {{ rate_per_s = {lambda} }} }}
        call = {{ service = "s", timeout = "10h" }}
        [groups.s]
        workers = {c}
        service = {{ exponential = {{ mean = "1s" }} }}
        accept_queue = {queue_extra}
        "#
    )
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_called_service_with_no_accept_queue_loses_its_erlang_b_share() {
    // capacity 0: a request that finds the 5 workers busy is refused at
    // once (a saturated pool's 503): M/M/5/5, Erlang B.
    let outs = outcomes(&called_loss_system(4.0, 5, "{ capacity = 0 }"));
    check(
        "M/M/5/5 (accept queue 0): refused share, Erlang B",
        &outs,
        |o| o.calls[0].refused as f64 / o.calls[0].requests as f64,
        erlang_b(5, 4.0),
        0.0,
        0.03,
    );
    for o in &outs {
        assert_eq!(o.services[0].max_depth, 0, "nothing ever waits");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn fifo_and_lifo_accept_queues_have_the_m_m_c_k_mean_and_lifo_the_longer_tail() {
    // 2 workers and 4 places to wait (K = 6), λ 2, μ 1: both disciplines
    // refuse P_K and keep the mean sojourn L / (λ (1 − P_K)); the newest-
    // first queue spreads the waits (a larger p99).
    let (blocked, mean) = mmck(2, 6, 2.0, 1.0);
    let sojourn = mean / (2.0 * (1.0 - blocked));
    let mut p99 = Vec::new();
    for discipline in ["fifo", "lifo"] {
        let extra = format!("{{ capacity = 4, discipline = \"{discipline}\" }}");
        let outs = outcomes(&called_loss_system(2.0, 2, &extra));
        check(
            &format!("M/M/2/6 {discipline}: refused share P_K"),
            &outs,
            |o| o.calls[0].refused as f64 / o.calls[0].requests as f64,
            blocked,
            0.0,
            0.03,
        );
        check(
            &format!("M/M/2/6 {discipline}: mean sojourn"),
            &outs,
            |o| o.services[0].end_to_end.mean_s,
            sojourn,
            0.0,
            0.03,
        );
        let tails: Vec<f64> = outs
            .iter()
            .map(|o| o.services[0].end_to_end.p99_s)
            .collect();
        p99.push(ConfidenceInterval::of(&tails, LEVEL));
    }
    let (fifo, lifo) = (&p99[0], &p99[1]);
    eprintln!(
        "M/M/2/6 sojourn p99: fifo {:.3} ± {:.3}, lifo {:.3} ± {:.3}",
        fifo.mean, fifo.half_width, lifo.mean, lifo.half_width
    );
    assert!(
        lifo.mean - lifo.half_width > fifo.mean + fifo.half_width,
        "LIFO's p99 {lifo:?} above FIFO's {fifo:?}"
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn callers_with_exponential_patience_abandon_as_erlang_a_says() {
    // M/M/3+M at full load (λ 3, μ 1): each caller's patience is
    // exponential (mean 2 s, θ 0.5), and the service drops a request
    // whose caller gave up before it started (cancellation). The share
    // dropped is Erlang A's abandonment probability.
    let outs = outcomes(
        r#"
        seed = 67
        horizon = "20000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [producers.web]
        arrival = { poisson = { rate_per_s = 3 } }
        call = { service = "s", patience = { exponential = { mean = "2s" } } }
        [groups.s]
        workers = 3
        service = { exponential = { mean = "1s" } }
        accept_queue = { cancel = true }
        "#,
    );
    check(
        "M/M/3+M (θ 0.5): abandoned share, Erlang A",
        &outs,
        |o| o.services[0].dropped.expired as f64 / o.calls[0].requests as f64,
        erlang_a_abandonment(3, 3.0, 1.0, 0.5),
        0.0,
        0.05,
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_priority_queue_matches_cobhams_formula_per_class() {
    // Non-preemptive priority M/M/1 (RabbitMQ's x-max-priority with one
    // consumer): premium at λ 0.3 (priority 2), free at λ 0.4 (no
    // priority), μ 1. Cobham: W0 = 0.7, premium waits 0.7 / 0.7 = 1 s,
    // free 0.7 / (0.7 · 0.3) = 3.33 s; together the FIFO M/M/1's mean
    // (work conservation). Queued, and in sync mode (the called service
    // takes the topic's priorities; callers wait as long as it takes).
    let waits = cobham_waits(&[(0.3, 1.0, 2.0), (0.4, 1.0, 2.0)]);
    for mode in ["queued", "sync"] {
        let outs = outcomes(&format!(
            r#"
            seed = 71
            horizon = "40000s"
            warmup = "2000s"
            replications = 20
            sample_interval = "1000s"
            mode = "{mode}"
            [sync]
            timeout = "100000s"
            [topic]
            max_priority = 2
            [producers.premium]
            arrival = {{ poisson = {{ rate_per_s = 0.3 }} }}
            priority = 2
            [producers.free]
            arrival = {{ poisson = {{ rate_per_s = 0.4 }} }}
            [groups.svc]
            workers = 1
            service = {{ exponential = {{ mean = "1s" }} }}
            "#
        ));
        let class = |o: &RunOutcome, p: usize| o.groups[0].classes[p].queue_wait.mean_s;
        let label = |what: &str| format!("priority M/M/1 ({mode}): {what}");
        check(
            &label("premium Wq (Cobham)"),
            &outs,
            |o| class(o, 2),
            waits[0],
            0.0,
            0.05,
        );
        check(
            &label("free Wq (Cobham)"),
            &outs,
            |o| class(o, 0),
            waits[1],
            0.0,
            0.05,
        );
        check(
            &label("overall Wq (M/M/1)"),
            &outs,
            |o| o.groups[0].queue_wait.mean_s,
            mmc_wait(1, 0.7, 1.0),
            0.0,
            0.05,
        );
        assert!(outs.iter().all(|o| o.groups[0].classes[1].processed == 0));
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_topic_with_no_room_is_erlangs_loss_system() {
    // capacity = 0: a message no idle worker takes at once is refused
    // (M/M/5/5, λ 4, μ 1): the refused share is Erlang B, queued as the
    // direct call with `accept_queue = { capacity = 0 }` is.
    let outs = outcomes(
        r#"
        seed = 73
        horizon = "20000s"
        warmup = "1000s"
        replications = 20
        sample_interval = "1000s"
        [topic]
        capacity = 0
        [producers.web]
        arrival = { poisson = { rate_per_s = 4 } }
        [groups.s]
        workers = 5
        service = { exponential = { mean = "1s" } }
        "#,
    );
    check(
        "queued M/M/5/5: refused share, Erlang B",
        &outs,
        |o| o.topic.rejected as f64 / o.topic.published as f64,
        erlang_b(5, 4.0),
        0.0,
        0.05,
    );
    for o in &outs {
        let wait = &o.groups[0].queue_wait;
        assert_eq!(wait.max_s, 0.0, "nothing ever waits: {wait:?}");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn messages_with_an_exponential_ttl_expire_as_erlang_a_says() {
    // M/M/3+M queued: each message's TTL is drawn exponential (mean 2 s,
    // θ 0.5); one that expires waiting is never served. The share that
    // expires is Erlang A's abandonment probability, as for callers with
    // exponential patience.
    let outs = outcomes(
        r#"
        seed = 79
        horizon = "20000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [topic]
        ttl = { exponential = { mean = "2s" } }
        [producers.web]
        arrival = { poisson = { rate_per_s = 3 } }
        [groups.s]
        workers = 3
        service = { exponential = { mean = "1s" } }
        "#,
    );
    check(
        "queued M/M/3+M (θ 0.5): expired share, Erlang A",
        &outs,
        |o| o.groups[0].dropped.expired as f64 / o.topic.published as f64,
        erlang_a_abandonment(3, 3.0, 1.0, 0.5),
        0.0,
        0.05,
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_delivery_overhead_adds_to_the_service_as_pollaczek_khinchine_says() {
    // M/G/1: exponential service (mean 0.5 s) plus a constant delivery
    // overhead of 0.2 s on the worker, λ 1. S = 0.7 s, E[S²] = 0.25 +
    // 0.49 = 0.74 (variance 0.25): Wq = λE[S²] / (2(1 − ρ)) = 1.2333 s.
    let outs = outcomes(
        r#"
        seed = 83
        horizon = "40000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [producers.web]
        arrival = { poisson = { rate_per_s = 1 } }
        [groups.s]
        workers = 1
        service = { exponential = { mean = "500ms" } }
        delivery_overhead = { constant = { value = "200ms" } }
        "#,
    );
    check(
        "M/G/1 with a delivery overhead: Wq (P-K)",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        mg1_wait(1.0, 0.7, 0.25),
        0.0,
        0.05,
    );
    check(
        "M/G/1 with a delivery overhead: utilisation",
        &outs,
        |o| o.groups[0].utilisation,
        0.7,
        0.0,
        0.01,
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "analytic validation runs with --release")]
fn a_constant_hand_off_adds_itself_to_the_wait_and_to_the_depth() {
    // M/M/1 (λ 0.8, μ 1) behind a constant hand-off of 0.5 s: the buffer
    // sees the Poisson stream shifted by 0.5 s, so Wq = 0.5 + ρ/(μ − λ) =
    // 4.5 s; copies in hand-off count, so Little's law over the system
    // gives L = λ·(Wq + 1/μ) = 0.8·5.5 = 4.4.
    let outs = outcomes(
        r#"
        seed = 89
        horizon = "40000s"
        warmup = "2000s"
        replications = 20
        sample_interval = "1000s"
        [topic]
        handoff_latency = { constant = { value = "500ms" } }
        [producers.web]
        arrival = { poisson = { rate_per_s = 0.8 } }
        [groups.s]
        workers = 1
        service = { exponential = { mean = "1s" } }
        "#,
    );
    check(
        "M/M/1 behind a 0.5 s hand-off: Wq",
        &outs,
        |o| o.groups[0].queue_wait.mean_s,
        4.5,
        0.0,
        0.05,
    );
    check_little("M/M/1 behind a 0.5 s hand-off:", &outs, 4.4, 0.05);
}
