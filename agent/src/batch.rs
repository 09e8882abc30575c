//! Batching: accepted frames are grouped into batches, closed when full
//! (`batch_max_frames`) or when the oldest frame has waited
//! `batch_interval_ms`, numbered, encoded in the wire format and handed to
//! the publisher (which spools them before sending).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cloudradar_shared::wire::{self, Batch, WireFrame};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::filter::Filter;
use crate::identity::Sequence;
use crate::input::position::{self, Mark};
use cloudradar_shared::time::now_ms;

use crate::input::Arrival;

/// While no sequence number can be saved, frames are held for up to this
/// many batches; beyond, the oldest are dropped and counted.
const HELD_BATCHES: usize = 8;

/// An encoded batch on its way to the spool and the broker.
#[derive(Debug)]
pub struct Encoded {
    /// Sequence number.
    pub seq: u64,
    /// When it was closed, Unix ms.
    pub created_ms: u64,
    /// Wire bytes.
    pub data: Vec<u8>,
    /// When its oldest frame was accepted (for the delivery latency).
    pub oldest: std::time::Instant,
    /// How far into each file input its frames reach (saved once spooled).
    pub marks: Vec<Mark>,
}

/// What the batcher hands the publisher, in order.
#[derive(Debug)]
pub enum Output {
    /// A batch to spool and send.
    Batch(Encoded),
    /// How far into each file input frames that made no batch reach (the
    /// tail of a file that was all filtered out), to record once every
    /// batch before them is spooled; otherwise a restart would read that
    /// tail again and send what the filter had dropped.
    Marks(Vec<Mark>),
}

/// Counters shared with the status reporter.
#[derive(Debug, Default)]
pub struct Stats {
    /// Frames accepted.
    pub accepted: AtomicU64,
    /// Frames rejected.
    pub rejected: AtomicU64,
}

/// Batcher settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Receiver id written into every batch.
    pub receiver_id: String,
    /// Close a batch at this many frames.
    pub max_frames: usize,
    /// Close a batch this long after its first frame.
    pub interval: Duration,
}

/// Runs until the inputs end or `cancel` fires; always flushes what it holds.
pub async fn run(
    settings: Settings,
    mut filter: Filter,
    mut seq: Sequence,
    mut frames: mpsc::Receiver<Arrival>,
    out: mpsc::Sender<Output>,
    stats: Arc<Stats>,
    cancel: CancellationToken,
) {
    let mut current: Vec<WireFrame> = Vec::with_capacity(settings.max_frames);
    let mut deadline: Option<Instant> = None;
    let mut oldest = Instant::now();
    let mut marks: Vec<Mark> = Vec::new();
    loop {
        let timer = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let closing = tokio::select! {
            _ = cancel.cancelled() => true,
            _ = timer => { flush(&settings, &mut current, oldest, &mut marks, &mut seq, &out).await; deadline = None; false }
            a = frames.recv() => match a {
                None => true,
                Some(a) => {
                    if let Some(m) = a.mark {
                        position::note(&mut marks, m);
                    }
                    match filter.accept(&a) {
                        Some(f) => {
                            stats.accepted.fetch_add(1, Ordering::Relaxed);
                            if current.is_empty() {
                                oldest = Instant::now();
                            }
                            current.push(f);
                            if deadline.is_none() {
                                deadline = Some(Instant::now() + settings.interval);
                            }
                        }
                        None => {
                            stats.rejected.store(filter.counts.rejected, Ordering::Relaxed);
                        }
                    }
                    if current.len() >= settings.max_frames {
                        flush(&settings, &mut current, oldest, &mut marks, &mut seq, &out).await;
                        deadline = None;
                    }
                    false
                }
            },
        };
        if closing {
            // Take whatever the inputs already delivered, then flush.
            while let Ok(a) = frames.try_recv() {
                if let Some(m) = a.mark {
                    position::note(&mut marks, m);
                }
                if let Some(f) = filter.accept(&a) {
                    if current.is_empty() {
                        oldest = Instant::now();
                    }
                    current.push(f);
                    if current.len() >= settings.max_frames {
                        flush(&settings, &mut current, oldest, &mut marks, &mut seq, &out).await;
                    }
                }
            }
            flush(&settings, &mut current, oldest, &mut marks, &mut seq, &out).await;
            if !marks.is_empty() {
                let _ = out.send(Output::Marks(std::mem::take(&mut marks))).await;
            }
            return;
        }
    }
}

