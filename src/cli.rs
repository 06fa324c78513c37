//! The command line: clap definitions, commands, and the mapping from
//! errors to exit codes (0 ok, 1 run failed, 2 bad input).

mod compare;
mod decide;
mod example;
mod examples;
mod fit;
mod merge;
mod plan;
mod plot;
mod progress;
mod run;
mod schema;
mod sweep;
mod validate;

use clap::{Parser, Subcommand};
use mqsim::scenario::{Override, ScenarioError};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// mqsim: measure queues instead of arguing about them.
#[derive(Debug, Parser)]
#[command(name = "mqsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: print a summary, write summary.json, timeseries.csv, charts and report.html.
    Run(run::RunArgs),
    /// Check a scenario and print it with every default written out.
    Validate(validate::ValidateArgs),
    /// Run several scenarios and show them side by side.
    Compare(compare::CompareArgs),
    /// Run every combination of --vary values, in parallel, resumable and shardable.
    Sweep(sweep::SweepArgs),
    /// Find the cheapest --vary values that meet every --slo.
    Plan(plan::PlanArgs),
    /// Join the results of sweep shards.
    Merge(merge::MergeArgs),
    /// Redraw the charts and report.html of saved results.
    Plot(plot::PlotArgs),
    /// Weigh every way to connect producer and consumers on a workload: ranked, with the six-line decision.
    Decide(decide::DecideArgs),
    /// Fit a scenario to a delivery log from your own system.
    Fit(fit::FitArgs),
    /// List or print the shipped scenarios (built into the binary).
    Example(example::ExampleArgs),
    /// Write a commented starting scenario (or a shipped one) to edit.
    Init(example::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(example::CompletionsArgs),
    /// Print the manual page (roff), generated from these definitions.
    Man,
    /// Print the JSON Schema of scenario files, for editors to complete and check them.
    Schema(schema::SchemaArgs),
}

/// Input the user must fix (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Parses the process arguments, runs the command, prints any error and
/// returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::Compare(args) => compare::compare(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Plan(args) => plan::plan(args),
        Command::Merge(args) => merge::merge(args),
        Command::Plot(args) => plot::plot(args),
        Command::Decide(args) => decide::decide(args),
        Command::Fit(args) => fit::fit(args),
        Command::Example(args) => example::example(args),
        Command::Init(args) => example::init(args),
        Command::Completions(args) => example::completions(args),
        Command::Man => example::man(),
        Command::Schema(args) => schema::schema(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let bad_input = err.downcast_ref::<ScenarioError>().is_some()
                || err.downcast_ref::<BadInput>().is_some()
                || err
                    .downcast_ref::<mqsim::report::ReportError>()
                    .is_some_and(mqsim::report::ReportError::is_bad_input);
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// Scenario file and overrides shared by commands.
#[derive(Debug, clap::Args)]
struct ScenarioArgs {
    /// Scenario file (.toml or .json).
    scenario: PathBuf,
    /// Override a field: --set groups.email.workers=8 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl ScenarioArgs {
    fn overrides(&self) -> Result<Vec<Override>, BadInput> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| BadInput(format!("--set {s}: {e}"))))
            .collect()
    }
}

/// `--jobs`: 0 (one per core) to [`mqsim::experiment::MAX_JOBS`].
fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new()
        .range(0..=mqsim::experiment::MAX_JOBS as u64)
}

/// Writes to stdout; a closed pipe (`mqsim ... | head`) is not an error.
fn print(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
