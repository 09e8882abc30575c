//! Which files the archive writes: a part is the rows of one hour of a
//! table with rowid in `(after, upto]`. Parts are planned from the
//! writer's per-hour tally, recorded in `archive_parts` before their
//! upload and marked done after, so a crash or a failed upload redoes the
//! same part under the same key, and a file is never written with rows of
//! another.

use rusqlite::{Connection, TransactionBehavior, params};

use crate::backup::keys::Stamp;

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The hour, Unix time / 3600.
    pub hour: i64,
    /// Rows with rowid above this ...
    pub after: i64,
    /// ... up to and including this.
    pub upto: i64,
    /// Its object key.
    pub key: String,
}

impl Part {
    /// The hour's start, Unix ms.
    pub fn start_ms(&self) -> i64 {
        self.hour * 3_600_000
    }
}

/// `<prefix>/positions/date=YYYY-MM-DD/hour=HH/<shard>-<first>-<last>.parquet`:
/// Hive partitions that DuckDB, Trino and pyarrow read as columns, and a
/// name fixed by the part's rows, so writing it again replaces it.
pub fn key(prefix: &str, shard: &str, hour: i64, after: i64, upto: i64) -> String {
    let day = Stamp {
        unix_ms: hour * 3_600_000,
    }
    .date_string();
    let hh = hour.rem_euclid(24);
    format!(
        "{prefix}/positions/date={day}/hour={hh:02}/{shard}-{}-{upto}.parquet",
        after + 1
    )
}

/// Parts recorded but not yet uploaded (a crash or an S3 error).
pub fn pending(conn: &Connection) -> rusqlite::Result<Vec<Part>> {
    let mut q = conn.prepare_cached(
        "SELECT hour, after_rowid, upto_rowid, key FROM archive_parts
         WHERE tbl = 'positions' AND done = 0 ORDER BY hour, after_rowid",
    )?;
    q.query_map([], |r| {
        Ok(Part {
            hour: r.get(0)?,
            after: r.get(1)?,
            upto: r.get(2)?,
            key: r.get(3)?,
        })
    })?
    .collect()
}

/// Records a new part for every hour before `before_hour` that has rows
/// past its last part, and returns them.
pub fn plan(
    conn: &mut Connection,
    before_hour: i64,
    prefix: &str,
    shard: &str,
) -> rusqlite::Result<Vec<Part>> {
    // Immediate: a read transaction that turns into a write fails at once
    // (without waiting) if the writer committed in between.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut parts = Vec::new();
    {
        let mut q = tx.prepare_cached(
            "SELECT hour, after, max_rowid FROM (
               SELECT h.hour, h.max_rowid, coalesce((SELECT max(p.upto_rowid) FROM archive_parts p
                 WHERE p.tbl = 'positions' AND p.hour = h.hour), 0) AS after
               FROM position_hours h WHERE h.hour < ?1)
             WHERE max_rowid > after ORDER BY hour",
        )?;
        let found = q.query_map([before_hour], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in found {
            let (hour, after, upto) = row?;
            parts.push(Part {
                hour,
                after,
                upto,
                key: key(prefix, shard, hour, after, upto),
            });
        }
        let mut add = tx.prepare_cached(
            "INSERT INTO archive_parts (tbl, hour, after_rowid, upto_rowid, rows, key)
             VALUES ('positions', ?1, ?2, ?3, 0, ?4)",
        )?;
        for p in &parts {
            add.execute(params![p.hour, p.after, p.upto, p.key])?;
        }
    }
    tx.commit()?;
    Ok(parts)
}

/// Marks `part` uploaded with `rows` rows in `bytes` bytes.
pub fn done(conn: &Connection, part: &Part, rows: i64, bytes: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE archive_parts SET done = 1, rows = ?3, bytes = ?4
         WHERE tbl = 'positions' AND hour = ?1 AND after_rowid = ?2",
    )?
    .execute(params![part.hour, part.after, rows, bytes])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hive_partitions_named_by_their_rows() {
        // 2026-12-03T07:00Z is hour 498,967.
        let hour = 1_796_281_200_000 / 3_600_000;
        assert_eq!(
            key("archive", "eu1", hour, 0, 5000),
            "archive/positions/date=2026-12-03/hour=07/eu1-1-5000.parquet"
        );
    }
}
