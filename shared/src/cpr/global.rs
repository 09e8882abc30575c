//! Globally unambiguous CPR decoding from an even/odd pair
//! (DO-260B §A.1.7.7 airborne, §A.1.7.8 surface).
//!
//! The caller is responsible for the time rule: the two messages must be
//! no more than 10 s apart airborne (25–50 s on the surface, by speed).

use super::{CprError, Kind, Position, SCALE, modulo, nl::nl, wrap_lon};
use crate::adsb::CprRaw;

/// Decodes an airborne pair. `odd_is_newest` selects which message's
/// position is returned (the newer one).
pub fn airborne_global(
    even: CprRaw,
    odd: CprRaw,
    odd_is_newest: bool,
) -> Result<Position, CprError> {
    let (lat_e, lat_o) = latitudes(even, odd, Kind::Airborne)?;
    let (lat_e, lat_o) = (wrap_south(lat_e), wrap_south(lat_o));
    if !(-90.0..=90.0).contains(&lat_e) || !(-90.0..=90.0).contains(&lat_o) {
        return Err(CprError::LatitudeOutOfRange);
    }
    if nl(lat_e) != nl(lat_o) {
        return Err(CprError::ZoneMismatch);
    }
    let lat = if odd_is_newest { lat_o } else { lat_e };
    let lon = longitude(even, odd, lat, odd_is_newest, Kind::Airborne);
    Ok(Position {
        lat,
        lon: wrap_lon(lon),
    })
}

/// Decodes a surface pair. Surface encoding repeats every 90° of latitude
/// and longitude, so the reference (receiver position, or any position
/// within ~45° of the aircraft) picks the right one of the candidates.
pub fn surface_global(
    even: CprRaw,
    odd: CprRaw,
    odd_is_newest: bool,
    reference: Position,
) -> Result<Position, CprError> {
    let (lat_e, lat_o) = latitudes(even, odd, Kind::Surface)?;
    // Northern-hemisphere solutions are in [0, 90); the southern ones are 90° lower.
    let pick = |lat: f64| {
        let south = lat - 90.0;
        if (reference.lat - south).abs() < (reference.lat - lat).abs() {
            south
        } else {
            lat
        }
    };
    let (lat_e, lat_o) = (pick(lat_e), pick(lat_o));
    if nl(lat_e) != nl(lat_o) {
        return Err(CprError::ZoneMismatch);
    }
    let lat = if odd_is_newest { lat_o } else { lat_e };
    let base = longitude(even, odd, lat, odd_is_newest, Kind::Surface);
    // Four candidate longitudes 90° apart; take the nearest to the reference.
    let lon = (0..4)
        .map(|k| wrap_lon(base + 90.0 * f64::from(k)))
        .min_by(|a, b| {
            lon_gap(*a, reference.lon)
                .partial_cmp(&lon_gap(*b, reference.lon))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .unwrap_or(base);
    Ok(Position { lat, lon })
}

fn lon_gap(a: f64, b: f64) -> f64 {
    let d = modulo(a - b, 360.0);
    d.min(360.0 - d)
}

/// Both candidate latitudes (even, odd) in [0, span).
fn latitudes(even: CprRaw, odd: CprRaw, kind: Kind) -> Result<(f64, f64), CprError> {
    let span = kind.span();
    let (dlat_e, dlat_o) = (span / 60.0, span / 59.0);
    let (ye, yo) = (f64::from(even.lat) / SCALE, f64::from(odd.lat) / SCALE);
    let j = (59.0 * ye - 60.0 * yo + 0.5).floor();
    let lat_e = dlat_e * (modulo(j, 60.0) + ye);
    let lat_o = dlat_o * (modulo(j, 59.0) + yo);
    if !lat_e.is_finite() || !lat_o.is_finite() {
        return Err(CprError::LatitudeOutOfRange);
    }
    Ok((lat_e, lat_o))
}

/// Airborne latitudes of 270° and above are southern-hemisphere values.
fn wrap_south(lat: f64) -> f64 {
    if lat >= 270.0 { lat - 360.0 } else { lat }
}

fn longitude(even: CprRaw, odd: CprRaw, lat: f64, odd_is_newest: bool, kind: Kind) -> f64 {
    let nl = nl(lat);
    let (xe, xo) = (f64::from(even.lon) / SCALE, f64::from(odd.lon) / SCALE);
    let m = (xe * f64::from(nl - 1) - xo * f64::from(nl) + 0.5).floor();
    let (ni, x) = if odd_is_newest {
        ((nl - 1).max(1), xo)
    } else {
        (nl.max(1), xe)
    };
    let ni = f64::from(ni);
    (kind.span() / ni) * (modulo(m, ni) + x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pymodes_doc_pair() {
        // pyModeS docs / "The 1090MHz Riddle" §5: 8D40621D58C382D690C8AC2863A7 (even) and
        // 8D40621D58C386435CC412692AD6 (odd, newer) -> 52.2572, 3.91937.
        let even = CprRaw {
            lat: 93000,
            lon: 51372,
            odd: false,
        };
        let odd = CprRaw {
            lat: 74158,
            lon: 50194,
            odd: true,
        };
        let p = airborne_global(even, odd, false).unwrap();
        assert!((p.lat - 52.25720).abs() < 1e-5, "{p:?}");
        assert!((p.lon - 3.91937).abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn riddle_surface_pair_with_reference() {
        // "The 1090MHz Riddle" surface example: 8C4841753AAB238733C8CD4020B1 (even) and
        // 8C4841753A8A35323FAEBDAC702D (odd, newer), receiver at 51.990, 4.375
        // -> 52.32061, 4.73473 (pyModeS 3.6 surface_position_pair agrees).
        let even = CprRaw {
            lat: 115609,
            lon: 116941,
            odd: false,
        };
        let odd = CprRaw {
            lat: 39199,
            lon: 110269,
            odd: true,
        };
        let reference = Position {
            lat: 51.990,
            lon: 4.375,
        };
        let p = surface_global(even, odd, true, reference).unwrap();
        assert!((p.lat - 52.320607).abs() < 1e-5, "{p:?}");
        assert!((p.lon - 4.734735).abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn zone_crossing_pair_is_refused() {
        // Even encoded just south of the 36/35 zone transition (53.0951...),
        // odd just north of it: NL differs, so no position rather than a wrong one.
        let t = 53.095_161_527_96;
        let e = crate::cpr::encode(
            Position {
                lat: t - 0.01,
                lon: 5.0,
            },
            false,
            Kind::Airborne,
        );
        let o = crate::cpr::encode(
            Position {
                lat: t + 0.01,
                lon: 5.0,
            },
            true,
            Kind::Airborne,
        );
        match airborne_global(e, o, true) {
            Err(CprError::ZoneMismatch) => {}
            Ok(p) => assert!((p.lat - (t + 0.01)).abs() < 1e-3, "wrong position {p:?}"),
            Err(other) => panic!("{other:?}"),
        }
    }
}
