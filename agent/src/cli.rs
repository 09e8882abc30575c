//! The `cloudradar-agent` command line.

use clap::{Parser, Subcommand};

use crate::config::Overrides;
use crate::decode_cmd::InputFormat;

/// CloudRadar edge agent: reads a receiver, checks and batches its frames,
/// and forwards them to the collector over MQTT.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-agent", version, about)]
pub struct Cli {
    /// Settings (for `run`, the default).
    #[command(flatten)]
    pub overrides: Overrides,
    /// Print the effective configuration (password masked) and exit.
    #[arg(long)]
    pub check_config: bool,
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
