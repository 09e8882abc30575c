//! The clock relation of one pair of receivers A and B: a robust linear
//! fit of `tB - tA` against `tA` (offset and relative drift) over the
//! recent synchronisation samples, where each sample is a simultaneous
//! reading of both clocks (seconds) derived from an ADS-B position both
//! heard. Unlike mlat-server's even/odd pairs, every sample within the
//! window contributes, so jitter averages out over many samples.

use std::collections::VecDeque;

use super::frequency::DelayRegression;

/// Settings of pair synchronisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairConfig {
    /// Samples older than this (A-clock seconds before the newest) leave the fit.
    pub window_s: f64,
    /// At most this many samples are kept.
    pub max_samples: usize,
    /// Samples needed before the pair counts as synchronised.
    pub min_samples: usize,
    /// A sample disagreeing with the fit by more than this many sigma is an outlier…
    pub outlier_sigma: f64,
    /// …and never when it disagrees by less than this, seconds.
    pub outlier_floor_s: f64,
    /// This many outliers in a row mean the relation changed: the pair restarts.
    pub max_outliers_in_row: u32,
}

impl Default for PairConfig {
    fn default() -> Self {
        Self {
            window_s: 10.0,
            max_samples: 4096,
            min_samples: 4,
            outlier_sigma: 6.0,
            outlier_floor_s: 2e-6,
            max_outliers_in_row: 5,
        }
    }
}

/// What became of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleOutcome {
    /// Entered the fit.
    Accepted,
    /// Disagreed with the fit and was dropped.
    Outlier,
    /// Too many outliers in a row: the pair restarted from this sample.
    Reset,
}

/// The least-squares line through the samples.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fit {
    x_mean: f64,
    y_mean: f64,
    slope: f64,
    /// Residual variance of one sample, s².
    var: f64,
    sxx: f64,
    n: usize,
}

/// Running sums over the samples in the window, of values taken relative
/// to a reference sample (so that squares do not cancel: the offset may be
/// thousands of seconds and the jitter nanoseconds). Recomputed from the
/// samples every so often, so that rounding cannot build up.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    x0: f64,
    y0: f64,
    n: f64,
    x: f64,
    y: f64,
    xx: f64,
    xy: f64,
    yy: f64,
    /// Samples added or removed since the last recomputation.
    changes: usize,
}

impl Sums {
    fn rebuild(samples: &VecDeque<(f64, f64)>) -> Self {
        let (x0, y0) = samples.front().copied().unwrap_or_default();
        let mut s = Sums {
            x0,
            y0,
            ..Sums::default()
        };
        for &(x, y) in samples {
            s.change(x, y, 1.0);
        }
        s.changes = 0;
        s
    }

    /// Adds (`sign` 1) or removes (-1) one sample.
    fn change(&mut self, x: f64, y: f64, sign: f64) {
        let (x, y) = (x - self.x0, y - self.y0);
        self.n += sign;
        self.x += sign * x;
        self.y += sign * y;
        self.xx += sign * x * x;
        self.xy += sign * x * y;
        self.yy += sign * y * y;
        self.changes += 1;
    }

    /// The least-squares line; `None` with fewer than 3 samples.
    fn fit(&self) -> Option<Fit> {
        let n = self.n.round() as usize;
        if n < 3 {
            return None;
        }
        let nf = n as f64;
        let (xm, ym) = (self.x / nf, self.y / nf);
        let sxx = (self.xx - nf * xm * xm).max(0.0);
        let sxy = self.xy - nf * xm * ym;
        let syy = (self.yy - nf * ym * ym).max(0.0);
        let slope = if sxx > 1e-6 { sxy / sxx } else { 0.0 };
        let ss = (syy - slope * sxy).max(0.0);
        Some(Fit {
            x_mean: self.x0 + xm,
            y_mean: self.y0 + ym,
            slope,
            var: (ss / (nf - 2.0)).max(MIN_VAR),
            sxx,
            n,
        })
    }
}

/// Offset and drift between two receivers' clocks.
#[derive(Debug, Clone, Default)]
pub struct ClockPair {
    samples: VecDeque<(f64, f64)>,
    sums: Sums,
    fit: Option<Fit>,
    /// The newest A time among the samples.
    newest: f64,
    outliers_in_row: u32,
    /// Wall clock of the last accepted sample, Unix ms.
    pub updated_ms: u64,
    /// The residuals against the two receivers' propagation delays, for
    /// their frequency errors.
    pub delays: DelayRegression,
}

/// The smallest residual variance a fit reports (20 ns), so that a pair
/// fitted through few, lucky samples is not trusted beyond reason.
const MIN_VAR: f64 = 20e-9 * 20e-9;

