//! BDS 1,0: data link capability report (ICAO Doc 9871 table A-2-16).
//!
//! ```text
//! MB bit 1–8   9     10–14     15   16    17–23    24  25  ...  34        ...
//!        0x10  cont  reserved  OVC  ACAS  version  L5  SS       squitter
//! ```
//!
//! Besides the identifier and the reserved bits, the overlay command
//! capability (OVC) must agree with the Mode S subnetwork version: overlay
//! needs version 5 or later (DO-181E). Not in the standard's validity
//! rules, but pyModeS 3.6 `bds10.is_bds10` uses it and real replies obey it.

use crate::bits::{field, flag};

/// A decoded BDS 1,0 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLinkCapability {
    /// Overlay command capability (MB bit 15).
    pub overlay_command: bool,
    /// ACAS operational (MB bit 16).
    pub acas_operational: bool,
    /// Mode S subnetwork version number (MB bits 17–23).
    pub subnetwork_version: u8,
    /// Squitter capability subfield (MB bit 34).
    pub squitter_capable: bool,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<DataLinkCapability> {
    if mb[0] != 0x10 || field(mb, 10, 14) != 0 {
        return None;
    }
    let overlay = flag(mb, 15);
    let version = field(mb, 17, 23) as u8;
    if overlay != (version >= 5) {
        return None;
    }
    Some(DataLinkCapability {
        overlay_command: overlay,
        acas_operational: flag(mb, 16),
        subnetwork_version: version,
        squitter_capable: flag(mb, 34),
    })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn version_5_with_overlay_is_bds10() {
        // long_flight.csv DF21 reply; pyModeS 3.6.1 -> bds 1,0, OVC true,
        // subnetwork version 5, squitter capability true.
        let b = infer(&mb("A900080010030A80E90000505946"));
        let Bds::DataLinkCapability(d) = b else {
            panic!("{b:?}")
        };
        assert!(d.overlay_command);
        assert_eq!(d.subnetwork_version, 5);
        assert!(d.squitter_capable);
    }

    #[test]
    fn overlay_without_version_5_is_not_bds10() {
        // The reply above with the version set to 3 (MB bits 17–23): OVC
        // then contradicts the version, which pyModeS 3.6.1 rejects.
        let mut m = mb("A900080010030A80E90000505946");
        m[2] = (3 << 1) | (m[2] & 1);
        assert!(super::decode(&m).is_none());
    }
}
