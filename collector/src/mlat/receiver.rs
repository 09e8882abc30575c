//! One receiver: its antenna position and its 48-bit 12 MHz counter,
//! unwrapped into seconds since the counter was first seen, with clock
//! resets (the counter jumping against the wall clock) detected.

use super::geodesy::lla_to_ecef;
use super::linalg::Vec3;

/// Counter ticks per second (Beast / dump1090 12 MHz clock).
pub const TICKS_PER_S: f64 = 12e6;
const WRAP: u64 = 1 << 48;

/// A receiver as the engine knows it.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Antenna position, ECEF metres.
    pub ecef: Vec3,
    /// Antenna position, degrees.
    pub lat: f64,
    /// Antenna position, degrees.
    pub lon: f64,
    /// Whether a position was set (receivers without one cannot take part).
    pub located: bool,
    /// Increments at every clock reset; receptions of an older epoch are void.
    pub epoch: u32,
    clock: Option<Clock>,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    /// Last (latest) raw counter value and its unwrapped seconds.
    last_raw: u64,
    last_s: f64,
    last_rx_ms: u64,
}

/// What a timestamp meant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stamp {
    /// Seconds of this receiver's clock in its current epoch.
    Time(f64),
    /// The counter jumped: a new epoch started with this reading at time zero.
    Reset,
}

impl Receiver {
    /// A receiver not yet located.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            ecef: [0.0; 3],
            lat: 0.0,
            lon: 0.0,
            located: false,
            epoch: 0,
            clock: None,
        }
    }

    /// Sets the antenna position.
    pub fn locate(&mut self, lat: f64, lon: f64, alt_m: f64) {
        self.ecef = lla_to_ecef(lat, lon, alt_m);
        self.lat = lat;
        self.lon = lon;
        self.located = true;
    }

    /// Unwraps a raw counter reading. A reading whose advance disagrees
    /// with the wall clock's by more than `tolerance_s` starts a new epoch.
    pub fn stamp(&mut self, raw: u64, rx_ms: u64, tolerance_s: f64) -> Stamp {
        let raw = raw % WRAP;
        let Some(c) = self.clock.as_mut() else {
            self.start(raw, rx_ms);
            return Stamp::Time(0.0);
        };
        // Signed advance in ticks, modulo the wrap.
        let mut d = raw.wrapping_sub(c.last_raw) % WRAP;
        if d >= WRAP / 2 {
            d = d.wrapping_sub(WRAP);
        }
        let d_s = (d as i64) as f64 / TICKS_PER_S;
        let wall_s = (rx_ms as f64 - c.last_rx_ms as f64) / 1000.0;
        if (d_s - wall_s).abs() > tolerance_s {
            self.epoch += 1;
            self.start(raw, rx_ms);
            return Stamp::Reset;
        }
        let t = c.last_s + d_s;
        if d > 0 {
            c.last_raw = raw;
            c.last_s = t;
            c.last_rx_ms = rx_ms;
        }
        Stamp::Time(t)
    }

    fn start(&mut self, raw: u64, rx_ms: u64) {
        self.clock = Some(Clock {
            last_raw: raw,
            last_s: 0.0,
            last_rx_ms: rx_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_wrap_is_unwrapped() {
        let mut r = Receiver::new();
        let start = WRAP - 6_000_000; // half a second before the wrap
        assert_eq!(r.stamp(start, 1_000, 3.0), Stamp::Time(0.0));
        let Stamp::Time(t) = r.stamp(6_000_000, 2_000, 3.0) else {
            panic!("no reset expected");
        };
        assert!((t - 1.0).abs() < 1e-9, "t {t}");
    }

    #[test]
    fn counter_jump_against_the_wall_clock_is_a_reset() {
        let mut r = Receiver::new();
        r.stamp(1_000_000_000, 1_000, 3.0);
        assert!(matches!(r.stamp(1_012_000_000, 2_000, 3.0), Stamp::Time(_)));
        assert_eq!(r.stamp(5, 3_000, 3.0), Stamp::Reset);
        assert_eq!(r.epoch, 1);
        // A slightly late (out of order) reading is still fine.
        assert!(matches!(r.stamp(1, 3_000, 3.0), Stamp::Time(t) if t < 0.0));
    }
}
