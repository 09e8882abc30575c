//! The positions table of the archive: one part's rows read from SQLite in
//! time order and written as Parquet (zstd), with OpenSky's state-vector
//! column names and SI units, so tools written for OpenSky's history read
//! it without a mapping.
//!
//! | column | type | unit / meaning |
//! |---|---|---|
//! | `time` | int64 | Unix seconds (OpenSky's `time`) |
//! | `time_ms` | int64 | Unix milliseconds |
//! | `icao24` | string | address, 6 lowercase hex digits |
//! | `lat`, `lon` | double | degrees (WGS-84) |
//! | `velocity` | double | ground speed, m/s |
//! | `heading` | double | track over ground, degrees clockwise from north |
//! | `vertrate` | double | vertical rate, m/s |
//! | `callsign` | string | the flight's callsign at that time, if known |
//! | `onground` | bool | not recorded yet: always null |
//! | `squawk` | string | not recorded per position yet: always null |
//! | `baroaltitude` | double | barometric altitude, m |
//! | `geoaltitude` | double | geometric altitude, m |
//! | `receivers` | int32 | receivers that heard the position message |
//! | `source` | string | where the position came from: `adsb`, `adsr`, `tisb` or `mlat` |
//!
//! `date` and `hour` come from the Hive partition path.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use rusqlite::{Connection, OptionalExtension, params};

use super::ledger::Part;
use super::parquet::{self, ParquetSink};
use crate::store::queries::{PositionRecord, RECORD_COLUMNS, record};

const FEET: f64 = 0.3048;
const KNOTS: f64 = 1852.0 / 3600.0;
const FEET_PER_MINUTE: f64 = 0.3048 / 60.0;

/// The archive's positions schema (see the module's table).
pub fn schema() -> Arc<Schema> {
    let f = |name, t, null| Field::new(name, t, null);
    Arc::new(Schema::new(vec![
        f("time", DataType::Int64, false),
        f("time_ms", DataType::Int64, false),
        f("icao24", DataType::Utf8, false),
        f("lat", DataType::Float64, false),
        f("lon", DataType::Float64, false),
        f("velocity", DataType::Float64, true),
        f("heading", DataType::Float64, true),
        f("vertrate", DataType::Float64, true),
        f("callsign", DataType::Utf8, true),
        f("onground", DataType::Boolean, true),
        f("squawk", DataType::Utf8, true),
        f("baroaltitude", DataType::Float64, true),
        f("geoaltitude", DataType::Float64, true),
        f("receivers", DataType::Int32, false),
        f("source", DataType::Utf8, false),
    ]))
}

/// Column builders for one record batch.
#[derive(Default)]
pub struct Columns {
    time: Int64Builder,
    time_ms: Int64Builder,
    icao24: StringBuilder,
    lat: Float64Builder,
    lon: Float64Builder,
    velocity: Float64Builder,
    heading: Float64Builder,
    vertrate: Float64Builder,
    callsign: StringBuilder,
    onground: BooleanBuilder,
    squawk: StringBuilder,
    baroaltitude: Float64Builder,
    geoaltitude: Float64Builder,
    receivers: Int32Builder,
    source: StringBuilder,
    len: usize,
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("len", &self.len).finish()
    }
}

impl Columns {
    /// Adds one position and its flight's callsign.
    pub fn push(&mut self, p: &PositionRecord, callsign: Option<&str>) {
        self.time.append_value(p.time_ms.div_euclid(1000));
        self.time_ms.append_value(p.time_ms);
        self.icao24.append_value(parquet::hex24(p.icao));
        self.lat.append_value(p.lat);
        self.lon.append_value(p.lon);
        self.velocity.append_option(p.gs.map(|k| k * KNOTS));
        self.heading.append_option(p.track);
        self.vertrate
            .append_option(p.baro_rate.map(|v| v as f64 * FEET_PER_MINUTE));
        self.baroaltitude
            .append_option(p.alt_baro.map(|a| a as f64 * FEET));
        self.geoaltitude
            .append_option(p.alt_geom.map(|a| a as f64 * FEET));
        self.receivers
            .append_value(p.receivers.clamp(0, i32::MAX as i64) as i32);
        self.callsign.append_option(callsign);
        self.onground.append_null();
        self.squawk.append_null();
        self.source.append_value(p.source.as_str());
        self.len += 1;
    }
}

impl parquet::Columns for Columns {
    fn schema() -> Arc<Schema> {
        schema()
    }

    fn rows(&self) -> usize {
        self.len
    }

