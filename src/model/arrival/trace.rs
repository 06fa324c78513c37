//! Replay of a recorded trace, optionally sped up or slowed down. A trace
//! from a file is read as a stream, once to check it when the scenario is
//! loaded and again by each replication as it replays it, so memory does
//! not grow with the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::csv::{Csv, CsvError, Record};
use super::{Tick, instant};
use crate::input::{FileDigest, FileStamp};
use crate::model::ParamError;
use crate::model::distribution::check;

/// One recorded arrival.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    /// When it arrived, in seconds since the start of the trace.
    pub time_s: f64,
    /// Its key, overriding the producer's keys, if recorded.
    pub key: Option<u64>,
    /// Its size in bytes, overriding the producer's sizes, if recorded.
    pub size: Option<u32>,
}

/// Where a trace's rows are.
#[derive(Debug, PartialEq)]
enum Rows {
    /// Held in memory (built from rows).
    Memory(Vec<TraceRow>),
    /// In a CSV file checked when the scenario was loaded.
    File {
        path: PathBuf,
        rows: u64,
        digest: FileDigest,
        /// The file's size and modification time when it was checked.
        stamp: FileStamp,
    },
}

/// How far a replay has got.
enum Cursor {
    /// The next row in memory.
    Memory(usize),
    /// The file being read (opened at the first row).
    File(Option<Box<FileReplay>>),
    /// Reading the file failed: the replay has ended with this reason.
    Failed(String),
}

/// A trace file being replayed.
struct FileReplay {
    csv: Csv,
    columns: Columns,
    previous: f64,
    path: PathBuf,
    stamp: FileStamp,
}

/// Whether the file at `path` still has `stamp`; what changed, if not.
fn check_stamp(path: &Path, stamp: &FileStamp) -> Result<(), String> {
    match crate::input::stamp(path) {
        Ok(now) if now == *stamp => Ok(()),
        Ok(now) if now.len != stamp.len => Err(format!(
            "changed size ({} bytes, then {})",
            stamp.len, now.len
        )),
        Ok(_) => Err("was modified".to_owned()),
        Err(e) => Err(format!("cannot be read ({e})")),
    }
}

/// Replays rows at `time_s · time_scale` seconds, one message per row, in
/// order. Cloning starts a new replay of the same rows.
pub struct Trace {
    rows: Arc<Rows>,
    time_scale: f64,
    cursor: Cursor,
}

impl Clone for Trace {
    fn clone(&self) -> Trace {
        Trace {
            rows: Arc::clone(&self.rows),
            time_scale: self.time_scale,
            cursor: Trace::start(&self.rows),
        }
    }
}

impl PartialEq for Trace {
    fn eq(&self, other: &Trace) -> bool {
        self.rows == other.rows && self.time_scale == other.time_scale
    }
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("rows", &self.rows)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

/// The columns a trace file may have.
const COLUMNS: [&str; 3] = ["timestamp", "key", "size"];

impl Trace {
    /// Replays `rows` (in non-decreasing time order), every time multiplied
    /// by `time_scale` (2 replays at half speed).
    ///
    /// # Errors
    /// If there are no rows, a time is negative or not finite, a time is
    /// earlier than the one before, or `time_scale` is not a finite number
    /// > 0.
    pub fn new(rows: Vec<TraceRow>, time_scale: f64) -> Result<Trace, ParamError> {
        if rows.is_empty() {
            return Err(ParamError::new("rows", "must list at least 1 row (got 0)"));
        }
        let mut previous = 0.0;
        for (i, row) in rows.iter().enumerate() {
            let field = format!("rows[{i}].time_s");
            let t = check::non_negative(&field, row.time_s)?;
            if t < previous {
                let message = format!(
                    "must not be earlier than rows[{}].time_s (got {t} < {previous})",
                    i - 1
                );
                return Err(ParamError::new(field, message));
            }
            previous = t;
        }
        let rows = Arc::new(Rows::Memory(rows));
        Ok(Trace {
            cursor: Trace::start(&rows),
            rows,
            time_scale: check::positive("time_scale", time_scale)?,
        })
    }

