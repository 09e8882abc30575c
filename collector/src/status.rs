//! Receiver status as a component: each status message a receiver
//! publishes updates its clock offset, its online and last-seen gauges,
//! its known position (used for local CPR decoding and coverage) and its
//! row in the store.

use cloudradar_shared::cpr::Position;
use cloudradar_shared::wire::State;
use tokio::sync::mpsc;

use crate::component::{Component, Tasks};
use crate::ingest::StatusUpdate;
use crate::process::{Clocks, ReceiverPositions, ReceiverSite};
use crate::store::{StatusRow, WriterHandle};
use cloudradar_shared::time::now_ms;

/// Records receiver status until the collector stops.
#[derive(Debug)]
pub struct Recorder {
    /// Status messages from the subscriber.
    pub updates: mpsc::Receiver<StatusUpdate>,
    /// Each receiver's clock against ours.
    pub clocks: Clocks,
    /// Each receiver's position, shared with the processor.
    pub positions: ReceiverPositions,
    /// Stores each receiver's row.
    pub writer: WriterHandle,
}

impl Component for Recorder {
    type Handle = ();

    async fn start(mut self, tasks: &Tasks) -> anyhow::Result<()> {
        let cancel = tasks.cancel.clone();
        tasks.spawn(async move {
            while let Some(u) = tokio::select! {
                _ = cancel.cancelled() => None,
                u = self.updates.recv() => u,
            } {
                self.record(u).await;
            }
        });
        Ok(())
    }
}

impl Recorder {
    async fn record(&self, u: StatusUpdate) {
        tracing::info!(receiver = %u.receiver, state = ?u.status.state, "receiver status");
        if let (Some(at), Some(sent)) = (u.live_at_ms, u.status.time_ms) {
            self.clocks.observe(&u.receiver, sent, at);
        }
        let online = u.status.state == State::Online;
        metrics::gauge!("cloudradar_collector_receiver_online", "receiver" => u.receiver.clone())
            .set(if online { 1.0 } else { 0.0 });
        metrics::gauge!("cloudradar_collector_receiver_last_seen_timestamp_seconds", "receiver" => u.receiver.clone())
            .set(now_ms() as f64 / 1000.0);
        let position = u.status.position();
        if position.is_none() && (u.status.lat.is_some() || u.status.lon.is_some()) {
            tracing::warn!(receiver = %u.receiver, lat = ?u.status.lat, lon = ?u.status.lon, "receiver position is not a position on Earth; ignored");
        }
        let alt_m = position.and(u.status.altitude());
        if let (Some((lat, lon)), Ok(mut p)) = (position, self.positions.write()) {
            let position = Position { lat, lon };
            p.insert(u.receiver.clone(), ReceiverSite { position, alt_m });
        }
        self.writer
            .status(StatusRow {
                receiver: u.receiver,
                online,
                lat: position.map(|p| p.0),
                lon: position.map(|p| p.1),
                alt_m,
                version: u.status.version,
                time_ms: now_ms() as i64,
            })
            .await;
    }
}
