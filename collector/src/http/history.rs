//! History from SQLite: totals, flights and positions, with
//! parameters checked (a bad one is a 400 that names it) and keyset
//! pagination (`after` = the last id or time of the previous page).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::export::{Format, respond};
use super::live::parse_icao;
use super::{AppError, AppState};
use crate::store::queries::{
    self, Area, FlightFilter, FlightSummary, Page, PositionFilter, PositionRecord, TimeWindow,
};

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
    time: TimeWindow,
    page: Page,
}

impl Window {
    fn parse(q: &HashMap<String, String>) -> Result<Self, AppError> {
        let icao = q
            .get("icao")
            .map(|v| parse_icao(v))
            .transpose()?
            .map(i64::from);
        let time = time_window(q)?;
        let page = Page {
            after: param::<i64>(q, "after")?.unwrap_or(0),
            limit: limit(q)?,
        };
        // An empty window would still walk the whole table to find nothing.
        if time.from > time.to {
            return Err(AppError::BadRequest("from: after to".into()));
        }
        Ok(Self { icao, time, page })
    }
}

/// The `from` and `to` parameters, every time when absent.
pub(super) fn time_window(q: &HashMap<String, String>) -> Result<TimeWindow, AppError> {
    Ok(TimeWindow {
        from: param::<i64>(q, "from")?.unwrap_or(TimeWindow::ALL.from),
        to: param::<i64>(q, "to")?.unwrap_or(TimeWindow::ALL.to),
    })
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
    let t = s.reader.query(queries::totals).await?;
    let totals = json!({
        "receptions": t.receptions,
        "messages": t.messages,
        "positions": t.positions,
        "aircraft": t.aircraft,
        "flights": t.flights,
        "batches": t.batches,
    });
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
    let filter = FlightFilter {
        icao: w.icao,
        callsign,
        window: w.time,
    };
    let page = w.page;
    let found = s
        .reader
        .query(move |c| queries::flights(c, &filter, page))
        .await?;
    let next = page.next(found.len(), found.last().map(|f| f.id));
    Ok(respond(
        format,
        "flights",
        &["id", "hex", "callsign", "first_seen_ms", "last_seen_ms"],
        found.iter().map(flight_json).collect(),
        next,
    ))
}

fn flight_json(f: &FlightSummary) -> Value {
    json!({
        "id": f.id,
        "hex": format!("{:06x}", f.icao),
        "callsign": f.callsign,
        "first_seen_ms": f.first_seen_ms,
        "last_seen_ms": f.last_seen_ms,
    })
}

/// The `bbox` parameter: (south, west, north, east), the whole world when absent.
pub(super) fn bbox(q: &HashMap<String, String>) -> Result<Area, AppError> {
    let Some(b) = q.get("bbox") else {
        return Ok(Area::WORLD);
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
        [south, west, north, east]
            if lat(south)
                && lat(north)
                && lon(west)
                && lon(east)
                && south <= north
                && west <= east =>
        {
            Ok(Area {
                south,
                west,
                north,
                east,
            })
        }
        _ => Err(bad()),
    }
}

/// `GET /api/v1/positions?icao=&from=&to=&bbox=s,w,n,e&after=&limit=`.
pub async fn positions(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let format = Format::parse(&q, true)?;
    let w = Window::parse(&q)?;
    let filter = PositionFilter {
        icao: w.icao,
        window: w.time,
        area: bbox(&q)?,
    };
    let page = w.page;
    let found = s
        .reader
        .query(move |c| queries::positions(c, &filter, page))
        .await?;
    let next = page.next(found.len(), found.last().map(|p| p.id));
    Ok(respond(
        format,
        "positions",
        &[
            "id", "hex", "time_ms", "lat", "lon", "alt_baro", "gs", "track", "source",
        ],
        found.iter().map(position_json).collect(),
        next,
    ))
}

fn position_json(p: &PositionRecord) -> Value {
    json!({
        "id": p.id,
        "hex": format!("{:06x}", p.icao),
        "time_ms": p.time_ms,
        "lat": p.lat,
        "lon": p.lon,
        "alt_baro": p.alt_baro,
        "gs": p.gs,
        "track": p.track,
        "source": p.source,
    })
}
