//! BDS 2,0: aircraft identification (ICAO Doc 9871 table A-2-32).
//!
//! ```text
//! MB bit 1–8    9–14 15–20 ... 51–56
//!        0x20   C1   C2        C8     (the ADS-B 6-bit character set)
//! ```

use crate::adsb::decode_callsign;

/// A decoded BDS 2,0 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identification {
    /// Callsign, 8 characters, space padded.
    pub callsign: [u8; 8],
}

impl Identification {
    /// The callsign text.
    pub fn callsign(&self) -> &str {
        std::str::from_utf8(&self.callsign).unwrap_or("")
    }
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<Identification> {
    if mb[0] != 0x20 {
        return None;
    }
    let callsign = decode_callsign(mb, 9);
    // Invalid characters, or an all-blank callsign, are not an identification.
    if callsign.contains(&b'#') || callsign.iter().all(|&c| c == b' ') {
        return None;
    }
    // Spaces may only trail.
    let text = callsign.trim_ascii_end();
    if text.contains(&b' ') {
        return None;
    }
    Some(Identification { callsign })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn real_bds20_from_long_flight() {
        // long_flight.csv DF20 reply; pyModeS 3.6 -> bds 2,0, callsign KLM1302.
        let b = infer(&mb("A00000BE202CC371CF0CA04B8C52"));
        let Bds::Identification(id) = b else {
            panic!("{b:?}")
        };
        assert_eq!(id.callsign().trim_end(), "KLM1302");
    }
}
