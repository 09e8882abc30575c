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
//! | `source` | string | `adsb` (`mlat` once multilateration exists) |
//!
//! `date` and `hour` come from the Hive partition path.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rusqlite::{Connection, params};

use super::ledger::Part;

/// Rows per record batch (and so per Parquet page group written at once).
const CHUNK: usize = 65_536;
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
struct Columns {
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
    fn push(&mut self, r: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
        let time_ms: i64 = r.get(0)?;
        self.time.append_value(time_ms.div_euclid(1000));
        self.time_ms.append_value(time_ms);
        self.icao24
            .append_value(format!("{:06x}", r.get::<_, i64>(1)?));
        self.lat.append_value(r.get(2)?);
        self.lon.append_value(r.get(3)?);
        self.velocity
            .append_option(r.get::<_, Option<f64>>(4)?.map(|k| k * KNOTS));
        self.heading.append_option(r.get::<_, Option<f64>>(5)?);
        self.vertrate.append_option(
            r.get::<_, Option<i64>>(6)?
                .map(|v| v as f64 * FEET_PER_MINUTE),
        );
        self.baroaltitude
            .append_option(r.get::<_, Option<i64>>(7)?.map(|a| a as f64 * FEET));
        self.geoaltitude
            .append_option(r.get::<_, Option<i64>>(8)?.map(|a| a as f64 * FEET));
        self.receivers
            .append_value(r.get::<_, i64>(9)?.clamp(0, i32::MAX as i64) as i32);
        self.callsign.append_option(r.get::<_, Option<String>>(10)?);
        self.onground.append_null();
        self.squawk.append_null();
        self.source.append_value("adsb");
        self.len += 1;
        Ok(())
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

/// Writes `part`'s rows from `conn` to the Parquet file `path`; returns
/// the rows written.
pub fn write(conn: &Connection, part: &Part, path: &Path) -> anyhow::Result<i64> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .build();
    let file = std::fs::File::create(path)?;
    let mut writer = ArrowWriter::try_new(file, schema(), Some(props))?;
    // In time order through `positions_time`; the callsign is the flight's
    // that spans the position (`flights_icao`).
    let mut q = conn.prepare(
        "SELECT p.time_ms, p.icao, p.lat, p.lon, p.gs, p.track, p.baro_rate, p.alt_baro,
                p.alt_geom, p.receivers,
                (SELECT f.callsign FROM flights f WHERE f.icao = p.icao
                   AND f.last_seen_ms >= p.time_ms AND f.first_seen_ms <= p.time_ms
                 ORDER BY f.last_seen_ms LIMIT 1)
         FROM positions p
         WHERE p.time_ms >= ?1 AND p.time_ms < ?2 AND p.rowid > ?3 AND p.rowid <= ?4
         ORDER BY p.time_ms",
    )?;
    let start = part.start_ms();
    let mut rows = q.query(params![start, start + 3_600_000, part.after, part.upto])?;
    let mut cols = Columns::default();
    let mut total = 0i64;
    while let Some(r) = rows.next()? {
        cols.push(r)?;
        total += 1;
        if cols.len == CHUNK {
            writer.write(&cols.finish()?)?;
        }
    }
    if cols.len > 0 {
        writer.write(&cols.finish()?)?;
    }
    writer.close()?;
    Ok(total)
}
