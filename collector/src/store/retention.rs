//! Retention: raw messages and receptions, positions and the record of
//! applied batches expire after configurable ages, so the database stays
//! bounded under continuous load. Deletion runs on the writer thread in
//! chunks with a time budget, so it never stalls ingest for long.

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

/// How long rows are kept, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Positions.
    pub positions_ms: i64,
    /// Messages and receptions.
    pub messages_ms: i64,
    /// Applied batch records (must outlive the agents' spool age, or a
    /// batch re-sent after a long outage would be applied twice).
    pub batches_ms: i64,
    /// Positions go only once their hour is in the Parquet archive.
    pub archived_only: bool,
}

const CHUNK: i64 = 20_000;

/// The start of the oldest hour of the archived table `tbl` with rows
/// the archive has not written (every row before it is archived);
/// `i64::MAX` when none.
fn unarchived_from_ms(conn: &Connection, tbl: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT min(h.hour) FROM archive_hours h WHERE h.tbl = ?1 AND h.max_rowid > coalesce(
           (SELECT max(p.upto_rowid) FROM archive_parts p
            WHERE p.tbl = h.tbl AND p.hour = h.hour AND p.done = 1), 0)",
    )?
    .query_row([tbl], |r| r.get::<_, Option<i64>>(0))
    .map(|h| h.map_or(i64::MAX, |h| h.saturating_mul(3_600_000)))
}

/// With the archive on, the archived table whose progress holds back each
/// of [`Retention::steps`]: positions wait for their own hours, receptions
/// for theirs, and messages for their receptions (a reception is written
/// with its message's columns).
const WAITS_FOR: [Option<&str>; 5] = [
    Some("positions"),
    Some("receptions"),
    Some("receptions"),
    None,
    None,
];

/// Adds a chunk's deleted count to the right total.
type Tally = fn(&mut Pruned, usize);

/// Rows deleted by one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Positions deleted.
    pub positions: usize,
    /// Messages deleted.
    pub messages: usize,
    /// Receptions deleted.
    pub receptions: usize,
    /// Applied-batch records deleted.
    pub batches: usize,
    /// Receiver statistics rows deleted (hourly rows are kept a year).
    pub minutes: usize,
    /// Per-minute receiver rows rolled up into hourly ones.
    pub rolled_up: usize,
}

/// Hourly receiver statistics are kept this long, ms.
const STATS_KEEP_MS: i64 = 365 * 86_400_000;

/// Hours rolled up per transaction.
const ROLLUP_HOURS: i64 = 24;

impl Retention {
    /// Each kind of expiring row: the statement deleting a chunk of it
    /// (parameters: cutoff, chunk size), how long it is kept, and where its
    /// count goes. Each finds its rows through an index (tested).
    fn steps(&self) -> [(&'static str, i64, Tally); 5] {
        [
            (
                // The newest row stays, so rowids never go back (the
                // archive's parts are rowid ranges); receptions likewise.
                "DELETE FROM positions WHERE rowid IN (SELECT rowid FROM positions WHERE time_ms < ?1 \
                 AND rowid < (SELECT max(rowid) FROM positions) LIMIT ?2)",
                self.positions_ms,
                |p, n| p.positions += n,
            ),
            (
                "DELETE FROM receptions WHERE rowid IN (SELECT rowid FROM receptions WHERE rx_ms < ?1 \
                 AND rowid < (SELECT max(rowid) FROM receptions) LIMIT ?2)",
                self.messages_ms,
                |p, n| p.receptions += n,
            ),
            (
                "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE time_ms < ?1 LIMIT ?2)",
                self.messages_ms,
                |p, n| p.messages += n,
            ),
            (
                "DELETE FROM applied_batches WHERE (receiver, seq) IN (SELECT receiver, seq FROM applied_batches WHERE applied_ms < ?1 LIMIT ?2)",
                self.batches_ms,
                |p, n| p.batches += n,
            ),
            (
                "DELETE FROM receiver_minutes WHERE (receiver, minute) IN (SELECT receiver, minute FROM receiver_minutes WHERE minute < ?1 / 60000 LIMIT ?2)",
                STATS_KEEP_MS.max(self.positions_ms),
                |p, n| p.minutes += n,
            ),
        ]
    }

    /// Deletes expired rows as of `now_ms`, chunk by chunk, until nothing
    /// is left or `budget` is spent. Each chunk is its own transaction.
    pub fn prune(
        &self,
        conn: &Connection,
        now_ms: i64,
        budget: Duration,
    ) -> rusqlite::Result<Pruned> {
        let started = Instant::now();
        let mut out = Pruned::default();
        for (i, (sql, keep_ms, add)) in self.steps().into_iter().enumerate() {
            let mut cutoff = now_ms.saturating_sub(keep_ms);
            if let Some(tbl) = WAITS_FOR[i].filter(|_| self.archived_only) {
                cutoff = cutoff.min(unarchived_from_ms(conn, tbl)?);
            }
            loop {
                let n = conn.prepare_cached(sql)?.execute(params![cutoff, CHUNK])?;
                add(&mut out, n);
                if (n as i64) < CHUNK || started.elapsed() > budget {
                    break;
                }
            }
        }
        // Downsampling: minutes older than the raw messages become hours.
        let cutoff_hour = now_ms.saturating_sub(self.messages_ms) / 3_600_000;
        while started.elapsed() <= budget {
            let n = roll_up(conn, cutoff_hour * 60)?;
            out.rolled_up += n;
            if n == 0 {
                break;
            }
        }
        Ok(out)
    }
}

/// Rolls the oldest day of per-minute receiver rows before `cutoff_minute`
/// (an hour boundary) into one row per receiver and hour (sums of the
/// counts; for distinct aircraft and range, the largest minute's). One
/// transaction; returns the minute rows replaced.
fn roll_up(conn: &Connection, cutoff_minute: i64) -> rusqlite::Result<usize> {
    let oldest: Option<i64> = conn.query_row(
        "SELECT min(minute) FROM receiver_minutes WHERE span_minutes = 1 AND minute < ?1",
        params![cutoff_minute],
        |r| r.get(0),
    )?;
    let Some(oldest) = oldest else {
        return Ok(0);
    };
    let lo = oldest / 60 * 60;
    let hi = cutoff_minute.min(lo + ROLLUP_HOURS * 60);
    conn.execute_batch(
        "BEGIN;
         CREATE TEMP TABLE IF NOT EXISTS rollup AS SELECT * FROM receiver_minutes WHERE 0;
         DELETE FROM temp.rollup;",
    )?;
    let result = (|| {
        conn.execute(
            "INSERT INTO temp.rollup (receiver, minute, frames, accepted, positions, rejected, aircraft,
               max_range_m, sig_0, sig_1, sig_2, sig_3, sig_4, sig_5, span_minutes)
             SELECT receiver, minute / 60 * 60, sum(frames), sum(accepted), sum(positions), sum(rejected),
               max(aircraft), max(max_range_m), sum(sig_0), sum(sig_1), sum(sig_2), sum(sig_3),
               sum(sig_4), sum(sig_5), 60
             FROM receiver_minutes WHERE minute >= ?1 AND minute < ?2 GROUP BY receiver, minute / 60",
            params![lo, hi],
        )?;
        let replaced = conn.execute(
            "DELETE FROM receiver_minutes WHERE minute >= ?1 AND minute < ?2",
            params![lo, hi],
        )?;
        conn.execute("INSERT INTO receiver_minutes SELECT * FROM temp.rollup", [])?;
        Ok(replaced)
    })();
    match result {
        Ok(n) => {
            conn.execute_batch("COMMIT")?;
            Ok(n)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
