//! The writer's tally of archived tables' rows per hour (`archive_hours`):
//! what the archive reads to find hours with rows it has not written yet,
//! and where in the table they are.

use std::collections::BTreeMap;

use rusqlite::{Transaction, params};

/// Rows inserted in one transaction, per (table, hour).
#[derive(Debug, Default)]
pub struct HourTally(BTreeMap<(&'static str, i64), Rows>);

/// One hour's rows in one transaction.
#[derive(Debug, Clone, Copy)]
struct Rows {
    min_rowid: i64,
    max_rowid: i64,
    count: i64,
}

impl HourTally {
    /// A row of `table` at `time_ms` was inserted as `rowid`.
    pub fn add(&mut self, table: &'static str, time_ms: i64, rowid: i64) {
        let e = self
            .0
            .entry((table, time_ms.div_euclid(3_600_000)))
            .or_insert(Rows {
                min_rowid: rowid,
                max_rowid: rowid,
                count: 0,
            });
        e.min_rowid = e.min_rowid.min(rowid);
        e.max_rowid = e.max_rowid.max(rowid);
        e.count += 1;
    }

    /// Adds the tally to `archive_hours`. An hour tallied before its
    /// `min_rowid` was kept stays NULL there (`min` of NULL is NULL): rows
    /// of it may lie anywhere below.
    pub fn save(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut up = tx.prepare_cached(
            "INSERT INTO archive_hours (tbl, hour, min_rowid, max_rowid, rows)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tbl, hour) DO UPDATE SET min_rowid = min(min_rowid, ?3),
               max_rowid = max(max_rowid, ?4), rows = rows + ?5",
        )?;
        for ((table, hour), r) in &self.0 {
            up.execute(params![table, hour, r.min_rowid, r.max_rowid, r.count])?;
        }
        Ok(())
    }
}
