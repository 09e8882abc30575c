use cloudradar_collector::archive::Archive;
use cloudradar_collector::backup::{Backups, Which, keys};
use cloudradar_collector::cli::{self, Command};
use cloudradar_collector::config::Config;
use cloudradar_collector::{app, telemetry};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (cli, matches) = cloudradar_shared::settings::parse::<cli::Cli>();
    let config = cli.load_config(&matches)?;
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
        Command::Backup => {
            let report = backups(&config).await?.backup().await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Restore {
            at,
            latest: _,
            force,
        } => {
            let which = match at {
                None => Which::Latest,
                Some(d) => Which::AtOrBefore(keys::parse_date_end(&d).ok_or_else(|| {
                    anyhow::anyhow!("--at: expected a date as YYYY-MM-DD, got {d:?}")
                })?),
            };
            let report = backups(&config).await?.restore(which, force).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Archive { all } => {
            let archive = Archive::from_config(&config).await.ok_or_else(|| {
                anyhow::anyhow!("the archive is off (archive = true and backup_bucket are needed)")
            })?;
            let pass = if all {
                archive.pass_all().await?
            } else {
                archive.pass().await?
            };
            println!("{}", serde_json::to_string_pretty(&pass)?);
            Ok(())
        }
        Command::Backups => {
            for (t, key) in backups(&config).await?.list().await? {
                println!("{}\t{key}", t.compact());
            }
            Ok(())
        }
    }
}

async fn backups(config: &Config) -> anyhow::Result<Backups> {
    Backups::from_config(config)
        .await
        .ok_or_else(|| anyhow::anyhow!("backup_bucket is not set (--backup-bucket, CLOUDRADAR_BACKUP_BUCKET or the config file)"))
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
