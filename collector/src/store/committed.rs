//! What the writer hands on after each commit: every applied batch with
//! the rowid of its first reception, for a reader that follows the store
//! as it is written (the archive's spool) instead of reading the rows
//! back. The writer never waits for that reader.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use super::rows::WriteBatch;

/// One applied batch whose receptions were inserted as the rowids
/// `first_reception ..` (in order, one each).
#[derive(Debug, Clone)]
pub struct Committed {
    /// The rowid of the batch's first reception.
    pub first_reception: i64,
    /// The batch as committed.
    pub batch: Arc<WriteBatch>,
}

/// The writer's side of the hand-over.
#[derive(Debug, Clone)]
pub struct CommitFeed(SyncSender<Committed>);

impl CommitFeed {
    /// A hand-over holding at most `bound` batches.
    pub fn channel(bound: usize) -> (Self, Receiver<Committed>) {
        let (tx, rx) = sync_channel(bound);
        (Self(tx), rx)
    }

    /// Hands `c` on without waiting. A reader that has fallen behind
    /// misses it, and finds out from the rowids that do not follow on.
    pub fn offer(&self, c: Committed) {
        match self.0.try_send(c) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                metrics::counter!("cloudradar_collector_commit_feed_dropped_total").increment(1);
            }
        }
    }
}
