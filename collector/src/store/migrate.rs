//! Opening the database and bringing its schema up to date.
//!
//! Migrations are numbered SQL files compiled into the binary; the schema
//! version lives in `PRAGMA user_version`. Each migration runs in its own
//! transaction, so a failure leaves the previous version intact.

use std::path::Path;

use anyhow::Context;
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_receiver_stats.sql"),
    include_str!("migrations/0003_receiver_minute_detail.sql"),
    include_str!("migrations/0004_receiver_minutes_span.sql"),
    include_str!("migrations/0005_applied_batches_time.sql"),
    include_str!("migrations/0006_archive_parts.sql"),
    include_str!("migrations/0007_flights_by_end.sql"),
    include_str!("migrations/0008_position_source.sql"),
    include_str!("migrations/0009_receiver_alt.sql"),
    include_str!("migrations/0010_archive_hours_first_rowid.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating if needed) the database at `path` with WAL and the
/// pragmas every connection uses, and migrates it.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let mut conn =
        Connection::open(path).with_context(|| format!("opening database {}", path.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The query planner stability guarantee: a statement's plan never
    // depends on its bound values. Without it SQLite expires a statement
    // such as the writer's flight lookup (`icao = ?1 … ORDER BY … LIMIT 1`)
    // each time a value is bound, so every cached execution parsed and
    // planned it again (25–47 µs instead of 5 µs). Our plans never used the
    // values: no table has sqlite_stat4 samples.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        anyhow::bail!(
            "database {} has schema version {version}, newer than this build ({SCHEMA_VERSION})",
            path.display()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("migration {} on {}", i + 1, path.display()))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_and_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        drop(conn);
        let conn = open(&path).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(n >= 7);
    }

    /// Regression: cached statements that look an aircraft's flight up
    /// (the writer's, the archive's) were parsed and planned again on
    /// every execution.
    #[test]
    fn cached_statements_are_not_prepared_again_when_values_are_bound() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("db.sqlite")).unwrap();
        for sql in [
            "SELECT id FROM flights WHERE icao = ?1 ORDER BY last_seen_ms DESC LIMIT 1",
            "SELECT callsign FROM flights WHERE icao = ?1 AND last_seen_ms >= ?2
             AND first_seen_ms <= ?2 ORDER BY last_seen_ms LIMIT 1",
        ] {
            for value in 0..3 {
                let mut st = conn.prepare_cached(sql).unwrap();
                let values = vec![value; st.parameter_count()];
                let mut rows = st.query(rusqlite::params_from_iter(values)).unwrap();
                while rows.next().unwrap().is_some() {}
                drop(rows);
                let again = st.get_status(rusqlite::StatementStatus::RePrepare);
                assert_eq!(again, 0, "{sql} prepared again");
            }
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let conn = open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = open(&path).unwrap_err().to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }

    /// Migration 0008 on a database written before it: its positions
    /// (all decoded from extended squitters) read back as `adsb`, and
    /// only the four known sources can be stored.
    #[test]
    fn positions_from_before_the_source_column_are_adsb() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        for (i, sql) in MIGRATIONS.iter().take(6).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        let tx = conn.transaction().unwrap();
        for t in [1_000, 2_000] {
            tx.execute(
                "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (1, ?1, 52.0, 4.0, 1)",
                [t],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        drop(conn);
        let conn = open(&path).unwrap();
        let sources: Vec<String> = conn
            .prepare("SELECT source FROM positions ORDER BY time_ms")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sources, ["adsb", "adsb"]);
        let bad = conn.execute(
            "INSERT INTO positions (icao, time_ms, lat, lon, receivers, source) VALUES (1, 3, 0, 0, 1, 'mode_s')",
            [],
        );
        assert!(bad.is_err(), "an unknown source is refused");
    }
}
