//! BDS 6,0: heading and speed report (ICAO Doc 9871 table A-2-96).
//!
//! ```text
//! MB bit 1  2   3–12  13  14–23  24  25–34  35  36  37–45  46  47  48–56
//!        S  sgn HDG   S   IAS    S   MACH   S   sgn BARO   S   sgn INERTIAL
//! ```
//! Magnetic heading ×90/512 deg, IAS in knots, Mach ×2.048/512, vertical
//! rates ×32 ft/min.

use super::field::{guarded, signed};

/// A decoded BDS 6,0 register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadingAndSpeed {
    /// Magnetic heading, degrees 0–360.
    pub heading: Option<f64>,
    /// Indicated airspeed, knots.
    pub ias: Option<u32>,
    /// Mach number.
    pub mach: Option<f64>,
    /// Barometric altitude rate, ft/min.
    pub baro_rate: Option<i32>,
    /// Inertial vertical velocity, ft/min.
    pub inertial_rate: Option<i32>,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<HeadingAndSpeed> {
    let heading = guarded(mb, 1, 2, 12)
        .ok()?
        .map(|v| (signed(v, 11) as f64 * 90.0 / 512.0).rem_euclid(360.0));
    let ias = guarded(mb, 13, 14, 23).ok()?.map(|v| v as u32);
    let mach = guarded(mb, 24, 25, 34)
        .ok()?
        .map(|v| v as f64 * 2.048 / 512.0);
    let baro = guarded(mb, 35, 36, 45)
        .ok()?
        .map(|v| signed(v, 10) as i32 * 32);
    let inertial = guarded(mb, 46, 47, 56)
        .ok()?
        .map(|v| signed(v, 10) as i32 * 32);
    // pyModeS 3.6 `bds60.is_bds60`: ranges only. Replies from aircraft on
    // the ground carry a heading and vertical rates without IAS or Mach.
    if ias.is_some_and(|v| v > 500)
        || mach.is_some_and(|m| m > 1.0)
        || baro.is_some_and(|v| v.abs() > 6000)
        || inertial.is_some_and(|v| v.abs() > 6000)
    {
        return None;
    }
    Some(HeadingAndSpeed {
        heading,
        ias,
        mach,
        baro_rate: baro,
        inertial_rate: inertial,
    })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn heading_without_airspeed_is_bds60() {
        // long_flight.csv DF20 from an aircraft on the ground; pyModeS 3.6.1
        // -> bds 6,0, heading 81.38671875, no IAS or Mach, baro and inertial
        // rate -32 ft/min.
        let b = infer(&mb("A10000BD9CF000003FFFFF16D259"));
        let Bds::HeadingAndSpeed(h) = b else {
            panic!("{b:?}")
        };
        assert_eq!(h.heading, Some(81.38671875));
        assert_eq!((h.ias, h.mach), (None, None));
        assert_eq!((h.baro_rate, h.inertial_rate), (Some(-32), Some(-32)));
    }
}
