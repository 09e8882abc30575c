//! The spool against the real writer: its files hold exactly what reading
//! the same parts back from SQLite gives, and a batch it missed leaves
//! the rows around it to be read back, each row archived once.

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use arrow_array::RecordBatch;
use rusqlite::Connection;

use super::*;
use crate::archive::ledger::{self, Due, Part, Table};
use crate::archive::receptions;
use crate::archive::tests::read;
use crate::store::{MessageRow, ReceptionRow, Retention, WriteBatch, Writer, WriterHandle};

/// 2026-12-07T10:00Z.
const HOUR: i64 = 1_796_637_600_000 / HOUR_MS;

/// Each part's hour, and whether the spool wrote it.
fn sources(parts: &[Part]) -> Vec<(i64, bool)> {
    parts
        .iter()
        .map(|p| (p.hour, p.spooled.is_some()))
        .collect()
}

/// One receiver's batch: messages `new` first heard here, and receptions
/// of `heard` (new or heard before by another receiver) at `rx_ms`.
fn batch(receiver: &str, seq: i64, new: &[i64], heard: &[i64], rx_ms: i64) -> WriteBatch {
    let message = |id: i64| MessageRow {
        id,
        time_ms: rx_ms,
        icao: (id % 3 != 0).then_some(0x4CA000 + id),
        df: if id % 2 == 0 { 17 } else { 11 },
        raw: vec![id as u8; if id % 2 == 0 { 14 } else { 7 }],
    };
    WriteBatch {
        receiver: receiver.into(),
        seq,
        time_ms: rx_ms,
        frames: heard.len() as i64,
        messages: new.iter().map(|&id| message(id)).collect(),
        receptions: heard
            .iter()
            .map(|&id| ReceptionRow {
                message_id: id,
                rx_ms,
                timestamp: id * 12_000,
                signal: 100 + id % 50,
            })
            .collect(),
        ..WriteBatch::default()
    }
}

struct Setup {
    dir: tempfile::TempDir,
    writer: Writer,
    handle: WriterHandle,
    committed: Receiver<Committed>,
    spool: Spool,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        let (feed, committed) = CommitFeed::channel(1024);
        let keep = Retention {
            positions_ms: i64::MAX,
            messages_ms: i64::MAX,
            batches_ms: i64::MAX,
            archived_only: false,
        };
        let (writer, handle) = Writer::start(db.clone(), 60_000, keep, 0, Some(feed)).unwrap();
        let spool = Spool::new(dir.path().join("spool"), db, "eu1".into()).unwrap();
        Self {
            dir,
            writer,
            handle,
            committed,
            spool,
        }
    }

    async fn write(&self, b: WriteBatch) {
        assert_eq!(self.handle.write(Arc::new(b)).await, Ok(true));
    }

    /// Hands every committed batch to the spool, but the `skip`th.
    fn feed(&self, skip: Option<usize>) {
        for (i, c) in self.committed.try_iter().enumerate() {
            if Some(i) != skip {
                self.spool.add(&c);
            }
        }
    }

    fn conn(&self) -> Connection {
        crate::store::open(&self.dir.path().join("db.sqlite")).unwrap()
    }

    /// Seals the hours before `before_hour` and plans them; the
    /// receptions' parts.
    fn plan(&self, before_hour: i64) -> Vec<Part> {
        let sealed = self.spool.seal(before_hour);
        let due = Due {
            rows_before_hour: before_hour,
            flights_before_hour: before_hour,
        };
        ledger::plan(&mut self.conn(), due, "archive", "eu1", &sealed)
            .unwrap()
            .into_iter()
            .filter(|p| p.table == Table::Receptions)
            .collect()
    }

    /// `part` read back from SQLite.
    fn read_back(&self, part: &Part) -> Vec<RecordBatch> {
        let path = self.dir.path().join(format!("back-{}.parquet", part.after));
        receptions::write(&self.conn(), part, "eu1", &path).unwrap();
        read(&path)
    }
}

/// Two receivers hear overlapping messages across an hour's end, one
/// reception arriving late into the earlier hour.
async fn traffic(s: &Setup) {
    let t = HOUR * HOUR_MS;
    s.write(batch("rx-a", 1, &[1, 2, 3], &[1, 2, 3], t + 1_000))
        .await;
    s.write(batch("rx-b", 1, &[4], &[2, 3, 4], t + 1_050)).await;
    s.write(batch("rx-a", 2, &[5, 6], &[5, 6], t + HOUR_MS + 10))
        .await;
    s.write(batch("rx-b", 2, &[], &[5], t + HOUR_MS + 20)).await;
    s.write(batch("rx-c", 1, &[7], &[7, 4], t + HOUR_MS - 5))
        .await;
    s.write(batch("rx-a", 3, &[8, 9], &[8, 9, 6], t + 2 * HOUR_MS + 1))
        .await;
}

