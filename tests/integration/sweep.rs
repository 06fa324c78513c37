//! Sweeps: identical results at any --jobs, shards merged equal the whole
//! sweep byte for byte, a resumed sweep equals an uninterrupted one, and
//! bad definitions are refused before anything runs.

use crate::support;
use mqsim::experiment::{Sweep, Vary, with_jobs};
use mqsim::report::sweep_file;
use support::{SMALL, mqsim, ok, same_files, text, tmp, write};

const VARY: [&str; 4] = [
    "--vary",
    "groups.workers.workers=1..4",
    "--vary",
    "topic.capacity=100,400",
];

fn sweep_args<'a>(file: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["sweep", file, "--out", out];
    args.extend(VARY);
    args.extend(extra);
    args
}

#[test]
fn results_are_identical_for_jobs_1_and_2() {
    let dir = tmp("sweep-jobs");
    let file = write(&dir, "small.toml", SMALL);
    let varies =
        ["groups.workers.workers=1..4", "topic.capacity=100,400"].map(|v| Vary::parse(v).unwrap());
    let sweep = Sweep::new(file.as_ref(), &[], varies.to_vec()).unwrap();
    assert_eq!(sweep.points.len(), 8);
    assert_eq!(
        sweep.points[3].label(),
        "groups.workers.workers=2, topic.capacity=400"
    );
    let all: Vec<usize> = (0..8).collect();
    let manifest = sweep.manifest(None);
    let texts = |jobs| {
        let results = with_jobs(jobs, || sweep.run(&all, &|_| {})).unwrap();
        sweep_file::canonical(&manifest, &results).unwrap()
    };
    let one = texts(1);
    assert_eq!(one, texts(2), "--jobs 1 and --jobs 2 differ");
    // Common random numbers: the points differ, and only by their parameters.
    assert_eq!(one.0.lines().count(), 8);
    assert_ne!(one.0.lines().next(), one.0.lines().nth(1));
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_byte_for_byte() {
    let dir = tmp("sweep-shards");
    let file = write(&dir, "small.toml", SMALL);
    let whole = dir.join("whole");
    ok(&sweep_args(
        &file,
        whole.to_str().unwrap(),
        &["--jobs", "2"],
    ));
    let shards: Vec<String> = (1..=3)
        .map(|k| dir.join(format!("shard{k}")).to_str().unwrap().to_owned())
        .collect();
    for (k, out) in shards.iter().enumerate() {
        let shard = format!("{}/3", k + 1);
        ok(&sweep_args(&file, out, &["--shard", &shard, "--jobs", "1"]));
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    ok(&args);
    same_files(&whole, &merged);
    let csv = std::fs::read_to_string(whole.join("sweep.csv")).unwrap();
    assert!(
        csv.starts_with("index,groups.workers.workers,topic.capacity,error,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 9);
    assert!(
        whole.join("report.html").exists()
            && whole.join("sweep-groups.workers.e2e.p99_s.png").exists()
    );

    let bad = dir.join("bad");
    let merge = |parts: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(parts);
        args.extend(["--out", bad.to_str().unwrap()]);
        mqsim(&args)
    };
    let missing = merge(&[&shards[0], &shards[2]]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("3 of 8 points are missing (points 1, 4, 7)"),
        "{}",
        text(&missing.stderr)
    );
    let twice = merge(&[&shards[0], &shards[0], &shards[1], &shards[2]]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(text(&twice.stderr).contains(
        "point 0 (groups.workers.workers=1, topic.capacity=100) appears in more than one"
    ));
    let other = dir.join("other");
    ok(&[
        "sweep",
        &file,
        "--out",
        other.to_str().unwrap(),
        "--vary",
        "groups.workers.workers=1..8",
    ]);
    let mismatch = merge(&[&shards[0], other.to_str().unwrap()]);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(
        text(&mismatch.stderr).contains("belong to a different sweep"),
        "{}",
        text(&mismatch.stderr)
    );
}

#[test]
fn a_resumed_sweep_equals_an_uninterrupted_one() {
    let dir = tmp("sweep-resume");
    let file = write(&dir, "small.toml", SMALL);
    let whole = dir.join("whole");
    ok(&sweep_args(&file, whole.to_str().unwrap(), &[]));
    // A sweep killed after three points, in the middle of writing a fourth.
    let cut = dir.join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::copy(whole.join("sweep.json"), cut.join("sweep.json")).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(whole.join("sweep.jsonl"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let partial = format!(
        "{}\n{}\n{}\n{}",
        lines[5],
        lines[0],
        lines[2],
        &lines[6][..40]
    );
    std::fs::write(cut.join("sweep.jsonl"), partial).unwrap();
    let c = cut.to_str().unwrap();

    let refused = mqsim(&sweep_args(&file, c, &[]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("already holds sweep results; pass --resume"));
    let out = ok(&sweep_args(&file, c, &["--resume"]));
    assert!(
        out.contains("8 of 8 points (5 run now, 3 kept from before)"),
        "{out}"
    );
    same_files(&whole, &cut);

    // A changed definition is refused, and nothing is overwritten.
    let changed = mqsim(&[
        "sweep",
        &file,
        "--out",
        c,
        "--resume",
        "--vary",
        "groups.workers.workers=1..3",
        "--vary",
        "topic.capacity=100,400",
    ]);
    assert_eq!(changed.status.code(), Some(2));
    assert!(
        text(&changed.stderr).contains("the sweep definition changed (--vary)"),
        "{}",
        text(&changed.stderr)
    );
    let changed = mqsim(&sweep_args(&file, c, &["--resume", "--set", "seed=6"]));
    assert!(
        text(&changed.stderr).contains("changed (scenario (file or --set))"),
        "{}",
        text(&changed.stderr)
    );
    same_files(&whole, &cut);
}

#[test]
fn bad_values_are_refused_before_any_point_runs() {
    let dir = tmp("sweep-bad");
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    for (vary, says) in [
        (
            "groups.workers.workers=1,0",
            "sweep point 1 (groups.workers.workers=0):",
        ),
        (
            "groups.workers.wrkers=1..3",
            "unknown field; did you mean \"workers\"?",
        ),
        ("topic.policy=reject,drop_newest", "topic.policy"),
        ("groups.workers.workers=8..1", "expected A..B with A <= B"),
        ("groups.workers.workers", "expected path=VALUES"),
    ] {
        let r = mqsim(&["sweep", &file, "--out", o, "--vary", vary]);
        assert_eq!(r.status.code(), Some(2), "{vary}: {}", text(&r.stderr));
        assert!(
            text(&r.stderr).contains(says),
            "{vary}: {}",
            text(&r.stderr)
        );
        assert!(
            !out.exists(),
            "{vary}: nothing may be written before validation passes"
        );
    }
    let r = mqsim(&[
        "sweep",
        &file,
        "--vary",
        "groups.workers.workers=1,2",
        "--shard",
        "4/3",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("expected --shard K/N"));
}

#[test]
fn enum_values_and_failed_points_are_recorded() {
    let dir = tmp("sweep-enum");
    let file = write(
        &dir,
        "small.toml",
        &SMALL.replace(
            "drain = true",
            "drain = true\nlimits = { max_queued = 300 }",
        ),
    );
    let out = dir.join("out");
    let stdout = ok(&[
        "sweep",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--vary",
        "topic.policy=reject,drop_oldest,block",
    ]);
    assert!(
        stdout.contains("3 of 3 points") && stdout.contains("0 failed"),
        "{stdout}"
    );
    let jsonl = std::fs::read_to_string(out.join("sweep.jsonl")).unwrap();
    assert!(
        jsonl.contains("\"topic.policy\":\"drop_oldest\""),
        "{jsonl}"
    );
    // With no capacity the burst outgrows max_queued: the point fails, the sweep goes on.
    let out2 = dir.join("out2");
    let stdout = ok(&[
        "sweep",
        &file,
        "--out",
        out2.to_str().unwrap(),
        "--vary",
        "topic.capacity=100,1000000",
    ]);
    assert!(
        stdout.contains("1 failed") && stdout.contains("point 1 failed: topic"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out2.join("sweep.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .contains("\"topic `topic` grew past limits.max_queued"),
        "{csv}"
    );
}
