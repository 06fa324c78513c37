//! `mqsim decide`.

use super::{BadInput, print};
use mqsim::decide::report as decide_report;
use mqsim::decide::{DecideError, decide as weigh, work_bound};
use mqsim::report::{Mode, OutputSet, write_page, wrote};
use mqsim::scenario::workload::Workload;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `mqsim decide`.
#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// Workload file (.toml or .json): arrivals, consumers, story, objectives.
    workload: PathBuf,
    /// One more objective on a decide measure: "e2e.p99 < 30s", "lost == 0" (repeatable).
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    slo: Vec<String>,
    /// Judge each objective at the worse end of its 95% interval, not at
    /// the mean (an alternative whose replications disagree fails).
    #[arg(long)]
    at_bound: bool,
    /// Output folder (default: output/decide-<workload>).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn decide(args: DecideArgs) -> anyhow::Result<()> {
    let workload = Workload::load(&args.workload)?;
    let progress = Arc::default();
    let label = format!("decide {}", workload.name);
    let watch = super::progress::Watch::start(&label, work_bound(&workload), Arc::clone(&progress));
    let decision = weigh(&workload, &args.slo, args.at_bound, &progress);
    drop(watch);
    let decision = decision.map_err(|e| match e {
        DecideError::Input(e) => anyhow::Error::new(e),
        DecideError::Objective(m) => BadInput(format!("--slo: {m}")).into(),
        run @ DecideError::Run(..) => anyhow::Error::new(run),
    })?;
    let dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(format!("decide-{}", workload.name)));
    let mut set = OutputSet::open(&dir, "decide", Mode::Replace)?;
    set.write("decision.json", decide_report::json(&decision).as_bytes())?;
    for row in &decision.rows {
        let text = row.scenario.normalised_toml().unwrap_or_default();
        let header = format!(
            "# The {} alternative of mqsim decide {}: run it alone with\n#   mqsim run <this file>\n",
            row.alternative.name(),
            workload.file.display()
        );
        set.write(
            &format!("alternative-{}.toml", row.alternative.name()),
            (header + &text).as_bytes(),
        )?;
    }
    let charts = decide_report::charts(&decision)?;
    write_page(&mut set, &charts, &decide_report::html(&decision, &charts))?;
    let written = set.commit()?;
    print(&(decide_report::table(&decision) + &wrote(&written)))
}
