//! The `cloudradar-agent` command line.

use clap::{Parser, Subcommand};

use crate::decode_cmd::InputFormat;

/// CloudRadar edge agent: reads a receiver, checks and batches its frames,
/// and forwards them to the collector over MQTT.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-agent", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a recording (Beast, AVR or CSV) to JSON lines on stdout.
    Decode {
        /// Input format; guessed from the first bytes when omitted.
        #[arg(long, value_enum)]
        format: Option<InputFormat>,
        /// Receiver latitude, degrees: enables local CPR decoding.
        #[arg(long, requires = "lon", allow_hyphen_values = true)]
        lat: Option<f64>,
        /// Receiver longitude, degrees.
        #[arg(long, requires = "lat", allow_hyphen_values = true)]
        lon: Option<f64>,
        /// File to read, or `-` for stdin.
        #[arg(default_value = "-")]
        input: String,
    },
}
