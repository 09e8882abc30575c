//! Encoding and decoding a batch: the version byte chooses the layout
//! (the parts every version shares are in `envelope.rs`).
//!
//! ```text
//! "CRB" | version u8 | body (layout per version: v1.rs, v2/)
//! ```
//! Agents write version 2; the collector accepts 1 and 2, so agents in the
//! field keep working while they are upgraded.

use super::envelope::{MAGIC, parse_header};
use super::reader::Reader;
use super::{Batch, Limits, WireError, v1, v2};

/// The version this build writes.
pub const VERSION: u8 = v2::VERSION;

/// Encodes and compresses a batch in the current version.
pub fn encode(batch: &Batch) -> Vec<u8> {
    v2::encode(batch)
}

/// Encodes a batch in version 1, as agents before version 2 did; kept so
/// tests can prove such batches are still accepted.
pub fn encode_v1(batch: &Batch) -> Vec<u8> {
    v1::encode(batch)
}

/// Decodes an untrusted batch of any supported version, enforcing `limits`.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    if bytes.len() > limits.max_encoded {
        return Err(WireError::TooLarge {
            size: bytes.len(),
            limit: limits.max_encoded,
        });
    }
    let mut r = Reader::new(bytes);
    if r.take(3).map_err(|_| WireError::Magic)? != MAGIC {
        return Err(WireError::Magic);
    }
    match r.u8()? {
        v1::VERSION => v1::decode(r.rest(), limits),
        v2::VERSION => v2::decode(r.rest(), limits),
        version => Err(WireError::Version(version)),
    }
}

