//! `mqsim merge`.

use super::sweep::input_error;
use super::{BadInput, print};
use mqsim::experiment::merge as merge_results;
use mqsim::report::{Mode, OutputSet, sweep_file, write_sweep, wrote};
use std::path::{Path, PathBuf};

/// Arguments of `mqsim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Result folders of the shards (each holding sweep.json and sweep.jsonl).
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// Output folder (default: output/<scenario>-sweep).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The folder of a results path: the folder itself, or a file's folder.
pub(super) fn folder(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    } else {
        path.to_owned()
    }
}

pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let mut parts = Vec::new();
    for path in &args.results {
        let dir = folder(path);
        let manifest = sweep_file::read_manifest(&dir).map_err(input_error)?;
        let results = sweep_file::read_results(&dir, &manifest).map_err(input_error)?;
        parts.push((manifest, results));
    }
    let (manifest, results) = merge_results(parts).map_err(BadInput)?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-sweep", manifest.scenario_name))
    });
    let mut set = OutputSet::open(&dir, "sweep", Mode::Replace)?;
    write_sweep(&mut set, &manifest, &results, true)?;
    let written = set.commit()?;
    let text = format!(
        "merged {} results folders: {} points of sweep {}\n{}",
        args.results.len(),
        results.len(),
        manifest.scenario_name,
        wrote(&written)
    );
    print(&text)
}
