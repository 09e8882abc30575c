//! The number of longitude zones NL(lat) (DO-260B §A.1.7.2.d).
//!
//! Computed from a table of the latitudes where NL changes (from the
//! closed formula with NZ = 15), which is exact at zone boundaries and
//! faster than evaluating `acos` per message.

/// Latitudes (degrees) at which NL drops from 59 to 58, 58 to 57, … 2 to 1.
const TRANSITIONS: [f64; 58] = [
    10.470471299968,
    14.828174368687,
    18.186263570713,
    21.029394926028,
    23.545044865571,
    25.829247070588,
    27.938987101219,
    29.911356857318,
    31.772097076811,
    33.539934362985,
    35.228995977964,
    36.850251075935,
    38.412418924123,
    39.922566843339,
    41.386518322602,
    42.809140122436,
    44.194549514193,
    45.546267226602,
    46.867332524987,
    48.160391280966,
    49.427764392557,
    50.671501655538,
    51.893424691688,
    53.095161527960,
    54.278174722729,
    55.443784444950,
    56.593187562059,
    57.727473538661,
    58.847637761485,
    59.954592766940,
    61.049177742464,
    62.132166592103,
    63.204274793819,
    64.266165225674,
    65.318453096821,
    66.361710083826,
    67.396467740847,
    68.423220220833,
    69.442426311440,
    70.454510749876,
    71.459864730290,
    72.458845447289,
    73.451774416679,
    74.438934157251,
    75.420562566534,
    76.396843907945,
    77.367894613282,
    78.333740829227,
    79.294282254569,
    80.249232132805,
    81.198013492719,
    82.139569805106,
    83.071994447198,
    83.991735629806,
    84.891661907021,
    85.755416209444,
    86.535369975121,
    87.000000000000,
];

/// NL for a latitude in degrees: 59 at the equator down to 1 beyond ±87°.
#[inline]
pub fn nl(lat: f64) -> u32 {
    let a = lat.abs();
    // NL(±87°) is 2 and only latitudes beyond it have 1 zone, so a
    // transition is crossed when |lat| is strictly greater than it.
    59 - TRANSITIONS.partition_point(|&t| t < a) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed formula of DO-260B §A.1.7.2.d.
    fn nl_formula(lat: f64) -> u32 {
        if lat == 0.0 {
            return 59;
        }
        if lat.abs() == 87.0 {
            return 2;
        }
        if lat.abs() > 87.0 {
            return 1;
        }
        let nz = 15.0;
        let a = 1.0 - (std::f64::consts::PI / (2.0 * nz)).cos();
        let b = (std::f64::consts::PI / 180.0 * lat).cos().powi(2);
        (2.0 * std::f64::consts::PI / (1.0 - a / b).acos()).floor() as u32
    }

    #[test]
    fn table_agrees_with_the_formula_away_from_boundaries() {
        let mut lat: f64 = -90.0;
        while lat <= 90.0 {
            let near = TRANSITIONS.iter().any(|t| (t - lat.abs()).abs() < 1e-9);
            if !near {
                assert_eq!(nl(lat), nl_formula(lat), "lat {lat}");
            }
            lat += 0.001;
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(10.47), 59);
        assert_eq!(nl(10.48), 58);
        assert_eq!(nl(52.25720), 36);
        assert_eq!(nl(-52.25720), 36);
        assert_eq!(nl(87.0), 2);
        assert_eq!(nl(87.0001), 1);
        assert_eq!(nl(-90.0), 1);
    }
}
