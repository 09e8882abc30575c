//! Altitude and identity codes shared by several downlink formats.
//!
//! - AC13 (DF0/4/16/20, bits 20–32): `C1 A1 C2 A2 C4 A4 M B1 Q B2 D2 B4 D4`;
//!   M=1 metric, Q=1 25 ft increments, Q=0 100 ft Gillham (Mode C) code
//!   (ICAO Annex 10 Vol IV §3.1.2.6.5.4).
//! - AC12 (ADS-B airborne position, ME bits 9–20): AC13 without the M bit
//!   (DO-260B §2.2.3.2.3.4).
//! - ID13 (DF5/21, ADS-B TC 28): the Mode A code in the same interleaved
//!   bit order, M position unused (Annex 10 Vol IV §3.1.2.6.7.1).

/// A decoded altitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Altitude {
    /// Feet, from a 25 ft or 100 ft (Gillham) code.
    Feet(i32),
    /// Metres (M bit set; very rare).
    Metres(i32),
}

impl Altitude {
    /// The altitude in feet (metric values converted).
    pub fn feet(self) -> i32 {
        match self {
            Self::Feet(ft) => ft,
            Self::Metres(m) => (f64::from(m) * 3.280_84).round() as i32,
        }
    }
}

/// Decodes a 13-bit AC field. `None` for "not available" (all zero) or an
/// invalid Gillham code.
#[inline]
pub fn ac13(field: u16) -> Option<Altitude> {
    let field = field & 0x1FFF;
    if field == 0 {
        return None;
    }
    let m = field & 0x0040 != 0;
    let q = field & 0x0010 != 0;
    if m {
        // Metric altitude: the 12 remaining bits in 25 m... Annex 10 leaves
        // the encoding to be defined; readsb reports it raw in metres.
        let n = ((field & 0x1F80) >> 1) | (field & 0x003F);
        return Some(Altitude::Metres(i32::from(n)));
    }
    if q {
        let n = ((field & 0x1F80) >> 2) | ((field & 0x0020) >> 1) | (field & 0x000F);
        return Some(Altitude::Feet(i32::from(n) * 25 - 1000));
    }
    gillham_altitude(id13_to_mode_a(field)).map(|h| Altitude::Feet(h * 100))
}

/// Decodes the 12-bit ADS-B altitude field (ME bits 9–20) by re-inserting
/// the M bit (always 0) and decoding it as AC13.
#[inline]
pub fn ac12(field: u16) -> Option<Altitude> {
    let field = field & 0x0FFF;
    ac13(((field & 0x0FC0) << 1) | (field & 0x003F))
}

/// Re-orders an ID13 (or Gillham AC13) field into the `0xABCD` Mode A layout:
/// A in bits 12–14, B in 8–10, C in 4–6, D in 0–2, so a squawk prints as
/// four octal digits with `{:04x}`.
#[inline]
pub fn id13_to_mode_a(id13: u16) -> u16 {
    const MAP: [(u16, u16); 12] = [
        (0x1000, 0x0010), // C1
        (0x0800, 0x1000), // A1
        (0x0400, 0x0020), // C2
        (0x0200, 0x2000), // A2
        (0x0100, 0x0040), // C4
        (0x0080, 0x4000), // A4
        (0x0020, 0x0100), // B1
        (0x0010, 0x0001), // D1 (Q in altitude codes)
        (0x0008, 0x0200), // B2
        (0x0004, 0x0002), // D2
        (0x0002, 0x0400), // B4
        (0x0001, 0x0004), // D4
    ];
    MAP.iter()
        .filter(|(from, _)| id13 & from != 0)
        .fold(0, |acc, (_, to)| acc | to)
}

/// The squawk of an ID13 field as a number whose hex digits are the four
/// octal Mode A digits (7700 → `0x7700`).
#[inline]
pub fn squawk(id13: u16) -> u16 {
    id13_to_mode_a(id13 & 0x1FFF)
}

