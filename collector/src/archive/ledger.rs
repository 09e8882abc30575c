//! Which files the archive writes: a part is the rows of one hour of a
//! table with rowid in `(after, upto]`. Parts are planned from the
//! writer's per-hour tally, recorded in `archive_parts` before their
//! upload and marked done after, so a crash or a failed upload redoes the
//! same part under the same key, and a file is never written with rows of
//! another.

use rusqlite::{Connection, TransactionBehavior, params};

use super::spool::Sealed;
use crate::backup::keys::Stamp;

/// An archived table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Positions ([`super::positions`]).
    Positions,
    /// Receptions with their messages ([`super::receptions`]).
    Receptions,
    /// Flights, by the hour they ended ([`super::flights`]).
    Flights,
}

impl Table {
    /// Every archived table.
    pub const ALL: [Table; 3] = [Table::Positions, Table::Receptions, Table::Flights];

    /// Its name in SQLite, in the ledger and in the archive's keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Positions => "positions",
            Self::Receptions => "receptions",
            Self::Flights => "flights",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its table.
    pub table: Table,
    /// The hour, Unix time / 3600.
    pub hour: i64,
    /// Rows with rowid above this ...
    pub after: i64,
    /// ... up to and including this.
    pub upto: i64,
    /// Its object key.
    pub key: String,
    /// Its file, already written by the spool (else it is read back from
    /// SQLite).
    pub spooled: Option<Sealed>,
}

impl Part {
    /// The hour's start, Unix ms.
    pub fn start_ms(&self) -> i64 {
        self.hour * 3_600_000
    }
}

/// `<prefix>/<table>/date=YYYY-MM-DD/hour=HH/<shard>-<first>-<last>.parquet`:
/// Hive partitions that DuckDB, Trino and pyarrow read as columns, and a
/// name fixed by the part's rows, so writing it again replaces it.
pub fn key(prefix: &str, table: Table, shard: &str, hour: i64, after: i64, upto: i64) -> String {
    let day = Stamp {
        unix_ms: hour * 3_600_000,
    }
    .date_string();
    let hh = hour.rem_euclid(24);
    format!(
        "{prefix}/{}/date={day}/hour={hh:02}/{shard}-{}-{upto}.parquet",
        table.name(),
        after + 1
    )
}

/// Parts recorded but not yet uploaded (a crash or an S3 error).
pub fn pending(conn: &Connection) -> rusqlite::Result<Vec<Part>> {
    let mut q = conn.prepare_cached(
        "SELECT tbl, hour, after_rowid, upto_rowid, key FROM archive_parts
         WHERE done = 0 ORDER BY hour, tbl, after_rowid",
    )?;
    let rows = q.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Part {
                table: Table::Positions,
                hour: r.get(1)?,
                after: r.get(2)?,
                upto: r.get(3)?,
                key: r.get(4)?,
                spooled: None,
            },
        ))
    })?;
    let mut parts = Vec::new();
    for row in rows {
        let (name, part) = row?;
        // A table this build does not archive (a newer build's) waits.
        if let Some(table) = Table::from_name(&name) {
            parts.push(Part { table, ..part });
        }
    }
    Ok(parts)
}

/// Where [`plan`] stops: hours before these are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// For positions and receptions (rows only ever added).
    pub rows_before_hour: i64,
    /// For flights: an hour of flights is due once the flight gap has
    /// passed after its end, when none of its flights can grow any more.
    pub flights_before_hour: i64,
}

impl Due {
    /// Every hour, those not yet complete included.
    pub const ALL: Due = Due {
        rows_before_hour: i64::MAX,
        flights_before_hour: i64::MAX,
    };
}

/// Records a new part for every table and due hour that has rows past its
/// last part, and returns them. Receptions the spool has `sealed` are a
/// part of their own that comes with its file.
pub fn plan(
    conn: &mut Connection,
    due: Due,
    prefix: &str,
    shard: &str,
    sealed: &[Sealed],
) -> rusqlite::Result<Vec<Part>> {
    // Immediate: a read transaction that turns into a write fails at once
    // (without waiting) if the writer committed in between.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut parts = Vec::new();
    for table in Table::ALL {
        for (hour, after, upto) in new_rows(&tx, table, due)? {
            let spooled = sealed.iter().find(|s| s.hour == hour);
            let ranges = match table {
                Table::Receptions => split(after, upto, spooled),
                _ => vec![(after, upto, None)],
            };
            for (after, upto, spooled) in ranges {
                let key = key(prefix, table, shard, hour, after, upto);
                parts.push(Part {
                    table,
                    hour,
                    after,
                    upto,
                    key,
                    spooled,
                });
            }
        }
    }
    {
        let mut add = tx.prepare_cached(
            "INSERT INTO archive_parts (tbl, hour, after_rowid, upto_rowid, rows, key)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )?;
        for p in &parts {
            add.execute(params![p.table.name(), p.hour, p.after, p.upto, p.key])?;
        }
    }
    tx.commit()?;
    Ok(parts)
}

/// The new rows `(after, upto]` of one hour as parts: what `spooled` holds
/// (up to `upto`: later rows of the hour were committed after the spool
/// sealed it) and the rest, before and after it, to read back. A segment
/// whose first row is not new holds a row already archived (a part
/// planned without the spool, by `archive` run beside the collector, or a
/// row committed while the spool was being sealed): it is not used.
pub fn split(after: i64, upto: i64, spooled: Option<&Sealed>) -> Vec<(i64, i64, Option<Sealed>)> {
    let Some(s) = spooled.filter(|s| s.first > after && s.first <= upto) else {
        return vec![(after, upto, None)];
    };
    let end = s.upto.min(upto);
    let mut parts = Vec::new();
    if s.after > after {
        parts.push((after, s.after, None));
    }
    parts.push((s.after.max(after), end, Some(s.clone())));
    if end < upto {
        parts.push((end, upto, None));
    }
    parts
}

/// (hour, after, upto) of every due hour of `table` with rows past its last
/// part: what [`plan`] records parts of (before splitting off what the
/// spool holds). Only reads.
pub fn new_rows(
    conn: &Connection,
    table: Table,
    due: Due,
) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    match table {
        Table::Flights => flight_hours(conn, due.flights_before_hour),
        _ => row_hours(conn, table, due.rows_before_hour),
    }
}

