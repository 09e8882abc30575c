//! The archive tests' rows: what SQLite holds and what an engine read
//! back (`scripts/archive/read_back.py`'s CSV), in comparable form.

use rusqlite::Connection;

/// The columns compared, from either side.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    icao24: String,
    time_ms: i64,
    lat: f64,
    lon: f64,
    velocity: Option<f64>,
    baroaltitude: Option<f64>,
    receivers: i64,
    /// Unix hours, from the Hive `date` and `hour` on the archive's side.
    hour: i64,
}

impl Row {
    /// A line of read_back.py's CSV (its `COLUMNS`).
    pub fn parse(line: &str) -> Self {
        let c: Vec<&str> = line.split(',').collect();
        let f = |i: usize| c[i].parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
        let opt = |i: usize| (!c[i].is_empty()).then(|| f(i));
        let day = days_from_date(c[12]);
        Self {
            icao24: c[0].to_string(),
            time_ms: c[1].parse().expect("time_ms"),
            lat: f(2),
            lon: f(3),
            velocity: opt(4),
            baroaltitude: opt(8),
            receivers: c[10].parse().expect("receivers"),
            hour: day * 24 + c[13].parse::<i64>().expect("hour"),
        }
    }

    pub fn cmp(a: &Self, b: &Self) -> std::cmp::Ordering {
        (&a.icao24, a.time_ms, a.lat, a.lon)
            .partial_cmp(&(&b.icao24, b.time_ms, b.lat, b.lon))
            .expect("no NaN")
    }
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (civil from days, inverted).
fn days_from_date(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().expect("date")).collect();
    let (y, m, d) = (p[0] - i64::from(p[1] <= 2), p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// SQLite's positions as the archive should hold them, sorted.
pub fn expected_positions(db: &Connection) -> Vec<Row> {
    let mut q = db
        .prepare(
            "SELECT printf('%06x', icao), time_ms, lat, lon, gs * (1852.0 / 3600.0),
                    alt_baro * 0.3048, receivers FROM positions",
        )
        .expect("prepare");
    let mut rows: Vec<Row> = q
        .query_map([], |r| {
            let time_ms: i64 = r.get(1)?;
            Ok(Row {
                icao24: r.get(0)?,
                time_ms,
                lat: r.get(2)?,
                lon: r.get(3)?,
                velocity: r.get(4)?,
                baroaltitude: r.get(5)?,
                receivers: r.get(6)?,
                hour: time_ms / 3_600_000,
            })
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    rows.sort_by(Row::cmp);
    rows
}

/// SQLite's receptions with their messages as the archive should hold
/// them: read_back.py's CSV lines, sorted.
pub fn expected_receptions(db: &Connection, shard: &str) -> Vec<String> {
    let mut q = db
        .prepare(
            "SELECT ?1 || ',' || r.message_id || ',' || coalesce(m.time_ms, '') || ','
                    || iif(m.icao IS NULL, '', printf('%06x', m.icao)) || ',' || coalesce(m.df, '') || ','
                    || coalesce(lower(hex(m.raw)), '') || ',' || r.receiver || ',' || r.rx_ms || ','
                    || r.timestamp || ',' || r.signal || ','
                    || strftime('%Y-%m-%d', r.rx_ms / 1000, 'unixepoch') || ','
                    || CAST(strftime('%H', r.rx_ms / 1000, 'unixepoch') AS INTEGER)
             FROM receptions r LEFT JOIN messages m ON m.id = r.message_id",
        )
        .expect("prepare");
    let mut lines: Vec<String> = q
        .query_map([shard], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    lines.sort();
    lines
}

/// The flights in a done archive part, as `read_back.py` writes them,
/// sorted.
pub fn expected_flights(db: &Connection, shard: &str) -> Vec<String> {
    let mut q = db
        .prepare(
            "SELECT ?1 || ',' || f.id || ',' || printf('%06x', f.icao) || ',' || f.callsign || ','
                    || (f.first_seen_ms / 1000) || ',' || (f.last_seen_ms / 1000) || ','
                    || f.first_seen_ms || ',' || f.last_seen_ms || ','
                    || strftime('%Y-%m-%d', f.last_seen_ms / 1000, 'unixepoch') || ','
                    || CAST(strftime('%H', f.last_seen_ms / 1000, 'unixepoch') AS INTEGER)
             FROM flights f WHERE EXISTS (SELECT 1 FROM archive_parts p
               WHERE p.tbl = 'flights' AND p.done = 1 AND p.hour = f.last_seen_ms / 3600000
                 AND f.id > p.after_rowid AND f.id <= p.upto_rowid)",
        )
        .expect("prepare");
    let mut lines: Vec<String> = q
        .query_map([shard], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    lines.sort();
    lines
}
