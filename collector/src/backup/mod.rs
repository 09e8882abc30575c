//! Backup and restore of the SQLite database through S3 (or any
//! S3-compatible store): a consistent online snapshot, compressed and
//! checksummed, uploaded in parts under `<prefix>/<date>/`; retention of
//! daily and weekly copies; restore of the latest or a dated backup,
//! verified (checksum, `PRAGMA integrity_check`, schema version) before it
//! replaces anything.
//!
//! Talks to: the database file (its own connections, beside the writer)
//! and S3. Used by `cloudradar-collector backup|restore`, the in-process
//! schedule, `POST /api/v1/admin/backup`, and start-up restore.

pub mod keys;
pub(crate) mod s3;
mod schedule;
mod snapshot;
mod startup;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cloudradar_shared::time;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use keys::Stamp;
pub use s3::Target;
pub use schedule::Schedule;
pub use startup::restore_if_missing;

/// What a finished backup reports.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// `s3://bucket/key`.
    pub location: String,
    /// Uncompressed database size, bytes.
    pub raw_bytes: u64,
    /// Uploaded size, bytes.
    pub bytes: u64,
    /// SHA-256 of the uploaded bytes.
    pub sha256: String,
    /// Seconds taken (snapshot, compression, upload, retention).
    pub seconds: f64,
    /// Older backups deleted by retention.
    pub deleted: Vec<String>,
}

/// What a finished restore reports.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The backup restored.
    pub location: String,
    /// Database size, bytes.
    pub raw_bytes: u64,
    /// Seconds taken (download, verification, decompression).
    pub seconds: f64,
}

/// Which backup to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The newest.
    Latest,
    /// The newest taken on or before this time.
    AtOrBefore(Stamp),
}

/// Backups of one database to one bucket and prefix.
#[derive(Debug)]
pub struct Backups {
    target: Target,
    prefix: String,
    keep_daily: u32,
    keep_weekly: u32,
    database: PathBuf,
    work_dir: PathBuf,
    client: aws_sdk_s3::Client,
    /// One backup or restore at a time.
    busy: tokio::sync::Mutex<()>,
}

impl Backups {
    /// From the configuration; `None` when no bucket is configured.
    pub async fn from_config(config: &Config) -> Option<Self> {
        let target = Target::from_config(config)?;
        let client = s3::client(&target).await;
        Some(Self {
            target,
            prefix: config.backup_prefix.clone(),
            keep_daily: config.backup_keep_daily,
            keep_weekly: config.backup_keep_weekly,
            database: config.database_path(),
            work_dir: config.data_dir.join("backup-work"),
            client,
            busy: tokio::sync::Mutex::new(()),
        })
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.target.bucket)
    }

    /// Takes, uploads and rotates a backup; records the metrics either way.
    pub async fn backup(&self) -> anyhow::Result<BackupReport> {
        let _one = self.busy.lock().await;
        let started = Instant::now();
        let result = self.backup_inner(started).await;
        match &result {
            Ok(r) => {
                metrics::gauge!("cloudradar_collector_backup_last_success_timestamp_seconds")
                    .set(time::since_epoch().as_secs_f64());
                metrics::gauge!("cloudradar_collector_backup_bytes").set(r.bytes as f64);
                metrics::histogram!("cloudradar_collector_backup_duration_seconds")
                    .record(r.seconds);
                tracing::info!(location = %r.location, bytes = r.bytes, raw_bytes = r.raw_bytes, seconds = r.seconds, deleted = r.deleted.len(), "backup uploaded");
            }
            Err(e) => {
                metrics::counter!("cloudradar_collector_backup_failures_total").increment(1);
                tracing::error!(error = %format!("{e:#}"), "backup failed");
            }
        }
        let _ = std::fs::remove_dir_all(&self.work_dir);
        result
    }

    async fn backup_inner(&self, started: Instant) -> anyhow::Result<BackupReport> {
        if !self.database.exists() {
            bail!("no database at {} to back up", self.database.display());
        }
        s3::check_bucket(&self.client, &self.target.bucket).await?;
        let (db, work) = (self.database.clone(), self.work_dir.clone());
        let snap = tokio::task::spawn_blocking(move || snapshot::take(&db, &work))
            .await
            .context("snapshot task")??;
        let at = Stamp {
            unix_ms: time::now_ms() as i64,
        };
        let key = keys::key(&self.prefix, at);
        let metadata = HashMap::from([
            ("sha256".to_string(), snap.sha256.clone()),
            ("raw-bytes".to_string(), snap.raw_bytes.to_string()),
            (
                "schema-version".to_string(),
                snap.schema_version.to_string(),
            ),
            ("created".to_string(), at.compact()),
            (
                "collector-version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ]);
        let object = s3::Object {
            key: &key,
            content_type: "application/zstd",
            metadata,
        };
        s3::upload(&self.client, &self.target.bucket, object, &snap.path).await?;
        // The backup is safe once uploaded: failing to delete old ones is
        // worth a warning, not a failed backup (and a false alert).
        let deleted = self.rotate().await.unwrap_or_else(|e| {
            tracing::warn!(error = %format!("{e:#}"), "deleting old backups failed; retried at the next backup");
            Vec::new()
        });
        Ok(BackupReport {
            location: self.location(&key),
            raw_bytes: snap.raw_bytes,
            bytes: snap.bytes,
            sha256: snap.sha256,
            seconds: started.elapsed().as_secs_f64(),
            deleted,
        })
    }

    /// Deletes the backups retention does not keep.
    async fn rotate(&self) -> anyhow::Result<Vec<String>> {
        let all: Vec<String> = s3::list(&self.client, &self.target.bucket, &self.prefix)
            .await?
            .into_iter()
            .filter(|k| keys::ours(&self.prefix, k).is_some())
            .collect();
        let gone = keys::expired(&all, self.keep_daily, self.keep_weekly);
        for k in &gone {
            s3::delete(&self.client, &self.target.bucket, k).await?;
        }
        Ok(gone)
    }

    /// Every backup, oldest first.
    pub async fn list(&self) -> anyhow::Result<Vec<(Stamp, String)>> {
        let mut found: Vec<(Stamp, String)> =
            s3::list(&self.client, &self.target.bucket, &self.prefix)
                .await?
                .into_iter()
                .filter_map(|k| keys::ours(&self.prefix, &k).map(|t| (t, k)))
                .collect();
        found.sort();
        Ok(found)
    }

    /// Restores a backup into the database path. An existing database is
    /// replaced only with `force`; nothing is touched unless the download
    /// verifies. The collector must not be running on this data directory.
    pub async fn restore(&self, which: Which, force: bool) -> anyhow::Result<RestoreReport> {
        let _one = self.busy.lock().await;
        let started = Instant::now();
        if self.database.exists() && !force {
            bail!(
                "{} exists; restore replaces it only with --force",
                self.database.display()
            );
        }
        let all = self.list().await?;
        let chosen = match which {
            Which::Latest => all.last(),
            Which::AtOrBefore(t) => all.iter().rev().find(|(s, _)| *s <= t),
        };
        let Some((_, key)) = chosen else {
            bail!(
                "no backup found under {}",
                self.location(&format!("{}/", self.prefix))
            );
        };
        std::fs::create_dir_all(&self.work_dir)?;
        let download = self.work_dir.join("restore.sqlite.zst");
        let result = self.restore_from(key, &download).await;
        let _ = std::fs::remove_dir_all(&self.work_dir);
        let raw_bytes = result?;
        let report = RestoreReport {
            location: self.location(key),
            raw_bytes,
            seconds: started.elapsed().as_secs_f64(),
        };
        tracing::info!(location = %report.location, raw_bytes, seconds = report.seconds, "database restored");
        Ok(report)
    }

    async fn restore_from(&self, key: &str, download: &Path) -> anyhow::Result<u64> {
        let meta = s3::download(&self.client, &self.target.bucket, key, download).await?;
        let expected = meta
            .get("sha256")
            .cloned()
            .with_context(|| format!("{} has no sha256 metadata", self.location(key)))?;
        let (download, database) = (download.to_path_buf(), self.database.clone());
        let location = self.location(key);
        tokio::task::spawn_blocking(move || {
            verify_and_install(&download, &expected, &database, &location)
        })
        .await
        .context("restore task")?
    }

    /// Backs up every `every` until cancelled.
    pub async fn schedule(&self, every: Duration, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(every);
        tick.tick().await; // the first tick is immediate; wait a period first
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => { let _ = self.backup().await; }
            }
        }
    }
}

