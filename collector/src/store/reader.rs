//! Read connections for the HTTP API: a small pool, queries run on the
//! blocking thread pool so the runtime never waits on SQLite. WAL lets
//! readers run while the writer commits; connections are read-only
//! (`query_only`) and every query is its own short read transaction, so a
//! reader never holds back the writer or a checkpoint for long.
//!
//! The number of queries running at once is bounded (`http_max_history_queries`):
//! each one takes CPU and I/O from the writer on a small machine, so a
//! burst of history queries waits briefly for a slot and is then refused
//! with [`Busy`] (HTTP 503) instead of slowing ingest down.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a query waits for a free slot before it is refused.
pub const SLOT_WAIT: Duration = Duration::from_millis(250);

/// Every query slot is taken (and stayed taken for [`SLOT_WAIT`]).
#[derive(Debug, thiserror::Error)]
#[error("too many history queries are running; retry shortly")]
pub struct Busy;

/// A pool of read-only connections with a bound on concurrent queries.
#[derive(Debug, Clone)]
pub struct Reader {
    path: PathBuf,
    pool: Arc<Mutex<Vec<Connection>>>,
    slots: Arc<Semaphore>,
}

/// A held query slot; released when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        metrics::gauge!("cloudradar_collector_sqlite_reads_running").decrement(1.0);
    }
}

impl Reader {
    /// A pool over the database at `path` (which the writer created),
    /// running at most `max_running` queries at once (at least one).
    pub fn new(path: PathBuf, max_running: usize) -> Self {
        Self {
            path,
            pool: Arc::new(Mutex::new(Vec::new())),
            slots: Arc::new(Semaphore::new(max_running.max(1))),
        }
    }

    fn connect(&self) -> anyhow::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening {} for reading", self.path.display()))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Takes a query slot, waiting up to [`SLOT_WAIT`]; [`Busy`] when none
    /// frees up in time.
    pub async fn slot(&self) -> Result<Slot, Busy> {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or_else(|| {
                    metrics::counter!("cloudradar_collector_sqlite_reads_refused_total")
                        .increment(1);
                    Busy
                })?,
        };
        metrics::gauge!("cloudradar_collector_sqlite_reads_running").increment(1.0);
        Ok(Slot { _permit: permit })
    }

    /// Runs `f` with a pooled connection on the calling thread (a blocking
    /// one); the caller holds a [`Slot`].
    pub fn blocking<T>(
        &self,
        _slot: &Slot,
        f: impl FnOnce(&Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let conn = match self.pool.lock().ok().and_then(|mut p| p.pop()) {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = f(&conn);
        if let Ok(mut p) = self.pool.lock()
            && p.len() < 8
        {
            p.push(conn);
        }
        out
    }

    /// Takes a slot, then runs `f` with a pooled connection on the blocking
    /// pool. The slot is held until `f` returns, even when the caller
    /// stops waiting (a request timeout), so the bound is real.
    pub async fn query<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let slot = self.slot().await?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.blocking(&slot, f))
            .await
            .context("read task panicked")?
    }
}
