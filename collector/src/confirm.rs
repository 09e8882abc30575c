//! Delivery confirmations to the agents (decision record 0007): the
//! processing loops report each batch they are done with (committed to
//! SQLite, or deliberately dropped and counted), and once every
//! [`FLUSH`] this task publishes one [`Done`] message per receiver at QoS 1
//! to `cloudradar/v1/<receiver>/done`. Only then does the agent delete the
//! batch from its spool.
//!
//! A confirmation that does not get out (the broker connection is down)
//! is not retried here: the agent sends the batch again after a reconnect
//! or its timeout, the store recognises it, and it is confirmed again.
//!
//! Talks to: the broker, through the subscriber's MQTT client.

use std::collections::HashMap;
use std::time::Duration;

use cloudradar_shared::wire::{Done, done_topic};
use rumqttc::{AsyncClient, QoS};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::component::{Component, Tasks};

/// How often gathered confirmations go out.
pub const FLUSH: Duration = Duration::from_millis(100);

/// Confirmations waiting for the task: enough for every batch of a busy
/// second; beyond, reporting waits (the loops are not faster than this).
const QUEUE: usize = 10_000;

/// Hands finished batches to the confirmation task.
#[derive(Debug, Clone)]
pub struct Confirmer {
    tx: mpsc::Sender<(String, u64)>,
}

impl Confirmer {
    /// Starts the task publishing through `client`, until cancelled (it
    /// sends what it gathered once more before it ends).
    pub fn start(client: AsyncClient, tracker: &TaskTracker, cancel: CancellationToken) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tracker.spawn(run(client, rx, cancel));
        Self { tx }
    }

    /// Batch `seq` of `receiver` is done: stored, or dropped and counted.
    pub async fn done(&self, receiver: &str, seq: u64) {
        let _ = self.tx.send((receiver.to_string(), seq)).await;
    }
}

/// The confirmation task, to start.
#[derive(Debug)]
pub struct Confirmations {
    /// The subscriber's client: confirmations go out on its connection.
    pub client: AsyncClient,
}

impl Component for Confirmations {
    type Handle = Confirmer;

    async fn start(self, tasks: &Tasks) -> anyhow::Result<Confirmer> {
        Ok(Confirmer::start(
            self.client,
            &tasks.tracker,
            tasks.cancel.clone(),
        ))
    }
}

async fn run(
    client: AsyncClient,
    mut rx: mpsc::Receiver<(String, u64)>,
    cancel: CancellationToken,
) {
    let mut gathered: HashMap<String, Vec<u64>> = HashMap::new();
    let mut tick = tokio::time::interval(FLUSH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => publish(&client, &mut gathered),
            d = rx.recv() => match d {
                Some((receiver, seq)) => gathered.entry(receiver).or_default().push(seq),
                None => break,
            },
        }
    }
    while let Ok((receiver, seq)) = rx.try_recv() {
        gathered.entry(receiver).or_default().push(seq);
    }
    publish(&client, &mut gathered);
}

/// Publishes and forgets what was gathered.
fn publish(client: &AsyncClient, gathered: &mut HashMap<String, Vec<u64>>) {
    for (receiver, seqs) in gathered.drain() {
        let done = Done::from_seqs(seqs);
        for part in done.chunks() {
            match client.try_publish(
                done_topic(&receiver),
                QoS::AtLeastOnce,
                false,
                part.encode(),
            ) {
                Ok(()) => {
                    metrics::counter!("cloudradar_collector_confirmations_sent_total").increment(1)
                }
                Err(e) => {
                    metrics::counter!("cloudradar_collector_confirmations_failed_total")
                        .increment(1);
                    tracing::debug!(receiver, error = %e, "confirmation not sent; the agent sends the batches again");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::Request;

    #[tokio::test]
    async fn finished_batches_go_out_as_one_message_per_receiver() {
        let (tx, rx) = flume::bounded(100);
        let client = AsyncClient::from_senders(tx);
        let tracker = TaskTracker::new();
        let cancel = CancellationToken::new();
        let c = Confirmer::start(client, &tracker, cancel.clone());
        for seq in [5, 3, 4, 9] {
            c.done("rx-a", seq).await;
        }
        c.done("rx-b", 1).await;
        cancel.cancel();
        tracker.close();
        tracker.wait().await;
        let mut sent: Vec<(String, Done)> = Vec::new();
        while let Ok(r) = rx.try_recv() {
            if let Request::Publish(p) = r {
                assert_eq!(p.qos, QoS::AtLeastOnce);
                assert!(!p.retain);
                sent.push((p.topic.clone(), Done::decode(&p.payload).expect("a Done")));
            }
        }
        sent.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            sent,
            vec![
                (
                    "cloudradar/v1/rx-a/done".to_string(),
                    Done::from_seqs([3, 4, 5, 9])
                ),
                ("cloudradar/v1/rx-b/done".to_string(), Done::from_seqs([1])),
            ]
        );
    }
}
