//! The embedded buffer: the bounded queue from ingest. Entries are
//! reported done by acknowledging them to the broker, after their commit;
//! dropped messages are acknowledged in their turn, when nothing taken
//! before them is still outstanding (the loop may take the next entries
//! while earlier ones commit), so every acknowledgement goes out in
//! arrival order.
//!
//! A crash loses the queue, and the broker may have given up on what it
//! held unacknowledged; the agents send such batches again, since none
//! was confirmed.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Buffer, Entry};
use crate::confirm::Confirmer;
use crate::ingest::{Acker, Arrival, Receipt};

/// The queue from ingest as a [`Buffer`].
#[derive(Debug)]
pub struct Embedded {
    queue: mpsc::Receiver<Arrival>,
    acker: Acker,
    confirmer: Confirmer,
    /// A dropped message that came after entries still outstanding.
    held: Option<Arrival>,
    /// Entries taken and not yet reported done.
    outstanding: usize,
}

impl Embedded {
    /// Takes from `queue`; acknowledges through `acker` and confirms
    /// dropped batches through `confirmer`.
    pub fn new(queue: mpsc::Receiver<Arrival>, acker: Acker, confirmer: Confirmer) -> Self {
        Self {
            queue,
            acker,
            confirmer,
            held: None,
            outstanding: 0,
        }
    }

    /// The next arrival: the held one, else from the queue, waiting until
    /// `deadline` only when nothing is taken yet.
    async fn next(&mut self, waiting: bool, deadline: Instant) -> Option<Arrival> {
        if let Some(a) = self.held.take() {
            return Some(a);
        }
        if !waiting {
            return self.queue.try_recv().ok();
        }
        match tokio::time::timeout_at(deadline, self.queue.recv()).await {
            Ok(Some(a)) => Some(a),
            Ok(None) => {
                // Ingest has stopped (shutdown): nothing more comes.
                tokio::time::sleep_until(deadline).await;
                None
            }
            Err(_) => None,
        }
    }
}

impl Buffer for Embedded {
    type Receipt = Receipt;

    async fn take(&mut self, max: usize, wait: Duration) -> Vec<Entry<Receipt>> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < max.max(1) {
            match self.next(out.is_empty(), deadline).await {
                None => break,
                Some(Arrival::Accepted(a)) => out.push(Entry {
                    payload: a.payload,
                    receipt: a.receipt,
                }),
                Some(Arrival::Dropped(d)) if out.is_empty() && self.outstanding == 0 => {
                    d.finish(&self.acker, &self.confirmer).await;
                }
                Some(dropped) => {
                    self.held = Some(dropped);
                    break;
                }
            }
        }
        metrics::gauge!("cloudradar_collector_queue_batches").set(self.queue.len() as f64);
        self.outstanding += out.len();
        out
    }

    fn may_take_ahead(&self) -> bool {
        true
    }

    async fn done(&mut self, receipts: Vec<Receipt>) {
        self.outstanding = self.outstanding.saturating_sub(receipts.len());
        for r in receipts {
            r.ack(&self.acker).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rumqttc::{AsyncClient, Publish, QoS, Request};
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    use super::*;
    use crate::ingest::{Accepted, Dropped};

    fn receipt(pkid: u16, connection: u64) -> Receipt {
        let mut publish = Publish::new("cloudradar/v1/rx-a/frames", QoS::AtLeastOnce, Vec::new());
        publish.pkid = pkid;
        Receipt {
            publish,
            connection,
        }
    }

    fn acked(rx: &flume::Receiver<Request>) -> Vec<u16> {
        let mut out = Vec::new();
        while let Ok(r) = rx.try_recv() {
            if let Request::PubAck(a) = r {
                out.push(a.pkid);
            }
        }
        out
    }

    /// A dropped message behind accepted ones is acknowledged only after
    /// them, so acknowledgements leave in arrival order.
    #[tokio::test]
    async fn acknowledgements_leave_in_arrival_order() {
        let (tx, rx) = flume::bounded(100);
        let acker = Acker::new(AsyncClient::from_senders(tx));
        let on = acker.connected();
        let (confirm_tx, _confirm_rx) = flume::bounded(100);
        let tracker = TaskTracker::new();
        let confirmer = Confirmer::start(
            AsyncClient::from_senders(confirm_tx),
            &tracker,
            CancellationToken::new(),
        );
        let (queue_tx, queue) = mpsc::channel(10);
        let accepted = |pkid| {
            Arrival::Accepted(Accepted {
                receiver: "rx-a".into(),
                seq: u64::from(pkid),
                payload: vec![1],
                receipt: receipt(pkid, on),
            })
        };
        let dropped = |pkid| {
            Arrival::Dropped(Dropped {
                receipt: receipt(pkid, on),
                confirm: None,
            })
        };
        for a in [
            dropped(1),
            accepted(2),
            accepted(3),
            dropped(4),
            accepted(5),
        ] {
            queue_tx.send(a).await.expect("queue");
        }
        let mut buffer = Embedded::new(queue, acker, confirmer);
        let wait = Duration::from_millis(10);
        let first = buffer.take(100, wait).await;
        assert_eq!(first.len(), 2, "stops before the dropped message");
        assert_eq!(acked(&rx), vec![1], "the dropped one at the head at once");
        assert!(
            buffer.take(100, wait).await.is_empty(),
            "taking ahead stops at the dropped one"
        );
        assert_eq!(
            acked(&rx),
            Vec::<u16>::new(),
            "not before the two outstanding"
        );
        buffer
            .done(first.into_iter().map(|e| e.receipt).collect())
            .await;
        let second = buffer.take(100, wait).await;
        assert_eq!(second.len(), 1);
        buffer
            .done(second.into_iter().map(|e| e.receipt).collect())
            .await;
        assert_eq!(acked(&rx), vec![2, 3, 4, 5]);
        assert!(buffer.take(100, wait).await.is_empty());
    }
}
