//! In-process backups as a component: one every `backup_interval_hours`.

use std::sync::Arc;
use std::time::Duration;

use super::Backups;
use crate::component::{Component, Tasks};

/// Backs up on a fixed interval until the collector stops.
#[derive(Debug)]
pub struct Schedule {
    /// Where backups go.
    pub backups: Arc<Backups>,
    /// Time between two backups.
    pub every: Duration,
}

impl Component for Schedule {
    type Handle = ();

    async fn start(self, tasks: &Tasks) -> anyhow::Result<()> {
        let cancel = tasks.cancel.clone();
        tasks.spawn(async move { self.backups.schedule(self.every, cancel).await });
        Ok(())
    }
}
