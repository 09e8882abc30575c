//! Flights (an aircraft and a callsign seen without a long gap), filtered
//! by aircraft, callsign and time, a page at a time in id order.

use rusqlite::{Connection, params};

use super::{Page, TimeWindow};

/// Which flights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlightFilter {
    /// Only this aircraft.
    pub icao: Option<i64>,
    /// Only this callsign (trimmed, upper case, as stored).
    pub callsign: Option<String>,
    /// Only flights seen at some time in this window.
    pub window: TimeWindow,
}

/// One flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlightSummary {
    /// Flight id (the page cursor).
    pub id: i64,
    /// Aircraft address.
    pub icao: i64,
    /// Callsign.
    pub callsign: String,
    /// First seen, Unix ms.
    pub first_seen_ms: i64,
    /// Last seen, Unix ms.
    pub last_seen_ms: i64,
}

/// A page of the flights `filter` selects.
pub fn flights(
    c: &Connection,
    filter: &FlightFilter,
    page: Page,
) -> anyhow::Result<Vec<FlightSummary>> {
    let mut st = c.prepare_cached(
        "SELECT id, icao, callsign, first_seen_ms, last_seen_ms FROM flights
         WHERE id > ?1 AND (?2 IS NULL OR icao = ?2) AND (?3 IS NULL OR callsign = ?3)
           AND last_seen_ms >= ?4 AND first_seen_ms <= ?5
         ORDER BY id LIMIT ?6",
    )?;
    let rows = st
        .query_map(
            params![
                page.after,
                filter.icao,
                filter.callsign,
                filter.window.from,
                filter.window.to,
                page.limit
            ],
            |r| {
                Ok(FlightSummary {
                    id: r.get(0)?,
                    icao: r.get(1)?,
                    callsign: r.get(2)?,
                    first_seen_ms: r.get(3)?,
                    last_seen_ms: r.get(4)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixture::{DLH, KLM};

    fn ids(rows: &[FlightSummary]) -> Vec<(i64, i64)> {
        rows.iter().map(|f| (f.id, f.icao)).collect()
    }

    const FIRST: Page = Page {
        after: 0,
        limit: 100,
    };

    #[tokio::test]
    async fn flights_are_filtered_by_aircraft_callsign_and_window() {
        let (_dir, c, f) = super::super::filled().await;
        let all = FlightFilter {
            icao: None,
            callsign: None,
            window: TimeWindow::ALL,
        };
        let rows = flights(&c, &all, FIRST).unwrap();
        assert_eq!(
            rows[0],
            FlightSummary {
                id: 1,
                icao: KLM,
                callsign: "KLM1302".into(),
                first_seen_ms: f.base,
                last_seen_ms: f.base,
            }
        );
        assert_eq!(ids(&rows), [(1, KLM), (2, DLH)]);
        let by = |filter: FlightFilter| ids(&flights(&c, &filter, FIRST).unwrap());
        let dlh = vec![(2, DLH)];
        assert_eq!(
            by(FlightFilter {
                icao: Some(DLH),
                ..all.clone()
            }),
            dlh
        );
        let callsign = Some("DLH4AB".to_string());
        assert_eq!(
            by(FlightFilter {
                callsign,
                ..all.clone()
            }),
            dlh
        );
        let late = TimeWindow {
            from: f.base + 1,
            to: i64::MAX,
        };
        assert_eq!(
            by(FlightFilter {
                window: late,
                ..all.clone()
            }),
            dlh
        );
        let early = TimeWindow {
            from: 0,
            to: f.base + 1,
        };
        assert_eq!(
            by(FlightFilter {
                window: early,
                ..all.clone()
            }),
            [(1, KLM)]
        );
        let nobody = Some("NOBODY".to_string());
        assert_eq!(
            by(FlightFilter {
                callsign: nobody,
                ..all
            }),
            []
        );
    }

    #[tokio::test]
    async fn flights_come_a_page_at_a_time_after_the_cursor() {
        let (_dir, c, _) = super::super::filled().await;
        let all = FlightFilter {
            icao: None,
            callsign: None,
            window: TimeWindow::ALL,
        };
        let one = |after| ids(&flights(&c, &all, Page { after, limit: 1 }).unwrap());
        assert_eq!(one(0), [(1, KLM)]);
        assert_eq!(one(1), [(2, DLH)]);
        assert_eq!(one(2), []);
    }
}
