//! A small streaming CSV reader for traces and empirical samples: a header
//! row naming the columns (each once), then records of the same width,
//! read one at a time so memory does not grow with the file. Fields are
//! separated by commas, may be double-quoted (`""` is a quote inside
//! quotes; a quoted field ends on its line), and are trimmed of surrounding
//! spaces. Blank lines are skipped, a UTF-8 byte-order mark and `\r\n`
//! endings accepted. Files must be regular files; lines are at most
//! [`crate::input::MAX_LINE_BYTES`] long.

use std::fmt;
use std::path::Path;

use crate::input::{LineError, Lines};
use crate::model::ParamError;

/// A problem with a CSV file, naming the file and, where known, the line:
/// `latencies.csv:14: column "ms": expected a number >= 0 (got "abc")`.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line number, if the problem is on one line.
    pub line: Option<usize>,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for CsvError {}

impl From<CsvError> for ParamError {
    /// A file problem blames the item being built (empty field); the
    /// message carries the file and line.
    fn from(err: CsvError) -> ParamError {
        ParamError::new("", err.to_string())
    }
}

/// One data row and the line it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Record {
    /// 1-based line number in the file.
    pub line: usize,
    /// The fields, unquoted and trimmed, as many as the header has.
    pub fields: Vec<String>,
}

/// Where the lines come from.
enum Source {
    File(Lines),
    /// Text already in memory (tests).
    #[cfg(test)]
    Text(std::vec::IntoIter<(usize, String)>),
}

/// A CSV file being read: its header, then one record at a time.
pub(crate) struct Csv {
    file: String,
    source: Source,
    header_line: usize,
    header: Vec<String>,
    record: Record,
}

impl fmt::Debug for Csv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csv")
            .field("file", &self.file)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Csv {
    /// Opens the file at `path` and reads its header.
    ///
    /// # Errors
    /// If the path is not a regular file or cannot be read, or the header
    /// is missing or malformed.
    pub(crate) fn read(path: &Path) -> Result<Csv, CsvError> {
        let file = path.display().to_string();
        let lines = Lines::open(path).map_err(|err| CsvError {
            file: file.clone(),
            line: None,
            message: format!("cannot read the file: {err}"),
        })?;
        Csv::start(file, Source::File(lines))
    }

    /// Reads CSV `text` held in memory; `file` names it in errors.
    ///
    /// # Errors
    /// If the header is missing or malformed.
    #[cfg(test)]
    pub(crate) fn parse(file: &str, text: &str) -> Result<Csv, CsvError> {
        let lines: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_owned()))
            .collect();
        Csv::start(file.to_owned(), Source::Text(lines.into_iter()))
    }

    fn start(file: String, source: Source) -> Result<Csv, CsvError> {
        let mut csv = Csv {
            file,
            source,
            header_line: 1,
            header: Vec::new(),
            record: Record::default(),
        };
        let Some(line) = csv.next_fields()? else {
            return Err(csv.error(
                None,
                "expected a header line naming the columns (the file is empty)",
            ));
        };
        csv.header_line = line;
        csv.header = std::mem::take(&mut csv.record.fields);
        for (i, name) in csv.header.iter().enumerate() {
            if csv.header[..i].contains(name) {
                let message = format!("column \"{name}\" appears twice in the header");
                return Err(csv.error(Some(line), message));
            }
        }
        Ok(csv)
    }

    /// Reads the next non-blank line into `self.record.fields`; its line
    /// number, or `None` at the end.
    fn next_fields(&mut self) -> Result<Option<usize>, CsvError> {
        loop {
            let (line, fields) = match &mut self.source {
                Source::File(lines) => match lines.next_line() {
                    None => return Ok(None),
                    Some(Ok((line, text))) => (line, split_line(text, line == 1)),
                    Some(Err(err)) => {
                        let line = lines.line();
                        return Err(self.error(Some(line), read_problem(&err)));
                    }
                },
                #[cfg(test)]
                Source::Text(lines) => match lines.next() {
                    None => return Ok(None),
                    Some((line, text)) => (line, split_line(&text, line == 1)),
                },
            };
            match fields {
                None => continue,
                Some(Ok(fields)) => {
                    self.record.fields = fields;
                    self.record.line = line;
                    return Ok(Some(line));
                }
                Some(Err(message)) => return Err(self.error(Some(line), message)),
            }
        }
    }

    /// Reads the next data row into [`Csv::record`]; false after the last.
    ///
    /// # Errors
    /// If a line cannot be read, a quote is not closed on its line, or a
    /// record has a different number of fields than the header.
    pub(crate) fn advance(&mut self) -> Result<bool, CsvError> {
        let Some(line) = self.next_fields()? else {
            return Ok(false);
        };
        if self.record.fields.len() != self.header.len() {
            let message = format!(
                "expected {} fields like the header (got {})",
                self.header.len(),
                self.record.fields.len()
            );
            return Err(self.error(Some(line), message));
        }
        Ok(true)
    }

    /// The row [`Csv::advance`] read last.
    pub(crate) fn record(&self) -> &Record {
        &self.record
    }

    /// The column names, in file order.
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    /// The 1-based line of the header.
    pub(crate) fn header_line(&self) -> usize {
        self.header_line
    }

    /// The index of the column named `name`, or an error listing the
    /// columns there are.
    ///
    /// # Errors
    /// If no column has that name.
    pub(crate) fn column(&self, name: &str) -> Result<usize, CsvError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            let message = format!(
                "no column named \"{name}\" in the header (columns: {})",
                self.header.join(", ")
            );
            self.error(Some(self.header_line), message)
        })
    }

    /// Reads to the end of the file and returns its SHA-256 digest
    /// (`sha256:…`) and size in bytes; `None` for text held in memory.
    ///
    /// # Errors
    /// If the rest of the file cannot be read.
    pub(crate) fn finish(&mut self) -> Result<Option<(String, u64)>, CsvError> {
        match &mut self.source {
            Source::File(lines) => match lines.finish() {
                Ok(()) => Ok(Some((lines.digest(), lines.bytes_read()))),
                Err(err) => Err(self.error(None, format!("cannot read the file: {err}"))),
            },
            #[cfg(test)]
            Source::Text(_) => Ok(None),
        }
    }

    /// An error in this file at `line`.
    pub(crate) fn error(&self, line: Option<usize>, message: impl Into<String>) -> CsvError {
        CsvError {
            file: self.file.clone(),
            line,
            message: message.into(),
        }
    }
}

