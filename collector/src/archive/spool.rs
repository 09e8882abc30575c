//! The archive's spool: receptions written as Parquet while they are
//! committed, so the archive pass uploads a file it already has instead of
//! reading the hour back from SQLite (nearly half of what archiving cost,
//! `docs/performance.md`).
//!
//! The writer offers each committed batch with the rowid of its first
//! reception ([`Committed`]). The spool keeps one file open per recent
//! hour, a segment: every reception of that hour with rowid in
//! `(after, upto]`, where `upto` is the last rowid the spool has seen with
//! none missing before it, and `after` is where the spool last knew the
//! hour to be complete (the end of the hour's previous segment, else just
//! below the segment's first row). A batch the spool missed (the writer
//! does not wait for a spool that falls behind) shows as rowids that do
//! not follow on, and every open segment is dropped.
//!
//! The spool is only a faster way to the same file. A part without a
//! segment, and every part after a restart, a crash or a failed upload, is
//! read back from SQLite ([`super::receptions::write`]): the same rows in
//! the same order (rowid).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use rusqlite::Connection;

use super::messages::Message;
use super::parquet::ParquetSink;
use super::recent::Recent;
use super::receptions::{Columns, Reception};
use crate::store::{CommitFeed, Committed};

/// Committed batches the writer may hand over before the spool has taken
/// them: at 100,000 frames/s in batches of 100, about a second.
const QUEUE: usize = 1024;

/// Hours with an open file. Receptions arrive up to a few minutes late
/// (an agent's spool after an outage can be hours late: those are read
/// back from SQLite).
const OPEN_HOURS: usize = 3;

const HOUR_MS: i64 = 3_600_000;

/// Hours whose completeness is kept after their last segment is sealed:
/// a row later than that is read back from SQLite.
const KEEP_COMPLETE: usize = 48;

/// The spool of one collector.
#[derive(Debug, Clone)]
pub struct Spool {
    state: Arc<Mutex<State>>,
}

/// A segment closed for the archive pass: the receptions of `hour` with
/// rowid in `(after, upto]`, all of them, in the Parquet file `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The hour, Unix time / 3600.
    pub hour: i64,
    /// Rows above this rowid ...
    pub after: i64,
    /// ... up to and including this one.
    pub upto: i64,
    /// The rowid of its first row.
    pub first: i64,
    /// The file.
    pub path: PathBuf,
    /// Its rows.
    pub rows: i64,
}

impl Spool {
    /// Starts the spool in `dir` (emptied first) for the database at
    /// `database`, writing `shard`'s rows; the feed is for the writer.
    pub fn start(
        dir: PathBuf,
        database: PathBuf,
        shard: String,
    ) -> anyhow::Result<(Self, CommitFeed)> {
        let spool = Self::new(dir, database, shard)?;
        let (feed, committed) = CommitFeed::channel(QUEUE);
        let state = spool.state.clone();
        std::thread::Builder::new()
            .name("archive-spool".into())
            .spawn(move || {
                for c in committed {
                    // A panic drops the open files (see `lock`), not the
                    // spool.
                    let added = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        lock(&state).add(&c);
                    }));
                    if added.is_err() {
                        tracing::error!("archive spool panicked; its open hours are read back");
                    }
                }
            })
            .context("starting the archive spool thread")?;
        Ok((spool, feed))
    }

    /// A spool fed by calling [`Spool::add`].
    pub fn new(dir: PathBuf, database: PathBuf, shard: String) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self {
            state: Arc::new(Mutex::new(State {
                dir,
                database,
                shard,
                conn: None,
                next: None,
                complete: BTreeMap::new(),
                segments: BTreeMap::new(),
                recent: Recent::default(),
            })),
        })
    }

    /// Adds one committed batch.
    pub fn add(&self, c: &Committed) {
        self.lock().add(c);
    }

    /// Closes the segments of every hour before `before_hour` and returns
    /// them. Receptions of those hours that come later start new ones.
    pub fn seal(&self, before_hour: i64) -> Vec<Sealed> {
        self.lock().seal(before_hour)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// The state, started afresh if a panic left it half-changed (a batch
/// half added would make the open files claim rows they lack).
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(s) => s,
        Err(poisoned) => {
            state.clear_poison();
            let mut s = poisoned.into_inner();
            s.drop_all("the spool panicked");
            s.complete.clear();
            s.next = None;
            s
        }
    }
}

struct State {
    dir: PathBuf,
    database: PathBuf,
    shard: String,
    /// For messages no longer in `recent`, opened when first needed.
    conn: Option<Connection>,
    /// The rowid the next batch must start at, once one came.
    next: Option<i64>,
    /// Per hour without an open segment, the last rowid of its last
    /// sealed one: no row of the hour the spool has seen since is
    /// missing from a segment.
    complete: BTreeMap<i64, i64>,
    segments: BTreeMap<i64, Segment>,
    recent: Recent,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("next", &self.next)
            .field("hours", &self.segments.keys().collect::<Vec<_>>())
            .finish()
    }
}

struct Segment {
    after: i64,
    first: i64,
    last: i64,
    path: PathBuf,
    sink: ParquetSink<File, Columns>,
}

impl Segment {
    fn open(dir: &Path, hour: i64, after: i64, first: i64) -> anyhow::Result<Self> {
        let path = dir.join(format!("receptions-{hour}-{first}.parquet"));
        let sink = ParquetSink::new(File::create(&path)?)?;
        Ok(Self {
            after,
            first,
            last: first,
            path,
            sink,
        })
    }

