//! One publisher run: connections one after the other, each until it
//! fails, with backoff between them; status messages on the way.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cloudradar_shared::retry::Backoff;
use cloudradar_shared::time::now_ms;
use cloudradar_shared::wire::{ReceiverStatus, State, done_topic, frames_topic, status_topic};
use rumqttc::{AsyncClient, Event, Outgoing, Packet, QoS};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::deliveries::{Deliveries, Link};
use super::{Settings, StatusSource, WINDOW};
use crate::batch::Output;
use crate::config::Delivery;
use crate::confirm::Unconfirmed;
use crate::spool::Spool;

/// Runs until the batcher has finished and everything is delivered. When
/// the agent is stopping (`cancel`), it gives delivery a short grace period
/// and leaves the rest in the spool for the next start; when the inputs
/// simply ended (a file was read), it keeps trying until the spool is empty.
pub async fn run(
    settings: Settings,
    spool: Spool,
    batches: mpsc::Receiver<Output>,
    status: StatusSource,
    cancel: CancellationToken,
) {
    let d = Deliveries {
        spool,
        positions: status.positions.clone(),
        mode: settings.delivery,
        max_unconfirmed: settings.max_unconfirmed.max(1),
        waiting: HashMap::new(),
        unconfirmed: Unconfirmed::new(settings.confirm_timeout),
        last_confirmed: Instant::now(),
        last_warned: None,
        closing: None,
    };
    let mut p = Publisher {
        topic: frames_topic(&settings.receiver_id),
        done: done_topic(&settings.receiver_id),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
        last_accepted: 0,
        last_status: Instant::now(),
        settings,
        status,
        batches,
        cancel,
        d,
    };
    while let Some(failed) = p.connection().await {
        if !p.wait_to_reconnect(&failed).await {
            return;
        }
    }
}

/// The publisher between connections: settings, the spool's deliveries,
/// the backoff and the statistics of the last status message.
struct Publisher {
    settings: Settings,
    status: StatusSource,
    batches: mpsc::Receiver<Output>,
    cancel: CancellationToken,
    d: Deliveries,
    topic: String,
    done: String,
    backoff: Backoff,
    last_accepted: u64,
    last_status: Instant,
}

impl Publisher {
    /// Stopping, and the grace period for delivery has passed.
    fn grace_over(&self) -> bool {
        self.d
            .closing
            .is_some_and(|c| self.cancel.is_cancelled() && c.elapsed() > Duration::from_secs(3))
    }

    /// One broker connection, from connecting until it fails (`Some`, the
    /// error) or the publisher is done (`None`).
    async fn connection(&mut self) -> Option<String> {
        let spool = &self.d.spool;
        self.d.waiting.retain(|seq, _| spool.contains(*seq));
        self.d.unconfirmed.retain(|seq| spool.contains(seq));
        self.d.unconfirmed.reconnected();
        let (client, events) = AsyncClient::new(self.settings.options(), 2 * WINDOW + 8);
        // The event loop is polled in its own task: `EventLoop::poll` is not
        // cancel-safe while connecting, and raced in the select! below a
        // batch or a tick could drop a half-done (TLS) connect, over and
        // over on a slow link, each time publishing the "offline" will.
        let (poller, mut events) = spawn_poller(events);
        let mut link = Link {
            client,
            unsent: self.d.spool.seqs().into(),
            order: VecDeque::new(),
            inflight: HashMap::new(),
            connected: false,
        };
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let failed = loop {
            if self.d.closing.is_some() && (self.d.spool.is_empty() || self.grace_over()) {
                if link.connected {
                    say_offline(&link.client, &self.settings, &mut events).await;
                }
                poller.abort();
                tracing::info!(spooled = self.d.spool.seqs().len(), "publisher stopped");
                return None;
            }
            link.fill(&self.topic, &mut self.d);
            tokio::select! {
                b = self.batches.recv(), if self.d.closing.is_none() => {
                    self.d.take(b, Some(&mut link.unsent));
                }
                e = events.recv() => {
                    let e = e.unwrap_or_else(|| Err("event loop stopped".into()));
                    if let Err(failed) = e.map(|e| self.event(&mut link, e)) {
                        break failed;
                    }
                }
                _ = tick.tick() => self.tick(&mut link),
            }
        };
        poller.abort();
        Some(failed)
    }

