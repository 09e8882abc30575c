//! A multilaterated position applied to an aircraft by readsb's rules for
//! `SOURCE_MLAT` positions (readsb `track.c`, the `sbs_pos_valid` branch
//! of `updateFromMessage`, and `accept_data`):
//!
//! - a position from a better source (ADS-B, ADS-R, TIS-B) less than
//!   `TRACK_STALE` (15 s) old is kept: MLAT does not move the aircraft;
//! - a fix older than the current position is not applied ("now <
//!   d->updated");
//! - after a recent MLAT position the new one must pass the speed check;
//!   after none (or a stale one) it is taken as is;
//! - an accepted fix sets the type `mlat` at once, `nic` and `rc` 0 (what
//!   readsb decodes for a position without a type code), and its altitude,
//!   speed and track unless a better source set them in the last 15 s.

use super::addrtype;
use super::aircraft::Aircraft;
use super::fields::{AltBaro, Fields};
use super::position::plausible;
use super::source::{Source, TRACK_STALE_MS};
use super::tracker::Tracker;
use crate::cpr::Position;
use crate::decode::{Address, AddressKind};

/// One multilaterated position, as the tracker takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MlatPosition {
    /// ICAO address.
    pub icao: u32,
    /// When the transmission left the aircraft, Unix ms.
    pub time_ms: u64,
    /// Where it was.
    pub position: Position,
    /// Barometric altitude from the replies, feet.
    pub alt_baro_ft: Option<i32>,
    /// Ground speed, knots.
    pub gs_kt: Option<f64>,
    /// Track over ground, degrees.
    pub track_deg: Option<f64>,
}

/// What became of one multilaterated position.
#[derive(Debug, Clone, PartialEq)]
pub enum MlatOutcome {
    /// Applied; the fields the fix carried (a better source's recent
    /// altitude, speed or track is kept in the state).
    Applied(Box<Fields>),
    /// The aircraft has a position from a better source less than 15 s old.
    BetterSource,
    /// Older than the aircraft's current position.
    Older,
    /// Too far from the previous MLAT position for the time between them.
    Implausible,
}

impl MlatOutcome {
    /// A short fixed name for counting (`applied`, `better_source`,
    /// `older`, `implausible`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Applied(_) => "applied",
            Self::BetterSource => "better_source",
            Self::Older => "older",
            Self::Implausible => "implausible",
        }
    }
}

fn round(v: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (v * p).round() / p
}

/// Why `p` may not be applied to `ac`, if it may not.
fn refusal(ac: &Aircraft, p: &MlatPosition, max_range_m: f64) -> Option<MlatOutcome> {
    let (_, last_ms) = ac.position?;
    if p.time_ms < last_ms {
        return Some(MlatOutcome::Older);
    }
    let fresh = p.time_ms - last_ms < TRACK_STALE_MS;
    let source = ac.position_source().unwrap_or(Source::Mlat);
    if fresh && source > Source::Mlat {
        return Some(MlatOutcome::BetterSource);
    }
    let surface = ac.on_ground();
    if fresh && !plausible(ac, p.position, surface, Some(p.time_ms), None, max_range_m) {
        return Some(MlatOutcome::Implausible);
    }
    None
}

impl Tracker {
    /// Applies a multilaterated position (see the module documentation);
    /// an aircraft not tracked yet is created with the type `mlat`.
    pub fn apply_mlat(&mut self, p: &MlatPosition) -> MlatOutcome {
        let max_range_m = self.options().max_range_m;
        let address = Address {
            icao: p.icao,
            kind: AddressKind::Mlat,
        };
        let ac = self
            .aircraft
            .entry(p.icao)
            .or_insert_with(|| Aircraft::new(address, p.time_ms));
        if let Some(refused) = refusal(ac, p, max_range_m) {
            if refused == MlatOutcome::Implausible {
                ac.rejected_positions += 1;
            }
            return refused;
        }
        let fields = Fields {
            lat: Some(round(p.position.lat, 6)),
            lon: Some(round(p.position.lon, 6)),
            nic: Some(0),
            rc: Some(0),
            alt_baro: p.alt_baro_ft.map(AltBaro::Feet),
            gs: p.gs_kt.map(|v| round(v, 1)),
            track: p.track_deg.map(|v| round(v, 2)),
            ..Fields::default()
        };
        ac.position = Some((p.position, p.time_ms));
        ac.position_at_ms = Some(p.time_ms);
        addrtype::note_position(ac, AddressKind::Mlat, p.time_ms);
        ac.fields.version = None;
        ac.apply_worse(&fields, p.time_ms, Source::Mlat);
        MlatOutcome::Applied(Box::new(fields))
    }
}

#[cfg(test)]
#[path = "mlat_tests.rs"]
mod tests;
