//! BDS 4,4: meteorological routine air report (ICAO Doc 9871 table A-2-68).
//!
//! ```text
//! MB bit 1–4     5  6–14   15–23  24  25–34  35  36–46    47  48–49  50  51–56
//!        source  S  speed  dir    sgn temp   S   pressure S   turb   S   humidity
//! ```
//! Wind speed in knots, direction ×180/256 degrees, static air temperature
//! ×0.25 °C (two's complement with bit 24).

use super::field::{guarded, signed};
use crate::bits::field;

/// A decoded BDS 4,4 register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meteo {
    /// Wind speed, knots.
    pub wind_speed: u32,
    /// Wind direction, degrees true.
    pub wind_direction: f64,
    /// Static air temperature, °C.
    pub temperature: f64,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<Meteo> {
    let source = field(mb, 1, 4);
    if source == 0 || source > 4 {
        return None;
    }
    // Only reports carrying wind are accepted; the register is otherwise too
    // loosely constrained to tell from noise.
    let wind = guarded(mb, 5, 6, 23).ok()??;
    guarded(mb, 35, 36, 46).ok()?;
    guarded(mb, 47, 48, 49).ok()?;
    guarded(mb, 50, 51, 56).ok()?;
    let speed = (wind >> 9) as u32;
    let direction = (wind & 0x1FF) as f64 * 180.0 / 256.0;
    let temperature = signed(field(mb, 24, 34), 11) as f64 * 0.25;
    if speed > 250 || !(-80.0..=60.0).contains(&temperature) {
        return None;
    }
    Some(Meteo {
        wind_speed: speed,
        wind_direction: direction,
        temperature,
    })
}
