//! The `cloudradar-agent` command line: the settings of
//! [`Config`](crate::config::Config) as flags, `--config`, `--check-config`
//! and the subcommands.

use std::path::PathBuf;

use clap::{ArgMatches, Parser, Subcommand};

use crate::config::Config;
use crate::decode_cmd::InputFormat;

/// CloudRadar edge agent: reads a receiver, checks and batches its frames,
/// and forwards them to the collector over MQTT.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-agent", version, about)]
pub struct Cli {
    /// TOML configuration file (default `/etc/cloudradar/agent.toml` if
    /// present); its keys are the settings' names below with `_` for `-`.
    #[arg(long, env = "CLOUDRADAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (password masked) and exit.
    #[arg(long)]
    pub check_config: bool,
    /// The settings (for `run`, the default) as given here and in the
    /// environment, defaults for the rest; [`Cli::load_config`] puts the
    /// file underneath.
    #[command(flatten, next_help_heading = "Settings")]
    pub settings: Config,
    /// What to do (default: run).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent (the default).
    Run,
    /// Decode a recording (Beast, AVR or CSV) to JSON lines on stdout.
    Decode {
        /// Input format; guessed from the first bytes when omitted.
        #[arg(long, value_enum)]
        format: Option<InputFormat>,
        /// Receiver latitude, degrees: enables local CPR decoding.
        #[arg(
            long = "ref-lat",
            alias = "lat",
            requires = "ref_lon",
            allow_hyphen_values = true
        )]
        ref_lat: Option<f64>,
        /// Receiver longitude, degrees.
        #[arg(
            long = "ref-lon",
            alias = "lon",
            requires = "ref_lat",
            allow_hyphen_values = true
        )]
        ref_lon: Option<f64>,
        /// File to read, or `-` for stdin.
        #[arg(default_value = "-")]
        input: String,
    },
}

impl Cli {
    /// The effective configuration: the defaults, the configuration file,
    /// then what `matches` (this command line) set by flag or environment.
    pub fn load_config(&self, matches: &ArgMatches) -> anyhow::Result<Config> {
        Config::load(self.config.as_deref(), matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The README's agent table is the one the code renders, and every
    /// option and subcommand in `--help` says what it does.
    #[test]
    fn readme_and_help_match_the_settings() {
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let checked = cloudradar_shared::settings::docs::check_binary::<Config>(
            &readme,
            "agent",
            &Cli::command(),
        );
        if let Err(e) = checked {
            panic!("{e}");
        }
    }
}
