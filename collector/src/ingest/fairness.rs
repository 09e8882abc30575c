//! Per-receiver fairness: one receiver flooding (a feeder looping its
//! input, a duplicated decoder, a replay gone wrong) must not starve the
//! others on the shared path broker → queue → buffer → store.
//!
//! Each receiver has a token bucket on frames: `receiver_max_frames_per_s`
//! tokens a second, up to [`BURST_S`] seconds' worth. A batch takes as many
//! tokens as it has frames; a batch that finds too few is **rejected and
//! counted**, not held back:
//!
//! - Holding it back cannot be fair. MQTT 3.1.1 §4.6 requires PUBACKs in the
//!   order the PUBLISHes arrived on a connection (rumqttd refuses an
//!   out-of-order ack), and all receivers share the collector's one
//!   subscription, so an unacknowledged flooder batch holds back every later
//!   acknowledgement: the broker's in-flight window to the collector fills
//!   and every receiver stalls. Holding it in the collector's memory after
//!   acknowledging it would lose it on a crash and still grow without bound
//!   under a sustained flood.
//! - Rejected batches are acknowledged in order (they travel the queue like
//!   malformed ones), counted per receiver in
//!   `cloudradar_collector_batches_rate_limited_total{receiver}` and
//!   `cloudradar_collector_frames_rate_limited_total{receiver}`, and logged
//!   as a warning at most once per [`WARN_EVERY`] per receiver, with the
//!   number dropped since the last warning.
//!
//! What the agent experiences: nothing. Its batches are acknowledged as
//! usual, its spool drains, it does not retry; the frames over the limit
//! are missing from the store, and the collector's metrics and log say so.
//!
//! The bucket refills on the receiver's own reception clock (the newest
//! `rx_ms` of its batches, capped at the collector's clock plus a minute),
//! not on the collector's: an agent draining its spool after an outage
//! sends hours of receptions in seconds, but those receptions span hours,
//! so it is not limited, whereas a flood packs many times the frames into
//! each second of reception time. It also makes the decision depend only
//! on what the receiver sent, so tests are deterministic.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Seconds of the limit a receiver may send at once (bucket size).
pub const BURST_S: u64 = 10;

/// Least warning interval per receiver.
pub const WARN_EVERY: Duration = Duration::from_secs(30);

/// A reception clock going back by more than this is a clock step (the
/// receiver's time was corrected): the bucket follows it without refilling.
const CLOCK_STEP_MS: u64 = 60_000;

/// Receivers tracked before idle ones are forgotten.
const MAX_RECEIVERS: usize = 10_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    clock_ms: u64,
    seen: Instant,
    warned: Option<Instant>,
    since_warning: u64,
}

/// The per-receiver token buckets (a limit of 0: off).
#[derive(Debug, Default)]
pub struct RateLimit {
    per_s: u64,
    buckets: HashMap<String, Bucket>,
}

impl RateLimit {
    /// A limit of `frames_per_s` per receiver; 0 turns it off.
    pub fn new(frames_per_s: u64) -> Self {
        metrics::describe_counter!(
            "cloudradar_collector_batches_rate_limited_total",
            "Batches dropped over their receiver's rate limit, by receiver."
        );
        metrics::describe_counter!(
            "cloudradar_collector_frames_rate_limited_total",
            "Frames in batches dropped over their receiver's rate limit, by receiver."
        );
        Self {
            per_s: frames_per_s,
            buckets: HashMap::new(),
        }
    }

    fn capacity(&self) -> f64 {
        (self.per_s * BURST_S) as f64
    }

