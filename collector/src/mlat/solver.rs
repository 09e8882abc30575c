//! The position solve: time differences of arrival on a common clock,
//! solved by weighted Gauss-Newton least squares in ECEF for the position
//! and the transmission time, optionally with the reported altitude as a
//! pseudo-measurement; the covariance gives the error estimate.

use super::geodesy::{ecef_to_lla, enu_basis, lla_to_ecef, signal_speed};
use super::linalg::{Vec3, add_scaled, dist, dot, invert, mul_vec, sub};
use super::stats::Refusal;

/// Solver limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverConfig {
    /// Refuse when the horizontal error per unit timing error exceeds this.
    pub max_dop: f64,
    /// Refuse when the estimated horizontal error (1σ) exceeds this, metres.
    pub max_error_m: f64,
    /// Refuse when the reduced χ² of the residuals exceeds this.
    pub max_chi2: f64,
    /// Refuse solutions further than this from the nearest receiver, metres.
    pub max_range_m: f64,
    /// Gauss-Newton iterations before giving up.
    pub max_iterations: usize,
}

impl Default for SolverConfig {
    fn default() -> Self {
        Self {
            max_dop: 25.0,
            max_error_m: 3_000.0,
            max_chi2: 16.0,
            max_range_m: 500_000.0,
            max_iterations: 30,
        }
    }
}

/// One time of arrival on the common clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Toa {
    /// Receiver antenna, ECEF.
    pub ecef: Vec3,
    /// Common-clock seconds.
    pub t: f64,
    /// Variance of `t`, s².
    pub var: f64,
}

/// A solved position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Solution {
    /// ECEF metres.
    pub ecef: Vec3,
    /// Transmission time on the common clock, seconds.
    pub t0: f64,
    /// Position covariance, ECEF m².
    pub cov: [[f64; 3]; 3],
    /// Horizontal error estimate (1σ, east and north together), metres.
    pub error_m: f64,
    /// RMS time residual, nanoseconds.
    pub rms_ns: f64,
}

/// Accumulates the normal equations of one iteration; returns the cost.
fn normal_equations(
    toas: &[Toa],
    alt: Option<(f64, f64)>,
    x: &[f64; 4],
    t_ref: f64,
    c: f64,
) -> ([[f64; 4]; 4], [f64; 4], f64) {
    let mut n = [[0.0; 4]; 4];
    let mut g = [0.0; 4];
    let mut cost = 0.0;
    let mut add_row = |j: [f64; 4], r: f64, w: f64| {
        for a in 0..4 {
            g[a] += w * j[a] * r;
            for b in 0..4 {
                n[a][b] += w * j[a] * j[b];
            }
        }
        cost += w * r * r;
    };
    let pos = [x[0], x[1], x[2]];
    for m in toas {
        let d = sub(pos, m.ecef);
        let range = dot(d, d).sqrt().max(1.0);
        let r = (m.t - t_ref) * c - range - x[3];
        let w = 1.0 / (m.var * c * c);
        add_row([d[0] / range, d[1] / range, d[2] / range, 1.0], r, w);
    }
    if let Some((alt_m, sigma)) = alt {
        let (lat, lon, h) = ecef_to_lla(pos);
        let up = enu_basis(lat, lon)[2];
        add_row([up[0], up[1], up[2], 0.0], alt_m - h, 1.0 / (sigma * sigma));
    }
    (n, g, cost)
}

