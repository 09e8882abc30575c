//! Tests of `writer`.

use super::*;

fn commit_one(conn: &mut Connection, b: WriteBatch) -> bool {
    let (tx, _rx) = oneshot::channel();
    commit(conn, &[Job::Batch(Arc::new(b), tx)], 0).expect("commit")[0].fresh
}

/// Regression: a re-send the processor had already seen (an empty
/// placeholder) claimed the batch's (receiver, seq) when its commit
/// succeeded before the first copy's; the first copy, retried after a
/// failed commit, was then taken for a duplicate and its frames lost.
#[test]
fn a_repeat_claims_nothing_so_the_first_copy_still_applies() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = super::super::open(&dir.path().join("db.sqlite")).expect("open");
    let first = WriteBatch {
        receiver: "rx-a".into(),
        seq: 7,
        time_ms: 1_000,
        frames: 1,
        receptions: vec![super::super::rows::ReceptionRow {
            message_id: 1,
            rx_ms: 1_000,
            timestamp: 0,
            signal: 0,
        }],
        ..WriteBatch::default()
    };
    let repeat = WriteBatch {
        receptions: Vec::new(),
        repeat: true,
        ..first.clone()
    };
    assert!(
        !commit_one(&mut conn, repeat.clone()),
        "a repeat is a duplicate"
    );
    assert!(
        commit_one(&mut conn, first.clone()),
        "the first copy applies"
    );
    assert!(!commit_one(&mut conn, first), "and only once");
    let receptions: i64 = conn
        .query_row("SELECT count(*) FROM receptions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(receptions, 1);
}

/// Commits one flight message of aircraft 1 at `t`, with a 60 s gap.
fn commit_flight(conn: &mut Connection, t: i64) {
    let b = WriteBatch {
        receiver: "rx-a".into(),
        seq: t,
        time_ms: t,
        flights: vec![super::super::rows::FlightRow {
            icao: 1,
            callsign: "KLM1".into(),
            time_ms: t,
        }],
        ..WriteBatch::default()
    };
    let (tx, _rx) = oneshot::channel();
    assert!(commit(conn, &[Job::Batch(Arc::new(b), tx)], 60_000).expect("commit")[0].fresh);
}

fn flights(conn: &Connection) -> Vec<(i64, i64, i64)> {
    let mut q = conn
        .prepare("SELECT id, first_seen_ms, last_seen_ms FROM flights ORDER BY id")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// A flight in an archive part is closed: a later message starts a new
/// flight instead of moving the archived one to a later hour (where the
/// archive would store it a second time).
#[test]
fn a_flight_in_the_archive_is_not_extended() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut conn = super::super::open(&dir.path().join("db.sqlite")).expect("open");
    for t in [1_000, 2_000, 3_000] {
        commit_flight(&mut conn, t);
    }
    assert_eq!(
        flights(&conn),
        vec![(1, 1_000, 3_000)],
        "within the gap: one flight"
    );
    conn.execute(
        "INSERT INTO archive_parts (tbl, hour, after_rowid, upto_rowid, rows, key)
         VALUES ('flights', 0, 0, 1, 1, 'k')",
        [],
    )
    .unwrap();
    commit_flight(&mut conn, 4_000);
    commit_flight(&mut conn, 5_000);
    assert_eq!(
        flights(&conn),
        vec![(1, 1_000, 3_000), (2, 4_000, 5_000)],
        "archived: a new flight, which then grows"
    );
}