/// (hour, after, upto) of every hour of `table` before `before_hour` with
/// rows past its last part, from the writer's tally. An hour's first part
/// starts just before its smallest rowid, so reading it does not walk the
/// rows of every earlier hour still kept.
fn row_hours(
    tx: &Connection,
    table: Table,
    before_hour: i64,
) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    let mut q = tx.prepare_cached(
        "SELECT hour, after, max_rowid FROM (
           SELECT h.hour, h.max_rowid, coalesce((SELECT max(p.upto_rowid) FROM archive_parts p
             WHERE p.tbl = h.tbl AND p.hour = h.hour), h.min_rowid - 1, 0) AS after
           FROM archive_hours h WHERE h.tbl = ?1 AND h.hour < ?2)
         WHERE max_rowid > after ORDER BY hour",
    )?;
    q.query_map(params![table.name(), before_hour], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// (hour, after, upto) of every hour before `before_hour` with flights
/// (by the hour of their end) past its last part. A flight in a part is
/// closed (the writer starts a new one rather than extend it), so only
/// flights newer than every part, or ending after the last archived hour,
/// can be new to the archive.
fn flight_hours(tx: &Connection, before_hour: i64) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    let (newest, last_hour): (i64, i64) = tx.query_row(
        "SELECT coalesce(max(upto_rowid), 0), coalesce(max(hour), -1) FROM archive_parts WHERE tbl = 'flights'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut q = tx.prepare_cached(
        "SELECT hour, after, upto FROM (
           SELECT f.last_seen_ms / 3600000 AS hour, max(f.id) AS upto,
             coalesce((SELECT max(p.upto_rowid) FROM archive_parts p
               WHERE p.tbl = 'flights' AND p.hour = f.last_seen_ms / 3600000), 0) AS after
           FROM flights f
           WHERE (f.id > ?1 OR f.last_seen_ms >= ?2) AND f.last_seen_ms < ?3
           GROUP BY f.last_seen_ms / 3600000)
         WHERE upto > after ORDER BY hour",
    )?;
    let before_ms = before_hour.saturating_mul(3_600_000);
    q.query_map(
        params![newest, (last_hour + 1) * 3_600_000, before_ms],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?
    .collect()
}

/// Marks `part` uploaded with `rows` rows in `bytes` bytes.
pub fn done(conn: &Connection, part: &Part, rows: i64, bytes: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE archive_parts SET done = 1, rows = ?4, bytes = ?5
         WHERE tbl = ?1 AND hour = ?2 AND after_rowid = ?3",
    )?
    .execute(params![
        part.table.name(),
        part.hour,
        part.after,
        rows,
        bytes
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(parts: Vec<(i64, i64, Option<Sealed>)>) -> Vec<(i64, i64, bool)> {
        parts
            .into_iter()
            .map(|(a, u, s)| (a, u, s.is_some()))
            .collect()
    }

    #[test]
    fn a_spooled_segment_is_a_part_between_parts_read_back() {
        let sealed = |after, first, upto| Sealed {
            hour: 1,
            after,
            upto,
            first,
            path: "f.parquet".into(),
            rows: 1,
        };
        // Rows committed after the seal are in the plan but not the file.
        assert_eq!(
            ranges(split(10, 20, Some(&sealed(10, 11, 30)))),
            [(10, 20, true)]
        );
        // Complete since before the last part (the hour's earlier segment).
        assert_eq!(
            ranges(split(10, 20, Some(&sealed(4, 12, 30)))),
            [(10, 20, true)]
        );
        // The spool started after the hour's first rows, and missed rows
        // at its end.
        assert_eq!(
            ranges(split(10, 40, Some(&sealed(15, 16, 30)))),
            [(10, 15, false), (15, 30, true), (30, 40, false)]
        );
        // It holds a row a part already has.
        assert_eq!(
            ranges(split(10, 40, Some(&sealed(5, 8, 30)))),
            [(10, 40, false)]
        );
        assert_eq!(ranges(split(10, 40, None)), [(10, 40, false)]);
    }

    #[test]
    fn keys_are_hive_partitions_named_by_their_rows() {
        // 2026-12-03T07:00Z is hour 498,967.
        let hour = 1_796_281_200_000 / 3_600_000;
        assert_eq!(
            key("archive", Table::Positions, "eu1", hour, 0, 5000),
            "archive/positions/date=2026-12-03/hour=07/eu1-1-5000.parquet"
        );
    }
}
