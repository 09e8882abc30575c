//! TC 1–4: aircraft identification and category (DO-260B §2.2.3.2.5).
//!
//! ```text
//! ME bit  1–5   6–8  9–14 15–20 ... 51–56
//!         TC    CA   C1   C2        C8     (6-bit characters, table 2-14 / A-8)
//! ```
//! Category set: TC 4 = A, 3 = B, 2 = C, 1 = D; CA selects within the set.

use crate::bits::field;

/// The 6-bit character set of DO-260B table A-8 (`#` marks invalid codes).
const CHARSET: &[u8; 64] = b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";

/// Decoded identification message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identification {
    /// Type code 1–4 (category set D, C, B, A).
    pub tc: u8,
    /// Emitter category within the set (ME bits 6–8).
    pub category: u8,
    /// Callsign, 8 characters, space padded (as readsb keeps it).
    pub callsign: [u8; 8],
}

impl Identification {
    pub(crate) fn decode(me: &[u8; 7]) -> Self {
        Self {
            tc: me[0] >> 3,
            category: me[0] & 7,
            callsign: decode_callsign(me, 9),
        }
    }

    /// The callsign as text with trailing spaces kept, e.g. `"KLM1023 "`.
    pub fn callsign(&self) -> &str {
        std::str::from_utf8(&self.callsign).unwrap_or("")
    }

    /// readsb's category string: set letter and code, e.g. `"A3"`.
    pub fn category_code(&self) -> [u8; 2] {
        category_code(self.tc, self.category)
    }

    /// `true` when every character is from the valid set.
    pub fn is_valid(&self) -> bool {
        !self.callsign.contains(&b'#')
    }
}

/// readsb's category string for type code `tc` (1–4) and CA `ca`.
pub fn category_code(tc: u8, ca: u8) -> [u8; 2] {
    let set = match tc {
        4 => b'A',
        3 => b'B',
        2 => b'C',
        _ => b'D',
    };
    [set, b'0' + (ca & 7)]
}

/// Decodes eight 6-bit characters starting at bit `first` (1-based) of
/// `data`. Used for ADS-B identification and Comm-B BDS 2,0.
#[inline]
pub fn decode_callsign(data: &[u8], first: usize) -> [u8; 8] {
    let raw = field(data, first, first + 47);
    let mut out = [b' '; 8];
    for (i, c) in out.iter_mut().enumerate() {
        let code = (raw >> (42 - 6 * i)) & 0x3F;
        *c = CHARSET[code as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    fn me(hex: &str) -> [u8; 7] {
        let f = Frame::from_hex(hex).unwrap();
        f.as_bytes()[4..11].try_into().unwrap()
    }

    #[test]
    fn klm1023_from_pymodes_docs() {
        // pyModeS: 8D4840D6202CC371C32CE0576098 -> callsign KLM1023, TC 4, category 0.
        let Me::Identification(id) = decode_me(&me("8D4840D6202CC371C32CE0576098")) else {
            panic!("not identification");
        };
        assert_eq!(id.callsign(), "KLM1023 ");
        assert_eq!(id.tc, 4);
        assert_eq!(&id.category_code(), b"A0");
        assert!(id.is_valid());
    }

    #[test]
    fn category_sets_follow_type_code() {
        assert_eq!(&category_code(4, 3), b"A3");
        assert_eq!(&category_code(3, 1), b"B1");
        assert_eq!(&category_code(2, 1), b"C1");
        assert_eq!(&category_code(1, 0), b"D0");
    }
}
