//! Durations in scenario files: `"250ms"`, `"1.5s"`, `"5m"`, `"2h"`, or a
//! bare number of seconds.

use crate::engine::SimDuration;
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// A duration as written in a scenario file; serialises in its shortest
/// exact unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDuration);

/// Units accepted after a number, longest suffix first.
const UNITS: [(&str, f64); 9] = [
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
];

impl Dur {
    /// Parses `"250ms"`-style text.
    ///
    /// # Errors
    /// A message saying what was expected, for text that is not a
    /// non-negative number followed by one of ns, us, ms, s, m, min, h, d.
    pub fn parse(text: &str) -> Result<Dur, String> {
        let text = text.trim();
        if text == "forever" {
            return Ok(Dur(SimDuration::MAX));
        }
        let split = text
            .find(|c: char| {
                !(c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == '-' || c == '+')
            })
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit = unit.trim();
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale);
        let value: Option<f64> = number.replace('_', "").parse().ok();
        match (value, scale) {
            (Some(v), Some(scale)) if v.is_finite() && v >= 0.0 => {
                if v * scale * 1e9 >= u64::MAX as f64 {
                    return Err(format!(
                        "expected a duration under 584 years, the clock's range; use \"forever\" for no limit (got \"{text}\")"
                    ));
                }
                Ok(Dur(SimDuration::from_secs_f64(v * scale)))
            }
            _ => Err(format!(
                "expected a duration such as \"250ms\", \"1.5s\", \"5m\", \"2h\" or \"forever\" (got \"{text}\")"
            )),
        }
    }

    /// The duration in seconds.
    pub fn secs(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == SimDuration::MAX {
            f.write_str("forever")
        } else {
            self.0.fmt(f)
        }
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dur, D::Error> {
        deserializer.deserialize_any(DurVisitor)
    }
}

/// Accepts a duration string or a number of seconds.
struct DurVisitor;

impl Visitor<'_> for DurVisitor {
    type Value = Dur;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"250ms\" or a number of seconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        Dur::parse(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        if v.is_finite() && v >= 0.0 {
            Ok(Dur(SimDuration::from_secs_f64(v)))
        } else {
            Err(E::custom(format!("expected a duration >= 0 (got {v})")))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        self.visit_f64(v as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_bare_seconds() {
        let ms = |v| Dur(SimDuration::from_millis(v));
        assert_eq!(Dur::parse("250ms"), Ok(ms(250)));
        assert_eq!(Dur::parse("1.5s"), Ok(ms(1500)));
        assert_eq!(Dur::parse("5m"), Ok(ms(300_000)));
        assert_eq!(Dur::parse("2h"), Ok(ms(7_200_000)));
        assert_eq!(Dur::parse("1d"), Ok(ms(86_400_000)));
        assert_eq!(Dur::parse("10us"), Ok(Dur(SimDuration(10_000))));
        assert_eq!(Dur::parse("3 min"), Ok(ms(180_000)));
        let from_json: Dur = serde_json::from_str("2.5").unwrap();
        assert_eq!(from_json, ms(2500));
    }

    #[test]
    fn rejects_missing_units_negatives_and_junk() {
        for bad in ["5", "-1s", "fast", "1y", "", "s"] {
            let err = Dur::parse(bad).unwrap_err();
            assert!(err.contains("expected a duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn round_trips_through_its_display() {
        for text in ["250ms", "5m", "90s", "1500ns", "2h", "forever"] {
            assert_eq!(Dur::parse(text).unwrap().to_string(), text);
        }
    }
}
