//! Closed-form queueing results used to validate the simulator and to print
//! analytic values beside simulated ones: M/M/1, M/M/c (Erlang C),
//! M/M/c/c (Erlang B), M/M/c+M (Erlang A), M/M/1/K, M/M/c/K and M/G/1
//! (Pollaczek–Khinchine, which covers M/D/1).
//! λ is the arrival rate, μ the service rate of one server (1/mean service).

/// M/M/c: probability an arrival waits (Erlang C), for offered load
/// a = λ/μ < c.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by its stable recurrence, then C = B / (1 − ρ(1 − B)).
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// M/M/c/c (Erlang B): probability an arrival finds every one of the c
/// servers busy and is lost, for offered load a = λ/μ (any a).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// M/M/c/K (K in system, the c in service included): the probability an
/// arrival finds it full, and the mean number in system L.
pub fn mmck(c: u32, k: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let a = lambda / mu;
    // Unnormalised p_n: a^n / n! up to c, then times (a/c) per place.
    let mut p = Vec::with_capacity(k as usize + 1);
    let mut term = 1.0;
    for n in 0..=k {
        if n > 0 {
            term *= a / f64::from(n.min(c));
        }
        p.push(term);
    }
    let total: f64 = p.iter().sum();
    let mean: f64 = p.iter().enumerate().map(|(n, x)| n as f64 * x).sum::<f64>() / total;
    (p[k as usize] / total, mean)
}

/// M/M/c+M (Erlang A): c servers at rate μ, Poisson arrivals at λ, and
/// each waiting customer abandons at rate θ (exponential patience, while
/// waiting only): the probability an arrival abandons, θ·E[queue] / λ, by
/// the birth-death chain's stationary law (summed until its terms vanish).
pub fn erlang_a_abandonment(c: u32, lambda: f64, mu: f64, theta: f64) -> f64 {
    let (mut term, mut total, mut queue) = (1.0, 1.0, 0.0);
    for n in 1..1_000_000u32 {
        let waiting = f64::from(n.saturating_sub(c));
        term *= lambda / (f64::from(n.min(c)) * mu + waiting * theta);
        total += term;
        queue += waiting * term;
        if term < 1e-18 * total && n > c {
            break;
        }
    }
    theta * (queue / total) / lambda
}

/// Non-preemptive priority M/G/1 (Cobham, 1954): the mean wait in queue
/// of each class, given each class's arrival rate, mean service time and
/// second moment of service time, highest priority first:
/// `W_k = W0 / ((1 − σ_{k−1})(1 − σ_k))`, with `W0 = Σ λ_i E[S_i²] / 2`
/// and `σ_k` the load of classes 1 to k (Harchol-Balter, "Performance
/// Modeling and Design of Computer Systems", §31.2).
pub fn cobham_waits(classes: &[(f64, f64, f64)]) -> Vec<f64> {
    let w0: f64 = classes.iter().map(|(l, _, s2)| l * s2 / 2.0).sum();
    let mut sigma = 0.0;
    classes
        .iter()
        .map(|(l, s, _)| {
            let before = sigma;
            sigma += l * s;
            w0 / ((1.0 - before) * (1.0 - sigma))
        })
        .collect()
}

/// M/M/c mean wait in queue Wq (seconds).
pub fn mmc_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    erlang_c(c, a) / (f64::from(c) * mu - lambda)
}

/// M/M/c mean time in system W = Wq + 1/μ.
pub fn mmc_sojourn(c: u32, lambda: f64, mu: f64) -> f64 {
    mmc_wait(c, lambda, mu) + 1.0 / mu
}

/// M/M/c probability that the wait exceeds t: C(c, a) · e^{−(cμ−λ)t}.
pub fn mmc_wait_exceeds(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    erlang_c(c, lambda / mu) * (-(f64::from(c) * mu - lambda) * t).exp()
}

/// M/M/1/K: probability an arrival finds the system full (K in system,
/// the one in service included), ρ = λ/μ.
pub fn mm1k_blocking(k: u32, rho: f64) -> f64 {
    let k = f64::from(k);
    if (rho - 1.0).abs() < 1e-12 {
        1.0 / (k + 1.0)
    } else {
        (1.0 - rho) * rho.powf(k) / (1.0 - rho.powf(k + 1.0))
    }
}

/// M/M/1/K mean number in system L.
pub fn mm1k_mean_in_system(k: u32, rho: f64) -> f64 {
    let kf = f64::from(k);
    if (rho - 1.0).abs() < 1e-12 {
        return kf / 2.0;
    }
    rho / (1.0 - rho) - (kf + 1.0) * rho.powf(kf + 1.0) / (1.0 - rho.powf(kf + 1.0))
}

