//! Frame checks before batching: CRC validation with single-bit repair
//! (DF11/17/18), and dropping identical frames seen again within a short
//! window (the same message delivered twice by multipath or by two
//! decoders feeding one agent), then, in reduce mode, thinning positions
//! and velocities ([`crate::reduce`]). Counts good, corrected, rejected,
//! repeated and reduced frames.

use std::collections::HashMap;

use cloudradar_shared::Frame;
use cloudradar_shared::decode::{CrcStatus, DecodeError, DecodeOptions, decode};
use cloudradar_shared::wire::WireFrame;

use crate::input::Arrival;
use crate::reduce::Reducer;

/// Running totals.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Passed unchanged.
    pub good: u64,
    /// Passed after a repair.
    pub corrected: u64,
    /// Failed the CRC or was malformed.
    pub rejected: u64,
    /// Dropped as a repeat.
    pub duplicates: u64,
    /// Dropped by reduce mode.
    pub reduced: u64,
}

/// The filter.
#[derive(Debug)]
pub struct Filter {
    opts: DecodeOptions,
    window_ms: u64,
    recent: HashMap<Frame, u64>,
    reduce: Option<Reducer>,
    /// Totals so far.
    pub counts: Counts,
}

impl Filter {
    /// A filter dropping repeats within `window_ms` (0 = keep all).
    pub fn new(window_ms: u64) -> Self {
        Self {
            opts: DecodeOptions::default(),
            window_ms,
            recent: HashMap::new(),
            reduce: None,
            counts: Counts::default(),
        }
    }

    /// Also thins positions and velocities to one per `interval_ms` per
    /// aircraft (0 = full rate, the default).
    pub fn with_reduce(mut self, interval_ms: u64) -> Self {
        self.reduce = (interval_ms > 0).then(|| Reducer::new(interval_ms));
        self
    }

    /// The frame to send, or `None` if it is dropped.
    pub fn accept(&mut self, a: &Arrival) -> Option<WireFrame> {
        let message = match decode(&a.rx.frame, &self.opts) {
            Ok(m) => {
                match m.crc {
                    CrcStatus::Corrected { .. } => {
                        self.counts.corrected += 1;
                        metrics::counter!("cloudradar_agent_frames_corrected_total").increment(1);
                    }
                    _ => self.counts.good += 1,
                }
                m
            }
            Err(e) => {
                self.counts.rejected += 1;
                let reason = match e {
                    DecodeError::Crc { .. } => "crc",
                    DecodeError::Length { .. } => "length",
                    _ => "format",
                };
                metrics::counter!("cloudradar_agent_frames_rejected_total", "reason" => reason)
                    .increment(1);
                return None;
            }
        };
        let frame = message.frame;
        if self.window_ms > 0 {
            if let Some(&at) = self.recent.get(&frame)
                && a.rx_ms.abs_diff(at) <= self.window_ms
            {
                self.counts.duplicates += 1;
                metrics::counter!("cloudradar_agent_frames_duplicate_total").increment(1);
                return None;
            }
            if self.recent.len() > 100_000 {
                let cutoff = a.rx_ms.saturating_sub(self.window_ms);
                self.recent.retain(|_, t| *t >= cutoff);
            }
            self.recent.insert(frame, a.rx_ms);
        }
        if let Some(r) = &mut self.reduce
            && !r.keep(&message, a.rx_ms)
        {
            self.counts.reduced += 1;
            metrics::counter!("cloudradar_agent_frames_reduced_total").increment(1);
            return None;
        }
        metrics::counter!("cloudradar_agent_frames_accepted_total").increment(1);
        Some(WireFrame {
            rx_ms: a.rx_ms,
            timestamp: a.rx.timestamp,
            signal: a.rx.signal,
            frame,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::format::Received;

    fn arrival(hex: &str, rx_ms: u64) -> Arrival {
        Arrival {
            rx: Received {
                frame: Frame::from_hex(hex).unwrap(),
                timestamp: 0,
                signal: 0,
            },
            rx_ms,
            mark: None,
        }
    }

    #[test]
    fn corrupt_frame_is_counted_and_dropped_and_one_bit_errors_repaired() {
        let mut f = Filter::new(100);
        assert!(
            f.accept(&arrival("8D4840D6202CC371C32CE0576098", 0))
                .is_some()
        );
        // One flipped bit: repaired to the original.
        let fixed = f
            .accept(&arrival("8D4840D6202CC371C32CE0576099", 1000))
            .unwrap();
        assert_eq!(fixed.frame.to_hex(), "8d4840d6202cc371c32ce0576098");
        // Several flipped bits: rejected.
        assert!(
            f.accept(&arrival("8D4840D6202CC371C32CE05760FF", 2000))
                .is_none()
        );
        assert_eq!(
            f.counts,
            Counts {
                good: 1,
                corrected: 1,
                rejected: 1,
                duplicates: 0,
                reduced: 0,
            }
        );
    }

    #[test]
    fn repeats_within_the_window_are_dropped() {
        let mut f = Filter::new(100);
        assert!(
            f.accept(&arrival("8D4840D6202CC371C32CE0576098", 0))
                .is_some()
        );
        assert!(
            f.accept(&arrival("8D4840D6202CC371C32CE0576098", 50))
                .is_none()
        );
        assert!(
            f.accept(&arrival("8D4840D6202CC371C32CE0576098", 500))
                .is_some()
        );
        assert_eq!(f.counts.duplicates, 1);
    }

    #[test]
    fn reduce_mode_thins_positions_after_deduplication() {
        // Airborne positions of one aircraft (40621d), even format, 200 ms apart.
        let even = "8D40621D58C382D690C8AC2863A7";
        let mut full = Filter::new(0);
        let mut reduced = Filter::new(0).with_reduce(1_000);
        let kept = |f: &mut Filter| {
            (0..10)
                .filter(|i| f.accept(&arrival(even, i * 200)).is_some())
                .count()
        };
        assert_eq!(kept(&mut full), 10);
        assert_eq!(kept(&mut reduced), 2); // at 0 and 1000 ms
        assert_eq!(reduced.counts.reduced, 8);
        assert_eq!(full.counts.reduced, 0);
    }
}
