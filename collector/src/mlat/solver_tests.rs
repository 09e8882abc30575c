//! Solver tests on synthetic geometry: times of arrival computed at the
//! speed of light, jittered, on a common clock.

use super::*;
use crate::mlat::geodesy::ecef_to_lla;
use crate::mlat::linalg::Vec3;
use crate::mlat::sim::{Rng, network};
use cloudradar_shared::cpr::{Position, distance_m};

fn toas(rxs: &[Vec3], target: Vec3, sigma: f64, rng: &mut Rng) -> Vec<Toa> {
    rxs.iter()
        .map(|&ecef| Toa {
            ecef,
            t: 5.0
                + dist(target, ecef) / signal_speed(ecef_to_lla(target).2)
                + rng.normal() * sigma,
            var: sigma * sigma,
        })
        .collect()
}

fn error_2d(a: Vec3, b: Vec3) -> f64 {
    let (la, lo, _) = ecef_to_lla(a);
    let (lb, lob, _) = ecef_to_lla(b);
    distance_m(
        Position { lat: la, lon: lo },
        Position { lat: lb, lon: lob },
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn solver_recovers_a_known_position_with_realistic_jitter() {
    let mut rng = Rng::new(1);
    let rxs: Vec<Vec3> = network(&mut rng, 5.0, (0.0, 0.0))
        .iter()
        .map(|r| r.ecef)
        .collect();
    let cfg = SolverConfig::default();
    for (sigma, with_alt, limit) in [
        (83e-9, false, 60.0),
        (83e-9, true, 30.0),
        (300e-9, true, 90.0),
    ] {
        let (mut errs, mut estimates) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let target = lla_to_ecef(
                52.3 + rng.range(-0.6, 0.6),
                4.76 + rng.range(-1.0, 1.0),
                9144.0,
            );
            let m = toas(&rxs, target, sigma, &mut rng);
            let alt = with_alt.then_some((9144.0, 30.0));
            let guess = initial_guess(&m, 9144.0);
            let s = solve(&m, alt, guess, &cfg).unwrap_or_else(|e| panic!("solve {i}: {e:?}"));
            errs.push(error_2d(s.ecef, target));
            estimates.push(s.error_m);
        }
        let (med, est) = (median(errs), median(estimates));
        println!(
            "sigma {:.0} ns, altitude {with_alt}: median 2D error {med:.1} m, median estimate {est:.1} m",
            sigma * 1e9
        );
        assert!(med < limit, "median error {med} m");
        assert!(
            est > med * 0.5 && est < med * 3.0,
            "estimate {est} vs {med}"
        );
    }
}

#[test]
fn solver_refuses_receivers_in_a_line() {
    let rxs: Vec<Vec3> = (0..6)
        .map(|i| lla_to_ecef(52.0 + f64::from(i) * 0.3, 4.76, 10.0))
        .collect();
    let target = lla_to_ecef(52.8, 5.5, 9144.0);
    let mut rng = Rng::new(2);
    let m = toas(&rxs, target, 100e-9, &mut rng);
    let r = solve(
        &m,
        None,
        initial_guess(&m, 9144.0),
        &SolverConfig::default(),
    );
    println!("receivers in a line: {r:?}");
    assert!(
        matches!(r, Err(Refusal::BadGeometry | Refusal::NotConverged)),
        "{r:?}"
    );
}

#[test]
fn solver_needs_four_receivers_or_three_and_an_altitude() {
    let mut rng = Rng::new(3);
    let rxs: Vec<Vec3> = network(&mut rng, 5.0, (0.0, 0.0))[1..4]
        .iter()
        .map(|r| r.ecef)
        .collect();
    let target = lla_to_ecef(52.4, 4.9, 9144.0);
    let m = toas(&rxs, target, 50e-9, &mut rng);
    let cfg = SolverConfig::default();
    let guess = initial_guess(&m, 9144.0);
    assert_eq!(solve(&m, None, guess, &cfg), Err(Refusal::TooFewReceivers));
    let s = solve(&m, Some((9144.0, 30.0)), guess, &cfg).expect("3 + altitude");
    let err = error_2d(s.ecef, target);
    println!(
        "3 receivers + altitude: error {err:.1} m, estimate {:.1} m",
        s.error_m
    );
    assert!(err < 150.0, "error {err}");
}

#[test]
fn solver_refuses_inconsistent_times() {
    let mut rng = Rng::new(4);
    let rxs: Vec<Vec3> = network(&mut rng, 5.0, (0.0, 0.0))
        .iter()
        .map(|r| r.ecef)
        .collect();
    let target = lla_to_ecef(52.4, 4.9, 9144.0);
    let mut m = toas(&rxs, target, 50e-9, &mut rng);
    m[2].t += 20e-6;
    let r = solve(
        &m,
        Some((9144.0, 30.0)),
        initial_guess(&m, 9144.0),
        &SolverConfig::default(),
    );
    assert!(r.is_err(), "{r:?}");
}
