//! How a new aircraft starts: its address from its airline's national
//! block, a Mode A code, where it enters the area and its first motion
//! for its phase of flight.

use super::Phase;
use crate::rng::Rng;

/// The ICAO 24-bit address block of each airline's state of registry
/// (ICAO Annex 10 Vol III, Part I, Chapter 9, Appendix: allocation of
/// aircraft addresses). Real addresses in one airspace are spread over many
/// blocks; sequential addresses would make a single bit error in an
/// address/parity reply (DF4/5/20/21) land on another simulated aircraft far
/// more often than it does on real traffic.
pub(super) fn address_block(airline: &str) -> (u32, u32) {
    match airline {
        "KLM" => (0x48_0000, 0x48_7FFF),         // Netherlands
        "DLH" => (0x3C_0000, 0x3F_FFFF),         // Germany
        "BAW" | "EZY" => (0x40_0000, 0x43_FFFF), // United Kingdom
        "AFR" => (0x38_0000, 0x3B_FFFF),         // France
        "RYR" => (0x4C_A000, 0x4C_AFFF),         // Ireland
        "IBE" => (0x34_0000, 0x37_FFFF),         // Spain
        "SAS" => (0x4A_8000, 0x4A_FFFF),         // Sweden
        _ => (0xA0_0000, 0xAF_FFFF),             // United States
    }
}

/// A random Mode A code, never one of the emergency codes (those come
/// only from scripted events).
pub(super) fn random_squawk(rng: &mut Rng) -> u16 {
    let d = |r: &mut Rng| r.below(8) as u16;
    let s = (d(rng) << 12) | (d(rng) << 8) | (d(rng) << 4) | d(rng);
    if matches!(s, 0x7500 | 0x7600 | 0x7700) {
        0x2000
    } else {
        s
    }
}

/// Where a new aircraft starts: `(distance m, bearing °)` from the centre.
/// At the start of a run aircraft are spread over the area; later ones
/// enter at its edge (departures at the airport).
pub(super) fn start_point(phase: Phase, initial: bool, radius_m: f64, rng: &mut Rng) -> (f64, f64) {
    match phase {
        Phase::Taxi => (rng.range(200.0, 2_000.0), rng.range(0.0, 360.0)),
        Phase::Departure if initial => (rng.range(2_000.0, radius_m * 0.5), rng.range(0.0, 360.0)),
        Phase::Departure => (0.0, 0.0),
        _ if initial => (rng.range(0.2, 1.0) * radius_m, rng.range(0.0, 360.0)),
        _ => (radius_m * 0.98, rng.range(0.0, 360.0)),
    }
}

/// A new aircraft's `(altitude ft, ground speed kt, track °, vertical rate
/// ft/min, target altitude ft, target speed kt)` for its phase, `dist` and
/// `brg` from the centre; `inbound` is the bearing back to the centre.
pub(super) fn motion(
    phase: Phase,
    dist: f64,
    brg: f64,
    inbound: f64,
    rng: &mut Rng,
) -> (f64, f64, f64, f64, f64, f64) {
    match phase {
        Phase::Taxi => (0.0, 15.0, rng.range(0.0, 360.0), 0.0, 0.0, 15.0),
        Phase::Departure => {
            let alt = (dist / 30.0).min(30_000.0);
            (
                alt,
                250.0 + alt / 100.0,
                brg,
                rng.range(1_800.0, 3_000.0),
                rng.range(28_000.0, 38_000.0),
                460.0,
            )
        }
        Phase::Arrival => {
            let alt = (dist / 25.0).clamp(3_000.0, 36_000.0);
            (
                alt,
                200.0 + alt / 150.0,
                inbound,
                rng.range(900.0, 1_600.0),
                2_000.0,
                160.0,
            )
        }
        Phase::Overflight => {
            let fl = rng.range(300.0, 400.0).round() * 100.0;
            let across = (brg + 180.0 + rng.range(-60.0, 60.0)).rem_euclid(360.0);
            (
                fl,
                rng.range(420.0, 500.0),
                across,
                0.0,
                fl,
                rng.range(420.0, 500.0),
            )
        }
    }
}
