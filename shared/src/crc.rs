//! The Mode S CRC-24 (ICAO Annex 10 Vol IV §3.1.2.3.3).
//!
//! Generator polynomial 0x1FFF409. Computed over a whole message including
//! its 24-bit parity field, the remainder ("syndrome") is zero for an intact
//! DF11 (interrogator 0), DF17 or DF18 message. For the address/parity
//! formats (DF0/4/5/16/20/21) the parity field is the CRC XOR the aircraft
//! address, so the syndrome *is* the address. A single flipped bit leaves a
//! syndrome that identifies its position; [`error_bit`] and [`error_bits2`]
//! look those up.

const POLY: u32 = 0xFF_F409;

/// Byte-wise lookup table for the CRC, built at compile time.
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 16;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x80_0000 != 0 {
                (c << 1) ^ POLY
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c & 0xFF_FFFF;
        i += 1;
    }
    table
}

/// The CRC-24 remainder of `data`.
#[inline]
pub fn checksum(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc = ((crc << 8) ^ TABLE[(((crc >> 16) ^ u32::from(b)) & 0xFF) as usize]) & 0xFF_FFFF;
    }
    crc
}

/// The syndrome of a whole message (data and parity): the CRC of the data
/// bits XOR the transmitted parity field. Messages shorter than the parity
/// field give the CRC of what is there.
#[inline]
pub fn syndrome(message: &[u8]) -> u32 {
    let Some(split) = message.len().checked_sub(3) else {
        return checksum(message);
    };
    let (data, p) = message.split_at(split);
    let transmitted = (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]);
    checksum(data) ^ transmitted
}

/// The parity field to append to `data` (the message without its last three
/// bytes) so that its syndrome is zero. With this table formulation the CRC
/// already includes the x^24 shift, so it is the parity itself.
#[inline]
pub fn parity(data: &[u8]) -> u32 {
    checksum(data)
}

/// Syndrome of a single bit error at distance `d` bits from the end of the
/// message (`d = 0` is the last parity bit). Index 0..112.
const SINGLE: [u32; 112] = build_single();

const fn build_single() -> [u32; 112] {
    // Remainder of x^d mod G, for d = 0..112.
    let mut out = [0u32; 112];
    let mut r: u32 = 1;
    let mut d = 0;
    while d < 112 {
        out[d] = r;
        r <<= 1;
        if r & 0x100_0000 != 0 {
            r ^= 0x100_0000 | POLY;
        }
        d += 1;
    }
    out
}

/// The 0-based bit position (from the most significant bit of the first
/// byte) whose flip explains `syndrome` in a message of `bits` bits (56 or
/// 112), ignoring the first `protect` bits (normally the 5-bit DF field).
pub fn error_bit(syndrome: u32, bits: usize, protect: usize) -> Option<usize> {
    if syndrome == 0 || bits > SINGLE.len() {
        return None;
    }
    (0..bits - protect).find_map(|d| (SINGLE[d] == syndrome).then(|| bits - 1 - d))
}

/// Like [`error_bit`] for two flipped bits; returns them in ascending order.
/// Two-bit correction creates ghost aircraft from noise, so decoders leave it
/// off unless asked.
pub fn error_bits2(syndrome: u32, bits: usize, protect: usize) -> Option<(usize, usize)> {
    if syndrome == 0 || bits > SINGLE.len() {
        return None;
    }
    let span = &SINGLE[..bits - protect];
    for (d1, &s1) in span.iter().enumerate() {
        let want = syndrome ^ s1;
        if let Some(d2) = span[d1 + 1..].iter().position(|&s2| s2 == want) {
            return Some((bits - 1 - (d1 + 1 + d2), bits - 1 - d1));
        }
    }
    None
}

/// Flips bit `bit` (0-based from the MSB of the first byte) in `message`.
#[inline]
pub fn flip(message: &mut [u8], bit: usize) {
    if let Some(b) = message.get_mut(bit / 8) {
        *b ^= 0x80 >> (bit % 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_default())
            .collect()
    }

    #[test]
    fn intact_df17_has_zero_syndrome() {
        // pyModeS documentation examples.
        assert_eq!(syndrome(&hex("8D406B902015A678D4D220AA4BDA")), 0);
        assert_eq!(syndrome(&hex("8D4840D6202CC371C32CE0576098")), 0);
    }

    #[test]
    fn address_parity_syndrome_is_the_icao_address() {
        // DF21 reply; pyModeS 3.6 decodes its address as 48548E.
        assert_eq!(syndrome(&hex("A8001EBCFFFB23286004A73F6A5B")), 0x48548E);
    }

    #[test]
    fn parity_of_data_matches_transmitted_parity() {
        let msg = hex("8D4840D6202CC371C32CE0576098");
        assert_eq!(parity(&msg[..11]), 0x576098);
    }

    #[test]
    fn single_bit_error_is_located_anywhere_past_the_df() {
        let good = hex("8D4840D6202CC371C32CE0576098");
        for bit in 5..112 {
            let mut bad = good.clone();
            flip(&mut bad, bit);
            assert_eq!(error_bit(syndrome(&bad), 112, 5), Some(bit), "bit {bit}");
        }
        // A flip inside the protected DF field is not "corrected".
        let mut bad = good.clone();
        flip(&mut bad, 2);
        assert_eq!(error_bit(syndrome(&bad), 112, 5), None);
    }

    #[test]
    fn two_bit_error_is_located() {
        let good = hex("8D4840D6202CC371C32CE0576098");
        let mut bad = good.clone();
        flip(&mut bad, 40);
        flip(&mut bad, 77);
        assert_eq!(error_bit(syndrome(&bad), 112, 5), None);
        assert_eq!(error_bits2(syndrome(&bad), 112, 5), Some((40, 77)));
    }

    #[test]
    fn short_message_single_bit_error() {
        // DF11 all-call 5D4CA2D4DA0EB8 ... recompute from a built message.
        let mut msg = hex("5D4840D6000000");
        let p = parity(&msg[..4]);
        msg[4] = (p >> 16) as u8;
        msg[5] = (p >> 8) as u8;
        msg[6] = p as u8;
        assert_eq!(syndrome(&msg), 0);
        flip(&mut msg, 30);
        assert_eq!(error_bit(syndrome(&msg), 56, 5), Some(30));
    }
}
