//! History from SQLite: totals, flights and positions, with
//! parameters checked (a bad one is a 400 that names it) and keyset
//! pagination (`after` = the last id or time of the previous page).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use rusqlite::params;
use serde_json::{Value, json};

use axum::response::Response;

use super::export::{Format, respond};
use super::live::parse_icao;
use super::{AppError, AppState};

pub(super) fn param<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, AppError> {
    q.get(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| AppError::BadRequest(format!("{name}: invalid value {v:?}")))
        })
        .transpose()
}

fn limit(q: &HashMap<String, String>) -> Result<i64, AppError> {
    let l = param::<i64>(q, "limit")?.unwrap_or(1000);
    if !(1..=10_000).contains(&l) {
        return Err(AppError::BadRequest("limit: must be 1..=10000".into()));
    }
    Ok(l)
}

/// The selection every history query shares: aircraft, time window and page.
struct Window {
    icao: Option<i64>,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
}

impl Window {
    fn parse(q: &HashMap<String, String>) -> Result<Self, AppError> {
        let w = Self {
            icao: q
                .get("icao")
                .map(|v| parse_icao(v))
                .transpose()?
                .map(i64::from),
            from: param::<i64>(q, "from")?.unwrap_or(0),
            to: param::<i64>(q, "to")?.unwrap_or(i64::MAX),
            after: param::<i64>(q, "after")?.unwrap_or(0),
            limit: limit(q)?,
        };
        // An empty window would still walk the whole table to find nothing.
        if w.from > w.to {
            return Err(AppError::BadRequest("from: after to".into()));
        }
        Ok(w)
    }

    /// The cursor for the next page: the last id when the page is full.
    fn next(&self, rows: &[Value]) -> Option<i64> {
        rows.last()
            .and_then(|r| r["id"].as_i64())
            .filter(|_| rows.len() as i64 == self.limit)
    }
}

/// `GET /api/v1/stats`: totals and pipeline health.
pub async fn stats(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let (broker, redis, sqlite) = s.shared.health.states();
    let live = s
        .shared
        .snapshot
        .read()
        .map(|x| x.aircraft.len())
        .unwrap_or(0);
    let totals = s
        .reader
        .query(|c| {
            let count = |table: &str| -> anyhow::Result<i64> {
                Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
            };
            Ok(json!({
                "receptions": count("receptions")?,
                "messages": count("messages")?,
                "positions": count("positions")?,
                "aircraft": count("aircraft")?,
                "flights": count("flights")?,
                "batches": count("applied_batches")?,
            }))
        })
        .await?;
    Ok(Json(json!({
        "live_aircraft": live,
        "totals": totals,
        "health": { "broker": broker, "redis": redis, "sqlite": sqlite },
    })))
}

