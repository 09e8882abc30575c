//! The shape every part of the collector has: a value built from its
//! settings and what it talks to, started under the shared [`Tasks`] (the
//! shutdown token it stops on, the tracker its tasks run in), giving back
//! a handle for the parts started after it. `app::start` is the list of
//! them, in order.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every component starts under: shutdown waits for all its tasks.
#[derive(Debug, Clone)]
pub struct Tasks {
    /// Every task of every component.
    pub tracker: TaskTracker,
    /// Cancelled when the collector stops.
    pub cancel: CancellationToken,
}

impl Tasks {
    /// Tasks stopping on `cancel`.
    pub fn new(cancel: CancellationToken) -> Self {
        Self {
            tracker: TaskTracker::new(),
            cancel,
        }
    }

    /// Runs `task` as one of the collector's tasks.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }
}

/// A part of the collector.
pub trait Component {
    /// What the parts started after it use to talk to it.
    type Handle;

    /// Starts its tasks under `tasks`; returns once it is ready for use.
    fn start(self, tasks: &Tasks) -> impl Future<Output = anyhow::Result<Self::Handle>> + Send;
}
