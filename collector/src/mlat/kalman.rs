//! One constant-velocity Kalman filter in ECEF (position and velocity,
//! white-acceleration process noise): the prediction, and the update with
//! a measurement of the position of any dimension, linearised by the
//! caller (a solved position, or one transmission's time differences).

// Matrix code indexes rows and columns as the formulas do.
#![allow(clippy::needless_range_loop)]

use super::linalg::{Vec3, cholesky, cholesky_solve};

/// Position and velocity, ECEF metres and m/s.
pub type State = [f64; 6];
/// Their covariance.
pub type Cov6 = [[f64; 6]; 6];

/// A filter's state and covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// Position, then velocity.
    pub x: State,
    /// Covariance of `x`.
    pub p: Cov6,
}

/// A measurement linearised at a predicted position: residuals `y`,
/// Jacobian rows `h` (with respect to the position; velocity is not
/// measured) and the covariance `r` (row-major, `y.len()` squared).
#[derive(Debug, Clone, PartialEq)]
pub struct Linearised {
    pub y: Vec<f64>,
    pub h: Vec<Vec3>,
    pub r: Vec<f64>,
}

impl Linearised {
    /// A solved position `pos` with covariance `cov`, against `predicted`.
    pub fn position(pos: Vec3, cov: [[f64; 3]; 3], predicted: Vec3) -> Self {
        Self {
            y: (0..3).map(|i| pos[i] - predicted[i]).collect(),
            h: vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            r: cov.iter().flatten().copied().collect(),
        }
    }
}

/// A model after a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Updated {
    pub model: Model,
    /// The innovation's squared Mahalanobis distance.
    pub nis: f64,
    /// Log-likelihood of the innovation, without the constant term.
    pub log_likelihood: f64,
}

impl Model {
    /// The position part of the state.
    pub fn position(&self) -> Vec3 {
        [self.x[0], self.x[1], self.x[2]]
    }

    /// The state `dt` seconds on, with acceleration noise `accel_sigma`
    /// (1σ, m/s²): P' = F P Fᵀ + Q with F = [[I, dt I], [0, I]].
    pub fn predicted(&self, dt: f64, accel_sigma: f64) -> Self {
        let dt = dt.max(0.0);
        let mut x = self.x;
        for i in 0..3 {
            x[i] += dt * x[i + 3];
        }
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
        let q = accel_sigma * accel_sigma;
        for i in 0..3 {
            p[i][i] += q * dt.powi(3) / 3.0;
            p[i][i + 3] += q * dt * dt / 2.0;
            p[i + 3][i] += q * dt * dt / 2.0;
            p[i + 3][i + 3] += q * dt;
        }
        Self { x, p }
    }

    /// The update with `lin`; `None` when its innovation covariance is
    /// not positive definite.
    pub fn updated(&self, lin: &Linearised) -> Option<Updated> {
        let n = lin.y.len();
        if n == 0 || lin.h.len() != n || lin.r.len() != n * n {
            return None;
        }
        let p = &self.p;
        // HP (n×6) and S = H P Hᵀ + R (n×n).
        let hp: Vec<[f64; 6]> = lin
            .h
            .iter()
            .map(|h| std::array::from_fn(|j| (0..3).map(|k| h[k] * p[k][j]).sum()))
            .collect();
        let mut s = lin.r.clone();
        for a in 0..n {
            for b in 0..n {
                s[a * n + b] += (0..3).map(|k| hp[a][k] * lin.h[b][k]).sum::<f64>();
            }
        }
        if !cholesky(&mut s, n) {
            return None;
        }
        let mut w = lin.y.clone();
        cholesky_solve(&s, n, &mut w);
        let nis: f64 = w.iter().zip(&lin.y).map(|(a, b)| a * b).sum();
        let log_det: f64 = (0..n).map(|i| 2.0 * s[i * n + i].ln()).sum();
        // With X = S⁻¹ H P (n×6, column by column) the gain K = P Hᵀ S⁻¹
        // is Xᵀ, so x += (HP)ᵀ w and P -= (HP)ᵀ X.
        let mut xs = vec![[0.0; 6]; n];
        let mut col = vec![0.0; n];
        for j in 0..6 {
            for a in 0..n {
                col[a] = hp[a][j];
            }
            cholesky_solve(&s, n, &mut col);
            for a in 0..n {
                xs[a][j] = col[a];
            }
        }
        let mut x = self.x;
        for i in 0..6 {
            x[i] += (0..n).map(|a| hp[a][i] * w[a]).sum::<f64>();
        }
        let mut np = *p;
        for i in 0..6 {
            for j in 0..6 {
                np[i][j] -= (0..n).map(|a| hp[a][i] * xs[a][j]).sum::<f64>();
            }
        }
        symmetrise(&mut np);
        Some(Updated {
            model: Self { x, p: np },
            nis,
            log_likelihood: -0.5 * (nis + log_det),
        })
    }
}

/// Makes `p` exactly symmetric again after rounding.
pub fn symmetrise(p: &mut Cov6) {
    for i in 0..6 {
        for j in 0..i {
            let v = (p[i][j] + p[j][i]) / 2.0;
            (p[i][j], p[j][i]) = (v, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_update_weighs_prediction_and_measurement_by_their_variances() {
        let mut p = [[0.0; 6]; 6];
        for i in 0..6 {
            p[i][i] = 100.0;
        }
        let m = Model { x: [0.0; 6], p };
        let cov = [[100.0, 0.0, 0.0], [0.0, 100.0, 0.0], [0.0, 0.0, 100.0]];
        let u = m
            .updated(&Linearised::position([10.0, -4.0, 2.0], cov, m.position()))
            .expect("positive definite");
        // Equal variances: halfway, and half the variance.
        assert!((u.model.x[0] - 5.0).abs() < 1e-12);
        assert!((u.model.x[1] + 2.0).abs() < 1e-12);
        assert!((u.model.p[0][0] - 50.0).abs() < 1e-9);
        // NIS = |y|² / 200.
        assert!((u.nis - 120.0 / 200.0).abs() < 1e-12);
    }

    #[test]
    fn prediction_moves_by_the_velocity_and_grows_the_covariance() {
        let mut m = Model {
            x: [0.0, 0.0, 0.0, 10.0, -5.0, 1.0],
            p: [[0.0; 6]; 6],
        };
        m.p[3][3] = 4.0;
        let next = m.predicted(2.0, 1.0);
        assert_eq!(next.position(), [20.0, -10.0, 2.0]);
        // Velocity variance 4 over 2 s: 16, plus q·dt³/3 = 8/3.
        assert!((next.p[0][0] - (16.0 + 8.0 / 3.0)).abs() < 1e-12);
        assert!((next.p[1][1] - 8.0 / 3.0).abs() < 1e-12);
    }
}
