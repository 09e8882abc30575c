//! The writer's tally of archived tables' rows per hour (`archive_hours`):
//! what the archive reads to find hours with rows it has not written yet.

use std::collections::BTreeMap;

use rusqlite::{Transaction, params};

/// Rows inserted in one transaction, per (table, hour): (largest rowid, rows).
#[derive(Debug, Default)]
pub struct HourTally(BTreeMap<(&'static str, i64), (i64, i64)>);

impl HourTally {
    /// A row of `table` at `time_ms` was inserted as `rowid`.
    pub fn add(&mut self, table: &'static str, time_ms: i64, rowid: i64) {
        let e = self
            .0
            .entry((table, time_ms.div_euclid(3_600_000)))
            .or_default();
        e.0 = e.0.max(rowid);
        e.1 += 1;
    }

    /// Adds the tally to `archive_hours`.
    pub fn save(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut up = tx.prepare_cached(
            "INSERT INTO archive_hours (tbl, hour, max_rowid, rows) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tbl, hour) DO UPDATE SET max_rowid = max(max_rowid, ?3), rows = rows + ?4",
        )?;
        for ((table, hour), (rowid, rows)) in &self.0 {
            up.execute(params![table, hour, rowid, rows])?;
        }
        Ok(())
    }
}
