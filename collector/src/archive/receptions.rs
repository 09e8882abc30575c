//! The receptions table of the archive: every reception of every message,
//! with the message it heard (one row per receiver that heard a
//! transmission), so multilateration, coverage and receiver studies need
//! no join. The rows of one part are read in the order they were stored
//! (rowid: no sort), which is message order within each batch.
//!
//! | column | type | unit / meaning |
//! |---|---|---|
//! | `shard` | string | the collector (`archive_shard`) that stored it |
//! | `message_id` | int64 | the message, unique within its shard |
//! | `time` | int64 | message time, Unix seconds |
//! | `time_ms` | int64 | message time (its first reception), Unix ms |
//! | `icao24` | string | address, 6 lowercase hex digits (null if none) |
//! | `df` | int32 | downlink format |
//! | `raw` | binary | the Mode S message (7 or 14 bytes) |
//! | `receiver` | string | receiver id |
//! | `rx_ms` | int64 | when that receiver heard it, Unix ms |
//! | `timestamp` | int64 | the receiver's 12 MHz clock at reception |
//! | `signal` | int32 | signal level as the receiver reported it (0–255) |
//!
//! `date` and `hour` (of `rx_ms`) come from the Hive partition path.
//! One transmission heard by receivers of two shards is two messages:
//! `docs/decisions/0008-parquet-archive-and-shards.md` gives the query
//! that counts it once.

use std::path::Path;
use std::sync::Arc;

use ::parquet::basic::Encoding;
use arrow_array::builder::{BinaryBuilder, Int32Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rusqlite::{Connection, params};

use super::ledger::Part;
use super::messages::{Message, Messages, Statements};
use super::parquet::{self, ParquetSink};

/// Column builders for one record batch.
pub struct Columns {
    shard: StringBuilder,
    message_id: Int64Builder,
    time: Int64Builder,
    time_ms: Int64Builder,
    icao24: StringBuilder,
    df: Int32Builder,
    raw: BinaryBuilder,
    receiver: StringBuilder,
    rx_ms: Int64Builder,
    timestamp: Int64Builder,
    signal: Int32Builder,
    len: usize,
}

/// One reception's own columns.
#[derive(Debug, Clone, Copy)]
pub struct Reception<'a> {
    /// The message heard.
    pub message_id: i64,
    /// Receiver id.
    pub receiver: &'a str,
    /// When the receiver heard it, Unix ms.
    pub rx_ms: i64,
    /// The receiver's 12 MHz clock.
    pub timestamp: i64,
    /// Signal level.
    pub signal: i64,
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("len", &self.len).finish()
    }
}

/// Bytes of text per row a batch's builders start with: a receiver id or
/// a shard name of up to 16 characters fits without growing them.
const TEXT_BYTES: usize = 16;

impl Default for Columns {
    /// Builders sized for a whole batch ([`parquet::CHUNK`] rows), so
    /// filling one copies nothing to grow.
    fn default() -> Self {
        let n = parquet::CHUNK;
        Self {
            shard: StringBuilder::with_capacity(n, n * TEXT_BYTES),
            message_id: Int64Builder::with_capacity(n),
            time: Int64Builder::with_capacity(n),
            time_ms: Int64Builder::with_capacity(n),
            icao24: StringBuilder::with_capacity(n, n * 6),
            df: Int32Builder::with_capacity(n),
            raw: BinaryBuilder::with_capacity(n, n * 14),
            receiver: StringBuilder::with_capacity(n, n * TEXT_BYTES),
            rx_ms: Int64Builder::with_capacity(n),
            timestamp: Int64Builder::with_capacity(n),
            signal: Int32Builder::with_capacity(n),
            len: 0,
        }
    }
}

impl Columns {
    /// Adds reception `r` of `shard` with the message it heard.
    pub fn push(&mut self, shard: &str, r: &Reception<'_>, m: Option<&Message>) {
        self.shard.append_value(shard);
        self.message_id.append_value(r.message_id);
        self.time
            .append_option(m.map(|m| m.time_ms.div_euclid(1000)));
        self.time_ms.append_option(m.map(|m| m.time_ms));
        match m.and_then(|m| m.icao) {
            Some(a) => self.icao24.append_value(parquet::hex24(a)),
            None => self.icao24.append_null(),
        }
        self.df.append_option(m.map(|m| m.df as i32));
        self.raw.append_option(m.map(Message::raw));
        self.receiver.append_value(r.receiver);
        self.rx_ms.append_value(r.rx_ms);
        self.timestamp.append_value(r.timestamp);
        self.signal.append_value(r.signal as i32);
        self.len += 1;
    }
}

