//! Multilaterated positions into the aircraft state and the store: each
//! fix is applied to the tracker by readsb's source rules (an aircraft
//! with a current ADS-B position is not moved; see the shared
//! `state/mlat.rs`), and every fix applied becomes a position with source
//! `mlat` and an aircraft row, in one [`WriteBatch`] committed like a
//! receiver's batch.

use std::collections::HashMap;

use cloudradar_shared::cpr::Position;
use cloudradar_shared::state::{MlatOutcome, MlatPosition, Source};

use super::Processor;
use super::record::{Seen, record_aircraft};
use crate::mlat::MlatFix;
use crate::store::{AircraftRow, WriteBatch};

/// The receiver id of batches of multilaterated positions in
/// `applied_batches`: not a valid receiver id
/// (`wire::valid_receiver_id`), so no receiver's batches collide with it.
pub const MLAT_BATCH_RECEIVER: &str = "@mlat";

/// The tracker's view of a fix; `None` for one with no usable position
/// (not finite, or off the globe).
fn position(fix: &MlatFix) -> Option<MlatPosition> {
    let on_globe = fix.lat.is_finite()
        && fix.lon.is_finite()
        && fix.lat.abs() <= 90.0
        && fix.lon.abs() <= 180.0;
    on_globe.then(|| MlatPosition {
        icao: fix.icao & 0xFF_FFFF,
        time_ms: fix.time_ms,
        position: Position {
            lat: fix.lat,
            lon: fix.lon,
        },
        alt_baro_ft: fix.alt_baro_ft.and_then(|ft| i32::try_from(ft).ok()),
        gs_kt: fix.gs_kt.filter(|v| v.is_finite() && *v >= 0.0),
        track_deg: fix.track_deg.filter(|v| v.is_finite()),
    })
}

/// Counts what became of a fix.
fn count(result: &'static str) {
    metrics::counter!("cloudradar_mlat_positions_total", "result" => result).increment(1);
}

impl Processor {
    /// Applies multilaterated fixes to the aircraft state and returns the
    /// rows to store: a position (source `mlat`) and an aircraft row for
    /// every fix applied. A fix for an aircraft whose position from a
    /// better source is current, one older than the aircraft's position
    /// and one too far from the previous fix are not applied.
    pub fn apply_mlat(&mut self, fixes: &[MlatFix], now_ms: u64) -> WriteBatch {
        // Unique across restarts while the clock only moves forward.
        self.mlat_seq = (now_ms as i64).max(self.mlat_seq + 1);
        let mut out = WriteBatch {
            receiver: MLAT_BATCH_RECEIVER.to_string(),
            seq: self.mlat_seq,
            time_ms: now_ms as i64,
            frames: 0,
            derived: true,
            ..WriteBatch::default()
        };
        let mut touched = HashMap::new();
        for fix in fixes {
            let Some(p) = position(fix) else {
                count("invalid");
                continue;
            };
            let outcome = self.tracker.apply_mlat(&p);
            count(outcome.as_str());
            let MlatOutcome::Applied(fields) = outcome else {
                continue;
            };
            let seen = Seen {
                icao: p.icao,
                time: p.time_ms,
                source: Source::Mlat,
                receivers: i64::from(fix.receivers),
            };
            record_aircraft(&mut out, &mut touched, &self.tracker, seen, *fields);
        }
        // A fix is not a message: the replies it was solved from were
        // counted when they arrived.
        out.aircraft = touched
            .into_values()
            .map(|row| AircraftRow { messages: 0, ..row })
            .collect();
        out
    }
}

#[cfg(test)]
#[path = "mlat_tests.rs"]
mod tests;
