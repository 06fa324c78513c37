//! `mqsim validate`.

use super::{ScenarioArgs, print};
use mqsim::scenario::Scenario;

/// Arguments of `mqsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

pub fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario.scenario, &args.scenario.overrides()?)?;
    let text = scenario.normalised_toml().map_err(anyhow::Error::msg)?;
    print(&format!(
        "# {}: valid\n{}{text}",
        args.scenario.scenario.display(),
        preset_note(&scenario)
    ))
}

/// Comment lines naming the fields the broker preset filled in.
fn preset_note(scenario: &Scenario) -> String {
    let Some(name) = scenario.preset() else {
        return String::new();
    };
    if scenario.from_preset.is_empty() {
        return format!(
            "# preset \"{name}\" set nothing: the scenario sets every field it would\n"
        );
    }
    let mut note = format!("# preset \"{name}\" set:");
    let mut line = note.len();
    let last = scenario.from_preset.len() - 1;
    for (i, field) in scenario.from_preset.iter().enumerate() {
        let item = if i < last {
            format!("{field},")
        } else {
            field.clone()
        };
        if line + item.len() > 78 {
            note.push_str("\n# ");
            line = 2;
        }
        note.push(' ');
        note.push_str(&item);
        line += item.len() + 1;
    }
    note.push('\n');
    note
}