    /// Whether a batch of `frames` from `receiver`, newest reception at
    /// `rx_ms`, may pass; `now_ms` is the collector's clock. A refused batch
    /// is counted and (rate-limited) logged here.
    pub fn admit(&mut self, receiver: &str, frames: usize, rx_ms: u64, now_ms: u64) -> bool {
        if self.per_s == 0 {
            return true;
        }
        let (capacity, per_s) = (self.capacity(), self.per_s);
        if self.buckets.len() >= MAX_RECEIVERS && !self.buckets.contains_key(receiver) {
            let idle = Duration::from_secs(600);
            self.buckets.retain(|_, b| b.seen.elapsed() < idle);
        }
        let clock = rx_ms.min(now_ms.saturating_add(60_000));
        let b = self
            .buckets
            .entry(receiver.to_string())
            .or_insert_with(|| Bucket {
                tokens: capacity,
                clock_ms: clock,
                seen: Instant::now(),
                warned: None,
                since_warning: 0,
            });
        b.seen = Instant::now();
        if clock > b.clock_ms {
            let refill = (clock - b.clock_ms) as f64 * per_s as f64 / 1000.0;
            b.tokens = (b.tokens + refill).min(capacity);
            b.clock_ms = clock;
        } else if b.clock_ms - clock > CLOCK_STEP_MS {
            b.clock_ms = clock;
        }
        let need = frames as f64;
        if b.tokens >= need {
            b.tokens -= need;
            return true;
        }
        metrics::counter!("cloudradar_collector_batches_rate_limited_total", "receiver" => receiver.to_string())
            .increment(1);
        metrics::counter!("cloudradar_collector_frames_rate_limited_total", "receiver" => receiver.to_string())
            .increment(frames as u64);
        b.since_warning += 1;
        if b.warned.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
            tracing::warn!(
                receiver,
                limit_frames_per_s = per_s,
                batches_dropped = b.since_warning,
                "receiver over its rate limit: batches dropped (receiver_max_frames_per_s)"
            );
            b.warned = Some(Instant::now());
            b.since_warning = 0;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn a_receiver_within_its_rate_always_passes() {
        let mut l = RateLimit::new(1_000);
        // 250 frames every 250 ms of reception time: exactly the limit, for an hour.
        for i in 0..14_400 {
            let t = NOW + i * 250;
            assert!(l.admit("a", 250, t, t), "batch {i}");
        }
    }

    #[test]
    fn a_flood_gets_the_burst_then_the_rate_and_the_others_are_untouched() {
        let mut l = RateLimit::new(1_000);
        let mut passed = 0;
        // 50 times the limit: 2,500 frames every 50 ms, for 40 s of reception time.
        for i in 0..800 {
            if l.admit("flood", 2_500, NOW + i * 50, NOW) {
                passed += 2_500;
            }
            if i % 5 == 0 {
                assert!(l.admit("calm", 250, NOW + i * 50, NOW), "calm batch {i}");
            }
        }
        // The burst (10,000) plus 40 s at 1,000 a second, no more.
        assert!((10_000..=50_000).contains(&passed), "{passed}");
    }

    #[test]
    fn a_batch_larger_than_the_bucket_never_passes() {
        let mut l = RateLimit::new(1_000);
        assert!(!l.admit("a", 10_001, NOW, NOW));
        assert!(!l.admit("a", 10_001, NOW + 60_000, NOW));
        assert!(l.admit("a", 10_000, NOW + 60_000, NOW));
    }

    #[test]
    fn a_spool_drained_after_an_outage_is_not_limited() {
        let mut l = RateLimit::new(1_000);
        // An hour of receptions at the limit, all arriving at once.
        for i in 0..14_400 {
            assert!(l.admit("a", 250, NOW - 3_600_000 + i * 250, NOW));
        }
    }

    #[test]
    fn a_clock_step_back_does_not_lock_the_receiver_out() {
        let mut l = RateLimit::new(1_000);
        for i in 0..100 {
            assert!(l.admit("a", 250, NOW + i * 250, NOW));
        }
        // The receiver's clock is corrected back by an hour.
        for i in 0..100 {
            assert!(l.admit("a", 250, NOW - 3_600_000 + i * 250, NOW));
        }
    }

    #[test]
    fn receptions_dated_in_the_future_refill_no_more_than_a_minute() {
        let mut l = RateLimit::new(1_000);
        assert!(l.admit("a", 10_000, NOW, NOW));
        // A day ahead counts as a minute ahead: 10,000 tokens (the bucket), once.
        assert!(l.admit("a", 10_000, NOW + 86_400_000, NOW));
        assert!(!l.admit("a", 10_000, NOW + 2 * 86_400_000, NOW));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let mut l = RateLimit::new(0);
        assert!((0..1000).all(|_| l.admit("a", 100_000, NOW, NOW)));
    }
}
