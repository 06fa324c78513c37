//! `mqsim validate`.

use super::{ScenarioArgs, print};
use crate::scenario::Scenario;

/// Arguments of `mqsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

pub fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario.scenario, &args.scenario.overrides()?)?;
    let text = toml::to_string(&scenario.normalised)?;
    print(&format!(
        "# {}: valid\n{text}",
        args.scenario.scenario.display()
    ))
}