/// `GET /api/v1/flights?callsign=&icao=&from=&to=&after=&limit=`.
pub async fn flights(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let format = Format::parse(&q, false)?;
    let w = Window::parse(&q)?;
    let callsign = q.get("callsign").map(|c| c.trim().to_ascii_uppercase());
    if callsign
        .as_ref()
        .is_some_and(|c| c.len() > 8 || !c.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(AppError::BadRequest(
            "callsign: 1-8 letters and digits".into(),
        ));
    }
    let rows = s
        .reader
        .query(move |c| {
            let mut st = c.prepare_cached(
                "SELECT id, icao, callsign, first_seen_ms, last_seen_ms FROM flights
                 WHERE id > ?1 AND (?2 IS NULL OR icao = ?2) AND (?3 IS NULL OR callsign = ?3)
                   AND last_seen_ms >= ?4 AND first_seen_ms <= ?5
                 ORDER BY id LIMIT ?6",
            )?;
            let rows = st
                .query_map(
                    params![w.after, w.icao, callsign, w.from, w.to, w.limit],
                    |r| {
                        Ok(json!({
                            "id": r.get::<_, i64>(0)?,
                            "hex": format!("{:06x}", r.get::<_, i64>(1)?),
                            "callsign": r.get::<_, String>(2)?,
                            "first_seen_ms": r.get::<_, i64>(3)?,
                            "last_seen_ms": r.get::<_, i64>(4)?,
                        }))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let next = w.next(&rows);
    Ok(respond(
        format,
        "flights",
        &["id", "hex", "callsign", "first_seen_ms", "last_seen_ms"],
        rows,
        next,
    ))
}

/// The `bbox` parameter: (south, west, north, east), the whole world when absent.
pub(super) fn bbox(q: &HashMap<String, String>) -> Result<(f64, f64, f64, f64), AppError> {
    let Some(b) = q.get("bbox") else {
        return Ok((-90.0, -180.0, 90.0, 180.0));
    };
    let bad = || AppError::BadRequest("bbox: expected south,west,north,east".into());
    let v: Vec<f64> = b
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    // Ranges also refuse NaN (bound as NULL, it would match nothing after
    // a scan of the whole table); west beyond east (across the
    // antimeridian) is not supported and would match nothing too.
    let lat = |x: f64| (-90.0..=90.0).contains(&x);
    let lon = |x: f64| (-180.0..=180.0).contains(&x);
    match v[..] {
        [s, w, n, e] if lat(s) && lat(n) && lon(w) && lon(e) && s <= n && w <= e => {
            Ok((s, w, n, e))
        }
        _ => Err(bad()),
    }
}

/// A page of positions in rowid order. Parameters: after, icao, from, to,
/// south, north, west, east, limit. With an aircraft the
/// `(icao, time_ms)` index finds its rows; without one the rowid range is
/// walked and the other filters are not offered an index (`+col`), so the
/// page stops at `limit` matches instead of sorting every match first.
pub(super) fn positions_sql(by_icao: bool) -> &'static str {
    if by_icao {
        "SELECT rowid, icao, time_ms, lat, lon, alt_baro, gs, track FROM positions
         WHERE icao = ?2 AND time_ms BETWEEN ?3 AND ?4 AND rowid > ?1
           AND lat BETWEEN ?5 AND ?6 AND lon BETWEEN ?7 AND ?8
         ORDER BY rowid LIMIT ?9"
    } else {
        "SELECT rowid, icao, time_ms, lat, lon, alt_baro, gs, track FROM positions
         WHERE rowid > ?1 AND +time_ms BETWEEN ?3 AND ?4
           AND +lat BETWEEN ?5 AND ?6 AND +lon BETWEEN ?7 AND ?8
         ORDER BY rowid LIMIT ?9"
    }
}

/// `GET /api/v1/positions?icao=&from=&to=&bbox=s,w,n,e&after=&limit=`.
pub async fn positions(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let format = Format::parse(&q, true)?;
    let w = Window::parse(&q)?;
    let (south, west, north, east) = bbox(&q)?;
    let rows = s
        .reader
        .query(move |c| {
            let mut st = c.prepare_cached(positions_sql(w.icao.is_some()))?;
            let rows = st
                .query_map(
                    params![
                        w.after, w.icao, w.from, w.to, south, north, west, east, w.limit
                    ],
                    |r| {
                        Ok(json!({
                            "id": r.get::<_, i64>(0)?,
                            "hex": format!("{:06x}", r.get::<_, i64>(1)?),
                            "time_ms": r.get::<_, i64>(2)?,
                            "lat": r.get::<_, f64>(3)?,
                            "lon": r.get::<_, f64>(4)?,
                            "alt_baro": r.get::<_, Option<i64>>(5)?,
                            "gs": r.get::<_, Option<f64>>(6)?,
                            "track": r.get::<_, Option<f64>>(7)?,
                        }))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let next = w.next(&rows);
    Ok(respond(
        format,
        "positions",
        &[
            "id", "hex", "time_ms", "lat", "lon", "alt_baro", "gs", "track",
        ],
        rows,
        next,
    ))
}
