//! Locally unambiguous CPR decoding (DO-260B §A.1.7.5 airborne, §A.1.7.6
//! surface): one message resolved against a reference position that is
//! within half a zone (airborne 180 NM, surface 45 NM) of the aircraft.

use super::{CprError, Kind, Position, SCALE, distance_m, modulo, nl::nl, wrap_lon};
use crate::adsb::CprRaw;

/// Largest distance from the reference accepted: airborne 180 NM, surface 45 NM.
pub fn max_range_m(kind: Kind) -> f64 {
    match kind {
        Kind::Airborne => 180.0 * 1852.0,
        Kind::Surface => 45.0 * 1852.0,
    }
}

/// Decodes `cpr` relative to `reference`.
pub fn local(cpr: CprRaw, reference: Position, kind: Kind) -> Result<Position, CprError> {
    if !(reference.lat.is_finite() && reference.lon.is_finite()) {
        return Err(CprError::TooFar);
    }
    let i = f64::from(u8::from(cpr.odd));
    let span = kind.span();
    let dlat = span / (60.0 - i);
    let y = f64::from(cpr.lat) / SCALE;
    let j = (reference.lat / dlat).floor() + (0.5 + modulo(reference.lat, dlat) / dlat - y).floor();
    let lat = dlat * (j + y);
    if !(-90.0..=90.0).contains(&lat) {
        return Err(CprError::LatitudeOutOfRange);
    }
    let zones = (f64::from(nl(lat)) - i).max(1.0);
    let dlon = span / zones;
    let x = f64::from(cpr.lon) / SCALE;
    let m = (reference.lon / dlon).floor() + (0.5 + modulo(reference.lon, dlon) / dlon - x).floor();
    let pos = Position {
        lat,
        lon: wrap_lon(dlon * (m + x)),
    };
    if distance_m(pos, reference) > max_range_m(kind) {
        return Err(CprError::TooFar);
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference that is no position (a receiver reporting nonsense)
    /// decodes nothing.
    #[test]
    fn a_reference_off_the_earth_decodes_nothing() {
        let cpr = CprRaw {
            lat: 93000,
            lon: 51372,
            odd: false,
        };
        for reference in [
            Position {
                lat: 52.258,
                lon: 1.797_693_134_862_315_7e308,
            },
            Position {
                lat: f64::NAN,
                lon: 3.9,
            },
            Position {
                lat: 52.258,
                lon: f64::INFINITY,
            },
        ] {
            assert!(
                local(cpr, reference, Kind::Airborne).is_err(),
                "{reference:?}"
            );
        }
    }

    #[test]
    fn pymodes_doc_local_decode() {
        // pyModeS: 8D40621D58C382D690C8AC2863A7 with reference 52.258, 3.918 -> 52.2572, 3.91937.
        let cpr = CprRaw {
            lat: 93000,
            lon: 51372,
            odd: false,
        };
        let p = local(
            cpr,
            Position {
                lat: 52.258,
                lon: 3.918,
            },
            Kind::Airborne,
        )
        .unwrap();
        assert!((p.lat - 52.2572021484375).abs() < 1e-9);
        assert!((p.lon - 3.91937255859375).abs() < 1e-9);
    }

    #[test]
    fn riddle_surface_local_decode() {
        // Riddle / pyModeS 3.6: 8C4841753AAB238733C8CD4020B1 against 51.990, 4.375
        // -> 52.32304, 4.73047.
        let cpr = CprRaw {
            lat: 115609,
            lon: 116941,
            odd: false,
        };
        let p = local(
            cpr,
            Position {
                lat: 51.990,
                lon: 4.375,
            },
            Kind::Surface,
        )
        .unwrap();
        assert!((p.lat - 52.32304000854492).abs() < 1e-9);
        assert!((p.lon - 4.730472564697266).abs() < 1e-9);
    }
}