impl ClockPair {
    /// Adds a sample: `ta` is A's reading, `tb` B's reading at the same
    /// instant (seconds).
    pub fn add(&mut self, ta: f64, tb: f64, now_ms: u64, cfg: &PairConfig) -> SampleOutcome {
        let y = tb - ta;
        if let Some((pred, pvar)) = self.predict(ta, cfg) {
            let fit_var = self.fit.map_or(0.0, |f| f.var);
            let limit = (cfg.outlier_sigma * (fit_var + pvar).sqrt()).max(cfg.outlier_floor_s);
            if (y - pred).abs() > limit {
                self.outliers_in_row += 1;
                if self.outliers_in_row < cfg.max_outliers_in_row {
                    return SampleOutcome::Outlier;
                }
                self.samples.clear();
                self.sums = Sums::default();
                self.fit = None;
                self.delays = DelayRegression::default();
                self.push(ta, y, now_ms, cfg);
                return SampleOutcome::Reset;
            }
        }
        self.push(ta, y, now_ms, cfg);
        SampleOutcome::Accepted
    }

    fn push(&mut self, x: f64, y: f64, now_ms: u64, cfg: &PairConfig) {
        self.outliers_in_row = 0;
        self.updated_ms = now_ms;
        // Samples arrive roughly in time order; keep the deque sorted by
        // insertion and prune by the newest A time.
        if self.samples.is_empty() {
            self.sums = Sums::default();
            self.sums.x0 = x;
            self.sums.y0 = y;
        }
        self.samples.push_back((x, y));
        self.sums.change(x, y, 1.0);
        self.newest = if self.samples.len() == 1 {
            x
        } else {
            self.newest.max(x)
        };
        while self.samples.len() > cfg.max_samples
            || self
                .samples
                .front()
                .is_some_and(|s| s.0 < self.newest - cfg.window_s)
        {
            if let Some((ox, oy)) = self.samples.pop_front() {
                self.sums.change(ox, oy, -1.0);
            }
        }
        if self.sums.changes >= 4 * cfg.max_samples {
            self.sums = Sums::rebuild(&self.samples);
        }
        self.fit = self.sums.fit();
    }

    /// Whether the pair has enough samples to be used.
    pub fn is_synced(&self, cfg: &PairConfig) -> bool {
        self.fit.is_some_and(|f| f.n >= cfg.min_samples)
    }

    /// `tB - tA` predicted at A-time `ta`, with the variance of the
    /// prediction (the fit's own uncertainty, not a new sample's jitter).
    pub fn predict(&self, ta: f64, cfg: &PairConfig) -> Option<(f64, f64)> {
        let f = self.fit.filter(|f| f.n >= cfg.min_samples)?;
        let dx = ta - f.x_mean;
        let y = f.y_mean + f.slope * dx;
        let var = f.var * (1.0 / f.n as f64 + dx * dx / f.sxx.max(1e-9));
        Some((y, var))
    }

    /// B's reading at the instant A read `ta`, and its variance.
    pub fn a_to_b(&self, ta: f64, cfg: &PairConfig) -> Option<(f64, f64)> {
        self.predict(ta, cfg).map(|(y, v)| (ta + y, v))
    }

    /// A's reading at the instant B read `tb`, and its variance: the line
    /// `tb = ta + y0 + slope·(ta - x0)` solved for `ta`.
    pub fn b_to_a(&self, tb: f64, cfg: &PairConfig) -> Option<(f64, f64)> {
        let f = self.fit.filter(|f| f.n >= cfg.min_samples)?;
        let ta = (tb - f.y_mean + f.slope * f.x_mean) / (1.0 + f.slope);
        let (_, var) = self.predict(ta, cfg)?;
        Some((ta, var))
    }

    /// How far `tb - ta` lies from the fit at `ta`, and the variance of
    /// that difference (one sample's jitter and the fit's own).
    pub fn residual(&self, ta: f64, tb: f64, cfg: &PairConfig) -> Option<(f64, f64)> {
        let (pred, var) = self.predict(ta, cfg)?;
        Some((tb - ta - pred, var + self.fit.map_or(0.0, |f| f.var)))
    }

    /// Residual variance of one sample about the fit, s² (the two
    /// receivers' jitter together).
    pub fn sample_var(&self) -> Option<f64> {
        self.fit.map(|f| f.var)
    }

