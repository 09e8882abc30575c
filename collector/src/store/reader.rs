//! Read connections for the HTTP API: a small pool, queries run on the
//! blocking thread pool so the runtime never waits on SQLite. WAL lets
//! readers run while the writer commits.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

/// A pool of read-only connections.
#[derive(Debug, Clone)]
pub struct Reader {
    path: PathBuf,
    pool: Arc<Mutex<Vec<Connection>>>,
}

impl Reader {
    /// A pool over the database at `path` (which the writer created).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            pool: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn connect(&self) -> anyhow::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening {} for reading", self.path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn query<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match this.pool.lock().ok().and_then(|mut p| p.pop()) {
                Some(c) => c,
                None => this.connect()?,
            };
            let out = f(&conn);
            if let Ok(mut p) = this.pool.lock()
                && p.len() < 8
            {
                p.push(conn);
            }
            out
        })
        .await
        .context("read task panicked")?
    }
}
