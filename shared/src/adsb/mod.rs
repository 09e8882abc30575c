//! ADS-B extended squitter messages: the 56-bit ME field of DF17/DF18,
//! decoded by type code (DO-260B §2.2.3.2, table 2-11 "ME field formats").
//!
//! Bit numbers in this module's doc comments and code are ME bits 1–56
//! (message bits 33–88), as in the DO-260B tables.
//!
//! | TC | message | file |
//! | --- | --- | --- |
//! | 1–4 | identification and category | `identification.rs` |
//! | 5–8 | surface position | `surface_position.rs` |
//! | 9–18, 20–22 | airborne position (baro / GNSS height) | `airborne_position.rs` |
//! | 19 | airborne velocity | `velocity.rs` |
//! | 28 | aircraft status (emergency, TCAS RA) | `aircraft_status.rs` |
//! | 29 | target state and status | `target_state.rs` |
//! | 31 | operational status | `operational_status.rs` |
//! | — | NIC / Rc from type code and supplements | `nic.rs` |

mod airborne_position;
mod aircraft_status;
mod identification;
mod nic;
mod operational_status;
mod surface_position;
mod target_state;
mod velocity;

pub use airborne_position::{AirbornePosition, AltitudeSource};
pub use aircraft_status::{AircraftStatus, Emergency};
pub use identification::{Identification, decode_callsign};
pub use nic::{NicRc, nic_rc};
pub use operational_status::OperationalStatus;
pub use surface_position::{SurfacePosition, movement_to_knots};
pub use target_state::TargetState;
pub use velocity::{Velocity, VelocityKind, VerticalRateSource};

/// Raw CPR-encoded position as transmitted (DO-260B §A.1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CprRaw {
    /// 17-bit encoded latitude.
    pub lat: u32,
    /// 17-bit encoded longitude.
    pub lon: u32,
    /// F bit: `true` for odd format.
    pub odd: bool,
}

/// A decoded ME field.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Me {
    /// TC 0: no position information (altitude may be present).
    NoPosition {
        /// Barometric altitude, feet, if present.
        altitude: Option<i32>,
    },
    /// TC 1–4.
    Identification(Identification),
    /// TC 5–8.
    SurfacePosition(SurfacePosition),
    /// TC 9–18 and 20–22.
    AirbornePosition(AirbornePosition),
    /// TC 19.
    Velocity(Velocity),
    /// TC 28.
    AircraftStatus(AircraftStatus),
    /// TC 29.
    TargetState(TargetState),
    /// TC 31.
    OperationalStatus(OperationalStatus),
    /// TC 23 (test), 24 (surface system status), 25–27 (reserved), 30
    /// (reserved), or a subtype this decoder does not know.
    Other {
        /// Type code.
        tc: u8,
        /// Subtype (ME bits 6–8).
        subtype: u8,
    },
}

/// Decodes an ME field.
#[inline]
pub fn decode_me(me: &[u8; 7]) -> Me {
    let tc = me[0] >> 3;
    let subtype = me[0] & 0x07;
    match tc {
        0 => Me::NoPosition {
            altitude: crate::altitude::ac12(crate::bits::field(me, 9, 20) as u16).map(|a| a.feet()),
        },
        1..=4 => Me::Identification(Identification::decode(me)),
        5..=8 => Me::SurfacePosition(SurfacePosition::decode(me)),
        9..=18 | 20..=22 => Me::AirbornePosition(AirbornePosition::decode(me)),
        19 => Velocity::decode(me).map_or(Me::Other { tc, subtype }, Me::Velocity),
        28 => AircraftStatus::decode(me).map_or(Me::Other { tc, subtype }, Me::AircraftStatus),
        29 => TargetState::decode(me).map_or(Me::Other { tc, subtype }, Me::TargetState),
        31 => {
            OperationalStatus::decode(me).map_or(Me::Other { tc, subtype }, Me::OperationalStatus)
        }
        _ => Me::Other { tc, subtype },
    }
}
