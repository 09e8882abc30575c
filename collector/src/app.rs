//! Wires the collector together: broker, ingest, buffer, processing,
//! store and HTTP, all owned by one cancellation token and task tracker so
//! shutdown is orderly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use cloudradar_shared::wire::{Limits, State};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::broker;
use crate::buffer::redis::RedisBuffer;
use crate::config::Config;
use crate::confirm::Confirmer;
use crate::health::Health;
use crate::http::{self, AppState};
use crate::ingest::{self, Connection, StatusUpdate};
use crate::pipeline::{Loops, Shared, now_ms};
use crate::process::{Processor, ReceiverPositions};
use crate::store::{self, Reader, StatusRow, Writer};
use cloudradar_shared::cpr::Position;

/// A running collector.
#[derive(Debug)]
pub struct Running {
    /// Where the HTTP server listens.
    pub http_addr: SocketAddr,
    tracker: TaskTracker,
    writer: Writer,
}

impl Running {
    /// Waits for every task to end after the token was cancelled.
    pub async fn wait(self) {
        self.tracker.close();
        self.tracker.wait().await;
        // Every writer handle is gone once the tasks ended.
        tokio::task::spawn_blocking(move || self.writer.join())
            .await
            .ok();
    }
}

fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Starts everything; returns once the HTTP server is bound.
pub async fn start(
    config: Config,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let db = config.database_path();
    let backups = crate::backup::Backups::from_config(&config)
        .await
        .map(Arc::new);
    let health = Health::new(config.redis_url.is_some());
    let shared = Shared {
        snapshot: Arc::new(RwLock::new(Default::default())),
        health: health.clone(),
    };
    let tracker = TaskTracker::new();
    // First, so /healthz answers while a backup is restored or Redis is
    // awaited (/readyz says not ready until batches can be stored).
    let app = http::router(AppState {
        shared: shared.clone(),
        reader: Reader::new(db.clone(), config.http_max_history_queries),
        metrics,
        auth: std::sync::Arc::new(http::Auth::new(
            &config.http_auth_tokens,
            &config.http_basic_users,
            config.http_public_read,
        )),
        backups: backups.clone(),
        gzip: Default::default(),
    });
    let http_addr = serve_http(config.http_listen, app, &tracker, &cancel).await?;
    if let Some(b) = &backups
        && config.restore_on_start
        && !db.exists()
    {
        restore_on_start(b).await?;
    }
    let (writer, writer_handle) = Writer::start(
        db.clone(),
        config.flight_gap_s as i64 * 1000,
        config.retention(),
        config.sqlite_max_bytes,
    )?;
    let conn = store::open(&db)?;
    let last_id: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| {
        r.get(0)
    })?;
    let positions: ReceiverPositions = Arc::new(RwLock::new(known_receiver_positions(&conn)?));
    let applied = recently_applied(&conn)?;
    drop(conn);
    let clocks = crate::process::Clocks::default();
    let processor = Processor::new(last_id, config.dedup_window_ms, positions.clone())
        .with_applied(applied)
        .with_clocks(clocks.clone());
    let limits = Limits {
        max_encoded: config.max_batch_bytes,
        ..Limits::default()
    };
    if let Some(b) = backups.clone().filter(|_| config.backup_interval_hours > 0) {
        let every = std::time::Duration::from_secs(config.backup_interval_hours * 3600);
        let stop = cancel.clone();
        tracker.spawn(async move { b.schedule(every, stop).await });
    }

    // Broker: embedded unless an external one is configured.
    let broker_open = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Set while the ingest queue is nearly full: the gate stops reading from receivers.
    let (hold_tx, hold_rx) = tokio::sync::watch::channel(false);
    let connection = match &config.mqtt_url {
        Some(url) => Connection {
            shared: config.mqtt_shared_subscription,
            ..Connection::from_url(
                url,
                config
                    .mqtt_username
                    .clone()
                    .zip(config.mqtt_password.clone()),
            )?
        },
        None => {
            let credentials = if config.allow_anonymous {
                None
            } else {
                Some(match &config.credentials_file {
                    Some(p) => broker::load_credentials(p)?,
                    None => HashMap::new(),
                })
            };
            let internal_password = random_secret();
            let access = broker::Access {
                internal_password: internal_password.clone(),
                credentials,
                open: broker_open.clone(),
            };
            let internal_credentials = Some((broker::INTERNAL_USER.to_string(), internal_password));
            let tls = match (
                config.mqtt_tls_listen,
                &config.mqtt_tls_cert_file,
                &config.mqtt_tls_key_file,
            ) {
                (Some(listen), Some(cert), Some(key)) => Some(broker::TlsListener {
                    listen,
                    cert_file: cert.display().to_string(),
                    key_file: key.display().to_string(),
                }),
                _ => None,
            };
            let internal = broker::start(
                config.mqtt_listen,
                tls,
                access,
                config.max_batch_bytes,
                hold_rx.clone(),
                &tracker,
                &cancel,
            )
            .await?;
            if let Some(t) = config.mqtt_tls_listen {
                tracing::info!(listen = %t, "embedded MQTT broker: TLS listener");
            }
            tracing::info!(listen = %config.mqtt_listen, anonymous = config.allow_anonymous, %internal, "embedded MQTT broker started");
            Connection {
                host: internal.ip().to_string(),
                port: internal.port(),
                credentials: internal_credentials,
                // rumqttd 0.20 panics when a shared-subscription member disconnects.
                shared: false,
                external: false,
            }
        }
    };

    let (client, eventloop) = ingest::connect(&connection, "cloudradar-collector");
    let acker = ingest::Acker::new(client);
    let confirmer = Confirmer::start(acker.client().clone(), &tracker, cancel.clone());
    let (queue_tx, queue_rx) = mpsc::channel(config.queue_capacity.max(1));
    tracker.spawn(ingest::backpressure::run(
        queue_tx.clone(),
        hold_tx,
        cancel.clone(),
    ));
    metrics::gauge!("cloudradar_collector_queue_capacity").set(config.queue_capacity.max(1) as f64);
    let (status_tx, mut status_rx) = mpsc::channel::<StatusUpdate>(1000);
    tracker.spawn(crate::disk::run(config.data_dir.clone(), cancel.clone()));
    let subscriber = ingest::run(
        acker.clone(),
        eventloop,
        limits,
        connection.clone(),
        ingest::Outputs {
            queue: queue_tx,
            status: status_tx,
            health: health.clone(),
            subscribed: broker_open,
            rate_limit: ingest::RateLimit::new(config.receiver_max_frames_per_s),
        },
        cancel.clone(),
    );
    let loops = Loops {
        queue: queue_rx,
        acker,
        confirmer,
        processor,
        writer: writer_handle.clone(),
        limits,
        shared: shared.clone(),
        cancel: cancel.clone(),
    };
    match config.redis_url.clone() {
        None => {
            tracker.spawn(subscriber);
            tracker.spawn(loops.run_embedded());
        }
        Some(url) => {
            // Nothing is taken from the broker before Redis answers: the
            // subscriber starts (and the embedded broker opens to
            // receivers) only then, while /healthz answers from the start.
            let (config, health, inner) = (config.clone(), health.clone(), tracker.clone());
            tracker.spawn(async move {
                let consumer = format!("collector-{}", hostname());
                // Two connections: the processor's blocking XREADGROUP must not
                // hold up the writer's XADDs on a shared (multiplexed) one.
                let Some(redis) =
                    connect_redis(&url, &config, &consumer, &health, &loops.cancel).await
                else {
                    return;
                };
                let Some(redis_writer) =
                    connect_redis(&url, &config, &consumer, &health, &loops.cancel).await
                else {
                    return;
                };
                loops.run_redis(redis, redis_writer, &inner);
                inner.spawn(subscriber);
            });
        }
    }

    let status_writer = writer_handle.clone();
    let status_cancel = cancel.clone();
    tracker.spawn(async move {
        while let Some(u) =
            tokio::select! { _ = status_cancel.cancelled() => None, u = status_rx.recv() => u }
        {
            tracing::info!(receiver = %u.receiver, state = ?u.status.state, "receiver status");
            if let (Some(at), Some(sent)) = (u.live_at_ms, u.status.time_ms) {
                clocks.observe(&u.receiver, sent, at);
            }
            let online = u.status.state == State::Online;
            metrics::gauge!("cloudradar_collector_receiver_online", "receiver" => u.receiver.clone())
                .set(if online { 1.0 } else { 0.0 });
            metrics::gauge!("cloudradar_collector_receiver_last_seen_timestamp_seconds", "receiver" => u.receiver.clone())
                .set(now_ms() as f64 / 1000.0);
            let position = u.status.position();
            if position.is_none() && (u.status.lat.is_some() || u.status.lon.is_some()) {
                tracing::warn!(receiver = %u.receiver, lat = ?u.status.lat, lon = ?u.status.lon, "receiver position is not a position on Earth; ignored");
            }
            if let (Some((lat, lon)), Ok(mut p)) = (position, positions.write()) {
                p.insert(u.receiver.clone(), Position { lat, lon });
            }
            status_writer
                .status(StatusRow {
                    receiver: u.receiver,
                    online,
                    lat: position.map(|p| p.0),
                    lon: position.map(|p| p.1),
                    version: u.status.version,
                    time_ms: now_ms() as i64,
                })
                .await;
        }
    });
    drop(writer_handle);

    Ok(Running {
        http_addr,
        tracker,
        writer,
    })
}

