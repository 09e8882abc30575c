use clap::Parser;
use cloudradar_sim::app;
use cloudradar_sim::config::{Config, Overrides};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// CloudRadar simulator: realistic air traffic as bit-exact Mode S frames,
/// served on Beast/AVR TCP ports like a real receiver.
#[derive(Debug, Parser)]
#[command(name = "cloudradar-sim", version, about)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    /// Print the effective scenario (secrets masked) and exit.
    #[arg(long)]
    check_config: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(&cli.overrides)?;
    if cli.check_config {
        print!("{}", config.to_toml_masked()?);
        return Ok(());
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let cancel = CancellationToken::new();
    let signal = cancel.clone();
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
        signal.cancel();
    });
    app::run(config, cancel).await
}
