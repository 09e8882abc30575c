//! Wire version 2: what agents write. Version 1 sent every message byte;
//! this one leaves out what the collector can recompute and lines up what
//! repeats, then compresses every column on its own (one zstd frame each),
//! so each gets its own entropy tables.
//!
//! ```text
//! body after "CRB" 2:
//!   id_len varint, receiver id, seq varint, created_ms varint, n varint (as v1)
//!   flags u8: bit 0 = rx_ms is predicted from the timestamps (below),
//!             bit 1 = packed: the columns are inside one column, each
//!             as len varint + bytes (smaller for small batches)
//!   15 columns in this order, each: decoded_len varint, method u8
//!   (0 raw: decoded_len bytes; 1 zstd: stored_len varint, one zstd frame)
//!    0 odd      frames whose length does not fit their downlink format,
//!               verbatim: index gap varint, length u8, bytes (all other
//!               frames are "regular")
//!    1 head     first message byte (DF and the 3 bits after it), per regular frame
//!    2 table    addresses, 3 bytes each, in order of first use
//!    3 index    per regular frame its table index, w bytes as byte planes
//!               (w = 1 up to 256 addresses, 2 up to 65,536, else 3)
//!    4 parity   DF11/17/18: syndrome varint (0 when intact; DF11 carries
//!               the interrogator code there)
//!    5 rx       rx_ms - prediction, svarint per frame; prediction = previous
//!               rx_ms (first: created_ms), or with flag bit 0 the first
//!               frame's rx_ms + (timestamp - its timestamp) / 12,000
//!    6-8 ts     zig-zag 12 MHz timestamp step (first from 0), bytes 0, 1, 2
//!    9 ts_high  the same step >> 24, varint per frame
//!   10 signal   signal level byte per frame
//!   11 key      long frames: message byte 4 (ME type code / Comm-B first
//!               byte); DF17/18 positions also their CPR format bit (0/1)
//!   12 ext      DF17/18: message bytes 5..11 minus the reference
//!   13 reply    other long formats: bytes 1..4 and 5..11 minus the reference
//!   14 short    other short formats except DF11: bytes 1..4 minus the reference
//! ```
//! Regular frames are rebuilt exactly: the address of DF11/17/18 is bytes
//! 1..4 and their parity the CRC XOR the `parity` column; for every other
//! format the parity field is the CRC XOR the address (Annex 10 Vol IV
//! §3.1.2.3.3.2), so the table holds the syndrome and the parity is
//! recomputed from it. Frames with bad parity round-trip all the same (their
//! syndrome is carried). The reference is the same bytes of the previous
//! frame with the same address, first byte and key byte (and CPR format for
//! positions), or zeros: consecutive positions, velocities and Comm-B
//! replies of one aircraft differ in few bytes, and a byte-wise difference
//! also turns counters into repeats. See docs/performance.md for what each
//! column costs.

use std::borrow::Cow;
use std::collections::HashMap;

use super::envelope::{MAGIC, RAW, ZSTD, decompress, parse_header, put_header};
use super::reader::{Reader, put_svarint, put_varint};
use super::{Batch, Limits, WireError, WireFrame};
use crate::crc;
use crate::frame::{Frame, expected_len};

/// This module's version byte.
pub const VERSION: u8 = 2;

/// zstd level: measured in docs/performance.md (agent CPU against size).
const ZSTD_LEVEL: i32 = 12;
/// Columns shorter than this are stored raw (a zstd frame costs ~10 bytes).
const MIN_COMPRESS: usize = 16;

const RX_FROM_TIMESTAMP: u8 = 1;
const PACKED: u8 = 2;
/// Small batches are also tried as one zstd frame holding all columns
/// (15 frames cost more than separate entropy tables save there).
const PACK_BELOW: usize = 8 << 10;
const TICKS_PER_MS: i64 = 12_000;

