//! Agent fleet mode: every simulated receiver acts as its own CloudRadar
//! agent and publishes straight to the collector's MQTT broker, so load
//! tests reach hundreds of receivers without hundreds of agent processes.
//!
//! Each virtual agent does what `agent/src/batch.rs` and `publish/` do:
//! the agent's frame filter (CRC check, single-bit repair, corrupt frames
//! dropped), batches in the wire format closed every `batch_interval` (or
//! at `max_frames`), sequence numbers starting at the current time in
//! microseconds, QoS 1 on `frames_topic`, username = receiver id, a
//! retained status with the receiver position and version, and a retained
//! "offline" last will. It has no spool: a batch that cannot be queued to
//! the broker connection is counted and dropped (a load generator must
//! not fall behind the simulation).

use std::time::Duration;

use anyhow::Context;

use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::mqtt_url::MqttUrl;
use cloudradar_shared::retry::Backoff;
use cloudradar_shared::time::{now_ms, now_us};
use cloudradar_shared::wire::{
    self, Batch, ReceiverStatus, State, WireFrame, frames_topic, status_topic,
};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Outgoing, Packet, QoS};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::receiver::Receiver;

/// Requests rumqttc may queue per connection (batches and status).
const QUEUE: usize = 64;

/// Settings shared by every virtual agent.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Password sent with every receiver id (empty when unset).
    pub password: String,
    /// Close a batch this often (the agent's `batch_interval_ms`, 250).
    pub batch_interval: Duration,
    /// Close a batch at this many frames (the agent's `batch_max_frames`).
    pub max_frames: usize,
    /// Seconds between statistics status messages (the agent's 30).
    pub status_interval: Duration,
}

impl FleetSettings {
    /// Settings for `mqtt://host[:port]` (read by the shared parser) with
    /// the agent's defaults. Virtual agents speak plain MQTT only.
    pub fn from_url(url: &str, password: Option<String>) -> anyhow::Result<Self> {
        let shown = cloudradar_shared::redact::mask_url_password(url);
        let broker = MqttUrl::parse(url).with_context(|| format!("broker URL {shown:?}"))?;
        if broker.tls {
            anyhow::bail!("broker URL {shown:?}: virtual agents have no TLS; use mqtt://");
        }
        Ok(Self {
            host: broker.host,
            port: broker.port,
            password: password.unwrap_or_default(),
            batch_interval: Duration::from_millis(250),
            max_frames: 2000,
            status_interval: Duration::from_secs(30),
        })
    }

    /// Connection options for one receiver, as the agent sets them.
    pub fn options(&self, receiver_id: &str) -> MqttOptions {
        let mut o = MqttOptions::new(receiver_id, self.host.clone(), self.port);
        o.set_keep_alive(Duration::from_secs(20));
        o.set_max_packet_size(4 << 20, 4 << 20);
        o.set_inflight(36);
        o.set_credentials(receiver_id, self.password.clone());
        let offline = serde_json::to_vec(&ReceiverStatus::offline()).unwrap_or_default();
        o.set_last_will(LastWill::new(
            status_topic(receiver_id),
            offline,
            QoS::AtLeastOnce,
            true,
        ));
        o
    }
}

/// The simulator's side of one virtual agent: where its frames go.
#[derive(Debug, Clone)]
pub struct VirtualAgent {
    tx: mpsc::Sender<Vec<WireFrame>>,
    /// Receiver id (MQTT username and client id).
    pub id: String,
}

