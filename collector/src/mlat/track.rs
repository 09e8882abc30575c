//! Per-aircraft tracker: a constant-velocity Kalman filter in ECEF
//! (position and velocity, white-acceleration process noise), fed the
//! solver's positions with their covariance. It smooths the fixes, gives
//! ground speed and track, rejects outliers by the Mahalanobis distance of
//! the innovation, and restarts after a gap or a run of rejections.

// Matrix code indexes rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

use super::geodesy::{ecef_to_lla, enu_basis};
use super::linalg::{Vec3, dot, invert};

/// Tracker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackConfig {
    /// Acceleration noise (1σ), m/s².
    pub accel_sigma: f64,
    /// A gap longer than this restarts the track, seconds.
    pub max_gap_s: f64,
    /// Innovations beyond this squared Mahalanobis distance are rejected
    /// (χ² with 3 degrees of freedom; 16.3 is the 99.9 % point).
    pub gate: f64,
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
            accel_sigma: 3.0,
            max_gap_s: 30.0,
            gate: 16.3,
            max_rejects: 3,
            min_updates: 4,
            max_velocity_sigma: 15.0,
            max_report_error_m: 300.0,
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

/// A constant-velocity Kalman track.
#[derive(Debug, Clone)]
pub struct Track {
    x: [f64; 6],
    p: [[f64; 6]; 6],
    /// Time of the state, seconds on the track's clock.
    pub t: f64,
    updates: u32,
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
        Self {
            x: [pos[0], pos[1], pos[2], 0.0, 0.0, 0.0],
            p,
            t,
            updates: 1,
            rejects: 0,
        }
    }

    /// Predicted state at `t`: (x, P).
    fn predicted(&self, t: f64, cfg: &TrackConfig) -> ([f64; 6], [[f64; 6]; 6]) {
        let dt = (t - self.t).max(0.0);
        let mut x = self.x;
        for i in 0..3 {
            x[i] += dt * x[i + 3];
        }
        // P' = F P Fᵀ + Q with F = [[I, dt I], [0, I]].
        let mut fp = self.p;
        for i in 0..3 {
            for j in 0..6 {
                fp[i][j] += dt * self.p[i + 3][j];
            }
        }
        let mut p = fp;
        for i in 0..6 {
            for j in 0..3 {
                p[i][j] += dt * fp[i][j + 3];
            }
        }
        let q = cfg.accel_sigma * cfg.accel_sigma;
        for i in 0..3 {
            p[i][i] += q * dt.powi(3) / 3.0;
            p[i][i + 3] += q * dt * dt / 2.0;
            p[i + 3][i] += q * dt * dt / 2.0;
            p[i + 3][i + 3] += q * dt;
        }
        (x, p)
    }

    /// The predicted position at `t`, for the solver's starting point.
    pub fn predict_position(&self, t: f64, cfg: &TrackConfig) -> Vec3 {
        let (x, _) = self.predicted(t, cfg);
        [x[0], x[1], x[2]]
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
        if t - self.t > cfg.max_gap_s || t < self.t - 1.0 {
            if !may_restart {
                return Update::Rejected;
            }
            *self = Self::new(pos, r, t);
            return Update::Started;
        }
        let (x, p) = self.predicted(t, cfg);
        let y: Vec3 = std::array::from_fn(|i| pos[i] - x[i]);
        let s: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| p[i][j] + r[i][j]));
        let Some(si) = invert(s) else {
            return Update::Rejected;
        };
        let siy: Vec3 = std::array::from_fn(|i| dot(si[i], y));
        if dot(y, siy) > cfg.gate {
            self.rejects += 1;
            if may_restart && self.rejects >= cfg.max_rejects {
                *self = Self::new(pos, r, t);
                return Update::Started;
            }
            return Update::Rejected;
        }
        // K = P Hᵀ S⁻¹ (6×3); x += K y; P -= K H P.
        let k: [[f64; 3]; 6] = std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..3).map(|m| p[i][m] * si[m][j]).sum())
        });
        let mut nx = x;
        for i in 0..6 {
            nx[i] += dot(k[i], y);
        }
        let mut np = p;
        for i in 0..6 {
            for j in 0..6 {
                np[i][j] -= (0..3).map(|m| k[i][m] * p[m][j]).sum::<f64>();
            }
        }
        self.x = nx;
        self.p = np;
        self.t = t;
        self.updates += 1;
        self.rejects = 0;
        Update::Accepted
    }

    /// Whether a second fix has agreed with the first: a track started
    /// from one solve alone may have started at a wrong one.
    pub fn confirmed(&self) -> bool {
        self.updates >= 2
    }

    /// Whether the track has settled enough to report.
    pub fn established(&self, cfg: &TrackConfig) -> bool {
        let v_var = (self.p[3][3] + self.p[4][4] + self.p[5][5]) / 3.0;
        self.updates >= cfg.min_updates && v_var.sqrt() < cfg.max_velocity_sigma
    }

    /// Filtered position, ECEF.
    pub fn position(&self) -> Vec3 {
        [self.x[0], self.x[1], self.x[2]]
    }

    /// Horizontal error (1σ) of the filtered position, metres.
    pub fn error_m(&self) -> f64 {
        let (lat, lon, _) = ecef_to_lla(self.position());
        let [e, n, _] = enu_basis(lat, lon);
        let pv = |u: Vec3| {
            let pu: Vec3 = std::array::from_fn(|i| (0..3).map(|j| self.p[i][j] * u[j]).sum());
            dot(u, pu)
        };
        (pv(e) + pv(n)).max(0.0).sqrt()
    }

    /// Ground speed (knots) and track (degrees true).
    pub fn velocity(&self) -> (f64, f64) {
        let (lat, lon, _) = ecef_to_lla(self.position());
        let [e, n, _] = enu_basis(lat, lon);
        let v = [self.x[3], self.x[4], self.x[5]];
        let (ve, vn) = (dot(e, v), dot(n, v));
        let gs_kt = ve.hypot(vn) * 3600.0 / 1852.0;
        let track = ve.atan2(vn).to_degrees().rem_euclid(360.0);
        (gs_kt, track)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlat::sim::{Flight, Rng};

    fn noisy(flight: &Flight, t: f64, sigma: f64, rng: &mut Rng) -> Vec3 {
        let p = flight.ecef(t);
        std::array::from_fn(|i| p[i] + rng.normal() * sigma)
    }

    fn diag(v: f64) -> [[f64; 3]; 3] {
        [[v, 0.0, 0.0], [0.0, v, 0.0], [0.0, 0.0, v]]
    }

    #[test]
    fn tracker_speed_and_track_match_the_truth() {
        let cfg = TrackConfig::default();
        let mut rng = Rng::new(11);
        let flight = Flight {
            lat: 52.0,
            lon: 4.5,
            alt_ft: 30_000.0,
            gs_kt: 450.0,
            track_deg: 63.0,
        };
        let sigma = 50.0;
        let mut track = Track::new(
            noisy(&flight, 0.0, sigma, &mut rng),
            diag(sigma * sigma),
            0.0,
        );
        let (mut raw_err, mut filt_err) = (0.0, 0.0);
        let (mut gs_sum, mut trk_sum) = (0.0, 0.0);
        let (mut n, mut rejected) = (0.0, 0);
        for i in 1..300 {
            let t = f64::from(i) * 0.2;
            let z = noisy(&flight, t, sigma, &mut rng);
            // The gate is the 99.9 % point: one honest fix in 1,000 fails it.
            match track.update(z, diag(sigma * sigma), t, true, &cfg) {
                Update::Accepted => {}
                Update::Rejected => rejected += 1,
                Update::Started => panic!("restarted at {t} s"),
            }
            if i > 100 {
                let truth = flight.ecef(t);
                raw_err += crate::mlat::linalg::dist(z, truth).powi(2);
                filt_err += crate::mlat::linalg::dist(track.position(), truth).powi(2);
                let (gs, trk) = track.velocity();
                gs_sum += gs;
                trk_sum += trk;
                n += 1.0;
            }
        }
        // One estimate's speed error is about 10 kt (1σ) with 50 m fixes at
        // 5 Hz and 3 m/s² of acceleration noise: compare the average over
        // the last 40 s, which is what follows the truth.
        let (gs, trk) = (gs_sum / n, trk_sum / n);
        let (raw, filt) = ((raw_err / n).sqrt(), (filt_err / n).sqrt());
        println!(
            "gs {gs:.1} kt (450), track {trk:.2} (63), RMS raw {raw:.1} m, filtered {filt:.1} m"
        );
        assert!(track.established(&cfg));
        assert!(rejected <= 3, "{rejected} of 299 honest fixes rejected");
        assert!((gs - 450.0).abs() < 8.0, "gs {gs}");
        assert!((trk - 63.0).abs() < 1.5, "track {trk}");
        assert!(filt < raw * 0.6, "filter does not smooth: {filt} vs {raw}");
    }

    #[test]
    fn tracker_rejects_an_outlier_and_restarts_after_a_gap() {
        let cfg = TrackConfig::default();
        let mut rng = Rng::new(12);
        let flight = Flight {
            lat: 52.0,
            lon: 4.5,
            alt_ft: 30_000.0,
            gs_kt: 300.0,
            track_deg: 200.0,
        };
        let r = diag(900.0);
        let mut track = Track::new(noisy(&flight, 0.0, 30.0, &mut rng), r, 0.0);
        for i in 1..50 {
            let t = f64::from(i) * 0.5;
            track.update(noisy(&flight, t, 30.0, &mut rng), r, t, true, &cfg);
        }
        let mut far = flight.ecef(25.0);
        far[0] += 3_000.0;
        assert_eq!(track.update(far, r, 25.0, true, &cfg), Update::Rejected);
        assert_eq!(
            track.update(flight.ecef(25.5), r, 25.5, true, &cfg),
            Update::Accepted
        );
        assert_eq!(
            track.update(flight.ecef(90.0), r, 90.0, true, &cfg),
            Update::Started
        );
        assert!(!track.established(&cfg));
    }

    #[test]
    fn a_fix_that_may_not_restart_neither_restarts_nor_confirms_a_track() {
        let cfg = TrackConfig::default();
        let flight = Flight {
            lat: 52.0,
            lon: 4.5,
            alt_ft: 20_000.0,
            gs_kt: 250.0,
            track_deg: 90.0,
        };
        let r = diag(900.0);
        let mut track = Track::new(flight.ecef(0.0), r, 0.0);
        assert!(!track.confirmed());
        let mut far = flight.ecef(1.0);
        far[1] += 20_000.0;
        for i in 0..cfg.max_rejects + 2 {
            let t = 1.0 + f64::from(i) * 0.1;
            assert_eq!(track.update(far, r, t, false, &cfg), Update::Rejected);
        }
        assert_eq!(
            track.update(flight.ecef(60.0), r, 60.0, false, &cfg),
            Update::Rejected,
            "a gap"
        );
        assert_eq!(
            track.update(flight.ecef(1.5), r, 1.5, false, &cfg),
            Update::Accepted
        );
        assert!(track.confirmed());
    }
}
