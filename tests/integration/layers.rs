//! The one-way dependencies of the layout (README "Layout"): engine,
//! stats, input ← model ← scenario ← experiment ← report ← decide ← cli. A module
//! may import only the layers below it; the command line only the
//! library's API.

use std::fs;
use std::path::{Path, PathBuf};

/// Each library module and the modules it may import.
const LAYERS: [(&str, &[&str]); 8] = [
    ("engine", &[]),
    ("stats", &[]),
    ("input", &[]),
    ("model", &["engine", "stats", "input"]),
    ("scenario", &["engine", "stats", "input", "model"]),
    (
        "experiment",
        &["engine", "stats", "input", "model", "scenario"],
    ),
    (
        "report",
        &[
            "engine",
            "stats",
            "input",
            "model",
            "scenario",
            "experiment",
        ],
    ),
    (
        "decide",
        &[
            "engine",
            "stats",
            "input",
            "model",
            "scenario",
            "experiment",
            "report",
        ],
    ),
];

/// The `.rs` files of module `name`: `src/<name>.rs` and `src/<name>/`.
fn files_of(src: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The library modules `text` names through `crate::` (also inside
/// `use crate::{…}` groups, nested or not).
fn imports(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => top_level_items(group),
            None => vec![rest],
        };
        for name in names {
            for (module, _) in LAYERS {
                let follows = name.trim_start().strip_prefix(module);
                let whole = follows
                    .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'));
                if whole && !found.contains(&module) {
                    found.push(module);
                }
            }
        }
    }
    found
}

/// The items of a `{…}` group whose opening brace precedes `group`, split
/// at its top-level commas.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for (module, allowed) in LAYERS {
        let files = files_of(&src, module);
        assert!(!files.is_empty(), "module {module} has no files");
        for file in files {
            let text = fs::read_to_string(&file).expect("readable source");
            seen += 1;
            for import in imports(&text) {
                if import != module && !allowed.contains(&import) {
                    wrong.push(format!("{} imports {import}", file.display()));
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} files read");
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_command_line_uses_only_the_library_api() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = files_of(&src, "cli");
    files.push(src.join("main.rs"));
    let mut wrong = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("readable source");
        for import in imports(&text) {
            wrong.push(format!("{} reaches into crate::{import}", file.display()));
        }
        if text.contains("#[path") {
            wrong.push(format!("{} includes source by path", file.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_scan_sees_grouped_and_plain_paths() {
    assert_eq!(imports("use crate::model::sim::Event;"), vec!["model"]);
    assert_eq!(
        imports("use crate::{engine::SimTime, report};"),
        vec!["engine", "report"]
    );
    assert!(imports("use crate::modelling::X;").is_empty());
    assert_eq!(
        imports("use crate::{\n    model::{a, b},\n    scenario::Scenario,\n};"),
        vec!["model", "scenario"]
    );
}