/// Checks the download and, when good, moves it into place.
fn verify_and_install(
    download: &Path,
    expected_sha256: &str,
    database: &Path,
    location: &str,
) -> anyhow::Result<u64> {
    let actual = snapshot::sha256_file(download)?;
    if actual != expected_sha256 {
        bail!(
            "{location}: checksum mismatch (expected {expected_sha256}, got {actual}); not restored"
        );
    }
    let dir = database.parent().unwrap_or(Path::new("."));
    let staged = dir.join("cloudradar.sqlite.restoring");
    let installed = install_staged(download, &staged, database, dir);
    if installed.is_err() {
        // Nothing half-written stays beside the database (a full disk is
        // the usual reason decompressing fails).
        let _ = std::fs::remove_file(&staged);
    }
    installed.map_err(|e| e.context(format!("{location}: not restored")))
}

/// Decompresses `download` to `staged`, checks it and moves it over `database`.
fn install_staged(
    download: &Path,
    staged: &Path,
    database: &Path,
    dir: &Path,
) -> anyhow::Result<u64> {
    let raw = snapshot::decompress(download, staged)?;
    crate::store::check_restorable(staged)?;
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", database.display()));
    }
    std::fs::rename(staged, database)
        .with_context(|| format!("moving the restored database to {}", database.display()))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a download with the right checksum that did not
    /// decompress left a partial `cloudradar.sqlite.restoring` behind.
    #[test]
    fn a_download_that_does_not_decompress_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let download = dir.path().join("download.zst");
        // A zstd frame header, then garbage.
        let mut bytes = vec![0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58];
        bytes.extend(std::iter::repeat_n(0xAB, 4096));
        std::fs::write(&download, &bytes).unwrap();
        let sha = snapshot::sha256_file(&download).unwrap();
        let database = dir.path().join("cloudradar.sqlite");
        std::fs::write(&database, b"the old database").unwrap();
        let err = verify_and_install(&download, &sha, &database, "s3://b/k").unwrap_err();
        assert!(format!("{err:#}").contains("not restored"), "{err:#}");
        assert!(!dir.path().join("cloudradar.sqlite.restoring").exists());
        assert_eq!(std::fs::read(&database).unwrap(), b"the old database");
    }
}
