//! `mqsim schema`: the JSON Schema of scenario files, for editors.

use super::print;
use std::path::PathBuf;

/// Arguments of `mqsim schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Write the schema to this file (atomically) instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn schema(args: SchemaArgs) -> anyhow::Result<()> {
    let text = mqsim::scenario::scenario_schema_text();
    match args.out {
        None => print(&text),
        Some(path) => {
            mqsim::report::write_atomic(&path, text.as_bytes())?;
            print(&mqsim::report::wrote(&[path]))
        }
    }
}
