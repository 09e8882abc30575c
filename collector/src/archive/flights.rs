//! The flights table of the archive: one row per flight (an aircraft
//! under one callsign, without a gap longer than `flight_gap_s`), in the
//! hour partition of its end, with OpenSky's flights column names
//! (`icao24`, `callsign`, `firstseen`, `lastseen`).
//!
//! | column | type | unit / meaning |
//! |---|---|---|
//! | `shard` | string | the collector (`archive_shard`) that stored it |
//! | `flight_id` | int64 | the flight, unique within its shard |
//! | `icao24` | string | address, 6 lowercase hex digits |
//! | `callsign` | string | callsign |
//! | `firstseen` | int64 | first message, Unix seconds |
//! | `lastseen` | int64 | last message, Unix seconds |
//! | `firstseen_ms`, `lastseen_ms` | int64 | the same, Unix milliseconds |
//!
//! `date` and `hour` (of `lastseen`) come from the Hive partition path.
//! A flight is archived once the flight gap has passed after its hour,
//! when it can no longer grow; after that the collector starts a new
//! flight rather than extend it, so no flight is in the archive twice.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rusqlite::{Connection, params};

use super::ledger::Part;
use super::parquet::{self, ParquetSink};

/// Column builders for one record batch.
#[derive(Debug, Default)]
pub struct Columns {
    shard: StringBuilder,
    flight_id: Int64Builder,
    icao24: StringBuilder,
    callsign: StringBuilder,
    firstseen: Int64Builder,
    lastseen: Int64Builder,
    firstseen_ms: Int64Builder,
    lastseen_ms: Int64Builder,
    len: usize,
}

impl Columns {
    fn push(&mut self, shard: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
        let first: i64 = r.get(3)?;
        let last: i64 = r.get(4)?;
        self.shard.append_value(shard);
        self.flight_id.append_value(r.get(0)?);
        self.icao24
            .append_value(format!("{:06x}", r.get::<_, i64>(1)?));
        self.callsign.append_value(r.get_ref(2)?.as_str()?);
        self.firstseen.append_value(first.div_euclid(1000));
        self.lastseen.append_value(last.div_euclid(1000));
        self.firstseen_ms.append_value(first);
        self.lastseen_ms.append_value(last);
        self.len += 1;
        Ok(())
    }
}

impl parquet::Columns for Columns {
    fn schema() -> Arc<Schema> {
        let f = |name, t| Field::new(name, t, false);
        Arc::new(Schema::new(vec![
            f("shard", DataType::Utf8),
            f("flight_id", DataType::Int64),
            f("icao24", DataType::Utf8),
            f("callsign", DataType::Utf8),
            f("firstseen", DataType::Int64),
            f("lastseen", DataType::Int64),
            f("firstseen_ms", DataType::Int64),
            f("lastseen_ms", DataType::Int64),
        ]))
    }

    fn rows(&self) -> usize {
        self.len
    }

    fn finish(&mut self) -> anyhow::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.shard.finish()),
            Arc::new(self.flight_id.finish()),
            Arc::new(self.icao24.finish()),
            Arc::new(self.callsign.finish()),
            Arc::new(self.firstseen.finish()),
            Arc::new(self.lastseen.finish()),
            Arc::new(self.firstseen_ms.finish()),
            Arc::new(self.lastseen_ms.finish()),
        ];
        self.len = 0;
        Ok(RecordBatch::try_new(
            <Self as parquet::Columns>::schema(),
            columns,
        )?)
    }
}

/// Writes `part`'s flights (those ending in its hour, with id in its
/// range) from `conn` to the Parquet file `path`; returns the rows written.
pub fn write(conn: &Connection, part: &Part, shard: &str, path: &Path) -> anyhow::Result<i64> {
    let mut sink = ParquetSink::<_, Columns>::new(std::fs::File::create(path)?)?;
    let mut q = conn.prepare(
        "SELECT id, icao, callsign, first_seen_ms, last_seen_ms FROM flights
         WHERE id > ?3 AND id <= ?4 AND last_seen_ms >= ?1 AND last_seen_ms < ?2
         ORDER BY id",
    )?;
    let start = part.start_ms();
    let mut rows = q.query(params![start, start + 3_600_000, part.after, part.upto])?;
    while let Some(r) = rows.next()? {
        let mut pushed = Ok(());
        sink.push(|c| pushed = c.push(shard, r))?;
        pushed?;
    }
    let (rows, file) = sink.finish()?;
    file.sync_all()?;
    Ok(rows)
}
