//! Live aircraft: the list (readsb's aircraft.json schema), one aircraft
//! with its recent track, and readsb's receiver.json.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppError, AppState};
use crate::store::queries;

/// `GET /api/v1/aircraft` and `/data/aircraft.json`: the pre-serialised
/// snapshot, gzip-compressed (once per snapshot, shared by every request)
/// when the client accepts it: 5,000 aircraft are ~1.9 MB of JSON, ~250 kB
/// compressed.
pub async fn aircraft_json(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if accepts_gzip && let Some(body) = s.gzip.get(&s).await {
        return (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "accept-encoding"),
            ],
            body,
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::VARY, "accept-encoding"),
        ],
        current_json(&s),
    )
        .into_response()
}

/// The gzip form of the latest snapshot, made once per snapshot on the
/// blocking pool. While a new one is being compressed (~10 ms for 5,000
/// aircraft), requests get the previous one, at most one refresh older,
/// instead of all waiting for it.
#[derive(Debug, Default)]
pub struct GzipCache {
    cached: std::sync::Mutex<(u64, bytes::Bytes)>,
    compressing: std::sync::atomic::AtomicBool,
}

impl GzipCache {
    /// The compressed snapshot (`None` if there is none yet or compression failed).
    async fn get(self: &std::sync::Arc<Self>, s: &AppState) -> Option<bytes::Bytes> {
        use std::sync::atomic::Ordering;
        let taken = s.shared.snapshot.read().map(|x| x.now_ms).unwrap_or(0);
        let (at, body) = self.cached.lock().ok()?.clone();
        if at == taken && !body.is_empty() {
            return Some(body);
        }
        if self.compressing.swap(true, Ordering::AcqRel) {
            return (!body.is_empty()).then_some(body);
        }
        let json = current_json(s);
        let this = self.clone();
        // Detached: a client that goes away does not stop it half-way.
        tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(json.len() / 6),
                flate2::Compression::fast(),
            );
            let gz = enc
                .write_all(&json)
                .ok()
                .and_then(|()| enc.finish().ok())
                .map(bytes::Bytes::from);
            if let (Some(gz), Ok(mut c)) = (&gz, this.cached.lock()) {
                *c = (taken, gz.clone());
            }
            this.compressing.store(false, Ordering::Release);
            gz
        })
        .await
        .ok()
        .flatten()
    }
}

/// The latest snapshot's JSON (an empty list before the first one).
pub fn current_json(s: &AppState) -> bytes::Bytes {
    let body = s
        .shared
        .snapshot
        .read()
        .map(|snap| snap.json.clone())
        .unwrap_or_default();
    if body.is_empty() {
        bytes::Bytes::from_static(br#"{"now":0,"messages":0,"aircraft":[]}"#)
    } else {
        body
    }
}

/// `GET /data/receiver.json` in readsb's shape (`json_out.c`
/// `generateReceiverJson`): with the site known, its `lat`/`lon` to six
/// decimals (readsb's default `--json-location-accuracy 2`), where
/// tar1090 centres the map and draws the site marker.
pub async fn receiver_json(State(s): State<AppState>) -> Json<Value> {
    let site = s.shared.snapshot.read().ok().and_then(|snap| snap.site);
    let mut body = json!({
        "version": concat!("cloudradar ", env!("CARGO_PKG_VERSION")),
        "refresh": 1000,
        "history": 0,
    });
    if let (Some(site), Some(obj)) = (site, body.as_object_mut()) {
        let six = |v: f64| (v * 1e6).round() / 1e6;
        obj.insert("lat".into(), json!(six(site.lat)));
        obj.insert("lon".into(), json!(six(site.lon)));
    }
    Json(body)
}

/// Parses six hex digits (optionally `~`-prefixed).
pub fn parse_icao(s: &str) -> Result<u32, AppError> {
    let hex = s.strip_prefix('~').unwrap_or(s);
    if hex.len() != 6 {
        return Err(AppError::BadRequest(format!(
            "icao: expected 6 hex digits, got {s:?}"
        )));
    }
    u32::from_str_radix(hex, 16).map_err(|_| AppError::BadRequest(format!("icao: not hex: {s:?}")))
}

/// `GET /api/v1/aircraft/{icao}`: live state plus the last hour of track.
pub async fn aircraft_one(
    State(s): State<AppState>,
    Path(icao): Path<String>,
) -> Result<Json<Value>, AppError> {
    let addr = parse_icao(&icao)?;
    let hex = icao.to_ascii_lowercase();
    let (live, now_ms) = {
        let snap = s
            .shared
            .snapshot
            .read()
            .map_err(|_| anyhow::anyhow!("snapshot lock poisoned"))?;
        (
            snap.aircraft.iter().find(|a| a.hex == hex).cloned(),
            snap.now_ms,
        )
    };
    // Before the first snapshot its time is 0: the hour before the wall
    // clock then, not the whole history.
    let now_ms = if now_ms == 0 {
        cloudradar_shared::time::now_ms()
    } else {
        now_ms
    };
    let since = now_ms.saturating_sub(3_600_000) as i64;
    let track = s
        .reader
        .query(move |c| queries::track(c, i64::from(addr), since))
        .await?;
    let track: Vec<Value> = track
        .iter()
        .map(|p| json!([p.time_ms, p.lat, p.lon, p.alt_baro, p.gs, p.track]))
        .collect();
    if live.is_none() && track.is_empty() {
        return Err(AppError::NotFound(format!(
            "aircraft {hex} not seen in the last hour"
        )));
    }
    Ok(Json(json!({
        "hex": hex,
        "live": live,
        "track_fields": ["time_ms", "lat", "lon", "alt_baro", "gs", "track"],
        "track": track,
    })))
}
