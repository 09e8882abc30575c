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

/// Which of [`Retention::steps`] deletes positions.
const POSITIONS_STEP: usize = 0;

/// The start of the oldest hour with positions the archive has not
/// written (every row before it is archived); `i64::MAX` when none.
fn unarchived_from_ms(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT min(h.hour) FROM position_hours h WHERE h.max_rowid > coalesce(
           (SELECT max(p.upto_rowid) FROM archive_parts p
            WHERE p.tbl = 'positions' AND p.hour = h.hour AND p.done = 1), 0)",
        [],
        |r| r.get::<_, Option<i64>>(0),
    )
    .map(|h| h.map_or(i64::MAX, |h| h.saturating_mul(3_600_000)))
}

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
                // archive's parts are rowid ranges).
                "DELETE FROM positions WHERE rowid IN (SELECT rowid FROM positions WHERE time_ms < ?1 \
                 AND rowid < (SELECT max(rowid) FROM positions) LIMIT ?2)",
                self.positions_ms,
                |p, n| p.positions += n,
            ),
            (
                "DELETE FROM receptions WHERE rowid IN (SELECT rowid FROM receptions WHERE rx_ms < ?1 LIMIT ?2)",
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
            if i == POSITIONS_STEP && self.archived_only {
                cutoff = cutoff.min(unarchived_from_ms(conn)?);
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
mod tests {
    use super::*;

    /// Regression: expired applied-batch records were found by scanning
    /// the whole table on the writer thread every ten seconds.
    #[test]
    fn every_expiry_step_finds_its_rows_through_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
        let r = Retention {
            positions_ms: 1,
            messages_ms: 1,
            batches_ms: 1,
            archived_only: false,
        };
        for (sql, _, _) in r.steps() {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = st
                .query_map(params![0, 1], |row| row.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{sql}: {plan:?}"
            );
        }
    }

    #[test]
    fn expired_rows_go_and_recent_rows_stay() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
        let day = 86_400_000i64;
        let now = 100 * day;
        for (t, id) in [(now - 40 * day, 1), (now - 10 * day, 2), (now - day, 3)] {
            conn.execute(
                "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (1, ?1, 0, 0, 1)",
                params![t],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO messages (id, time_ms, df, raw, receivers) VALUES (?2, ?1, 17, x'00', 1)",
                params![t, id],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO receptions (message_id, receiver, rx_ms, timestamp, signal, seq) VALUES (?2, 'r', ?1, 0, 0, ?2)",
                params![t, id],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO applied_batches (receiver, seq, applied_ms, frames) VALUES ('r', ?2, ?1, 1)",
                params![t, id],
            )
            .unwrap();
        }
        let r = Retention {
            positions_ms: 30 * day,
            messages_ms: 7 * day,
            batches_ms: 8 * day,
            archived_only: false,
        };
        let p = r.prune(&conn, now, Duration::from_secs(5)).unwrap();
        assert_eq!(
            p,
            Pruned {
                positions: 1,
                messages: 2,
                receptions: 2,
                batches: 2,
                minutes: 0,
                rolled_up: 0,
            }
        );
        let count = |t: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            (
                count("positions"),
                count("messages"),
                count("receptions"),
                count("applied_batches")
            ),
            (2, 1, 1, 1)
        );
    }

    #[test]
    fn with_the_archive_on_positions_go_only_once_their_hour_is_archived() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
        let day = 86_400_000i64;
        let now = 100 * day;
        for t in [now - 40 * day, now - 35 * day, now - day] {
            conn.execute(
                "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (1, ?1, 0, 0, 1)",
                params![t],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO position_hours (hour, max_rowid, rows) VALUES (?1, ?2, 1)",
                params![t / 3_600_000, conn.last_insert_rowid()],
            )
            .unwrap();
        }
        let archived = |hour: i64, upto: i64| {
            conn.execute(
                "INSERT INTO archive_parts (tbl, hour, after_rowid, upto_rowid, rows, key, done)
                 VALUES ('positions', ?1, 0, ?2, 1, 'k', 1)",
                params![hour, upto],
            )
            .unwrap();
        };
        archived((now - 40 * day) / 3_600_000, 1);
        let r = Retention {
            positions_ms: 30 * day,
            messages_ms: 7 * day,
            batches_ms: 8 * day,
            archived_only: true,
        };
        let left = || -> Vec<i64> {
            let mut q = conn
                .prepare("SELECT rowid FROM positions ORDER BY rowid")
                .unwrap();
            q.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(
            r.prune(&conn, now, Duration::from_secs(5))
                .unwrap()
                .positions,
            1
        );
        assert_eq!(
            left(),
            [2, 3],
            "the second hour is expired but not archived"
        );
        archived((now - 35 * day) / 3_600_000, 2);
        assert_eq!(
            r.prune(&conn, now, Duration::from_secs(5))
                .unwrap()
                .positions,
            1
        );
        assert_eq!(left(), [3]);
    }

    #[test]
    fn old_minutes_roll_up_into_hours_and_recent_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
        let day_min = 1440i64;
        let now_min = 100 * day_min;
        // 90 minutes 10 days ago (1.5 hours), and 10 minutes today.
        let old_start = now_min - 10 * day_min;
        for m in (old_start..old_start + 90).chain(now_min - 10..now_min) {
            conn.execute(
                "INSERT INTO receiver_minutes (receiver, minute, frames, accepted, positions, rejected, aircraft, max_range_m, sig_2)
                 VALUES ('r', ?1, 60, 50, 5, 10, ?2, ?3, 60)",
                params![m, m % 7, (m % 100) as f64],
            )
            .unwrap();
        }
        let r = Retention {
            positions_ms: 30 * 86_400_000,
            messages_ms: 7 * 86_400_000,
            batches_ms: 8 * 86_400_000,
            archived_only: false,
        };
        let p = r
            .prune(&conn, now_min * 60_000, Duration::from_secs(5))
            .unwrap();
        assert_eq!(p.rolled_up, 90);
        let rows: Vec<(i64, i64, i64, i64, i64, f64)> = conn
            .prepare("SELECT minute, span_minutes, frames, rejected, aircraft, max_range_m FROM receiver_minutes WHERE minute < ?1 ORDER BY minute")
            .unwrap()
            .query_map(params![now_min - 10], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let total: i64 = rows.iter().map(|r| r.2).sum();
        assert_eq!(total, 90 * 60, "no frame lost in the roll-up");
        assert!(rows.iter().all(|r| r.1 == 60 && r.0 % 60 == 0));
        assert!(rows.iter().all(|r| r.4 <= 6));
        let recent: i64 = conn
            .query_row(
                "SELECT count(*) FROM receiver_minutes WHERE span_minutes = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(recent, 10, "recent minutes stay minutes");
        // A second pass changes nothing.
        assert_eq!(
            r.prune(&conn, now_min * 60_000, Duration::from_secs(5))
                .unwrap()
                .rolled_up,
            0
        );
    }
}
