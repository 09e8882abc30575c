//! Pacing for recordings without a clock of their own (Beast and AVR
//! files): their frames are stamped with the time they are read, so read
//! at disk speed they would pack hundreds of thousands of frames into each
//! second of reception time, and the collector's per-receiver rate limit
//! (`receiver_max_frames_per_s`, default 50,000) would drop most of a
//! back-fill as a flood. Paced, at most `per_s` frames go out a second and
//! the reception time moves on with them. CSV recordings keep their
//! recorded times and are not paced.

use std::time::{Duration, Instant};

/// Frames let through between two looks at the clock: about 1/100 s worth.
fn check_every(per_s: u64) -> u64 {
    (per_s / 100).max(1)
}

/// Lets frames through at a steady rate.
#[derive(Debug)]
pub struct Pace {
    per_s: u64,
    start: Instant,
    passed: u64,
}

impl Pace {
    /// `per_s` frames a second from now; `None` (unpaced) for 0.
    pub fn new(per_s: u64) -> Option<Self> {
        (per_s > 0).then(|| Self {
            per_s,
            start: Instant::now(),
            passed: 0,
        })
    }

    /// Counts one frame let through; returns how long to wait before the
    /// next one at `now`, if at all.
    pub fn passed(&mut self, now: Instant) -> Option<Duration> {
        self.passed += 1;
        if !self.passed.is_multiple_of(check_every(self.per_s)) {
            return None;
        }
        let due = self.start + Duration::from_secs_f64(self.passed as f64 / self.per_s as f64);
        due.checked_duration_since(now).filter(|d| !d.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_unpaced() {
        assert!(Pace::new(0).is_none());
    }

    #[test]
    fn a_second_of_frames_waits_until_a_second_has_passed() {
        let mut p = Pace::new(1_000).unwrap();
        let start = p.start;
        // Read instantly: every 10th frame asks to wait until its due time.
        let waits: Vec<Duration> = (0..1_000).filter_map(|_| p.passed(start)).collect();
        assert_eq!(waits.len(), 100);
        assert_eq!(waits.last(), Some(&Duration::from_secs(1)));
        assert_eq!(waits[0], Duration::from_millis(10));
    }

    #[test]
    fn a_slow_reader_is_never_held_back() {
        let mut p = Pace::new(1_000).unwrap();
        let late = p.start + Duration::from_secs(5);
        assert!((0..4_000).all(|_| p.passed(late).is_none()));
        // Once it catches up with the schedule, it is paced again.
        assert!((0..2_000).any(|_| p.passed(late).is_some()));
    }
}
