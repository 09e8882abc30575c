//! The Parquet archive: history written to S3 (the backup bucket) as
//! hour-partitioned Parquet files, one dataset per table
//! ([`positions`], [`receptions`] with their messages, [`flights`]), that DuckDB, Trino and pyarrow query in
//! place, so SQLite only needs to keep recent days.
//!
//! Receptions are written as they are committed ([`spool`]); an hour the
//! spool does not hold whole is read back from SQLite.
//!
//! Exactly once: an hour's rows are written in parts, each the rows of
//! that hour with rowid in `(after, upto]` ([`ledger`]). A part is
//! recorded before its upload and marked done after; after a crash or a
//! failed upload the same part is written again under the same key, so it
//! replaces its file and never adds a second one. Retention deletes a
//! position only once its hour's parts are done.
//!
//! Talks to: the database file (its own connection, beside the writer)
//! and S3.

pub mod flights;
pub mod ledger;
mod messages;
pub mod parquet;
pub mod positions;
mod recent;
pub mod receptions;
pub mod spool;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use cloudradar_shared::time;
use tokio_util::sync::CancellationToken;

use crate::backup::s3::{self, Object, Target};
use crate::component::{Component, Tasks};
use crate::config::Config;
use ledger::{Due, Part, Table};
use spool::{Sealed, Spool};

/// The Parquet media type (IANA, 2024).
const CONTENT_TYPE: &str = "application/vnd.apache.parquet";

/// The archive of one collector.
#[derive(Debug)]
pub struct Archive {
    target: Target,
    client: aws_sdk_s3::Client,
    database: PathBuf,
    work_dir: PathBuf,
    prefix: String,
    shard: String,
    delay: Duration,
    flight_gap: Duration,
    every: Duration,
    spool: Option<Spool>,
}

/// What one pass wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pass {
    /// Files uploaded.
    pub parts: u64,
    /// Rows in them.
    pub rows: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files the spool had written (the others were read back from
    /// SQLite).
    pub spooled: u64,
}

impl Archive {
    /// From the configuration; `None` when the archive is off.
    pub async fn from_config(config: &Config) -> Option<Self> {
        if !config.archive {
            return None;
        }
        let target = Target::from_config(config)?;
        Some(Self {
            client: s3::client(&target).await,
            target,
            database: config.database_path(),
            work_dir: config.data_dir.join("archive-work"),
            prefix: config.archive_prefix.clone(),
            shard: config.archive_shard.clone(),
            delay: Duration::from_secs(config.archive_delay_minutes * 60),
            flight_gap: Duration::from_secs(config.flight_gap_s),
            every: Duration::from_secs(config.archive_interval_s),
            spool: None,
        })
    }

    /// Where its spool writes (emptied at start: files a crash left are
    /// read back from SQLite instead).
    pub fn spool_dir(config: &Config) -> PathBuf {
        config.data_dir.join("archive-spool")
    }

    /// Takes receptions' files from `spool` where it has them.
    pub fn with_spool(mut self, spool: Spool) -> Self {
        self.spool = Some(spool);
        self
    }

    /// Writes every part due: first those left pending by a crash or a
    /// failed upload, then new rows of every hour that ended at least
    /// `delay` ago. Stops at the first failure (the rest wait for the
    /// next pass, in order).
    pub async fn pass(&self) -> anyhow::Result<Pass> {
        let done_ms = time::now_ms() as i64 - self.delay.as_millis() as i64;
        self.pass_before(Due {
            rows_before_hour: done_ms / 3_600_000,
            flights_before_hour: (done_ms - self.flight_gap.as_millis() as i64) / 3_600_000,
        })
        .await
    }

    /// [`Archive::pass`] for every hour, those not yet due included (open
    /// flights are archived as they are, and closed).
    pub async fn pass_all(&self) -> anyhow::Result<Pass> {
        self.pass_before(Due::ALL).await
    }

