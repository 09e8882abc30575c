//! The tracker's update from one transmission's times of arrival, as
//! mlat-server's Kalman filter does: the time differences (and the
//! reported altitude) are the measurements, linearised at the track's
//! prediction rather than at a position solved from this transmission
//! alone. Far outside the receivers' polygon one transmission fixes the
//! range only to kilometres, and a solve there is biased outwards and its
//! covariance evaluated at the wrong point; the prediction is known to
//! tens of metres, so there the linearisation is exact enough, and two or
//! three receivers still add what they know.

use super::geodesy::{ecef_to_lla, enu_basis, signal_speed};
use super::kalman::Linearised;
use super::linalg::{Vec3, dist, sub};
use super::solver::Toa;
use super::track::{Track, TrackConfig, Update};

/// One transmission as the tracker measures it.
#[derive(Debug, Clone, Copy)]
pub struct Measurement<'a> {
    /// Times of arrival on one clock (any one: only differences are used).
    pub toas: &'a [Toa],
    /// Reported altitude (height metres, 1σ metres), if any.
    pub alt: Option<(f64, f64)>,
    /// Transmission time on the track's clock, seconds.
    pub t: f64,
}

/// The χ² value that `dof` degrees of freedom exceed with the normal
/// tail probability of `z` sigma (Wilson–Hilferty; within 2 % of the
/// table for 1 to 30 degrees at 3 sigma).
pub fn chi2_quantile(dof: usize, z: f64) -> f64 {
    let k = dof.max(1) as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

/// The time differences against the most precise arrival, and the
/// altitude, linearised at `pos`.
fn linearise(m: &Measurement<'_>, pos: Vec3) -> Option<Linearised> {
    let (lat, lon, height) = ecef_to_lla(pos);
    let c = signal_speed(height);
    let reference = (0..m.toas.len()).min_by(|&a, &b| m.toas[a].var.total_cmp(&m.toas[b].var))?;
    let base = m.toas[reference];
    let unit = |p: Vec3| {
        let d = sub(pos, p);
        let r = dist(pos, p).max(1.0);
        ([d[0] / r, d[1] / r, d[2] / r], r)
    };
    let (u0, r0) = unit(base.ecef);
    let others: Vec<&Toa> = (0..m.toas.len())
        .filter(|&i| i != reference)
        .map(|i| &m.toas[i])
        .collect();
    let n = others.len() + usize::from(m.alt.is_some());
    let mut out = Linearised {
        y: Vec::with_capacity(n),
        h: Vec::with_capacity(n),
        r: vec![0.0; n * n],
    };
    let c2 = c * c;
    for (i, toa) in others.iter().enumerate() {
        let (u, r) = unit(toa.ecef);
        out.y.push((toa.t - base.t) * c - (r - r0));
        out.h.push(sub(u, u0));
        // Each difference carries its own arrival's noise and the
        // reference's, which all differences share.
        for j in 0..others.len() {
            out.r[i * n + j] = base.var * c2;
        }
        out.r[i * n + i] += toa.var * c2;
    }
    if let Some((alt_m, sigma)) = m.alt {
        let k = n - 1;
        out.y.push(alt_m - height);
        out.h.push(enu_basis(lat, lon)[2]);
        out.r[k * n + k] = sigma * sigma;
    }
    Some(out)
}

impl Track {
    /// Feeds one transmission's arrival times at `m.t`. `restart` is a
    /// position solved from this transmission alone that may restart the
    /// track (one checked by four or more receivers): a gap, or a run of
    /// rejections, then starts the track there; without it they reject.
    pub fn update_tdoa(
        &mut self,
        m: &Measurement<'_>,
        restart: Option<(Vec3, [[f64; 3]; 3])>,
        cfg: &TrackConfig,
    ) -> Update {
        self.step(m.t, |at| linearise(m, at), restart, cfg)
    }
}

#[cfg(test)]
#[path = "track_tdoa_tests.rs"]
mod tests;
