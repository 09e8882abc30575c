//! Bit-field access for Mode S messages.
//!
//! The standard numbers bits from 1 at the most significant bit of the first
//! byte (ICAO Annex 10 Vol IV §3.1.2.3.1.3). These helpers take that 1-based
//! numbering so the code reads like the tables in DO-260B.

/// Reads bits `first..=last` (1-based, inclusive, MSB first) of `data` as an
/// unsigned integer. Bits past the end of `data` read as zero, so a short
/// slice never panics; callers check the message length once up front.
#[inline]
pub fn field(data: &[u8], first: usize, last: usize) -> u64 {
    debug_assert!(first >= 1 && last >= first && last - first < 64);
    let mut value = 0u64;
    let first_byte = (first - 1) / 8;
    let last_byte = (last - 1) / 8;
    for i in first_byte..=last_byte {
        value = (value << 8) | u64::from(data.get(i).copied().unwrap_or(0));
    }
    let trailing = (last_byte + 1) * 8 - last;
    let width = last - first + 1;
    (value >> trailing) & (u64::MAX >> (64 - width))
}

/// Reads one bit (1-based) as a bool.
#[inline]
pub fn flag(data: &[u8], bit: usize) -> bool {
    field(data, bit, bit) != 0
}

/// Writes `value` into bits `first..=last` (1-based, inclusive) of `data`.
/// Bits of `value` above the field width are ignored; bits past the end of
/// `data` are dropped.
#[inline]
pub fn set_field(data: &mut [u8], first: usize, last: usize, value: u64) {
    for bit in first..=last {
        let shift = last - bit;
        let on = (value >> shift) & 1 == 1;
        let index = (bit - 1) / 8;
        let mask = 0x80u8 >> ((bit - 1) % 8);
        if let Some(byte) = data.get_mut(index) {
            if on {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_df_and_icao_of_a_real_df17() {
        // 8D4840D6202CC371C32CE0576098: DF17, ICAO 4840D6 (pyModeS docs).
        let msg = [
            0x8D, 0x48, 0x40, 0xD6, 0x20, 0x2C, 0xC3, 0x71, 0xC3, 0x2C, 0xE0, 0x57, 0x60, 0x98,
        ];
        assert_eq!(field(&msg, 1, 5), 17);
        assert_eq!(field(&msg, 6, 8), 5);
        assert_eq!(field(&msg, 9, 32), 0x4840D6);
        assert_eq!(field(&msg, 33, 37), 4);
        assert!(flag(&msg, 1));
        assert!(!flag(&msg, 2));
    }

    #[test]
    fn reading_past_the_end_gives_zero_not_a_panic() {
        assert_eq!(field(&[0xFF], 5, 16), 0b1111_0000_0000);
    }

    #[test]
    fn set_field_round_trips() {
        let mut buf = [0u8; 14];
        set_field(&mut buf, 9, 32, 0xABCDEF);
        set_field(&mut buf, 1, 5, 17);
        assert_eq!(field(&buf, 9, 32), 0xABCDEF);
        assert_eq!(field(&buf, 1, 5), 17);
        set_field(&mut buf, 1, 5, 0);
        assert_eq!(field(&buf, 1, 5), 0);
        assert_eq!(field(&buf, 9, 32), 0xABCDEF);
    }
}
