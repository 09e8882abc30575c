//! The table of clock pairs, fed from ADS-B positions heard by several
//! receivers: the expected propagation times from the known position turn
//! the receivers' readings into simultaneous readings of their clocks.

use std::collections::HashMap;

use super::frequency::Frequency;
use super::geodesy::{ecef_to_lla, signal_speed};
use super::linalg::{Vec3, dist};
use super::pair::{ClockPair, PairConfig, SampleOutcome};

/// One receiver's reading of a transmission, on its own clock (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Receiver index.
    pub rx: u16,
    /// Its clock, seconds in its current epoch.
    pub t: f64,
    /// Its antenna, ECEF.
    pub ecef: Vec3,
}

/// Counters of what synchronisation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    /// Samples that entered a fit.
    pub samples: u64,
    /// Samples dropped as outliers.
    pub outliers: u64,
    /// Pairs restarted after lasting disagreement.
    pub resets: u64,
}

/// All clock pairs, keyed `(a, b)` with `a < b`.
#[derive(Debug, Clone)]
pub struct Clocks {
    pairs: HashMap<(u16, u16), ClockPair>,
    /// Each receiver's absolute frequency error, from its pairs.
    frequencies: HashMap<u16, Frequency>,
    cfg: PairConfig,
    /// What happened so far.
    pub counts: SyncCounts,
}

impl Clocks {
    /// No pairs yet.
    pub fn new(cfg: PairConfig) -> Self {
        Self {
            pairs: HashMap::new(),
            frequencies: HashMap::new(),
            cfg,
            counts: SyncCounts::default(),
        }
    }

    /// Pair clocks from one transmission at `position` (ECEF) heard by
    /// `readings` (each receiver once). Each receiver's clock counts the
    /// propagation delay with its own frequency error.
    pub fn sync(&mut self, position: Vec3, readings: &[Reading], now_ms: u64) {
        let speed = signal_speed(ecef_to_lla(position).2);
        for (i, a) in readings.iter().enumerate() {
            for b in &readings[i + 1..] {
                let (a, b) = if a.rx < b.rx { (a, b) } else { (b, a) };
                let da = dist(position, a.ecef) / speed;
                let db = dist(position, b.ecef) / speed;
                let ta = a.t - (1.0 + self.frequency(a.rx)) * da;
                let tb = b.t - (1.0 + self.frequency(b.rx)) * db;
                let pair = self.pairs.entry((a.rx, b.rx)).or_default();
                let residual = pair.residual(ta, tb, &self.cfg);
                let outcome = pair.add(ta, tb, now_ms, &self.cfg);
                match outcome {
                    SampleOutcome::Accepted => self.counts.samples += 1,
                    SampleOutcome::Outlier => self.counts.outliers += 1,
                    SampleOutcome::Reset => self.counts.resets += 1,
                }
                // Only a sample the fit took tells about the frequencies:
                // an outlier's residual is microseconds, and after a reset
                // the residual was against the old relation.
                let Some((r, var)) = residual.filter(|_| outcome == SampleOutcome::Accepted) else {
                    continue;
                };
                pair.delays.add(da, db, r);
                if let Some(est) = pair.delays.take(var) {
                    for (k, rx) in [a.rx, b.rx].into_iter().enumerate() {
                        let f = self.frequencies.entry(rx).or_default();
                        f.correct(est.delta[k], est.var[k]);
                    }
                }
            }
        }
    }

    /// Receiver `rx`'s estimated frequency error (parts per one).
    pub fn frequency(&self, rx: u16) -> f64 {
        self.frequencies.get(&rx).map_or(0.0, |f| f.error)
    }

    /// Forgets every pair of receiver `rx` (its clock was reset).
    pub fn reset_receiver(&mut self, rx: u16) {
        self.pairs.retain(|&(a, b), _| a != rx && b != rx);
    }

    /// Drops pairs without an accepted sample since `stale_before_ms`.
    pub fn expire(&mut self, stale_before_ms: u64) {
        self.pairs.retain(|_, p| p.updated_ms >= stale_before_ms);
    }

    /// The synchronised pair of `a` and `b`, if any.
    pub fn synced(&self, a: u16, b: u16) -> Option<&ClockPair> {
        let key = if a < b { (a, b) } else { (b, a) };
        self.pairs.get(&key).filter(|p| p.is_synced(&self.cfg))
    }

    /// `from`'s reading `t` as `to`'s reading at the same instant, with the
    /// variance of the conversion; direct pairs only.
    pub fn convert(&self, from: u16, to: u16, t: f64) -> Option<(f64, f64)> {
        if from == to {
            return Some((t, 0.0));
        }
        let pair = self.synced(from, to)?;
        if from < to {
            pair.a_to_b(t, &self.cfg)
        } else {
            pair.b_to_a(t, &self.cfg)
        }
    }

    /// The residual variance of one sample of the pair (both receivers'
    /// jitter together), if synchronised.
    pub fn sample_var(&self, a: u16, b: u16) -> Option<f64> {
        self.synced(a, b).and_then(ClockPair::sample_var)
    }

    /// (pairs with any samples, synchronised pairs).
    pub fn pair_counts(&self) -> (usize, usize) {
        let synced = self
            .pairs
            .values()
            .filter(|p| p.is_synced(&self.cfg))
            .count();
        (self.pairs.len(), synced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlat::geodesy::lla_to_ecef;
    use crate::mlat::sim::Rng;

    /// Regression: an outlier's residual went into the frequency
    /// regression, and one 50 µs outlier in a batch of 1,000 read as a
    /// frequency error of about 100 ppm.
    #[test]
    fn an_outlier_does_not_reach_the_frequency_estimate() {
        let mut clocks = Clocks::new(PairConfig::default());
        let rx = [lla_to_ecef(52.0, 4.5, 0.0), lla_to_ecef(52.0, 6.0, 0.0)];
        let mut rng = Rng::new(9);
        for i in 0..1_500u32 {
            let t = 100.0 + f64::from(i) * 0.01;
            let pos = lla_to_ecef(rng.range(50.5, 53.5), rng.range(2.5, 8.0), 10_000.0);
            let speed = signal_speed(10_000.0);
            let mut readings: Vec<Reading> = (0..2u16)
                .map(|k| Reading {
                    rx: k,
                    t: t + dist(pos, rx[usize::from(k)]) / speed + rng.normal() * 50e-9,
                    ecef: rx[usize::from(k)],
                })
                .collect();
            if i == 999 {
                readings[1].t += 50e-6;
            }
            clocks.sync(pos, &readings, u64::from(i));
        }
        assert_eq!(clocks.counts.outliers, 1);
        for k in 0..2 {
            let ppm = clocks.frequency(k) * 1e6;
            assert!(ppm.abs() < 20.0, "receiver {k}: {ppm:.1} ppm");
        }
    }
}
