//! `mqsim example`, `mqsim init`, `mqsim completions` and `mqsim man`:
//! what a tool installed with `cargo install` needs besides the binary.

use super::examples::EXAMPLES;
use super::{BadInput, Cli, print};
use clap::CommandFactory;
use mqsim::scenario::edit_distance;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `mqsim example`.
#[derive(Debug, clap::Args)]
pub struct ExampleArgs {
    #[command(subcommand)]
    action: ExampleAction,
}

#[derive(Debug, clap::Subcommand)]
enum ExampleAction {
    /// List the shipped scenarios with the question each answers.
    List,
    /// Print a shipped scenario (its answer is in its comments).
    Show {
        /// The scenario's name, as `list` prints it.
        name: String,
    },
}

/// Arguments of `mqsim init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The scenario's name: `NAME.toml` is written in the current folder
    /// (or at --out).
    name: String,
    /// Start from this shipped scenario instead of the commented template.
    #[arg(long)]
    from: Option<String>,
    /// Where to write the file (default: NAME.toml).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Arguments of `mqsim completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: clap_complete::Shell,
}

/// The commented starting file `mqsim init` writes.
const TEMPLATE: &str = r#"# Question: what question does this scenario answer? Write it here, run it
# (`mqsim run NAME.toml`), and write the answer under it.
description = "NAME"
seed = 1
horizon = "10m"
# How often a time-series row is recorded.
sample_interval = "1s"
# Independent runs with different random draws: means get intervals.
replications = 5

[topic]
# preset = "rabbitmq"   # a broker's documented semantics: kafka, rabbitmq,
#                       # sqs, sqs_fifo, nats_core, nats_jetstream,
#                       # redis_streams, pulsar, postgres_queue, outbox,
#                       # in_process (`mqsim example show presets/kafka`)
# Ready messages each group's buffer holds (unbounded when absent).
capacity = 10000
# When full: "reject", "drop_oldest", { block = { max_block = "2s" } }
# or { spill = { disk_capacity = 100000 } }.
policy = "reject"
delivery = "at_least_once"
# Dead-letter after this many deliveries.
max_deliveries = 5

[producers.app]
# Poisson arrivals; also constant, burst, on_off, mmpp, schedule,
# sinusoidal, batch and trace (a CSV of timestamps).
arrival = { poisson = { rate_per_s = 100 } }

[groups.workers]
workers = 8
# Any distribution: constant, uniform, exponential, erlang, gamma,
# lognormal (p50/p99), hyperexponential, empirical (a CSV column).
service = { lognormal = { p50 = "50ms", p99 = "400ms" } }
# A share of deliveries fails and is redelivered.
failure_probability = 0.01
"#;

pub fn example(args: ExampleArgs) -> anyhow::Result<()> {
    match args.action {
        ExampleAction::List => {
            let width = EXAMPLES.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            let mut out = String::new();
            for (name, text) in EXAMPLES {
                let _ = writeln!(out, "{name:<width$}  {}", question(text));
            }
            print(&out)
        }
        ExampleAction::Show { name } => print(find(&name)?),
    }
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let text = match &args.from {
        Some(from) => find(from)?.to_owned(),
        None => TEMPLATE.replace("NAME", &args.name),
    };
    let path = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.toml", args.name)));
    // Never over an existing file.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BadInput(format!(
                "{} exists; mqsim init never overwrites a file (give --out another path)",
                path.display()
            ))
            .into());
        }
        Err(e) => return Err(anyhow::anyhow!("cannot write {}: {e}", path.display())),
    };
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    print(&format!(
        "wrote {}\nrun it: mqsim run {}\n",
        path.display(),
        path.display()
    ))
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "mqsim", &mut out);
    print(&String::from_utf8_lossy(&out))
}

pub fn man() -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    print(&String::from_utf8_lossy(&out))
}

/// The shipped scenario `name`, or a bad-input error with the closest.
fn find(name: &str) -> anyhow::Result<&'static str> {
    let name = name
        .trim_end_matches(".toml")
        .trim_start_matches("scenarios/");
    if let Some((_, text)) = EXAMPLES.iter().find(|(n, _)| *n == name) {
        return Ok(text);
    }
    let closest = (EXAMPLES.iter())
        .map(|(n, _)| (edit_distance(name, n), *n))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, n)| format!("; did you mean \"{n}\"?"))
        .unwrap_or_default();
    Err(BadInput(format!(
        "no shipped scenario named \"{name}\"{closest} (`mqsim example list` lists them)"
    ))
    .into())
}

/// The question a scenario's comments open with, else its description.
fn question(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("# Question:"))
        .map(str::trim);
    if let Some(first) = first {
        // The question runs on over comment lines until a blank one or
        // the answer; only its first sentence is listed.
        let mut q = first.to_owned();
        for l in lines {
            let Some(more) = l.strip_prefix('#') else {
                break;
            };
            let more = more.trim();
            if more.is_empty() || more.starts_with("Answer") {
                break;
            }
            q.push(' ');
            q.push_str(more);
        }
        let mut chars = first_sentence(&q).chars().collect::<Vec<_>>();
        if let Some(c) = chars.first_mut() {
            *c = c.to_ascii_uppercase();
        }
        return chars.into_iter().collect();
    }
    (text.lines())
        .find_map(|l| l.strip_prefix("description = "))
        .map_or_else(String::new, |d| d.trim_matches('"').to_owned())
}

/// Up to the first `?` or `. `, at most 110 characters.
fn first_sentence(q: &str) -> String {
    let end = q
        .find('?')
        .map(|i| i + 1)
        .or_else(|| q.find(". ").map(|i| i + 1))
        .unwrap_or(q.len());
    let s = &q[..end];
    if s.chars().count() > 110 {
        let cut: String = s.chars().take(109).collect();
        format!("{cut}…")
    } else {
        s.to_owned()
    }
}
