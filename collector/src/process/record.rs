//! The rows a reception's (or a fix's) fields add to a batch: the
//! aircraft row, a flight for a callsign, and a position with the
//! aircraft's current state and where it came from.

use std::collections::HashMap;

use cloudradar_shared::state::{AltBaro, Fields, Source, Tracker};

use crate::store::{AircraftRow, FlightRow, PositionRow, PositionSource, WriteBatch};

/// Whose fields, when, and from where.
pub(super) struct Seen {
    pub(super) icao: u32,
    pub(super) time: u64,
    /// The source of the message (or the fix).
    pub(super) source: Source,
    /// Receivers that heard it (for a fix: used in the solve).
    pub(super) receivers: i64,
}

/// Adds what a reception's (or a fix's) fields say about its aircraft to
/// `out`: the aircraft row (`touched`, one per aircraft per batch), a
/// flight for a callsign, and a position with the aircraft's current
/// state and its source.
pub(super) fn record_aircraft(
    out: &mut WriteBatch,
    touched: &mut HashMap<u32, AircraftRow>,
    tracker: &Tracker,
    seen: Seen,
    f: Fields,
) {
    let Seen { icao, time, .. } = seen;
    let row = touched.entry(icao).or_insert_with(|| AircraftRow {
        icao: i64::from(icao),
        time_ms: time as i64,
        callsign: None,
        squawk: None,
        category: None,
        messages: 0,
    });
    row.messages += 1;
    row.time_ms = row.time_ms.max(time as i64);
    if let Some(cs) = f.flight {
        let cs = cs.as_str().trim_end().to_string();
        if !cs.is_empty() {
            out.flights.push(FlightRow {
                icao: i64::from(icao),
                callsign: cs.clone(),
                time_ms: time as i64,
            });
            row.callsign = Some(cs);
        }
    }
    if let Some(sq) = f.squawk {
        row.squawk = Some(format!("{:04x}", sq.0));
    }
    if let Some(c) = f.category {
        row.category = std::str::from_utf8(&c.0).ok().map(str::to_string);
    }
    if let (Some(lat), Some(lon), Some(source)) = (f.lat, f.lon, PositionSource::of(seen.source)) {
        let state = tracker.get(icao, false).map(|a| &a.fields);
        out.positions.push(PositionRow {
            icao: i64::from(icao),
            time_ms: time as i64,
            lat,
            lon,
            alt_baro: state.and_then(|s| match s.alt_baro {
                Some(AltBaro::Feet(ft)) => Some(i64::from(ft)),
                _ => None,
            }),
            alt_geom: state.and_then(|s| s.alt_geom).map(i64::from),
            gs: state.and_then(|s| s.gs),
            track: state.and_then(|s| s.track),
            baro_rate: state.and_then(|s| s.baro_rate).map(i64::from),
            source,
            receivers: seen.receivers,
        });
    }
}
