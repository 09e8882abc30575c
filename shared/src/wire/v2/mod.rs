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
//! column costs. `encode.rs` writes this layout, `decode.rs` reads it.

use std::collections::HashMap;

mod decode;
mod encode;

pub use decode::column_sizes;
pub(super) use decode::decode;
pub(super) use encode::encode;

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