#[tokio::test]
async fn spooled_files_hold_what_reading_back_gives() {
    let s = Setup::new();
    traffic(&s).await;
    s.feed(None);
    let parts = s.plan(HOUR + 2);
    assert_eq!(parts.len(), 2, "one part per hour: {parts:?}");
    for part in &parts {
        let sealed = part.spooled.as_ref().expect("the spool held the hour");
        let spooled = read(&sealed.path);
        let rows: usize = spooled.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows as i64, sealed.rows);
        assert_eq!(spooled, s.read_back(part), "hour {}", part.hour);
    }
    let rows: Vec<i64> = parts
        .iter()
        .map(|p| p.spooled.as_ref().unwrap().rows)
        .collect();
    assert_eq!(rows, vec![8, 3], "every reception of hours 10 and 11");
    // The third hour is still open: a later seal gives it. A late row of
    // a sealed hour starts a segment complete since the sealed one.
    s.write(batch("rx-b", 3, &[], &[1], HOUR * HOUR_MS + 2_000))
        .await;
    s.write(batch("rx-b", 4, &[], &[9], (HOUR + 2) * HOUR_MS + 9))
        .await;
    s.feed(None);
    let parts = s.plan(HOUR + 3);
    let got = sources(&parts);
    assert_eq!(got, vec![(HOUR, true), (HOUR + 2, true)]);
    let late = parts[0].spooled.as_ref().unwrap();
    assert_eq!((late.rows, parts[0].after), (1, 11));
    assert_eq!(read(&late.path), s.read_back(&parts[0]));
    assert_eq!(parts[1].spooled.as_ref().unwrap().rows, 4);
    assert_eq!(
        read(&parts[1].spooled.as_ref().unwrap().path),
        s.read_back(&parts[1])
    );
    drop(s.handle);
    s.writer.join();
}

#[tokio::test]
async fn a_missed_batch_leaves_the_rows_around_it_to_be_read_back() {
    let s = Setup::new();
    traffic(&s).await;
    // The third committed batch (rx-a's first rows of hour 11) never
    // reaches the spool: hour 10, open then, is dropped. Hour 11 starts
    // at the next batch, hour 10 again at the one after.
    s.feed(Some(2));
    let parts = s.plan(HOUR + 2);
    let got = sources(&parts);
    assert_eq!(
        got,
        vec![
            (HOUR, false),
            (HOUR, true),
            (HOUR + 1, false),
            (HOUR + 1, true)
        ],
        "{parts:?}"
    );
    assert_each_row_once(&s, &parts, HOUR + 2);
    drop(s.handle);
    s.writer.join();
}

#[tokio::test]
async fn an_hour_pushed_out_by_newer_ones_is_read_back() {
    let s = Setup::new();
    let t = HOUR * HOUR_MS;
    s.write(batch("rx-a", 1, &[1, 2], &[1, 2], t + 10)).await;
    s.feed(None);
    let first = s.plan(HOUR + 1);
    assert_eq!(first.len(), 1);
    // A late row of hour 10 (complete since its sealed segment), then
    // three newer hours: hour 10's new segment is dropped for them, and
    // its next row finds no room. Hour 10's rows are all read back.
    s.write(batch("rx-b", 1, &[], &[2], t + 20)).await;
    for (seq, k) in (2..).zip(1..=3) {
        s.write(batch("rx-a", seq, &[10 + k], &[10 + k], t + k * HOUR_MS))
            .await;
    }
    s.write(batch("rx-b", 2, &[], &[1], t + 30)).await;
    s.feed(None);
    let parts = s.plan(HOUR + 4);
    let got = sources(&parts);
    assert_eq!(
        got,
        vec![
            (HOUR, false),
            (HOUR + 1, true),
            (HOUR + 2, true),
            (HOUR + 3, true)
        ],
        "{parts:?}"
    );
    assert_each_row_once(&s, &[first, parts].concat(), HOUR + 4);
    drop(s.handle);
    s.writer.join();
}

/// Each reception of the hours before `before_hour` is in exactly one of
/// `parts` (every part of those hours), and a spooled file holds what
/// reading its part back gives.
fn assert_each_row_once(s: &Setup, parts: &[Part], before_hour: i64) {
    let mut per_hour = std::collections::BTreeMap::<i64, i64>::new();
    for part in parts {
        let back = s.read_back(part);
        if let Some(sealed) = &part.spooled {
            assert_eq!(read(&sealed.path), back);
        }
        *per_hour.entry(part.hour).or_default() +=
            back.iter().map(RecordBatch::num_rows).sum::<usize>() as i64;
    }
    let stored: Vec<(i64, i64)> = s
        .conn()
        .prepare("SELECT rx_ms / 3600000, count(*) FROM receptions WHERE rx_ms / 3600000 < ?1 GROUP BY 1")
        .unwrap()
        .query_map([before_hour], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(per_hour.into_iter().collect::<Vec<_>>(), stored);
}

/// Regression: a file that could not be closed (a full disk) was removed
/// but its hour stayed complete since the file before, so the hour's next
/// file claimed the lost file's rows: a row archived nowhere.
#[tokio::test]
async fn a_file_that_cannot_be_closed_leaves_its_rows_to_be_read_back() {
    let s = Setup::new();
    let t = HOUR * HOUR_MS;
    s.write(batch("rx-a", 1, &[1, 2], &[1, 2], t + 10)).await;
    s.feed(None);
    let first = s.plan(HOUR + 1);
    // A late row of the sealed hour goes to a file of its own, which
    // cannot be written (its first row group is written when it closes).
    let full = s
        .dir
        .path()
        .join(format!("spool/receptions-{HOUR}-3.parquet"));
    std::os::unix::fs::symlink("/dev/full", full).unwrap();
    s.write(batch("rx-b", 1, &[], &[1], t + 20)).await;
    s.feed(None);
    // The same full disk fails the plan: the seal is all that happens.
    assert_eq!(s.spool.seal(HOUR + 1), Vec::new());
    s.write(batch("rx-b", 2, &[], &[2], t + 30)).await;
    s.feed(None);
    let parts = s.plan(HOUR + 1);
    assert_eq!(sources(&parts), vec![(HOUR, false), (HOUR, true)]);
    assert_each_row_once(&s, &[first, parts].concat(), HOUR + 1);
    drop(s.handle);
    s.writer.join();
}
