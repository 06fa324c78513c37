//! Sweep result files: `sweep.json` (the definition), `sweep.jsonl` (one
//! point per line) and `sweep.csv` (one row per point: index, parameters in
//! `--vary` order, `error`, then `<metric>.mean` and
//! `<metric>.ci95_half_width` for every metric, sorted by name).
//!
//! While a sweep runs, each finished point is appended to both files at
//! once, in completion order, so a killed sweep loses nothing. At the end
//! both are rewritten atomically sorted by index: the final bytes depend
//! neither on `--jobs` nor on interruptions.

use super::{OutputSet, ReportError, read_bounded, write_atomic};
use crate::experiment::{PointResult, SweepManifest, value_text};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The sweep's definition.
pub const MANIFEST: &str = "sweep.json";
/// One JSON object per point.
pub const JSONL: &str = "sweep.jsonl";
/// One CSV row per point.
pub const CSV: &str = "sweep.csv";

/// Reads `sweep.json` from `dir`.
///
/// # Errors
/// [`ReportError::Input`] if it is missing or malformed.
pub fn read_manifest(dir: &Path) -> Result<SweepManifest, ReportError> {
    let path = dir.join(MANIFEST);
    let manifest: SweepManifest =
        serde_json::from_str(&read_bounded(&path, crate::input::MAX_MANIFEST_BYTES)?).map_err(
            |e| ReportError::Input {
                path: path.clone(),
                reason: e.to_string(),
            },
        )?;
    manifest
        .check()
        .map_err(|reason| ReportError::Input { path, reason })?;
    Ok(manifest)
}

/// Reads `sweep.jsonl` from `dir` (none yet: no results), line by line.
/// A last line without its newline is a write cut short by a kill, and is
/// ignored. Each point is checked as it is read: metrics or an error, a
/// point of `manifest` with its parameters, never twice; so memory is
/// bounded by the sweep's size, whatever the file holds.
///
/// # Errors
/// [`ReportError::Input`] naming the malformed line.
pub fn read_results(dir: &Path, manifest: &SweepManifest) -> Result<Vec<PointResult>, ReportError> {
    let path = dir.join(JSONL);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(Vec::new());
    }
    let fail = |line: usize, reason: String| ReportError::Input {
        path: path.clone(),
        reason: format!("line {line}: {reason}"),
    };
    let mut lines = crate::input::Lines::open(&path).map_err(|e| ReportError::Input {
        path: path.clone(),
        reason: format!("cannot read it: {e}"),
    })?;
    let mut results = Vec::new();
    let mut seen = vec![false; manifest.points];
    loop {
        let (n, text) = match lines.next_line() {
            None => break,
            Some(Ok((n, text))) => (n, text.to_owned()),
            Some(Err(e)) => return Err(fail(lines.line(), e.to_string())),
        };
        // A last line without its newline was cut short by a kill.
        if !lines.newline() || text.trim().is_empty() {
            continue;
        }
        let result: PointResult =
            serde_json::from_str(&text).map_err(|e| fail(n, e.to_string()))?;
        result.check().map_err(|e| fail(n, e))?;
        manifest.check_point(&result).map_err(|e| fail(n, e))?;
        if std::mem::replace(&mut seen[result.index], true) {
            return Err(fail(n, format!("point {} appears twice", result.index)));
        }
        results.push(result);
    }
    Ok(results)
}

/// `sweep.json` text.
pub fn manifest_json(manifest: &SweepManifest) -> Result<String, ReportError> {
    Ok(serde_json::to_string_pretty(manifest)? + "\n")
}

/// One `sweep.jsonl` line, newline included.
pub fn result_line(result: &PointResult) -> Result<String, ReportError> {
    Ok(serde_json::to_string(result)? + "\n")
}

/// Every metric name in `results`, sorted.
pub fn metric_columns<'a>(results: impl IntoIterator<Item = &'a PointResult>) -> Vec<String> {
    let names: BTreeSet<&String> = results.into_iter().flat_map(|r| r.metrics.keys()).collect();
    names.into_iter().cloned().collect()
}

/// The CSV header for `manifest` and metric `names`, newline included.
pub fn csv_header(manifest: &SweepManifest, names: &[String]) -> String {
    let mut cells = vec!["index".to_owned()];
    cells.extend(manifest.vary.iter().map(|v| v.path.clone()));
    cells.push("error".into());
    for n in names {
        cells.push(format!("{n}.mean"));
        cells.push(format!("{n}.ci95_half_width"));
    }
    csv_line(&cells)
}

/// One CSV row, newline included.
pub fn csv_row(manifest: &SweepManifest, names: &[String], r: &PointResult) -> String {
    let mut cells = vec![r.index.to_string()];
    cells.extend(
        manifest
            .vary
            .iter()
            .map(|v| r.params.get(&v.path).map_or(String::new(), value_text)),
    );
    cells.push(r.error.clone().unwrap_or_default());
    for n in names {
        let m = r.metrics.get(n);
        cells.push(m.map_or(String::new(), |m| number(m.mean)));
        cells.push(m.map_or(String::new(), |m| number(m.ci95_half_width)));
    }
    csv_line(&cells)
}

