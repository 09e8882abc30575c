//! Per-receiver statistics per minute: frames, accepted and rejected,
//! positions, distinct aircraft, furthest range and the signal level
//! distribution. One batch adds to the minute rows it touches; the writer
//! sums counts and keeps maxima, so batches of the same minute combine.

use std::collections::{BTreeMap, HashSet};

use crate::store::ReceiverMinuteRow;

/// Upper edges (dBFS) of the signal bands; the last band is open.
pub const SIGNAL_BANDS_DBFS: [f64; 5] = [-30.0, -24.0, -18.0, -12.0, -6.0];

/// The aircraft a receiver heard in its current minute (the distinct
/// count of a minute spans batches).
#[derive(Debug, Default)]
pub struct MinuteAircraft {
    minute: i64,
    seen: HashSet<u32>,
}

impl MinuteAircraft {
    /// Notes `icao` in `minute`; returns the distinct count so far.
    fn note(&mut self, minute: i64, icao: u32) -> i64 {
        if minute > self.minute {
            self.minute = minute;
            self.seen.clear();
        }
        if minute == self.minute {
            self.seen.insert(icao);
        }
        self.seen.len() as i64
    }
}

/// One batch's contribution, by minute.
#[derive(Debug, Default)]
pub struct MinuteStats {
    rows: BTreeMap<i64, ReceiverMinuteRow>,
}

/// What one frame says about its receiver.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// Reception time, Unix ms.
    pub time_ms: u64,
    /// Decoded and trusted.
    pub accepted: bool,
    /// A new position came from it.
    pub position: bool,
    /// The aircraft, when decoded.
    pub icao: Option<u32>,
    /// Signal level, dBFS (none when the receiver does not report it).
    pub signal_dbfs: Option<f64>,
    /// Distance to the aircraft, when both positions are known.
    pub range_m: Option<f64>,
}

impl MinuteStats {
    /// Adds one frame.
    pub fn add(&mut self, o: Observation, aircraft: &mut MinuteAircraft) {
        let minute = (o.time_ms / 60_000) as i64;
        let row = self.rows.entry(minute).or_insert(ReceiverMinuteRow {
            minute,
            ..ReceiverMinuteRow::default()
        });
        row.frames += 1;
        if o.accepted {
            row.accepted += 1;
        } else {
            row.rejected += 1;
        }
        if o.position {
            row.positions += 1;
        }
        if let (Some(icao), true) = (o.icao, o.accepted) {
            row.aircraft = row.aircraft.max(aircraft.note(minute, icao));
        }
        if let Some(r) = o.range_m {
            row.max_range_m = Some(row.max_range_m.map_or(r, |m| m.max(r)));
        }
        if let Some(db) = o.signal_dbfs {
            let band = SIGNAL_BANDS_DBFS
                .iter()
                .take_while(|edge| db >= **edge)
                .count();
            if let Some(slot) = row.signal.get_mut(band) {
                *slot += 1;
            }
        }
    }

    /// The rows, oldest minute first.
    pub fn into_rows(self) -> Vec<ReceiverMinuteRow> {
        self.rows.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(time_ms: u64, icao: u32, db: f64) -> Observation {
        Observation {
            time_ms,
            accepted: true,
            position: false,
            icao: Some(icao),
            signal_dbfs: Some(db),
            range_m: Some(f64::from(icao)),
        }
    }

    #[test]
    fn a_minute_counts_frames_aircraft_range_and_signal_bands() {
        let mut aircraft = MinuteAircraft::default();
        let mut s = MinuteStats::default();
        s.add(obs(60_000, 10, -35.0), &mut aircraft);
        s.add(obs(61_000, 10, -20.0), &mut aircraft);
        s.add(obs(62_000, 30, -3.0), &mut aircraft);
        s.add(
            Observation {
                accepted: false,
                icao: None,
                signal_dbfs: None,
                range_m: None,
                ..obs(63_000, 0, 0.0)
            },
            &mut aircraft,
        );
        s.add(obs(120_000, 10, -12.0), &mut aircraft);
        let rows = s.into_rows();
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(
            (first.minute, first.frames, first.accepted, first.rejected),
            (1, 4, 3, 1)
        );
        assert_eq!(first.aircraft, 2);
        assert_eq!(first.max_range_m, Some(30.0));
        assert_eq!(first.signal, [1, 0, 1, 0, 0, 1]);
        assert_eq!(rows[1].aircraft, 1, "a new minute starts a new set");
        assert_eq!(rows[1].signal, [0, 0, 0, 0, 1, 0]);
        // The next batch of the same minute continues the distinct count.
        let mut next = MinuteStats::default();
        next.add(obs(121_000, 20, -12.0), &mut aircraft);
        assert_eq!(next.into_rows()[0].aircraft, 2);
    }
}
