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
    // pyModeS 3.6 `bds50.is_bds50`: an airliner banks less than 35°, and
    // speeds stay within 600 kt of each other and of zero.
    if roll.is_some_and(|r| r.abs() > 35.0)
        || gs.is_some_and(|g| g > 600)
        || tas.is_some_and(|t| t > 600)
    {
        return None;
    }
    if let (Some(g), Some(t)) = (gs, tas)
        && g.abs_diff(t) > 200
    {
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

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn zero_ground_speed_on_the_ground_is_bds50() {
        // long_flight.csv DF20, an aircraft taxiing; pyModeS 3.6.1 -> bds 5,0,
        // roll 0, track 143.0859375, ground speed 0, track rate -0.09375.
        let b = infer(&mb("A10000BE80165D003FE800A9ABCB"));
        let Bds::TrackAndTurn(t) = b else {
            panic!("{b:?}")
        };
        assert_eq!(t.roll, Some(0.0));
        assert_eq!(t.track, Some(143.0859375));
        assert_eq!(t.ground_speed, Some(0));
        assert_eq!(t.track_rate, Some(-0.09375));
        assert_eq!(t.true_airspeed, None);
    }

    #[test]
    fn true_airspeed_up_to_600_kt_is_bds50() {
        // lax-messages.txt DF20 at FL290; pyModeS 3.6.1 -> bds 5,0, roll
        // -2.63671875, track 47.98828125, GS 516, rate -0.09375, TAS 514.
        let b = infer(&mb("A00012B0FE322340BFED01F80694"));
        let Bds::TrackAndTurn(t) = b else {
            panic!("{b:?}")
        };
        assert_eq!(t.roll, Some(-2.63671875));
        assert_eq!(t.track, Some(47.98828125));
        assert_eq!(t.ground_speed, Some(516));
        assert_eq!(t.track_rate, Some(-0.09375));
        assert_eq!(t.true_airspeed, Some(514));
    }

    #[test]
    fn roll_beyond_35_degrees_is_not_bds50() {
        // long_flight.csv DF20: as 5,0 it would say roll 41.5° with GS and
        // TAS unavailable; pyModeS 3.6.1 -> bds 6,0 only, heading
        // 82.6171875, baro and inertial rate 32 ft/min.
        let b = infer(&mb("A10000BE9D600000200C01D6ABC7"));
        let Bds::HeadingAndSpeed(h) = b else {
            panic!("{b:?}")
        };
        assert_eq!(h.heading, Some(82.6171875));
        assert_eq!((h.baro_rate, h.inertial_rate), (Some(32), Some(32)));
    }
}
