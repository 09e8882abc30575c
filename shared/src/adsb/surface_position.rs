//! TC 5–8: surface position (DO-260B §2.2.3.2.4).
//!
//! ```text
//! ME bit  1–5  6–12      13  14–20       21  22  23–39    40–56
//!         TC   MOVEMENT  S   GROUND TRK  T   F   LAT-CPR  LON-CPR
//! ```
//! Movement is a non-linear ground speed code (table 2-16); the track is
//! valid when S=1, in 360/128 degree steps.

use super::CprRaw;
use crate::bits::field;

/// A decoded surface position message (position still CPR-encoded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfacePosition {
    /// Type code 5–8.
    pub tc: u8,
    /// Raw movement code (0 = not available).
    pub movement: u8,
    /// Ground speed in knots from the movement code (lower bound of the band).
    pub ground_speed: Option<f64>,
    /// Ground track in degrees, when the status bit says it is valid.
    pub track: Option<f64>,
    /// UTC-synchronised time bit.
    pub time_sync: bool,
    /// The CPR position (19-bit surface encoding truncated to 17 bits).
    pub cpr: CprRaw,
}

impl SurfacePosition {
    pub(crate) fn decode(me: &[u8; 7]) -> Self {
        let movement = field(me, 6, 12) as u8;
        let track_valid = field(me, 13, 13) != 0;
        Self {
            tc: me[0] >> 3,
            movement,
            ground_speed: movement_to_knots(movement),
            track: track_valid.then(|| field(me, 14, 20) as f64 * 360.0 / 128.0),
            time_sync: field(me, 21, 21) != 0,
            cpr: CprRaw {
                odd: field(me, 22, 22) != 0,
                lat: field(me, 23, 39) as u32,
                lon: field(me, 40, 56) as u32,
            },
        }
    }
}

/// Ground speed for a movement code (DO-260B table 2-16): the lower bound
/// of the quantisation band, as pyModeS reports it. 1 = stopped, 124 = 175 kt
/// or more, 0 and 125–127 = not available / reserved.
pub fn movement_to_knots(movement: u8) -> Option<f64> {
    // Start code of each band and the speed at that code.
    const BANDS: [(u8, f64); 7] = [
        (2, 0.125),
        (9, 1.0),
        (13, 2.0),
        (39, 15.0),
        (94, 70.0),
        (109, 100.0),
        (124, 175.0),
    ];
    match movement {
        0 | 125.. => None,
        1 => Some(0.0),
        124 => Some(175.0),
        m => BANDS.windows(2).find_map(|w| {
            let ((lo_code, lo_kt), (hi_code, hi_kt)) = (w[0], w[1]);
            (m >= lo_code && m < hi_code).then(|| {
                let step = (hi_kt - lo_kt) / f64::from(hi_code - lo_code);
                lo_kt + f64::from(m - lo_code) * step
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    #[test]
    fn riddle_surface_example() {
        // "The 1090MHz Riddle" surface position: 8C4841753A9A153237AEF0F275BE
        // -> speed 17 kt, track 92.8125 deg (pyModeS 3.6 agrees).
        let f = Frame::from_hex("8C4841753A9A153237AEF0F275BE").unwrap();
        let Me::SurfacePosition(s) = decode_me(&f.as_bytes()[4..11].try_into().unwrap()) else {
            panic!()
        };
        assert_eq!(s.tc, 7);
        assert_eq!(s.ground_speed, Some(17.0));
        assert_eq!(s.track, Some(92.8125));
    }

    #[test]
    fn movement_band_edges() {
        assert_eq!(movement_to_knots(0), None);
        assert_eq!(movement_to_knots(1), Some(0.0));
        assert_eq!(movement_to_knots(2), Some(0.125));
        assert_eq!(movement_to_knots(9), Some(1.0));
        assert_eq!(movement_to_knots(39), Some(15.0));
        assert_eq!(movement_to_knots(123), Some(170.0));
        assert_eq!(movement_to_knots(124), Some(175.0));
        assert_eq!(movement_to_knots(125), None);
    }
}