/// Solves for the position from `toas` (on one clock), starting at
/// `guess`; `alt` is a (height metres, sigma metres) constraint.
pub fn solve(
    toas: &[Toa],
    alt: Option<(f64, f64)>,
    guess: Vec3,
    cfg: &SolverConfig,
) -> Result<Solution, Refusal> {
    let rows = toas.len() + usize::from(alt.is_some());
    if toas.len() < 3 || rows < 4 {
        return Err(Refusal::TooFewReceivers);
    }
    let t_ref = toas[0].t;
    // The air's slowing at the guess's height, fixed for the solve (so
    // the cost is one function): the guess is at the reported altitude
    // or the track's, and a kilometre off moves the speed by 5 ppm.
    let c = signal_speed(ecef_to_lla(guess).2);
    let b0 = toas
        .iter()
        .map(|m| (m.t - t_ref) * c - dist(guess, m.ecef))
        .sum::<f64>()
        / toas.len() as f64;
    let mut x = [guess[0], guess[1], guess[2], b0];
    let (mut n, mut g, mut cost) = normal_equations(toas, alt, &x, t_ref, c);
    let mut converged = false;
    for _ in 0..cfg.max_iterations {
        let step = mul_vec(&invert(n).ok_or(Refusal::BadGeometry)?, &g);
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..8 {
            let cand = std::array::from_fn(|i| x[i] + scale * step[i]);
            let (n2, g2, c2) = normal_equations(toas, alt, &cand, t_ref, c);
            if c2 <= cost * (1.0 + 1e-9) || c2 < 1e-9 {
                (x, n, g, cost) = (cand, n2, g2, c2);
                accepted = true;
                break;
            }
            scale *= 0.5;
        }
        let moved = scale * step.iter().map(|s| s * s).sum::<f64>().sqrt();
        if !accepted || moved < 1e-3 {
            // No step lowers the cost any more: at the minimum.
            converged = true;
            break;
        }
    }
    if !converged || x.iter().any(|v| !v.is_finite()) {
        return Err(Refusal::NotConverged);
    }
    check(toas, &x, &n, cost, rows, t_ref, cfg)
}

/// The refusal tests on a converged solution, and its error estimate.
#[allow(clippy::too_many_arguments)]
fn check(
    toas: &[Toa],
    x: &[f64; 4],
    n: &[[f64; 4]; 4],
    cost: f64,
    rows: usize,
    t_ref: f64,
    cfg: &SolverConfig,
) -> Result<Solution, Refusal> {
    let pos = [x[0], x[1], x[2]];
    let nearest = toas
        .iter()
        .map(|m| dist(pos, m.ecef))
        .fold(f64::INFINITY, f64::min);
    let (lat, lon, h) = ecef_to_lla(pos);
    let c = signal_speed(h);
    if nearest > cfg.max_range_m || !(-1_000.0..=25_000.0).contains(&h) {
        return Err(Refusal::OutOfRange);
    }
    let inv = invert(*n).ok_or(Refusal::BadGeometry)?;
    let cov: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| inv[i][j]));
    let [e, nn, _] = enu_basis(lat, lon);
    let project = |u: Vec3| dot(u, mul_vec(&cov, &u));
    let error_m = (project(e) + project(nn)).max(0.0).sqrt();
    let sigma_m = (toas.iter().map(|m| m.var).sum::<f64>() / toas.len() as f64).sqrt() * c;
    if !error_m.is_finite() || error_m / sigma_m > cfg.max_dop || error_m > cfg.max_error_m {
        return Err(Refusal::BadGeometry);
    }
    let dof = rows.saturating_sub(4);
    if dof > 0 && cost / dof as f64 > cfg.max_chi2 {
        return Err(Refusal::LargeResidual);
    }
    let ss: f64 = toas
        .iter()
        .map(|m| ((m.t - t_ref) * c - dist(pos, m.ecef) - x[3]).powi(2))
        .sum();
    Ok(Solution {
        ecef: pos,
        t0: t_ref + x[3] / c,
        cov,
        error_m,
        rms_ns: (ss / toas.len() as f64).sqrt() / c * 1e9,
    })
}

/// A starting point: the receivers' centroid lifted to `alt_m` above the
/// ellipsoid.
pub fn initial_guess(toas: &[Toa], alt_m: f64) -> Vec3 {
    let mut c = [0.0; 3];
    for m in toas {
        c = add_scaled(c, 1.0 / toas.len() as f64, m.ecef);
    }
    let (lat, lon, _) = ecef_to_lla(c);
    lla_to_ecef(lat, lon, alt_m)
}

#[cfg(test)]
#[path = "solver_tests.rs"]
mod tests;
