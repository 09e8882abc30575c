//! The processing loops: take batches from the buffer, process them, have
//! the store commit them, and only then acknowledge them upstream (to the
//! broker in embedded mode, to Redis with XACK otherwise) and confirm them
//! to their agents ([`Confirmer`]). A failed commit keeps the batch and
//! retries, with `/readyz` reporting not ready.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudradar_shared::wire::{self, Limits};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::buffer::ledger::{Kept, Ledger};
use crate::buffer::redis::RedisBuffer;
use crate::confirm::Confirmer;
use crate::health::Health;
use crate::ingest::{Accepted, Acker};
use crate::process::{Processor, Snapshot};
use crate::store::WriterHandle;

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Shared by the loops and the HTTP layer.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Latest live view.
    pub snapshot: Arc<RwLock<Snapshot>>,
    /// Dependency health.
    pub health: Health,
}

/// A batch decoded and processed, ready to commit.
struct Prepared {
    rows: Arc<crate::store::WriteBatch>,
    receiver: String,
    seq: u64,
    created_ms: u64,
    started: std::time::Instant,
}

/// Decodes and processes one encoded batch; `None` for a malformed one or
/// one with a sequence the store cannot keep (validated at ingest, so only
/// if limits changed or it was buffered by an older collector), which is
/// dropped.
fn prepare(processor: &mut Processor, payload: &[u8], limits: &Limits) -> Option<Prepared> {
    let started = std::time::Instant::now();
    let Ok(batch) = wire::decode(payload, limits) else {
        metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "malformed")
            .increment(1);
        crate::ingest::dropped_bytes("rejected", payload.len());
        return None;
    };
    if let Err(r) = crate::ingest::check_seq(batch.seq) {
        r.record(&batch.receiver_id);
        return None;
    }
    let rows = Arc::new(processor.process(&batch, now_ms()));
    Some(Prepared {
        rows,
        receiver: batch.receiver_id,
        seq: batch.seq,
        created_ms: batch.created_ms,
        started,
    })
}

/// Records a committed batch's metrics.
fn committed(p: &Prepared, applied: bool, health: &Health) {
    health.set_sqlite(true);
    if applied {
        metrics::counter!("cloudradar_collector_batches_stored_total").increment(1);
        metrics::counter!("cloudradar_collector_frames_stored_total")
            .increment(p.rows.frames as u64);
    } else {
        metrics::counter!("cloudradar_collector_batches_duplicate_total").increment(1);
    }
    let lag = now_ms().saturating_sub(p.created_ms) as f64 / 1000.0;
    metrics::histogram!("cloudradar_collector_batch_lag_seconds").record(lag);
    metrics::histogram!("cloudradar_collector_process_seconds")
        .record(p.started.elapsed().as_secs_f64());
}

