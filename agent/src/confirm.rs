//! Batches the broker took but the collector has not yet confirmed
//! (decision record 0007). Each is timed from the broker's
//! acknowledgement; one not confirmed within its timeout is due to be sent
//! again, and its next timeout is twice as long (a collector that is
//! merely slow is not flooded with copies). The batch stays in the spool
//! the whole time; a confirmation deletes it there.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Longest wait before a batch is sent again.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Instant,
    /// Times it was sent again after a timeout.
    resends: u32,
}

/// Unconfirmed batches by sequence number.
#[derive(Debug)]
pub struct Unconfirmed {
    sent: BTreeMap<u64, Sent>,
    /// Re-sends of batches now back in the queue, kept for their timeout.
    resends: BTreeMap<u64, u32>,
    timeout: Duration,
}

impl Unconfirmed {
    /// Batches are sent again after `timeout` (then 2×, 4×, … up to
    /// [`MAX_TIMEOUT`]).
    pub fn new(timeout: Duration) -> Self {
        Self {
            sent: BTreeMap::new(),
            resends: BTreeMap::new(),
            timeout,
        }
    }

    /// The broker acknowledged `seq` at `now`: its clock starts.
    pub fn sent(&mut self, seq: u64, now: Instant) {
        let resends = self.resends.remove(&seq).unwrap_or(0);
        self.sent.insert(seq, Sent { at: now, resends });
    }

    /// The collector confirmed `seq`: forgotten. Returns whether it was
    /// waiting for that.
    pub fn confirmed(&mut self, seq: u64) -> bool {
        self.resends.remove(&seq);
        self.sent.remove(&seq).is_some()
    }

    /// How many wait for a confirmation.
    pub fn len(&self) -> usize {
        self.sent.len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// The connection is new: everything unconfirmed is sent again anyway.
    pub fn reconnected(&mut self) {
        for (seq, s) in std::mem::take(&mut self.sent) {
            self.resends.insert(seq, s.resends);
        }
    }

    /// The batches whose timeout has passed at `now`, oldest first; they
    /// are no longer waiting (the caller sends them again).
    pub fn due(&mut self, now: Instant) -> Vec<u64> {
        let due: Vec<u64> = self
            .sent
            .iter()
            .filter(|(_, s)| now.saturating_duration_since(s.at) >= self.timeout_of(s.resends))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &due {
            if let Some(s) = self.sent.remove(seq) {
                self.resends.insert(*seq, s.resends.saturating_add(1));
            }
        }
        due
    }

    /// Forgets re-send counts of batches no longer spooled.
    pub fn retain(&mut self, mut spooled: impl FnMut(u64) -> bool) {
        self.resends.retain(|seq, _| spooled(*seq));
        self.sent.retain(|seq, _| spooled(*seq));
    }

    fn timeout_of(&self, resends: u32) -> Duration {
        self.timeout
            .saturating_mul(1u32.checked_shl(resends.min(16)).unwrap_or(u32::MAX))
            .min(MAX_TIMEOUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_not_confirmed_in_time_is_due_again_with_a_doubled_timeout() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut u = Unconfirmed::new(Duration::from_secs(30));
        u.sent(1, t0);
        u.sent(2, t0 + 10 * s);
        assert!(u.due(t0 + 29 * s).is_empty());
        assert_eq!(u.due(t0 + 30 * s), vec![1]);
        assert_eq!(u.len(), 1, "2 still waits");
        // Sent again at 31 s: due after 60 s more, not 30.
        u.sent(1, t0 + 31 * s);
        assert_eq!(u.due(t0 + 60 * s), vec![2]);
        assert!(u.due(t0 + 90 * s).is_empty());
        assert_eq!(u.due(t0 + 91 * s), vec![1]);
        u.sent(1, t0 + 100 * s);
        assert!(u.confirmed(1));
        assert!(!u.confirmed(1));
        assert!(u.is_empty());
    }

    #[test]
    fn timeouts_stop_growing_at_the_cap() {
        let t0 = Instant::now();
        let mut u = Unconfirmed::new(Duration::from_secs(30));
        let mut at = t0;
        for _ in 0..40 {
            u.sent(7, at);
            at += MAX_TIMEOUT;
            assert_eq!(u.due(at), vec![7]);
        }
    }

    #[test]
    fn a_reconnect_keeps_the_resend_count_but_not_the_clock() {
        let t0 = Instant::now();
        let mut u = Unconfirmed::new(Duration::from_secs(30));
        u.sent(1, t0);
        assert_eq!(u.due(t0 + Duration::from_secs(30)), vec![1]);
        u.sent(1, t0 + Duration::from_secs(30));
        u.reconnected();
        assert!(u.is_empty());
        u.sent(1, t0 + Duration::from_secs(40));
        assert!(
            u.due(t0 + Duration::from_secs(99)).is_empty(),
            "second timeout is 60 s"
        );
        assert_eq!(u.due(t0 + Duration::from_secs(100)), vec![1]);
        u.retain(|_| false);
        assert!(u.is_empty());
    }
}
