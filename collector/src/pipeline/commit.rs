//! From an encoded batch to a commit: decode, process, hand to the
//! writer, wait for the commit (retrying while it fails), count.

use std::sync::Arc;
use std::time::Duration;

use cloudradar_shared::wire::{self, Limits};
use tokio_util::sync::CancellationToken;

use crate::buffer::Entry;
use crate::health::Health;
use crate::process::Processor;
use crate::store::{Commit, WriterHandle};
use cloudradar_shared::retry::Backoff;
use cloudradar_shared::time::now_ms;

/// A batch decoded and processed, ready to commit.
struct Prepared {
    rows: Arc<crate::store::WriteBatch>,
    receiver: String,
    seq: u64,
    created_ms: u64,
    started: std::time::Instant,
}

/// Decodes and processes one encoded batch; `None` for a malformed one or
/// one with a sequence the store cannot keep (validated at ingest, so only
/// if limits changed or it was buffered by an older collector), which is
/// dropped.
fn prepare(processor: &mut Processor, payload: &[u8], limits: &Limits) -> Option<Prepared> {
    let started = std::time::Instant::now();
    let Ok(batch) = wire::decode(payload, limits) else {
        metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "malformed")
            .increment(1);
        crate::ingest::dropped_bytes("rejected", payload.len());
        return None;
    };
    if let Err(r) = crate::ingest::check_seq(batch.seq) {
        r.record(&batch.receiver_id);
        return None;
    }
    let rows = Arc::new(processor.process(&batch, now_ms()));
    Some(Prepared {
        rows,
        receiver: batch.receiver_id,
        seq: batch.seq,
        created_ms: batch.created_ms,
        started,
    })
}

/// Records a committed batch's metrics.
fn committed(p: &Prepared, applied: bool, health: &Health) {
    health.set_sqlite(true);
    if applied {
        metrics::counter!("cloudradar_collector_batches_stored_total").increment(1);
        metrics::counter!("cloudradar_collector_frames_stored_total")
            .increment(p.rows.frames as u64);
    } else {
        metrics::counter!("cloudradar_collector_batches_duplicate_total").increment(1);
    }
    let lag = now_ms().saturating_sub(p.created_ms) as f64 / 1000.0;
    metrics::histogram!("cloudradar_collector_batch_lag_seconds").record(lag);
    metrics::histogram!("cloudradar_collector_process_seconds")
        .record(p.started.elapsed().as_secs_f64());
}

/// Commits a prepared batch, retrying until it works or the collector
/// stops. Returns `false` if cancelled first.
async fn commit(
    p: &Prepared,
    writer: &WriterHandle,
    health: &Health,
    cancel: &CancellationToken,
) -> bool {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        match writer.write(p.rows.clone()).await {
            Ok(applied) => {
                committed(p, applied, health);
                return true;
            }
            Err(e) => {
                health.set_sqlite(false);
                tracing::error!(error = %e, receiver = %p.receiver, seq = p.seq, "batch not stored; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(backoff.next()) => {}
                }
            }
        }
    }
}

/// A batch's commit, under way in the writer.
type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Commit> + Send>>;

/// One entry handed on, in the order taken.
enum Item<R> {
    /// Not stored (malformed, or a sequence the store cannot keep): done
    /// at once, confirmed where its header names it.
    Dropped(R, Option<(String, u64)>),
    /// Handed to the writer.
    Submitted(R, Prepared, Result<Pending, String>),
}

/// Entries processed and handed to the writer, whose commits are not yet
/// awaited: the loop takes and processes the next entries meanwhile.
pub struct Submitted<R> {
    items: Vec<Item<R>>,
}

