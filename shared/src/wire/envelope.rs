//! What every wire version shares, apart from the layouts themselves
//! (`v1.rs`, `v2/`) and the dispatch between them (`codec.rs`): the
//! magic, the compression markers, the batch header, and zstd with a size
//! check before allocating.
//!
//! ```text
//! "CRB" | version u8 | body (layout per version: v1.rs, v2/)
//! ```

use super::reader::{Reader, put_varint};
use super::{Batch, Limits, WireError, valid_receiver_id};

/// First bytes of every batch.
pub const MAGIC: &[u8; 3] = b"CRB";
/// Stored as is.
pub(super) const RAW: u8 = 0;
/// A zstd frame (with its content size).
pub(super) const ZSTD: u8 = 1;

/// Writes the header both versions share: receiver id, sequence number,
/// creation time and frame count.
pub(super) fn put_header(out: &mut Vec<u8>, batch: &Batch) {
    put_varint(out, batch.receiver_id.len() as u64);
    out.extend_from_slice(batch.receiver_id.as_bytes());
    put_varint(out, batch.seq);
    put_varint(out, batch.created_ms);
    put_varint(out, batch.frames.len() as u64);
}

/// Reads and checks the shared header: `(receiver id, seq, created_ms, frame count)`.
pub(super) fn parse_header(
    r: &mut Reader<'_>,
    limits: &Limits,
) -> Result<(String, u64, u64, usize), WireError> {
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
    Ok((id.to_owned(), seq, created_ms, n as usize))
}

/// Decompresses one zstd frame of at most `max` bytes; the frame header
/// states the content size, so an oversize claim is refused before
/// anything is allocated.
pub(super) fn decompress(body: &[u8], max: usize) -> Result<Vec<u8>, WireError> {
    let capacity = match zstd::zstd_safe::get_frame_content_size(body) {
        Ok(Some(size)) if size > max as u64 => {
            return Err(WireError::TooLarge {
                size: usize::try_from(size).unwrap_or(usize::MAX),
                limit: max,
            });
        }
        Ok(Some(size)) => size as usize,
        _ => max,
    };
    zstd::bulk::decompress(body, capacity).map_err(|_| WireError::Compression)
}
