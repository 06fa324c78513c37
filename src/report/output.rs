//! Output folders. Every file a command writes goes through one
//! [`OutputSet`], so that:
//!
//! - nothing is written outside the folder: a file name is one plain
//!   component (letters, digits, `.`, `_`, `-`, not starting with a dot);
//! - a file is written to a temporary file created exclusively (never
//!   through a link planted in its place), then renamed over the old one;
//! - the folder holds the outputs of one command at a time. A hidden
//!   marker (`.mqsim-outputs.json`) lists them; a new set replaces the old
//!   one whole, and files of the old set that the new one lacks are
//!   removed. Results of a sweep are never replaced, only resumed or
//!   redrawn. A folder holding mqsim outputs without a marker (an earlier
//!   version's) is refused rather than mixed. The marker says when a set is
//!   being replaced, so an interrupted command leaves a folder the next one
//!   can clean up;
//! - one command at a time writes into a folder (a lock file), and stale
//!   temporary files of killed commands are removed.

use super::ReportError;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The marker listing a folder's outputs.
pub const MARKER: &str = ".mqsim-outputs.json";
/// The lock held while a command writes into a folder.
pub const LOCK: &str = ".mqsim.lock";

/// Outputs that hold data; charts and `report.html` are drawn from them.
const DATA: [&str; 14] = [
    "summary.json",
    "decision.json",
    "timeseries.csv",
    "partitions.csv",
    "calls.csv",
    "compare.json",
    "sweep.json",
    "sweep.jsonl",
    "sweep.csv",
    "fitted.toml",
    "arrivals.csv",
    "service.csv",
    "overhead.csv",
    "handoff.csv",
];

/// Charts mqsim draws, by file stem (sweeps add `sweep-<metric>`).
const CHARTS: [&str; 16] = [
    "topology",
    "decision",
    "calls",
    "time-split",
    "depth",
    "age",
    "latency",
    "drops",
    "partitions",
    "workers",
    "compare-latency",
    "compare-time",
    "compare-errors",
    "compare-depth",
    "compare-age",
    "compare-failures",
];

/// Most files a marker may list.
const MAX_MARKED: usize = 10_000;

/// Whether `name` is a file mqsim writes: a data file, `report.html`, or a
/// chart. Only such files are ever replaced or removed.
pub fn is_output_name(name: &str) -> bool {
    if DATA.contains(&name) || name == "report.html" {
        return true;
    }
    // `decide` writes each alternative's scenario.
    if name.starts_with("alternative-") && name.ends_with(".toml") {
        return true;
    }
    let stem = name
        .strip_suffix(".png")
        .or_else(|| name.strip_suffix(".svg"));
    stem.is_some_and(|stem| CHARTS.contains(&stem) || stem.starts_with("sweep-"))
}

/// The longest file name written.
const MAX_FILE_NAME: usize = 200;

/// Checks that `name` is one plain file name that stays in its folder.
///
/// # Errors
/// A message naming the rule.
pub fn check_file_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && name.len() <= MAX_FILE_NAME
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "{} is not a plain file name (letters, digits, '.', '_' and '-', not starting with '.', at most {MAX_FILE_NAME} characters)",
            serde_json::Value::from(name)
        ))
    }
}

/// What a folder's marker records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// The command whose outputs these are (`run`, `compare`, `sweep`,
    /// `plot`).
    pub command: String,
    /// False while the set is being written or replaced.
    pub complete: bool,
    /// The files of the set (while replacing: of both sets).
    pub files: Vec<String>,
}

