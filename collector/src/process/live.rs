//! The live view: every current aircraft as readsb's `aircraft.json`
//! describes it (readsb v3.14 `json_out.c` `sprintAircraftObject` and
//! `README-json.md`: names, units, decimals), serialised once per refresh
//! so API reads are a copy of ready bytes. Listed are the aircraft readsb
//! lists: with a valid position, or heard twice and in the last minute.
//!
//! A multilaterated aircraft is `"type": "mlat"`, its position has `nic`
//! and `rc` 0 (readsb's values for a position without a type code), and
//! `mlat`/`tisb` list the fields whose value came from MLAT or TIS-B by
//! readsb's names (`json_out.c` `append_flags`).
//!
//! Not emitted: `wd`/`ws`, `oat`/`tat`, `nav_modes`, `calc_track`,
//! `lastPosition`, `rr_lat`.

use std::collections::HashMap;

use cloudradar_shared::cpr::{Position, bearing_deg, distance_m};
use cloudradar_shared::state::{Aircraft, Fields, Source, Tracker};
use serde::Serialize;

/// readsb's `TRACK_EXPIRE` (`track.h`): a position, like any field, is
/// no longer valid when it is older.
const TRACK_EXPIRE_MS: u64 = 60_000;

/// Metres in a nautical mile (readsb divides by 1852 for `r_dst`).
const NM_M: f64 = 1852.0;

/// One aircraft as the API shows it (readsb field names).
#[derive(Debug, Clone, Serialize)]
pub struct LiveAircraft {
    /// Address, `~` first for non-ICAO.
    pub hex: String,
    /// readsb address type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Every decoded field; `lat`, `lon`, `nic` and `rc` only with a
    /// valid position.
    #[serde(flatten)]
    pub fields: Fields,
    /// Seconds since the position was last updated (3 decimals), only
    /// while it is valid (at most 60 s old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_pos: Option<f64>,
    /// Distance from the site, NM (3 decimals), with a valid position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r_dst: Option<f64>,
    /// Bearing from the site, degrees (1 decimal), with a valid position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r_dir: Option<f64>,
    /// Fields whose value came from MLAT (readsb's names and order).
    pub mlat: Vec<&'static str>,
    /// Fields whose value came from DF18 TIS-B (readsb's names and order).
    pub tisb: Vec<&'static str>,

    /// Seconds since any message (1 decimal).
    pub seen: f64,
    /// Messages received.
    pub messages: u64,
    /// Mean power of the last eight messages, dBFS (1 decimal).
    pub rssi: f64,
    /// Receivers that heard it in the last minute.
    pub receivers: Vec<String>,
}

/// A consistent view of all live aircraft.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// When it was taken, Unix ms.
    pub now_ms: u64,
    /// The site (`site_lat`/`site_lon`, else the receivers' centroid).
    pub site: Option<Position>,
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

/// What a snapshot is taken from.
pub(super) struct Inputs<'a> {
    pub tracker: &'a Tracker,
    pub heard_by: &'a HashMap<u32, Vec<(String, u64)>>,
    pub now_ms: u64,
    pub messages: u64,
    pub site: Option<Position>,
}

pub(super) fn snapshot(i: Inputs<'_>) -> Snapshot {
    let mut aircraft: Vec<LiveAircraft> = i
        .tracker
        .iter()
        .filter(|a| listed(a, i.now_ms))
        .map(|a| live_aircraft(a, &i))
        .collect();
    aircraft.sort_by(|a, b| a.hex.cmp(&b.hex));
    let json = serde_json::to_vec(&AircraftJson {
        now: i.now_ms as f64 / 1000.0,
        messages: i.messages,
        aircraft: &aircraft,
    })
    .unwrap_or_default();
    Snapshot {
        now_ms: i.now_ms,
        site: i.site,
        aircraft,
        json: bytes::Bytes::from(json),
    }
}

/// readsb's `includeAircraftJson` (`json_out.c`): an aircraft with a
/// valid position, or heard in the last 60 s with at least two messages
/// (one lone message is as likely noise).
fn listed(a: &Aircraft, now_ms: u64) -> bool {
    let age = |t: u64| now_ms.saturating_sub(t);
    a.position().is_some_and(|(_, t)| age(t) <= TRACK_EXPIRE_MS)
        || (a.messages >= 2 && age(a.last_seen_ms) < TRACK_EXPIRE_MS)
}

fn round(v: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (v * p).round() / p
}

/// Seconds from `t` to `now` (0 for a time after it), as readsb prints ages.
fn age_s(now_ms: u64, t: u64) -> f64 {
    now_ms.saturating_sub(t) as f64 / 1000.0
}

fn live_aircraft(a: &Aircraft, i: &Inputs<'_>) -> LiveAircraft {
    let now_ms = i.now_ms;
    // Whether or not the tracker's expiry has run since.
    let mut fields = a.valid_fields(now_ms);
    // Internal supplements are not part of readsb's schema.
    fields.nic_a = None;
    fields.nic_c = None;
    fields.geom_minus_baro = None;
    let position = a
        .position()
        .filter(|(_, t)| now_ms.saturating_sub(*t) <= TRACK_EXPIRE_MS);
    // readsb prints lat, lon, nic, rc and seen_pos together or not at all.
    match position {
        Some((pos, _)) => {
            fields.lat = Some(round(pos.lat, 6));
            fields.lon = Some(round(pos.lon, 6));
            fields.nic = Some(a.fields.nic.unwrap_or(0));
            fields.rc = Some(a.fields.rc.unwrap_or(0));
        }
        None => (fields.lat, fields.lon, fields.nic, fields.rc) = (None, None, None, None),
    }
    let from_site = position.zip(i.site).map(|((pos, _), site)| {
        (
            round(distance_m(site, pos) / NM_M, 3),
            round(bearing_deg(site, pos), 1),
        )
    });
    LiveAircraft {
        hex: a.address.hex(),
        kind: a.address.kind.readsb_name(),
        seen_pos: position.map(|(_, t)| round(age_s(now_ms, t), 3)),
        r_dst: from_site.map(|(d, _)| d),
        r_dir: from_site.map(|(_, b)| b),
        mlat: a.flags(now_ms, Source::Mlat),
        tisb: a.flags(now_ms, Source::Tisb),
        seen: round(age_s(now_ms, a.last_seen_ms), 1),
        messages: a.messages,
        rssi: round(a.rssi_average(), 1),
        receivers: i
            .heard_by
            .get(&a.address.icao)
            .map(|v| v.iter().map(|(r, _)| r.clone()).collect())
            .unwrap_or_default(),
        fields,
    }
}