    /// What one event from the broker connection changes.
    fn event(&mut self, link: &mut Link, event: Event) {
        match event {
            Event::Incoming(Packet::ConnAck(_)) => self.connected(link),
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if let Some(s) = link.order.pop_front() {
                    link.inflight.insert(pkid, s);
                }
            }
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(Some(seq)) = link.inflight.remove(&ack.pkid) {
                    self.d.broker_acked(seq);
                }
            }
            Event::Incoming(Packet::Publish(p)) if p.topic == self.done => {
                self.d.confirmed(&p.payload)
            }
            _ => {}
        }
    }

    /// The broker accepted the connection: subscribe to confirmations and
    /// say online.
    fn connected(&mut self, link: &mut Link) {
        let settings = &self.settings;
        link.connected = true;
        self.backoff.reset();
        metrics::gauge!("cloudradar_agent_mqtt_connected").set(1.0);
        tracing::info!(host = %settings.host, port = settings.port, tls = settings.tls.is_some(), spooled = link.unsent.len(), "connected to broker");
        if self.d.mode == Delivery::Collector
            && let Err(e) = link
                .client
                .try_subscribe(self.done.clone(), QoS::AtLeastOnce)
        {
            tracing::warn!(error = %e, "subscribing to confirmations failed");
        }
        publish_status(
            &link.client,
            settings,
            &self.status,
            &self.d.spool,
            0.0,
            &mut link.order,
        );
    }

    /// Every 200 ms: send overdue batches again, and the statistics when due.
    fn tick(&mut self, link: &mut Link) {
        let due = self.d.overdue();
        link.resend(due);
        if link.connected && self.last_status.elapsed() >= self.settings.status_interval {
            let accepted = self.status.stats.accepted.load(Ordering::Relaxed);
            let rate =
                (accepted - self.last_accepted) as f64 / self.last_status.elapsed().as_secs_f64();
            self.last_accepted = accepted;
            self.last_status = Instant::now();
            publish_status(
                &link.client,
                &self.settings,
                &self.status,
                &self.d.spool,
                rate,
                &mut link.order,
            );
        }
    }

    /// After a failed connection: waits out the backoff, spooling what the
    /// batcher produces meanwhile. `false` when the publisher should stop.
    async fn wait_to_reconnect(&mut self, failed: &str) -> bool {
        metrics::gauge!("cloudradar_agent_mqtt_connected").set(0.0);
        metrics::counter!("cloudradar_agent_mqtt_reconnects_total").increment(1);
        let delay = self.backoff.next();
        tracing::warn!(error = %failed, retry_in_ms = delay.as_millis() as u64, spooled = self.d.spool.seqs().len(), "broker connection failed");
        if self.grace_over() {
            tracing::info!(
                spooled = self.d.spool.seqs().len(),
                "stopping with batches left in the spool"
            );
            return false;
        }
        let wait = tokio::time::sleep(delay);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => return true,
                _ = self.cancel.cancelled(), if self.d.closing.is_some() => return true,
                b = self.batches.recv(), if self.d.closing.is_none() => self.d.take(b, None),
            }
        }
    }
}

/// Leaves the "offline" status and disconnects, briefly.
async fn say_offline(
    client: &AsyncClient,
    settings: &Settings,
    events: &mut mpsc::Receiver<Result<Event, String>>,
) {
    let offline = serde_json::to_vec(&ReceiverStatus::offline()).unwrap_or_default();
    let _ = client.try_publish(
        status_topic(&settings.receiver_id),
        QoS::AtMostOnce,
        true,
        offline,
    );
    let _ = tokio::time::timeout(Duration::from_millis(300), async {
        let _ = client.disconnect().await;
        while let Some(Ok(_)) = events.recv().await {}
    })
    .await;
}

/// Polls one connection's event loop until it fails, forwarding every
/// event (the failure last, as its message).
fn spawn_poller(
    mut events: rumqttc::EventLoop,
) -> (
    tokio::task::JoinHandle<()>,
    mpsc::Receiver<Result<Event, String>>,
) {
    let (tx, rx) = mpsc::channel(4 * WINDOW + 16);
    let task = tokio::spawn(async move {
        loop {
            let e = events.poll().await.map_err(|e| e.to_string());
            let failed = e.is_err();
            if tx.send(e).await.is_err() || failed {
                return;
            }
        }
    });
    (task, rx)
}

fn publish_status(
    client: &AsyncClient,
    settings: &Settings,
    source: &StatusSource,
    spool: &Spool,
    rate: f64,
    order: &mut VecDeque<Option<u64>>,
) {
    let status = ReceiverStatus {
        state: State::Online,
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
        lat: settings.position.map(|p| p.0),
        lon: settings.position.map(|p| p.1),
        alt_m: settings.alt_m,
        uptime_s: Some(source.started.elapsed().as_secs()),
        frames_per_s: Some((rate * 10.0).round() / 10.0),
        rejected_total: Some(source.stats.rejected.load(Ordering::Relaxed)),
        dropped_batches_total: Some(spool.dropped()),
        spool_bytes: Some(spool.bytes()),
        time_ms: Some(now_ms()),
    };
    let body = serde_json::to_vec(&status).unwrap_or_default();
    if client
        .try_publish(
            status_topic(&settings.receiver_id),
            QoS::AtLeastOnce,
            true,
            body,
        )
        .is_ok()
    {
        order.push_back(None);
    }
}
