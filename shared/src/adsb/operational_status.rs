//! TC 31: aircraft operational status (DO-260B §2.2.3.2.7.2).
//!
//! ```text
//! ME bit 1–5 6–8 9–24 (airborne)   25–40  41–43  44      45–48 49–50 51–52 53          54  55     56
//!        TC  ST  capability class  op     VERS   NIC-A   NACp  GVA   SIL   NICbaro     HRD SILsup res
//!            ST=1 surface: 9–20 CC, 21–24 length/width code;   49–50 reserved; 53 TRK/HDG
//! ```
//! Version 0 transponders send no TC 31 (or one with version 0). NIC
//! supplement-C for surface messages is capability bit 20 (ME bit 28? no:
//! CC bit 12, ME bit 20) in version 2.

use crate::bits::field;

/// A decoded operational status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationalStatus {
    /// `true` for the surface subtype (ST=1).
    pub surface: bool,
    /// ADS-B version: 0 (DO-260), 1 (DO-260A), 2 (DO-260B).
    pub version: u8,
    /// Capability class codes (16 bits airborne, 12 bits surface).
    pub capability: u16,
    /// Operational mode codes (16 bits).
    pub operational_mode: u16,
    /// NIC supplement-A.
    pub nic_a: bool,
    /// NIC supplement-C (surface, version 2).
    pub nic_c: bool,
    /// NACp.
    pub nac_p: u8,
    /// Geometric vertical accuracy (airborne).
    pub gva: u8,
    /// SIL.
    pub sil: u8,
    /// SIL supplement (per sample when set).
    pub sil_per_sample: bool,
    /// NIC baro (airborne) — for surface messages this bit is TRK/HDG.
    pub nic_baro: bool,
    /// Horizontal reference direction: `true` = magnetic north.
    pub hrd_magnetic: bool,
    /// TCAS operational (airborne capability, version 1+).
    pub tcas_operational: bool,
    /// Aircraft length/width code (surface).
    pub length_width: u8,
}

impl OperationalStatus {
    pub(crate) fn decode(me: &[u8; 7]) -> Option<Self> {
        let subtype = me[0] & 7;
        if subtype > 1 {
            return None;
        }
        let surface = subtype == 1;
        let version = field(me, 41, 43) as u8;
        Some(Self {
            surface,
            version,
            capability: if surface {
                field(me, 9, 20) as u16
            } else {
                field(me, 9, 24) as u16
            },
            operational_mode: field(me, 25, 40) as u16,
            nic_a: field(me, 44, 44) != 0,
            nic_c: surface && version == 2 && field(me, 20, 20) != 0,
            nac_p: field(me, 45, 48) as u8,
            gva: if surface { 0 } else { field(me, 49, 50) as u8 },
            sil: field(me, 51, 52) as u8,
            nic_baro: field(me, 53, 53) != 0,
            hrd_magnetic: field(me, 54, 54) != 0,
            sil_per_sample: field(me, 55, 55) != 0,
            tcas_operational: !surface && version >= 1 && field(me, 11, 11) != 0,
            length_width: if surface { field(me, 21, 24) as u8 } else { 0 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    fn os(hex: &str) -> OperationalStatus {
        let f = Frame::from_hex(hex).unwrap();
        match decode_me(&f.as_bytes()[4..11].try_into().unwrap()) {
            Me::OperationalStatus(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn real_lax_operational_status_matches_pymodes() {
        // pyModeS 3.6: version 2, nic_supplement_a 1, nac_p 10, sil 3, hrd 0,
        // capability_class 4896, operational_mode 1536, nic_baro 1, sil_supplement 0.
        let o = os("8DAC259FF8132006005AB8DFA302");
        assert!(!o.surface);
        assert_eq!(o.version, 2);
        assert!(o.nic_a);
        assert_eq!((o.nac_p, o.sil), (10, 3));
        assert_eq!(o.capability, 4896);
        assert_eq!(o.operational_mode, 1536);
        assert!(o.nic_baro);
        assert!(!o.hrd_magnetic);
        assert!(!o.sil_per_sample);
        let o = os("8DAB9F6DF82300030049B8968452");
        assert!(!o.nic_a);
        assert_eq!((o.nac_p, o.capability, o.operational_mode), (9, 8960, 768));
    }
}
