//! Receivers: the list with status, rates and range, and per receiver its
//! coverage (furthest range per bearing sector) and messages per second
//! over time, from the per-minute counts the writer keeps.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::history::param;
use super::{AppError, AppState};
use crate::process::{SECTOR_DEGREES, SECTORS, SIGNAL_BANDS_DBFS};
use crate::store::queries::{self, MinuteRange, ReceiverInterval, ReceiverSummary};
use cloudradar_shared::time::now_ms;

/// Minutes averaged for the list's current rate (the last complete ones).
const RATE_MINUTES: i64 = 5;

/// `GET /api/v1/receivers`.
pub async fn list(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let this_minute = (now_ms() / 60_000) as i64;
    let recent = MinuteRange {
        from: this_minute - RATE_MINUTES,
        to: this_minute,
    };
    let rows = s
        .reader
        .query(move |c| queries::receivers(c, recent))
        .await?;
    let rows: Vec<Value> = rows.iter().map(receiver_json).collect();
    Ok(Json(json!({ "receivers": rows })))
}

fn receiver_json(r: &ReceiverSummary) -> Value {
    json!({
        "id": r.id,
        "first_seen_ms": r.first_seen_ms,
        "last_seen_ms": r.last_seen_ms,
        "online": r.online,
        "lat": r.lat,
        "lon": r.lon,
        "version": r.version,
        "frames": r.frames,
        "batches": r.batches,
        "messages_per_s": r.recent_frames as f64 / (RATE_MINUTES * 60) as f64,
        "range_m": r.range_m,
    })
}

/// Receiver ids are what agents may use as MQTT topic levels.
fn check_id(id: &str) -> Result<(), AppError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(AppError::BadRequest(format!(
            "id: not a receiver id: {id:?}"
        )));
    }
    Ok(())
}

async fn known(s: &AppState, id: &str) -> Result<(), AppError> {
    let id = id.to_string();
    let found = s
        .reader
        .query(move |c| queries::receiver_exists(c, &id))
        .await?;
    if found {
        Ok(())
    } else {
        Err(AppError::NotFound("receiver not known".into()))
    }
}

/// `GET /api/v1/receivers/{id}/coverage`: furthest range per sector.
pub async fn coverage(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    check_id(&id)?;
    known(&s, &id).await?;
    let rid = id.clone();
    let reached = s.reader.query(move |c| queries::coverage(c, &rid)).await?;
    let mut sectors = vec![Value::Null; SECTORS];
    for r in reached {
        if let Some(slot) = usize::try_from(r.sector)
            .ok()
            .and_then(|i| sectors.get_mut(i))
        {
            *slot = json!(r.max_range_m.round());
        }
    }
    Ok(Json(json!({
        "receiver": id,
        "sector_degrees": SECTOR_DEGREES,
        "max_range_m": sectors,
    })))
}

/// `GET /api/v1/receivers/{id}/rates?minutes=60`: one point per minute
/// (per hour, `span_s` 3600, for data older than the raw-message
/// retention; minutes with no frames are absent): messages and accepted per second,
/// rejected frames, positions, distinct aircraft, furthest range and the
/// signal level distribution over `signal_band_edges_dbfs`.
pub async fn rates(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    check_id(&id)?;
    let minutes = param::<i64>(&q, "minutes")?.unwrap_or(60);
    if !(1..=10_080).contains(&minutes) {
        return Err(AppError::BadRequest("minutes: must be 1..=10080".into()));
    }
    known(&s, &id).await?;
    let since = (now_ms() / 60_000) as i64 - minutes;
    let rid = id.clone();
    let points = s
        .reader
        .query(move |c| queries::intervals(c, &rid, since))
        .await?;
    let points: Vec<Value> = points.iter().map(interval_json).collect();
    Ok(Json(json!({
        "receiver": id,
        "signal_band_edges_dbfs": SIGNAL_BANDS_DBFS,
        "points": points,
    })))
}

fn interval_json(i: &ReceiverInterval) -> Value {
    let span_s = i.span_minutes.max(1) * 60;
    json!({
        "t": i.minute * 60,
        "span_s": span_s,
        "messages_per_s": i.frames as f64 / span_s as f64,
        "accepted_per_s": i.accepted as f64 / span_s as f64,
        "rejected": i.rejected,
        "positions": i.positions,
        "aircraft": i.aircraft,
        "max_range_m": i.max_range_m.map(f64::round),
        "signal_bands": i.signal,
    })
}
