//! The model against NOAA's published WMM2020 test values
//! (`WMM2020_TEST_VALUES.txt`, 100 points from 2020.0 to 2024.5, 0 to
//! 98 km): declination and inclination to their printed 0.01°, the
//! components to a tenth of a nT more than their printed 0.1 nT.

use super::*;

/// NOAA's file, the first eleven columns.
const TEST_VALUES: &str = include_str!("WMM2020_TEST_VALUES.txt");

/// `(year, height_km, lat, lon, D, I, X, Y, Z)` of each test point.
fn points() -> Vec<[f64; 9]> {
    let mut out = Vec::new();
    for line in TEST_VALUES.lines().filter(|l| !l.starts_with('#')) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|f| f.parse().expect("a number"))
            .collect();
        out.push([v[0], v[1], v[2], v[3], v[4], v[5], v[7], v[8], v[9]]);
    }
    out
}

#[test]
fn the_embedded_table_is_wmm2020_to_degree_12() {
    let c = coefficients::wmm2020().expect("parses");
    assert_eq!(c.epoch, EPOCH);
    // First and last records of WMM.COF.
    assert_eq!((c.g[1][0], c.dg[1][0]), (-29404.5, 6.7));
    assert_eq!((c.g[12][12], c.h[12][12]), (-0.3, 0.5));
}

#[test]
fn declination_matches_noaas_test_values_within_0_01_degrees() {
    let points = points();
    assert_eq!(points.len(), 100);
    let mut worst = 0.0f64;
    for [year, h, lat, lon, d, i, x, y, z] in points {
        let f = field(lat, lon, h, year).expect("a field");
        let dev = (f.declination() - d).abs();
        worst = worst.max(dev);
        assert!(
            dev <= 0.01,
            "D at {lat},{lon},{h} km,{year}: {} vs {d}",
            f.declination()
        );
        assert!((f.inclination() - i).abs() <= 0.01, "I at {lat},{lon}");
        for (got, want) in [(f.north, x), (f.east, y), (f.down, z)] {
            assert!(
                (got - want).abs() <= 0.15,
                "X/Y/Z at {lat},{lon}: {got} vs {want}"
            );
        }
    }
    eprintln!("largest declination deviation: {worst:.4}°");
}

#[test]
fn poles_and_nonsense_have_no_declination() {
    assert_eq!(declination(90.0, 0.0, 0.0, 2022.0), None);
    assert_eq!(declination(f64::NAN, 0.0, 0.0, 2022.0), None);
    assert_eq!(declination(10.0, 0.0, f64::INFINITY, 2022.0), None);
}

#[test]
fn the_decimal_year_is_readsbs_day_of_year_over_365() {
    // 2024-01-01T00:00Z and 2024-12-31T23:59Z (day 365 of a leap year).
    assert_eq!(decimal_year(1_704_067_200_000), 2024.0);
    assert_eq!(decimal_year(1_735_689_540_000), 2025.0);
    // 2023-11-14T22:13:20Z: day 317.
    assert_eq!(decimal_year(1_700_000_000_000), 2023.0 + 317.0 / 365.0);
}