/// M/G/1 mean wait in queue (Pollaczek–Khinchine):
/// `Wq = λ E[S²] / (2(1 − ρ))`, with `E[S²] = Var[S] + E[S]²`.
pub fn mg1_wait(lambda: f64, mean_service: f64, var_service: f64) -> f64 {
    let rho = lambda * mean_service;
    lambda * (var_service + mean_service * mean_service) / (2.0 * (1.0 - rho))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mm1_is_the_c_equals_one_case() {
        // M/M/1: Wq = ρ/(μ − λ), P(wait) = ρ.
        let (lambda, mu) = (0.8, 1.0);
        assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
        assert!((mmc_wait(1, lambda, mu) - 4.0).abs() < 1e-12);
        assert!((mmc_sojourn(1, lambda, mu) - 5.0).abs() < 1e-12);
    }

    /// The textbook closed form, summed directly:
    /// C = (aᶜ/c!)(c/(c−a)) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)(c/(c−a))).
    fn erlang_c_direct(c: u32, a: f64) -> f64 {
        let term = |k: u32| a.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
        let top = term(c) * f64::from(c) / (f64::from(c) - a);
        top / ((0..c).map(term).sum::<f64>() + top)
    }

    #[test]
    fn erlang_c_recurrence_matches_the_direct_formula() {
        for (c, a) in [(1, 0.5), (4, 3.2), (10, 7.5), (50, 45.0)] {
            assert!(
                (erlang_c(c, a) - erlang_c_direct(c, a)).abs() < 1e-12,
                "c={c} a={a}"
            );
        }
        // c = 4, a = 3.2: 21.845 / 36.626.
        assert!((erlang_c(4, 3.2) - 0.596_43).abs() < 1e-5);
        // c = 2, a = 1: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn mm1k_reduces_to_known_cases() {
        // K = 1 is Erlang's loss system with one server: P = ρ/(1+ρ).
        assert!((mm1k_blocking(1, 0.5) - 0.5 / 1.5).abs() < 1e-12);
        assert!((mm1k_blocking(4, 1.0) - 0.2).abs() < 1e-12);
        assert!((mm1k_mean_in_system(1, 0.5) - 0.5 / 1.5).abs() < 1e-12);
    }

    #[test]
    fn pk_gives_md1_as_half_of_mm1() {
        // M/D/1 waits half as long as M/M/1 at the same load.
        let md1 = mg1_wait(0.8, 1.0, 0.0);
        let mm1 = mg1_wait(0.8, 1.0, 1.0);
        assert!((md1 - 2.0).abs() < 1e-12 && (mm1 - 4.0).abs() < 1e-12);
    }

    #[test]
    fn erlang_b_and_mmck_agree_with_known_values_and_each_other() {
        // B(5, 4) = (4^5/5!) / sum_{k=0..5} 4^k/k!.
        let want =
            (1024.0 / 120.0) / (1.0 + 4.0 + 8.0 + 64.0 / 6.0 + 256.0 / 24.0 + 1024.0 / 120.0);
        assert!((erlang_b(5, 4.0) - want).abs() < 1e-12);
        // M/M/c/c is Erlang B; M/M/1/K is the one-server case.
        let (blocked, _) = mmck(5, 5, 4.0, 1.0);
        assert!((blocked - erlang_b(5, 4.0)).abs() < 1e-12);
        let (blocked, mean) = mmck(1, 6, 0.8, 1.0);
        assert!((blocked - mm1k_blocking(6, 0.8)).abs() < 1e-12);
        assert!((mean - mm1k_mean_in_system(6, 0.8)).abs() < 1e-12);
    }

    #[test]
    fn erlang_a_tends_to_its_limits() {
        // Very patient customers hardly abandon a stable system; very
        // impatient ones abandon as often as all servers are busy (Erlang B).
        assert!(erlang_a_abandonment(3, 2.0, 1.0, 1e-6) < 1e-5);
        let b = erlang_b(3, 2.0);
        assert!((erlang_a_abandonment(3, 2.0, 1.0, 1e6) - b).abs() < 1e-4);
        // One server, θ = μ: the chain is M/M/∞-like above c; a known value
        // by direct summation: p_n = p_0 λ^n / n! for μ = θ = 1.
        let lambda: f64 = 1.5;
        let mut p = vec![1.0f64];
        for n in 1..200 {
            p.push(p[n - 1] * lambda / n as f64);
        }
        let total: f64 = p.iter().sum();
        let queue: f64 = p
            .iter()
            .enumerate()
            .map(|(n, x)| n.saturating_sub(1) as f64 * x)
            .sum();
        let want = queue / total / lambda;
        assert!((erlang_a_abandonment(1, lambda, 1.0, 1.0) - want).abs() < 1e-12);
    }
}
