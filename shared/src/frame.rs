//! A raw Mode S message: 56 bits (short) or 112 bits (long), as it came off
//! the air, before any CRC check.

use std::fmt;

/// A raw Mode S message of 7 or 14 bytes, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    bytes: [u8; 14],
    len: u8,
}

/// Why bytes are not a Mode S message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Mode S messages are 7 or 14 bytes long.
    #[error("a Mode S message is 7 or 14 bytes, got {0}")]
    Length(usize),
    /// A hex string had a character outside `0-9a-fA-F`.
    #[error("invalid hex digit in Mode S message")]
    Hex,
}

impl Frame {
    /// Copies a 7- or 14-byte message.
    pub fn new(bytes: &[u8]) -> Result<Self, FrameError> {
        let len = bytes.len();
        if len != 7 && len != 14 {
            return Err(FrameError::Length(len));
        }
        let mut out = [0u8; 14];
        out[..len].copy_from_slice(bytes);
        Ok(Self {
            bytes: out,
            len: len as u8,
        })
    }

    /// Parses 14 or 28 hex digits (either case).
    pub fn from_hex(hex: &str) -> Result<Self, FrameError> {
        let digits = hex.as_bytes();
        if digits.len() != 14 && digits.len() != 28 {
            return Err(FrameError::Length(digits.len() / 2));
        }
        let mut out = [0u8; 14];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            out[i] = (hex_val(pair[0]).ok_or(FrameError::Hex)? << 4)
                | hex_val(pair[1]).ok_or(FrameError::Hex)?;
        }
        Ok(Self {
            bytes: out,
            len: (digits.len() / 2) as u8,
        })
    }

    /// The message bytes (7 or 14).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Mutable access, used by error correction.
    #[inline]
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..usize::from(self.len)]
    }

    /// Length in bytes: 7 or 14.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Length in bits: 56 or 112.
    #[inline]
    pub fn bits(&self) -> usize {
        usize::from(self.len) * 8
    }

    /// The downlink format: the first five bits (Annex 10 Vol IV §3.1.2.3.2.1.2).
    /// Formats 24 and up use only their first two bits, reported as 24.
    #[inline]
    pub fn df(&self) -> u8 {
        let df = self.bytes[0] >> 3;
        if df >= 24 { 24 } else { df }
    }

    /// Lowercase hex, as AVR and the JSON output print it.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(self.len() * 2);
        for b in self.as_bytes() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        s
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The value of one ASCII hex digit.
#[inline]
pub fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The length in bytes a message with downlink format `df` must have:
/// formats 16 and up are long (Annex 10 Vol IV §3.1.2.3.2.1.2).
#[inline]
pub fn expected_len(first_byte: u8) -> usize {
    if first_byte >> 3 >= 16 { 14 } else { 7 }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({})", self.to_hex())
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_df() {
        let f = Frame::from_hex("8D4840D6202CC371C32CE0576098").unwrap();
        assert_eq!(f.df(), 17);
        assert_eq!(f.len(), 14);
        assert_eq!(f.to_hex(), "8d4840d6202cc371c32ce0576098");
        let s = Frame::from_hex("5d4840d6abcdef").unwrap();
        assert_eq!(s.df(), 11);
        assert_eq!(s.bits(), 56);
    }

    #[test]
    fn wrong_length_and_bad_hex_are_errors() {
        assert_eq!(Frame::new(&[0; 5]), Err(FrameError::Length(5)));
        assert_eq!(Frame::from_hex("8d4840"), Err(FrameError::Length(3)));
        assert_eq!(Frame::from_hex("zz4840d6abcdef"), Err(FrameError::Hex));
    }

    #[test]
    fn df24_and_above_report_24() {
        let f = Frame::new(&[0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(f.df(), 24);
        let f = Frame::new(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(f.df(), 24);
    }
}
