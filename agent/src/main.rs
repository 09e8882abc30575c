use cloudradar_agent::cli::{self, Command};
use cloudradar_agent::config::LogFormat;
use cloudradar_agent::{app, decode_cmd};
use cloudradar_shared::cpr::Position;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let (cli, matches) = cloudradar_shared::settings::parse::<cli::Cli>();
    if let Some(Command::Decode {
        format,
        ref_lat,
        ref_lon,
        input,
    }) = &cli.command
    {
        let reference = ref_lat
            .zip(*ref_lon)
            .map(|(lat, lon)| Position { lat, lon });
        return decode_cmd::run(input, *format, reference);
    }
    let config = cli.load_config(&matches)?;
    if cli.check_config {
        print!("{}", config.to_toml_masked());
        return Ok(());
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    let metrics = cloudradar_agent::telemetry::init_metrics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let cancel = CancellationToken::new();
        let signal = cancel.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: flushing the current batch");
            signal.cancel();
        });
        app::run(config, metrics, cancel).await
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
