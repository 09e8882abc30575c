//! The ground truth file against the simulator's own frames: decoding the
//! frames it records with the shared tracker gives back the recorded
//! per-second positions (within CPR precision plus interpolation, < 50 m)
//! and altitudes (within 25 ft) of the airborne aircraft.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use cloudradar_shared::Frame;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::state::{AltBaro, Tracker, TrackerOptions};
use common::Sim;
use serde_json::Value;

/// One aircraft in a state line: position, altitude, airborne.
#[derive(Debug, Clone, Copy)]
struct Truth {
    lat: f64,
    lon: f64,
    alt: f64,
    airborne: bool,
}

/// State lines: time and every aircraft by hex address.
type States = Vec<(f64, HashMap<String, Truth>)>;

/// A frame line: time, the frame, and where its aircraft was then.
type Sent = (f64, Frame, Truth);

/// Per-second states and the frames, from a truth file (its receiver
/// lines counted).
fn read_truth(path: &std::path::Path) -> (States, Vec<Sent>, usize) {
    let text = std::fs::read_to_string(path).expect("truth file");
    let (mut states, mut frames, mut receivers) = (Vec::new(), Vec::new(), 0);
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        let t = v["t"].as_f64().expect("t");
        match v["type"].as_str() {
            Some("state") => {
                let mut map = HashMap::new();
                for a in v["aircraft"].as_array().expect("aircraft") {
                    let icao = a["icao"].as_str().expect("hex icao").to_string();
                    assert_eq!(icao.len(), 6);
                    assert!(a["callsign"].as_str().is_some_and(|c| !c.is_empty()));
                    let squawk = a["squawk"].as_str().expect("squawk");
                    assert!(
                        squawk.len() == 4 && squawk.bytes().all(|b| (b'0'..=b'7').contains(&b))
                    );
                    map.insert(
                        icao,
                        Truth {
                            lat: a["lat"].as_f64().expect("lat"),
                            lon: a["lon"].as_f64().expect("lon"),
                            alt: a["alt_ft"].as_f64().expect("alt_ft"),
                            airborne: a["phase"] != "taxi",
                        },
                    );
                }
                states.push((t, map));
            }
            Some("frame") => {
                let frame = Frame::from_hex(v["raw"].as_str().expect("raw")).expect("frame hex");
                let alt = v["alt_ft"].as_f64().expect("alt_ft");
                let geom = v["alt_geom_m"].as_f64().expect("alt_geom_m");
                assert!(geom == 0.0 || (geom - (alt + 125.0) * 0.3048).abs() < 1e-6);
                let mode_s_only = v["mode_s_only"].as_bool().expect("mode_s_only");
                assert!(
                    !(mode_s_only && frame.df() == 17),
                    "DF17 from a Mode S-only aircraft"
                );
                let at = Truth {
                    lat: v["lat"].as_f64().expect("lat"),
                    lon: v["lon"].as_f64().expect("lon"),
                    alt,
                    airborne: geom > 0.0,
                };
                frames.push((t, frame, at));
            }
            Some("receiver") => {
                assert!(v["id"].is_string() && v["reported_lat"].is_f64() && v["alt_m"].is_f64());
                receivers += 1;
            }
            other => panic!("unknown record type {other:?}"),
        }
    }
    (states, frames, receivers)
}

/// The truth of `icao` at `t`, interpolated between the states around it.
fn truth_at(states: &[(f64, HashMap<String, Truth>)], icao: &str, t: f64) -> Option<Truth> {
    let i = states.partition_point(|(st, _)| *st <= t);
    let (t0, s0) = states.get(i.checked_sub(1)?)?;
    let (t1, s1) = states.get(i)?;
    let (a, b) = (s0.get(icao)?, s1.get(icao)?);
    let f = (t - t0) / (t1 - t0);
    // A different aircraft in the slot or a jump: not comparable.
    if distance_m(
        Position {
            lat: a.lat,
            lon: a.lon,
        },
        Position {
            lat: b.lat,
            lon: b.lon,
        },
    ) > 1_000.0
    {
        return None;
    }
    Some(Truth {
        lat: a.lat + (b.lat - a.lat) * f,
        lon: a.lon + (b.lon - a.lon) * f,
        alt: a.alt + (b.alt - a.alt) * f,
        airborne: a.airborne && b.airborne,
    })
}

/// Where the frame line says its aircraft was agrees with the states
/// around it (interpolated over a second: within the sagitta of a
/// standard turn, 1.6 m; the state at the end of the 0.1 s step would be
/// up to 25 m off).
fn frame_line_agrees(at: &Truth, truth: &Truth, icao: &str, t: f64) {
    let off = distance_m(
        Position {
            lat: at.lat,
            lon: at.lon,
        },
        Position {
            lat: truth.lat,
            lon: truth.lon,
        },
    );
    assert!(
        off < 5.0,
        "{icao} at t={t}: frame line {off:.1} m from the states"
    );
    assert!((at.alt - truth.alt).abs() < 10.0, "{icao} at t={t}");
}

#[test]
fn decoded_frames_reproduce_the_recorded_truth() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    let mut sim = Sim::start(&[
        "--aircraft",
        "40",
        "--seed",
        "11",
        "--speed",
        "50",
        "--duration-s",
        "120",
        "--truth",
        path.to_str().unwrap(),
    ]);
    assert!(
        common::wait_until(Duration::from_secs(60), || sim.0.exited().is_some()),
        "simulator did not finish"
    );
    let (states, frames, receivers) = read_truth(&path);
    assert_eq!(receivers, 1);
    // One state line per simulated second (the run ends on a 5 s tick).
    assert!(
        (120..=126).contains(&states.len()),
        "{} state lines",
        states.len()
    );
    assert!(
        states
            .windows(2)
            .all(|w| (w[1].0 - w[0].0 - 1.0).abs() < 0.15)
    );
    let mut tracker = Tracker::new(TrackerOptions::default());
    let opts = DecodeOptions::default();
    let (mut positions, mut altitudes, mut sources) = (0, 0, 0);
    for (t, frame, at) in &frames {
        let m = decode(frame, &opts).expect("frames are recorded as sent");
        let icao = format!("{:06x}", m.address.icao);
        let truth = truth_at(&states, &icao, *t).filter(|x| x.airborne);
        if let Some(truth) = truth {
            frame_line_agrees(at, &truth, &icao, *t);
            sources += 1;
        }
        let Some(fields) = tracker.update(&m, 1_000_000 + (t * 1000.0) as u64, None) else {
            continue;
        };
        let Some(truth) = truth else {
            continue;
        };
        if let (Some(lat), Some(lon)) = (fields.lat, fields.lon) {
            let d = distance_m(
                Position { lat, lon },
                Position {
                    lat: truth.lat,
                    lon: truth.lon,
                },
            );
            assert!(
                d < 50.0,
                "{icao} at t={t}: decoded {lat},{lon} is {d:.1} m from the truth"
            );
            positions += 1;
        }
        if let Some(AltBaro::Feet(alt)) = fields.alt_baro {
            let e = (f64::from(alt) - truth.alt).abs();
            assert!(
                e <= 25.0,
                "{icao} at t={t}: decoded {alt} ft, truth {:.0} ft",
                truth.alt
            );
            altitudes += 1;
        }
    }
    assert!(positions > 2_000, "{positions} positions compared");
    assert!(altitudes > 2_000, "{altitudes} altitudes compared");
    assert!(sources > 10_000, "{sources} frame positions compared");
}