    fn discard(self) {
        drop(self.sink);
        let _ = std::fs::remove_file(&self.path);
    }
}

impl State {
    fn add(&mut self, c: &Committed) {
        let b = &c.batch;
        if self.next.is_some_and(|n| n != c.first_reception) {
            self.drop_all("committed receptions did not reach the spool");
            self.complete.clear();
        }
        self.next = Some(c.first_reception + b.receptions.len() as i64);
        for m in &b.messages {
            self.recent
                .add(Message::new(m.id, m.time_ms, m.icao, m.df, &m.raw));
        }
        for (i, r) in b.receptions.iter().enumerate() {
            let hour = r.rx_ms.div_euclid(HOUR_MS);
            let message = match self.message(r.message_id) {
                Ok(Some(m)) => m,
                // Not stored yet (its batch's commit failed and waits for
                // a retry) or a database error: the replay will know.
                Ok(None) | Err(_) => {
                    self.drop_hour(hour, "a reception's message was not found");
                    continue;
                }
            };
            let rowid = c.first_reception + i as i64;
            if !self.segments.contains_key(&hour) && !self.make_room(hour) {
                // Not in a segment: later ones of the hour start after it.
                self.complete.remove(&hour);
                continue;
            }
            let after = self.complete.get(&hour).copied().unwrap_or(rowid - 1);
            let Some(segment) = open_segment(&mut self.segments, &self.dir, hour, after, rowid)
            else {
                self.complete.remove(&hour);
                continue;
            };
            segment.last = rowid;
            let reception = Reception {
                message_id: r.message_id,
                receiver: &b.receiver,
                rx_ms: r.rx_ms,
                timestamp: r.timestamp,
                signal: r.signal,
            };
            let shard = &self.shard;
            if let Err(e) = segment
                .sink
                .push(|cols| cols.push(shard, &reception, Some(&message)))
            {
                self.drop_hour(hour, &format!("writing the spool failed: {e:#}"));
            }
        }
    }

    fn message(&mut self, id: i64) -> anyhow::Result<Option<Message>> {
        if let Some(m) = self.recent.get(id) {
            return Ok(Some(m));
        }
        if self.conn.is_none() {
            self.conn = Some(crate::store::open(&self.database)?);
        }
        let conn = self.conn.as_ref().context("spool connection")?;
        Ok(Message::look_up(conn, id)?)
    }

    /// Room for a segment of `hour`: the oldest open hour is dropped if
    /// it is older; false if `hour` is older than every open one.
    fn make_room(&mut self, hour: i64) -> bool {
        if self.segments.len() < OPEN_HOURS {
            return true;
        }
        match self.segments.first_key_value() {
            Some((&oldest, _)) if oldest < hour => {
                self.drop_hour(oldest, "a newer hour needs its file");
                true
            }
            _ => false,
        }
    }

    fn drop_hour(&mut self, hour: i64, why: &str) {
        self.complete.remove(&hour);
        if let Some(s) = self.segments.remove(&hour) {
            tracing::warn!(
                hour,
                why,
                "archive spool drops an hour; it will be read back from SQLite"
            );
            metrics::counter!("cloudradar_collector_archive_spool_dropped_hours_total")
                .increment(1);
            s.discard();
        }
    }

    fn drop_all(&mut self, why: &str) {
        let hours: Vec<i64> = self.segments.keys().copied().collect();
        for hour in hours {
            self.drop_hour(hour, why);
        }
    }

    fn seal(&mut self, before_hour: i64) -> Vec<Sealed> {
        let Some(next) = self.next else {
            return Vec::new();
        };
        let hours: Vec<i64> = self
            .segments
            .range(..before_hour)
            .map(|(h, _)| *h)
            .collect();
        let mut sealed = Vec::new();
        for hour in hours {
            let Some(s) = self.segments.remove(&hour) else {
                continue;
            };
            match s.sink.finish() {
                Ok((rows, _file)) => {
                    self.complete.insert(hour, s.last);
                    sealed.push(Sealed {
                        hour,
                        after: s.after,
                        upto: next - 1,
                        first: s.first,
                        path: s.path,
                        rows,
                    })
                }
                Err(e) => {
                    tracing::warn!(hour, error = %format!("{e:#}"), "archive spool cannot close a file");
                    let _ = std::fs::remove_file(&s.path);
                    // Its rows are in no file: the hour is no longer
                    // complete anywhere.
                    self.complete.remove(&hour);
                }
            }
        }
        // Hours long past: a row of theirs is read back, as if unseen.
        while self.complete.len() > KEEP_COMPLETE {
            self.complete.pop_first();
        }
        sealed
    }
}

/// `hour`'s open segment, opened at `rowid` (complete since `after`) if
/// there is none; `None` if its file cannot be created.
fn open_segment<'a>(
    segments: &'a mut BTreeMap<i64, Segment>,
    dir: &Path,
    hour: i64,
    after: i64,
    rowid: i64,
) -> Option<&'a mut Segment> {
    match segments.entry(hour) {
        Entry::Occupied(open) => Some(open.into_mut()),
        Entry::Vacant(none) => match Segment::open(dir, hour, after, rowid) {
            Ok(s) => Some(none.insert(s)),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "archive spool cannot open a file");
                None
            }
        },
    }
}

#[cfg(test)]
#[path = "spool_tests.rs"]
mod tests;
