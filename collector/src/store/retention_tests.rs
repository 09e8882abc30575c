//! Retention against a real database: which rows go, which stay, and
//! that every delete finds its rows through an index.

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
            "INSERT INTO archive_hours (tbl, hour, max_rowid, rows) VALUES ('positions', ?1, ?2, 1)",
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
