//! The receptions table of the archive: every reception of every message,
//! with the message it heard (one row per receiver that heard a
//! transmission), so multilateration, coverage and receiver studies need
//! no join. The rows of one part are read in message order.
//!
//! | column | type | unit / meaning |
//! |---|---|---|
//! | `shard` | string | the collector (`archive_shard`) that stored it |
//! | `message_id` | int64 | the message, unique within its shard |
//! | `time` | int64 | message time, Unix seconds |
//! | `time_ms` | int64 | message time (its first reception), Unix ms |
//! | `icao24` | string | address, 6 lowercase hex digits (null if none) |
//! | `df` | int32 | downlink format |
//! | `raw` | string | the Mode S message, lowercase hex |
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

use arrow_array::builder::{Int32Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rusqlite::{Connection, params};

use super::ledger::Part;
use super::parquet::{self, ParquetSink};

/// Column builders for one record batch.
#[derive(Default)]
pub struct Columns {
    shard: StringBuilder,
    message_id: Int64Builder,
    time: Int64Builder,
    time_ms: Int64Builder,
    icao24: StringBuilder,
    df: Int32Builder,
    raw: StringBuilder,
    receiver: StringBuilder,
    rx_ms: Int64Builder,
    timestamp: Int64Builder,
    signal: Int32Builder,
    len: usize,
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("len", &self.len).finish()
    }
}

/// One reception with its message, as read from SQLite.
struct Reception {
    message_id: i64,
    time_ms: Option<i64>,
    icao: Option<i64>,
    df: Option<i64>,
    raw: Option<Vec<u8>>,
    receiver: String,
    rx_ms: i64,
    timestamp: i64,
    signal: i64,
}

impl Columns {
    fn push(&mut self, shard: &str, r: &Reception) {
        self.shard.append_value(shard);
        self.message_id.append_value(r.message_id);
        self.time
            .append_option(r.time_ms.map(|t| t.div_euclid(1000)));
        self.time_ms.append_option(r.time_ms);
        self.icao24
            .append_option(r.icao.map(|a| format!("{a:06x}")));
        self.df.append_option(r.df.map(|d| d as i32));
        self.raw.append_option(r.raw.as_ref().map(|b| hex(b)));
        self.receiver.append_value(&r.receiver);
        self.rx_ms.append_value(r.rx_ms);
        self.timestamp.append_value(r.timestamp);
        self.signal.append_value(r.signal as i32);
        self.len += 1;
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
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
            f("raw", DataType::Utf8, true),
            f("receiver", DataType::Utf8, false),
            f("rx_ms", DataType::Int64, false),
            f("timestamp", DataType::Int64, false),
            f("signal", DataType::Int32, false),
        ]))
    }

    fn rows(&self) -> usize {
        self.len
    }

    fn finish(&mut self) -> anyhow::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.shard.finish()),
            Arc::new(self.message_id.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.time_ms.finish()),
            Arc::new(self.icao24.finish()),
            Arc::new(self.df.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.receiver.finish()),
            Arc::new(self.rx_ms.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.signal.finish()),
        ];
        self.len = 0;
        Ok(RecordBatch::try_new(
            <Self as parquet::Columns>::schema(),
            columns,
        )?)
    }
}

/// Writes `part`'s receptions (and their messages) from `conn` to the
/// Parquet file `path`; returns the rows written. A reception whose
/// message retention already deleted keeps its own columns.
pub fn write(conn: &Connection, part: &Part, shard: &str, path: &Path) -> anyhow::Result<i64> {
    let mut sink = ParquetSink::<_, Columns>::new(std::fs::File::create(path)?)?;
    let mut q = conn.prepare(
        "SELECT r.message_id, m.time_ms, m.icao, m.df, m.raw, r.receiver, r.rx_ms, r.timestamp, r.signal
         FROM receptions r LEFT JOIN messages m ON m.id = r.message_id
         WHERE r.rx_ms >= ?1 AND r.rx_ms < ?2 AND r.rowid > ?3 AND r.rowid <= ?4
         ORDER BY r.message_id, r.rx_ms",
    )?;
    let start = part.start_ms();
    let mut rows = q.query(params![start, start + 3_600_000, part.after, part.upto])?;
    while let Some(r) = rows.next()? {
        let rec = Reception {
            message_id: r.get(0)?,
            time_ms: r.get(1)?,
            icao: r.get(2)?,
            df: r.get(3)?,
            raw: r.get(4)?,
            receiver: r.get(5)?,
            rx_ms: r.get(6)?,
            timestamp: r.get(7)?,
            signal: r.get(8)?,
        };
        sink.push(|c| c.push(shard, &rec))?;
    }
    let (rows, file) = sink.finish()?;
    file.sync_all()?;
    Ok(rows)
}
