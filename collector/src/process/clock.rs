//! Receiver clocks. An agent stamps every frame with its host's wall clock,
//! so a receiver whose clock is far off (no NTP on a Raspberry Pi without
//! a real-time clock, a wrong time zone setting) would file its frames at
//! the wrong time: positions in the future or the past, and its repeated
//! transmissions merged by the cross-receiver de-duplication.
//!
//! The offset is measured from the agent's status messages, which are sent
//! live (never spooled) with the agent's time: offset = agent time −
//! collector time on arrival. Network delay only makes that smaller, so
//! the estimate is the largest of the last few. Beyond [`TOLERANCE_MS`]
//! the receiver's frame times are corrected by it; within it (NTP-synced
//! hosts, ordinary latency) they are left as they are. Batch times cannot
//! be used: a batch sent late from the spool after an outage looks the
//! same as a clock running behind.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

/// Offsets up to this are ordinary latency or drift, not corrected.
pub const TOLERANCE_MS: i64 = 5_000;
/// Status messages the estimate looks back on.
const KEEP: usize = 4;

/// Measured clock offsets per receiver, shared by the status handler and
/// the processor.
#[derive(Debug, Clone, Default)]
pub struct Clocks(Arc<RwLock<HashMap<String, VecDeque<i64>>>>);

impl Clocks {
    /// Records a live status message stamped `receiver_ms` by the agent and
    /// received at `now_ms`; returns the receiver's current offset estimate.
    pub fn observe(&self, receiver: &str, receiver_ms: u64, now_ms: u64) -> i64 {
        let offset = receiver_ms as i64 - now_ms as i64;
        let Ok(mut map) = self.0.write() else {
            return 0;
        };
        let seen = map.entry(receiver.to_string()).or_default();
        if seen.len() == KEEP {
            seen.pop_front();
        }
        seen.push_back(offset);
        let estimate = seen.iter().copied().max().unwrap_or(0);
        metrics::gauge!("cloudradar_collector_receiver_clock_offset_seconds", "receiver" => receiver.to_string())
            .set(estimate as f64 / 1000.0);
        if estimate.abs() > TOLERANCE_MS && seen.len() == 1 {
            tracing::warn!(
                receiver,
                offset_s = estimate / 1000,
                "receiver clock is off; its frame times are corrected"
            );
        }
        estimate
    }

    /// What to subtract from `receiver`'s frame times (0 within tolerance).
    pub fn correction(&self, receiver: &str) -> i64 {
        let Ok(map) = self.0.read() else { return 0 };
        let estimate = map
            .get(receiver)
            .and_then(|seen| seen.iter().copied().max())
            .unwrap_or(0);
        if estimate.abs() > TOLERANCE_MS {
            estimate
        } else {
            0
        }
    }
}

/// `rx_ms` on the collector's clock.
pub fn corrected(rx_ms: u64, correction: i64) -> u64 {
    (rx_ms as i64).saturating_sub(correction).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_offsets_are_left_alone_large_ones_corrected() {
        let c = Clocks::default();
        assert_eq!(c.correction("a"), 0, "never heard");
        c.observe("a", 1_000_300, 1_000_000);
        assert_eq!(c.correction("a"), 0, "0.3 s: latency, not a clock");
        let hours_ahead = 2 * 3_600_000;
        c.observe("b", 5_000_000 + hours_ahead, 5_000_000);
        assert_eq!(c.correction("b"), hours_ahead as i64);
        assert_eq!(
            corrected(5_000_000 + hours_ahead, c.correction("b")),
            5_000_000
        );
        c.observe("late", 1_000_000, 1_000_000 + 60_000);
        assert_eq!(c.correction("late"), -60_000, "a clock a minute behind");
        assert_eq!(corrected(1_000_000, -60_000), 1_060_000);
    }

    #[test]
    fn delayed_status_messages_do_not_drag_the_estimate() {
        let c = Clocks::default();
        // Clock 30 s behind; one status message took 4 s more to arrive.
        c.observe("a", 1_000_000, 1_030_000);
        c.observe("a", 1_030_000, 1_064_000);
        assert_eq!(c.correction("a"), -30_000);
        // After the clock is fixed, the old offset ages out.
        for i in 0..KEEP as u64 {
            c.observe("a", 2_000_000 + i, 2_000_000 + i);
        }
        assert_eq!(c.correction("a"), 0);
    }
}
