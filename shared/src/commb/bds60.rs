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
    if ias.is_some_and(|v| v == 0 || v > 500)
        || mach.is_some_and(|m| m == 0.0 || m > 1.0)
        || baro.is_some_and(|v| v.abs() > 6000)
        || inertial.is_some_and(|v| v.abs() > 6000)
    {
        return None;
    }
    if ias.is_none() && mach.is_none() {
        return None;
    }
    // IAS and Mach must describe the same airspeed somewhere below FL450:
    // at sea level Mach 1 is about 661 kt, and IAS falls relative to TAS with
    // altitude, so IAS/Mach lies between ~150 (FL450) and ~661 kt.
    if let (Some(i), Some(m)) = (ias, mach) {
        let ratio = f64::from(i) / m;
        if !(150.0..=700.0).contains(&ratio) {
            return None;
        }
    }
    if let (Some(b), Some(i)) = (baro, inertial)
        && (b - i).abs() > 2000
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
