//! Receiver clocks: every receiver stamps what it hears with its own
//! free-running 12 MHz counter, as a Mode-S Beast or an RTL-SDR running
//! dump1090 does, so multilateration has to synchronise them first.
//!
//! A clock has a random start value (48 bits), a frequency error drawn
//! uniformly within its class's bound, a slow drift (a random walk of the
//! frequency error, bounded by the same limit), timestamp jitter (Gaussian
//! noise, then truncation to the 83.3 ns tick) and occasional resets (the
//! receiver restarts and the counter continues from a new random value;
//! a Poisson process). The classes follow mlat-server's clock models
//! (`mlat/clocksync.py` `make_clock`): Beast ±5 ppm, 83 ns; dump1090
//! ±100 ppm, 500 ns. `Ideal` is the perfect shared clock that counts true
//! time from the start of the run, as the simulator had before.
//!
//! The frequency changes (drift) and resets happen at [`ReceiverClock::advance_to`],
//! once per engine step; within a step the clock runs at a constant rate.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Counter frequency, ticks per second.
pub const TICKS_PER_S: f64 = 12e6;

/// Beast timestamps are 48 bits wide.
pub const WRAP: u64 = 0xFFFF_FFFF_FFFF;

/// The kind of receiver clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    /// Perfect, and shared by every receiver: true time since the start.
    Ideal,
    /// Mode-S Beast class: ±5 ppm, 80 ns noise.
    Beast,
    /// RTL-SDR with dump1090 class: ±100 ppm, 500 ns noise.
    Dump1090,
    /// Beast for the 1st, 3rd, 5th... receiver, dump1090 for the others.
    #[default]
    Mixed,
}

impl ClockKind {
    /// The class of receiver number `index` (from 0): resolves `Mixed`.
    pub fn for_receiver(self, index: usize) -> Self {
        match self {
            Self::Mixed if index.is_multiple_of(2) => Self::Beast,
            Self::Mixed => Self::Dump1090,
            k => k,
        }
    }
}

/// One clock's parameters; [`ClockParams::class`] gives a class's
/// defaults, a receiver's `clock_*` keys override them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockParams {
    /// The class (never `Mixed`); `Ideal` ignores every other field.
    pub kind: ClockKind,
    /// Largest frequency error, parts per million (the class bound).
    pub max_ppm: f64,
    /// The frequency error at the start, ppm; random within `max_ppm` when unset.
    pub ppm: Option<f64>,
    /// Random walk of the frequency error, parts per billion per √s.
    pub drift_ppb: f64,
    /// Standard deviation of the timestamp noise before truncation to a
    /// tick, nanoseconds.
    pub jitter_ns: f64,
    /// Mean time between resets, seconds (0: never).
    pub reset_interval_s: f64,
}

impl ClockParams {
    /// The defaults of a class (`Mixed` must be resolved first; it reads
    /// as Beast).
    ///
    /// Drift: a TCXO (Beast) wanders by well under 0.1 ppm an hour
    /// (0.5 ppb/√s gives 0.03 ppm), a bare RTL-SDR crystal by about a
    /// third of a ppm an hour (5 ppb/√s gives 0.3 ppm). Jitter: with
    /// the tick's truncation (83.3 ns/√12 = 24 ns) the Beast total is
    /// mlat-server's 83 ns. Resets: a Beast restarts about daily, a
    /// dump1090 Raspberry Pi every few hours (updates, USB hiccups).
    pub fn class(kind: ClockKind) -> Self {
        match kind {
            ClockKind::Ideal => Self {
                kind,
                max_ppm: 0.0,
                ppm: Some(0.0),
                drift_ppb: 0.0,
                jitter_ns: 0.0,
                reset_interval_s: 0.0,
            },
            ClockKind::Beast | ClockKind::Mixed => Self {
                kind: ClockKind::Beast,
                max_ppm: 5.0,
                ppm: None,
                drift_ppb: 0.5,
                jitter_ns: 80.0,
                reset_interval_s: 86_400.0,
            },
            ClockKind::Dump1090 => Self {
                kind,
                max_ppm: 100.0,
                ppm: None,
                drift_ppb: 5.0,
                jitter_ns: 500.0,
                reset_interval_s: 21_600.0,
            },
        }
    }
}