impl<R> Submitted<R> {
    /// Whether nothing was taken.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Processes entries and hands every batch to the writer without waiting
/// for a commit, so one transaction holds many batches (one at a time,
/// the commit round trip capped throughput at ~150,000 frames/s with half
/// the CPU idle).
pub async fn submit_all<R>(
    processor: &mut Processor,
    writer: &WriterHandle,
    entries: Vec<Entry<R>>,
    limits: &Limits,
) -> Submitted<R> {
    let mut items = Vec::with_capacity(entries.len());
    for e in entries {
        let Some(p) = prepare(processor, &e.payload, limits) else {
            items.push(Item::Dropped(e.receipt, wire::peek_header(&e.payload)));
            continue;
        };
        let pending = writer
            .submit(p.rows.clone())
            .await
            .map(|f| Box::pin(f) as Pending);
        items.push(Item::Submitted(e.receipt, p, pending));
    }
    Submitted { items }
}

/// Waits for the commits (retrying a failed one until it works or the
/// collector stops). Returns the entries done, in the order taken, up to
/// the first one not committed: their receipts, and the (receiver, seq)
/// to confirm where known.
pub async fn finish<R>(
    submitted: Submitted<R>,
    writer: &WriterHandle,
    health: &Health,
    cancel: &CancellationToken,
) -> Vec<(R, Option<(String, u64)>)> {
    let mut done = Vec::with_capacity(submitted.items.len());
    for item in submitted.items {
        let (receipt, p, pending) = match item {
            Item::Dropped(receipt, confirm) => {
                done.push((receipt, confirm));
                continue;
            }
            Item::Submitted(receipt, p, pending) => (receipt, p, pending),
        };
        let result = match pending {
            Ok(commit) => commit.await,
            Err(e) => Err(e),
        };
        let ok = match result {
            Ok(applied) => {
                committed(&p, applied, health);
                true
            }
            Err(e) => {
                health.set_sqlite(false);
                tracing::error!(error = %e, receiver = %p.receiver, seq = p.seq, "batch not stored; retrying");
                commit(&p, writer, health, cancel).await
            }
        };
        if !ok {
            break;
        }
        done.push((receipt, Some((p.receiver, p.seq))));
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Processor;
    use cloudradar_shared::wire::{Batch, encode};

    /// Regression: a batch numbered 2^63 or above that reached the buffer
    /// (accepted by a collector without the check at ingest) was processed
    /// and stored with a negative sequence.
    #[test]
    fn a_buffered_batch_with_a_sequence_the_store_cannot_keep_is_dropped() {
        let mut processor = Processor::new(0, 1000, Default::default());
        let batch = |seq| {
            encode(&Batch {
                receiver_id: "rx-a".into(),
                seq,
                created_ms: 1,
                frames: vec![],
            })
        };
        assert!(prepare(&mut processor, &batch(1 << 63), &Limits::default()).is_none());
        let kept = prepare(&mut processor, &batch(7), &Limits::default());
        assert_eq!(kept.map(|p| p.rows.seq), Some(7));
    }

    /// Regression: a dropped entry between stored ones was reported done
    /// before them, so the embedded buffer acknowledged out of order.
    #[tokio::test]
    async fn entries_are_done_in_the_order_taken() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, handle) = crate::store::Writer::start(
            dir.path().join("db.sqlite"),
            60_000,
            crate::store::Retention {
                positions_ms: i64::MAX,
                messages_ms: i64::MAX,
                batches_ms: i64::MAX,
                archived_only: false,
            },
            0,
            None,
        )
        .expect("writer");
        let mut processor = Processor::new(0, 1000, Default::default());
        let batch = |seq| {
            encode(&Batch {
                receiver_id: "rx-a".into(),
                seq,
                created_ms: 1,
                frames: vec![],
            })
        };
        let entries = vec![
            Entry {
                payload: batch(1),
                receipt: 'a',
            },
            Entry {
                payload: b"not a batch".to_vec(),
                receipt: 'b',
            },
            Entry {
                payload: batch(2),
                receipt: 'c',
            },
        ];
        let submitted = submit_all(&mut processor, &handle, entries, &Limits::default()).await;
        let health = Health::new(false);
        let done = finish(submitted, &handle, &health, &CancellationToken::new()).await;
        let receipts: Vec<char> = done.iter().map(|d| d.0).collect();
        assert_eq!(receipts, vec!['a', 'b', 'c']);
        assert_eq!(done[2].1, Some(("rx-a".to_string(), 2)));
        drop(handle);
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .expect("join");
    }
}
