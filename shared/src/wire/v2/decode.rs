//! Reading a batch in version 2's layout (see `mod.rs`), never trusting
//! a length or an index.

use std::borrow::Cow;

use super::*;
use crate::crc;
use crate::frame::{Frame, expected_len};
use crate::wire::envelope::{RAW, ZSTD, decompress, parse_header};
use crate::wire::reader::Reader;
use crate::wire::{Batch, Limits, WireError, WireFrame};

/// Adds the reference to `diff` into `dst` and makes it the new reference.
fn take_diff(refs: &mut Refs, key: u64, diff: &[u8], dst: &mut [u8]) {
    let slot = refs.entry(key).or_insert([0; 9]);
    for ((r, d), &x) in slot.iter_mut().zip(dst.iter_mut()).zip(diff) {
        *d = x.wrapping_add(*r);
        *r = *d;
    }
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
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
pub(in crate::wire) fn decode(body: &[u8], limits: &Limits) -> Result<Batch, WireError> {
    let mut r = Reader::new(body);
    let (receiver_id, seq, created_ms, n) = parse_header(&mut r, limits)?;
    let flags = r.u8()?;
    if flags & !(RX_FROM_TIMESTAMP | PACKED) != 0 {
        return Err(WireError::Invalid("unknown flags"));
    }
    let mut budget = limits.max_decoded;
    let pack = match flags & PACKED != 0 {
        true => Some(column(&mut r, &mut budget, limits.max_decoded)?),
        false => None,
    };
    let cols = match &pack {
        Some(pack) => unpack(pack)?,
        None => separate(&mut r, &mut budget, limits.max_decoded)?,
    };
    if !r.is_empty() {
        return Err(WireError::Invalid("trailing bytes after the last column"));
    }
    let odd = odd_frames(&cols[ODD], n)?;
    let regular = n - odd.len();
    let table = check_lengths(&cols, n, regular)?;
    let times = Times {
        cols: &cols,
        ts_high: Reader::new(&cols[TS_HIGH]),
        rx: Reader::new(&cols[RX]),
        prev_ts: 0,
        predictor: RxPredictor::new(created_ms, flags & RX_FROM_TIMESTAMP != 0),
    };
    let frames = Frames {
        cols: &cols,
        table: &table,
        regular,
        width: index_width(table.len()),
        parity: Reader::new(&cols[PARITY]),
        key: Reader::new(&cols[KEY]),
        ext: Reader::new(&cols[EXT]),
        reply: Reader::new(&cols[REPLY]),
        short: Reader::new(&cols[SHORT]),
        refs: Refs::new(),
        next_regular: 0,
    };
    Ok(Batch {
        receiver_id,
        seq,
        created_ms,
        frames: frames.read(times, odd, n)?,
    })
}

type Columns<'a> = [Cow<'a, [u8]>; COLUMNS];

/// The columns inside a packed column (each `len varint` + bytes).
fn unpack(pack: &[u8]) -> Result<Columns<'_>, WireError> {
    let mut cols: Columns<'_> = Default::default();
    let mut inner = Reader::new(pack);
    for col in cols.iter_mut() {
        let len = usize::try_from(inner.varint()?).map_err(|_| WireError::Truncated)?;
        *col = Cow::Borrowed(inner.take(len)?);
    }
    if !inner.is_empty() {
        return Err(WireError::Invalid("trailing bytes in the packed columns"));
    }
    Ok(cols)
}

/// The columns stored one after the other.
fn separate<'a>(
    r: &mut Reader<'a>,
    budget: &mut usize,
    limit: usize,
) -> Result<Columns<'a>, WireError> {
    let mut cols: Columns<'a> = Default::default();
    for col in cols.iter_mut() {
        *col = column(r, budget, limit)?;
    }
    Ok(cols)
}