async fn flush(
    settings: &Settings,
    current: &mut Vec<WireFrame>,
    oldest: Instant,
    marks: &mut Vec<Mark>,
    seq: &mut Sequence,
    out: &mpsc::Sender<Output>,
) {
    if current.is_empty() {
        return;
    }
    let n = match seq.take() {
        Ok(n) => n,
        Err(e) => {
            // Without a durable sequence number the batch could be mistaken for a
            // duplicate; keep the frames and try again at the next flush, but
            // not without bound (the disk is full or failing).
            let excess = current
                .len()
                .saturating_sub(settings.max_frames * HELD_BATCHES);
            current.drain(..excess);
            if excess > 0 {
                metrics::counter!("cloudradar_agent_frames_dropped_total").increment(excess as u64);
            }
            tracing::error!(error = %format!("{e:#}"), held = current.len(), dropped = excess, "cannot reserve a batch sequence number");
            return;
        }
    };
    let batch = Batch {
        receiver_id: settings.receiver_id.clone(),
        seq: n,
        created_ms: now_ms(),
        frames: std::mem::take(current),
    };
    let data = wire::encode(&batch);
    metrics::counter!("cloudradar_agent_batches_total").increment(1);
    metrics::counter!("cloudradar_agent_upstream_bytes_total").increment(data.len() as u64);
    let _ = out
        .send(Output::Batch(Encoded {
            seq: n,
            created_ms: batch.created_ms,
            data,
            oldest: oldest.into_std(),
            marks: std::mem::take(marks),
        }))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::BLOCK;

    /// Regression: while no sequence number could be saved (disk full),
    /// every new frame joined the open batch, without bound.
    #[tokio::test]
    async fn frames_held_without_a_sequence_number_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut seq = Sequence::open(dir.path(), 0).unwrap();
        for _ in 0..BLOCK {
            seq.take().unwrap();
        }
        // The next block cannot be saved: a directory squats on the temp name.
        std::fs::create_dir(dir.path().join("sequence.tmp")).unwrap();
        let settings = Settings {
            receiver_id: "rx-test".into(),
            max_frames: 10,
            interval: Duration::from_millis(250),
        };
        let frame = WireFrame {
            rx_ms: 1,
            timestamp: 0,
            signal: 0,
            frame: cloudradar_shared::frame::Frame::new(&[0x5d, 0x4c, 0xa2, 0xd4, 0, 0, 0])
                .unwrap(),
        };
        let (tx, mut rx) = mpsc::channel::<Output>(4);
        let mut current: Vec<WireFrame> = (0..HELD_BATCHES * 10 + 25)
            .map(|i| WireFrame {
                rx_ms: i as u64,
                ..frame
            })
            .collect();
        let flush_now = async |current: &mut Vec<WireFrame>, seq: &mut Sequence| {
            flush(
                &settings,
                current,
                Instant::now(),
                &mut Vec::new(),
                seq,
                &tx,
            )
            .await;
        };
        flush_now(&mut current, &mut seq).await;
        assert_eq!(current.len(), HELD_BATCHES * 10, "held up to the bound");
        assert_eq!(current[0].rx_ms, 25, "the oldest dropped");
        assert!(rx.try_recv().is_err(), "no batch without a number");
        std::fs::remove_dir(dir.path().join("sequence.tmp")).unwrap();
        flush_now(&mut current, &mut seq).await;
        assert!(current.is_empty());
        assert!(rx.try_recv().is_ok(), "sent once a number can be saved");
    }
}
