//! BDS 4,0: selected vertical intention (ICAO Doc 9871 table A-2-64).
//!
//! ```text
//! MB bit 1  2–13     14  15–26    27  28–39  40–47  48  49   50  51  52–53  54  55–56
//!        S  MCP ALT  S   FMS ALT  S   BARO   res 0  S   VNAV ALT APP res 0  S   source
//! ```
//! Altitudes ×16 ft; barometric setting ×0.1 hPa + 800.

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
    if mcp.is_none() && fms.is_none() && qnh.is_none() {
        return None;
    }
    let plausible_alt = |a: Option<i32>| a.is_none_or(|a| (1000..=50_000).contains(&a));
    if !plausible_alt(mcp) || !plausible_alt(fms) {
        return None;
    }
    if qnh.is_some_and(|q| !(900.0..=1100.0).contains(&q)) {
        return None;
    }
    Some(VerticalIntention {
        mcp_altitude: mcp,
        fms_altitude: fms,
        qnh,
    })
}
