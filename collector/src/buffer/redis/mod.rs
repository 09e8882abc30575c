//! The Redis Streams buffer. [`Feeder`] adds each accepted batch to the
//! stream, then acknowledges it to the broker; [`RedisBuffer`] is the
//! consumer side the processing loop takes from: it reads with a consumer
//! group, finishes its own pending entries first after a restart,
//! reclaims what a dead consumer left pending (XAUTOCLAIM), and XACKs
//! entries once they are committed. [`ledger`] keeps a copy of the
//! unprocessed backlog, added again when Redis restarts without its data.

mod feed;
pub mod ledger;
mod room;
mod stream;

use std::time::{Duration, Instant};

use cloudradar_shared::retry::Backoff;
use tokio_util::sync::CancellationToken;

pub use feed::Feeder;
pub use stream::{GROUP, Stream};

use super::{Buffer, Entry};
use crate::health::Health;

/// How long entries another consumer left pending wait before this one
/// takes them over, and how often it looks for them.
const CLAIM_IDLE: Duration = Duration::from_secs(30);
/// How often the stream's gauges are refreshed.
const GAUGES: Duration = Duration::from_secs(2);

/// The consumer side of the stream.
#[derive(Debug)]
pub struct RedisBuffer {
    redis: Stream,
    health: Health,
    /// Read this consumer's pending entries (delivered before a restart,
    /// reclaimed, or not acknowledged) before new ones.
    pending: bool,
    last_claim: Instant,
    last_gauges: Instant,
}

impl RedisBuffer {
    /// Consumes from `redis`, reporting its state to `health`.
    pub fn new(redis: Stream, health: Health) -> Self {
        Self {
            redis,
            health,
            pending: true,
            last_claim: Instant::now(),
            last_gauges: Instant::now(),
        }
    }

    /// Takes over what a dead consumer (another collector) left pending.
    async fn claim(&mut self) {
        self.last_claim = Instant::now();
        if let Ok(n) = self
            .redis
            .claim_stale(CLAIM_IDLE.as_millis() as usize)
            .await
            && n > 0
        {
            tracing::info!(claimed = n, "reclaimed entries from a dead consumer");
            self.pending = true;
        }
    }

    async fn gauges(&mut self) {
        self.last_gauges = Instant::now();
        let r = &mut self.redis;
        if let (Ok(len), Ok(p)) = (r.len().await, r.pending().await) {
            metrics::gauge!("cloudradar_collector_redis_stream_length").set(len as f64);
            metrics::gauge!("cloudradar_collector_redis_pending").set(p as f64);
            metrics::gauge!("cloudradar_collector_redis_stream_max_length").set(r.max_len() as f64);
        }
        if let Ok(Some(lag)) = r.lag().await {
            metrics::gauge!("cloudradar_collector_redis_consumer_lag").set(lag as f64);
        }
    }
}

impl Buffer for RedisBuffer {
    type Receipt = String;

    async fn take(&mut self, max: usize, wait: Duration) -> Vec<Entry<String>> {
        if self.last_claim.elapsed() > CLAIM_IDLE {
            self.claim().await;
        }
        if self.last_gauges.elapsed() > GAUGES {
            self.gauges().await;
        }
        let block_ms = wait.as_millis() as usize;
        match self.redis.read(max, block_ms, self.pending).await {
            Ok(entries) => {
                self.health.set_redis(true);
                if self.pending && entries.is_empty() {
                    self.pending = false;
                    self.claim().await;
                }
                entries
            }
            Err(e) => {
                self.health.set_redis(false);
                tracing::warn!(error = %e, "Redis read failed");
                let _ = self.redis.ensure_group().await;
                self.pending = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
                Vec::new()
            }
        }
    }

    /// Not while reading pending entries: those stay pending, and are
    /// read again, until they are acknowledged.
    fn may_take_ahead(&self) -> bool {
        !self.pending
    }

    async fn done(&mut self, ids: Vec<String>) {
        if let Err(e) = self.redis.ack(&ids).await {
            // Not acknowledged: they come back as pending and are applied
            // once (the store knows each receiver's sequence numbers).
            tracing::warn!(error = %e, "XACK failed");
            self.pending = true;
        }
    }
}

/// Where the stream is and who reads it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `redis://[:password@]host:port[/db]`.
    pub url: String,
    /// The stream's key.
    pub stream: String,
    /// Approximate bound on the stream length (batches).
    pub maxlen: usize,
    /// This collector's consumer name in the group.
    pub consumer: String,
}

/// Connects to Redis, retrying until it answers (it may start after us);
/// `None` if the collector stops first.
pub async fn connect(
    settings: &Settings,
    health: &Health,
    cancel: &CancellationToken,
) -> Option<Stream> {
    let s = settings;
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        match Stream::connect(&s.url, &s.stream, &s.consumer, s.maxlen).await {
            Ok(r) => {
                health.set_redis(true);
                return Some(r);
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis not reachable yet; receivers wait until it is");
                tokio::select! {
                    _ = cancel.cancelled() => return None,
                    _ = tokio::time::sleep(backoff.next()) => {}
                }
            }
        }
    }
}
