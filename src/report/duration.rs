//! Durations in a unit a person reads: `12.3 ms`, `1.84 s`, `58m32s`,
//! `2h05m`. Files keep exact seconds; tables, the terminal and the report
//! print these.

/// The `digits` of a table row whose value is a duration in seconds: it
/// prints with [`human`] (and its interval with [`human_ci`]), whatever
/// the row's scale.
pub(crate) const DURATION: usize = usize::MAX;

/// `v` with three significant digits (fewer decimals as it grows).
fn sig3(v: f64) -> String {
    if v >= 99.95 {
        format!("{v:.0}")
    } else if v >= 9.995 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The unit a duration of `s` seconds (below a minute) prints in: its
/// scale and name.
fn unit(s: f64) -> (f64, &'static str) {
    let s = s.abs();
    if s < 1e-3 {
        (1e6, "µs")
    } else if s < 1.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    }
}

/// `s` seconds in a unit a person reads: `0 s`, `850 µs`, `12.3 ms`,
/// `1.84 s`, `58m32s`, `2h05m`, `3d04h`; `-` if it is not a number.
pub fn human(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    if s == 0.0 {
        return "0 s".into();
    }
    if s < 0.0 {
        return format!("-{}", human(-s));
    }
    if s < 59.995 {
        let (scale, name) = unit(s);
        return format!("{} {name}", sig3(s * scale));
    }
    let whole = s.round() as u64;
    let (d, h, m, sec) = (
        whole / 86_400,
        whole / 3600 % 24,
        whole / 60 % 60,
        whole % 60,
    );
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else {
        format!("{m}m{sec:02}s")
    }
}

/// A mean and its interval's half-width, both durations: in the mean's
/// unit below a minute (`12.3 ± 0.4 ms`), else each in its own
/// (`58m32s ± 41.2 s`).
pub fn human_ci(mean: f64, half: f64) -> String {
    if !mean.is_finite() {
        return "-".into();
    }
    if half <= 0.0 || !half.is_finite() {
        return human(mean);
    }
    if mean.abs() >= 59.995 {
        return format!("{} ± {}", human(mean), human(half));
    }
    let (scale, name) = if mean == 0.0 { unit(half) } else { unit(mean) };
    let m = mean * scale;
    // The half-width with as many decimals as the mean shows.
    let decimals = sig3(m.abs()).split('.').nth(1).map_or(0, str::len);
    format!("{} ± {:.decimals$} {name}", sig3(m), half * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        for (s, want) in [
            (0.0, "0 s"),
            (0.000_85, "850 µs"),
            (0.012_34, "12.3 ms"),
            (0.004_05, "4.05 ms"),
            (0.153, "153 ms"),
            (1.838, "1.84 s"),
            (12.34, "12.3 s"),
            (59.99, "60.0 s"),
            (60.4, "1m00s"),
            (3_511.851_592, "58m32s"),
            (7500.0, "2h05m"),
            (273_600.0, "3d04h"),
            (f64::NAN, "-"),
        ] {
            assert_eq!(human(s), want, "{s}");
        }
    }

    #[test]
    fn intervals_share_the_means_unit() {
        assert_eq!(human_ci(0.012_34, 0.000_4), "12.3 ± 0.4 ms");
        assert_eq!(human_ci(1.838, 2.163), "1.84 ± 2.16 s");
        assert_eq!(human_ci(3511.85, 41.2), "58m32s ± 41.2 s");
        assert_eq!(human_ci(0.5, 0.0), "500 ms");
    }
}
