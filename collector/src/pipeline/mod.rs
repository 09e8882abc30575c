//! The processing loop: takes batches from the buffer (either
//! [`Buffer`]), processes them, has the store commit them, and only then
//! reports them done to the buffer (an acknowledgement to the broker, or
//! XACK) and confirms them to their agents ([`Confirmer`]). A failed
//! commit keeps the batch and retries, with `/readyz` reporting not ready.
//! Multilaterated fixes are committed the same way ([`store_mlat`]).

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
mod mlat;
mod start;

use commit::{Submitted, finish, submit_all};
pub use mlat::store_mlat;
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
    /// confirms, and rebuilds the live view every [`REFRESH`]. Two groups
    /// are in hand at once where the buffer allows it: while the writer
    /// commits one, the next is taken and processed, so neither the
    /// writer nor the processor waits for the other.
    pub async fn run<B: Buffer>(mut self, mut buffer: B, cancel: CancellationToken) {
        let mut last_refresh = std::time::Instant::now();
        let mut in_hand: Option<Submitted<B::Receipt>> = None;
        loop {
            if in_hand.is_some() && !buffer.may_take_ahead() {
                self.finish(in_hand.take(), &mut buffer, &cancel).await;
            }
            // With a group in hand, only what is there already.
            let wait = if in_hand.is_some() {
                Duration::ZERO
            } else {
                REFRESH
            };
            let entries = tokio::select! {
                _ = cancel.cancelled() => break,
                e = buffer.take(TAKE, wait) => e,
            };
            let next = submit_all(&mut self.processor, &self.writer, entries, &self.limits).await;
            self.finish(in_hand.take(), &mut buffer, &cancel).await;
            in_hand = (!next.is_empty()).then_some(next);
            if last_refresh.elapsed() >= REFRESH {
                last_refresh = std::time::Instant::now();
                self.multilaterate(&cancel).await;
                refresh(&mut self.processor, &self.shared);
            }
        }
        // Already with the writer: their commits are awaited, not dropped.
        self.finish(in_hand, &mut buffer, &cancel).await;
    }

    /// Stores the fixes the multilateration engine has finished, and
    /// publishes its figures.
    async fn multilaterate(&mut self, cancel: &CancellationToken) {
        let fixes = self.processor.poll_mlat(now_ms());
        if !fixes.is_empty() {
            let (writer, health) = (&self.writer, &self.shared.health);
            store_mlat(&mut self.processor, &fixes, writer, health, cancel).await;
        }
        if let Some(m) = self.processor.mlat_metrics() {
            m.publish();
        }
    }

    /// Waits for a group's commits, reports it done to the buffer and
    /// confirms it to the agents.
    async fn finish<B: Buffer>(
        &mut self,
        group: Option<Submitted<B::Receipt>>,
        buffer: &mut B,
        cancel: &CancellationToken,
    ) {
        let Some(group) = group else { return };
        let done = finish(group, &self.writer, &self.shared.health, cancel).await;
        let (receipts, confirms): (Vec<_>, Vec<_>) = done.into_iter().unzip();
        buffer.done(receipts).await;
        for (receiver, seq) in confirms.into_iter().flatten() {
            self.confirmer.done(&receiver, seq).await;
        }
    }
}
