//! The decoded form of a Mode S message.

use super::{Address, CrcStatus};
use crate::adsb::Me;
use crate::altitude::Altitude;
use crate::commb::Bds;
use crate::frame::Frame;

/// Flight status (FS, bits 6–8 of DF4/5/20/21; Annex 10 Vol IV §3.1.2.6.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlightStatus(pub u8);

impl FlightStatus {
    /// Alert: the Mode A code changed (FS 2, 3, 4).
    pub fn alert(self) -> bool {
        matches!(self.0, 2..=4)
    }

    /// Special position identification (FS 4, 5).
    pub fn spi(self) -> bool {
        matches!(self.0, 4 | 5)
    }

    /// `Some(true)` on the ground (FS 1, 3), `Some(false)` airborne (FS 0, 2),
    /// `None` when not stated (FS 4, 5).
    pub fn on_ground(self) -> Option<bool> {
        match self.0 {
            0 | 2 => Some(false),
            1 | 3 => Some(true),
            _ => None,
        }
    }
}

/// What a message says, per downlink format.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// DF0: short air-air surveillance (ACAS).
    ShortAcas {
        /// VS: on the ground.
        vertical_status_ground: bool,
        /// SL: sensitivity level.
        sensitivity: u8,
        /// RI: reply information (ACAS capability / max airspeed).
        reply_information: u8,
        /// AC13 altitude.
        altitude: Option<Altitude>,
    },
    /// DF4: surveillance altitude reply.
    SurveillanceAltitude {
        /// FS.
        flight_status: FlightStatus,
        /// AC13 altitude.
        altitude: Option<Altitude>,
    },
    /// DF5: surveillance identity reply.
    SurveillanceIdentity {
        /// FS.
        flight_status: FlightStatus,
        /// Mode A code as `0xABCD` octal digits.
        squawk: u16,
    },
    /// DF11: all-call reply / acquisition squitter.
    AllCall {
        /// CA: transponder capability.
        capability: u8,
        /// Interrogator code from the parity (0 for squitters).
        interrogator: u8,
    },
    /// DF16: long air-air surveillance (ACAS).
    LongAcas {
        /// VS: on the ground.
        vertical_status_ground: bool,
        /// AC13 altitude.
        altitude: Option<Altitude>,
        /// MV: the ACAS message, raw.
        mv: [u8; 7],
    },
    /// DF17/18: extended squitter.
    ExtendedSquitter {
        /// CA (DF17) or CF (DF18).
        capability: u8,
        /// The decoded ME field.
        me: Me,
    },
    /// DF20: Comm-B with altitude.
    CommBAltitude {
        /// FS.
        flight_status: FlightStatus,
        /// AC13 altitude.
        altitude: Option<Altitude>,
        /// The inferred MB register.
        bds: Bds,
    },
    /// DF21: Comm-B with identity.
    CommBIdentity {
        /// FS.
        flight_status: FlightStatus,
        /// Mode A code as `0xABCD` octal digits.
        squawk: u16,
        /// The inferred MB register.
        bds: Bds,
    },
    /// DF24: Comm-D extended length message (recognised, not decoded).
    CommD,
}

/// A decoded Mode S message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message {
    /// Downlink format (24 for all Comm-D).
    pub df: u8,
    /// Aircraft address and its kind.
    pub address: Address,
    /// How the CRC check went.
    pub crc: CrcStatus,
    /// The frame after any correction.
    pub frame: Frame,
    /// The decoded fields.
    pub content: Content,
}

impl Message {
    /// The ADS-B type code for DF17/18.
    pub fn type_code(&self) -> Option<u8> {
        match self.content {
            Content::ExtendedSquitter { .. } => self.frame.as_bytes().get(4).map(|b| b >> 3),
            _ => None,
        }
    }

    /// The ME field, for DF17/18.
    pub fn me(&self) -> Option<&Me> {
        match &self.content {
            Content::ExtendedSquitter { me, .. } => Some(me),
            _ => None,
        }
    }
}
