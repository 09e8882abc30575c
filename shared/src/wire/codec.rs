//! Byte layout of a batch, version 1.
//!
//! ```text
//! "CRB" | version u8 = 1 | compression u8 (0 none, 1 zstd) | payload
//! payload (after decompression), varints are LEB128, s = zig-zag signed:
//!   id_len varint, receiver id (UTF-8)
//!   seq varint, created_ms varint, frame count n varint
//!   column: n bytes, 7 or 14 (message length)
//!   column: n svarints, rx_ms delta from the previous frame (first from created_ms)
//!   column: n svarints, 12 MHz timestamp delta from the previous frame
//!   column: n bytes, signal level
//!   column: the messages, concatenated
//! ```
//! Columns, not rows: like values sit together, which is what the
//! compressor needs (message bytes are near-random, lengths and deltas are not).

use super::reader::{Reader, put_svarint, put_varint};
use super::{Batch, Limits, WireError, WireFrame, valid_receiver_id};
use crate::Frame;

/// First bytes of every batch.
pub const MAGIC: &[u8; 3] = b"CRB";
/// The version this build writes.
pub const VERSION: u8 = 1;

const RAW: u8 = 0;
const ZSTD: u8 = 1;
const ZSTD_LEVEL: i32 = 3;

/// Encodes and compresses a batch.
pub fn encode(batch: &Batch) -> Vec<u8> {
    let n = batch.frames.len();
    let mut payload = Vec::with_capacity(32 + batch.receiver_id.len() + n * 20);
    put_varint(&mut payload, batch.receiver_id.len() as u64);
    payload.extend_from_slice(batch.receiver_id.as_bytes());
    put_varint(&mut payload, batch.seq);
    put_varint(&mut payload, batch.created_ms);
    put_varint(&mut payload, n as u64);
    payload.extend(batch.frames.iter().map(|f| f.frame.len() as u8));
    let mut prev = batch.created_ms as i64;
    for f in &batch.frames {
        put_svarint(&mut payload, (f.rx_ms as i64).wrapping_sub(prev));
        prev = f.rx_ms as i64;
    }
    let mut prev = 0i64;
    for f in &batch.frames {
        put_svarint(&mut payload, (f.timestamp as i64).wrapping_sub(prev));
        prev = f.timestamp as i64;
    }
    payload.extend(batch.frames.iter().map(|f| f.signal));
    for f in &batch.frames {
        payload.extend_from_slice(f.frame.as_bytes());
    }

    let mut out = Vec::with_capacity(payload.len() / 2 + 8);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    match zstd::bulk::compress(&payload, ZSTD_LEVEL) {
        Ok(compressed) if compressed.len() < payload.len() => {
            out.push(ZSTD);
            out.extend_from_slice(&compressed);
        }
        _ => {
            out.push(RAW);
            out.extend_from_slice(&payload);
        }
    }
    out
}

/// Decodes an untrusted batch, enforcing `limits`.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    if bytes.len() > limits.max_encoded {
        return Err(WireError::TooLarge {
            size: bytes.len(),
            limit: limits.max_encoded,
        });
    }
    let mut header = Reader::new(bytes);
    if header.take(3).map_err(|_| WireError::Magic)? != MAGIC {
        return Err(WireError::Magic);
    }
    let version = header.u8()?;
    if version != VERSION {
        return Err(WireError::Version(version));
    }
    let compression = header.u8()?;
    let body = &bytes[5..];
    let decompressed;
    let payload = match compression {
        RAW => body,
        ZSTD => {
            decompressed = decompress(body, limits.max_decoded)?;
            &decompressed[..]
        }
        _ => return Err(WireError::Invalid("unknown compression")),
    };
    if payload.len() > limits.max_decoded {
        return Err(WireError::TooLarge {
            size: payload.len(),
            limit: limits.max_decoded,
        });
    }
    parse_payload(payload, limits)
}

fn decompress(body: &[u8], max: usize) -> Result<Vec<u8>, WireError> {
    // The frame header states the content size; refuse before allocating.
    match zstd::bulk::Decompressor::upper_bound(body) {
        Some(size) if size > max => {
            return Err(WireError::TooLarge { size, limit: max });
        }
        _ => {}
    }
    zstd::bulk::decompress(body, max).map_err(|_| WireError::Compression)
}

fn parse_payload(payload: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    let mut r = Reader::new(payload);
    let id_len = r.varint()?;
    if id_len > 64 {
        return Err(WireError::Invalid("receiver id longer than 64 bytes"));
    }
    let id = std::str::from_utf8(r.take(id_len as usize)?)
        .map_err(|_| WireError::Invalid("receiver id is not UTF-8"))?;
    if !valid_receiver_id(id) {
        return Err(WireError::Invalid("receiver id has forbidden characters"));
    }
    let seq = r.varint()?;
    let created_ms = r.varint()?;
    let n = r.varint()?;
    if n > limits.max_frames as u64 {
        return Err(WireError::TooManyFrames(n));
    }
    let n = n as usize;
    let lens = r.take(n)?;
    if lens.iter().any(|&l| l != 7 && l != 14) {
        return Err(WireError::Invalid("message length is not 7 or 14"));
    }
    let mut frames = Vec::with_capacity(n);
    let mut prev = created_ms as i64;
    for _ in 0..n {
        prev = prev.wrapping_add(r.svarint()?);
        frames.push(WireFrame {
            rx_ms: prev as u64,
            timestamp: 0,
            signal: 0,
            frame: Frame::new(&[0; 7]).map_err(|_| WireError::Invalid("frame"))?,
        });
    }
    let mut prev = 0i64;
    for f in frames.iter_mut() {
        prev = prev.wrapping_add(r.svarint()?);
        f.timestamp = prev as u64;
    }
    let signals = r.take(n)?;
    for (f, (&s, &len)) in frames.iter_mut().zip(signals.iter().zip(lens)) {
        f.signal = s;
        f.frame = Frame::new(r.take(usize::from(len))?).map_err(|_| WireError::Invalid("frame"))?;
    }
    if !r.is_empty() {
        return Err(WireError::Invalid("trailing bytes after the last frame"));
    }
    Ok(Batch {
        receiver_id: id.to_owned(),
        seq,
        created_ms,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn batch_round_trips() {
        for n in [0, 1, 2, 500] {
            let b = sample(n);
            let bytes = encode(&b);
            assert_eq!(decode(&bytes, &Limits::default()), Ok(b));
        }
    }

    #[test]
    fn wrong_magic_version_and_truncation_are_rejected() {
        let bytes = encode(&sample(10));
        assert_eq!(
            decode(b"XYZ\x01\x00", &Limits::default()),
            Err(WireError::Magic)
        );
        let mut v2 = bytes.clone();
        v2[3] = 2;
        assert_eq!(decode(&v2, &Limits::default()), Err(WireError::Version(2)));
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], &Limits::default()).is_err(),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn oversize_batches_are_rejected() {
        let bytes = encode(&sample(1000));
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
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for len in 0..400 {
            let mut buf = b"CRB\x01\x00".to_vec();
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf.push(x as u8);
            }
            let _ = decode(&buf, &Limits::default());
            buf[4] = 1;
            let _ = decode(&buf, &Limits::default());
        }
    }
}
