//! BDS 5,0: track and turn report (ICAO Doc 9871 table A-2-80).
//!
//! ```text
//! MB bit 1  2   3–11  12  13  14–23  24  25–34  35  36  37–45  46  47–56
//!        S  sgn ROLL  S   sgn TRACK  S   GS     S   sgn RATE   S   TAS
//! ```
//! Roll ×45/256 deg, true track ×90/512 deg, ground speed ×2 kt, track
//! rate ×8/256 deg/s, true airspeed ×2 kt.

use super::field::{guarded, signed};

/// A decoded BDS 5,0 register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackAndTurn {
    /// Roll angle, degrees (positive right wing down).
    pub roll: Option<f64>,
    /// True track, degrees 0–360.
    pub track: Option<f64>,
    /// Ground speed, knots.
    pub ground_speed: Option<u32>,
    /// Track angle rate, degrees per second.
    pub track_rate: Option<f64>,
    /// True airspeed, knots.
    pub true_airspeed: Option<u32>,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<TrackAndTurn> {
    let roll = guarded(mb, 1, 2, 11)
        .ok()?
        .map(|v| signed(v, 10) as f64 * 45.0 / 256.0);
    let track = guarded(mb, 12, 13, 23)
        .ok()?
        .map(|v| (signed(v, 11) as f64 * 90.0 / 512.0).rem_euclid(360.0));
    let gs = guarded(mb, 24, 25, 34).ok()?.map(|v| v as u32 * 2);
    let rate = guarded(mb, 35, 36, 45)
        .ok()?
        .map(|v| signed(v, 10) as f64 * 8.0 / 256.0);
    let tas = guarded(mb, 46, 47, 56).ok()?.map(|v| v as u32 * 2);
    if roll.is_some_and(|r| r.abs() > 50.0)
        || gs.is_some_and(|g| g > 600 || g == 0)
        || tas.is_some_and(|t| t > 500 || t == 0)
    {
        return None;
    }
    if let (Some(g), Some(t)) = (gs, tas)
        && g.abs_diff(t) > 200
    {
        return None;
    }
    if gs.is_none() && tas.is_none() {
        return None;
    }
    Some(TrackAndTurn {
        roll,
        track,
        ground_speed: gs,
        track_rate: rate,
        true_airspeed: tas,
    })
}
