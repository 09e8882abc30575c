//! Each receiver's absolute clock frequency error. A clock pair measures
//! only how fast one counter runs against the other; a whole network of
//! dump1090-class receivers can run 100 ppm fast together, and then
//! every time difference read on its clocks is 100 ppm too long: 67 ns
//! over a 200 km baseline, which far outside the receivers' polygon is
//! hundreds of metres of range. The propagation delays of the reference
//! aircraft tell: a counter running ε fast stamps an arrival d/c after
//! the transmission as (1 + ε)·d/c after it, so the residuals of a pair's
//! synchronisation samples grow with each receiver's delay as its ε does.
//! Each pair regresses its residuals on the two delays in batches, and
//! each receiver keeps a scalar Kalman estimate of its ε fed by the
//! batches of its pairs.

/// Samples in one batch of a pair's regression.
const BATCH: usize = 1_000;
/// Prior uncertainty of a frequency error (1σ): the dump1090 class bound.
const PRIOR_SIGMA: f64 = 100e-6;
/// Frequency errors are believed within this.
const LIMIT: f64 = 300e-6;
/// The oscillator's own wander between batches (1σ).
const WANDER_SIGMA: f64 = 0.05e-6;

/// Running sums of one pair's residuals against its two delays, taken
/// relative to the batch's first sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DelayRegression {
    origin: [f64; 3],
    n: f64,
    s: [f64; 3],
    ss: [[f64; 3]; 3],
}

/// A batch's estimate of the two receivers' remaining frequency errors
/// (δa, δb) and their variances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayEstimate {
    pub delta: [f64; 2],
    pub var: [f64; 2],
}

impl DelayRegression {
    /// Adds one sample: receiver A's delay `da` and B's `db` (seconds)
    /// and the residual `r` of `tB - tA` against the pair's fit.
    pub fn add(&mut self, da: f64, db: f64, r: f64) {
        if self.n == 0.0 {
            self.origin = [da, db, r];
        }
        let v = [da - self.origin[0], db - self.origin[1], r - self.origin[2]];
        self.n += 1.0;
        for i in 0..3 {
            self.s[i] += v[i];
            for j in 0..3 {
                self.ss[i][j] += v[i] * v[j];
            }
        }
    }

    /// Once a batch is full: the least-squares fit of r = c + δb·db -
    /// δa·da, with `sample_var` the variance of one residual; the sums
    /// start again.
    pub fn take(&mut self, sample_var: f64) -> Option<DelayEstimate> {
        if self.n < BATCH as f64 {
            return None;
        }
        let n = self.n;
        let c = |i: usize, j: usize| self.ss[i][j] - self.s[i] * self.s[j] / n;
        let (aa, bb, ab, ar, br) = (c(0, 0), c(1, 1), c(0, 1), c(0, 2), c(1, 2));
        *self = Self::default();
        let det = aa * bb - ab * ab;
        if !(det.is_finite() && det > 0.0) {
            return None;
        }
        // Coefficients of da and db: -δa and δb.
        let ca = (bb * ar - ab * br) / det;
        let cb = (aa * br - ab * ar) / det;
        Some(DelayEstimate {
            delta: [-ca, cb],
            var: [sample_var * bb / det, sample_var * aa / det],
        })
    }
}

/// One receiver's frequency error estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frequency {
    /// Parts per one (1e-6 = 1 ppm); positive when the counter runs fast.
    pub error: f64,
    var: f64,
}

impl Default for Frequency {
    fn default() -> Self {
        Self {
            error: 0.0,
            var: PRIOR_SIGMA * PRIOR_SIGMA,
        }
    }
}

impl Frequency {
    /// Takes a batch's estimate `delta` (with variance `var`) of the error
    /// left after the current estimate.
    pub fn correct(&mut self, delta: f64, var: f64) {
        if !(delta.is_finite() && var.is_finite() && var > 0.0) {
            return;
        }
        let p = self.var + WANDER_SIGMA * WANDER_SIGMA;
        let gain = p / (p + var);
        self.error = (self.error + gain * delta).clamp(-LIMIT, LIMIT);
        self.var = (1.0 - gain) * p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlat::sim::Rng;

    #[test]
    fn batches_recover_both_receivers_frequency_errors() {
        // A 100 ppm fast against B 3 ppm slow, seen through delays of
        // reference aircraft up to 300 km away and 100 ns of jitter; each
        // batch measures what the estimates so far leave.
        let (ea, eb) = (100e-6, -3e-6);
        let jitter = 100e-9;
        let mut rng = Rng::new(5);
        let mut reg = DelayRegression::default();
        let (mut fa, mut fb) = (Frequency::default(), Frequency::default());
        let mut batches = 0;
        while batches < 10 {
            let da = rng.range(0.0, 1e-3);
            let db = rng.range(0.0, 1e-3);
            let r = 12e-6 + (eb - fb.error) * db - (ea - fa.error) * da + rng.normal() * jitter;
            reg.add(da, db, r);
            if let Some(est) = reg.take(jitter * jitter) {
                // One batch: within 4σ of what is left, σ ≈ 11 ppm.
                let left = [ea - fa.error, eb - fb.error];
                for (i, want) in left.into_iter().enumerate() {
                    let sigma = est.var[i].sqrt();
                    assert!((est.delta[i] - want).abs() < 4.0 * sigma, "{i}");
                    assert!(sigma < 15e-6, "{sigma}");
                }
                fa.correct(est.delta[0], est.var[0]);
                fb.correct(est.delta[1], est.var[1]);
                batches += 1;
            }
        }
        println!("A {:.1} ppm, B {:.1} ppm", fa.error * 1e6, fb.error * 1e6);
        assert!((fa.error - ea).abs() < 12e-6, "{}", fa.error);
        assert!((fb.error - eb).abs() < 12e-6, "{}", fb.error);
    }
}