/// Binds the HTTP API and serves it on its own runtime (2 workers) on its
/// own thread until cancelled: a worker of the main runtime busy building
/// a snapshot or processing a batch would otherwise hold up the requests
/// queued on it (tens of ms of tail latency every refresh); separate
/// threads are shared by the OS.
async fn serve_http(
    listen: SocketAddr,
    app: axum::Router,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding HTTP on {listen}"))?;
    let http_addr = listener.local_addr()?;
    tracing::info!(%http_addr, "HTTP API listening");
    let http_cancel = cancel.clone();
    let listener = listener.into_std()?;
    let (http_done, http_stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("http-worker")
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    rt.block_on(async move {
                        let draining = http_cancel.clone();
                        let serve = match tokio::net::TcpListener::from_std(listener) {
                            Ok(l) => axum::serve(l, app).with_graceful_shutdown(async move {
                                http_cancel.cancelled().await;
                            }),
                            Err(e) => {
                                tracing::error!(error = %e, "HTTP listener unusable");
                                return;
                            }
                        };
                        // Open live streams and downloads never end by
                        // themselves: they get a few seconds, then are cut.
                        tokio::select! {
                            r = serve => if let Err(e) = r {
                                tracing::error!(error = %e, "HTTP server failed");
                            },
                            _ = async {
                                draining.cancelled().await;
                                tokio::time::sleep(HTTP_DRAIN).await;
                            } => tracing::info!(
                                "HTTP connections still open {HTTP_DRAIN:?} into the shutdown (live streams, downloads): closed"
                            ),
                        }
                    });
                    // Downloads still streaming are cut off.
                    rt.shutdown_timeout(std::time::Duration::from_secs(5));
                }
                Err(e) => tracing::error!(error = %e, "HTTP runtime failed to start"),
            }
            let _ = http_done.send(());
        })
        .context("starting the HTTP thread")?;
    tracker.spawn(async move {
        let _ = http_stopped.await;
    });
    Ok(http_addr)
}

