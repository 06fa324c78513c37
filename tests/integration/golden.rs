//! Golden outputs: the bytes of `summary.json` and `timeseries.csv` of
//! every shipped scenario, its direct-call twin where it has one, the
//! benchmarks' scenarios and the cases of `tests/golden/scenarios/`, at
//! their own seeds, pinned by digest. A change
//! of output must be on purpose: rerun with `MQSIM_BLESS=1` to rewrite
//! `tests/golden/outputs.txt`, in a commit that says why. On a mismatch
//! the actual files are written to `target/golden-actual/` for a diff.

use mqsim::experiment::Experiment;
use mqsim::input::digest_bytes;
use mqsim::report::{summary_json, timeseries_csv};
use mqsim::scenario::{Override, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const GOLDEN: &str = "tests/golden/outputs.txt";

/// Every scenario file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The cases: (label, file, overrides).
fn cases() -> Vec<(String, PathBuf, Vec<String>)> {
    let mut cases = Vec::new();
    for file in files(Path::new("scenarios")) {
        let label = file.display().to_string();
        cases.push((label.clone(), file.clone(), Vec::new()));
        let sync = vec!["mode=\"sync\"".to_owned()];
        let twin = load(&file, &sync);
        // Already all direct: sync mode's own form, or a graph whose
        // groups are all called (no topic to rewrite).
        let already =
            load(&file, &[]).is_ok_and(|s| s.system.call().is_some() || s.system.groups.is_empty());
        if twin.is_ok() && !already {
            cases.push((format!("{label} (sync)"), file, sync));
        }
    }
    // Variants that reach paths the shipped files do not: a service called
    // directly whose autoscaler starts workers at once, and a reaction
    // without delay.
    let hpa = PathBuf::from("scenarios/autoscale-vs-queue-hpa.toml");
    let instant = [
        "groups.fulfilment.autoscale.startup_delay=\"0s\"",
        "groups.fulfilment.autoscale.reaction_delay=\"0s\"",
    ];
    cases.push((
        format!("{} (no start-up or reaction delay)", hpa.display()),
        hpa,
        instant.iter().map(|s| (*s).to_owned()).collect(),
    ));
    // Cases written for the golden test alone (tests/golden/scenarios/):
    // paths no shipped scenario reaches together.
    for file in files(Path::new("tests/golden/scenarios")) {
        cases.push((file.display().to_string(), file, Vec::new()));
    }
    for file in files(Path::new("benches/scenarios")) {
        // The benchmarks' long runs, shortened: the same code paths.
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let shorter = match name.as_str() {
            "mm4" | "mm4-faults" => vec!["horizon=\"20000s\""],
            "memory-100m" => vec!["horizon=\"20s\""],
            "sweep-16" => vec![],
            _ => vec!["horizon=\"10s\""],
        };
        let overrides = shorter.into_iter().map(str::to_owned).collect();
        cases.push((file.display().to_string(), file, overrides));
    }
    cases
}

fn load(file: &Path, overrides: &[String]) -> Result<Scenario, String> {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    Scenario::load(file, &overrides).map_err(|e| e.to_string())
}

/// The outputs of one case: file name → bytes.
fn outputs(file: &Path, overrides: &[String]) -> Vec<(&'static str, Vec<u8>)> {
    let scenario = load(file, overrides).unwrap_or_else(|e| panic!("{e}"));
    let experiment =
        Experiment::run(&scenario).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let summary = summary_json(&scenario, &experiment).unwrap();
    let series = timeseries_csv(&scenario, &experiment.outcomes[0].series);
    vec![
        ("summary.json", summary.into_bytes()),
        ("timeseries.csv", series.into_bytes()),
    ]
}

#[test]
fn outputs_are_byte_identical_to_the_golden_digests() {
    let mut actual: BTreeMap<String, String> = BTreeMap::new();
    let mut bytes = BTreeMap::new();
    for (label, file, overrides) in cases() {
        for (name, content) in outputs(&file, &overrides) {
            let key = format!("{label} {name}");
            actual.insert(key.clone(), digest_bytes(&content));
            bytes.insert(key, content);
        }
    }
    let text: String = actual.iter().map(|(k, d)| format!("{d} {k}\n")).collect();
    if std::env::var_os("MQSIM_BLESS").is_some() {
        std::fs::write(GOLDEN, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    let golden: BTreeMap<String, String> = expected
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(d, k)| (k.to_owned(), d.to_owned()))
        .collect();
    let differ: Vec<&String> = actual
        .keys()
        .chain(golden.keys())
        .filter(|k| actual.get(*k) != golden.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !differ.is_empty() {
        let out = Path::new("target/golden-actual");
        for key in &differ {
            if let Some(content) = bytes.get(*key) {
                let name = key.replace(['/', ' ', '(', ')'], "_");
                std::fs::create_dir_all(out).unwrap();
                std::fs::write(out.join(name), content).unwrap();
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} outputs differ from {GOLDEN} (actual files in target/golden-actual/; \
         MQSIM_BLESS=1 rewrites the digests, on purpose only):\n{}",
        differ.len(),
        differ
            .iter()
            .map(|k| format!("  {k}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
