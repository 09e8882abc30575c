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

mod acker;
mod arrival;
pub mod backpressure;
pub mod fairness;
pub mod subscriber;
mod validate;

pub use acker::Acker;
pub use arrival::{Accepted, Arrival, Dropped, Receipt};
pub use fairness::RateLimit;
pub use subscriber::{Intake, Subscriber};
pub use validate::{Checked, Rejection, check_seq, validate};

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use cloudradar_shared::mqtt_url::MqttUrl;
use cloudradar_shared::wire::{self, Limits, ReceiverStatus};
use rumqttc::{Publish, QoS};
use tokio::sync::mpsc;

use crate::health::Health;

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
    /// Reads `mqtt_url` (see [`MqttUrl`]); TLS is refused by the
    /// configuration's validation.
    pub fn from_url(url: &str, credentials: Option<(String, String)>) -> anyhow::Result<Self> {
        let u = MqttUrl::parse(url).map_err(|e| anyhow::anyhow!("mqtt_url: {e}"))?;
        if u.tls {
            anyhow::bail!("mqtt_url: the collector connects to an external broker without TLS");
        }
        Ok(Self {
            host: u.host,
            port: u.port,
            credentials,
            shared: false,
            external: true,
        })
    }
}

/// Where ingest delivers.
#[derive(Debug)]
pub struct Outputs {
    /// Every batch message, in arrival order.
    pub queue: mpsc::Sender<Arrival>,
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

/// Handles one message: a status goes to `status`; a batch message
/// (accepted or dropped) is returned for the queue, which acknowledges
/// them in order.
pub(crate) async fn handle(
    acker: &Acker,
    on: u64,
    mut p: Publish,
    limits: &Limits,
    rate_limit: &mut RateLimit,
    status: &mpsc::Sender<StatusUpdate>,
) -> Option<Arrival> {
    let payload = std::mem::take(&mut p.payload);
    let receipt = Receipt {
        publish: p,
        connection: on,
    };
    match wire::parse_topic(&receipt.publish.topic) {
        Some((receiver, "status")) => {
            forward_status(receiver, &payload, !receipt.publish.retain, status).await;
            if receipt.publish.qos != QoS::AtMostOnce {
                receipt.ack(acker).await;
            }
            None
        }
        Some((receiver, "frames")) => {
            let receiver = receiver.to_string();
            Some(admit(
                receiver,
                Vec::from(payload),
                receipt,
                limits,
                rate_limit,
            ))
        }
        _ => {
            metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "topic")
                .increment(1);
            dropped_bytes("topic", payload.len());
            Some(Arrival::Dropped(Dropped {
                receipt,
                confirm: None,
            }))
        }
    }
}

/// Hands a receiver's status message on (`live`: sent now, not a retained
/// copy delivered at subscription, whose time stamp is old).
async fn forward_status(
    receiver: &str,
    payload: &[u8],
    live: bool,
    status: &mpsc::Sender<StatusUpdate>,
) {
    match serde_json::from_slice::<ReceiverStatus>(payload) {
        Ok(s) => {
            let _ = status
                .send(StatusUpdate {
                    receiver: receiver.to_string(),
                    status: s,
                    live_at_ms: live.then(cloudradar_shared::time::now_ms),
                })
                .await;
        }
        Err(e) => {
            metrics::counter!("cloudradar_collector_status_rejected_total", "receiver" => receiver.to_string())
                .increment(1);
            tracing::warn!(receiver, error = %e, "unreadable status message ignored");
        }
    }
}

/// Validates a batch and applies its receiver's rate limit. A malformed
/// batch never becomes valid, and one over the limit is refused (counted
/// by the limiter): either is dropped, its bytes counted, and, where its
/// header names it, confirmed as done.
fn admit(
    receiver: String,
    payload: Vec<u8>,
    receipt: Receipt,
    limits: &Limits,
    rate_limit: &mut RateLimit,
) -> Arrival {
    let checked = validate(&receiver, &payload, limits);
    let seq = match checked {
        Ok(c) => {
            let now = cloudradar_shared::time::now_ms();
            if rate_limit.admit(&receiver, c.frames, c.newest_rx_ms, now) {
                metrics::counter!("cloudradar_collector_batches_received_total").increment(1);
                return Arrival::Accepted(Accepted {
                    receiver,
                    seq: c.seq,
                    payload,
                    receipt,
                });
            }
            dropped_bytes("rate_limit", payload.len());
            Some(c.seq)
        }
        Err(r) => {
            dropped_bytes("rejected", payload.len());
            r.record(&receiver);
            wire::peek_header(&payload)
                .filter(|(id, _)| *id == receiver)
                .map(|(_, seq)| seq)
        }
    };
    Arrival::Dropped(Dropped {
        receipt,
        confirm: seq.map(|seq| (receiver, seq)),
    })
}

/// Counts bytes the collector gives up on (a batch over its receiver's
/// rate limit, one that does not validate, one on an unknown topic): every
/// byte received is either stored or counted here, by reason.
pub fn dropped_bytes(reason: &'static str, bytes: usize) {
    metrics::counter!("cloudradar_collector_dropped_bytes_total", "reason" => reason)
        .increment(bytes as u64);
}
