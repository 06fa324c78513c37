//! Plain-text tables for the terminal.

use std::fmt::Write;

/// Rows aligned in columns: the first column left-aligned, the others
/// right-aligned, two spaces apart. The first row is the header.
pub fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| {
        rows.iter()
            .filter_map(|r| r.get(c))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..n).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            match c {
                0 => {
                    let _ = write!(line, "{cell:<w$}", w = widths[0]);
                }
                _ => {
                    let _ = write!(line, "  {cell:>w$}", w = widths[c]);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A metric's value for people: `250.0 ms` or `1.234 s` for metrics in
/// seconds (names ending `_s`), else the number without trailing zeros;
/// `-` when not a number.
pub fn amount(metric: &str, v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    if metric.ends_with("_s") {
        return if v.abs() < 1.0 {
            format!("{:.1} ms", v * 1e3)
        } else {
            format!("{v:.3} s")
        };
    }
    let text = format!("{v:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `wrote <path>` per file, charts (PNG and SVG pairs) counted in one line.
pub fn wrote(paths: &[std::path::PathBuf]) -> String {
    let is = |p: &std::path::Path, ext: &str| p.extension().is_some_and(|e| e == ext);
    let mut out = String::new();
    for p in paths.iter().filter(|p| !is(p, "png") && !is(p, "svg")) {
        let _ = writeln!(out, "wrote {}", p.display());
    }
    let charts = paths.iter().filter(|p| is(p, "png")).count();
    if charts > 0 {
        let _ = writeln!(out, "wrote {charts} charts (PNG and SVG)");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_columns() {
        let rows = vec![
            vec!["".into(), "a".into()],
            vec!["long label".into(), "1.5".into()],
        ];
        assert_eq!(super::columns(&rows), "              a\nlong label  1.5\n");
        assert_eq!(super::amount("x.p99_s", 0.25), "250.0 ms");
        assert_eq!(super::amount("x.p99_s", 2.0), "2.000 s");
        assert_eq!(super::amount("x.dropped", 86876.0), "86876");
        assert_eq!(super::amount("x.dropped", -0.0), "0");
        assert_eq!(super::amount("x.utilisation", 0.93612), "0.9361");
    }
}
