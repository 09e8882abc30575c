//! The site: where tar1090 (`receiver.json`'s `lat`/`lon`) and the
//! dashboard centre the map, and whence aircraft.json's `r_dst`/`r_dir`
//! are measured. The configured `site_lat`/`site_lon`, else the centroid
//! of the receivers whose position is known.

use std::collections::HashMap;

use cloudradar_shared::cpr::Position;

use super::ReceiverSite;

/// The configured site, else the centroid of `receivers`; `None` with
/// neither.
pub fn site(
    configured: Option<Position>,
    receivers: &HashMap<String, ReceiverSite>,
) -> Option<Position> {
    configured.or_else(|| centroid(receivers.values().map(|s| s.position)))
}

/// The centroid on the sphere (the mean of unit vectors), so receivers on
/// both sides of the antimeridian average near it, not near Greenwich.
fn centroid(points: impl Iterator<Item = Position>) -> Option<Position> {
    let (mut x, mut y, mut z, mut n) = (0.0, 0.0, 0.0, 0usize);
    for p in points {
        let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
        x += lat.cos() * lon.cos();
        y += lat.cos() * lon.sin();
        z += lat.sin();
        n += 1;
    }
    if n == 0 || x.hypot(y).hypot(z) < 1e-9 {
        return None;
    }
    Some(Position {
        lat: z.atan2(x.hypot(y)).to_degrees(),
        lon: y.atan2(x).to_degrees(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Position {
        Position { lat, lon }
    }

    fn receivers<const N: usize>(list: [(&str, Position); N]) -> HashMap<String, ReceiverSite> {
        list.into_iter()
            .map(|(id, position)| {
                let site = ReceiverSite {
                    position,
                    alt_m: None,
                };
                (id.to_string(), site)
            })
            .collect()
    }

    #[test]
    fn configured_site_wins_over_receivers() {
        let rx = receivers([("a", at(10.0, 10.0))]);
        assert_eq!(site(Some(at(52.3, 4.76)), &rx), Some(at(52.3, 4.76)));
    }

    #[test]
    fn without_a_configured_site_the_receivers_centroid_is_used() {
        let rx = receivers([("a", at(52.0, 4.0)), ("b", at(52.0, 6.0))]);
        let s = site(None, &rx).expect("a site");
        // Two points on one parallel: the midpoint of the great circle,
        // a little north of the parallel.
        assert!((s.lon - 5.0).abs() < 1e-9, "{s:?}");
        assert!(s.lat > 52.0 && s.lat < 52.01, "{s:?}");
    }

    #[test]
    fn receivers_across_the_antimeridian_centre_on_it() {
        let rx = receivers([("a", at(-17.0, 179.0)), ("b", at(-17.0, -179.0))]);
        let s = site(None, &rx).expect("a site");
        assert!((s.lon.abs() - 180.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn no_site_and_no_receiver_positions_is_none() {
        assert_eq!(site(None, &HashMap::new()), None);
    }
}
