//! A tiny CSV reader for traces and empirical samples: a header row naming
//! the columns, then records of the same width. Fields are separated by
//! commas, may be double-quoted (`""` is a quote inside quotes; a quoted
//! field ends on its line), and are trimmed of surrounding spaces. Blank
//! lines are skipped, a UTF-8 byte-order mark and `\r\n` endings accepted.

use std::fmt;
use std::path::Path;

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
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// 1-based line number in the file.
    pub line: usize,
    /// The fields, unquoted and trimmed, as many as the header has.
    pub fields: Vec<String>,
}

/// A parsed CSV file: its header and its records.
#[derive(Clone, Debug, PartialEq)]
pub struct Csv {
    file: String,
    header_line: usize,
    header: Vec<String>,
    records: Vec<Record>,
}

impl Csv {
    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// If the file cannot be read or is not valid CSV (see [`Csv::parse`]).
    pub fn read(path: &Path) -> Result<Csv, CsvError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Csv::parse(&file, &text),
            Err(err) => Err(CsvError {
                file,
                line: None,
                message: format!("cannot read the file ({err})"),
            }),
        }
    }

    /// Parses `text`; `file` names it in errors.
    ///
    /// # Errors
    /// If there is no header, a quote is not closed on its line, or a record
    /// has a different number of fields than the header.
    pub fn parse(file: &str, text: &str) -> Result<Csv, CsvError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut csv = Csv {
            file: file.to_string(),
            header_line: 1,
            header: Vec::new(),
            records: Vec::new(),
        };
        let lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        for (line, raw) in lines.filter(|(_, l)| !l.trim().is_empty()) {
            let fields = split(raw).map_err(|m| csv.error(Some(line), m))?;
            if csv.header.is_empty() {
                csv.header = fields;
                csv.header_line = line;
            } else if fields.len() != csv.header.len() {
                let message = format!(
                    "expected {} fields like the header (got {})",
                    csv.header.len(),
                    fields.len()
                );
                return Err(csv.error(Some(line), message));
            } else {
                csv.records.push(Record { line, fields });
            }
        }
        if csv.header.is_empty() {
            return Err(csv.error(
                None,
                "expected a header line naming the columns (the file is empty)",
            ));
        }
        Ok(csv)
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The 1-based line of the header.
    pub fn header_line(&self) -> usize {
        self.header_line
    }

    /// The data rows, in file order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The index of the column named `name`, or an error listing the
    /// columns there are.
    ///
    /// # Errors
    /// If no column has that name.
    pub fn column(&self, name: &str) -> Result<usize, CsvError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            let message = format!(
                "no column named \"{name}\" in the header (columns: {})",
                self.header.join(", ")
            );
            self.error(Some(self.header_line), message)
        })
    }

    /// An error in this file at `line`.
    pub fn error(&self, line: Option<usize>, message: impl Into<String>) -> CsvError {
        CsvError {
            file: self.file.clone(),
            line,
            message: message.into(),
        }
    }
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

    #[test]
    fn parses_header_quotes_and_blank_lines() {
        let text = "\u{feff}timestamp, key ,\"size\"\r\n\n 1.5 ,\"a,\"\"b\"\"\", 3\n";
        let csv = Csv::parse("t.csv", text).unwrap();
        assert_eq!(csv.header(), ["timestamp", "key", "size"]);
        assert_eq!(csv.records().len(), 1);
        assert_eq!(csv.records()[0].line, 3);
        assert_eq!(csv.records()[0].fields, ["1.5", "a,\"b\"", "3"]);
        assert_eq!(csv.column("size"), Ok(2));
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = Csv::parse("t.csv", "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:3: expected 2 fields like the header (got 1)"
        );
        let err = Csv::parse("t.csv", "a\n\"x\n").unwrap_err();
        assert_eq!(err.to_string(), "t.csv:2: field 1 has an unclosed quote");
        let err = Csv::parse("t.csv", "a\n\"x\" y\n").unwrap_err();
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

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = Csv::read(Path::new("/nonexistent/mqsim/x.csv")).unwrap_err();
        assert_eq!(err.file, "/nonexistent/mqsim/x.csv");
        assert!(err.message.starts_with("cannot read the file"));
    }
}