    /// Replays the CSV file at `path`, whose header names a `timestamp`
    /// column (seconds) and optionally `key` and `size` (bytes) columns, in
    /// any order; empty key or size cells mean "not recorded". The whole
    /// file is checked now, as a stream; each replay reads it again.
    /// Returns the trace and the file's digest.
    ///
    /// # Errors
    /// If `time_scale` is not a finite number > 0 (field `time_scale`), or
    /// the file is not a regular file, is unreadable, has an unknown, missing
    /// or repeated column, a bad value, rows out of time order or no rows;
    /// these have an empty field and a message naming the file and line.
    pub fn from_csv(path: &Path, time_scale: f64) -> Result<(Trace, FileDigest), ParamError> {
        let time_scale = check::positive("time_scale", time_scale)?;
        let rows = crate::input::shared("trace", path, || Trace::check_csv(path))?;
        let Rows::File { digest, .. } = &*rows else {
            return Err(ParamError::new("", "not a trace file"));
        };
        let digest = digest.clone();
        let trace = Trace {
            cursor: Trace::start(&rows),
            rows,
            time_scale,
        };
        Ok((trace, digest))
    }

    /// Reads the whole trace file once to check it.
    fn check_csv(path: &Path) -> Result<Rows, ParamError> {
        let stamp = crate::input::stamp(path).map_err(|e| {
            ParamError::new("", format!("{}: cannot read the file: {e}", path.display()))
        })?;
        let mut csv = Csv::read(path)?;
        let columns = Columns::of(&csv)?;
        let mut previous = 0.0;
        let mut count = 0u64;
        while csv.advance()? {
            let row = columns.row(&csv, csv.record(), previous)?;
            previous = row.time_s;
            count += 1;
        }
        if count == 0 {
            return Err(csv.error(None, "no rows after the header").into());
        }
        let digest = FileDigest::from(csv.finish()?.unwrap_or_default());
        Ok(Rows::File {
            path: path.to_owned(),
            rows: count,
            digest,
            stamp,
        })
    }

    fn start(rows: &Rows) -> Cursor {
        match rows {
            Rows::Memory(_) => Cursor::Memory(0),
            Rows::File { .. } => Cursor::File(None),
        }
    }

    /// How many rows the trace has: at most that many messages.
    pub fn len(&self) -> u64 {
        match &*self.rows {
            Rows::Memory(rows) => rows.len() as u64,
            Rows::File { rows, .. } => *rows,
        }
    }

    /// Always false: a trace has at least one row.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Why the replay ended early, if reading the file failed (it changed
    /// or vanished since the scenario was loaded).
    pub fn failure(&self) -> Option<&str> {
        match &self.cursor {
            Cursor::Failed(reason) => Some(reason),
            _ => None,
        }
    }

    /// The next row as a tick.
    pub(super) fn next(&mut self) -> Option<Tick> {
        let row = match &mut self.cursor {
            Cursor::Memory(i) => {
                let Rows::Memory(rows) = &*self.rows else {
                    return None;
                };
                let row = *rows.get(*i)?;
                *i += 1;
                row
            }
            Cursor::File(replay) => {
                let next = match replay {
                    Some(replay) => replay.next(),
                    None => FileReplay::open(&self.rows).and_then(|r| {
                        let replay = replay.insert(Box::new(r));
                        replay.next()
                    }),
                };
                match next {
                    Ok(row) => row?,
                    Err(reason) => {
                        self.cursor = Cursor::Failed(reason);
                        return None;
                    }
                }
            }
            Cursor::Failed(_) => return None,
        };
        Some(Tick {
            time: instant(row.time_s * self.time_scale)?,
            count: 1,
            key: row.key,
            size: row.size,
        })
    }
}

impl FileReplay {
    /// Opens the trace file again, checking that it is unchanged (same
    /// size and modification time as when it was checked).
    fn open(rows: &Rows) -> Result<FileReplay, String> {
        let Rows::File { path, stamp, .. } = rows else {
            return Err("not a trace file".into());
        };
        let changed = |what: String| {
            format!(
                "trace file {} {what} since the scenario was loaded",
                path.display()
            )
        };
        let csv = Csv::read(path).map_err(|e| changed(format!("cannot be read ({e})")))?;
        check_stamp(path, stamp).map_err(changed)?;
        let columns = Columns::of(&csv).map_err(|e| changed(format!("changed ({e})")))?;
        Ok(FileReplay {
            csv,
            columns,
            previous: 0.0,
            path: path.clone(),
            stamp: *stamp,
        })
    }