/// Reads the marker of `dir`, if it has one.
///
/// # Errors
/// [`ReportError::Input`] when the marker is malformed or names a file
/// that is not a plain name.
pub fn read_marker(dir: &Path) -> Result<Option<Marker>, ReportError> {
    let path = dir.join(MARKER);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let bad = |reason: String| ReportError::Input {
        path: path.clone(),
        reason,
    };
    let text = crate::input::read_text(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let marker: Marker = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if marker.files.len() > MAX_MARKED {
        return Err(bad(format!(
            "it lists {} files; mqsim writes at most {MAX_MARKED}",
            marker.files.len()
        )));
    }
    for f in &marker.files {
        check_file_name(f).map_err(&bad)?;
        if !is_output_name(f) {
            return Err(bad(format!(
                "it lists {}, which is not a file mqsim writes",
                serde_json::Value::from(f.as_str())
            )));
        }
    }
    Ok(Some(marker))
}

/// Checks that the outputs in `dir` can be read: a set whose writing was
/// interrupted cannot (a sweep's can: its results are appended whole).
///
/// # Errors
/// [`ReportError::Incomplete`], or a malformed marker.
pub fn check_readable(dir: &Path) -> Result<(), ReportError> {
    match read_marker(dir)? {
        Some(m) if !m.complete && m.command != "sweep" => {
            Err(ReportError::Incomplete { dir: dir.into() })
        }
        _ => Ok(()),
    }
}

/// How a command uses a folder that may already hold outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A new set replaces the folder's outputs (never a sweep's results).
    Replace,
    /// Redraw the charts and report of the set in the folder, keeping its
    /// data files.
    Redraw,
    /// Continue the sweep in the folder, keeping everything it has.
    Resume,
}

/// The set of files one command writes into one folder.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    command: String,
    /// Held until the set is dropped.
    _lock: File,
    /// The folder's set before this command.
    previous: Vec<String>,
    /// Files of the previous set this one keeps as they are.
    kept: Vec<String>,
    /// Files written in place (appended to as a sweep runs).
    in_place: Vec<String>,
    /// Files written to temporary files, renamed on commit: (name, temp).
    staged: Vec<(String, PathBuf)>,
}

