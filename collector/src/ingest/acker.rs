//! Acknowledging batches to the broker on the connection they came on.
//!
//! Packet ids belong to a connection: after a reconnect the broker
//! redelivers what was not acknowledged, under new ids (rumqttd starts
//! again at 1). A batch still queued from the old connection must not be
//! acknowledged on the new one: its id would acknowledge another message,
//! not yet durable, or arrive out of order, which rumqttd answers by
//! closing the connection, again and again. Such acknowledgements are
//! skipped and counted; the broker's redelivered copy is acknowledged
//! instead, and the store recognises the batch as already applied.
//! (rumqttc queues requests across a reconnect, so an acknowledgement
//! issued in the instant the connection drops can still go out on the next
//! one; the window is that instant, not the whole queue.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rumqttc::{AsyncClient, Publish};

/// The subscriber's client and the number of its current connection.
#[derive(Debug, Clone)]
pub struct Acker {
    client: AsyncClient,
    connection: Arc<AtomicU64>,
}

impl Acker {
    /// Acknowledges through `client`; no connection yet.
    pub fn new(client: AsyncClient) -> Self {
        Self {
            client,
            connection: Arc::default(),
        }
    }

    /// The client, for everything but acknowledgements.
    pub fn client(&self) -> &AsyncClient {
        &self.client
    }

    /// A new connection is up (its ConnAck arrived); returns its number.
    pub fn connected(&self) -> u64 {
        self.connection.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Acknowledges `publish`, received on connection `on`, if that is
    /// still the connection.
    pub async fn ack(&self, publish: &Publish, on: u64) {
        if on == self.connection.load(Ordering::Acquire) {
            let _ = self.client.ack(publish).await;
        } else {
            metrics::counter!("cloudradar_collector_mqtt_stale_acks_total").increment(1);
            tracing::debug!(
                pkid = publish.pkid,
                on,
                "not acknowledged: received on an earlier connection (the broker redelivers it)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::{QoS, Request};

    /// Regression: batches queued from a connection that dropped were
    /// acknowledged on the next one, under packet ids that connection
    /// had given to other messages.
    #[tokio::test]
    async fn only_the_current_connection_is_acknowledged() {
        let (tx, rx) = flume::bounded(10);
        let acker = Acker::new(AsyncClient::from_senders(tx));
        let mut p = Publish::new("cloudradar/v1/rx/frames", QoS::AtLeastOnce, Vec::new());
        p.pkid = 5;
        let first = acker.connected();
        acker.ack(&p, first).await;
        let second = acker.connected();
        acker.ack(&p, first).await; // stale: skipped
        p.pkid = 6;
        acker.ack(&p, second).await;
        let mut acked = Vec::new();
        while let Ok(r) = rx.try_recv() {
            if let Request::PubAck(a) = r {
                acked.push(a.pkid);
            }
        }
        assert_eq!(acked, vec![5, 6]);
    }
}
