//! Keeps the stream's unprocessed backlog under its bound. XADD with
//! MAXLEN trims the oldest entries whether processed or not, so while the
//! backlog (the stream length: stored entries are deleted on ack) is near
//! the bound nothing more is added, and nothing more is acknowledged to
//! the broker; agents keep their batches spooled.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::Stream;

/// The backlog as last measured, and whether adding is on hold.
#[derive(Debug, Default)]
pub struct Room {
    checked: Option<Instant>,
    warned: Option<Instant>,
    length: u64,
    added: u64,
    full: bool,
}

/// How often the backlog is measured while it is far from the bound.
const ROOM_CHECK: Duration = Duration::from_millis(500);

impl Room {
    /// Returns once there is room for one more entry (`false` if cancelled
    /// first).
    pub async fn wait(&mut self, redis: &mut Stream, cancel: &CancellationToken) -> bool {
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
                self.checked = Some(Instant::now());
            }
            let was_full = self.full;
            self.full = self.length >= if was_full { low_water } else { high_water };
            metrics::gauge!("cloudradar_collector_redis_backpressure").set(if self.full {
                1.0
            } else {
                0.0
            });
            if !was_full && self.full && self.warned.is_none_or(|t| t.elapsed().as_secs() >= 30) {
                self.warned = Some(Instant::now());
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
