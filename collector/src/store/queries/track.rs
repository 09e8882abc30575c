//! One aircraft's recent track: its positions since a time, oldest first.

use rusqlite::{Connection, params};

/// One point of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Time, Unix ms.
    pub time_ms: i64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Barometric altitude, feet.
    pub alt_baro: Option<i64>,
    /// Ground speed, knots.
    pub gs: Option<f64>,
    /// Track, degrees.
    pub track: Option<f64>,
}

/// The positions of `icao` at or after `since_ms`, in time order.
pub fn track(c: &Connection, icao: i64, since_ms: i64) -> anyhow::Result<Vec<TrackPoint>> {
    let mut st = c.prepare_cached(
        "SELECT time_ms, lat, lon, alt_baro, gs, track FROM positions WHERE icao = ?1 AND time_ms >= ?2 ORDER BY time_ms",
    )?;
    let rows = st
        .query_map(params![icao, since_ms], |r| {
            Ok(TrackPoint {
                time_ms: r.get(0)?,
                lat: r.get(1)?,
                lon: r.get(2)?,
                alt_baro: r.get(3)?,
                gs: r.get(4)?,
                track: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixture::{DLH, KLM};

    #[tokio::test]
    async fn a_track_holds_the_aircraft_s_positions_since_the_time() {
        let (_dir, c, f) = super::super::filled().await;
        let late = TrackPoint {
            time_ms: f.base + 5_000,
            lat: 52.5,
            lon: 4.75,
            alt_baro: None,
            gs: None,
            track: None,
        };
        let all = track(&c, KLM, 0).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].time_ms, all[0].alt_baro), (f.base, Some(35_000)));
        assert_eq!(all[1], late);
        assert_eq!(track(&c, KLM, f.base + 1).unwrap(), [late]);
        assert_eq!(track(&c, DLH, f.base + 1).unwrap(), []);
        assert_eq!(track(&c, 0xabcdef, 0).unwrap(), []);
    }
}
