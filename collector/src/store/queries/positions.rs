//! Positions by aircraft, time and area, in rowid order a page at a time:
//! as a list for the paged API, or row by row for the CSV download.

use rusqlite::{Connection, Row, params};

use super::{Area, Page, TimeWindow};
use crate::store::PositionSource;

/// Which positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionFilter {
    /// Only this aircraft.
    pub icao: Option<i64>,
    /// Only in this window.
    pub window: TimeWindow,
    /// Only in this box.
    pub area: Area,
}

/// One stored position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionRecord {
    /// Row id (the page cursor).
    pub id: i64,
    /// Aircraft address.
    pub icao: i64,
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
    /// Geometric altitude, feet.
    pub alt_geom: Option<i64>,
    /// Vertical rate, feet/minute.
    pub baro_rate: Option<i64>,
    /// Receivers that heard the position message (multilaterated: used
    /// in the solve).
    pub receivers: i64,
    /// Where the position came from.
    pub source: PositionSource,
}

/// The columns [`record`] reads, in its order.
pub const RECORD_COLUMNS: &str =
    "rowid, icao, time_ms, lat, lon, alt_baro, gs, track, alt_geom, baro_rate, receivers, source";

/// With an aircraft the `(icao, time_ms)` index finds its rows; without
/// one the rowid range is walked and the other filters are not offered an
/// index (`+col`), so a page stops at `limit` matches instead of sorting
/// every match first. Parameters: after, icao, from, to, south, north,
/// west, east, limit.
const BY_ICAO: &str =
    "SELECT rowid, icao, time_ms, lat, lon, alt_baro, gs, track, alt_geom, baro_rate, receivers, source
     FROM positions
     WHERE icao = ?2 AND time_ms BETWEEN ?3 AND ?4 AND rowid > ?1
       AND lat BETWEEN ?5 AND ?6 AND lon BETWEEN ?7 AND ?8
     ORDER BY rowid LIMIT ?9";
const BY_ROWID: &str =
    "SELECT rowid, icao, time_ms, lat, lon, alt_baro, gs, track, alt_geom, baro_rate, receivers, source
     FROM positions
     WHERE rowid > ?1 AND +time_ms BETWEEN ?3 AND ?4
       AND +lat BETWEEN ?5 AND ?6 AND +lon BETWEEN ?7 AND ?8
     ORDER BY rowid LIMIT ?9";

/// A row of [`RECORD_COLUMNS`].
pub fn record(r: &Row<'_>) -> rusqlite::Result<PositionRecord> {
    Ok(PositionRecord {
        id: r.get(0)?,
        icao: r.get(1)?,
        time_ms: r.get(2)?,
        lat: r.get(3)?,
        lon: r.get(4)?,
        alt_baro: r.get(5)?,
        gs: r.get(6)?,
        track: r.get(7)?,
        alt_geom: r.get(8)?,
        baro_rate: r.get(9)?,
        receivers: r.get(10)?,
        source: r.get(11)?,
    })
}

/// Hands each position of one page to `each` as it is read (nothing is
/// collected), in one read transaction; returns how many there were.
pub fn for_each_position(
    c: &Connection,
    filter: &PositionFilter,
    page: Page,
    mut each: impl FnMut(PositionRecord),
) -> anyhow::Result<usize> {
    let (w, a) = (filter.window, filter.area);
    let sql = if filter.icao.is_some() {
        BY_ICAO
    } else {
        BY_ROWID
    };
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(params![
        page.after,
        filter.icao,
        w.from,
        w.to,
        a.south,
        a.north,
        a.west,
        a.east,
        page.limit
    ])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(record(r)?);
        n += 1;
    }
    Ok(n)
}

