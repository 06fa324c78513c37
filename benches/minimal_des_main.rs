//! The minimal M/M/c simulation alone, for counting its instructions:
//! `minimal-des [customers]` runs M/M/4 (λ = 3.2/s, μ = 1/s) until about
//! that many customers arrived and prints what it served.

fn main() {
    let customers: f64 = std::env::args()
        .nth(1)
        .map_or(1e6, |a| a.parse().expect("a number of customers"));
    let lambda = 3.2;
    let served = mqsim_bench::minimal_des::mmc(lambda, 1.0, 4, customers / lambda, 42);
    println!(
        "{} arrived, {} served, mean wait {:.4} s",
        served.arrived, served.served, served.mean_wait_s
    );
}