impl VirtualAgent {
    /// Starts the agent task for `receiver` on `tracker`; it flushes, says
    /// "offline" and disconnects when `cancel` fires.
    pub fn start(
        settings: &FleetSettings,
        receiver: &Receiver,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> Self {
        // 100 ticks of 100 ms: ten seconds of backlog before frames are dropped.
        let (tx, rx) = mpsc::channel(100);
        let agent = Agent {
            settings: settings.clone(),
            id: receiver.id.clone(),
            // What the receiver reports, not where it is.
            position: (receiver.site.reported.lat, receiver.site.reported.lon),
            alt_m: receiver.site.reported_alt_m,
            seq: now_us().max(1),
            current: Vec::new(),
            filter: DecodeOptions::default(),
            accepted: 0,
            rejected: 0,
            published: 0,
            dropped: 0,
        };
        tracker.spawn(agent.run(rx, cancel));
        Self {
            tx,
            id: receiver.id.clone(),
        }
    }

    /// Hands over the frames this receiver heard in one tick.
    pub fn send(&self, frames: Vec<WireFrame>) {
        if !frames.is_empty() && self.tx.try_send(frames).is_err() {
            tracing::warn!(receiver = %self.id, "virtual agent behind; frames dropped");
        }
    }
}

#[derive(Debug)]
struct Agent {
    settings: FleetSettings,
    id: String,
    position: (f64, f64),
    /// Reported antenna height, metres.
    alt_m: f64,
    seq: u64,
    current: Vec<WireFrame>,
    filter: DecodeOptions,
    accepted: u64,
    rejected: u64,
    published: u64,
    dropped: u64,
}

/// Drives the MQTT event loop, forwarding every event; after a connection
/// error it waits (exponential backoff from 1 s, ±20% jitter, capped at
/// 60 s) before polling again, which reconnects.
async fn poll_events(
    mut events: rumqttc::EventLoop,
    tx: mpsc::Sender<Result<Event, rumqttc::ConnectionError>>,
    seed: u64,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::with_seed(Duration::from_secs(1), Duration::from_secs(60), seed);
    // Keeps polling during shutdown until the disconnect is sent (the
    // caller aborts this task afterwards).
    loop {
        let e = events.poll().await;
        match &e {
            Ok(Event::Incoming(Packet::ConnAck(_))) => backoff.reset(),
            Err(err) => {
                let delay = backoff.next();
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "virtual agent lost the broker");
                if tx.send(e).await.is_err() || cancel.is_cancelled() {
                    return;
                }
                tokio::time::sleep(delay).await;
                continue;
            }
            Ok(_) => {}
        }
        if tx.send(e).await.is_err() {
            return;
        }
    }
}

