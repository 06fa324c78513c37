//! The one rule for names: scenarios, topics, producers and groups. Names
//! become output folders, file names and metric names, so they are short
//! and plain: a letter, then letters, digits, `_` and `-`. Saved results
//! are checked by the same rule when read back.

/// The longest name, in characters (a name plus mqsim's suffixes must fit
/// in a file name).
pub(crate) const MAX_NAME_LEN: usize = 100;

/// Checks `name` against the rule.
///
/// # Errors
/// A message saying what the rule is and what was found.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        return Err(format!(
            "names must start with a letter and use only letters, digits, '_' and '-' (got {})",
            serde_json::Value::from(name)
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "names are at most {MAX_NAME_LEN} characters (got {})",
            name.len()
        ));
    }
    Ok(())
}

/// Checks every name in a scenario read back from a saved result: its
/// own, the topic's, the producers' and the groups'.
///
/// # Errors
/// The first name that breaks the rule, with the rule.
pub(crate) fn check_scenario_names(raw: &super::RawScenario) -> Result<(), String> {
    let names = raw
        .name
        .iter()
        .chain(raw.topic.iter().map(|t| &t.name))
        .chain(raw.topics.keys())
        .chain(raw.producers.keys())
        .chain(raw.groups.keys());
    for name in names {
        check_name(name)?;
    }
    Ok(())
}

/// A name following the rule made from a file's stem: other characters
/// become `_`, a name not starting with a letter gets `scenario-` in front,
/// and a long one is cut.
pub(crate) fn name_from_stem(stem: &str) -> String {
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "scenario-");
    }
    name.truncate(MAX_NAME_LEN);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for good in ["a", "mm1", "burst-into-bounded-topic", "A_b-9"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "1a", "-a", "a/b", "..", "a b", "a.b", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name(&"a".repeat(101)).is_err());
        assert_eq!(
            check_name("../../x").unwrap_err(),
            "names must start with a letter and use only letters, digits, '_' and '-' (got \"../../x\")"
        );
    }

    #[test]
    fn stems_become_names() {
        assert_eq!(name_from_stem("mm1"), "mm1");
        assert_eq!(name_from_stem(".."), "scenario-__");
        assert_eq!(name_from_stem("load test.v2"), "load_test_v2");
        assert_eq!(name_from_stem("2024-peak"), "scenario-2024-peak");
        for stem in ["..", "", "/", "é", &"x".repeat(300)] {
            assert_eq!(check_name(&name_from_stem(stem)), Ok(()), "{stem}");
        }
    }
}
