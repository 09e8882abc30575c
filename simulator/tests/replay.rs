//! Replay of a recording: `--replay long_flight.csv` serves the recorded
//! frames on the first receiver's Beast output, in recorded order, with the
//! original timing scaled by `--speed`.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cloudradar_shared::format::{beast, csv, scan_all};
use common::Sim;

const RECORDING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/long_flight.csv"
);

#[test]
fn a_recording_is_served_in_order_at_the_chosen_speed() {
    let mut sim = Sim::start(&["--replay", RECORDING, "--speed", "100", "--receivers", "1"]);
    let beast = sim.beast_addrs(1).remove(0);
    let mut s = TcpStream::connect(&beast).unwrap_or_else(|e| panic!("connect {beast}: {e}"));
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut bytes = Vec::new();
    let started = Instant::now();
    let mut buf = [0u8; 65536];
    while started.elapsed() < Duration::from_secs(3) {
        if let Ok(n) = s.read(&mut buf) {
            bytes.extend_from_slice(&buf[..n]);
        }
    }
    drop(sim);
    let (got, garbage) = scan_all(beast::scan, &bytes);
    assert_eq!(garbage, 0);
    let mut recorded: Vec<(f64, _)> = std::fs::read_to_string(RECORDING)
        .expect("recording")
        .lines()
        .filter_map(|l| csv::parse_line(l).ok())
        .collect();
    recorded.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Three seconds at 100x are ~300 s of the recording.
    let first = recorded.first().map_or(0.0, |r| r.0);
    let expected_upto = recorded.iter().filter(|r| r.0 - first <= 300.0).count();
    assert!(got.len() > 1_000, "{} frames", got.len());
    assert!(
        got.len() <= expected_upto + 2_000,
        "{} frames, more than the timing allows",
        got.len()
    );
    // What arrived is a contiguous run of the recording, in order.
    let start = recorded
        .iter()
        .position(|r| r.1.frame == got[0].frame && r.1.timestamp == got[0].timestamp)
        .expect("the first frame is in the recording");
    for (i, g) in got.iter().enumerate() {
        let r = &recorded[start + i].1;
        assert_eq!(
            (g.frame, g.timestamp, g.signal),
            (r.frame, r.timestamp, r.signal),
            "frame {i}"
        );
    }
}
