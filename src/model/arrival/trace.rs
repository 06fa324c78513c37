//! Replay of a recorded trace, optionally sped up or slowed down.

use std::path::Path;
use std::sync::Arc;

use super::csv::{Csv, CsvError, Record};
use super::{Tick, instant};
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

/// Replays rows at `time_s · time_scale` seconds, one message per row, in
/// order. Rows are shared, so cloning is cheap.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    rows: Arc<[TraceRow]>,
    time_scale: f64,
    cursor: usize,
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
        Ok(Trace {
            rows: rows.into(),
            time_scale: check::positive("time_scale", time_scale)?,
            cursor: 0,
        })
    }

    /// Replays the CSV file at `path`, whose header names a `timestamp`
    /// column (seconds) and optionally `key` and `size` (bytes) columns, in
    /// any order; empty key or size cells mean "not recorded".
    ///
    /// # Errors
    /// If `time_scale` is not a finite number > 0 (field `time_scale`), or
    /// the file is unreadable, has an unknown or missing column, a bad value,
    /// rows out of time order or no rows; these have an empty field and a
    /// message naming the file and line.
    pub fn from_csv(path: &Path, time_scale: f64) -> Result<Trace, ParamError> {
        let time_scale = check::positive("time_scale", time_scale)?;
        let rows = read_rows(&Csv::read(path)?)?;
        Trace::new(rows, time_scale)
    }

    /// The next row as a tick.
    pub(super) fn next(&mut self) -> Option<Tick> {
        let row = self.rows.get(self.cursor)?;
        self.cursor += 1;
        Some(Tick {
            time: instant(row.time_s * self.time_scale)?,
            count: 1,
            key: row.key,
            size: row.size,
        })
    }
}

/// The rows of a trace file, checked for order.
pub(super) fn read_rows(csv: &Csv) -> Result<Vec<TraceRow>, CsvError> {
    if let Some(unknown) = csv.header().iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        let message = format!(
            "unknown column \"{unknown}\" (expected timestamp, and optionally key and size)"
        );
        return Err(csv.error(Some(csv.header_line()), message));
    }
    let at = csv.column("timestamp")?;
    let key_at = csv.column("key").ok();
    let size_at = csv.column("size").ok();
    let mut rows: Vec<TraceRow> = Vec::with_capacity(csv.records().len());
    for record in csv.records() {
        let row = TraceRow {
            time_s: field(csv, record, at, "a number of seconds >= 0")?
                .filter(|t: &f64| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| bad(csv, record, at, "a number of seconds >= 0"))?,
            key: key_at
                .map(|i| field(csv, record, i, "an integer >= 0"))
                .transpose()?
                .flatten(),
            size: size_at
                .map(|i| field(csv, record, i, "a whole number of bytes below 4 GiB"))
                .transpose()?
                .flatten(),
        };
        if let Some(last) = rows.last().filter(|last| row.time_s < last.time_s) {
            let message = format!(
                "timestamp {} is earlier than the previous row's {} (rows must be in time order)",
                row.time_s, last.time_s
            );
            return Err(csv.error(Some(record.line), message));
        }
        rows.push(row);
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
        let rows = read_rows(&csv).unwrap();
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
            assert_eq!(read_rows(&csv).unwrap_err().to_string(), expected);
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
        let mut p = ArrivalProcess::trace_from_csv(&path, 0.5).unwrap();
        let _ = std::fs::remove_file(&path);
        let tick = p
            .next(SimTime::ZERO, &mut testkit::rng("trace/file"))
            .unwrap();
        assert_eq!((tick.time, tick.size), (SimTime(250_000_000), Some(10)));
        assert_eq!(
            ArrivalProcess::trace_from_csv(&path, -1.0)
                .unwrap_err()
                .field,
            "time_scale"
        );
    }
}
