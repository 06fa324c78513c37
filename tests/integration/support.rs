//! Helpers shared by the sweep, plan, report and browser tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small scenario: a burst into a bounded topic, a few seconds long.
pub const SMALL: &str = r#"
    name = "small"
    seed = 5
    horizon = "6s"
    sample_interval = "100ms"
    replications = 2
    drain = true
    [topic]
    capacity = 400
    policy = "reject"
    [producers.web]
    arrival = { schedule = { steps = [ { at = "0s", rate_per_s = 200 }, { at = "2s", rate_per_s = 1500 }, { at = "3s", rate_per_s = 200 } ] } }
    [groups.workers]
    workers = 2
    service = { exponential = { mean = "5ms" } }
"#;

/// Runs the binary with `args`.
pub fn mqsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary and asserts it succeeded; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = mqsim(args);
    assert!(
        out.status.success(),
        "mqsim {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Lossy UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty temporary folder for test `name`.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mqsim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Every file of `dir` (not recursive) with its bytes, sorted by name.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `mqsim plot FROM --out TO`, asserted to succeed.
pub fn plot(from: &Path, to: &Path) {
    ok(&[
        "plot",
        from.to_str().unwrap(),
        "--out",
        to.to_str().unwrap(),
    ]);
}

/// Asserts two folders hold the same files with the same bytes.
pub fn same_files(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "{} vs {}", a.display(), b.display());
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}
