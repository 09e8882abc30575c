//! Cross-receiver de-duplication: the same message bytes heard by several
//! receivers within a short window are one transmission. The first
//! reception creates the message; later ones point at it.
//!
//! Occurrences are keyed by bytes and time bucket (bucket = window), so
//! messages that repeat identically (squitters, altitude replies) and
//! receivers that deliver late (a spool drained after an outage) still
//! match the right transmission: a lookup checks its bucket and the two
//! neighbours.

use std::collections::HashMap;

use cloudradar_shared::Frame;

/// How long occurrences are kept for late deliveries, ms.
const HORIZON_MS: u64 = 600_000;

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
}