/// Frames stored verbatim, with their index in the batch (below `n`).
fn odd_frames(col: &[u8], n: usize) -> Result<Vec<(usize, Frame)>, WireError> {
    let mut odd = Vec::new();
    let mut rd = Reader::new(col);
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
    Ok(odd)
}

/// Checks the columns of fixed length against the frame counts, so the
/// per-frame reads below stay in range; returns the address table.
fn check_lengths(cols: &Columns<'_>, n: usize, regular: usize) -> Result<Vec<u32>, WireError> {
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
    Ok(table)
}

/// Reads each frame's timestamp and reception time.
struct Times<'c> {
    cols: &'c Columns<'c>,
    ts_high: Reader<'c>,
    rx: Reader<'c>,
    prev_ts: u64,
    predictor: RxPredictor,
}

impl Times<'_> {
    /// Frame `i`'s `(timestamp, rx_ms)`.
    fn next(&mut self, i: usize) -> Result<(u64, u64), WireError> {
        let high = self.ts_high.varint()?;
        if high >> 40 != 0 {
            return Err(WireError::Invalid("timestamp step too large"));
        }
        let c = self.cols;
        let step = u64::from(c[TS0][i])
            | u64::from(c[TS0 + 1][i]) << 8
            | u64::from(c[TS0 + 2][i]) << 16
            | high << 24;
        let timestamp = self.prev_ts.wrapping_add(unzigzag(step) as u64);
        let rx_ms = self
            .predictor
            .predict(timestamp)
            .wrapping_add(self.rx.svarint()? as u64);
        self.predictor.seen(rx_ms, timestamp);
        self.prev_ts = timestamp;
        Ok((timestamp, rx_ms))
    }
}

/// Rebuilds the frames from the message columns.
struct Frames<'c> {
    cols: &'c Columns<'c>,
    table: &'c [u32],
    regular: usize,
    width: usize,
    parity: Reader<'c>,
    key: Reader<'c>,
    ext: Reader<'c>,
    reply: Reader<'c>,
    short: Reader<'c>,
    refs: Refs,
    /// Regular frames rebuilt so far.
    next_regular: usize,
}

impl Frames<'_> {
    /// All `n` frames, the odd ones at their places; every column must be
    /// used up exactly.
    fn read(
        mut self,
        mut times: Times<'_>,
        odd: Vec<(usize, Frame)>,
        n: usize,
    ) -> Result<Vec<WireFrame>, WireError> {
        let mut odd = odd.into_iter().peekable();
        let mut frames = Vec::with_capacity(n);
        for i in 0..n {
            let (timestamp, rx_ms) = times.next(i)?;
            let frame = if odd.peek().is_some_and(|&(at, _)| at == i) {
                odd.next().map(|(_, f)| f).ok_or(WireError::Truncated)?
            } else {
                self.regular()?
            };
            frames.push(WireFrame {
                rx_ms,
                timestamp,
                signal: self.cols[SIGNAL][i],
                frame,
            });
        }
        let (s, t) = (self, times);
        for rest in [s.parity, t.rx, t.ts_high, s.key, s.ext, s.reply, s.short] {
            if !rest.is_empty() {
                return Err(WireError::Invalid("column has bytes left over"));
            }
        }
        Ok(frames)
    }

    /// The next regular frame.
    fn regular(&mut self) -> Result<Frame, WireError> {
        let (cols, reg) = (self.cols, self.next_regular);
        let plane = |p: usize| u32::from(cols[INDEX][p * self.regular + reg]) << (8 * p);
        let idx = (0..self.width).map(plane).fold(0, |a, b| a | b);
        let head = cols[HEAD][reg];
        self.next_regular += 1;
        let address = *self
            .table
            .get(idx as usize)
            .ok_or(WireError::Invalid("address index out of range"))?;
        rebuild(
            head,
            idx,
            address,
            &mut self.parity,
            &mut self.key,
            [&mut self.ext, &mut self.reply, &mut self.short],
            &mut self.refs,
        )
    }
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
