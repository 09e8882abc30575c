//! The processing loop: takes batches from the buffer (either
//! [`Buffer`]), processes them, has the store commit them, and only then
//! reports them done to the buffer (an acknowledgement to the broker, or
//! XACK) and confirms them to their agents ([`Confirmer`]). A failed
//! commit keeps the batch and retries, with `/readyz` reporting not ready.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use cloudradar_shared::time::now_ms;
use cloudradar_shared::wire::Limits;
use tokio_util::sync::CancellationToken;

use crate::buffer::Buffer;
use crate::confirm::Confirmer;
use crate::health::Health;
use crate::process::{Processor, Snapshot};
use crate::store::WriterHandle;

mod commit;
mod start;

use commit::apply_all;
pub use start::{BufferChoice, Processing};

/// Shared by the loops and the HTTP layer.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Latest live view.
    pub snapshot: Arc<RwLock<Snapshot>>,
    /// Dependency health.
    pub health: Health,
}

fn refresh(processor: &mut Processor, shared: &Shared) {
    let now = now_ms();
    processor.expire(now);
    let snap = processor.snapshot(now);
    metrics::gauge!("cloudradar_collector_aircraft_live").set(snap.aircraft.len() as f64);
    if let Ok(mut s) = shared.snapshot.write() {
        *s = snap;
    }
}

/// How often the live view is rebuilt.
const REFRESH: Duration = Duration::from_millis(500);

/// Most entries taken (and committed in one transaction) at a time.
const TAKE: usize = 100;

/// Everything the processing loop works with.
#[derive(Debug)]
pub struct Pipeline {
    /// Confirms to the agents.
    pub confirmer: Confirmer,
    /// Decoding, positions, de-duplication.
    pub processor: Processor,
    /// The SQLite writer.
    pub writer: WriterHandle,
    /// Batch limits.
    pub limits: Limits,
    /// Live view and health.
    pub shared: Shared,
}

impl Pipeline {
    /// Takes from `buffer` until cancelled: commits, reports done,
    /// confirms, and rebuilds the live view every [`REFRESH`].
    pub async fn run<B: Buffer>(mut self, mut buffer: B, cancel: CancellationToken) {
        let mut last_refresh = std::time::Instant::now();
        loop {
            let entries = tokio::select! {
                _ = cancel.cancelled() => break,
                e = buffer.take(TAKE, REFRESH) => e,
            };
            if !entries.is_empty() {
                let done = apply_all(
                    &mut self.processor,
                    &self.writer,
                    entries,
                    &self.limits,
                    &self.shared.health,
                    &cancel,
                )
                .await;
                let (receipts, confirms): (Vec<_>, Vec<_>) = done.into_iter().unzip();
                buffer.done(receipts).await;
                for (receiver, seq) in confirms.into_iter().flatten() {
                    self.confirmer.done(&receiver, seq).await;
                }
            }
            if last_refresh.elapsed() >= REFRESH {
                last_refresh = std::time::Instant::now();
                refresh(&mut self.processor, &self.shared);
            }
        }
    }
}