/// Converts a Mode C (Gillham) code in `0xABCD` layout to altitude in
/// hundreds of feet (−12 = −1,200 ft). `None` for illegal codes.
pub fn gillham_altitude(mode_a: u16) -> Option<i32> {
    // D1 set, unused bits set, or no C bit: illegal.
    if mode_a & 0x8889 != 0 || mode_a & 0x0070 == 0 {
        return None;
    }
    let mut one_hundreds: i32 = 0;
    let mut five_hundreds: i32 = 0;
    if mode_a & 0x0010 != 0 {
        one_hundreds ^= 0x007; // C1
    }
    if mode_a & 0x0020 != 0 {
        one_hundreds ^= 0x003; // C2
    }
    if mode_a & 0x0040 != 0 {
        one_hundreds ^= 0x001; // C4
    }
    // The C bits are a reflected code: 5 and 7 swap places.
    if one_hundreds & 5 == 5 {
        one_hundreds ^= 2;
    }
    if one_hundreds > 5 {
        return None;
    }
    for (bit, mask) in [
        (0x0002, 0x0FF), // D2
        (0x0004, 0x07F), // D4
        (0x1000, 0x03F), // A1
        (0x2000, 0x01F), // A2
        (0x4000, 0x00F), // A4
        (0x0100, 0x007), // B1
        (0x0200, 0x003), // B2
        (0x0400, 0x001), // B4
    ] {
        if mode_a & bit != 0 {
            five_hundreds ^= mask;
        }
    }
    if five_hundreds & 1 != 0 {
        one_hundreds = 6 - one_hundreds;
    }
    Some(five_hundreds * 5 + one_hundreds - 13)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::field;
    use crate::frame::Frame;

    fn ac13_of(hex: &str) -> Option<Altitude> {
        let f = Frame::from_hex(hex).unwrap();
        ac13(field(f.as_bytes(), 20, 32) as u16)
    }

    #[test]
    fn metric_altitude_is_kept_in_metres_where_pymodes_has_none() {
        // Our convention, readsb's: lax-messages.txt DF20 with M=1 (AC13
        // 0x6C9) decodes to 841 m, printed as 2759 ft. pyModeS 3.6.1 ->
        // altitude None (it does not decode metric codes); the 7 such DF20
        // in that recording are its only header differences from us.
        let alt = ac13_of("A58306C96388CBFB9F487D897933");
        assert_eq!(alt, Some(Altitude::Metres(841)));
        assert_eq!(alt.map(Altitude::feet), Some(2759));
    }

    #[test]
    fn df20_25ft_altitude_matches_pymodes() {
        // pyModeS 3.6: A0001838CA3E51F0A8000047A4FB -> altitude 38000.
        assert_eq!(
            ac13_of("A0001838CA3E51F0A8000047A4FB"),
            Some(Altitude::Feet(38000))
        );
    }

    #[test]
    fn gillham_codes_from_the_mode_c_table() {
        // Annex 10 Vol IV table 3-7: in the lowest 500 ft band the C pulses
        // step C4, C4+C2, C2, C2+C1, C1 for -1200 .. -800 ft.
        assert_eq!(gillham_altitude(0x0040), Some(-12));
        assert_eq!(gillham_altitude(0x0060), Some(-11));
        assert_eq!(gillham_altitude(0x0020), Some(-10));
        assert_eq!(gillham_altitude(0x0030), Some(-9));
        assert_eq!(gillham_altitude(0x0010), Some(-8));
        // The next band (B4 set) runs the C sequence backwards: C1 -> -700 ft.
        assert_eq!(gillham_altitude(0x0410), Some(-7));
        assert_eq!(gillham_altitude(0x0440), Some(-3));
        // No C bit is illegal; D1 is illegal.
        assert_eq!(gillham_altitude(0x0400), None);
        assert_eq!(gillham_altitude(0x0011), None);
    }

    #[test]
    fn squawk_from_df5_matches_pymodes() {
        // pyModeS 3.6: A8001EBCFFFB23286004A73F6A5B (DF21) -> squawk 7333.
        let f = Frame::from_hex("A8001EBCFFFB23286004A73F6A5B").unwrap();
        assert_eq!(squawk(field(f.as_bytes(), 20, 32) as u16), 0x7333);
    }

    #[test]
    fn ac12_with_q_bit_is_25ft() {
        // pyModeS docs: 8D40621D58C382D690C8AC2863A7 altitude 38000 ft.
        let f = Frame::from_hex("8D40621D58C382D690C8AC2863A7").unwrap();
        assert_eq!(
            ac12(field(f.as_bytes(), 41, 52) as u16),
            Some(Altitude::Feet(38000))
        );
    }
}
