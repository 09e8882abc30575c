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
}

const CHUNK: i64 = 20_000;

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
    /// Per-minute receiver counts deleted (kept as long as positions).
    pub minutes: usize,
}

impl Retention {
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
        let steps: [(&str, i64, Tally); 5] = [
            (
                "DELETE FROM positions WHERE rowid IN (SELECT rowid FROM positions WHERE time_ms < ?1 LIMIT ?2)",
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
                self.positions_ms,
                |p, n| p.minutes += n,
            ),
        ];
        for (sql, keep_ms, add) in steps {
            let cutoff = now_ms.saturating_sub(keep_ms);
            loop {
                let n = conn.prepare_cached(sql)?.execute(params![cutoff, CHUNK])?;
                add(&mut out, n);
                if (n as i64) < CHUNK || started.elapsed() > budget {
                    break;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
