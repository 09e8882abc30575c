//! BDS 4,0: selected vertical intention (ICAO Doc 9871 table A-2-64).
//!
//! ```text
//! MB bit 1  2–13     14  15–26    27  28–39  40–47  48  49   50  51  52–53  54  55–56
//!        S  MCP ALT  S   FMS ALT  S   BARO   res 0  S   VNAV ALT APP res 0  S   source
//! ```
//! Altitudes ×16 ft; barometric setting ×0.1 hPa + 800.
//!
//! Plausible when the reserved bits are zero and every status bit agrees
//! with its field, nothing more, as pyModeS 3.6 `bds40.is_bds40`: real
//! replies carry selected altitudes of 0 or 240 ft and QNH outside
//! 900–1100 hPa, so range checks reject true 4,0 replies.

use super::field::guarded;
use crate::bits::field;

/// A decoded BDS 4,0 register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerticalIntention {
    /// MCP/FCU selected altitude, feet.
    pub mcp_altitude: Option<i32>,
    /// FMS selected altitude, feet.
    pub fms_altitude: Option<i32>,
    /// Barometric pressure setting, hPa.
    pub qnh: Option<f64>,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<VerticalIntention> {
    if field(mb, 40, 47) != 0 || field(mb, 52, 53) != 0 {
        return None;
    }
    let mcp = guarded(mb, 1, 2, 13).ok()?.map(|v| v as i32 * 16);
    let fms = guarded(mb, 14, 15, 26).ok()?.map(|v| v as i32 * 16);
    let qnh = guarded(mb, 27, 28, 39)
        .ok()?
        .map(|v| v as f64 * 0.1 + 800.0);
    guarded(mb, 48, 49, 51).ok()?;
    guarded(mb, 54, 55, 56).ok()?;
    Some(VerticalIntention {
        mcp_altitude: mcp,
        fms_altitude: fms,
        qnh,
    })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn selected_altitude_zero_is_bds40() {
        // long_flight.csv DF20 at 9025 ft; pyModeS 3.6.1 -> bds 4,0, MCP 0,
        // FMS 7008, QNH 1013.2.
        let b = infer(&mb("A000063180046DB0A80105B4F8ED"));
        let Bds::VerticalIntention(v) = b else {
            panic!("{b:?}")
        };
        assert_eq!(v.mcp_altitude, Some(0));
        assert_eq!(v.fms_altitude, Some(7008));
        assert!((v.qnh.unwrap() - 1013.2).abs() < 1e-9);
    }

    #[test]
    fn fms_altitude_240_ft_is_bds40() {
        // lax-messages.txt DF20 at 31925 ft; pyModeS 3.6.1 -> bds 4,0, MCP
        // 24000, FMS 240, QNH 1013.2.
        let b = infer(&mb("A0001495AEE403F0A80000BF363A"));
        let Bds::VerticalIntention(v) = b else {
            panic!("{b:?}")
        };
        assert_eq!(v.mcp_altitude, Some(24000));
        assert_eq!(v.fms_altitude, Some(240));
    }
}
