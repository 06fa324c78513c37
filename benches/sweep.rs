//! A 16-point sweep with `--jobs 1` against `--jobs 2`: points run in
//! parallel, so on two cores the second should take little more than half
//! the time, with identical results.
//!
//! Run: `cargo bench -p mqsim-bench --bench sweep`.

use criterion::{Criterion, criterion_group, criterion_main};
use mqsim::experiment::{Sweep, Vary, with_jobs};
use mqsim::report::sweep_file;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn sweep() -> Sweep {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-16.toml");
    let vary = Vary::parse("groups.workers.workers=45..60").expect("valid --vary");
    Sweep::new(&file, &[], vec![vary]).expect("valid sweep")
}

fn jobs(c: &mut Criterion) {
    let sweep = sweep();
    let all: Vec<usize> = (0..sweep.points.len()).collect();
    assert_eq!(all.len(), 16);
    let manifest = sweep.manifest(None);
    let run = |jobs| with_jobs(jobs, || sweep.run(&all, &|_| {})).expect("pool");
    let one = sweep_file::canonical(&manifest, &run(1)).expect("encodes");
    let two = sweep_file::canonical(&manifest, &run(2)).expect("encodes");
    assert_eq!(
        one, two,
        "--jobs 1 and --jobs 2 must give identical results"
    );
    let mut group = c.benchmark_group("sweep_16_points");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(2));
    for n in [1, 2] {
        group.bench_function(format!("jobs_{n}"), |b| b.iter(|| black_box(run(n))));
    }
    group.finish();
}

criterion_group!(benches, jobs);
criterion_main!(benches);
