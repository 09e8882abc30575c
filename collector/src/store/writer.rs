//! The single writer: one thread, one connection, batches committed in
//! transactions. Several queued batches are grouped into one transaction
//! (bounded), which is what makes high frame rates affordable; each
//! batch's sender hears back only after the commit that holds it.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tokio::sync::oneshot;

use super::committed::{CommitFeed, Committed};
use super::retention::Retention;
use super::rows::WriteBatch;

/// What the writer reports per batch: `Ok(true)` applied, `Ok(false)` a
/// duplicate of an already applied batch, `Err` not committed.
pub type Commit = Result<bool, String>;

/// Work for the writer.
#[derive(Debug)]
enum Job {
    /// A processed batch and who waits for its commit.
    Batch(Arc<WriteBatch>, oneshot::Sender<Commit>),
    /// A receiver status update.
    Status(StatusRow),
}

/// A receiver's reported status.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    /// Receiver id.
    pub receiver: String,
    /// Online or offline.
    pub online: bool,
    /// Position, if configured on the agent.
    pub lat: Option<f64>,
    /// Position, if configured on the agent.
    pub lon: Option<f64>,
    /// Antenna height above the WGS84 ellipsoid, metres, if configured.
    pub alt_m: Option<f64>,
    /// Agent version.
    pub version: Option<String>,
    /// Time, Unix ms.
    pub time_ms: i64,
}

/// Most batches grouped in one transaction.
const GROUP: usize = 64;

/// Sends batches to the writer thread.
#[derive(Debug, Clone)]
pub struct WriterHandle {
    tx: mpsc::SyncSender<Job>,
}

impl WriterHandle {
    /// Queues a batch and waits for its commit.
    pub async fn write(&self, batch: Arc<WriteBatch>) -> Commit {
        self.submit(batch).await?.await
    }

    /// Queues a batch; the returned future resolves at its commit. Batches
    /// submitted before waiting are grouped into shared transactions. Shared
    /// (`Arc`), so a caller keeps it for a retry without copying its rows.
    pub async fn submit(
        &self,
        batch: Arc<WriteBatch>,
    ) -> Result<impl std::future::Future<Output = Commit> + use<>, String> {
        let (tx, rx) = oneshot::channel();
        let sender = self.tx.clone();
        // The queue is bounded; a full queue blocks, so send off the runtime.
        tokio::task::spawn_blocking(move || sender.send(Job::Batch(batch, tx)).map_err(|_| ()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|_| "writer stopped".to_string())?;
        Ok(async move { rx.await.map_err(|_| "writer stopped".to_string())? })
    }

    /// Queues a receiver status update (fire and forget).
    pub async fn status(&self, row: StatusRow) {
        let sender = self.tx.clone();
        let _ = tokio::task::spawn_blocking(move || sender.send(Job::Status(row)).map_err(|_| ()))
            .await;
    }
}

/// The writer thread.
#[derive(Debug)]
pub struct Writer {
    handle: Option<thread::JoinHandle<()>>,
}

impl Writer {
    /// Opens the database and starts the writer thread.
    /// `max_bytes` caps the database (0: no cap); a full database fails
    /// commits like a full disk does, and nothing is acknowledged until
    /// there is room again. Each applied batch is offered to `feed`, if
    /// any, after its commit.
    pub fn start(
        path: PathBuf,
        flight_gap_ms: i64,
        retention: Retention,
        max_bytes: u64,
        feed: Option<CommitFeed>,
    ) -> anyhow::Result<(Self, WriterHandle)> {
        let conn = super::open(&path)?;
        if max_bytes > 0 {
            let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
            let pages = (i64::try_from(max_bytes).unwrap_or(i64::MAX) / page.max(1)).max(1);
            conn.pragma_update(None, "max_page_count", pages)?;
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(256);
        let handle = thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx, flight_gap_ms, retention, feed))
            .context("starting the SQLite writer thread")?;
        Ok((
            Self {
                handle: Some(handle),
            },
            WriterHandle { tx },
        ))
    }

