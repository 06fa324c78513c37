//! `mqsim run`.

use super::{ScenarioArgs, print, progress};
use mqsim::experiment::Experiment;
use mqsim::report;
use mqsim::scenario::{FieldPath, Override, Scenario};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `mqsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Output folder (default: output/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed (same as --set seed=N).
    #[arg(long)]
    seed: Option<u64>,
    /// Replications (same as --set replications=N).
    #[arg(long)]
    replications: Option<u32>,
    /// Print summary.json to stdout instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut overrides = args.scenario.overrides()?;
    let field = |name: &str, value: serde_json::Value| Override {
        path: FieldPath::root().key(name),
        value,
    };
    if let Some(seed) = args.seed {
        overrides.push(field("seed", seed.into()));
    }
    if let Some(n) = args.replications {
        overrides.push(field("replications", n.into()));
    }
    let scenario = Scenario::load(&args.scenario.scenario, &overrides)?;
    let progress = std::sync::Arc::default();
    let total = u64::from(scenario.replications) * scenario.system.horizon.as_nanos();
    let watch = progress::Watch::start(
        &format!("run {}", scenario.name),
        total,
        Arc::clone(&progress),
    );
    let experiment = Experiment::run_watched(&scenario, &progress);
    drop(watch);
    let experiment = experiment?;
    let dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.name));
    let mut set = report::OutputSet::open(&dir, "run", report::Mode::Replace)?;
    report::write_run(&mut set, &scenario, &experiment)?;
    let written = set.commit()?;
    if args.json {
        print(&report::summary_json(&scenario, &experiment)?)?;
    } else {
        let mut text = report::table(&scenario, &experiment);
        for path in written {
            text.push_str(&format!("wrote {}\n", path.display()));
        }
        print(&text)?;
    }
    Ok(())
}
