//! Where a receiver's antenna is, and where its owner said it is: a site
//! entered by hand is often off by tens of metres (a street address, a
//! map click, the altitude of the ground instead of the roof). The
//! receiver hears from its true site; its status reports the other one,
//! which is all multilateration gets to know.

use cloudradar_shared::cpr::Position;

use crate::geo::{self, Ecef};
use crate::rng::Rng;
use crate::traffic::destination;

/// How far the reported site is from the true one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SiteError {
    /// Horizontal distance, metres (in a random direction).
    pub horizontal_m: f64,
    /// Altitude difference, metres (up or down at random).
    pub vertical_m: f64,
}

/// A receiver site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    /// True antenna position.
    pub position: Position,
    /// True antenna height above the WGS84 ellipsoid, metres (also its
    /// height above the ground, which is taken at 0 m, for the horizon).
    pub alt_m: f64,
    /// The position the receiver reports.
    pub reported: Position,
    /// The antenna height it reports, metres.
    pub reported_alt_m: f64,
    /// The true antenna in ECEF metres.
    pub ecef: Ecef,
}

impl Site {
    /// A site at `position`/`alt_m` that reports itself `error` away, in
    /// a direction drawn from `rng` (which is only used when there is an
    /// error, so error-free sites leave the random sequence alone).
    pub fn new(position: Position, alt_m: f64, error: SiteError, rng: &mut Rng) -> Self {
        let reported = if error.horizontal_m > 0.0 {
            destination(position, rng.range(0.0, 360.0), error.horizontal_m)
        } else {
            position
        };
        let reported_alt_m = if error.vertical_m > 0.0 {
            let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
            alt_m + sign * error.vertical_m
        } else {
            alt_m
        };
        Self {
            position,
            alt_m,
            reported,
            reported_alt_m,
            ecef: geo::ecef(position, alt_m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::cpr::distance_m;

    const HERE: Position = Position {
        lat: 52.3,
        lon: 4.76,
    };

    #[test]
    fn the_error_moves_the_reported_site_only() {
        let error = SiteError {
            horizontal_m: 250.0,
            vertical_m: 30.0,
        };
        let mut directions = Vec::new();
        for seed in 0..20 {
            let s = Site::new(HERE, 15.0, error, &mut Rng::new(seed));
            assert_eq!((s.position, s.alt_m), (HERE, 15.0));
            assert_eq!(s.ecef, geo::ecef(HERE, 15.0));
            let d = distance_m(s.position, s.reported);
            assert!((d - 250.0).abs() < 0.5, "{d}");
            assert!((s.reported_alt_m - 15.0).abs() == 30.0);
            directions.push(crate::traffic::bearing(HERE, s.reported));
        }
        // Not all one way.
        assert!(directions.iter().any(|&b| b < 180.0) && directions.iter().any(|&b| b > 180.0));
    }

    #[test]
    fn no_error_reports_the_true_site() {
        let s = Site::new(HERE, 40.0, SiteError::default(), &mut Rng::new(1));
        assert_eq!((s.reported, s.reported_alt_m), (HERE, 40.0));
    }
}