/// Shortest text that reads back as the same float; empty for NaN.
fn number(v: f64) -> String {
    if v.is_finite() {
        serde_json::to_string(&v).unwrap_or_default()
    } else {
        String::new()
    }
}

/// A cell a spreadsheet would evaluate as a formula (text starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a `'` in front, so
/// it stays text; numbers are left alone.
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let c = neutralise(c);
        if c.contains([',', '"', '\n', '\r']) {
            let _ = write!(line, "\"{}\"", c.replace('"', "\"\""));
        } else {
            line.push_str(&c);
        }
    }
    line.push('\n');
    line
}

/// The final, canonical `sweep.jsonl` and `sweep.csv` texts: `results`
/// sorted by index, the CSV with a column pair per metric in `results`.
pub fn canonical(
    manifest: &SweepManifest,
    results: &[PointResult],
) -> Result<(String, String), ReportError> {
    texts(manifest, results, &metric_columns(results))
}

fn texts(
    manifest: &SweepManifest,
    results: &[PointResult],
    names: &[String],
) -> Result<(String, String), ReportError> {
    let mut sorted: Vec<&PointResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.index);
    let mut jsonl = String::new();
    let mut csv = csv_header(manifest, names);
    for r in sorted {
        jsonl.push_str(&result_line(r)?);
        csv.push_str(&csv_row(manifest, names, r));
    }
    Ok((jsonl, csv))
}

/// Stages `sweep.json`, and `sweep.jsonl` and `sweep.csv` in canonical
/// order, in `set`.
///
/// # Errors
/// [`ReportError::Write`] naming the file.
pub fn write_results(
    set: &mut OutputSet,
    manifest: &SweepManifest,
    results: &[PointResult],
) -> Result<(), ReportError> {
    let (jsonl, csv) = canonical(manifest, results)?;
    set.write(MANIFEST, manifest_json(manifest)?.as_bytes())?;
    set.write(JSONL, jsonl.as_bytes())?;
    set.write(CSV, csv.as_bytes())
}

/// Appends finished points to `sweep.jsonl` and `sweep.csv` as they come.
#[derive(Debug)]
pub struct Appender {
    manifest: SweepManifest,
    names: Vec<String>,
    files: Mutex<(File, File, Option<ReportError>)>,
    dir: PathBuf,
}

impl Appender {
    /// Writes the manifest and the `existing` results canonically into
    /// `set`'s folder, in place (the set lists them from now on), then
    /// opens both result files for appending. CSV columns are the metrics
    /// of `existing` and `names` (the metrics a run of the scenario reports).
    ///
    /// # Errors
    /// [`ReportError::Write`] naming the file.
    pub fn start(
        set: &mut OutputSet,
        manifest: &SweepManifest,
        existing: &[PointResult],
        names: &[String],
    ) -> Result<Appender, ReportError> {
        let mut columns: BTreeSet<String> = names.iter().cloned().collect();
        columns.extend(metric_columns(existing));
        let names: Vec<String> = columns.into_iter().collect();
        let (jsonl, csv) = texts(manifest, existing, &names)?;
        set.begin_in_place(&[MANIFEST, JSONL, CSV])?;
        let dir = set.dir();
        for (name, text) in [
            (MANIFEST, manifest_json(manifest)?),
            (JSONL, jsonl),
            (CSV, csv),
        ] {
            write_atomic(&dir.join(name), text.as_bytes())?;
        }
        let open = |name: &str| {
            let path = dir.join(name);
            OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|source| ReportError::Write {
                    path,
                    error: source,
                })
        };
        Ok(Appender {
            manifest: manifest.clone(),
            names,
            files: Mutex::new((open(JSONL)?, open(CSV)?, None)),
            dir: dir.to_owned(),
        })
    }

    /// Appends one point (safe from any thread). The first failure is
    /// kept and reported by [`Appender::finish`].
    pub fn append(&self, r: &PointResult) {
        let line = result_line(r);
        let row = csv_row(&self.manifest, &self.names, r);
        let mut guard = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let (jsonl, csv, failed) = &mut *guard;
        if failed.is_some() {
            return;
        }
        let result = line.and_then(|line| {
            let io = jsonl
                .write_all(line.as_bytes())
                .and_then(|()| csv.write_all(row.as_bytes()));
            io.map_err(|source| ReportError::Write {
                path: self.dir.join(JSONL),
                error: source,
            })
        });
        if let Err(e) = result {
            *failed = Some(e);
        }
    }

    /// The first append failure, if any.
    ///
    /// # Errors
    /// That failure.
    pub fn finish(self) -> Result<(), ReportError> {
        match self.files.into_inner().unwrap_or_else(|e| e.into_inner()).2 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
