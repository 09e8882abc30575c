//! Delivery confirmations: the collector → agent message naming the
//! batches the collector is done with (stored durably, or deliberately
//! dropped and counted). An agent keeps a batch in its spool until it is
//! named here, so what the broker in between loses is sent again.
//!
//! ```text
//! "CRD" | version u8 (1) | varint n | n × (varint first, varint count - 1)
//! ```
//! Ranges are inclusive runs of sequence numbers, in increasing order and
//! not touching. Published at QoS 1 to [`done_topic`]; see
//! `docs/decisions/0007-end-to-end-delivery.md`.

use super::reader::{Reader, put_varint};
use super::{TOPIC_PREFIX, WireError};

/// First bytes of every confirmation.
pub const DONE_MAGIC: &[u8; 3] = b"CRD";
/// The confirmation layout this build reads and writes.
pub const DONE_VERSION: u8 = 1;
/// Most ranges in one confirmation (a collector sends one every 100 ms).
pub const MAX_DONE_RANGES: usize = 4096;

/// Topic the collector confirms a receiver's batches on; only that
/// receiver may subscribe to it.
pub fn done_topic(receiver_id: &str) -> String {
    format!("{TOPIC_PREFIX}/{receiver_id}/done")
}

/// Sequence numbers the collector is done with, as inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    ranges: Vec<(u64, u64)>,
}

impl Done {
    /// The ranges covering `seqs` (any order, repeats allowed).
    pub fn from_seqs(seqs: impl IntoIterator<Item = u64>) -> Self {
        let mut all: Vec<u64> = seqs.into_iter().collect();
        all.sort_unstable();
        all.dedup();
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for s in all {
            match ranges.last_mut() {
                Some((_, last)) if last.checked_add(1) == Some(s) => *last = s,
                _ => ranges.push((s, s)),
            }
        }
        Self { ranges }
    }

    /// The inclusive ranges, in increasing order.
    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// Whether no batch is named.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `seq` is named.
    pub fn contains(&self, seq: u64) -> bool {
        let i = self.ranges.partition_point(|r| r.1 < seq);
        self.ranges.get(i).is_some_and(|r| r.0 <= seq)
    }

    /// Splits into messages of at most [`MAX_DONE_RANGES`] ranges each.
    pub fn chunks(&self) -> impl Iterator<Item = Done> + '_ {
        self.ranges
            .chunks(MAX_DONE_RANGES)
            .map(|c| Done { ranges: c.to_vec() })
    }

    /// Encodes (at most [`MAX_DONE_RANGES`] ranges: use [`Done::chunks`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 4 * self.ranges.len());
        out.extend_from_slice(DONE_MAGIC);
        out.push(DONE_VERSION);
        put_varint(&mut out, self.ranges.len() as u64);
        for (first, last) in &self.ranges {
            put_varint(&mut out, *first);
            put_varint(&mut out, last - first);
        }
        out
    }

    /// Decodes an untrusted confirmation.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        if r.take(3).map_err(|_| WireError::Magic)? != DONE_MAGIC {
            return Err(WireError::Magic);
        }
        match r.u8()? {
            DONE_VERSION => {}
            v => return Err(WireError::Version(v)),
        }
        let n = r.varint()?;
        if n > MAX_DONE_RANGES as u64 {
            return Err(WireError::Invalid("too many ranges"));
        }
        let mut ranges: Vec<(u64, u64)> = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let first = r.varint()?;
            let last = first
                .checked_add(r.varint()?)
                .ok_or(WireError::Invalid("range beyond the largest sequence"))?;
            if let Some((_, prev)) = ranges.last()
                && first <= prev.saturating_add(1)
            {
                return Err(WireError::Invalid("ranges out of order"));
            }
            ranges.push((first, last));
        }
        if !r.is_empty() {
            return Err(WireError::Invalid("trailing bytes"));
        }
        Ok(Self { ranges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_become_merged_ranges_and_round_trip() {
        let d = Done::from_seqs([7, 3, 4, 5, 9, 4, 10, u64::MAX]);
        assert_eq!(d.ranges(), &[(3, 5), (7, 7), (9, 10), (u64::MAX, u64::MAX)]);
        assert_eq!(Done::decode(&d.encode()), Ok(d.clone()));
        for s in [3, 5, 7, 9, 10, u64::MAX] {
            assert!(d.contains(s), "{s}");
        }
        for s in [0, 2, 6, 8, 11, u64::MAX - 1] {
            assert!(!d.contains(s), "{s}");
        }
        assert_eq!(Done::decode(&Done::default().encode()), Ok(Done::default()));
    }

    #[test]
    fn malformed_confirmations_are_errors() {
        let good = Done::from_seqs([1, 2, 5]).encode();
        assert_eq!(Done::decode(b"CRB\x01\x00"), Err(WireError::Magic));
        assert_eq!(Done::decode(b"CRD\x02\x00"), Err(WireError::Version(2)));
        for cut in 0..good.len() {
            assert!(Done::decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(Done::decode(&trailing).is_err());
        // (5,5) then (5,5): overlapping; (1,1) then (2,2): touching, not merged.
        assert!(Done::decode(b"CRD\x01\x02\x05\x00\x05\x00").is_err());
        assert!(Done::decode(b"CRD\x01\x02\x01\x00\x02\x00").is_err());
        // A range running past u64::MAX.
        let mut over = b"CRD\x01\x01".to_vec();
        put_varint(&mut over, u64::MAX);
        put_varint(&mut over, 1);
        assert!(Done::decode(&over).is_err());
        let mut many = b"CRD\x01".to_vec();
        put_varint(&mut many, MAX_DONE_RANGES as u64 + 1);
        assert_eq!(
            Done::decode(&many),
            Err(WireError::Invalid("too many ranges"))
        );
    }

    #[test]
    fn large_confirmations_split_into_messages_within_the_bound() {
        let d = Done::from_seqs((0..3 * MAX_DONE_RANGES as u64).map(|i| 2 * i));
        let parts: Vec<Done> = d.chunks().collect();
        assert_eq!(parts.len(), 3);
        for p in &parts {
            assert_eq!(Done::decode(&p.encode()).as_ref(), Ok(p));
        }
    }
}
