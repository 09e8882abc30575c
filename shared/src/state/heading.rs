//! readsb's `true_heading` (`track.c`, heading handling in
//! `updateFromMessage`, and `declination`): a magnetic heading (BDS 6,0,
//! or an ADS-B airspeed heading, which we take as magnetic) plus the
//! WMM2020 declination at the aircraft's latest position and barometric
//! altitude on the message's date. readsb refuses the result when a
//! known track differs from it by 45° or more (no aircraft crabs that
//! much), and reuses an aircraft's declination for 5 s.

use super::aircraft::Aircraft;
use super::fields::{AltBaro, Fields};
use crate::geomag;

/// How long an aircraft's declination is reused (readsb: 5 s).
const DECLINATION_REUSE_MS: u64 = 5_000;
/// The largest believed difference between true heading and track.
const MAX_CRAB_DEG: f64 = 45.0;
/// readsb's feet to kilometres.
const KM_PER_FT: f64 = 0.000_304_8;

/// Sets `fields.true_heading` when `fields` carries a magnetic heading
/// and the aircraft has a position to take the declination at.
pub(super) fn derive_true_heading(ac: &mut Aircraft, fields: &mut Fields, now_ms: u64) {
    let Some(mag) = fields.mag_heading else {
        return;
    };
    let Some(dec) = declination(ac, fields, now_ms) else {
        return;
    };
    let true_heading = (mag + dec).rem_euclid(360.0);
    let track = fields.track.or(ac.fields.track);
    if track.is_some_and(|t| angle_between(true_heading, t) >= MAX_CRAB_DEG) {
        return;
    }
    fields.true_heading = Some((true_heading * 100.0).round() / 100.0);
}

/// The declination at the aircraft now: the cached one within 5 s, else
/// computed at its latest position and barometric altitude (0 km
/// without one); `None` without a position.
fn declination(ac: &mut Aircraft, fields: &Fields, now_ms: u64) -> Option<f64> {
    if let Some((dec, at)) = ac.declination
        && now_ms >= at
        && now_ms < at + DECLINATION_REUSE_MS
    {
        return Some(dec);
    }
    let (pos, _) = ac.position?;
    let feet = match fields.alt_baro.or(ac.fields.alt_baro) {
        Some(AltBaro::Feet(ft)) => f64::from(ft),
        _ => 0.0,
    };
    let year = geomag::decimal_year(now_ms);
    let dec = geomag::declination(pos.lat, pos.lon, feet * KM_PER_FT, year)?;
    ac.declination = Some((dec, now_ms));
    Some(dec)
}

/// The unsigned difference between two angles, degrees in 0–180.
fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}
