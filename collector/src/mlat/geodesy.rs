//! WGS84 geodesy: geodetic latitude/longitude/height to Earth-centred,
//! Earth-fixed (ECEF) coordinates and back, and the local east/north/up
//! basis (NIMA TR8350.2 §2 and §4).

use super::linalg::Vec3;

/// Metres per foot (altitudes on the wire are in feet).
pub const FT: f64 = 0.3048;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// Semi-minor axis, metres.
const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);

/// The speed of radio waves in air near the ground, m/s (refractive index
/// 1.0003, as mlat-server assumes for every path).
pub const C_AIR: f64 = 299_792_458.0 / 1.0003;

/// The signal's speed between an aircraft at `height_m` and a receiver
/// near the ground: slower low down, where the air is denser
/// (`cloudradar_shared::propagation`; a fixed 1.0003 is 13 m wrong per
/// 100 km of path for an aircraft at 10 km).
pub fn signal_speed(height_m: f64) -> f64 {
    cloudradar_shared::propagation::speed(0.0, height_m)
}

/// Geodetic latitude, longitude (degrees) and height above the ellipsoid
/// (metres) to ECEF metres.
pub fn lla_to_ecef(lat_deg: f64, lon_deg: f64, alt_m: f64) -> Vec3 {
    let (slat, clat) = lat_deg.to_radians().sin_cos();
    let (slon, clon) = lon_deg.to_radians().sin_cos();
    let n = WGS84_A / (1.0 - E2 * slat * slat).sqrt();
    [
        (n + alt_m) * clat * clon,
        (n + alt_m) * clat * slon,
        (n * (1.0 - E2) + alt_m) * slat,
    ]
}

/// ECEF metres to geodetic latitude, longitude (degrees) and height
/// (metres), by Bowring's method refined twice (sub-millimetre for
/// anything between the Earth's centre region and orbit).
pub fn ecef_to_lla(p: Vec3) -> (f64, f64, f64) {
    let [x, y, z] = p;
    let lon = y.atan2(x);
    let r = (x * x + y * y).sqrt();
    if r < 1e-9 {
        let lat = if z >= 0.0 { 90.0 } else { -90.0 };
        return (lat, lon.to_degrees(), z.abs() - WGS84_B);
    }
    let ep2 = (WGS84_A * WGS84_A - WGS84_B * WGS84_B) / (WGS84_B * WGS84_B);
    let mut beta = (WGS84_A * z).atan2(WGS84_B * r);
    let mut lat = 0.0;
    for _ in 0..3 {
        let (sb, cb) = beta.sin_cos();
        lat = (z + ep2 * WGS84_B * sb.powi(3)).atan2(r - E2 * WGS84_A * cb.powi(3));
        beta = (WGS84_B * lat.tan()).atan2(WGS84_A);
    }
    let (slat, clat) = lat.sin_cos();
    let n = WGS84_A / (1.0 - E2 * slat * slat).sqrt();
    let alt = if clat.abs() > 1e-6 {
        r / clat - n
    } else {
        z.abs() / slat.abs() - n * (1.0 - E2)
    };
    (lat.to_degrees(), lon.to_degrees(), alt)
}

/// The unit vectors east, north and up at a geodetic position, as rows:
/// `enu = basis · (ecef - origin)`.
pub fn enu_basis(lat_deg: f64, lon_deg: f64) -> [Vec3; 3] {
    let (slat, clat) = lat_deg.to_radians().sin_cos();
    let (slon, clon) = lon_deg.to_radians().sin_cos();
    [
        [-slon, clon, 0.0],
        [-slat * clon, -slat * slon, clat],
        [clat * clon, clat * slon, slat],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlat::linalg::{dist, dot, sub};

    #[test]
    fn lla_ecef_round_trip_is_sub_millimetre() {
        for &(lat, lon, alt) in &[
            (52.3, 4.76, 9144.0),
            (-33.9, 151.2, 0.0),
            (0.0, 0.0, 0.0),
            (89.9, -120.0, 12_000.0),
            (-45.0, -179.9, -50.0),
        ] {
            let p = lla_to_ecef(lat, lon, alt);
            let (la, lo, al) = ecef_to_lla(p);
            let back = lla_to_ecef(la, lo, al);
            let err = dist(p, back);
            println!("{lat} {lon} {alt}: round trip {err:.2e} m, alt {al:.4}");
            assert!(err < 1e-3, "round trip error {err} m");
            assert!((al - alt).abs() < 1e-3);
        }
    }

    #[test]
    fn equator_prime_meridian_is_on_the_x_axis() {
        let p = lla_to_ecef(0.0, 0.0, 0.0);
        assert!((p[0] - WGS84_A).abs() < 1e-6 && p[1].abs() < 1e-6 && p[2].abs() < 1e-6);
        let pole = lla_to_ecef(90.0, 0.0, 0.0);
        assert!((pole[2] - WGS84_B).abs() < 1e-6);
    }

    #[test]
    fn enu_up_points_away_from_the_ellipsoid() {
        let (lat, lon) = (52.3, 4.76);
        let [e, n, u] = enu_basis(lat, lon);
        let d = sub(lla_to_ecef(lat, lon, 1000.0), lla_to_ecef(lat, lon, 0.0));
        assert!((dot(u, d) - 1000.0).abs() < 1e-6);
        assert!(dot(e, d).abs() < 1e-6 && dot(n, d).abs() < 1e-6);
        let north = sub(
            lla_to_ecef(lat + 0.01, lon, 0.0),
            lla_to_ecef(lat, lon, 0.0),
        );
        assert!(dot(n, north) > 1100.0 && dot(e, north).abs() < 1.0);
    }
}