    /// The next row, `None` at the end (after checking again that the
    /// file did not change while it was read).
    fn next(&mut self) -> Result<Option<TraceRow>, String> {
        let changed =
            |e: CsvError| format!("trace file changed since the scenario was loaded: {e}");
        if !self.csv.advance().map_err(changed)? {
            check_stamp(&self.path, &self.stamp).map_err(|what| {
                format!(
                    "trace file {} {what} while it was replayed",
                    self.path.display()
                )
            })?;
            return Ok(None);
        }
        let row = self
            .columns
            .row(&self.csv, self.csv.record(), self.previous)
            .map_err(changed)?;
        self.previous = row.time_s;
        Ok(Some(row))
    }
}

/// Where a trace file's columns are.
#[derive(Clone, Copy, Debug)]
struct Columns {
    time: usize,
    key: Option<usize>,
    size: Option<usize>,
}

impl Columns {
    /// The columns of `csv`'s header.
    fn of(csv: &Csv) -> Result<Columns, CsvError> {
        if let Some(unknown) = csv.header().iter().find(|h| !COLUMNS.contains(&h.as_str())) {
            let message = format!(
                "unknown column \"{unknown}\" (expected timestamp, and optionally key and size)"
            );
            return Err(csv.error(Some(csv.header_line()), message));
        }
        Ok(Columns {
            time: csv.column("timestamp")?,
            key: csv.column("key").ok(),
            size: csv.column("size").ok(),
        })
    }

    /// One record as a row, checked to be no earlier than `previous`.
    fn row(&self, csv: &Csv, record: &Record, previous: f64) -> Result<TraceRow, CsvError> {
        let row = TraceRow {
            time_s: field(csv, record, self.time, "a number of seconds >= 0")?
                .filter(|t: &f64| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| bad(csv, record, self.time, "a number of seconds >= 0"))?,
            key: self
                .key
                .map(|i| field(csv, record, i, "an integer >= 0"))
                .transpose()?
                .flatten(),
            size: self
                .size
                .map(|i| field(csv, record, i, "a whole number of bytes below 4 GiB"))
                .transpose()?
                .flatten(),
        };
        if row.time_s < previous {
            let message = format!(
                "timestamp {} is earlier than the previous row's {previous} (rows must be in time order)",
                row.time_s
            );
            return Err(csv.error(Some(record.line), message));
        }
        Ok(row)
    }
}

/// The rows of a trace held in memory as CSV text, checked for order.
#[cfg(test)]
fn read_rows(mut csv: Csv) -> Result<Vec<TraceRow>, CsvError> {
    let columns = Columns::of(&csv)?;
    let mut rows: Vec<TraceRow> = Vec::new();
    while csv.advance()? {
        let previous = rows.last().map_or(0.0, |r| r.time_s);
        rows.push(columns.row(&csv, csv.record(), previous)?);
    }
    if rows.is_empty() {
        return Err(csv.error(None, "no rows after the header"));
    }
    Ok(rows)
}

/// Parses cell `i` of `record`: `None` if empty, an error if it does not
/// parse as a `T`.
fn field<T: std::str::FromStr>(
    csv: &Csv,
    record: &Record,
    i: usize,
    expected: &str,
) -> Result<Option<T>, CsvError> {
    let text = &record.fields[i];
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| bad(csv, record, i, expected))
}

