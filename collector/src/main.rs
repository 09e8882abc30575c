use clap::{Parser, Subcommand};
use cloudradar_collector::config::{Config, Overrides};
use cloudradar_collector::{app, telemetry};
use tokio_util::sync::CancellationToken;

/// CloudRadar collector: MQTT in, Redis buffer, SQLite store, HTTP API.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-collector", version, about)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the collector (the default).
    Serve,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&cli.overrides)?;
    if cli.check_config {
        print!("{}", config.to_toml_masked());
        return Ok(());
    }
    telemetry::init_logging(config.log_format);
    let metrics = telemetry::init_metrics();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let cancel = CancellationToken::new();
            let running = app::start(config, metrics, cancel.clone()).await?;
            shutdown_signal().await;
            tracing::info!("shutting down");
            cancel.cancel();
            running.wait().await;
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
