//! Whole-database operations the backups need: a consistent copy of a
//! live database, and the checks a restored copy must pass before it
//! replaces the store.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

/// Writes a consistent, compacted copy of the database at `db` to `copy`
/// (`VACUUM INTO`: a read transaction, so the writer goes on meanwhile);
/// returns the copy's schema version.
pub fn copy_into(db: &Path, copy: &Path) -> anyhow::Result<i64> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {} to back it up", db.display()))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let schema_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    conn.execute("VACUUM INTO ?1", [copy.to_string_lossy().as_ref()])
        .with_context(|| format!("VACUUM INTO {}", copy.display()))?;
    Ok(schema_version)
}

/// Checks a database file before it is installed: SQLite's integrity
/// check passes and its schema is not newer than this build's.
pub fn check_restorable(path: &Path) -> anyhow::Result<()> {
    let conn = Connection::open(path)?;
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        bail!("integrity check failed: {ok}");
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > super::SCHEMA_VERSION {
        bail!(
            "schema version {version} is newer than this build ({})",
            super::SCHEMA_VERSION
        );
    }
    Ok(())
}
