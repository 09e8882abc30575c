//! Back-pressure on the receivers. The embedded broker acknowledges an
//! agent's batch as soon as it is in the broker's in-memory log, whether
//! or not the collector has taken it; a log that outgrows its bound drops
//! its oldest entries even if the collector never read them. So when the
//! collector falls behind (Redis down or full, SQLite stalled: its ingest
//! queue filling up), the gate stops reading from receivers instead: their
//! batches stay unacknowledged in their own disk spools until there is
//! room again. Hysteresis keeps it from flapping.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Hold receivers back when less than this share of the queue is free…
const HOLD_BELOW_FREE: f64 = 0.10;
/// …and let them go again once this share is free.
const RELEASE_ABOVE_FREE: f64 = 0.50;

/// Whether to hold receivers, for a queue with `free` of `max` slots
/// free, given whether they are held now.
pub fn should_hold(held: bool, free: usize, max: usize) -> bool {
    let share = free as f64 / max.max(1) as f64;
    if held {
        share < RELEASE_ABOVE_FREE
    } else {
        share < HOLD_BELOW_FREE
    }
}

/// Watches the ingest queue and sets `hold` (read by the gate) until
/// cancelled.
pub async fn run<T>(queue: mpsc::Sender<T>, hold: watch::Sender<bool>, cancel: CancellationToken) {
    metrics::gauge!("cloudradar_collector_receivers_held").set(0.0);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let held = *hold.borrow();
        let now = should_hold(held, queue.capacity(), queue.max_capacity());
        if now != held {
            hold.send_replace(now);
            metrics::gauge!("cloudradar_collector_receivers_held").set(if now { 1.0 } else { 0.0 });
            if now {
                tracing::warn!(
                    free = queue.capacity(),
                    of = queue.max_capacity(),
                    "ingest queue nearly full: receivers held back (their batches wait in their spools)"
                );
            } else {
                tracing::info!("ingest queue has room again: receivers released");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_when_nearly_full_and_releases_at_half() {
        assert!(!should_hold(false, 500, 1000));
        assert!(should_hold(false, 50, 1000));
        assert!(
            should_hold(true, 300, 1000),
            "no flapping just above the threshold"
        );
        assert!(!should_hold(true, 600, 1000));
        assert!(should_hold(false, 0, 0), "a zero-size queue is always full");
    }
}
