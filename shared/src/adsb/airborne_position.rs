//! TC 9–18 and 20–22: airborne position (DO-260B §2.2.3.2.3).
//!
//! ```text
//! ME bit  1–5  6–7  8        9–20      21  22  23–39    40–56
//!         TC   SS   NIC-B/   ALT       T   F   LAT-CPR  LON-CPR
//!                   SAF
//! ```
//! TC 9–18 carry barometric altitude (AC12), TC 20–22 GNSS height (HAE),
//! coded the same way (readsb `decodeESAirbornePosition`). SS: 0 none, 1 permanent alert, 2 temporary alert, 3 SPI.

use super::CprRaw;
use crate::altitude::ac12;
use crate::bits::field;

/// Which altitude the message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltitudeSource {
    /// Barometric pressure altitude (TC 9–18).
    Barometric,
    /// GNSS height above the ellipsoid (TC 20–22).
    Gnss,
}

/// A decoded airborne position message (position still CPR-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AirbornePosition {
    /// Type code: fixes NIC together with the supplements.
    pub tc: u8,
    /// Surveillance status (ME bits 6–7).
    pub surveillance_status: u8,
    /// ME bit 8: NIC supplement-B in version 2, single antenna flag before.
    pub nic_b: bool,
    /// Altitude in feet, if available.
    pub altitude: Option<i32>,
    /// Barometric or GNSS.
    pub altitude_source: AltitudeSource,
    /// UTC-synchronised time bit.
    pub time_sync: bool,
    /// The CPR position.
    pub cpr: CprRaw,
}

impl AirbornePosition {
    pub(crate) fn decode(me: &[u8; 7]) -> Self {
        let tc = me[0] >> 3;
        let alt_field = field(me, 9, 20) as u16;
        // GNSS height uses the same AC12 coding as barometric altitude (readsb).
        let altitude = ac12(alt_field).map(|a| a.feet());
        let altitude_source = if tc >= 20 {
            AltitudeSource::Gnss
        } else {
            AltitudeSource::Barometric
        };
        Self {
            tc,
            surveillance_status: (me[0] >> 1) & 3,
            nic_b: me[0] & 1 != 0,
            altitude,
            altitude_source,
            time_sync: field(me, 21, 21) != 0,
            cpr: CprRaw {
                odd: field(me, 22, 22) != 0,
                lat: field(me, 23, 39) as u32,
                lon: field(me, 40, 56) as u32,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    fn me(hex: &str) -> [u8; 7] {
        Frame::from_hex(hex).unwrap().as_bytes()[4..11]
            .try_into()
            .unwrap()
    }

    #[test]
    fn pymodes_doc_position_pair_fields() {
        // pyModeS docs: even 8D40621D58C382D690C8AC2863A7, odd 8D40621D58C386435CC412692AD6,
        // altitude 38000 ft, CPR raw values from "The 1090MHz Riddle" §5.
        let Me::AirbornePosition(even) = decode_me(&me("8D40621D58C382D690C8AC2863A7")) else {
            panic!()
        };
        assert_eq!(even.tc, 11);
        assert_eq!(even.altitude, Some(38000));
        assert!(!even.cpr.odd);
        assert_eq!(even.cpr.lat, 93000);
        assert_eq!(even.cpr.lon, 51372);
        let Me::AirbornePosition(odd) = decode_me(&me("8D40621D58C386435CC412692AD6")) else {
            panic!()
        };
        assert!(odd.cpr.odd);
        assert_eq!(odd.cpr.lat, 74158);
        assert_eq!(odd.cpr.lon, 50194);
    }
}