impl OutputSet {
    /// Takes `dir` (created if needed) for the outputs of `command`.
    ///
    /// # Errors
    /// [`ReportError::Write`] if the folder cannot be created or locked,
    /// [`ReportError::Busy`] if another command is writing into it,
    /// [`ReportError::Foreign`] if it holds outputs no marker lists, and
    /// [`ReportError::Protected`] if `Replace` would replace a sweep.
    pub fn open(dir: &Path, command: &str, mode: Mode) -> Result<OutputSet, ReportError> {
        let fail = |path: &Path| {
            let path = path.to_owned();
            move |source| ReportError::Write {
                path,
                error: source,
            }
        };
        std::fs::create_dir_all(dir).map_err(fail(dir))?;
        let lock = lock(dir)?;
        remove_stale_temporaries(dir);
        let marker = read_marker(dir)?;
        let previous = match marker {
            Some(m) => {
                let sweep = m.command == "sweep";
                if mode == Mode::Replace && sweep {
                    return Err(ReportError::Protected { dir: dir.into() });
                }
                let data = m.files.iter().any(|f| DATA.contains(&f.as_str()));
                if mode == Mode::Replace && command == "plot" && data {
                    // plot writes charts only: it never replaces data.
                    return Err(ReportError::HoldsData { dir: dir.into() });
                }
                if mode != Mode::Replace && !m.complete && !sweep {
                    return Err(ReportError::Incomplete { dir: dir.into() });
                }
                m
            }
            None => adopt(dir, mode)?,
        };
        let kept = match mode {
            Mode::Replace => Vec::new(),
            Mode::Redraw => previous
                .files
                .iter()
                .filter(|f| DATA.contains(&f.as_str()))
                .cloned()
                .collect(),
            Mode::Resume => previous.files.clone(),
        };
        let command = match mode {
            Mode::Replace => command.to_owned(),
            Mode::Redraw | Mode::Resume => previous.command.clone(),
        };
        Ok(OutputSet {
            dir: dir.to_owned(),
            command,
            _lock: lock,
            previous: previous.files,
            kept,
            in_place: Vec::new(),
            staged: Vec::new(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stages file `name` with `bytes`: written now to a temporary file,
    /// put in place by [`OutputSet::commit`].
    ///
    /// # Errors
    /// [`ReportError::Name`] for a name that is not plain,
    /// [`ReportError::Write`] if the temporary file cannot be written.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        check_file_name(name).map_err(|reason| ReportError::Name { reason })?;
        if !is_output_name(name) {
            let reason = format!("{name} is not a file mqsim writes");
            return Err(ReportError::Name { reason });
        }
        let path = self.dir.join(name);
        let temp = write_temporary(&path, bytes).map_err(|source| ReportError::Write {
            path: path.clone(),
            error: source,
        })?;
        if let Some(i) = self.staged.iter().position(|(n, _)| n == name) {
            let (_, old) = std::mem::replace(&mut self.staged[i], (name.to_owned(), temp));
            let _ = std::fs::remove_file(old);
        } else {
            self.staged.push((name.to_owned(), temp));
        }
        Ok(())
    }

    /// Files `names` are written in place from now on (a sweep's results,
    /// appended to as points finish). The marker lists them at once, and
    /// files of the previous set that this one does not keep are removed.
    ///
    /// # Errors
    /// [`ReportError::Name`] or [`ReportError::Write`].
    pub fn begin_in_place(&mut self, names: &[&str]) -> Result<(), ReportError> {
        for name in names {
            check_file_name(name).map_err(|reason| ReportError::Name {
                reason: reason.clone(),
            })?;
            if !self.in_place.iter().any(|n| n == name) {
                self.in_place.push((*name).to_owned());
            }
        }
        let files = union(&self.kept, &self.in_place);
        self.write_marker(false, union(&self.previous, &files))?;
        self.remove_others(&files);
        self.previous = files;
        Ok(())
    }

    /// Puts every staged file in place and makes the folder hold exactly
    /// this set; returns the paths written, in the order they were staged.
    ///
    /// # Errors
    /// [`ReportError::Write`] naming the file that could not be put in
    /// place; the marker then says the set is incomplete.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, ReportError> {
        let staged: Vec<String> = self.staged.iter().map(|(n, _)| n.clone()).collect();
        let mut files = union(&union(&self.kept, &self.in_place), &staged);
        self.write_marker(false, union(&self.previous, &files))?;
        let mut written = Vec::new();
        while !self.staged.is_empty() {
            let (name, temp) = self.staged.remove(0);
            let path = self.dir.join(&name);
            if let Err(error) = std::fs::rename(&temp, &path) {
                // The marker stays incomplete; the rest is cleaned on drop.
                let _ = std::fs::remove_file(&temp);
                return Err(ReportError::Write { path, error });
            }
            written.push(path);
        }
        self.remove_others(&files);
        files.sort();
        self.write_marker(true, files)?;
        Ok(written)
    }

    /// Removes the previous set's files that `files` does not hold (only
    /// ever files mqsim writes).
    fn remove_others(&self, files: &[String]) {
        let keep: std::collections::HashSet<&str> = files.iter().map(String::as_str).collect();
        for old in &self.previous {
            if !keep.contains(old.as_str()) && is_output_name(old) {
                let _ = std::fs::remove_file(self.dir.join(old));
            }
        }
    }

    fn write_marker(&self, complete: bool, files: Vec<String>) -> Result<(), ReportError> {
        let marker = Marker {
            command: self.command.clone(),
            complete,
            files,
        };
        let text = serde_json::to_string_pretty(&marker)? + "\n";
        write_atomic(&self.dir.join(MARKER), text.as_bytes())
    }
}

impl Drop for OutputSet {
    /// A set dropped without a commit leaves the folder as it was.
    fn drop(&mut self) {
        for (_, temp) in &self.staged {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// `a` and the names of `b` it lacks, once each, in order.
fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    a.iter()
        .chain(b)
        .filter(|f| seen.insert(f.as_str()))
        .cloned()
        .collect()
}

/// A folder without a marker: empty of mqsim outputs (an empty set), or,
/// when resuming, a sweep written before markers existed.
fn adopt(dir: &Path, mode: Mode) -> Result<Marker, ReportError> {
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| is_output_name(name))
                .collect()
        })
        .unwrap_or_default();
    present.sort();
    if present.is_empty() {
        return Ok(Marker::default());
    }
    if mode == Mode::Resume && present.iter().any(|f| f == "sweep.json") {
        return Ok(Marker {
            command: "sweep".into(),
            complete: false,
            files: present,
        });
    }
    Err(ReportError::Foreign {
        dir: dir.to_owned(),
        files: present.join(", "),
    })
}

/// Locks `dir` for this process (released when the file is closed, also
/// when the process dies).
fn lock(dir: &Path) -> Result<File, ReportError> {
    let path = dir.join(LOCK);
    let fail = |source| ReportError::Write {
        path: path.clone(),
        error: source,
    };
    let file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Opened for reading only, and only if it is a plain file: a
            // link planted there is neither followed nor written through.
            let meta = std::fs::symlink_metadata(&path).map_err(fail)?;
            if !meta.is_file() {
                return Err(fail(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the lock file is not a regular file",
                )));
            }
            File::open(&path).map_err(fail)?
        }
        Err(e) => return Err(fail(e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(ReportError::Busy { dir: dir.into() }),
        Err(std::fs::TryLockError::Error(e)) => Err(fail(e)),
    }
}

