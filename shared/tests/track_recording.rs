//! Reconstructs every track in the long-flight recording with the state
//! model and checks KLM1302's: continuous, physically possible, in range,
//! from Toulouse-Blagnac (LFBO) to Amsterdam-Schiphol (EHAM).

use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::format::csv;
use cloudradar_shared::state::{Tracker, TrackerOptions};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// EHAM aerodrome reference point (AIP Netherlands).
const EHAM: Position = Position {
    lat: 52.3086,
    lon: 4.7639,
};

/// LFBO aerodrome reference point (AIP France).
const LFBO: Position = Position {
    lat: 43.6294,
    lon: 1.3678,
};

#[test]
fn klm1302_track_has_no_implausible_jump_from_toulouse_to_amsterdam() {
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    let mut tracker = Tracker::new(TrackerOptions::default());
    let opts = DecodeOptions::default();
    let mut track: Vec<(u64, Position)> = Vec::new();
    let mut klm = None;
    let mut untrusted = 0;
    let mut positions = 0;
    for line in text.lines() {
        let (t, rx) = csv::parse_line(line).expect("line");
        let now_ms = (t * 1000.0) as u64;
        let Ok(msg) = decode(&rx.frame, &opts) else {
            continue;
        };
        match tracker.update(&msg, now_ms, None) {
            None => untrusted += 1,
            Some(fields) => {
                if let Some(f) = fields.flight
                    && f.as_str().trim_end() == "KLM1302"
                {
                    klm = Some(msg.address.icao);
                }
                if let (Some(lat), Some(lon)) = (fields.lat, fields.lon) {
                    positions += 1;
                    if Some(msg.address.icao) == klm {
                        track.push((now_ms, Position { lat, lon }));
                    }
                }
            }
        }
    }
    assert!(klm.is_some(), "KLM1302 identified");
    assert!(track.len() > 500, "only {} KLM1302 positions", track.len());
    assert!(
        positions > 10_000,
        "only {positions} positions in the recording"
    );
    println!(
        "{} aircraft, {positions} positions, {} KLM1302 positions, {untrusted} untrusted replies",
        tracker.len(),
        track.len()
    );
    for w in track.windows(2) {
        let ((t0, p0), (t1, p1)) = (w[0], w[1]);
        let dt = (t1 - t0) as f64 / 1000.0;
        let d = distance_m(p0, p1);
        // An A320-class airliner: < 600 kt over ground, plus 500 m for CPR resolution.
        assert!(
            d <= (dt + 1.0) * 600.0 * 0.5144 + 500.0,
            "jump of {d:.0} m in {dt:.1} s at {p1:?}"
        );
    }
    // The recording follows the flight from the Netherlands to Toulouse: every
    // position lies in the corridor between Amsterdam-Schiphol and Toulouse.
    let (south, north) = track.iter().fold((90.0f64, -90.0f64), |(s, n), (_, p)| {
        (s.min(p.lat), n.max(p.lat))
    });
    let (west, east) = track.iter().fold((180.0f64, -180.0f64), |(w, e), (_, p)| {
        (w.min(p.lon), e.max(p.lon))
    });
    println!("KLM1302 box: lat {south}..{north}, lon {west}..{east}");
    assert!(
        south > 43.0 && north < 53.0 && west > -2.0 && east < 6.0,
        "position outside the AMS-TLS corridor"
    );
    let (_, first) = track[0];
    let (_, last) = track[track.len() - 1];
    println!("first {first:?}, last {last:?}");
    assert!(
        distance_m(first, LFBO) < 20_000.0,
        "first position {first:?} not at LFBO"
    );
    assert!(
        distance_m(last, EHAM) < 20_000.0,
        "last position {last:?} not at EHAM"
    );
}