/// Commits a prepared batch, retrying until it works or the collector
/// stops. Returns `false` if cancelled first.
async fn commit(
    p: &Prepared,
    writer: &WriterHandle,
    health: &Health,
    cancel: &CancellationToken,
) -> bool {
    let mut delay = Duration::from_millis(200);
    loop {
        match writer.write(p.rows.clone()).await {
            Ok(applied) => {
                committed(p, applied, health);
                return true;
            }
            Err(e) => {
                health.set_sqlite(false);
                tracing::error!(error = %e, receiver = %p.receiver, seq = p.seq, "batch not stored; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Processes one encoded batch and commits it. Returns `false` if
/// cancelled before the commit.
async fn apply(
    processor: &mut Processor,
    writer: &WriterHandle,
    payload: &[u8],
    limits: &Limits,
    health: &Health,
    cancel: &CancellationToken,
) -> bool {
    match prepare(processor, payload, limits) {
        Some(p) => commit(&p, writer, health, cancel).await,
        None => true,
    }
}

/// Processes several entries and commits them together: every batch is
/// handed to the writer before the first commit is awaited, so one
/// transaction holds many batches (one at a time, the commit round trip
/// capped throughput at ~150,000 frames/s with half the CPU idle).
/// Returns the entries done, in order, up to the first one not committed:
/// their ids, and the (receiver, seq) to confirm where known.
async fn apply_all(
    processor: &mut Processor,
    writer: &WriterHandle,
    entries: Vec<crate::buffer::redis::Entry>,
    limits: &Limits,
    health: &Health,
    cancel: &CancellationToken,
) -> Vec<(String, Option<(String, u64)>)> {
    let mut done = Vec::with_capacity(entries.len());
    let mut submitted = Vec::with_capacity(entries.len());
    for e in entries {
        let Some(p) = prepare(processor, &e.payload, limits) else {
            done.push((e.id, wire::peek_header(&e.payload)));
            continue;
        };
        let pending = writer.submit(p.rows.clone()).await;
        submitted.push((e.id, p, pending));
    }
    for (id, p, pending) in submitted {
        let result = match pending {
            Ok(commit) => commit.await,
            Err(e) => Err(e),
        };
        let ok = match result {
            Ok(applied) => {
                committed(&p, applied, health);
                true
            }
            Err(e) => {
                health.set_sqlite(false);
                tracing::error!(error = %e, receiver = %p.receiver, seq = p.seq, "batch not stored; retrying");
                commit(&p, writer, health, cancel).await
            }
        };
        if !ok {
            break;
        }
        done.push((id, Some((p.receiver, p.seq))));
    }
    done
}

fn refresh(processor: &mut Processor, shared: &Shared) {
    let now = now_ms();
    processor.expire(now);
    let snap = processor.snapshot(now);
    metrics::gauge!("cloudradar_collector_aircraft_live").set(snap.aircraft.len() as f64);
    if let Ok(mut s) = shared.snapshot.write() {
        *s = snap;
    }
}

/// Everything the processing loops need, handed over once the buffer is
/// ready.
#[derive(Debug)]
pub struct Loops {
    /// Batches from ingest, in arrival order.
    pub queue: mpsc::Receiver<Accepted>,
    /// Acknowledges to the broker.
    pub acker: Acker,
    /// Confirms to the agents.
    pub confirmer: Confirmer,
    /// Decoding, positions, de-duplication.
    pub processor: Processor,
    /// The SQLite writer.
    pub writer: WriterHandle,
    /// Batch limits.
    pub limits: Limits,
    /// Live view and health.
    pub shared: Shared,
    /// Shutdown.
    pub cancel: CancellationToken,
}

impl Loops {
    /// Embedded buffer: one loop from the queue to the store; the MQTT
    /// message is acknowledged after the commit.
    pub async fn run_embedded(self) {
        let Loops {
            mut queue,
            acker,
            confirmer,
            mut processor,
            writer,
            limits,
            shared,
            cancel,
        } = self;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => refresh(&mut processor, &shared),
                a = queue.recv() => {
                    let Some(a) = a else { break };
                    metrics::gauge!("cloudradar_collector_queue_batches").set(queue.len() as f64);
                    if !a.valid || apply(&mut processor, &writer, &a.payload, &limits, &shared.health, &cancel).await {
                        acker.ack(&a.publish, a.connection).await;
                        if a.confirm {
                            confirmer.done(&a.receiver, a.seq).await;
                        }
                    }
                }
            }
        }
    }

    /// Redis buffer: the writer (queue to Redis) and the processor (Redis
    /// to the store), each its own task.
    pub fn run_redis(self, redis: RedisBuffer, redis_writer: RedisBuffer, tracker: &TaskTracker) {
        tracker.spawn(run_redis_writer(
            self.queue,
            self.acker,
            self.confirmer.clone(),
            redis_writer,
            self.shared.health.clone(),
            self.cancel.clone(),
        ));
        tracker.spawn(run_redis_processor(
            redis,
            self.confirmer,
            self.processor,
            self.writer,
            self.limits,
            self.shared,
            self.cancel,
        ));
    }
}

/// Redis mode, ingest side: XADD each accepted batch (retrying while Redis
/// is down; the bounded queue fills and receivers are held back), then
/// acknowledge it to the broker.
async fn run_redis_writer(
    mut queue: mpsc::Receiver<Accepted>,
    acker: Acker,
    confirmer: Confirmer,
    mut redis: RedisBuffer,
    health: Health,
    cancel: CancellationToken,
) {
    let mut room = Room::default();
    let mut ledger = Ledger::new(LEDGER_BYTES);
    let mut replay = false;
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let mut a = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = check.tick() => {
                replay = keep_redis_whole(&mut redis, &mut ledger, replay).await;
                continue;
            }
            a = queue.recv() => match a {
                Some(a) => a,
                None => break,
            },
        };
        metrics::gauge!("cloudradar_collector_queue_batches").set(queue.len() as f64);
        if !a.valid {
            acker.ack(&a.publish, a.connection).await;
            if a.confirm {
                confirmer.done(&a.receiver, a.seq).await;
            }
            continue;
        }
        if !room.wait(&mut redis, &cancel).await {
            return;
        }
        let payload = Arc::new(std::mem::take(&mut a.payload));
        let mut delay = Duration::from_millis(100);
        loop {
            match redis.push(&a.receiver, a.seq, &payload).await {
                Ok(()) => {
                    health.set_redis(true);
                    ledger.record(Kept {
                        receiver: a.receiver.clone(),
                        seq: a.seq,
                        payload: payload.clone(),
                    });
                    acker.ack(&a.publish, a.connection).await;
                    break;
                }
                Err(e) => {
                    health.set_redis(false);
                    tracing::warn!(error = %e, "Redis XADD failed; holding the batch");
                    let _ = redis.ensure_group().await;
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

/// Payload bytes of the unprocessed backlog the writer keeps a copy of.
const LEDGER_BYTES: usize = 64 * 1024 * 1024;

/// Once a second: if Redis restarted (a new `run_id`), adds the kept
/// backlog again (a Redis without persistence came back empty); then
/// trims the copy to the stream's backlog. Returns whether a replay is
/// still owed (Redis failed during it).
async fn keep_redis_whole(redis: &mut RedisBuffer, ledger: &mut Ledger, owed: bool) -> bool {
    let Ok(run_id) = redis.run_id().await else {
        return owed;
    };
    if (ledger.restarted(&run_id) || owed) && !ledger.is_empty() {
        let kept = ledger.kept();
        tracing::warn!(
            batches = kept.len(),
            "Redis restarted: adding back the batches it may have lost"
        );
        if redis.ensure_group().await.is_err() {
            return true;
        }
        for k in &kept {
            if redis.push(&k.receiver, k.seq, &k.payload).await.is_err() {
                return true;
            }
        }
        metrics::counter!("cloudradar_collector_redis_batches_readded_total")
            .increment(kept.len() as u64);
    }
    if let Ok(len) = redis.len().await {
        ledger.trim_to(len);
    }
    false
}

/// Keeps the stream's unprocessed backlog under its bound: XADD with
/// MAXLEN trims the oldest entries whether processed or not, so while the
/// backlog (the stream length: stored entries are deleted on ack) is near
/// the bound nothing more is added, and nothing more is acknowledged to
/// the broker; agents keep their batches spooled.
#[derive(Debug, Default)]
struct Room {
    checked: Option<std::time::Instant>,
    warned: Option<std::time::Instant>,
    length: u64,
    added: u64,
    full: bool,
}

/// How often the backlog is measured while it is far from the bound.
const ROOM_CHECK: Duration = Duration::from_millis(500);

impl Room {
    /// Returns once there is room for one more entry (`false` if cancelled
    /// first).
    async fn wait(&mut self, redis: &mut RedisBuffer, cancel: &CancellationToken) -> bool {
        // Hold at 90% of the bound, resume below 80% (no flapping).
        let high_water = (redis.max_len() as u64).saturating_mul(9) / 10;
        let low_water = (redis.max_len() as u64).saturating_mul(8) / 10;
        loop {
            let estimate = self.length + self.added;
            let stale = self.checked.is_none_or(|t| t.elapsed() >= ROOM_CHECK);
            if !self.full && !stale && estimate < high_water / 2 {
                self.added += 1;
                return true;
            }
            if let Ok(len) = redis.len().await {
                self.length = len as u64;
                self.added = 0;
                self.checked = Some(std::time::Instant::now());
            }
            let was_full = self.full;
            self.full = self.length >= if was_full { low_water } else { high_water };
            metrics::gauge!("cloudradar_collector_redis_backpressure").set(if self.full {
                1.0
            } else {
                0.0
            });
            if !was_full && self.full && self.warned.is_none_or(|t| t.elapsed().as_secs() >= 30) {
                self.warned = Some(std::time::Instant::now());
                tracing::warn!(
                    high_water,
                    "Redis backlog near the stream bound: holding new batches until processing catches up"
                );
            }
            if !self.full {
                self.added += 1;
                return true;
            }
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }
}

/// How often the live view is rebuilt.
const REFRESH: Duration = Duration::from_millis(500);

/// Redis mode, processing side: reclaim and finish pending entries, then
/// read new ones; XACK after commit.
async fn run_redis_processor(
    mut redis: RedisBuffer,
    confirmer: Confirmer,
    mut processor: Processor,
    writer: WriterHandle,
    limits: Limits,
    shared: Shared,
    cancel: CancellationToken,
) {
    let mut last_refresh = std::time::Instant::now();
    // Entries delivered to this consumer before a restart come first.
    let mut pending = true;
    let mut last_gauge = std::time::Instant::now();
    let mut last_claim = std::time::Instant::now();
    loop {
        if cancel.is_cancelled() {
            break;
        }
        // Entries a dead consumer (another collector) left pending.
        if last_claim.elapsed() > Duration::from_secs(30) {
            last_claim = std::time::Instant::now();
            if let Ok(n) = redis.claim_stale(30_000).await
                && n > 0
            {
                tracing::info!(claimed = n, "reclaimed entries from a dead consumer");
                pending = true;
            }
        }
        if last_gauge.elapsed() > Duration::from_secs(2) {
            last_gauge = std::time::Instant::now();
            if let (Ok(len), Ok(p)) = (redis.len().await, redis.pending().await) {
                metrics::gauge!("cloudradar_collector_redis_stream_length").set(len as f64);
                metrics::gauge!("cloudradar_collector_redis_pending").set(p as f64);
                metrics::gauge!("cloudradar_collector_redis_stream_max_length")
                    .set(redis.max_len() as f64);
            }
            if let Ok(Some(lag)) = redis.lag().await {
                metrics::gauge!("cloudradar_collector_redis_consumer_lag").set(lag as f64);
            }
        }
        if last_refresh.elapsed() >= REFRESH {
            last_refresh = std::time::Instant::now();
            refresh(&mut processor, &shared);
        }
        // The read is never raced against a timer: dropping it after Redis
        // delivered entries would leave them pending, unprocessed, until a
        // reclaim. Its BLOCK time bounds how long the refresh can wait.
        let read = tokio::select! {
            _ = cancel.cancelled() => break,
            r = redis.read(100, REFRESH.as_millis() as usize, pending) => r,
        };
        match read {
            Ok(entries) => {
                shared.health.set_redis(true);
                if pending && entries.is_empty() {
                    pending = false;
                    if let Ok(n) = redis.claim_stale(30_000).await
                        && n > 0
                    {
                        tracing::info!(claimed = n, "reclaimed entries from a dead consumer");
                        pending = true;
                    }
                    continue;
                }
                let done = apply_all(
                    &mut processor,
                    &writer,
                    entries,
                    &limits,
                    &shared.health,
                    &cancel,
                )
                .await;
                let ids: Vec<String> = done.iter().map(|d| d.0.clone()).collect();
                for (receiver, seq) in done.into_iter().filter_map(|d| d.1) {
                    confirmer.done(&receiver, seq).await;
                }
                if let Err(e) = redis.ack(&ids).await {
                    // Not acknowledged: they come back as pending and are applied once (seq dedup).
                    tracing::warn!(error = %e, "XACK failed");
                    pending = true;
                }
            }
            Err(e) => {
                shared.health.set_redis(false);
                tracing::warn!(error = %e, "Redis read failed");
                let _ = redis.ensure_group().await;
                pending = true;
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::wire::{Batch, encode};

    /// Regression: a batch numbered 2^63 or above that reached the buffer
    /// (accepted by a collector without the check at ingest) was processed
    /// and stored with a negative sequence.
    #[test]
    fn a_buffered_batch_with_a_sequence_the_store_cannot_keep_is_dropped() {
        let mut processor = Processor::new(0, 1000, Default::default());
        let batch = |seq| {
            encode(&Batch {
                receiver_id: "rx-a".into(),
                seq,
                created_ms: 1,
                frames: vec![],
            })
        };
        assert!(prepare(&mut processor, &batch(1 << 63), &Limits::default()).is_none());
        let kept = prepare(&mut processor, &batch(7), &Limits::default());
        assert_eq!(kept.map(|p| p.rows.seq), Some(7));
    }
}
