//! The subscriber as a component: one MQTT connection to the broker,
//! polled in its own task, handing every batch message to the queue in
//! arrival order, and holding receivers back (through the embedded
//! broker's gate) while that queue is nearly full.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cloudradar_shared::retry::Backoff;
use cloudradar_shared::wire::Limits;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{
    Acker, Arrival, Connection, FRAMES_FILTER, Outputs, RateLimit, SHARED_FRAMES_FILTER,
    STATUS_FILTER, StatusUpdate, backpressure, handle,
};
use crate::component::{Component, Tasks};
use crate::health::Health;

/// The client id the collector subscribes with.
pub const CLIENT_ID: &str = "cloudradar-collector";

/// Receiver status messages waiting to be recorded.
const STATUS_QUEUE: usize = 1000;

/// The subscriber, built but not yet connected.
pub struct Subscriber {
    acker: Acker,
    eventloop: EventLoop,
    limits: Limits,
    connection: Connection,
    outputs: Outputs,
    hold: watch::Sender<bool>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("host", &self.connection.host)
            .field("port", &self.connection.port)
            .finish_non_exhaustive()
    }
}

/// What the subscriber delivers, for the parts behind it.
#[derive(Debug)]
pub struct Intake {
    /// Every batch message, in arrival order.
    pub queue: mpsc::Receiver<Arrival>,
    /// Receiver status messages.
    pub status: mpsc::Receiver<StatusUpdate>,
    /// Acknowledges to the broker; its client also sends confirmations.
    pub acker: Acker,
}

/// How the subscriber takes batches.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Batch limits.
    pub limits: Limits,
    /// Batches the queue holds (at least one).
    pub queue_capacity: usize,
    /// Per-receiver rate limit (frames a second, 0 = none).
    pub receiver_max_frames_per_s: u64,
}

impl Subscriber {
    /// A subscriber to `connection`; `open` is set once it is subscribed,
    /// `hold` while its queue is nearly full.
    pub fn new(
        connection: Connection,
        settings: Settings,
        open: Arc<AtomicBool>,
        hold: watch::Sender<bool>,
        health: Health,
    ) -> (Self, Intake) {
        let (client, eventloop) = connect(&connection, CLIENT_ID);
        let acker = Acker::new(client);
        let capacity = settings.queue_capacity.max(1);
        let (queue_tx, queue) = mpsc::channel(capacity);
        let (status_tx, status) = mpsc::channel(STATUS_QUEUE);
        metrics::gauge!("cloudradar_collector_queue_capacity").set(capacity as f64);
        let outputs = Outputs {
            queue: queue_tx,
            status: status_tx,
            health,
            subscribed: open,
            rate_limit: RateLimit::new(settings.receiver_max_frames_per_s),
        };
        let intake = Intake {
            queue,
            status,
            acker: acker.clone(),
        };
        let this = Self {
            acker,
            eventloop,
            limits: settings.limits,
            connection,
            outputs,
            hold,
        };
        (this, intake)
    }
}

impl Component for Subscriber {
    type Handle = ();

    async fn start(self, tasks: &Tasks) -> anyhow::Result<()> {
        tasks.spawn(backpressure::run(
            self.outputs.queue.clone(),
            self.hold,
            tasks.cancel.clone(),
        ));
        tasks.spawn(run(
            self.acker,
            self.eventloop,
            self.limits,
            self.connection,
            self.outputs,
            tasks.cancel.clone(),
        ));
        Ok(())
    }
}

