//! Publishing to the collector's broker with store-and-forward.
//!
//! Every batch is put in the spool first; it leaves the spool only when
//! the collector confirms it is done with it (a `Done` message on
//! `cloudradar/v1/<receiver>/done`, decision record 0007), or, with
//! `delivery = "broker"`, when the broker's PubAck arrives. At most
//! `max_unconfirmed` batches are out at once, so a collector that falls
//! behind holds the rest here; one not confirmed in time is sent again
//! ([`crate::confirm`]). A lost connection throws the MQTT client away and
//! starts a fresh one (with backoff and jitter) that sends everything
//! still spooled, oldest first, so delivery is at-least-once and in
//! order; the collector recognises re-sent batches by their sequence
//! number. A retained status message (with an "offline" last
//! will) and periodic statistics go to the status topic.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cloudradar_shared::retry::Backoff;
use cloudradar_shared::time::now_ms;
use cloudradar_shared::wire::{
    Done, ReceiverStatus, State, done_topic, frames_topic, status_topic,
};
use rumqttc::{
    AsyncClient, Event, LastWill, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::batch::{Encoded, Output, Stats};
use crate::config::Delivery;
use crate::confirm::Unconfirmed;
use crate::input::position::{Mark, Positions};
use crate::spool::{Spool, Stored};

/// Batches in flight at once.
const WINDOW: usize = 32;

/// Where the broker is, from `mqtt_url` (the shared parser; see
/// [`cloudradar_shared::mqtt_url`] for the forms it reads).
pub use cloudradar_shared::mqtt_url::MqttUrl as Broker;

/// Connection and identity settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Receiver id.
    pub receiver_id: String,
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// TLS settings for an `mqtts://` broker; `None` = plain TCP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Username and password.
    pub credentials: (String, String),
    /// Receiver position for the status message.
    pub position: Option<(f64, f64)>,
    /// Seconds between statistics messages.
    pub status_interval: Duration,
    /// MQTT keep-alive interval.
    pub keep_alive: Duration,
    /// What takes a batch off the spool.
    pub delivery: Delivery,
    /// Most batches out and not yet confirmed.
    pub max_unconfirmed: usize,
    /// First wait for a confirmation before a batch is sent again.
    pub confirm_timeout: Duration,
}

impl Settings {
    fn options(&self) -> MqttOptions {
        let mut o = MqttOptions::new(self.receiver_id.clone(), self.host.clone(), self.port);
        o.set_keep_alive(self.keep_alive);
        o.set_max_packet_size(4 << 20, 4 << 20);
        o.set_inflight(WINDOW as u16 + 4);
        o.set_credentials(self.credentials.0.clone(), self.credentials.1.clone());
        if let Some(tls) = &self.tls {
            o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                tls.clone(),
            )));
        }
        let offline = serde_json::to_vec(&ReceiverStatus::offline()).unwrap_or_default();
        o.set_last_will(LastWill::new(
            status_topic(&self.receiver_id),
            offline,
            QoS::AtLeastOnce,
            true,
        ));
        o
    }
}

/// What the status message needs to know.
#[derive(Debug)]
pub struct StatusSource {
    /// Frame counters.
    pub stats: Arc<Stats>,
    /// Process start.
    pub started: Instant,
    /// File-input positions, saved once a batch is spooled.
    pub positions: Positions,
}

/// What survives reconnections: the spool and what is known about each
/// batch in it.
struct Deliveries {
    spool: Spool,
    positions: Positions,
    mode: Delivery,
    max_unconfirmed: usize,
    /// Batches of this run still to be delivered: when their oldest frame came in.
    waiting: HashMap<u64, Instant>,
    unconfirmed: Unconfirmed,
    /// Last confirmation (or start), for the warning that none comes.
    last_confirmed: Instant,
    last_warned: Option<Instant>,
    closing: Option<Instant>,
}

impl Deliveries {
    /// Spools what the batcher made; `unsent` gets a new batch's number
    /// when connected. `None` ends the inputs.
    fn take(&mut self, out: Option<Output>, unsent: Option<&mut VecDeque<u64>>) {
        match out {
            Some(Output::Batch(b)) => {
                spool_batch(&mut self.spool, &self.positions, &b);
                if let Some(u) = unsent {
                    u.push_back(b.seq);
                }
                self.waiting.insert(b.seq, b.oldest);
            }
            Some(Output::Marks(m)) => commit_marks(&self.positions, &m),
            None => self.closing = Some(Instant::now()),
        }
    }

    /// The broker acknowledged `seq`.
    fn broker_acked(&mut self, seq: u64) {
        metrics::counter!("cloudradar_agent_batches_published_total").increment(1);
        match self.mode {
            Delivery::Broker => self.delivered(seq),
            Delivery::Collector if self.spool.contains(seq) => {
                self.unconfirmed.sent(seq, Instant::now());
                self.gauge();
            }
            Delivery::Collector => {}
        }
    }