/// One page of positions as a list.
pub fn positions(
    c: &Connection,
    filter: &PositionFilter,
    page: Page,
) -> anyhow::Result<Vec<PositionRecord>> {
    let mut out = Vec::new();
    for_each_position(c, filter, page, |p| out.push(p))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixture::{DLH, KLM};

    const ALL: PositionFilter = PositionFilter {
        icao: None,
        window: TimeWindow::ALL,
        area: Area::WORLD,
    };
    const FIRST: Page = Page {
        after: 0,
        limit: 100,
    };

    fn ids(c: &Connection, filter: PositionFilter, page: Page) -> Vec<(i64, i64)> {
        let rows = positions(c, &filter, page).unwrap();
        rows.iter().map(|p| (p.id, p.icao)).collect()
    }

    #[tokio::test]
    async fn positions_are_filtered_by_aircraft_window_and_area() {
        let (_dir, c, f) = super::super::filled().await;
        let rows = positions(&c, &ALL, FIRST).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[2],
            PositionRecord {
                id: 3,
                icao: KLM,
                time_ms: f.base + 5_000,
                lat: 52.5,
                lon: 4.75,
                alt_baro: None,
                gs: None,
                track: None,
                alt_geom: None,
                baro_rate: None,
                receivers: 1,
                source: PositionSource::Adsb,
            }
        );
        assert_eq!(
            (rows[0].alt_baro, rows[0].gs, rows[0].track),
            (Some(35_000), Some(450.5), Some(90.25))
        );
        let klm = vec![(1, KLM), (3, KLM)];
        assert_eq!(
            ids(
                &c,
                PositionFilter {
                    icao: Some(KLM),
                    ..ALL
                },
                FIRST
            ),
            klm
        );
        let holland = Area {
            south: 51.0,
            west: 4.0,
            north: 53.0,
            east: 5.0,
        };
        assert_eq!(
            ids(
                &c,
                PositionFilter {
                    area: holland,
                    ..ALL
                },
                FIRST
            ),
            klm
        );
        let late = TimeWindow {
            from: f.base + 1,
            to: i64::MAX,
        };
        assert_eq!(
            ids(
                &c,
                PositionFilter {
                    window: late,
                    ..ALL
                },
                FIRST
            ),
            [(3, KLM)]
        );
        let dlh_late = PositionFilter {
            icao: Some(DLH),
            window: late,
            ..ALL
        };
        assert_eq!(ids(&c, dlh_late, FIRST), []);
    }

    #[tokio::test]
    async fn positions_come_a_page_at_a_time_after_the_cursor() {
        let (_dir, c, _) = super::super::filled().await;
        let two = |after| Page { after, limit: 2 };
        assert_eq!(ids(&c, ALL, two(0)), [(1, KLM), (2, DLH)]);
        assert_eq!(ids(&c, ALL, two(2)), [(3, KLM)]);
        let klm = PositionFilter {
            icao: Some(KLM),
            ..ALL
        };
        assert_eq!(ids(&c, klm, Page { after: 1, limit: 1 }), [(3, KLM)]);
    }

    #[tokio::test]
    async fn each_position_is_handed_over_in_rowid_order() {
        let (_dir, c, _) = super::super::filled().await;
        let mut seen = Vec::new();
        let n = for_each_position(&c, &ALL, FIRST, |p| seen.push(p.id)).unwrap();
        assert_eq!((n, seen), (3, vec![1, 2, 3]));
    }

    /// With an aircraft its index finds the rows; without one the rowids
    /// are walked, no other index offered and nothing sorted (a sort would
    /// read every match in the table before the first page).
    #[test]
    fn positions_use_the_aircraft_index_or_walk_rowids() {
        let dir = tempfile::tempdir().unwrap();
        let c = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
        let plan = |sql: &str| -> Vec<String> {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            st.query_map(params![0, 1, 0, 1, 0, 1, 0, 1, 1], |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let by_icao = plan(BY_ICAO);
        assert!(
            by_icao
                .iter()
                .any(|s| s.contains("INDEX positions_icao_time")),
            "{by_icao:?}"
        );
        let by_rowid = plan(BY_ROWID);
        assert!(
            by_rowid
                .iter()
                .all(|s| !s.contains("INDEX") && !s.contains("TEMP B-TREE")),
            "{by_rowid:?}"
        );
    }
}
