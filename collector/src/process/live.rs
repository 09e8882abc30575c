//! The live view: every current aircraft as readsb's `aircraft.json`
//! describes it, serialised once per refresh so API reads are a copy of
//! ready bytes.

use std::collections::HashMap;

use cloudradar_shared::state::{Fields, Tracker};
use serde::Serialize;

/// One aircraft as the API shows it (readsb field names).
#[derive(Debug, Clone, Serialize)]
pub struct LiveAircraft {
    /// Address, `~` first for non-ICAO.
    pub hex: String,
    /// readsb address type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Every decoded field.
    #[serde(flatten)]
    pub fields: Fields,
    /// Seconds since the position was last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_pos: Option<f64>,
    /// Seconds since any message.
    pub seen: f64,
    /// Messages received.
    pub messages: u64,
    /// Latest signal level, dBFS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rssi: Option<f64>,
    /// Receivers that heard it in the last minute.
    pub receivers: Vec<String>,
}

/// A consistent view of all live aircraft.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// When it was taken, Unix ms.
    pub now_ms: u64,
    /// Aircraft, sorted by address.
    pub aircraft: Vec<LiveAircraft>,
    /// `{"now":…,"messages":…,"aircraft":[…]}` as readsb writes it.
    pub json: bytes::Bytes,
}

#[derive(Serialize)]
struct AircraftJson<'a> {
    now: f64,
    messages: u64,
    aircraft: &'a [LiveAircraft],
}

pub(super) fn snapshot(
    tracker: &Tracker,
    heard_by: &HashMap<u32, Vec<(String, u64)>>,
    now_ms: u64,
    messages: u64,
) -> Snapshot {
    let mut aircraft: Vec<LiveAircraft> = tracker
        .iter()
        .map(|a| {
            let secs = |t: u64| ((now_ms.saturating_sub(t)) as f64 / 100.0).round() / 10.0;
            let mut fields = a.fields.clone();
            // Internal supplements are not part of readsb's schema.
            fields.nic_a = None;
            fields.nic_c = None;
            fields.geom_minus_baro = None;
            LiveAircraft {
                hex: a.address.hex(),
                kind: a.address.kind.readsb_name(),
                seen_pos: a.position().map(|(_, t)| secs(t)),
                seen: secs(a.last_seen_ms),
                messages: a.messages,
                rssi: a.rssi.map(|r| (r * 10.0).round() / 10.0),
                receivers: heard_by
                    .get(&a.address.icao)
                    .map(|v| v.iter().map(|(r, _)| r.clone()).collect())
                    .unwrap_or_default(),
                fields,
            }
        })
        .collect();
    aircraft.sort_by(|a, b| a.hex.cmp(&b.hex));
    let json = serde_json::to_vec(&AircraftJson {
        now: now_ms as f64 / 1000.0,
        messages,
        aircraft: &aircraft,
    })
    .unwrap_or_default();
    Snapshot {
        now_ms,
        aircraft,
        json: bytes::Bytes::from(json),
    }
}