    /// The collector is done with the batches `done` names.
    fn confirmed(&mut self, payload: &[u8]) {
        let done = match Done::decode(payload) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable confirmation from the collector ignored");
                return;
            }
        };
        self.last_confirmed = Instant::now();
        for (first, last) in done.ranges() {
            for seq in self.spool.seqs_within(*first, *last) {
                self.unconfirmed.confirmed(seq);
                metrics::counter!("cloudradar_agent_batches_confirmed_total").increment(1);
                self.delivered(seq);
            }
        }
        self.gauge();
    }

    fn delivered(&mut self, seq: u64) {
        self.spool.remove(seq);
        if let Some(oldest) = self.waiting.remove(&seq) {
            metrics::histogram!(crate::telemetry::DELIVERY).record(oldest.elapsed().as_secs_f64());
        }
    }

    /// Batches to send again now (their confirmation is overdue), and a
    /// warning while none comes at all.
    fn overdue(&mut self) -> Vec<u64> {
        let due = self.unconfirmed.due(Instant::now());
        if !due.is_empty() {
            metrics::counter!("cloudradar_agent_batches_resent_total").increment(due.len() as u64);
            tracing::info!(
                batches = due.len(),
                first = due[0],
                "no confirmation from the collector in time: sending again"
            );
            self.gauge();
        }
        let quiet = self.last_confirmed.elapsed();
        if self.mode == Delivery::Collector
            && !self.unconfirmed.is_empty()
            && quiet >= Duration::from_secs(60)
            && self
                .last_warned
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            self.last_warned = Some(Instant::now());
            tracing::warn!(
                unconfirmed = self.unconfirmed.len(),
                quiet_s = quiet.as_secs(),
                "no confirmation from the collector: it is behind or down, or older than these confirmations (then set delivery = \"broker\")"
            );
        }
        due
    }

    /// Batches out and not yet delivered, besides those `c` has in flight.
    fn outstanding(&self, c: &Link) -> usize {
        self.unconfirmed.len() + c.order.len() + c.inflight.len()
    }

    fn gauge(&self) {
        metrics::gauge!("cloudradar_agent_batches_unconfirmed").set(self.unconfirmed.len() as f64);
    }
}

/// One broker connection's state.
struct Link {
    client: AsyncClient,
    /// Spooled batches to publish, oldest first.
    unsent: VecDeque<u64>,
    /// Publishes requested but not yet handed to the socket (None = status).
    order: VecDeque<Option<u64>>,
    inflight: HashMap<u16, Option<u64>>,
    connected: bool,
}

impl Link {
    /// Publishes spooled batches while the windows allow.
    fn fill(&mut self, topic: &str, d: &mut Deliveries) {
        while self.connected
            && self.order.len() + self.inflight.len() < WINDOW
            && d.outstanding(self) < d.max_unconfirmed
        {
            let Some(seq) = self.unsent.pop_front() else {
                break;
            };
            if !d.spool.contains(seq) {
                continue;
            }
            match d.spool.get(seq) {
                Ok(data) => {
                    if self
                        .client
                        .try_publish(topic, QoS::AtLeastOnce, false, data)
                        .is_err()
                    {
                        self.unsent.push_front(seq);
                        break;
                    }
                    self.order.push_back(Some(seq));
                }
                Err(e) => {
                    tracing::error!(seq, error = %format!("{e:#}"), "spooled batch unreadable; dropped");
                    metrics::counter!("cloudradar_agent_batches_dropped_total").increment(1);
                    d.spool.remove(seq);
                }
            }
        }
    }

    /// Puts batches due again in front, oldest first.
    fn resend(&mut self, due: Vec<u64>) {
        for seq in due.into_iter().rev() {
            self.unsent.push_front(seq);
        }
    }
}

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

/// Puts a new batch in the spool, with the file positions it reaches
/// recorded around it (see `input/position.rs`). A batch held in memory
/// (it could not be written) commits no position: if the agent stops
/// before it is delivered and no later batch was written, a restart reads
/// its frames again.
fn spool_batch(spool: &mut Spool, positions: &Positions, b: &Encoded) {
    tokio::task::block_in_place(|| {
        positions.prepare(b.seq, &b.marks);
        if spool.put(b.seq, b.created_ms, &b.data) == Stored::OnDisk {
            positions.commit(&b.marks);
        }
    })
}

/// Records file positions that no batch carries (every batch before them
/// is already spooled: they come in order).
fn commit_marks(positions: &Positions, marks: &[Mark]) {
    tokio::task::block_in_place(|| positions.commit(marks));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_and_their_default_ports() {
        let b = |u| Broker::parse(u).unwrap();
        assert_eq!(
            b("mqtt://h:1884"),
            Broker {
                host: "h".into(),
                port: 1884,
                tls: false
            }
        );
        assert_eq!((b("mqtt://h").port, b("mqtt://h").tls), (1883, false));
        assert_eq!((b("mqtts://h").port, b("mqtts://h/").tls), (8883, true));
        assert_eq!(b("mqtts://10.0.0.1:9883").port, 9883);
        assert_eq!(b("h:1").port, 1);
        assert!(Broker::parse("https://h").is_err());
        assert!(Broker::parse("mqtt://h:port").is_err());
        assert!(Broker::parse("mqtts://:8883").is_err());
    }
}