/// Removes temporary files that killed commands left behind (the caller
/// holds the folder's lock, so none of them is being written).
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| !t.is_dir());
        if is_file && is_temporary(name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `.<name>.tmp-<digits>` or `.<name>.tmp-<digits>-<digits>`.
fn is_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    rest.rsplit_once(".tmp-").is_some_and(|(base, suffix)| {
        !base.is_empty()
            && !suffix.is_empty()
            && suffix
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Temporary files made by this process so far (makes names unique).
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a new temporary file beside `path` and returns its
/// path. The file is created exclusively: an existing file or link of that
/// name is never opened, another name is tried instead.
fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let mut last = None;
    for _ in 0..100 {
        let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(mut file) => {
                let result = file.write_all(bytes).and_then(|()| file.sync_all());
                if let Err(e) = result {
                    let _ = std::fs::remove_file(&temp);
                    return Err(e);
                }
                return Ok(temp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// Writes `bytes` to `path` atomically: a temporary file created
/// exclusively in the same folder, then a rename, so a reader never sees
/// half a file and an interrupted write leaves the old one intact.
///
/// # Errors
/// [`ReportError::Write`] naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let fail = |source| ReportError::Write {
        path: path.to_owned(),
        error: source,
    };
    let temp = write_temporary(path, bytes).map_err(fail)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mqsim-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut all: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != LOCK)
            .collect();
        all.sort();
        all
    }

    #[test]
    fn file_names_stay_in_their_folder() {
        for good in ["summary.json", "sweep-groups.a.e2e.p99_s.svg", "a-b_c"] {
            assert_eq!(check_file_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            ".hidden",
            "a\\b",
            "é",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
        let dir = tmp("names");
        let mut set = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        let err = set.write("x/../../y.svg", b"no").unwrap_err();
        assert!(matches!(err, ReportError::Name { .. }), "{err}");
    }

    /// Issue 9: a link planted where the temporary file will be is never
    /// followed, so nothing outside the folder is overwritten.
    #[test]
    fn issue_9_a_planted_link_is_never_followed() {
        let dir = tmp("link");
        let outside = dir.join("outside.txt");
        std::fs::write(&outside, "precious").unwrap();
        let out = dir.join("out");
        std::fs::create_dir_all(&out).unwrap();
        // Plant a link at each of the next temporary names this process
        // could use.
        let next = TEMPORARIES.load(Ordering::Relaxed);
        for n in next..next + 50 {
            let link = out.join(format!(".summary.json.tmp-{}-{n}", std::process::id()));
            std::os::unix::fs::symlink(&outside, link).unwrap();
        }
        write_atomic(&out.join("summary.json"), b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_new_set_replaces_the_old_one_whole() {
        let dir = tmp("replace");
        let mut set = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        set.write("summary.json", b"1").unwrap();
        set.write("partitions.csv", b"1").unwrap();
        set.write("report.html", b"1").unwrap();
        set.commit().unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let mut set = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        set.write("summary.json", b"2").unwrap();
        set.write("report.html", b"2").unwrap();
        let written = set.commit().unwrap();
        assert_eq!(written.len(), 2);
        // partitions.csv went with the old set; the user's file stays.
        assert_eq!(
            names(&dir),
            [MARKER, "notes.txt", "report.html", "summary.json"]
        );
        let marker = read_marker(&dir).unwrap().unwrap();
        assert!(marker.complete);
        assert_eq!(marker.files, ["report.html", "summary.json"]);
    }

    #[test]
    fn a_set_dropped_before_its_commit_changes_nothing() {
        let dir = tmp("drop");
        let mut set = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        set.write("summary.json", b"1").unwrap();
        set.commit().unwrap();
        let mut set = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        set.write("summary.json", b"2").unwrap();
        drop(set);
        assert_eq!(names(&dir), [MARKER, "summary.json"]);
        assert_eq!(std::fs::read(dir.join("summary.json")).unwrap(), b"1");
    }

    #[test]
    fn an_interrupted_replacement_is_cleaned_up_by_the_next() {
        let dir = tmp("interrupted");
        std::fs::write(dir.join("summary.json"), "old").unwrap();
        std::fs::write(dir.join("depth.svg"), "old").unwrap();
        std::fs::write(dir.join(".depth.svg.tmp-123-4"), "stale").unwrap();
        let marker = Marker {
            command: "run".into(),
            complete: false,
            files: vec!["summary.json".into(), "depth.svg".into()],
        };
        std::fs::write(dir.join(MARKER), serde_json::to_string(&marker).unwrap()).unwrap();
        let mut set = OutputSet::open(&dir, "compare", Mode::Replace).unwrap();
        set.write("compare.json", b"new").unwrap();
        set.commit().unwrap();
        assert_eq!(names(&dir), [MARKER, "compare.json"]);
    }

    #[test]
    fn sweeps_are_never_replaced_and_unrecorded_outputs_never_mixed() {
        let dir = tmp("protected");
        let mut set = OutputSet::open(&dir, "sweep", Mode::Replace).unwrap();
        set.write("sweep.json", b"{}").unwrap();
        set.commit().unwrap();
        let err = OutputSet::open(&dir, "run", Mode::Replace).unwrap_err();
        assert!(matches!(err, ReportError::Protected { .. }), "{err}");
        assert!(OutputSet::open(&dir, "sweep", Mode::Resume).is_ok());
        let legacy = tmp("legacy");
        std::fs::write(legacy.join("summary.json"), "{}").unwrap();
        let err = OutputSet::open(&legacy, "run", Mode::Replace).unwrap_err();
        assert!(err.to_string().contains("summary.json"), "{err}");
    }

    #[test]
    fn one_command_at_a_time() {
        let dir = tmp("busy");
        let first = OutputSet::open(&dir, "run", Mode::Replace).unwrap();
        let err = OutputSet::open(&dir, "run", Mode::Replace).unwrap_err();
        assert!(matches!(err, ReportError::Busy { .. }), "{err}");
        drop(first);
        assert!(OutputSet::open(&dir, "run", Mode::Replace).is_ok());
    }

    #[test]
    fn temporary_names() {
        assert!(is_temporary(".summary.json.tmp-123"));
        assert!(is_temporary(".sweep.jsonl.tmp-123-45"));
        assert!(!is_temporary("summary.json.tmp-123"));
        assert!(!is_temporary(".mqsim.lock"));
        assert!(!is_temporary(".x.tmp-"));
        assert!(!is_temporary(".x.tmp-12a"));
    }
}