/// The receiver id and sequence number of a batch that may not decode
/// (too large, damaged body, limits), read from its header alone: enough
/// for the collector to confirm a batch it drops, so the agent stops
/// sending it. `None` if even the header is unreadable, and for version 1,
/// which compresses its header with the rest (agents that old do not
/// wait for confirmations).
pub fn peek_header(bytes: &[u8]) -> Option<(String, u64)> {
    let mut r = Reader::new(bytes);
    if r.take(3).ok()? != MAGIC || r.u8().ok()? != v2::VERSION {
        return None;
    }
    let unbounded = Limits {
        max_frames: usize::MAX,
        ..Limits::default()
    };
    let (id, seq, _, _) = parse_header(&mut r, &unbounded).ok()?;
    Some((id, seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireFrame;
    use crate::wire::envelope::ZSTD;
    use crate::wire::reader::put_varint;
    use crate::{Frame, crc};

    fn sample(n: usize) -> Batch {
        let long = Frame::from_hex("8D4840D6202CC371C32CE0576098").unwrap();
        let short = Frame::from_hex("5D4840D6A6F2C1").unwrap();
        Batch {
            receiver_id: "rx-01".into(),
            seq: 42,
            created_ms: 1_700_000_000_000,
            frames: (0..n)
                .map(|i| WireFrame {
                    rx_ms: 1_700_000_000_000 - 250 + i as u64,
                    timestamp: 0xFFFF_FFFF_F000 + i as u64 * 6000,
                    signal: (i % 256) as u8,
                    frame: if i % 3 == 0 { short } else { long },
                })
                .collect(),
        }
    }

    #[test]
    fn the_header_of_a_batch_that_does_not_decode_is_still_read() {
        let b = sample(50);
        let small = Limits {
            max_frames: 10,
            ..Limits::default()
        };
        let bytes = encode(&b);
        assert_eq!(decode(&bytes, &small), Err(WireError::TooManyFrames(50)));
        assert_eq!(peek_header(&bytes), Some(("rx-01".into(), 42)));
        assert_eq!(
            peek_header(&encode_v1(&b)),
            None,
            "version 1 compresses its header"
        );
        assert_eq!(
            peek_header(b"CRB\x09\x05rx-01\x2a"),
            None,
            "unknown version"
        );
        assert_eq!(peek_header(b"CRB\x02\x05rx-"), None, "cut in the id");
        assert_eq!(peek_header(b"XYZ"), None);
    }

    /// xorshift64: deterministic randomness without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A message of `len` bytes with downlink format `df`; `parity` says
    /// how its last 24 bits are set.
    fn message(rng: &mut Rng, df: u8, len: usize, aircraft: &[u32]) -> Frame {
        let mut m = [0u8; 14];
        for b in m.iter_mut() {
            *b = rng.next() as u8;
        }
        m[0] = (df << 3) | (m[0] & 7);
        let address = aircraft[rng.below(aircraft.len() as u64) as usize];
        if matches!(df, 11 | 17 | 18) {
            m[1..4].copy_from_slice(&address.to_be_bytes()[1..]);
        }
        if rng.below(4) == 0 {
            // Repeat-ish content so the references are exercised.
            m[4..len.saturating_sub(3).max(4)].fill(0x11);
        }
        let overlay = match rng.below(5) {
            0 | 1 => 0,
            2 => address,
            3 => rng.below(80) as u32,
            _ => rng.next() as u32 & 0xFF_FFFF,
        };
        let p = crc::parity(&m[..len - 3]) ^ overlay;
        m[len - 3..len].copy_from_slice(&p.to_be_bytes()[1..]);
        Frame::new(&m[..len]).unwrap()
    }

    fn random_batch(rng: &mut Rng) -> Batch {
        let n = match rng.below(4) {
            0 => rng.below(4) as usize,
            _ => rng.below(700) as usize,
        };
        let aircraft: Vec<u32> = (0..1 + rng.below(300))
            .map(|_| rng.next() as u32 & 0xFF_FFFF)
            .collect();
        let created_ms = rng.next() >> rng.below(64);
        let mut rx = created_ms.wrapping_sub(rng.below(1000));
        let mut ts = rng.next() & 0xFFFF_FFFF_FFFF;
        let frames = (0..n)
            .map(|_| {
                let df = match rng.below(6) {
                    0 => 17,
                    1 => 11,
                    2 => [0, 4, 5, 16, 20, 21, 18, 24][rng.below(8) as usize],
                    _ => rng.below(32) as u8,
                };
                let len = match rng.below(20) {
                    0 => [7, 14][rng.below(2) as usize],
                    _ => expected_len_of(df),
                };
                match rng.below(10) {
                    0 => ts = rng.next(),
                    1 => ts = ts.wrapping_sub(rng.below(1 << 30)),
                    _ => {
                        let bits = 8 + rng.below(30);
                        ts = ts.wrapping_add(rng.below(1 << bits));
                    }
                }
                match rng.below(10) {
                    0 => rx = rng.next(),
                    _ => rx = rx.wrapping_add(rng.below(50)),
                }
                WireFrame {
                    rx_ms: rx,
                    timestamp: ts,
                    signal: rng.next() as u8,
                    frame: message(rng, df, len, &aircraft),
                }
            })
            .collect();
        Batch {
            receiver_id: "rx-prop".into(),
            seq: rng.next(),
            created_ms,
            frames,
        }
    }

    fn expected_len_of(df: u8) -> usize {
        if df >= 16 { 14 } else { 7 }
    }

    #[test]
    fn batch_round_trips() {
        for n in [0, 1, 2, 500] {
            let b = sample(n);
            assert_eq!(decode(&encode(&b), &Limits::default()), Ok(b.clone()));
            assert_eq!(decode(&encode_v1(&b), &Limits::default()), Ok(b));
        }
    }

    #[test]
    fn random_batches_round_trip_bit_exactly_in_both_versions() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut packed = 0;
        for round in 0..400 {
            let b = random_batch(&mut rng);
            let v2 = encode(&b);
            assert_eq!(v2[3], 2);
            let columns = crate::wire::column_sizes(&v2).expect("v2 columns");
            packed += usize::from(columns.len() == 1);
            assert_eq!(
                decode(&v2, &Limits::default()),
                Ok(b.clone()),
                "round {round}"
            );
            let v1 = encode_v1(&b);
            assert_eq!(v1[3], 1);
            assert_eq!(decode(&v1, &Limits::default()), Ok(b), "round {round} v1");
        }
        // Both layouts were exercised: small batches packed, large ones not.
        assert!(packed > 0 && packed < 400, "{packed} of 400 packed");
    }

    #[test]
    fn wrong_magic_version_and_truncation_are_rejected() {
        assert_eq!(
            decode(b"XYZ\x02\x00", &Limits::default()),
            Err(WireError::Magic)
        );
        for bytes in [encode(&sample(10)), encode_v1(&sample(10))] {
            let mut v3 = bytes.clone();
            v3[3] = 3;
            assert_eq!(decode(&v3, &Limits::default()), Err(WireError::Version(3)));
            for cut in 0..bytes.len() {
                assert!(
                    decode(&bytes[..cut], &Limits::default()).is_err(),
                    "cut {cut}"
                );
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(decode(&longer, &Limits::default()).is_err());
        }
    }

    #[test]
    fn oversize_batches_are_rejected() {
        for bytes in [encode(&sample(1000)), encode_v1(&sample(1000))] {
            let limits = Limits {
                max_encoded: 100,
                ..Limits::default()
            };
            assert!(matches!(
                decode(&bytes, &limits),
                Err(WireError::TooLarge { .. })
            ));
            let limits = Limits {
                max_frames: 999,
                ..Limits::default()
            };
            assert_eq!(decode(&bytes, &limits), Err(WireError::TooManyFrames(1000)));
            let limits = Limits {
                max_decoded: 2000,
                ..Limits::default()
            };
            let got = decode(&bytes, &limits);
            assert!(matches!(got, Err(WireError::TooLarge { .. })), "{got:?}");
        }
    }

    /// A v2 batch by hand: header, then the given columns, all raw.
    fn v2_with_columns(n: u64, columns: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"CRB\x02".to_vec();
        put_varint(&mut out, 2);
        out.extend_from_slice(b"rx");
        put_varint(&mut out, 1);
        put_varint(&mut out, 1);
        put_varint(&mut out, n);
        out.push(0);
        for (len, data) in columns {
            put_varint(&mut out, *len);
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn decompression_bombs_are_refused_before_allocating() {
        // A column stating 4 GB is over the decoded-size budget at once.
        let bytes = v2_with_columns(0, &[(4 << 30, vec![0])]);
        assert!(matches!(
            decode(&bytes, &Limits::default()),
            Err(WireError::TooLarge { .. })
        ));
        // A zstd column that inflates past its stated size is refused.
        let bomb = zstd::bulk::compress(&vec![0u8; 1 << 20], 3).unwrap();
        let mut col = vec![ZSTD];
        put_varint(&mut col, bomb.len() as u64);
        col.extend_from_slice(&bomb);
        let bytes = v2_with_columns(0, &[(100, col)]);
        assert!(decode(&bytes, &Limits::default()).is_err());
        // Columns whose sum is over the budget are refused.
        let mb = zstd::bulk::compress(&vec![0u8; 1 << 20], 3).unwrap();
        let mut col = vec![ZSTD];
        put_varint(&mut col, mb.len() as u64);
        col.extend_from_slice(&mb);
        let many: Vec<(u64, Vec<u8>)> = (0..15).map(|_| (1 << 20, col.clone())).collect();
        assert!(matches!(
            decode(&v2_with_columns(0, &many), &Limits::default()),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x1234_5678_9abc_def0);
        for len in 0..400 {
            for prefix in [
                &b"CRB\x01\x00"[..],
                b"CRB\x01\x01",
                b"CRB\x02\x02rx\x01\x01",
            ] {
                let mut buf = prefix.to_vec();
                for _ in 0..len {
                    buf.push(rng.next() as u8);
                }
                let _ = decode(&buf, &Limits::default());
            }
        }
    }

    #[test]
    fn corrupted_batches_never_panic_and_what_decodes_re_encodes() {
        // Flip bytes of real v2 batches (the structure survives further
        // than with random bytes, so the column checks are reached).
        let mut rng = Rng(0xDEAD_BEEF_1234_5678);
        for _ in 0..200 {
            let b = random_batch(&mut rng);
            let good = encode(&b);
            for _ in 0..20 {
                let mut bad = good.clone();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(bad.len() as u64) as usize;
                    bad[at] ^= 1 << rng.below(8);
                }
                if let Ok(d) = decode(&bad, &Limits::default()) {
                    assert_eq!(decode(&encode(&d), &Limits::default()), Ok(d));
                }
            }
        }
    }
}