const ODD: usize = 0;
const HEAD: usize = 1;
const TABLE: usize = 2;
const INDEX: usize = 3;
const PARITY: usize = 4;
const RX: usize = 5;
const TS0: usize = 6;
const TS_HIGH: usize = 9;
const SIGNAL: usize = 10;
const KEY: usize = 11;
const EXT: usize = 12;
const REPLY: usize = 13;
const SHORT: usize = 14;
const COLUMNS: usize = 15;
const NAMES: [&str; COLUMNS] = [
    "odd", "head", "table", "index", "parity", "rx", "ts0", "ts1", "ts2", "ts_high", "signal",
    "key", "ext", "reply", "short",
];

/// Formats whose address is in bytes 1..4 (AA field); the others overlay
/// it on the parity.
fn has_aa(df: u8) -> bool {
    matches!(df, 11 | 17 | 18)
}

/// ADS-B type codes with a CPR position (surface 5–8, airborne 9–18 and
/// 20–22), whose format bit F is message bit 54 (DO-260B §2.2.3.2.3).
fn is_position(type_code: u8) -> bool {
    matches!(type_code, 5..=18 | 20..=22)
}

/// Bytes of an address table index for `m` addresses.
fn index_width(m: usize) -> usize {
    match m {
        0..=256 => 1,
        257..=65_536 => 2,
        _ => 3,
    }
}

/// The last bytes seen per (kind, address index, head, key, F).
type Refs = HashMap<u64, [u8; 9]>;

fn ref_key(column: usize, index: u32, head: u8, key: u8, f: u8) -> u64 {
    ((column as u64) << 56)
        | (u64::from(index) << 24)
        | (u64::from(head) << 16)
        | (u64::from(key) << 8)
        | u64::from(f)
}

/// Appends `bytes` minus the reference and makes them the new reference.
fn put_diff(refs: &mut Refs, key: u64, bytes: &[u8], out: &mut Vec<u8>) {
    let slot = refs.entry(key).or_insert([0; 9]);
    for (r, &b) in slot.iter_mut().zip(bytes) {
        out.push(b.wrapping_sub(*r));
        *r = b;
    }
}

