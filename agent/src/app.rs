//! Wires the agent: inputs → filter and batcher → spool and publisher,
//! plus the optional local HTTP endpoint. One cancellation token stops
//! the inputs; the batcher flushes, the publisher delivers or spools what
//! is left, then everything ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cloudradar_shared::redact::mask_url_password;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::batch::{self, Stats};
use crate::config::Config;
use crate::filter::Filter;
use crate::identity::{Sequence, receiver_id};
use crate::input::position::Positions;
use crate::input::{self, Spec};
use crate::publish::{self, StatusSource};
use crate::spool::Spool;

/// Runs the agent until `cancel` fires (or every input ended), then
/// flushes and returns.
pub async fn run(
    config: Config,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let id = receiver_id(&config.data_dir, config.receiver_id.as_deref())?;
    let spool = Spool::open(
        &config.data_dir.join("spool"),
        config.spool_max_bytes,
        config.spool_max_age_s,
    )?;
    let sequence = Sequence::open(&config.data_dir, spool.newest().unwrap_or(0))?;
    tracing::info!(receiver = %id, spooled = spool.seqs().len(), "agent starting");
    let settings = publish_settings(&config, &id)?;

    // The local endpoint has its own token: it serves until the pipeline
    // below has finished (delivering or spooling), not only until `cancel`.
    let http_tracker = TaskTracker::new();
    let http_stop = CancellationToken::new();
    let _stop_http_on_error = http_stop.clone().drop_guard();
    if let Some(addr) = config.http_listen {
        crate::http::start(addr, metrics, http_stop.clone(), &http_tracker).await?;
    }

    let tracker = TaskTracker::new();
    let (frames_tx, frames_rx) = mpsc::channel(20_000);
    let positions = start_inputs(&config, &spool, &tracker, frames_tx, &cancel)?;
    let stats = Arc::new(Stats::default());
    let (batches_tx, batches_rx) = mpsc::channel(64);
    tracker.spawn(batch::run(
        batch::Settings {
            receiver_id: id,
            max_frames: config.batch_max_frames,
            interval: Duration::from_millis(config.batch_interval_ms),
        },
        Filter::new(config.dedup_window_ms).with_reduce(config.reduce_interval_ms),
        sequence,
        frames_rx,
        batches_tx,
        stats.clone(),
        cancel.clone(),
    ));
    tracker.spawn(publish::run(
        settings,
        spool,
        batches_rx,
        StatusSource {
            stats,
            started: Instant::now(),
            positions,
        },
        cancel.clone(),
    ));
    tracker.close();
    tracker.wait().await;
    // Every input has ended (or `cancel` fired) and every batch is
    // delivered or spooled: nothing is left for the local endpoint to
    // report, and it must not keep the agent running.
    http_stop.cancel();
    http_tracker.close();
    http_tracker.wait().await;
    Ok(())
}

/// Where and how the publisher connects, as receiver `id`.
fn publish_settings(config: &Config, id: &str) -> anyhow::Result<publish::Settings> {
    let broker = publish::Broker::parse(&config.mqtt_url)
        .with_context(|| format!("mqtt_url {:?}", mask_url_password(&config.mqtt_url)))?;
    let tls = match broker.tls {
        true => Some(config.tls()?),
        false => None,
    };
    Ok(publish::Settings {
        receiver_id: id.to_string(),
        host: broker.host,
        port: broker.port,
        tls,
        credentials: (
            config
                .mqtt_username
                .clone()
                .unwrap_or_else(|| id.to_string()),
            config.mqtt_password.clone().unwrap_or_default(),
        ),
        position: config.lat.zip(config.lon),
        alt_m: config.alt_m,
        status_interval: Duration::from_secs(config.status_interval_s.max(1)),
        keep_alive: Duration::from_secs(config.mqtt_keep_alive_s),
        delivery: config.delivery,
        max_unconfirmed: config.max_unconfirmed,
        confirm_timeout: Duration::from_secs(config.confirm_timeout_s),
    })
}

/// Starts every configured input on `tracker`, sending to `frames`; they
/// stop with `cancel`. Returns the file inputs' positions (numbered in
/// the order the files are configured), which resume where the spool
/// says they got to.
fn start_inputs(
    config: &Config,
    spool: &Spool,
    tracker: &TaskTracker,
    frames: mpsc::Sender<input::Arrival>,
    cancel: &CancellationToken,
) -> anyhow::Result<Positions> {
    let inputs_cancel = cancel.child_token();
    let specs = config
        .inputs
        .iter()
        .map(|s| Spec::parse(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let files: Vec<_> = specs
        .iter()
        .filter_map(|s| match s {
            Spec::File { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let positions = Positions::open(&config.data_dir.join("inputs"), &files, |seq| {
        spool.contains(seq)
    })?;
    let mut file_index = 0u16;
    for spec in specs {
        let index = file_index;
        if matches!(spec, Spec::File { .. }) {
            file_index += 1;
        }
        tracker.spawn(input::run(
            spec,
            input::FileInput {
                index,
                positions: positions.clone(),
                max_per_s: config.file_max_frames_per_s,
            },
            frames.clone(),
            inputs_cancel.clone(),
        ));
    }
    Ok(positions)
}