    /// Relative drift of B against A, parts per million.
    #[cfg(test)]
    pub fn drift_ppm(&self) -> Option<f64> {
        self.fit.map(|f| f.slope * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlat::sim::Rng;

    /// B runs `ppm` fast against A with an offset; both jitter by `sigma`.
    fn run(ppm: f64, sigma: f64, seconds: usize) -> (ClockPair, f64, f64) {
        let cfg = PairConfig::default();
        let mut rng = Rng::new(7);
        let mut pair = ClockPair::default();
        let offset = 12_345.678_9;
        for i in 0..seconds * 2 {
            let t = 1000.0 + i as f64 * 0.5;
            let ta = t + rng.normal() * sigma;
            let tb = offset + t * (1.0 + ppm * 1e-6) + rng.normal() * sigma;
            pair.add(ta, tb, i as u64, &cfg);
        }
        (pair, offset, ppm)
    }

    #[test]
    fn pair_recovers_offset_and_drift_of_a_beast_class_clock() {
        let (pair, offset, ppm) = run(4.2, 83e-9, 30);
        let cfg = PairConfig::default();
        let t = 1030.0;
        let (tb, var) = pair.a_to_b(t, &cfg).expect("synced");
        let err = tb - (offset + t * (1.0 + ppm * 1e-6));
        let drift = pair.drift_ppm().expect("fit");
        println!(
            "beast: offset error {:.1} ns (sigma {:.1} ns), drift {drift:.4} ppm",
            err * 1e9,
            var.sqrt() * 1e9
        );
        assert!(err.abs() < 100e-9, "offset error {err}");
        assert!((drift - ppm).abs() < 0.05, "drift {drift}");
    }

    #[test]
    fn pair_recovers_a_dump1090_class_clock_and_inverts() {
        let (pair, offset, ppm) = run(-97.0, 500e-9, 30);
        let cfg = PairConfig::default();
        let t = 1025.0;
        let (tb, _) = pair.a_to_b(t, &cfg).expect("synced");
        let err = tb - (offset + t * (1.0 + ppm * 1e-6));
        let (ta, _) = pair.b_to_a(tb, &cfg).expect("synced");
        println!(
            "dump1090: offset error {:.1} ns, drift {:.3} ppm, inverse error {:.2e} s",
            err * 1e9,
            pair.drift_ppm().unwrap_or(0.0),
            ta - t
        );
        assert!(err.abs() < 400e-9, "offset error {err}");
        assert!((ta - t).abs() < 1e-9);
        assert!((pair.drift_ppm().unwrap_or(0.0) - ppm).abs() < 0.5);
    }

    #[test]
    fn running_sums_give_the_fit_computed_from_scratch() {
        // A dump1090-class pair at 100 ppm with a large offset, pushed
        // through the window many times over (removals, rebuilds).
        let cfg = PairConfig::default();
        let mut rng = Rng::new(3);
        let mut pair = ClockPair::default();
        for i in 0..20 * cfg.max_samples {
            let t = 5_000.0 + i as f64 * 0.01;
            let tb = 98_765.432_1 + t * (1.0 + 100e-6) + rng.normal() * 500e-9;
            pair.add(t, tb, 0, &cfg);
        }
        let f = pair.fit.expect("fit");
        let fresh = Sums::rebuild(&pair.samples).fit().expect("fit");
        let n = pair.samples.len() as f64;
        let x_mean = pair.samples.iter().map(|s| s.0).sum::<f64>() / n;
        let y_mean = pair.samples.iter().map(|s| s.1).sum::<f64>() / n;
        let sxx: f64 = pair.samples.iter().map(|s| (s.0 - x_mean).powi(2)).sum();
        let sxy: f64 = pair
            .samples
            .iter()
            .map(|s| (s.0 - x_mean) * (s.1 - y_mean))
            .sum();
        let slope = sxy / sxx;
        let ss: f64 = pair
            .samples
            .iter()
            .map(|s| (s.1 - y_mean - slope * (s.0 - x_mean)).powi(2))
            .sum();
        let var = ss / (n - 2.0);
        for g in [f, fresh] {
            assert_eq!(g.n, pair.samples.len());
            assert!((g.x_mean - x_mean).abs() < 1e-9);
            // 0.5 ns: the plain sums of values near 1e5 s are no better.
            assert!((g.y_mean - y_mean).abs() < 5e-10, "{}", g.y_mean - y_mean);
            assert!((g.slope - slope).abs() < 1e-12, "{}", g.slope - slope);
            assert!((g.var / var - 1.0).abs() < 1e-3, "{} vs {var}", g.var);
        }
        assert!((var.sqrt() - 500e-9).abs() < 50e-9, "{}", var.sqrt());
    }

    #[test]
    fn outlier_is_dropped_and_a_lasting_jump_resets_the_pair() {
        let cfg = PairConfig::default();
        let (mut pair, _, _) = run(1.0, 50e-9, 10);
        let (y, _) = pair.predict(1020.0, &cfg).expect("synced");
        let bad = pair.add(1020.0, 1020.0 + y + 50e-6, 0, &cfg);
        assert_eq!(bad, SampleOutcome::Outlier);
        let mut last = bad;
        for i in 1..cfg.max_outliers_in_row {
            let t = 1021.0 + f64::from(i);
            last = pair.add(t, t + y + 1.0, 0, &cfg);
        }
        assert_eq!(last, SampleOutcome::Reset);
        assert!(!pair.is_synced(&cfg));
    }
}
