//! Batch validation at the door: wire version, size limits, the receiver
//! id inside the batch matching the topic it came on, and a sequence
//! number the store can keep. Rejections
//! are counted per receiver and reason, and logged at most once a minute
//! per receiver.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cloudradar_shared::wire::{self, Limits, WireError};

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// It does not decode.
    Wire(WireError),
    /// The batch names another receiver than its topic.
    WrongReceiver(String),
    /// The sequence number is above [`wire::MAX_SEQ`]: the store keeps it
    /// in a signed 64-bit column, where it would turn negative.
    Sequence(u64),
}

impl Rejection {
    /// Short reason label for the metric.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Wire(WireError::TooLarge { .. } | WireError::TooManyFrames(_)) => "oversize",
            Self::Wire(WireError::Version(_)) => "version",
            Self::Wire(WireError::Magic) => "magic",
            Self::Wire(WireError::Truncated) => "truncated",
            Self::Wire(_) => "malformed",
            Self::WrongReceiver(_) => "receiver_mismatch",
            Self::Sequence(_) => "sequence",
        }
    }

    /// Counts the rejection and logs it (rate-limited per receiver).
    pub fn record(&self, receiver: &str) {
        metrics::counter!(
            "cloudradar_collector_batches_rejected_total",
            "receiver" => receiver.to_string(),
            "reason" => self.reason()
        )
        .increment(1);
        static LAST: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);
        let mut guard = match LAST.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let map = guard.get_or_insert_with(HashMap::new);
        let due = map
            .get(receiver)
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
        if due && map.len() < 10_000 {
            map.insert(receiver.to_string(), Instant::now());
            tracing::warn!(receiver, reason = self.reason(), detail = ?self, "batch rejected");
        }
    }
}

/// What ingest needs to know about a valid batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Sequence number.
    pub seq: u64,
    /// Frames in the batch.
    pub frames: usize,
    /// Newest reception time in the batch, Unix ms (0 when empty): the
    /// receiver's own clock, which the rate limit runs on.
    pub newest_rx_ms: u64,
}

/// Checks a batch from `topic_receiver`.
pub fn validate(
    topic_receiver: &str,
    payload: &[u8],
    limits: &Limits,
) -> Result<Checked, Rejection> {
    let batch = wire::decode(payload, limits).map_err(Rejection::Wire)?;
    if batch.receiver_id != topic_receiver {
        return Err(Rejection::WrongReceiver(batch.receiver_id));
    }
    check_seq(batch.seq)?;
    Ok(Checked {
        seq: batch.seq,
        frames: batch.frames.len(),
        newest_rx_ms: batch.frames.iter().map(|f| f.rx_ms).max().unwrap_or(0),
    })
}

/// Refuses a sequence number the store cannot keep (above [`wire::MAX_SEQ`]).
pub fn check_seq(seq: u64) -> Result<(), Rejection> {
    if seq > wire::MAX_SEQ {
        return Err(Rejection::Sequence(seq));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::wire::{Batch, encode, encode_v1};

    #[test]
    fn a_batch_for_another_receiver_is_refused() {
        let b = Batch {
            receiver_id: "rx-a".into(),
            seq: 7,
            created_ms: 1,
            frames: vec![],
        };
        let bytes = encode(&b);
        assert_eq!(
            validate("rx-a", &bytes, &Limits::default()).map(|c| c.seq),
            Ok(7)
        );
        assert_eq!(
            validate("rx-b", &bytes, &Limits::default()),
            Err(Rejection::WrongReceiver("rx-a".into()))
        );
        assert_eq!(
            validate("rx-a", b"junk", &Limits::default()).map_err(|r| r.reason()),
            Err("magic")
        );
    }

    #[test]
    fn batches_from_agents_still_on_wire_version_1_are_accepted() {
        let b = Batch {
            receiver_id: "rx-old".into(),
            seq: 9,
            created_ms: 1,
            frames: vec![],
        };
        assert_eq!(
            validate("rx-old", &encode_v1(&b), &Limits::default()).map(|c| c.seq),
            Ok(9)
        );
        let mut future = encode(&b);
        future[3] = 99;
        assert_eq!(
            validate("rx-old", &future, &Limits::default()).map_err(|r| r.reason()),
            Err("version")
        );
    }

    /// Regression: a batch numbered 2^63 or above was accepted and stored
    /// with a negative sequence (SQLite integers are signed).
    #[test]
    fn a_sequence_the_store_cannot_keep_is_refused() {
        let batch = |seq| Batch {
            receiver_id: "rx-a".into(),
            seq,
            created_ms: 1,
            frames: vec![],
        };
        for seq in [1 << 63, u64::MAX] {
            assert_eq!(
                validate("rx-a", &encode(&batch(seq)), &Limits::default()),
                Err(Rejection::Sequence(seq))
            );
            assert_eq!(Rejection::Sequence(seq).reason(), "sequence");
        }
        let last = (1 << 63) - 1;
        assert_eq!(
            validate("rx-a", &encode(&batch(last)), &Limits::default()).map(|c| c.seq),
            Ok(last)
        );
    }
}