/// Adds the reference to `diff` into `dst` and makes it the new reference.
fn take_diff(refs: &mut Refs, key: u64, diff: &[u8], dst: &mut [u8]) {
    let slot = refs.entry(key).or_insert([0; 9]);
    for ((r, d), &x) in slot.iter_mut().zip(dst.iter_mut()).zip(diff) {
        *d = x.wrapping_add(*r);
        *r = *d;
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Predicts rx_ms: the previous frame's (the first: created_ms), or with
/// timestamps the first frame's rx_ms plus the receiver clock time elapsed
/// since it (both clocks run in real time; from one anchor the rounding to
/// milliseconds does not add up).
struct RxPredictor {
    from_timestamp: bool,
    prev: u64,
    anchor: Option<(u64, u64)>,
}

impl RxPredictor {
    fn new(created_ms: u64, from_timestamp: bool) -> Self {
        Self {
            from_timestamp,
            prev: created_ms,
            anchor: None,
        }
    }

    fn predict(&self, timestamp: u64) -> u64 {
        match self.anchor {
            Some((rx0, ts0)) if self.from_timestamp => {
                let elapsed = timestamp.wrapping_sub(ts0) as i64 / TICKS_PER_MS;
                rx0.wrapping_add(elapsed as u64)
            }
            _ => self.prev,
        }
    }

    fn seen(&mut self, rx_ms: u64, timestamp: u64) {
        self.prev = rx_ms;
        self.anchor.get_or_insert((rx_ms, timestamp));
    }
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
pub(super) fn encode(batch: &Batch) -> Vec<u8> {
    let n = batch.frames.len();
    let mut cols: [Vec<u8>; COLUMNS] = Default::default();
    let mut addresses: HashMap<u32, u32> = HashMap::new();
    let mut index: Vec<u32> = Vec::with_capacity(n);
    let mut refs = Refs::new();
    let mut next_odd = 0usize;
    for (i, f) in batch.frames.iter().enumerate() {
        let m = f.frame.as_bytes();
        let (head, len) = (m[0], m.len());
        if len != expected_len(head) {
            put_varint(&mut cols[ODD], (i - next_odd) as u64);
            cols[ODD].push(len as u8);
            cols[ODD].extend_from_slice(m);
            next_odd = i + 1;
            continue;
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
        let next = addresses.len() as u32;
        let idx = *addresses.entry(address).or_insert_with(|| {
            cols[TABLE].extend_from_slice(&address.to_be_bytes()[1..]);
            next
        });
        index.push(idx);
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
                put_diff(&mut refs, k, &m[5..11], &mut cols[EXT]);
            } else {
                let mut rest = [0u8; 9];
                rest[..3].copy_from_slice(&m[1..4]);
                rest[3..].copy_from_slice(&m[5..11]);
                put_diff(
                    &mut refs,
                    ref_key(REPLY, idx, head, key, 0),
                    &rest,
                    &mut cols[REPLY],
                );
            }
        } else if !has_aa(df) {
            put_diff(
                &mut refs,
                ref_key(SHORT, idx, head, 0, 0),
                &m[1..4],
                &mut cols[SHORT],
            );
        }
    }
    let width = index_width(addresses.len());
    for plane in 0..width {
        cols[INDEX].extend(index.iter().map(|&i| (i >> (8 * plane)) as u8));
    }

    let plain = rx_column(batch, false);
    let predicted = rx_column(batch, true);
    let flags = if predicted.len() < plain.len() {
        cols[RX] = predicted;
        RX_FROM_TIMESTAMP
    } else {
        cols[RX] = plain;
        0
    };

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

    let mut out = Vec::with_capacity(64 + n * 8);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_header(&mut out, batch);
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok();
    let mut separate = Vec::with_capacity(n * 8);
    for col in &cols {
        put_column(&mut separate, col, &mut compressor);
    }
    let raw: usize = cols.iter().map(Vec::len).sum();
    let mut packed = Vec::new();
    if raw <= PACK_BELOW {
        let mut inner = Vec::with_capacity(raw + 3 * COLUMNS);
        for col in &cols {
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

/// Reads one column, decompressing it if needed; `budget` is what is left
/// of the decoded size limit.
fn column<'a>(
    r: &mut Reader<'a>,
    budget: &mut usize,
    limit: usize,
) -> Result<Cow<'a, [u8]>, WireError> {
    let len = r.varint()?;
    let len = match usize::try_from(len) {
        Ok(len) if len <= *budget => len,
        _ => {
            return Err(WireError::TooLarge {
                size: usize::try_from(len).unwrap_or(usize::MAX),
                limit,
            });
        }
    };
    *budget -= len;
    match r.u8()? {
        RAW => Ok(Cow::Borrowed(r.take(len)?)),
        ZSTD => {
            let stored = usize::try_from(r.varint()?).map_err(|_| WireError::Truncated)?;
            let data = r.take(stored)?;
            let out = decompress(data, len)?;
            if out.len() != len {
                return Err(WireError::Invalid("column size differs from stated"));
            }
            Ok(Cow::Owned(out))
        }
        _ => Err(WireError::Invalid("unknown column compression")),
    }
}

/// `(column name, decoded bytes, stored bytes)` of a version 2 batch, for
/// the size breakdown in docs/performance.md (one "packed" entry for a
/// packed batch); `None` if it does not parse.
pub fn column_sizes(bytes: &[u8]) -> Option<Vec<(&'static str, usize, usize)>> {
    let limits = Limits::default();
    let mut r = Reader::new(bytes.get(4..)?);
    parse_header(&mut r, &limits).ok()?;
    let flags = r.u8().ok()?;
    let mut budget = limits.max_decoded;
    if flags & PACKED != 0 {
        let before = r.rest_len();
        let col = column(&mut r, &mut budget, limits.max_decoded).ok()?;
        return Some(vec![("packed", col.len(), before - r.rest_len())]);
    }
    let mut out = Vec::with_capacity(COLUMNS);
    for name in NAMES {
        let before = r.rest_len();
        let col = column(&mut r, &mut budget, limits.max_decoded).ok()?;
        out.push((name, col.len(), before - r.rest_len()));
    }
    Some(out)
}

/// Decodes the bytes after the version byte.
pub(super) fn decode(body: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    let mut r = Reader::new(body);
    let (receiver_id, seq, created_ms, n) = parse_header(&mut r, limits)?;
    let flags = r.u8()?;
    if flags & !(RX_FROM_TIMESTAMP | PACKED) != 0 {
        return Err(WireError::Invalid("unknown flags"));
    }
    let mut budget = limits.max_decoded;
    let pack;
    let mut cols: [Cow<'_, [u8]>; COLUMNS] = Default::default();
    if flags & PACKED != 0 {
        pack = column(&mut r, &mut budget, limits.max_decoded)?;
        let mut inner = Reader::new(&pack);
        for col in cols.iter_mut() {
            let len = usize::try_from(inner.varint()?).map_err(|_| WireError::Truncated)?;
            *col = Cow::Borrowed(inner.take(len)?);
        }
        if !inner.is_empty() {
            return Err(WireError::Invalid("trailing bytes in the packed columns"));
        }
    } else {
        for col in cols.iter_mut() {
            *col = column(&mut r, &mut budget, limits.max_decoded)?;
        }
    }
    if !r.is_empty() {
        return Err(WireError::Invalid("trailing bytes after the last column"));
    }

    // Frames stored verbatim, by index.
    let mut odd = Vec::new();
    let mut rd = Reader::new(&cols[ODD]);
    let mut next = 0usize;
    while !rd.is_empty() {
        let at = usize::try_from(rd.varint()?)
            .ok()
            .and_then(|gap| next.checked_add(gap))
            .filter(|&at| at < n)
            .ok_or(WireError::Invalid("odd frame index out of range"))?;
        let len = rd.u8()?;
        let frame =
            Frame::new(rd.take(usize::from(len))?).map_err(|_| WireError::Invalid("frame"))?;
        odd.push((at, frame));
        next = at + 1;
    }
    let regular = n - odd.len();

    let fixed = |c: usize, want: usize, what: &'static str| {
        if cols[c].len() == want {
            Ok(())
        } else {
            Err(WireError::Invalid(what))
        }
    };
    fixed(HEAD, regular, "head column length")?;
    if !cols[TABLE].len().is_multiple_of(3) {
        return Err(WireError::Invalid("address table length"));
    }
    let table: Vec<u32> = cols[TABLE]
        .chunks_exact(3)
        .map(|a| u32::from_be_bytes([0, a[0], a[1], a[2]]))
        .collect();
    let width = index_width(table.len());
    fixed(INDEX, regular * width, "index column length")?;
    for c in TS0..TS0 + 3 {
        fixed(c, n, "timestamp column length")?;
    }
    fixed(SIGNAL, n, "signal column length")?;

    let mut parity = Reader::new(&cols[PARITY]);
    let mut rx = Reader::new(&cols[RX]);
    let mut ts_high = Reader::new(&cols[TS_HIGH]);
    let mut key = Reader::new(&cols[KEY]);
    let mut ext = Reader::new(&cols[EXT]);
    let mut reply = Reader::new(&cols[REPLY]);
    let mut short = Reader::new(&cols[SHORT]);
    let mut refs = Refs::new();
    let mut odd = odd.into_iter().peekable();
    let mut frames = Vec::with_capacity(n);
    let mut reg = 0usize;
    let mut prev_ts = 0u64;
    let mut rx_pred = RxPredictor::new(created_ms, flags & RX_FROM_TIMESTAMP != 0);
    for i in 0..n {
        let high = ts_high.varint()?;
        if high >> 40 != 0 {
            return Err(WireError::Invalid("timestamp step too large"));
        }
        let step = u64::from(cols[TS0][i])
            | u64::from(cols[TS0 + 1][i]) << 8
            | u64::from(cols[TS0 + 2][i]) << 16
            | high << 24;
        let timestamp = prev_ts.wrapping_add(unzigzag(step) as u64);
        let rx_ms = rx_pred
            .predict(timestamp)
            .wrapping_add(rx.svarint()? as u64);
        rx_pred.seen(rx_ms, timestamp);
        prev_ts = timestamp;

        let frame = if odd.peek().is_some_and(|&(at, _)| at == i) {
            odd.next().map(|(_, f)| f).ok_or(WireError::Truncated)?
        } else {
            let plane = |p: usize| u32::from(cols[INDEX][p * regular + reg]) << (8 * p);
            let idx = (0..width).map(plane).fold(0, |a, b| a | b);
            let head = cols[HEAD][reg];
            reg += 1;
            let address = *table
                .get(idx as usize)
                .ok_or(WireError::Invalid("address index out of range"))?;
            rebuild(
                head,
                idx,
                address,
                &mut parity,
                &mut key,
                [&mut ext, &mut reply, &mut short],
                &mut refs,
            )?
        };
        frames.push(WireFrame {
            rx_ms,
            timestamp,
            signal: cols[SIGNAL][i],
            frame,
        });
    }
    for rest in [parity, rx, ts_high, key, ext, reply, short] {
        if !rest.is_empty() {
            return Err(WireError::Invalid("column has bytes left over"));
        }
    }
    Ok(Batch {
        receiver_id,
        seq,
        created_ms,
        frames,
    })
}

/// Rebuilds one regular frame from its head byte, address and columns.
fn rebuild(
    head: u8,
    idx: u32,
    address: u32,
    parity: &mut Reader<'_>,
    key: &mut Reader<'_>,
    [ext, reply, short]: [&mut Reader<'_>; 3],
    refs: &mut Refs,
) -> Result<Frame, WireError> {
    let len = expected_len(head);
    let df = head >> 3;
    let mut m = [0u8; 14];
    m[0] = head;
    let overlay = if has_aa(df) {
        m[1..4].copy_from_slice(&address.to_be_bytes()[1..]);
        let syndrome = parity.varint()?;
        if syndrome >> 24 != 0 {
            return Err(WireError::Invalid("syndrome over 24 bits"));
        }
        if len == 14 {
            let k = key.u8()?;
            m[4] = k;
            let f = if is_position(k >> 3) { key.u8()? } else { 0 };
            if f > 1 {
                return Err(WireError::Invalid("CPR format bit"));
            }
            take_diff(
                refs,
                ref_key(EXT, idx, head, k, f),
                ext.take(6)?,
                &mut m[5..11],
            );
        }
        syndrome as u32
    } else {
        if len == 14 {
            let k = key.u8()?;
            m[4] = k;
            let mut rest = [0u8; 9];
            take_diff(
                refs,
                ref_key(REPLY, idx, head, k, 0),
                reply.take(9)?,
                &mut rest,
            );
            m[1..4].copy_from_slice(&rest[..3]);
            m[5..11].copy_from_slice(&rest[3..]);
        } else {
            take_diff(
                refs,
                ref_key(SHORT, idx, head, 0, 0),
                short.take(3)?,
                &mut m[1..4],
            );
        }
        address
    };
    let p = crc::parity(&m[..len - 3]) ^ overlay;
    m[len - 3..len].copy_from_slice(&p.to_be_bytes()[1..]);
    Frame::new(&m[..len]).map_err(|_| WireError::Invalid("frame"))
}
