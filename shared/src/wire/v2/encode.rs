//! Writing a batch in version 2's layout (see `mod.rs`).

use std::collections::HashMap;

use super::*;
use crate::crc;
use crate::frame::expected_len;
use crate::wire::Batch;
use crate::wire::envelope::{MAGIC, RAW, ZSTD, put_header};
use crate::wire::reader::{put_svarint, put_varint};

/// Appends `bytes` minus the reference and makes them the new reference.
fn put_diff(refs: &mut Refs, key: u64, bytes: &[u8], out: &mut Vec<u8>) {
    let slot = refs.entry(key).or_insert([0; 9]);
    for (r, &b) in slot.iter_mut().zip(bytes) {
        out.push(b.wrapping_sub(*r));
        *r = b;
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The rx column with or without timestamp prediction.
fn rx_column(batch: &Batch, from_timestamp: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.frames.len());
    let mut p = RxPredictor::new(batch.created_ms, from_timestamp);
    for f in &batch.frames {
        put_svarint(
            &mut out,
            f.rx_ms.wrapping_sub(p.predict(f.timestamp)) as i64,
        );
        p.seen(f.rx_ms, f.timestamp);
    }
    out
}

/// Encodes and compresses a batch.
pub(in crate::wire) fn encode(batch: &Batch) -> Vec<u8> {
    let mut cols: [Vec<u8>; COLUMNS] = Default::default();
    let mut messages = Messages::default();
    messages.index.reserve(batch.frames.len());
    for (i, f) in batch.frames.iter().enumerate() {
        messages.put(&mut cols, i, f.frame.as_bytes());
    }
    messages.put_index(&mut cols);
    let flags = put_rx(batch, &mut cols);
    put_timestamps_and_signal(batch, &mut cols);
    assemble(batch, &cols, flags)
}

/// The message columns' state across a batch: the address table, each
/// regular frame's index in it, and the references for differences.
#[derive(Default)]
struct Messages {
    addresses: HashMap<u32, u32>,
    index: Vec<u32>,
    refs: Refs,
    next_odd: usize,
}

impl Messages {
    /// Frame `i`'s message `m` into the odd, head, table, parity, key and
    /// difference columns.
    fn put(&mut self, cols: &mut [Vec<u8>; COLUMNS], i: usize, m: &[u8]) {
        let (head, len) = (m[0], m.len());
        if len != expected_len(head) {
            put_varint(&mut cols[ODD], (i - self.next_odd) as u64);
            cols[ODD].push(len as u8);
            cols[ODD].extend_from_slice(m);
            self.next_odd = i + 1;
            return;
        }
        cols[HEAD].push(head);
        let df = head >> 3;
        let syndrome = crc::syndrome(m);
        let address = if has_aa(df) {
            put_varint(&mut cols[PARITY], u64::from(syndrome));
            u32::from_be_bytes([0, m[1], m[2], m[3]])
        } else {
            syndrome
        };
        let next = self.addresses.len() as u32;
        let idx = *self.addresses.entry(address).or_insert_with(|| {
            cols[TABLE].extend_from_slice(&address.to_be_bytes()[1..]);
            next
        });
        self.index.push(idx);
        let refs = &mut self.refs;
        if len == 14 {
            let key = m[4];
            cols[KEY].push(key);
            if has_aa(df) {
                let f = if is_position(key >> 3) {
                    let f = (m[6] >> 2) & 1;
                    cols[KEY].push(f);
                    f
                } else {
                    0
                };
                let k = ref_key(EXT, idx, head, key, f);
                put_diff(refs, k, &m[5..11], &mut cols[EXT]);
            } else {
                let mut rest = [0u8; 9];
                rest[..3].copy_from_slice(&m[1..4]);
                rest[3..].copy_from_slice(&m[5..11]);
                let k = ref_key(REPLY, idx, head, key, 0);
                put_diff(refs, k, &rest, &mut cols[REPLY]);
            }
        } else if !has_aa(df) {
            let k = ref_key(SHORT, idx, head, 0, 0);
            put_diff(refs, k, &m[1..4], &mut cols[SHORT]);
        }
    }

    /// The index column: every regular frame's table index, as byte planes.
    fn put_index(&self, cols: &mut [Vec<u8>; COLUMNS]) {
        let width = index_width(self.addresses.len());
        for plane in 0..width {
            cols[INDEX].extend(self.index.iter().map(|&i| (i >> (8 * plane)) as u8));
        }
    }
}

/// The rx column, with timestamp prediction where that is smaller;
/// returns the flag saying which.
fn put_rx(batch: &Batch, cols: &mut [Vec<u8>; COLUMNS]) -> u8 {
    let plain = rx_column(batch, false);
    let predicted = rx_column(batch, true);
    if predicted.len() < plain.len() {
        cols[RX] = predicted;
        RX_FROM_TIMESTAMP
    } else {
        cols[RX] = plain;
        0
    }
}

/// The timestamp step columns (three byte planes and the high part) and
/// the signal column.
fn put_timestamps_and_signal(batch: &Batch, cols: &mut [Vec<u8>; COLUMNS]) {
    let mut prev = 0u64;
    for f in &batch.frames {
        let step = zigzag(f.timestamp.wrapping_sub(prev) as i64);
        prev = f.timestamp;
        for plane in 0..3 {
            cols[TS0 + plane].push((step >> (8 * plane)) as u8);
        }
        put_varint(&mut cols[TS_HIGH], step >> 24);
    }
    cols[SIGNAL].extend(batch.frames.iter().map(|f| f.signal));
}

/// Magic, version, header and flags, then the columns: each compressed on
/// its own, or (small batches, when smaller) packed in one zstd frame.
fn assemble(batch: &Batch, cols: &[Vec<u8>; COLUMNS], flags: u8) -> Vec<u8> {
    let n = batch.frames.len();
    let mut out = Vec::with_capacity(64 + n * 8);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_header(&mut out, batch);
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok();
    let mut separate = Vec::with_capacity(n * 8);
    for col in cols {
        put_column(&mut separate, col, &mut compressor);
    }
    let raw: usize = cols.iter().map(Vec::len).sum();
    let mut packed = Vec::new();
    if raw <= PACK_BELOW {
        let mut inner = Vec::with_capacity(raw + 3 * COLUMNS);
        for col in cols {
            put_varint(&mut inner, col.len() as u64);
            inner.extend_from_slice(col);
        }
        put_column(&mut packed, &inner, &mut compressor);
    }
    if !packed.is_empty() && packed.len() < separate.len() {
        out.push(flags | PACKED);
        out.extend_from_slice(&packed);
    } else {
        out.push(flags);
        out.extend_from_slice(&separate);
    }
    out
}

/// Writes one column: decoded length, then zstd if that is smaller, else raw.
fn put_column(out: &mut Vec<u8>, col: &[u8], compressor: &mut Option<zstd::bulk::Compressor<'_>>) {
    put_varint(out, col.len() as u64);
    let packed = match compressor {
        Some(c) if col.len() >= MIN_COMPRESS => c.compress(col).ok(),
        _ => None,
    };
    match packed {
        Some(z) if z.len() + 2 < col.len() => {
            out.push(ZSTD);
            put_varint(out, z.len() as u64);
            out.extend_from_slice(&z);
        }
        _ => {
            out.push(RAW);
            out.extend_from_slice(col);
        }
    }
}
