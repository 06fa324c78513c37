//! Scenario errors: every problem in a file, each with its position and
//! field path, reported together and sorted by position.

use std::fmt;
use std::path::PathBuf;

/// Where a problem is: a line and column in the file, or a `--set` override.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// 1-based line and column in the scenario file.
    File {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
    },
    /// A value given on the command line with `--set`.
    Override,
}

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Where the offending value (or key) is.
    pub origin: Origin,
    /// Field path, e.g. `groups.email.workers`; empty for the whole file.
    pub path: String,
    /// What was expected, and what was found.
    pub message: String,
}

/// Everything wrong with one scenario file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file as the user named it.
    pub file: PathBuf,
    /// The problems, sorted by position.
    pub issues: Vec<Issue>,
}

impl ScenarioError {
    /// An error with a single problem.
    pub fn single(file: PathBuf, origin: Origin, path: &str, message: String) -> ScenarioError {
        ScenarioError::new(
            file,
            vec![Issue {
                origin,
                path: path.to_owned(),
                message,
            }],
        )
    }

    /// An error with several problems, sorted by position then path.
    pub fn new(file: PathBuf, mut issues: Vec<Issue>) -> ScenarioError {
        issues.sort_by(|a, b| (&a.origin, &a.path).cmp(&(&b.origin, &b.path)));
        issues.dedup();
        ScenarioError { file, issues }
    }
}

impl fmt::Display for ScenarioError {
    /// One line per problem: `file:line:column: path: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match issue.origin {
                Origin::File { line, column } => write!(f, "{file}:{line}:{column}: ")?,
                Origin::Override => write!(f, "{file}: --set ")?,
            }
            if !issue.path.is_empty() {
                write!(f, "{}: ", issue.path)?;
            }
            write!(f, "{}", issue.message)?;
        }
        Ok(())
    }
}
