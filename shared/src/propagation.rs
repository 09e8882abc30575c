//! How fast a 1090 MHz signal travels from an aircraft to a receiver: the
//! speed of light slowed by the air's refractive index, which falls with
//! height. The reference atmosphere of ITU-R P.453 (refractivity N = 315
//! at the surface, decaying with a 7.35 km scale height) gives the mean
//! index along a straight path between two heights. Weather moves the
//! surface value by some ten units; that is not modelled.

/// Speed of light in vacuum, m/s.
pub const C: f64 = 299_792_458.0;

/// Surface refractivity, N units (ITU-R P.453 reference atmosphere).
const N0: f64 = 315.0;
/// Scale height of the refractivity, metres.
const SCALE_M: f64 = 7_350.0;

/// The mean refractive index on a straight path between heights `h1_m`
/// and `h2_m` above sea level.
pub fn mean_index(h1_m: f64, h2_m: f64) -> f64 {
    let (lo, hi) = (h1_m.min(h2_m).max(0.0), h1_m.max(h2_m).max(0.0));
    let n = if hi - lo < 1.0 {
        N0 * (-lo / SCALE_M).exp()
    } else {
        N0 * SCALE_M * ((-lo / SCALE_M).exp() - (-hi / SCALE_M).exp()) / (hi - lo)
    };
    1.0 + n * 1e-6
}

/// The signal's speed on a path between heights `h1_m` and `h2_m`, m/s.
pub fn speed(h1_m: f64, h2_m: f64) -> f64 {
    C / mean_index(h1_m, h2_m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_the_surface_value_low_down_and_falls_with_height() {
        assert!((mean_index(0.0, 0.0) - 1.000_315).abs() < 1e-9);
        // 0 to 10 km: 315 · 7.35 / 10 · (1 − e^(−10/7.35)) ≈ 172.1 N.
        assert!((mean_index(0.0, 10_000.0) - 1.000_172_1).abs() < 1e-7);
        assert_eq!(mean_index(10_000.0, 0.0), mean_index(0.0, 10_000.0));
        assert!(speed(0.0, 12_000.0) > speed(0.0, 1_000.0));
        assert!(speed(0.0, 1_000.0) < C);
    }
}
