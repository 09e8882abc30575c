//! The simulator as a multilateration test bed: aircraft without ADS-B
//! answer the radars with valid frames, every receiver stamps with its own
//! clock at the true time of arrival from where the truth says the
//! aircraft was, and a site error changes only what a receiver reports.

use std::cell::RefCell;
use std::collections::HashMap;

use cloudradar_shared::Frame;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::crc::syndrome;
use cloudradar_shared::decode::{CrcStatus, DecodeOptions, decode};
use cloudradar_shared::propagation;
use cloudradar_sim::clock::{ClockKind, TICKS_PER_S, WRAP};
use cloudradar_sim::config::{Config, ReceiverConfig};
use cloudradar_sim::engine::{Engine, Reception, TruthFrame};
use cloudradar_sim::geo;
use cloudradar_sim::receiver::Noise;

const QUIET: Noise = Noise {
    drop_rate: 0.0,
    bit_error_rate: 0.0,
    corrupt_rate: 0.0,
};

/// Every transmission of `seconds` in 0.1 s steps, with its receptions.
fn run(config: &Config, seconds: f64) -> (Engine, Vec<(TruthFrame, Vec<Reception>)>) {
    let mut e = Engine::new(config);
    let out = RefCell::new(Vec::new());
    let pending = RefCell::new(Vec::new());
    for _ in 0..(seconds * 10.0) as usize {
        e.advance(
            0.1,
            |r| pending.borrow_mut().push(r),
            |tf, _| {
                let heard = std::mem::take(&mut *pending.borrow_mut());
                out.borrow_mut().push((tf.clone(), heard));
            },
        );
    }
    (e, out.into_inner())
}

fn frame(tf: &TruthFrame) -> Frame {
    Frame::from_hex(&tf.raw).expect("truth hex")
}

#[test]
fn mode_s_only_aircraft_answer_the_radars_and_never_send_adsb() {
    let config = Config {
        seed: 4,
        aircraft: 600,
        noise: QUIET,
        ..Config::default()
    };
    let seconds = 30.0;
    let (_, sent) = run(&config, seconds);
    let opts = DecodeOptions::default();
    let mut by_df: HashMap<u8, usize> = HashMap::new();
    let mut aircraft: HashMap<&str, bool> = HashMap::new();
    for (tf, _) in &sent {
        aircraft.insert(&tf.icao, tf.mode_s_only);
        if !tf.mode_s_only {
            continue;
        }
        let f = frame(tf);
        let m = decode(&f, &opts).expect("a Mode S-only frame decodes");
        // DF11 (interrogator 0) checks to zero; in DF4/5/20/21 the
        // parity is overlaid with the address, which must be the sender's.
        let want = if f.df() == 11 {
            CrcStatus::Ok
        } else {
            CrcStatus::AddressParity
        };
        assert_eq!(m.crc, want, "{}", tf.raw);
        assert_eq!(format!("{:06x}", m.address.icao), tf.icao, "{}", tf.raw);
        let s = syndrome(f.as_bytes());
        assert_eq!(
            s,
            if f.df() == 11 { 0 } else { m.address.icao },
            "{}",
            tf.raw
        );
        *by_df.entry(f.df()).or_default() += 1;
    }
    let share = aircraft.values().filter(|&&m| m).count() as f64 / aircraft.len() as f64;
    assert!((0.12..=0.18).contains(&share), "Mode S-only share {share}");
    let n = aircraft.values().filter(|&&m| m).count() as f64;
    assert!(
        !by_df.contains_key(&17) && !by_df.contains_key(&18),
        "{by_df:?}"
    );
    let rate = |dfs: &[u8]| {
        dfs.iter()
            .map(|d| by_df.get(d).copied().unwrap_or(0))
            .sum::<usize>() as f64
            / n
            / seconds
    };
    // Acquisition squitters every 0.8–1.2 s (aircraft replaced at the
    // edge of the area start later, so a little under 1).
    let squitters = rate(&[11]);
    assert!((0.9..=1.05).contains(&squitters), "DF11 {squitters}/s");
    // Replies: about two a second over the central area, fewer far out.
    let replies = rate(&[4, 5, 20, 21]);
    assert!((0.8..=3.0).contains(&replies), "DF4/5/20/21 {replies}/s");
    for df in [4, 5, 20, 21] {
        assert!(
            by_df.get(&df).copied().unwrap_or(0) > 100,
            "DF{df}: {by_df:?}"
        );
    }
}

/// With the ideal clock a timestamp is the true time of arrival, and
/// that is the send time plus the straight-line distance from where the
/// truth line says the aircraft was to the receiver, at the speed of light
/// slowed by the air on the way (`propagation`).
#[test]
fn receptions_arrive_from_where_the_truth_says_the_aircraft_was() {
    let config = Config {
        seed: 2,
        aircraft: 150,
        receiver_count: 4,
        clock: ClockKind::Ideal,
        noise: QUIET,
        ..Config::default()
    };
    let (e, sent) = run(&config, 10.0);
    let mut checked = 0;
    for (tf, heard) in &sent {
        let from = geo::ecef(
            Position {
                lat: tf.lat,
                lon: tf.lon,
            },
            tf.alt_geom_m,
        );
        for r in heard {
            let site = &e.receivers[r.receiver].site;
            let speed = propagation::speed(site.alt_m, tf.alt_ft * geo::FT);
            assert!(speed < geo::C * (1.0 - 1e-4), "the air slows the signal");
            let delay = geo::distance(from, site.ecef) / speed;
            assert!((r.t - tf.t - delay).abs() < 1e-12, "{} {}", r.t, tf.t);
            assert_eq!(r.rx.timestamp, (r.t * TICKS_PER_S) as u64);
            checked += 1;
        }
    }
    assert!(checked > 20_000, "{checked}");
    // In order of transmission, beam dwells across steps included.
    assert!(sent.windows(2).all(|w| w[0].0.t <= w[1].0.t));
}