    /// Waits for the thread to finish (after every handle is dropped).
    pub fn join(mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// How often expired rows are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    flight_gap_ms: i64,
    retention: Retention,
    feed: Option<CommitFeed>,
) {
    let mut last_prune = Instant::now();
    loop {
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            prune(&conn, &retention);
        }
        let first = match rx.recv_timeout(PRUNE_EVERY) {
            Ok(j) => j,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut jobs = vec![first];
        while jobs.len() < GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let result = commit(&mut conn, &jobs, flight_gap_ms);
        metrics::histogram!("cloudradar_collector_sqlite_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        let batches = jobs.into_iter().filter_map(|j| match j {
            Job::Batch(b, tx) => Some((b, tx)),
            Job::Status(_) => None,
        });
        match result {
            Ok(applied) => {
                metrics::counter!("cloudradar_collector_sqlite_commits_total").increment(1);
                for ((batch, tx), a) in batches.zip(applied) {
                    if let (Some(feed), Some(first_reception)) = (&feed, a.first_reception) {
                        feed.offer(Committed {
                            first_reception,
                            batch,
                        });
                    }
                    let _ = tx.send(Ok(a.fresh));
                }
            }
            Err(e) => {
                metrics::counter!("cloudradar_collector_sqlite_errors_total").increment(1);
                tracing::error!(error = %format!("{e:#}"), "SQLite commit failed");
                let msg = format!("{e:#}");
                for (_, tx) in batches {
                    let _ = tx.send(Err(msg.clone()));
                }
            }
        }
    }
}

fn prune(conn: &Connection, retention: &Retention) {
    let now = cloudradar_shared::time::now_ms() as i64;
    match retention.prune(conn, now, Duration::from_millis(250)) {
        Ok(p) => {
            let deleted = p.positions + p.messages + p.receptions + p.batches + p.minutes;
            if deleted > 0 {
                metrics::counter!("cloudradar_collector_rows_expired_total")
                    .increment(deleted as u64);
                tracing::debug!(
                    positions = p.positions,
                    messages = p.messages,
                    receptions = p.receptions,
                    batches = p.batches,
                    "expired rows deleted"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "retention pass failed"),
    }
    if let Ok(pages) = conn.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get::<_, i64>(0),
    ) {
        metrics::gauge!("cloudradar_collector_sqlite_database_bytes").set(pages as f64);
    }
}

/// What applying one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Applied {
    /// Its rows were inserted (not a duplicate).
    fresh: bool,
    /// The rowid of its first reception, if it inserted any.
    first_reception: Option<i64>,
}

fn commit(conn: &mut Connection, jobs: &[Job], flight_gap_ms: i64) -> anyhow::Result<Vec<Applied>> {
    let tx = conn.transaction()?;
    let mut applied = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job {
            Job::Batch(batch, _) => applied.push(apply(&tx, batch, flight_gap_ms)?),
            Job::Status(s) => status(&tx, s)?,
        }
    }
    tx.commit()?;
    Ok(applied)
}

