//! Live aircraft: the list (readsb's aircraft.json schema), one aircraft
//! with its recent track, and readsb's receiver.json.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppError, AppState};

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

/// The gzip form of the latest snapshot, made once per snapshot.
#[derive(Debug, Default)]
pub struct GzipCache {
    cached: tokio::sync::Mutex<(u64, bytes::Bytes)>,
}

impl GzipCache {
    /// The compressed snapshot (`None` if compression failed).
    async fn get(&self, s: &AppState) -> Option<bytes::Bytes> {
        let taken = s.shared.snapshot.read().map(|x| x.now_ms).unwrap_or(0);
        let mut cached = self.cached.lock().await;
        if cached.0 == taken && !cached.1.is_empty() {
            return Some(cached.1.clone());
        }
        let json = current_json(s);
        let gz = tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(json.len() / 6),
                flate2::Compression::fast(),
            );
            enc.write_all(&json).ok()?;
            enc.finish().ok()
        })
        .await
        .ok()??;
        *cached = (taken, bytes::Bytes::from(gz));
        Some(cached.1.clone())
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

/// `GET /data/receiver.json` in readsb's shape.
pub async fn receiver_json() -> Json<Value> {
    Json(json!({
        "version": concat!("cloudradar ", env!("CARGO_PKG_VERSION")),
        "refresh": 1000,
        "history": 0,
    }))
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
    let since = now_ms.saturating_sub(3_600_000) as i64;
    let track = s
        .reader
        .query(move |c| {
            let mut st = c.prepare_cached(
                "SELECT time_ms, lat, lon, alt_baro, gs, track FROM positions WHERE icao = ?1 AND time_ms >= ?2 ORDER BY time_ms",
            )?;
            let rows = st
                .query_map(rusqlite::params![i64::from(addr), since], |r| {
                    Ok(json!([r.get::<_, i64>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?,
                        r.get::<_, Option<i64>>(3)?, r.get::<_, Option<f64>>(4)?, r.get::<_, Option<f64>>(5)?]))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
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
