//! `timeseries.csv` read back by column name, so charts work from a saved
//! run as well as a fresh one, and tolerate columns being added or absent.

/// A parsed time series: named columns of numbers (a cell that is not a
/// number is NaN), one row per sample and group; 8 bytes a cell.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesTable {
    header: Vec<String>,
    /// Group names, in order of first appearance.
    groups: Vec<String>,
    /// Each row's group, as an index into `groups`.
    group_of: Vec<u32>,
    /// Each column's values, by row (the `group` column is not kept).
    values: Vec<Vec<f64>>,
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
        let g = header.iter().position(|h| h == "group").unwrap_or(0);
        let mut table = SeriesTable {
            values: vec![Vec::new(); header.len()],
            header,
            groups: Vec::new(),
            group_of: Vec::new(),
        };
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
            let cells = line.split(',');
            let mut width = 0;
            for (c, cell) in cells.enumerate() {
                width += 1;
                if c == g {
                    let at = match table.groups.iter().position(|n| n == cell) {
                        Some(at) => at,
                        None => {
                            table.groups.push(cell.to_owned());
                            table.groups.len() - 1
                        }
                    };
                    table.group_of.push(at as u32);
                } else if let Some(column) = table.values.get_mut(c) {
                    column.push(cell.parse().unwrap_or(f64::NAN));
                }
            }
            if width != table.header.len() {
                return Err(format!(
                    "line {}: {width} fields, the header has {}",
                    i + 2,
                    table.header.len()
                ));
            }
        }
        Ok(table)
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
        self.groups.clone()
    }

    /// (time, value) of column `name` for `group`, skipping cells that are
    /// not numbers; `None` if there is no such column.
    pub fn column(&self, group: &str, name: &str) -> Option<Vec<(f64, f64)>> {
        let (t, c) = (self.index("time_s")?, self.index(name)?);
        if name == "group" {
            return None;
        }
        let g = self.groups.iter().position(|n| n == group);
        let (times, values) = (&self.values[t], &self.values[c]);
        Some(
            self.group_of
                .iter()
                .enumerate()
                .filter(|&(_, &row_group)| Some(row_group as usize) == g)
                .map(|(row, _)| (times[row], values[row]))
                .filter(|(t, v)| !t.is_nan() && !v.is_nan())
                .collect(),
        )
    }

    /// The sample interval: the gap between a group's first two rows.
    pub fn interval_s(&self) -> Option<f64> {
        let group = self.groups.first()?;
        let times = self.column(group, "time_s")?;
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
