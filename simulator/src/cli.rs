//! The `cloudradar-sim` command line: the scenario settings of
//! [`Config`](crate::config::Config) as flags, `--config` and
//! `--check-config`.

use std::path::PathBuf;

use clap::{ArgMatches, Parser};

use crate::config::Config;

/// CloudRadar simulator: realistic air traffic as bit-exact Mode S frames,
/// served on Beast/AVR TCP ports like a real receiver.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-sim", version, about)]
pub struct Cli {
    /// Scenario file (TOML); its keys are the settings' names below with
    /// `_` for `-` (`--receivers` is `receiver_count`), plus the
    /// `receivers`, `noise` and `events` tables.
    #[arg(long, env = "CLOUDRADAR_SIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective scenario (secrets masked) and exit.
    #[arg(long)]
    pub check_config: bool,
    /// The settings as given here and in the environment, defaults for the
    /// rest; [`Cli::load_config`] puts the scenario file underneath.
    #[command(flatten, next_help_heading = "Settings")]
    pub settings: Config,
}

impl Cli {
    /// The effective scenario: the defaults, the scenario file, then what
    /// `matches` (this command line) set by flag or environment.
    pub fn load_config(&self, matches: &ArgMatches) -> anyhow::Result<Config> {
        Config::load(self.config.as_deref(), matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The README's sim table is the one the code renders, and every
    /// option and subcommand in `--help` says what it does.
    #[test]
    fn readme_and_help_match_the_settings() {
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let checked = cloudradar_shared::settings::docs::check_binary::<Config>(
            &readme,
            "sim",
            &Cli::command(),
        );
        if let Err(e) = checked {
            panic!("{e}");
        }
    }
}
