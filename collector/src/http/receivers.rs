//! Receivers: the list with status, rates and range, and per receiver its
//! coverage (furthest range per bearing sector) and messages per second
//! over time, from the per-minute counts the writer keeps.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::history::param;
use super::{AppError, AppState};
use crate::pipeline::now_ms;
use crate::process::{SECTOR_DEGREES, SECTORS, SIGNAL_BANDS_DBFS};

/// Minutes averaged for the list's current rate (the last complete ones).
const RATE_MINUTES: i64 = 5;

/// `GET /api/v1/receivers`.
pub async fn list(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let this_minute = (now_ms() / 60_000) as i64;
    let rows = s
        .reader
        .query(move |c| {
            let mut st = c.prepare_cached(
                "SELECT r.id, r.first_seen_ms, r.last_seen_ms, r.online, r.lat, r.lon, r.version, r.frames, r.batches,
                   (SELECT sum(frames) FROM receiver_minutes m WHERE m.receiver = r.id AND m.minute >= ?1 AND m.minute < ?2),
                   (SELECT max(max_range_m) FROM receiver_coverage v WHERE v.receiver = r.id)
                 FROM receivers r ORDER BY r.id",
            )?;
            let rows = st
                .query_map(params![this_minute - RATE_MINUTES, this_minute], |r| {
                    let recent: Option<i64> = r.get(9)?;
                    Ok(json!({
                        "id": r.get::<_, String>(0)?,
                        "first_seen_ms": r.get::<_, i64>(1)?,
                        "last_seen_ms": r.get::<_, i64>(2)?,
                        "online": r.get::<_, i64>(3)? != 0,
                        "lat": r.get::<_, Option<f64>>(4)?,
                        "lon": r.get::<_, Option<f64>>(5)?,
                        "version": r.get::<_, Option<String>>(6)?,
                        "frames": r.get::<_, i64>(7)?,
                        "batches": r.get::<_, i64>(8)?,
                        "messages_per_s": recent.unwrap_or(0) as f64 / (RATE_MINUTES * 60) as f64,
                        "range_m": r.get::<_, Option<f64>>(10)?,
                    }))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(json!({ "receivers": rows })))
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
        .query(move |c| {
            Ok(c.prepare_cached("SELECT 1 FROM receivers WHERE id = ?1")?
                .query_row(params![id], |_| Ok(()))
                .optional()?
                .is_some())
        })
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
    let sectors = s
        .reader
        .query(move |c| {
            let mut out = vec![Value::Null; SECTORS];
            let mut st = c.prepare_cached(
                "SELECT sector, max_range_m FROM receiver_coverage WHERE receiver = ?1",
            )?;
            let rows = st.query_map(params![rid], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?))
            })?;
            for row in rows {
                let (sector, range) = row?;
                if let Some(slot) = usize::try_from(sector).ok().and_then(|i| out.get_mut(i)) {
                    *slot = json!(range.round());
                }
            }
            Ok(out)
        })
        .await?;
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
        .query(move |c| {
            let mut st = c.prepare_cached(
                "SELECT minute, frames, accepted, rejected, positions, aircraft, max_range_m,
                        sig_0, sig_1, sig_2, sig_3, sig_4, sig_5, span_minutes
                 FROM receiver_minutes WHERE receiver = ?1 AND minute > ?2 ORDER BY minute",
            )?;
            let rows = st
                .query_map(params![rid, since], |r| {
                    let signal = (7..13)
                        .map(|i| r.get::<_, i64>(i))
                        .collect::<Result<Vec<_>, _>>()?;
                    let span_s = r.get::<_, i64>(13)?.max(1) * 60;
                    Ok(json!({
                        "t": r.get::<_, i64>(0)? * 60,
                        "span_s": span_s,
                        "messages_per_s": r.get::<_, i64>(1)? as f64 / span_s as f64,
                        "accepted_per_s": r.get::<_, i64>(2)? as f64 / span_s as f64,
                        "rejected": r.get::<_, i64>(3)?,
                        "positions": r.get::<_, i64>(4)?,
                        "aircraft": r.get::<_, i64>(5)?,
                        "max_range_m": r.get::<_, Option<f64>>(6)?.map(f64::round),
                        "signal_bands": signal,
                    }))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(json!({
        "receiver": id,
        "signal_band_edges_dbfs": SIGNAL_BANDS_DBFS,
        "points": points,
    })))
}