/// An error for cell `i` of `record`.
fn bad(csv: &Csv, record: &Record, i: usize, expected: &str) -> CsvError {
    let (column, text) = (&csv.header()[i], &record.fields[i]);
    csv.error(
        Some(record.line),
        format!("column \"{column}\": expected {expected} (got \"{text}\")"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{ArrivalProcess, testkit};
    use super::*;
    use crate::engine::SimTime;

    fn row(time_s: f64, key: Option<u64>, size: Option<u32>) -> TraceRow {
        TraceRow { time_s, key, size }
    }

    #[test]
    fn replays_rows_exactly_with_time_scaling() {
        let rows = vec![
            row(0.5, Some(7), None),
            row(0.5, None, Some(100)),
            row(2.25, None, None),
        ];
        let mut p = ArrivalProcess::trace(rows, 2.0).unwrap();
        let mut rng = testkit::rng("trace");
        let mut ticks = Vec::new();
        let mut now = SimTime::ZERO;
        while let Some(tick) = p.next(now, &mut rng) {
            now = tick.time;
            ticks.push((tick.time.0, tick.count, tick.key, tick.size));
        }
        let expected = [
            (1_000_000_000, 1, Some(7), None),
            (1_000_000_000, 1, None, Some(100)),
            (4_500_000_000, 1, None, None),
        ];
        assert_eq!(ticks, expected);
        assert_eq!(p.mean_rate(), None);
    }

    #[test]
    fn rejects_decreasing_times_and_bad_scale() {
        let err = Trace::new(
            vec![
                row(1.0, None, None),
                row(2.0, None, None),
                row(1.5, None, None),
            ],
            1.0,
        );
        assert_eq!(
            err.unwrap_err(),
            ParamError::new(
                "rows[2].time_s",
                "must not be earlier than rows[1].time_s (got 1.5 < 2)"
            )
        );
        assert_eq!(Trace::new(vec![], 1.0).unwrap_err().field, "rows");
        assert_eq!(
            Trace::new(vec![row(1.0, None, None)], 0.0)
                .unwrap_err()
                .field,
            "time_scale"
        );
    }

    #[test]
    fn reads_columns_in_any_order_with_empty_cells() {
        let csv = Csv::parse("t.csv", "size,timestamp,key\n10,0.1,\n,0.2,3\n").unwrap();
        let rows = read_rows(csv).unwrap();
        assert_eq!(rows, [row(0.1, None, Some(10)), row(0.2, Some(3), None)]);
    }

    #[test]
    fn csv_errors_name_file_and_line() {
        let cases = [
            (
                "timestamp\n1\nx\n",
                "t.csv:3: column \"timestamp\": expected a number of seconds >= 0 (got \"x\")",
            ),
            (
                "timestamp\n-1\n",
                "t.csv:2: column \"timestamp\": expected a number of seconds >= 0 (got \"-1\")",
            ),
            (
                "timestamp,key\n1,-4\n",
                "t.csv:2: column \"key\": expected an integer >= 0 (got \"-4\")",
            ),
            (
                "\ntimestamp,user\n1,2\n",
                "t.csv:2: unknown column \"user\" (expected timestamp, and optionally key and size)",
            ),
            (
                "key\n1\n",
                "t.csv:1: no column named \"timestamp\" in the header (columns: key)",
            ),
            (
                "timestamp\n2\n\n1\n",
                "t.csv:4: timestamp 1 is earlier than the previous row's 2 (rows must be in time order)",
            ),
            ("timestamp\n", "t.csv: no rows after the header"),
        ];
        for (text, expected) in cases {
            let csv = Csv::parse("t.csv", text).unwrap();
            assert_eq!(read_rows(csv).unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn reads_from_a_file() {
        let path = std::env::temp_dir().join(format!("mqsim-trace-{}.csv", std::process::id()));
        std::fs::write(&path, "timestamp,size\n0.5,10\n0.25,x\n").unwrap();
        let err = ArrivalProcess::trace_from_csv(&path, 1.0).unwrap_err();
        assert_eq!(err.field, "");
        let expected = format!(
            "{}:3: column \"size\": expected a whole number of bytes below 4 GiB (got \"x\")",
            path.display()
        );
        assert_eq!(err.message, expected);
        std::fs::write(&path, "timestamp,size\n0.5,10\n").unwrap();
        let (mut p, digest) = ArrivalProcess::trace_from_csv(&path, 0.5).unwrap();
        assert_eq!(digest.bytes, 22);
        let rng = &mut testkit::rng("trace/file");
        let tick = p.next(SimTime::ZERO, rng).unwrap();
        assert_eq!((tick.time, tick.size), (SimTime(250_000_000), Some(10)));
        assert_eq!(p.next(tick.time, rng), None);
        // A file that changes under a replay ends it with a reason.
        let (mut p, _) = ArrivalProcess::trace_from_csv(&path, 0.5).unwrap();
        std::fs::write(&path, "timestamp,size\n0.5,10\n0.7,10\n").unwrap();
        assert_eq!(p.next(SimTime::ZERO, rng), None);
        let ArrivalProcess::Trace(t) = &p else {
            unreachable!()
        };
        assert!(
            t.failure().unwrap().contains("changed size"),
            "{:?}",
            t.failure()
        );
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            ArrivalProcess::trace_from_csv(&path, -1.0)
                .unwrap_err()
                .field,
            "time_scale"
        );
    }
}
