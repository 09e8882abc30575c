//! Grouping receptions of one transmission: every receiver's copy of a
//! frame carries identical bytes, so receptions are collected by frame
//! bytes until the group is older (by the receivers' wall clocks) than the
//! grouping window. Identical bytes sent twice (repeated replies) share a
//! group and are told apart later, on the common clock.

use std::collections::HashMap;

use cloudradar_shared::Frame;

/// The aircraft's own position for a DF17/18 airborne position message,
/// as the collector decoded it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Known {
    /// Degrees north.
    pub lat: f64,
    /// Degrees east.
    pub lon: f64,
    /// Altitude, feet (barometric or geometric).
    pub alt_ft: f64,
}

/// One receiver's copy of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reception {
    /// Receiver index.
    pub rx: u16,
    /// The receiver's clock epoch when it was stamped.
    pub epoch: u32,
    /// The receiver's clock, seconds in that epoch.
    pub t: f64,
    /// The receiver's wall clock, Unix ms.
    pub rx_ms: u64,
}

/// All receptions of one frame's bytes within the window.
#[derive(Debug, Clone)]
pub struct Group {
    /// The frame.
    pub frame: Frame,
    /// Earliest wall-clock time among the receptions, Unix ms.
    pub first_ms: u64,
    /// The receptions, in arrival order.
    pub receptions: Vec<Reception>,
    /// The ADS-B position the frame carries, if decoded by the collector.
    pub known: Option<Known>,
}

/// Open groups by frame bytes.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    open: HashMap<Frame, Group>,
}

impl Groups {
    /// Adds a reception; `false` when the table is full (`max_open`) and a
    /// new group would have been needed.
    pub fn add(
        &mut self,
        frame: &Frame,
        reception: Reception,
        known: Option<Known>,
        max_open: usize,
    ) -> bool {
        if let Some(g) = self.open.get_mut(frame) {
            g.first_ms = g.first_ms.min(reception.rx_ms);
            g.known = g.known.or(known);
            g.receptions.push(reception);
            return true;
        }
        if self.open.len() >= max_open {
            return false;
        }
        let mut receptions = Vec::with_capacity(8);
        receptions.push(reception);
        self.open.insert(
            *frame,
            Group {
                frame: *frame,
                first_ms: reception.rx_ms,
                receptions,
                known,
            },
        );
        true
    }

    /// Moves the groups whose first reception is at least `window_ms`
    /// before `now_ms` into `out`, oldest first.
    pub fn take_expired(&mut self, now_ms: u64, window_ms: u64, out: &mut Vec<Group>) {
        let start = out.len();
        out.extend(
            self.open
                .extract_if(|_, g| g.first_ms.saturating_add(window_ms) <= now_ms)
                .map(|(_, g)| g),
        );
        out[start..].sort_by_key(|g| g.first_ms);
    }

    /// Groups still open.
    pub fn open(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::encode;

    fn rec(rx: u16, rx_ms: u64) -> Reception {
        Reception {
            rx,
            epoch: 0,
            t: 0.0,
            rx_ms,
        }
    }

    #[test]
    fn receptions_of_one_frame_group_until_the_window_passes() {
        let mut g = Groups::default();
        let a = encode::df11(0x4840D6, 5, 0);
        let b = encode::df11(0x4840D7, 5, 0);
        assert!(g.add(&a, rec(0, 10_500), None, 10));
        assert!(g.add(&b, rec(0, 10_000), None, 10));
        assert!(g.add(&a, rec(1, 10_200), None, 10)); // earlier wall clock, later arrival
        let mut out = Vec::new();
        g.take_expired(12_300, 2_000, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].frame, b);
        assert_eq!(out[1].receptions.len(), 2);
        assert_eq!(out[1].first_ms, 10_200);
        assert_eq!(g.open(), 0);
        assert!(g.add(&a, rec(0, 20_000), None, 1));
        assert!(!g.add(&b, rec(0, 20_000), None, 1));
    }
}
