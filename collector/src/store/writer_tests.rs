//! Tests of `writer`.

use super::*;

fn commit_one(conn: &mut Connection, b: WriteBatch) -> bool {
    let (tx, _rx) = oneshot::channel();
    commit(conn, &[Job::Batch(Arc::new(b), tx)], 0).expect("commit")[0]
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
