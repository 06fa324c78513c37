//! `timeseries.csv` read back by column name, so charts work from a saved
//! run as well as a fresh one, and tolerate columns being added or absent.

/// A parsed time series: named columns, one row per sample and group.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl SeriesTable {
    /// Parses CSV text whose header names the columns (`time_s` and
    /// `group` are required).
    ///
    /// # Errors
    /// A message naming the line that is malformed.
    pub fn parse(text: &str) -> Result<SeriesTable, String> {
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .ok_or("the file is empty")?
            .split(',')
            .map(str::to_owned)
            .collect();
        for required in ["time_s", "group"] {
            if !header.iter().any(|h| h == required) {
                return Err(format!("no `{required}` column in the header"));
            }
        }
        let mut rows = Vec::new();
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
            let row: Vec<String> = line.split(',').map(str::to_owned).collect();
            if row.len() != header.len() {
                return Err(format!(
                    "line {}: {} fields, the header has {}",
                    i + 2,
                    row.len(),
                    header.len()
                ));
            }
            rows.push(row);
        }
        Ok(SeriesTable { header, rows })
    }

    /// True when the table has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// Column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.header
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Group names in order of first appearance.
    pub fn groups(&self) -> Vec<String> {
        let Some(g) = self.index("group") else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for row in &self.rows {
            if !out.contains(&row[g]) {
                out.push(row[g].clone());
            }
        }
        out
    }

    /// (time, value) of column `name` for `group`, skipping cells that are
    /// not numbers; `None` if there is no such column.
    pub fn column(&self, group: &str, name: &str) -> Option<Vec<(f64, f64)>> {
        let (t, g, c) = (
            self.index("time_s")?,
            self.index("group")?,
            self.index(name)?,
        );
        Some(
            self.rows
                .iter()
                .filter(|row| row[g] == group)
                .filter_map(|row| Some((row[t].parse().ok()?, row[c].parse().ok()?)))
                .collect(),
        )
    }

    /// The sample interval: the gap between a group's first two rows.
    pub fn interval_s(&self) -> Option<f64> {
        let group = self.groups().into_iter().next()?;
        let times = self.column(&group, "time_s")?;
        match times.as_slice() {
            [a, b, ..] => Some(b.0 - a.0),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_name_per_group() {
        let t =
            SeriesTable::parse("time_s,group,depth,dead_lettered\n0,a,1,0\n0,b,2,0\n0.5,a,3,1\n")
                .unwrap();
        assert_eq!(t.groups(), ["a", "b"]);
        assert_eq!(t.column("a", "depth").unwrap(), [(0.0, 1.0), (0.5, 3.0)]);
        assert!(t.has("dead_lettered") && !t.has("duplicates"));
        assert_eq!(t.column("a", "duplicates"), None);
        assert_eq!(t.interval_s(), Some(0.5));
        assert!(
            SeriesTable::parse("time_s,group\n1,a,3\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            SeriesTable::parse("depth\n")
                .unwrap_err()
                .contains("time_s")
        );
    }
}