/// The database is missing: restore the newest backup if there is one.
/// A backup that exists but cannot be restored stops the start, so an
/// empty database never silently replaces the history.
async fn restore_on_start(b: &crate::backup::Backups) -> anyhow::Result<()> {
    let found = b
        .list()
        .await
        .context("database missing; looking for a backup to restore (set restore_on_start = false to start empty)")?;
    if found.is_empty() {
        tracing::info!("no database and no backup: starting empty");
        return Ok(());
    }
    b.restore(crate::backup::Which::Latest, false)
        .await
        .context("database missing; restoring the latest backup (set restore_on_start = false to start empty)")?;
    Ok(())
}

/// Each receiver's newest applied batches: what a restart may read again
/// from Redis (entries committed but not yet acknowledged there).
fn recently_applied(conn: &rusqlite::Connection) -> anyhow::Result<Vec<(String, u64)>> {
    const PER_RECEIVER: i64 = 1_000;
    let receivers: Vec<String> = conn
        .prepare("SELECT id FROM receivers")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare(
        "SELECT seq FROM applied_batches WHERE receiver = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let mut out = Vec::new();
    for receiver in receivers {
        let seqs = st.query_map(rusqlite::params![receiver, PER_RECEIVER], |r| {
            r.get::<_, i64>(0)
        })?;
        for seq in seqs {
            out.push((receiver.clone(), seq? as u64));
        }
    }
    Ok(out)
}

/// How long open HTTP connections may go on once shutdown begins.
const HTTP_DRAIN: std::time::Duration = std::time::Duration::from_secs(3);

fn known_receiver_positions(
    conn: &rusqlite::Connection,
) -> anyhow::Result<HashMap<String, Position>> {
    let mut st = conn
        .prepare("SELECT id, lat, lon FROM receivers WHERE lat IS NOT NULL AND lon IS NOT NULL")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Position {
                lat: r.get(1)?,
                lon: r.get(2)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Connects to Redis, retrying until it answers (it may start after us);
/// `None` if the collector stops first.
async fn connect_redis(
    url: &str,
    config: &Config,
    consumer: &str,
    health: &Health,
    cancel: &CancellationToken,
) -> Option<RedisBuffer> {
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        match RedisBuffer::connect(url, &config.redis_stream, consumer, config.redis_maxlen).await {
            Ok(r) => {
                health.set_redis(true);
                return Some(r);
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis not reachable yet; receivers wait until it is");
                tokio::select! {
                    _ = cancel.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
        }
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
