//! Per-aircraft tracker: an interacting multiple model (IMM) filter of
//! two constant-velocity Kalman filters in ECEF ([`kalman`]), one for
//! straight flight with little acceleration noise and one for manoeuvres
//! with much. A turn shows first across the line of sight, which the
//! receivers measure well, and moves the weight to the manoeuvre model,
//! which then also frees the range, which they measure poorly; in
//! straight flight the quiet model averages the range over many replies.
//! It smooths the fixes, gives ground speed and track, rejects outliers by
//! the Mahalanobis distance of the innovation, and restarts after a gap or
//! a run of rejections.
//!
//! [`kalman`]: super::kalman

// Matrix code indexes rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

use super::geodesy::{ecef_to_lla, enu_basis};
use super::kalman::{Linearised, Model, symmetrise};
use super::linalg::{Vec3, dot};
use super::track_tdoa::chi2_quantile;

/// Tracker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackConfig {
    /// Acceleration noise of straight flight (1σ), m/s².
    pub accel_sigma: f64,
    /// Acceleration noise of a manoeuvre (1σ), m/s²: a standard-rate
    /// turn at 450 kt is 12 m/s².
    pub manoeuvre_accel_sigma: f64,
    /// Mean time between manoeuvres, seconds.
    pub straight_s: f64,
    /// Mean length of a manoeuvre, seconds.
    pub manoeuvre_s: f64,
    /// A gap longer than this restarts the track, seconds.
    pub max_gap_s: f64,
    /// Innovations whose squared Mahalanobis distance is beyond the χ²
    /// point of this many sigma (for as many degrees of freedom as the
    /// measurement has) are rejected; 3.09 is the 99.9 % point.
    pub gate_sigma: f64,
    /// This many rejections in a row restart the track at the new fix.
    pub max_rejects: u32,
    /// Fixes accepted before the track reports speed and its own position.
    pub min_updates: u32,
    /// …and only while the velocity is known better than this (1σ), m/s.
    pub max_velocity_sigma: f64,
    /// Fixes whose estimated horizontal error (1σ) is larger than this are
    /// not reported, metres (they still feed the track). Far outside the
    /// receivers' polygon the geometry dilutes the clocks' errors into
    /// hundreds of metres, and the estimate then runs low.
    pub max_report_error_m: f64,
}

impl Default for TrackConfig {
    fn default() -> Self {
        Self {
            accel_sigma: 0.5,
            manoeuvre_accel_sigma: 15.0,
            straight_s: 30.0,
            manoeuvre_s: 30.0,
            max_gap_s: 30.0,
            gate_sigma: 3.09,
            max_rejects: 3,
            min_updates: 4,
            max_velocity_sigma: 15.0,
            max_report_error_m: 250.0,
        }
    }
}

/// The result of feeding one fix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// Accepted; the filtered state.
    Accepted,
    /// Rejected as an outlier.
    Rejected,
    /// The track (re)started at this fix.
    Started,
}

/// Straight flight, then manoeuvre.
const MODELS: usize = 2;

/// An IMM track of two constant-velocity models.
#[derive(Debug, Clone)]
pub struct Track {
    models: [Model; MODELS],
    /// Each model's probability.
    mu: [f64; MODELS],
    /// Time of the state, seconds on the track's clock.
    pub t: f64,
    updates: u32,
    /// Rejections in a row.
    rejects: u32,
}

/// Initial velocity uncertainty (1σ), m/s: anything an aircraft does.
const V0_SIGMA: f64 = 300.0;

impl Track {
    /// A track starting at one fix.
    pub fn new(pos: Vec3, cov: [[f64; 3]; 3], t: f64) -> Self {
        let mut p = [[0.0; 6]; 6];
        for i in 0..3 {
            for j in 0..3 {
                p[i][j] = cov[i][j];
            }
            p[i + 3][i + 3] = V0_SIGMA * V0_SIGMA;
        }
        let model = Model {
            x: [pos[0], pos[1], pos[2], 0.0, 0.0, 0.0],
            p,
        };
        Self {
            models: [model; MODELS],
            mu: [0.5, 0.5],
            t,
            updates: 1,
            rejects: 0,
        }
    }

    /// Each model mixed with the other by the chance of a switch since
    /// the last update, then predicted to `t`; and each model's prior
    /// probability.
    fn mixed_prediction(&self, t: f64, cfg: &TrackConfig) -> ([Model; MODELS], [f64; MODELS]) {
        let dt = (t - self.t).max(0.0);
        let leave = [
            1.0 - (-dt / cfg.straight_s).exp(),
            1.0 - (-dt / cfg.manoeuvre_s).exp(),
        ];
        // switch[i][j]: the chance of going from model i to model j.
        let switch = [[1.0 - leave[0], leave[0]], [leave[1], 1.0 - leave[1]]];
        let prior: [f64; MODELS] =
            std::array::from_fn(|j| (0..MODELS).map(|i| switch[i][j] * self.mu[i]).sum());
        let accel = [cfg.accel_sigma, cfg.manoeuvre_accel_sigma];
        let predicted = std::array::from_fn(|j| {
            let weights: [f64; MODELS] = std::array::from_fn(|i| {
                if prior[j] > 0.0 {
                    switch[i][j] * self.mu[i] / prior[j]
                } else {
                    f64::from(u8::from(i == j))
                }
            });
            mix(&self.models, &weights).predicted(dt, accel[j])
        });
        (predicted, prior)
    }

