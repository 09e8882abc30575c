//! Compact Position Reporting (DO-260B Appendix A.1.7): turning the 17-bit
//! encoded latitude/longitude of ADS-B position messages into degrees, and
//! back.
//!
//! - `nl.rs`: the number of longitude zones at a latitude.
//! - `global.rs`: globally unambiguous decoding from an even/odd pair
//!   (airborne, and surface with a reference to pick the quadrant).
//! - `local.rs`: locally unambiguous decoding of one message against a
//!   nearby reference position (receiver or last known position).
//! - `encode.rs`: latitude/longitude to CPR, for the simulator.

mod encode;
mod global;
mod local;
mod nl;

pub use encode::encode;
pub use global::{airborne_global, surface_global};
pub use local::{local, max_range_m};
pub use nl::nl;

/// A position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east, −180..180.
    pub lon: f64,
}

/// Why a CPR decode gave no position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CprError {
    /// The even and odd messages lie in different longitude zone counts:
    /// the aircraft crossed a zone boundary between them.
    #[error("even and odd positions are in different latitude zones")]
    ZoneMismatch,
    /// The decoded latitude is outside ±90°.
    #[error("decoded latitude out of range")]
    LatitudeOutOfRange,
    /// The result is further from the reference than the local decode allows.
    #[error("position too far from the reference for local decoding")]
    TooFar,
}

/// Airborne or surface encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Airborne: 360° latitude zones.
    Airborne,
    /// Surface: 90° latitude zones (4× the resolution).
    Surface,
}

impl Kind {
    fn span(self) -> f64 {
        match self {
            Self::Airborne => 360.0,
            Self::Surface => 90.0,
        }
    }
}

const SCALE: f64 = 131_072.0; // 2^17

/// Great-circle distance in metres (haversine on a 6371 km sphere).
pub fn distance_m(a: Position, b: Position) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

/// Initial great-circle bearing from `a` to `b`, degrees clockwise from
/// true north in `[0, 360)`.
pub fn bearing_deg(a: Position, b: Position) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlon = (b.lon - a.lon).to_radians();
    let y = dlon.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlon.cos();
    modulo(y.atan2(x).to_degrees(), 360.0)
}

#[inline]
fn modulo(x: f64, y: f64) -> f64 {
    x - y * (x / y).floor()
}

#[inline]
fn wrap_lon(lon: f64) -> f64 {
    let l = modulo(lon + 180.0, 360.0) - 180.0;
    if l == -180.0 {
        180.0_f64.copysign(lon).min(180.0)
    } else {
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> Position {
        Position { lat, lon }
    }

    #[test]
    fn bearing_points_the_right_way() {
        assert!((bearing_deg(p(0.0, 0.0), p(1.0, 0.0)) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(p(0.0, 0.0), p(0.0, 1.0)) - 90.0).abs() < 1e-9);
        assert!((bearing_deg(p(0.0, 0.0), p(-1.0, 0.0)) - 180.0).abs() < 1e-9);
        assert!((bearing_deg(p(0.0, 0.0), p(0.0, -1.0)) - 270.0).abs() < 1e-9);
        // London to Paris: initial bearing 148.1 degrees (great circle).
        let b = bearing_deg(p(51.5074, -0.1278), p(48.8566, 2.3522));
        assert!((b - 148.1).abs() < 0.2, "{b}");
    }
}
