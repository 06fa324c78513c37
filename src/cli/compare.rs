//! `mqsim compare`.

use super::{BadInput, print};
use mqsim::experiment::compare_watched as run_all;
use mqsim::report::{CompareView, Mode, OutputSet, write_page, wrote};
use mqsim::scenario::{FieldPath, Override, Scenario};
use std::path::PathBuf;

/// Arguments of `mqsim compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario files (.toml or .json), compared in this order.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Override a field in every scenario: --set horizon=\"60s\" (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Seed of every scenario (same as --set seed=N).
    #[arg(long)]
    seed: Option<u64>,
    /// Replications of every scenario (same as --set replications=N).
    #[arg(long)]
    replications: Option<u32>,
    /// Also run each scenario in sync mode (the same producers calling the
    /// group's service directly), on the same arrivals, side by side.
    #[arg(long)]
    sync: bool,
    /// Output folder (default: output/compare-<name>-<name>…).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl CompareArgs {
    fn overrides(&self) -> Result<Vec<Override>, BadInput> {
        let mut all: Vec<Override> = self
            .set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| BadInput(format!("--set {s}: {e}"))))
            .collect::<Result<_, _>>()?;
        let field = |name: &str, value: serde_json::Value| Override {
            path: FieldPath::root().key(name),
            value,
        };
        all.extend(self.seed.map(|s| field("seed", s.into())));
        all.extend(self.replications.map(|n| field("replications", n.into())));
        Ok(all)
    }
}

pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let overrides = args.overrides()?;
    let mut scenarios = Vec::new();
    for file in &args.scenarios {
        let scenario = Scenario::load(file, &overrides)?;
        // A file already in sync mode is its own direct-call column.
        let twin = args.sync && scenario.system.call().is_none();
        scenarios.push(scenario);
        if twin {
            scenarios.push(sync_twin(file, &overrides)?);
        }
    }
    let total = (scenarios.iter())
        .map(|s| u64::from(s.replications) * s.system.horizon.as_nanos())
        .sum();
    let progress = std::sync::Arc::default();
    let label = format!("compare {} scenarios", scenarios.len());
    let watch = super::progress::Watch::start(&label, total, std::sync::Arc::clone(&progress));
    let entries = run_all(scenarios, &progress);
    drop(watch);
    let entries = entries.map_err(|(label, e)| anyhow::anyhow!("{label}: {e}"))?;
    let view = CompareView::of(&entries);
    let dir = args.out.unwrap_or_else(|| {
        let names: Vec<&str> = entries.iter().map(|e| e.scenario.name.as_str()).collect();
        PathBuf::from("output").join(format!("compare-{}", names.join("-")))
    });
    let mut set = OutputSet::open(&dir, "compare", Mode::Replace)?;
    set.write("compare.json", view.json()?.as_bytes())?;
    let charts = view.charts()?;
    write_page(&mut set, &charts, &view.html(&charts))?;
    let written = set.commit()?;
    print(&(view.table() + &wrote(&written)))
}

/// The scenario in `file` in sync mode, named `<name>-sync`. Arrivals and
/// service times come from the same named random streams as the queued
/// run, so both see the same requests.
fn sync_twin(file: &std::path::Path, overrides: &[Override]) -> anyhow::Result<Scenario> {
    let mut with_mode = overrides.to_vec();
    with_mode.push(Override {
        path: FieldPath::root().key("mode"),
        value: "sync".into(),
    });
    let mut twin = Scenario::load(file, &with_mode)?;
    twin.name = format!("{}-sync", twin.name);
    Ok(twin)
}
