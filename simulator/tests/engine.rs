//! The simulator's frames checked with the shared decoder: valid CRC
//! unless damaged on purpose, damage at the configured rate, determinism,
//! geography of reception, and decoded positions matching the truth.

use std::collections::HashMap;

use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::crc::syndrome;
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::state::{Tracker, TrackerOptions};
use cloudradar_sim::config::Config;
use cloudradar_sim::engine::Engine;
use cloudradar_sim::receiver::Noise;

fn config(noise: Noise, receivers: usize) -> Config {
    Config {
        seed: 9,
        aircraft: 150,
        receiver_count: receivers,
        noise,
        ..Config::default()
    }
}

/// Intact frames: DF11/17/18 have syndrome 0 (interrogator 0); address/parity
/// replies have the aircraft's address as syndrome.
fn intact(frame: &cloudradar_shared::Frame, icao: u32) -> bool {
    let s = syndrome(frame.as_bytes());
    match frame.df() {
        11 | 17 | 18 => s == 0,
        _ => s == icao,
    }
}

#[test]
fn every_frame_is_valid_unless_damaged_and_damage_matches_the_rate() {
    let noise = Noise {
        drop_rate: 0.0,
        bit_error_rate: 0.05,
        corrupt_rate: 0.02,
    };
    let mut e = Engine::new(&config(noise, 1));
    let (mut total, mut one, mut three) = (0u64, 0u64, 0u64);
    let mut bad_intact = 0;
    for _ in 0..300 {
        let mut receptions = Vec::new();
        let mut icaos = Vec::new();
        e.advance(
            0.2,
            |r| receptions.push(r),
            |tf, a| {
                if !tf.heard.is_empty() {
                    icaos.push(a.icao);
                }
            },
        );
        for (r, icao) in receptions.iter().zip(icaos) {
            total += 1;
            match r.flipped {
                0 => {
                    if !intact(&r.rx.frame, icao) {
                        bad_intact += 1;
                    }
                }
                1 => one += 1,
                _ => three += 1,
            }
        }
    }
    assert_eq!(bad_intact, 0, "an undamaged frame failed its parity");
    assert!(total > 10_000, "{total}");
    let (p1, p3) = (one as f64 / total as f64, three as f64 / total as f64);
    // Configured: 2% three-bit damage, then 5% of the rest one-bit.
    assert!((p3 - 0.02).abs() < 0.005, "{p3}");
    assert!((p1 - 0.049).abs() < 0.008, "{p1}");
}

#[test]
fn same_seed_same_frames() {
    let run = || {
        let mut e = Engine::new(&config(Noise::default(), 2));
        let mut out = Vec::new();
        for _ in 0..50 {
            e.advance(
                0.2,
                |r| out.push((r.receiver, r.rx.frame, r.rx.timestamp, r.rx.signal)),
                |_, _| {},
            );
        }
        out
    };
    let (a, b) = (run(), run());
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn receivers_at_different_places_hear_different_subsets_with_different_timestamps() {
    let mut e = Engine::new(&config(Noise::default(), 3));
    let mut per: HashMap<usize, usize> = HashMap::new();
    let mut multi = 0;
    for _ in 0..100 {
        e.advance(
            0.2,
            |r| *per.entry(r.receiver).or_default() += 1,
            |tf, _| {
                if tf.heard.len() > 1 {
                    multi += 1;
                }
            },
        );
    }
    assert_eq!(per.len(), 3);
    let counts: Vec<usize> = per.values().copied().collect();
    assert!(counts.iter().any(|&c| c != counts[0]), "{counts:?}");
    assert!(
        multi > 100,
        "transmissions heard by several receivers: {multi}"
    );
}

#[test]
fn decoded_positions_match_the_truth_within_metres() {
    let noise = Noise {
        drop_rate: 0.0,
        bit_error_rate: 0.0,
        corrupt_rate: 0.0,
    };
    let mut e = Engine::new(&config(noise, 1));
    let mut tracker = Tracker::new(TrackerOptions::default());
    let opts = DecodeOptions::default();
    let mut checked = 0;
    let mut t_ms = 1_000_000u64;
    for _ in 0..200 {
        let mut truths = Vec::new();
        let mut frames = Vec::new();
        e.advance(
            0.1,
            |r| frames.push(r.rx.frame),
            |tf, a| {
                if !tf.heard.is_empty() {
                    truths.push((a.icao, a.position()));
                }
            },
        );
        t_ms += 100;
        for (f, (icao, truth)) in frames.iter().zip(truths) {
            let Ok(m) = decode(f, &opts) else { continue };
            if let Some(fields) = tracker.update(&m, t_ms, None)
                && let (Some(lat), Some(lon)) = (fields.lat, fields.lon)
            {
                assert_eq!(m.address.icao, icao);
                let d = distance_m(Position { lat, lon }, truth);
                assert!(
                    d < 10.0,
                    "{icao:06x}: decoded {lat},{lon} is {d:.1} m from the truth"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
