//! The `cloudradar-collector` command line: the settings of
//! [`Config`](crate::config::Config) as flags, `--config`, `--check-config`
//! and the subcommands.

use std::path::PathBuf;

use clap::{ArgMatches, Parser, Subcommand};

use crate::config::Config;

/// CloudRadar collector: MQTT in, Redis buffer, SQLite store, HTTP API.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-collector", version, about)]
pub struct Cli {
    /// TOML configuration file; its keys are the settings' names below
    /// with `_` for `-`.
    #[arg(long, env = "CLOUDRADAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub check_config: bool,
    /// The settings as given here and in the environment, defaults for the
    /// rest; [`Cli::load_config`] puts the file underneath.
    #[command(flatten, next_help_heading = "Settings")]
    pub settings: Config,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector (the default).
    Serve,
    /// Back up the database to S3 now (safe while the collector runs).
    Backup,
    /// Restore the database from S3 (stop the collector first).
    Restore {
        /// The newest backup taken on or before this date (YYYY-MM-DD).
        #[arg(long, conflicts_with = "latest")]
        at: Option<String>,
        /// The newest backup (the default).
        #[arg(long)]
        latest: bool,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// List the backups in the bucket.
    Backups,
    /// Write every hour that is due to the Parquet archive now, and print
    /// what was written (safe while the collector runs).
    Archive {
        /// Also the hours not yet due, the current one included (before a
        /// collector is retired); rows arriving later for those hours go
        /// into a further file of the hour.
        #[arg(long)]
        all: bool,
    },
}

impl Cli {
    /// The effective configuration: the defaults, the `--config` file, then
    /// what `matches` (this command line) set by flag or environment.
    pub fn load_config(&self, matches: &ArgMatches) -> anyhow::Result<Config> {
        Config::load(self.config.as_deref(), matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The README's collector table is the one the code renders, and every
    /// option and subcommand in `--help` says what it does.
    #[test]
    fn readme_and_help_match_the_settings() {
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let checked = cloudradar_shared::settings::docs::check_binary::<Config>(
            &readme,
            "collector",
            &Cli::command(),
        );
        if let Err(e) = checked {
            panic!("{e}");
        }
    }
}
