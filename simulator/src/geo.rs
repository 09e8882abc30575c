//! Positions in space: WGS84 geodetic coordinates to Earth-centred,
//! Earth-fixed (ECEF) metres, so propagation delays are the straight-line
//! distances a multilateration solver works with (a flat-earth slant range
//! is off by tens of metres at 100 km).

use cloudradar_shared::cpr::Position;

/// WGS84 semi-major axis, metres (NIMA TR8350.2, table 3.1).
const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;

/// Speed of light in vacuum, m/s (the air slows the signal:
/// `cloudradar_shared::propagation`).
pub const C: f64 = 299_792_458.0;

/// Feet to metres.
pub const FT: f64 = 0.3048;

/// A point in ECEF metres.
pub type Ecef = [f64; 3];

/// `pos` at `height_m` above the WGS84 ellipsoid, in ECEF metres.
pub fn ecef(pos: Position, height_m: f64) -> Ecef {
    let e2 = F * (2.0 - F);
    let (lat, lon) = (pos.lat.to_radians(), pos.lon.to_radians());
    let n = A / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    [
        (n + height_m) * lat.cos() * lon.cos(),
        (n + height_m) * lat.cos() * lon.sin(),
        (n * (1.0 - e2) + height_m) * lat.sin(),
    ]
}

/// Straight-line distance, metres.
pub fn distance(a: Ecef, b: Ecef) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points_and_distances() {
        let p = ecef(Position { lat: 0.0, lon: 0.0 }, 0.0);
        assert_eq!(p, [A, 0.0, 0.0]);
        let pole = ecef(
            Position {
                lat: 90.0,
                lon: 0.0,
            },
            100.0,
        );
        // Polar radius b = a(1 - f) = 6,356,752.314 m.
        assert!((pole[2] - 6_356_852.314).abs() < 1e-3, "{pole:?}");
        // 10 km straight up is 10 km.
        let here = Position {
            lat: 52.3,
            lon: 4.76,
        };
        let up = distance(ecef(here, 0.0), ecef(here, 10_000.0));
        assert!((up - 10_000.0).abs() < 1e-6, "{up}");
        // One degree of latitude at 52° N is about 111.26 km.
        let north = Position {
            lat: 53.3,
            lon: 4.76,
        };
        let d = distance(ecef(here, 0.0), ecef(north, 0.0));
        assert!((d - 111_260.0).abs() < 100.0, "{d}");
    }
}
