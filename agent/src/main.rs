use clap::Parser;
use cloudradar_agent::cli::{Cli, Command};
use cloudradar_agent::decode_cmd;
use cloudradar_shared::cpr::Position;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode {
            format,
            lat,
            lon,
            input,
        } => {
            let reference = lat.zip(lon).map(|(lat, lon)| Position { lat, lon });
            decode_cmd::run(&input, format, reference)
        }
    }
}
