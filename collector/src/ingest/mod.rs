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
pub mod backpressure;
pub mod fairness;
mod validate;

pub use acker::Acker;
pub use fairness::RateLimit;
pub use validate::{Checked, Rejection, check_seq, validate};

use std::collections::VecDeque;
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
/// order the messages arrived, which the embedded broker requires; a
/// rejected one whose sequence number is known is confirmed to its agent
/// as done (dropped and counted), so the agent stops sending it.
#[derive(Debug)]
pub struct Accepted {
    /// Receiver id (from the topic, equal to the batch's).
    pub receiver: String,
    /// Batch sequence number (of a rejected batch: 0 if unknown, see
    /// `confirm`).
    pub seq: u64,
    /// Confirm `seq` to the agent once handled: a valid batch after its
    /// commit, a rejected one at once; false for a rejected batch whose
    /// header could not be read.
    pub confirm: bool,
    /// The encoded batch, unchanged.
    pub payload: Vec<u8>,
    /// The MQTT message, to acknowledge once durable (or at once if
    /// invalid), without its payload (moved to `payload`).
    pub publish: Publish,
    /// The subscriber connection it came on (see [`Acker`]).
    pub connection: u64,
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
pub async fn run(
    acker: Acker,
    eventloop: EventLoop,
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
    let client = acker.client();
    let (poller, mut events) = spawn_poller(eventloop);
    let mut waiting: VecDeque<Accepted> = VecDeque::new();
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

/// An event, or a lost connection with the time until the next attempt.
type Polled = Result<Event, (String, Duration)>;

/// Polls the connection in its own task (`EventLoop::poll` must not be
/// cancelled half way), reconnecting with backoff, and forwards every
/// event in order.
fn spawn_poller(mut eventloop: EventLoop) -> (tokio::task::JoinHandle<()>, mpsc::Receiver<Polled>) {
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            let polled = match eventloop.poll().await {
                Ok(e) => {
                    if matches!(e, Event::Incoming(Packet::ConnAck(_))) {
                        backoff = Duration::from_millis(200);
                    }
                    Ok(e)
                }
                Err(e) => Err((e.to_string(), backoff)),
            };
            let failed = polled.is_err();
            if tx.send(polled).await.is_err() {
                return;
            }
            if failed {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    });
    (task, rx)
}

/// Handles one message: a status goes to `status`; a batch (valid or
/// not) is returned for the queue, which acknowledges them in order.
async fn handle(
    acker: &Acker,
    on: u64,
    mut p: Publish,
    limits: &Limits,
    rate_limit: &mut RateLimit,
    status: &mpsc::Sender<StatusUpdate>,
) -> Option<Accepted> {
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
                Err(e) => {
                    metrics::counter!("cloudradar_collector_status_rejected_total", "receiver" => receiver.clone())
                        .increment(1);
                    tracing::warn!(receiver, error = %e, "unreadable status message ignored");
                }
            }
            if p.qos != QoS::AtMostOnce {
                acker.ack(&p, on).await;
            }
            None
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
                    let receiver = receiver.to_string();
                    // Held once, not twice, while it waits in the queue.
                    let payload = Vec::from(std::mem::take(&mut p.payload));
                    Some(Accepted {
                        receiver,
                        seq: c.seq,
                        confirm: true,
                        payload,
                        publish: p,
                        connection: on,
                        valid: true,
                    })
                }
                outcome => {
                    // A malformed batch never becomes valid, and one over the rate
                    // limit is refused (counted by the limiter): either is
                    // acknowledged (in order, by the queue's consumer), dropped
                    // and, where its header names it, confirmed as done.
                    let reason = if outcome.is_ok() {
                        "rate_limit"
                    } else {
                        "rejected"
                    };
                    dropped_bytes(reason, p.payload.len());
                    let seq = match outcome {
                        Ok(c) => Some(c.seq),
                        Err(r) => {
                            r.record(receiver);
                            wire::peek_header(&p.payload)
                                .filter(|(id, _)| id == receiver)
                                .map(|(_, seq)| seq)
                        }
                    };
                    let receiver = receiver.to_string();
                    p.payload = Default::default();
                    Some(Accepted {
                        receiver,
                        seq: seq.unwrap_or(0),
                        confirm: seq.is_some(),
                        payload: Vec::new(),
                        publish: p,
                        connection: on,
                        valid: false,
                    })
                }
            }
        }
        _ => {
            metrics::counter!("cloudradar_collector_batches_rejected_total", "reason" => "topic")
                .increment(1);
            dropped_bytes("topic", p.payload.len());
            // Acknowledged in its turn, like a refused batch.
            p.payload = Default::default();
            Some(Accepted {
                receiver: String::new(),
                seq: 0,
                confirm: false,
                payload: Vec::new(),
                publish: p,
                connection: on,
                valid: false,
            })
        }
    }
}

/// Counts bytes the collector gives up on (a batch over its receiver's
/// rate limit, one that does not validate, one on an unknown topic): every
/// byte received is either stored or counted here, by reason.
pub fn dropped_bytes(reason: &'static str, bytes: usize) {
    metrics::counter!("cloudradar_collector_dropped_bytes_total", "reason" => reason)
        .increment(bytes as u64);
}