/// One receiver's 12 MHz counter as a function of true time.
#[derive(Debug, Clone)]
pub struct ReceiverClock {
    params: ClockParams,
    rng: Rng,
    /// Largest frequency error, as a fraction: the class bound, or the
    /// configured start error if that is larger.
    bound: f64,
    /// Counter value at the last reset (or the start).
    base: u64,
    /// True time at which the current constant-rate segment starts.
    seg_t: f64,
    /// Ticks counted since the last reset, at `seg_t`.
    seg_ticks: f64,
    /// Fractional frequency error in this segment (1e-6 = 1 ppm fast).
    freq: f64,
    /// True time of the next reset.
    next_reset: f64,
    resets: u32,
}

impl ReceiverClock {
    /// A clock starting at true time 0, its randomness from `seed`.
    pub fn new(params: ClockParams, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let bound = params.max_ppm.abs();
        let ppm = params.ppm.unwrap_or_else(|| rng.range(-bound, bound));
        let ideal = params.kind == ClockKind::Ideal;
        let base = if ideal { 0 } else { rng.next_u64() & WRAP };
        let next_reset = match params.reset_interval_s {
            m if m > 0.0 && !ideal => rng.exponential(m),
            _ => f64::INFINITY,
        };
        Self {
            params,
            rng,
            bound: bound.max(ppm.abs()) * 1e-6,
            base,
            seg_t: 0.0,
            seg_ticks: 0.0,
            freq: ppm * 1e-6,
            next_reset,
            resets: 0,
        }
    }

    /// Moves the clock to true time `t`: the ticks of the segment that
    /// ends, the drift over it, and the resets due by then. Stamps that
    /// follow must be for times at or after `t`.
    pub fn advance_to(&mut self, t: f64) {
        let dt = t - self.seg_t;
        if self.is_ideal() || dt <= 0.0 {
            return;
        }
        self.seg_ticks += dt * TICKS_PER_S * (1.0 + self.freq);
        let bound = self.bound;
        let step = self.rng.normal() * self.params.drift_ppb * 1e-9 * dt.sqrt();
        // Reflected at the bound, so the error stays within its class.
        let mut f = self.freq + step;
        if f > bound {
            f = 2.0 * bound - f;
        } else if f < -bound {
            f = -2.0 * bound - f;
        }
        self.freq = f.clamp(-bound, bound);
        self.seg_t = t;
        if self.next_reset <= t {
            // Resets fall on a step boundary (at most 0.1 s late).
            self.base = self.rng.next_u64() & WRAP;
            self.seg_ticks = 0.0;
            self.resets += 1;
            self.next_reset = t + self.rng.exponential(self.params.reset_interval_s);
        }
    }

    /// The counter value (48 bits) stamped on a reception at true time `t`.
    pub fn stamp(&mut self, t: f64) -> u64 {
        if self.is_ideal() {
            return ((t * TICKS_PER_S) as u64) & WRAP;
        }
        let jitter = self.rng.normal() * self.params.jitter_ns * 1e-9;
        let ticks = self.seg_ticks + (t + jitter - self.seg_t) * TICKS_PER_S * (1.0 + self.freq);
        self.base.wrapping_add_signed(ticks.floor() as i64) & WRAP
    }

    /// Whether this is the perfect shared clock.
    pub fn is_ideal(&self) -> bool {
        self.params.kind == ClockKind::Ideal
    }

    /// The present frequency error, ppm.
    pub fn ppm(&self) -> f64 {
        self.freq * 1e6
    }

    /// Resets so far.
    pub fn resets(&self) -> u32 {
        self.resets
    }

