//! CPR encoding (DO-260B §A.1.7.3): a position to the 17-bit even or odd
//! values a transponder transmits.

use super::{Kind, Position, SCALE, modulo, nl::nl};
use crate::adsb::CprRaw;

/// Encodes a position in the even (`odd = false`) or odd format.
pub fn encode(pos: Position, odd: bool, kind: Kind) -> CprRaw {
    let i = f64::from(u8::from(odd));
    let span = kind.span();
    // Surface: 19 bits over 360/(60-i) degrees with the top two bits
    // dropped is the same as 17 bits over 90/(60-i) degrees.
    let bits = SCALE;
    let dlat = span / (60.0 - i);
    let yz = (bits * modulo(pos.lat, dlat) / dlat + 0.5).floor();
    let rlat = dlat * (yz / bits + (pos.lat / dlat).floor());
    let zones = (f64::from(nl(rlat)) - i).max(1.0);
    let dlon = span / zones;
    let xz = (bits * modulo(pos.lon, dlon) / dlon + 0.5).floor();
    CprRaw {
        lat: (yz as u64 % SCALE as u64) as u32,
        lon: (xz as u64 % SCALE as u64) as u32,
        odd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpr::{airborne_global, distance_m, local, surface_global};

    #[test]
    fn encodes_the_pymodes_doc_frames() {
        // The even frame's position decodes to 52.2572021484375, 3.91937255859375;
        // encoding that must give back its transmitted values.
        let p = Position {
            lat: 52.2572021484375,
            lon: 3.91937255859375,
        };
        assert_eq!(
            encode(p, false, Kind::Airborne),
            CprRaw {
                lat: 93000,
                lon: 51372,
                odd: false
            }
        );
    }

    /// Deterministic grid of positions worldwide, including the poles'
    /// neighbourhood, the antimeridian and the equator.
    fn grid() -> impl Iterator<Item = Position> {
        (-89..=89).step_by(1).flat_map(|lat| {
            (-180..180).step_by(7).map(move |lon| Position {
                lat: f64::from(lat) + 0.123_456,
                lon: f64::from(lon) + 0.654_321,
            })
        })
    }

    #[test]
    fn airborne_round_trip_worldwide() {
        for p in grid() {
            let e = encode(p, false, Kind::Airborne);
            let o = encode(p, true, Kind::Airborne);
            for odd_newest in [false, true] {
                let d = airborne_global(e, o, odd_newest).unwrap();
                assert!(distance_m(d, p) < 10.0, "{p:?} -> {d:?}");
            }
            let l = local(
                o,
                Position {
                    lat: p.lat + 0.3,
                    lon: p.lon - 0.3,
                },
                Kind::Airborne,
            )
            .unwrap();
            assert!(distance_m(l, p) < 10.0, "local {p:?} -> {l:?}");
        }
    }

    #[test]
    fn surface_round_trip_worldwide() {
        for p in grid() {
            let e = encode(p, false, Kind::Surface);
            let o = encode(p, true, Kind::Surface);
            let reference = Position {
                lat: p.lat - 0.2,
                lon: p.lon + 0.2,
            };
            let d = surface_global(e, o, true, reference).unwrap();
            assert!(distance_m(d, p) < 3.0, "{p:?} -> {d:?}");
            let l = local(e, reference, Kind::Surface).unwrap();
            assert!(distance_m(l, p) < 3.0, "local {p:?} -> {l:?}");
        }
    }
}
