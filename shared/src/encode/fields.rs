//! Field encoders shared by the message encoders: altitude codes, the
//! Mode A identity code and the 6-bit callsign characters — the inverses
//! of `altitude` and `adsb::identification`.

/// AC12 with the Q bit set (25 ft steps, −1,000 to 50,175 ft); values
/// outside the range are clamped.
pub fn ac12(feet: i32) -> u16 {
    let n = ((feet.clamp(-1000, 50_175) + 1000 + 12) / 25) as u16;
    ((n & 0x7F0) << 1) | 0x10 | (n & 0x0F)
}

/// AC13 (25 ft, M = 0, Q = 1) for DF0/4/16/20.
pub fn ac13(feet: i32) -> u16 {
    let a = ac12(feet);
    ((a & 0xFC0) << 1) | (a & 0x3F)
}

/// The ID13 field for a squawk given as `0xABCD` octal digits (7700 → `0x7700`).
pub fn id13(squawk: u16) -> u16 {
    const MAP: [(u16, u16); 12] = [
        (0x0010, 0x1000), // C1
        (0x1000, 0x0800), // A1
        (0x0020, 0x0400), // C2
        (0x2000, 0x0200), // A2
        (0x0040, 0x0100), // C4
        (0x4000, 0x0080), // A4
        (0x0100, 0x0020), // B1
        (0x0001, 0x0010), // D1
        (0x0200, 0x0008), // B2
        (0x0002, 0x0004), // D2
        (0x0400, 0x0002), // B4
        (0x0004, 0x0001), // D4
    ];
    MAP.iter()
        .filter(|(from, _)| squawk & from != 0)
        .fold(0, |acc, (_, to)| acc | to)
}

/// Eight 6-bit characters for a callsign (upper-cased, space padded,
/// unsupported characters sent as spaces).
pub fn callsign(text: &str) -> u64 {
    let mut out = 0u64;
    let mut chars = text.bytes().map(|b| b.to_ascii_uppercase());
    for _ in 0..8 {
        let code = match chars.next() {
            Some(c @ b'A'..=b'Z') => u64::from(c - b'A' + 1),
            Some(c @ b'0'..=b'9') => u64::from(c),
            _ => 32,
        };
        out = (out << 6) | code;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::altitude::{Altitude, ac12 as dec12, ac13 as dec13, squawk};

    #[test]
    fn altitude_codes_round_trip() {
        for ft in (-1000..=50_000).step_by(25) {
            assert_eq!(dec12(ac12(ft)), Some(Altitude::Feet(ft)), "{ft}");
            assert_eq!(dec13(ac13(ft)), Some(Altitude::Feet(ft)), "{ft}");
        }
    }

    #[test]
    fn every_squawk_round_trips() {
        for a in 0..8u16 {
            for b in 0..8u16 {
                for c in 0..8u16 {
                    for d in 0..8u16 {
                        let sq = (a << 12) | (b << 8) | (c << 4) | d;
                        assert_eq!(squawk(id13(sq)), sq);
                    }
                }
            }
        }
    }
}
