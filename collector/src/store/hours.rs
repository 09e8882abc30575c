//! The writer's tally of positions per hour (`position_hours`): what the
//! archive reads to find hours with rows it has not written yet.

use std::collections::BTreeMap;

use rusqlite::{Transaction, params};

/// Positions inserted in one transaction, per hour: (largest rowid, rows).
#[derive(Debug, Default)]
pub struct HourTally(BTreeMap<i64, (i64, i64)>);

impl HourTally {
    /// A position at `time_ms` was inserted as `rowid`.
    pub fn add(&mut self, time_ms: i64, rowid: i64) {
        let e = self.0.entry(time_ms.div_euclid(3_600_000)).or_default();
        e.0 = e.0.max(rowid);
        e.1 += 1;
    }

    /// Adds the tally to `position_hours`.
    pub fn save(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut up = tx.prepare_cached(
            "INSERT INTO position_hours (hour, max_rowid, rows) VALUES (?1, ?2, ?3)
             ON CONFLICT (hour) DO UPDATE SET max_rowid = max(max_rowid, ?2), rows = rows + ?3",
        )?;
        for (hour, (rowid, rows)) in &self.0 {
            up.execute(params![hour, rowid, rows])?;
        }
        Ok(())
    }
}
