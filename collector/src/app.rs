//! The collector as a list of components (see [`crate::component`]),
//! started in order under one shutdown token and task tracker, so
//! shutdown is orderly: HTTP first (so `/healthz` answers from the first
//! second), then the store, backups, the archive, the disk watch, the broker, the
//! confirmations, receiver status, and the buffer with the processing
//! loop, which starts the subscriber once batches can be stored.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use cloudradar_shared::wire::Limits;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

use crate::archive::Archive;
use crate::archive::spool::Spool;
use crate::backup::{self, Backups};
use crate::broker;
use crate::buffer::redis;
use crate::component::{Component, Tasks};
use crate::config::Config;
use crate::confirm::Confirmations;
use crate::health::Health;
use crate::http::{self, AppState};
use crate::ingest::{self, Subscriber};
use crate::mlat::{Mlat, MlatOptions};
use crate::pipeline::{BufferChoice, Pipeline, Processing, Shared};
use crate::process::{Clocks, Processor, ReceiverPositions};
use crate::store::{self, CommitFeed, Reader, Startup, Writer, WriterHandle};
use crate::{disk, status};

/// A running collector.
#[derive(Debug)]
pub struct Running {
    /// Where the HTTP server listens.
    pub http_addr: SocketAddr,
    tasks: Tasks,
    writer: Writer,
}

impl Running {
    /// Waits for every task to end after the token was cancelled.
    pub async fn wait(self) {
        self.tasks.tracker.close();
        self.tasks.tracker.wait().await;
        // Every writer handle is gone once the tasks ended.
        tokio::task::spawn_blocking(move || self.writer.join())
            .await
            .ok();
    }
}

/// Starts everything; returns once the HTTP server is bound.
pub async fn start(
    config: Config,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
) -> anyhow::Result<Running> {
    let tasks = Tasks::new(cancel);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let backups = Backups::from_config(&config).await.map(Arc::new);
    let health = Health::new(config.redis_url.is_some());
    let shared = Shared {
        snapshot: Arc::new(RwLock::new(Default::default())),
        health: health.clone(),
    };
    let http_addr = http::Server {
        listen: config.http_listen,
        router: router(&config, &shared, &backups, metrics),
    }
    .start(&tasks)
    .await?;
    // The archive's spool follows the writer's commits.
    let archive = Archive::from_config(&config).await;
    let spool = archive
        .as_ref()
        .map(|_| {
            Spool::start(
                Archive::spool_dir(&config),
                config.database_path(),
                config.archive_shard.clone(),
            )
        })
        .transpose()?;
    let feed = spool.as_ref().map(|(_, feed)| feed.clone());
    let (writer, writer_handle, startup) = open_store(&config, backups.as_deref(), feed).await?;
    if let Some(b) = backups.filter(|_| config.backup_interval_hours > 0) {
        let every = Duration::from_secs(config.backup_interval_hours * 3600);
        backup::Schedule { backups: b, every }.start(&tasks).await?;
    }
    if let (Some(archive), Some((spool, _))) = (archive, spool) {
        archive.with_spool(spool).start(&tasks).await?;
    }
    let dir = config.data_dir.clone();
    disk::Watch { dir }.start(&tasks).await?;
    let (hold_tx, hold) = tokio::sync::watch::channel(false);
    let config_copy = config.clone();
    let broker = broker::Endpoint {
        config: config_copy,
        hold,
    }
    .start(&tasks)
    .await?;
    let settings = subscriber_settings(&config);
    let limits = settings.limits;
    let (subscriber, intake) =
        Subscriber::new(broker.connection, settings, broker.open, hold_tx, health);
    let client = intake.acker.client().clone();
    let confirmer = Confirmations { client }.start(&tasks).await?;
    let positions: ReceiverPositions = Arc::new(RwLock::new(startup.receiver_positions));
    let clocks = Clocks::default();
    status::Recorder {
        updates: intake.status,
        clocks: clocks.clone(),
        positions: positions.clone(),
        writer: writer_handle.clone(),
    }
    .start(&tasks)
    .await?;
    let mut processor = Processor::new(startup.last_message_id, config.dedup_window_ms, positions)
        .with_applied(startup.recently_applied)
        .with_clocks(clocks)
        .with_site(config.site());
    if config.mlat {
        processor = processor.with_mlat(Mlat::new(MlatOptions::default()));
    }
    let pipeline = Pipeline {
        confirmer,
        processor,
        writer: writer_handle,
        limits,
        shared,
    };
    Processing {
        pipeline,
        buffer: buffer_choice(&config),
        subscriber,
        queue: intake.queue,
        acker: intake.acker,
    }
    .start(&tasks)
    .await?;
    Ok(Running {
        http_addr,
        tasks,
        writer,
    })
}

fn subscriber_settings(config: &Config) -> ingest::subscriber::Settings {
    ingest::subscriber::Settings {
        limits: Limits {
            max_encoded: config.max_batch_bytes,
            ..Limits::default()
        },
        queue_capacity: config.queue_capacity,
        receiver_max_frames_per_s: config.receiver_max_frames_per_s,
    }
}

fn router(
    config: &Config,
    shared: &Shared,
    backups: &Option<Arc<Backups>>,
    metrics: Option<PrometheusHandle>,
) -> axum::Router {
    http::router(AppState {
        shared: shared.clone(),
        reader: Reader::new(config.database_path(), config.http_max_history_queries),
        metrics,
        auth: Arc::new(http::Auth::new(
            &config.http_auth_tokens,
            &config.http_basic_users,
            config.http_public_read,
        )),
        backups: backups.clone(),
        gzip: Default::default(),
    })
}

/// Restores the latest backup if the database is missing (and
/// `restore_on_start`), then starts the writer and reads what the
/// processor resumes from.
async fn open_store(
    config: &Config,
    backups: Option<&Backups>,
    feed: Option<CommitFeed>,
) -> anyhow::Result<(Writer, WriterHandle, Startup)> {
    let db = config.database_path();
    if let Some(b) = backups
        && config.restore_on_start
        && !db.exists()
    {
        backup::restore_if_missing(b).await?;
    }
    let (writer, handle) = Writer::start(
        db.clone(),
        config.flight_gap_s as i64 * 1000,
        config.retention(),
        config.sqlite_max_bytes,
        feed,
    )?;
    let startup = Startup::read(&store::open(&db)?)?;
    Ok((writer, handle, startup))
}

/// The Redis stream when `redis_url` is set, else the embedded queue.
fn buffer_choice(config: &Config) -> BufferChoice {
    match &config.redis_url {
        None => BufferChoice::Embedded,
        Some(url) => BufferChoice::Redis(redis::Settings {
            url: url.clone(),
            stream: config.redis_stream.clone(),
            maxlen: config.redis_maxlen,
            consumer: format!("collector-{}", hostname()),
        }),
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into())
}