fn apply(tx: &Transaction<'_>, b: &WriteBatch, flight_gap_ms: i64) -> anyhow::Result<Applied> {
    let mut applied = Applied {
        fresh: false,
        first_reception: None,
    };
    if b.repeat {
        return Ok(applied);
    }
    let fresh = tx
        .prepare_cached("INSERT OR IGNORE INTO applied_batches (receiver, seq, applied_ms, frames) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![b.receiver, b.seq, b.time_ms, b.frames])?
        == 1;
    if !fresh {
        return Ok(applied);
    }
    applied.fresh = true;
    if !b.derived {
        tx.prepare_cached(
            "INSERT INTO receivers (id, first_seen_ms, last_seen_ms, frames, batches) VALUES (?1, ?2, ?2, ?3, 1)
             ON CONFLICT (id) DO UPDATE SET last_seen_ms = max(last_seen_ms, ?2), frames = frames + ?3, batches = batches + 1",
        )?
        .execute(params![b.receiver, b.time_ms, b.frames])?;
    }
    {
        let mut msg = tx.prepare_cached("INSERT INTO messages (id, time_ms, icao, df, raw, receivers) VALUES (?1, ?2, ?3, ?4, ?5, 0)")?;
        for m in &b.messages {
            msg.execute(params![m.id, m.time_ms, m.icao, m.df, m.raw])?;
        }
        let mut rec = tx.prepare_cached(
            "INSERT INTO receptions (message_id, receiver, rx_ms, timestamp, signal, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut count =
            tx.prepare_cached("UPDATE messages SET receivers = receivers + 1 WHERE id = ?1")?;
        let mut hours = super::hours::HourTally::default();
        for r in &b.receptions {
            rec.execute(params![
                r.message_id,
                b.receiver,
                r.rx_ms,
                r.timestamp,
                r.signal,
                b.seq
            ])?;
            let rowid = tx.last_insert_rowid();
            applied.first_reception.get_or_insert(rowid);
            hours.add("receptions", r.rx_ms, rowid);
            count.execute(params![r.message_id])?;
        }
        let mut pos = tx.prepare_cached(
            "INSERT INTO positions (icao, time_ms, lat, lon, alt_baro, alt_geom, gs, track, baro_rate, receivers, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for p in &b.positions {
            pos.execute(params![
                p.icao,
                p.time_ms,
                p.lat,
                p.lon,
                p.alt_baro,
                p.alt_geom,
                p.gs,
                p.track,
                p.baro_rate,
                p.receivers,
                p.source
            ])?;
            hours.add("positions", p.time_ms, tx.last_insert_rowid());
        }
        hours.save(tx)?;
        let mut ac = tx.prepare_cached(
            "INSERT INTO aircraft (icao, first_seen_ms, last_seen_ms, callsign, squawk, category, messages)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (icao) DO UPDATE SET last_seen_ms = max(last_seen_ms, ?2),
               callsign = coalesce(?3, callsign), squawk = coalesce(?4, squawk),
               category = coalesce(?5, category), messages = messages + ?6",
        )?;
        for a in &b.aircraft {
            ac.execute(params![
                a.icao, a.time_ms, a.callsign, a.squawk, a.category, a.messages
            ])?;
        }
    }
    for f in &b.flights {
        upsert_flight(tx, f.icao, &f.callsign, f.time_ms, flight_gap_ms)?;
    }
    super::receiver_rows::add(tx, b)?;
    Ok(applied)
}

fn status(tx: &Transaction<'_>, s: &StatusRow) -> anyhow::Result<()> {
    tx.prepare_cached(
        "INSERT INTO receivers (id, first_seen_ms, last_seen_ms, online, lat, lon, version, alt_m)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET online = ?3, lat = coalesce(?4, lat), lon = coalesce(?5, lon),
           version = coalesce(?6, version), last_seen_ms = max(last_seen_ms, ?2),
           alt_m = CASE WHEN ?4 IS NULL THEN alt_m ELSE ?7 END",
    )?
    .execute(params![s.receiver, s.time_ms, s.online, s.lat, s.lon, s.version, s.alt_m])?;
    Ok(())
}

/// Extends the aircraft's latest flight not yet in the archive if it has
/// this callsign and was seen within the gap, else starts a new flight.
/// (A flight in an archive part is closed: extending it would move it to
/// another hour of the archive and store it twice.)
fn upsert_flight(
    tx: &Transaction<'_>,
    icao: i64,
    callsign: &str,
    time_ms: i64,
    gap_ms: i64,
) -> anyhow::Result<()> {
    let latest: Option<(i64, String, i64)> = tx
        .prepare_cached(
            "SELECT f.id, f.callsign, f.last_seen_ms FROM flights f WHERE f.icao = ?1
               AND NOT EXISTS (SELECT 1 FROM archive_parts p
                 WHERE p.tbl = 'flights' AND p.hour = f.last_seen_ms / 3600000
                   AND p.after_rowid < f.id AND p.upto_rowid >= f.id)
             ORDER BY f.last_seen_ms DESC LIMIT 1",
        )?
        .query_row(params![icao], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match latest {
        Some((id, cs, last)) if cs == callsign && time_ms - last <= gap_ms => {
            tx.prepare_cached(
                "UPDATE flights SET last_seen_ms = max(last_seen_ms, ?2) WHERE id = ?1",
            )?
            .execute(params![id, time_ms])?;
        }
        _ => {
            tx.prepare_cached("INSERT INTO flights (icao, callsign, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?3)")?
                .execute(params![icao, callsign, time_ms])?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
