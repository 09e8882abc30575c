//! Live aircraft: the list (readsb's aircraft.json schema), one aircraft
//! with its recent track, and readsb's receiver.json.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{AppError, AppState};

/// `GET /api/v1/aircraft` and `/data/aircraft.json`: the pre-serialised snapshot.
pub async fn aircraft_json(State(s): State<AppState>) -> impl IntoResponse {
    ([("content-type", "application/json")], current_json(&s))
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
