//! Receiver coverage: the furthest distance at which each receiver heard
//! an aircraft, per 10-degree bearing sector (what a polar range plot
//! shows). Any frame a receiver hears from an aircraft whose position is
//! fresh counts, not only position messages.

use std::collections::HashMap;

use cloudradar_shared::cpr::{Position, bearing_deg, distance_m};

use cloudradar_shared::state::Tracker;

use crate::store::{CoverageRow, WriteBatch};

/// Sectors around the receiver.
pub const SECTORS: usize = 36;
/// Degrees per sector.
pub const SECTOR_DEGREES: f64 = 360.0 / SECTORS as f64;
/// Ranges beyond this are not believed (radio horizon at FL450 is ~480 km).
const MAX_PLAUSIBLE_M: f64 = 650_000.0;

/// The best range per receiver and sector seen by this process (the
/// database keeps the best across restarts).
#[derive(Debug, Default)]
pub struct Coverage {
    best: HashMap<String, [f64; SECTORS]>,
}

impl Coverage {
    /// Records that `receiver` at `from` heard an aircraft at `to`; returns
    /// the range (when plausible) and a row when it is a new furthest range
    /// for that sector.
    pub fn observe(
        &mut self,
        receiver: &str,
        from: Position,
        to: Position,
        time_ms: u64,
    ) -> Option<(f64, Option<CoverageRow>)> {
        let range = distance_m(from, to);
        if !range.is_finite() || range > MAX_PLAUSIBLE_M {
            return None;
        }
        Some((range, self.record(receiver, from, to, range, time_ms)))
    }

    fn record(
        &mut self,
        receiver: &str,
        from: Position,
        to: Position,
        range: f64,
        time_ms: u64,
    ) -> Option<CoverageRow> {
        let sector = ((bearing_deg(from, to) / SECTOR_DEGREES) as usize).min(SECTORS - 1);
        let best = match self.best.get_mut(receiver) {
            Some(b) => b,
            None => self
                .best
                .entry(receiver.to_string())
                .or_insert([0.0; SECTORS]),
        };
        let slot = best.get_mut(sector)?;
        if range <= *slot {
            return None;
        }
        *slot = range;
        Some(CoverageRow {
            sector: sector as i64,
            range_m: range,
            time_ms: time_ms as i64,
        })
    }
}

/// A position older than this does not place an aircraft for coverage.
const COVERAGE_POSITION_AGE_MS: u64 = 5_000;

/// Range of a reception from its receiver, where the aircraft's position
/// is fresh; adds a coverage record when it is a new furthest.
pub(super) fn observe_range(
    (tracker, coverage): (&Tracker, &mut Coverage),
    receiver: &str,
    at: Option<(Position, u32)>,
    time: u64,
    out: &mut WriteBatch,
) -> Option<f64> {
    let (rx, icao) = at?;
    let (pos, _) = tracker
        .get(icao, false)
        .and_then(|a| a.position())
        .filter(|(_, t)| time.saturating_sub(*t) <= COVERAGE_POSITION_AGE_MS)?;
    let (range, record) = coverage.observe(receiver, rx, pos, time)?;
    out.coverage.extend(record);
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_records_per_sector_are_reported() {
        let mut c = Coverage::default();
        let rx = Position {
            lat: 52.0,
            lon: 4.0,
        };
        let north = |d: f64| Position {
            lat: 52.0 + d,
            lon: 4.0,
        };
        let first = c
            .observe("r", rx, north(0.5), 1)
            .and_then(|(_, row)| row)
            .unwrap();
        assert_eq!(first.sector, 0);
        assert!(
            (first.range_m - 55_597.0).abs() < 100.0,
            "{}",
            first.range_m
        );
        assert!(
            c.observe("r", rx, north(0.3), 2)
                .and_then(|(_, row)| row)
                .is_none()
        );
        assert!(
            c.observe("r", rx, north(0.8), 3)
                .and_then(|(_, row)| row)
                .is_some()
        );
        // East is another sector; another receiver has its own records.
        let (range, east) = c
            .observe(
                "r",
                rx,
                Position {
                    lat: 52.0,
                    lon: 5.0,
                },
                4,
            )
            .unwrap();
        let east = east.unwrap();
        assert!((range - 68_470.0).abs() < 200.0, "{range}");
        assert_eq!(east.sector, 8); // ~89.6 degrees
        assert!(
            c.observe("s", rx, north(0.3), 5)
                .and_then(|(_, row)| row)
                .is_some()
        );
        // Implausible ranges are ignored.
        assert!(
            c.observe("r", rx, north(8.0), 6)
                .and_then(|(_, row)| row)
                .is_none()
        );
    }
}