    async fn pass_before(&self, due: Due) -> anyhow::Result<Pass> {
        let (db, prefix, shard) = (
            self.database.clone(),
            self.prefix.clone(),
            self.shard.clone(),
        );
        let spool = self.spool.clone();
        let parts = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Part>> {
            // Sealed before planning: every row in a sealed file is then
            // in the writer's tally the plan reads.
            let sealed = match &spool {
                Some(s) => s.seal(due.rows_before_hour),
                None => Vec::new(),
            };
            let planned = (|| {
                let mut conn = crate::store::open(&db)?;
                let mut parts = ledger::pending(&conn)?;
                parts.extend(ledger::plan(&mut conn, due, &prefix, &shard, &sealed)?);
                anyhow::Ok(parts)
            })();
            let used = |s: &Sealed| {
                planned
                    .as_ref()
                    .is_ok_and(|parts| parts.iter().any(|p| p.spooled.as_ref() == Some(s)))
            };
            for s in sealed.iter().filter(|s| !used(s)) {
                let _ = std::fs::remove_file(&s.path);
            }
            planned
        })
        .await
        .context("archive planning task")??;
        let mut pass = Pass::default();
        let mut parts = parts.into_iter();
        while let Some(part) = parts.next() {
            let spooled = part.spooled.is_some();
            let (rows, bytes) = match self.write(part).await {
                Ok(written) => written,
                Err(e) => {
                    // The rest wait for the next pass, read back from SQLite.
                    for p in parts.filter_map(|p| p.spooled) {
                        let _ = std::fs::remove_file(&p.path);
                    }
                    return Err(e);
                }
            };
            pass.parts += 1;
            pass.rows += rows;
            pass.bytes += bytes;
            pass.spooled += u64::from(spooled);
        }
        Ok(pass)
    }

    /// Writes, uploads and marks one part done; returns (rows, bytes).
    async fn write(&self, part: Part) -> anyhow::Result<(u64, u64)> {
        let (file, rows) = match &part.spooled {
            Some(s) => (s.path.clone(), s.rows),
            None => self.read_back(&part).await?,
        };
        let bytes = std::fs::metadata(&file)?.len();
        // Rows retention deleted before the archive was turned on: there
        // is nothing to upload.
        let uploaded = if rows == 0 {
            Ok(())
        } else {
            self.upload(&part, rows, &file).await
        };
        let _ = std::fs::remove_file(&file);
        uploaded?;
        let db = self.database.clone();
        let bytes = if rows == 0 { 0 } else { bytes };
        tokio::task::spawn_blocking(move || {
            let conn = crate::store::open(&db)?;
            ledger::done(&conn, &part, rows, bytes as i64)?;
            anyhow::Ok(())
        })
        .await
        .context("archive ledger task")??;
        Ok((rows.max(0) as u64, bytes))
    }

    /// Writes `part` from SQLite into the work directory; (file, rows).
    async fn read_back(&self, part: &Part) -> anyhow::Result<(PathBuf, i64)> {
        std::fs::create_dir_all(&self.work_dir)
            .with_context(|| format!("creating {}", self.work_dir.display()))?;
        let file = work_file(&self.work_dir, part);
        let (db, path, p) = (self.database.clone(), file.clone(), part.clone());
        let shard = self.shard.clone();
        let rows =
            tokio::task::spawn_blocking(move || write_part(&reader(&db)?, &p, &shard, &path))
                .await
                .context("archive writing task")??;
        Ok((file, rows))
    }

    async fn upload(&self, part: &Part, rows: i64, file: &std::path::Path) -> anyhow::Result<()> {
        let object = Object {
            key: &part.key,
            content_type: CONTENT_TYPE,
            metadata: HashMap::from([("rows".to_string(), rows.to_string())]),
        };
        s3::upload(&self.client, &self.target.bucket, object, file).await
    }

    /// Passes every `every` until `cancel`; failures are logged, counted
    /// and retried on the next pass.
    async fn run(self, cancel: CancellationToken) {
        loop {
            // Stopping mid-pass is safe: an unfinished part stays pending
            // and is written again, under the same key, on the next start.
            let pass = tokio::select! {
                _ = cancel.cancelled() => return,
                p = self.pass() => p,
            };
            match pass {
                Ok(p) => {
                    metrics::counter!("cloudradar_collector_archive_parts_total")
                        .increment(p.parts);
                    metrics::counter!("cloudradar_collector_archive_rows_total").increment(p.rows);
                    metrics::counter!("cloudradar_collector_archive_bytes_total")
                        .increment(p.bytes);
                    metrics::counter!("cloudradar_collector_archive_spooled_parts_total")
                        .increment(p.spooled);
                    metrics::gauge!("cloudradar_collector_archive_last_success_timestamp_seconds")
                        .set(time::since_epoch().as_secs_f64());
                    if p.parts > 0 {
                        tracing::info!(
                            parts = p.parts,
                            spooled = p.spooled,
                            rows = p.rows,
                            bytes = p.bytes,
                            "archived"
                        );
                    }
                }
                Err(e) => {
                    metrics::counter!("cloudradar_collector_archive_failures_total").increment(1);
                    tracing::warn!(error = %format!("{e:#}"), "archive pass failed; retrying");
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(self.every) => {}
            }
        }
    }
}

impl Component for Archive {
    type Handle = ();

    async fn start(self, tasks: &Tasks) -> anyhow::Result<()> {
        let cancel = tasks.cancel.clone();
        tasks.spawn(self.run(cancel));
        Ok(())
    }
}

/// A file of its own for writing `part` in `dir`. Two passes can write
/// one part at once (`archive` run beside the collector finds the
/// collector's pending parts): with one name, one would truncate the file
/// the other is uploading.
fn work_file(dir: &std::path::Path, part: &Part) -> PathBuf {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(
        "{}-{}-{}.{}.{n}.parquet",
        part.table.name(),
        part.hour,
        part.after,
        std::process::id()
    ))
}

/// The connection a part is read through. A part reads a whole hour: a
/// larger page cache saves most of the page reads of the message lookups.
pub fn reader(db: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = crate::store::open(db)?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(conn)
}

/// Writes `part`'s rows, read through `conn` (a [`reader`]), to the
/// Parquet file `path`; returns the rows written.
pub fn write_part(
    conn: &rusqlite::Connection,
    part: &Part,
    shard: &str,
    path: &std::path::Path,
) -> anyhow::Result<i64> {
    match part.table {
        Table::Positions => positions::write(conn, part, path),
        Table::Receptions => receptions::write(conn, part, shard, path),
        Table::Flights => flights::write(conn, part, shard, path),
    }
}

#[cfg(test)]
mod tests;