    /// The predicted position at `t`, for the solver's starting point.
    pub fn predict_position(&self, t: f64, cfg: &TrackConfig) -> Vec3 {
        let (models, prior) = self.mixed_prediction(t, cfg);
        mix(&models, &prior).position()
    }

    /// Feeds a fix at `t` with its covariance `r`. A fix that may not
    /// restart the track (`may_restart` false: one that cannot be checked
    /// on its own) is rejected where it would have restarted it.
    pub fn update(
        &mut self,
        pos: Vec3,
        r: [[f64; 3]; 3],
        t: f64,
        may_restart: bool,
        cfg: &TrackConfig,
    ) -> Update {
        let restart = may_restart.then_some((pos, r));
        self.step(t, |at| Some(Linearised::position(pos, r, at)), restart, cfg)
    }

    /// One IMM cycle at `t` with the measurement `linearise` gives at each
    /// model's predicted position. `restart` is where a gap or a run of
    /// rejections restarts the track; without it they reject.
    pub(super) fn step(
        &mut self,
        t: f64,
        linearise: impl Fn(Vec3) -> Option<Linearised>,
        restart: Option<(Vec3, [[f64; 3]; 3])>,
        cfg: &TrackConfig,
    ) -> Update {
        let restart_or_reject = |track: &mut Self| match restart {
            Some((pos, cov)) => {
                *track = Self::new(pos, cov, t);
                Update::Started
            }
            None => Update::Rejected,
        };
        if t - self.t > cfg.max_gap_s || t < self.t - 1.0 {
            return restart_or_reject(self);
        }
        let (predicted, prior) = self.mixed_prediction(t, cfg);
        let updated: [Option<_>; MODELS] = std::array::from_fn(|j| {
            let lin = linearise(predicted[j].position())?;
            let gate = chi2_quantile(lin.y.len(), cfg.gate_sigma);
            predicted[j].updated(&lin).filter(|u| u.nis <= gate)
        });
        if updated.iter().all(Option::is_none) {
            self.rejects += 1;
            if self.rejects >= cfg.max_rejects {
                return restart_or_reject(self);
            }
            return Update::Rejected;
        }
        // A model whose innovation failed the gate keeps its prediction
        // and loses its weight.
        let best = updated
            .iter()
            .flatten()
            .map(|u| u.log_likelihood)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut mu = [0.0; MODELS];
        for j in 0..MODELS {
            self.models[j] = updated[j].map_or(predicted[j], |u| u.model);
            mu[j] = updated[j].map_or(0.0, |u| prior[j] * (u.log_likelihood - best).exp());
        }
        let total: f64 = mu.iter().sum();
        self.mu = mu.map(|m| (m / total).max(1e-6));
        self.t = t;
        self.updates += 1;
        self.rejects = 0;
        Update::Accepted
    }

    /// The models combined by their probabilities.
    fn combined(&self) -> Model {
        mix(&self.models, &self.mu)
    }

    /// Whether a second fix has agreed with the first: a track started
    /// from one solve alone may have started at a wrong one.
    pub fn confirmed(&self) -> bool {
        self.updates >= 2
    }

    /// Whether the track has settled enough to report.
    pub fn established(&self, cfg: &TrackConfig) -> bool {
        let p = self.combined().p;
        let v_var = (p[3][3] + p[4][4] + p[5][5]) / 3.0;
        self.updates >= cfg.min_updates && v_var.sqrt() < cfg.max_velocity_sigma
    }

    /// Filtered position, ECEF.
    pub fn position(&self) -> Vec3 {
        self.combined().position()
    }

    /// Horizontal error (1σ) of the filtered position, metres.
    pub fn error_m(&self) -> f64 {
        let m = self.combined();
        let (lat, lon, _) = ecef_to_lla(m.position());
        let [e, n, _] = enu_basis(lat, lon);
        let pv = |u: Vec3| {
            let pu: Vec3 = std::array::from_fn(|i| (0..3).map(|j| m.p[i][j] * u[j]).sum());
            dot(u, pu)
        };
        (pv(e) + pv(n)).max(0.0).sqrt()
    }

    /// Ground speed (knots) and track (degrees true).
    pub fn velocity(&self) -> (f64, f64) {
        let m = self.combined();
        let (lat, lon, _) = ecef_to_lla(m.position());
        let [e, n, _] = enu_basis(lat, lon);
        let v = [m.x[3], m.x[4], m.x[5]];
        let (ve, vn) = (dot(e, v), dot(n, v));
        let gs_kt = ve.hypot(vn) * 3600.0 / 1852.0;
        let track = ve.atan2(vn).to_degrees().rem_euclid(360.0);
        (gs_kt, track)
    }
}

/// The mixture of `models` with `weights` (summing to 1): the weighted
/// mean, and the weighted covariances plus the spread of the means.
fn mix(models: &[Model; MODELS], weights: &[f64; MODELS]) -> Model {
    let x: [f64; 6] =
        std::array::from_fn(|i| (0..MODELS).map(|j| weights[j] * models[j].x[i]).sum());
    let mut p = [[0.0; 6]; 6];
    for (m, w) in models.iter().zip(weights) {
        let d: [f64; 6] = std::array::from_fn(|i| m.x[i] - x[i]);
        for i in 0..6 {
            for k in 0..6 {
                p[i][k] += w * (m.p[i][k] + d[i] * d[k]);
            }
        }
    }
    symmetrise(&mut p);
    Model { x, p }
}

#[cfg(test)]
#[path = "track_tests.rs"]
mod tests;