/// The default clocks: each receiver's timestamps are a line in true
/// time with its own offset and rate (within its class's bound) plus
/// jitter of its class.
#[test]
fn every_receiver_counts_on_its_own_clock() {
    let config = Config {
        seed: 6,
        aircraft: 150,
        receiver_count: 2,
        noise: QUIET,
        ..Config::default()
    };
    // Short enough that drift (a random walk of the rate) stays far
    // below the jitter.
    let (_, sent) = run(&config, 5.0);
    // (true arrival, timestamp) per receiver.
    let mut per: [Vec<(f64, u64)>; 2] = [Vec::new(), Vec::new()];
    for (_, heard) in &sent {
        for r in heard {
            per[r.receiver].push((r.t, r.rx.timestamp));
        }
    }
    let starts: Vec<f64> = per
        .iter()
        .map(|v| (v[0].1.wrapping_sub((v[0].0 * TICKS_PER_S) as u64) & WRAP) as f64)
        .collect();
    assert!((starts[0] - starts[1]).abs() > TICKS_PER_S, "{starts:?}");
    // Beast (receiver 1) and dump1090 (receiver 2): bound ppm, noise ns.
    for (i, (bound, noise)) in [(5.0, 83.0), (100.0, 500.0)].into_iter().enumerate() {
        let v = &per[i];
        let (t0, s0) = v[0];
        let pts: Vec<(f64, f64)> = v
            .iter()
            .map(|&(t, s)| (t - t0, (s.wrapping_sub(s0) & WRAP) as f64 / TICKS_PER_S))
            .collect();
        let n = pts.len() as f64;
        let (mx, my) = pts
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let slope = sxy / sxx;
        let ppm = (slope - 1.0) * 1e6;
        assert!(
            ppm.abs() <= bound && ppm.abs() > 0.01,
            "receiver {i}: {ppm} ppm"
        );
        let sd = (pts
            .iter()
            .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let sd_ns = sd * 1e9;
        assert!(
            sd_ns > 0.8 * noise && sd_ns < 1.3 * noise,
            "receiver {i}: {sd_ns} ns"
        );
    }
}

#[test]
fn a_site_error_changes_what_is_reported_not_what_is_heard() {
    let exact = Config {
        seed: 3,
        aircraft: 80,
        receivers: vec![
            ReceiverConfig::at("a", 52.3, 4.76),
            ReceiverConfig {
                position_error_m: Some(0.0),
                altitude_error_m: Some(0.0),
                ..ReceiverConfig::at("b", 52.0, 5.1)
            },
        ],
        ..Config::default()
    };
    let off = Config {
        position_error_m: 300.0,
        altitude_error_m: 20.0,
        ..exact.clone()
    };
    let (ea, a) = run(&exact, 5.0);
    let (eb, b) = run(&off, 5.0);
    let heard = |s: &[(TruthFrame, Vec<Reception>)]| -> Vec<(usize, Frame, u64, u8)> {
        s.iter()
            .flat_map(|(_, h)| {
                h.iter()
                    .map(|r| (r.receiver, r.rx.frame, r.rx.timestamp, r.rx.signal))
            })
            .collect()
    };
    assert!(!heard(&a).is_empty());
    assert_eq!(heard(&a), heard(&b), "the receivers hear the same");
    let (sa, sb) = (&ea.receivers[0].site, &eb.receivers[0].site);
    assert_eq!((sa.position, sa.alt_m), (sb.position, sb.alt_m));
    assert_eq!((sa.reported, sa.reported_alt_m), (sa.position, sa.alt_m));
    let d = distance_m(sb.reported, sb.position);
    assert!((d - 300.0).abs() < 1.0, "{d}");
    assert_eq!((sb.reported_alt_m - sb.alt_m).abs(), 20.0);
    // The second receiver's own keys win over the scenario's.
    let s = &eb.receivers[1].site;
    assert_eq!((s.reported, s.reported_alt_m), (s.position, s.alt_m));
}

/// The benchmark scenario parses, and four or more of its receivers hear
/// most of what the aircraft over its central area send.
#[test]
fn the_mlat_scenario_covers_its_centre_four_times() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/docker/sim-mlat.toml"
    );
    let config = Config::from_file(std::path::Path::new(path)).expect("scenario");
    assert_eq!(config.receivers.len(), 6);
    assert_eq!(
        (config.clock, config.mode_s_only_share),
        (ClockKind::Mixed, 0.15)
    );
    let centre = Position {
        lat: 52.2,
        lon: 5.3,
    };
    let (e, sent) = run(&config, 10.0);
    let kinds: Vec<ClockKind> = e.receivers.iter().map(|r| r.clock.params().kind).collect();
    assert!(kinds.contains(&ClockKind::Beast) && kinds.contains(&ClockKind::Dump1090));
    let (mut central, mut four) = (0, 0);
    for (tf, heard) in &sent {
        let here = Position {
            lat: tf.lat,
            lon: tf.lon,
        };
        if tf.alt_ft > 5_000.0 && distance_m(centre, here) < 100_000.0 {
            central += 1;
            four += usize::from(heard.len() >= 4);
        }
    }
    assert!(central > 1_000, "{central}");
    assert!(four as f64 > 0.8 * central as f64, "{four} of {central}");
}
