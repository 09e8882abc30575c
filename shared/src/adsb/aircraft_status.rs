//! TC 28: aircraft status (DO-260B §2.2.3.2.7.8).
//!
//! ```text
//! subtype 1 (emergency/priority):
//! ME bit 1–5  6–8  9–11       12–24        25–56
//!        TC   ST   EMERGENCY  MODE A CODE  reserved
//! subtype 2 (TCAS resolution advisory broadcast):
//! ME bit 1–5  6–8  9–22  23–26  27  28  29–30  31–56
//!        TC   ST   ARA   RAC    RAT MTE TTI    threat identity
//! ```

use crate::altitude::squawk;
use crate::bits::field;

/// Emergency/priority status (DO-260B table 2-85), readsb's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emergency {
    /// No emergency.
    None,
    /// General emergency (7700).
    General,
    /// Lifeguard / medical.
    Lifeguard,
    /// Minimum fuel.
    MinFuel,
    /// No communications (7600).
    NoComm,
    /// Unlawful interference (7500).
    Unlawful,
    /// Downed aircraft.
    Downed,
    /// Reserved code 7.
    Reserved,
}

impl Emergency {
    /// From the 3-bit field.
    pub fn from_code(code: u8) -> Self {
        match code & 7 {
            0 => Self::None,
            1 => Self::General,
            2 => Self::Lifeguard,
            3 => Self::MinFuel,
            4 => Self::NoComm,
            5 => Self::Unlawful,
            6 => Self::Downed,
            _ => Self::Reserved,
        }
    }

    /// readsb's `emergency` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::General => "general",
            Self::Lifeguard => "lifeguard",
            Self::MinFuel => "minfuel",
            Self::NoComm => "nordo",
            Self::Unlawful => "unlawful",
            Self::Downed => "downed",
            Self::Reserved => "reserved",
        }
    }

    /// The emergency implied by a squawk code, if any.
    pub fn from_squawk(squawk: u16) -> Option<Self> {
        match squawk {
            0x7500 => Some(Self::Unlawful),
            0x7600 => Some(Self::NoComm),
            0x7700 => Some(Self::General),
            _ => None,
        }
    }
}

/// A decoded aircraft status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AircraftStatus {
    /// Subtype 1.
    Emergency {
        /// Emergency state.
        emergency: Emergency,
        /// Mode A code, as `0xABCD` octal digits.
        squawk: u16,
    },
    /// Subtype 2: a TCAS RA is being broadcast.
    ResolutionAdvisory {
        /// Active resolution advisories, 14 bits.
        ara: u16,
        /// RA terminated.
        terminated: bool,
        /// Multiple threat encounter.
        multiple_threats: bool,
    },
}

impl AircraftStatus {
    pub(crate) fn decode(me: &[u8; 7]) -> Option<Self> {
        match me[0] & 7 {
            1 => Some(Self::Emergency {
                emergency: Emergency::from_code(field(me, 9, 11) as u8),
                squawk: squawk(field(me, 12, 24) as u16),
            }),
            2 => Some(Self::ResolutionAdvisory {
                ara: field(me, 9, 22) as u16,
                terminated: field(me, 27, 27) != 0,
                multiple_threats: field(me, 28, 28) != 0,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    #[test]
    fn emergency_status_squawk_matches_pymodes() {
        // Real TC28 ST1 from the LAX recording; pyModeS 3.6: emergency 0, squawk 4734.
        let f = Frame::from_hex("8DAC7E64E114AB000000000A0A18").unwrap();
        let Me::AircraftStatus(AircraftStatus::Emergency { emergency, squawk }) =
            decode_me(&f.as_bytes()[4..11].try_into().unwrap())
        else {
            panic!()
        };
        assert_eq!(emergency, Emergency::None);
        assert_eq!(format!("{squawk:04x}"), "4734");
    }
}
