//! Waiting between retries: exponential backoff with jitter and a cap, as
//! PiAware reconnects (5 s doubling to 60 s, ±20 %). The jitter spreads
//! the reconnects of many clients that lost the same server at once.

use std::time::Duration;

/// Most a delay strays from its base, either way (±20 %).
pub const JITTER: f64 = 0.2;

/// Delays that double from `initial` up to `cap`, each drawn uniformly
/// within ±[`JITTER`] of its base. At the cap the base stops growing and
/// delays stay within ±20 % of it, so clients at the cap still spread out.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    cap: Duration,
    base: Duration,
    /// xorshift64 state (never zero), seeded from the OS random source.
    state: u64,
}

impl Backoff {
    /// Delays from `initial` doubling to `cap` (an `initial` above the cap
    /// starts at the cap).
    pub fn new(initial: Duration, cap: Duration) -> Self {
        // Jitter needs no secrecy: with the OS source unreadable, the clock
        // still separates processes started at different instants.
        let seed = crate::random::u64().unwrap_or_else(|_| crate::time::now_us());
        Self::with_seed(initial, cap, seed)
    }

    /// As [`Backoff::new`] with the jitter drawn from `seed`: the same seed
    /// gives the same delays (for tests and deterministic simulations).
    pub fn with_seed(initial: Duration, cap: Duration, seed: u64) -> Self {
        let initial = initial.min(cap);
        Self {
            initial,
            cap,
            base: initial,
            state: seed | 1,
        }
    }

    /// The delay to wait now; the next one's base is twice this one's, up
    /// to the cap.
    #[expect(
        clippy::should_implement_trait,
        reason = "an endless sequence: Iterator's Option would always be Some"
    )]
    pub fn next(&mut self) -> Duration {
        let base = self.base;
        self.base = base.saturating_mul(2).min(self.cap);
        let factor = 1.0 - JITTER + 2.0 * JITTER * self.unit();
        Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(base)
    }

    /// Back to `initial`, after a success.
    pub fn reset(&mut self) {
        self.base = self.initial;
    }

    /// A uniform draw in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// `d` lies within ±20 % of `base` (1 µs of float rounding allowed).
    fn within_jitter(d: Duration, base: Duration) -> bool {
        let slack = Duration::from_micros(1);
        d + slack >= base.mul_f64(0.8) && d <= base.mul_f64(1.2) + slack
    }

    #[test]
    fn delays_double_to_the_cap_within_the_jitter_for_every_seed() {
        for seed in 0..500 {
            let mut b = Backoff::with_seed(S(5), S(60), seed);
            let mut base = S(5);
            for _ in 0..12 {
                let d = b.next();
                assert!(within_jitter(d, base), "seed {seed}: {d:?} vs {base:?}");
                assert!(d <= S(72), "seed {seed}: {d:?} past the cap's +20 %");
                base = (base * 2).min(S(60));
            }
        }
    }

    #[test]
    fn the_jitter_spreads_over_most_of_its_range() {
        let mut b = Backoff::with_seed(S(60), S(60), 7);
        let draws: Vec<f64> = (0..2000).map(|_| b.next().as_secs_f64() / 60.0).collect();
        let lo = draws.iter().copied().fold(f64::MAX, f64::min);
        let hi = draws.iter().copied().fold(f64::MIN, f64::max);
        assert!(lo < 0.82 && hi > 1.18, "{lo}..{hi}");
        assert!(lo >= 0.8 - 1e-9 && hi <= 1.2 + 1e-9, "{lo}..{hi}");
    }

    #[test]
    fn reset_starts_again_from_the_initial_delay() {
        let mut b = Backoff::with_seed(S(1), S(30), 3);
        for _ in 0..10 {
            b.next();
        }
        assert!(within_jitter(b.next(), S(30)));
        b.reset();
        assert!(within_jitter(b.next(), S(1)));
        assert!(within_jitter(b.next(), S(2)));
    }

    #[test]
    fn an_initial_delay_above_the_cap_starts_at_the_cap() {
        let mut b = Backoff::with_seed(S(90), S(60), 1);
        assert!(within_jitter(b.next(), S(60)));
        let mut huge = Backoff::with_seed(Duration::MAX, Duration::MAX, 1);
        assert!(huge.next() > S(1 << 40), "no overflow, no panic");
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_new_ones_differ() {
        let run = |mut b: Backoff| -> Vec<Duration> { (0..6).map(|_| b.next()).collect() };
        assert_eq!(
            run(Backoff::with_seed(S(1), S(60), 42)),
            run(Backoff::with_seed(S(1), S(60), 42))
        );
        // Seeded from the OS source: two clients failing together differ.
        assert_ne!(
            run(Backoff::new(S(1), S(60))),
            run(Backoff::new(S(1), S(60)))
        );
    }
}
