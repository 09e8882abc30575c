//! Cross-receiver de-duplication: the same message bytes heard by several
//! receivers within a short window are one transmission. The first
//! reception creates the message; later ones point at it.
//!
//! Occurrences are keyed by bytes and time bucket (bucket = window), so
//! messages that repeat identically (squitters, altitude replies) and
//! receivers that deliver a little late still match the right
//! transmission: a lookup checks its bucket and the two neighbours.
//! Occurrences are kept for [`HORIZON_MS`]: memory is proportional to the
//! distinct transmissions in that time (about 35,000 a second at 100,000
//! frames/s), so it is short. A receiver delivering later than that (its
//! spool drained after an outage) gets its own messages, not merged ones;
//! no reception is lost.

use std::collections::HashMap;

use cloudradar_shared::Frame;

/// How long occurrences are kept for late deliveries, ms. (It was 600 s:
/// at 100,000 frames/s that held ~21 million entries and the collector
/// grew past its 200 MB memory target within a minute.)
pub const HORIZON_MS: u64 = 30_000;

/// Recently seen transmissions.
#[derive(Debug)]
pub struct Dedup {
    window_ms: u64,
    seen: HashMap<(Frame, u64), (i64, u64)>,
    inserts: usize,
    newest_ms: u64,
}

impl Dedup {
    /// A de-duplicator treating identical bytes within `window_ms` as one.
    pub fn new(window_ms: u64) -> Self {
        Self {
            window_ms: window_ms.max(1),
            seen: HashMap::new(),
            inserts: 0,
            newest_ms: 0,
        }
    }

    /// The id of the transmission these bytes belong to: an existing one
    /// when heard within the window, else `new_id()`'s. Returns `(id, is_new)`.
    pub fn assign(
        &mut self,
        frame: &Frame,
        time_ms: u64,
        new_id: impl FnOnce() -> i64,
    ) -> (i64, bool) {
        let bucket = time_ms / self.window_ms;
        for b in [bucket, bucket.wrapping_sub(1), bucket + 1] {
            if let Some(&(id, at)) = self.seen.get(&(*frame, b))
                && at.abs_diff(time_ms) <= self.window_ms
            {
                return (id, false);
            }
        }
        let id = new_id();
        self.seen.insert((*frame, bucket), (id, time_ms));
        self.newest_ms = self.newest_ms.max(time_ms);
        self.inserts += 1;
        if self.inserts >= 100_000 {
            self.inserts = 0;
            let cutoff = self.newest_ms.saturating_sub(HORIZON_MS);
            self.seen.retain(|_, (_, at)| *at >= cutoff);
        }
        (id, true)
    }

    /// Entries held (for the memory metric).
    pub fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_within_the_window_are_one_message() {
        let f = Frame::from_hex("8D4840D6202CC371C32CE0576098").unwrap();
        let g = Frame::from_hex("8D40621D58C382D690C8AC2863A7").unwrap();
        let mut d = Dedup::new(1000);
        let mut next = 0;
        let mut id = || {
            next += 1;
            next
        };
        assert_eq!(d.assign(&f, 10_000, &mut id), (1, true));
        assert_eq!(d.assign(&f, 10_300, &mut id), (1, false));
        assert_eq!(d.assign(&g, 10_300, &mut id), (2, true));
        // The same bytes 5 s later are a new transmission (identification repeats).
        assert_eq!(d.assign(&f, 15_000, &mut id), (3, true));
        // A late delivery of the first one still matches it, across a bucket edge too.
        assert_eq!(d.assign(&f, 10_999, &mut id), (1, false));
        assert_eq!(d.assign(&f, 9_500, &mut id), (1, false));
    }

    /// Regression: occurrences were kept 600 s, so memory grew with the
    /// frame rate for ten minutes (past 300 MB at 100,000 frames/s). The
    /// table now holds about the horizon's worth of transmissions.
    #[test]
    fn memory_is_bounded_by_the_horizon() {
        let mut d = Dedup::new(1000);
        let mut next = 0;
        // 10 distinct transmissions per ms for 120 s of traffic.
        let per_ms = 10u64;
        for t in 0..120_000u64 {
            for k in 0..per_ms {
                let mut bytes = [0u8; 14];
                bytes[0] = 0x8d;
                bytes[1..9].copy_from_slice(&(t * per_ms + k).to_be_bytes());
                let f = Frame::new(&bytes).expect("frame");
                d.assign(&f, t, || {
                    next += 1;
                    next
                });
            }
        }
        let bound = (HORIZON_MS * per_ms) as usize + 100_000;
        assert!(d.len() <= bound, "{} entries > {bound}", d.len());
    }
}
