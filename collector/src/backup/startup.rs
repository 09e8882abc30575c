//! Restoring the latest backup when the collector starts without a
//! database.

use anyhow::Context;

use super::{Backups, Which};

/// The database is missing: restore the newest backup if there is one.
/// A backup that exists but cannot be restored stops the start, so an
/// empty database never silently replaces the history.
pub async fn restore_if_missing(b: &Backups) -> anyhow::Result<()> {
    let found = b
        .list()
        .await
        .context("database missing; looking for a backup to restore (set restore_on_start = false to start empty)")?;
    if found.is_empty() {
        tracing::info!("no database and no backup: starting empty");
        return Ok(());
    }
    b.restore(Which::Latest, false)
        .await
        .context("database missing; restoring the latest backup (set restore_on_start = false to start empty)")?;
    Ok(())
}
