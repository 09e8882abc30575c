//! Test support: the simulator's random source and a synthetic network of
//! receivers with independent clocks (offset, frequency error, jitter)
//! hearing transmissions at the speed of light.

use super::geodesy::{ecef_to_lla, lla_to_ecef, signal_speed};
use super::linalg::{Vec3, dist};
use super::receiver::TICKS_PER_S;

/// The simulator's deterministic random source.
pub use cloudradar_sim::rng::Rng;

/// A simulated receiver.
#[derive(Debug, Clone)]
pub struct SimRx {
    /// Name.
    pub name: String,
    /// Antenna, degrees and metres.
    pub lla: (f64, f64, f64),
    /// Antenna, ECEF.
    pub ecef: Vec3,
    /// Counter value at true time zero, ticks.
    pub offset: u64,
    /// Frequency error, ppm.
    pub ppm: f64,
    /// Timestamp jitter (1σ), seconds.
    pub jitter_s: f64,
    /// Wall clock error, ms.
    pub wall_ms: i64,
}

impl SimRx {
    /// The 48-bit counter reading for a signal arriving at true time `t`.
    pub fn counter(&self, t: f64, rng: &mut Rng) -> u64 {
        let ticks = (t * (1.0 + self.ppm * 1e-6) + rng.normal() * self.jitter_s) * TICKS_PER_S;
        self.offset.wrapping_add(ticks.round() as u64) & ((1 << 48) - 1)
    }

    /// Arrival time of a transmission at `t` from `pos`.
    pub fn arrival(&self, t: f64, pos: Vec3) -> f64 {
        t + dist(pos, self.ecef) / signal_speed(ecef_to_lla(pos).2)
    }
}

/// Six receivers about 100 km apart around 52.3N 4.76E: a ring of five
/// and one in the middle.
pub fn network(rng: &mut Rng, ppm: f64, jitter: (f64, f64)) -> Vec<SimRx> {
    let (lat0, lon0) = (52.3, 4.76);
    let mut out = Vec::new();
    for i in 0..6 {
        let (dn, de) = if i == 0 {
            (0.0, 0.0)
        } else {
            let a = f64::from(i) * std::f64::consts::TAU / 5.0;
            (100_000.0 * a.cos(), 100_000.0 * a.sin())
        };
        let lat = lat0 + dn / 111_200.0;
        let lon = lon0 + de / (111_200.0 * lat0.to_radians().cos());
        let alt = rng.range(0.0, 60.0);
        out.push(SimRx {
            name: format!("rx{i}"),
            lla: (lat, lon, alt),
            ecef: lla_to_ecef(lat, lon, alt),
            offset: rng.next_u64() & ((1 << 48) - 1),
            ppm: rng.range(-ppm, ppm),
            jitter_s: rng.range(jitter.0, jitter.1),
            wall_ms: rng.range(-400.0, 400.0) as i64,
        });
    }
    out
}

/// A straight, level flight: position (lat, lon) at time `t` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    /// Start, degrees.
    pub lat: f64,
    /// Start, degrees.
    pub lon: f64,
    /// Feet.
    pub alt_ft: f64,
    /// Knots.
    pub gs_kt: f64,
    /// Degrees true.
    pub track_deg: f64,
}

impl Flight {
    /// Latitude and longitude at `t` seconds (flat-earth; fine over minutes).
    pub fn at(&self, t: f64) -> (f64, f64) {
        let d = self.gs_kt * 1852.0 / 3600.0 * t;
        let (s, c) = self.track_deg.to_radians().sin_cos();
        let lat = self.lat + d * c / 111_200.0;
        let lon = self.lon + d * s / (111_200.0 * self.lat.to_radians().cos());
        (lat, lon)
    }

    /// ECEF at `t`, height taken as the altitude.
    pub fn ecef(&self, t: f64) -> Vec3 {
        let (lat, lon) = self.at(t);
        lla_to_ecef(lat, lon, self.alt_ft * 0.3048)
    }
}
