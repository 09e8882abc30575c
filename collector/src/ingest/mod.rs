//! Ingest: the collector's MQTT subscriber. Receives batches from
//! `cloudradar/v1/<receiver>/frames` (on an external broker optionally as
//! a shared subscription, so replicas split the load) and receiver status
//! from `cloudradar/v1/<receiver>/status`, validates each batch, and hands
//! it to the buffer. The MQTT message is acknowledged only once the buffer
//! holds it durably (manual acks), so a collector crash makes the broker
//! redeliver instead of losing it. A per-receiver rate limit
//! ([`fairness`]) keeps one flooding receiver from starving the others;
//! when the queue behind it fills up, [`backpressure`] holds receivers back
//! at the embedded broker's gate.
//!
//! Talks to: the broker (embedded or external) and the buffer queue.

pub mod backpressure;
pub mod fairness;
mod validate;

pub use fairness::RateLimit;
pub use validate::{Checked, Rejection, validate};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cloudradar_shared::wire::{self, Limits, ReceiverStatus};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::health::Health;

/// A batch message from the broker, in arrival order. Rejected batches
/// (malformed, or over their receiver's rate limit) travel the same queue
/// (with `valid` false) so that every MQTT acknowledgement is sent in the
/// order the messages arrived, which the embedded broker requires.
#[derive(Debug)]
pub struct Accepted {
    /// Receiver id (from the topic, equal to the batch's).
    pub receiver: String,
    /// Batch sequence number.
    pub seq: u64,
    /// The encoded batch, unchanged.
    pub payload: Vec<u8>,
    /// The MQTT message, to acknowledge once durable (or at once if invalid).
    pub publish: Publish,
    /// Whether the batch passed validation and the rate limit.
    pub valid: bool,
}

/// A status message from a receiver.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    /// Receiver id.
    pub receiver: String,
    /// The status.
    pub status: ReceiverStatus,
    /// When it arrived (Unix ms), if it was sent live: not a retained copy
    /// delivered at subscription, whose time stamp is old.
    pub live_at_ms: Option<u64>,
}

/// Where to connect and as whom.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Credentials.
    pub credentials: Option<(String, String)>,
    /// Subscribe with a shared subscription (external brokers, so replicas
    /// split the load); the embedded broker gets a plain one.
    pub shared: bool,
    /// An external broker (not the embedded one).
    pub external: bool,
}

impl Connection {
    /// Parses `mqtt://host:port` (or `tcp://`, or `host:port`).
    pub fn from_url(url: &str, credentials: Option<(String, String)>) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .unwrap_or(url);
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.trim_end_matches('/')
                    .parse()
                    .map_err(|_| anyhow::anyhow!("bad port in MQTT URL {url}"))?,
            ),
            None => (rest.trim_end_matches('/').to_string(), 1883),
        };
        Ok(Self {
            host,
            port,
            credentials,
            shared: false,
            external: true,
        })
    }
}

/// Where ingest delivers.
#[derive(Debug)]
pub struct Outputs {
    /// Accepted batches.
    pub queue: mpsc::Sender<Accepted>,
    /// Receiver status messages.
    pub status: mpsc::Sender<StatusUpdate>,
    /// Broker state for `/readyz`.
    pub health: Health,
    /// Set once the subscription is confirmed.
    pub subscribed: Arc<AtomicBool>,
    /// Per-receiver rate limit applied to valid batches.
    pub rate_limit: RateLimit,
}

/// Topic filter for batches as a shared subscription.
pub const SHARED_FRAMES_FILTER: &str = "$share/cloudradar/cloudradar/v1/+/frames";
/// Topic filter for batches.
pub const FRAMES_FILTER: &str = "cloudradar/v1/+/frames";
/// Topic filter for status (QoS 0: retained status needs no acknowledgement).
pub const STATUS_FILTER: &str = "cloudradar/v1/+/status";

