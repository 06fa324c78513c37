//! `mqsim fit`.

use super::{BadInput, print};
use mqsim::fit::{Fit, read_log};
use mqsim::report;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `mqsim fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// The delivery log: a CSV with id, created, delivered, done, outcome
    /// (ack, fail or dead), and optionally key and worker; times in seconds.
    log: PathBuf,
    /// Output folder for fitted.toml and the CSV files it reads.
    #[arg(long)]
    out: PathBuf,
}

pub fn fit(args: FitArgs) -> anyhow::Result<()> {
    let rows = read_log(&args.log).map_err(|e| BadInput(e.to_string()))?;
    let fit = Fit::of(&rows);
    let name = args.log.display().to_string();
    let mut set = report::OutputSet::open(&args.out, "fit", report::Mode::Replace)?;
    for (file, text) in fit.files(&name) {
        set.write(file, text.as_bytes())?;
    }
    let written = set.commit()?;
    let mut out = format!(
        "fitted {name}: {} deliveries of {} messages over {:.1} s\n",
        fit.deliveries, fit.messages, fit.span_s
    );
    let _ = writeln!(
        out,
        "  arrivals          {:.3}/s (gaps' cv {:.3})",
        fit.rate_per_s, fit.gap_cv
    );
    let _ = writeln!(
        out,
        "  workers           {}{}",
        fit.workers,
        if fit.workers_named { "" } else { " (at least)" }
    );
    for (label, values) in [
        ("service", &fit.service),
        ("overhead", &fit.overhead),
        ("hand-off", &fit.handoff),
    ] {
        let _ = writeln!(out, "  {label:<17} {}", describe(values));
    }
    let _ = writeln!(out, "  failure share     {:.4}", fit.failure_share);
    let _ = writeln!(
        out,
        "  dead-lettered     {}{}",
        fit.dead,
        fit.max_deliveries
            .map(|m| format!(" (after at most {m} deliveries)"))
            .unwrap_or_default()
    );
    if fit.unfinished > 0 {
        let _ = writeln!(
            out,
            "  unfinished        {} (neither acked nor dead-lettered in the log)",
            fit.unfinished
        );
    }
    for path in written {
        let _ = writeln!(out, "wrote {}", path.display());
    }
    print(&out)
}

/// Count, mean and two quantiles of `values` (seconds) in milliseconds.
fn describe(values: &[f64]) -> String {
    if values.is_empty() {
        return "none in the log".to_owned();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at =
        |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    format!(
        "{} samples, mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
        sorted.len(),
        sorted.iter().sum::<f64>() / sorted.len() as f64 * 1000.0,
        at(0.5) * 1000.0,
        at(0.99) * 1000.0
    )
}