/// What went wrong reading a line, as a message.
fn read_problem(err: &LineError) -> String {
    err.to_string()
}

/// The fields of one line: `None` for a blank line; the first line may
/// start with a byte-order mark.
fn split_line(text: &str, first: bool) -> Option<Result<Vec<String>, String>> {
    let text = if first {
        text.strip_prefix('\u{feff}').unwrap_or(text)
    } else {
        text
    };
    (!text.trim().is_empty()).then(|| split(text))
}

/// Splits one line into trimmed, unquoted fields.
fn split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!("field {} has an unclosed quote", fields.len() + 1));
                    }
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            if chars.peek().is_some_and(|c| *c != ',') {
                let n = fields.len() + 1;
                return Err(format!("field {n} has text after its closing quote"));
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                field.push(c);
            }
            field.truncate(field.trim_end().len());
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record, or the first error.
    fn records(mut csv: Csv) -> Result<Vec<Record>, CsvError> {
        let mut out = Vec::new();
        while csv.advance()? {
            out.push(csv.record().clone());
        }
        Ok(out)
    }

    #[test]
    fn parses_header_quotes_and_blank_lines() {
        let text = "\u{feff}timestamp, key ,\"size\"\r\n\n 1.5 ,\"a,\"\"b\"\"\", 3\n";
        let csv = Csv::parse("t.csv", text).unwrap();
        assert_eq!(csv.header(), ["timestamp", "key", "size"]);
        assert_eq!(csv.column("size"), Ok(2));
        let rows = records(csv).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].fields, ["1.5", "a,\"b\"", "3"]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = records(Csv::parse("t.csv", "a,b\n1,2\n3\n").unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:3: expected 2 fields like the header (got 1)"
        );
        let err = records(Csv::parse("t.csv", "a\n\"x\n").unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv:2: field 1 has an unclosed quote");
        let err = records(Csv::parse("t.csv", "a\n\"x\" y\n").unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:2: field 1 has text after its closing quote"
        );
        let err = Csv::parse("t.csv", "\n  \n").unwrap_err();
        assert!(err.to_string().starts_with("t.csv: expected a header line"));
        let err = Csv::parse("t.csv", "a,b\n1,2\n")
            .unwrap()
            .column("c")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:1: no column named \"c\" in the header (columns: a, b)"
        );
    }

    /// Issue 9: a header naming a column twice is an error, not a silent
    /// choice of one of them.
    #[test]
    fn issue_9_a_column_named_twice_is_an_error() {
        let err = Csv::parse("t.csv", "\nms,id,ms\n1,2,3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:2: column \"ms\" appears twice in the header"
        );
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = Csv::read(Path::new("/nonexistent/mqsim/x.csv")).unwrap_err();
        assert_eq!(err.file, "/nonexistent/mqsim/x.csv");
        assert!(err.message.starts_with("cannot read the file"));
    }

    /// Issue 9: a device or a FIFO is refused before it is opened (a FIFO
    /// would block forever, /dev/zero never ends).
    #[test]
    fn issue_9_only_regular_files_are_read() {
        let err = Csv::read(Path::new("/dev/zero")).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
        let err = Csv::read(&std::env::temp_dir()).unwrap_err();
        assert!(err.message.contains("a folder"), "{err}");
    }

    #[test]
    fn files_stream_and_report_their_digest() {
        let path = std::env::temp_dir().join(format!("mqsim-csv-{}.csv", std::process::id()));
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let mut csv = Csv::read(&path).unwrap();
        assert!(csv.advance().unwrap());
        assert_eq!(csv.record().fields, ["1", "2"]);
        let (digest, bytes) = csv.finish().unwrap().unwrap();
        assert_eq!(bytes, 12);
        assert_eq!(digest, crate::input::digest_file(&path).unwrap());
        let _ = std::fs::remove_file(&path);
    }
}
