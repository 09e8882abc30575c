//! The feeder: adds each accepted batch to the stream (retrying while
//! Redis is down; the bounded queue fills and receivers are held back),
//! then acknowledges it to the broker. Dropped messages are acknowledged
//! and confirmed in their turn.

use std::sync::Arc;
use std::time::Duration;

use cloudradar_shared::retry::Backoff;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Stream;
use super::ledger::{Kept, Ledger};
use super::room::Room;
use crate::confirm::Confirmer;
use crate::health::Health;
use crate::ingest::{Accepted, Acker, Arrival};

/// Payload bytes of the unprocessed backlog the feeder keeps a copy of.
const LEDGER_BYTES: usize = 64 * 1024 * 1024;

/// Everything the feeder works with.
#[derive(Debug)]
pub struct Feeder {
    /// Every batch message from ingest, in arrival order.
    pub queue: mpsc::Receiver<Arrival>,
    /// Acknowledges to the broker.
    pub acker: Acker,
    /// Confirms dropped batches to their agents.
    pub confirmer: Confirmer,
    /// Its own connection to the stream.
    pub redis: Stream,
    /// Redis state for `/readyz`.
    pub health: Health,
}

impl Feeder {
    /// Runs until cancelled.
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut room = Room::default();
        let mut ledger = Ledger::new(LEDGER_BYTES);
        let mut replay = false;
        let mut check = tokio::time::interval(Duration::from_secs(1));
        loop {
            let arrival = tokio::select! {
                _ = cancel.cancelled() => break,
                _ = check.tick() => {
                    replay = keep_redis_whole(&mut self.redis, &mut ledger, replay).await;
                    continue;
                }
                a = self.queue.recv() => match a {
                    Some(a) => a,
                    None => break,
                },
            };
            metrics::gauge!("cloudradar_collector_queue_batches").set(self.queue.len() as f64);
            let a = match arrival {
                Arrival::Dropped(d) => {
                    d.finish(&self.acker, &self.confirmer).await;
                    continue;
                }
                Arrival::Accepted(a) => a,
            };
            if !room.wait(&mut self.redis, &cancel).await {
                return;
            }
            match self.add(a, &cancel).await {
                Some(kept) => ledger.record(kept),
                None => return,
            }
        }
    }

    /// Adds one batch, retrying until Redis takes it, then acknowledges it
    /// to the broker; `None` if cancelled first.
    async fn add(&mut self, a: Accepted, cancel: &CancellationToken) -> Option<Kept> {
        let payload = Arc::new(a.payload);
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            match self.redis.push(&a.receiver, a.seq, &payload).await {
                Ok(()) => {
                    self.health.set_redis(true);
                    a.receipt.ack(&self.acker).await;
                    return Some(Kept {
                        receiver: a.receiver,
                        seq: a.seq,
                        payload,
                    });
                }
                Err(e) => {
                    self.health.set_redis(false);
                    tracing::warn!(error = %e, "Redis XADD failed; holding the batch");
                    let _ = self.redis.ensure_group().await;
                    tokio::select! {
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep(backoff.next()) => {}
                    }
                }
            }
        }
    }
}

/// Once a second: if Redis restarted (a new `run_id`), adds the kept
/// backlog again (a Redis without persistence came back empty); then
/// trims the copy to the stream's backlog. Returns whether a replay is
/// still owed (Redis failed during it).
async fn keep_redis_whole(redis: &mut Stream, ledger: &mut Ledger, owed: bool) -> bool {
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