/// Connects the subscriber; returns the client (for acks) and its event loop.
pub fn connect(conn: &Connection, client_id: &str) -> (AsyncClient, EventLoop) {
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

/// Runs the subscriber until cancelled: validated batches go to `queue`
/// (blocking when it is full, which stops reading from the broker),
/// status messages to `status`; `subscribed` is set once the broker
/// confirmed the subscription.
pub async fn run(
    client: AsyncClient,
    mut eventloop: EventLoop,
    limits: Limits,
    conn: Connection,
    out: Outputs,
    cancel: CancellationToken,
) {
    let (frames_filter, other_filter) = if conn.shared {
        (SHARED_FRAMES_FILTER, FRAMES_FILTER)
    } else {
        (FRAMES_FILTER, SHARED_FRAMES_FILTER)
    };
    let Outputs {
        queue,
        status,
        health,
        subscribed,
        mut rate_limit,
    } = out;
    let mut backoff = Duration::from_millis(200);
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => break,
            e = eventloop.poll() => e,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(200);
                metrics::gauge!("cloudradar_collector_mqtt_connected").set(1.0);
                tracing::info!("connected to MQTT broker");
                for (filter, qos) in [
                    (frames_filter, QoS::AtLeastOnce),
                    (STATUS_FILTER, QoS::AtMostOnce),
                ] {
                    if let Err(e) = client.subscribe(filter, qos).await {
                        tracing::warn!(error = %e, filter, "subscribe failed");
                    }
                }
                // A persistent session on an external broker keeps the
                // subscription an earlier configuration made: drop it, or
                // every batch would arrive twice.
                if conn.external
                    && let Err(e) = client.unsubscribe(other_filter).await
                {
                    tracing::warn!(error = %e, filter = other_filter, "unsubscribe failed");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                // Both filters are subscribed in order; the first SubAck is enough to
                // stop batches being lost, and the embedded broker opens to receivers.
                subscribed.store(true, Ordering::Release);
                health.set_broker(true);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                handle(&client, p, &limits, &mut rate_limit, &queue, &status).await;
            }
            Ok(_) => {}
            Err(e) => {
                health.set_broker(false);
                metrics::gauge!("cloudradar_collector_mqtt_connected").set(0.0);
                metrics::counter!("cloudradar_collector_mqtt_reconnects_total").increment(1);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "MQTT connection lost");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
    let _ = client.disconnect().await;
}

async fn handle(
    client: &AsyncClient,
    p: Publish,
    limits: &Limits,
    rate_limit: &mut RateLimit,
    queue: &mpsc::Sender<Accepted>,
    status: &mpsc::Sender<StatusUpdate>,
) {
    match wire::parse_topic(&p.topic) {
        Some((receiver, "status")) => {
            let receiver = receiver.to_string();
            match serde_json::from_slice::<ReceiverStatus>(&p.payload) {
                Ok(s) => {
                    let _ = status
                        .send(StatusUpdate {
                            receiver,
                            status: s,
                            live_at_ms: (!p.retain).then(crate::pipeline::now_ms),
                        })
                        .await;
                }
                Err(e) => tracing::debug!(receiver, error = %e, "unreadable status"),
            }
            if p.qos != QoS::AtMostOnce {
                let _ = client.ack(&p).await;
            }
        }
        Some((receiver, "frames")) => {
            let checked = validate(receiver, &p.payload, limits);
            let admitted = match &checked {
                Ok(c) => rate_limit.admit(
                    receiver,
                    c.frames,
                    c.newest_rx_ms,
                    crate::pipeline::now_ms(),
                ),
                Err(_) => false,
            };
            match checked {
                Ok(c) if admitted => {
                    metrics::counter!("cloudradar_collector_batches_received_total").increment(1);
                    let accepted = Accepted {
                        receiver: receiver.to_string(),
                        seq: c.seq,
                        payload: p.payload.to_vec(),
                        publish: p,
                        valid: true,
                    };
                    // Waits while the queue is full: backpressure on the broker.
                    let _ = queue.send(accepted).await;
                }
                outcome => {
                    if let Err(r) = outcome {
                        r.record(receiver);
                    }
                    // A malformed batch never becomes valid, and one over the rate
                    // limit is refused (counted by the limiter): either is
                    // acknowledged (in order, by the queue's consumer) and dropped.
                    let rejected = Accepted {
                        receiver: receiver.to_string(),
                        seq: 0,
                        payload: Vec::new(),
                        publish: p,
                        valid: false,
                    };
                    let _ = queue.send(rejected).await;
                }
            }
        }
        _ => {
            metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "topic")
                .increment(1);
            let _ = client.ack(&p).await;
        }
    }
}