impl Agent {
    async fn run(mut self, mut rx: mpsc::Receiver<Vec<WireFrame>>, cancel: CancellationToken) {
        let (client, events) = AsyncClient::new(self.settings.options(&self.id), QUEUE);
        // The event loop runs in its own task: `EventLoop::poll` must not be
        // raced in a select! (a poll dropped half-way through reading or
        // writing a packet broke the connection at start-up).
        let (event_tx, mut event_rx) = mpsc::channel(64);
        let poller = tokio::spawn(poll_events(events, event_tx, self.seq, cancel.clone()));
        let mut flush_tick = tokio::time::interval(self.settings.batch_interval);
        let mut status_tick = tokio::time::interval(self.settings.status_interval);
        status_tick.tick().await;
        let started = std::time::Instant::now();
        let mut last_accepted = 0u64;
        let mut connected = false;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                f = rx.recv() => match f {
                    Some(frames) => self.accept(frames, &client),
                    None => break,
                },
                _ = flush_tick.tick() => self.flush(&client),
                _ = status_tick.tick() => {
                    let elapsed = self.settings.status_interval.as_secs_f64();
                    let rate = (self.accepted - last_accepted) as f64 / elapsed;
                    last_accepted = self.accepted;
                    self.status(&client, started, rate);
                }
                e = event_rx.recv() => match e {
                    Some(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                        connected = true;
                        tracing::info!(receiver = %self.id, "virtual agent connected");
                        self.status(&client, started, 0.0);
                    }
                    Some(Ok(Event::Incoming(Packet::PubAck(_)))) => self.published += 1,
                    Some(_) => {}
                    None => break,
                },
            }
        }
        // Stopping: take what already arrived, send it, go offline, disconnect.
        while let Ok(frames) = rx.try_recv() {
            self.accept(frames, &client);
        }
        self.flush(&client);
        if !connected {
            // Stopped before the broker answered: still announce, then leave.
            self.status(&client, started, 0.0);
        }
        let offline = serde_json::to_vec(&ReceiverStatus::offline()).unwrap_or_default();
        let _ = client.try_publish(status_topic(&self.id), QoS::AtLeastOnce, true, offline);
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while let Some(e) = event_rx.recv().await {
                match e {
                    Ok(Event::Incoming(Packet::PubAck(_))) => self.published += 1,
                    Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        poller.abort();
        tracing::info!(
            receiver = %self.id,
            accepted = self.accepted,
            rejected = self.rejected,
            acked = self.published,
            dropped_batches = self.dropped,
            "virtual agent stopped"
        );
    }

    /// The agent's filter: CRC checked, single bits repaired, the rest dropped.
    fn accept(&mut self, frames: Vec<WireFrame>, client: &AsyncClient) {
        for mut f in frames {
            match decode(&f.frame, &self.filter) {
                Ok(m) => {
                    f.frame = m.frame;
                    self.accepted += 1;
                    self.current.push(f);
                    if self.current.len() >= self.settings.max_frames {
                        self.flush(client);
                    }
                }
                Err(_) => self.rejected += 1,
            }
        }
    }

    fn flush(&mut self, client: &AsyncClient) {
        if self.current.is_empty() {
            return;
        }
        let batch = Batch {
            receiver_id: self.id.clone(),
            seq: self.seq,
            created_ms: now_ms(),
            frames: std::mem::take(&mut self.current),
        };
        self.seq += 1;
        let data = wire::encode(&batch);
        if client
            .try_publish(frames_topic(&self.id), QoS::AtLeastOnce, false, data)
            .is_err()
        {
            self.dropped += 1;
            tracing::debug!(receiver = %self.id, seq = batch.seq, "broker queue full; batch dropped");
        }
    }

    fn status(&self, client: &AsyncClient, started: std::time::Instant, rate: f64) {
        let status = ReceiverStatus {
            state: State::Online,
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
            lat: Some(self.position.0),
            lon: Some(self.position.1),
            alt_m: Some(self.alt_m),
            uptime_s: Some(started.elapsed().as_secs()),
            frames_per_s: Some((rate * 10.0).round() / 10.0),
            rejected_total: Some(self.rejected),
            dropped_batches_total: Some(self.dropped),
            spool_bytes: Some(0),
            time_ms: Some(now_ms()),
        };
        let body = serde_json::to_vec(&status).unwrap_or_default();
        let _ = client.try_publish(status_topic(&self.id), QoS::AtLeastOnce, true, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_parse_like_the_agents() {
        let s = FleetSettings::from_url("mqtt://broker.local:1884", None).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("broker.local", 1884));
        let s = FleetSettings::from_url("tcp://10.0.0.1", Some("pw".into())).unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.password.as_str()),
            ("10.0.0.1", 1883, "pw")
        );
        assert!(FleetSettings::from_url("mqtt://host:port", None).is_err());
        assert!(FleetSettings::from_url("mqtt://", None).is_err());
    }

    #[test]
    fn login_is_the_receiver_id_and_the_will_is_a_retained_offline_status() {
        let s = FleetSettings::from_url("mqtt://h:1", Some("secret".into())).unwrap();
        let o = s.options("sim-7");
        assert_eq!(o.client_id(), "sim-7");
        let login = o.credentials().unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("sim-7", "secret")
        );
        let will = o.last_will().unwrap();
        assert_eq!(will.topic, status_topic("sim-7"));
        assert!(will.retain);
        assert_eq!(will.qos, QoS::AtLeastOnce);
        let status: ReceiverStatus = serde_json::from_slice(&will.message).unwrap();
        assert_eq!(status.state, State::Offline);
    }
}
