//! Wire version 1, written by agents before version 2 and still accepted.
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

use super::envelope::{MAGIC, RAW, ZSTD, decompress, parse_header, put_header};
use super::reader::{Reader, put_svarint};
use super::{Batch, Limits, WireError, WireFrame};
use crate::Frame;

/// This module's version byte.
pub const VERSION: u8 = 1;

const ZSTD_LEVEL: i32 = 3;

/// Encodes a batch in version 1 (kept so tests can prove that batches
/// from older agents are still accepted).
pub fn encode(batch: &Batch) -> Vec<u8> {
    let n = batch.frames.len();
    let mut payload = Vec::with_capacity(32 + batch.receiver_id.len() + n * 20);
    put_header(&mut payload, batch);
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

/// Decodes the bytes after the version byte: compression byte and payload.
pub(super) fn decode(body: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    let mut r = Reader::new(body);
    let compression = r.u8()?;
    let body = r.rest();
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

fn parse_payload(payload: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    let mut r = Reader::new(payload);
    let (id, seq, created_ms, n) = parse_header(&mut r, limits)?;
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
        receiver_id: id,
        seq,
        created_ms,
        frames,
    })
}
