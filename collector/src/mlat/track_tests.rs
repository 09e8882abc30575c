use super::*;
use crate::mlat::sim::{Flight, Rng};

fn noisy(flight: &Flight, t: f64, sigma: f64, rng: &mut Rng) -> Vec3 {
    let p = flight.ecef(t);
    std::array::from_fn(|i| p[i] + rng.normal() * sigma)
}

fn diag(v: f64) -> [[f64; 3]; 3] {
    [[v, 0.0, 0.0], [0.0, v, 0.0], [0.0, 0.0, v]]
}

#[test]
fn tracker_speed_and_track_match_the_truth() {
    let cfg = TrackConfig::default();
    let mut rng = Rng::new(11);
    let flight = Flight {
        lat: 52.0,
        lon: 4.5,
        alt_ft: 30_000.0,
        gs_kt: 450.0,
        track_deg: 63.0,
    };
    let sigma = 50.0;
    let mut track = Track::new(
        noisy(&flight, 0.0, sigma, &mut rng),
        diag(sigma * sigma),
        0.0,
    );
    let (mut raw_err, mut filt_err) = (0.0, 0.0);
    let (mut gs_sum, mut trk_sum) = (0.0, 0.0);
    let (mut n, mut rejected) = (0.0, 0);
    for i in 1..300 {
        let t = f64::from(i) * 0.2;
        let z = noisy(&flight, t, sigma, &mut rng);
        // The gate is the 99.9 % point: one honest fix in 1,000 fails it.
        match track.update(z, diag(sigma * sigma), t, true, &cfg) {
            Update::Accepted => {}
            Update::Rejected => rejected += 1,
            Update::Started => panic!("restarted at {t} s"),
        }
        if i > 100 {
            let truth = flight.ecef(t);
            raw_err += crate::mlat::linalg::dist(z, truth).powi(2);
            filt_err += crate::mlat::linalg::dist(track.position(), truth).powi(2);
            let (gs, trk) = track.velocity();
            gs_sum += gs;
            trk_sum += trk;
            n += 1.0;
        }
    }
    // One estimate's speed error is about 10 kt (1σ) with 50 m fixes at
    // 5 Hz and 3 m/s² of acceleration noise: compare the average over
    // the last 40 s, which is what follows the truth.
    let (gs, trk) = (gs_sum / n, trk_sum / n);
    let (raw, filt) = ((raw_err / n).sqrt(), (filt_err / n).sqrt());
    println!("gs {gs:.1} kt (450), track {trk:.2} (63), RMS raw {raw:.1} m, filtered {filt:.1} m");
    assert!(track.established(&cfg));
    assert!(rejected <= 3, "{rejected} of 299 honest fixes rejected");
    assert!((gs - 450.0).abs() < 8.0, "gs {gs}");
    assert!((trk - 63.0).abs() < 1.5, "track {trk}");
    assert!(filt < raw * 0.6, "filter does not smooth: {filt} vs {raw}");
}

#[test]
fn a_turn_moves_the_weight_to_the_manoeuvre_model_and_is_followed() {
    // 60 s straight at 450 kt, then a standard-rate turn (3°/s,
    // 12 m/s²) for 30 s; fixes of 30 m at 2 Hz, in a local plane.
    let cfg = TrackConfig::default();
    let mut rng = Rng::new(13);
    let origin = crate::mlat::geodesy::lla_to_ecef(52.0, 5.0, 10_000.0);
    let [e, n, _] = enu_basis(52.0, 5.0);
    let v = 450.0 * 1852.0 / 3600.0;
    let omega = 3f64.to_radians();
    let truth = |t: f64| {
        let (x, y) = if t <= 60.0 {
            (0.0, v * t)
        } else {
            // A right turn from north: a circle of radius v/ω.
            let (r, a) = (v / omega, omega * (t - 60.0));
            (r * (1.0 - a.cos()), v * 60.0 + r * a.sin())
        };
        std::array::from_fn(|i| origin[i] + x * e[i] + y * n[i])
    };
    let sigma = 30.0;
    let r = diag(sigma * sigma);
    let mut track = Track::new(truth(0.0), r, 0.0);
    let (mut straight_mu, mut turn_mu, mut worst): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for i in 1..=180 {
        let t = f64::from(i) * 0.5;
        let p = truth(t);
        let z = std::array::from_fn(|k| p[k] + rng.normal() * sigma);
        assert_ne!(
            track.update(z, r, t, true, &cfg),
            Update::Started,
            "at {t} s"
        );
        let err = crate::mlat::linalg::dist(track.position(), p);
        if t > 30.0 && t <= 60.0 {
            straight_mu = straight_mu.max(track.mu[0]);
        }
        if t > 60.0 {
            turn_mu = turn_mu.max(track.mu[1]);
            worst = worst.max(err);
        }
    }
    println!("straight μ {straight_mu:.2}, turn μ {turn_mu:.2}, worst in the turn {worst:.0} m");
    assert!(straight_mu > 0.8, "{straight_mu}");
    assert!(turn_mu > 0.8, "{turn_mu}");
    assert!(worst < 120.0, "{worst}");
}

#[test]
fn tracker_rejects_an_outlier_and_restarts_after_a_gap() {
    let cfg = TrackConfig::default();
    let mut rng = Rng::new(12);
    let flight = Flight {
        lat: 52.0,
        lon: 4.5,
        alt_ft: 30_000.0,
        gs_kt: 300.0,
        track_deg: 200.0,
    };
    let r = diag(900.0);
    let mut track = Track::new(noisy(&flight, 0.0, 30.0, &mut rng), r, 0.0);
    for i in 1..50 {
        let t = f64::from(i) * 0.5;
        track.update(noisy(&flight, t, 30.0, &mut rng), r, t, true, &cfg);
    }
    let mut far = flight.ecef(25.0);
    far[0] += 3_000.0;
    assert_eq!(track.update(far, r, 25.0, true, &cfg), Update::Rejected);
    assert_eq!(
        track.update(flight.ecef(25.5), r, 25.5, true, &cfg),
        Update::Accepted
    );
    assert_eq!(
        track.update(flight.ecef(90.0), r, 90.0, true, &cfg),
        Update::Started
    );
    assert!(!track.established(&cfg));
}

#[test]
fn a_fix_that_may_not_restart_neither_restarts_nor_confirms_a_track() {
    let cfg = TrackConfig::default();
    let flight = Flight {
        lat: 52.0,
        lon: 4.5,
        alt_ft: 20_000.0,
        gs_kt: 250.0,
        track_deg: 90.0,
    };
    let r = diag(900.0);
    let mut track = Track::new(flight.ecef(0.0), r, 0.0);
    assert!(!track.confirmed());
    let mut far = flight.ecef(1.0);
    far[1] += 20_000.0;
    for i in 0..cfg.max_rejects + 2 {
        let t = 1.0 + f64::from(i) * 0.1;
        assert_eq!(track.update(far, r, t, false, &cfg), Update::Rejected);
    }
    assert_eq!(
        track.update(flight.ecef(60.0), r, 60.0, false, &cfg),
        Update::Rejected,
        "a gap"
    );
    assert_eq!(
        track.update(flight.ecef(1.5), r, 1.5, false, &cfg),
        Update::Accepted
    );
    assert!(track.confirmed());
}
