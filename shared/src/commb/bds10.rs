//! BDS 1,0: data link capability report (ICAO Doc 9871 table A-2-16).
//!
//! ```text
//! MB bit 1–8       9               10–14     15–16 17–23 24–56
//!        0x10      continuation    reserved  ...   Mode S subnetwork version, capability bits
//! ```

use crate::bits::field;

/// A decoded BDS 1,0 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLinkCapability {
    /// Mode S subnetwork version number (MB bits 17–23).
    pub subnetwork_version: u8,
    /// Squitter capability subfield (MB bit 35).
    pub squitter_capable: bool,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<DataLinkCapability> {
    if mb[0] != 0x10 || field(mb, 10, 14) != 0 {
        return None;
    }
    let version = field(mb, 17, 23) as u8;
    if version > 4 {
        return None;
    }
    Some(DataLinkCapability {
        subnetwork_version: version,
        squitter_capable: field(mb, 35, 35) != 0,
    })
}
