//! ADS-B ME fields (56 bits) from physical values, one function per type
//! code; the bit layouts are those drawn in the matching `adsb/` decoder
//! modules (DO-260B §2.2.3.2).

use super::fields;
use crate::adsb::movement_to_knots;
use crate::bits::set_field;
use crate::cpr::{self, Kind, Position};

/// TC 1–4: identification. `category` is readsb's code such as `"A3"`.
pub fn identification(category: &str, callsign: &str) -> [u8; 7] {
    let mut me = [0u8; 7];
    let bytes = category.as_bytes();
    let tc = match bytes.first() {
        Some(b'A') => 4,
        Some(b'B') => 3,
        Some(b'C') => 2,
        _ => 1,
    };
    let ca = bytes
        .get(1)
        .map(|c| u64::from(c.saturating_sub(b'0') & 7))
        .unwrap_or(0);
    set_field(&mut me, 1, 5, tc);
    set_field(&mut me, 6, 8, ca);
    set_field(&mut me, 9, 56, fields::callsign(callsign));
    me
}

/// TC 9–18 airborne position with barometric altitude. `tc` selects the
/// NIC (11 for NIC 8 with 0.1 NM containment is typical of airliners).
pub fn airborne_position(tc: u8, pos: Position, alt_ft: i32, odd: bool) -> [u8; 7] {
    let mut me = [0u8; 7];
    let c = cpr::encode(pos, odd, Kind::Airborne);
    set_field(&mut me, 1, 5, u64::from(tc.clamp(9, 18)));
    set_field(&mut me, 9, 20, u64::from(fields::ac12(alt_ft)));
    set_field(&mut me, 22, 22, u64::from(odd));
    set_field(&mut me, 23, 39, u64::from(c.lat));
    set_field(&mut me, 40, 56, u64::from(c.lon));
    me
}

/// Surface movement code for a ground speed (DO-260B table 2-16): the
/// band whose lower bound is the largest not above `knots`, the inverse of
/// `adsb::movement_to_knots`.
pub fn movement(knots: f64) -> u8 {
    if knots <= 0.0 {
        return 1;
    }
    (2..=124u8)
        .rev()
        .find(|&code| movement_to_knots(code).is_some_and(|k| k <= knots))
        .unwrap_or(2)
}

/// TC 5–8 surface position (TC 7 for NIC 8).
pub fn surface_position(
    tc: u8,
    pos: Position,
    ground_speed: f64,
    track: Option<f64>,
    odd: bool,
) -> [u8; 7] {
    let mut me = [0u8; 7];
    let c = cpr::encode(pos, odd, Kind::Surface);
    set_field(&mut me, 1, 5, u64::from(tc.clamp(5, 8)));
    set_field(&mut me, 6, 12, u64::from(movement(ground_speed)));
    if let Some(t) = track {
        set_field(&mut me, 13, 13, 1);
        set_field(
            &mut me,
            14,
            20,
            ((t.rem_euclid(360.0) * 128.0 / 360.0).round() as u64) % 128,
        );
    }
    set_field(&mut me, 22, 22, u64::from(odd));
    set_field(&mut me, 23, 39, u64::from(c.lat));
    set_field(&mut me, 40, 56, u64::from(c.lon));
    me
}

/// TC 19 subtype 1: ground speed and track, vertical rate, GNSS–baro difference.
pub fn velocity(
    ground_speed: f64,
    track: f64,
    vertical_rate_fpm: i32,
    baro_source: bool,
    geom_minus_baro: Option<i32>,
) -> [u8; 7] {
    let mut me = [0u8; 7];
    set_field(&mut me, 1, 5, 19);
    set_field(&mut me, 6, 8, 1);
    let rad = track.to_radians();
    let ew = (ground_speed * rad.sin()).round() as i64;
    let ns = (ground_speed * rad.cos()).round() as i64;
    set_field(&mut me, 14, 14, u64::from(ew < 0));
    set_field(&mut me, 15, 24, (ew.unsigned_abs() + 1).min(1023));
    set_field(&mut me, 25, 25, u64::from(ns < 0));
    set_field(&mut me, 26, 35, (ns.unsigned_abs() + 1).min(1023));
    set_field(&mut me, 36, 36, u64::from(baro_source));
    let vr = (f64::from(vertical_rate_fpm.unsigned_abs()) / 64.0).round() as u64;
    set_field(&mut me, 37, 37, u64::from(vertical_rate_fpm < 0));
    set_field(&mut me, 38, 46, (vr + 1).min(511));
    if let Some(d) = geom_minus_baro {
        let v = (f64::from(d.unsigned_abs()) / 25.0).round() as u64;
        set_field(&mut me, 49, 49, u64::from(d < 0));
        set_field(&mut me, 50, 56, (v + 1).min(127));
    }
    me
}

/// TC 28 subtype 1: emergency state and squawk.
pub fn aircraft_status(emergency_code: u8, squawk: u16) -> [u8; 7] {
    let mut me = [0u8; 7];
    set_field(&mut me, 1, 5, 28);
    set_field(&mut me, 6, 8, 1);
    set_field(&mut me, 9, 11, u64::from(emergency_code & 7));
    set_field(&mut me, 12, 24, u64::from(fields::id13(squawk)));
    me
}

/// TC 29 subtype 1: selected altitude (MCP), QNH, selected heading, NACp, SIL.
pub fn target_state(
    selected_alt_ft: i32,
    qnh_hpa: f64,
    heading: Option<f64>,
    nac_p: u8,
    sil: u8,
) -> [u8; 7] {
    let mut me = [0u8; 7];
    set_field(&mut me, 1, 5, 29);
    set_field(&mut me, 6, 7, 1);
    set_field(
        &mut me,
        10,
        20,
        ((selected_alt_ft.max(0) as f64 / 32.0).round() as u64 + 1).min(2047),
    );
    set_field(
        &mut me,
        21,
        29,
        (((qnh_hpa - 800.0) / 0.8).round().max(0.0) as u64 + 1).min(511),
    );
    if let Some(h) = heading {
        set_field(&mut me, 30, 30, 1);
        set_field(
            &mut me,
            31,
            39,
            ((h.rem_euclid(360.0) * 256.0 / 180.0).round() as u64) % 512,
        );
    }
    set_field(&mut me, 40, 43, u64::from(nac_p & 15));
    set_field(&mut me, 44, 44, 1);
    set_field(&mut me, 45, 46, u64::from(sil & 3));
    set_field(&mut me, 53, 53, 1);
    me
}

/// TC 31 airborne (or surface) operational status for ADS-B `version`.
pub fn operational_status(surface: bool, version: u8, nic_a: bool, nac_p: u8, sil: u8) -> [u8; 7] {
    let mut me = [0u8; 7];
    set_field(&mut me, 1, 5, 31);
    set_field(&mut me, 6, 8, u64::from(surface));
    if !surface {
        // Capability: TCAS operational, 1090ES IN.
        set_field(&mut me, 11, 12, 0b11);
    }
    set_field(&mut me, 41, 43, u64::from(version & 7));
    set_field(&mut me, 44, 44, u64::from(nic_a));
    set_field(&mut me, 45, 48, u64::from(nac_p & 15));
    if !surface {
        set_field(&mut me, 49, 50, 2);
        set_field(&mut me, 53, 53, 1);
    }
    set_field(&mut me, 51, 52, u64::from(sil & 3));
    me
}
