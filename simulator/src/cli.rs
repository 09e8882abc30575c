//! The `cloudradar-sim` command line: the scenario settings of
//! [`Config`](crate::config::Config) as flags, `--config` and
//! `--check-config`.

use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

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

/// The process's command line; prints usage and exits when it is wrong
/// (or asks for `--help`).
pub fn parse() -> (Cli, ArgMatches) {
    let matches = Cli::command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => (cli, matches),
        Err(e) => e.exit(),
    }
}

/// `args` (the program name first) parsed as the command line.
pub fn try_parse_from<I, T>(args: I) -> Result<(Cli, ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command().try_get_matches_from(args)?;
    Ok((Cli::from_arg_matches(&matches)?, matches))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Args;
    use cloudradar_shared::settings::docs;

    /// The README's simulator table is the one the code renders.
    #[test]
    fn readme_table_matches_the_settings() {
        let table = docs::markdown_table(&Config::augment_args(clap::Command::new("sim")));
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        if let Err(e) = docs::check_readme(&readme, "sim", &table) {
            panic!("{e}");
        }
    }

    /// Every option in `--help` says what it does.
    #[test]
    fn help_explains_every_option() {
        assert_eq!(docs::help_stubs(&Cli::command()), Vec::<String>::new());
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