    /// The parameters it runs with.
    pub fn params(&self) -> &ClockParams {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(kind: ClockKind, seed: u64) -> ReceiverClock {
        ReceiverClock::new(ClockParams::class(kind), seed)
    }

    /// Runs `c` in 0.1 s steps up to `t` and stamps a reception there.
    fn stamp_at(c: &mut ReceiverClock, t: f64) -> u64 {
        let mut now = c.seg_t;
        while now + 0.1 <= t {
            now += 0.1;
            c.advance_to(now);
        }
        c.stamp(t)
    }

    /// The frequency error seen from outside: ticks counted over 100 s.
    fn measured_ppm(c: &mut ReceiverClock) -> f64 {
        let a = stamp_at(c, 1.0);
        let b = stamp_at(c, 101.0);
        let ticks = b.wrapping_sub(a) & WRAP;
        (ticks as f64 / (100.0 * TICKS_PER_S) - 1.0) * 1e6
    }

    #[test]
    fn frequency_errors_stay_within_the_class_bound_and_spread_over_it() {
        for (kind, bound) in [(ClockKind::Beast, 5.0), (ClockKind::Dump1090, 100.0)] {
            let errors: Vec<f64> = (0..200)
                .map(|seed| {
                    let mut c = clock(kind, seed);
                    c.next_reset = f64::INFINITY;
                    measured_ppm(&mut c)
                })
                .collect();
            let (lo, hi) = errors
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), &e| (l.min(e), h.max(e)));
            assert!(
                lo >= -bound - 0.01 && hi <= bound + 0.01,
                "{kind:?}: {lo}..{hi}"
            );
            assert!(
                lo < -0.6 * bound && hi > 0.6 * bound,
                "{kind:?}: {lo}..{hi}"
            );
        }
    }

    /// Timestamp noise around the clock's own linear count: Gaussian
    /// noise and the 83 ns truncation, with the standard deviation of both.
    #[test]
    fn jitter_has_the_configured_spread() {
        for (kind, noise_ns) in [(ClockKind::Beast, 80.0), (ClockKind::Dump1090, 500.0)] {
            let mut c = clock(kind, 5);
            c.advance_to(3.0);
            let n = 20_000;
            let residuals: Vec<f64> = (0..n)
                .map(|i| {
                    let t = 3.0 + i as f64 * 1e-5;
                    let exact = c.seg_ticks + (t - c.seg_t) * TICKS_PER_S * (1.0 + c.freq);
                    let got = (c.stamp(t).wrapping_sub(c.base) & WRAP) as f64;
                    // Truncation lowers the count by half a tick on average.
                    (got - exact + 0.5) / TICKS_PER_S * 1e9
                })
                .collect();
            let mean = residuals.iter().sum::<f64>() / n as f64;
            let sd = (residuals.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let want = (noise_ns * noise_ns + (1e9 / TICKS_PER_S).powi(2) / 12.0).sqrt();
            assert!(mean.abs() < 0.05 * want, "{kind:?}: mean {mean} ns");
            assert!(
                (sd - want).abs() < 0.05 * want,
                "{kind:?}: sd {sd} ns, want {want}"
            );
        }
    }

    #[test]
    fn resets_happen_at_the_configured_rate_and_jump_the_counter() {
        let params = ClockParams {
            reset_interval_s: 10.0,
            ..ClockParams::class(ClockKind::Dump1090)
        };
        let mut c = ReceiverClock::new(params, 9);
        let (mut jumps, mut last) = (0, c.stamp(0.05));
        for step in 1..10_000 {
            let t = step as f64 * 0.1;
            c.advance_to(t);
            let now = c.stamp(t + 0.05);
            // 0.1 s is 1.2 M ticks; a reset lands anywhere in 2^48.
            let ticks = now.wrapping_sub(last) & WRAP;
            if !(1_150_000..1_250_000).contains(&ticks) {
                jumps += 1;
            }
            last = now;
        }
        assert!((70..=130).contains(&c.resets()), "{} resets", c.resets());
        assert_eq!(jumps, c.resets(), "every reset and only a reset jumps");
    }

    #[test]
    fn receivers_start_at_different_offsets_and_one_seed_repeats() {
        let starts: Vec<u64> = (0..50)
            .map(|s| clock(ClockKind::Beast, s).stamp(0.0))
            .collect();
        for (i, a) in starts.iter().enumerate() {
            for b in &starts[i + 1..] {
                // At least a second apart (12 M ticks of 2^48).
                assert!(a.abs_diff(*b) > 12_000_000, "{a} {b}");
            }
        }
        assert_eq!(
            stamp_at(&mut clock(ClockKind::Dump1090, 4), 20.0),
            stamp_at(&mut clock(ClockKind::Dump1090, 4), 20.0)
        );
    }

    #[test]
    fn the_counter_wraps_at_48_bits() {
        let mut c = clock(ClockKind::Beast, 1);
        c.base = WRAP - 6_000_000;
        let before = c.stamp(0.0);
        let after = stamp_at(&mut c, 1.0);
        assert!(before > WRAP - 7_000_000, "{before}");
        assert!(after < 7_000_000, "{after}");
        let ticks = after.wrapping_sub(before) & WRAP;
        assert!((11_999_000..=12_001_000).contains(&ticks), "{ticks}");
    }

    #[test]
    fn the_ideal_clock_counts_true_time() {
        let mut c = clock(ClockKind::Ideal, 3);
        for t in [0.0, 1.5e-4, 17.25, 3_600.0] {
            c.advance_to(t);
            assert_eq!(c.stamp(t + 1e-4), ((t + 1e-4) * 12e6) as u64);
        }
        assert_eq!(c.resets(), 0);
    }
}