/// Connects the subscriber; returns the client (for acks) and its event loop.
fn connect(conn: &Connection, client_id: &str) -> (AsyncClient, EventLoop) {
    let mut opts = MqttOptions::new(client_id, conn.host.clone(), conn.port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_manual_acks(true);
    opts.set_clean_session(false);
    opts.set_max_packet_size(4 << 20, 4 << 20);
    opts.set_inflight(100);
    if let Some((u, p)) = &conn.credentials {
        opts.set_credentials(u.clone(), p.clone());
    }
    AsyncClient::new(opts, 1000)
}

/// Batches held while the queue is full: more than the embedded broker
/// sends unacknowledged (its in-flight window is 500); beyond, the
/// subscriber stops taking events until there is room.
const MAX_WAITING: usize = 1_000;

/// Runs the subscriber until cancelled: validated batches go to `queue`,
/// status messages to `status`; `subscribed` is set once the broker
/// confirmed the subscription.
///
/// The connection is polled in its own task and kept alive while the
/// queue is full (a Redis or SQLite outage): the batches the broker still
/// sends (at most its in-flight window, since none is acknowledged) wait
/// here in order. Blocked instead, the client would miss its keep-alive,
/// the broker would drop the connection, and every batch queued from it
/// would have to be received again.
async fn run(
    acker: Acker,
    eventloop: EventLoop,
    limits: Limits,
    conn: Connection,
    out: Outputs,
    cancel: CancellationToken,
) {
    let Outputs {
        queue,
        status,
        health,
        subscribed,
        mut rate_limit,
    } = out;
    let client = acker.client();
    let (poller, mut events) = spawn_poller(eventloop);
    let mut waiting: VecDeque<Arrival> = VecDeque::new();
    let mut on = 0;
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => break,
            permit = queue.reserve(), if !waiting.is_empty() => {
                let (Ok(permit), Some(a)) = (permit, waiting.pop_front()) else { break };
                permit.send(a);
                continue;
            }
            e = events.recv(), if waiting.len() < MAX_WAITING => match e {
                Some(e) => e,
                None => break,
            },
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                on = acker.connected();
                subscribe(client, &conn).await;
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                // Both filters are subscribed in order; the first SubAck is enough to
                // stop batches being lost, and the embedded broker opens to receivers.
                subscribed.store(true, Ordering::Release);
                health.set_broker(true);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if let Some(a) = handle(&acker, on, p, &limits, &mut rate_limit, &status).await {
                    // In order: behind whatever already waits.
                    if waiting.is_empty() {
                        match queue.try_send(a) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(a)) => waiting.push_back(a),
                            Err(mpsc::error::TrySendError::Closed(_)) => break,
                        }
                    } else {
                        waiting.push_back(a);
                    }
                }
            }
            Ok(_) => {}
            Err((e, retry_in)) => {
                health.set_broker(false);
                metrics::gauge!("cloudradar_collector_mqtt_connected").set(0.0);
                metrics::counter!("cloudradar_collector_mqtt_reconnects_total").increment(1);
                tracing::warn!(error = %e, retry_in_ms = retry_in.as_millis() as u64, "MQTT connection lost");
            }
        }
    }
    poller.abort();
    let _ = client.disconnect().await;
}

/// On a new connection: subscribes to batches and status, and on an
/// external broker drops the other batch filter, which a persistent
/// session kept from an earlier configuration (else every batch would
/// arrive twice).
async fn subscribe(client: &AsyncClient, conn: &Connection) {
    metrics::gauge!("cloudradar_collector_mqtt_connected").set(1.0);
    tracing::info!("connected to MQTT broker");
    let (frames_filter, other_filter) = if conn.shared {
        (SHARED_FRAMES_FILTER, FRAMES_FILTER)
    } else {
        (FRAMES_FILTER, SHARED_FRAMES_FILTER)
    };
    for (filter, qos) in [
        (frames_filter, QoS::AtLeastOnce),
        (STATUS_FILTER, QoS::AtMostOnce),
    ] {
        if let Err(e) = client.subscribe(filter, qos).await {
            tracing::warn!(error = %e, filter, "subscribe failed");
        }
    }
    if conn.external
        && let Err(e) = client.unsubscribe(other_filter).await
    {
        tracing::warn!(error = %e, filter = other_filter, "unsubscribe failed");
    }
}

/// An event, or a lost connection with the time until the next attempt.
type Polled = Result<Event, (String, Duration)>;

/// Polls the connection in its own task (`EventLoop::poll` must not be
/// cancelled half way), reconnecting with backoff, and forwards every
/// event in order.
fn spawn_poller(mut eventloop: EventLoop) -> (tokio::task::JoinHandle<()>, mpsc::Receiver<Polled>) {
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(async move {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        loop {
            let polled = match eventloop.poll().await {
                Ok(e) => {
                    if matches!(e, Event::Incoming(Packet::ConnAck(_))) {
                        backoff.reset();
                    }
                    Ok(e)
                }
                Err(e) => Err((e.to_string(), backoff.next())),
            };
            let wait = polled.as_ref().err().map(|(_, retry_in)| *retry_in);
            if tx.send(polled).await.is_err() {
                return;
            }
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
            }
        }
    });
    (task, rx)
}
