use super::*;
use crate::mlat::geodesy::lla_to_ecef;
use crate::mlat::sim::{Flight, Rng};

/// Receivers on a 100 km hexagon around 52.2 N 5.3 E, at 30 m.
fn receivers() -> Vec<Vec3> {
    (0..6)
        .map(|k| {
            let a = f64::from(k) * 60f64.to_radians();
            lla_to_ecef(52.2 + 0.9 * a.cos(), 5.3 + 1.47 * a.sin(), 30.0)
        })
        .collect()
}

/// Arrival times of a transmission from `pos`, with `sigma` of jitter,
/// on a clock whose zero is unknown to the tracker (an offset of 7 s).
fn arrivals(pos: Vec3, rxs: &[Vec3], sigma: f64, rng: &mut Rng) -> Vec<Toa> {
    let c = signal_speed(ecef_to_lla(pos).2);
    rxs.iter()
        .map(|&r| Toa {
            ecef: r,
            t: 7.0 + dist(pos, r) / c + rng.normal() * sigma,
            var: sigma * sigma,
        })
        .collect()
}

#[test]
fn chi2_quantile_is_close_to_the_table() {
    // χ² at 99.9 %: 10.83 (1), 16.27 (3), 29.59 (10).
    for (dof, table) in [(1, 10.83), (3, 16.27), (10, 29.59)] {
        let q = chi2_quantile(dof, 3.09);
        assert!((q / table - 1.0).abs() < 0.05, "{dof}: {q} vs {table}");
    }
}

#[test]
fn two_receivers_alone_keep_a_track_on_its_aircraft() {
    // A track started 300 m off, then only pairs of receivers (one time
    // difference each, never enough to solve) and the altitude: each
    // pins the track to a hyperboloid, and as the pairs change the track
    // converges on the aircraft.
    let cfg = TrackConfig::default();
    let rxs = receivers();
    let mut rng = Rng::new(21);
    let flight = Flight {
        lat: 52.3,
        lon: 5.1,
        alt_ft: 30_000.0,
        gs_kt: 420.0,
        track_deg: 40.0,
    };
    let mut start = flight.ecef(0.0);
    start[0] += 300.0;
    let cov = [[400.0 * 400.0, 0.0, 0.0], [0.0, 1e4, 0.0], [0.0, 0.0, 1e4]];
    let mut track = Track::new(start, cov, 0.0);
    let sigma = 100e-9;
    for i in 1..=120 {
        let t = f64::from(i) * 0.5;
        let pair = [rxs[i as usize % 6], rxs[(i as usize * 5 + 1) % 6]];
        let toas = arrivals(flight.ecef(t), &pair, sigma, &mut rng);
        let alt = Some((flight.alt_ft * 0.3048, 30.0));
        let m = Measurement {
            toas: &toas,
            alt,
            t,
        };
        assert_ne!(track.update_tdoa(&m, None, &cfg), Update::Started);
    }
    let err = dist(track.position(), flight.ecef(60.0));
    println!(
        "error after 60 s of pairs: {err:.1} m (estimate {:.1})",
        track.error_m()
    );
    assert!(err < 100.0, "{err}");
    assert!(
        err < 4.0 * track.error_m() + 10.0,
        "{err} vs {}",
        track.error_m()
    );
}

#[test]
fn a_wrong_transmission_is_rejected_and_a_gap_needs_a_solve() {
    let cfg = TrackConfig::default();
    let rxs = receivers();
    let mut rng = Rng::new(22);
    let flight = Flight {
        lat: 52.0,
        lon: 5.5,
        alt_ft: 20_000.0,
        gs_kt: 300.0,
        track_deg: 250.0,
    };
    let cov = [[900.0, 0.0, 0.0], [0.0, 900.0, 0.0], [0.0, 0.0, 900.0]];
    let mut track = Track::new(flight.ecef(0.0), cov, 0.0);
    for i in 1..40 {
        let t = f64::from(i) * 0.5;
        let toas = arrivals(flight.ecef(t), &rxs, 50e-9, &mut rng);
        let m = Measurement {
            toas: &toas,
            alt: None,
            t,
        };
        track.update_tdoa(&m, None, &cfg);
    }
    // Another aircraft's reply with the same bytes, 20 km away.
    let mut elsewhere = flight.ecef(20.0);
    elsewhere[1] += 20_000.0;
    let toas = arrivals(elsewhere, &rxs, 50e-9, &mut rng);
    let m = Measurement {
        toas: &toas,
        alt: None,
        t: 20.0,
    };
    assert_eq!(track.update_tdoa(&m, None, &cfg), Update::Rejected);
    // A minute later only a solved position may restart it.
    let toas = arrivals(flight.ecef(80.0), &rxs, 50e-9, &mut rng);
    let m = Measurement {
        toas: &toas,
        alt: None,
        t: 80.0,
    };
    assert_eq!(track.update_tdoa(&m, None, &cfg), Update::Rejected);
    let restart = Some((flight.ecef(80.0), cov));
    assert_eq!(track.update_tdoa(&m, restart, &cfg), Update::Started);
}