impl parquet::Columns for Columns {
    fn schema() -> Arc<Schema> {
        let f = |name, t, null| Field::new(name, t, null);
        Arc::new(Schema::new(vec![
            f("shard", DataType::Utf8, false),
            f("message_id", DataType::Int64, false),
            f("time", DataType::Int64, true),
            f("time_ms", DataType::Int64, true),
            f("icao24", DataType::Utf8, true),
            f("df", DataType::Int32, true),
            f("raw", DataType::Binary, true),
            f("receiver", DataType::Utf8, false),
            f("rx_ms", DataType::Int64, false),
            f("timestamp", DataType::Int64, false),
            f("signal", DataType::Int32, false),
        ]))
    }

    fn encodings() -> &'static [(&'static str, Encoding)] {
        &[
            ("message_id", Encoding::DELTA_BINARY_PACKED),
            ("time_ms", Encoding::DELTA_BINARY_PACKED),
            ("rx_ms", Encoding::DELTA_BINARY_PACKED),
            ("timestamp", Encoding::PLAIN),
            ("raw", Encoding::PLAIN),
        ]
    }

    fn without_statistics() -> &'static [&'static str] {
        &["raw"]
    }

    fn rows(&self) -> usize {
        self.len
    }

    /// The batch, leaving builders sized for the next one in its place.
    fn finish(&mut self) -> anyhow::Result<RecordBatch> {
        let mut b = std::mem::take(self);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(b.shard.finish()),
            Arc::new(b.message_id.finish()),
            Arc::new(b.time.finish()),
            Arc::new(b.time_ms.finish()),
            Arc::new(b.icao24.finish()),
            Arc::new(b.df.finish()),
            Arc::new(b.raw.finish()),
            Arc::new(b.receiver.finish()),
            Arc::new(b.rx_ms.finish()),
            Arc::new(b.timestamp.finish()),
            Arc::new(b.signal.finish()),
        ];
        Ok(RecordBatch::try_new(
            <Self as parquet::Columns>::schema(),
            columns,
        )?)
    }
}

/// Writes `part`'s receptions (and their messages) from `conn` to the
/// Parquet file `path`; returns the rows written. A reception whose
/// message retention already deleted keeps its own columns. Receptions
/// and messages are two forward scans (see [`Messages`]).
pub fn write(conn: &Connection, part: &Part, shard: &str, path: &Path) -> anyhow::Result<i64> {
    let mut sink = ParquetSink::<_, Columns>::new(std::fs::File::create(path)?)?;
    let mut q = conn.prepare(
        "SELECT message_id, receiver, rx_ms, timestamp, signal FROM receptions
         WHERE rowid > ?3 AND rowid <= ?4 AND +rx_ms >= ?1 AND +rx_ms < ?2
         ORDER BY rowid",
    )?;
    let mut statements = Statements::prepare(conn)?;
    let start = part.start_ms();
    let mut rows = q.query(params![start, start + 3_600_000, part.after, part.upto])?;
    // Receptions come in batches of one receiver: its id is checked as
    // UTF-8 once per run of rows, not once per row.
    let mut receiver = String::new();
    if let Some(first) = rows.next()? {
        let mut messages = Messages::new(&mut statements, first.get(0)?)?;
        let mut r = first;
        loop {
            let id = r.get(0)?;
            let m = messages.get(id)?;
            let bytes = r.get_ref(1)?.as_bytes()?;
            if bytes != receiver.as_bytes() {
                receiver = std::str::from_utf8(bytes)
                    .map_err(|e| rusqlite::Error::Utf8Error(1, e))?
                    .to_string();
            }
            let reception = Reception {
                message_id: id,
                receiver: &receiver,
                rx_ms: r.get(2)?,
                timestamp: r.get(3)?,
                signal: r.get(4)?,
            };
            sink.push(|c| c.push(shard, &reception, m.as_ref()))?;
            match rows.next()? {
                Some(next) => r = next,
                None => break,
            }
        }
    }
    let (rows, file) = sink.finish()?;
    file.sync_all()?;
    Ok(rows)
}