    fn finish(&mut self) -> anyhow::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.time.finish()),
            Arc::new(self.time_ms.finish()),
            Arc::new(self.icao24.finish()),
            Arc::new(self.lat.finish()),
            Arc::new(self.lon.finish()),
            Arc::new(self.velocity.finish()),
            Arc::new(self.heading.finish()),
            Arc::new(self.vertrate.finish()),
            Arc::new(self.callsign.finish()),
            Arc::new(self.onground.finish()),
            Arc::new(self.squawk.finish()),
            Arc::new(self.baroaltitude.finish()),
            Arc::new(self.geoaltitude.finish()),
            Arc::new(self.receivers.finish()),
            Arc::new(self.source.finish()),
        ];
        self.len = 0;
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}

/// The callsign of a flight spanning a time (`flights_icao` index).
const CALLSIGN_AT: &str = "SELECT callsign FROM flights WHERE icao = ?1 AND last_seen_ms >= ?2
    AND first_seen_ms <= ?2 ORDER BY last_seen_ms LIMIT 1";

/// The callsign of `icao`'s flight spanning `time_ms`, if any.
pub fn callsign_at(conn: &Connection, icao: i64, time_ms: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(CALLSIGN_AT)?
        .query_row(params![icao, time_ms], |r| r.get(0))
        .optional()
}

/// Adds `p` to `sink` with its callsign looked up in `conn`.
pub fn push<W: std::io::Write + Send>(
    sink: &mut ParquetSink<W, Columns>,
    conn: &Connection,
    p: &PositionRecord,
) -> anyhow::Result<()> {
    let callsign = callsign_at(conn, p.icao, p.time_ms)?;
    sink.push(|c| c.push(p, callsign.as_deref()))
}

/// Writes `part`'s rows from `conn` to the Parquet file `path`, in time
/// order (`positions_time`); returns the rows written. The flights of the
/// hour are read once, in the same read transaction, so a position's
/// callsign is a lookup in memory, not a query.
pub fn write(conn: &Connection, part: &Part, path: &Path) -> anyhow::Result<i64> {
    let mut sink = ParquetSink::<_, Columns>::new(std::fs::File::create(path)?)?;
    let (start, end) = (part.start_ms(), part.start_ms() + 3_600_000);
    let snapshot = conn.unchecked_transaction()?;
    let callsigns = Callsigns::between(conn, start, end)?;
    let mut q = conn.prepare(&format!(
        "SELECT {RECORD_COLUMNS} FROM positions
         WHERE time_ms >= ?1 AND time_ms < ?2 AND rowid > ?3 AND rowid <= ?4
         ORDER BY time_ms"
    ))?;
    let mut rows = q.query(params![start, end, part.after, part.upto])?;
    while let Some(r) = rows.next()? {
        let p = record(r)?;
        sink.push(|c| c.push(&p, callsigns.at(p.icao, p.time_ms)))?;
    }
    drop(rows);
    snapshot.finish()?;
    let (rows, file) = sink.finish()?;
    file.sync_all()?;
    Ok(rows)
}

/// The flights that overlap a span of time, by address: for any time in
/// the span, [`Callsigns::at`] gives what [`callsign_at`] would (a
/// flight spanning such a time overlaps the span).
#[derive(Debug, Default)]
pub struct Callsigns {
    /// Per address, its flights ordered by `last_seen_ms`:
    /// (first_seen_ms, last_seen_ms, callsign).
    by_icao: HashMap<i64, Vec<(i64, i64, String)>>,
}

impl Callsigns {
    /// The flights overlapping `[from_ms, to_ms)`.
    pub fn between(conn: &Connection, from_ms: i64, to_ms: i64) -> rusqlite::Result<Self> {
        let mut q = conn.prepare(
            "SELECT icao, first_seen_ms, last_seen_ms, callsign FROM flights
             WHERE last_seen_ms >= ?1 AND first_seen_ms < ?2 ORDER BY icao, last_seen_ms",
        )?;
        let mut rows = q.query(params![from_ms, to_ms])?;
        let mut out = Self::default();
        while let Some(r) = rows.next()? {
            out.by_icao
                .entry(r.get(0)?)
                .or_default()
                .push((r.get(1)?, r.get(2)?, r.get(3)?));
        }
        Ok(out)
    }

    /// The callsign of `icao`'s flight spanning `time_ms` that ended
    /// first, if any.
    pub fn at(&self, icao: i64, time_ms: i64) -> Option<&str> {
        self.by_icao
            .get(&icao)?
            .iter()
            .find(|(first, last, _)| *last >= time_ms && *first <= time_ms)
            .map(|(_, _, callsign)| callsign.as_str())
    }
}
