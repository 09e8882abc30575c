//! The retained receiver status message (JSON on the status topic).

use serde::{Deserialize, Serialize};

/// Online state as published by the agent (and by its MQTT last will).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The agent is connected and forwarding.
    Online,
    /// The agent shut down or its connection died (last will).
    Offline,
}

/// Status and periodic statistics of one receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverStatus {
    /// Online or offline.
    pub state: State,
    /// Agent software version.
    #[serde(default)]
    pub version: Option<String>,
    /// Receiver latitude, degrees, if configured.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Receiver longitude, degrees, if configured.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Seconds since the agent started.
    #[serde(default)]
    pub uptime_s: Option<u64>,
    /// Frames accepted per second over the last interval.
    #[serde(default)]
    pub frames_per_s: Option<f64>,
    /// Frames rejected (bad CRC, malformed) since start.
    #[serde(default)]
    pub rejected_total: Option<u64>,
    /// Batches dropped because the spool was full, since start.
    #[serde(default)]
    pub dropped_batches_total: Option<u64>,
    /// Bytes currently held in the on-disk spool.
    #[serde(default)]
    pub spool_bytes: Option<u64>,
    /// Unix milliseconds when this status was produced.
    #[serde(default)]
    pub time_ms: Option<u64>,
}

impl ReceiverStatus {
    /// The minimal "offline" message used as the MQTT last will.
    pub fn offline() -> Self {
        Self {
            state: State::Offline,
            version: None,
            lat: None,
            lon: None,
            uptime_s: None,
            frames_per_s: None,
            rejected_total: None,
            dropped_batches_total: None,
            spool_bytes: None,
            time_ms: None,
        }
    }
}
